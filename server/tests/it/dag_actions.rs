//! Acting in the real Airflow through Hangar: pause, trigger, clear, mark, task logs — each
//! checked in Airflow itself, in Hangar's read model (at once, without a sync) and in the
//! audit log; and refused, with nothing sent to Airflow, where the role or the team says no.
//!
//! The tests share one Airflow, so each walks both backends in turn instead of running the
//! two at once: two concurrent pauses of one DAG would make each other's checks racy.

use crate::support;

use std::time::Duration;

use hangar_server::airflow::AirflowClient;
use reqwest::StatusCode;
use serde_json::Value;
use support::{Backend, Browser, TestApp};

const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

fn admin_client(app: &TestApp) -> AirflowClient {
    AirflowClient::for_environment(&app.state.config.airflow[0], &app.state.config.tls).unwrap()
}

/// A run as Airflow itself has it.
async fn airflow_run(app: &TestApp, dag_id: &str, run_id: &str) -> Value {
    admin_client(app)
        .call(
            reqwest::Method::GET,
            &hangar_server::airflow::client::api_path(&["dags", dag_id, "dagRuns", run_id]),
            &[],
            None,
        )
        .await
        .unwrap()
}

async fn airflow_paused(app: &TestApp, dag_id: &str) -> bool {
    let dag: Value = admin_client(app)
        .call(
            reqwest::Method::GET,
            &format!("/api/v2/dags/{dag_id}"),
            &[],
            None,
        )
        .await
        .unwrap();
    dag["is_paused"].as_bool().unwrap()
}

async fn pause(browser: &Browser, team: &str, dag_id: &str, paused: bool) -> (StatusCode, String) {
    let paused = paused.to_string();
    let response = browser
        .call(
            "/api/set_dag_paused",
            &[
                ("team", team),
                ("environment", "main"),
                ("dag_id", dag_id),
                ("paused", &paused),
            ],
        )
        .await;
    (response.status(), response.text().await.unwrap())
}

async fn trigger(browser: &Browser, team: &str, dag_id: &str, conf: &str) -> (StatusCode, String) {
    trigger_with(browser, team, dag_id, conf, &[]).await
}

/// With typed parameter fields too (`params[name]`, as the form sends them).
async fn trigger_with(
    browser: &Browser,
    team: &str,
    dag_id: &str,
    conf: &str,
    params: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut form = vec![
        ("team", team),
        ("environment", "main"),
        ("dag_id", dag_id),
        ("conf", conf),
        ("note", "from the Hangar test suite"),
    ];
    form.extend_from_slice(params);
    let response = browser.call("/api/trigger_dag", &form).await;
    (response.status(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pausing_reaches_airflow_the_read_model_and_the_audit_log() {
    for backend in BACKENDS {
        let app = TestApp::spawn_with_airflow(backend).await;
        app.sync_sample_dags().await;
        let operator = app.signed_in("operator").await;

        let (status, body) = pause(&operator, "team_a", "team_a_etl", true).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "true"),
            "{backend:?}"
        );
        assert!(airflow_paused(&app, "team_a_etl").await);
        // The page shows it at once: no sync ran in between.
        let page = support::unmarked(
            &operator
                .get("/t/team_a/dags/main/team_a_etl")
                .await
                .text()
                .await
                .unwrap(),
        );
        assert!(
            page.contains(r#"data-testid="dag-state" class="badge">Paused"#),
            "{page}"
        );
        assert!(page.contains(">Unpause</button>"));
        let (action, outcome, team) = app.last_audit().await;
        assert_eq!(
            (action.as_str(), outcome.as_str(), team.as_deref()),
            ("dag.pause", "success", Some("team_a"))
        );

        // Unpause as a browser without JavaScript does it: a plain form post, answered with
        // a redirect back to the page (a hostile return_to would fall back to `/`).
        let response = operator
            .post_form(
                "/api/set_dag_paused",
                &[
                    ("team", "team_a"),
                    ("environment", "main"),
                    ("dag_id", "team_a_etl"),
                    ("paused", "false"),
                    ("return_to", "/t/team_a/dags/main/team_a_etl"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            response.headers()["location"],
            "/t/team_a/dags/main/team_a_etl"
        );
        assert!(!airflow_paused(&app, "team_a_etl").await);
        let page = operator
            .get("/t/team_a/dags/main/team_a_etl")
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(r#"data-testid="dag-state" class="badge">Active"#));

        // A viewer may not; another team's admin cannot even find it; a nonexistent DAG
        // answers the same. Nothing reaches Airflow.
        let viewer = app.signed_in("viewer").await;
        assert_eq!(
            pause(&viewer, "team_a", "team_a_etl", true).await.0,
            StatusCode::NOT_FOUND
        );
        let other = app.signed_in("multi").await; // author in team_a, admin in team_b
        let through_own_team = pause(&other, "team_b", "team_a_etl", true).await;
        let missing = pause(&other, "team_b", "no_such_dag", true).await;
        assert_eq!(through_own_team, missing);
        assert_eq!(through_own_team.0, StatusCode::NOT_FOUND);
        assert!(!airflow_paused(&app, "team_a_etl").await);

        // A shared DAG: visible to the team, changed only by platform admins.
        let team_admin = app.signed_in("admin").await;
        let (status, body) = pause(&team_admin, "team_a", "shared_housekeeping", true).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(!airflow_paused(&app, "shared_housekeeping").await);
        let (action, outcome, _) = app.last_audit().await;
        assert_eq!(
            (action.as_str(), outcome.as_str()),
            ("request.denied", "denied")
        );
        let page = team_admin
            .get("/t/team_a/dags/main/shared_housekeeping")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !page.contains("pause-toggle"),
            "no switch the user cannot use"
        );
    }
}

/// A run triggered from Hangar: in the read model at once, then its tasks, grid, logs and
/// the clear dialog's preview of what a clear would take (Airflow's dry run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_triggered_run_shows_at_once_then_its_tasks_and_logs() {
    for backend in BACKENDS {
        let app = TestApp::spawn_with_airflow(backend).await;
        app.sync_sample_dags().await;
        let operator = app.signed_in("operator").await;

        // Checked before anything is sent.
        let (status, body) = trigger(&operator, "team_a", "team_a_etl", "[1, 2]").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("JSON object"), "{body}");
        assert!(
            app.audit_actions()
                .await
                .iter()
                .all(|(a, _, _)| a != "dag.trigger")
        );

        // Typed fields need the DAG's parameters, which the details sync reads (a bounded
        // number of DAGs per pass: the example DAGs come first).
        let env = &app.state.config.airflow[0];
        for _ in 0..5 {
            let read = hangar_server::sync::details::sync_details(
                &app.state.db,
                &env.name,
                &app.airflow(),
            )
            .await
            .unwrap();
            if read == 0 {
                break;
            }
        }
        let (status, body) = support::retry_busy(|| {
            trigger_with(
                &operator,
                "team_a",
                "team_a_etl",
                r#"{"rows": 3, "batch_size": 1}"#,
                &[("params[batch_size]", "250"), ("params[region]", "\"us\"")],
            )
        })
        .await;
        assert_eq!(status, StatusCode::OK, "{backend:?}: {body}");
        let run_id: String = serde_json::from_str(&body).unwrap();
        let run_path = hangar_app::paths::run("team_a", "main", "team_a_etl", &run_id);
        let page = operator.get(&run_path).await;
        assert_eq!(
            page.status(),
            StatusCode::OK,
            "the run is in the read model at once"
        );
        let (action, outcome, team) = app.last_audit().await;
        assert_eq!(
            (action.as_str(), outcome.as_str(), team.as_deref()),
            ("dag.trigger", "success", Some("team_a"))
        );
        assert!(app.last_audit_detail().await.contains(&run_id));

        // What Airflow got.
        let run: Value = airflow_run(&app, "team_a_etl", &run_id).await;
        assert_eq!(run["conf"]["rows"], 3);
        // The typed fields went as typed JSON, laid over the JSON object's keys.
        assert_eq!(run["conf"]["batch_size"], serde_json::json!(250));
        assert_eq!(run["conf"]["region"], "us");
        assert_eq!(run["note"], "from the Hangar test suite");

        // The sync brings the tasks; the run finishes.
        let mut html = String::new();
        for _ in 0..90 {
            app.sync_runs_and_tasks().await;
            html = operator.get(&run_path).await.text().await.unwrap();
            if html.contains(r#"data-state="success""#)
                && html.matches(r#"data-task=""#).count() == 3
                && run_succeeded(&html)
            {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        assert!(
            run_succeeded(&html),
            "the run never succeeded: {}",
            main_of(&html)
        );
        for task in ["extract", "transform", "load"] {
            assert!(
                html.contains(&format!(r#"data-task="{task}""#)),
                "{task} listed"
            );
        }
        // The DAG's grid has a cell per task of this run.
        let grid = operator
            .get("/t/team_a/dags/main/team_a_etl")
            .await
            .text()
            .await
            .unwrap();
        assert!(grid.contains(&format!(r#"data-run="{run_id}""#)));
        assert!(grid.contains(r#"data-task="load""#));

        // The log comes live from Airflow, with what the task printed.
        let log_path =
            hangar_app::paths::task_log("team_a", "main", "team_a_etl", &run_id, "load", -1, 0);
        let log = operator.get(&log_path).await;
        assert_eq!(log.status(), StatusCode::OK);
        let log = log.text().await.unwrap();
        assert!(log.contains("loaded 3 rows"), "{log}");
        // A task the run does not have, or another team's run: not found, Airflow not asked.
        let missing =
            hangar_app::paths::task_log("team_a", "main", "team_a_etl", &run_id, "nope", -1, 0);
        assert_eq!(operator.get(&missing).await.status(), StatusCode::NOT_FOUND);
        let foreign =
            hangar_app::paths::task_log("team_a", "main", "team_b_report", &run_id, "load", -1, 0);
        assert_eq!(operator.get(&foreign).await.status(), StatusCode::NOT_FOUND);

        // The clear dialog's preview is Airflow's dry run of that clear, and changes nothing:
        // extract with its downstream is the whole run, extract alone is one, only the
        // failed ones of a run that succeeded is none.
        let extract =
            hangar_app::paths::task_log("team_a", "main", "team_a_etl", &run_id, "extract", -1, 0);
        let cases: [(&str, &[&str]); 3] = [
            (
                "clear=preview&downstream=true",
                &["extract", "transform", "load"],
            ),
            ("clear=preview", &["extract"]),
            ("clear=preview&downstream=true&only_failed=true", &[]),
        ];
        for (query, expected) in cases {
            let page = support::unmarked(
                &operator
                    .get(&format!("{extract}?{query}"))
                    .await
                    .text()
                    .await
                    .unwrap(),
            );
            let preview = page
                .split(r#"data-testid="clear-preview""#)
                .nth(1)
                .unwrap_or_else(|| panic!("{backend:?} {query}: no preview: {}", main_of(&page)));
            if expected.is_empty() {
                assert!(
                    preview
                        .split_once('>')
                        .is_some_and(|(_, text)| text.starts_with("That clears nothing")),
                    "{backend:?} {query}: {preview}"
                );
                continue;
            }
            let listed = &preview[..preview.find("</ul>").expect("a list")];
            let tasks: Vec<&str> = listed
                .split("<li><code>")
                .skip(1)
                .filter_map(|item| item.split("</code>").next())
                .collect();
            let mut sorted = tasks.clone();
            sorted.sort();
            let mut wanted = expected.to_vec();
            wanted.sort();
            assert_eq!(sorted, wanted, "{backend:?} {query}");
            assert!(
                preview.contains(&format!(">Clear {}</button>", expected.len())),
                "{backend:?} {query}: {preview}"
            );
        }
        let run: Value = airflow_run(&app, "team_a_etl", &run_id).await;
        assert_eq!(run["state"], "success", "a preview clears nothing");
        // Who may not clear sees no preview, and cannot ask for one.
        let viewer = app.signed_in("viewer").await;
        let page = viewer
            .get(&format!("{extract}?clear=preview&downstream=true"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !page.contains(r#"data-testid="clear-preview""#),
            "{backend:?}"
        );
        let asked = viewer
            .call(
                "/api/clear_task_preview",
                &[
                    ("team", "team_a"),
                    ("environment", "main"),
                    ("dag_id", "team_a_etl"),
                    ("run_id", run_id.as_str()),
                    ("task_id", "extract"),
                    ("downstream", "true"),
                ],
            )
            .await;
        assert_eq!(asked.status(), StatusCode::NOT_FOUND, "{backend:?}");
    }
}

/// The page's `<main>`, for failure messages.
fn main_of(html: &str) -> &str {
    html.split("<main>")
        .nth(1)
        .and_then(|m| m.split("</main>").next())
        .unwrap_or(html)
}

fn run_succeeded(html: &str) -> bool {
    html.split(r#"data-testid="run-state""#)
        .nth(1)
        .is_some_and(|rest| rest[..rest.len().min(200)].contains(r#"data-state="success""#))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_tasks_are_cleared_and_runs_marked() {
    for backend in BACKENDS {
        let app = TestApp::spawn_with_airflow(backend).await;
        app.sync_sample_dags().await;
        let operator = app.signed_in("operator").await;
        let (status, body) =
            support::retry_busy(|| trigger(&operator, "team_a", "team_a_flaky", "")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let run_id: String = serde_json::from_str(&body).unwrap();
        let run_path = hangar_app::paths::run("team_a", "main", "team_a_flaky", &run_id);
        let mut html = String::new();
        for _ in 0..90 {
            app.sync_runs_and_tasks().await;
            html = operator.get(&run_path).await.text().await.unwrap();
            if html.contains("clear-failed") {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        assert!(
            html.contains("clear-failed"),
            "the run never failed: {html}"
        );
        let form = [
            ("team", "team_a"),
            ("environment", "main"),
            ("dag_id", "team_a_flaky"),
            ("run_id", run_id.as_str()),
        ];
        // A viewer may not clear.
        let viewer = app.signed_in("viewer").await;
        assert_eq!(
            viewer.call("/api/clear_failed_tasks", &form).await.status(),
            StatusCode::NOT_FOUND
        );

        let cleared = support::retry_busy(|| async {
            let response = operator.call("/api/clear_failed_tasks", &form).await;
            (response.status(), response.text().await.unwrap())
        })
        .await;
        assert_eq!(cleared, (StatusCode::OK, "1".to_string()));
        let html = operator.get(&run_path).await.text().await.unwrap();
        assert!(
            run_state_is(&html, "queued"),
            "cleared run is queued again at once: {html}"
        );
        let (action, outcome, _) = app.last_audit().await;
        assert_eq!(
            (action.as_str(), outcome.as_str()),
            ("run.clear_failed", "success")
        );

        let mut marked = form.to_vec();
        marked.push(("state", "success"));
        let response = support::retry_busy(|| async {
            let response = operator.call("/api/mark_run", &marked).await;
            (response.status(), response.text().await.unwrap())
        })
        .await;
        assert_eq!(response.0, StatusCode::OK, "{}", response.1);
        let html = operator.get(&run_path).await.text().await.unwrap();
        assert!(run_state_is(&html, "success"), "{html}");
    }
}

fn run_state_is(html: &str, state: &str) -> bool {
    html.split(r#"data-testid="run-state""#)
        .nth(1)
        .is_some_and(|rest| {
            rest[..rest.len().min(200)].contains(&format!(r#"data-state="{state}""#))
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_airflow_is_an_error_the_user_reads_and_the_log_keeps() {
    let app = TestApp::spawn_with_dead_airflow(Backend::Sqlite).await;
    app.seed_dag("main", "team_a_dag", Some("team_a")).await;
    let operator = app.signed_in("operator").await;
    let (status, body) = pause(&operator, "team_a", "team_a_dag", true).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    let error: hangar_app::errors::AppError = serde_json::from_str(&body).unwrap();
    assert!(
        error
            .to_string()
            .contains("Airflow environment main is unreachable"),
        "{error}"
    );
    let (action, outcome, _) = app.last_audit().await;
    assert_eq!(
        (action.as_str(), outcome.as_str()),
        ("dag.pause", "failure")
    );
    // Nothing is shown as done: the read model still says active.
    let page = operator
        .get("/t/team_a/dags/main/team_a_dag")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"data-testid="dag-state" class="badge">Active"#),
        "{page}"
    );

    // Without JavaScript the form post gets a page that says what went wrong.
    let response = operator
        .post_form(
            "/api/set_dag_paused",
            &[
                ("team", "team_a"),
                ("environment", "main"),
                ("dag_id", "team_a_dag"),
                ("paused", "true"),
                ("return_to", "/t/team_a/dags/main/team_a_dag"),
            ],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::BAD_GATEWAY,
        "{:?}",
        response.headers()
    );
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Airflow environment main is unreachable"),
        "{html}"
    );
    assert!(html.contains(r#"href="/t/team_a/dags/main/team_a_dag""#));

    // Arguments that do not parse are a failure too, never a redirect that looks like success.
    let admin = app.signed_in("admin").await;
    let response = admin
        .post_form(
            "/api/create_pool",
            &[
                ("team", "team_a"),
                ("environment", "main"),
                ("name", "p"),
                ("slots", "lots"),
                ("return_to", "/t/team_a/pools"),
            ],
        )
        .await;
    assert!(response.status().is_client_error(), "{}", response.status());
    assert!(response.text().await.unwrap().contains("That did not work"));
}
