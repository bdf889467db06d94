//! What Airflow 3.4 changes for Hangar, against the real Airflow the test command started
//! (`make test` runs these twice: against 3.3.2 and against 3.4.0b2, whose version is in
//! `HANGAR_TEST_AIRFLOW_VERSION`). Each test states what holds on both and what only 3.4
//! shows: the bundle → team map Airflow publishes, `draining`, the detailed health.

use crate::support;

use hangar_server::sync::dags::SyncError;
use support::{Backend, TestApp};

/// The version `make test` started (3.3.2 when the variable is missing: an Airflow of your own).
fn airflow_version() -> String {
    std::env::var("HANGAR_TEST_AIRFLOW_VERSION").unwrap_or_else(|_| "3.3.2".into())
}

fn is_3_4() -> bool {
    airflow_version().starts_with("3.4")
}

/// The test Airflow as environment "main", its bundles mapped as `bundles` says.
async fn app_with_bundles(bundles: &str) -> TestApp {
    let url = std::env::var("HANGAR_TEST_AIRFLOW_URL")
        .expect("HANGAR_TEST_AIRFLOW_URL is not set: run `make test`, which starts Airflow");
    let password = std::env::var("HANGAR_TEST_AIRFLOW_PASSWORD").unwrap();
    let airflow = format!(
        "[[airflow]]\nname = \"main\"\nbase_url = \"{url}\"\nusername = \"hangar\"\n\
         password = \"{password}\"\nbundles = {{ {bundles} }}\nshared = [\"shared_dags\"]\n"
    );
    TestApp::spawn_configured(Backend::Sqlite, "", &airflow).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_version_is_detected_and_shown_with_the_health_airflow_reports() {
    let app = TestApp::spawn_with_airflow(Backend::Sqlite).await;
    let client = app.state.airflow.main("main").unwrap();
    let version = client.detected_version().await.unwrap();
    assert_eq!(version.version, airflow_version());
    assert_eq!(version.has_dag_bundles(), is_3_4());
    let now = app.state.clock.now_ms();
    hangar_server::sync::health::check(&app.state.db, "main", &client, now)
        .await
        .unwrap();
    let platform = app.signed_in("platform_admin").await;
    let html = platform.get("/platform").await.text().await.unwrap();
    assert!(
        html.contains(&format!("Airflow {}", airflow_version())),
        "the overview names the version: {html}"
    );
    let components = hangar_server::sync::health::recorded_components(&app.state.db, "main")
        .await
        .unwrap()
        .unwrap();
    let scheduler = components.iter().find(|c| c.name == "scheduler").unwrap();
    assert_eq!(scheduler.status, "healthy");
    if is_3_4() {
        // No triggerer runs in the test Airflow: 3.4 says "down" where 3.3 said nothing.
        let triggerer = components.iter().find(|c| c.name == "triggerer").unwrap();
        assert_eq!(triggerer.status, "down");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_map_that_contradicts_airflow_stops_the_sync_on_3_4() {
    // team_a's bundle given to team_b: on 3.4 Airflow says otherwise.
    let app = app_with_bundles(
        "team_a_dags = \"team_b\", team_a_repo = \"team_a\", team_b_dags = \"team_b\"",
    )
    .await;
    let env = app.state.config.airflow[0].clone();
    let client = app.state.airflow.main("main").unwrap();
    let now = app.state.clock.now_ms();
    let result = hangar_server::sync::sync_catalogue(&app.state, &env, &client, now).await;
    if !is_3_4() {
        // 3.3 publishes no bundle owners: nothing to check against, the sync goes on.
        result.unwrap();
        return;
    }
    match result {
        Err(SyncError::Ownership(conflict)) => assert!(
            conflict.contains(
                "bundle team_a_dags belongs to team team_a in Airflow, but Hangar's \
                 configuration gives it to team_b"
            ),
            "{conflict}"
        ),
        other => panic!("expected the sync to stop on the contradiction, got {other:?}"),
    }
    let synced: i64 = hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM dags").fetch_one(pool).await.unwrap()
    });
    assert_eq!(synced, 0, "nothing is synced under a contradicted map");

    // The platform overview names the contradiction ...
    let platform = app.signed_in("platform_admin").await;
    let html = platform.get("/platform").await.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"bundle-conflict\"") && html.contains("team_a_dags"),
        "{html}"
    );
    // ... a team's pages say the sync stopped, naming no other team or bundle.
    let author = app.signed_in("author").await;
    let html = author.get("/t/team_a/dags").await.text().await.unwrap();
    assert!(html.contains("is not synced"), "{html}");
    assert!(
        !html.contains("team_b") && !html.contains("team_a_dags"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draining_dag_shows_as_draining() {
    if !is_3_4() {
        eprintln!("skipped: scheduling states are Airflow 3.4's");
        return;
    }
    let app = TestApp::spawn_with_airflow(Backend::Sqlite).await;
    let client = app.state.airflow.main("main").unwrap();
    let set = |state: &'static str| {
        let client = client.clone();
        async move {
            let query = [("update_mask", "scheduling_state".to_string())];
            let body = serde_json::json!({ "scheduling_state": state });
            support::retry_airflow(|| {
                client.call::<serde_json::Value>(
                    reqwest::Method::PATCH,
                    "/api/v2/dags/shared_housekeeping",
                    &query,
                    Some(&body),
                )
            })
            .await
            .unwrap()
        }
    };
    let airflow_state = || {
        let client = client.clone();
        async move {
            let dag: serde_json::Value = support::retry_airflow(|| {
                client.call(
                    reqwest::Method::GET,
                    "/api/v2/dags/shared_housekeeping",
                    &[],
                    None,
                )
            })
            .await
            .unwrap();
            dag["scheduling_state"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        }
    };
    let author = app.signed_in("author").await;
    // Airflow's scheduler ends a drain by pausing the DAG once no run of it is unfinished
    // (every 5 s): only a page read while Airflow still says "draining" proves anything. The
    // drain only ever ends in "paused", so "draining" after the page means "draining" while
    // it was synced and read; otherwise try again.
    let mut seen = None;
    for _ in 0..5 {
        let answer = set("draining").await;
        assert_eq!(answer["scheduling_state"], "draining");
        app.sync_sample_dags().await;
        let html = author.get("/t/team_a/dags").await.text().await.unwrap();
        if airflow_state().await == "draining" {
            seen = Some(html);
            break;
        }
    }
    set("active").await;
    let html = seen.expect("Airflow ended every drain before the page was read");
    let row = html
        .split("data-dag=\"shared_housekeeping\"")
        .nth(1)
        .expect("the shared DAG is listed");
    let state = row
        .split("data-testid=\"row-state\">")
        .nth(1)
        .unwrap_or_default();
    assert!(state.starts_with("Draining"), "{row}");
}
