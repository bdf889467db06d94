//! The HTTP surface, and the only part of Hangar that knows axum: every route, the access it
//! declares, and the layers around them. Handlers turn a request into a call of a port
//! (`ports/`) or of a domain room, and its answer into a response.
//!
//! Request path, outermost first: request id + access log (`request.rs`) → timeout →
//! compression (not of event streams) → security headers → the client's address, its rate
//! limit and the body limit (`edge.rs`) → session → authentication (session → the request's
//! `Acting`, `authenticate.rs`) → the session's or token's rate limit → CSRF → the route (its
//! own access check first: `page_guard.rs`, `server_fns.rs`, `api/door.rs`).

pub mod api;
pub mod audit_export;
pub mod auth;
pub mod authenticate;
pub mod canonical;
pub mod csrf;
pub mod edge;
pub mod error;
pub mod events;
pub mod health;
pub mod metrics;
pub mod page_guard;
pub mod request;
pub mod security_headers;
pub mod serve_tls;
pub mod server_fns;
pub mod spliced_page;
pub mod task_logs;

use std::collections::HashSet;
use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use hangar_app::functions::ports::Acting;
use hangar_app::models::{Access, PlatformAction, TeamAction};
use hangar_app::routes::PAGE_ACCESS;
use leptos_axum::AxumRouteListing;
use tower_http::compression::{CompressionLayer, DefaultPredicate};
use tower_http::services::{ServeDir, ServeFile};
use tower_sessions::cookie::SameSite;
use tower_sessions::{SessionManagerLayer, SessionStore};

use self::authenticate::authenticate;
use self::page_guard::page_guard;
use self::request::request_id_and_log;
use crate::state::AppState;

pub use self::request::REQUEST_ID_HEADER;
/// The app as the binary serves it (built by [`router`]).
pub use axum::Router;

/// Serves `router` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish. Each request knows its peer's address (`edge::client_ip`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        sending_at_once(listener),
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// The listener, with every connection it accepts set to send at once
/// ([`send_at_once`]).
fn sending_at_once(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    listener.tap_io(send_at_once)
}

/// Turns Nagle's algorithm off for a connection (`TCP_NODELAY`), as web servers do. With it
/// on, a small write waits until the peer acknowledges the one before, and a browser may
/// hold that acknowledgement for 40 ms or more: a page's event stream, whose events are small
/// writes moments apart (a run's state, then its task's), would deliver the second late.
fn send_at_once(stream: &mut tokio::net::TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY on a connection");
    }
}

/// Longer than any call Hangar makes to the identity provider or Airflow (10 s by default).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// One route of Hangar's own (not a page, not a server function) and what it demands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// Hangar's own routes. Each declares its access; handlers of non-public routes check it.
pub fn server_routes() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    let spec = |method, path, access| RouteSpec {
        method,
        path,
        access,
    };
    vec![
        (
            spec(Method::GET, "/healthz", Access::Public),
            get(health::healthz),
        ),
        (
            spec(Method::GET, "/readyz", Access::Public),
            get(health::readyz),
        ),
        (
            spec(Method::GET, "/auth/login", Access::Public),
            get(auth::login),
        ),
        (
            spec(Method::GET, "/auth/callback", Access::Public),
            get(auth::callback),
        ),
        // Public: signing out needs no session, and one that has expired must still work.
        (
            spec(Method::POST, "/auth/logout", Access::Public),
            post(auth::logout),
        ),
        // Guarded like a team page (see `router`).
        (
            spec(
                Method::GET,
                "/t/{team}/events",
                Access::Team(TeamAction::View),
            ),
            get(events::team_events),
        ),
        (
            spec(
                Method::GET,
                "/platform/events",
                Access::Platform(PlatformAction::ViewOverview),
            ),
            get(events::platform_events),
        ),
        // A try's whole log, streamed; a running try's new lines as they come.
        (
            spec(
                Method::GET,
                "/t/{team}/dags/{environment}/{dag}/runs/{run}/tasks/{task}/log",
                Access::Team(TeamAction::View),
            ),
            get(task_logs::download),
        ),
        (
            spec(
                Method::GET,
                "/t/{team}/dags/{environment}/{dag}/runs/{run}/tasks/{task}/log/events",
                Access::Team(TeamAction::View),
            ),
            get(task_logs::events),
        ),
        (
            spec(
                Method::GET,
                "/platform/audit/export",
                Access::Platform(PlatformAction::ViewAudit),
            ),
            get(audit_export::platform_export),
        ),
        (
            spec(
                Method::GET,
                "/t/{team}/audit/export",
                Access::Team(TeamAction::ViewTeamAudit),
            ),
            get(audit_export::team_export),
        ),
    ]
}

/// Every route the server answers, with its declared access: the server's own, the pages and
/// the server functions. The route-matrix test walks this list.
pub fn inventory() -> Vec<RouteSpec> {
    let mut all: Vec<RouteSpec> = server_routes().into_iter().map(|(spec, _)| spec).collect();
    all.extend(PAGE_ACCESS.iter().map(|(path, access)| RouteSpec {
        method: Method::GET,
        path,
        access: *access,
    }));
    all.extend(api::API_ROUTES.iter().map(|route| RouteSpec {
        method: route.method.clone(),
        path: route.path,
        access: route.access,
    }));
    all.extend(
        hangar_app::functions::declared_access()
            .into_iter()
            .map(|(path, access)| RouteSpec {
                method: Method::POST,
                path,
                access,
            }),
    );
    all
}

/// Names every page route and server function that declares no access. The server refuses
/// to start while this list is not empty.
pub fn undeclared(pages: &[AxumRouteListing]) -> Vec<String> {
    let declared_pages: HashSet<&str> = PAGE_ACCESS.iter().map(|(path, _)| *path).collect();
    let declared_fns: HashSet<&str> = hangar_app::functions::declared_access()
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    let mut missing: Vec<String> = pages
        .iter()
        .map(|listing| listing.path())
        .filter(|path| !declared_pages.contains(path))
        .map(|path| format!("page {path}"))
        .collect();
    missing.extend(
        leptos::server_fn::axum::server_fn_paths()
            .filter(|(path, _)| !declared_fns.contains(path))
            .map(|(path, _)| format!("server function {path}")),
    );
    missing
}

/// The app's page routes, generated once per process.
///
/// Generating runs the whole app with resource loading suppressed through a *process-wide*
/// flag (leptos_server's `SuppressResourceLoad`); a resource first polled by a render on
/// another thread meanwhile waits forever (leptos issue #4773). A single `hangar serve`
/// generates before it listens, but tests build many apps in one process while others
/// serve pages, so the list is generated exactly once and shared.
pub fn page_routes() -> Vec<AxumRouteListing> {
    static PAGE_ROUTES: LazyLock<Vec<AxumRouteListing>> =
        LazyLock::new(|| leptos_axum::generate_route_list(hangar_app::App));
    PAGE_ROUTES.clone()
}

pub fn router<S>(state: AppState, session_store: S) -> Result<Router, String>
where
    S: SessionStore + Clone,
{
    let pages = page_routes();
    let missing = undeclared(&pages);
    if !missing.is_empty() {
        return Err(format!(
            "routes without a declared access: {}",
            missing.join(", ")
        ));
    }

    let mut router: Router<AppState> = Router::new();
    for (spec, handler) in server_routes() {
        let handler = match spec.access {
            Access::Public => handler,
            access => handler.route_layer(from_fn_with_state((state.clone(), access), page_guard)),
        };
        router = router.route(spec.path, handler);
    }
    let options = state.leptos.clone();
    let ports = state.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || ports.provide_ports(),
        move || hangar_app::shell::shell(options.clone()),
    );
    for listing in &pages {
        let access = PAGE_ACCESS
            .iter()
            .find(|(path, _)| *path == listing.path())
            .map(|(_, access)| *access)
            .expect("checked by undeclared()");
        let render = render.clone();
        let preferences = state.preferences.clone();
        router = router.route(
            listing.path(),
            get(move |mut request: Request| {
                let render = render.clone();
                let preferences = preferences.clone();
                async move {
                    resolve_reader_zone(preferences.as_ref(), &mut request).await;
                    let splices = spliced_page::for_render();
                    request.extensions_mut().insert(splices.clone());
                    whole_body(render(request), &splices).await
                }
            })
            .route_layer(from_fn_with_state((state.clone(), access), page_guard)),
        );
    }
    router = router.route(
        "/api/{*function}",
        post(server_fns::handle).get(server_fns::handle),
    );
    // The JSON API: inside the session layers (a person may call it from a signed-in
    // browser), but a request with a bearer token is the token's alone (see `api`).
    router = router.merge(api::routes());

    let site_root = std::path::PathBuf::from(state.leptos.site_root.as_ref());
    let session_layer = SessionManagerLayer::new(session_store)
        .with_name(if state.config.server.is_https() {
            "__Host-hangar"
        } else {
            "hangar"
        })
        .with_secure(state.config.server.is_https())
        .with_http_only(true)
        // Lax, not Strict: a person following a link into Hangar from elsewhere (a chat, the
        // provider's redirect after sign-in) arrives signed in.
        .with_same_site(SameSite::Lax)
        .with_path("/");

    let limits = std::sync::Arc::new(edge::Limits::new(
        &state.config.limits,
        state.metrics.clone(),
    ));
    Ok(router
        .nest_service(
            "/pkg",
            ServeDir::new(site_root.join("pkg"))
                .precompressed_gzip()
                .precompressed_br(),
        )
        .route_service(
            "/favicon.svg",
            ServeFile::new(site_root.join("favicon.svg")),
        )
        .fallback(canonical::fallback)
        .layer(from_fn_with_state(state.clone(), csrf::require_same_origin))
        .layer(from_fn_with_state(limits.clone(), edge::limit_by_session))
        .layer(from_fn_with_state(state.clone(), authenticate))
        .layer(session_layer)
        // Before any session or database read: a flood stops here.
        .layer(from_fn_with_state(limits.clone(), edge::limit_body))
        .layer(from_fn_with_state(limits, edge::limit_by_ip))
        .layer(from_fn_with_state(
            state.config.server.client_ip_header.clone(),
            edge::client_ip,
        ))
        // Scraped with a token of its own, so outside the session, sign-in and CSRF layers.
        .merge(if state.config.metrics.on_main_listener() {
            metrics::routes()
        } else {
            Router::new()
        })
        .layer(from_fn_with_state(
            state.clone(),
            security_headers::add_security_headers,
        ))
        // Pages and JSON gzip- or brotli-compressed when the client accepts it (a 100-row DAG
        // page shrinks about tenfold). tower-http's default predicate leaves event streams
        // alone (a compressor would hold events back until its buffer filled), as well as
        // images, gRPC and bodies under 32 bytes; `/pkg` is served precompressed already.
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .br(true)
                .compress_when(DefaultPredicate::new()),
        )
        // A stalled handler answers 408 instead of holding the connection. It bounds the time
        // to the response head only, so live-update streams stay open.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(from_fn_with_state(
            state.metrics.clone(),
            request_id_and_log,
        ))
        .with_state(state))
}

/// `/metrics` on a listener of its own (`[metrics] listen`), with the same token check and
/// request log; `None` when it is served on the main listener or not at all.
pub fn metrics_router(state: &AppState) -> Option<Router> {
    state.config.metrics.listen?;
    Some(
        metrics::routes()
            .fallback(|| async { error::not_found() })
            .layer(from_fn_with_state(
                state.metrics.clone(),
                request_id_and_log,
            ))
            .with_state(state.clone()),
    )
}

/// Puts the reader's fixed time zone in the request before its page renders: a page writes
/// its times as soon as its own data is in, which may be before a zone read beside it
/// (`hangar_app::components::time::ReaderZone`). A failed read shows times in UTC, logged.
async fn resolve_reader_zone(
    preferences: &dyn hangar_app::functions::ports::Preferences,
    request: &mut Request,
) {
    // Borrowed, not cloned: this runs before every signed-in page.
    let Some(acting) = request.extensions().get::<Acting>() else {
        return;
    };
    let zone = preferences.reader_zone(acting).await;
    request
        .extensions_mut()
        .insert(hangar_app::components::time::ReaderZone(zone));
}

/// Pages are rendered completely before they are sent (async SSR), so send them as one body
/// with a Content-Length: one write instead of a chunk stream; kept HTML the render placed
/// goes between the render's bytes as it is kept (`spliced_page`).
async fn whole_body(
    rendered: impl std::future::Future<Output = Response>,
    splices: &hangar_app::kept_html::Splices,
) -> Response {
    let (mut parts, body) = rendered.await.into_parts();
    // The body's length is the pieces' (hyper writes it from the body's exact size).
    parts.headers.remove(http::header::CONTENT_LENGTH);
    match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(bytes) => {
            let (token, kept) = splices.take();
            let body = if kept.is_empty() {
                axum::body::Body::from(bytes)
            } else {
                axum::body::Body::new(spliced_page::PiecesBody::new(spliced_page::pieces(
                    bytes, &token, kept,
                )))
            };
            Response::from_parts(parts, body)
        }
        Err(error) => {
            tracing::error!(%error, "page could not be rendered");
            error::internal_error()
        }
    }
}

/// No page comes near this; it bounds memory if one ever goes wrong.
const MAX_PAGE_BYTES: usize = 16 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_accepted_connection_sends_at_once() {
        use axum::serve::Listener;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut listener = sending_at_once(listener);
        let _client = tokio::net::TcpStream::connect(address).await.unwrap();
        let (accepted, _) = listener.accept().await;
        assert!(accepted.nodelay().unwrap());
    }
}
