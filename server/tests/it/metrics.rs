//! `/metrics`: exposed only when protected (a bearer token, or a listener of its own), with
//! the figures the issue names, against the real app on SQLite and PostgreSQL.

use crate::support;

use reqwest::StatusCode;
use support::{Backend, TestApp};

const TOKEN: &str = "scrape-token-0123456789";

async fn scrape(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{url}/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// The value of the series named exactly `series` (name and labels).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

async fn metrics_are_exposed_behind_their_token(backend: Backend) {
    let app = TestApp::spawn_configured(
        backend,
        "",
        &format!(
            "[metrics]\nbearer_token = \"{TOKEN}\"\n\n[[airflow]]\nname = \"main\"\n\
             base_url = \"http://127.0.0.1:{}\"\nusername = \"hangar\"\npassword = \"unused\"\n\
             timeout = \"2s\"\nbundles = {{ team_a_dags = \"team_a\" }}\nshared = [\"shared_dags\"]\n",
            support::idp::free_port()
        ),
    )
    .await;
    for (token, why) in [
        (None, "no token"),
        (Some("scrape-token-wrong-one"), "a wrong one"),
    ] {
        let refused = scrape(&app.url, token).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{why}");
        assert_eq!(refused.headers()["www-authenticate"], "Bearer");
        assert!(!refused.text().await.unwrap().contains("hangar_"), "{why}");
    }
    // A session cookie is no way in either.
    let operator = app.signed_in("operator").await;
    assert_eq!(
        operator.get("/metrics").await.status(),
        StatusCode::UNAUTHORIZED
    );

    app.signed_in("viewer").await;
    assert_eq!(operator.get("/t/team_a").await.status(), StatusCode::OK);
    assert_eq!(
        operator.get("/no/such/page").await.status(),
        StatusCode::NOT_FOUND
    );
    // A failed write to the (unreachable) Airflow is counted by kind.
    app.seed_dag("main", "team_a_dag", Some("team_a")).await;
    let paused = operator
        .call(
            "/api/set_dag_paused",
            &[
                ("team", "team_a"),
                ("environment", "main"),
                ("dag_id", "team_a_dag"),
                ("paused", "true"),
            ],
        )
        .await;
    assert_eq!(paused.status(), StatusCode::BAD_GATEWAY);
    // The environment last synced 90 s ago, and its latest attempt failed.
    let now = app.state.clock.now_ms();
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query(
            "INSERT INTO airflow_sync_status (environment, last_attempt_ms, last_success_ms, last_error) \
             VALUES ('main', $1, $2, 'unreachable')",
        )
        .bind(now)
        .bind(now - 90_000)
        .execute(pool)
        .await
        .unwrap();
    });

    let response = scrape(&app.url, Some(TOKEN)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    let at_least = |series: &str, minimum: f64| {
        let found = value(&text, series);
        assert!(
            found.is_some_and(|v| v >= minimum),
            "{series} ≥ {minimum}, found {found:?} in\n{text}"
        );
    };
    at_least(
        r#"hangar_http_requests_total{method="GET",route="/t/{team}",status="200"}"#,
        1.0,
    );
    at_least(
        r#"hangar_http_requests_total{method="GET",route="unmatched",status="404"}"#,
        1.0,
    );
    at_least(
        r#"hangar_http_requests_total{method="POST",route="/api/set_dag_paused",status="502"}"#,
        1.0,
    );
    at_least(
        r#"hangar_http_request_duration_seconds_count{method="GET",route="/t/{team}"}"#,
        1.0,
    );
    at_least(
        r#"hangar_airflow_api_errors_total{environment="main",kind="unreachable"}"#,
        1.0,
    );
    assert_eq!(value(&text, "hangar_active_sessions"), Some(2.0), "{text}");
    assert_eq!(
        value(
            &text,
            r#"hangar_airflow_sync_lag_seconds{environment="main"}"#
        ),
        Some(90.0)
    );
    assert_eq!(
        value(&text, r#"hangar_airflow_sync_failing{environment="main"}"#),
        Some(1.0)
    );
    assert_eq!(value(&text, "hangar_db_pool_max_connections"), Some(5.0));
    at_least(r#"hangar_db_pool_connections{state="idle"}"#, 0.0);
    assert!(text.contains("hangar_build_info{version="));
    assert!(text.trim_end().ends_with("# EOF"));
    // No path, team, DAG or user name becomes a label.
    assert!(
        !text.contains("team_a") && !text.contains("operator"),
        "{text}"
    );
}

/// Without `[metrics]`, nothing is served: no figures leak from an unprotected endpoint.
async fn metrics_are_off_unless_protected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = scrape(&app.url, Some(TOKEN)).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!response.text().await.unwrap().contains("hangar_http"));
}

on_both_backends!(
    metrics_are_exposed_behind_their_token,
    metrics_are_off_unless_protected,
);

/// `[metrics] listen`: served there (no token needed unless set), not on the main listener.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_a_listener_of_their_own() {
    let port = support::idp::free_port();
    let app = TestApp::spawn_configured(
        Backend::Sqlite,
        "",
        &format!("[metrics]\nlisten = \"127.0.0.1:{port}\"\n"),
    )
    .await;
    let router = hangar_server::http::metrics_router(&app.state).expect("a router of its own");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });

    assert_eq!(
        scrape(&app.url, None).await.status(),
        StatusCode::NOT_FOUND,
        "not on the main listener"
    );
    let own = format!("http://127.0.0.1:{port}");
    let response = scrape(&own, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("hangar_active_sessions")
    );
    assert_eq!(
        reqwest::get(format!("{own}/t/team_a"))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND,
        "nothing else there"
    );
}
