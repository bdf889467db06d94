//! The rules a deploy request must pass, as pure functions over facts the caller has read
//! from the database, the repository and the target.
//!
//! Every route that reviews, cancels or deploys — a page, a server function, an API token,
//! a second session, after a team switch — asks these functions, so the rules hold the same
//! everywhere. Nothing here trusts a client: the caller passes the signed-in person and
//! their role as the server resolved them, and the request as the database holds it.

use std::collections::BTreeMap;
use std::fmt;

use hangar_app::models::TeamRole;

use super::commit::{CommitId, normalize_email};

/// Re-authentication at the identity provider older than this does not open break-glass.
pub const BREAK_GLASS_REAUTH_WINDOW_MS: i64 = 5 * 60 * 1000;
/// A break-glass reason shorter than this is not an explanation.
pub const BREAK_GLASS_MIN_REASON: usize = 10;

/// One team's approval policy (`[[deploy]]` in the configuration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub min_approvals: u32,
    /// The lowest team role that may review.
    pub approver_role: TeamRole,
    /// The lowest team role that may deploy without approvals.
    pub break_glass_role: TeamRole,
}

/// Someone as the rules see them: a Hangar user and the e-mail addresses proven theirs
/// (the identity provider's verified address). Without one, nobody can show that a reviewer
/// did not write the change, so such a person cannot review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub user_id: i64,
    pub name: String,
    pub verified_emails: Vec<String>,
}

impl Person {
    pub fn new(user_id: i64, name: &str, verified_emails: &[&str]) -> Self {
        Self {
            user_id,
            name: name.to_string(),
            verified_emails: verified_emails.iter().map(|e| normalize_email(e)).collect(),
        }
    }
}

/// A name and e-mail on an included commit, as author or committer: both shaped the change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitPerson {
    pub name: String,
    pub email: String,
}

/// Git e-mails that belong to someone whose verified e-mail differs (a no-reply address, an
/// old address): git e-mail → the Hangar user's verified e-mail.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorAliases(BTreeMap<String, String>);

impl AuthorAliases {
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(git, user)| (normalize_email(git), normalize_email(user)))
                .collect(),
        )
    }

    fn canonical(&self, email: &str) -> String {
        let email = normalize_email(email);
        self.0.get(&email).cloned().unwrap_or(email)
    }

    /// Whether `person` is named on any of `commits`.
    fn names(&self, commits: &[CommitPerson], person: &Person) -> Option<String> {
        commits
            .iter()
            .find(|c| person.verified_emails.contains(&self.canonical(&c.email)))
            .map(|c| c.email.clone())
    }
}

/// Where a request stands. Terminal states never change again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    /// Waiting for approvals.
    Pending,
    /// Approvals met; waiting for someone to deploy (when `auto_deploy` is off).
    Approved,
    Deploying,
    Deployed,
    /// The deploy failed and the previous deployment stayed live; it may be retried.
    Failed,
    Rejected,
    Cancelled,
    /// The target moved after the request was made; its approvals no longer apply.
    Stale,
    /// A newer request for the team replaced it.
    Superseded,
    Expired,
}

impl RequestStatus {
    pub const ALL: [Self; 10] = [
        Self::Pending,
        Self::Approved,
        Self::Deploying,
        Self::Deployed,
        Self::Failed,
        Self::Rejected,
        Self::Cancelled,
        Self::Stale,
        Self::Superseded,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Deploying => "deploying",
            Self::Deployed => "deployed",
            Self::Failed => "failed",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
            Self::Stale => "stale",
            Self::Superseded => "superseded",
            Self::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Still waiting on people: reviews, cancel, staleness and expiry apply.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Approved | Self::Failed)
    }
}

/// A deploy request, as the rules need it.
#[derive(Clone, Debug)]
pub struct RequestFacts<'a> {
    pub status: RequestStatus,
    pub requester: &'a Person,
    /// What the target held when the request was made: approvals bind to this and to
    /// `candidate` together.
    pub deployed: Option<&'a CommitId>,
    pub candidate: &'a CommitId,
    /// Authors and committers of every included commit.
    pub commit_people: &'a [CommitPerson],
    pub expires_at_ms: i64,
}

/// Someone reviewing: who they are and their role in the request's team, as the server
/// resolved it for this request (`None`: not a member).
#[derive(Clone, Copy, Debug)]
pub struct Reviewer<'a> {
    pub person: &'a Person,
    pub role: Option<TeamRole>,
}

/// An approval already given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GivenApproval {
    pub user_id: i64,
    pub name: String,
}

/// Why an action on a request is refused. The texts are shown to the person refused; they
/// name only the request's own team's people and commits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotAMember,
    RoleTooLow {
        needed: TeamRole,
    },
    OwnRequest,
    NamedOnCommit {
        email: String,
    },
    NoVerifiedEmail,
    AlreadyApproved,
    NotOpen(RequestStatus),
    AlreadyApprovedEnough,
    /// The target holds another commit than the one the request was made against.
    Stale {
        expected: Option<CommitId>,
        actual: Option<CommitId>,
    },
    Expired,
    NotRequester,
    ReasonTooShort,
    NotReauthenticated,
    NotYetApproved {
        missing: u32,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = |c: &Option<CommitId>| c.as_ref().map_or("nothing", |c| c.short()).to_string();
        match self {
            Self::NotAMember => write!(f, "you are not a member of this team"),
            Self::RoleTooLow { needed } => {
                write!(
                    f,
                    "this needs the {} role in the team or above",
                    needed.as_str()
                )
            }
            Self::OwnRequest => write!(
                f,
                "you requested this deploy, so someone else must review it"
            ),
            Self::NamedOnCommit { email } => write!(
                f,
                "you are named on a commit in this deploy ({email}), so someone else must review it"
            ),
            Self::NoVerifiedEmail => write!(
                f,
                "your identity provider has not verified an e-mail address for you, so Hangar \
                 cannot tell whether you wrote this change"
            ),
            Self::AlreadyApproved => write!(f, "you have already approved this deploy"),
            Self::NotOpen(status) => write!(f, "this deploy is {}", status.as_str()),
            Self::AlreadyApprovedEnough => {
                write!(f, "this deploy already has the approvals it needs")
            }
            Self::Stale { expected, actual } => write!(
                f,
                "the target moved from {} to {} since this deploy was requested; request it again",
                short(expected),
                short(actual)
            ),
            Self::Expired => write!(f, "this deploy request has expired; request it again"),
            Self::NotRequester => {
                write!(f, "only the person who requested this deploy can cancel it")
            }
            Self::ReasonTooShort => write!(
                f,
                "say why this cannot wait for a review (at least {BREAK_GLASS_MIN_REASON} characters)"
            ),
            Self::NotReauthenticated => {
                write!(
                    f,
                    "sign in again at the identity provider to deploy without approvals"
                )
            }
            Self::NotYetApproved { missing } => {
                write!(
                    f,
                    "this deploy needs {missing} more approval{}",
                    plural(*missing)
                )
            }
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl Policy {
    /// Whether `reviewer` may approve or reject `request` now. `deployed_now` is what the
    /// target holds, read from the target itself.
    pub fn check_review(
        &self,
        request: &RequestFacts<'_>,
        approvals: &[GivenApproval],
        reviewer: Reviewer<'_>,
        aliases: &AuthorAliases,
        now_ms: i64,
        deployed_now: Option<&CommitId>,
    ) -> Result<(), Refusal> {
        self.check_reviewer(request.requester, request.commit_people, reviewer, aliases)?;
        if request.status != RequestStatus::Pending {
            return Err(match request.status {
                RequestStatus::Approved => Refusal::AlreadyApprovedEnough,
                other => Refusal::NotOpen(other),
            });
        }
        check_current(request, now_ms, deployed_now)?;
        if approvals
            .iter()
            .any(|a| a.user_id == reviewer.person.user_id)
        {
            return Err(Refusal::AlreadyApproved);
        }
        Ok(())
    }

    /// Who may review at all: a member with the approver role, neither the requester (or
    /// deployer) nor anyone named on an included commit, with a verified e-mail to show it.
    /// Also the rule for reviewing a break-glass deploy afterwards.
    pub fn check_reviewer(
        &self,
        requester: &Person,
        commit_people: &[CommitPerson],
        reviewer: Reviewer<'_>,
        aliases: &AuthorAliases,
    ) -> Result<(), Refusal> {
        let role = reviewer.role.ok_or(Refusal::NotAMember)?;
        if role < self.approver_role {
            return Err(Refusal::RoleTooLow {
                needed: self.approver_role,
            });
        }
        if reviewer.person.user_id == requester.user_id {
            return Err(Refusal::OwnRequest);
        }
        if reviewer.person.verified_emails.is_empty() {
            return Err(Refusal::NoVerifiedEmail);
        }
        if let Some(email) = aliases.names(commit_people, reviewer.person) {
            return Err(Refusal::NamedOnCommit { email });
        }
        Ok(())
    }

    /// Approvals still missing.
    pub fn missing(&self, approvals: &[GivenApproval]) -> u32 {
        self.min_approvals.saturating_sub(approvals.len() as u32)
    }

    /// Whether the deploy may run now: approved, still current. The one check in front of
    /// every deploy, automatic or clicked.
    pub fn check_deploy(
        &self,
        request: &RequestFacts<'_>,
        approvals: &[GivenApproval],
        now_ms: i64,
        deployed_now: Option<&CommitId>,
    ) -> Result<(), Refusal> {
        if !matches!(
            request.status,
            RequestStatus::Approved | RequestStatus::Failed
        ) {
            return Err(match request.status {
                RequestStatus::Pending => Refusal::NotYetApproved {
                    missing: self.missing(approvals),
                },
                other => Refusal::NotOpen(other),
            });
        }
        let missing = self.missing(approvals);
        if missing > 0 {
            return Err(Refusal::NotYetApproved { missing });
        }
        check_current(request, now_ms, deployed_now)
    }

    /// Whether `role` may deploy without approvals, having re-authenticated at
    /// `reauthenticated_at_ms` and giving `reason`.
    pub fn check_break_glass(
        &self,
        role: Option<TeamRole>,
        reason: &str,
        reauthenticated_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<(), Refusal> {
        let role = role.ok_or(Refusal::NotAMember)?;
        if role < self.break_glass_role {
            return Err(Refusal::RoleTooLow {
                needed: self.break_glass_role,
            });
        }
        if reason.trim().chars().count() < BREAK_GLASS_MIN_REASON {
            return Err(Refusal::ReasonTooShort);
        }
        match reauthenticated_at_ms {
            Some(at) if at <= now_ms && now_ms - at <= BREAK_GLASS_REAUTH_WINDOW_MS => Ok(()),
            _ => Err(Refusal::NotReauthenticated),
        }
    }

    /// The state of the policy in words, for the approval screen.
    pub fn describe(&self, request: &RequestFacts<'_>, approvals: &[GivenApproval]) -> String {
        let missing = self.missing(approvals);
        if missing == 0 {
            return format!(
                "approved by {}",
                join_names(approvals.iter().map(|a| a.name.as_str()))
            );
        }
        let mut authors: Vec<&str> = request
            .commit_people
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        authors.sort_unstable();
        authors.dedup();
        authors.retain(|name| *name != request.requester.name);
        let others = if authors.is_empty() {
            format!("other than {}", request.requester.name)
        } else {
            format!(
                "other than {} and the commit authors ({})",
                request.requester.name,
                join_names(authors.into_iter())
            )
        };
        format!(
            "needs {missing} more approval{} from a team {} or above {others}",
            plural(missing),
            self.approver_role.as_str()
        )
    }
}

/// Whether the person may cancel: only the requester, and only while the request is open.
pub fn check_cancel(request: &RequestFacts<'_>, person: &Person) -> Result<(), Refusal> {
    if person.user_id != request.requester.user_id {
        return Err(Refusal::NotRequester);
    }
    if !request.status.is_open() {
        return Err(Refusal::NotOpen(request.status));
    }
    Ok(())
}

/// An open request goes on only against the commit it was made against, and before it
/// expires.
pub fn check_current(
    request: &RequestFacts<'_>,
    now_ms: i64,
    deployed_now: Option<&CommitId>,
) -> Result<(), Refusal> {
    if deployed_now != request.deployed {
        return Err(Refusal::Stale {
            expected: request.deployed.cloned(),
            actual: deployed_now.cloned(),
        });
    }
    if now_ms >= request.expires_at_ms {
        return Err(Refusal::Expired);
    }
    Ok(())
}

fn join_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests;
