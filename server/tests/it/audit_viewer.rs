//! The audit log viewer on both backends, against a generated log of 20,000 entries: every
//! filter and their combinations page exactly the entries a plain scan finds, in order and
//! without repeats; the exports hold exactly the filtered set; who may see which part; and
//! retention removes old entries while verification still catches an edited, a deleted or a
//! hidden row.

use crate::support;

use hangar_app::functions::ports::Audit;
use hangar_app::models::audit::{
    AUDIT_PAGE_SIZE, AuditCriteria, AuditCursor, AuditFilter, AuditScope, NO_TEAM,
};
use hangar_server::audit::search::{self, Order};
use hangar_server::audit::{self, Actor, AuditEntry, AuditEvent, Outcome, retention};
use hangar_server::db::Db;
use hangar_server::with_pool;
use reqwest::StatusCode;
use support::{Backend, TestApp};

const DAY_MS: i64 = 86_400_000;
const GENERATED: usize = 20_000;

const ACTIONS: [&str; 8] = [
    "dag.pause",
    "dag.trigger",
    "pool.update",
    "variable.reveal",
    "connection.save",
    "deploy.request",
    "deploy.review",
    "token.create",
];
const PEOPLE: [(&str, &str); 5] = [
    ("u-alice", "Alice Ashford"),
    ("u-bob", "Bob Brennan"),
    ("u-carol", "Carol Cho"),
    ("u-dave", "Dave Dunn"),
    ("u-erin", "Erin Eze"),
];

/// A deterministic log: teams, people, actions and outcomes cycle at different periods;
/// every 7th entry shares its time with the one before (so pages break inside a
/// millisecond); every 997th mentions a rare word.
fn generated(base_ms: i64) -> Vec<(i64, AuditEvent)> {
    let mut at = base_ms;
    (0..GENERATED)
        .map(|i| {
            if i % 7 != 0 {
                at += 1_000;
            }
            let (subject, name) = PEOPLE[i % 5];
            let outcome = match i % 11 {
                0 => Outcome::Denied,
                1 | 2 => Outcome::Failure,
                _ => Outcome::Success,
            };
            let mut event = AuditEvent::new(ACTIONS[i % 8], outcome)
                .actor(Some(Actor {
                    issuer: "https://idp.example".into(),
                    subject: subject.into(),
                    display_name: name.into(),
                }))
                .target(format!("main/etl_{:02}", i % 50))
                .detail(if i % 997 == 0 {
                    format!("Needle_{i} 100% found")
                } else {
                    format!("step {} of the nightly run", i % 13)
                });
            match i % 3 {
                0 => event = event.team("team_a"),
                1 => event = event.team("team_b"),
                _ => {}
            }
            (at, event)
        })
        .collect()
}

async fn whole_log(db: &Db) -> Vec<AuditEntry> {
    let mut all = Vec::new();
    loop {
        let after = all.last().map_or(0, |e: &AuditEntry| e.seq);
        let batch = audit::entries_after(db, after, 5_000).await.unwrap();
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

/// What the filters mean, said plainly over the whole log.
fn matches(entry: &AuditEntry, c: &AuditCriteria) -> bool {
    let text = [
        entry.actor_name.as_deref().unwrap_or(""),
        entry.actor_subject.as_deref().unwrap_or(""),
        entry.team.as_deref().unwrap_or(""),
        &entry.action,
        entry.target.as_deref().unwrap_or(""),
        &entry.outcome,
        entry.detail.as_deref().unwrap_or(""),
        entry.request_id.as_deref().unwrap_or(""),
    ]
    .join(" ")
    .to_lowercase();
    c.team.as_ref().is_none_or(|team| entry.team == *team)
        && c.actor.as_ref().is_none_or(|actor| {
            entry.actor_subject.as_deref() == Some(actor.as_str())
                || entry.actor_name.as_ref().map(|n| n.to_lowercase()) == Some(actor.to_lowercase())
        })
        && c.action.as_ref().is_none_or(|a| entry.action == *a)
        && c.outcome.as_ref().is_none_or(|o| entry.outcome == *o)
        && c.from_ms.is_none_or(|from| entry.at_ms >= from)
        && c.to_ms.is_none_or(|to| entry.at_ms < to)
        && c.text.as_ref().is_none_or(|t| text.contains(t.as_str()))
}

fn filter(pairs: &[(&str, &str)]) -> AuditFilter {
    AuditFilter::from_params(|name| {
        pairs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    })
}

fn day(ms: i64) -> String {
    hangar_app::time_text::utc_second(ms)[..10].to_string()
}

async fn seeded(backend: Backend) -> (TestApp, Vec<AuditEntry>) {
    let app = TestApp::spawn(backend).await;
    let base = app.state.clock.now_ms() - 2 * DAY_MS;
    audit::append_batch(&app.state.db, generated(base))
        .await
        .unwrap();
    let log = whole_log(&app.state.db).await;
    (app, log)
}

async fn filters_page_exactly_what_a_scan_finds(backend: Backend) {
    let (app, log) = seeded(backend).await;
    assert_eq!(log.len(), GENERATED);
    let first_day = day(log[0].at_ms);
    let cases: Vec<(AuditScope, AuditFilter)> = vec![
        (
            AuditScope::Platform,
            filter(&[("team", "team_a"), ("outcome", "denied")]),
        ),
        (
            AuditScope::Platform,
            filter(&[("team", NO_TEAM), ("action", "variable.reveal")]),
        ),
        (
            AuditScope::Platform,
            filter(&[("actor", "carol cho"), ("outcome", "failure")]),
        ),
        (
            AuditScope::Platform,
            filter(&[("actor", "u-erin"), ("to", &first_day)]),
        ),
        (AuditScope::Platform, filter(&[("q", "NEEDLE_")])),
        (AuditScope::Platform, filter(&[("q", "100%")])),
        (
            AuditScope::Platform,
            filter(&[("q", "etl_08"), ("action", "dag.pause")]),
        ),
        (AuditScope::Platform, filter(&[("q", "d")])),
        (
            AuditScope::Team("team_b".into()),
            filter(&[("team", "team_a"), ("action", "deploy.review")]),
        ),
        (
            AuditScope::Team("team_a".into()),
            filter(&[("from", &first_day), ("to", &first_day), ("q", "nightly")]),
        ),
    ];
    let pages = hangar_server::ports::audit::AuditPages::new(
        app.state.db.clone(),
        vec!["team_a".into(), "team_b".into()],
        &app.state.config.audit,
    );
    for (scope, filter) in cases {
        let criteria = filter.criteria(&scope).unwrap();
        let mut expected: Vec<&AuditEntry> = log.iter().filter(|e| matches(e, &criteria)).collect();
        expected.sort_by_key(|e| std::cmp::Reverse((e.at_ms, e.seq)));
        assert!(!expected.is_empty(), "{filter:?} matches something");
        // Walk the viewer's pages to the end (at most 12: the long ones are checked by
        // their first pages, the short ones whole).
        let mut seen: Vec<(i64, String, Option<String>)> = Vec::new();
        let mut before: Option<AuditCursor> = None;
        for _ in 0..12 {
            let page = pages
                .page(
                    &support::acting_for_tests(),
                    scope.clone(),
                    filter.clone(),
                    before,
                )
                .await
                .unwrap();
            assert_eq!(page.filter_error, None);
            assert!(page.rows.len() <= AUDIT_PAGE_SIZE);
            let platform = scope == AuditScope::Platform;
            assert!(page.rows.iter().all(|row| row.seq.is_some() == platform));
            seen.extend(
                page.rows
                    .iter()
                    .map(|row| (row.at_ms, row.action.clone(), row.detail.clone())),
            );
            match page.older {
                Some(cursor) => before = Some(cursor),
                None => {
                    assert_eq!(seen.len(), expected.len(), "{filter:?}: the whole set");
                    break;
                }
            }
        }
        let want: Vec<(i64, String, Option<String>)> = expected
            .iter()
            .take(seen.len())
            .map(|e| (e.at_ms, e.action.clone(), e.detail.clone()))
            .collect();
        assert_eq!(seen, want, "{scope:?} {filter:?}");
    }
    // The export's batches, in chain order, hold the whole filtered set.
    let criteria = filter(&[("team", "team_b"), ("q", "etl_1")])
        .criteria(&AuditScope::Platform)
        .unwrap();
    let mut exported = Vec::new();
    let mut after = 0;
    loop {
        let batch = search::fetch(&app.state.db, &criteria, Order::ChainAfter(after), 700)
            .await
            .unwrap();
        let Some(last) = batch.last() else { break };
        after = last.seq;
        exported.extend(batch.into_iter().map(|e| e.seq));
    }
    let expected: Vec<i64> = log
        .iter()
        .filter(|e| matches(e, &criteria))
        .map(|e| e.seq)
        .collect();
    assert_eq!(exported, expected);
}

fn rows(html: &str) -> Vec<(String, String)> {
    let Some(table) = html.split(r#"data-testid="audit-log""#).nth(1) else {
        return Vec::new();
    };
    let table = &table[..table.find("</table>").unwrap()];
    table
        .split("<tr data-action=\"")
        .skip(1)
        .map(|rest| {
            let action = rest.split('"').next().unwrap().to_string();
            let team = rest
                .split("data-team=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string();
            (action, team)
        })
        .collect()
}

async fn pages_and_exports_over_http(backend: Backend) {
    let (app, _) = seeded(backend).await;
    let platform = app.signed_in("platform_admin").await;
    let admin = app.signed_in("admin").await;
    let log = whole_log(&app.state.db).await;

    // The platform page, filtered by team and action.
    let response = platform
        .get("/platform/audit?team=team_b&action=dag.trigger")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    let shown = rows(&html);
    assert_eq!(shown.len(), AUDIT_PAGE_SIZE);
    assert!(
        shown
            .iter()
            .all(|(a, t)| a == "dag.trigger" && t == "team_b")
    );
    assert!(html.contains(r#"data-testid="audit-older""#));
    assert!(html.contains("Not verified") || html.contains("not been verified"));

    // A team admin: their team only, whatever the query says; no sequence numbers.
    let html = admin
        .get("/t/team_a/audit?team=team_b")
        .await
        .text()
        .await
        .unwrap();
    let shown = rows(&html);
    assert!(!shown.is_empty());
    assert!(shown.iter().all(|(_, t)| t == "team_a"), "{shown:?}");
    assert!(!html.contains(r#"<td class="seq">"#));
    assert!(
        !html.contains("team_b"),
        "another team's name leaks into the page"
    );
    for path in [
        "/platform/audit",
        "/platform/audit/export?format=ndjson",
        "/t/team_b/audit",
        "/t/team_b/audit/export?format=csv",
    ] {
        assert_eq!(
            admin.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let (status, _) = admin
        .function("platform_audit", &[("filter[team]", "")])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let viewer = app.signed_in("viewer").await;
    assert_eq!(
        viewer.get("/t/team_a/audit").await.status(),
        StatusCode::NOT_FOUND
    );

    // The platform export: exactly the filtered set, in chain order, each line's hash right.
    let response = platform
        .get("/platform/audit/export?format=ndjson&outcome=denied&q=etl_3")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let body = response.text().await.unwrap();
    let criteria = filter(&[("outcome", "denied"), ("q", "etl_3")])
        .criteria(&AuditScope::Platform)
        .unwrap();
    let expected: Vec<&AuditEntry> = log.iter().filter(|e| matches(e, &criteria)).collect();
    let lines: Vec<serde_json::Value> = body
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), expected.len());
    for (line, entry) in lines.iter().zip(&expected) {
        assert_eq!(line["seq"].as_i64(), Some(entry.seq));
        assert_eq!(line["hash"].as_str(), Some(entry.compute_hash().as_str()));
        assert_eq!(line["outcome"], "denied");
    }
    let recorded = whole_log(&app.state.db).await.pop().unwrap();
    assert_eq!(recorded.action, "audit.export");
    assert_eq!(recorded.actor_subject.as_deref(), Some("platform_admin"));
    assert!(recorded.detail.unwrap().contains("outcome=denied"));

    // CSV: a header and one line per entry (the generated texts have no line breaks).
    let csv = platform
        .get("/platform/audit/export?format=csv&team=-")
        .await
        .text()
        .await
        .unwrap();
    // Read after the export: the export's own entry (no team) is part of what it sent.
    let no_team = whole_log(&app.state.db)
        .await
        .iter()
        .filter(|e| e.team.is_none())
        .count();
    assert_eq!(csv.lines().count(), no_team + 1);
    assert!(csv.starts_with("seq,at,actor_name"));

    // A team's export: the team's entries, without their places in the chain.
    let team_export = admin
        .get("/t/team_a/audit/export?format=ndjson&team=team_b")
        .await
        .text()
        .await
        .unwrap();
    let team_lines: Vec<serde_json::Value> = team_export
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let team_a = whole_log(&app.state.db)
        .await
        .iter()
        .filter(|e| e.team.as_deref() == Some("team_a"))
        .count();
    assert_eq!(team_lines.len(), team_a);
    assert!(
        team_lines
            .iter()
            .all(|l| l["team"] == "team_a" && l.get("seq").is_none())
    );

    // Bad filters: the page names the field and shows nothing; the export refuses.
    let html = platform
        .get("/platform/audit?from=yesterday")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"data-testid="filter-error""#) && html.contains("From:"));
    assert!(rows(&html).is_empty());
    let response = platform.get("/platform/audit/export?format=xml").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("format"));
    let response = platform
        .get("/platform/audit/export?format=csv&to=2026-13-01")
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().starts_with("To:"));
}

async fn execute(db: &Db, sql: &str) -> Result<u64, sqlx::Error> {
    with_pool!(db, pool => sqlx::query(sql).execute(pool).await.map(|r| r.rows_affected()))
}

async fn drop_append_only_guard(db: &Db) {
    match db {
        Db::Sqlite(_) => {
            execute(db, "DROP TRIGGER audit_log_no_delete")
                .await
                .unwrap();
            execute(db, "DROP TRIGGER audit_log_no_update")
                .await
                .unwrap();
        }
        Db::Postgres(_) => {
            execute(db, "DROP TRIGGER audit_log_no_change ON audit_log")
                .await
                .unwrap();
        }
    }
}

async fn retention_keeps_the_chain_verifiable(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = &app.state.db;
    let now = app.state.clock.now_ms();
    // 1,200 entries a year old, then 300 of the last days.
    let mut events = generated(now - 400 * DAY_MS);
    events.truncate(1_200);
    let mut recent = generated(now - 3 * DAY_MS);
    recent.truncate(300);
    events.extend(recent);
    audit::append_batch(db, events).await.unwrap();
    let before = whole_log(db).await;
    let archive = tempfile::tempdir().unwrap();
    let keep = std::time::Duration::from_secs(30 * 86_400);

    // Nothing outside retention may be deleted, even by hand.
    assert!(
        execute(db, "DELETE FROM audit_log WHERE seq = 1")
            .await
            .is_err()
    );

    // One step at a time, capped; here one step removes all old entries.
    let record = retention::step(db, now, keep, Some(archive.path()))
        .await
        .unwrap()
        .expect("old entries are removed");
    assert_eq!((record.through_seq, record.removed), (1_200, 1_200));
    assert_eq!(record.through_hash, before[1_199].hash);
    assert!(
        retention::step(db, now, keep, Some(archive.path()))
            .await
            .unwrap()
            .is_none()
    );
    let kept = whole_log(db).await;
    assert_eq!(kept.first().unwrap().seq, 1_201);
    assert_eq!(kept.last().unwrap().action, "audit.retention");

    // The archive holds exactly the removed entries, and its digest is the recorded one.
    let name = record.archive.clone().unwrap();
    let bytes = std::fs::read(archive.path().join(&name)).unwrap();
    use sha2::Digest;
    assert_eq!(
        Some(hex::encode(sha2::Sha256::digest(&bytes))),
        record.archive_sha256
    );
    let archived: Vec<serde_json::Value> = String::from_utf8(bytes)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(archived.len(), 1_200);
    assert_eq!(archived[0]["prev_hash"], audit::GENESIS_HASH);
    assert_eq!(
        archived[1_199]["hash"].as_str(),
        Some(record.through_hash.as_str())
    );

    // The chain verifies from the checkpoint; the search index forgot the removed entries.
    let report = audit::verify(db).await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!((report.from_seq, report.entries_checked), (1_201, 301));
    let needle = filter(&[("q", "needle_997")])
        .criteria(&AuditScope::Platform)
        .unwrap();
    assert!(
        search::fetch(db, &needle, Order::NewestFirst(None), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // A kept entry deleted by hand is still found.
    drop_append_only_guard(db).await;
    execute(db, "DELETE FROM audit_log WHERE seq = 1250")
        .await
        .unwrap();
    let (seq, what) = audit::verify(db).await.unwrap().problem.unwrap();
    assert_eq!(seq, 1_250);
    assert!(what.contains("missing"), "{what}");
}

async fn a_checkpoint_moved_by_hand_is_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = &app.state.db;
    let now = app.state.clock.now_ms();
    let mut events = generated(now - DAY_MS);
    events.truncate(200);
    audit::append_batch(db, events).await.unwrap();
    let log = whole_log(db).await;
    // Someone hides the first 50 entries: deletes them and moves the checkpoint so that the
    // rest still links.
    drop_append_only_guard(db).await;
    let sql = format!(
        "UPDATE audit_checkpoint SET through_seq = 50, through_hash = '{}' WHERE id = 1",
        log[49].hash
    );
    execute(db, &sql).await.unwrap();
    execute(db, "DELETE FROM audit_log WHERE seq <= 50")
        .await
        .unwrap();
    let (seq, what) = audit::verify(db).await.unwrap().problem.unwrap();
    assert_eq!(seq, 51);
    assert!(what.contains("no retention entry"), "{what}");

    // An edited entry is found after a real retention step too.
    let app = TestApp::spawn(backend).await;
    let db = &app.state.db;
    let mut events = generated(now - 90 * DAY_MS);
    events.truncate(100);
    let mut recent = generated(now - DAY_MS);
    recent.truncate(100);
    events.extend(recent);
    audit::append_batch(db, events).await.unwrap();
    let keep = std::time::Duration::from_secs(30 * 86_400);
    retention::step(db, now, keep, None).await.unwrap().unwrap();
    drop_append_only_guard(db).await;
    execute(
        db,
        "UPDATE audit_log SET detail = 'rewritten' WHERE seq = 150",
    )
    .await
    .unwrap();
    let (seq, what) = audit::verify(db).await.unwrap().problem.unwrap();
    assert_eq!(seq, 150);
    assert!(what.contains("changed"), "{what}");
}

/// The background upkeep records its verification; the platform page shows where the chain
/// broke, a team's page only that it did.
async fn the_verification_is_shown_by_scope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let platform = app.signed_in("platform_admin").await;
    let admin = app.signed_in("admin").await;
    let db = &app.state.db;
    let mut events = generated(app.state.clock.now_ms() - DAY_MS);
    events.truncate(30);
    audit::append_batch(db, events).await.unwrap();
    let config = app.state.config.audit.clone();
    let report = audit::worker::run_once(db, app.state.clock.as_ref(), &config)
        .await
        .unwrap();
    assert!(report.is_intact());
    let html = platform.get("/platform/audit").await.text().await.unwrap();
    assert!(html.contains(r#"data-intact="true""#), "{html}");
    assert!(html.contains(&format!(
        "({} entries at that time)",
        report.entries_checked
    )));

    drop_append_only_guard(db).await;
    execute(
        db,
        "UPDATE audit_log SET detail = 'rewritten' WHERE seq = 20",
    )
    .await
    .unwrap();
    let report = audit::worker::run_once(db, app.state.clock.as_ref(), &config)
        .await
        .unwrap();
    assert_eq!(report.problem.as_ref().map(|p| p.0), Some(20));
    let html = platform.get("/platform/audit").await.text().await.unwrap();
    assert!(html.contains(r#"data-intact="false""#));
    assert!(html.contains("entry 20 was changed"));
    let html = admin.get("/t/team_a/audit").await.text().await.unwrap();
    assert!(html.contains(r#"data-intact="false""#));
    assert!(!html.contains("entry 20"), "a team learns that, not where");
    assert!(html.contains("A platform admin can see where"));
}

on_both_backends!(
    filters_page_exactly_what_a_scan_finds,
    pages_and_exports_over_http,
    retention_keeps_the_chain_verifiable,
    a_checkpoint_moved_by_hand_is_found,
    the_verification_is_shown_by_scope,
);
