//! The review gate against a dishonest insider (docs/deploys.md): someone who can push to the
//! DAG repository and holds a team role tries to get their own change deployed without
//! another person's approval — with a spoofed author e-mail, a key that is not theirs, a
//! co-author trailer, an address nobody owns, a second address of their own, their own API
//! token, an approval that no longer stands, a break-glass retry, or files outside the team's
//! paths that a ref target receives. Real repositories, real signatures (`ssh-keygen` keys
//! made here; OpenPGP ones too where `gpg` is installed), the real server functions and API.
//!
//! Test users (support/idp.rs): Ada Author (team_a author), Adam Admin (team_a admin), Mia
//! Multi (team_a author, team_b admin), Pat Platform (platform admin); each signs in with
//! `<user>@example.com`, verified.

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hangar_server::deploy::commit::CommitId;
use hangar_server::deploy::policy::RequestStatus;
use hangar_server::deploy::progress::{self, ClaimFrom};
use hangar_server::deploy::store;
use reqwest::StatusCode;
use support::deploy::{
    DeployFixture, Signing, TestKey, approval_screen, call, create_ci_token, open, register_key,
    register_key_with, review, reviews_to, status, wait_for,
};
use support::{Backend, Browser, TestApp};

const SIGNATURES: &str = "authorship = \"signatures\"";
const REASON: &str = "bring the team's targets up to the reviewed history";

async fn spawn(
    backend: Backend,
    fixture: &DeployFixture,
    auto_deploy: bool,
    settings: &str,
) -> TestApp {
    TestApp::spawn_configured(backend, "", &fixture.config_with(auto_deploy, settings)).await
}

/// The team's first deploy, by break-glass (Adam re-authenticates): the fixture's history
/// is unsigned and by someone Hangar does not know, so it could not be reviewed — and
/// break-glass must stay possible whatever the rule. Returns Adam's browser, still within
/// the break-glass window.
async fn first_deploy_by_break_glass(app: &TestApp, fixture: &DeployFixture) -> Browser {
    let adam = app.signed_in("admin").await;
    let answer = adam.reauthenticate("admin", "/t/team_a/deploys").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let head = fixture.origin.head();
    let (code, body) = call(
        &adam,
        "break_glass_deploy",
        &[
            ("team", "team_a"),
            ("commit", head.as_str()),
            ("reason", REASON),
        ],
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    wait_for(
        app,
        "team_a",
        body.parse().unwrap(),
        RequestStatus::Deployed,
    )
    .await;
    assert_eq!(fixture.reference("refs/heads/deploy/team_a"), Some(head));
    adam
}

fn change(fixture: &DeployFixture, file: &str, content: &str) {
    fixture.origin.write(file, format!("{content}\n"));
}

async fn policy_state(browser: &Browser, id: i64) -> String {
    let page = approval_screen(browser, id).await;
    let state = page
        .split("data-testid=\"policy-state\"")
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split("</p>").next())
        .unwrap_or_else(|| panic!("no policy state: {page}"));
    support::unmarked(state)
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
}

async fn signatures_decide_who_wrote_a_change(backend: Backend) {
    let fixture = DeployFixture::new();
    let app = spawn(backend, &fixture, true, SIGNATURES).await;
    let adam = first_deploy_by_break_glass(&app, &fixture).await;
    let ada = app.signed_in("author").await;
    let mia = app.signed_in("multi").await;
    let ada_key = TestKey::ssh("ada");
    let adam_key = TestKey::ssh("adam");
    let (code, body) = register_key(&ada, &ada_key).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (code, body) = register_key(&adam, &adam_key).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert!(app.audited("signing_key.add", "success").await);

    // A registered but foreign key: Ada cannot claim Adam's public key — her own key's
    // signature proves nothing about it, and even a proof made with Adam's private key does
    // not move a key that is his.
    let (code, body) = register_key_with(&ada, &adam_key, &ada_key.prove("anything")).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("does not prove this key"), "{body}");
    let (code, body) = register_key(&ada, &adam_key).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("registered to another Hangar user"), "{body}");
    assert!(app.audited("signing_key.add", "denied").await);

    // A spoofed author e-mail: Ada commits as Adam, signed with her own key.
    change(&fixture, "team_a/etl.py", "print('etl v2')");
    let spoofed = fixture.origin.commit_with(
        "Adam Admin",
        "admin@example.com",
        "etl: v2 (written by Ada, claiming to be Adam)",
        &ada_key.signing(),
    );
    let id = open(&mia, "team_a", spoofed.as_str()).await;
    let (code, body) = reviews_to(&ada, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("your key SHA256:"), "{body}");
    assert!(
        body.contains(&format!("signed commit {}", spoofed.short())),
        "{body}"
    );
    let page = approval_screen(&mia, id).await;
    assert!(page.contains("signed by Ada Author (SHA256:"), "{page}");
    assert!(
        policy_state(&mia, id)
            .await
            .contains("the commit authors (Ada Author)"),
        "the key's owner is the author, not the name on the commit"
    );
    // Adam, whose address Ada typed, may review it: deployed.
    let (code, body) = reviews_to(&adam, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    wait_for(&app, "team_a", id, RequestStatus::Deployed).await;
    assert_eq!(fixture.reference("refs/heads/deploy/team_a"), Some(spoofed));

    // A key revoked after the request was made no longer vouches for anyone.
    change(&fixture, "team_a/etl.py", "print('etl v3')");
    let by_ada = fixture.origin.commit_with(
        "Ada Author",
        "author@example.com",
        "etl: v3",
        &ada_key.signing(),
    );
    let id = open(&mia, "team_a", by_ada.as_str()).await;
    let (_, profile) = call(&ada, "profile", &[]).await;
    let profile: serde_json::Value = serde_json::from_str(&profile).unwrap();
    let key_id = profile["keys"][0]["id"].as_i64().unwrap().to_string();
    let (code, body) = call(&ada, "revoke_signing_key", &[("id", &key_id)]).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    // Revoking twice, or someone else's key, is the same refusal.
    let (code, _) = call(&ada, "revoke_signing_key", &[("id", &key_id)]).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    let (code, _) = call(&mia, "revoke_signing_key", &[("id", &key_id)]).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    let state = policy_state(&mia, id).await;
    assert!(
        state.starts_with(&format!(
            "unreviewable: commit {} is signed with key SHA256:",
            by_ada.short()
        )) && state.contains("which its owner has revoked"),
        "{state}"
    );
    let (code, body) = reviews_to(&adam, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("nobody can review this deploy"), "{body}");

    // A key nobody registered.
    let stranger = TestKey::ssh("stranger");
    change(&fixture, "team_a/etl.py", "print('etl v4')");
    let unknown = fixture.origin.commit_with(
        "Ada Author",
        "author@example.com",
        "etl: v4",
        &stranger.signing(),
    );
    let id = open(&mia, "team_a", unknown.as_str()).await;
    let state = policy_state(&mia, id).await;
    assert!(
        state.contains(&format!(
            "commit {} is signed with key SHA256:",
            unknown.short()
        )) && state.contains("which no Hangar user has registered"),
        "{state}"
    );

    // An unsigned commit: unreviewable, with a sentence naming it; break-glass still works.
    change(&fixture, "team_a/etl.py", "print('etl v5')");
    let unsigned = fixture
        .origin
        .commit("Ada Author", "author@example.com", "etl: v5");
    let id = open(&mia, "team_a", unsigned.as_str()).await;
    let state = policy_state(&adam, id).await;
    assert!(
        state.starts_with(&format!(
            "unreviewable: commit {} is not signed",
            unsigned.short()
        )),
        "{state}"
    );
    assert!(state.contains("break glass"), "{state}");
    let page = approval_screen(&adam, id).await;
    assert!(
        !page.contains("data-testid=\"approve\""),
        "no approve button: {page}"
    );
    let (code, body) = reviews_to(&adam, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(status(&app, "team_a", id).await, RequestStatus::Pending);
    let (code, body) = call(
        &adam,
        "break_glass_deploy",
        &[
            ("team", "team_a"),
            ("commit", unsigned.as_str()),
            ("reason", REASON),
        ],
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    wait_for(
        &app,
        "team_a",
        body.parse().unwrap(),
        RequestStatus::Deployed,
    )
    .await;

    // OpenPGP keys work the same way.
    let Some(mia_key) = TestKey::gpg("Mia Multi", "multi@example.com") else {
        return;
    };
    let (code, body) = register_key(&mia, &mia_key).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    change(&fixture, "common/util.py", "X = 3");
    let by_mia = fixture.origin.commit_with(
        "Someone Else",
        "someone@example.com",
        "util: X = 3",
        &mia_key.signing(),
    );
    let id = open(&ada, "team_a", by_mia.as_str()).await;
    let (code, body) = reviews_to(&mia, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("your key"), "{body}");
    let (code, body) = reviews_to(&adam, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    wait_for(&app, "team_a", id, RequestStatus::Deployed).await;
}

async fn emails_mode_counts_every_address_a_commit_names(backend: Backend) {
    let fixture = DeployFixture::new();
    let app = spawn(backend, &fixture, true, "").await;
    first_deploy_by_break_glass(&app, &fixture).await;
    let ada = app.signed_in("author").await;
    let adam = app.signed_in("admin").await;
    let mia = app.signed_in("multi").await;
    let pat = app.signed_in("platform_admin").await;

    // A co-author trailer names Mia: she may not approve.
    change(&fixture, "team_a/etl.py", "print('pair programmed')");
    let paired = fixture.origin.commit_with(
        "Ada Author",
        "author@example.com",
        "etl: pair programmed\n\nCo-authored-by: Mia Multi <MULTI@example.com>",
        &Signing::None,
    );
    let id = open(&adam, "team_a", paired.as_str()).await;
    let (code, body) = reviews_to(&mia, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("you are named on a commit in this deploy (MULTI@example.com)"),
        "{body}"
    );
    let page = approval_screen(&adam, id).await;
    assert!(
        page.contains("verified: Mia Multi"),
        "the co-author is shown verified: {page}"
    );
    assert!(page.contains("verified: Ada Author"), "{page}");
    let (code, body) = reviews_to(&pat, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    wait_for(&app, "team_a", id, RequestStatus::Deployed).await;

    // An address no Hangar user owns: one approval more than usual, and said so.
    change(&fixture, "team_a/etl.py", "print('who wrote this?')");
    let ghost = fixture.origin.commit(
        "Mia Multi",
        "made-up@nowhere.example",
        "etl: by nobody we know",
    );
    let id = open(&ada, "team_a", ghost.as_str()).await;
    let state = policy_state(&ada, id).await;
    assert_eq!(
        state,
        "needs 2 more approvals from a team author or above other than Ada Author; unknown \
         author (made-up@nowhere.example): one approval more than usual"
    );
    assert!(
        approval_screen(&ada, id)
            .await
            .contains("data-testid=\"unknown-author\"")
    );
    let (code, body) = reviews_to(&mia, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(status(&app, "team_a", id).await, RequestStatus::Pending);
    assert!(
        policy_state(&ada, id)
            .await
            .starts_with("needs 1 more approval")
    );
    let (code, body) = reviews_to(&adam, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    wait_for(&app, "team_a", id, RequestStatus::Deployed).await;

    // A second verified address: Mia's provider now gives her another one. A commit under
    // the first is still hers.
    app.idp
        .set_user(
            "multi",
            "Mia Multi",
            &["a-authors", "b-admins"],
            "mia.new@example.com",
        )
        .await;
    let mia = app.signed_in("multi").await;
    let (_, profile) = call(&mia, "profile", &[]).await;
    assert!(
        profile.contains("multi@example.com") && profile.contains("mia.new@example.com"),
        "{profile}"
    );
    change(&fixture, "team_a/etl.py", "print('under my old address')");
    let old_address = fixture
        .origin
        .commit("Mia Multi", "multi@example.com", "etl: old address");
    let id = open(&ada, "team_a", old_address.as_str()).await;
    let (code, body) = reviews_to(&mia, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("(multi@example.com)"), "{body}");
}

async fn a_tokens_request_belongs_to_whoever_holds_its_secret(backend: Backend) {
    let fixture = DeployFixture::new();
    let app = spawn(backend, &fixture, false, "").await;
    let adam = first_deploy_by_break_glass(&app, &fixture).await;
    let ada = app.signed_in("author").await;
    let pat = app.signed_in("platform_admin").await;
    // Mia, who writes the changes CI requests, is known to Hangar.
    app.signed_in("multi").await;
    let (secret, token_id) = create_ci_token(&adam).await;
    let token_id = token_id.to_string();
    let http = reqwest::Client::new();
    let request = |secret: String, commit: CommitId| {
        let (http, url) = (http.clone(), app.url.clone());
        async move {
            http.post(format!("{url}/api/v1/teams/team_a/deploys"))
                .bearer_auth(secret)
                .json(&serde_json::json!({ "commit": commit.as_str() }))
                .send()
                .await
                .unwrap()
        }
    };

    // Adam's token opens a request for Mia's change: Adam may not approve it, from this
    // session or another one.
    change(&fixture, "team_a/etl.py", "print('from CI')");
    let first = fixture
        .origin
        .commit("Mia Multi", "multi@example.com", "etl: from CI");
    let answer = request(secret.clone(), first.clone()).await;
    assert_eq!(answer.status(), StatusCode::CREATED);
    let id = answer.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    for session in [&adam, &app.signed_in("admin").await] {
        let (code, body) = reviews_to(session, "team_a", id, "approve").await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("you created the API token"), "{body}");
    }
    assert!(
        policy_state(&ada, id)
            .await
            .contains("Adam Admin (who created it)"),
        "the token's holders are named"
    );
    // No token reviews anything: the API has no such operation.
    for path in [
        format!("/api/v1/teams/team_a/deploys/{id}/approve"),
        format!("/api/v1/teams/team_a/deploys/{id}"),
    ] {
        let answer = http
            .post(format!("{}{path}", app.url))
            .bearer_auth(&secret)
            .json(&serde_json::json!({ "verdict": "approve" }))
            .send()
            .await
            .unwrap();
        assert!(
            matches!(
                answer.status(),
                StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
            ),
            "{path}: {}",
            answer.status()
        );
    }

    // Pat rotates the token: the old secret stops working, and Pat holds the new one, so a
    // request it opens is his too.
    let (code, body) = call(
        &pat,
        "rotate_token",
        &[("team", "team_a"), ("id", &token_id)],
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let rotated: serde_json::Value = serde_json::from_str(&body).unwrap();
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    assert_eq!(rotated["row"]["rotated_by"], "Pat Platform");
    assert!(app.audited("token.rotate", "success").await);
    change(&fixture, "team_a/etl.py", "print('from CI, again')");
    let second = fixture
        .origin
        .commit("Mia Multi", "multi@example.com", "etl: from CI again");
    assert_eq!(
        request(secret.clone(), second.clone()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let answer = request(new_secret.clone(), second.clone()).await;
    assert_eq!(answer.status(), StatusCode::CREATED);
    let id = answer.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let (_, body) = reviews_to(&pat, "team_a", id, "approve").await;
    assert!(body.contains("you last rotated the API token"), "{body}");
    let (_, body) = reviews_to(&adam, "team_a", id, "approve").await;
    assert!(body.contains("you created the API token"), "{body}");
    let (code, body) = reviews_to(&ada, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(status(&app, "team_a", id).await, RequestStatus::Approved);

    // Adam is an author now, not an admin: the token he created stops working, and its
    // list says why.
    app.idp
        .set_user("admin", "Adam Admin", &["a-authors"], "admin@example.com")
        .await;
    app.signed_in("admin").await;
    change(&fixture, "team_a/etl.py", "print('after the demotion')");
    let third = fixture
        .origin
        .commit("Mia Multi", "multi@example.com", "etl: after the demotion");
    assert_eq!(
        request(new_secret.clone(), third).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(app.audited("api.denied", "denied").await);
    let tokens = pat.get("/t/team_a/tokens").await.text().await.unwrap();
    assert!(tokens.contains("data-state=\"lapsed\""), "{tokens}");
    assert!(
        tokens.contains("stopped working: its creator, Adam Admin, no longer holds a role"),
        "{tokens}"
    );
}

async fn approvals_are_checked_again_when_the_deploy_runs(backend: Backend) {
    let fixture = DeployFixture::new();
    let app = spawn(backend, &fixture, false, "").await;
    let adam = first_deploy_by_break_glass(&app, &fixture).await;
    let deployed = fixture.origin.head();
    let mia = app.signed_in("multi").await;
    // Ada, who writes the change, is known to Hangar (by her sign-in's verified address).
    let ada = app.signed_in("author").await;

    change(&fixture, "team_a/etl.py", "print('reviewed by Mia')");
    let candidate =
        fixture
            .origin
            .commit("Ada Author", "author@example.com", "etl: reviewed by Mia");
    let id = open(&adam, "team_a", candidate.as_str()).await;
    // Mia hears of it in the header.
    let header = mia.get("/t/team_a").await.text().await.unwrap();
    assert!(header.contains("1 waiting for your review"), "{header}");
    // Its author is not asked to review her own change.
    let header = ada.get("/t/team_a").await.text().await.unwrap();
    assert!(!header.contains("waiting for your review"), "{header}");
    let (code, body) = reviews_to(&mia, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    // Reviewed, it leaves Mia's queue.
    let header = mia.get("/t/team_a").await.text().await.unwrap();
    assert!(!header.contains("waiting for your review"), "{header}");
    assert_eq!(
        status(&app, "team_a", id).await,
        RequestStatus::Approved,
        "{}",
        policy_state(&adam, id).await
    );

    // Mia leaves team_a (her groups as stored at her next sign-in) before anyone deploys.
    app.idp
        .set_user("multi", "Mia Multi", &["b-admins"], "multi@example.com")
        .await;
    app.signed_in("multi").await;
    let (code, body) = call(
        &adam,
        "run_deploy",
        &[("team", "team_a"), ("id", &id.to_string())],
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains(
            "Mia Multi's approval no longer counts: they no longer hold a role in the team"
        ),
        "{body}"
    );
    assert_eq!(status(&app, "team_a", id).await, RequestStatus::Pending);
    assert_eq!(
        fixture.reference("refs/heads/deploy/team_a"),
        Some(deployed.clone())
    );
    let page = approval_screen(&adam, id).await;
    assert!(page.contains("data-testid=\"deploy-returned\""), "{page}");
    assert!(page.contains("data-testid=\"review-void\""), "{page}");
    assert!(app.audited("deploy.returned", "failure").await);

    // She comes back and approves again; then, while another replica runs the deploy, she
    // leaves once more: the check right before the targets change sends it back.
    app.idp
        .set_user(
            "multi",
            "Mia Multi",
            &["a-authors", "b-admins"],
            "multi@example.com",
        )
        .await;
    let mia = app.signed_in("multi").await;
    let (code, body) = reviews_to(&mia, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(status(&app, "team_a", id).await, RequestStatus::Approved);
    let claimed = progress::claim(&app.state.db, id, "elsewhere", ClaimFrom::Ready, 0)
        .await
        .unwrap();
    assert!(claimed.is_some());
    // What a start on SQLite takes over is another runner's claim, never the runner's own: a
    // deploy it left behind in that same sweep keeps its claim until it is handed back or
    // its lease ends.
    let own = progress::claim(&app.state.db, id, "elsewhere", ClaimFrom::AnotherRunner, 0)
        .await
        .unwrap();
    assert_eq!(own, None);
    app.idp
        .set_user("multi", "Mia Multi", &["b-admins"], "multi@example.com")
        .await;
    app.signed_in("multi").await;
    // That replica went silent; this one takes the deploy over and runs its steps.
    assert!(app.state.deploys.resume("team_a", id, true).await.unwrap());
    assert_eq!(status(&app, "team_a", id).await, RequestStatus::Pending);
    assert_eq!(
        fixture.reference("refs/heads/deploy/team_a"),
        Some(deployed),
        "nothing was promoted"
    );
    let steps = progress::steps(&app.state.db, id).await.unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s.step == "export" && s.state == "done"),
        "{steps:?}"
    );
    assert!(!steps.iter().any(|s| s.step == "promote"), "{steps:?}");
    let request = store::find(&app.state.db, "team_a", id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        request
            .failure
            .unwrap()
            .contains("no longer hold a role in the team"),
        "the reason is shown"
    );
}

async fn restarting_a_failed_break_glass_deploy_takes_breaking_glass(backend: Backend) {
    let fixture = DeployFixture::new();
    let app = spawn(backend, &fixture, true, "").await;
    let adam = first_deploy_by_break_glass(&app, &fixture).await;
    let ada = app.signed_in("author").await;

    // The export cannot write the new folder: the break-glass deploy fails, the old one stays.
    change(&fixture, "team_a/etl.py", "print('hotfix')");
    let hotfix = fixture
        .origin
        .commit("Ada Author", "author@example.com", "hotfix");
    let obstacle = fixture.root("team_a").join(hotfix.as_str());
    std::fs::write(&obstacle, "in the way").unwrap();
    let (code, body) = call(
        &adam,
        "break_glass_deploy",
        &[
            ("team", "team_a"),
            ("commit", hotfix.as_str()),
            ("reason", REASON),
        ],
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let id: i64 = body.parse().unwrap();
    wait_for(&app, "team_a", id, RequestStatus::Failed).await;
    std::fs::remove_file(&obstacle).unwrap();
    let id_text = id.to_string();
    let retry = async |browser: &Browser| {
        call(
            browser,
            "run_deploy",
            &[("team", "team_a"), ("id", &id_text)],
        )
        .await
    };

    // An author may retry an ordinary failed deploy, not this one.
    let (code, body) = retry(&ada).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("this needs the admin role"), "{body}");
    // Nor may Adam from a session in which he has not signed in again at the provider.
    let (code, body) = retry(&app.signed_in("admin").await).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("sign in again"), "{body}");
    assert_eq!(status(&app, "team_a", id).await, RequestStatus::Failed);
    assert!(app.audited("deploy.start", "denied").await);
    // From the session where he just did, the retry goes through.
    let (code, body) = retry(&adam).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    wait_for(&app, "team_a", id, RequestStatus::Deployed).await;
}

async fn a_ref_target_receives_nothing_unreviewed(backend: Backend) {
    let fixture = DeployFixture::new();
    let app = spawn(backend, &fixture, true, "").await;
    let adam = first_deploy_by_break_glass(&app, &fixture).await;
    let mia = app.signed_in("multi").await;
    // Ada, who writes the change, is known to Hangar (by her sign-in's verified address).
    app.signed_in("author").await;

    // Mia changes only what lies outside team_a's paths; Ada then changes team_a/.
    change(&fixture, "team_b/report.py", "print('rewritten by Mia')");
    change(&fixture, "setup.cfg", "[metadata]");
    let outside = fixture
        .origin
        .commit("Mia Multi", "multi@example.com", "outside team_a");
    change(&fixture, "team_a/etl.py", "print('v2')");
    let candidate = fixture
        .origin
        .commit("Ada Author", "author@example.com", "etl: v2");
    let id = open(&adam, "team_a", candidate.as_str()).await;
    let page = approval_screen(&adam, id).await;
    let section = page
        .split("data-testid=\"outside-files\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no outside section: {page}"));
    assert!(
        section.contains("data-path=\"team_b/report.py\"")
            && section.contains("data-path=\"setup.cfg\""),
        "{section}"
    );
    assert!(page.contains("2 files outside the team's paths"), "{page}");
    assert!(
        page.contains(&format!("data-commit=\"{outside}\"")),
        "the commit that changed only outside files is reviewed too"
    );
    // Mia wrote the outside change: she may not approve.
    let (code, body) = reviews_to(&mia, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("named on a commit"), "{body}");
    // Pat must open the section and tick its box to approve.
    let pat = app.signed_in("platform_admin").await;
    let (code, body) = review(&pat, "team_a", id, "approve", false).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("2 files outside the team's paths"), "{body}");
    let (code, body) = reviews_to(&pat, "team_a", id, "approve").await;
    assert_eq!(code, StatusCode::OK, "{body}");
    wait_for(&app, "team_a", id, RequestStatus::Deployed).await;
    // The ref holds the whole commit; the directory target still exports only the paths.
    assert_eq!(
        fixture.reference("refs/heads/deploy/team_a"),
        Some(candidate)
    );
    assert_eq!(fixture.deployed_file("team_a", "team_b/report.py"), None);
    assert_eq!(fixture.deployed_file("team_a", "setup.cfg"), None);

    // A team that refuses such candidates cannot even request one (from nothing deployed,
    // the whole tree is new: team_b/report.py lies outside).
    let strict = DeployFixture::new();
    let app = spawn(backend, &strict, true, "outside_paths = \"refuse\"").await;
    change(&strict, "team_a/etl.py", "print('v2')");
    change(&strict, "team_b/report.py", "print('also this')");
    let mixed = strict
        .origin
        .commit("Ada Author", "author@example.com", "both");
    let ada = app.signed_in("author").await;
    let (code, body) = call(
        &ada,
        "request_deploy",
        &[("team", "team_a"), ("commit", mixed.as_str())],
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("changes 1 file outside the team's paths (team_b/report.py)"),
        "{body}"
    );
}

/// A webhook receiver on a loopback port: it records every delivery and answers each with
/// the next status of `answers` (then 200).
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>,
}

impl Receiver {
    async fn start(answers: Vec<u16>) -> Self {
        let received: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>> = Arc::default();
        let answers = Arc::new(Mutex::new(answers));
        let seen = received.clone();
        let router = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let (seen, answers) = (seen.clone(), answers.clone());
                async move {
                    seen.lock().unwrap().push((headers, body));
                    let mut answers = answers.lock().unwrap();
                    let status = if answers.is_empty() {
                        200
                    } else {
                        answers.remove(0)
                    };
                    axum::http::StatusCode::from_u16(status).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { url, received }
    }

    fn deliveries(&self) -> Vec<(axum::http::HeaderMap, String)> {
        self.received.lock().unwrap().clone()
    }
}

async fn webhooks_are_signed_and_retried(backend: Backend) {
    const SECRET: &str = "a shared secret of the receiver";
    let json = Receiver::start(vec![500]).await;
    let slack = Receiver::start(Vec::new()).await;
    let fixture = DeployFixture::new();
    let hooks = format!(
        "[[deploy.notify]]\nurl = \"{}\"\nsecret = \"{SECRET}\"\n\
         [[deploy.notify]]\nurl = \"{}\"\nformat = \"slack\"\nevents = [\"opened\"]\n",
        json.url, slack.url
    );
    // The hooks belong to team_a's entry: put them right after its settings.
    let config = fixture.config(true).replacen(
        "\n[[deploy.target]]",
        &format!("\n{hooks}\n[[deploy.target]]"),
        1,
    );
    let app = TestApp::spawn_configured(backend, "", &config).await;
    let ada = app.signed_in("author").await;
    change(&fixture, "team_a/etl.py", "print('tell everyone')");
    let candidate = fixture
        .origin
        .commit("Adam Admin", "admin@example.com", "etl: tell everyone");
    let id = open(&ada, "team_a", candidate.as_str()).await;

    // The first attempt to the JSON hook fails; the Slack one is delivered.
    assert_eq!(app.state.deploys.deliver_due().await, 2);
    assert_eq!(json.deliveries().len(), 1);
    let (_, text) = &slack.deliveries()[0];
    let body: serde_json::Value = serde_json::from_str(text).unwrap();
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .contains(&format!("deploy #{id} was requested")),
        "{body}"
    );
    // The failure shows on the deploys page; nothing is due again before the back-off.
    let page = ada.get("/t/team_a/deploys").await.text().await.unwrap();
    assert!(
        page.contains("data-testid=\"notification-problem\""),
        "{page}"
    );
    assert!(page.contains("the receiver answered HTTP 500"), "{page}");
    assert_eq!(app.state.deploys.deliver_due().await, 0);
    app.clock.advance(Duration::from_secs(31));
    assert_eq!(app.state.deploys.deliver_due().await, 1);
    let deliveries = json.deliveries();
    assert_eq!(deliveries.len(), 2, "retried once");
    let page = ada.get("/t/team_a/deploys").await.text().await.unwrap();
    assert!(
        !page.contains("data-testid=\"notification-problem\""),
        "{page}"
    );

    // The receiver checks the signature: HMAC-SHA256 of "{timestamp}.{body}".
    for (headers, body) in &deliveries {
        let timestamp: i64 = headers["x-hangar-timestamp"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let expected = {
            use hmac::Mac;
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
            mac.update(format!("{timestamp}.{body}").as_bytes());
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        };
        assert_eq!(headers["x-hangar-signature"].to_str().unwrap(), expected);
        assert_eq!(headers["x-hangar-event"].to_str().unwrap(), "opened");
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["deploy"]["id"], id);
        assert_eq!(body["deploy"]["candidate"], candidate.as_str());
        assert!(
            body["deploy"]["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/t/team_a/deploys/{id}"))
        );
    }
    // A tampered body does not verify.
    let (headers, body) = &deliveries[1];
    let timestamp = headers["x-hangar-timestamp"].to_str().unwrap();
    let forged = hangar_server::deploy::notify::signature(
        SECRET,
        timestamp.parse().unwrap(),
        &body.replace("opened", "deployed"),
    );
    assert_ne!(headers["x-hangar-signature"].to_str().unwrap(), forged);

    // Approved and deployed: the JSON hook hears both (the Slack one only wants requests).
    // Adam never signed in here, so his address is an unknown author: two approvals; and from
    // nothing deployed the whole tree is new, team_b/ included, which the reviewers open.
    for reviewer in ["multi", "platform_admin"] {
        let (code, body) =
            reviews_to(&app.signed_in(reviewer).await, "team_a", id, "approve").await;
        assert_eq!(code, StatusCode::OK, "{body}");
    }
    wait_for(&app, "team_a", id, RequestStatus::Deployed).await;
    // The deploy's own event is written right after its status: wait for it.
    for _ in 0..100 {
        app.state.deploys.deliver_due().await;
        if json.deliveries().len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let events: Vec<String> = json
        .deliveries()
        .iter()
        .map(|(headers, _)| headers["x-hangar-event"].to_str().unwrap().to_string())
        .collect();
    assert_eq!(events, ["opened", "opened", "approved", "deployed"]);
    assert_eq!(slack.deliveries().len(), 1);
}

on_both_backends!(
    signatures_decide_who_wrote_a_change,
    emails_mode_counts_every_address_a_commit_names,
    a_tokens_request_belongs_to_whoever_holds_its_secret,
    approvals_are_checked_again_when_the_deploy_runs,
    restarting_a_failed_break_glass_deploy_takes_breaking_glass,
    a_ref_target_receives_nothing_unreviewed,
    webhooks_are_signed_and_retried,
);
