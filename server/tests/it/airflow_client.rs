//! The Airflow client against the real Airflow 3.3.2 that `make test` starts (multi-team:
//! team_a, team_b and a shared bundle), and against local servers that misbehave.

use std::collections::BTreeSet;
use std::time::Duration;

use hangar_server::airflow::{AirflowClient, AirflowError};
use hangar_server::config::{AirflowCredentials, Secret};
use url::Url;

fn real_airflow() -> (Url, String) {
    let url = std::env::var("HANGAR_TEST_AIRFLOW_URL").expect(
        "HANGAR_TEST_AIRFLOW_URL is not set: run `make test`, which starts a real Airflow 3.3.2",
    );
    let password =
        std::env::var("HANGAR_TEST_AIRFLOW_PASSWORD").expect("HANGAR_TEST_AIRFLOW_PASSWORD");
    (Url::parse(&url).unwrap(), password)
}

fn client(url: &Url, username: &str, password: &str) -> AirflowClient {
    let credentials = AirflowCredentials::Password {
        username: username.into(),
        password: Secret::new(password),
    };
    AirflowClient::new(
        "test-env",
        url.clone(),
        Duration::from_secs(10),
        credentials,
        &Default::default(),
    )
    .unwrap()
}

/// DAG ids the client sees, waiting for the dag-processor's first parse if needed.
async fn dag_ids(client: &AirflowClient, expected: usize) -> BTreeSet<String> {
    for _ in 0..60 {
        let dags = client.all_dags().await.unwrap();
        if dags.len() >= expected {
            return dags.into_iter().map(|d| d.dag_id).collect();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!("Airflow never showed {expected} DAGs");
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// The test Airflow's fixed DAGs among `ids` (other tests add DAGs of their own while this
/// Airflow runs: deploys, ownership conflicts, Airflow's examples).
fn fixed(ids: BTreeSet<String>) -> BTreeSet<String> {
    const FIXED: [&str; 5] = [
        "shared_housekeeping",
        "team_a_etl",
        "team_a_flaky",
        "team_b_report",
        // In a bundle of no team: Airflow shows it to everyone, Hangar to no team.
        "unmapped_dag",
    ];
    ids.into_iter()
        .filter(|id| FIXED.contains(&id.as_str()))
        .collect()
}

fn airflow_version() -> String {
    std::env::var("HANGAR_TEST_AIRFLOW_VERSION").unwrap_or_else(|_| "3.3.2".into())
}

#[tokio::test]
async fn the_admin_sees_every_bundle() {
    let (url, password) = real_airflow();
    let admin = client(&url, "hangar", &password);
    assert_eq!(admin.version().await.unwrap().version, airflow_version());
    // Over a hundred on 3.3.2: Airflow's examples are parsed by a dag-processor of their own
    // (the 3.4 beta's test set-up does not load them yet).
    let examples = airflow_version().starts_with("3.3");
    let ids = dag_ids(&admin, if examples { 100 } else { 5 }).await;
    assert!(!examples || ids.contains("example_task_group"), "{ids:?}");
    assert_eq!(
        fixed(ids),
        set(&[
            "shared_housekeeping",
            "team_a_etl",
            "team_a_flaky",
            "team_b_report",
            "unmapped_dag"
        ])
    );
    let dags = admin.all_dags().await.unwrap();
    let etl = dags.iter().find(|d| d.dag_id == "team_a_etl").unwrap();
    assert_eq!(etl.bundle_name.as_deref(), Some("team_a_dags"));
    assert_eq!(etl.owners, vec!["alice".to_string()]);
    assert!(etl.tags.iter().any(|t| t.name == "etl"));
}

#[tokio::test]
async fn team_credentials_see_their_team_and_the_shared_bundle_only() {
    let (url, password) = real_airflow();
    dag_ids(&client(&url, "hangar", &password), 5).await;
    let team_a = client(&url, "team_a_svc", "team-a-airflow");
    assert_eq!(
        fixed(dag_ids(&team_a, 4).await),
        set(&[
            "shared_housekeeping",
            "team_a_etl",
            "team_a_flaky",
            "unmapped_dag"
        ])
    );
    let team_b = client(&url, "team_b_svc", "team-b-airflow");
    assert_eq!(
        fixed(dag_ids(&team_b, 3).await),
        set(&["shared_housekeeping", "team_b_report", "unmapped_dag"])
    );
    // Another team's DAG by id: Airflow itself refuses.
    let other: Result<serde_json::Value, _> = team_a
        .call(
            reqwest::Method::GET,
            "/api/v2/dags/team_b_report",
            &[],
            None,
        )
        .await;
    assert!(
        matches!(
            other,
            Err(AirflowError::Forbidden { .. }) | Err(AirflowError::NotFound { .. })
        ),
        "{other:?}"
    );
}

#[tokio::test]
async fn a_wrong_password_is_a_clear_error() {
    let (url, _) = real_airflow();
    let error = client(&url, "hangar", "wrong-password")
        .version()
        .await
        .unwrap_err();
    assert_eq!(
        error,
        AirflowError::Unauthorized {
            env: "test-env".into()
        }
    );
    assert!(!error.to_string().contains("wrong-password"));
}

#[tokio::test]
async fn a_token_file_is_read_again_after_a_refusal() {
    let (url, password) = real_airflow();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "not-a-valid-token").unwrap();
    let from_file = AirflowClient::new(
        "test-env",
        url.clone(),
        Duration::from_secs(10),
        AirflowCredentials::TokenFile(file.clone()),
        &Default::default(),
    )
    .unwrap();
    // (`/version` needs no credentials in Airflow 3.3; the DAG list does.)
    let refused = from_file.dags_page(0).await.unwrap_err();
    assert!(
        matches!(
            refused,
            AirflowError::Forbidden { .. } | AirflowError::Unauthorized { .. }
        ),
        "a bad token is refused: {refused:?}"
    );
    // Another process rotates the file; the same client picks the new token up.
    let token: serde_json::Value = reqwest::Client::new()
        .post(url.join("/auth/token").unwrap())
        .json(&serde_json::json!({ "username": "hangar", "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    std::fs::write(&file, token["access_token"].as_str().unwrap()).unwrap();
    assert!(from_file.dags_page(0).await.unwrap().total_entries >= 1);
}

/// A local HTTP server answering every request with `status` and `body`.
async fn fake_airflow(status: u16, body: &'static str) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let app = axum::Router::new()
        .fallback(move || async move { (axum::http::StatusCode::from_u16(status).unwrap(), body) });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    // Accept connections and never answer.
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let slow = AirflowClient::new(
        "slow-env",
        url,
        Duration::from_secs(1),
        AirflowCredentials::Password {
            username: "u".into(),
            password: Secret::new("p"),
        },
        &Default::default(),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let error = slow.version().await.unwrap_err();
    assert_eq!(
        error,
        AirflowError::Timeout {
            env: "slow-env".into(),
            seconds: 1
        }
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn nobody_listening_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let error = client(&url, "u", "p").version().await.unwrap_err();
    assert!(
        matches!(error, AirflowError::Unreachable { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn garbage_is_reported_not_trusted() {
    let url = fake_airflow(200, "<html>this is a proxy login page</html>").await;
    let error = client(&url, "u", "p").version().await.unwrap_err();
    assert!(matches!(error, AirflowError::Invalid { .. }), "{error:?}");
}

#[tokio::test]
async fn validation_errors_carry_airflows_words() {
    let url = fake_airflow(
        422,
        r#"{"detail": [{"loc": ["body", "logical_date"], "msg": "Field required"}]}"#,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "token").unwrap();
    let with_token = AirflowClient::new(
        "test-env",
        url,
        Duration::from_secs(5),
        AirflowCredentials::TokenFile(file),
        &Default::default(),
    )
    .unwrap();
    let error = with_token
        .call::<serde_json::Value>(
            reqwest::Method::POST,
            "/api/v2/dags/x/dagRuns",
            &[],
            Some(&serde_json::json!({})),
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Airflow environment test-env rejected the request (422): body.logical_date: Field required"
    );
}

#[tokio::test]
async fn check_config_reaches_every_environment_and_credential() {
    let (url, password) = real_airflow();
    let dir = tempfile::tempdir().unwrap();
    // The identity provider part of check-config needs a provider: start the real one.
    let idp = TestIdpProcess::start(dir.path()).await;
    let config = dir.path().join("hangar.toml");
    std::fs::write(
        &config,
        format!(
            r#"[oidc]
issuer = "{issuer}"
client_id = "hangar"
client_secret = "x"
[[teams]]
name = "team_a"
[[airflow]]
name = "main"
base_url = "{url}"
username = "hangar"
password = "{password}"
bundles = {{ team_a_dags = "team_a" }}
shared = ["shared_dags"]
[airflow.team_credentials.team_a]
username = "team_a_svc"
password = "wrong"
"#,
            issuer = idp.issuer
        ),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(["check-config", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stdout.contains(&format!(
            "airflow main (hangar credentials): ok, Airflow {}",
            airflow_version()
        )),
        "{stdout}"
    );
    assert!(
        stderr.contains("airflow main (team_a credentials): Airflow environment main refused"),
        "{stderr}"
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "a failing credential fails the check"
    );
}

/// The test identity provider, just enough for check-config's discovery.
struct TestIdpProcess {
    issuer: String,
    _child: tokio::process::Child,
}

impl TestIdpProcess {
    async fn start(dir: &std::path::Path) -> Self {
        use tokio::io::AsyncBufReadExt;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap();
        let mut child = tokio::process::Command::new("node")
            .arg(root.join("end2end/idp/server.mjs"))
            .arg("--keys")
            .arg(dir.join("keys.json"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(issuer) = line.strip_prefix("IDP_READY ") {
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                return Self {
                    issuer: issuer.to_string(),
                    _child: child,
                };
            }
        }
        panic!("the identity provider did not start");
    }
}
