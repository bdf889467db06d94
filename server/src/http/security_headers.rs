//! Security headers on every response, and the Content-Security-Policy in one place.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use hangar_app::shell::NONCE_HEADER;

use crate::state::AppState;

pub async fn add_security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let is_asset = path.starts_with("/pkg/") || path == "/favicon.svg";
    let bundle_dir = state.leptos.site_pkg_dir.as_ref();
    let is_versioned_bundle = bundle_dir != "pkg"
        && path
            .strip_prefix('/')
            .and_then(|p| p.strip_prefix(bundle_dir))
            .is_some_and(|rest| rest.starts_with('/'));
    let mut response = next.run(request).await;
    let succeeded = response.status().is_success();
    let headers = response.headers_mut();
    // The nonce travels from the HTML shell in a private header; it must not leave.
    let nonce = headers
        .remove(NONCE_HEADER)
        .and_then(|v| v.to_str().ok().map(str::to_string));
    let idp = state.oidc.issuer_origin();
    let script_src = match &nonce {
        Some(nonce) => format!("'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        None => "'self'".to_string(),
    };
    // form-action must allow the identity provider: sign-out posts to Hangar, which redirects
    // there, and browsers apply form-action to that redirect.
    let csp = format!(
        "default-src 'self'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'; \
         form-action 'self' {idp}"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if state.config.server.is_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if is_versioned_bundle && succeeded {
        // Under the bundle's content id (`pkg/<id>/`): a new build has another path.
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    } else if is_asset {
        // The style sheet and icon keep their names: revalidate so a new build shows at once.
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-cache"));
    } else {
        // Pages and API answers are per-user: never stored by a browser or proxy.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
