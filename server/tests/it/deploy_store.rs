//! Deploy requests in the database, on SQLite and PostgreSQL: the status changes that race
//! in real use — approve against cancel, two approvals together, two replicas claiming one
//! deploy, a new request against a running deploy — each end with exactly one winner.

use crate::support;

use std::sync::Arc;

use hangar_server::db::Db;
use hangar_server::deploy::commit::CommitId;
use hangar_server::deploy::git::CommitInfo;
use hangar_server::deploy::policy::RequestStatus;
use hangar_server::deploy::store::{self, Created, NewRequest, Reviewed, Verdict};
use hangar_server::users::{SignIn, record_sign_in};
use support::{Backend, test_database};

const NOW: i64 = 1_800_000_000_000;

fn sha(digit: char) -> CommitId {
    CommitId::parse(&digit.to_string().repeat(40)).unwrap()
}

async fn user(db: &Db, name: &str) -> i64 {
    let email = format!("{name}@example.com");
    record_sign_in(
        db,
        SignIn {
            issuer: "https://idp.test",
            subject: name,
            display_name: name,
            email: Some(&email),
            email_verified: true,
            groups: &[],
            at_ms: NOW,
        },
    )
    .await
    .unwrap()
    .0
}

fn commit_by(name: &str) -> CommitInfo {
    CommitInfo {
        id: sha('b'),
        author_name: name.into(),
        author_email: format!("{name}@example.com"),
        committer_name: name.into(),
        committer_email: format!("{name}@example.com"),
        authored_at_ms: NOW - 1000,
        subject: "change".into(),
        co_authors: vec![("Dave".into(), "dave@example.com".into())],
        signature: Default::default(),
    }
}

async fn request(db: &Db, team: &str, requester: i64, candidate: char) -> i64 {
    let candidate = sha(candidate);
    let deployed = sha('a');
    let commits = [commit_by("carol")];
    match store::create(
        db,
        NewRequest {
            team,
            deployed: Some(&deployed),
            candidate: &candidate,
            requester_id: requester,
            commits: &commits,
            now_ms: NOW,
            expires_ms: NOW + 86_400_000,
            break_glass_reason: None,
            token_id: None,
            token_creator_id: None,
            token_rotator_id: None,
            authorship: hangar_server::deploy::policy::Authorship::Emails,
            outside_files: 0,
        },
    )
    .await
    .unwrap()
    {
        Created::Created { id, .. } => id,
        Created::DeployRunning => panic!("a deploy is running"),
    }
}

async fn status(db: &Db, id: i64) -> RequestStatus {
    store::find(db, "team_a", id).await.unwrap().unwrap().status
}

async fn a_request_is_found_only_in_its_team(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = test_database(backend, &dir).await;
    let alice = user(&db, "alice").await;
    let id = request(&db, "team_a", alice, 'b').await;
    let found = store::find(&db, "team_a", id).await.unwrap().unwrap();
    assert_eq!(found.status, RequestStatus::Pending);
    assert_eq!(found.deployed, Some(sha('a')));
    assert_eq!(found.candidate, sha('b'));
    assert_eq!(store::find(&db, "team_b", id).await.unwrap(), None);
    let commits = store::commits(&db, id).await.unwrap();
    assert_eq!(
        commits,
        [commit_by("carol")],
        "stored with its co-author trailers"
    );
}

async fn a_newer_request_supersedes_the_open_one_but_not_a_running_deploy(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = test_database(backend, &dir).await;
    let alice = user(&db, "alice").await;
    let first = request(&db, "team_a", alice, 'b').await;
    let second = request(&db, "team_a", alice, 'c').await;
    assert_eq!(status(&db, first).await, RequestStatus::Superseded);
    assert_eq!(status(&db, second).await, RequestStatus::Pending);
    // Another team's requests are untouched.
    let other = request(&db, "team_b", alice, 'b').await;
    assert_eq!(
        store::find(&db, "team_b", other)
            .await
            .unwrap()
            .unwrap()
            .status,
        RequestStatus::Pending
    );

    assert!(
        store::transition(
            &db,
            second,
            &[RequestStatus::Pending],
            RequestStatus::Approved,
            NOW
        )
        .await
        .unwrap()
    );
    assert!(
        store::transition(
            &db,
            second,
            &[RequestStatus::Approved],
            RequestStatus::Deploying,
            NOW
        )
        .await
        .unwrap()
    );
    let candidate = sha('d');
    let refused = store::create(
        &db,
        NewRequest {
            team: "team_a",
            deployed: None,
            candidate: &candidate,
            requester_id: alice,
            commits: &[],
            now_ms: NOW,
            expires_ms: NOW + 1,
            break_glass_reason: None,
            token_id: None,
            token_creator_id: None,
            token_rotator_id: None,
            authorship: hangar_server::deploy::policy::Authorship::Emails,
            outside_files: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!(refused, Created::DeployRunning);
    assert_eq!(
        status(&db, second).await,
        RequestStatus::Deploying,
        "the running deploy goes on"
    );
}

async fn approvals_move_the_request_once_enough_have_landed(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = test_database(backend, &dir).await;
    let (alice, bob, dave) = (
        user(&db, "alice").await,
        user(&db, "bob").await,
        user(&db, "dave").await,
    );
    let id = request(&db, "team_a", alice, 'b').await;
    let stored = store::find(&db, "team_a", id).await.unwrap().unwrap();
    assert_eq!(
        store::review(&db, &stored, bob, Verdict::Approve, "looks good", 2, NOW)
            .await
            .unwrap(),
        Reviewed::Recorded(RequestStatus::Pending)
    );
    assert_eq!(
        store::review(&db, &stored, bob, Verdict::Approve, "again", 2, NOW)
            .await
            .unwrap(),
        Reviewed::AlreadyReviewed
    );
    assert_eq!(
        store::review(&db, &stored, dave, Verdict::Approve, "ok", 2, NOW)
            .await
            .unwrap(),
        Reviewed::Recorded(RequestStatus::Approved)
    );
    let reviews = store::reviews(&db, id).await.unwrap();
    assert_eq!(store::approvals(&reviews).len(), 2);
    assert_eq!(reviews[0].name, "bob");
    assert_eq!(reviews[0].comment, "looks good");
}

async fn a_review_against_other_commits_does_not_land(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = test_database(backend, &dir).await;
    let (alice, bob) = (user(&db, "alice").await, user(&db, "bob").await);
    let id = request(&db, "team_a", alice, 'b').await;
    // bob's page showed an older version of the request: another candidate.
    let mut seen = store::find(&db, "team_a", id).await.unwrap().unwrap();
    seen.candidate = sha('e');
    assert_eq!(
        store::review(&db, &seen, bob, Verdict::Approve, "ok", 1, NOW)
            .await
            .unwrap(),
        Reviewed::NotPending
    );
    assert_eq!(status(&db, id).await, RequestStatus::Pending);
    assert!(store::reviews(&db, id).await.unwrap().is_empty());
}

async fn approve_and_cancel_racing_end_one_way(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(test_database(backend, &dir).await);
    let (alice, bob) = (user(&db, "alice").await, user(&db, "bob").await);
    for round in 0..15 {
        let id = request(&db, "team_a", alice, if round % 2 == 0 { 'b' } else { 'c' }).await;
        let stored = store::find(&db, "team_a", id).await.unwrap().unwrap();
        let approve = {
            let (db, stored) = (db.clone(), stored.clone());
            tokio::spawn(async move {
                let reviewed = store::review(&db, &stored, bob, Verdict::Approve, "ok", 1, NOW)
                    .await
                    .unwrap();
                let claimed = store::transition(
                    &db,
                    id,
                    &[RequestStatus::Approved],
                    RequestStatus::Deploying,
                    NOW,
                )
                .await
                .unwrap();
                (reviewed, claimed)
            })
        };
        let cancel = {
            let db = db.clone();
            let open = [
                RequestStatus::Pending,
                RequestStatus::Approved,
                RequestStatus::Failed,
            ];
            tokio::spawn(async move {
                store::transition(&db, id, &open, RequestStatus::Cancelled, NOW)
                    .await
                    .unwrap()
            })
        };
        let ((_, claimed), cancelled) = (approve.await.unwrap(), cancel.await.unwrap());
        assert!(
            claimed ^ cancelled,
            "round {round}: claimed {claimed}, cancelled {cancelled}"
        );
        let end = status(&db, id).await;
        assert_eq!(
            end,
            if claimed {
                RequestStatus::Deploying
            } else {
                RequestStatus::Cancelled
            }
        );
        if claimed {
            store::transition(
                &db,
                id,
                &[RequestStatus::Deploying],
                RequestStatus::Deployed,
                NOW,
            )
            .await
            .unwrap();
        }
    }
}

async fn two_replicas_claiming_one_deploy_run_it_once(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(test_database(backend, &dir).await);
    let alice = user(&db, "alice").await;
    let id = request(&db, "team_a", alice, 'b').await;
    store::transition(
        &db,
        id,
        &[RequestStatus::Pending],
        RequestStatus::Approved,
        NOW,
    )
    .await
    .unwrap();
    let claims: Vec<_> = (0..8)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                store::transition(
                    &db,
                    id,
                    &[RequestStatus::Approved, RequestStatus::Failed],
                    RequestStatus::Deploying,
                    NOW,
                )
                .await
                .unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for claim in claims {
        won += usize::from(claim.await.unwrap());
    }
    assert_eq!(won, 1);
    let stored = store::find(&db, "team_a", id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.attempts),
        (RequestStatus::Deploying, 1)
    );
}

on_both_backends!(
    a_request_is_found_only_in_its_team,
    a_newer_request_supersedes_the_open_one_but_not_a_running_deploy,
    approvals_move_the_request_once_enough_have_landed,
    a_review_against_other_commits_does_not_land,
    approve_and_cancel_racing_end_one_way,
    two_replicas_claiming_one_deploy_run_it_once,
);
