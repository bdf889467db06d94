//! "Live in Airflow", read from the read model for each kind of target: a git bundle reports
//! the deployed commit as a DAG's `bundle_version`; with directory targets only, a DAG of the
//! team was parsed after the swap. Until then "waiting", after `confirm_within` "late".
//! Other teams' DAGs never count.

use crate::support;

use std::path::PathBuf;

use hangar_server::config::TargetConfig;
use hangar_server::deploy::commit::CommitId;
use hangar_server::deploy::confirm::{self, Confirmation};
use hangar_server::deploy::policy::{Authorship, RequestStatus};
use hangar_server::deploy::store::StoredRequest;
use hangar_server::deploy::team::TeamDeploy;
use hangar_server::deploy::testing::deploy_config;
use support::{Backend, TestApp};

const DEPLOYED_MS: i64 = 1_800_000_000_000;
const MINUTE: i64 = 60_000;

fn team_a(target: TargetConfig) -> TeamDeploy {
    TeamDeploy::new(
        deploy_config("team_a", "/nonexistent", &["team_a/"], vec![target]),
        &PathBuf::from("/nonexistent-cache"),
        hangar_server::deploy::git::Network::default(),
    )
}

fn deployed(candidate: &CommitId) -> StoredRequest {
    StoredRequest {
        id: 1,
        team: "team_a".into(),
        deployed: None,
        candidate: candidate.clone(),
        requester_id: 1,
        status: RequestStatus::Deployed,
        break_glass_reason: None,
        created_ms: DEPLOYED_MS - MINUTE,
        expires_ms: DEPLOYED_MS + 60 * MINUTE,
        step: None,
        failure: None,
        attempts: 1,
        deployed_ms: Some(DEPLOYED_MS),
        confirmation: Some("waiting".into()),
        confirmed_ms: None,
        hook_failure: None,
        token_id: None,
        authorship: Authorship::Emails,
        token_creator_id: None,
        token_rotator_id: None,
        outside_files: 0,
    }
}

/// Sets what Airflow last reported for a DAG: its bundle version and parse time.
async fn report(app: &TestApp, dag_id: &str, version: Option<&str>, parsed_ms: i64) {
    let parsed = time::OffsetDateTime::from_unix_timestamp_nanos(parsed_ms as i128 * 1_000_000)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query("UPDATE dags SET bundle_version = $1, last_parsed = $2 WHERE dag_id = $3")
            .bind(version)
            .bind(parsed)
            .bind(dag_id)
            .execute(pool)
            .await
            .unwrap();
    });
}

async fn check(
    app: &TestApp,
    team: &TeamDeploy,
    request: &StoredRequest,
    now_ms: i64,
) -> Confirmation {
    confirm::check(&app.state.db, team, request, now_ms)
        .await
        .unwrap()
}

async fn confirmation_per_kind_of_target(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let candidate = CommitId::parse(&"c".repeat(40)).unwrap();
    let older = "b".repeat(40);
    let request = deployed(&candidate);
    let git = team_a(TargetConfig::Ref {
        reference: "refs/heads/deploy/team_a".into(),
    });
    let directory = team_a(TargetConfig::Directory {
        root: PathBuf::from("/srv/dags/team_a"),
        keep: 3,
        hook: None,
        hook_timeout: std::time::Duration::from_secs(600),
    });

    // No DAG says anything yet: waiting, and late once confirm_within has passed.
    for team in [&git, &directory] {
        assert_eq!(
            check(&app, team, &request, DEPLOYED_MS + MINUTE).await,
            Confirmation::Waiting
        );
        assert_eq!(
            check(&app, team, &request, DEPLOYED_MS + 11 * MINUTE).await,
            Confirmation::Late
        );
    }

    // Another team's DAG at the candidate, parsed after the swap, counts for nobody else.
    app.seed_dag("main", "team_b_dag", Some("team_b")).await;
    report(
        &app,
        "team_b_dag",
        Some(candidate.as_str()),
        DEPLOYED_MS + MINUTE,
    )
    .await;
    app.seed_dag("main", "shared_dag", None).await;
    report(
        &app,
        "shared_dag",
        Some(candidate.as_str()),
        DEPLOYED_MS + MINUTE,
    )
    .await;
    for team in [&git, &directory] {
        assert_eq!(
            check(&app, team, &request, DEPLOYED_MS + 2 * MINUTE).await,
            Confirmation::Waiting
        );
    }

    // A team_a DAG still on the older version, parsed before the swap: nothing yet.
    app.seed_dag("main", "team_a_dag", Some("team_a")).await;
    report(&app, "team_a_dag", Some(&older), DEPLOYED_MS - MINUTE).await;
    assert_eq!(
        check(&app, &git, &request, DEPLOYED_MS + MINUTE).await,
        Confirmation::Waiting
    );
    assert_eq!(
        check(&app, &directory, &request, DEPLOYED_MS + MINUTE).await,
        Confirmation::Waiting
    );

    // Re-parsed after the swap, still the older version: enough for a directory target
    // (which has no version to compare), not for a git bundle.
    report(&app, "team_a_dag", Some(&older), DEPLOYED_MS + 3 * MINUTE).await;
    assert_eq!(
        check(&app, &directory, &request, DEPLOYED_MS + 4 * MINUTE).await,
        Confirmation::Live {
            at_ms: DEPLOYED_MS + 3 * MINUTE
        }
    );
    assert_eq!(
        check(&app, &git, &request, DEPLOYED_MS + 4 * MINUTE).await,
        Confirmation::Waiting
    );

    // The git bundle reports the candidate: live at Airflow's parse time, even after "late".
    report(
        &app,
        "team_a_dag",
        Some(candidate.as_str()),
        DEPLOYED_MS + 12 * MINUTE,
    )
    .await;
    assert_eq!(
        check(&app, &git, &request, DEPLOYED_MS + 13 * MINUTE).await,
        Confirmation::Live {
            at_ms: DEPLOYED_MS + 12 * MINUTE
        }
    );

    // Recording moves waiting → late → live, once each, and never back.
    let deployer = app.seed_user("deployer").await;
    let id = hangar_server::with_pool!(&app.state.db, pool => {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO deploy_requests (team, candidate_sha, requester_id, status, created_ms, \
             expires_ms, updated_ms, deployed_ms, confirmation) \
             VALUES ('team_a', $1, $2, 'deployed', $3, $4, $3, $3, 'waiting') RETURNING id",
        )
        .bind(candidate.as_str())
        .bind(deployer)
        .bind(DEPLOYED_MS)
        .bind(DEPLOYED_MS + 60 * MINUTE)
        .fetch_one(pool)
        .await
        .unwrap()
    });
    assert!(
        !confirm::record(&app.state.db, id, &Confirmation::Waiting)
            .await
            .unwrap()
    );
    assert!(
        confirm::record(&app.state.db, id, &Confirmation::Late)
            .await
            .unwrap()
    );
    assert!(
        !confirm::record(&app.state.db, id, &Confirmation::Late)
            .await
            .unwrap()
    );
    let live = Confirmation::Live {
        at_ms: DEPLOYED_MS + 12 * MINUTE,
    };
    assert!(confirm::record(&app.state.db, id, &live).await.unwrap());
    assert!(
        !confirm::record(&app.state.db, id, &Confirmation::Late)
            .await
            .unwrap()
    );
}

on_both_backends!(confirmation_per_kind_of_target);
