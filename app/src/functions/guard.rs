//! The permission check every server function makes first (server only).
//!
//! The server's authentication layer resolves the session into a [`Viewer`] and puts it in the
//! request's extensions; this module reads it back and applies the function's declared
//! [`Access`]. A team the user holds no grant in is reported exactly like a team that does not
//! exist.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{Access, Viewer};

/// Returns the signed-in viewer if `access` allows the call, for the team named by the caller.
pub fn require(access: Access, team: Option<&str>) -> Result<Viewer, AppError> {
    let viewer = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Viewer>().cloned());
    let allowed = match (access, &viewer) {
        (Access::Public, _) => return viewer.ok_or(AppError::Unauthenticated),
        (_, None) => return Err(AppError::Unauthenticated),
        (Access::Authenticated, Some(_)) => true,
        (Access::Team(action), Some(viewer)) => team.is_some_and(|t| viewer.can(t, action)),
        (Access::Platform(action), Some(viewer)) => viewer.can_platform(action),
    };
    match (allowed, viewer) {
        (true, Some(viewer)) => Ok(viewer),
        _ => Err(AppError::NotFound),
    }
}
