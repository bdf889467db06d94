//! `GET /metrics`: the bearer-token check, then this process's metrics (`metrics/`) with the
//! figures read from the database at scrape time.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::request::bearer_token;
use crate::identity::session::constant_time_eq;
use crate::state::AppState;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `/metrics` alone, for the main listener (token required) or a listener of its own.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/metrics", get(scrape))
}

async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics.bearer_token {
        let presented = bearer_token(&headers).unwrap_or_default();
        if !constant_time_eq(presented.as_bytes(), token.expose().as_bytes()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "a bearer token is required\n",
            )
                .into_response();
        }
    }
    let refreshed = state
        .metrics
        .refresh(&state.db, &state.config, state.clock.now_ms())
        .await;
    if let Err(error) = refreshed {
        // Counters are still worth having; the database figures keep their last values.
        tracing::warn!(%error, "metrics: cannot read figures from the database");
    }
    (
        [(header::CONTENT_TYPE, OPENMETRICS)],
        state.metrics.encode(),
    )
        .into_response()
}
