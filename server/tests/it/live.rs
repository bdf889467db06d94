//! Live updates: a page's event stream hears of changes to its team's DAGs and the shared
//! ones — never of another team's — on SQLite in-process and on PostgreSQL through
//! LISTEN/NOTIFY, across replicas.

use crate::support;

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use support::{Backend, TestApp, next_change};

fn dags(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|id| id.to_string()).collect()
}

async fn streams_carry_the_teams_changes_only(backend: Backend) {
    let app = TestApp::spawn_with_dead_airflow(backend).await;
    app.seed_dag("main", "team_a_dag", Some("team_a")).await;
    app.seed_dag("main", "team_b_dag", Some("team_b")).await;
    app.seed_dag("main", "shared_dag", None).await;
    let viewer = app.signed_in("viewer").await;
    let mut stream = viewer.get("/t/team_a/events").await;
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");

    app.state
        .live
        .dags_changed("main", &dags(&["team_b_dag"]))
        .await;
    assert!(
        !next_change(&mut stream, Duration::from_millis(700)).await,
        "another team's change"
    );
    app.state
        .live
        .dags_changed("main", &dags(&["no_such_dag"]))
        .await;
    assert!(
        !next_change(&mut stream, Duration::from_millis(300)).await,
        "an unknown DAG"
    );
    app.state
        .live
        .dags_changed("main", &dags(&["team_a_dag"]))
        .await;
    assert!(
        next_change(&mut stream, Duration::from_secs(5)).await,
        "the team's own change"
    );
    app.state
        .live
        .dags_changed("main", &dags(&["shared_dag"]))
        .await;
    assert!(
        next_change(&mut stream, Duration::from_secs(5)).await,
        "a shared DAG's change"
    );

    // Another team's stream: not found, like any of its pages.
    assert_eq!(
        viewer.get("/t/team_b/events").await.status(),
        StatusCode::NOT_FOUND
    );
}

on_both_backends!(streams_carry_the_teams_changes_only);

/// Two replicas on one PostgreSQL: a change announced by one reaches pages open on the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_reach_pages_on_every_replica() {
    let app = TestApp::spawn_with_dead_airflow(Backend::Postgres).await;
    app.seed_dag("main", "team_a_dag", Some("team_a")).await;
    let replica = app.spawn_replica().await;
    let viewer = app.signed_in("viewer").await;
    // The session lives in the shared database, so the replica knows the viewer.
    let mut stream = viewer.get(&format!("{replica}/t/team_a/events")).await;
    assert_eq!(stream.status(), StatusCode::OK);
    // The replica's listener may still be connecting: announce until heard (bounded).
    let mut heard = false;
    for _ in 0..10 {
        app.state
            .live
            .dags_changed("main", &dags(&["team_a_dag"]))
            .await;
        if next_change(&mut stream, Duration::from_secs(1)).await {
            heard = true;
            break;
        }
    }
    assert!(heard, "the replica's page never heard of the change");
}

/// The sync announces what it changed: a new run in Airflow reaches an open page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synced_run_reaches_an_open_page() {
    let app = TestApp::spawn_with_airflow(Backend::Sqlite).await;
    app.sync_sample_dags().await;
    app.sync_runs_and_tasks().await;
    let operator = app.signed_in("operator").await;
    let mut stream = operator.get("/t/team_b/events").await;
    assert_eq!(
        stream.status(),
        StatusCode::NOT_FOUND,
        "team_b is not the operator's"
    );
    let mut stream_a = operator.get("/t/team_a/events").await;
    drop(stream.chunk().await);
    let response = operator
        .call(
            "/api/trigger_dag",
            &[
                ("team", "team_a"),
                ("environment", "main"),
                ("dag_id", "team_a_etl"),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    assert!(
        next_change(&mut stream_a, Duration::from_secs(5)).await,
        "the action announced it"
    );
    // The sync announces the run's progress too (it starts within seconds).
    let mut heard = false;
    for _ in 0..30 {
        app.sync_runs_and_tasks().await;
        if next_change(&mut stream_a, Duration::from_secs(1)).await {
            heard = true;
            break;
        }
    }
    assert!(heard, "the sync never announced the run's progress");
}
