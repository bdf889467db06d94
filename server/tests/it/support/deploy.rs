//! A real DAG repository and deploy targets for the deploy tests: `origin` (with a work
//! tree, where commits are made as someone, signed or not), a directory target and Hangar's
//! cache folder; signing keys made by the test; and the calls the deploy tests share.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use hangar_server::deploy::commit::CommitId;
use hangar_server::deploy::policy::RequestStatus;
use hangar_server::deploy::store;
pub use hangar_server::deploy::testing::{Signing, WorkRepo};
use reqwest::StatusCode;

use super::{Browser, TestApp};

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

    /// Like [`Self::config`], with `settings` (TOML lines such as `authorship =
    /// "signatures"`) added to team_a's `[[deploy]]`.
    pub fn config_with(&self, auto_deploy: bool, settings: &str) -> String {
        self.config(auto_deploy).replacen(
            "request_ttl = \"1d\"\n",
            &format!("request_ttl = \"1d\"\n{settings}\n"),
            1,
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

/// Calls a server function by name; its status and body.
pub async fn call(
    browser: &Browser,
    function: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let response = browser.call(&format!("/api/{function}"), form).await;
    (response.status(), response.text().await.unwrap())
}

pub async fn status(app: &TestApp, team: &str, id: i64) -> RequestStatus {
    store::find(&app.state.db, team, id)
        .await
        .unwrap()
        .unwrap()
        .status
}

/// Waits for a background deploy to end in `wanted`.
pub async fn wait_for(app: &TestApp, team: &str, id: i64, wanted: RequestStatus) {
    for _ in 0..200 {
        if status(app, team, id).await == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let request = store::find(&app.state.db, team, id).await.unwrap().unwrap();
    panic!(
        "deploy {id} is {:?}, not {wanted:?}: {request:?}",
        request.status
    );
}

/// Requests a deploy of `commit` of `team`; returns its id.
pub async fn open(browser: &Browser, team: &str, commit: &str) -> i64 {
    let (status, body) = call(
        browser,
        "request_deploy",
        &[("team", team), ("commit", commit)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.parse().unwrap()
}

/// team_a's API token "ci" (deploys:request and deploys:read, 30 days), created by
/// `browser`'s person: its secret and id.
pub async fn create_ci_token(browser: &Browser) -> (String, i64) {
    let (code, body) = call(
        browser,
        "create_token",
        &[
            ("team", "team_a"),
            ("name", "ci"),
            ("scope_request", "true"),
            ("scope_read", "true"),
            ("days", "30"),
        ],
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    (
        created["secret"].as_str().unwrap().to_string(),
        created["row"]["id"].as_i64().unwrap(),
    )
}

/// Reviews request `id` having read its whole approval screen, the files outside the team's
/// paths included.
pub async fn reviews_to(
    browser: &Browser,
    team: &str,
    id: i64,
    verdict: &str,
) -> (StatusCode, String) {
    review(browser, team, id, verdict, true).await
}

/// Like [`reviews_to`]; `opened_outside`: whether the reviewer opened the approval screen's
/// section of files outside the team's paths and ticked its box.
pub async fn review(
    browser: &Browser,
    team: &str,
    id: i64,
    verdict: &str,
    opened_outside: bool,
) -> (StatusCode, String) {
    let id = id.to_string();
    call(
        browser,
        "review_deploy",
        &[
            ("team", team),
            ("id", &id),
            ("verdict", verdict),
            ("comment", "looks right"),
            (
                "reviewed_outside",
                if opened_outside { "true" } else { "false" },
            ),
        ],
    )
    .await
}

/// The approval screen of request `id` of team_a, as HTML.
pub async fn approval_screen(browser: &Browser, id: i64) -> String {
    browser
        .get(&format!("/t/team_a/deploys/{id}"))
        .await
        .text()
        .await
        .unwrap()
}

/// A signing key the test made: an OpenSSH key pair (`ssh-keygen`) or an OpenPGP one (`gpg`,
/// in a home of its own, whose agent is stopped on drop).
pub struct TestKey {
    /// Holds the key files; removed on drop.
    _dir: tempfile::TempDir,
    pub public: String,
    signing: Signing,
}

impl TestKey {
    pub fn ssh(name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join(name);
        let made = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&private)
            .status()
            .unwrap();
        assert!(made.success(), "ssh-keygen made no key");
        let public = std::fs::read_to_string(dir.path().join(format!("{name}.pub"))).unwrap();
        Self {
            _dir: dir,
            public,
            signing: Signing::Ssh {
                private_key: private,
            },
        }
    }

    /// An OpenPGP key, or `None` (said on standard error) where `gpg` is missing.
    pub fn gpg(name: &str, email: &str) -> Option<Self> {
        if Command::new("gpg").arg("--version").output().is_err() {
            eprintln!("gpg is not installed: skipping the OpenPGP half of this test");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("gpg")
            .tempdir_in("/tmp")
            .unwrap();
        let gpg = |args: &[&str]| {
            let output = gpg_in(dir.path()).args(args).output().unwrap();
            assert!(output.status.success(), "gpg {args:?}: {output:?}");
            String::from_utf8(output.stdout).unwrap()
        };
        gpg(&[
            "--quick-gen-key",
            &format!("{name} <{email}>"),
            "ed25519",
            "sign",
            "never",
        ]);
        let listing = gpg(&["--with-colons", "--list-keys"]);
        let fingerprint = listing
            .lines()
            .find_map(|l| {
                l.strip_prefix("fpr:")
                    .map(|f| f.trim_matches(':').to_string())
            })
            .unwrap();
        let public = gpg(&["--armor", "--export", &fingerprint]);
        let home = dir.path().to_path_buf();
        Some(Self {
            _dir: dir,
            public,
            signing: Signing::Gpg { home, fingerprint },
        })
    }

    pub fn signing(&self) -> Signing {
        self.signing.clone()
    }

    /// What a person pastes as proof: their signature over `text`.
    pub fn prove(&self, text: &str) -> String {
        let mut command = match &self.signing {
            Signing::Ssh { private_key } => {
                let mut command = Command::new("ssh-keygen");
                command
                    .args(["-Y", "sign", "-n", "hangar", "-f"])
                    .arg(private_key);
                command
            }
            Signing::Gpg { home, fingerprint } => {
                let mut command = gpg_in(home);
                command.args(["--armor", "--detach-sign", "--local-user", fingerprint]);
                command
            }
            Signing::None => panic!("no key"),
        };
        use std::io::Write;
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    }
}

/// `gpg` with its keys in `home`, without a terminal, keys without a passphrase.
fn gpg_in(home: &std::path::Path) -> Command {
    let mut command = Command::new("gpg");
    command.arg("--homedir").arg(home).args([
        "--batch",
        "--quiet",
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        "",
    ]);
    command
}

impl Drop for TestKey {
    fn drop(&mut self) {
        if let Signing::Gpg { home, .. } = &self.signing {
            let _ = Command::new("gpgconf")
                .arg("--homedir")
                .arg(home)
                .args(["--kill", "gpg-agent"])
                .status();
        }
    }
}

/// Registers `key` on the signed-in person's profile, proving it with a signature over the
/// profile's text, as a person would; the answer of `add_signing_key`.
pub async fn register_key(browser: &Browser, key: &TestKey) -> (StatusCode, String) {
    let (status, profile) = call(browser, "profile", &[]).await;
    assert_eq!(status, StatusCode::OK, "{profile}");
    let profile: serde_json::Value = serde_json::from_str(&profile).unwrap();
    let challenge = profile["challenge"].as_str().unwrap();
    register_key_with(browser, key, &key.prove(challenge)).await
}

/// Registers `key` with `proof` as given.
pub async fn register_key_with(
    browser: &Browser,
    key: &TestKey,
    proof: &str,
) -> (StatusCode, String) {
    call(
        browser,
        "add_signing_key",
        &[
            ("public_key", key.public.as_str()),
            ("proof", proof),
            ("label", "laptop"),
        ],
    )
    .await
}
