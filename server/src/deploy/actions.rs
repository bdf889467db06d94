//! What people do to a request — review, cancel, deploy, break glass, review afterwards —
//! each checked by `policy` against the request as stored and the targets as they are, then
//! applied by one conditional statement in `store`. Callers pass the signed-in person and
//! their role in the request's team as the server resolved them; nothing else is trusted.

use hangar_app::models::TeamRole;

use super::blocking::blocking;
use super::engine::DeployEngine;
use super::error::DeployError;
use super::policy::{Person, Refusal, RequestFacts, RequestStatus, Reviewer, check_cancel};
use super::request::{Opened, Opening};
use super::store::{self, Reviewed, StoredRequest, Verdict};

/// A review comment longer than this is refused rather than cut.
pub const MAX_COMMENT: usize = 4000;

/// Someone acting on a team's deploys.
#[derive(Clone, Debug)]
pub struct Actor {
    pub person: Person,
    /// Their role in the team (a platform admin counts as the team's admin).
    pub role: Option<TeamRole>,
    /// When they last re-authenticated at the identity provider (break-glass).
    pub reauthenticated_ms: Option<i64>,
}

/// A request with what the rules need about it.
pub struct Loaded {
    pub request: StoredRequest,
    pub requester: Person,
    pub commit_people: Vec<super::policy::CommitPerson>,
    pub reviews: Vec<store::StoredReview>,
}

impl Loaded {
    pub fn facts(&self) -> RequestFacts<'_> {
        RequestFacts {
            status: self.request.status,
            requester: &self.requester,
            deployed: self.request.deployed.as_ref(),
            candidate: &self.request.candidate,
            commit_people: &self.commit_people,
            expires_at_ms: self.request.expires_ms,
        }
    }

    /// A break-glass deploy that went out, not yet reviewed by anyone.
    pub fn awaiting_review(&self) -> bool {
        self.request.break_glass_reason.is_some()
            && matches!(
                self.request.status,
                RequestStatus::Deploying | RequestStatus::Deployed | RequestStatus::Failed
            )
            && self.reviews.is_empty()
    }
}

impl DeployEngine {
    /// Request `id` of `team` with its people and reviews; another team's id is not found.
    pub async fn load(&self, team: &str, id: i64) -> Result<Loaded, DeployError> {
        self.team(team)?;
        let request = store::find(&self.db, team, id)
            .await?
            .ok_or(DeployError::NotFound)?;
        let requester = crate::users::person(&self.db, request.requester_id)
            .await?
            .ok_or_else(|| DeployError::Internal("a request's requester is missing".into()))?;
        Ok(Loaded {
            commit_people: store::commit_people(&self.db, id).await?,
            reviews: store::reviews(&self.db, id).await?,
            request,
            requester,
        })
    }

    /// Whether `actor` may review the request now; the refusal says why not.
    pub async fn may_review(
        &self,
        team: &str,
        loaded: &Loaded,
        actor: &Actor,
    ) -> Result<Result<(), Refusal>, DeployError> {
        let setup = self.team(team)?.clone();
        let policy = &setup.config.policy;
        let reviewer = Reviewer {
            person: &actor.person,
            role: actor.role,
        };
        if loaded.awaiting_review() || is_reviewable_afterwards(loaded) {
            return Ok(policy.check_reviewer(
                &loaded.requester,
                &loaded.commit_people,
                reviewer,
                &self.aliases,
            ));
        }
        let reading = setup.clone();
        let deployed_now = blocking(move || reading.deployed()).await?;
        Ok(policy.check_review(
            &loaded.facts(),
            &store::approvals(&loaded.reviews),
            reviewer,
            &self.aliases,
            self.now_ms(),
            deployed_now.as_ref(),
        ))
    }

    /// Approves or rejects; a break-glass deploy is reviewed afterwards the same way.
    /// Returns the request's status after it.
    pub async fn review(
        &self,
        team: &str,
        id: i64,
        actor: &Actor,
        approve: bool,
        comment: &str,
    ) -> Result<RequestStatus, DeployError> {
        let comment = comment.trim();
        if comment.chars().count() > MAX_COMMENT {
            return Err(DeployError::Invalid(format!(
                "a comment has at most {MAX_COMMENT} characters"
            )));
        }
        if !approve && comment.is_empty() {
            return Err(DeployError::Invalid(
                "say why you reject it: the requester reads your comment".into(),
            ));
        }
        let loaded = self.load(team, id).await?;
        self.may_review(team, &loaded, actor).await??;
        let verdict = if approve {
            Verdict::Approve
        } else {
            Verdict::Reject
        };
        let now = self.now_ms();
        let outcome = if is_reviewable_afterwards(&loaded) {
            store::review_after(
                &self.db,
                &loaded.request,
                actor.person.user_id,
                verdict,
                comment,
                now,
            )
            .await?
        } else {
            let min = self.team(team)?.config.policy.min_approvals;
            store::review(
                &self.db,
                &loaded.request,
                actor.person.user_id,
                verdict,
                comment,
                min,
                now,
            )
            .await?
        };
        match outcome {
            Reviewed::Recorded(status) => Ok(status),
            Reviewed::AlreadyReviewed => Err(Refusal::AlreadyApproved.into()),
            Reviewed::NotPending => Err(DeployError::Invalid(
                "this deploy changed while you reviewed it; look at it again".into(),
            )),
        }
    }

    /// The requester withdraws an open request.
    pub async fn cancel(&self, team: &str, id: i64, actor: &Actor) -> Result<(), DeployError> {
        let loaded = self.load(team, id).await?;
        check_cancel(&loaded.facts(), &actor.person)?;
        let cancelled = store::transition(
            &self.db,
            id,
            &[
                RequestStatus::Pending,
                RequestStatus::Approved,
                RequestStatus::Failed,
            ],
            RequestStatus::Cancelled,
            self.now_ms(),
        )
        .await?;
        if !cancelled {
            return Err(DeployError::Invalid(
                "this deploy is no longer open (it started or ended meanwhile)".into(),
            ));
        }
        Ok(())
    }

    /// Opens a deploy that needs no approvals: the actor holds the break-glass role, gave a
    /// reason, and re-authenticated at the identity provider moments ago.
    pub async fn break_glass(
        &self,
        team: &str,
        actor: &Actor,
        commit: Option<&str>,
        reason: &str,
    ) -> Result<Opened, DeployError> {
        let setup = self.team(team)?;
        setup.config.policy.check_break_glass(
            actor.role,
            reason,
            actor.reauthenticated_ms,
            self.now_ms(),
        )?;
        self.open(Opening {
            team,
            requester_id: actor.person.user_id,
            commit,
            break_glass_reason: Some(reason.trim()),
            token_id: None,
        })
        .await
    }
}

/// A break-glass deploy is reviewed after it went out, once.
fn is_reviewable_afterwards(loaded: &Loaded) -> bool {
    loaded.request.break_glass_reason.is_some()
        && matches!(
            loaded.request.status,
            RequestStatus::Deploying | RequestStatus::Deployed | RequestStatus::Failed
        )
}
