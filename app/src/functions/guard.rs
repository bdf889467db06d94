//! The permission check every server function makes first (server only).
//!
//! The server's authentication layer resolved the request into one [`Acting`] and put it in
//! the request's extensions; this module reads it back and applies the function's declared
//! [`Access`] with [`crate::models::Viewer::allows`], the check pages and the JSON API make
//! too. A team the caller holds no grant in is reported exactly like a team that does not
//! exist.

use super::acting::Acting;
use crate::errors::AppError;
use crate::models::Access;

/// Who acts, if `access` allows the call for the team named by the caller.
pub fn require(access: Access, team: Option<&str>) -> Result<Acting, AppError> {
    let acting = super::request_extension::<Acting>().ok_or(AppError::Unauthenticated)?;
    if acting.viewer.allows(access, team) {
        Ok(acting)
    } else {
        Err(AppError::NotFound)
    }
}
