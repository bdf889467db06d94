//! The API's one error type, mapped once to a status and a JSON body `{"error": "…"}`.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ServerError;

#[derive(Debug)]
pub enum ApiError {
    Unauthenticated,
    NotFound,
    MissingScope(&'static str),
    Invalid(String),
    Upstream(String),
    Internal,
}

/// Every refusal and failure: one sentence for the caller.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    error: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Self::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "sign in, or send a valid API token (Authorization: Bearer …)".to_string(),
            ),
            Self::NotFound => (StatusCode::NOT_FOUND, "not found".to_string()),
            Self::MissingScope(scope) => (
                StatusCode::FORBIDDEN,
                format!("this token lacks the scope {scope}"),
            ),
            Self::Invalid(message) => (StatusCode::UNPROCESSABLE_ENTITY, message),
            Self::Upstream(message) => (StatusCode::BAD_GATEWAY, message),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "something went wrong on the server".to_string(),
            ),
        };
        let mut response = (status, Json(ErrorBody { error: message })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<hangar_app::errors::AppError> for ApiError {
    fn from(error: hangar_app::errors::AppError) -> Self {
        use hangar_app::errors::AppError;
        match error {
            AppError::NotFound | AppError::Forbidden => Self::NotFound,
            AppError::Unauthenticated => Self::Unauthenticated,
            AppError::Invalid(message) => Self::Invalid(message),
            AppError::Upstream(message) => Self::Upstream(message),
            _ => Self::Internal,
        }
    }
}

/// The cause goes to the log, inside the request's span (so with its id).
impl From<ServerError> for ApiError {
    fn from(error: ServerError) -> Self {
        tracing::error!(%error, "internal error in the API");
        Self::Internal
    }
}
