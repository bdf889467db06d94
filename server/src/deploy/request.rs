//! Opening a deploy request: the candidate resolved on the branch, the deployed commit read
//! from the targets, the included commits and changed files computed — and refused with a
//! clear message when there is nothing to review.

use std::sync::Arc;

use super::blocking::blocking;
use super::commit::CommitId;
use super::engine::DeployEngine;
use super::error::DeployError;
use super::git::{CommitInfo, GitError};
use super::policy::{Authorship, check_outside_paths};
use super::signatures::{self, Keyring};
use super::store::{self, Created, NewRequest};
use super::team::{TargetState, TeamDeploy};
use crate::signing_keys::{self, SigningKey};

/// Candidates listed on the deploys page.
const CANDIDATES_SHOWN: usize = 50;
/// Commits whose signatures one request checks at most (each check runs `ssh-keygen` or
/// `gpg`); a longer range is deployed in steps.
pub const MAX_SIGNED_COMMITS: usize = 1000;

/// Who asks for what.
pub struct Opening<'a> {
    pub team: &'a str,
    pub requester_id: i64,
    /// A commit id (full or abbreviated); `None`: the branch head.
    pub commit: Option<&'a str>,
    pub break_glass_reason: Option<&'a str>,
    /// Opened with this API token, created by and last rotated by these people.
    pub token_id: Option<i64>,
    pub token_creator_id: Option<i64>,
    pub token_rotator_id: Option<i64>,
}

#[derive(Debug)]
pub struct Opened {
    pub id: i64,
    pub superseded: Vec<i64>,
    pub deployed: Option<CommitId>,
    pub candidate: CommitId,
    pub commits: Vec<CommitInfo>,
    pub files: usize,
}

struct Prepared {
    deployed: Option<CommitId>,
    candidate: CommitId,
    commits: Vec<CommitInfo>,
    files: usize,
    /// Files beyond the team's paths that a ref target receives.
    outside: usize,
}

/// The team's deploy state for its deploys page.
pub struct TeamState {
    pub targets: Vec<(String, Option<CommitId>)>,
    pub deployed: Option<CommitId>,
    pub candidates: Vec<CommitInfo>,
    pub problem: Option<String>,
}

impl DeployEngine {
    pub async fn open(&self, opening: Opening<'_>) -> Result<Opened, DeployError> {
        let setup = self.team(opening.team)?.clone();
        let authorship = setup.config.policy.authorship;
        let commit = opening.commit.map(commit_input).transpose()?;
        // The keys in force now: the request records who signed what against them.
        let keys = match authorship {
            Authorship::Signatures => Some(signing_keys::active(&self.db).await?),
            Authorship::Emails => None,
        };
        let prepared =
            blocking(move || prepare(&setup, commit.as_deref(), keys.as_deref())).await?;
        let now = self.now_ms();
        let ttl = self.team(opening.team)?.config.request_ttl.as_millis() as i64;
        let created = store::create(
            &self.db,
            NewRequest {
                team: opening.team,
                deployed: prepared.deployed.as_ref(),
                candidate: &prepared.candidate,
                requester_id: opening.requester_id,
                commits: &prepared.commits,
                now_ms: now,
                expires_ms: now + ttl,
                break_glass_reason: opening.break_glass_reason,
                token_id: opening.token_id,
                token_creator_id: opening.token_creator_id,
                token_rotator_id: opening.token_rotator_id,
                authorship,
                outside_files: prepared.outside,
            },
        )
        .await?;
        match created {
            Created::Created { id, superseded } => Ok(Opened {
                id,
                superseded,
                deployed: prepared.deployed,
                candidate: prepared.candidate,
                commits: prepared.commits,
                files: prepared.files,
            }),
            Created::DeployRunning => Err(DeployError::Invalid(
                "a deploy of this team is running; request again when it has finished".into(),
            )),
        }
    }

    /// What each target of the team holds now, without the repository: the team home shows
    /// it on every visit, and the rest of [`Self::state`] (history, candidates, a fetch when
    /// due) only the deploys page needs.
    pub async fn holdings(
        &self,
        team: &str,
    ) -> Result<Vec<(String, Option<CommitId>)>, std::sync::Arc<DeployError>> {
        self.team(team)?.holdings().await
    }

    /// What the targets hold and which commits could be deployed next. Problems (an
    /// unreachable repository, a broken target) are reported in the state, not as errors:
    /// the page still shows the history. The git host is read as pages read it
    /// (`shared_read`): shared, at most every few seconds, and waited for a bounded time.
    pub async fn state(&self, team: &str) -> Result<TeamState, DeployError> {
        let setup = self.team(team)?.clone();
        match team_state(&setup).await {
            Ok(state) => Ok(state),
            Err(error) if error.is_repository_or_target() => Ok(TeamState {
                targets: Vec::new(),
                deployed: None,
                candidates: Vec::new(),
                problem: Some(error.to_string()),
            }),
            Err(error) => Err(DeployError::from_shared(error)),
        }
    }
}

async fn team_state(setup: &Arc<TeamDeploy>) -> Result<TeamState, Arc<DeployError>> {
    // Both reach the git host: at once, so that a slow host costs one wait, not two.
    let (targets, fetched) = tokio::join!(setup.holdings(), setup.fetch_for_page());
    let targets = targets?;
    let commits = targets.iter().map(|(_, commit)| commit.clone()).collect();
    let deployed = match TargetState::of(commits) {
        TargetState::Agreed(commit) => commit,
        TargetState::Split(commits) => {
            let split = DeployError::TargetsDisagree(setup.describe_split(&commits));
            return Ok(TeamState {
                targets,
                deployed: None,
                candidates: Vec::new(),
                problem: Some(split.to_string()),
            });
        }
    };
    // A slow host: the commits as last fetched, and why they may be behind.
    let problem = match fetched {
        Ok(()) => None,
        Err(error) if matches!(*error, DeployError::Git(GitError::NotYet { .. })) => {
            Some(format!("{error}; the commits below are as last fetched."))
        }
        Err(error) => return Err(error),
    };
    let reading = setup.clone();
    let candidates = blocking(move || {
        let mut candidates = match reading.cached_head()? {
            Some(head) if Some(&head) != deployed.as_ref() => {
                reading
                    .cache
                    .commits(deployed.as_ref(), &head, &reading.config.paths)?
            }
            _ => Vec::new(),
        };
        candidates.truncate(CANDIDATES_SHOWN);
        Ok((deployed, candidates))
    })
    .await
    .map_err(Arc::new)?;
    let (deployed, candidates) = candidates;
    Ok(TeamState {
        targets,
        deployed,
        candidates,
        problem,
    })
}

/// A commit as typed: 7 to 64 hex digits, nothing a git command could read otherwise.
fn commit_input(text: &str) -> Result<String, DeployError> {
    let text = text.trim().to_ascii_lowercase();
    if (7..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(text)
    } else {
        Err(DeployError::Invalid(
            "name the commit by its id (7 to 64 hexadecimal digits)".into(),
        ))
    }
}

fn prepare(
    setup: &TeamDeploy,
    commit: Option<&str>,
    keys: Option<&[SigningKey]>,
) -> Result<Prepared, DeployError> {
    let branch = &setup.config.branch;
    let head = setup.fetch()?;
    let candidate = match commit {
        None => head.clone(),
        Some(text) => setup.cache.resolve(text)?.ok_or_else(|| {
            DeployError::Invalid(format!("there is no commit {text} in the repository"))
        })?,
    };
    if !setup.cache.is_ancestor(&candidate, &head)? {
        return Err(DeployError::Invalid(format!(
            "{} is not on {branch}: only merged commits are deployed",
            candidate.short()
        )));
    }
    let deployed = setup.deployed()?;
    if deployed.as_ref() == Some(&candidate) {
        return Err(DeployError::Invalid(format!(
            "{} is already deployed",
            candidate.short()
        )));
    }
    if let Some(deployed) = &deployed
        && !setup.cache.is_ancestor(deployed, &candidate)?
    {
        return Err(DeployError::Invalid(format!(
            "{} is not newer than the deployed {}",
            candidate.short(),
            deployed.short()
        )));
    }
    let files = setup
        .cache
        .changed_files(deployed.as_ref(), &candidate, &setup.config.paths)?;
    if files.is_empty() {
        return Err(DeployError::Invalid(format!(
            "{} changes nothing in {} since {}: there is nothing to deploy",
            candidate.short(),
            setup.describe_paths(),
            deployed
                .as_ref()
                .map_or("the start".to_string(), |d| format!(
                    "the deployed {}",
                    d.short()
                ))
        )));
    }
    // Everything a ref target receives is reviewed: the files beyond the paths too, and the
    // commits that made them.
    let outside: Vec<String> = if setup.receives_whole_commits() {
        setup
            .cache
            .changed_files(deployed.as_ref(), &candidate, &[])?
            .into_iter()
            .filter(|file| !setup.inside_paths(&file.path))
            .map(|file| file.path)
            .collect()
    } else {
        Vec::new()
    };
    check_outside_paths(setup.config.outside_paths, &outside)?;
    let mut commits = setup
        .cache
        .commits(deployed.as_ref(), &candidate, setup.review_scope())?;
    if let Some(keys) = keys {
        if commits.len() > MAX_SIGNED_COMMITS {
            return Err(DeployError::Invalid(format!(
                "{} brings {} commits, more than Hangar checks the signatures of at once                  ({MAX_SIGNED_COMMITS}): deploy an older commit first",
                candidate.short(),
                commits.len()
            )));
        }
        let keyring = Keyring::build(keys)?;
        let ids: Vec<CommitId> = commits.iter().map(|c| c.id.clone()).collect();
        let checked = signatures::check(&setup.cache, &keyring, &ids)?;
        for (commit, signature) in commits.iter_mut().zip(checked) {
            commit.signature = signature;
        }
    }
    Ok(Prepared {
        deployed,
        candidate,
        commits,
        files: files.len(),
        outside: outside.len(),
    })
}
