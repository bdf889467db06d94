//! `kill -9` of the real `hangar` binary after each step of a deploy, then a restart: every
//! target holds the old or the new commit at the kill, and the restarted server finishes the
//! deploy from the targets' true state (SQLite: the only process on its database resumes an
//! interrupted deploy at once).

use crate::support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use hangar_server::deploy::commit::CommitId;
use hangar_server::deploy::policy::RequestStatus;
use hangar_server::deploy::store::{self, NewRequest, Verdict};
use hangar_server::users::{self, SignIn};
use support::deploy::DeployFixture;

const STEPS: [&str; 6] = ["fetch", "verify", "export", "promote", "swap", "hook"];

struct Server {
    child: Child,
    /// Standard error's lines (where the failpoints speak), read on a thread of their own.
    /// Kept: a server that writes to a closed pipe would fail.
    stderr: Receiver<String>,
    /// The log's lines (standard output), if asked for.
    log: Option<Receiver<String>>,
}

impl Server {
    /// Starts `hangar serve`; with `pause_after`, waits until it stopped after that step.
    fn start(config: &Path, pause_after: Option<&str>) -> Self {
        match pause_after {
            Some(step) => Self::spawn(
                config,
                Some((hangar_server::deploy::PAUSE_AFTER, step, "paused")),
            ),
            None => Self::spawn(config, None),
        }
    }

    /// Starts `hangar serve` and waits until the deploy's `step` runs and is held there
    /// until the server shuts down.
    fn start_holding(config: &Path, step: &str) -> Self {
        Self::spawn(
            config,
            Some((hangar_server::deploy::HOLD_AFTER, step, "held")),
        )
    }

    fn spawn(config: &Path, failpoint: Option<(&str, &str, &str)>) -> Self {
        Self::spawn_with(config, failpoint, &[], false)
    }

    /// Starts `hangar serve` with `env` besides; with a failpoint (variable, step, what it
    /// says it did), waits until the deploy did it after that step.
    fn spawn_with(
        config: &Path,
        failpoint: Option<(&str, &str, &str)>,
        env: &[(&str, &std::ffi::OsStr)],
        log: bool,
    ) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hangar"));
        command
            .args(["serve", "--config"])
            .arg(config)
            .env_remove("HANGAR_CONFIG")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(if log { Stdio::piped() } else { Stdio::null() })
            .stderr(Stdio::piped());
        if let Some((variable, step, _)) = failpoint {
            command.env(variable, step);
        }
        let mut child = command.spawn().unwrap();
        let stderr = lines_of(child.stderr.take().unwrap());
        let log = child.stdout.take().map(lines_of);
        let server = Self { child, stderr, log };
        if let Some((_, step, what)) = failpoint {
            wait_for_line(
                &server.stderr,
                &format!("hangar: deploy {what} after {step}"),
            );
        }
        server
    }

    /// SIGTERM, as Kubernetes or systemd stop a process; returns the exit status and what
    /// the server wrote to standard error meanwhile.
    fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        let status = self.child.wait().unwrap();
        let rest: Vec<String> = self.stderr.iter().collect();
        (status, rest.join("\n"))
    }

    /// SIGKILL, as `kill -9`: no destructor, no flush, nothing.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(fixture: &DeployFixture, database: &std::path::Path) -> std::path::PathBuf {
    let port = support::idp::free_port();
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"
site_root = "{site}"

[database]
url = "sqlite://{db}"

[oidc]
issuer = "http://127.0.0.1:9"
client_id = "hangar"
client_secret = "crash-test"
{teams}
{deploy}
"#,
        site = fixture.dir.path().join("site").display(),
        db = database.display(),
        teams = support::TEST_CONFIG,
        deploy = fixture.config(true),
    );
    let path = fixture.dir.path().join("hangar.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// An approved request for team_a from `deployed` to `candidate`, as the server would have
/// stored it.
async fn approved_request(
    db: &hangar_server::db::Db,
    fixture: &DeployFixture,
    deployed: Option<&CommitId>,
    candidate: &CommitId,
) -> i64 {
    // bob approves as a team_a author; carol, who writes the commits, has signed in too
    // (an address nobody owns would need a second approval). The deploy checks both again
    // right before it changes the targets.
    fn person<'a>(subject: &'a str, email: &'a str, groups: &'a [String]) -> SignIn<'a> {
        SignIn {
            issuer: "http://127.0.0.1:9",
            subject,
            display_name: subject,
            email: Some(email),
            email_verified: true,
            groups,
            at_ms: 0,
        }
    }
    let authors = ["a-authors".to_string()];
    let (ada, _) = users::record_sign_in(db, person("ada", "ada@example.com", &[]))
        .await
        .unwrap();
    let (bob, _) = users::record_sign_in(db, person("bob", "bob@example.com", &authors))
        .await
        .unwrap();
    users::record_sign_in(db, person("carol", "carol@example.com", &[]))
        .await
        .unwrap();
    let setup_cache = hangar_server::deploy::git::Repository::open_or_init(
        &fixture.cache_dir().join("crash-probe.git"),
    )
    .unwrap();
    setup_cache
        .fetch(
            &fixture.origin.url(),
            &["+refs/heads/main:refs/heads/main".to_string()],
        )
        .unwrap();
    let commits = setup_cache
        .commits(
            deployed,
            candidate,
            &["team_a/".to_string(), "common/".to_string()],
        )
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let store::Created::Created { id, .. } = store::create(
        db,
        NewRequest {
            team: "team_a",
            deployed,
            candidate,
            requester_id: ada,
            commits: &commits,
            now_ms: now,
            expires_ms: now + 86_400_000,
            break_glass_reason: None,
            token_id: None,
            token_creator_id: None,
            token_rotator_id: None,
            authorship: hangar_server::deploy::policy::Authorship::Emails,
            outside_files: 0,
        },
    )
    .await
    .unwrap() else {
        panic!("not created")
    };
    let request = store::find(db, "team_a", id).await.unwrap().unwrap();
    let reviewed = store::review(db, &request, bob, Verdict::Approve, "ok", 1, now)
        .await
        .unwrap();
    assert_eq!(reviewed, store::Reviewed::Recorded(RequestStatus::Approved));
    id
}

/// The lines `output` gives, on a thread of their own, until it closes.
fn lines_of(output: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (send, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                return;
            }
        }
    });
    lines
}

/// Waits for a line holding `wanted`, for two minutes at most.
fn wait_for_line(lines: &Receiver<String>, wanted: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(wanted) => return,
            Ok(line) => seen.push(line),
            Err(_) => panic!("no line with {wanted:?}: {seen:#?}"),
        }
    }
}

/// A deploy fixture, its server's database (migrated, opened) and configuration.
async fn set_up() -> (
    DeployFixture,
    std::path::PathBuf,
    std::path::PathBuf,
    hangar_server::db::Db,
) {
    let fixture = DeployFixture::new();
    let database = fixture.dir.path().join("hangar.db");
    let config = config(&fixture, &database);
    let db = hangar_server::db::Db::connect(&format!("sqlite://{}", database.display()), 2)
        .await
        .unwrap();
    db.migrate().await.unwrap();
    (fixture, database, config, db)
}

/// The audit log, after checking that it holds the deploy's interruption with `detail`.
async fn interruption_says(
    db: &hangar_server::db::Db,
    detail: &str,
) -> Vec<hangar_server::audit::AuditEntry> {
    let entries = hangar_server::audit::entries_after(db, 0, 1000)
        .await
        .unwrap();
    let interrupted = entries
        .iter()
        .find(|e| e.action == "deploy.interrupted")
        .unwrap_or_else(|| panic!("the interruption is not audited: {entries:#?}"));
    assert!(
        interrupted.detail.as_deref().unwrap().contains(detail),
        "{interrupted:?}"
    );
    entries
}

async fn wait_until_deployed(db: &hangar_server::db::Db, id: i64) -> store::StoredRequest {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let request = store::find(db, "team_a", id).await.unwrap().unwrap();
        if request.status == RequestStatus::Deployed {
            return request;
        }
        assert!(
            Instant::now() < deadline,
            "not deployed after a restart: {request:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_after_any_step_leaves_old_or_new_and_a_restart_finishes() {
    let (fixture, _, config, db) = set_up().await;

    let mut deployed: Option<CommitId> = None;
    for (round, step) in STEPS.iter().enumerate() {
        // Each round deploys a new version of every file.
        for file in ["team_a/etl.py", "team_a/report.py", "common/util.py"] {
            fixture.origin.write(file, format!("# version {round}\n"));
        }
        let candidate = fixture.origin.commit(
            "Carol Contractor",
            "carol@example.com",
            &format!("round {round}"),
        );
        let id = approved_request(&db, &fixture, deployed.as_ref(), &candidate).await;

        Server::start(&config, Some(step)).kill();

        // At the kill: each target holds the old or the new commit, and the folder that
        // `current` names holds one commit's files, all of them.
        let at_kill = [
            fixture.reference("refs/heads/deploy/team_a"),
            fixture
                .current("team_a")
                .map(|c| CommitId::parse(&c).unwrap()),
        ];
        for held in &at_kill {
            assert!(
                held == &deployed || held.as_ref() == Some(&candidate),
                "after a kill at {step}: a target holds {held:?}"
            );
        }
        if fixture.current("team_a").is_some() {
            let versions: Vec<String> = ["team_a/etl.py", "team_a/report.py", "common/util.py"]
                .iter()
                .map(|f| fixture.deployed_file("team_a", f).unwrap())
                .collect();
            assert!(
                versions.windows(2).all(|w| w[0] == w[1]),
                "a mix at {step}: {versions:?}"
            );
        }
        let request = store::find(&db, "team_a", id).await.unwrap().unwrap();
        assert_eq!(
            request.status,
            RequestStatus::Deploying,
            "killed mid-deploy at {step}"
        );

        // A restart resumes it and finishes from the targets' true state.
        let server = Server::start(&config, None);
        let request = wait_until_deployed(&db, id).await;
        drop(server);
        assert_eq!(request.attempts, 2, "resumed once after the kill at {step}");
        assert_eq!(
            fixture.reference("refs/heads/deploy/team_a").as_ref(),
            Some(&candidate)
        );
        assert_eq!(
            fixture.current("team_a").as_deref(),
            Some(candidate.as_str())
        );
        assert_eq!(
            fixture.deployed_file("team_a", "common/util.py").unwrap(),
            format!("# version {round}\n")
        );
        let steps = hangar_server::deploy::progress::steps(&db, id)
            .await
            .unwrap();
        let resumed: Vec<&str> = steps
            .iter()
            .filter(|s| s.attempt == 2)
            .map(|s| s.step.as_str())
            .collect();
        assert_eq!(resumed, STEPS, "the second attempt ran every step again");
        deployed = Some(candidate);
    }
    // Hooks run at least once per deploy (again when killed after the hook).
    let hook = std::fs::read_to_string(fixture.hook_log()).unwrap();
    assert!(hook.lines().count() >= STEPS.len());
    // Old folders beyond `keep` were pruned; no half-written leftovers remain.
    let names: Vec<String> = std::fs::read_dir(fixture.root("team_a"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".incoming")),
        "{names:?}"
    );
    assert!(names.len() <= 4, "keep = 3 folders plus current: {names:?}");
}

/// SIGTERM while a step runs: the server finishes that step, stops before the next one,
/// hands the deploy back and exits cleanly; the next start finishes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_stops_a_deploy_at_the_next_safe_point() {
    let (fixture, _, config, db) = set_up().await;
    // Long enough that only a stop at the safe point explains a prompt, clean exit.
    let text = std::fs::read_to_string(&config).unwrap().replacen(
        "site_root =",
        "shutdown_grace = \"5m\"\nsite_root =",
        1,
    );
    std::fs::write(&config, text).unwrap();
    fixture.origin.write("team_a/etl.py", "# new\n");
    let candidate = fixture
        .origin
        .commit("Carol Contractor", "carol@example.com", "new");
    let id = approved_request(&db, &fixture, None, &candidate).await;

    let server = Server::start_holding(&config, "fetch");
    let (status, stderr) = server.terminate();
    assert!(status.success(), "a clean exit: {status:?}\n{stderr}");
    assert!(!stderr.contains("still running"), "{stderr}");

    let request = store::find(&db, "team_a", id).await.unwrap().unwrap();
    assert_eq!(
        request.status,
        RequestStatus::Deploying,
        "handed back, not ended"
    );
    let steps = hangar_server::deploy::progress::steps(&db, id)
        .await
        .unwrap();
    let ran: Vec<(&str, &str)> = steps
        .iter()
        .map(|s| (s.step.as_str(), s.state.as_str()))
        .collect();
    assert_eq!(
        ran,
        [("fetch", "done")],
        "fetch finished; nothing after it started"
    );
    assert_eq!(fixture.current("team_a"), None, "no target moved");
    interruption_says(&db, "stopped before verify").await;

    let server = Server::start(&config, None);
    let request = wait_until_deployed(&db, id).await;
    drop(server);
    assert_eq!(request.attempts, 2);
    assert_eq!(
        fixture.current("team_a").as_deref(),
        Some(candidate.as_str())
    );
}

/// A write of the deploy's own record that fails through every retry (another process holds
/// SQLite's write lock past the busy timeout each time) hands the deploy back, rather than
/// leave a claim whose heartbeat has stopped for the whole lease; a sweep resumes it at once
/// when the database takes writes again, and finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_failing_through_every_retry_hands_the_deploy_back() {
    use sqlx::Connection;
    let (fixture, database, config, db) = set_up().await;
    fixture.origin.write("team_a/etl.py", "# new\n");
    let candidate = fixture
        .origin
        .commit("Carol Contractor", "carol@example.com", "new");
    let id = approved_request(&db, &fixture, None, &candidate).await;

    let go = fixture.dir.path().join("go");
    let server = Server::spawn_with(
        &config,
        Some((hangar_server::deploy::WAIT_AFTER, "fetch", "waiting")),
        &[(hangar_server::deploy::GO_FILE, go.as_os_str())],
        true,
    );

    // Another process's write lock, held through the next write's every retry.
    let mut lock = sqlx::SqliteConnection::connect(&format!("sqlite://{}", database.display()))
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut lock)
        .await
        .unwrap();
    std::fs::write(&go, "").unwrap();
    // Retries wait 1 + 2 + 4 s, each attempt up to the 5 s busy timeout: about 27 s.
    wait_for_line(
        server.log.as_ref().unwrap(),
        "database error during a deploy",
    );
    let request = store::find(&db, "team_a", id).await.unwrap().unwrap();
    assert_eq!(request.status, RequestStatus::Deploying);
    assert_eq!(fixture.current("team_a"), None, "no target moved");
    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();

    // Handed back (no runner), so the sweep that ran it resumes it at once.
    let request = wait_until_deployed(&db, id).await;
    assert_eq!(request.attempts, 2);
    assert_eq!(
        fixture.current("team_a").as_deref(),
        Some(candidate.as_str())
    );
    let entries = interruption_says(&db, "stopped by a database error").await;
    // Resumed at a sweep after the hand-back, not after the lease of a claim left behind.
    let started: Vec<i64> = entries
        .iter()
        .filter(|e| e.action == "deploy.started")
        .map(|e| e.at_ms)
        .collect();
    assert_eq!(started.len(), 2, "{entries:#?}");
    assert!(
        started[1] - started[0] < hangar_server::deploy::engine::LEASE.as_millis() as i64,
        "{started:?}"
    );
}
