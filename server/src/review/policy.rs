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

/// Where the people of a commit come from (`authorship` in `[[deploy]]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authorship {
    /// The owners of the keys that signed the commits: something a committer cannot type.
    Signatures,
    /// Whoever the commits name (author, committer, `Co-authored-by:`): typed by the
    /// committer, so a dishonest one can name someone else. Weaker; the default for
    /// installations that predate signatures.
    Emails,
}

impl Authorship {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signatures => "signatures",
            Self::Emails => "emails",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Signatures, Self::Emails]
            .into_iter()
            .find(|mode| mode.as_str() == text)
    }
}

/// What a team does with a candidate that changes files outside its paths, which a ref
/// target receives (`outside_paths` in `[[deploy]]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutsidePaths {
    /// Reviewers see those files in a section of their own that they must open.
    Review,
    /// Such a candidate cannot be requested.
    Refuse,
}

impl OutsidePaths {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Review => "review",
            Self::Refuse => "refuse",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Review, Self::Refuse]
            .into_iter()
            .find(|setting| setting.as_str() == text)
    }
}

/// One team's approval policy (`[[deploy]]` in the configuration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub min_approvals: u32,
    /// The lowest team role that may review.
    pub approver_role: TeamRole,
    /// The lowest team role that may deploy without approvals.
    pub break_glass_role: TeamRole,
    pub authorship: Authorship,
}

/// Someone as the rules see them: a Hangar user and every e-mail address the identity
/// provider verified for them at any sign-in.
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

/// A Hangar user found behind a commit or a token.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Owner {
    pub user_id: i64,
    pub name: String,
}

/// How a commit names someone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedAs {
    Author,
    Committer,
    /// A `Co-authored-by:` trailer.
    CoAuthor,
}

impl NamedAs {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Author => "author",
            Self::Committer => "committer",
            Self::CoAuthor => "co-author",
        }
    }
}

/// A name and e-mail a commit carries, as its committer typed them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitPerson {
    pub role: NamedAs,
    pub name: String,
    pub email: String,
}

/// What git's signature check said about a commit, with the key's owner as Hangar knows it
/// now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signature {
    /// Not checked: the request was made while the team trusted e-mails.
    Unchecked,
    Unsigned,
    /// A signature that does not match the commit (or that git could not check).
    Bad,
    /// A valid signature by a key no Hangar user had registered.
    UnknownKey {
        fingerprint: String,
    },
    /// A valid signature by a key its owner has revoked since.
    RevokedKey {
        fingerprint: String,
    },
    /// A valid signature by a registered key, and the key's owner.
    Good {
        fingerprint: String,
        owner: Owner,
    },
}

/// An included commit: who it names and who signed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncludedCommit {
    pub id: CommitId,
    pub people: Vec<CommitPerson>,
    pub signature: Signature,
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

    /// The addresses `email` stands for: itself, and its alias target if it has one.
    pub fn addresses(&self, email: &str) -> Vec<String> {
        let email = normalize_email(email);
        let mut addresses = vec![email.clone()];
        if let Some(target) = self.0.get(&email) {
            addresses.push(target.clone());
        }
        addresses
    }
}

/// Who stands behind e-mail addresses: every verified address a Hangar user has signed in
/// with, ever (two people can share one: both stand behind it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Directory(BTreeMap<String, Vec<Owner>>);

impl Directory {
    pub fn new(pairs: impl IntoIterator<Item = (String, Owner)>) -> Self {
        let mut map: BTreeMap<String, Vec<Owner>> = BTreeMap::new();
        for (email, owner) in pairs {
            let owners = map.entry(normalize_email(&email)).or_default();
            if !owners.contains(&owner) {
                owners.push(owner);
            }
        }
        Self(map)
    }

    fn owners(&self, address: &str) -> &[Owner] {
        self.0.get(address).map_or(&[], Vec::as_slice)
    }

    /// Who stands behind `email` as a commit carries it (through `[git] authors` too).
    pub fn owners_of(&self, aliases: &AuthorAliases, email: &str) -> Vec<Owner> {
        let mut owners: Vec<Owner> = aliases
            .addresses(email)
            .iter()
            .flat_map(|address| self.owners(address).iter().cloned())
            .collect();
        owners.sort();
        owners.dedup();
        owners
    }
}

/// The people behind a request's commits, as the team's authorship rule finds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Authors {
    /// Hangar users who shaped the change, each with the first evidence found.
    pub people: Vec<Author>,
    /// Addresses on commits that belong to no Hangar user (emails mode), sorted.
    pub unknown: Vec<String>,
    /// Those addresses and what `[git] authors` maps them to, for matching people whose
    /// sign-in came after the directory was read.
    pub unknown_addresses: Vec<String>,
    /// Why nobody can review the request (signatures mode): its first commit without a
    /// valid signature by a registered key.
    pub unreviewable: Option<Unreviewable>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Author {
    pub owner: Owner,
    pub evidence: Evidence,
}

/// What ties an author to a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// A commit names one of their verified addresses (as typed on the commit).
    Email(String),
    /// Their key signed this commit.
    Key {
        commit: CommitId,
        fingerprint: String,
    },
}

/// A commit that keeps a request from being reviewed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreviewable {
    pub commit: CommitId,
    pub signature: Signature,
}

impl fmt::Display for Unreviewable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let commit = self.commit.short();
        match &self.signature {
            Signature::Unsigned => write!(f, "commit {commit} is not signed"),
            Signature::Bad => write!(
                f,
                "commit {commit} carries a signature that does not verify"
            ),
            Signature::UnknownKey { fingerprint } => write!(
                f,
                "commit {commit} is signed with key {fingerprint}, which no Hangar user has \
                 registered"
            ),
            Signature::RevokedKey { fingerprint } => write!(
                f,
                "commit {commit} is signed with key {fingerprint}, which its owner has revoked"
            ),
            Signature::Unchecked => write!(
                f,
                "commit {commit} was not checked for a signature (the team trusted e-mails when \
                 it was requested)"
            ),
            Signature::Good { .. } => write!(f, "commit {commit} is signed"),
        }
    }
}

/// What someone other than the requester holds of a token's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenHolding {
    /// Created the token that opened the request.
    Created,
    /// Rotated it last, so held its secret when it opened the request.
    Rotated,
}

/// A person who held the secret of the token that opened a request: the request is theirs
/// as much as the token's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenHolder {
    pub person: Owner,
    pub holds: TokenHolding,
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
    /// Who opened it (a token: the token's own user).
    pub requester: &'a Person,
    /// For a request a token opened: who created the token and who last rotated it.
    pub token_holders: &'a [TokenHolder],
    /// What the target held when the request was made: approvals bind to this and to
    /// `candidate` together.
    pub deployed: Option<&'a CommitId>,
    pub candidate: &'a CommitId,
    /// The people behind the included commits, found from current facts.
    pub authors: &'a Authors,
    pub expires_at_ms: i64,
    /// Files a ref target would receive beyond the team's paths.
    pub outside_files: usize,
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

/// An approval that no longer counts when the deploy would run, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoidApproval {
    pub user_id: i64,
    pub name: String,
    pub reason: String,
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
    /// The reviewer created or last rotated the token that opened the request.
    TokenHolder(TokenHolding),
    NamedOnCommit {
        email: String,
    },
    SignedCommit {
        commit: CommitId,
        fingerprint: String,
    },
    NoVerifiedEmail,
    /// A commit has no valid signature by a registered key: nobody can review.
    Unreviewable(Unreviewable),
    AlreadyApproved,
    NotOpen(RequestStatus),
    AlreadyApprovedEnough,
    /// Approving needs the files outside the team's paths opened first.
    OutsideNotOpened {
        files: usize,
    },
    /// The team refuses candidates that change files outside its paths.
    OutsidePathsRefused {
        files: usize,
        first: String,
    },
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
    /// Approvals given earlier no longer count (the approver's role or identity changed).
    NoLongerApproved {
        missing: u32,
        void: Vec<VoidApproval>,
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
            Self::TokenHolder(TokenHolding::Created) => write!(
                f,
                "you created the API token that requested this deploy, so someone else must \
                 review it"
            ),
            Self::TokenHolder(TokenHolding::Rotated) => write!(
                f,
                "you last rotated the API token that requested this deploy, so someone else \
                 must review it"
            ),
            Self::NamedOnCommit { email } => write!(
                f,
                "you are named on a commit in this deploy ({email}), so someone else must review it"
            ),
            Self::SignedCommit {
                commit,
                fingerprint,
            } => write!(
                f,
                "your key {fingerprint} signed commit {} in this deploy, so someone else must \
                 review it",
                commit.short()
            ),
            Self::NoVerifiedEmail => write!(
                f,
                "your identity provider has not verified an e-mail address for you, so Hangar \
                 cannot tell whether you wrote this change"
            ),
            Self::Unreviewable(why) => write!(f, "nobody can review this deploy: {why}"),
            Self::AlreadyApproved => write!(f, "you have already approved this deploy"),
            Self::NotOpen(status) => write!(f, "this deploy is {}", status.as_str()),
            Self::AlreadyApprovedEnough => {
                write!(f, "this deploy already has the approvals it needs")
            }
            Self::OutsideNotOpened { files } => write!(
                f,
                "this deploy changes {files} file{} outside the team's paths that the target \
                 receives: open that section, review it and tick the box before approving",
                if *files == 1 { "" } else { "s" }
            ),
            Self::OutsidePathsRefused { files, first } => write!(
                f,
                "this commit changes {files} file{} outside the team's paths ({first}{}), which \
                 the team's ref target would receive, and the team refuses such deploys \
                 (outside_paths = \"refuse\")",
                if *files == 1 { "" } else { "s" },
                if *files > 1 { ", …" } else { "" }
            ),
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
            Self::NoLongerApproved { missing, void } => {
                for approval in void {
                    write!(
                        f,
                        "{}'s approval no longer counts: {}; ",
                        approval.name, approval.reason
                    )?;
                }
                write!(
                    f,
                    "the deploy needs {missing} more approval{}",
                    plural(*missing)
                )
            }
        }
    }
}

impl Refusal {
    /// Why someone else's approval no longer counts, in words about them.
    fn about_them(&self) -> String {
        match self {
            Self::NotAMember => "they no longer hold a role in the team".into(),
            Self::RoleTooLow { needed } => {
                format!("they no longer hold the {} role or above", needed.as_str())
            }
            Self::OwnRequest => "they requested it".into(),
            Self::TokenHolder(_) => "they hold the token that requested it".into(),
            Self::NamedOnCommit { email } => format!("a commit names them ({email})"),
            Self::SignedCommit {
                commit,
                fingerprint,
            } => format!("their key {fingerprint} signed commit {}", commit.short()),
            Self::NoVerifiedEmail => "they have no verified e-mail address".into(),
            other => other.to_string(),
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl Policy {
    /// The people behind `commits` under this policy's authorship rule.
    ///
    /// - Signatures: the owners of the keys that signed them. The first commit without a
    ///   valid signature by a registered key makes the request unreviewable; what the
    ///   commits *say* (author, committer, trailers) counts for nothing.
    /// - Emails: everyone the commits name, through the addresses Hangar users have
    ///   verified (and `[git] authors`); an address that belongs to nobody is "unknown".
    pub fn authors(
        &self,
        commits: &[IncludedCommit],
        aliases: &AuthorAliases,
        directory: &Directory,
    ) -> Authors {
        let mut authors = Authors::default();
        let add = |owner: &Owner, evidence: Evidence, authors: &mut Authors| {
            if !authors
                .people
                .iter()
                .any(|a| a.owner.user_id == owner.user_id)
            {
                authors.people.push(Author {
                    owner: owner.clone(),
                    evidence,
                });
            }
        };
        for commit in commits {
            match self.authorship {
                Authorship::Signatures => match &commit.signature {
                    Signature::Good { fingerprint, owner } => add(
                        owner,
                        Evidence::Key {
                            commit: commit.id.clone(),
                            fingerprint: fingerprint.clone(),
                        },
                        &mut authors,
                    ),
                    other => {
                        if authors.unreviewable.is_none() {
                            authors.unreviewable = Some(Unreviewable {
                                commit: commit.id.clone(),
                                signature: other.clone(),
                            });
                        }
                    }
                },
                Authorship::Emails => {
                    for named in &commit.people {
                        let owners = directory.owners_of(aliases, &named.email);
                        if owners.is_empty() {
                            let email = normalize_email(&named.email);
                            if !authors.unknown.contains(&email) {
                                authors.unknown.push(email);
                                authors
                                    .unknown_addresses
                                    .extend(aliases.addresses(&named.email));
                            }
                        }
                        for owner in &owners {
                            add(owner, Evidence::Email(named.email.clone()), &mut authors);
                        }
                    }
                }
            }
        }
        authors.unknown.sort();
        authors
    }

    /// Approvals a request needs: the team's minimum, and one more when a commit names an
    /// address nobody in Hangar owns (somebody unknown shaped it).
    pub fn required(&self, authors: &Authors) -> u32 {
        self.min_approvals + u32::from(!authors.unknown.is_empty())
    }

    /// Approvals still missing.
    pub fn missing(&self, authors: &Authors, approvals: &[GivenApproval]) -> u32 {
        self.required(authors)
            .saturating_sub(approvals.len() as u32)
    }

    /// Whether `reviewer` may approve or reject `request` now. `deployed_now` is what the
    /// target holds, read from the target itself.
    pub fn check_review(
        &self,
        request: &RequestFacts<'_>,
        approvals: &[GivenApproval],
        reviewer: Reviewer<'_>,
        now_ms: i64,
        deployed_now: Option<&CommitId>,
    ) -> Result<(), Refusal> {
        self.check_reviewer(request, reviewer)?;
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

    /// Who may review at all: a member with the approver role who neither opened the request
    /// (nor holds the token that did) nor shaped any included commit, on a request whose
    /// commits say who shaped them. Also the rule for reviewing a break-glass deploy
    /// afterwards, and for whether an approval still counts when the deploy runs.
    pub fn check_reviewer(
        &self,
        request: &RequestFacts<'_>,
        reviewer: Reviewer<'_>,
    ) -> Result<(), Refusal> {
        self.check_standing(request, reviewer, true)
    }

    /// Who may review a break-glass deploy after it went out: the approve rule, except that
    /// commits nobody can vouch for do not stop it — the deploy happened, and the review is
    /// what is left (its reviewer is still neither the deployer nor a known author).
    pub fn check_reviewer_afterwards(
        &self,
        request: &RequestFacts<'_>,
        reviewer: Reviewer<'_>,
    ) -> Result<(), Refusal> {
        self.check_standing(request, reviewer, false)
    }

    /// The approve rule: the role, not the requester nor a token holder, a request whose
    /// commits say who shaped them (if `vouched` is asked for), not an author.
    fn check_standing(
        &self,
        request: &RequestFacts<'_>,
        reviewer: Reviewer<'_>,
        vouched: bool,
    ) -> Result<(), Refusal> {
        let role = reviewer.role.ok_or(Refusal::NotAMember)?;
        if role < self.approver_role {
            return Err(Refusal::RoleTooLow {
                needed: self.approver_role,
            });
        }
        let person = reviewer.person;
        if person.user_id == request.requester.user_id {
            return Err(Refusal::OwnRequest);
        }
        if let Some(holder) = request
            .token_holders
            .iter()
            .find(|h| h.person.user_id == person.user_id)
        {
            return Err(Refusal::TokenHolder(holder.holds));
        }
        if vouched && let Some(why) = &request.authors.unreviewable {
            return Err(Refusal::Unreviewable(why.clone()));
        }
        if let Some(author) = request
            .authors
            .people
            .iter()
            .find(|a| a.owner.user_id == person.user_id)
        {
            return Err(match &author.evidence {
                Evidence::Email(email) => Refusal::NamedOnCommit {
                    email: email.clone(),
                },
                Evidence::Key {
                    commit,
                    fingerprint,
                } => Refusal::SignedCommit {
                    commit: commit.clone(),
                    fingerprint: fingerprint.clone(),
                },
            });
        }
        if self.authorship == Authorship::Emails {
            // Without a verified address nothing shows the reviewer is not the author.
            if person.verified_emails.is_empty() {
                return Err(Refusal::NoVerifiedEmail);
            }
            // Their own addresses, whether or not the directory was read after their last
            // sign-in.
            if let Some(email) = request
                .authors
                .unknown_addresses
                .iter()
                .find(|address| person.verified_emails.contains(address))
            {
                return Err(Refusal::NamedOnCommit {
                    email: email.clone(),
                });
            }
        }
        Ok(())
    }

    /// Whether the deploy may run now, from current facts: approved, every counted approval
    /// still given by someone who may review it (their role from their stored groups and the
    /// current configuration, their identity as it is now), and still bound to what the
    /// target holds. The one check in front of every deploy, at the claim and again right
    /// before the targets change (the request is `deploying` then).
    pub fn check_deploy(
        &self,
        request: &RequestFacts<'_>,
        approvals: &[Reviewer<'_>],
        now_ms: i64,
        deployed_now: Option<&CommitId>,
    ) -> Result<(), Refusal> {
        let required = self.required(request.authors);
        if !matches!(
            request.status,
            RequestStatus::Approved | RequestStatus::Failed | RequestStatus::Deploying
        ) {
            return Err(match request.status {
                RequestStatus::Pending => Refusal::NotYetApproved {
                    missing: required.saturating_sub(approvals.len() as u32),
                },
                other => Refusal::NotOpen(other),
            });
        }
        if let Some(why) = &request.authors.unreviewable {
            return Err(Refusal::Unreviewable(why.clone()));
        }
        let mut valid = 0u32;
        let mut void = Vec::new();
        for approval in approvals {
            match self.check_reviewer(request, *approval) {
                Ok(()) => valid += 1,
                Err(refusal) => void.push(VoidApproval {
                    user_id: approval.person.user_id,
                    name: approval.person.name.clone(),
                    reason: refusal.about_them(),
                }),
            }
        }
        let missing = required.saturating_sub(valid);
        if missing > 0 {
            return Err(if void.is_empty() {
                Refusal::NotYetApproved { missing }
            } else {
                Refusal::NoLongerApproved { missing, void }
            });
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
        self.check_break_glass_retry(role, reauthenticated_at_ms, now_ms)?;
        if reason.trim().chars().count() < BREAK_GLASS_MIN_REASON {
            return Err(Refusal::ReasonTooShort);
        }
        Ok(())
    }

    /// Whether `role` may start a failed break-glass deploy again: that deploys without
    /// approvals too, so it takes what starting one takes (its reason is already given).
    pub fn check_break_glass_retry(
        &self,
        role: Option<TeamRole>,
        reauthenticated_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<(), Refusal> {
        let role = role.ok_or(Refusal::NotAMember)?;
        if role < self.break_glass_role {
            return Err(Refusal::RoleTooLow {
                needed: self.break_glass_role,
            });
        }
        match reauthenticated_at_ms {
            Some(at) if at <= now_ms && now_ms - at <= BREAK_GLASS_REAUTH_WINDOW_MS => Ok(()),
            _ => Err(Refusal::NotReauthenticated),
        }
    }

    /// The state of the policy in words, for the approval screen.
    pub fn describe(&self, request: &RequestFacts<'_>, approvals: &[GivenApproval]) -> String {
        let authors = request.authors;
        if let Some(why) = &authors.unreviewable {
            return format!(
                "unreviewable: {why}. Nobody can approve it: sign the commits with a key \
                 registered on a Hangar profile and request again, or break glass"
            );
        }
        let missing = self.missing(authors, approvals);
        if missing == 0 {
            return format!(
                "approved by {}",
                join_names(approvals.iter().map(|a| a.name.as_str()))
            );
        }
        let mut others = vec![request.requester.name.clone()];
        for holder in request.token_holders {
            others.push(format!(
                "{} ({})",
                holder.person.name,
                match holder.holds {
                    TokenHolding::Created => "who created it",
                    TokenHolding::Rotated => "who last rotated it",
                }
            ));
        }
        let mut names: Vec<&str> = authors
            .people
            .iter()
            .map(|a| a.owner.name.as_str())
            .filter(|name| *name != request.requester.name)
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut text = format!(
            "needs {missing} more approval{} from a team {} or above other than {}",
            plural(missing),
            self.approver_role.as_str(),
            others.join(", ")
        );
        if !names.is_empty() {
            text.push_str(&format!(
                " and the commit authors ({})",
                join_names(names.into_iter())
            ));
        }
        if !authors.unknown.is_empty() {
            text.push_str(&format!(
                "; unknown author ({}): one approval more than usual",
                authors.unknown.join(", ")
            ));
        }
        text
    }
}

/// Whether a reviewer approving a request that changes `outside_files` files beyond the
/// team's paths opened them (the section on the approval screen they must open and tick).
pub fn check_outside_opened(outside_files: usize, opened: bool) -> Result<(), Refusal> {
    if outside_files > 0 && !opened {
        return Err(Refusal::OutsideNotOpened {
            files: outside_files,
        });
    }
    Ok(())
}

/// Whether a candidate that changes `outside` (files beyond the team's paths, which a ref
/// target receives) may be requested under the team's `setting`.
pub fn check_outside_paths(setting: OutsidePaths, outside: &[String]) -> Result<(), Refusal> {
    match (setting, outside.first()) {
        (OutsidePaths::Refuse, Some(first)) => Err(Refusal::OutsidePathsRefused {
            files: outside.len(),
            first: first.clone(),
        }),
        _ => Ok(()),
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
