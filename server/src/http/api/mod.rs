//! `/api/v1`: the JSON API (docs/api.md), described by the OpenAPI document it serves at
//! `/api/v1/openapi.json`. The document is generated from the handlers and their types
//! (`utoipa`, server only) plus what [`API_ROUTES`] declares (access, token scope), and a
//! test holds it to the router.
//!
//! Two kinds of caller, one permission matrix:
//! - a team API token (`Authorization: Bearer hgr_…`) acts in its own team only, within its
//!   scopes; for any other team, existing or not, the answer is the same 404;
//! - a signed-in browser session acts with the person's role, exactly as the pages and server
//!   functions do (a team without a grant is the same 404), and its changes pass the CSRF
//!   check like every other form.
//!
//! A request with a bearer token is that token's and nothing else: the session layers do not
//! read its cookie (`identity/middleware.rs`, `http/csrf.rs`).

mod deploys;
mod door;
mod error;
mod openapi;
mod reads;

use axum::http::Method;
use axum::routing::get;
use hangar_app::models::{Access, TeamAction};
use utoipa::OpenApi;

pub use error::ApiError;
use error::ErrorBody;

use crate::state::AppState;

/// One operation of the API and what it demands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiRoute {
    pub method: Method,
    pub path: &'static str,
    /// What a signed-in person needs (the page matrix).
    pub access: Access,
    /// What a token needs: its team and this scope (`None`: any live token).
    pub scope: Option<&'static str>,
}

const fn route(
    method: Method,
    path: &'static str,
    access: Access,
    scope: Option<&'static str>,
) -> ApiRoute {
    ApiRoute {
        method,
        path,
        access,
        scope,
    }
}

pub const TEAMS: ApiRoute = route(Method::GET, "/api/v1/teams", Access::Authenticated, None);
pub const DAGS: ApiRoute = route(
    Method::GET,
    "/api/v1/teams/{team}/dags",
    Access::Team(TeamAction::View),
    Some("team:read"),
);
pub const RUNS: ApiRoute = route(
    Method::GET,
    "/api/v1/teams/{team}/runs",
    Access::Team(TeamAction::View),
    Some("team:read"),
);
pub const POOLS: ApiRoute = route(
    Method::GET,
    "/api/v1/teams/{team}/pools",
    Access::Team(TeamAction::View),
    Some("team:read"),
);
pub const LIST_DEPLOYS: ApiRoute = route(
    Method::GET,
    "/api/v1/teams/{team}/deploys",
    Access::Team(TeamAction::View),
    Some("deploys:read"),
);
pub const REQUEST_DEPLOY: ApiRoute = route(
    Method::POST,
    "/api/v1/teams/{team}/deploys",
    Access::Team(TeamAction::RequestDeploy),
    Some("deploys:request"),
);
pub const DEPLOY_STATUS: ApiRoute = route(
    Method::GET,
    "/api/v1/teams/{team}/deploys/{id}",
    Access::Team(TeamAction::View),
    Some("deploys:read"),
);
pub const OPENAPI: ApiRoute = route(Method::GET, "/api/v1/openapi.json", Access::Public, None);

/// Every operation, in the order the document lists them.
pub static API_ROUTES: [ApiRoute; 8] = [
    TEAMS,
    DAGS,
    RUNS,
    POOLS,
    LIST_DEPLOYS,
    REQUEST_DEPLOY,
    DEPLOY_STATUS,
    OPENAPI,
];

/// The OpenAPI 3.1 document's fixed parts; operations and schemas come from the handlers.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Hangar API",
        version = "1",
        description = "Hangar's JSON API. Call it with a team API token (`Authorization: Bearer hgr_…`, \
            created on the team's token page; it acts in its own team only, within its scopes) or with a \
            signed-in browser session (the person's role decides, exactly as on the pages; changes need \
            Hangar's `Origin`). `x-hangar-access` names what a person needs (docs/permissions.md), \
            `x-hangar-token-scope` what a token needs. Another team's things, and teams that do not \
            exist, answer the same 404."
    ),
    components(schemas(ErrorBody))
)]
struct ApiDocument;

/// The API's operations (routed and described together) and `GET /api/v1/openapi.json`.
pub fn routes() -> axum::Router<AppState> {
    let (router, document) =
        utoipa_axum::router::OpenApiRouter::with_openapi(ApiDocument::openapi())
            .routes(utoipa_axum::routes!(reads::teams))
            .routes(utoipa_axum::routes!(reads::dags))
            .routes(utoipa_axum::routes!(reads::runs))
            .routes(utoipa_axum::routes!(reads::pools))
            .routes(utoipa_axum::routes!(
                deploys::request_deploy,
                deploys::list_deploys
            ))
            .routes(utoipa_axum::routes!(deploys::deploy_status))
            .split_for_parts();
    let document = axum::body::Bytes::from(openapi::finish(document));
    router.route(
        OPENAPI.path,
        get(move || async move {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                document,
            )
        }),
    )
}
