//! `GET /platform/audit/export` and `GET /t/{team}/audit/export`: the filtered audit log,
//! whole, as NDJSON or CSV, streamed (`audit/export.rs` writes it). The page guard checked
//! the route's access; the scope decides what each entry shows. Every export is itself
//! audited.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hangar_app::functions::ports::Acting;
use hangar_app::models::audit::{AuditFilter, AuditScope};

use crate::audit::export::{Format, describe, entries};
use crate::audit::{AuditEvent, Outcome};
use crate::state::AppState;

pub async fn platform_export(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
    Extension(acting): Extension<Acting>,
) -> Response {
    export(state, AuditScope::Platform, params, acting).await
}

pub async fn team_export(
    State(state): State<AppState>,
    Path(team): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    Extension(acting): Extension<Acting>,
) -> Response {
    export(state, AuditScope::Team(team), params, acting).await
}

async fn export(
    state: AppState,
    scope: AuditScope,
    params: HashMap<String, String>,
    acting: Acting,
) -> Response {
    let Some(format) = Format::parse(params.get("format").map(String::as_str)) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "format: must be ndjson or csv\n",
        )
            .into_response();
    };
    let filter = AuditFilter::from_params(|name| params.get(name).cloned());
    let criteria = match filter.criteria(&scope) {
        Ok(criteria) => criteria,
        Err(message) => {
            return (StatusCode::UNPROCESSABLE_ENTITY, format!("{message}\n")).into_response();
        }
    };
    let (content_type, extension) = format.media();
    let mut event = AuditEvent::by(&acting, "audit.export", Outcome::Success)
        .target(extension)
        .detail(describe(&filter, &scope));
    if let AuditScope::Team(team) = &scope {
        event = event.team(team.clone());
    }
    if let Err(error) = state.audit(event).await {
        return error.into_response();
    }
    let full = scope == AuditScope::Platform;
    let name = match &scope {
        AuditScope::Platform => "hangar-audit".to_string(),
        AuditScope::Team(team) => format!("hangar-audit-{team}"),
    };
    let body = Body::from_stream(entries(state.db.clone(), criteria, format, full));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"{name}.{extension}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
