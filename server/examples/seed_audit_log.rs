//! Fills the audit log with a synthetic history for the audit viewer's benchmark
//! (`end2end/scripts/bench-audit.sh`): `entries` entries over the last 180 days (newest now),
//! a valid hash chain, by 500 people across the demo's teams and `teams` synthetic ones,
//! with the actions and outcomes of a busy platform; every 10,007th entry mentions the rare
//! word `needle`.
//!
//! ```sh
//! cargo run --release -p hangar-server --example seed_audit_log -- sqlite:///tmp/bench.db 1000000 50
//! ```
//! Arguments: database URL, entries, synthetic teams. The database is migrated first; the
//! entries are appended after whatever the log holds.

use std::time::{SystemTime, UNIX_EPOCH};

use hangar_app::functions::ports::RequestId;
use hangar_server::audit::{self, Actor, AuditEvent, Outcome};
use hangar_server::db::Db;

const ACTIONS: [&str; 12] = [
    "auth.login",
    "dag.pause",
    "dag.unpause",
    "dag.trigger",
    "run.clear",
    "pool.update",
    "connection.save",
    "variable.reveal",
    "deploy.request",
    "deploy.review",
    "deploy.run",
    "token.create",
];
const PEOPLE: usize = 500;
/// Entries per transaction.
const BATCH: usize = 10_000;
const SPAN_MS: i64 = 180 * 86_400_000;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("missing argument: database URL");
    let entries: usize = args
        .next()
        .and_then(|n| n.parse().ok())
        .expect("missing argument: entries (a number)");
    let synthetic: usize = args
        .next()
        .and_then(|n| n.parse().ok())
        .expect("missing argument: synthetic teams (a number)");
    let db = Db::connect(&url, 2).await.expect("database reachable");
    db.migrate().await.expect("migrations apply");
    let mut teams: Vec<String> = vec!["team_a".into(), "team_b".into()];
    teams.extend((0..synthetic).map(|t| format!("bench_team_{t:02}")));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let step = SPAN_MS / entries.max(1) as i64;
    let started = std::time::Instant::now();
    let mut written = 0;
    while written < entries {
        let count = BATCH.min(entries - written);
        let events = (written..written + count)
            .map(|i| (now - SPAN_MS + i as i64 * step, event(i, &teams)))
            .collect();
        audit::append_batch(&db, events)
            .await
            .expect("entries appended");
        written += count;
        if written % 100_000 == 0 || written == entries {
            eprintln!(
                "{written} entries ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    if let Db::Postgres(pool) = &db {
        // As autovacuum would on a running server: fresh statistics for the planner.
        sqlx::query("VACUUM ANALYZE audit_log")
            .execute(pool)
            .await
            .expect("vacuum");
    }
}

fn event(i: usize, teams: &[String]) -> AuditEvent {
    let person = i * 7 % PEOPLE;
    let action = ACTIONS[i % ACTIONS.len()];
    let outcome = match i % 23 {
        0 => Outcome::Denied,
        1..=3 => Outcome::Failure,
        _ => Outcome::Success,
    };
    let detail = if i.is_multiple_of(10_007) {
        format!("needle {i}: a rare entry")
    } else {
        format!("step {} of the nightly maintenance", i % 17)
    };
    let mut event = AuditEvent::new(action, outcome)
        .actor(Some(Actor {
            issuer: "https://idp.example.com".into(),
            subject: format!("user-{person:03}"),
            display_name: format!("Person {person:03}"),
        }))
        .target(format!("main/etl_{:03}", i % 400))
        .detail(detail)
        .request_id(Some(RequestId(format!("{i:016x}"))));
    // One in ten entries concerns no team (sign-ins, refused requests).
    if !i.is_multiple_of(10) {
        event = event.team(teams[i % teams.len()].clone());
    }
    event
}
