//! What a DAG's page tells beyond the list, from the real Airflow: its documentation as
//! sanitised Markdown, its run parameters (and triggers checked against them before Airflow
//! is asked), and import errors — each only to the teams that own the bundle.

use crate::support;

use std::time::Duration;

use reqwest::StatusCode;
use support::{Backend, TestApp};

/// A full catalogue sync (DAGs, import errors, details, connections, variables) until the
/// dag-processor has reported the fixture's broken file and every DAG's details are read.
async fn sync_until_the_broken_file_shows(app: &TestApp) {
    let env = &app.state.config.airflow[0];
    let client = app.state.airflow.main(&env.name).unwrap();
    for _ in 0..60 {
        hangar_server::sync::sync_catalogue(&app.state, env, &client, app.state.clock.now_ms())
            .await
            .unwrap();
        let (count, details_due): (i64, i64) = hangar_server::with_pool!(&app.state.db, pool => {
            use sqlx::Row;
            let errors = sqlx::query("SELECT COUNT(*) AS n FROM import_errors WHERE filename = 'team_b_broken.py'")
                .fetch_one(pool).await.unwrap().try_get("n").unwrap();
            // A sync reads at most DETAILS_PER_SYNC DAGs' details (the example DAGs are more).
            let due = sqlx::query("SELECT COUNT(*) AS n FROM dags WHERE details_parsed IS NULL")
                .fetch_one(pool).await.unwrap().try_get("n").unwrap();
            (errors, due)
        });
        if count > 0 && details_due == 0 {
            return;
        }
        if count == 0 {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }
    panic!("Airflow never reported team_b_broken.py as an import error");
}

async fn dag_details_are_shown_to_their_team_only(backend: Backend) {
    let app = TestApp::spawn_with_airflow(backend).await;
    sync_until_the_broken_file_shows(&app).await;
    let author = app.signed_in("author").await; // team_a

    // Documentation: Markdown rendered, raw HTML shown as text, headings below the page's.
    let page = author
        .get("/t/team_a/dags/main/team_a_etl")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"data-testid="dag-doc""#), "{page}");
    assert!(page.contains("<h3>Team A ETL</h3>"), "{page}");
    assert!(page.contains(r#"<a href="https://runbook.example.test/etl">the runbook</a>"#));
    assert!(
        !page.contains("<script>alert"),
        "raw HTML from a DAG file became markup"
    );
    assert!(page.contains("&lt;script&gt;alert"), "it shows as text");
    assert!(page.contains("team_a_etl.py"), "the DAG's file is named");

    // Parameters: named on the DAG page, which links to the trigger page; there the form
    // starts from their defaults, and a trigger that breaks them is refused by Hangar naming
    // the parameter, before Airflow is asked.
    let named = page
        .split(r#"data-testid="dag-params""#)
        .nth(1)
        .expect("the DAG page names its parameters");
    let named = &named[..named.find("</dd>").unwrap()];
    assert!(
        named.contains("batch_size") && named.contains("region"),
        "{named}"
    );
    assert!(
        page.contains(r#"href="/t/team_a/dags/main/team_a_etl/trigger""#),
        "{page}"
    );
    assert!(
        !page.contains(r#"data-testid="trigger-params""#),
        "the form is on its own page"
    );
    let page = author
        .get("/t/team_a/dags/main/team_a_etl/trigger")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"data-testid="trigger-params""#), "{page}");
    assert!(page.contains("rows per batch"));
    assert!(
        page.contains(r#"name="return_to" value="/t/team_a/dags/main/team_a_etl""#),
        "without JavaScript the trigger comes back to the DAG page: {page}"
    );
    // Each parameter is a typed field starting from its default: a bounded whole number,
    // a choice of the allowed values.
    let batch = page
        .split(r#"data-param="batch_size""#)
        .nth(1)
        .expect("a field for batch_size");
    let batch = &batch[..batch.find("</label>").unwrap()];
    for attribute in [
        r#"type="number""#,
        r#"name="params[batch_size]""#,
        r#"step="1""#,
        r#"min="1""#,
        r#"max="10000""#,
        r#"value="100""#,
    ] {
        assert!(batch.contains(attribute), "{attribute}: {batch}");
    }
    let region = page
        .split(r#"data-param="region""#)
        .nth(1)
        .expect("a field for region");
    let region = &region[..region.find("</select>").unwrap()];
    assert!(region.contains(r#"name="params[region]""#), "{region}");
    assert!(
        region.contains(r#"<option value="&quot;eu&quot;" selected"#)
            || region.contains(r#"<option selected value="&quot;eu&quot;""#),
        "{region}"
    );
    // A typed field is checked like the JSON: naming the parameter, before Airflow.
    for (field, value, fragment) in [
        ("params[batch_size]", "0", "out of range"),
        ("params[batch_size]", "ten", "whole number"),
        ("params[region]", "\"mars\"", "one of"),
        ("params[no_such_param]", "1", "no parameter"),
    ] {
        let form = [
            ("team", "team_a"),
            ("environment", "main"),
            ("dag_id", "team_a_etl"),
            (field, value),
        ];
        let (status, body) = author.function("trigger_dag", &form).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}: {body}"
        );
        assert!(body.contains(fragment), "{field}={value}: {body}");
    }
    // Who may not trigger gets no form: a viewer neither the link nor the page; a team
    // member with the role, for a shared DAG, the page saying only platform admins may.
    let viewer = app.signed_in("viewer").await; // viewer of team_a
    let viewed = viewer
        .get("/t/team_a/dags/main/team_a_etl")
        .await
        .text()
        .await
        .unwrap();
    assert!(viewed.contains(r#"data-testid="dag-params""#), "{viewed}");
    assert!(
        !viewed.contains(r#"data-testid="trigger-open""#),
        "{viewed}"
    );
    // A page one's role does not open answers as a page that does not exist (route_matrix).
    let refused = viewer.get("/t/team_a/dags/main/team_a_etl/trigger").await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert!(!refused.text().await.unwrap().contains("trigger-submit"));
    let shared = author
        .get("/t/team_a/dags/main/shared_housekeeping/trigger")
        .await;
    assert_eq!(shared.status(), StatusCode::OK);
    let shared = shared.text().await.unwrap();
    assert!(
        shared.contains(r#"data-testid="trigger-refused""#) && shared.contains("platform admins"),
        "{shared}"
    );
    assert!(!shared.contains("trigger-submit"), "{shared}");
    // Another team's DAG has no trigger page, as it has no DAG page.
    let other = author
        .get("/t/team_a/dags/main/team_b_report/trigger")
        .await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);

    // Without JavaScript a refused trigger's page links back to the form, where the user
    // tries again, not to the DAG page the form returns to once it worked; a page elsewhere
    // is no place to go back to.
    let refused_at = |retry_at: &'static str| {
        let author = &author;
        async move {
            let form = [
                ("team", "team_a"),
                ("environment", "main"),
                ("dag_id", "team_a_etl"),
                ("conf", "{not json"),
                ("return_to", "/t/team_a/dags/main/team_a_etl"),
                ("retry_at", retry_at),
            ];
            let response = author.post_form("/api/trigger_dag", &form).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
            response.text().await.unwrap()
        }
    };
    let refused = refused_at("/t/team_a/dags/main/team_a_etl/trigger").await;
    assert!(refused.contains("That did not work"), "{refused}");
    assert!(
        refused.contains(r#"<a href="/t/team_a/dags/main/team_a_etl/trigger">Back</a>"#),
        "{refused}"
    );
    let elsewhere = refused_at("https://evil.example/phish").await;
    assert!(!elsewhere.contains("evil.example"), "{elsewhere}");

    let runs_before = app.audit_actions().await.len();
    let bad = [
        ("team", "team_a"),
        ("environment", "main"),
        ("dag_id", "team_a_etl"),
        ("conf", r#"{"batch_size": 0}"#),
    ];
    let (status, body) = author.function("trigger_dag", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("batch_size") && body.contains("out of range"),
        "{body}"
    );
    let region = [
        ("team", "team_a"),
        ("environment", "main"),
        ("dag_id", "team_a_etl"),
        ("conf", r#"{"region": "mars"}"#),
    ];
    let (status, body) = author.function("trigger_dag", &region).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("region"), "{body}");
    assert_eq!(
        app.audit_actions().await.len(),
        runs_before,
        "nothing reached Airflow, so nothing was audited as tried"
    );

    // Import errors: team_b's broken file shows on team_b's list, never on team_a's.
    let multi = app.signed_in("multi").await; // author of team_a, admin of team_b
    let b_list = multi.get("/t/team_b/dags").await.text().await.unwrap();
    assert!(
        b_list.contains(r#"data-testid="import-errors""#),
        "{b_list}"
    );
    assert!(b_list.contains("team_b_broken.py"));
    assert!(
        b_list.contains("team_b_helpers_not_written_yet"),
        "the stack trace is there"
    );
    let a_list = multi.get("/t/team_a/dags").await.text().await.unwrap();
    assert!(
        !a_list.contains("team_b_broken"),
        "another team's file leaked"
    );
    let a_answer = multi.function("team_dags", &[("team", "team_a")]).await.1;
    assert!(!a_answer.contains("team_b_broken"));

    // A DAG whose file fails now (it imported before) shows the error on its own page.
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query(
            "UPDATE dags SET relative_fileloc = 'team_b_broken.py', has_import_errors = 1 \
             WHERE dag_id = 'team_b_report'",
        )
        .execute(pool)
        .await
        .unwrap();
    });
    let detail = multi
        .get("/t/team_b/dags/main/team_b_report")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        detail.contains(r#"data-file="team_b_broken.py""#),
        "{detail}"
    );
    let a_detail = author
        .get("/t/team_a/dags/main/team_a_etl")
        .await
        .text()
        .await
        .unwrap();
    assert!(!a_detail.contains(r#"data-testid="import-errors""#));

    // The bundle filter narrows the list to one bundle.
    let filtered = multi
        .get("/t/team_a/dags?bundle=shared_dags")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        filtered.contains("shared_housekeeping") && !filtered.contains(r#"data-dag="team_a_etl""#),
        "{filtered}"
    );
}

on_both_backends!(dag_details_are_shown_to_their_team_only);
