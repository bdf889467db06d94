//! Task logs read ahead of their first view (`[task_logs] read_ahead`, logs/read_ahead.rs),
//! against a real Airflow: a try that failed is in the spool before anyone opens it, and its
//! first view asks Airflow nothing.

use std::time::Duration;

use hangar_server::config::ReadAhead;
use hangar_server::logs::read_ahead::{ReadAheadState, pass};
use reqwest::StatusCode;

use crate::support;
use support::{Backend, TestApp};

/// The current try of `team_a_flaky`'s `fail` in `run_id` as the read model has it, once
/// the sync has seen it end.
async fn failed_try(app: &TestApp, run_id: &str) -> Option<i64> {
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query_scalar::<_, i64>(
            "SELECT try_number FROM task_instances WHERE dag_id = 'team_a_flaky' \
             AND run_id = $1 AND task_id = 'fail' AND state = 'failed'",
        )
        .bind(run_id)
        .fetch_optional(pool)
        .await
        .unwrap()
    })
}

/// A read-ahead pass of failed tries that remembers nothing of earlier passes.
async fn fresh_pass(app: &TestApp) -> Vec<hangar_server::logs::spool::AttemptKey> {
    pass(
        &app.state.db,
        app.clock.as_ref(),
        &app.state.task_logs,
        ReadAhead::Failed,
        &mut ReadAheadState::default(),
    )
    .await
    .unwrap()
}

async fn a_failed_tasks_log_is_read_before_anyone_opens_it(backend: Backend) {
    let app = TestApp::spawn_with_airflow(backend).await;
    app.sync_sample_dags().await;
    let run_id = app.fresh_run("team_a_flaky").await;
    let mut try_number = None;
    for _ in 0..120 {
        app.sync_runs_and_tasks().await;
        try_number = failed_try(&app, &run_id).await;
        if try_number.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let try_number = try_number.unwrap_or_else(|| panic!("{backend:?}: the run never failed"));

    let logs = &app.state.task_logs;
    let mut state = ReadAheadState::default();
    // Nothing is read when read-ahead is off, nor for states it does not cover.
    let off = pass(
        &app.state.db,
        app.clock.as_ref(),
        logs,
        ReadAhead::Off,
        &mut state,
    )
    .await;
    assert_eq!(off.unwrap(), Vec::new());
    let read = fresh_pass(&app).await;
    let key = read
        .iter()
        .find(|key| key.dag_id == "team_a_flaky" && key.run_id == run_id)
        .unwrap_or_else(|| panic!("{backend:?}: the failed try was not read ahead: {read:?}"))
        .clone();
    assert_eq!((key.task_id.as_str(), key.try_number), ("fail", try_number));
    let spooled = logs.spooled(&key).expect("the spool holds the log");
    assert!(
        spooled.end.is_some() && spooled.lines > 0,
        "{backend:?}: read whole: {spooled:?}"
    );
    // A second pass over the same window reads nothing again.
    let again = fresh_pass(&app).await;
    assert!(
        !again.contains(&key),
        "a spooled try is not read again: {again:?}"
    );
    // A failed try of a DAG no team owns and none shares (an unmapped bundle's) is seen by
    // no team's pages: its log is not read, so Airflow is not asked.
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query(
            "INSERT INTO dags (environment, dag_id, team, shared, display_name, is_paused, \
             is_stale, has_import_errors, synced_ms) \
             VALUES ('main', 'nobodys_dag', NULL, 0, 'nobodys_dag', 0, 0, 0, $1)",
        )
        .bind(app.state.clock.now_ms())
        .execute(pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO task_instances (environment, dag_id, run_id, task_id, map_index, \
             state, try_number, synced_ms) VALUES ('main', 'nobodys_dag', 'r1', 'fail', -1, \
             'failed', 1, $1)",
        )
        .bind(app.state.clock.now_ms())
        .execute(pool)
        .await
        .unwrap();
    });
    let before = app.state.airflow.requests_sent("main");
    let unowned = fresh_pass(&app).await;
    assert!(
        unowned.iter().all(|k| k.dag_id != "nobodys_dag"),
        "{unowned:?}"
    );
    assert_eq!(
        app.state.airflow.requests_sent("main"),
        before,
        "{backend:?}: an unowned DAG's log was asked for"
    );

    // The first view is the spool's: Airflow is not asked, and the error is there.
    let operator = app.signed_in("operator").await;
    let path =
        hangar_app::paths::task_log("team_a", "main", "team_a_flaky", &run_id, "fail", -1, 0);
    let before = app.state.airflow.requests_sent("main");
    let response = operator.get(&path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let html = response.text().await.unwrap();
    assert_eq!(
        app.state.airflow.requests_sent("main"),
        before,
        "{backend:?}: the first view asked Airflow"
    );
    assert!(
        html.contains("upstream file missing"),
        "{backend:?}: {html}"
    );
    // A search reads the spool as well (a pass over the file, then the matches kept for
    // this team's view): the line is found whatever the case, twice alike, and a text the
    // log lacks shows fewer of it.
    let search = |text: &'static str| {
        let (operator, path) = (&operator, &path);
        async move {
            let response = operator.get(&format!("{path}?q={text}")).await;
            assert_eq!(response.status(), StatusCode::OK);
            let html = response.text().await.unwrap();
            // What the page shows, not the data it hydrates from (which a resource read
            // twice during the render can carry twice).
            let shown = html
                .split("__RESOLVED_RESOURCES")
                .next()
                .unwrap_or_default();
            shown.matches("upstream file missing").count()
        }
    };
    let found = search("UPSTREAM%20FILE").await;
    assert_eq!(search("UPSTREAM%20FILE").await, found);
    assert!(
        found > search("no%20such%20text%20in%20this%20log").await,
        "{backend:?}: the search found nothing more than a search for nothing"
    );
    assert_eq!(
        app.state.airflow.requests_sent("main"),
        before,
        "{backend:?}: a search asked Airflow"
    );
    // Another team cannot read it through the spool either.
    let team_b = app.signed_in("multi").await;
    let foreign =
        hangar_app::paths::task_log("team_b", "main", "team_a_flaky", &run_id, "fail", -1, 0);
    assert_eq!(team_b.get(&foreign).await.status(), StatusCode::NOT_FOUND);
}

on_both_backends!(a_failed_tasks_log_is_read_before_anyone_opens_it);
