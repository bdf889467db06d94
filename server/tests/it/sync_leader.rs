//! Several replicas on one PostgreSQL: exactly one leads each environment's sync, and a
//! standby takes over when the leader goes away.

use crate::support;

use std::time::Duration;

use hangar_server::sync::leader::try_lead;
use support::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_leads_each_environment_and_a_standby_takes_over() {
    let app = TestApp::spawn_with_dead_airflow(Backend::Postgres).await;
    let db = &app.state.db;
    let mut leader = try_lead(db, "main")
        .await
        .unwrap()
        .expect("the first replica leads");
    assert!(leader.still_leads().await);
    // Each attempt uses its own database session, as another replica's would.
    assert!(
        try_lead(db, "main").await.unwrap().is_none(),
        "one leader per environment"
    );
    let other_env = try_lead(db, "other").await.unwrap();
    assert!(other_env.is_some(), "environments are led independently");

    drop(leader);
    let mut took_over = false;
    for _ in 0..50 {
        if try_lead(db, "main").await.unwrap().is_some() {
            took_over = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(took_over, "a standby leads once the leader is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_the_single_replica_always_leads() {
    let app = TestApp::spawn_with_dead_airflow(Backend::Sqlite).await;
    assert!(try_lead(&app.state.db, "main").await.unwrap().is_some());
    assert!(try_lead(&app.state.db, "main").await.unwrap().is_some());
}
