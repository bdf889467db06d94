//! One team's deploy setup, built from its `[[deploy]]` entry: Hangar's cache of the DAG
//! repository and the targets, each read from itself.

use std::path::Path;
use std::sync::Arc;

use super::blocking::blocking;
use super::commit::CommitId;
use super::directory::DirectoryTarget;
use super::error::DeployError;
use super::git::{Network, Repository};
use super::reference::RefTarget;
use super::shared_read::{Answer, SharedRead};
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

impl TargetState {
    /// What `commits` (one per target, in order) amount to together.
    pub fn of(commits: Vec<Option<CommitId>>) -> Self {
        match commits.split_first() {
            Some((first, rest)) if rest.iter().any(|c| c != first) => Self::Split(commits),
            Some((first, _)) => Self::Agreed(first.clone()),
            None => Self::Agreed(None),
        }
    }
}

pub struct TeamDeploy {
    pub config: DeployConfig,
    pub cache: Repository,
    pub targets: Vec<Target>,
    /// What pages show of the ref targets: shared, bounded reads.
    shown_refs: SharedRead<Vec<Option<CommitId>>>,
    /// Pages' fetches of the branch: shared, bounded.
    page_fetches: SharedRead<()>,
}

/// How long pages show an answer about the ref targets: a deploy by this replica is shown
/// at once, one by another replica (or a ref moved by hand) once the answer from before it
/// is this old (dated when the host answered).
pub const REFS_SHOWN_FRESH: std::time::Duration = std::time::Duration::from_secs(5);
/// Pages fetch the repository at most this often per team.
pub const PAGE_FETCH_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

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
            shown_refs: SharedRead::new("ls-remote", REFS_SHOWN_FRESH),
            page_fetches: SharedRead::new("fetch", PAGE_FETCH_EVERY),
        }
    }

    pub fn team(&self) -> &str {
        &self.config.team
    }

    /// Every target's commit, each read now, in target order. Blocking.
    pub fn read_targets(&self) -> Result<Vec<Option<CommitId>>, DeployError> {
        self.targets.iter().map(Target::current).collect()
    }

    /// What the targets hold together, each read now. Blocking.
    pub fn state(&self) -> Result<TargetState, DeployError> {
        Ok(TargetState::of(self.read_targets()?))
    }

    /// `commits` (one per target, in order) by each target's description.
    pub fn described(&self, commits: Vec<Option<CommitId>>) -> Vec<(String, Option<CommitId>)> {
        self.targets
            .iter()
            .map(Target::describe)
            .zip(commits)
            .collect()
    }

    /// What each target holds, by its description, as pages show it: a directory target is
    /// read on every call (a local `readlink`), the ref targets through a [`SharedRead`] (a
    /// call to the git host, shared and kept [`REFS_SHOWN_FRESH`]).
    pub async fn holdings(self: &Arc<Self>) -> Answer<Vec<(String, Option<CommitId>)>> {
        let refs = if self.receives_whole_commits() {
            let this = self.clone();
            self.shown_refs.get(move || this.read_ref_targets()).await?
        } else {
            vec![None; self.targets.len()]
        };
        let this = self.clone();
        blocking(move || {
            let commits = this
                .targets
                .iter()
                .zip(refs)
                .map(|(target, shown)| match target {
                    Target::Ref(_) => Ok(shown),
                    Target::Directory { target, .. } => Ok(target.current()?),
                })
                .collect::<Result<Vec<_>, DeployError>>()?;
            Ok(this.described(commits))
        })
        .await
        .map_err(Arc::new)
    }

    /// Fetches the branch for a page, at most every [`PAGE_FETCH_EVERY`], shared with the
    /// pages that ask meanwhile; the head is then in the cache ([`Self::cached_head`]).
    pub async fn fetch_for_page(self: &Arc<Self>) -> Answer<()> {
        let this = self.clone();
        self.page_fetches.get(move || this.fetch().map(drop)).await
    }

    /// The ref targets' commits, each read now (`None` for a directory target). Blocking.
    fn read_ref_targets(&self) -> Result<Vec<Option<CommitId>>, DeployError> {
        self.targets
            .iter()
            .map(|target| match target {
                Target::Ref(target) => Ok(target.current()?),
                Target::Directory { .. } => Ok(None),
            })
            .collect()
    }

    /// This replica is moving (or has moved) a ref target: pages read them again.
    pub fn forget_shown_refs(&self) {
        self.shown_refs.changed();
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::TargetConfig;
    use crate::deploy::testing::{Repos, deploy_config};

    const DEPLOY_REF: &str = "refs/heads/deploy/team_a";

    /// A team deploying `remote` by moving its `deploy/team_a` and into a directory.
    fn team(repos: &Repos, remote: &str) -> TeamDeploy {
        let targets = vec![
            TargetConfig::Ref {
                reference: DEPLOY_REF.into(),
            },
            TargetConfig::Directory {
                root: repos.dir.path().join("live"),
                keep: 2,
                hook: None,
                hook_timeout: Duration::from_secs(5),
            },
        ];
        let config = deploy_config("team_a", remote, &["team_a/"], targets);
        // Short: the test runtime waits for a call to a host that never answers to be killed.
        let network = Network {
            timeout: Duration::from_secs(3),
            ca_file: None,
        };
        TeamDeploy::new(config, &repos.dir.path().join("caches"), network)
    }

    fn shown(holdings: &[(String, Option<CommitId>)]) -> Vec<Option<&str>> {
        holdings
            .iter()
            .map(|(_, c)| c.as_ref().map(|c| c.as_str()))
            .collect()
    }

    #[tokio::test]
    async fn pages_keep_a_refs_read_a_while_read_directories_each_time_and_the_targets_now() {
        let repos = Repos::new();
        let first = repos.commit("first");
        let second = repos.commit("second");
        repos
            .origin
            .git(&["update-ref", DEPLOY_REF, first.as_str()]);
        let mut team = team(&repos, &repos.origin.url());
        // Kept long enough that the git calls below never outlast it.
        team.shown_refs = SharedRead::new("ls-remote", Duration::from_secs(600));
        let team = Arc::new(team);

        let holdings = team.holdings().await.unwrap();
        assert_eq!(holdings[0].0, format!("ref {DEPLOY_REF}"));
        assert_eq!(shown(&holdings), [Some(first.as_str()), None]);

        // Moved by hand (or by another replica): pages show the last read for a while...
        repos
            .origin
            .git(&["update-ref", DEPLOY_REF, second.as_str()]);
        let holdings = team.holdings().await.unwrap();
        assert_eq!(shown(&holdings), [Some(first.as_str()), None]);
        // ...what deploys decide on is read now...
        assert_eq!(team.read_targets().unwrap(), [Some(second.clone()), None]);
        // ...and the directory target is read on every call.
        std::fs::create_dir_all(repos.dir.path().join("live")).unwrap();
        std::os::unix::fs::symlink(first.as_str(), repos.dir.path().join("live/current")).unwrap();
        let holdings = team.holdings().await.unwrap();
        assert_eq!(
            shown(&holdings),
            [Some(first.as_str()), Some(first.as_str())]
        );
        assert_eq!(team.shown_refs.reads(), 1);

        // This replica moved it: the next page reads it again.
        team.forget_shown_refs();
        let holdings = team.holdings().await.unwrap();
        assert_eq!(
            shown(&holdings),
            [Some(second.as_str()), Some(first.as_str())]
        );
        assert_eq!(team.shown_refs.reads(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_git_host_that_never_answers_costs_a_page_a_bounded_wait_and_one_call() {
        // A host that takes connections and never answers them.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for connection in listener.incoming().flatten() {
                held.push(connection);
            }
        });
        let repos = Repos::new();
        let mut team = team(&repos, &format!("http://{address}/dags.git"));
        team.shown_refs = SharedRead::new("ls-remote", REFS_SHOWN_FRESH)
            .waiting_at_most(Duration::from_millis(200));
        let team = Arc::new(team);

        for _ in 0..3 {
            let error = team.holdings().await.unwrap_err();
            assert!(error.is_repository_or_target(), "{error}");
            assert_eq!(
                error.to_string(),
                "the git host has not answered git ls-remote within 200 ms (it is still asked: reload the page in a moment)"
            );
        }
        assert_eq!(team.shown_refs.reads(), 1);
    }
}
