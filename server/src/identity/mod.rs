//! Identity: the OpenID Connect relying party, sign-ins in progress (an encrypted cookie,
//! `pending.rs`), what a signed-in session holds and its timeouts, and every session by user (to end them at once). The HTTP side — the sign-in
//! routes and the layer that turns a session into the request's `Acting` — is in
//! `http/auth.rs` and `http/authenticate.rs`.

pub mod oidc;
pub mod pending;
pub mod return_to;
pub mod session;
pub mod session_index;
