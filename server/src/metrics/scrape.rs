//! `GET /metrics`: the bearer-token check, the figures read at scrape time, the encoding.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::{EnvironmentLabels, PoolLabels, global};
use crate::identity::session::constant_time_eq;
use crate::identity::session_index;
use crate::state::AppState;
use crate::with_pool;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `/metrics` alone, for the main listener (token required) or a listener of its own.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/metrics", get(scrape))
}

async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics.bearer_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !constant_time_eq(presented.as_bytes(), token.expose().as_bytes()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "a bearer token is required\n",
            )
                .into_response();
        }
    }
    if let Err(error) = refresh(&state).await {
        // Counters are still worth having; the database figures keep their last values.
        tracing::warn!(%error, "metrics: cannot read figures from the database");
    }
    ([(header::CONTENT_TYPE, OPENMETRICS)], global().encode()).into_response()
}

/// Reads the figures that belong to the database rather than to this process.
async fn refresh(state: &AppState) -> Result<(), sqlx::Error> {
    let metrics = global();
    let now = state.clock.now_ms();
    let (size, idle) = state.db.pool_usage();
    metrics
        .pool
        .get_or_create(&PoolLabels { state: "idle" })
        .set(idle as i64);
    metrics
        .pool
        .get_or_create(&PoolLabels { state: "in_use" })
        .set(i64::from(size) - idle as i64);
    metrics
        .pool_max
        .set(i64::from(state.config.database.max_connections));
    metrics
        .sessions
        .set(session_index::live_total(&state.db, now).await?);
    let rows: Vec<(String, Option<i64>, Option<String>)> = with_pool!(&state.db, pool => {
        sqlx::query_as("SELECT environment, last_success_ms, last_error FROM airflow_sync_status")
            .fetch_all(pool)
            .await
    })?;
    // Configured environments only: a removed one's row must not linger as a series.
    for environment in &state.config.airflow {
        let labels = EnvironmentLabels {
            environment: environment.name.clone(),
        };
        let row = rows.iter().find(|row| row.0 == environment.name);
        if let Some(last_success) = row.and_then(|row| row.1) {
            let lag = (now - last_success).max(0) as f64 / 1000.0;
            metrics.sync_lag.get_or_create(&labels).set(lag);
        }
        let failing = row.is_some_and(|row| row.2.is_some());
        metrics
            .sync_failing
            .get_or_create(&labels)
            .set(i64::from(failing));
    }
    Ok(())
}
