//! Where a team's tasks run: the team home and `/platform` show the declared set-up
//! (`[[teams]] execution`) and the executors, queues and hosts of the team's task instances
//! of the last 24 hours — the team's own DAGs only, never another team's hosts.

use crate::support::{Backend, TestApp};

async fn add_instance(
    app: &TestApp,
    dag: &str,
    run: &str,
    task: &str,
    executor: Option<&str>,
    host: &str,
    hours_ago: i64,
) {
    let started = hangar_server::clock::rfc3339(app.state.clock.now_ms() - hours_ago * 3_600_000);
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query(
            "INSERT INTO task_instances (environment, dag_id, run_id, task_id, map_index, state, \
             try_number, start_date, synced_ms, executor, queue, hostname) \
             VALUES ('main', $1, $2, $3, -1, 'success', 1, $4, 0, $5, 'default', $6)",
        )
        .bind(dag).bind(run).bind(task).bind(&started).bind(executor).bind(host)
        .execute(pool).await.unwrap();
    });
}

async fn where_tasks_run_is_the_teams_own(backend: Backend) {
    let app = TestApp::spawn_with_dead_airflow(backend).await;
    app.seed_dag("main", "a_etl", Some("team_a")).await;
    app.seed_dag("main", "b_etl", Some("team_b")).await;
    app.seed_dag("main", "shared_etl", None).await;
    for task in ["extract", "load", "report"] {
        add_instance(
            &app,
            "a_etl",
            "r1",
            task,
            Some("KubernetesExecutor"),
            "a-worker-1",
            2,
        )
        .await;
    }
    add_instance(&app, "a_etl", "r2", "extract", None, "a-worker-2", 3).await;
    // Older than 24 hours: not counted.
    add_instance(&app, "a_etl", "r0", "extract", None, "a-worker-old", 30).await;
    add_instance(
        &app,
        "b_etl",
        "r1",
        "extract",
        Some("CeleryExecutor"),
        "b-secret-host",
        1,
    )
    .await;
    add_instance(&app, "shared_etl", "r1", "extract", None, "shared-host", 1).await;

    let home = app.page_as("admin", "/t/team_a").await;
    let section = home
        .split(r#"data-testid="team-execution""#)
        .nth(1)
        .expect("the section");
    assert!(
        section.contains("KubernetesExecutor, namespace team-a, queue team_a"),
        "the declared set-up: {section}"
    );
    let rows: Vec<&str> = section
        .split(r#"data-testid="execution-row""#)
        .skip(1)
        .collect();
    assert_eq!(rows.len(), 2, "{section}");
    assert!(rows[0].contains(r#"data-host="a-worker-1""#) && rows[0].contains(">3<"));
    assert!(rows[1].contains(r#"data-host="a-worker-2""#), "{}", rows[1]);
    assert!(
        rows[1].contains("default</span>"),
        "no executor named: {}",
        rows[1]
    );
    for other in [
        "b-secret-host",
        "shared-host",
        "a-worker-old",
        "CeleryExecutor",
    ] {
        assert!(!home.contains(other), "{other} on team_a's home");
    }
    // Written into the page once: the data the browser hydrates from leaves out the text the
    // page already holds (`FrameCodec`); the frame's own answer, below, carries it whole.
    for text in ["Trigger DAG runs", "KubernetesExecutor, namespace team-a"] {
        assert_eq!(home.matches(text).count(), 1, "{text} in {home}");
    }
    assert!(
        home.contains("__RESOLVED_RESOURCES"),
        "the page hydrates: {home}"
    );

    // team_b declares nothing and sees only its own host.
    let b_home = app.page_as("multi", "/t/team_b").await;
    assert!(b_home.contains("No execution set-up is declared"));
    assert!(b_home.contains(r#"data-host="b-secret-host""#));
    assert!(!b_home.contains("a-worker-1"));

    // The frame (`/api/page_frame`) carries the home of the path it is asked for, read
    // through the home's own door: for a team the person holds no grant in, or one that does
    // not exist, the same "not found" as the home itself, with nothing of the team in it.
    let admin = app.signed_in("admin").await;
    let frame_for = |path: &'static str| {
        let admin = &admin;
        async move {
            let response = admin.call("/api/page_frame", &[("path", path)]).await;
            assert_eq!(response.status(), reqwest::StatusCode::OK, "{path}");
            let body = response.text().await.unwrap();
            let frame: serde_json::Value = serde_json::from_str(&body).unwrap();
            (body, frame["team_home"].clone())
        }
    };
    let (_, own) = frame_for("/t/team_a").await;
    assert_eq!(own["Ok"]["team"], "team_a", "{own}");
    assert!(own.to_string().contains("a-worker-1"), "{own}");
    let (_, other_page) = frame_for("/t/team_a/dags").await;
    assert!(
        other_page.is_null(),
        "only a team's home carries it: {other_page}"
    );
    let (foreign_body, foreign) = frame_for("/t/team_b").await;
    let (_, missing) = frame_for("/t/team_zzz").await;
    assert_eq!(foreign, serde_json::json!({ "Err": "NotFound" }));
    assert_eq!(
        missing, foreign,
        "a foreign team answers like a missing one"
    );
    for secret in ["team_b", "Team B", "b-secret-host"] {
        assert!(!foreign_body.contains(secret), "{secret} in {foreign_body}");
    }

    // The platform sees every team's, each under its team.
    let platform = app.page_as("platform_admin", "/platform").await;
    let all = platform
        .split(r#"data-testid="platform-execution""#)
        .nth(1)
        .expect("the platform's section");
    let of = |team: &str| {
        let part = all
            .split(&format!(r#"data-team="{team}""#))
            .nth(1)
            .unwrap_or_else(|| panic!("{team} in {all}"));
        part[..part.find("</details>").unwrap()].to_string()
    };
    assert!(of("team_a").contains("a-worker-1") && !of("team_a").contains("b-secret-host"));
    assert!(of("team_b").contains("b-secret-host") && !of("team_b").contains("a-worker-1"));
    assert!(
        !all.contains("shared-host"),
        "a shared DAG's host is nobody's"
    );
}

crate::on_both_backends!(where_tasks_run_is_the_teams_own);
