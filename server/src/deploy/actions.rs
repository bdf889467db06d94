//! What people do to a request — review, cancel, deploy, break glass, review afterwards —
//! each checked by `policy` against the request as stored and the facts as they are now
//! (who owns the keys that signed its commits, which addresses people have verified, what
//! the targets hold), then applied by one conditional statement in `store`. Callers pass the
//! signed-in person and their role in the request's team as the server resolved them;
//! nothing else is trusted.

use std::collections::BTreeSet;
use std::sync::Arc;

use hangar_app::models::TeamRole;

use super::blocking::blocking;
use super::commit::{CommitId, SignatureStatus};
use super::engine::DeployEngine;
use super::error::DeployError;
use super::git::CommitInfo;
use super::policy::{
    Authors, CommitPerson, Directory, IncludedCommit, NamedAs, Owner, Person, Refusal,
    RequestFacts, RequestStatus, Reviewer, Signature, TokenHolder, TokenHolding, check_cancel,
    check_outside_opened,
};
use super::request::{Opened, Opening};
use super::store::{self, Reviewed, StoredRequest, Verdict};
use super::team::{TargetState, TeamDeploy};

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

/// A request with what the rules need about it, read now.
pub struct Loaded {
    pub request: StoredRequest,
    pub requester: Person,
    /// The included commits as stored when the request was made.
    pub commits: Vec<CommitInfo>,
    /// The same commits with their people and the signing keys' owners as they are now.
    pub included: Vec<IncludedCommit>,
    pub token_holders: Vec<TokenHolder>,
    /// Who stands behind the addresses the commits name.
    pub directory: Directory,
    /// The people behind the commits under the team's rule.
    pub authors: Authors,
    pub reviews: Vec<store::StoredReview>,
}

impl Loaded {
    pub fn facts(&self) -> RequestFacts<'_> {
        RequestFacts {
            status: self.request.status,
            requester: &self.requester,
            token_holders: &self.token_holders,
            deployed: self.request.deployed.as_ref(),
            candidate: &self.request.candidate,
            authors: &self.authors,
            expires_at_ms: self.request.expires_ms,
            outside_files: self.request.outside_files,
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

/// Who a commit names, as typed by its committer.
pub fn named_people(commit: &CommitInfo) -> Vec<CommitPerson> {
    let mut people = vec![
        CommitPerson {
            role: NamedAs::Author,
            name: commit.author_name.clone(),
            email: commit.author_email.clone(),
        },
        CommitPerson {
            role: NamedAs::Committer,
            name: commit.committer_name.clone(),
            email: commit.committer_email.clone(),
        },
    ];
    people.extend(commit.co_authors.iter().map(|(name, email)| CommitPerson {
        role: NamedAs::CoAuthor,
        name: name.clone(),
        email: email.clone(),
    }));
    people
}

impl DeployEngine {
    /// Request `id` of `team` with its people and reviews; another team's id is not found.
    pub async fn load(&self, team: &str, id: i64) -> Result<Loaded, DeployError> {
        let setup = self.team(team)?;
        let request = store::find(&self.db, team, id)
            .await?
            .ok_or(DeployError::NotFound)?;
        let requester = crate::users::person(&self.db, request.requester_id)
            .await?
            .ok_or_else(|| DeployError::Internal("a request's requester is missing".into()))?;
        let commits = store::commits(&self.db, id).await?;

        // The owners of the keys that signed, as they stand now: a key revoked since no
        // longer vouches for anyone.
        let key_ids: Vec<i64> = commits
            .iter()
            .filter_map(|c| c.signature.key_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let keys = crate::signing_keys::with_owners(&self.db, &key_ids).await?;
        let included: Vec<IncludedCommit> = commits
            .iter()
            .map(|commit| {
                let fingerprint = commit.signature.fingerprint.clone().unwrap_or_default();
                let signature = match commit.signature.status {
                    SignatureStatus::Unchecked => Signature::Unchecked,
                    SignatureStatus::Unsigned => Signature::Unsigned,
                    SignatureStatus::Bad => Signature::Bad,
                    SignatureStatus::UnknownKey => Signature::UnknownKey { fingerprint },
                    SignatureStatus::Good => {
                        match commit.signature.key_id.and_then(|key| keys.get(&key)) {
                            Some((key, _)) if key.revoked_ms.is_some() => {
                                Signature::RevokedKey { fingerprint }
                            }
                            Some((key, name)) => Signature::Good {
                                fingerprint,
                                owner: Owner {
                                    user_id: key.user_id,
                                    name: name.clone(),
                                },
                            },
                            None => Signature::UnknownKey { fingerprint },
                        }
                    }
                };
                IncludedCommit {
                    id: commit.id.clone(),
                    people: named_people(commit),
                    signature,
                }
            })
            .collect();

        let addresses: BTreeSet<String> = included
            .iter()
            .flat_map(|c| c.people.iter())
            .flat_map(|p| self.aliases.addresses(&p.email))
            .collect();
        let directory = crate::users::directory(&self.db, &addresses).await?;
        let mut token_holders = Vec::new();
        for (user, holds) in [
            (request.token_creator_id, TokenHolding::Created),
            (request.token_rotator_id, TokenHolding::Rotated),
        ] {
            if let Some(person) = match user {
                Some(id) => crate::users::owner(&self.db, id).await?,
                None => None,
            } && !token_holders
                .iter()
                .any(|h: &TokenHolder| h.person.user_id == person.user_id)
            {
                token_holders.push(TokenHolder { person, holds });
            }
        }
        let authors = setup
            .config
            .policy
            .authors(&included, &self.aliases, &directory);
        Ok(Loaded {
            reviews: store::reviews(&self.db, id).await?,
            request,
            requester,
            commits,
            included,
            token_holders,
            directory,
            authors,
        })
    }

    /// Whether `actor` may review the request now; the refusal says why not. `targets`: how
    /// what is deployed now is read.
    pub async fn may_review(
        &self,
        team: &str,
        loaded: &Loaded,
        actor: &Actor,
        targets: TargetsRead,
    ) -> Result<Result<(), Refusal>, DeployError> {
        let setup = self.team(team)?.clone();
        let deployed_now = match targets {
            _ if !needs_deployed_now(loaded) => None,
            TargetsRead::Now => {
                let reading = setup.clone();
                blocking(move || reading.deployed()).await?
            }
            // Unreadable now: the commit the request was opened against (the review checks
            // again); targets that disagree: as the live check says.
            TargetsRead::AsShown => match setup.holdings().await {
                Ok(holdings) => {
                    let commits = holdings.into_iter().map(|(_, c)| c).collect();
                    match TargetState::of(commits) {
                        TargetState::Agreed(commit) => commit,
                        TargetState::Split(commits) => {
                            return Err(DeployError::TargetsDisagree(
                                setup.describe_split(&commits),
                            ));
                        }
                    }
                }
                Err(_) => loaded.request.deployed.clone(),
            },
        };
        Ok(self.check_reviewer(&setup, loaded, actor, deployed_now.as_ref()))
    }

    fn check_reviewer(
        &self,
        setup: &TeamDeploy,
        loaded: &Loaded,
        actor: &Actor,
        deployed_now: Option<&CommitId>,
    ) -> Result<(), Refusal> {
        let policy = &setup.config.policy;
        let reviewer = Reviewer {
            person: &actor.person,
            role: actor.role,
        };
        if !needs_deployed_now(loaded) {
            return policy.check_reviewer_afterwards(&loaded.facts(), reviewer);
        }
        policy.check_review(
            &loaded.facts(),
            &store::approvals(&loaded.reviews),
            reviewer,
            self.now_ms(),
            deployed_now,
        )
    }

    /// Approves or rejects; a break-glass deploy is reviewed afterwards the same way.
    /// Approving a request whose ref target receives files beyond the team's paths needs
    /// `opened_outside`: the reviewer opened that section and ticked its box. Returns the
    /// request's status after it.
    pub async fn review(
        &self,
        team: &str,
        id: i64,
        actor: &Actor,
        approve: bool,
        comment: &str,
        opened_outside: bool,
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
        self.may_review(team, &loaded, actor, TargetsRead::Now)
            .await??;
        let verdict = if approve {
            check_outside_opened(loaded.request.outside_files, opened_outside)?;
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
            let required = self.team(team)?.config.policy.required(&loaded.authors);
            store::review(
                &self.db,
                &loaded.request,
                actor.person.user_id,
                verdict,
                comment,
                required,
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
            token_creator_id: None,
            token_rotator_id: None,
        })
        .await
    }

    /// Someone clicks "deploy" (an approved request of a team that deploys on a click) or
    /// "retry" (a failed one), in the background. Starting a failed break-glass deploy again
    /// deploys without approvals too, so it needs what breaking glass needs: the role and a
    /// fresh sign-in at the identity provider.
    pub async fn run_by(
        self: &Arc<Self>,
        team: &str,
        id: i64,
        actor: &Actor,
    ) -> Result<(), DeployError> {
        let setup = self.team(team)?.clone();
        let request = store::find(&self.db, team, id)
            .await?
            .ok_or(DeployError::NotFound)?;
        if request.break_glass_reason.is_some() {
            setup.config.policy.check_break_glass_retry(
                actor.role,
                actor.reauthenticated_ms,
                self.now_ms(),
            )?;
        }
        self.start(team, id).await
    }
}

/// How [`DeployEngine::may_review`] reads what the targets hold.
pub enum TargetsRead {
    /// Each target now: the check a review passes.
    Now,
    /// As pages read them (`shared_read`: shared, bounded), and when they cannot be read,
    /// the commit the request was opened against: for the approval screen, which offers or
    /// withholds the buttons; a review then checks with [`TargetsRead::Now`], so the screen
    /// never decides.
    AsShown,
}

/// Whether a review of `loaded` is checked against what is deployed now (a review before the
/// deploy); a break-glass deploy's review afterwards is not.
fn needs_deployed_now(loaded: &Loaded) -> bool {
    !(loaded.awaiting_review() || is_reviewable_afterwards(loaded))
}

/// A break-glass deploy is reviewed after it went out, once.
fn is_reviewable_afterwards(loaded: &Loaded) -> bool {
    loaded.request.break_glass_reason.is_some()
        && matches!(
            loaded.request.status,
            RequestStatus::Deploying | RequestStatus::Deployed | RequestStatus::Failed
        )
}
