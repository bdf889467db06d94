//! The deploy operations: open a request (CI, or a person), list the team's requests, read
//! one request's status.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hangar_app::models::deploys::{DeploySummary, short_sha};
use serde::{Deserialize, Serialize};

use super::caller::{self, ApiRequest, Caller};
use super::{ApiError, DEPLOY_STATUS, LIST_DEPLOYS, REQUEST_DEPLOY};
use crate::audit::Outcome;
use crate::deploy::request::Opening;
use crate::deploy::store;
use crate::deploy::summaries::{self, Listing};
use crate::state::AppState;

/// The newest requests a list returns.
const LISTED: i64 = 100;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DeployBody {
    #[serde(default)]
    commit: Option<String>,
}

#[derive(Serialize)]
pub struct DeployAnswer {
    id: i64,
    status: String,
    url: String,
    deployed: Option<String>,
    candidate: String,
    commits: Vec<String>,
    files: usize,
}

pub async fn request_deploy(
    State(state): State<AppState>,
    Path(team): Path<String>,
    request: ApiRequest,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let caller = caller::require(&state, &request, &REQUEST_DEPLOY, Some(&team)).await?;
    // A team without deploys says so before anything is read from the body.
    state.deploys.team(&team)?;
    // Client-supplied fields other than the commit are refused, not ignored.
    let body: DeployBody = if body.is_empty() {
        DeployBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::Invalid(format!("bad JSON body: {e}")))?
    };
    let opened = state
        .deploys
        .open(Opening {
            team: &team,
            requester_id: caller.user_id(),
            commit: body.commit.as_deref(),
            break_glass_reason: None,
            token_id: caller.token_id(),
        })
        .await;
    let record = |outcome, detail| {
        caller::audit(
            &state,
            &request.headers,
            Some(caller.actor()),
            Some(team.clone()),
            "deploy.request",
            outcome,
            detail,
        )
    };
    let opened = match opened {
        Ok(opened) => opened,
        Err(error) => {
            record(Outcome::Failure, error.to_string()).await?;
            return Err(error.into());
        }
    };
    record(
        Outcome::Success,
        format!(
            "deploy/{}: {}",
            opened.id,
            crate::deploy::gateway::describe_opened(&opened)
        ),
    )
    .await?;
    state.deploys.announce(&team).await;
    let answer = DeployAnswer {
        id: opened.id,
        status: "pending".into(),
        url: state
            .config
            .server
            .url_for(&hangar_app::paths::deploy(&team, opened.id)),
        deployed: opened.deployed.as_ref().map(|c| c.to_string()),
        candidate: opened.candidate.to_string(),
        commits: opened
            .commits
            .iter()
            .map(|c| short_sha(c.id.as_str()).to_string())
            .collect(),
        files: opened.files,
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

#[derive(Serialize)]
pub struct DeployList {
    deploys: Vec<DeploySummary>,
}

pub async fn list_deploys(
    State(state): State<AppState>,
    Path(team): Path<String>,
    request: ApiRequest,
) -> Result<Json<DeployList>, ApiError> {
    let caller = caller::require(&state, &request, &LIST_DEPLOYS, Some(&team)).await?;
    state.deploys.team(&team)?;
    let listed = summaries::list(
        &state.db,
        Listing::Team {
            team: &team,
            limit: LISTED,
        },
    )
    .await?;
    caller::audit_read(
        &state,
        &request.headers,
        &caller,
        "deploy.read",
        "the list".into(),
    )
    .await?;
    Ok(Json(DeployList {
        deploys: listed.into_iter().map(|l| l.summary).collect(),
    }))
}

#[derive(Serialize)]
pub struct StatusAnswer {
    id: i64,
    status: String,
    step: Option<String>,
    failure: Option<String>,
    candidate: String,
    confirmation: Option<String>,
    url: String,
}

pub async fn deploy_status(
    State(state): State<AppState>,
    Path((team, id)): Path<(String, i64)>,
    request: ApiRequest,
) -> Result<Json<StatusAnswer>, ApiError> {
    let caller: Caller = caller::require(&state, &request, &DEPLOY_STATUS, Some(&team)).await?;
    state.deploys.team(&team)?;
    let deploy = store::find(&state.db, &team, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    caller::audit_read(
        &state,
        &request.headers,
        &caller,
        "deploy.read",
        format!("deploy/{id}"),
    )
    .await?;
    Ok(Json(StatusAnswer {
        id,
        status: deploy.status.as_str().into(),
        step: deploy.step,
        failure: deploy.failure,
        candidate: deploy.candidate.to_string(),
        confirmation: deploy.confirmation,
        url: state
            .config
            .server
            .url_for(&hangar_app::paths::deploy(&team, id)),
    }))
}
