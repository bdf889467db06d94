//! The door in front of leptos server functions (`/api/...`).
//!
//! A path must be declared in `hangar_app::functions::declared_access` or it does not exist
//! (deny by default). Functions then check their declared access themselves, first thing,
//! with the team from their arguments. Errors leave as the `AppError` JSON the browser
//! decodes, with the status `AppError::status` assigns; refused mutations are audited.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hangar_app::errors::AppError;
use hangar_app::functions::declared_access;
use hangar_app::models::{Access, PlatformAction, Viewer};

use crate::audit::{AuditEvent, Outcome};
use crate::http::error::not_found;
use crate::http::request_id;
use crate::identity::middleware::CurrentUser;
use crate::state::AppState;

/// Server-function answers are small; anything larger is not an `AppError`.
const MAX_ERROR_BODY: usize = 64 * 1024;

fn declared() -> &'static HashMap<&'static str, Access> {
    static DECLARED: OnceLock<HashMap<&'static str, Access>> = OnceLock::new();
    DECLARED.get_or_init(|| declared_access().into_iter().collect())
}

/// Whether a refusal of this access is a refused change (audited) rather than a refused read.
pub fn is_mutation(access: Access) -> bool {
    match access {
        Access::Team(action) => !action.is_read_only(),
        Access::Platform(action) => {
            matches!(
                action,
                PlatformAction::ManageCommon | PlatformAction::EndSessions
            )
        }
        Access::Public | Access::Authenticated => false,
    }
}

pub async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let Some(&access) = declared().get(path.as_str()) else {
        return not_found();
    };
    let actor = request
        .extensions()
        .get::<CurrentUser>()
        .map(|c| c.0.actor());
    let request_id = request_id(request.headers());
    if access != Access::Public && request.extensions().get::<Viewer>().is_none() {
        return error_response(&AppError::Unauthenticated);
    }
    let read_model = state.read_model.clone();
    let response = leptos_axum::handle_server_fns_with_context(
        move || leptos::prelude::provide_context(read_model.clone()),
        request,
    )
    .await
    .into_response();
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY)
        .await
        .unwrap_or_default();
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let refused = matches!(
            error,
            AppError::NotFound | AppError::Forbidden | AppError::Unauthenticated
        );
        if refused && is_mutation(access) {
            let recorded = state
                .audit(
                    AuditEvent::new("request.denied", Outcome::Denied)
                        .actor(actor)
                        .target(path)
                        .detail(error.to_string())
                        .request_id(request_id),
                )
                .await;
            if let Err(error) = recorded {
                return error.into_response();
            }
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn error_response(error: &AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(error).unwrap_or_default();
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}
