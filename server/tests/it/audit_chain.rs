//! The audit log's hash chain on both backends: appends under concurrency stay one chain,
//! and an edited or deleted row is found by `verify` and by `hangar audit verify`.

use crate::support;

use std::process::Command;

use hangar_server::audit::{self, AuditEvent, Outcome};
use hangar_server::db::Db;
use hangar_server::with_pool;
use support::{Backend, TestApp};

async fn execute(db: &Db, sql: &str) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => sqlx::query(sql).execute(pool).await.map(|_| ()))
}

/// Removes the append-only triggers, as someone with direct database access could.
async fn drop_append_only_guard(db: &Db) {
    match db {
        Db::Sqlite(_) => {
            execute(db, "DROP TRIGGER audit_log_no_update")
                .await
                .unwrap();
            execute(db, "DROP TRIGGER audit_log_no_delete")
                .await
                .unwrap();
        }
        Db::Postgres(_) => execute(db, "DROP TRIGGER audit_log_no_change ON audit_log")
            .await
            .unwrap(),
    }
}

async fn concurrent_appends_form_one_chain(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = app.state.db.clone();
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                audit::append(
                    &db,
                    1_000 + i,
                    AuditEvent::new("test.event", Outcome::Success).detail(format!("n{i}")),
                )
                .await
                .unwrap()
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(task.await.unwrap());
    }
    seqs.sort();
    assert_eq!(
        seqs,
        (1..=40).collect::<Vec<i64>>(),
        "gapless, no duplicates"
    );
    let report = audit::verify(&db).await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.entries_checked, 40);
}

async fn the_log_is_append_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.signed_in("author").await;
    let db = &app.state.db;
    assert!(
        execute(db, "UPDATE audit_log SET detail = 'x'")
            .await
            .is_err()
    );
    assert!(execute(db, "DELETE FROM audit_log").await.is_err());
    assert!(audit::verify(db).await.unwrap().is_intact());
}

async fn verify_finds_an_edited_row(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for user in ["author", "viewer", "admin"] {
        app.signed_in(user).await;
    }
    let db = &app.state.db;
    assert!(audit::verify(db).await.unwrap().is_intact());
    drop_append_only_guard(db).await;
    execute(
        db,
        "UPDATE audit_log SET actor_name = 'Someone Else' WHERE seq = 2",
    )
    .await
    .unwrap();
    let report = audit::verify(db).await.unwrap();
    let (seq, what) = report.problem.expect("the edit is found");
    assert_eq!(seq, 2);
    assert!(what.contains("changed"), "{what}");
}

async fn verify_finds_a_deleted_row(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for user in ["author", "viewer", "admin"] {
        app.signed_in(user).await;
    }
    let db = &app.state.db;
    drop_append_only_guard(db).await;
    execute(db, "DELETE FROM audit_log WHERE seq = 2")
        .await
        .unwrap();
    let (seq, what) = audit::verify(db)
        .await
        .unwrap()
        .problem
        .expect("the gap is found");
    assert_eq!(seq, 2);
    assert!(what.contains("missing"), "{what}");

    // Deleting the newest entry leaves no gap; the head still knows.
    let app = TestApp::spawn(backend).await;
    app.signed_in("author").await;
    app.signed_in("viewer").await;
    let db = &app.state.db;
    drop_append_only_guard(db).await;
    execute(db, "DELETE FROM audit_log WHERE seq = 2")
        .await
        .unwrap();
    let (_, what) = audit::verify(db)
        .await
        .unwrap()
        .problem
        .expect("truncation is found");
    assert!(what.contains("2 entries were written"), "{what}");
}

/// The server verifies while people work: appends during the walk are not a break.
async fn verifying_while_entries_are_appended_stays_intact(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = app.state.db.clone();
    let events = (0..3_000)
        .map(|i| (i, AuditEvent::new("test.event", Outcome::Success)))
        .collect();
    audit::append_batch(&db, events).await.unwrap();
    let writer = {
        let db = db.clone();
        tokio::spawn(async move {
            for i in 0..200 {
                audit::append(
                    &db,
                    10_000 + i,
                    AuditEvent::new("test.late", Outcome::Success),
                )
                .await
                .unwrap();
            }
        })
    };
    let mut reports = Vec::new();
    while !writer.is_finished() {
        reports.push(audit::verify(&db).await.unwrap());
    }
    writer.await.unwrap();
    assert!(!reports.is_empty());
    for report in &reports {
        assert!(report.is_intact(), "{report:?}");
        assert!(report.entries_checked >= 3_000);
    }
    let last = audit::verify(&db).await.unwrap();
    assert_eq!((last.entries_checked, last.problem), (3_200, None));
}

on_both_backends!(
    verifying_while_entries_are_appended_stays_intact,
    concurrent_appends_form_one_chain,
    the_log_is_append_only,
    verify_finds_an_edited_row,
    verify_finds_a_deleted_row,
);

/// `hangar audit verify` on a real database file: exit 0 when intact, 3 when broken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_reports_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("h.db");
    let config = dir.path().join("hangar.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"sqlite://{}\"\n[oidc]\nissuer = \"http://127.0.0.1:9\"\nclient_id = \"h\"\nclient_secret = \"s\"\n",
            db_path.display()
        ),
    )
    .unwrap();
    let db = Db::connect(&format!("sqlite://{}", db_path.display()), 1)
        .await
        .unwrap();
    db.migrate().await.unwrap();
    for i in 0..3 {
        audit::append(&db, i, AuditEvent::new("test.event", Outcome::Success))
            .await
            .unwrap();
    }
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_hangar"))
            .args(["audit", "verify", "--config"])
            .arg(&config)
            .output()
            .unwrap()
    };
    let intact = run();
    assert_eq!(intact.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&intact.stdout).contains("3 entries verified"));
    // The verification is recorded for the viewer.
    let recorded = audit::latest_verification(&db).await.unwrap().unwrap();
    assert_eq!(recorded.verification.entries_checked, 3);

    // `audit export`: the filtered set in chain order, into a file replaced only when whole.
    audit::append(
        &db,
        5,
        AuditEvent::new("other.event", Outcome::Denied).team("team_a"),
    )
    .await
    .unwrap();
    let exported = dir.path().join("audit.ndjson");
    let export = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_hangar"))
            .args(["audit", "export", "--config"])
            .arg(&config)
            .args(args)
            .output()
            .unwrap()
    };
    let output = export(&[
        "--action",
        "test.event",
        "--output",
        exported.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&exported)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seqs: Vec<i64> = lines.iter().map(|l| l["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    let csv = export(&["--format", "csv", "--outcome", "denied"]);
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.lines().nth(1).unwrap().contains(",team_a,other.event,"));
    let bad = export(&["--from", "last week"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("From:"));
    drop_append_only_guard(&db).await;
    execute(
        &db,
        "UPDATE audit_log SET outcome = 'failure' WHERE seq = 3",
    )
    .await
    .unwrap();
    let broken = run();
    assert_eq!(broken.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("BROKEN at entry 3"));
}
