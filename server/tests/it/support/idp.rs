//! The real test identity provider (`end2end/idp/server.mjs`, oidc-provider from npm), run as a
//! child process on a fixed loopback port so it can be restarted under the same issuer.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const CLIENT_SECRET: &str = "integration-test-secret";

/// Test users and their groups (see `TEST_CONFIG` in `mod.rs` for what the groups grant).
pub const USERS: &str = r#"{
  "viewer":         { "name": "Vera Viewer",    "groups": ["a-viewers"] },
  "operator":       { "name": "Otto Operator",  "groups": ["a-operators"] },
  "author":         { "name": "Ada Author",     "groups": ["a-authors"] },
  "admin":          { "name": "Adam Admin",     "groups": ["a-admins"] },
  "multi":          { "name": "Mia Multi",      "groups": ["a-authors", "b-admins"] },
  "platform_admin": { "name": "Pat Platform",   "groups": ["platform-admins"] },
  "auditor":        { "name": "Aud Itor",       "groups": ["platform-auditors"] },
  "examples_operator": { "name": "Xena Examples", "groups": ["x-operators"] },
  "nobody":         { "name": "No Body",        "groups": ["marketing"] },
  "unverified":     { "name": "Una Verified",   "groups": ["a-authors"], "email_verified": false }
}"#;

pub struct TestIdp {
    child: Option<Child>,
    pub issuer: String,
    port: u16,
    dir: PathBuf,
    redirect_uri: String,
    post_logout_uri: String,
    http: reqwest::Client,
    /// Serving HTTPS with `dir/idp.crt` and `dir/idp.key`.
    tls: bool,
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl TestIdp {
    /// Starts the provider; with `tls`, the provider serves HTTPS (node's own) with a certificate for 127.0.0.1
    /// issued by that CA, and its issuer is `https://127.0.0.1:…`.
    pub async fn start_with(
        dir: &Path,
        redirect_uri: &str,
        post_logout_uri: &str,
        tls: Option<&super::tls::TestCa>,
    ) -> Self {
        let users = dir.join("idp-users.json");
        std::fs::write(&users, USERS).unwrap();
        let mut http = reqwest::Client::builder();
        if let Some(ca) = tls {
            ca.issue(&["127.0.0.1"]).write(dir, "idp");
            http = http.add_root_certificate(ca.reqwest_certificate());
        }
        let mut idp = Self {
            child: None,
            issuer: String::new(),
            port: free_port(),
            dir: dir.to_path_buf(),
            redirect_uri: redirect_uri.to_string(),
            post_logout_uri: post_logout_uri.to_string(),
            http: http.build().unwrap(),
            tls: tls.is_some(),
        };
        // The port was free when picked, but a test running beside this one may take it
        // before node listens (node then exits: address in use). Another port, then.
        for _ in 0..3 {
            if idp.launch("keys-1.json").await {
                return idp;
            }
            idp.port = free_port();
        }
        panic!("the test identity provider exited before it was ready, three times");
    }

    /// Starts node on `self.port`; false if it exited before it was ready.
    async fn launch(&mut self, keys: &str) -> bool {
        let script = repo_root().join("end2end/idp/server.mjs");
        assert!(
            repo_root()
                .join("end2end/node_modules/oidc-provider")
                .exists(),
            "end2end/node_modules is missing: run `make test` (or `npm ci` in end2end/) first"
        );
        let mut child = Command::new("node")
            .arg(&script)
            .args(["--port", &self.port.to_string()])
            .arg("--keys")
            .arg(self.dir.join(keys))
            .arg("--users")
            .arg(self.dir.join("idp-users.json"))
            .args(["--client-secret", CLIENT_SECRET])
            .args(["--redirect-uri", &self.redirect_uri])
            .args(["--post-logout-uri", &self.post_logout_uri])
            .arg("--test-hooks")
            .args(if self.tls {
                vec![
                    "--tls-cert".into(),
                    self.dir.join("idp.crt").into_os_string(),
                    "--tls-key".into(),
                    self.dir.join("idp.key").into_os_string(),
                ]
            } else {
                Vec::new()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start node (the test identity provider)");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // Generous: it makes its signing keys first, and test machines are often busy.
        let ready = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(issuer) = line.strip_prefix("IDP_READY ") {
                    return Some(issuer.trim().to_string());
                }
            }
            None
        })
        .await
        .expect("the test identity provider did not start within 60 s");
        let Some(ready) = ready else {
            return false;
        };
        // Keep reading: a provider writing to a closed pipe would die of EPIPE.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.issuer = ready;
        self.child = Some(child);
        true
    }

    /// Stops the provider and starts it again, same issuer, signing with a brand-new key.
    pub async fn restart_with_new_key(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.unwrap();
        }
        assert!(
            self.launch("keys-2.json").await,
            "the test identity provider did not come back on its port"
        );
    }

    async fn hook(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> serde_json::Value {
        self.http
            .request(method, format!("{}/__test/{path}", self.issuer))
            .json(&body)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn set_groups(&self, user: &str, groups: &[&str]) {
        self.hook(
            reqwest::Method::POST,
            &format!("users/{user}"),
            serde_json::json!({ "groups": groups }),
        )
        .await;
    }

    /// Replaces a user: their name, groups and (verified) e-mail address from now on.
    pub async fn set_user(&self, user: &str, name: &str, groups: &[&str], email: &str) {
        self.hook(
            reqwest::Method::POST,
            &format!("users/{user}"),
            serde_json::json!({ "name": name, "groups": groups, "email": email }),
        )
        .await;
    }

    pub async fn delete_user(&self, user: &str) {
        self.hook(
            reqwest::Method::DELETE,
            &format!("users/{user}"),
            serde_json::json!({}),
        )
        .await;
    }

    /// The next token response carries an ID token altered as `mode` says (see server.mjs).
    pub async fn tamper_next_id_token(&self, mode: &str) {
        self.hook(
            reqwest::Method::POST,
            "tamper",
            serde_json::json!({ "mode": mode }),
        )
        .await;
    }

    /// The next userinfo answer claims to be about `subject`.
    pub async fn tamper_next_userinfo_subject(&self, subject: &str) {
        self.hook(
            reqwest::Method::POST,
            "tamper-userinfo",
            serde_json::json!({ "sub": subject }),
        )
        .await;
    }

    /// How often the key set was fetched since the provider (re)started.
    pub async fn jwks_fetches(&self) -> u64 {
        self.hook(reqwest::Method::GET, "stats", serde_json::json!({}))
            .await["jwks"]
            .as_u64()
            .unwrap()
    }
}
