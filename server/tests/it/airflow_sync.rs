//! The DAG sync against the real Airflow 3.3.2, on SQLite and PostgreSQL.

use crate::support;

use hangar_server::airflow::AirflowClient;
use hangar_server::config::AirflowConfig;
use hangar_server::db::Db;
use hangar_server::sync::dags::{status, sync_dags};
use hangar_server::with_pool;
use sqlx::Row;
use support::{Backend, TestApp};

fn client_for(env: &AirflowConfig) -> AirflowClient {
    AirflowClient::for_environment(env, &Default::default()).unwrap()
}

/// (dag_id, team, shared) of every DAG but those the ownership test puts in and out of the
/// extra bundles and the examples team's many.
async fn dag_teams(db: &Db) -> Vec<(String, Option<String>, bool)> {
    with_pool!(db, pool => {
        sqlx::query(
            "SELECT dag_id, team, shared FROM dags WHERE dag_id NOT LIKE 'dup_dag%' \
             AND team IS DISTINCT FROM 'examples' ORDER BY dag_id",
        )
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|row| (row.get("dag_id"), row.get("team"), row.get::<i64, _>("shared") != 0))
            .collect()
    })
}

async fn dags_sync_with_their_teams(backend: Backend) {
    let app = TestApp::spawn_with_airflow(backend).await;
    let db = &app.state.db;
    let env = app.state.config.airflow[0].clone();
    let client = client_for(&env);
    app.sync_sample_dags().await;
    let teams = dag_teams(db).await;
    // other_dags is not in the test configuration: its DAG is nobody's (no team, not shared).
    let expected: Vec<(String, Option<String>, bool)> = vec![
        ("shared_housekeeping".into(), None, true),
        ("team_a_etl".into(), Some("team_a".into()), false),
        ("team_a_flaky".into(), Some("team_a".into()), false),
        ("team_b_report".into(), Some("team_b".into()), false),
        ("unmapped_dag".into(), None, false),
    ];
    assert_eq!(teams, expected);
    let (last_success, last_error) = status(db, "main").await.unwrap().unwrap();
    assert!(last_success.is_some());
    assert_eq!(last_error, None);

    // Airflow unreachable: the read model stays as it was, the error is recorded.
    let dead = support::unreachable(&env);
    let later = app.state.clock.now_ms() + 5_000;
    let error = sync_dags(db, &dead, &client_for(&dead), later)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("unreachable"), "{error}");
    assert_eq!(
        dag_teams(db).await,
        expected,
        "an error never empties the read model"
    );
    let (success_after, error_after) = status(db, "main").await.unwrap().unwrap();
    assert_eq!(success_after, last_success, "last success is kept");
    assert!(error_after.unwrap().contains("unreachable"));

    // A DAG Airflow no longer lists disappears at the next complete sync.
    with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO dags (environment, dag_id, team, display_name, is_paused, is_stale, \
             has_import_errors, synced_ms) VALUES ('main', 'deleted_dag', 'team_a', 'x', 0, 0, 0, 1)",
        )
        .execute(pool)
        .await
        .map(|_| ())
        .unwrap()
    });
    let report = sync_dags(db, &env, &client, later + 1_000).await.unwrap();
    assert_eq!(report.removed, 1);
    assert_eq!(dag_teams(db).await, expected);
    assert_eq!(
        status(db, "main").await.unwrap().unwrap().1,
        None,
        "the error clears"
    );
}

/// Airflow's own health and version, as the sync leader records them, on the platform
/// overview; an Airflow that cannot be reached is shown as such and keeps its version.
async fn airflow_health_reaches_the_overview(backend: Backend) {
    use hangar_server::sync::health::{check, recorded_components};
    let app = TestApp::spawn_with_airflow(backend).await;
    let db = &app.state.db;
    let env = app.state.config.airflow[0].clone();
    let now = app.state.clock.now_ms();
    assert!(
        check(db, "main", &client_for(&env), now).await.unwrap(),
        "a first reading is news"
    );
    let components = recorded_components(db, "main").await.unwrap().unwrap();
    let component = |name: &str| components.iter().find(|c| c.name == name).cloned();
    assert!(
        component("metadatabase").unwrap().healthy(),
        "{components:?}"
    );
    let scheduler = component("scheduler").expect("the scheduler is a component");
    assert!(scheduler.latest_heartbeat.is_some(), "{scheduler:?}");
    assert!(
        !check(db, "main", &client_for(&env), now + 1_000)
            .await
            .unwrap(),
        "the same statuses again are no news"
    );

    // The sync announces an environment change when `check` reports news; so does the test.
    app.state.live.environment_changed("main").await;
    let platform = app.signed_in("platform_admin").await;
    let html = platform.get("/platform").await.text().await.unwrap();
    let panel = html
        .split(r#"data-testid="environment-health""#)
        .nth(1)
        .unwrap();
    let version = format!(
        "Airflow {}",
        std::env::var("HANGAR_TEST_AIRFLOW_VERSION").unwrap_or_else(|_| "3.3.2".into())
    );
    assert!(panel.contains(&version), "{panel}");
    assert!(panel.contains(r#"data-component="scheduler""#), "{panel}");
    assert!(
        panel.contains("heartbeat 20"),
        "a heartbeat time is shown: {panel}"
    );

    let dead = support::unreachable(&env);
    assert!(
        check(db, "main", &client_for(&dead), now + 2_000)
            .await
            .unwrap()
    );
    app.state.live.environment_changed("main").await;
    let html = platform.get("/platform").await.text().await.unwrap();
    let panel = html
        .split(r#"data-testid="environment-health""#)
        .nth(1)
        .unwrap();
    assert!(
        panel.contains("Airflow's health could not be read."),
        "{panel}"
    );
    assert!(panel.contains(&version), "the version stays known: {panel}");
}

on_both_backends!(
    dags_sync_with_their_teams,
    airflow_health_reaches_the_overview
);
