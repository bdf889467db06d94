//! The app's `Deploys` port (pages, server functions and the JSON API alike): who is acting
//! (their person and role in the team, from the request's `Acting`), the engine's answer
//! (`deploy/`), the audit entry, and the announcement that makes open pages refresh.

use std::sync::Arc;

use hangar_app::errors::AppError;
use hangar_app::functions::ports::{Acting, Deploys};
use hangar_app::models::deploys::{
    AwaitingReview, CommitPersonRow, CommitRow, CreatedToken, DeployActions, DeployDetail,
    DeployOverview, DeploySummary, DeployedNow, OpenedDeploy, ReviewRow, TargetRow, TokenPage,
    WaitingReview,
};
use hangar_app::models::{TeamAction, TeamRole, Viewer};

use crate::audit::{self, AuditEvent, Outcome};
use crate::deploy::actions::{Actor, Loaded, TargetsRead, named_people};
use crate::deploy::blocking::blocking;
use crate::deploy::engine::DeployEngine;
use crate::deploy::error::DeployError;
use crate::deploy::git::CommitInfo;
use crate::deploy::notify::Event;
use crate::deploy::policy::{
    Authorship, BREAK_GLASS_REAUTH_WINDOW_MS, IncludedCommit, RequestStatus, Reviewer, Signature,
};
use crate::deploy::request::{Opened, Opening};
use crate::deploy::summaries::{self, Listing};
use crate::deploy::{changes, progress, store};
use crate::tokens;

/// History rows on the deploys page.
const HISTORY_SHOWN: i64 = 50;
/// The newest requests the JSON API lists.
const HISTORY_LISTED: i64 = 100;
/// Break-glass deploys awaiting review on the platform overview: the newest this many.
const AWAITING_REVIEW_SHOWN: i64 = 100;

pub struct DeployGateway {
    engine: Arc<DeployEngine>,
}

impl DeployGateway {
    /// [`Deploys::waiting_for_review`], with its errors.
    async fn read_waiting_for_review(
        &self,
        acting: &Acting,
    ) -> Result<Vec<WaitingReview>, AppError> {
        // Every page's header asks, so the common answer ("none open") costs one query: the
        // open requests of the teams the viewer reviews for, and the person only when there
        // is one to judge.
        let reviews_for: Vec<&str> = acting
            .viewer
            .teams
            .iter()
            .map(|membership| membership.team.as_str())
            .filter(|team| acting.viewer.can(team, TeamAction::ApproveDeploy))
            .filter(|team| self.engine.team(team).is_ok())
            .collect();
        let open =
            store::in_status_of_teams(self.db(), &reviews_for, &[RequestStatus::Pending]).await?;
        let mut waiting = Vec::new();
        if open.is_empty() {
            return Ok(waiting);
        }
        let Some(person) = crate::users::person(self.db(), acting.user_id).await? else {
            return Ok(waiting);
        };
        for request in open {
            let team = request.team.as_str();
            let (Some(membership), Ok(setup)) =
                (acting.viewer.membership(team), self.engine.team(team))
            else {
                continue;
            };
            let loaded = self.engine.load(team, request.id).await?;
            let reviewer = Reviewer {
                person: &person,
                role: membership.grant.acting_role(),
            };
            let reviewed = loaded
                .reviews
                .iter()
                .any(|r| r.user_id == person.user_id && r.void_reason.is_none());
            if !reviewed
                && setup
                    .config
                    .policy
                    .check_reviewer(&loaded.facts(), reviewer)
                    .is_ok()
            {
                waiting.push(WaitingReview {
                    team: team.to_string(),
                    id: request.id,
                });
            }
        }
        Ok(waiting)
    }

    pub fn new(engine: Arc<DeployEngine>) -> Self {
        Self { engine }
    }

    fn db(&self) -> &crate::db::Db {
        &self.engine.db
    }

    /// A token just created or rotated, as its team's list shows it, with its new secret.
    async fn created_token(
        &self,
        team: &str,
        id: i64,
        secret: String,
    ) -> Result<CreatedToken, AppError> {
        let row = tokens::list(self.db(), self.engine.grants(), team)
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| crate::error::ServerError::Unexpected(format!("token {id} vanished")))?;
        Ok(CreatedToken { row, secret })
    }

    /// The person acting in `team` (a token: its own user).
    async fn actor(&self, acting: &Acting, team: &str) -> Result<Actor, AppError> {
        let person = crate::users::person(self.db(), acting.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok(Actor {
            person,
            role: team_role(&acting.viewer, team),
            reauthenticated_ms: acting.reauthenticated_ms,
        })
    }

    async fn record(
        &self,
        acting: &Acting,
        team: &str,
        action: &'static str,
        outcome: Outcome,
        target: String,
        detail: String,
    ) -> Result<(), AppError> {
        let event = AuditEvent::by(acting, action, outcome)
            .team(team.to_string())
            .target(target)
            .detail(detail);
        audit::append(self.db(), self.engine.now_ms(), event).await?;
        Ok(())
    }

    /// Audits a change that went through and tells open pages of the team to refresh.
    async fn changed(
        &self,
        acting: &Acting,
        team: &str,
        action: &'static str,
        target: String,
        detail: String,
    ) -> Result<(), AppError> {
        self.record(acting, team, action, Outcome::Success, target, detail)
            .await?;
        self.engine.announce(team).await;
        Ok(())
    }

    /// Audits a refusal by the rules (the role check before it is audited by the door).
    async fn refused<T>(
        &self,
        acting: &Acting,
        team: &str,
        action: &'static str,
        target: String,
        error: DeployError,
    ) -> Result<T, AppError> {
        if matches!(error, DeployError::Refused(_) | DeployError::Invalid(_)) {
            self.record(
                acting,
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

    async fn summary_of(&self, loaded: &Loaded) -> Result<DeploySummary, AppError> {
        let request = &loaded.request;
        let via_token = match request.token_id {
            Some(id) => tokens::name(self.db(), id).await?,
            None => None,
        };
        let commits = store::commits(self.db(), request.id).await?.len();
        Ok(DeploySummary {
            id: request.id,
            status: request.status.as_str().to_string(),
            requester: loaded.requester.name.clone(),
            via_token,
            approvers: store::approvals(&loaded.reviews)
                .into_iter()
                .map(|a| a.name)
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
    viewer.membership(team)?.grant.acting_role()
}

/// A candidate on the deploys page.
fn commit_row(commit: &CommitInfo) -> CommitRow {
    CommitRow {
        sha: commit.id.to_string(),
        author: commit.author_name.clone(),
        authored_ms: commit.authored_at_ms,
        subject: commit.subject.clone(),
        people: Vec::new(),
        signature: None,
        signature_ok: false,
    }
}

/// An included commit on the approval screen: who it names with whether a Hangar user
/// verified each address, and who signed it.
fn reviewed_commit_row(
    engine: &DeployEngine,
    loaded: &Loaded,
    commit: &CommitInfo,
    included: &IncludedCommit,
) -> CommitRow {
    let people = named_people(commit)
        .into_iter()
        .map(|named| CommitPersonRow {
            role: named.role.as_str().to_string(),
            verified_as: loaded
                .directory
                .owners_of(engine.aliases(), &named.email)
                .into_iter()
                .map(|owner| owner.name)
                .collect(),
            name: named.name,
            email: named.email,
        })
        .collect();
    let (signature, signature_ok) = match &included.signature {
        Signature::Unchecked => (None, false),
        Signature::Unsigned => (Some("not signed".to_string()), false),
        Signature::Bad => (Some("signature does not verify".to_string()), false),
        Signature::UnknownKey { fingerprint } => (
            Some(format!(
                "signed with {fingerprint}, a key nobody registered"
            )),
            false,
        ),
        Signature::RevokedKey { fingerprint } => (
            Some(format!("signed with {fingerprint}, a key since revoked")),
            false,
        ),
        Signature::Good { fingerprint, owner } => (
            Some(format!("signed by {} ({fingerprint})", owner.name)),
            true,
        ),
    };
    CommitRow {
        people,
        signature,
        signature_ok,
        ..commit_row(commit)
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
            .filter(|r| r.approve == approve && r.void_reason.is_none())
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
    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn overview(&self, acting: &Acting, team: &str) -> Result<DeployOverview, AppError> {
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
        .await?
        .into_iter()
        .map(|listed| listed.summary)
        .collect();
        let reauthenticated = acting
            .reauthenticated_ms
            .is_some_and(|at| self.engine.now_ms() - at <= BREAK_GLASS_REAUTH_WINDOW_MS);
        Ok(DeployOverview {
            team: team.to_string(),
            configured: true,
            branch: config.branch.clone(),
            paths: config.paths.clone(),
            policy: format!(
                "{} approval{} from a team {} or above, not the requester (nor whoever created \
                 or rotated the token that requested it) nor an author of the commits, {}",
                config.policy.min_approvals,
                if config.policy.min_approvals == 1 {
                    ""
                } else {
                    "s"
                },
                config.policy.approver_role.as_str(),
                match config.policy.authorship {
                    Authorship::Signatures => {
                        "the authors being the owners of the keys that signed them"
                    }
                    Authorship::Emails => "the authors being whoever the commits name",
                }
            ),
            authorship: config.policy.authorship.as_str().to_string(),
            notification_problems: self.engine.notification_problems(team).await?,
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
            can_request: acting.viewer.can(team, TeamAction::RequestDeploy),
            can_break_glass: acting.viewer.can(team, TeamAction::BreakGlass),
            reauthenticated,
        })
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn deployed_now(
        &self,
        acting: &Acting,
        team: &str,
    ) -> Result<Option<DeployedNow>, AppError> {
        // The server function checked already; a door that reads a team's targets checks
        // again rather than trust every future caller.
        if !acting.viewer.can(team, TeamAction::View) {
            return Err(AppError::NotFound);
        }
        if self.engine.team(team).is_err() {
            return Ok(None);
        }
        let now = match self.engine.holdings(team).await {
            Ok(holdings) => DeployedNow {
                targets: holdings
                    .into_iter()
                    .map(|(name, commit)| TargetRow {
                        name,
                        commit: commit.map(|c| c.to_string()),
                    })
                    .collect(),
                problem: None,
            },
            // As on the deploys page: the team's own target failed, so the cause is theirs.
            Err(error) if error.is_repository_or_target() => DeployedNow {
                targets: Vec::new(),
                problem: Some(error.to_string()),
            },
            // Anything else is Hangar's own failure: logged, and the home still shows.
            Err(other) => {
                tracing::warn!(request_id = %acting.request_id, error = %other, "deploy targets not read");
                DeployedNow {
                    targets: Vec::new(),
                    problem: Some(
                        "What the targets hold could not be read; the server logged why.".into(),
                    ),
                }
            }
        };
        Ok(Some(now))
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn detail(
        &self,
        acting: &Acting,
        team: &str,
        id: i64,
        page: usize,
    ) -> Result<DeployDetail, AppError> {
        let loaded = self.engine.load(team, id).await?;
        let setup = self.engine.team(team)?.clone();
        let request = &loaded.request;
        let (deployed, candidate) = (request.deployed.clone(), request.candidate.clone());
        let reading = setup.clone();
        let changes =
            blocking(move || changes::read(&reading, deployed.as_ref(), &candidate, page)).await?;
        let steps = progress::steps(self.db(), id).await?;
        let mut actions = DeployActions::default();
        let actor = self.actor(acting, team).await?;
        if acting.viewer.can(team, TeamAction::ApproveDeploy) {
            let reviewable = request.status == RequestStatus::Pending
                || (request.break_glass_reason.is_some() && loaded.awaiting_review());
            if reviewable {
                match self
                    .engine
                    .may_review(team, &loaded, &actor, TargetsRead::AsShown)
                    .await?
                {
                    Ok(()) => {
                        actions.review = request.status == RequestStatus::Pending;
                        actions.review_after = request.status != RequestStatus::Pending;
                    }
                    Err(refusal) => actions.review_refused = Some(refusal.to_string()),
                }
            }
        }
        if acting.viewer.can(team, TeamAction::RequestDeploy) {
            actions.cancel =
                actor.person.user_id == request.requester_id && request.status.is_open();
            actions.deploy = request.status == RequestStatus::Failed
                || (request.status == RequestStatus::Approved && !setup.config.auto_deploy);
        }
        Ok(DeployDetail {
            team: team.to_string(),
            summary: self.summary_of(&loaded).await?,
            break_glass_reason: request.break_glass_reason.clone(),
            policy_state: policy_state(&self.engine, team, &loaded)?,
            commits: loaded
                .commits
                .iter()
                .zip(&loaded.included)
                .map(|(commit, included)| {
                    reviewed_commit_row(&self.engine, &loaded, commit, included)
                })
                .collect(),
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
                    void_reason: r.void_reason.clone(),
                })
                .collect(),
            steps,
            confirm_within_minutes: setup.config.confirm_within.as_secs() / 60,
            actions,
            authorship: setup.config.policy.authorship.as_str().to_string(),
            outside_files: request.outside_files,
            returned: request
                .failure
                .clone()
                .filter(|_| request.status == RequestStatus::Pending),
        })
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn history(&self, acting: &Acting, team: &str) -> Result<Vec<DeploySummary>, AppError> {
        self.engine.team(team)?;
        let listed = summaries::list(
            self.db(),
            Listing::Team {
                team,
                limit: HISTORY_LISTED,
            },
        )
        .await?;
        Ok(listed.into_iter().map(|listed| listed.summary).collect())
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn summary(
        &self,
        acting: &Acting,
        team: &str,
        id: i64,
    ) -> Result<DeploySummary, AppError> {
        self.engine.team(team)?;
        let loaded = self.engine.load(team, id).await?;
        self.summary_of(&loaded).await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn request(
        &self,
        acting: &Acting,
        team: &str,
        commit: Option<String>,
    ) -> Result<OpenedDeploy, AppError> {
        let actor = self.actor(acting, team).await?;
        let opened = self
            .engine
            .open(Opening {
                team,
                requester_id: actor.person.user_id,
                commit: commit.as_deref(),
                break_glass_reason: None,
                token_id: acting.token.as_ref().map(|token| token.id),
                token_creator_id: acting.token.as_ref().map(|token| token.creator_id),
                token_rotator_id: acting.token.as_ref().and_then(|token| token.rotated_by),
            })
            .await;
        let opened = match opened {
            Ok(opened) => opened,
            Err(error) => {
                return self
                    .refused(acting, team, "deploy.request", "deploy".into(), error)
                    .await;
            }
        };
        self.changed(
            acting,
            team,
            "deploy.request",
            request_target(opened.id),
            describe_opened(&opened),
        )
        .await?;
        self.engine.notify(team, opened.id, Event::Opened).await;
        Ok(opened_deploy(&opened))
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn review(
        &self,
        acting: &Acting,
        team: &str,
        id: i64,
        approve: bool,
        comment: &str,
        opened_outside: bool,
    ) -> Result<(), AppError> {
        let actor = self.actor(acting, team).await?;
        let action = if approve {
            "deploy.approve"
        } else {
            "deploy.reject"
        };
        let status = match self
            .engine
            .review(team, id, &actor, approve, comment, opened_outside)
            .await
        {
            Ok(status) => status,
            Err(error) => {
                return self
                    .refused(acting, team, action, request_target(id), error)
                    .await;
            }
        };
        self.changed(
            acting,
            team,
            action,
            request_target(id),
            format!("{comment} (request now {})", status.as_str()),
        )
        .await?;
        match status {
            RequestStatus::Approved => {
                self.engine.notify(team, id, Event::Approved).await;
                self.deploy_if_automatic(team, id).await;
            }
            RequestStatus::Rejected => self.engine.notify(team, id, Event::Rejected).await,
            _ => {}
        }
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn cancel(&self, acting: &Acting, team: &str, id: i64) -> Result<(), AppError> {
        let actor = self.actor(acting, team).await?;
        if let Err(error) = self.engine.cancel(team, id, &actor).await {
            return self
                .refused(acting, team, "deploy.cancel", request_target(id), error)
                .await;
        }
        self.changed(
            acting,
            team,
            "deploy.cancel",
            request_target(id),
            String::new(),
        )
        .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn deploy(&self, acting: &Acting, team: &str, id: i64) -> Result<(), AppError> {
        let actor = self.actor(acting, team).await?;
        if let Err(error) = self.engine.run_by(team, id, &actor).await {
            return self
                .refused(acting, team, "deploy.start", request_target(id), error)
                .await;
        }
        self.record(
            acting,
            team,
            "deploy.start",
            Outcome::Success,
            request_target(id),
            String::new(),
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn break_glass(
        &self,
        acting: &Acting,
        team: &str,
        commit: Option<String>,
        reason: &str,
    ) -> Result<i64, AppError> {
        let actor = self.actor(acting, team).await?;
        let opened = match self
            .engine
            .break_glass(team, &actor, commit.as_deref(), reason)
            .await
        {
            Ok(opened) => opened,
            Err(error) => {
                return self
                    .refused(acting, team, "deploy.break_glass", "deploy".into(), error)
                    .await;
            }
        };
        self.changed(
            acting,
            team,
            "deploy.break_glass",
            request_target(opened.id),
            format!("{}; reason: {}", describe_opened(&opened), reason.trim()),
        )
        .await?;
        self.engine.notify(team, opened.id, Event::BreakGlass).await;
        if let Err(error) = self.engine.start(team, opened.id).await {
            // The request stays approved; the worker deploys it on its next sweep.
            tracing::warn!(team, id = opened.id, %error, "break-glass deploy not started yet");
        }
        Ok(opened.id)
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id))]
    async fn awaiting_review(&self, acting: &Acting) -> Result<Vec<AwaitingReview>, AppError> {
        let listed = summaries::list(
            self.db(),
            Listing::BreakGlassAwaitingReview {
                limit: AWAITING_REVIEW_SHOWN,
            },
        )
        .await?;
        // Only teams the viewer can see (and that still exist in the configuration).
        Ok(listed
            .into_iter()
            .filter(|listed| acting.viewer.membership(&listed.team).is_some())
            .map(|listed| AwaitingReview {
                team: listed.team,
                reason: listed.break_glass_reason.unwrap_or_default(),
                summary: listed.summary,
            })
            .collect())
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn tokens(&self, acting: &Acting, team: &str) -> Result<TokenPage, AppError> {
        Ok(TokenPage {
            team: team.to_string(),
            tokens: tokens::list(self.db(), self.engine.grants(), team).await?,
        })
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn create_token(
        &self,
        acting: &Acting,
        team: &str,
        name: &str,
        scopes: &[String],
        days: u32,
    ) -> Result<CreatedToken, AppError> {
        tokens::validate(name, scopes, days).map_err(|e| AppError::Invalid(e.to_string()))?;
        let actor = self.actor(acting, team).await?;
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
        .map_err(|error| match error {
            tokens::TokenError::Invalid(message) => AppError::Invalid(message),
            tokens::TokenError::Server(error) => error.into(),
        })?;
        self.record(
            acting,
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
        self.created_token(team, id, secret).await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn revoke_token(&self, acting: &Acting, team: &str, id: i64) -> Result<(), AppError> {
        let actor = self.actor(acting, team).await?;
        let revoked = tokens::revoke(
            self.db(),
            team,
            id,
            actor.person.user_id,
            self.engine.now_ms(),
        )
        .await?
        .ok_or(AppError::NotFound)?;
        self.record(
            acting,
            team,
            "token.revoke",
            Outcome::Success,
            format!("token/{id}"),
            revoked,
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn rotate_token(
        &self,
        acting: &Acting,
        team: &str,
        id: i64,
    ) -> Result<CreatedToken, AppError> {
        let actor = self.actor(acting, team).await?;
        let (name, secret) = tokens::rotate(
            self.db(),
            team,
            id,
            actor.person.user_id,
            self.engine.now_ms(),
        )
        .await?
        .ok_or_else(|| {
            AppError::Invalid("this team has no such live token (revoked or expired?)".into())
        })?;
        self.record(
            acting,
            team,
            "token.rotate",
            Outcome::Success,
            format!("token/{id}"),
            format!("{name}: a new secret; the old one no longer works"),
        )
        .await?;
        self.created_token(team, id, secret).await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id))]
    async fn waiting_for_review(&self, acting: &Acting) -> Vec<WaitingReview> {
        self.read_waiting_for_review(acting)
            .await
            .inspect_err(|error| {
                tracing::warn!(request_id = %acting.request_id, %error, "review queue not read");
            })
            .unwrap_or_default()
    }
}

/// What the caller learns of a request they opened.
fn opened_deploy(opened: &Opened) -> OpenedDeploy {
    OpenedDeploy {
        id: opened.id,
        deployed: opened.deployed.as_ref().map(|c| c.to_string()),
        candidate: opened.candidate.to_string(),
        commits: opened.commits.iter().map(|c| c.id.to_string()).collect(),
        files: opened.files,
    }
}

/// "abc1234 → def5678: 3 commits, 12 files; supersedes #4", for the audit log.
pub fn describe_opened(opened: &Opened) -> String {
    let mut text = format!(
        "{} → {}: {} commit{}, {} file{}",
        crate::deploy::engine::short(opened.deployed.as_ref()),
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
