//! One team's deploy setup, built from its `[[deploy]]` entry: Hangar's cache of the DAG
//! repository and the targets, each read from itself.

use std::path::Path;

use super::commit::CommitId;
use super::directory::DirectoryTarget;
use super::error::DeployError;
use super::git::{Network, Repository};
use super::reference::RefTarget;
use crate::config::{DeployConfig, TargetConfig};

pub enum Target {
    Ref(RefTarget),
    Directory {
        target: DirectoryTarget,
        hook: Option<Vec<String>>,
        /// The hook and everything it started are killed after this long.
        hook_timeout: std::time::Duration,
    },
}

impl Target {
    /// How the progress page and errors name the target.
    pub fn describe(&self) -> String {
        match self {
            Self::Ref(target) => format!("ref {}", target.reference),
            Self::Directory { target, .. } => format!("directory {}", target.root.display()),
        }
    }

    /// The commit the target holds now, read from the target itself.
    pub fn current(&self) -> Result<Option<CommitId>, DeployError> {
        Ok(match self {
            Self::Ref(target) => target.current()?,
            Self::Directory { target, .. } => target.current()?,
        })
    }
}

/// What a team's targets hold together.
#[derive(Debug, PartialEq, Eq)]
pub enum TargetState {
    /// Every target holds this (`None`: nothing deployed yet).
    Agreed(Option<CommitId>),
    /// They differ: an interrupted or failed deploy. Each target's commit, in order.
    Split(Vec<Option<CommitId>>),
}

pub struct TeamDeploy {
    pub config: DeployConfig,
    pub cache: Repository,
    pub targets: Vec<Target>,
}

impl TeamDeploy {
    /// `network`: how git reaches the repository (`[git] timeout`, `[tls] ca_file`).
    pub fn new(config: DeployConfig, cache_dir: &Path, network: Network) -> Self {
        let cache = Repository::at(&cache_dir.join(format!("{}.git", config.team)))
            .with_network(network.clone());
        let targets = config
            .targets
            .iter()
            .map(|target| match target {
                TargetConfig::Ref { reference } => Target::Ref(RefTarget {
                    remote: config.repository.clone(),
                    reference: reference.clone(),
                    network: network.clone(),
                }),
                TargetConfig::Directory {
                    root,
                    keep,
                    hook,
                    hook_timeout,
                } => Target::Directory {
                    target: DirectoryTarget {
                        root: root.clone(),
                        keep: *keep,
                    },
                    hook: hook.clone(),
                    hook_timeout: *hook_timeout,
                },
            })
            .collect();
        Self {
            config,
            cache,
            targets,
        }
    }

    pub fn team(&self) -> &str {
        &self.config.team
    }

    /// What each target holds, by its description: one read per target.
    pub fn holdings(&self) -> Result<Vec<(String, Option<CommitId>)>, DeployError> {
        self.targets
            .iter()
            .map(|target| Ok((target.describe(), target.current()?)))
            .collect()
    }

    pub fn state(&self) -> Result<TargetState, DeployError> {
        let commits = self
            .targets
            .iter()
            .map(Target::current)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(match commits.split_first() {
            Some((first, rest)) if rest.iter().any(|c| c != first) => TargetState::Split(commits),
            Some((first, _)) => TargetState::Agreed(first.clone()),
            None => TargetState::Agreed(None),
        })
    }

    /// What the team has deployed: the commit every target holds.
    pub fn deployed(&self) -> Result<Option<CommitId>, DeployError> {
        match self.state()? {
            TargetState::Agreed(commit) => Ok(commit),
            TargetState::Split(commits) => {
                Err(DeployError::TargetsDisagree(self.describe_split(&commits)))
            }
        }
    }

    pub fn describe_split(&self, commits: &[Option<CommitId>]) -> String {
        self.targets
            .iter()
            .zip(commits)
            .map(|(target, commit)| {
                format!(
                    "{} at {}",
                    target.describe(),
                    commit.as_ref().map_or("nothing", |c| c.short())
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Brings the branch and every ref target into the cache (refs of their own, so a commit
    /// pushed to a deploy ref by hand is known too). Returns the branch head.
    pub fn fetch(&self) -> Result<CommitId, DeployError> {
        self.cache.ensure()?;
        let branch = &self.config.branch;
        let mut refspecs = vec![format!("+refs/heads/{branch}:refs/heads/{branch}")];
        for (n, target) in self.targets.iter().enumerate() {
            if let Target::Ref(target) = target
                && target.current()?.is_some()
            {
                refspecs.push(format!("+{}:refs/hangar/targets/{n}", target.reference));
            }
        }
        self.cache.fetch(&self.config.repository, &refspecs)?;
        self.cache
            .resolve(&format!("refs/heads/{branch}"))?
            .ok_or_else(|| DeployError::Invalid(format!("the repository has no branch {branch}")))
    }

    /// The branch head as last fetched, without fetching.
    pub fn cached_head(&self) -> Result<Option<CommitId>, DeployError> {
        if !self.cache.exists() {
            return Ok(None);
        }
        Ok(self
            .cache
            .resolve(&format!("refs/heads/{}", self.config.branch))?)
    }

    /// Whether a target receives the whole commit: a ref moves to it, so everything the
    /// commit holds reaches wherever the bundle reads, not only the team's paths.
    pub fn receives_whole_commits(&self) -> bool {
        self.targets.iter().any(|t| matches!(t, Target::Ref(_)))
    }

    /// The repository paths a request's review covers (empty: the whole repository): the
    /// team's paths, or everything when a ref target receives the whole commit.
    pub fn review_scope(&self) -> &[String] {
        if self.receives_whole_commits() {
            &[]
        } else {
            &self.config.paths
        }
    }

    /// Whether `path` lies inside the team's paths (literal prefixes, as git's pathspecs).
    pub fn inside_paths(&self, path: &str) -> bool {
        self.config.paths.iter().any(|prefix| {
            let folder = prefix.trim_end_matches('/');
            path == folder || path.starts_with(&format!("{folder}/"))
        })
    }

    /// "team_a/, common/", for messages.
    pub fn describe_paths(&self) -> String {
        self.config.paths.join(", ")
    }
}
