//! The access overview and ending a user's sessions, against the real app and identity
//! provider, on SQLite and PostgreSQL.

use crate::support;

use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use support::{Backend, Browser, TestApp};

async fn user_id(app: &TestApp, subject: &str) -> i64 {
    let people = hangar_server::users::find_people(&app.state.db, subject)
        .await
        .unwrap();
    assert_eq!(people.len(), 1, "{subject}");
    people[0].id
}

/// (action, outcome, actor's subject, detail) of the newest audit entry.
async fn last_entry(app: &TestApp) -> (String, String, Option<String>, String) {
    let entry = hangar_server::audit::entries_after(&app.state.db, 0, 100_000)
        .await
        .unwrap()
        .pop()
        .unwrap();
    (
        entry.action,
        entry.outcome,
        entry.actor_subject,
        entry.detail.unwrap_or_default(),
    )
}

/// Whether the browser's session still opens a team page (a sign-in redirect if not).
async fn signed_in(browser: &Browser) -> bool {
    match browser.get("/t/team_a").await.status() {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => false,
        other => panic!("unexpected {other}"),
    }
}

/// The bound docs/access.md promises for an ended session to be refused everywhere, plus
/// scheduling slack for a loaded test machine.
const REFUSED_WITHIN: Duration = Duration::from_millis(
    hangar_server::identity::session_index::LIVE_FOR.as_millis() as u64 + 300,
);

/// Whether the browser is signed out within `bound` from now.
async fn signed_out_within(browser: &Browser, bound: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        if !signed_in(browser).await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn ending_sessions_signs_a_user_out_everywhere(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let laptop = app.signed_in("author").await;
    let phone = app.signed_in("author").await;
    let colleague = app.signed_in("viewer").await;
    let admin = app.signed_in("platform_admin").await;
    let replica = match backend {
        // Replicas share PostgreSQL; the session must end on the other one too.
        Backend::Postgres => Some(app.spawn_replica().await),
        Backend::Sqlite => None,
    };
    let on_replica = replica
        .as_ref()
        .map(|url| Browser::with_cookie(url, &phone.session_cookie().unwrap()));
    if let Some(browser) = &on_replica {
        assert!(signed_in(browser).await);
    }
    assert!(signed_in(&laptop).await && signed_in(&phone).await);

    let author = user_id(&app, "author").await;
    let response = admin
        .call(
            "/api/end_user_sessions",
            &[("user_id", &author.to_string())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["ended"], 2, "{body}");
    assert_eq!(body["name"], "Ada Author");

    // This replica forgot them at once; another one hears of it (NOTIFY) within the bound.
    assert!(!signed_in(&laptop).await, "the laptop's session ended");
    assert!(!signed_in(&phone).await, "the phone's session ended");
    if let Some(browser) = &on_replica {
        assert!(
            signed_out_within(browser, REFUSED_WITHIN).await,
            "ended on the other replica too, within {REFUSED_WITHIN:?}"
        );
    }
    assert!(signed_in(&colleague).await, "nobody else's session ends");
    assert!(signed_in(&admin).await);
    let (action, outcome, actor, detail) = last_entry(&app).await;
    assert_eq!(
        (action.as_str(), outcome.as_str(), actor.as_deref()),
        ("session.revoke", "success", Some("platform_admin"))
    );
    assert!(
        detail.contains("ended 2 session(s) of Ada Author"),
        "{detail}"
    );

    // Signing in again works: ending sessions is not a ban (the IdP decides that).
    let again = app.signed_in("author").await;
    assert!(signed_in(&again).await);
}

async fn only_platform_admins_end_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let victim = app.signed_in("viewer").await;
    let viewer = user_id(&app, "viewer").await.to_string();
    for user in ["auditor", "admin", "author"] {
        let caller = app.signed_in(user).await;
        let response = caller
            .call("/api/end_user_sessions", &[("user_id", &viewer)])
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{user}");
        let (action, outcome, actor, _) = last_entry(&app).await;
        assert_eq!(
            (action.as_str(), outcome.as_str(), actor.as_deref()),
            ("request.denied", "denied", Some(user)),
            "a refused change is audited"
        );
    }
    assert!(signed_in(&victim).await, "no refused call ended anything");
    // An unknown id (or an API token's user) is the same "not found" for an admin.
    let admin = app.signed_in("platform_admin").await;
    let response = admin
        .call("/api/end_user_sessions", &[("user_id", "999999")])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

async fn a_team_admin_sees_who_holds_the_teams_roles(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for user in [
        "viewer",
        "author",
        "multi",
        "auditor",
        "platform_admin",
        "nobody",
    ] {
        app.signed_in(user).await;
    }
    let admin = app.signed_in("admin").await;
    let response = admin.call("/api/team_access", &[("team", "team_a")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let access: serde_json::Value = response.json().await.unwrap();
    let members: Vec<(String, String, Vec<String>)> = access["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let held = &m["teams"][0];
            (
                m["subject"].as_str().unwrap().to_string(),
                held["role"].as_str().unwrap().to_string(),
                held["sources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let subjects: Vec<&str> = members.iter().map(|m| m.0.as_str()).collect();
    // Strongest first: platform admin, admin, authors (by name), viewer, auditor.
    assert_eq!(
        subjects,
        [
            "platform_admin",
            "admin",
            "author",
            "multi",
            "viewer",
            "auditor"
        ],
        "{members:?}"
    );
    let multi = members.iter().find(|m| m.0 == "multi").unwrap();
    assert_eq!(multi.1, "author");
    assert_eq!(
        multi.2,
        ["a-authors → author"],
        "team_b's group is not shown"
    );
    let auditor = members.iter().find(|m| m.0 == "auditor").unwrap();
    assert_eq!(auditor.1, "auditor (platform)");
    assert_eq!(auditor.2, ["platform-auditors → platform auditor"]);
    assert!(members.iter().all(|m| m.0 != "nobody"));
    let body = access.to_string();
    assert!(
        !body.contains("b-admins") && !body.contains("team_b"),
        "nothing about team_b: {body}"
    );
    assert_eq!(access["members"][1]["live_sessions"], 1);

    // The page, without JavaScript.
    let page = admin.get("/t/team_a/access").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"data-testid="team-access""#));
    assert!(html.contains("Mia Multi") && html.contains("a-authors"));
    assert!(!html.contains("b-admins"));
    // Another team's page is the one "not found", for a team admin of team_a.
    assert_eq!(
        admin.get("/t/team_b/access").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn the_platform_sees_every_person_and_team(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for user in ["viewer", "multi", "admin"] {
        app.signed_in(user).await;
    }
    let auditor = app.signed_in("auditor").await;
    let response = auditor.call("/api/access_overview", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let overview: serde_json::Value = response.json().await.unwrap();
    assert_eq!(overview["can_end_sessions"], false, "auditors only look");
    assert_eq!(overview["total"], 4);
    let multi = overview["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["subject"] == "multi")
        .unwrap();
    let teams: Vec<(&str, &str)> = multi["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["team"].as_str().unwrap(), t["role"].as_str().unwrap()))
        .collect();
    assert_eq!(teams, [("team_a", "author"), ("team_b", "admin")]);
    let team_b = overview["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team"] == "team_b")
        .unwrap();
    assert_eq!(team_b["members"], 1);
    // Nobody signed in with these yet.
    let unmatched: Vec<&str> = overview["unmatched_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    assert_eq!(unmatched, ["a-operators", "platform-admins", "x-operators"]);

    // The search narrows the list; the page has no end-sessions button for an auditor.
    let html = auditor
        .get("/platform/access?q=MIA")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Mia Multi") && !html.contains("Vera Viewer"),
        "{html}"
    );
    assert!(!html.contains(r#"data-testid="end-sessions""#));
    let admin = app.signed_in("platform_admin").await;
    let html = admin.get("/platform/access").await.text().await.unwrap();
    assert!(html.contains(r#"data-testid="end-sessions""#));
    // Ending sessions as a plain form post (no JavaScript): back to the list.
    let viewer = user_id(&app, "viewer").await.to_string();
    let response = admin
        .post_form(
            "/api/end_user_sessions",
            &[
                ("user_id", &viewer),
                ("return_to", "/platform/access?q=vera"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        "/platform/access?q=vera"
    );
    assert!(app.audited("session.revoke", "success").await);

    // Team-only users get "not found" for the platform's page and function.
    for user in ["admin", "multi"] {
        let browser = app.signed_in(user).await;
        assert_eq!(
            browser.get("/platform/access").await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            browser.call("/api/access_overview", &[]).await.status(),
            StatusCode::NOT_FOUND
        );
    }
}

/// A session whose key has no row was ended: even when nobody announced it (a row deleted
/// behind Hangar's back), it is refused within the bound a replica trusts its memory.
async fn a_session_without_its_row_is_ended(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.signed_in("operator").await;
    assert!(signed_in(&browser).await, "seen live, and remembered so");
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query("DELETE FROM user_sessions").execute(pool).await.unwrap();
    });
    assert!(signed_out_within(&browser, REFUSED_WITHIN).await);
}

/// Makes `browser`'s session one from before `user_sessions` existed: no key in its record,
/// no row. Written through PostgreSQL's store behind the server's back, unannounced: the
/// server reads it once its own copy is older than the bound (`db::session_store`).
async fn make_it_from_before_the_index(app: &TestApp, browser: &Browser) {
    use tower_sessions::SessionStore;

    let hangar_server::db::Db::Postgres(pool) = &app.state.db else {
        unreachable!()
    };
    let store = tower_sessions_sqlx_store::PostgresStore::new(pool.clone());
    let id: tower_sessions::session::Id = browser.session_cookie().unwrap().parse().unwrap();
    let mut record = store.load(&id).await.unwrap().unwrap();
    record
        .data
        .get_mut("hangar.identity")
        .and_then(|identity| identity.as_object_mut())
        .unwrap()
        .remove("session_key");
    store.save(&record).await.unwrap();
    sqlx::query("DELETE FROM user_sessions")
        .execute(pool)
        .await
        .unwrap();
    tokio::time::sleep(hangar_server::db::session_store::KEPT_FOR + Duration::from_millis(100))
        .await;
}

/// A session from before `user_sessions` existed (no key in its record) is registered at
/// its next request, and can then be ended like any other. (PostgreSQL: the record is
/// edited here through PostgreSQL's store; the path is the same on SQLite.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_from_before_the_index_are_registered() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let browser = app.signed_in("operator").await;
    make_it_from_before_the_index(&app, &browser).await;

    assert!(signed_in(&browser).await, "an old session carries on");
    let now = app.state.clock.now_ms();
    let live = hangar_server::metrics::live_sessions(&app.state.db, now)
        .await
        .unwrap();
    assert_eq!(live, 1, "and is registered");
    let operator = user_id(&app, "operator").await;
    hangar_server::identity::session_index::end_all_of(&app.state.db, operator, now)
        .await
        .unwrap();
    assert!(signed_out_within(&browser, REFUSED_WITHIN).await);
}

/// Signing out with a session from before the index, in its first request since: the key
/// the request registers on the way (`http::authenticate`) is ended with the session. The
/// sign-out reads the identity this request changed, not the copy the replica keeps
/// (`identity::session::identity`), which has no key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_key_given_in_the_same_request() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let browser = app.signed_in("operator").await;
    make_it_from_before_the_index(&app, &browser).await;

    let response = browser.post_form("/auth/logout", &[]).await;
    assert!(response.status().is_redirection(), "{}", response.status());
    let now = app.state.clock.now_ms();
    let live = hangar_server::metrics::live_sessions(&app.state.db, now)
        .await
        .unwrap();
    assert_eq!(live, 0, "the key registered on the way out is ended too");
    assert!(!signed_in(&browser).await);
}

on_both_backends!(
    ending_sessions_signs_a_user_out_everywhere,
    only_platform_admins_end_sessions,
    a_team_admin_sees_who_holds_the_teams_roles,
    the_platform_sees_every_person_and_team,
    a_session_without_its_row_is_ended,
);

/// `hangar sessions revoke --user`: by subject or e-mail; ambiguous or unknown names exit 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_ends_a_users_sessions() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let browser = app.signed_in("author").await;
    let config = app.config_file();
    let revoke = |who: &str| {
        Command::new(env!("CARGO_BIN_EXE_hangar"))
            .args(["sessions", "revoke", "--user", who, "--config"])
            .arg(&config)
            .env_remove("HANGAR_CONFIG")
            .output()
            .unwrap()
    };
    let unknown = revoke("nobody-here");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("--user"));
    assert!(signed_in(&browser).await);

    let done = revoke("AUTHOR@example.com");
    assert_eq!(done.status.code(), Some(0), "{done:?}");
    assert!(
        String::from_utf8_lossy(&done.stdout).contains("ended 1 session(s) of Ada Author"),
        "{done:?}"
    );
    // Another process cannot reach a SQLite server's memory: the bound does it.
    assert!(
        signed_out_within(&browser, REFUSED_WITHIN).await,
        "ended from another process"
    );
    let (action, _, actor, detail) = last_entry(&app).await;
    assert_eq!((action.as_str(), actor), ("session.revoke", None));
    assert!(detail.contains("command line"), "{detail}");
}
