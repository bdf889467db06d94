//! Test support: the real Hangar on a loopback port with its own database (SQLite file or a
//! fresh PostgreSQL database), wired to a real identity provider.

pub mod browser;
pub mod deploy;
pub mod examples;
pub mod idp;
pub mod tls;

use std::sync::Arc;

use hangar_server::clock::ManualClock;
use hangar_server::config::Config;
use hangar_server::state::AppState;
use sqlx::Connection;
use tempfile::TempDir;

pub use browser::Browser;
pub use idp::TestIdp;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Teams and access rules every integration test runs against.
pub const TEST_CONFIG: &str = r#"
[[teams]]
name = "team_a"
display_name = "Team A"
execution = { executor = "KubernetesExecutor", namespace = "team-a", queues = ["team_a"] }

[[teams]]
name = "team_b"
display_name = "Team B"

[[teams]]
name = "examples"
display_name = "Examples"

[[access]]
group = "a-viewers"
team = "team_a"
role = "viewer"

[[access]]
group = "a-operators"
team = "team_a"
role = "operator"

[[access]]
group = "a-authors"
team = "team_a"
role = "author"

[[access]]
group = "a-admins"
team = "team_a"
role = "admin"

[[access]]
group = "b-admins"
team = "team_b"
role = "admin"

[[access]]
group = "x-operators"
team = "examples"
role = "operator"

[[access]]
group = "platform-admins"
platform = "admin"

[[access]]
group = "platform-auditors"
platform = "auditor"
"#;

/// How [`TestApp::spawn_in`] sets an app up.
pub struct Setup<'a> {
    pub database_url: String,
    /// Added to the `[oidc]` section.
    pub extra_oidc: &'a str,
    /// Appended to the file (sections of its own).
    pub extra_toml: &'a str,
    /// Serve the identity provider over HTTPS with this certificate authority's certificate.
    pub idp_tls: Option<&'a tls::TestCa>,
}

/// The DAGs of `end2end/airflow/dags` that teams A and B and the shared bundle hold.
pub const SAMPLE_DAGS: [&str; 5] = [
    "shared_housekeeping",
    "team_a_etl",
    "team_a_flaky",
    "team_b_report",
    // In a bundle the test configuration does not map: nobody's.
    "unmapped_dag",
];

pub struct TestApp {
    pub url: String,
    pub idp: TestIdp,
    /// A private CA the app's browsers trust (the provider is served over HTTPS with it).
    pub trust: Option<reqwest::Certificate>,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    _dir: TempDir,
    /// Dropped last: the app's PostgreSQL database goes with it.
    _database: Option<DroppedDatabase>,
}

/// A test's own PostgreSQL database, dropped when the test is done with it: a full run
/// creates a few hundred, which would otherwise hold gigabytes of disk until the run ends.
struct DroppedDatabase {
    admin_url: String,
    name: String,
}

impl DroppedDatabase {
    /// For a database [`fresh_postgres_database`] made (its name says so); `None` otherwise.
    fn of(database_url: &str) -> Option<Self> {
        let url = url::Url::parse(database_url).ok()?;
        let name = url.path().trim_start_matches('/').to_string();
        if !url.scheme().starts_with("postgres") || !name.starts_with("hangar_test_") {
            return None;
        }
        Some(Self {
            admin_url: std::env::var("HANGAR_TEST_POSTGRES_URL").ok()?,
            name,
        })
    }
}

impl Drop for DroppedDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Its own thread and runtime: a test's runtime may be shutting down around it.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Runs an async test body once per backend: `on_both_backends!(name, ...)` expects
/// `async fn name(backend: Backend)` and creates `name::sqlite` and `name::postgres` tests.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::support::Backend::Postgres).await
            }
        }
    )*};
}

/// A caller for tests that call a port directly (no request around it): a platform auditor
/// in no team, under a made-up request id.
/// A page's HTML without leptos' hydration markers: with type-erased views (`erase_components`)
/// the server writes `<!>` where a text ends, so `>Unpause</button>` arrives as
/// `>Unpause<!></button>`. Tests that compare markup compare it unmarked.
pub fn unmarked(html: &str) -> String {
    html.replace("<!>", "")
}

pub fn acting_for_tests() -> hangar_app::functions::ports::Acting {
    use hangar_app::functions::ports::{Acting, Actor, RequestId};
    Acting {
        viewer: hangar_app::models::Viewer {
            display_name: "Test".into(),
            email: None,
            platform_role: Some(hangar_app::models::PlatformRole::Auditor),
            teams: Vec::new(),
        },
        user_id: 0,
        token: None,
        actor: Actor {
            issuer: "test".into(),
            subject: "test".into(),
            display_name: "Test".into(),
        },
        request_id: RequestId("test".into()),
        reauthenticated_ms: None,
    }
}

/// Runs the `hangar` binary with `args` and `--config config`; its output.
pub fn hangar(args: &[&str], config: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(args)
        .arg("--config")
        .arg(config)
        .env_remove("HANGAR_CONFIG")
        .output()
        .unwrap()
}

/// A copy of `env` pointing at a loopback port where nothing listens.
pub fn unreachable(
    env: &hangar_server::config::AirflowConfig,
) -> hangar_server::config::AirflowConfig {
    let mut dead = env.clone();
    dead.base_url = url::Url::parse(&format!("http://127.0.0.1:{}", idp::free_port())).unwrap();
    dead
}

/// A migrated database of its own (SQLite in `dir`, or a fresh PostgreSQL database), for
/// tests of the storage layer without an app around it.
pub async fn test_database(backend: Backend, dir: &TempDir) -> hangar_server::db::Db {
    let db = hangar_server::db::Db::connect(&database_url(backend, dir).await, 10)
        .await
        .unwrap();
    db.migrate().await.unwrap();
    db
}

async fn database_url(backend: Backend, dir: &TempDir) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("hangar.db").display()),
        Backend::Postgres => {
            let admin_url = std::env::var("HANGAR_TEST_POSTGRES_URL").expect(
                "HANGAR_TEST_POSTGRES_URL is not set: run `make test`, which starts a throwaway \
                 PostgreSQL, or point it at a server where the user may create databases",
            );
            fresh_postgres_database(&admin_url).await
        }
    }
}

/// A new, empty database on the server of `admin_url` (whose user may create databases);
/// its URL, with the query of `admin_url` (e.g. its `sslmode`) kept.
pub async fn fresh_postgres_database(admin_url: &str) -> String {
    let name = format!("hangar_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let mut url = url::Url::parse(admin_url).unwrap();
    url.set_path(&format!("/{name}"));
    url.to_string()
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, "").await
    }

    /// `extra_oidc` is added to the `[oidc]` section (e.g. `max_token_age = "1h"`).
    pub async fn spawn_with(backend: Backend, extra_oidc: &str) -> Self {
        Self::spawn_configured(backend, extra_oidc, "").await
    }

    /// With the real Airflow that `make test` starts, as environment "main"
    /// (bundles team_a_dags → team_a, team_b_dags → team_b, shared_dags shared; lib.sh's
    /// other_dags, team_a_extra and team_b_extra are not mapped here, so no team sees them).
    pub async fn spawn_with_airflow(backend: Backend) -> Self {
        Self::spawn_with_airflow_bundles(backend, "").await
    }

    /// [`Self::spawn_with_airflow`], with more `bundles` entries (e.g.
    /// `team_a_extra = "team_a"`).
    pub async fn spawn_with_airflow_bundles(backend: Backend, extra_bundles: &str) -> Self {
        let url = std::env::var("HANGAR_TEST_AIRFLOW_URL").expect(
            "HANGAR_TEST_AIRFLOW_URL is not set: run `make test`, which starts Airflow 3.3.2",
        );
        let password = std::env::var("HANGAR_TEST_AIRFLOW_PASSWORD").unwrap();
        let extra = if extra_bundles.is_empty() {
            String::new()
        } else {
            format!(", {extra_bundles}")
        };
        let airflow = format!(
            "[[airflow]]\nname = \"main\"\nbase_url = \"{url}\"\nusername = \"hangar\"\n\
             password = \"{password}\"\nbundles = {{ team_a_dags = \"team_a\", team_a_repo = \"team_a\", \
             team_b_dags = \"team_b\", \
             examples_core = \"examples\", examples_standard = \"examples\", examples_hangar = \"examples\"{extra} }}\nshared = [\"shared_dags\"]\n"
        );
        Self::spawn_configured(backend, "", &airflow).await
    }

    /// With an Airflow environment "main" (multi-team, bundles as above) at a loopback port
    /// where nothing listens: reads come from what the test seeds, every action fails.
    pub async fn spawn_with_dead_airflow(backend: Backend) -> Self {
        let airflow = format!(
            "[[airflow]]\nname = \"main\"\nbase_url = \"http://127.0.0.1:{}\"\n\
             username = \"hangar\"\npassword = \"unused\"\ntimeout = \"2s\"\n\
             bundles = {{ team_a_dags = \"team_a\", team_a_repo = \"team_a\", team_b_dags = \"team_b\", \
             examples_core = \"examples\", examples_standard = \"examples\", examples_hangar = \"examples\" }}\n\
             shared = [\"shared_dags\"]\n",
            idp::free_port()
        );
        Self::spawn_configured(backend, "", &airflow).await
    }

    /// Puts a DAG (team `None`: a shared bundle's) with one failed run `run_1` and its task `task_1`
    /// into the read model, as a sync would.
    pub async fn seed_dag(&self, environment: &str, dag_id: &str, team: Option<&str>) {
        let now = self.state.clock.now_ms();
        let run_after = "2099-01-01T00:00:00Z";
        hangar_server::with_pool!(&self.state.db, pool => {
            sqlx::query(
                "INSERT INTO dags (environment, dag_id, team, shared, display_name, is_paused, \
                 is_stale, has_import_errors, synced_ms) VALUES ($1, $2, $3, $4, $2, 0, 0, 0, $5)",
            )
            .bind(environment).bind(dag_id).bind(team).bind(i64::from(team.is_none())).bind(now)
            .execute(pool).await.unwrap();
            sqlx::query(
                "INSERT INTO dag_runs (environment, dag_id, run_id, state, run_type, run_after, \
                 synced_ms) VALUES ($1, $2, 'run_1', 'failed', 'manual', $3, $4)",
            )
            .bind(environment).bind(dag_id).bind(run_after).bind(now)
            .execute(pool).await.unwrap();
            sqlx::query(
                "INSERT INTO task_instances (environment, dag_id, run_id, task_id, map_index, \
                 state, try_number, synced_ms) VALUES ($1, $2, 'run_1', 'task_1', -1, 'failed', 1, $3)",
            )
            .bind(environment).bind(dag_id).bind(now)
            .execute(pool).await.unwrap();
        });
    }

    /// Puts a pool (team `None`: global) with 4 slots, 1 running, into the read model.
    pub async fn seed_pool(&self, environment: &str, name: &str, team: Option<&str>) {
        let now = self.state.clock.now_ms();
        hangar_server::with_pool!(&self.state.db, pool => {
            sqlx::query(
                "INSERT INTO pools (environment, name, team, slots, include_deferred, occupied, \
                 running, queued, scheduled, deferred, open, synced_ms) \
                 VALUES ($1, $2, $3, 4, 0, 1, 1, 0, 0, 0, 3, $4)",
            )
            .bind(environment).bind(name).bind(team).bind(now)
            .execute(pool).await.unwrap();
        });
    }

    /// Puts a connection (team `None`: global) with a password set into the read model.
    pub async fn seed_connection(&self, environment: &str, id: &str, team: Option<&str>) {
        let now = self.state.clock.now_ms();
        hangar_server::with_pool!(&self.state.db, pool => {
            sqlx::query(
                "INSERT INTO connections (environment, connection_id, team, conn_type, \
                 has_password, synced_ms) VALUES ($1, $2, $3, 'http', 1, $4)",
            )
            .bind(environment).bind(id).bind(team).bind(now)
            .execute(pool).await.unwrap();
        });
    }

    pub async fn seed_variable(&self, environment: &str, key: &str, team: Option<&str>) {
        let now = self.state.clock.now_ms();
        hangar_server::with_pool!(&self.state.db, pool => {
            sqlx::query(
                "INSERT INTO variables (environment, variable_key, team, is_encrypted, synced_ms) \
                 VALUES ($1, $2, $3, 1, $4)",
            )
            .bind(environment).bind(key).bind(team).bind(now)
            .execute(pool).await.unwrap();
        });
    }

    /// A user row, as a sign-in would leave it; returns its id.
    pub async fn seed_user(&self, subject: &str) -> i64 {
        self.seed_user_in(subject, &[]).await
    }

    /// A user row with the groups of their last sign-in (what judges, say, whether the
    /// tokens they created still work); returns its id.
    pub async fn seed_user_in(&self, subject: &str, groups: &[&str]) -> i64 {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        let sign_in = hangar_server::users::SignIn {
            issuer: "https://seeded.example.com",
            subject,
            display_name: subject,
            email: None,
            email_verified: false,
            groups: &groups,
            at_ms: 0,
        };
        hangar_server::users::record_sign_in(&self.state.db, sign_in)
            .await
            .unwrap()
            .0
    }

    /// `extra_toml` is appended at the end of the file (e.g. `[[airflow]]` entries).
    pub async fn spawn_configured(backend: Backend, extra_oidc: &str, extra_toml: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database_url = database_url(backend, &dir).await;
        let database = DroppedDatabase::of(&database_url);
        let mut app = Self::spawn_in(
            dir,
            Setup {
                database_url,
                extra_oidc,
                extra_toml,
                idp_tls: None,
            },
        )
        .await;
        app._database = database;
        app
    }

    /// The app as [`Setup`] says, in `dir` (removed when the app is dropped).
    pub async fn spawn_in(dir: TempDir, setup: Setup<'_>) -> Self {
        let Setup {
            database_url,
            extra_oidc,
            extra_toml,
            idp_tls,
        } = setup;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let idp = TestIdp::start_with(
            dir.path(),
            &format!("{url}/auth/callback"),
            &format!("{url}/auth/signed-out"),
            idp_tls,
        )
        .await;
        let toml = format!(
            r#"
[server]
listen = "{addr}"
public_url = "{url}"
site_root = "{site}"

[database]
url = "{database_url}"
max_connections = 5

[oidc]
issuer = "{issuer}"
client_id = "hangar"
client_secret = "{secret}"
scopes = ["openid", "email", "profile", "groups", "offline_access"]
jwks_refresh_min_interval = "30s"
{extra_oidc}
{TEST_CONFIG}
{extra_toml}
"#,
            addr = listener.local_addr().unwrap(),
            site = dir.path().join("site").display(),
            issuer = idp.issuer,
            secret = idp::CLIENT_SECRET,
        );
        // Written too, for tests that run the `hangar` command on the same database.
        std::fs::write(dir.path().join("hangar.toml"), &toml).unwrap();
        let config = Config::from_toml(&dir.path().join("hangar.toml"), &toml, Vec::new())
            .expect("test configuration is valid");
        let clock = Arc::new(ManualClock::default());
        // Tests drive the sync themselves; the binary (browser tests, demo) runs the loops.
        let (router, state) =
            hangar_server::build_with(config, clock.clone(), hangar_server::SyncLoops::Off)
                .await
                .expect("hangar starts");
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Self {
            url,
            idp,
            trust: idp_tls.map(|ca| ca.reqwest_certificate()),
            clock,
            state,
            _dir: dir,
            _database: None,
        }
    }

    /// A second Hangar on the same database and identity provider, as another replica
    /// behind a load balancer would be. Returns its URL.
    pub async fn spawn_replica(&self) -> String {
        self.spawn_replica_with(self.state.config.clone()).await
    }

    /// The same, started from `config` (this app's, changed by the test).
    pub async fn spawn_replica_with(&self, config: hangar_server::config::Config) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (router, _state) =
            hangar_server::build_with(config, self.clock.clone(), hangar_server::SyncLoops::Off)
                .await
                .expect("the replica starts");
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .unwrap();
        });
        url
    }

    /// The configuration file this app was started from.
    pub fn config_file(&self) -> std::path::PathBuf {
        self._dir.path().join("hangar.toml")
    }

    pub fn browser(&self) -> Browser {
        Browser::trusting(&self.url, self.trust.clone())
    }

    /// A browser connecting from the loopback address 127.0.0.`n`: to Hangar, a client of its
    /// own (anonymous refusals are sampled once per address and minute).
    pub fn browser_from(&self, n: u8) -> Browser {
        let address = std::net::Ipv4Addr::new(127, 0, 0, n);
        Browser::at(&self.url, self.trust.clone(), Some(address.into()))
    }

    /// The HTML `user` (signed in afresh) reads at `path`.
    /// The page at `path` as `user` sees it, without hydration markers ([`unmarked`]).
    pub async fn page_as(&self, user: &str, path: &str) -> String {
        unmarked(
            &self
                .signed_in(user)
                .await
                .get(path)
                .await
                .text()
                .await
                .unwrap(),
        )
    }

    pub async fn signed_in(&self, user: &str) -> Browser {
        let browser = self.browser();
        let response = browser.sign_in(user).await;
        if response.status() != reqwest::StatusCode::SEE_OTHER {
            panic!(
                "sign-in as {user} failed with {}; audit: {:?}",
                response.status(),
                self.audit_actions().await
            );
        }
        browser
    }

    /// Syncs the first Airflow environment until the read model holds the five sample DAGs
    /// (the dag-processor may still be parsing right after Airflow started).
    pub async fn sync_sample_dags(&self) {
        self.sync_dags_until(&SAMPLE_DAGS, 60).await;
    }

    /// Syncs the first environment's DAGs until all of `dag_ids` are in the read model,
    /// for up to `seconds`.
    pub async fn sync_dags_until(&self, dag_ids: &[&str], seconds: i64) {
        let env = &self.state.config.airflow[0];
        let client =
            hangar_server::airflow::AirflowClient::for_environment(env, &self.state.config.tls)
                .unwrap();
        for attempt in 0..seconds {
            let now = self.state.clock.now_ms() + attempt;
            hangar_server::sync::dags::sync_dags(&self.state.db, env, &client, now)
                .await
                .unwrap();
            let listed: Vec<String> = hangar_server::with_pool!(&self.state.db, pool => {
                sqlx::query_scalar("SELECT dag_id FROM dags").fetch_all(pool).await.unwrap()
            });
            if dag_ids.iter().all(|id| listed.iter().any(|l| l == id)) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        panic!("Airflow never listed all of {dag_ids:?}");
    }

    /// One pass of the run and task-instance sync of the first environment, as the loop
    /// makes it (announcing changes to live pages).
    pub async fn sync_runs_and_tasks(&self) {
        let env = &self.state.config.airflow[0];
        let client = self.state.airflow.main(&env.name).unwrap();
        let now = self.state.clock.now_ms();
        hangar_server::sync::sync_activity(&self.state, env, &client, now)
            .await
            .unwrap();
    }

    /// (action, outcome, team) of the newest audit entry.
    pub async fn last_audit(&self) -> (String, String, Option<String>) {
        let entry = hangar_server::audit::entries_after(&self.state.db, 0, 10_000)
            .await
            .unwrap()
            .pop()
            .unwrap();
        (entry.action, entry.outcome, entry.team)
    }

    /// The detail of the newest audit entry.
    pub async fn last_audit_detail(&self) -> String {
        self.audit_actions()
            .await
            .pop()
            .and_then(|(_, _, detail)| detail)
            .unwrap_or_default()
    }

    /// The audit log's actions and outcomes, oldest first.
    pub async fn audit_actions(&self) -> Vec<(String, String, Option<String>)> {
        hangar_server::audit::entries_after(&self.state.db, 0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.action, e.outcome, e.detail))
            .collect()
    }

    /// Whether the audit log holds an entry of `action` with `outcome`.
    pub async fn audited(&self, action: &str, outcome: &str) -> bool {
        self.audit_actions()
            .await
            .iter()
            .any(|(a, o, _)| a == action && o == outcome)
    }
}

/// The test Airflow keeps its metadata in SQLite, which refuses concurrent writes with a
/// 500 that Hangar passes on as 502; a person would press the button again.
/// Waits up to `within` for the next `change` event a browser would dispatch on an event
/// stream; keep-alive comments do not count.
pub async fn next_change(stream: &mut reqwest::Response, within: std::time::Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                // With data: browsers drop an event whose data is empty.
                if String::from_utf8_lossy(&chunk).contains("event: change\ndata: reload") {
                    return true;
                }
            }
            Ok(_) => panic!("the stream ended"),
            Err(_) => return false,
        }
    }
}

pub async fn retry_busy<F, Fut>(mut call: F) -> (reqwest::StatusCode, String)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (reqwest::StatusCode, String)>,
{
    let mut last = (reqwest::StatusCode::OK, String::new());
    for _ in 0..5 {
        last = call().await;
        if last.0 != reqwest::StatusCode::BAD_GATEWAY || !last.1.contains("Database error") {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    last
}

/// A direct write to the test Airflow, again while its SQLite refuses it as busy (the
/// failure `retry_busy` handles for writes through Hangar).
pub async fn retry_airflow<T, F, Fut>(
    mut call: F,
) -> Result<T, hangar_server::airflow::AirflowError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, hangar_server::airflow::AirflowError>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match call().await {
            Err(hangar_server::airflow::AirflowError::Rejected {
                status: 500,
                detail,
                ..
            }) if detail.contains("Database error") && attempt < 5 => {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            other => return other,
        }
    }
}

impl TestApp {
    /// A client for the first Airflow environment with its own (admin) credentials, to check
    /// what Airflow itself holds.
    /// What a sync or an action announces after writing the read model: a test that writes
    /// it directly says so, or kept pages (`kept_pages`) serve the old data for up to a second.
    pub async fn announce_change(&self, teams: &[&str]) {
        self.state
            .live
            .teams_changed("main", teams.iter().map(|t| Some(t.to_string())).collect())
            .await;
    }

    pub fn airflow(&self) -> hangar_server::airflow::AirflowClient {
        hangar_server::airflow::AirflowClient::for_environment(
            &self.state.config.airflow[0],
            &self.state.config.tls,
        )
        .unwrap()
    }
}

impl Browser {
    /// Calls a server function by name, again if the test Airflow's SQLite was busy.
    pub async fn function(
        &self,
        function: &str,
        form: &[(&str, &str)],
    ) -> (reqwest::StatusCode, String) {
        retry_busy(|| async {
            let response = self.call(&format!("/api/{function}"), form).await;
            (response.status(), response.text().await.unwrap())
        })
        .await
    }
}
