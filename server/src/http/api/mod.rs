//! `/api/v1`: the JSON API (docs/api.md), described by the OpenAPI document it serves at
//! `/api/v1/openapi.json` (`openapi.json` here; a test holds it to [`API_ROUTES`] and to the
//! router).
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
mod reads;

use axum::http::Method;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use hangar_app::models::{Access, TeamAction};

pub use error::ApiError;

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

/// The OpenAPI 3.1 document, written by hand (docs first) and checked by
/// `server/tests/api.rs` against [`API_ROUTES`] and the running router.
pub const OPENAPI_DOCUMENT: &str = include_str!("openapi.json");

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(TEAMS.path, get(reads::teams))
        .route(DAGS.path, get(reads::dags))
        .route(RUNS.path, get(reads::runs))
        .route(POOLS.path, get(reads::pools))
        .route(
            REQUEST_DEPLOY.path,
            post(deploys::request_deploy).get(deploys::list_deploys),
        )
        .route(DEPLOY_STATUS.path, get(deploys::deploy_status))
        .route(OPENAPI.path, get(openapi))
}

async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI_DOCUMENT,
    )
}
