//! What Hangar knows of a request before any handler runs: the id it gives it, the bearer
//! secret it may carry, and the outermost layer that assigns the id, logs and counts the
//! request. Handlers read the id from the request's extensions ([`RequestId`]); nothing
//! outside `http/` reads headers for it.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
pub use hangar_app::functions::ports::RequestId;
use tracing::Instrument;

use crate::metrics::Metrics;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The secret of `Authorization: Bearer <secret>`, if the request carries one.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Whether the request authenticates with a bearer token (and so never with its cookie).
/// Only that scheme: a proxy's Basic credentials in front of Hangar leave sessions alone.
pub fn is_bearer(headers: &HeaderMap) -> bool {
    bearer_token(headers).is_some()
}

/// Gives every request a fresh id (never the client's), logs it with method, path (no query:
/// the callback's carries the code), status and latency, counts it under its route, and
/// returns the id to the client.
pub async fn request_id_and_log(
    State(metrics): State<Arc<Metrics>>,
    mut request: Request,
    next: Next,
) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let value = HeaderValue::from_str(&id).expect("uuid is a valid header value");
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    request.extensions_mut().insert(RequestId(id));
    let method = request.method().clone();
    // The route's template (`/t/{team}`), never the path itself: label values stay few.
    let route = metrics_route(&request);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    metrics.request_answered(
        method.as_str(),
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "served"
        );
    });
    response.headers_mut().insert(REQUEST_ID_HEADER, value);
    response
}

/// The route a request is counted under: its matched template, a server function's own path
/// (each is declared, so they are few), or `unmatched`.
fn metrics_route(request: &Request) -> String {
    static SERVER_FNS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
        hangar_app::functions::declared_access()
            .into_iter()
            .map(|(path, _)| path)
            .collect()
    });
    let path = request.uri().path();
    if SERVER_FNS.contains(path) {
        return path.to_string();
    }
    request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string())
}

/// The request's id, as an extractor (`RequestIdOf(id)`).
pub struct RequestIdOf(pub RequestId);

impl<S: Send + Sync> FromRequestParts<S> for RequestIdOf {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(request_id_of(parts)))
    }
}

/// The id [`request_id_and_log`] gave the request (every request passes it first).
pub fn request_id_of(parts: &Parts) -> RequestId {
    parts
        .extensions
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(unknown)
}

/// Only a request that bypassed [`request_id_and_log`] (none does) has no id.
fn unknown() -> RequestId {
    RequestId("unknown".into())
}

/// [`request_id_of`] for a whole request (middleware).
pub fn request_id_of_request(request: &Request) -> RequestId {
    request
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(unknown)
}
