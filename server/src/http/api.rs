//! `/api/v1/…`: the JSON API for machines (CI), authenticated by a team API token
//! (`Authorization: Bearer hgr_…`), never by a session cookie — so it sits outside the
//! session, authentication and CSRF layers.
//!
//! - `POST /api/v1/teams/{team}/deploys` `{"commit": "<sha>"}` (scope `deploys:request`;
//!   no commit: the branch head) → 201 with the new request.
//! - `GET /api/v1/teams/{team}/deploys/{id}` (scope `deploys:read`) → the request's status.
//!
//! A token works for its own team only; for any other team — existing or not — the answer
//! is the same 404. Every use is audited, as the token's own user.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hangar_app::models::deploys::short_sha;
use serde::{Deserialize, Serialize};

use crate::audit::{Actor, AuditEvent, Outcome};
use crate::deploy::DeployError;
use crate::deploy::request::Opening;
use crate::deploy::store;
use crate::http::request_id;
use crate::state::AppState;
use crate::tokens::{self, TOKEN_ISSUER, TokenIdentity};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/teams/{team}/deploys", post(request_deploy))
        .route("/api/v1/teams/{team}/deploys/{id}", get(deploy_status))
}

/// The API's one error type, mapped once to a status and a JSON body.
#[derive(Debug)]
pub enum ApiError {
    Unauthenticated,
    NotFound,
    MissingScope(&'static str),
    Invalid(String),
    Upstream(String),
    Internal,
}

#[derive(Serialize)]
struct ErrorBody {
    error: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Self::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "a valid API token is required (Authorization: Bearer …)".to_string(),
            ),
            Self::NotFound => (StatusCode::NOT_FOUND, "not found".to_string()),
            Self::MissingScope(scope) => (
                StatusCode::FORBIDDEN,
                format!("this token lacks the scope {scope}"),
            ),
            Self::Invalid(message) => (StatusCode::UNPROCESSABLE_ENTITY, message),
            Self::Upstream(message) => (StatusCode::BAD_GATEWAY, message),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "something went wrong on the server".to_string(),
            ),
        };
        let mut response = (status, Json(ErrorBody { error: message })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<DeployError> for ApiError {
    fn from(error: DeployError) -> Self {
        match hangar_app::errors::AppError::from(error) {
            hangar_app::errors::AppError::NotFound => Self::NotFound,
            hangar_app::errors::AppError::Invalid(message) => Self::Invalid(message),
            hangar_app::errors::AppError::Upstream(message) => Self::Upstream(message),
            _ => Self::Internal,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "database error in the API");
        Self::Internal
    }
}

/// The token in the request, if it is live and belongs to `team` (any other team, or a team
/// that does not exist, is not found: a token reveals nothing about other teams).
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    team: &str,
    scope: &'static str,
) -> Result<TokenIdentity, ApiError> {
    let secret = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(secret) = secret else {
        return Err(ApiError::Unauthenticated);
    };
    let Some(token) = tokens::authenticate(&state.db, secret, state.clock.now_ms()).await? else {
        audit(
            state,
            headers,
            None,
            team,
            "api.denied",
            Outcome::Denied,
            "invalid, expired or revoked token".into(),
        )
        .await?;
        return Err(ApiError::Unauthenticated);
    };
    if token.team != team {
        audit(
            state,
            headers,
            Some(&token),
            &token.team,
            "api.denied",
            Outcome::Denied,
            "a team other than the token's".into(),
        )
        .await?;
        return Err(ApiError::NotFound);
    }
    if !token.allows(scope) {
        audit(
            state,
            headers,
            Some(&token),
            team,
            "api.denied",
            Outcome::Denied,
            format!("missing scope {scope}"),
        )
        .await?;
        return Err(ApiError::MissingScope(scope));
    }
    Ok(token)
}

async fn audit(
    state: &AppState,
    headers: &HeaderMap,
    token: Option<&TokenIdentity>,
    team: &str,
    action: &'static str,
    outcome: Outcome,
    detail: String,
) -> Result<(), ApiError> {
    let actor = token.map(|t| Actor {
        issuer: TOKEN_ISSUER.to_string(),
        subject: format!("token/{}", t.id),
        display_name: format!("API token \"{}\"", t.name),
    });
    // Only a token's own team goes into the entry: a stranger's guess names nothing.
    let event = AuditEvent::new(action, outcome)
        .actor(actor)
        .detail(detail)
        .request_id(request_id(headers));
    let event = match token {
        Some(t) if t.team == team => event.team(team.to_string()),
        _ => event,
    };
    state
        .audit(event)
        .await
        .map(|_| ())
        .map_err(|_| ApiError::Internal)
}

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

async fn request_deploy(
    State(state): State<AppState>,
    Path(team): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let token = authenticate(&state, &headers, &team, "deploys:request").await?;
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
            requester_id: token.user_id,
            commit: body.commit.as_deref(),
            break_glass_reason: None,
            token_id: Some(token.id),
        })
        .await;
    let opened = match opened {
        Ok(opened) => opened,
        Err(error) => {
            audit(
                &state,
                &headers,
                Some(&token),
                &team,
                "deploy.request",
                Outcome::Failure,
                error.to_string(),
            )
            .await?;
            return Err(error.into());
        }
    };
    audit(
        &state,
        &headers,
        Some(&token),
        &team,
        "deploy.request",
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
pub struct StatusAnswer {
    id: i64,
    status: String,
    step: Option<String>,
    failure: Option<String>,
    candidate: String,
    confirmation: Option<String>,
    url: String,
}

async fn deploy_status(
    State(state): State<AppState>,
    Path((team, id)): Path<(String, i64)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = authenticate(&state, &headers, &team, "deploys:read").await?;
    let request = store::find(&state.db, &team, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit(
        &state,
        &headers,
        Some(&token),
        &team,
        "deploy.read",
        Outcome::Success,
        format!("deploy/{id}"),
    )
    .await?;
    Ok(Json(StatusAnswer {
        id,
        status: request.status.as_str().into(),
        step: request.step,
        failure: request.failure,
        candidate: request.candidate.to_string(),
        confirmation: request.confirmation,
        url: state
            .config
            .server
            .url_for(&hangar_app::paths::deploy(&team, id)),
    })
    .into_response())
}
