//! The platform overview on both backends, from a seeded read model: each team's figures
//! (DAGs, runs by state, failure rate, running tasks, fullest pool, deploys, sync), the
//! "failing now" list, sorting by query, who may see it, the per-hour and per-day run counts
//! the triggers keep, and the live stream.

use crate::support;

use std::time::Duration;

use reqwest::StatusCode;
use support::{Backend, TestApp};
use time::format_description::well_known::Rfc3339;

const HOUR_MS: i64 = 3_600_000;

fn at(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap()
        .format(&Rfc3339)
        .unwrap()
}

/// Adds a run of `dag` due `hours_ago`, ended then too unless it is running.
async fn add_run(app: &TestApp, dag: &str, run_id: &str, state: &str, hours_ago: i64) {
    let due = app.state.clock.now_ms() - hours_ago * HOUR_MS;
    let ended = (state != "running").then(|| at(due + 60_000));
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query(
            "INSERT INTO dag_runs (environment, dag_id, run_id, state, run_type, run_after, \
             start_date, end_date, synced_ms) VALUES ('main', $1, $2, $3, 'scheduled', $4, $4, $5, 0)",
        )
        .bind(dag).bind(run_id).bind(state).bind(at(due)).bind(ended)
        .execute(pool).await.unwrap();
    });
}

async fn execute(app: &TestApp, sql: &str) {
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query(sql).execute(pool).await.unwrap();
    });
}

/// The row of `team` in the team table.
fn team_row<'a>(html: &'a str, team: &str) -> &'a str {
    let table = html
        .split(r#"data-testid="platform-teams""#)
        .nth(1)
        .expect("the team table");
    let start = table
        .find(&format!(r#"<tr data-team="{team}""#))
        .unwrap_or_else(|| panic!("no row for {team}"));
    let row = &table[start..];
    &row[..row.find("</tr>").unwrap()]
}

fn cell(row: &str, testid: &str) -> String {
    let start = row
        .find(&format!(r#"data-testid="{testid}""#))
        .unwrap_or_else(|| panic!("no {testid} cell"));
    let cell = &row[start..];
    support::unmarked(&cell[..cell.find("</td>").unwrap()])
}

fn row_order(html: &str) -> Vec<String> {
    let table = html
        .split(r#"data-testid="platform-teams""#)
        .nth(1)
        .unwrap();
    let table = &table[..table.find("</table>").unwrap()];
    table
        .split(r#"<tr data-team=""#)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        // The examples team (Airflow's example DAGs, other tests' runs) is listed too; these
        // tests are about the two fixture teams' figures.
        .filter(|team| team != "examples")
        .collect()
}

/// Which runs of which teams are in the "failing now" list.
fn failing(html: &str) -> Vec<String> {
    let Some(list) = html.split(r#"data-testid="failing-now""#).nth(1) else {
        return Vec::new();
    };
    let list = &list[..list.find("</table>").unwrap()];
    list.split("/runs/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect()
}

async fn seed_estate(app: &TestApp) {
    app.seed_dag("main", "a_etl", Some("team_a")).await;
    app.seed_dag("main", "a_paused", Some("team_a")).await;
    app.seed_dag("main", "a_gone", Some("team_a")).await;
    app.seed_dag("main", "b_etl", Some("team_b")).await;
    app.seed_dag("main", "shared_etl", None).await;
    execute(
        app,
        "UPDATE dags SET is_paused = 1 WHERE dag_id = 'a_paused'",
    )
    .await;
    execute(app, "UPDATE dags SET is_stale = 1 WHERE dag_id = 'a_gone'").await;
    // seed_dag's own run is due in 2099: counted in no window of today.
    for (n, state) in [
        "success", "success", "success", "failed", "failed", "running",
    ]
    .iter()
    .enumerate()
    {
        add_run(app, "a_etl", &format!("a_{n}"), state, n as i64 + 1).await;
    }
    add_run(app, "a_etl", "a_old_failure", "failed", 50).await;
    add_run(app, "a_etl", "a_last_week", "success", 6 * 24).await;
    for n in 0..4 {
        add_run(app, "b_etl", &format!("b_{n}"), "success", n + 1).await;
    }
    for n in 0..5 {
        add_run(app, "shared_etl", &format!("s_{n}"), "failed", n + 1).await;
    }
    hangar_server::with_pool!(&app.state.db, pool => {
        for task in ["extract", "load"] {
            sqlx::query(
                "INSERT INTO task_instances (environment, dag_id, run_id, task_id, map_index, \
                 state, try_number, synced_ms) VALUES ('main', 'a_etl', 'a_5', $1, -1, 'running', 1, 0)",
            )
            .bind(task)
            .execute(pool).await.unwrap();
        }
    });
    app.seed_pool("main", "a_small", Some("team_a")).await; // 1 of 4
    app.seed_pool("main", "a_big", Some("team_a")).await;
    execute(
        app,
        "UPDATE pools SET slots = 10, occupied = 9 WHERE name = 'a_big'",
    )
    .await;
    app.seed_pool("main", "b_pool", Some("team_b")).await;
    app.seed_pool("main", "global_pool", None).await;
    execute(
        app,
        "UPDATE pools SET slots = 1, occupied = 1 WHERE name = 'global_pool'",
    )
    .await;
    let user = app.seed_user("deployer").await;
    let now = app.state.clock.now_ms();
    hangar_server::with_pool!(&app.state.db, pool => {
        for (team, sha, status, deployed) in [
            ("team_b", "1111111111111111111111111111111111111111", "deployed", Some(now - 2 * HOUR_MS)),
            ("team_b", "2222222222222222222222222222222222222222", "deployed", Some(now - HOUR_MS)),
            ("team_a", "3333333333333333333333333333333333333333", "pending", None),
        ] {
            sqlx::query(
                "INSERT INTO deploy_requests (team, candidate_sha, requester_id, status, created_ms, \
                 expires_ms, updated_ms, deployed_ms) VALUES ($1, $2, $3, $4, $5, $5, $5, $6)",
            )
            .bind(team).bind(sha).bind(user).bind(status).bind(now - 3 * HOUR_MS).bind(deployed)
            .execute(pool).await.unwrap();
        }
        sqlx::query(
            "INSERT INTO airflow_sync_status (environment, last_attempt_ms, last_success_ms) VALUES ('main', $1, $1)",
        )
        .bind(now - 10_000)
        .execute(pool).await.unwrap();
    });
}

async fn each_team_has_its_figures_and_nothing_of_the_shared_dags(backend: Backend) {
    let app = TestApp::spawn_with_dead_airflow(backend).await;
    seed_estate(&app).await;
    let platform = app.signed_in("platform_admin").await;
    let response = platform.get("/platform").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();

    let a = team_row(&html, "team_a");
    assert!(a.contains(r#"href="/t/team_a""#), "a click opens the team");
    // Stale DAGs are gone from their files: not counted.
    assert!(
        cell(a, "dags").contains(">1<") && cell(a, "dags").contains("1 paused"),
        "{a}"
    );
    // Six runs in the last 24 h; the shared DAG's five failures count for nobody.
    assert!(cell(a, "runs").contains("6 runs, "), "{a}");
    assert!(cell(a, "runs").contains("2 failed"), "{a}");
    assert!(
        cell(a, "failure-rate").contains("40 %"),
        "2 of 5 finished: {a}"
    );
    assert!(cell(a, "tasks-running").ends_with(">2"), "{a}");
    assert!(cell(a, "fullest-pool").contains("90 % a_big"), "{a}");
    assert!(cell(a, "pending").contains(">1<"), "{a}");
    assert!(cell(a, "last-deploy").contains("none yet"), "{a}");
    assert!(cell(a, "sync").contains(r#"data-sync="fresh""#), "{a}");
    for flag in ["failing", "saturated"] {
        assert!(a.contains(&format!(r#"data-flag="{flag}""#)), "{flag}: {a}");
    }
    assert!(!a.contains(r#"data-flag="stale""#));

    let b = team_row(&html, "team_b");
    assert!(cell(b, "runs").contains("4 runs, "), "{b}");
    assert!(cell(b, "failure-rate").contains("0 %"), "{b}");
    assert!(cell(b, "fullest-pool").contains("25 % b_pool"), "{b}");
    // The newer of two deploys, with who and when.
    let deploy = cell(b, "last-deploy");
    assert!(
        deploy.contains("222222222222") && deploy.contains("deployer"),
        "{deploy}"
    );
    assert!(deploy.contains("60 min ago"), "{deploy}");
    assert!(!b.contains("data-flag="), "nothing wrong with team_b: {b}");

    // Failing now: the team's failed runs of the last 24 h, newest first; not the shared
    // DAG's, not one of 50 hours ago — unless the window is 72 hours.
    assert_eq!(failing(&html), ["a_3", "a_4"]);
    let wider = platform
        .get("/platform?hours=72")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(failing(&wider), ["a_3", "a_4", "a_old_failure"]);

    // The environment panel: the sync state, and Airflow's health not read yet.
    let panel = html
        .split(r#"data-testid="environment-health""#)
        .nth(1)
        .unwrap();
    assert!(panel.contains(r#"data-environment="main""#));
    assert!(panel.contains("Last synced 10 s ago"), "{panel}");
    assert!(panel.contains("Airflow's health not read yet."));

    // Sorted by failed runs: biggest first, then the other way round. Works as plain links.
    let by_failed = platform
        .get("/platform?sort=failed")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(row_order(&by_failed), ["team_a", "team_b"]);
    let ascending = platform
        .get("/platform?sort=failed&dir=asc")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(row_order(&ascending), ["team_b", "team_a"]);
    assert!(
        ascending
            .replace("&amp;", "&")
            .contains(r#"href="/platform?sort=failed&dir=desc&hours=24""#)
    );
    let by_deploy = platform
        .get("/platform?sort=deploy")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        row_order(&by_deploy),
        ["team_b", "team_a"],
        "no deploy goes last"
    );

    // The environment turns "behind" when its last success is old, "failing" on an error.
    app.clock.advance(Duration::from_secs(600));
    let later = platform.get("/platform").await.text().await.unwrap();
    assert!(cell(team_row(&later, "team_a"), "sync").contains(r#"data-sync="lagging""#));
    assert!(team_row(&later, "team_a").contains(r#"data-flag="stale""#));
    execute(
        &app,
        "UPDATE airflow_sync_status SET last_error = 'Airflow unreachable'",
    )
    .await;
    // As the sync does when it starts failing: the overview kept a second ago is stale now.
    app.state.live.environment_changed("main").await;
    let failing_sync = platform.get("/platform").await.text().await.unwrap();
    assert!(cell(team_row(&failing_sync, "team_b"), "sync").contains(r#"data-sync="failing""#));
    assert!(failing_sync.contains("Airflow unreachable"));
}

async fn only_platform_roles_see_it_and_the_auditor_changes_nothing(backend: Backend) {
    let app = TestApp::spawn_with_dead_airflow(backend).await;
    seed_estate(&app).await;
    for user in ["admin", "multi", "viewer"] {
        let team_user = app.signed_in(user).await;
        for path in ["/platform", "/platform?sort=failed", "/platform/events"] {
            assert_eq!(
                team_user.get(path).await.status(),
                StatusCode::NOT_FOUND,
                "{user} {path}"
            );
        }
        let (status, _) = team_user.function("platform_overview", &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{user}");
    }
    let auditor = app.signed_in("auditor").await;
    let html = auditor.get("/platform").await.text().await.unwrap();
    assert_eq!(row_order(&html), ["team_a", "team_b"]);
    // The overview offers no action; the teams' pages it links to refuse the auditor's.
    let overview = html.split(r#"<section class="platform""#).nth(1).unwrap();
    assert!(!overview.contains("<form"), "the overview has no forms");
    let (status, _) = auditor
        .function(
            "set_dag_paused",
            &[
                ("team", "team_a"),
                ("environment", "main"),
                ("dag_id", "a_etl"),
                ("paused", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// (hour or day, team, state, runs)
type Bucket = (String, String, String, i64);

/// The per-hour and per-day counts equal a count over `dag_runs` after every kind of write:
/// inserts, the sync's upsert, state and time changes, a DAG moving team, deletes.
async fn run_counts_stay_equal_to_the_runs(backend: Backend) {
    let app = TestApp::spawn_with_dead_airflow(backend).await;
    seed_estate(&app).await;
    let check = |when: &'static str| {
        let app = &app;
        async move {
            for (table, key, width) in
                [("team_run_hours", "hour", 13), ("team_run_days", "day", 10)]
            {
                let counted = format!(
                    "SELECT substr(run_after, 1, {width}) AS k, team, COALESCE(state, 'none') AS s, \
                     CAST(COUNT(*) AS BIGINT) AS n FROM dag_runs WHERE team IS NOT NULL \
                     GROUP BY substr(run_after, 1, {width}), team, COALESCE(state, 'none') ORDER BY 1, 2, 3"
                );
                let kept = format!(
                    "SELECT {key} AS k, team, state AS s, CAST(runs AS BIGINT) AS n FROM {table} ORDER BY 1, 2, 3"
                );
                let (expected, actual): (Vec<Bucket>, Vec<Bucket>) = hangar_server::with_pool!(&app.state.db, pool => {
                    (
                        sqlx::query_as(&counted).fetch_all(pool).await.unwrap(),
                        sqlx::query_as(&kept).fetch_all(pool).await.unwrap(),
                    )
                });
                assert!(!expected.is_empty());
                assert_eq!(actual, expected, "{table} after {when}");
            }
        }
    };
    check("the inserts").await;
    execute(
        &app,
        "UPDATE dag_runs SET state = 'failed' WHERE run_id = 'a_0'",
    )
    .await;
    execute(
        &app,
        "UPDATE dag_runs SET state = NULL WHERE run_id = 'a_1'",
    )
    .await;
    check("state changes").await;
    let moved = at(app.state.clock.now_ms() - 30 * HOUR_MS);
    execute(
        &app,
        &format!("UPDATE dag_runs SET run_after = '{moved}' WHERE run_id = 'a_2'"),
    )
    .await;
    check("a time change").await;
    execute(
        &app,
        "UPDATE dags SET team = 'team_b' WHERE dag_id = 'a_etl'",
    )
    .await;
    check("a DAG moving to another team").await;
    execute(&app, "UPDATE dags SET team = NULL WHERE dag_id = 'b_etl'").await;
    check("a DAG becoming shared").await;
    execute(
        &app,
        "DELETE FROM dag_runs WHERE run_id IN ('a_3', 'b_0', 's_1')",
    )
    .await;
    check("deletes").await;
    // The sync's upsert: a new run, and a known one whose state changed.
    let run = |id: &str, state: &str| hangar_server::airflow::models::DagRun {
        dag_id: "a_paused".into(),
        dag_run_id: id.into(),
        state: Some(state.into()),
        run_type: Some("scheduled".into()),
        run_after: at(app.state.clock.now_ms() - HOUR_MS),
        start_date: None,
        end_date: None,
        dag_versions: Vec::new(),
    };
    hangar_server::with_pool!(&app.state.db, pool => {
        for (id, state) in [("p_1", "running"), ("p_1", "success"), ("p_2", "queued")] {
            hangar_server::upsert_run!("main", run(id, state), 0_i64).fetch_optional(pool).await.unwrap();
        }
    });
    check("the sync's upserts").await;
}

async fn the_overview_stream_hears_every_team_and_the_environment(backend: Backend) {
    let app = TestApp::spawn_with_dead_airflow(backend).await;
    seed_estate(&app).await;
    let platform = app.signed_in("platform_admin").await;
    let mut stream = platform.get("/platform/events").await;
    assert_eq!(stream.status(), StatusCode::OK);
    let viewer = app.signed_in("viewer").await;
    let mut team_stream = viewer.get("/t/team_a/events").await;

    app.state
        .live
        .teams_changed("main", [Some("team_b".to_string())].into())
        .await;
    assert!(
        support::next_change(&mut stream, Duration::from_secs(5)).await,
        "team_b's change"
    );
    app.state.live.environment_changed("main").await;
    assert!(
        support::next_change(&mut stream, Duration::from_secs(5)).await,
        "the environment"
    );
    assert!(
        !support::next_change(&mut team_stream, Duration::from_millis(700)).await,
        "a team page does not reload for another team or for the environment"
    );
    // A burst is one reload.
    for _ in 0..20 {
        app.state
            .live
            .teams_changed("main", [Some("team_a".to_string())].into())
            .await;
    }
    assert!(support::next_change(&mut stream, Duration::from_secs(5)).await);
    assert!(
        !support::next_change(&mut stream, Duration::from_millis(1500)).await,
        "twenty changes within the second are one reload"
    );
}

on_both_backends!(
    each_team_has_its_figures_and_nothing_of_the_shared_dags,
    only_platform_roles_see_it_and_the_auditor_changes_nothing,
    run_counts_stay_equal_to_the_runs,
    the_overview_stream_hears_every_team_and_the_environment,
);
