//! Deploys as the pages show them: the team's deploy state, requests, the approval screen's
//! commits, files and diffs, progress, and API tokens. Plain data; the server computes it.

use serde::{Deserialize, Serialize};

/// Files shown per page of the approval screen.
pub const DIFF_FILES_PER_PAGE: usize = 20;

/// A request's status names (the server's state machine, `docs/deploys.md`).
pub const OPEN_STATUSES: [&str; 4] = ["pending", "approved", "deploying", "failed"];

/// The deploys page of a team.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeployOverview {
    pub team: String,
    /// `false`: the team has no `[[deploy]]` entry; nothing else is filled in.
    pub configured: bool,
    pub branch: String,
    pub paths: Vec<String>,
    /// The approval rule in words.
    pub policy: String,
    pub auto_deploy: bool,
    pub targets: Vec<TargetRow>,
    /// Every target holds this commit (`None`: nothing deployed, or they disagree).
    pub deployed: Option<String>,
    /// Why the state or the candidates could not be read (repository or target error).
    pub problem: Option<String>,
    /// Commits on the branch, newer than the deployed one, that touch the team's paths.
    pub candidates: Vec<CommitRow>,
    pub open: Option<DeploySummary>,
    pub history: Vec<DeploySummary>,
    pub can_request: bool,
    pub can_break_glass: bool,
    /// The viewer re-authenticated at the identity provider within the break-glass window.
    pub reauthenticated: bool,
    /// `signatures` or `emails`: where the people of a commit come from.
    pub authorship: String,
    /// Webhook deliveries that failed and are not delivered since.
    pub notification_problems: Vec<NotificationProblem>,
}

/// What the weaker authorship rule cannot do, in words the pages show wherever it applies.
pub const EMAILS_MODE_LIMIT: &str = "This team trusts the e-mail addresses commits carry to \
    tell who wrote them. Anyone can commit under any address, so this cannot stop a committer \
    who uses a teammate's address; signing keys can (authorship = \"signatures\").";

/// A webhook delivery that failed (docs/deploys.md, "Notifications").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationProblem {
    pub request_id: i64,
    pub event: String,
    /// The hook's host (its URL may be a secret).
    pub destination: String,
    pub attempts: i64,
    /// Retried no more.
    pub gave_up: bool,
    /// When it is tried again.
    pub next_attempt_ms: Option<i64>,
    pub error: String,
}

/// What a team's deploy targets hold now: the team home's summary of its deploys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployedNow {
    pub targets: Vec<TargetRow>,
    /// Why the targets could not be read (a repository or target error), in words.
    pub problem: Option<String>,
}

/// A target and the commit it holds, read from the target itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetRow {
    pub name: String,
    pub commit: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitRow {
    pub sha: String,
    pub author: String,
    pub authored_ms: i64,
    pub subject: String,
    /// Author, committer and co-authors as the commit names them (the approval screen).
    #[serde(default)]
    pub people: Vec<CommitPersonRow>,
    /// Who signed it, or why no one may count as its author ("not signed").
    #[serde(default)]
    pub signature: Option<String>,
    /// Whether the signature names a registered key's owner.
    #[serde(default)]
    pub signature_ok: bool,
}

/// Someone a commit names, and whether a Hangar user verified that address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitPersonRow {
    /// `author`, `committer` or `co-author`.
    pub role: String,
    pub name: String,
    pub email: String,
    /// The Hangar users who verified the address (none: "unknown").
    pub verified_as: Vec<String>,
}

impl CommitRow {
    pub fn short(&self) -> &str {
        short_sha(&self.sha)
    }
}

pub fn short_sha(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

/// One request, as lists show it.
/// A request just opened: what it would deploy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedDeploy {
    pub id: i64,
    pub deployed: Option<String>,
    pub candidate: String,
    /// The commits it brings, newest first.
    pub commits: Vec<String>,
    /// Files it changes under the team's paths.
    pub files: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeploySummary {
    pub id: i64,
    /// pending, approved, rejected, cancelled, expired, stale, deploying, deployed or failed.
    pub status: String,
    pub requester: String,
    /// Requested through this API token.
    pub via_token: Option<String>,
    pub approvers: Vec<String>,
    /// The commit the team had when it was requested.
    pub deployed: Option<String>,
    pub candidate: String,
    pub commits: usize,
    /// Unix milliseconds.
    pub created_ms: i64,
    pub deployed_ms: Option<i64>,
    pub break_glass: bool,
    /// A break-glass deploy nobody else has reviewed yet.
    pub awaiting_review: bool,
    /// `waiting`, `live` or `late` once deployed.
    pub confirmation: Option<String>,
    pub confirmed_ms: Option<i64>,
    pub failure: Option<String>,
    pub hook_failure: Option<String>,
    /// The step a running deploy is at.
    pub step: Option<String>,
}

impl DeploySummary {
    pub fn is_open(&self) -> bool {
        OPEN_STATUSES.contains(&self.status.as_str())
    }

    /// Who asked for it. A token's request is named from the token record, not from a
    /// display name that a person could also choose.
    pub fn requested_by(&self) -> String {
        requested_by(&self.requester, self.via_token.as_deref())
    }
}

/// Who asked for a deploy: the API token by its name (a record only an admin names), else
/// the person.
pub fn requested_by(requester: &str, via_token: Option<&str>) -> String {
    match via_token {
        Some(token) => format!("API token “{token}”"),
        None => requester.to_string(),
    }
}

/// A break-glass deploy nobody has reviewed yet, as the platform overview lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingReview {
    pub team: String,
    pub reason: String,
    pub summary: DeploySummary,
}

/// The approval screen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeployDetail {
    pub team: String,
    pub summary: DeploySummary,
    pub break_glass_reason: Option<String>,
    /// The policy's state in words ("needs 1 more approval from …").
    pub policy_state: String,
    pub commits: Vec<CommitRow>,
    /// Every changed file inside the team's paths.
    pub files: Vec<FileRow>,
    /// Diffs of this page's files.
    pub diffs: Vec<FileDiff>,
    pub page: usize,
    pub pages: usize,
    pub reviews: Vec<ReviewRow>,
    pub steps: Vec<StepRow>,
    /// Minutes Airflow has to pick a deploy up before it is "not picked up".
    pub confirm_within_minutes: u64,
    pub actions: DeployActions,
    /// `signatures` or `emails`: the rule the team applies now.
    pub authorship: String,
    /// Files the candidate changes beyond the team's paths, which a ref target receives
    /// (listed in `files` with `outside` set).
    pub outside_files: usize,
    /// Why a request that was approved went back to pending.
    pub returned: Option<String>,
}

/// What the viewer may do with the request now, and why not where it helps.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployActions {
    pub review: bool,
    /// Why this viewer may not review (shown instead of the buttons).
    pub review_refused: Option<String>,
    /// Review a break-glass deploy afterwards.
    pub review_after: bool,
    pub cancel: bool,
    /// Deploy an approved request (when the team does not deploy on approval) or retry a
    /// failed one.
    pub deploy: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRow {
    pub path: String,
    /// `added`, `modified`, `deleted`, `renamed` or `type changed`.
    pub kind: String,
    /// The old path of a renamed file.
    pub from: Option<String>,
    pub binary: bool,
    pub added: u32,
    pub removed: u32,
    /// Outside the team's paths: a ref target receives it anyway.
    #[serde(default)]
    pub outside: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDiff {
    pub path: String,
    pub body: DiffBody,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiffBody {
    Lines(Vec<DiffLine>),
    /// Larger than the per-file limit (`bytes`): not read past it, shown by its line counts.
    TooLarge {
        bytes: usize,
    },
    /// Not read: the page's diffs already reached their limit (`bytes`); shown by its line
    /// counts.
    PageFull {
        bytes: usize,
    },
    Binary,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineKind {
    /// `@@ -a,b +c,d @@`
    Hunk,
    Context,
    Added,
    Removed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub kind: LineKind,
    pub old: Option<u32>,
    pub new: Option<u32>,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRow {
    pub name: String,
    pub approve: bool,
    pub comment: String,
    pub at_ms: i64,
    /// Why an approval stopped counting.
    pub void_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRow {
    pub attempt: i64,
    pub step: String,
    /// `running`, `done` or `failed`.
    pub state: String,
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
    pub detail: String,
}

/// The steps a deploy goes through, in order, for the progress bar.
pub const DEPLOY_STEPS: [&str; 7] = [
    "fetch", "verify", "export", "promote", "swap", "hook", "confirm",
];

/// A team API token as its admins see it (never the secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_by: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub revoked_ms: Option<i64>,
    pub last_used_ms: Option<i64>,
    /// Who last gave it a new secret, and when.
    pub rotated_by: Option<String>,
    pub rotated_ms: Option<i64>,
    /// Why a live token no longer works (its creator lost the role that may create it).
    pub lapsed: Option<String>,
}

/// The scopes a token may carry.
pub const TOKEN_SCOPES: [(&str, &str); 3] = [
    ("deploys:request", "open deploy requests"),
    ("deploys:read", "read deploy requests and their status"),
    ("team:read", "read the team's DAGs, runs and pools"),
];

/// The longest a token may live, in days.
pub const TOKEN_MAX_DAYS: u32 = 365;

/// A token just created: the only time its secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub row: TokenRow,
    pub secret: String,
}

/// A request waiting for the viewer's review, for the header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingReview {
    pub team: String,
    pub id: i64,
}

/// The team's tokens page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPage {
    pub team: String,
    pub tokens: Vec<TokenRow>,
}

/// One line of the approval screen's file tree: a folder, or a changed file (its index in
/// `DeployDetail::files`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeLine {
    pub depth: usize,
    pub name: String,
    pub file: Option<usize>,
}

/// The changed files as a tree: each folder once, above its files (paths are sorted).
pub fn file_tree(files: &[FileRow]) -> Vec<TreeLine> {
    let mut lines = Vec::new();
    let mut open: Vec<&str> = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let parts: Vec<&str> = file.path.split('/').collect();
        let (folders, name) = parts.split_at(parts.len() - 1);
        let shared = open.iter().zip(folders).take_while(|(a, b)| a == b).count();
        open.truncate(shared);
        for folder in &folders[shared..] {
            lines.push(TreeLine {
                depth: open.len(),
                name: format!("{folder}/"),
                file: None,
            });
            open.push(folder);
        }
        lines.push(TreeLine {
            depth: open.len(),
            name: name[0].to_string(),
            file: Some(index),
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> FileRow {
        FileRow {
            path: path.into(),
            kind: "modified".into(),
            from: None,
            binary: false,
            added: 1,
            removed: 0,
            outside: false,
        }
    }

    #[test]
    fn each_folder_is_listed_once_above_its_files() {
        let files = [
            file("common/util.py"),
            file("team_a/etl.py"),
            file("team_a/sql/a.sql"),
            file("team_a/sql/b.sql"),
            file("top.txt"),
        ];
        let lines = file_tree(&files);
        let tree: Vec<(usize, &str, Option<usize>)> = lines
            .iter()
            .map(|l| (l.depth, l.name.as_str(), l.file))
            .collect();
        assert_eq!(
            tree,
            vec![
                (0, "common/", None),
                (1, "util.py", Some(0)),
                (0, "team_a/", None),
                (1, "etl.py", Some(1)),
                (1, "sql/", None),
                (2, "a.sql", Some(2)),
                (2, "b.sql", Some(3)),
                (0, "top.txt", Some(4)),
            ]
        );
    }
}
