//! The relying party against the real oidc-provider: every way a sign-in can be forged or
//! replayed must end on a clear error page, with no session and an audit entry.

use crate::support;

use reqwest::StatusCode;
use support::{Backend, TestApp};

/// Completes a sign-in whose ID token the provider alters as `mode`, and asserts it is refused.
/// From a client address of its own (`client`), as the audit log keeps one sample per address
/// and minute of refusals of nobody known.
async fn assert_tampered_token_refused(
    app: &TestApp,
    client: u8,
    mode: &str,
    expected_reason: &str,
) {
    let browser = app.browser_from(client);
    let callback = browser.sign_in_until_callback("author", "/t/team_a").await;
    app.idp.tamper_next_id_token(mode).await;
    let response = browser.client.get(&callback).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "{mode}: must be refused"
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("Sign-in failed"), "{mode}: clear page");
    assert!(!page.contains("eyJ"), "{mode}: no token in the page");
    let after = browser.get("/t/team_a").await;
    assert_eq!(
        after.status(),
        StatusCode::SEE_OTHER,
        "{mode}: no session was created"
    );
    let audit = app.audit_actions().await;
    let (_, outcome, detail) = audit.last().unwrap();
    assert_eq!(outcome, "failure", "{mode}");
    let detail = detail.clone().unwrap_or_default();
    assert!(
        detail.contains(expected_reason),
        "{mode}: audit says {detail:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_id_tokens_are_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for (index, (mode, reason)) in [
        ("nonce", "nonce"),
        ("aud", "audience"),
        ("iss", "ssuer"),
        ("expired", "expired"),
        ("iat_future", "issued in the future"),
        ("iat_old", "issued too long ago"),
        ("bad_signature", "Signature verification failed"),
        ("alg_none", "ID token rejected"),
        ("hs256_public_key", "ID token rejected"),
    ]
    .into_iter()
    .enumerate()
    {
        assert_tampered_token_refused(&app, 10 + index as u8, mode, reason).await;
    }
    // The provider itself is fine: an untouched sign-in still works.
    app.signed_in("author").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_and_replayed_state_are_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let browser = app.browser_from(2);
    let callback = browser.sign_in_until_callback("author", "/").await;

    let tampered = callback.replace("state=", "state=x");
    let response = browser.client.get(&tampered).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("expired or was already used")
    );

    // The state was not consumed by the forgery; the real callback still works once...
    let response = browser.client.get(&callback).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // ...and never again, not even from the same browser.
    let replay = browser.client.get(&callback).send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);

    // A callback carried to another browser has no state to match.
    let other = app.browser_from(3);
    let callback = browser.sign_in_until_callback("author", "/").await;
    let response = other.client.get(&callback).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(other.get("/t/team_a").await.status(), StatusCode::SEE_OTHER);

    let failures = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|(a, o, d)| {
            a == "auth.login" && o == "failure" && d.as_deref().unwrap_or("").contains("state")
        })
        .count();
    // Three refusals of nobody known, two of them from one address within the minute: one
    // sample of each address (audit/refusals.rs); the second is only counted.
    assert_eq!(failures, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_issuer_parameter_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let browser = app.browser();
    let callback = browser.sign_in_until_callback("author", "/").await;
    assert!(
        callback.contains("iss="),
        "oidc-provider sends RFC 9207 iss"
    );
    let forged = url::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .map(|(k, v)| {
            (
                k.to_string(),
                if k == "iss" {
                    "http://127.0.0.1:1".to_string()
                } else {
                    v.to_string()
                },
            )
        })
        .collect();
    let mut forged = forged.clone();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    let response = browser.client.get(forged.as_str()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(app.last_audit_detail().await.contains("RFC 9207"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_errors_show_a_clear_page() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let browser = app.browser();
    let callback = browser.sign_in_until_callback("author", "/").await;
    let state = url::Url::parse(&callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    let response = browser
        .get(&format!(
            "/auth/callback?error=access_denied&error_description=nope&state={state}"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("did not sign you in")
    );
    assert!(app.last_audit_detail().await.contains("access_denied"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_keys_refresh_the_key_set_once() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let before = app.idp.jwks_fetches().await;
    // A flood of tokens signed by unknown keys: one refresh, then rate-limited.
    for client in 20..25 {
        assert_tampered_token_refused(&app, client, "unknown_key", "unknown key").await;
    }
    assert_eq!(
        app.idp.jwks_fetches().await - before,
        1,
        "five unknown kids must cost the provider one key-set fetch"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_works_after_one_refresh() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    app.signed_in("author").await;
    app.idp.restart_with_new_key().await;
    assert_eq!(app.idp.jwks_fetches().await, 0);
    let browser = app.signed_in("author").await;
    assert_eq!(browser.get("/t/team_a").await.status(), StatusCode::OK);
    assert_eq!(
        app.idp.jwks_fetches().await,
        1,
        "one refresh picked up the new key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_the_provider_session_too() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let browser = app.signed_in("author").await;
    let response = browser.post_form("/auth/logout", &[]).await;
    let end_session = response.headers()["location"].to_str().unwrap().to_string();
    // The provider asks for confirmation with a form; confirm like a person would.
    let confirm = browser.client.get(&end_session).send().await.unwrap();
    assert_eq!(confirm.status(), StatusCode::OK);
    let html = confirm.text().await.unwrap();
    let xsrf = html
        .split("name=\"xsrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the provider's logout form has an xsrf field")
        .to_string();
    let done = browser
        .client
        .post(format!("{}/session/end/confirm", app.idp.issuer))
        .form(&[("xsrf", xsrf.as_str()), ("logout", "yes")])
        .send()
        .await
        .unwrap();
    assert!(done.status().is_redirection());
    let back = done.headers()["location"].to_str().unwrap();
    assert_eq!(back, format!("{}/auth/signed-out", app.url));
    let page = browser.get("/auth/signed-out").await.text().await.unwrap();
    assert!(page.contains("You are signed out"));
    // The provider session is gone: a new sign-in without a hint shows its login form.
    let login = browser.get("/auth/login").await;
    let authorize = login.headers()["location"].to_str().unwrap().to_string();
    let mut next = authorize;
    let mut html = String::new();
    for _ in 0..5 {
        let response = browser.client.get(&next).send().await.unwrap();
        if response.status().is_redirection() {
            let location = response.headers()["location"].to_str().unwrap();
            next = url::Url::parse(&next)
                .unwrap()
                .join(location)
                .unwrap()
                .to_string();
            continue;
        }
        html = response.text().await.unwrap();
        break;
    }
    assert!(html.contains("Test identity provider") && html.contains("data-user=\"author\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_provider() {
    // Hangar starts even while the provider is down, reports not ready, and signs people in
    // with a clear error until the provider comes back.
    let dir = tempfile::tempdir().unwrap();
    let port = support::idp::free_port();
    let toml = format!(
        "[server]\nsite_root = \"{}\"\n[database]\nurl = \"sqlite://{}\"\n[oidc]\nissuer = \"http://127.0.0.1:{port}\"\nclient_id = \"hangar\"\nclient_secret = \"x\"\n",
        dir.path().display(),
        dir.path().join("h.db").display()
    );
    let config =
        hangar_server::config::Config::from_toml(&dir.path().join("h.toml"), &toml, Vec::new())
            .unwrap();
    let (router, _state) = hangar_server::build(
        config,
        std::sync::Arc::new(hangar_server::clock::SystemClock),
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let browser = support::Browser::new(&url);
    assert_eq!(
        browser.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let login = browser.get("/auth/login").await;
    assert_eq!(login.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(login.text().await.unwrap().contains("cannot be reached"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_come_from_userinfo_when_the_id_token_lacks_them() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let browser = app.browser();
    let callback = browser.sign_in_until_callback("author", "/t/team_a").await;
    app.idp.tamper_next_id_token("strip_groups").await;
    let response = browser.client.get(&callback).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = browser.get("/t/team_a").await;
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "the author role came from userinfo groups"
    );
    let detail = app.last_audit_detail().await;
    assert!(detail.contains("a-authors"), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn userinfo_about_another_subject_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let browser = app.browser();
    let callback = browser.sign_in_until_callback("author", "/t/team_a").await;
    app.idp.tamper_next_id_token("strip_groups").await;
    app.idp.tamper_next_userinfo_subject("admin").await;
    let response = browser.client.get(&callback).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        browser.get("/t/team_a").await.status(),
        StatusCode::SEE_OTHER
    );
    let detail = app.last_audit_detail().await;
    assert!(detail.contains("userinfo rejected"), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_address_the_provider_verified_links_a_person_to_commits() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for (user, expected) in [
        ("author", vec!["author@example.com"]),
        ("unverified", vec![]),
    ] {
        app.signed_in(user).await;
        let id: i64 = hangar_server::with_pool!(&app.state.db, pool => {
            sqlx::query_scalar("SELECT id FROM users WHERE subject = $1")
                .bind(user)
                .fetch_one(pool)
                .await
                .unwrap()
        });
        let person = hangar_server::users::person(&app.state.db, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(person.verified_emails, expected, "{user}");
    }
}
