//! The server's side of `hangar_app::functions::ports::Deploys`: who is acting (their
//! person and role in the team, as the server resolved them), the engine's answer, the
//! audit entry, and the announcement that makes open pages refresh.

use std::sync::Arc;

use hangar_app::errors::AppError;
use hangar_app::functions::ports::{Caller, Deploys};
use hangar_app::models::deploys::{
    AwaitingReview, CommitRow, CreatedToken, DeployActions, DeployDetail, DeployOverview,
    DeploySummary, ReviewRow, TargetRow, TokenPage,
};
use hangar_app::models::{PlatformRole, TeamAction, TeamRole, Viewer};

use super::actions::{Actor, Loaded};
use super::engine::DeployEngine;
use super::error::DeployError;
use super::git::CommitInfo;
use super::policy::{BREAK_GLASS_REAUTH_WINDOW_MS, RequestStatus};
use super::request::Opening;
use super::summaries::{self, Listing};
use super::{changes, progress, store};
use crate::audit::{self, AuditEvent, Outcome};
use crate::identity::middleware::CurrentUser;
use crate::tokens;

/// History rows on the deploys page.
const HISTORY_SHOWN: i64 = 50;
/// Break-glass deploys awaiting review on the platform overview: the newest this many.
const AWAITING_REVIEW_SHOWN: i64 = 100;

pub struct DeployGateway {
    engine: Arc<DeployEngine>,
}

impl DeployGateway {
    pub fn new(engine: Arc<DeployEngine>) -> Self {
        Self { engine }
    }

    fn db(&self) -> &crate::db::Db {
        &self.engine.db
    }

    /// The signed-in person acting in `team`.
    async fn actor(&self, caller: &Caller, viewer: &Viewer, team: &str) -> Result<Actor, AppError> {
        let identity = caller
            .extensions
            .get::<CurrentUser>()
            .ok_or(AppError::Unauthenticated)?;
        let person = crate::users::person(self.db(), identity.0.user_id)
            .await
            .map_err(database)?
            .ok_or(AppError::Unauthenticated)?;
        Ok(Actor {
            person,
            role: team_role(viewer, team),
            reauthenticated_ms: identity.0.reauthenticated_ms,
        })
    }

    async fn record(
        &self,
        caller: &Caller,
        team: &str,
        action: &'static str,
        outcome: Outcome,
        target: String,
        detail: String,
    ) -> Result<(), AppError> {
        let actor = caller.extensions.get::<CurrentUser>().map(|c| c.0.actor());
        let event = AuditEvent::new(action, outcome)
            .actor(actor)
            .team(team.to_string())
            .target(target)
            .detail(detail)
            .request_id(crate::http::request_id(&caller.headers));
        audit::append(self.db(), self.engine.now_ms(), event)
            .await
            .map(|_| ())
            .map_err(database)
    }

    /// Audits a change that went through and tells open pages of the team to refresh.
    async fn changed(
        &self,
        caller: &Caller,
        team: &str,
        action: &'static str,
        target: String,
        detail: String,
    ) -> Result<(), AppError> {
        self.record(caller, team, action, Outcome::Success, target, detail)
            .await?;
        self.engine.announce(team).await;
        Ok(())
    }

    /// Audits a refusal by the rules (the role check before it is audited by the door).
    async fn refused<T>(
        &self,
        caller: &Caller,
        team: &str,
        action: &'static str,
        target: String,
        error: DeployError,
    ) -> Result<T, AppError> {
        if matches!(error, DeployError::Refused(_) | DeployError::Invalid(_)) {
            self.record(
                caller,
                team,
                action,
                Outcome::Denied,
                target,
                error.to_string(),
            )
            .await?;
        }
        Err(error.into())
    }

    async fn summary(&self, loaded: &Loaded) -> Result<DeploySummary, AppError> {
        let request = &loaded.request;
        let via_token = match request.token_id {
            Some(id) => tokens::name(self.db(), id).await.map_err(database)?,
            None => None,
        };
        let commits = store::commits(self.db(), request.id)
            .await
            .map_err(database)?
            .len();
        Ok(DeploySummary {
            id: request.id,
            status: request.status.as_str().to_string(),
            requester: loaded.requester.name.clone(),
            via_token,
            approvers: loaded
                .reviews
                .iter()
                .filter(|r| r.approve)
                .map(|r| r.name.clone())
                .collect(),
            deployed: request.deployed.as_ref().map(|c| c.to_string()),
            candidate: request.candidate.to_string(),
            commits,
            created_ms: request.created_ms,
            deployed_ms: request.deployed_ms,
            break_glass: request.break_glass_reason.is_some(),
            awaiting_review: loaded.awaiting_review(),
            confirmation: request.confirmation.clone(),
            confirmed_ms: request.confirmed_ms,
            failure: request.failure.clone(),
            hook_failure: request.hook_failure.clone(),
            step: request.step.clone(),
        })
    }

    /// Starts an approved request now if the team deploys on approval.
    async fn deploy_if_automatic(&self, team: &str, id: i64) {
        let automatic = self
            .engine
            .team(team)
            .is_ok_and(|setup| setup.config.auto_deploy);
        if automatic && let Err(error) = self.engine.start(team, id).await {
            tracing::info!(team, id, %error, "approved, not deployed yet");
        }
    }
}

/// The viewer's role in `team` as the deploy rules count it: a platform admin acts as the
/// team's admin; a platform auditor only reads.
fn team_role(viewer: &Viewer, team: &str) -> Option<TeamRole> {
    let grant = viewer.membership(team)?.grant;
    match grant.platform {
        Some(PlatformRole::Admin) => Some(TeamRole::Admin),
        _ => grant.role,
    }
}

fn database(error: sqlx::Error) -> AppError {
    DeployError::Database(error).into()
}

fn commit_row(commit: &CommitInfo) -> CommitRow {
    CommitRow {
        sha: commit.id.to_string(),
        author: commit.author_name.clone(),
        authored_ms: commit.authored_at_ms,
        subject: commit.subject.clone(),
    }
}

fn request_target(id: i64) -> String {
    format!("deploy/{id}")
}

/// The policy's state in words, for every status.
fn policy_state(engine: &DeployEngine, team: &str, loaded: &Loaded) -> Result<String, DeployError> {
    let setup = engine.team(team)?;
    let request = &loaded.request;
    let reviewers = |approve: bool| {
        loaded
            .reviews
            .iter()
            .filter(|r| r.approve == approve)
            .map(|r| r.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(reason) = &request.break_glass_reason {
        let review = if loaded.reviews.is_empty() {
            format!(
                "awaiting review by someone other than {} and the commit authors",
                loaded.requester.name
            )
        } else {
            format!(
                "reviewed afterwards by {}",
                reviewers(true) + &reviewers(false)
            )
        };
        return Ok(format!(
            "break-glass deploy by {} without approvals (\"{reason}\"); {review}",
            loaded.requester.name
        ));
    }
    Ok(match request.status {
        RequestStatus::Rejected => format!("rejected by {}", reviewers(false)),
        RequestStatus::Cancelled => format!("cancelled by {}", loaded.requester.name),
        RequestStatus::Superseded => "superseded by a newer request".into(),
        RequestStatus::Expired => "expired before it was deployed".into(),
        RequestStatus::Stale => format!(
            "stale: {}",
            request
                .failure
                .as_deref()
                .unwrap_or("the targets moved since it was requested")
        ),
        _ => setup
            .config
            .policy
            .describe(&loaded.facts(), &store::approvals(&loaded.reviews)),
    })
}

#[async_trait::async_trait]
impl Deploys for DeployGateway {
    async fn overview(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        team: &str,
    ) -> Result<DeployOverview, AppError> {
        let Ok(setup) = self.engine.team(team) else {
            return Ok(DeployOverview {
                team: team.to_string(),
                ..Default::default()
            });
        };
        let config = &setup.config;
        let state = self.engine.state(team).await?;
        let history: Vec<DeploySummary> = summaries::list(
            self.db(),
            Listing::Team {
                team,
                limit: HISTORY_SHOWN,
            },
        )
        .await
        .map_err(database)?
        .into_iter()
        .map(|listed| listed.summary)
        .collect();
        let reauthenticated = caller
            .extensions
            .get::<CurrentUser>()
            .and_then(|c| c.0.reauthenticated_ms)
            .is_some_and(|at| self.engine.now_ms() - at <= BREAK_GLASS_REAUTH_WINDOW_MS);
        Ok(DeployOverview {
            team: team.to_string(),
            configured: true,
            branch: config.branch.clone(),
            paths: config.paths.clone(),
            policy: format!(
                "{} approval{} from a team {} or above, not the requester nor an author of \
                 the commits",
                config.policy.min_approvals,
                if config.policy.min_approvals == 1 {
                    ""
                } else {
                    "s"
                },
                config.policy.approver_role.as_str()
            ),
            auto_deploy: config.auto_deploy,
            targets: state
                .targets
                .iter()
                .map(|(name, commit)| TargetRow {
                    name: name.clone(),
                    commit: commit.as_ref().map(|c| c.to_string()),
                })
                .collect(),
            deployed: state.deployed.as_ref().map(|c| c.to_string()),
            problem: state.problem,
            candidates: state.candidates.iter().map(commit_row).collect(),
            open: history.iter().find(|s| s.is_open()).cloned(),
            history,
            can_request: viewer.can(team, TeamAction::RequestDeploy),
            can_break_glass: viewer.can(team, TeamAction::BreakGlass),
            reauthenticated,
        })
    }

    async fn detail(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        team: &str,
        id: i64,
        page: usize,
    ) -> Result<DeployDetail, AppError> {
        let loaded = self.engine.load(team, id).await?;
        let setup = self.engine.team(team)?.clone();
        let request = &loaded.request;
        let (deployed, candidate) = (request.deployed.clone(), request.candidate.clone());
        let reading = setup.clone();
        let changes = super::request::blocking(move || {
            changes::read(&reading, deployed.as_ref(), &candidate, page)
        })
        .await?;
        let commits = store::commits(self.db(), id).await.map_err(database)?;
        let steps = progress::steps(self.db(), id).await.map_err(database)?;
        let mut actions = DeployActions::default();
        let actor = self.actor(caller, viewer, team).await?;
        if viewer.can(team, TeamAction::ApproveDeploy) {
            let reviewable = request.status == RequestStatus::Pending
                || (request.break_glass_reason.is_some() && loaded.awaiting_review());
            if reviewable {
                match self.engine.may_review(team, &loaded, &actor).await? {
                    Ok(()) => {
                        actions.review = request.status == RequestStatus::Pending;
                        actions.review_after = request.status != RequestStatus::Pending;
                    }
                    Err(refusal) => actions.review_refused = Some(refusal.to_string()),
                }
            }
        }
        if viewer.can(team, TeamAction::RequestDeploy) {
            actions.cancel =
                actor.person.user_id == request.requester_id && request.status.is_open();
            actions.deploy = request.status == RequestStatus::Failed
                || (request.status == RequestStatus::Approved && !setup.config.auto_deploy);
        }
        Ok(DeployDetail {
            team: team.to_string(),
            summary: self.summary(&loaded).await?,
            break_glass_reason: request.break_glass_reason.clone(),
            policy_state: policy_state(&self.engine, team, &loaded)?,
            commits: commits.iter().map(commit_row).collect(),
            files: changes.files,
            diffs: changes.diffs,
            page: changes.page,
            pages: changes.pages,
            reviews: loaded
                .reviews
                .iter()
                .map(|r| ReviewRow {
                    name: r.name.clone(),
                    approve: r.approve,
                    comment: r.comment.clone(),
                    at_ms: r.at_ms,
                })
                .collect(),
            steps,
            confirm_within_minutes: setup.config.confirm_within.as_secs() / 60,
            actions,
        })
    }

    async fn request(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        team: &str,
        commit: Option<String>,
    ) -> Result<i64, AppError> {
        let actor = self.actor(caller, viewer, team).await?;
        let opened = self
            .engine
            .open(Opening {
                team,
                requester_id: actor.person.user_id,
                commit: commit.as_deref(),
                break_glass_reason: None,
                token_id: None,
            })
            .await;
        let opened = match opened {
            Ok(opened) => opened,
            Err(error) => {
                return self
                    .refused(caller, team, "deploy.request", "deploy".into(), error)
                    .await;
            }
        };
        self.changed(
            caller,
            team,
            "deploy.request",
            request_target(opened.id),
            describe_opened(&opened),
        )
        .await?;
        Ok(opened.id)
    }

    async fn review(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        team: &str,
        id: i64,
        approve: bool,
        comment: &str,
    ) -> Result<(), AppError> {
        let actor = self.actor(caller, viewer, team).await?;
        let action = if approve {
            "deploy.approve"
        } else {
            "deploy.reject"
        };
        let status = match self.engine.review(team, id, &actor, approve, comment).await {
            Ok(status) => status,
            Err(error) => {
                return self
                    .refused(caller, team, action, request_target(id), error)
                    .await;
            }
        };
        self.changed(
            caller,
            team,
            action,
            request_target(id),
            format!("{comment} (request now {})", status.as_str()),
        )
        .await?;
        if status == RequestStatus::Approved {
            self.deploy_if_automatic(team, id).await;
        }
        Ok(())
    }

    async fn cancel(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        team: &str,
        id: i64,
    ) -> Result<(), AppError> {
        let actor = self.actor(caller, viewer, team).await?;
        if let Err(error) = self.engine.cancel(team, id, &actor).await {
            return self
                .refused(caller, team, "deploy.cancel", request_target(id), error)
                .await;
        }
        self.changed(
            caller,
            team,
            "deploy.cancel",
            request_target(id),
            String::new(),
        )
        .await?;
        Ok(())
    }

    async fn deploy(
        &self,
        caller: &Caller,
        _viewer: &Viewer,
        team: &str,
        id: i64,
    ) -> Result<(), AppError> {
        if let Err(error) = self.engine.start(team, id).await {
            return self
                .refused(caller, team, "deploy.start", request_target(id), error)
                .await;
        }
        self.record(
            caller,
            team,
            "deploy.start",
            Outcome::Success,
            request_target(id),
            String::new(),
        )
        .await
    }

    async fn break_glass(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        team: &str,
        commit: Option<String>,
        reason: &str,
    ) -> Result<i64, AppError> {
        let actor = self.actor(caller, viewer, team).await?;
        let opened = match self
            .engine
            .break_glass(team, &actor, commit.as_deref(), reason)
            .await
        {
            Ok(opened) => opened,
            Err(error) => {
                return self
                    .refused(caller, team, "deploy.break_glass", "deploy".into(), error)
                    .await;
            }
        };
        self.changed(
            caller,
            team,
            "deploy.break_glass",
            request_target(opened.id),
            format!("{}; reason: {}", describe_opened(&opened), reason.trim()),
        )
        .await?;
        if let Err(error) = self.engine.start(team, opened.id).await {
            // The request stays approved; the worker deploys it on its next sweep.
            tracing::warn!(team, id = opened.id, %error, "break-glass deploy not started yet");
        }
        Ok(opened.id)
    }

    async fn awaiting_review(&self, viewer: &Viewer) -> Result<Vec<AwaitingReview>, AppError> {
        let listed = summaries::list(
            self.db(),
            Listing::BreakGlassAwaitingReview {
                limit: AWAITING_REVIEW_SHOWN,
            },
        )
        .await
        .map_err(database)?;
        // Only teams the viewer can see (and that still exist in the configuration).
        Ok(listed
            .into_iter()
            .filter(|listed| viewer.membership(&listed.team).is_some())
            .map(|listed| AwaitingReview {
                team: listed.team,
                reason: listed.break_glass_reason.unwrap_or_default(),
                summary: listed.summary,
            })
            .collect())
    }

    async fn tokens(&self, _viewer: &Viewer, team: &str) -> Result<TokenPage, AppError> {
        Ok(TokenPage {
            team: team.to_string(),
            tokens: tokens::list(self.db(), team).await.map_err(database)?,
        })
    }

    async fn create_token(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        team: &str,
        name: &str,
        scopes: &[String],
        days: u32,
    ) -> Result<CreatedToken, AppError> {
        tokens::validate(name, scopes, days).map_err(|e| AppError::Invalid(e.to_string()))?;
        let actor = self.actor(caller, viewer, team).await?;
        let now = self.engine.now_ms();
        let expires_ms = now + i64::from(days) * 24 * 60 * 60 * 1000;
        let (id, secret) = tokens::create(
            self.db(),
            tokens::NewToken {
                team,
                name,
                scopes,
                created_by: actor.person.user_id,
                now_ms: now,
                expires_ms,
            },
        )
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
        self.record(
            caller,
            team,
            "token.create",
            Outcome::Success,
            format!("token/{id}"),
            format!(
                "{} ({}), expires in {days} days",
                name.trim(),
                scopes.join(" ")
            ),
        )
        .await?;
        let row = tokens::list(self.db(), team)
            .await
            .map_err(database)?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| AppError::Internal("token".into()))?;
        Ok(CreatedToken { row, secret })
    }

    async fn revoke_token(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        team: &str,
        id: i64,
    ) -> Result<(), AppError> {
        let actor = self.actor(caller, viewer, team).await?;
        let revoked = tokens::revoke(
            self.db(),
            team,
            id,
            actor.person.user_id,
            self.engine.now_ms(),
        )
        .await
        .map_err(database)?
        .ok_or(AppError::NotFound)?;
        self.record(
            caller,
            team,
            "token.revoke",
            Outcome::Success,
            format!("token/{id}"),
            revoked,
        )
        .await
    }
}

/// "abc1234 → def5678: 3 commits, 12 files; supersedes #4", for the audit log.
pub fn describe_opened(opened: &super::request::Opened) -> String {
    let mut text = format!(
        "{} → {}: {} commit{}, {} file{}",
        super::engine::short(opened.deployed.as_ref()),
        opened.candidate.short(),
        opened.commits.len(),
        if opened.commits.len() == 1 { "" } else { "s" },
        opened.files,
        if opened.files == 1 { "" } else { "s" },
    );
    if !opened.superseded.is_empty() {
        let ids: Vec<String> = opened.superseded.iter().map(|i| format!("#{i}")).collect();
        text.push_str(&format!("; supersedes {}", ids.join(", ")));
    }
    text
}
