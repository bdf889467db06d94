//! Who owns a DAG, against the real Airflow 3.3.2 the test command starts: the first team
//! keeps a `dag_id` another team's bundle later defines (its runs and logs too), the conflict
//! is on `/platform` and the owning team's DAG page, actions wait for a platform admin, and
//! an unmapped bundle's DAGs are nobody's.

use std::path::PathBuf;
use std::time::Duration;

use hangar_server::airflow::AirflowClient;
use hangar_server::sync::dags::sync_dags;
use hangar_server::with_pool;
use reqwest::StatusCode;
use sqlx::Row;

use crate::support::{self, Backend, TestApp};

/// The test configuration, with the extra bundles of lib.sh's Airflow mapped to their teams.
async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with_airflow_bundles(
        backend,
        "team_a_extra = \"team_a\", team_b_extra = \"team_b\"",
    )
    .await
}

fn bundle_dir(bundle: &str) -> PathBuf {
    let root = std::env::var("HANGAR_TEST_AIRFLOW_DAGS")
        .expect("HANGAR_TEST_AIRFLOW_DAGS is set by lib.sh's start_airflow");
    PathBuf::from(root).join(bundle)
}

/// A one-task DAG whose log says which bundle's file it ran from.
fn dag_file(dag_id: &str, bundle: &str) -> String {
    format!(
        "from datetime import datetime\n\nfrom airflow.sdk import dag, task\n\n\n\
         @dag(dag_id=\"{dag_id}\", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, \
         description=\"defined in {bundle}\")\n\
         def the_dag():\n    @task\n    def hello():\n        print(\"hello from {bundle}\")\n\n    hello()\n\n\n\
         the_dag()\n"
    )
}

/// Puts the DAG's file in `to` and removes it from `from` (the other team's extra bundle).
fn move_dag(dag_id: &str, from: &str, to: &str) {
    let _ = std::fs::remove_file(bundle_dir(from).join(format!("{dag_id}.py")));
    std::fs::write(
        bundle_dir(to).join(format!("{dag_id}.py")),
        dag_file(dag_id, to),
    )
    .unwrap();
}

/// Waits until Airflow itself reports `dag_id` in `bundle` (the dag-processor re-reads the
/// bundles every 10 s).
async fn airflow_reports(client: &AirflowClient, dag_id: &str, bundle: &str) {
    for _ in 0..120 {
        if let Ok(dags) = client.all_dags().await
            && dags
                .iter()
                .any(|d| d.dag_id == dag_id && d.bundle_name.as_deref() == Some(bundle))
        {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!("Airflow never reported {dag_id} in {bundle}");
}

/// Waits until Airflow's newest version of `dag_id` comes from `bundle`: the DAG list can
/// name the new bundle a little before the version a new run would use exists.
async fn newest_version_from(client: &AirflowClient, dag_id: &str, bundle: &str) {
    let path = format!("/api/v2/dags/{dag_id}/dagVersions");
    let query = [
        ("order_by", "-version_number".to_string()),
        ("limit", "1".to_string()),
    ];
    for _ in 0..120 {
        let versions: Result<serde_json::Value, _> =
            client.call(reqwest::Method::GET, &path, &query, None).await;
        if let Ok(versions) = versions
            && versions["dag_versions"][0]["bundle_name"] == bundle
        {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!("Airflow never made a version of {dag_id} from {bundle}");
}

/// (team, shared, bundle_name, conflict_bundle, in conflict) of the DAG's row.
async fn row(
    app: &TestApp,
    dag_id: &str,
) -> Option<(Option<String>, bool, Option<String>, Option<String>, bool)> {
    with_pool!(&app.state.db, pool => {
        sqlx::query(
            "SELECT team, shared, bundle_name, conflict_bundle, conflict_since_ms FROM dags \
             WHERE environment = 'main' AND dag_id = $1",
        )
        .bind(dag_id)
        .fetch_optional(pool)
        .await
        .unwrap()
        .map(|row| {
            (
                row.get("team"),
                row.get::<i64, _>("shared") != 0,
                row.get("bundle_name"),
                row.get("conflict_bundle"),
                row.get::<Option<i64>, _>("conflict_since_ms").is_some(),
            )
        })
    })
}

async fn sync(app: &TestApp, step: i64) {
    let env = &app.state.config.airflow[0];
    let client = AirflowClient::for_environment(env, &Default::default()).unwrap();
    sync_dags(
        &app.state.db,
        env,
        &client,
        app.state.clock.now_ms() + step * 1_000,
    )
    .await
    .unwrap();
}

/// Triggers a run through Airflow as its admin and waits until it succeeded.
async fn run_to_success(client: &AirflowClient, dag_id: &str) -> String {
    let path = format!("/api/v2/dags/{dag_id}/dagRuns");
    let body = serde_json::json!({ "logical_date": null });
    let run: serde_json::Value =
        support::retry_airflow(|| client.call(reqwest::Method::POST, &path, &[], Some(&body)))
            .await
            .unwrap();
    let run_id = run["dag_run_id"].as_str().unwrap().to_string();
    for _ in 0..180 {
        let state: Result<serde_json::Value, _> = client
            .call(
                reqwest::Method::GET,
                &format!("/api/v2/dags/{dag_id}/dagRuns/{run_id}"),
                &[],
                None,
            )
            .await;
        match state
            .ok()
            .and_then(|s| s["state"].as_str().map(str::to_string))
        {
            Some(state) if state == "success" => return run_id,
            Some(state) if state == "failed" => panic!("{dag_id} {run_id} failed"),
            _ => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
    panic!("{dag_id} {run_id} did not finish");
}

async fn trigger(browser: &support::Browser, team: &str, dag_id: &str) -> (StatusCode, String) {
    let form = [("team", team), ("environment", "main"), ("dag_id", dag_id)];
    browser.function("trigger_dag", &form).await
}

async fn dup_dag_stays_with_its_first_team(backend: Backend) {
    // One dag_id per backend: both backends' tests share the one Airflow.
    let dag_id = format!("dup_dag_{}", format!("{backend:?}").to_lowercase());
    let app = spawn(backend).await;
    let client = app.airflow();

    // team_a's bundle defines it first.
    move_dag(&dag_id, "team_b_extra", "team_a_extra");
    airflow_reports(&client, &dag_id, "team_a_extra").await;
    sync(&app, 1).await;
    assert_eq!(
        row(&app, &dag_id).await,
        Some((
            Some("team_a".into()),
            false,
            Some("team_a_extra".into()),
            None,
            false
        ))
    );
    newest_version_from(&client, &dag_id, "team_a_extra").await;
    let run_id = run_to_success(&client, &dag_id).await;
    app.sync_runs_and_tasks().await;
    let dag_page = format!("/t/team_a/dags/main/{dag_id}");
    let run_page = format!("{dag_page}/runs/{}", hangar_app::paths::encode(&run_id));
    let log_page = format!("{run_page}/tasks/hello");
    let trigger_page = format!("{dag_page}/trigger");
    let admin_a = app.signed_in("admin").await;
    let log = admin_a.get(&log_page).await.text().await.unwrap();
    assert!(log.contains("hello from team_a_extra"), "{log}");

    // Then team_b's bundle defines the same dag_id (and team_a's copy goes): Airflow moves
    // the DAG to team_b_extra; Hangar keeps it with team_a, as a conflict.
    move_dag(&dag_id, "team_a_extra", "team_b_extra");
    airflow_reports(&client, &dag_id, "team_b_extra").await;
    sync(&app, 2).await;
    app.sync_runs_and_tasks().await;
    assert_eq!(
        row(&app, &dag_id).await,
        Some((
            Some("team_a".into()),
            false,
            Some("team_a_extra".into()),
            Some("team_b_extra".into()),
            true
        )),
        "pinned to team_a, in conflict, the last agreeing bundle kept"
    );

    // Airflow now runs team_b's code under that dag_id: such a run is team_b's output, so
    // it is not shown to team_a (nor to team_b, whose DAG it is not).
    newest_version_from(&client, &dag_id, "team_b_extra").await;
    let foreign_run = run_to_success(&client, &dag_id).await;
    app.sync_runs_and_tasks().await;
    let foreign_page = format!(
        "{dag_page}/runs/{}",
        hangar_app::paths::encode(&foreign_run)
    );
    let foreign_log = format!("{foreign_page}/tasks/hello");
    assert_eq!(
        admin_a.get(&foreign_page).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin_a.get(&foreign_log).await.status(),
        StatusCode::NOT_FOUND
    );
    let runs_a = admin_a.get("/t/team_a/runs").await.text().await.unwrap();
    assert!(
        runs_a.contains(&format!(r#"data-run="{run_id}""#)),
        "team_a's own run is still listed: {runs_a}"
    );
    assert!(
        !runs_a.contains(&format!(r#"data-run="{foreign_run}""#)),
        "{runs_a}"
    );

    // team_b (multi is team_b's admin) sees nothing of it: not the DAG, its run, nor its log.
    let multi = app.signed_in("multi").await;
    let b = |path: &str| path.replace("/t/team_a/", "/t/team_b/");
    for path in [
        &dag_page,
        &trigger_page,
        &run_page,
        &log_page,
        &foreign_page,
        &foreign_log,
    ] {
        assert_eq!(
            multi.get(&b(path)).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let runs = multi.get("/t/team_b/runs").await.text().await.unwrap();
    assert!(!runs.contains(&dag_id), "team_b's run list: {runs}");
    let dags = multi.get("/t/team_b/dags").await.text().await.unwrap();
    assert!(!dags.contains(&dag_id));
    assert_eq!(
        trigger(&multi, "team_b", &dag_id).await.0,
        StatusCode::NOT_FOUND
    );

    // team_a keeps the DAG, its run and its log, with the conflict on the DAG's page, and
    // cannot act on it.
    let page = admin_a.get(&dag_page).await.text().await.unwrap();
    assert!(
        page.contains(r#"data-testid="ownership-conflict""#),
        "{page}"
    );
    assert!(
        !page.contains("defined in team_b_extra"),
        "the other team's description is not shown"
    );
    assert!(!page.contains(r#"data-testid="trigger-open""#), "{page}");
    let form = admin_a.get(&trigger_page).await.text().await.unwrap();
    assert!(
        form.contains(r#"data-testid="trigger-refused""#)
            && form.contains("ownership is in conflict"),
        "{form}"
    );
    assert!(!form.contains("trigger-submit"), "{form}");
    assert!(admin_a.get(&run_page).await.status().is_success());
    let log = admin_a.get(&log_page).await.text().await.unwrap();
    assert!(log.contains("hello from team_a_extra"), "{log}");
    let (status, body) = trigger(&admin_a, "team_a", &dag_id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("ownership conflict"), "{body}");

    // Airflow's report coming back to team_a's bundle (as it flips between two bundles that
    // both define the dag_id) does not end the conflict: only a platform admin does.
    move_dag(&dag_id, "team_b_extra", "team_a_extra");
    airflow_reports(&client, &dag_id, "team_a_extra").await;
    sync(&app, 3).await;
    assert_eq!(
        row(&app, &dag_id).await.map(|r| (r.0, r.4)),
        Some((Some("team_a".into()), true)),
        "still in conflict"
    );
    let (status, body) = trigger(&admin_a, "team_a", &dag_id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    move_dag(&dag_id, "team_a_extra", "team_b_extra");
    airflow_reports(&client, &dag_id, "team_b_extra").await;
    sync(&app, 4).await;

    // The platform sees the conflict; an auditor cannot resolve it, an admin can.
    let platform = app.signed_in("platform_admin").await;
    let overview = platform.get("/platform").await.text().await.unwrap();
    let conflicts = overview
        .split(r#"data-testid="ownership-conflicts""#)
        .nth(1)
        .expect("the conflict is listed");
    assert!(conflicts.contains(&dag_id) && conflicts.contains("team_b_extra"));
    assert!(conflicts.contains(r#"data-testid="assign-owner""#));
    let auditor = app.signed_in("auditor").await;
    let seen = auditor.get("/platform").await.text().await.unwrap();
    assert!(seen.contains(r#"data-testid="ownership-conflicts""#));
    assert!(!seen.contains(r#"data-testid="assign-owner""#));
    let resolve = [
        ("environment", "main"),
        ("dag_id", dag_id.as_str()),
        ("resolution", "assign"),
        ("team", "team_b"),
    ];
    let (status, _) = auditor.function("resolve_dag_ownership", &resolve).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = platform.function("resolve_dag_ownership", &resolve).await;
    assert!(status.is_success(), "{status} {body}");
    assert!(app.audited("platform.dag_ownership", "success").await);
    assert_eq!(
        row(&app, &dag_id).await.map(|r| (r.0, r.4)),
        Some((Some("team_b".into()), false))
    );
    // The admin's decision, not Airflow's report, moved it: now team_b's, with the run of
    // team_b's code and its log, but not team_a's earlier run (that output stays team_a's).
    app.sync_runs_and_tasks().await;
    assert_eq!(
        multi.get(&b(&run_page)).await.status(),
        StatusCode::NOT_FOUND,
        "team_a's run does not move with the DAG"
    );
    let log = multi.get(&b(&foreign_log)).await.text().await.unwrap();
    assert!(log.contains("hello from team_b_extra"), "{log}");
    assert_eq!(admin_a.get(&dag_page).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(admin_a.get(&run_page).await.status(), StatusCode::NOT_FOUND);
    let _ = std::fs::remove_file(bundle_dir("team_b_extra").join(format!("{dag_id}.py")));
}

async fn an_unmapped_bundle_is_nobodys(backend: Backend) {
    let app = TestApp::spawn_with_airflow(backend).await;
    app.sync_sample_dags().await;
    assert_eq!(
        row(&app, "unmapped_dag").await.map(|r| (r.0, r.1)),
        Some((None, false))
    );
    // No team sees it, whoever asks: not in lists, not by its address.
    for (user, team) in [
        ("admin", "team_a"),
        ("multi", "team_b"),
        ("platform_admin", "team_a"),
    ] {
        let browser = app.signed_in(user).await;
        let list = browser
            .get(&format!("/t/{team}/dags"))
            .await
            .text()
            .await
            .unwrap();
        assert!(list.contains("team_"), "a real list: {list}");
        assert!(!list.contains("unmapped_dag"), "{user} in {team}");
        assert_eq!(
            browser
                .get(&format!("/t/{team}/dags/main/unmapped_dag"))
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
    }
    // Platform roles see that it exists, as an unmapped bundle.
    for user in ["platform_admin", "auditor"] {
        let html = app
            .signed_in(user)
            .await
            .get("/platform")
            .await
            .text()
            .await
            .unwrap();
        let unmapped = html
            .split(r#"data-testid="unmapped-bundles""#)
            .nth(1)
            .expect("unmapped bundles are listed");
        assert!(
            unmapped.contains(r#"data-bundle="other_dags""#),
            "{unmapped}"
        );
    }
    // A team's page never says so.
    let html = app
        .signed_in("admin")
        .await
        .get("/t/team_a")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("other_dags"));
}

on_both_backends!(
    dup_dag_stays_with_its_first_team,
    an_unmapped_bundle_is_nobodys
);
