//! Deploys: the team's deploy page, the approval screen, and what people do there. Each
//! function checks its declared access first; the rules of who may review, cancel, deploy
//! or break glass are the server's (`docs/deploys.md`), applied to the request as stored.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::deploys::{CreatedToken, DeployDetail, DeployOverview, TokenPage};

#[server(prefix = "/api", endpoint = "team_deploys", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_team_deploys(team: String) -> Result<DeployOverview, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_TEAM_DEPLOYS, Some(&team))?;
    super::ports::deploys()?.overview(&acting, &team).await
}

#[server(prefix = "/api", endpoint = "deploy_detail", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_deploy_detail(
    team: String,
    id: i64,
    #[server(default)] page: usize,
) -> Result<DeployDetail, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_DEPLOY_DETAIL, Some(&team))?;
    super::ports::deploys()?
        .detail(&acting, &team, id, page)
        .await
}

#[server(prefix = "/api", endpoint = "request_deploy", output = crate::functions::encoding::JsonAnswer)]
pub async fn request_deploy(
    team: String,
    #[server(default)] commit: String,
) -> Result<i64, AppError> {
    let acting = super::guard::require(super::ACCESS_REQUEST_DEPLOY, Some(&team))?;
    let commit = Some(commit.trim().to_string()).filter(|c| !c.is_empty());
    super::ports::deploys()?
        .request(&acting, &team, commit)
        .await
        .map(|opened| opened.id)
}

#[server(prefix = "/api", endpoint = "review_deploy", output = crate::functions::encoding::JsonAnswer)]
pub async fn review_deploy(
    team: String,
    id: i64,
    verdict: String,
    #[server(default)] comment: String,
    // The box inside the section of files beyond the team's paths: a checkbox, so the form
    // works without JavaScript, and it can only be ticked with the section open.
    #[server(default)] reviewed_outside: bool,
) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_REVIEW_DEPLOY, Some(&team))?;
    let approve = match verdict.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(AppError::Invalid("the verdict is approve or reject".into())),
    };
    super::ports::deploys()?
        .review(&acting, &team, id, approve, &comment, reviewed_outside)
        .await
}

#[server(prefix = "/api", endpoint = "cancel_deploy", output = crate::functions::encoding::JsonAnswer)]
pub async fn cancel_deploy(team: String, id: i64) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_CANCEL_DEPLOY, Some(&team))?;
    super::ports::deploys()?.cancel(&acting, &team, id).await
}

#[server(prefix = "/api", endpoint = "run_deploy", output = crate::functions::encoding::JsonAnswer)]
pub async fn run_deploy(team: String, id: i64) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_RUN_DEPLOY, Some(&team))?;
    super::ports::deploys()?.deploy(&acting, &team, id).await
}

#[server(prefix = "/api", endpoint = "break_glass_deploy", output = crate::functions::encoding::JsonAnswer)]
pub async fn break_glass_deploy(
    team: String,
    #[server(default)] commit: String,
    #[server(default)] reason: String,
) -> Result<i64, AppError> {
    let acting = super::guard::require(super::ACCESS_BREAK_GLASS_DEPLOY, Some(&team))?;
    let commit = Some(commit.trim().to_string()).filter(|c| !c.is_empty());
    super::ports::deploys()?
        .break_glass(&acting, &team, commit, &reason)
        .await
}

#[server(prefix = "/api", endpoint = "team_tokens", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_team_tokens(team: String) -> Result<TokenPage, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_TEAM_TOKENS, Some(&team))?;
    super::ports::deploys()?.tokens(&acting, &team).await
}

#[server(prefix = "/api", endpoint = "create_token", output = crate::functions::encoding::JsonAnswer)]
pub async fn create_token(
    team: String,
    name: String,
    #[server(default)] scope_request: bool,
    #[server(default)] scope_read: bool,
    #[server(default)] scope_team_read: bool,
    #[server(default)] days: u32,
) -> Result<CreatedToken, AppError> {
    let acting = super::guard::require(super::ACCESS_CREATE_TOKEN, Some(&team))?;
    // Checkboxes, so the form works without JavaScript.
    let scopes: Vec<String> = [
        (scope_request, "deploys:request"),
        (scope_read, "deploys:read"),
        (scope_team_read, "team:read"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, scope)| scope.to_string())
    .collect();
    super::ports::deploys()?
        .create_token(&acting, &team, &name, &scopes, days)
        .await
}

#[server(prefix = "/api", endpoint = "rotate_token", output = crate::functions::encoding::JsonAnswer)]
pub async fn rotate_token(team: String, id: i64) -> Result<CreatedToken, AppError> {
    let acting = super::guard::require(super::ACCESS_ROTATE_TOKEN, Some(&team))?;
    super::ports::deploys()?
        .rotate_token(&acting, &team, id)
        .await
}

#[server(prefix = "/api", endpoint = "revoke_token", output = crate::functions::encoding::JsonAnswer)]
pub async fn revoke_token(team: String, id: i64) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_REVOKE_TOKEN, Some(&team))?;
    super::ports::deploys()?
        .revoke_token(&acting, &team, id)
        .await
}
