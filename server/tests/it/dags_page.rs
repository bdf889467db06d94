//! The team DAG list against the real Airflow, on SQLite and PostgreSQL: each team sees its
//! own DAGs and the shared bundle's, never another team's — by page, by server function and
//! by search — and the page says how fresh its data is.

use crate::support;

use std::time::Duration;

use hangar_server::airflow::AirflowClient;
use hangar_server::sync::dags::sync_dags;
use reqwest::StatusCode;
use support::{Backend, TestApp};

fn listed(html: &str) -> Vec<String> {
    html.split("data-dag=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect()
}

async fn each_team_sees_its_dags_and_the_shared_ones(backend: Backend) {
    let app = TestApp::spawn_with_airflow(backend).await;
    app.sync_sample_dags().await;

    let author = app.signed_in("author").await;
    let page = author.get("/t/team_a/dags").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert_eq!(
        listed(&html),
        ["shared_housekeeping", "team_a_etl", "team_a_flaky"]
    );
    assert!(
        !html.contains("team_b_report"),
        "another team's DAG must not appear, not even its name"
    );
    assert!(html.contains("badge shared"), "shared DAGs are marked");
    assert!(html.contains("1–3 of 3"));

    // Search: case-insensitive, `_` is literal.
    let html = author
        .get("/t/team_a/dags?q=FLAKY")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(listed(&html), ["team_a_flaky"]);
    let html = author
        .get("/t/team_a/dags?q=a_e")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(listed(&html), ["team_a_etl"]);
    // A search for another team's DAG finds nothing and counts nothing.
    let html = author
        .get("/t/team_a/dags?q=team_b")
        .await
        .text()
        .await
        .unwrap();
    assert!(listed(&html).is_empty());
    assert!(html.contains("No DAGs match."));
    let html = author
        .get("/t/team_a/dags?paused=true")
        .await
        .text()
        .await
        .unwrap();
    assert!(listed(&html).is_empty(), "sample DAGs are active");

    // Narrower filters: exact tag and owner, import errors, and the sort orders.
    let list = |query: &'static str| {
        let author = &author;
        async move {
            let html = author
                .get(&format!("/t/team_a/dags?{query}"))
                .await
                .text()
                .await
                .unwrap();
            listed(&html)
        }
    };
    assert_eq!(list("tag=etl").await, ["team_a_etl"]);
    assert_eq!(
        list("tag=et").await,
        Vec::<String>::new(),
        "tags match whole"
    );
    assert_eq!(list("owner=carol").await, ["team_a_flaky"]);
    assert_eq!(list("tag=platform").await, ["shared_housekeeping"]);
    assert_eq!(list("errors=true").await, Vec::<String>::new());
    // Another team's tag and owner find nothing, and count nothing.
    assert_eq!(list("tag=reports").await, Vec::<String>::new());
    assert_eq!(list("owner=bob").await, Vec::<String>::new());
    assert_eq!(list("sort=last_run").await.len(), 3);
    assert_eq!(
        list("state=none&sort=next_run").await.len(),
        3,
        "no runs yet"
    );
    assert_eq!(
        author
            .call(
                "/api/team_dags",
                &[("team", "team_a"), ("filters[last_state]", "bogus")]
            )
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // The other team's list, and the same data through the server function.
    assert_eq!(
        author.get("/t/team_b/dags").await.status(),
        StatusCode::NOT_FOUND
    );
    let denied = author.call("/api/team_dags", &[("team", "team_b")]).await;
    assert_eq!(denied.status(), StatusCode::NOT_FOUND);
    let multi = app.signed_in("multi").await;
    let answer: serde_json::Value = multi
        .call("/api/team_dags", &[("team", "team_b"), ("search", "")])
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["dag_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["shared_housekeeping", "team_b_report"]);
    assert_eq!(answer["total"], 2);
}

async fn the_page_says_how_fresh_its_data_is(backend: Backend) {
    let app = TestApp::spawn_with_airflow(backend).await;
    app.sync_sample_dags().await;
    let author = app.signed_in("author").await;
    let html = author.get("/t/team_a/dags").await.text().await.unwrap();
    assert!(
        !html.contains("sync-notice"),
        "no notice while the data is fresh"
    );

    let dead = support::unreachable(&app.state.config.airflow[0]);
    let client = AirflowClient::for_environment(&dead, &Default::default()).unwrap();
    assert!(
        sync_dags(
            &app.state.db,
            &dead,
            &client,
            app.state.clock.now_ms() + 100
        )
        .await
        .is_err()
    );

    // A sync's status alone is not announced to pages: a kept page may show the previous one
    // for up to its age.
    tokio::time::sleep(hangar_app::functions::kept_pages::MAX_AGE).await;
    let html = author.get("/t/team_a/dags").await.text().await.unwrap();
    assert!(
        html.contains("Data as of ") && html.contains("unreachable"),
        "stale data is labelled"
    );
    assert_eq!(listed(&html).len(), 3, "the last good data is still shown");
}

/// Triggers a run through Airflow's API as the admin and returns its run id.
async fn trigger(app: &TestApp, dag_id: &str) -> String {
    let env = &app.state.config.airflow[0];
    let client = AirflowClient::for_environment(env, &Default::default()).unwrap();
    // The test Airflow keeps its metadata in SQLite, which refuses concurrent writers with a
    // 500 "Database error" (both backends' tests trigger at once): try again briefly.
    for _ in 0..20 {
        let answer: Result<serde_json::Value, _> = client
            .call(
                reqwest::Method::POST,
                &format!("/api/v2/dags/{dag_id}/dagRuns"),
                &[],
                Some(&serde_json::json!({ "logical_date": null, "note": "hangar test" })),
            )
            .await;
        match answer {
            Ok(run) => return run["dag_run_id"].as_str().unwrap().to_string(),
            Err(hangar_server::airflow::AirflowError::Rejected { status: 500.., .. }) => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(error) => panic!("trigger {dag_id}: {error}"),
        }
    }
    panic!("Airflow kept failing to trigger {dag_id}");
}

async fn run_strips_show_the_teams_runs_only(backend: Backend) {
    let app = TestApp::spawn_with_airflow(backend).await;
    app.sync_sample_dags().await;
    let run_a = trigger(&app, "team_a_etl").await;
    let run_b = trigger(&app, "team_b_report").await;
    let env = app.state.config.airflow[0].clone();
    let client = AirflowClient::for_environment(&env, &Default::default()).unwrap();
    let changed = hangar_server::sync::runs::sync_runs(
        &app.state.db,
        &env,
        &client,
        app.state.clock.now_ms(),
    )
    .await
    .unwrap();
    // New runs count as changes (live pages reload for them).
    assert!(
        changed.contains("team_a_etl") && changed.contains("team_b_report"),
        "{changed:?}"
    );

    let author = app.signed_in("author").await;
    let html = author.get("/t/team_a/dags").await.text().await.unwrap();
    assert!(
        strip_runs(&html).contains(&run_a),
        "team_a's run is in its strip"
    );
    assert!(!html.contains(&run_b), "team_b's run never reaches team_a");
    let multi = app.signed_in("multi").await;
    let html = multi.get("/t/team_b/dags").await.text().await.unwrap();
    assert!(strip_runs(&html).contains(&run_b));
    assert!(!html.contains(&run_a));
}

/// Page sizes: the viewer picks 25, 50 or 100 rows; other values fall back to 50; pages
/// count the team's DAGs only.
async fn pages_hold_the_size_asked_for(backend: Backend) {
    let app = TestApp::spawn_with_dead_airflow(backend).await;
    for n in 0..60 {
        app.seed_dag("main", &format!("a_{n:02}"), Some("team_a"))
            .await;
    }
    for n in 0..5 {
        app.seed_dag("main", &format!("b_{n:02}"), Some("team_b"))
            .await;
    }
    let author = app.signed_in("author").await;
    let rows = |query: &'static str| {
        let author = &author;
        async move {
            let html = author
                .get(&format!("/t/team_a/dags{query}"))
                .await
                .text()
                .await
                .unwrap();
            assert!(!html.contains("b_0"), "another team's DAG on {query}");
            listed(&html)
        }
    };
    assert_eq!(rows("").await.len(), 50);
    assert_eq!(rows("?per=25").await.len(), 25);
    assert_eq!(rows("?per=100").await.len(), 60);
    assert_eq!(
        rows("?per=7").await.len(),
        50,
        "an offered size or the default"
    );
    let second = rows("?per=25&page=1").await;
    assert_eq!(second.first().map(String::as_str), Some("a_25"));
    assert_eq!(rows("?per=25&page=2").await.len(), 10);
}

/// The strip and the latest-run filter are kept on the DAG row by the database (migration
/// 0009): every write to the runs, a delete included, shows at once.
async fn strips_follow_every_write_to_the_runs(backend: Backend) {
    let app = TestApp::spawn_with_dead_airflow(backend).await;
    app.seed_dag("main", "striped", Some("team_a")).await; // with run_1, failed
    hangar_server::with_pool!(&app.state.db, pool => {
        for n in 2..=12 {
            sqlx::query(
                "INSERT INTO dag_runs (environment, dag_id, run_id, state, run_type, run_after, \
                 synced_ms) VALUES ('main', 'striped', $1, 'success', 'manual', $2, 0)",
            )
            .bind(format!("run_{n:02}"))
            .bind(format!("2099-01-01T00:00:{n:02}Z"))
            .execute(pool)
            .await
            .unwrap();
        }
    });
    announce_team_a(&app).await;
    let author = app.signed_in("author").await;
    let strip = |query: &'static str| {
        let author = &author;
        async move {
            let html = author
                .get(&format!("/t/team_a/dags{query}"))
                .await
                .text()
                .await
                .unwrap();
            strip_runs(&html)
        }
    };
    let runs = strip("").await;
    assert_eq!(runs.len(), 10, "{runs:?}");
    assert_eq!(
        runs.first().map(String::as_str),
        Some("run_03"),
        "oldest of the ten first"
    );
    assert_eq!(runs.last().map(String::as_str), Some("run_12"));
    assert_eq!(strip("?state=success").await.len(), 10);
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query("UPDATE dag_runs SET state = 'failed' WHERE run_id = 'run_12'")
            .execute(pool).await.unwrap();
    });
    announce_team_a(&app).await;
    assert!(
        strip("?state=success").await.is_empty(),
        "the latest run failed now"
    );
    assert_eq!(strip("?state=failed").await.len(), 10);
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query("DELETE FROM dag_runs WHERE run_id IN ('run_11', 'run_12')")
            .execute(pool).await.unwrap();
    });
    announce_team_a(&app).await;
    let runs = strip("").await;
    assert_eq!(runs.first().map(String::as_str), Some("run_1"), "{runs:?}");
    assert_eq!(runs.last().map(String::as_str), Some("run_10"));
    assert_eq!(strip("?state=success").await.len(), 10);
}

/// The pause switch on each row shows only where the role allows it: operators and up for
/// the team's DAGs, platform admins only for shared ones — and the server agrees.
async fn row_pause_switches_follow_the_role(backend: Backend) {
    let app = TestApp::spawn_with_dead_airflow(backend).await;
    app.seed_dag("main", "own_dag", Some("team_a")).await;
    app.seed_dag("main", "common_dag", None).await;
    let switch_on = |html: &str, dag: &str| {
        let start = html.find(&format!("data-dag=\"{dag}\"")).expect("the row");
        let row = &html[start..];
        let row = &row[..row.find("</tr>").unwrap()];
        row.contains(r#"data-testid="row-pause""#)
    };
    for (user, own, shared) in [
        ("viewer", false, false),
        ("operator", true, false),
        ("platform_admin", true, true),
    ] {
        let browser = app.signed_in(user).await;
        let html = browser.get("/t/team_a/dags").await.text().await.unwrap();
        assert_eq!(switch_on(&html, "own_dag"), own, "{user}: own DAG");
        assert_eq!(switch_on(&html, "common_dag"), shared, "{user}: shared DAG");
    }
}

/// The kept rows go out as the kept bytes between the render's pieces
/// (`hangar_app::kept_html`): whole, inside the table's body, no placeholder left, with a
/// `Content-Length` that is the body's, the same at the second (kept) request, and
/// compressed like any page.
async fn kept_rows_go_out_whole_and_in_place(backend: Backend) {
    let app = TestApp::spawn_with_dead_airflow(backend).await;
    for n in 0..60 {
        app.seed_dag("main", &format!("a_{n:02}"), Some("team_a"))
            .await;
    }
    let author = app.signed_in("author").await;
    let mut seen = Vec::new();
    for _ in 0..2 {
        let page = author.get("/t/team_a/dags?per=100").await;
        assert_eq!(page.status(), StatusCode::OK);
        let length: usize = page.headers()["content-length"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let html = page.text().await.unwrap();
        assert_eq!(length, html.len(), "Content-Length is the body's");
        assert!(!html.contains("hangar-kept"), "a placeholder was left");
        assert_eq!(listed(&html).len(), 60);
        // The rows start right where the table's body opens, and end where it closes.
        let body = html.split("<tbody").nth(1).unwrap();
        let (open, rest) = body.split_once('>').unwrap();
        assert!(!open.contains('<'), "{open}");
        assert!(rest.starts_with("<tr data-dag=\"a_00\""), "{}", &rest[..80]);
        let rows = rest.split("</tbody>").next().unwrap();
        assert!(rows.ends_with("</tr>"));
        assert_eq!(rows.matches("<tr ").count(), 60);
        seen.push(rows.to_string());
    }
    assert_eq!(
        seen[0], seen[1],
        "the kept page sends what the first render did"
    );

    // Compressed, the page decodes to the same rows.
    let gzipped = author
        .client
        .get(author.url("/t/team_a/dags?per=100"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let bytes = gzipped.bytes().await.unwrap();
    let mut html = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut html)
        .unwrap();
    assert!(html.contains(&seen[0]), "the gzipped page holds the rows");
    assert!(!html.contains("hangar-kept"));

    // The runs list's kept rows likewise.
    let runs = author.get("/t/team_a/runs").await;
    assert_eq!(runs.status(), StatusCode::OK);
    let html = runs.text().await.unwrap();
    assert!(!html.contains("hangar-kept"), "a placeholder was left");
}

on_both_backends!(
    row_pause_switches_follow_the_role,
    strips_follow_every_write_to_the_runs,
    each_team_sees_its_dags_and_the_shared_ones,
    the_page_says_how_fresh_its_data_is,
    run_strips_show_the_teams_runs_only,
    pages_hold_the_size_asked_for,
    kept_rows_go_out_whole_and_in_place,
);

/// The run ids of every history strip on a page, in order: each square's title is
/// "run id: state".
fn strip_runs(html: &str) -> Vec<String> {
    html.split("<a class=\"run state-")
        .skip(1)
        .map(|square| {
            let title = square.split("title=\"").nth(1).unwrap();
            let title = title.split('"').next().unwrap();
            title.rsplit_once(": ").unwrap().0.to_string()
        })
        .collect()
}

/// What every writer of the read model does after writing (the sync, actions): pages of the
/// team are re-read, not served from before the write.
async fn announce_team_a(app: &TestApp) {
    app.announce_change(&["team_a"]).await;
}
