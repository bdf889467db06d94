//! The server's one error for what a user cannot fix: a database or session-store failure.
//!
//! Store functions return it (`?` turns an `sqlx::Error` into it), ports turn it into the
//! app's [`AppError`] with `?` — the one conversion, which logs the cause with the request's
//! id and gives the user only that id — and `http/error.rs` maps it to a response for
//! Hangar's own routes. No database message ever reaches a page, a JSON answer or an audit
//! entry.

use hangar_app::errors::AppError;
use hangar_app::functions::ports::RequestId;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("session store: {0}")]
    Session(#[from] tower_sessions::session::Error),
    /// Something the code does not expect to happen (a record vanished mid-request).
    #[error("{0}")]
    Unexpected(String),
}

impl From<ServerError> for AppError {
    fn from(error: ServerError) -> Self {
        let request_id = current_request_id();
        tracing::error!(request_id = %request_id, %error, "internal error");
        AppError::Internal(request_id.0)
    }
}

/// The id of the request being served. Ports run inside leptos' owner for the request (a
/// server function, or a page's resource that leptos spawned on a task of its own, which a
/// task-local would not reach), where the request is in context; the JSON API and Hangar's
/// own routes log in the request's span instead and never get here.
fn current_request_id() -> RequestId {
    hangar_app::functions::request_extension::<RequestId>()
        .unwrap_or_else(|| RequestId("unknown".into()))
}
