//! Identity: the OpenID Connect sign-in, the session it creates and the layer that turns a
//! session into a [`hangar_app::models::Viewer`] on every request.

pub mod middleware;
pub mod oidc;
pub mod return_to;
pub mod routes;
pub mod session;
pub mod session_index;
