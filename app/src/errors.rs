//! The one error type of the server-function boundary.
//!
//! It crosses the wire as JSON, so the browser can tell "not found" from "sign in again".
//! Messages are written for users; internal causes stay in the server log, keyed by the
//! request id the user sees. The HTTP status for each variant is decided in one place,
//! [`AppError::status`], and applied by the server's server-function layer.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The thing does not exist *or* the user may not know that it exists. The two are
    /// deliberately the same so that nobody can enumerate other teams' resources.
    #[error("Not found.")]
    NotFound,
    #[error("Your session has ended. Sign in again.")]
    Unauthenticated,
    /// The user can see the thing but may not do this to it.
    #[error("Your role does not allow this.")]
    Forbidden,
    #[error("{0}")]
    Invalid(String),
    /// Airflow failed or refused; the message says which environment and why, and never
    /// claims that anything happened.
    #[error("{0}")]
    Upstream(String),
    /// Details are in the server log under this request id.
    #[error("Something went wrong on the server (request {0}).")]
    Internal(String),
    /// Raised in the browser when the server could not be reached or answered nonsense.
    #[error("Could not talk to the Hangar server: {0}")]
    Transport(String),
}

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::Invalid(_) => 422,
            Self::Upstream(_) => 502,
            Self::Internal(_) | Self::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                Self::Invalid(format!("Bad request: {message}"))
            }
            other => Self::Transport(other.to_string()),
        }
    }
}
