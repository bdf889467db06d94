//! The edge an anonymous visitor and a hostile client reach: the audit log takes samples of
//! anonymous refusals, not one line per request; sign-in attempts leave no session row; rate
//! limits answer 429 with `Retry-After`; bodies are capped with 413; an event stream ends
//! with its session. All traffic is bounded and on loopback.

use std::time::Duration;

use reqwest::StatusCode;

use crate::support::{Backend, Browser, TestApp};

async fn audit_count(app: &TestApp) -> usize {
    hangar_server::audit::entries_after(&app.state.db, 0, 100_000)
        .await
        .unwrap()
        .len()
}

/// Entries without an actor (the anonymous ones) after `seq`.
async fn anonymous_entries(app: &TestApp, after: usize) -> Vec<hangar_server::audit::AuditEntry> {
    hangar_server::audit::entries_after(&app.state.db, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .skip(after)
        .filter(|entry| entry.actor_subject.is_none())
        .collect()
}

/// One round of what an anonymous client can send that Hangar refuses: a cross-origin POST
/// without a session, a sign-in callback that does not verify, a junk bearer token.
async fn refused_round(client: &reqwest::Client, url: &str, origin: &str) -> Vec<StatusCode> {
    let posted = client
        .post(format!("{url}/api/set_dag_paused"))
        .header("origin", origin)
        .form(&[
            ("team", "team_a"),
            ("environment", "main"),
            ("dag_id", "x"),
            ("paused", "true"),
        ])
        .send()
        .await
        .unwrap()
        .status();
    let callback = client
        .get(format!(
            "{url}/auth/callback?state=forged&code=nothing&error_description={}",
            "x".repeat(2_000)
        ))
        .send()
        .await
        .unwrap()
        .status();
    let token = client
        .get(format!("{url}/api/v1/teams/team_a/dags"))
        .bearer_auth("hgr_junk_token_junk_token")
        .send()
        .await
        .unwrap()
        .status();
    vec![posted, callback, token]
}

fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn anonymous_refusals_are_sampled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let before = audit_count(&app).await;
    let client = plain_client();
    // The first carries an origin far longer than any entry may keep.
    let long_origin = format!("https://{}.example", "a".repeat(5_000));
    let mut statuses = refused_round(&client, &app.url, &long_origin).await;
    for _ in 0..30 {
        statuses.extend(refused_round(&client, &app.url, "https://evil.example").await);
    }
    assert!(
        statuses
            .iter()
            .all(|s| matches!(s.as_u16(), 400 | 401 | 403)),
        "every one refused: {statuses:?}"
    );
    let added = anonymous_entries(&app, before).await;
    assert_eq!(
        added.len(),
        1,
        "93 anonymous refusals from one address: one sample: {added:?}"
    );
    let sample = &added[0];
    assert_eq!(sample.action, "request.denied");
    let detail = sample.detail.as_deref().unwrap_or_default();
    assert!(detail.contains("from 127.0.0.1"), "{detail}");
    assert!(
        detail.chars().count() < 400,
        "the client's text is cut: {} characters",
        detail.chars().count()
    );
    // Every refusal is counted.
    let metrics = app.state.metrics.encode();
    for kind in ["cross_origin", "sign_in", "token"] {
        let line = metrics
            .lines()
            .find(|l| {
                l.starts_with("hangar_unauthenticated_refusals_total")
                    && l.contains(&format!("kind=\"{kind}\""))
            })
            .unwrap_or_else(|| panic!("{kind} counted: {metrics}"));
        assert!(line.ends_with(" 31"), "{line}");
    }
    // A signed-in person's forged request is still audited in full, every time.
    let author = app.signed_in("author").await;
    let from = audit_count(&app).await;
    for _ in 0..3 {
        let response = author
            .post_form_from(
                "/api/set_dag_paused",
                &[("team", "team_a"), ("environment", "main"), ("dag_id", "x")],
                Some("https://evil.example"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(audit_count(&app).await - from, 3);
}

async fn a_flood_gets_429s(backend: Backend) {
    let app = TestApp::spawn_configured(
        backend,
        "",
        "[limits]\nrequests_per_ip = 20\nrequests_per_session = 600\n",
    )
    .await;
    let before = audit_count(&app).await;
    let client = plain_client();
    let mut limited = 0;
    for _ in 0..20 {
        for status in refused_round(&client, &app.url, "https://evil.example").await {
            if status == StatusCode::TOO_MANY_REQUESTS {
                limited += 1;
            }
        }
    }
    // While the flood lasts, the next request is refused too (a token may come back every
    // 3 s, so try a few).
    let limited_once = |request: reqwest::RequestBuilder| async move {
        for _ in 0..10 {
            let response = request.try_clone().unwrap().send().await.unwrap();
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                return response;
            }
        }
        panic!("never limited");
    };
    let response = limited_once(client.get(format!("{}/auth/login", app.url))).await;
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
    let body = response.text().await.unwrap();
    assert!(body.contains("Too many requests"), "{body}");
    assert!(
        limited >= 50,
        "most of 60 requests over 20/min are refused: {limited}"
    );
    assert!(
        retry_after.is_some_and(|s| (1..=60).contains(&s)),
        "{retry_after:?}"
    );
    // The JSON API and server functions answer in their own form.
    let api = limited_once(
        client
            .get(format!("{}/api/v1/teams/team_a/dags", app.url))
            .bearer_auth("hgr_junk"),
    )
    .await;
    assert!(api.headers().contains_key("retry-after"));
    assert!(api.text().await.unwrap().contains("\"error\""));
    let function = limited_once(
        client
            .post(format!("{}/api/team_dags", app.url))
            .header("origin", app.url.as_str())
            .form(&[("team", "team_a")]),
    )
    .await;
    assert!(function.text().await.unwrap().contains("Too many requests"));
    // Pages are not limited, and whatever was refused left at most the one sample.
    assert_eq!(
        client
            .get(format!("{}/healthz", app.url))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert!(anonymous_entries(&app, before).await.len() <= 1);
    assert!(
        app.state
            .metrics
            .encode()
            .contains("hangar_rate_limited_total{kind=\"ip\"}")
    );
}

async fn session_rows(app: &TestApp, backend: Backend) -> i64 {
    let sql = match backend {
        Backend::Sqlite => "SELECT COUNT(*) FROM tower_sessions",
        Backend::Postgres => "SELECT COUNT(*) FROM tower_sessions.session",
    };
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap()
    })
}

async fn sign_in_attempts_store_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = plain_client();
    for _ in 0..20 {
        let response = client
            .get(format!("{}/auth/login?return_to=/t/team_a", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(cookie.starts_with("hangar-sign-in="), "{cookie}");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    }
    assert_eq!(
        session_rows(&app, backend).await,
        0,
        "no row per anonymous visit"
    );
    // A whole sign-in still works, and makes the one row.
    let browser = app.signed_in("author").await;
    assert!(browser.get("/t/team_a").await.status().is_success());
    assert_eq!(session_rows(&app, backend).await, 1);
    // A callback with a state of another browser's sign-in fails: the state lives in the
    // cookie of the browser that started it.
    let other = Browser::new(&app.url);
    let response = other
        .get("/auth/callback?state=someone-elses&code=stolen")
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

async fn bodies_are_capped(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let author = app.signed_in("author").await;
    // Larger than loopback's socket buffers hold: the client is still writing when the
    // refusal is ready, so it reads the 413 only if the server reads the rest first (a
    // server that answers and closes at once shows the client a broken pipe instead).
    let big = "x".repeat(7 * 1024 * 1024);
    // A server function, as the hydrated page calls it.
    let response = author
        .call(
            "/api/set_dag_paused",
            &[
                ("team", "team_a"),
                ("environment", "main"),
                ("dag_id", big.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("larger than the 1 MiB Hangar accepts"),
        "{body}"
    );
    // A plain form post gets a page.
    let response = author
        .post_form(
            "/api/set_dag_paused",
            &[("team", "team_a"), ("dag_id", big.as_str())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(response.text().await.unwrap().contains("Request too large"));
    // The JSON API answers JSON; an anonymous one too, before anything reads a session.
    let response = plain_client()
        .post(format!("{}/api/v1/teams/team_a/deploys", app.url))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(response.text().await.unwrap().contains("\"error\""));
}

/// The team_a event stream, open.
async fn open_stream(browser: &Browser) -> reqwest::Response {
    let stream = browser.get("/t/team_a/events").await;
    assert_eq!(stream.status(), StatusCode::OK);
    stream
}

/// Whether the stream ends (rather than only sending keep-alives) within `within`.
async fn ends_within(stream: &mut reqwest::Response, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                assert!(
                    !String::from_utf8_lossy(&chunk).contains("event: change"),
                    "no event after the session ended"
                );
            }
            Ok(Ok(None)) | Ok(Err(_)) => return true,
            Err(_) => return false,
        }
    }
}

async fn event_streams_end_with_their_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let team_a = || std::collections::BTreeSet::from([Some("team_a".to_string())]);

    // Sign-out: the stream closes at once (the replica tells its streams), well within 30 s.
    let admin = app.signed_in("admin").await;
    let mut stream = open_stream(&admin).await;
    app.state.live.teams_changed("main", team_a()).await;
    assert!(crate::support::next_change(&mut stream, Duration::from_secs(5)).await);
    admin.post_form("/auth/logout", &[]).await;
    assert!(
        ends_within(&mut stream, Duration::from_secs(30)).await,
        "closed after sign-out"
    );

    // Revoked by a platform admin.
    let author = app.signed_in("author").await;
    let mut stream = open_stream(&author).await;
    let user_id = hangar_server::users::find_people(&app.state.db, "author")
        .await
        .unwrap()[0]
        .id;
    let platform = app.signed_in("platform_admin").await;
    let user_id = user_id.to_string();
    let (status, body) = platform
        .function("end_user_sessions", &[("user_id", user_id.as_str())])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        ends_within(&mut stream, Duration::from_secs(30)).await,
        "closed after revocation"
    );

    // The absolute timeout, by the server's clock: the next event is not sent.
    let operator = app.signed_in("operator").await;
    let mut stream = open_stream(&operator).await;
    app.clock
        .advance(app.state.config.session.absolute_timeout + Duration::from_secs(1));
    app.state.live.teams_changed("main", team_a()).await;
    assert!(
        ends_within(&mut stream, Duration::from_secs(30)).await,
        "closed at the timeout"
    );
}

/// Identifiers that are not Airflow's, and names the team already has, are answered by Hangar
/// (422 with a sentence) before Airflow is asked: this Airflow is unreachable, so any call to
/// it would answer 502.
async fn identifiers_are_checked_before_airflow(backend: Backend) {
    let app = TestApp::spawn_with_dead_airflow(backend).await;
    app.seed_variable("main", "team_a_var", Some("team_a"))
        .await;
    app.seed_connection("main", "team_a_conn", Some("team_a"))
        .await;
    let author = app.signed_in("author").await;
    let admin = app.signed_in("admin").await;
    let refused = |(status, body): (StatusCode, String), what: &str| {
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
        body
    };
    for key in ["a/b", "..", "x/../y", "back\\slash"] {
        let body = refused(
            author
                .function(
                    "save_variable",
                    &[
                        ("team", "team_a"),
                        ("environment", "main"),
                        ("key", key),
                        ("value", "v"),
                        ("create", "true"),
                    ],
                )
                .await,
            key,
        );
        assert!(body.contains("variable key"), "{body}");
        refused(
            author
                .function(
                    "reveal_variable",
                    &[("team", "team_a"), ("environment", "main"), ("key", key)],
                )
                .await,
            key,
        );
        refused(
            author
                .function(
                    "save_connection",
                    &[
                        ("team", "team_a"),
                        ("environment", "main"),
                        ("connection_id", key),
                        ("conn_type", "http"),
                        ("create", "true"),
                    ],
                )
                .await,
            key,
        );
        refused(
            admin
                .function(
                    "create_pool",
                    &[
                        ("team", "team_a"),
                        ("environment", "main"),
                        ("name", key),
                        ("slots", "1"),
                    ],
                )
                .await,
            key,
        );
    }
    for dag_id in ["a/b", "a..b", "a b"] {
        refused(
            author
                .function(
                    "trigger_dag",
                    &[
                        ("team", "team_a"),
                        ("environment", "main"),
                        ("dag_id", dag_id),
                    ],
                )
                .await,
            dag_id,
        );
    }
    // A name the team already sees is said plainly, from the read model.
    let body = refused(
        author
            .function(
                "save_variable",
                &[
                    ("team", "team_a"),
                    ("environment", "main"),
                    ("key", "team_a_var"),
                    ("value", "v"),
                    ("create", "true"),
                ],
            )
            .await,
        "existing variable",
    );
    assert!(body.contains("already a variable"), "{body}");
    let body = refused(
        author
            .function(
                "save_connection",
                &[
                    ("team", "team_a"),
                    ("environment", "main"),
                    ("connection_id", "team_a_conn"),
                    ("conn_type", "http"),
                    ("create", "true"),
                ],
            )
            .await,
        "existing connection",
    );
    assert!(body.contains("already a connection"), "{body}");
    // A good new name gets as far as Airflow (here: unreachable).
    let (status, _) = author
        .function(
            "save_variable",
            &[
                ("team", "team_a"),
                ("environment", "main"),
                ("key", "fresh.key-1"),
                ("value", "v"),
                ("create", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
}

on_both_backends!(
    identifiers_are_checked_before_airflow,
    anonymous_refusals_are_sampled,
    a_flood_gets_429s,
    sign_in_attempts_store_nothing,
    bodies_are_capped,
    event_streams_end_with_their_session
);
