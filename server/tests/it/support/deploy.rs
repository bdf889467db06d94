//! A real DAG repository and deploy targets for the deploy tests: `origin` (with a work
//! tree, where commits are made as someone), a directory target and Hangar's cache folder.

use std::path::PathBuf;

use hangar_server::deploy::commit::CommitId;
pub use hangar_server::deploy::testing::WorkRepo;

pub struct DeployFixture {
    pub dir: tempfile::TempDir,
    pub origin: WorkRepo,
}

impl DeployFixture {
    /// A repository with `team_a/`, `team_b/` and `common/`, first commit by carol.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let origin = WorkRepo::init(&dir.path().join("dags"));
        origin
            .write("team_a/etl.py", "print('etl v1')\n")
            .write("team_b/report.py", "print('report v1')\n")
            .write("common/util.py", "X = 1\n");
        origin.commit(
            "Carol Contractor",
            "carol@example.com",
            "Start the DAG repository",
        );
        Self { dir, origin }
    }

    pub fn root(&self, team: &str) -> PathBuf {
        self.dir.path().join("targets").join(team)
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// `[git]` and a `[[deploy]]` for team_a (ref and directory targets, with a hook that
    /// appends the commit to `hook.log`) and one for team_b (ref target only).
    pub fn config(&self, auto_deploy: bool) -> String {
        format!(
            r#"
[git]
cache_dir = "{cache}"

[[deploy]]
team = "team_a"
repository = "{repo}"
branch = "main"
paths = ["team_a/", "common/"]
min_approvals = 1
approver_role = "author"
break_glass_role = "admin"
auto_deploy = {auto_deploy}
request_ttl = "1d"

[[deploy.target]]
kind = "ref"
ref = "refs/heads/deploy/team_a"

[[deploy.target]]
kind = "directory"
root = "{root_a}"
keep = 3
hook = ["/bin/sh", "-c", "echo $HANGAR_DEPLOY_SHA >> {hook_log}", "{{sha}}"]

[[deploy]]
team = "team_b"
repository = "{repo}"
paths = ["team_b/"]
request_ttl = "1h"

[[deploy.target]]
kind = "ref"
ref = "refs/heads/deploy/team_b"
"#,
            cache = self.cache_dir().display(),
            repo = self.origin.url(),
            root_a = self.root("team_a").display(),
            hook_log = self.hook_log().display(),
        )
    }

    pub fn hook_log(&self) -> PathBuf {
        self.dir.path().join("hook.log")
    }

    /// What a ref of origin holds.
    pub fn reference(&self, name: &str) -> Option<CommitId> {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&self.origin.dir)
            .args(["rev-parse", "--verify", "--quiet", name])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| CommitId::parse(String::from_utf8_lossy(&out.stdout).trim()).unwrap())
    }

    /// What `ROOT/current` points at.
    pub fn current(&self, team: &str) -> Option<String> {
        std::fs::read_link(self.root(team).join("current"))
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
    }

    pub fn deployed_file(&self, team: &str, path: &str) -> Option<String> {
        std::fs::read_to_string(self.root(team).join("current").join(path)).ok()
    }
}
