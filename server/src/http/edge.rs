//! What any client may ask of Hangar, before anything reads a session or a database:
//! who the client is (its address: the peer, or behind a proxy the one configured header),
//! how often it may call `/auth/*`, server functions and `/api/v1` (per address, and per
//! session or token), and how large a request body may be (`[limits]`,
//! docs/configuration.md). Refusals are sentences: 429 with `Retry-After`, 413.
//!
//! The limits are `governor`'s GCRA, one state per key, in tables that stay bounded
//! however many addresses or junk tokens a flood brings (`crate::rate`); an IPv6 client is
//! limited by its /64.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use governor::Quota;
use hangar_app::errors::AppError;
use sha2::{Digest, Sha256};

use super::authenticate::SignedIn;
use super::error::page;
use super::request::bearer_token;
use crate::config::LimitsConfig;
use crate::metrics::Metrics;
use crate::rate::{KeyedLimit as Limit, source_of};

/// The client's address as Hangar trusts it: the one configured header behind a proxy, the
/// connection's peer otherwise (unspecified when neither is known, e.g. in-process calls).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    pub fn of(request: &Request) -> Self {
        request
            .extensions()
            .get::<ClientIp>()
            .copied()
            .unwrap_or(ClientIp(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
    }
}

/// The address in `header` (its last entry: a proxy appends the address it saw), if set and
/// readable; `None` falls back to the peer. No other header is ever read.
pub fn address_in(headers: &HeaderMap, header: &HeaderName) -> Option<IpAddr> {
    let value = headers.get_all(header).iter().next_back()?.to_str().ok()?;
    let last = value.rsplit(',').next()?.trim();
    last.parse::<IpAddr>()
        .ok()
        .or_else(|| last.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

/// Puts the request's [`ClientIp`] into its extensions.
pub async fn client_ip(
    State(header): State<Option<HeaderName>>,
    mut request: Request,
    next: Next,
) -> Response {
    let from_header = header
        .as_ref()
        .and_then(|name| address_in(request.headers(), name));
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let ip = from_header
        .or(peer)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    request.extensions_mut().insert(ClientIp(ip));
    next.run(request).await
}

/// One keyed limit of `per_minute` requests, with a burst of a quarter of it (at least 5).
fn per_minute<K: std::hash::Hash + Eq + Clone>(per_minute: NonZeroU32, overflow: K) -> Limit<K> {
    let burst = NonZeroU32::new((per_minute.get() / 4).max(5)).expect("at least 5");
    Limit::new(Quota::per_minute(per_minute).allow_burst(burst), overflow)
}

/// `Err(seconds)` to wait when `key` is over its limit: whole seconds, rounded up, so a
/// client that waits as told gets through.
fn check<K: std::hash::Hash + Eq + Clone>(limit: &Limit<K>, key: &K) -> Result<(), u64> {
    limit
        .check(key)
        .map_err(|wait| (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
}

/// The limits of one app (its listeners share them).
pub struct Limits {
    /// Keyed by [`source_of`] the address (an IPv6 client's /64).
    by_ip: Limit<IpAddr>,
    by_session: Limit<String>,
    max_body_bytes: usize,
    metrics: Arc<Metrics>,
}

impl Limits {
    pub fn new(config: &LimitsConfig, metrics: Arc<Metrics>) -> Self {
        Self {
            by_ip: per_minute(config.requests_per_ip, crate::rate::OVERFLOW_SOURCE),
            by_session: per_minute(config.requests_per_session, "overflow".to_string()),
            max_body_bytes: config.max_body_bytes,
            metrics,
        }
    }
}

/// The paths whose requests cost Hangar (and the audit log, and Airflow) something.
fn is_limited(path: &str) -> bool {
    path.starts_with("/auth/") || path.starts_with("/api/")
}

/// Per client address, before the session is read.
pub async fn limit_by_ip(
    State(limits): State<Arc<Limits>>,
    request: Request,
    next: Next,
) -> Response {
    if is_limited(request.uri().path()) {
        let ClientIp(ip) = ClientIp::of(&request);
        if let Err(wait) = check(&limits.by_ip, &source_of(ip)) {
            limits.metrics.rate_limited("ip");
            return too_many(&request, wait);
        }
    }
    next.run(request).await
}

/// Per signed-in session (after authentication) or per bearer token.
pub async fn limit_by_session(
    State(limits): State<Arc<Limits>>,
    request: Request,
    next: Next,
) -> Response {
    if is_limited(request.uri().path()) {
        let key = match (
            bearer_token(request.headers()),
            request.extensions().get::<SignedIn>(),
        ) {
            // The token's hash: its secret is never kept, junk tokens included.
            (Some(token), _) => Some(format!(
                "token:{}",
                hex::encode(&Sha256::digest(token.as_bytes())[..16])
            )),
            (None, Some(SignedIn(identity))) => Some(format!(
                "session:{}",
                identity
                    .session_key
                    .clone()
                    .unwrap_or_else(|| identity.user_id.to_string())
            )),
            (None, None) => None,
        };
        if let Some(key) = key
            && let Err(wait) = check(&limits.by_session, &key)
        {
            limits.metrics.rate_limited("session");
            return too_many(&request, wait);
        }
    }
    next.run(request).await
}

/// Reads a request's body up to the configured limit; a larger one is refused with 413 and a
/// sentence before anything parses it (a body without a length is read until the limit).
pub async fn limit_body(
    State(limits): State<Arc<Limits>>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let max = limits.max_body_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let form = Form::of(&request);
    if declared.is_some_and(|length| length > max as u64) {
        discard_stream(request.into_body().into_data_stream(), max).await;
        return too_large(&form, max);
    }
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) if bytes.len() + chunk.len() <= max => bytes.extend_from_slice(&chunk),
            Ok(_) => {
                discard_stream(stream, max).await;
                return too_large(&form, max);
            }
            // The client stopped sending: nothing to act on.
            Err(_) => return too_large(&form, max),
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// How long a refused body is still read (and thrown away) before the refusal is sent.
const DISCARD_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// Reads and throws away what the client is still sending of a refused body, up to eight
/// times the limit and [`DISCARD_FOR`], before the 413 goes out. A client writes its whole
/// body before it reads an answer: had the server answered and closed at once, the client
/// would hit a reset connection mid-write and show that instead of the sentence (nginx's
/// "lingering close" for the same reason). Bounded, so a refused body costs a few reads of
/// the network and never memory; past the bound the connection closes as before.
async fn discard_stream(mut stream: axum::body::BodyDataStream, max: usize) {
    let bound = max.saturating_mul(8);
    let _ = tokio::time::timeout(DISCARD_FOR, async {
        let mut read = 0usize;
        while let Some(Ok(chunk)) = stream.next().await {
            read += chunk.len();
            if read > bound {
                break;
            }
        }
    })
    .await;
}

/// The form a refusal takes for this request: the API's JSON, a server function's
/// `AppError`, or a page (for pages, and for forms the browser posted itself).
enum Form {
    Api,
    Function,
    Page,
}

impl Form {
    fn of(request: &Request) -> Self {
        let path = request.uri().path();
        let html = request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
        if path.starts_with("/api/v1/") {
            Self::Api
        } else if path.starts_with("/api/") && !html {
            Self::Function
        } else {
            Self::Page
        }
    }
}

fn too_many(request: &Request, wait_seconds: u64) -> Response {
    let sentence = format!(
        "Too many requests from this client; try again in {wait_seconds} second{}.",
        if wait_seconds == 1 { "" } else { "s" }
    );
    let mut response = refusal(&Form::of(request), StatusCode::TOO_MANY_REQUESTS, &sentence);
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&wait_seconds.to_string()).expect("digits"),
    );
    response
}

fn too_large(form: &Form, max: usize) -> Response {
    let size = if max.is_multiple_of(1024 * 1024) {
        format!("{} MiB", max / (1024 * 1024))
    } else {
        format!("{} KiB", max / 1024)
    };
    refusal(
        form,
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("The request is larger than the {size} Hangar accepts, so it was not read."),
    )
}

/// The sentence in the form the caller reads.
fn refusal(form: &Form, status: StatusCode, sentence: &str) -> Response {
    match form {
        Form::Api => {
            let body = serde_json::json!({ "error": sentence });
            (status, axum::Json(body)).into_response()
        }
        Form::Function => {
            let body =
                serde_json::to_vec(&AppError::Invalid(sentence.to_string())).unwrap_or_default();
            (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Form::Page => {
            let title = if status == StatusCode::TOO_MANY_REQUESTS {
                "Too many requests"
            } else {
                "Request too large"
            };
            let body = format!(
                "<h1>{title}</h1><p role=\"alert\">{}</p>",
                super::error::escape(sentence)
            );
            (status, page(title, &body)).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_header_and_its_last_address_count() {
        let name = HeaderName::from_static("x-forwarded-for");
        let mut headers = HeaderMap::new();
        assert_eq!(address_in(&headers, &name), None);
        headers.insert(&name, HeaderValue::from_static("6.6.6.6, 10.1.2.3"));
        assert_eq!(
            address_in(&headers, &name),
            Some("10.1.2.3".parse().unwrap())
        );
        headers.insert(&name, HeaderValue::from_static("not an address"));
        assert_eq!(address_in(&headers, &name), None);
        headers.insert(&name, HeaderValue::from_static("[::1]:443"));
        assert_eq!(address_in(&headers, &name), Some("::1".parse().unwrap()));
        // Another header is never read.
        let mut other = HeaderMap::new();
        other.insert("x-real-ip", HeaderValue::from_static("6.6.6.6"));
        assert_eq!(address_in(&other, &name), None);
    }

    #[test]
    fn waits_are_whole_seconds_and_other_sources_go_on() {
        let limit = per_minute(
            NonZeroU32::new(20).unwrap(),
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        );
        let key = source_of("2001:db8::1".parse().unwrap());
        for _ in 0..5 {
            assert!(check(&limit, &key).is_ok());
        }
        // Another address of the same /64 is the same client.
        let same = source_of("2001:db8::ffff".parse().unwrap());
        let wait = check(&limit, &same).unwrap_err();
        assert!((1..=3).contains(&wait), "{wait}");
        assert!(check(&limit, &source_of("2001:db8:0:1::1".parse().unwrap())).is_ok());
    }
}
