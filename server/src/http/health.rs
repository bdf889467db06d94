//! `/healthz` (the process answers) and `/readyz` (it can serve: database and provider).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use crate::state::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let database = state.db.ping().await.is_ok();
    let identity_provider = state.oidc.is_ready();
    let status = if database && identity_provider {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    (
        status,
        Json(json!({
            "database": word(database),
            "identity_provider": word(identity_provider),
        })),
    )
}
