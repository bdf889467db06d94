//! Cross-site request forgery: every state-changing request must come from Hangar's origin.
//!
//! Browsers send `Origin` on every POST, but as `null` for form posts from a page whose
//! `Referrer-Policy` is `no-referrer` (ours, by design). So: a real `Origin` must be ours; a
//! `null` or missing one must come with `Sec-Fetch-Site: same-origin`. Pages cannot set either
//! header, so a cross-site page cannot pass.
//! Refusals are audited, because a forged request is worth knowing about: in full for a
//! signed-in person (someone's browser was used), as a sample per address and minute for a
//! request of nobody (`audit/refusals.rs`), the client's text cut short either way.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use hangar_app::functions::ports::Acting;

use super::edge::ClientIp;
use super::error::page;
use super::request::{is_bearer, request_id_of_request};
use crate::audit::refusals::{Refusal, cut};
use crate::audit::{AuditEvent, Outcome};
use crate::state::AppState;

pub async fn require_same_origin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // A bearer-token request is authenticated by its header alone, never by a cookie (the
    // authentication layer ignores the session of such a request), and a cross-site page
    // cannot add that header without a CORS preflight Hangar never grants.
    if is_safe(request.method()) || is_bearer(request.headers()) {
        return next.run(request).await;
    }
    // The JSON API acts for a person only through their session: without one there is no
    // one to forge a request for, and the API answers 401 itself.
    if request.uri().path().starts_with("/api/v1/")
        && request.extensions().get::<Acting>().is_none()
    {
        return next.run(request).await;
    }
    let headers = request.headers();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let same_origin = match origin {
        Some(origin) if origin != "null" => origin == state.config.server.public_origin(),
        _ => fetch_site == Some("same-origin"),
    };
    if same_origin {
        return next.run(request).await;
    }
    let detail = cut(&format!(
        "cross-origin {} {} (origin {})",
        request.method(),
        request.uri().path(),
        origin.unwrap_or("absent")
    ));
    let target = cut(request.uri().path());
    let recorded = match request.extensions().get::<Acting>() {
        Some(acting) => state
            .audit(
                AuditEvent::by(acting, "request.denied", Outcome::Denied)
                    .target(target)
                    .detail(detail),
            )
            .await
            .map(|_| ()),
        None => {
            let event = AuditEvent::new("request.denied", Outcome::Denied)
                .request_id(Some(request_id_of_request(&request)))
                .target(target)
                .detail(detail);
            let ClientIp(source) = ClientIp::of(&request);
            state
                .refused_anonymously(Refusal::CrossOrigin, source, event)
                .await
        }
    };
    if let Err(error) = recorded {
        return error.into_response();
    }
    (
        StatusCode::FORBIDDEN,
        page(
            "Refused",
            "<h1>Refused</h1><p>This request did not come from a Hangar page, so it was not carried out.</p>",
        ),
    )
        .into_response()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}
