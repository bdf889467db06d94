//! The deploy operations: open a request (CI, or a person), list the team's requests, read
//! one request's status. Each calls the deploy port's method a page calls, so a request
//! opened here is checked, recorded and audited exactly as one opened on the deploys page.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hangar_app::models::deploys::{DeploySummary, short_sha};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::door::{self, ApiRequest};
use super::error::ErrorBody;
use super::{ApiError, DEPLOY_STATUS, LIST_DEPLOYS, REQUEST_DEPLOY};
use crate::state::AppState;

/// What to deploy. Any other field is refused.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployBody {
    /// A commit id on the team's branch; none: the branch head.
    #[serde(default)]
    commit: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DeployAnswer {
    id: i64,
    status: String,
    /// The approval screen.
    url: String,
    deployed: Option<String>,
    candidate: String,
    commits: Vec<String>,
    files: usize,
}

/// Open a deploy request for a commit of the team's branch
#[utoipa::path(post, path = "/api/v1/teams/{team}/deploys", operation_id = "requestDeploy",
    params(("team" = String, Path, description = "The team's name, as in `/t/{team}`.")),
    request_body(content = Option<DeployBody>, content_type = "application/json"),
    responses(
        (status = 201, description = "Opened: it waits for a reviewer other than its authors.", body = DeployAnswer),
        (status = 422, description = "Deploys are not set up for the team, the body is not valid, or the commit cannot be requested (named in the message).", body = ErrorBody)))]
pub async fn request_deploy(
    State(state): State<AppState>,
    Path(team): Path<String>,
    request: ApiRequest,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let acting = door::require(&state, &request, &REQUEST_DEPLOY, Some(&team)).await?;
    // A team without deploys says so before anything is read from the body.
    if let Err(error) = state.deploys.team(&team) {
        return Err(hangar_app::errors::AppError::from(error).into());
    }
    // Client-supplied fields other than the commit are refused, not ignored.
    let body: DeployBody = if body.is_empty() {
        DeployBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::Invalid(format!("bad JSON body: {e}")))?
    };
    let commit = body
        .commit
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let opened = state.deploy_port.request(&acting, &team, commit).await?;
    let answer = DeployAnswer {
        id: opened.id,
        status: "pending".into(),
        url: state
            .config
            .server
            .url_for(&hangar_app::paths::deploy(&team, opened.id)),
        deployed: opened.deployed,
        candidate: opened.candidate,
        commits: opened
            .commits
            .iter()
            .map(|sha| short_sha(sha).to_string())
            .collect(),
        files: opened.files,
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct DeployList {
    deploys: Vec<DeploySummary>,
}

/// The team's newest 100 deploy requests
#[utoipa::path(get, path = "/api/v1/teams/{team}/deploys", operation_id = "listDeploys",
    params(("team" = String, Path, description = "The team's name, as in `/t/{team}`.")),
    responses((status = 200, description = "OK", body = DeployList)))]
pub async fn list_deploys(
    State(state): State<AppState>,
    Path(team): Path<String>,
    request: ApiRequest,
) -> Result<Json<DeployList>, ApiError> {
    let acting = door::require(&state, &request, &LIST_DEPLOYS, Some(&team)).await?;
    let deploys = state.deploy_port.history(&acting, &team).await?;
    door::audit_read(&state, &acting, "deploy.read", "the list".into()).await?;
    Ok(Json(DeployList { deploys }))
}

#[derive(Serialize, ToSchema)]
#[schema(as = DeployStatus)]
pub struct StatusAnswer {
    id: i64,
    status: String,
    step: Option<String>,
    failure: Option<String>,
    candidate: String,
    confirmation: Option<String>,
    url: String,
}

/// One deploy request's status
#[utoipa::path(get, path = "/api/v1/teams/{team}/deploys/{id}", operation_id = "getDeploy",
    params(("team" = String, Path, description = "The team's name, as in `/t/{team}`."), ("id" = i64, Path, description = "The request's number.")),
    responses((status = 200, description = "OK", body = StatusAnswer)))]
pub async fn deploy_status(
    State(state): State<AppState>,
    Path((team, id)): Path<(String, i64)>,
    request: ApiRequest,
) -> Result<Json<StatusAnswer>, ApiError> {
    let acting = door::require(&state, &request, &DEPLOY_STATUS, Some(&team)).await?;
    let deploy = state.deploy_port.summary(&acting, &team, id).await?;
    door::audit_read(&state, &acting, "deploy.read", format!("deploy/{id}")).await?;
    Ok(Json(StatusAnswer {
        id,
        status: deploy.status,
        step: deploy.step,
        failure: deploy.failure,
        candidate: deploy.candidate,
        confirmation: deploy.confirmation,
        url: state
            .config
            .server
            .url_for(&hangar_app::paths::deploy(&team, id)),
    }))
}
