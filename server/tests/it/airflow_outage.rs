//! Airflow going away and coming back, for real: the test starts its own Airflow API server
//! (on the metadata database of the Airflow `make test` runs), lets Hangar's sync loop read
//! it, kills it mid-test and starts it again. While it is down, pages render from the read
//! model with a "data as of …" notice, actions fail with a clear error and the failure is
//! audited, and nothing synced before is lost; once it is back, the sync recovers by itself.

use crate::support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use support::{Backend, TestApp};

/// One `airflow api-server` process group on a loopback port.
struct ApiServer {
    child: tokio::process::Child,
}

impl ApiServer {
    async fn start(bin: &str, port: u16) -> Self {
        let child = tokio::process::Command::new(bin)
            .args(["api-server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("airflow api-server starts");
        let health = format!("http://127.0.0.1:{port}/api/v2/monitor/health");
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if reqwest::get(&health)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Self { child };
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        panic!("the second Airflow API server did not become healthy on port {port}");
    }

    /// Kills the whole process group at once, as a crash or an OOM kill would.
    async fn kill(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
        }
        tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("the API server's process group died")
            .unwrap();
    }
}

async fn wait_until<F, Fut>(what: &str, seconds: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("timed out after {seconds} s waiting until {what}");
}

async fn an_airflow_outage_is_survived(backend: Backend) {
    let Ok(bin) = std::env::var("HANGAR_TEST_AIRFLOW_BIN") else {
        // Only `make test`'s own Airflow can be stopped and started by a test.
        eprintln!("skipped: HANGAR_TEST_AIRFLOW_BIN is not set (an Airflow of your own is in use)");
        return;
    };
    let port = support::idp::free_port();
    let server = ApiServer::start(&bin, port).await;
    let password = std::env::var("HANGAR_TEST_AIRFLOW_PASSWORD").unwrap();
    let airflow = format!(
        "[[airflow]]\nname = \"main\"\nbase_url = \"http://127.0.0.1:{port}\"\n\
         username = \"hangar\"\npassword = \"{password}\"\ntimeout = \"2s\"\n\
         sync_interval = \"1s\"\ncatalogue_interval = \"5s\"\n\
         bundles = {{ team_a_dags = \"team_a\", team_a_repo = \"team_a\", team_b_dags = \"team_b\", \
         examples_core = \"examples\", examples_standard = \"examples\", examples_hangar = \"examples\" }}\nshared = [\"shared_dags\"]\n"
    );
    let app = TestApp::spawn_configured(backend, "", &airflow).await;
    hangar_server::sync::spawn_loops(&app.state);
    let operator = app.signed_in("operator").await;
    let dags_page = || async {
        let page = tokio::time::timeout(Duration::from_secs(10), async {
            operator.get("/t/team_a/dags").await.text().await.unwrap()
        })
        .await;
        page.expect("the DAG list answers within 10 s")
    };
    wait_until("the sync has read the DAGs", 60, || async {
        dags_page().await.contains(r#"data-dag="team_a_etl""#)
    })
    .await;
    let notice_shown = |html: &str| html.contains(r#"data-testid="sync-notice""#);
    assert!(
        !notice_shown(&dags_page().await),
        "fresh data needs no notice"
    );

    server.kill().await;
    wait_until("the page says the data is old", 30, || async {
        let html = dags_page().await;
        notice_shown(&html) && html.contains("Data as of")
    })
    .await;
    let page = dags_page().await;
    assert!(
        page.contains(r#"data-dag="team_a_etl""#),
        "the read model was kept"
    );
    let pause = [
        ("team", "team_a"),
        ("environment", "main"),
        ("dag_id", "team_a_etl"),
        ("paused", "true"),
    ];
    let (status, body) = operator.function("set_dag_paused", &pause).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(
        body.contains("main") && (body.contains("unreachable") || body.contains("refused")),
        "a message the user can act on: {body}"
    );
    let (action, outcome, _) = app.last_audit().await;
    assert_eq!(
        (action.as_str(), outcome.as_str()),
        ("dag.pause", "failure")
    );

    let server = ApiServer::start(&bin, port).await;
    wait_until("the sync recovers by itself", 90, || async {
        !notice_shown(&dags_page().await)
    })
    .await;
    let (status, body) = operator.function("set_dag_paused", &pause).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let unpause = [
        ("team", "team_a"),
        ("environment", "main"),
        ("dag_id", "team_a_etl"),
        ("paused", "false"),
    ];
    assert_eq!(
        operator.function("set_dag_paused", &unpause).await.0,
        StatusCode::OK
    );
    server.kill().await;
}

on_both_backends!(an_airflow_outage_is_survived);
