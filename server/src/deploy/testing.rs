//! Real git repositories for the deploy engine's tests (unit and integration: the
//! integration tests and the benchmark build DAG repositories with [`WorkRepo`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::commit::CommitId;

/// A repository with a work tree, where tests write files and commit as someone.
pub struct WorkRepo {
    pub dir: PathBuf,
}

impl WorkRepo {
    pub fn init(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let repo = Self {
            dir: dir.to_path_buf(),
        };
        repo.git(&["init", "--quiet", "--initial-branch=main"]);
        repo
    }

    pub fn git(&self, args: &[&str]) -> String {
        run(self.command().args(args), args)
    }

    /// git in this work tree, untouched by the machine's or the user's git settings.
    fn command(&self) -> Command {
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(&self.dir)
            .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1");
        command
    }

    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) -> &Self {
        let file = self.dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
        self
    }

    pub fn remove(&self, path: &str) -> &Self {
        self.git(&["rm", "--quiet", "-r", "--", path]);
        self
    }

    /// Commits everything as `who` <`email`> and returns the new commit.
    pub fn commit(&self, who: &str, email: &str, subject: &str) -> CommitId {
        self.commit_with(who, email, subject, &Signing::None)
    }

    /// Commits everything as `who` <`email`> with `message` (trailers and all), signed as
    /// `signing` says; returns the new commit.
    pub fn commit_with(
        &self,
        who: &str,
        email: &str,
        message: &str,
        signing: &Signing,
    ) -> CommitId {
        self.git(&["add", "--all"]);
        let mut command = self.command();
        match signing {
            Signing::None => {}
            Signing::Ssh { private_key } => {
                command
                    .args(["-c", "gpg.format=ssh", "-c"])
                    .arg(format!("user.signingkey={}", private_key.display()));
            }
            Signing::Gpg { home, fingerprint } => {
                command
                    .args(["-c", "gpg.format=openpgp", "-c"])
                    .arg(format!("user.signingkey={fingerprint}"))
                    .env("GNUPGHOME", home);
            }
        }
        let mut args = vec!["commit", "--quiet", "--allow-empty", "-m", message];
        if !matches!(signing, Signing::None) {
            args.push("-S");
        }
        run(
            command
                .args(&args)
                .env("GIT_AUTHOR_NAME", who)
                .env("GIT_AUTHOR_EMAIL", email)
                .env("GIT_COMMITTER_NAME", who)
                .env("GIT_COMMITTER_EMAIL", email),
            &args,
        );
        self.head()
    }

    pub fn head(&self) -> CommitId {
        CommitId::parse(self.git(&["rev-parse", "HEAD"]).trim()).unwrap()
    }

    pub fn url(&self) -> String {
        self.dir.to_string_lossy().into_owned()
    }
}

/// How [`WorkRepo::commit_with`] signs.
#[derive(Clone, Debug)]
pub enum Signing {
    None,
    /// With an OpenSSH private key file.
    Ssh {
        private_key: PathBuf,
    },
    /// With a secret key of this GnuPG home.
    Gpg {
        home: PathBuf,
        fingerprint: String,
    },
}

fn run(command: &mut Command, args: &[&str]) -> String {
    let output = command.output().expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A DAG repository ("origin", with a work tree) and Hangar's cache of it, in a temporary
/// folder removed on drop.
#[cfg(test)]
pub struct Repos {
    pub dir: tempfile::TempDir,
    pub origin: WorkRepo,
    pub cache: super::git::Repository,
}

#[cfg(test)]
#[allow(clippy::new_without_default)]
impl Repos {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let origin = WorkRepo::init(&dir.path().join("origin"));
        let cache = super::git::Repository::open_or_init(&dir.path().join("cache.git")).unwrap();
        Self { dir, origin, cache }
    }

    /// Brings every branch of origin into the cache.
    pub fn fetch(&self) {
        self.cache
            .fetch(
                &self.origin.url(),
                &["+refs/heads/*:refs/hangar/heads/*".to_string()],
            )
            .unwrap();
    }

    /// Commits origin's work tree as alice and fetches it.
    pub fn commit(&self, subject: &str) -> CommitId {
        let commit = self.origin.commit("alice", "alice@example.com", subject);
        self.fetch();
        commit
    }
}

/// Repository paths as configuration gives them.
pub fn paths(list: &[&str]) -> Vec<String> {
    list.iter().map(|p| p.to_string()).collect()
}

/// A team's deploy configuration as `[[deploy]]` defaults it: one approval from an author,
/// break-glass for admins, deploy on approval, requests for an hour, 10 minutes to go live.
pub fn deploy_config(
    team: &str,
    repository: &str,
    paths: &[&str],
    targets: Vec<crate::config::TargetConfig>,
) -> crate::config::DeployConfig {
    use hangar_app::models::TeamRole;
    crate::config::DeployConfig {
        team: team.into(),
        repository: repository.into(),
        branch: "main".into(),
        paths: paths.iter().map(|p| p.to_string()).collect(),
        policy: super::policy::Policy {
            min_approvals: 1,
            approver_role: TeamRole::Author,
            break_glass_role: TeamRole::Admin,
            authorship: super::policy::Authorship::Emails,
        },
        auto_deploy: true,
        request_ttl: std::time::Duration::from_secs(3600),
        confirm_within: std::time::Duration::from_secs(10 * 60),
        outside_paths: super::policy::OutsidePaths::Review,
        targets,
        notify: Vec::new(),
    }
}
