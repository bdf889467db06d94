//! Review-gated deploys through the real server functions, with real git repositories and
//! targets: who may approve (the requester, commit authors, a second session, a team switch
//! and an API token's holders all refused), the deploy reaching both targets, stale,
//! superseded, expired and nothing-to-deploy requests, the JSON API with team tokens, and the
//! Airflow confirmation. The attacks of a dishonest insider are in `review_gate.rs`.

use crate::support;

use std::time::Duration;

use hangar_server::deploy::commit::CommitId;
use hangar_server::deploy::policy::RequestStatus;
use hangar_server::deploy::store;
use hangar_server::deploy::worker::Sweep;
use reqwest::StatusCode;
use support::deploy::{DeployFixture, call, create_ci_token, open, reviews_to, status, wait_for};
use support::{Backend, Browser, TestApp};

async fn spawn(backend: Backend, fixture: &DeployFixture, auto_deploy: bool) -> TestApp {
    TestApp::spawn_configured(backend, "", &fixture.config(auto_deploy)).await
}

/// The approval screen reads a file's diff up to its limit and a page's up to its own: a
/// file too large, and files past the page's budget, show their line counts instead.
async fn large_diffs_are_read_in_bounds(backend: Backend) {
    let fixture = DeployFixture::new();
    let app = spawn(backend, &fixture, false).await;
    let ada = app.signed_in("author").await;
    let line = format!("print('{}')\n", "x".repeat(100));
    // One file of 3,000 lines (~330 KB of diff), then twelve of 1,500 (~165 KB each): the
    // first is over a file's limit, and the page's 1 MiB runs out among the others.
    fixture.origin.write("team_a/huge.py", line.repeat(3_000));
    for n in 0..12 {
        fixture
            .origin
            .write(&format!("team_a/large_{n}.py"), line.repeat(1_500));
    }
    let candidate = fixture
        .origin
        .commit("Bea Builder", "bea@example.com", "many large files");
    let id = open(&ada, "team_a", &candidate.to_string()).await;
    let page = ada
        .get(&format!("/t/team_a/deploys/{id}"))
        .await
        .text()
        .await
        .unwrap();
    // The file's diff section (the file list names it too).
    let huge = page
        .split("<article ")
        .find(|section| {
            section.starts_with(r#"id="file-"#) && section.contains(r#"data-path="team_a/huge.py""#)
        })
        .expect("the huge file has its section");
    assert!(
        huge.contains(r#"data-testid="large-file""#) && huge.contains("+3000 −0 lines"),
        "{huge}"
    );
    assert!(
        page.contains(r#"data-testid="page-full""#),
        "the page's budget ran out"
    );
    assert!(page.contains("+1500 −0 lines"));
    assert!(
        page.len() < 6 * 1024 * 1024,
        "the page holds at most its budget of diff: {} bytes",
        page.len()
    );
}

async fn reviewed_deploy_reaches_every_target(backend: Backend) {
    let fixture = DeployFixture::new();
    let app = spawn(backend, &fixture, true).await;
    let ada = app.signed_in("author").await; // Ada Author, team_a author
    let adam = app.signed_in("admin").await; // Adam Admin, team_a admin
    let mia = app.signed_in("multi").await; // Mia Multi: team_a author, team_b admin

    // Adam wrote the change; Carol (no Hangar user) wrote the first commit.
    fixture.origin.write("team_a/etl.py", "print('etl v2')\n");
    let candidate = fixture
        .origin
        .commit("Adam Admin", "ADMIN@example.com", "etl: v2");
    let id = open(&ada, "team_a", &candidate.to_string()).await;

    // The requester, in this and in a second session: refused, and audited as refused.
    let (code, body) = reviews_to(&ada, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("you requested this deploy"), "{body}");
    let ada_again = app.signed_in("author").await;
    let (_, body) = reviews_to(&ada_again, "team_a", id, "approve").await;
    assert!(body.contains("you requested this deploy"), "{body}");
    assert!(app.audited("deploy.approve", "denied").await);
    // An author of an included commit (e-mail compared without case).
    let (_, body) = reviews_to(&adam, "team_a", id, "approve").await;
    assert!(body.contains("you are named on a commit"), "{body}");
    // Through another team of Mia's, the request does not exist.
    let (code, _) = reviews_to(&mia, "team_b", id, "approve").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    // A viewer may not review at all (the door's role check).
    let vera = app.signed_in("viewer").await;
    let (code, _) = reviews_to(&vera, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(status(&app, "team_a", id).await, RequestStatus::Pending);

    // The approval screen shows the policy in words, the diff and who may do what. Carol,
    // who made the first commit, never signed in: an unknown author asks for one approval
    // more (this is the team's first deploy, so every commit so far is in it).
    let page = ada
        .get(&format!("/t/team_a/deploys/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("needs 2 more approvals"), "{page}");
    assert!(
        page.contains("unknown author (carol@example.com)"),
        "{page}"
    );
    assert!(page.contains("Adam Admin"), "the commit authors are named");
    assert!(
        page.contains("data-testid=\"authorship-emails\""),
        "the weaker rule says so"
    );
    assert!(page.contains("etl v2"), "the diff is shown");
    assert!(page.contains("class=\"added\""), "added lines are marked");
    assert!(page.contains("data-testid=\"review-refused\""));

    // The team home has read the ref target (nothing deployed yet) and keeps that read for
    // a few seconds: the deploy below must not leave it showing the old state.
    let home = ada.get("/t/team_a").await.text().await.unwrap();
    assert_eq!(home.matches(">nothing yet<").count(), 2, "{home}");

    // Mia approves, then Pat: the deploy runs by itself (auto_deploy) and reaches both
    // targets.
    let (code, body) = reviews_to(&mia, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(status(&app, "team_a", id).await, RequestStatus::Pending);
    let pat = app.signed_in("platform_admin").await;
    let (code, body) = reviews_to(&pat, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    wait_for(&app, "team_a", id, RequestStatus::Deployed).await;
    assert_eq!(
        fixture.reference("refs/heads/deploy/team_a"),
        Some(candidate.clone())
    );
    assert_eq!(
        fixture.current("team_a").as_deref(),
        Some(candidate.as_str())
    );
    assert_eq!(
        fixture.deployed_file("team_a", "team_a/etl.py").as_deref(),
        Some("print('etl v2')\n")
    );
    assert_eq!(
        fixture.deployed_file("team_a", "team_b/report.py"),
        None,
        "only the team's paths"
    );
    // The hook ran once, with the commit.
    let hook = std::fs::read_to_string(fixture.hook_log()).unwrap();
    assert_eq!(hook.trim(), candidate.as_str());
    let actions: Vec<String> = app
        .audit_actions()
        .await
        .into_iter()
        .map(|(a, ..)| a)
        .collect();
    for expected in [
        "deploy.request",
        "deploy.approve",
        "deploy.started",
        "deploy.step",
        "deploy.deployed",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} audited: {actions:?}"
        );
    }
    // Counted for Prometheus too (this app's counter).
    let metrics = app.state.metrics.encode();
    let deployed = metrics
        .lines()
        .find_map(|line| line.strip_prefix(r#"hangar_deploys_total{outcome="deployed"} "#))
        .and_then(|count| count.parse::<u64>().ok());
    assert!(deployed.is_some_and(|n| n >= 1), "{metrics}");
    let steps = hangar_server::deploy::progress::steps(&app.state.db, id)
        .await
        .unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        names,
        ["fetch", "verify", "export", "promote", "swap", "hook"]
    );
    assert!(steps.iter().all(|s| s.state == "done"), "{steps:?}");

    // Airflow runs it once a DAG of the team reports the commit as its bundle version.
    let request = store::find(&app.state.db, "team_a", id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(request.confirmation.as_deref(), Some("waiting"));
    app.seed_dag("main", "team_a_dag", Some("team_a")).await;
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query("UPDATE dags SET bundle_version = $1 WHERE dag_id = 'team_a_dag'")
            .bind(candidate.as_str())
            .execute(pool)
            .await
            .unwrap();
    });
    app.state.deploys.sweep(Sweep::Regular).await;
    let request = store::find(&app.state.db, "team_a", id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(request.confirmation.as_deref(), Some("live"));
    let page = mia
        .get(&format!("/t/team_a/deploys/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("live in Airflow at"), "{page}");
    let home = mia.get("/t/team_a/deploys").await.text().await.unwrap();
    assert!(
        home.contains(candidate.short()),
        "the deployed commit is shown"
    );
    let team_home = mia.get("/t/team_a").await.text().await.unwrap();
    assert!(
        team_home.contains("data-testid=\"home-deployed\""),
        "{team_home}"
    );
    // Both targets: the ref read again since the home's read before the deploy.
    assert!(!team_home.contains(">nothing yet<"), "{team_home}");
    assert!(
        team_home.contains(candidate.short()),
        "and on the team's home page"
    );

    // Another team's admin sees none of it.
    let (code, body) = call(
        &app.signed_in("multi").await,
        "deploy_detail",
        &[("team", "team_b"), ("id", &id.to_string())],
    )
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND, "{body}");
}

async fn requests_that_cannot_go_on(backend: Backend) {
    let fixture = DeployFixture::new();
    let app = spawn(backend, &fixture, true).await;
    let mia = app.signed_in("multi").await; // team_b admin
    // team_b runs the first commit already (its ref was set up by hand).
    let first_commit = fixture.origin.head();
    fixture.origin.git(&[
        "update-ref",
        "refs/heads/deploy/team_b",
        first_commit.as_str(),
    ]);

    // A commit that changes nothing in the team's paths is refused with the reason.
    fixture
        .origin
        .write("team_a/etl.py", "print('only team a')\n");
    let outside = fixture
        .origin
        .commit("Carol Contractor", "carol@example.com", "a only");
    let (code, body) = call(
        &mia,
        "request_deploy",
        &[("team", "team_b"), ("commit", outside.as_str())],
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("changes nothing in team_b/"), "{body}");
    // Neither may a commit that is not on the branch, nor something that is not a commit id.
    let (_, body) = call(
        &mia,
        "request_deploy",
        &[("team", "team_b"), ("commit", "--upload-pack=x")],
    )
    .await;
    assert!(body.contains("hexadecimal"), "{body}");

    // A newer request supersedes the pending one.
    fixture
        .origin
        .write("team_b/report.py", "print('report v2')\n");
    let v2 = fixture
        .origin
        .commit("Carol Contractor", "carol@example.com", "report v2");
    let first = open(&mia, "team_b", v2.as_str()).await;
    fixture
        .origin
        .write("team_b/report.py", "print('report v3')\n");
    let v3 = fixture
        .origin
        .commit("Carol Contractor", "carol@example.com", "report v3");
    let second = open(&mia, "team_b", v3.as_str()).await;
    assert_eq!(
        status(&app, "team_b", first).await,
        RequestStatus::Superseded
    );

    // Someone moves the deploy ref by hand: the pending request is stale.
    fixture
        .origin
        .git(&["update-ref", "refs/heads/deploy/team_b", v2.as_str()]);
    app.state.deploys.sweep(Sweep::Regular).await;
    assert_eq!(status(&app, "team_b", second).await, RequestStatus::Stale);
    let request = store::find(&app.state.db, "team_b", second)
        .await
        .unwrap()
        .unwrap();
    let cause = request.failure.unwrap();
    assert!(
        cause.contains(&format!(
            "moved from {} to {}",
            first_commit.short(),
            v2.short()
        )),
        "{cause}"
    );

    // A request left alone expires (team_b's ttl is one hour).
    let third = open(&mia, "team_b", v3.as_str()).await;
    app.clock.advance(Duration::from_secs(3601));
    app.state.deploys.sweep(Sweep::Regular).await;
    assert_eq!(status(&app, "team_b", third).await, RequestStatus::Expired);

    // The requester cancels; nobody else can.
    fixture
        .origin
        .write("team_b/report.py", "print('report v4')\n");
    let v4 = fixture
        .origin
        .commit("Carol Contractor", "carol@example.com", "report v4");
    let fourth = open(&mia, "team_b", v4.as_str()).await;
    let admin_b = app.signed_in("platform_admin").await;
    let (code, body) = call(
        &admin_b,
        "cancel_deploy",
        &[("team", "team_b"), ("id", &fourth.to_string())],
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("only the person who requested"), "{body}");
    let (code, _) = call(
        &mia,
        "cancel_deploy",
        &[("team", "team_b"), ("id", &fourth.to_string())],
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        status(&app, "team_b", fourth).await,
        RequestStatus::Cancelled
    );
}

async fn ci_requests_with_a_team_token(backend: Backend) {
    let fixture = DeployFixture::new();
    let app = spawn(backend, &fixture, false).await;
    let adam = app.signed_in("admin").await;
    let (secret, token_id) = create_ci_token(&adam).await;
    // Only the hash is stored.
    let stored: String = hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT secret_hash FROM api_tokens WHERE id = $1")
            .bind(token_id).fetch_one(pool).await.unwrap()
    });
    assert!(!stored.contains(&secret) && !secret.contains(&stored));

    fixture.origin.write("common/util.py", "X = 2\n");
    let candidate = fixture
        .origin
        .commit("Ada Author", "author@example.com", "util: X = 2");
    let http = reqwest::Client::new();
    let post = |team: &str, token: Option<&str>| {
        let mut request = http
            .post(format!("{}/api/v1/teams/{team}/deploys", app.url))
            .json(&serde_json::json!({ "commit": candidate.as_str() }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(
        post("team_a", None).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post("team_a", Some("hgr_nonsense")).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    // Another team and a team that does not exist: the same answer.
    let other = post("team_b", Some(&secret)).await.unwrap();
    let missing = post("team_zzz", Some(&secret)).await.unwrap();
    assert_eq!(
        (other.status(), missing.status()),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(other.text().await.unwrap(), missing.text().await.unwrap());
    // Unknown fields (an approver, a status) are refused, not trusted.
    let sneaky = http
        .post(format!("{}/api/v1/teams/team_a/deploys", app.url))
        .bearer_auth(&secret)
        .json(&serde_json::json!({ "commit": candidate.as_str(), "status": "approved" }))
        .send()
        .await
        .unwrap();
    assert_eq!(sneaky.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let created = post("team_a", Some(&secret)).await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let answer: serde_json::Value = created.json().await.unwrap();
    let id = answer["id"].as_i64().unwrap();
    assert_eq!(answer["candidate"], candidate.as_str());
    assert!(
        answer["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/t/team_a/deploys/{id}"))
    );

    // The token's request is also Adam's, who created it: he may not approve it, nor may
    // Ada, who wrote the commit. Mia and Pat may (two: Carol's first commit is in this first
    // deploy, and nobody in Hangar owns her address).
    let ada = app.signed_in("author").await;
    let (_, body) = reviews_to(&ada, "team_a", id, "approve").await;
    assert!(body.contains("named on a commit"), "{body}");
    let (code, body) = reviews_to(&adam, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("you created the API token"), "{body}");
    for reviewer in ["multi", "platform_admin"] {
        let (code, body) =
            reviews_to(&app.signed_in(reviewer).await, "team_a", id, "approve").await;
        assert_eq!(code, StatusCode::OK, "{reviewer}: {body}");
    }
    // auto_deploy is off: approved, waiting for a click.
    assert_eq!(status(&app, "team_a", id).await, RequestStatus::Approved);
    let read = http
        .get(format!("{}/api/v1/teams/team_a/deploys/{id}", app.url))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    let read: serde_json::Value = read.json().await.unwrap();
    assert_eq!(read["status"], "approved");
    let (code, _) = call(
        &adam,
        "run_deploy",
        &[("team", "team_a"), ("id", &id.to_string())],
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    wait_for(&app, "team_a", id, RequestStatus::Deployed).await;
    // The team's history names the token, the approver and the commits.
    let deploys = adam.get("/t/team_a/deploys").await.text().await.unwrap();
    let row = deploys
        .split(&format!("data-deploy=\"{id}\""))
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap_or_else(|| panic!("no history row: {deploys}"));
    let row = support::unmarked(row);
    assert!(row.contains("data-status=\"deployed\""), "{row}");
    assert!(row.contains("<td>API token “ci”</td>"), "{row}");
    assert!(row.contains("<td>Mia Multi, Pat Platform</td>"), "{row}");
    assert!(row.contains("(2 commits)"), "{row}");

    // Last use is recorded, each use audited; a revoked token opens nothing.
    let tokens = adam.get("/t/team_a/tokens").await.text().await.unwrap();
    assert!(!tokens.contains(&secret), "the secret is never shown again");
    assert!(!tokens.contains(">never<"), "last use shown: {tokens}");
    let (code, _) = call(
        &adam,
        "revoke_token",
        &[("team", "team_a"), ("id", &token_id.to_string())],
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        post("team_a", Some(&secret)).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let audited = app.audit_actions().await;
    assert!(app.audited("deploy.request", "success").await);
    assert!(app.audited("api.denied", "denied").await);
    assert!(audited.iter().any(|(a, ..)| a == "token.revoke"));
}

async fn break_glass(browser: &Browser, commit: &CommitId, reason: &str) -> (StatusCode, String) {
    let commit = commit.to_string();
    call(
        browser,
        "break_glass_deploy",
        &[("team", "team_a"), ("commit", &commit), ("reason", reason)],
    )
    .await
}

async fn break_glass_needs_reauthentication_and_a_later_review(backend: Backend) {
    let fixture = DeployFixture::new();
    let app = spawn(backend, &fixture, true).await;
    let adam = app.signed_in("admin").await; // team_a admin: break_glass_role
    fixture.origin.write("team_a/etl.py", "print('hotfix')\n");
    let candidate = fixture
        .origin
        .commit("Carol Contractor", "carol@example.com", "hotfix");
    let reason = "the nightly ETL is down in production";
    // Without a fresh sign-in at the provider: refused.
    let (code, body) = break_glass(&adam, &candidate, reason).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("sign in again"), "{body}");
    // Coming back as someone else does not count (nor switch the session's user).
    // (A browser with Adam's Hangar session but no session at the provider.)
    let same_session = Browser::with_cookie(&app.url, &adam.session_cookie().unwrap());
    let answer = same_session
        .reauthenticate("author", "/t/team_a/deploys")
        .await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let (_, body) = break_glass(&adam, &candidate, reason).await;
    assert!(body.contains("sign in again"), "{body}");
    // The same person, authenticated just now: allowed, with a reason.
    let answer = adam.reauthenticate("admin", "/t/team_a/deploys").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let (_, body) = break_glass(&adam, &candidate, "urgent").await;
    assert!(body.contains("at least 10 characters"), "{body}");
    // An author holds no break-glass: the door says not found.
    let ada = app.signed_in("author").await;
    let (code, _) = break_glass(&ada, &candidate, reason).await;
    assert_eq!(code, StatusCode::NOT_FOUND);

    let (code, body) = break_glass(&adam, &candidate, reason).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let id: i64 = body.parse().unwrap();
    wait_for(&app, "team_a", id, RequestStatus::Deployed).await;
    assert_eq!(
        fixture.reference("refs/heads/deploy/team_a"),
        Some(candidate.clone())
    );
    let page = adam
        .get(&format!("/t/team_a/deploys/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-testid=\"awaiting-review\""), "{page}");
    assert!(page.contains(reason));
    // The platform overview lists it, for the platform's admins and auditors alike.
    let auditor = app.signed_in("auditor").await;
    for platform in [&app.signed_in("platform_admin").await, &auditor] {
        let overview = platform.get("/platform").await.text().await.unwrap();
        let listed = overview
            .split("data-testid=\"break-glass-awaiting\"")
            .nth(1)
            .unwrap_or_else(|| panic!("no break-glass list: {overview}"));
        assert!(
            listed.contains(&format!("/t/team_a/deploys/{id}")),
            "{listed}"
        );
        assert!(
            listed.contains(reason) && listed.contains("Adam Admin"),
            "{listed}"
        );
    }
    assert!(app.audited("deploy.break_glass", "success").await);

    // Reviewed afterwards by someone else, not by the deployer.
    let (_, body) = reviews_to(&adam, "team_a", id, "approve").await;
    assert!(body.contains("you requested this deploy"), "{body}");
    let (code, body) = reviews_to(&ada, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let page = adam
        .get(&format!("/t/team_a/deploys/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("data-testid=\"awaiting-review\""));
    assert!(page.contains("reviewed afterwards by Ada Author"), "{page}");
    let overview = auditor.get("/platform").await.text().await.unwrap();
    assert!(
        overview.contains("data-testid=\"no-break-glass\""),
        "{overview}"
    );

    // The re-authentication opens break-glass for five minutes only.
    fixture.origin.write("team_a/etl.py", "print('hotfix 2')\n");
    fixture
        .origin
        .commit("Carol Contractor", "carol@example.com", "hotfix 2");
    app.clock.advance(Duration::from_secs(301));
    let (_, body) = break_glass(&adam, &candidate, reason).await;
    assert!(body.contains("sign in again"), "{body}");
}

/// One use case, one door: a request opened through the JSON API (with a session, as a page
/// would) is checked and recorded by the same port as one opened on the deploys page — the
/// same audit row, but for the request's own number and request id.
async fn the_api_and_the_page_open_a_request_alike(backend: Backend) {
    let fixture = DeployFixture::new();
    let app = spawn(backend, &fixture, false).await;
    let ada = app.signed_in("author").await;
    fixture.origin.write("team_a/etl.py", "print('etl v2')\n");
    let candidate = fixture
        .origin
        .commit("Carol Contractor", "carol@example.com", "etl v2");
    let on_the_page = open(&ada, "team_a", candidate.as_str()).await;
    let (code, body) = call(
        &ada,
        "cancel_deploy",
        &[("team", "team_a"), ("id", &on_the_page.to_string())],
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let through_the_api = ada
        .client
        .post(ada.url("/api/v1/teams/team_a/deploys"))
        .header("origin", &app.url)
        .json(&serde_json::json!({ "commit": candidate.as_str() }))
        .send()
        .await
        .unwrap();
    assert_eq!(through_the_api.status(), StatusCode::CREATED);
    let answer: serde_json::Value = through_the_api.json().await.unwrap();
    let through_the_api = answer["id"].as_i64().unwrap();

    let row = |id: i64| {
        let app = &app;
        async move {
            let entries = hangar_server::audit::entries_after(&app.state.db, 0, 10_000)
                .await
                .unwrap();
            let entry = entries
                .into_iter()
                .find(|e| {
                    e.action == "deploy.request"
                        && e.target.as_deref() == Some(&format!("deploy/{id}"))
                })
                .unwrap_or_else(|| panic!("deploy {id} was not audited"));
            (
                entry.actor_subject,
                entry.team,
                entry.outcome,
                entry.detail,
                entry.request_id.is_some(),
            )
        }
    };
    let page_row = row(on_the_page).await;
    assert_eq!(page_row.0.as_deref(), Some("author"));
    assert_eq!(row(through_the_api).await, page_row);
}

/// The team home shows what each target holds, read on every visit (nothing deployed yet:
/// "nothing yet"); a target that cannot be read is named on the page, which still answers
/// with the rest of the team home; a team that does not deploy through Hangar shows no
/// deploy section at all.
async fn the_team_home_shows_the_targets_or_why_not(backend: Backend) {
    let fixture = DeployFixture::new();
    let app = spawn(backend, &fixture, false).await;
    let ada = app.signed_in("author").await;

    let page = ada.get("/t/team_a").await;
    assert_eq!(page.status(), StatusCode::OK);
    let home = page.text().await.unwrap();
    assert!(home.contains("class=\"team-deployed\""), "{home}");
    assert!(home.contains("ref refs/heads/deploy/team_a"), "{home}");
    assert_eq!(
        home.matches("data-testid=\"home-deployed\"").count(),
        2,
        "{home}"
    );
    assert_eq!(home.matches(">nothing yet<").count(), 2, "{home}");

    // Someone puts a plain file where the directory target's link belongs.
    std::fs::create_dir_all(fixture.root("team_a")).unwrap();
    std::fs::write(fixture.root("team_a").join("current"), "not a link").unwrap();
    let page = ada.get("/t/team_a").await;
    assert_eq!(page.status(), StatusCode::OK);
    let home = page.text().await.unwrap();
    assert!(home.contains("class=\"team-deployed\""), "{home}");
    assert!(
        home.contains("is not a symlink to a deployed commit"),
        "{home}"
    );
    assert!(home.contains("data-testid=\"team-execution\""), "{home}");
    assert!(!home.contains("data-testid=\"home-deployed\""), "{home}");

    let without = TestApp::spawn(backend).await;
    let page = without.signed_in("author").await.get("/t/team_a").await;
    assert_eq!(page.status(), StatusCode::OK);
    let home = page.text().await.unwrap();
    assert!(home.contains("data-testid=\"team-execution\""), "{home}");
    assert!(!home.contains("team-deployed"), "{home}");
}

/// A host that takes connections and never answers them. Returns its repository URL.
fn git_host_that_never_answers() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = format!("http://{}/dags.git", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for connection in listener.incoming().flatten() {
            held.push(connection);
        }
    });
    host
}

/// A git host that takes connections and never answers: the team home, the deploys page
/// and the approval screen still answer, each within a bounded wait, and say what is missing
/// and why, while the read goes on (and is shared) behind them.
async fn a_git_host_that_never_answers_holds_no_page(backend: Backend) {
    let fixture = DeployFixture::new();
    // One replica reaches the repository and opens a request; another, on the same
    // database, finds team_a's git host hanging (its git calls are killed after 30 s).
    let app = spawn(backend, &fixture, false).await;
    let ada = app.signed_in("author").await;
    fixture.origin.write("team_a/etl.py", "print('etl v2')\n");
    let candidate = fixture
        .origin
        .commit("Ada Author", "author@example.com", "etl v2");
    let id = open(&ada, "team_a", candidate.as_str()).await;
    // On the second replica both teams' repositories are on that host: team_a deploys to
    // its directory only (nothing to ask the host but the fetch), team_b moves a ref.
    let host = git_host_that_never_answers();
    let mut config = app.state.config.clone();
    for deploy in &mut config.deploys {
        deploy.repository = host.clone();
        if deploy.team == "team_a" {
            deploy
                .targets
                .retain(|t| matches!(t, hangar_server::config::TargetConfig::Directory { .. }));
        }
    }
    config.git.timeout = std::time::Duration::from_secs(20);
    let hanging = app.spawn_replica_with(config).await;
    let mia = Browser::with_cookie(
        &hanging,
        &app.signed_in("multi").await.session_cookie().unwrap(),
    );

    let not_answered =
        |command: &str| format!("the git host has not answered git {command} within 5 s");
    let detail = format!("/t/team_a/deploys/{id}");
    for (path, says) in [
        ("/t/team_b", not_answered("ls-remote")),
        ("/t/team_b/deploys", not_answered("ls-remote")),
        ("/t/team_a/deploys", not_answered("fetch")),
        (
            "/t/team_a/deploys",
            "; the commits below are as last fetched.".into(),
        ),
        // The screen offers the buttons (a review checks for itself).
        (detail.as_str(), "data-testid=\"approve\"".to_string()),
    ] {
        let started = std::time::Instant::now();
        let page = mia.get(path).await;
        let waited = started.elapsed();
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        let body = page.text().await.unwrap();
        assert!(body.contains(&says), "{path}: {body}");
        // The wait is the page's bound, not git's 20 s.
        assert!(
            waited < std::time::Duration::from_secs(15),
            "{path}: {waited:?}"
        );
    }
    // What needs no call to the host is there.
    let home = mia.get("/t/team_a").await.text().await.unwrap();
    assert!(home.contains("data-testid=\"team-execution\""), "{home}");
    assert!(!home.contains("has not answered"), "{home}");
}

on_both_backends!(
    the_team_home_shows_the_targets_or_why_not,
    a_git_host_that_never_answers_holds_no_page,
    the_api_and_the_page_open_a_request_alike,
    large_diffs_are_read_in_bounds,
    break_glass_needs_reauthentication_and_a_later_review,
    reviewed_deploy_reaches_every_target,
    requests_that_cannot_go_on,
    ci_requests_with_a_team_token
);

/// Several replicas on one PostgreSQL: a deploy both try to run at once runs once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deploy_executes_once_across_replicas() {
    let fixture = DeployFixture::new();
    let app = spawn(Backend::Postgres, &fixture, false).await;
    let ada = app.signed_in("author").await;
    let mia = app.signed_in("multi").await;
    fixture.origin.write("team_a/etl.py", "print('etl v3')\n");
    let candidate = fixture
        .origin
        .commit("Carol Contractor", "carol@example.com", "etl v3");
    let id = open(&ada, "team_a", candidate.as_str()).await;
    // Two approvals: nobody in Hangar owns carol@example.com.
    for reviewer in [&mia, &app.signed_in("platform_admin").await] {
        let (code, _) = reviews_to(reviewer, "team_a", id, "approve").await;
        assert_eq!(code, StatusCode::OK);
    }
    let replicas: Vec<_> = (0..3)
        .map(|_| {
            std::sync::Arc::new(hangar_server::deploy::DeployEngine::new(
                &app.state.config,
                app.state.db.clone(),
                app.clock.clone(),
                app.state.live.clone(),
                app.state.metrics.clone(),
            ))
        })
        .collect();
    let runs =
        futures_util::future::join_all(replicas.iter().map(|r| r.deploy("team_a", id))).await;
    let ran: Vec<bool> = runs
        .into_iter()
        .map(|r| match r {
            Ok(ran) => ran,
            // Lost before the claim: the request was no longer approved.
            Err(_) => false,
        })
        .collect();
    assert_eq!(ran.iter().filter(|r| **r).count(), 1, "{ran:?}");
    assert_eq!(status(&app, "team_a", id).await, RequestStatus::Deployed);
    let hook = std::fs::read_to_string(fixture.hook_log()).unwrap();
    assert_eq!(hook.lines().count(), 1, "the hook ran once: {hook}");
}

/// SQLite says "database is locked" when another writer holds the lock past the busy
/// timeout (5 s), as a long write on a loaded host can. A deploy whose record of a step's end
/// meets it writes it again once the lock is gone and goes on: it costs seconds, not a
/// second run of its steps (the hook among them), nor a claim left for the lease (60 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_locked_database_mid_deploy_costs_seconds_not_a_second_run() {
    let fixture = DeployFixture::new();
    let started = fixture.dir.path().join("hook-started");
    let go = fixture.dir.path().join("hook-go");
    let log = fixture.hook_log();
    // The hook waits for the test, which takes the write lock while the hook runs: the
    // deploy's record of the step's end is the write that meets the lock.
    let config = fixture.config(false).replace(
        &format!(
            r#"hook = ["/bin/sh", "-c", "echo $HANGAR_DEPLOY_SHA >> {}", "{{sha}}"]"#,
            log.display()
        ),
        &format!(
            r#"hook = ["/bin/sh", "-c", "touch {}; while [ ! -e {} ]; do sleep 0.05; done; echo $HANGAR_DEPLOY_SHA >> {}"]"#,
            started.display(),
            go.display(),
            log.display()
        ),
    );
    assert!(config.contains("hook-go"), "the hook was not replaced");
    let app = TestApp::spawn_configured(Backend::Sqlite, "", &config).await;
    let ada = app.signed_in("author").await;
    fixture.origin.write("team_a/etl.py", "print('etl v3')\n");
    let candidate = fixture
        .origin
        .commit("Carol Contractor", "carol@example.com", "etl v3");
    let id = open(&ada, "team_a", candidate.as_str()).await;
    for reviewer in [
        &app.signed_in("multi").await,
        &app.signed_in("platform_admin").await,
    ] {
        let (code, _) = reviews_to(reviewer, "team_a", id, "approve").await;
        assert_eq!(code, StatusCode::OK);
    }

    let engine = std::sync::Arc::new(hangar_server::deploy::DeployEngine::new(
        &app.state.config,
        app.state.db.clone(),
        app.clock.clone(),
        app.state.live.clone(),
        app.state.metrics.clone(),
    ));
    let deploying = tokio::spawn({
        let engine = engine.clone();
        async move { engine.deploy("team_a", id).await }
    });
    for _ in 0..600 {
        if started.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(started.exists(), "the hook never ran");
    let hangar_server::db::Db::Sqlite(pool) = &app.state.db else {
        unreachable!("a SQLite app")
    };
    let lock = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
    std::fs::write(&go, "").unwrap();
    // Past the busy timeout, with room for a loaded machine.
    tokio::time::sleep(Duration::from_secs(8)).await;
    lock.rollback().await.unwrap();
    assert!(deploying.await.unwrap().unwrap(), "this engine claimed it");
    // Finished by the same attempt: the clock has not moved, so no lease could have passed.
    assert_eq!(status(&app, "team_a", id).await, RequestStatus::Deployed);
    assert_eq!(
        fixture.reference("refs/heads/deploy/team_a"),
        Some(candidate.clone())
    );
    let hook = std::fs::read_to_string(&log).unwrap();
    assert_eq!(hook.trim(), candidate.as_str(), "the hook ran once: {hook}");
}
