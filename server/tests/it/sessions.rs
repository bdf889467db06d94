//! Sessions, CSRF and response headers against the real app and identity provider, on SQLite
//! and PostgreSQL.

use crate::support;

use std::time::Duration;

use reqwest::StatusCode;
use support::{Backend, Browser, TestApp};

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

async fn sign_in_lands_on_return_to(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.browser();
    let callback = browser
        .sign_in_until_callback("author", "/t/team_a?tab=1")
        .await;
    let response = browser.client.get(callback).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/t/team_a?tab=1");
    let page = browser.get("/t/team_a").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Ada Author"), "the header names the user");
    assert!(
        html.contains(r#"data-testid="team-role">author<"#),
        "the role is shown"
    );
}

async fn hostile_return_to_falls_back_to_root(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for hostile in [
        "//evil.example/x",
        "https://evil.example",
        "/\\evil.example",
        "%2F%2Fevil.example",
    ] {
        let browser = app.browser();
        let callback = browser.sign_in_until_callback("author", hostile).await;
        let response = browser.client.get(callback).send().await.unwrap();
        assert_eq!(
            location(&response),
            "/",
            "{hostile} must not survive sign-in"
        );
    }
}

async fn session_id_changes_at_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // A sign-in in progress has no session (its state rides in an encrypted cookie).
    let fresh = app.browser();
    fresh.sign_in_until_callback("author", "/").await;
    assert_eq!(
        fresh.session_cookie(),
        None,
        "no session before the provider answers"
    );
    // A session id planted in the browser before sign-in (here: someone else's).
    let before = app.signed_in("viewer").await.session_cookie().unwrap();
    let browser = Browser::with_cookie(&app.url, &before);
    let callback = browser.sign_in_until_callback("author", "/").await;
    let response = browser.client.get(callback).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let after = browser.session_cookie().unwrap();
    assert_ne!(
        before, after,
        "the session id must change at sign-in (fixation)"
    );
    // The planted pre-login id is worth nothing afterwards.
    let attacker = Browser::with_cookie(&app.url, &before);
    assert_eq!(
        attacker.get("/t/team_a").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(browser.get("/t/team_a").await.status(), StatusCode::OK);
}

async fn logout_ends_the_server_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.signed_in("author").await;
    let cookie = browser.session_cookie().unwrap();
    let response = browser.post_form("/auth/logout", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let target = location(&response);
    assert!(
        target.starts_with(&format!("{}/session/end", app.idp.issuer)),
        "logout continues at the provider's end_session_endpoint: {target}"
    );
    assert!(target.contains("id_token_hint=") && target.contains("post_logout_redirect_uri="));
    let replay = Browser::with_cookie(&app.url, &cookie);
    let response = replay.get("/t/team_a").await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the old cookie must not work"
    );
    assert!(location(&response).starts_with("/auth/login"));
    assert!(app.audited("auth.logout", "success").await);
}

async fn idle_timeout_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.signed_in("author").await;
    app.clock.advance(Duration::from_secs(7 * 3600));
    assert_eq!(
        browser.get("/t/team_a").await.status(),
        StatusCode::OK,
        "7 h idle is fine"
    );
    app.clock.advance(Duration::from_secs(7 * 3600));
    assert_eq!(
        browser.get("/t/team_a").await.status(),
        StatusCode::OK,
        "activity reset idle"
    );
    app.clock.advance(Duration::from_secs(8 * 3600 + 1));
    let response = browser.get("/t/team_a").await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "8 h idle ends the session"
    );
    let audit = app.audit_actions().await;
    assert!(
        audit
            .iter()
            .any(|(a, _, d)| a == "session.expired" && d.as_deref() == Some("idle timeout")),
        "{audit:?}"
    );
}

async fn absolute_timeout_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.signed_in("author").await;
    // Active every 7 hours: never idle, but 24 h after sign-in it is over.
    for _ in 0..3 {
        app.clock.advance(Duration::from_secs(7 * 3600));
        // Group refresh is due too; it succeeds because the provider still knows the user.
        let status = browser.get("/t/team_a").await.status();
        assert_eq!(status, StatusCode::OK);
    }
    app.clock.advance(Duration::from_secs(3 * 3600 + 1));
    assert_eq!(
        browser.get("/t/team_a").await.status(),
        StatusCode::SEE_OTHER
    );
    let audit = app.audit_actions().await;
    assert!(
        audit
            .iter()
            .any(|(a, _, d)| a == "session.expired" && d.as_deref() == Some("absolute timeout")),
        "{audit:?}"
    );
}

async fn group_refresh_removes_a_lost_role(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.signed_in("multi").await;
    assert_eq!(browser.get("/t/team_b").await.status(), StatusCode::OK);
    app.idp.set_groups("multi", &["a-authors"]).await;
    app.clock.advance(Duration::from_secs(10 * 60));
    assert_eq!(
        browser.get("/t/team_b").await.status(),
        StatusCode::OK,
        "before the refresh interval the old groups still apply"
    );
    app.clock.advance(Duration::from_secs(6 * 60));
    assert_eq!(
        browser.get("/t/team_b").await.status(),
        StatusCode::NOT_FOUND,
        "after the refresh the team_b role is gone"
    );
    assert_eq!(browser.get("/t/team_a").await.status(), StatusCode::OK);
}

async fn failed_refresh_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.signed_in("author").await;
    app.idp.delete_user("author").await;
    app.clock.advance(Duration::from_secs(16 * 60));
    let response = browser.get("/t/team_a").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/auth/login"));
    let audit = app.audit_actions().await;
    assert!(
        audit.iter().any(|(a, _, _)| a == "session.refresh_failed"),
        "{audit:?}"
    );
}

async fn cross_origin_posts_are_refused_and_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.signed_in("author").await;
    for origin in [Some("http://evil.example"), Some("null"), None] {
        let response = browser.post_form_from("/auth/logout", &[], origin).await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "origin {origin:?}"
        );
        let response = browser
            .client
            .post(browser.url("/api/team_home"))
            .form(&[("team", "team_a")])
            .header("origin", origin.unwrap_or("http://evil.example"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    // The session survived the forged logouts.
    assert_eq!(browser.get("/t/team_a").await.status(), StatusCode::OK);
    let denied = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|(a, o, _)| a == "request.denied" && o == "denied")
        .count();
    assert_eq!(denied, 6);
    // An opaque origin counts only with the browser's own word that the request is same-origin.
    let response = browser
        .client
        .post(browser.url("/api/team_home"))
        .form(&[("team", "team_a")])
        .header("origin", "null")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = browser
        .client
        .post(browser.url("/api/team_home"))
        .form(&[("team", "team_a")])
        .header("origin", "null")
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a form post under no-referrer"
    );
    // Same-origin fetches without Origin are recognised by Sec-Fetch-Site.
    let response = browser
        .client
        .post(browser.url("/api/team_home"))
        .form(&[("team", "team_a")])
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn pages_carry_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.signed_in("author").await;
    let response = browser.get("/t/team_a").await;
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap();
    for part in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "'nonce-",
    ] {
        assert!(csp.contains(part), "CSP lacks {part}: {csp}");
    }
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        !headers.contains_key("x-hangar-script-nonce"),
        "the private nonce header leaked"
    );
    assert!(
        !headers.contains_key("strict-transport-security"),
        "no HSTS over http"
    );
    let html = response.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "scripts carry the CSP nonce"
    );
    let cookie = browser.session_cookie().unwrap();
    assert!(
        !html.contains(&cookie),
        "the session id must not appear in the page"
    );
}

async fn root_goes_to_the_last_team(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.signed_in("multi").await;
    let first = browser.get("/").await;
    assert_eq!(
        first.status(),
        StatusCode::OK,
        "no team used yet: the picker"
    );
    assert!(first.text().await.unwrap().contains("Your teams"));
    assert_eq!(browser.get("/t/team_b").await.status(), StatusCode::OK);
    let response = browser.get("/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/t/team_b");
    // Remembered per user, across sessions.
    let again = app.signed_in("multi").await;
    assert_eq!(location(&again.get("/").await), "/t/team_b");
}

/// Each replica keeps the session records it read for up to a second; a change written on
/// one (here the last team, which `/` goes to) must reach the others at once, through the
/// announcement, not when their copy runs out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_changed_on_one_replica_is_read_on_another_at_once() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let here = app.signed_in("multi").await;
    let there = Browser::with_cookie(&app.spawn_replica().await, &here.session_cookie().unwrap());
    assert_eq!(here.get("/t/team_a").await.status(), StatusCode::OK);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        // The other replica's copy, fresh: read just now.
        let response = there.get("/").await;
        if location(&response) == "/t/team_a" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the replica never saw team_a"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    assert_eq!(here.get("/t/team_b").await.status(), StatusCode::OK);
    // Well under the second the copy would otherwise be served for.
    let within = Duration::from_millis(500);
    let changed = tokio::time::Instant::now();
    loop {
        if location(&there.get("/").await) == "/t/team_b" {
            break;
        }
        assert!(
            changed.elapsed() < within,
            "the other replica still serves its old copy of the session after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Signing out on one replica signs out on the other at once too (and the key check
    // would refuse it within the second regardless: access::ending_sessions_…).
    let signed_out = here.post_form("/auth/logout", &[]).await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    let ended = tokio::time::Instant::now();
    loop {
        let response = there.get("/t/team_a").await;
        if response.status() == StatusCode::SEE_OTHER
            && location(&response).starts_with("/auth/login")
        {
            break;
        }
        assert!(
            ended.elapsed() < within,
            "still signed in on the other replica"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A replica's copy of a session record is for reading only: a change (here the team the
/// person opens) is written over the database's record, so what another writer put there a
/// moment ago (a rotated refresh token, a re-authentication) is kept, not overwritten by the
/// copy.
async fn a_change_is_written_over_the_current_record(backend: Backend) {
    use tower_sessions::SessionStore;

    let app = TestApp::spawn(backend).await;
    let browser = app.signed_in("multi").await;
    // The server now holds a fresh copy of the record it just wrote.
    assert_eq!(browser.get("/t/team_a").await.status(), StatusCode::OK);
    let id: tower_sessions::session::Id = browser.session_cookie().unwrap().parse().unwrap();
    let store: Box<dyn SessionStore> = match &app.state.db {
        hangar_server::db::Db::Sqlite(pool) => {
            Box::new(tower_sessions_sqlx_store::SqliteStore::new(pool.clone()))
        }
        hangar_server::db::Db::Postgres(pool) => {
            Box::new(tower_sessions_sqlx_store::PostgresStore::new(pool.clone()))
        }
    };
    // Another writer (another replica whose announcement is still on its way).
    let mut record = store.load(&id).await.unwrap().unwrap();
    let identity = record
        .data
        .get_mut("hangar.identity")
        .and_then(|identity| identity.as_object_mut())
        .unwrap();
    identity.insert("refresh_token".into(), "rotated-elsewhere".into());
    identity.insert("reauthenticated_ms".into(), 12_345.into());
    store.save(&record).await.unwrap();

    assert_eq!(browser.get("/t/team_b").await.status(), StatusCode::OK);
    let record = store.load(&id).await.unwrap().unwrap();
    let identity = &record.data["hangar.identity"];
    assert_eq!(identity["last_team"], "team_b", "the change was written");
    assert_eq!(
        identity["refresh_token"], "rotated-elsewhere",
        "the other writer's refresh token must survive"
    );
    assert_eq!(identity["reauthenticated_ms"], 12_345);
}

async fn health_and_readiness(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.browser();
    assert_eq!(browser.get("/healthz").await.text().await.unwrap(), "ok");
    let ready = browser.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert_eq!(body["identity_provider"], "ok");
}

on_both_backends!(
    sign_in_lands_on_return_to,
    hostile_return_to_falls_back_to_root,
    session_id_changes_at_sign_in,
    logout_ends_the_server_session,
    idle_timeout_ends_the_session,
    absolute_timeout_ends_the_session,
    group_refresh_removes_a_lost_role,
    failed_refresh_ends_the_session,
    cross_origin_posts_are_refused_and_audited,
    pages_carry_security_headers,
    root_goes_to_the_last_team,
    a_change_is_written_over_the_current_record,
    health_and_readiness,
);
