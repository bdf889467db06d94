//! Which runs Hangar keeps: those of the run window (`run_window`, 14 days by default) and,
//! however old, each DAG's latest `runs_per_dag` (25) — so a monthly DAG still has a
//! history. Pruning also drops the task instances of runs no longer kept.

use crate::support;

use support::{Backend, TestApp};

async fn count(app: &TestApp, sql: &str) -> i64 {
    hangar_server::with_pool!(&app.state.db, pool => {
        use sqlx::Row;
        sqlx::query(sql).fetch_one(pool).await.unwrap().try_get::<i64, _>(0).unwrap()
    })
}

async fn old_runs_are_pruned_but_every_dag_keeps_its_latest(backend: Backend) {
    let app = TestApp::spawn_with_dead_airflow(backend).await;
    app.seed_dag("main", "monthly", Some("team_a")).await;
    app.seed_dag("main", "busy", Some("team_a")).await;
    let now = app.state.clock.now_ms();
    let day = 24 * 3600 * 1000_i64;
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query("DELETE FROM dag_runs").execute(pool).await.unwrap();
        sqlx::query("DELETE FROM task_instances").execute(pool).await.unwrap();
        // monthly: 30 runs, a month apart, all long before the window.
        // busy: 40 runs in the last two days and 40 from 20–60 days ago.
        let mut runs = Vec::new();
        for n in 0..30 { runs.push(("monthly", format!("m{n:02}"), now - (20 + 30 * n) * day)); }
        for n in 0..40 { runs.push(("busy", format!("new{n:02}"), now - n * 3600 * 1000)); }
        for n in 0..40 { runs.push(("busy", format!("old{n:02}"), now - (20 + n) * day)); }
        for (dag, run, at) in &runs {
            let at = hangar_server::clock::from_ms(*at)
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            sqlx::query(
                "INSERT INTO dag_runs (environment, dag_id, run_id, state, run_type, run_after, \
                 synced_ms) VALUES ('main', $1, $2, 'success', 'scheduled', $3, 0)",
            )
            .bind(dag).bind(run).bind(&at).execute(pool).await.unwrap();
            sqlx::query(
                "INSERT INTO task_instances (environment, dag_id, run_id, task_id, map_index, \
                 state, try_number, synced_ms) VALUES ('main', $1, $2, 't', -1, 'success', 1, 0)",
            )
            .bind(dag).bind(run).execute(pool).await.unwrap();
        }
    });
    let env = &app.state.config.airflow[0];
    assert_eq!(env.runs_per_dag, 25);
    hangar_server::sync::runs::prune(&app.state.db, env, now)
        .await
        .unwrap();
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM dag_runs WHERE dag_id = 'monthly'"
        )
        .await,
        25,
        "a rare DAG keeps its latest 25 however old"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM dag_runs WHERE dag_id = 'monthly' AND run_id IN ('m00', 'm24')"
        )
        .await,
        2,
        "the newest ones"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM dag_runs WHERE dag_id = 'busy'").await,
        40,
        "a busy DAG keeps its window and nothing older"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM task_instances").await,
        65,
        "task instances go with their runs"
    );
}

on_both_backends!(old_runs_are_pruned_but_every_dag_keeps_its_latest);

/// Against the real Airflow: DAGs with fewer runs stored than `runs_per_dag` get their latest
/// runs read once (one call each), then not again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rare_dags_get_their_latest_runs_read_once() {
    let app = TestApp::spawn_with_airflow(Backend::Sqlite).await;
    let env = &app.state.config.airflow[0];
    let client = app.state.airflow.main(&env.name).unwrap();
    let now = app.state.clock.now_ms();
    hangar_server::sync::dags::sync_dags(&app.state.db, env, &client, now)
        .await
        .unwrap();
    let dags = count(&app, "SELECT COUNT(*) FROM dags").await;
    assert!(dags >= 4);
    // The examples team's DAGs make more than one sync's worth: at most
    // OLDER_RUNS_PER_SYNC calls per pass, one per DAG in all.
    let mut calls = 0;
    for _ in 0..(dags as u64).div_ceil(hangar_server::sync::runs::OLDER_RUNS_PER_SYNC as u64) {
        let before = client.requests_sent();
        hangar_server::sync::runs::backfill_older_runs(&app.state.db, env, &client, now)
            .await
            .unwrap();
        let pass = client.requests_sent() - before;
        assert!(pass <= hangar_server::sync::runs::OLDER_RUNS_PER_SYNC as u64);
        calls += pass;
    }
    assert_eq!(
        calls, dags as u64,
        "one call per DAG with fewer than 25 runs"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM dags WHERE older_runs_read_ms IS NULL"
        )
        .await,
        0
    );
    let airflow_runs: serde_json::Value = client
        .call(
            reqwest::Method::GET,
            "/api/v2/dags/~/dagRuns",
            &[("limit", "1".into())],
            None,
        )
        .await
        .unwrap();
    let stored = count(&app, "SELECT COUNT(*) FROM dag_runs").await;
    assert!(stored > 0 && stored as u64 <= airflow_runs["total_entries"].as_u64().unwrap());
    let before = client.requests_sent();
    hangar_server::sync::runs::backfill_older_runs(&app.state.db, env, &client, now)
        .await
        .unwrap();
    assert_eq!(client.requests_sent(), before, "read once");
}
