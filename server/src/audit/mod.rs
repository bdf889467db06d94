//! The audit log: append-only, each entry hash-chained to the one before.
//!
//! Appends are serialised through the single `audit_head` row (a row lock on PostgreSQL, the
//! write lock on SQLite), which hands out gapless sequence numbers and the previous hash.
//! [`verify`] recomputes the chain: an edited row breaks its hash, a deleted row leaves a
//! gap, a truncated tail disagrees with the head.
//!
//! The rest serves the viewer (docs/audit.md): `search` pages and streams filtered entries,
//! `export` writes them as NDJSON or CSV, `retention` removes old entries behind a recorded
//! checkpoint, `worker` verifies and prunes periodically; `ports/audit.rs` serves the viewer.

mod chain;
pub mod export;
pub mod refusals;
pub mod retention;
pub mod search;
pub mod worker;

pub use chain::{
    StoredVerification, Verification, latest_verification, record_verification, verify,
};

use hangar_app::functions::ports::{Acting, RequestId};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::db::{Db, query_result};
use crate::error::ServerError;
use crate::with_pool;

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Denied => "denied",
        }
    }
}

/// Who did it: the identity-provider identity (or a token's own), with the name shown at
/// the time.
pub use hangar_app::functions::ports::Actor;

/// One thing that happened, before it gets its place in the chain.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    pub actor: Option<Actor>,
    pub team: Option<String>,
    pub action: &'static str,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub detail: Option<String>,
    pub request_id: Option<String>,
}

impl AuditEvent {
    pub fn new(action: &'static str, outcome: Outcome) -> Self {
        Self {
            actor: None,
            team: None,
            action,
            target: None,
            outcome,
            detail: None,
            request_id: None,
        }
    }

    /// What the acting caller did in this request: their actor and the request's id. The one
    /// way an entry is written on a caller's behalf (ports, the API, the HTTP routes alike).
    pub fn by(acting: &Acting, action: &'static str, outcome: Outcome) -> Self {
        Self::new(action, outcome)
            .actor(Some(acting.actor.clone()))
            .request_id(Some(acting.request_id.clone()))
    }

    pub fn actor(mut self, actor: Option<Actor>) -> Self {
        self.actor = actor;
        self
    }

    pub fn team(mut self, team: impl Into<String>) -> Self {
        self.team = Some(team.into());
        self
    }

    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn request_id(mut self, request_id: Option<RequestId>) -> Self {
        self.request_id = request_id.map(|id| id.0);
        self
    }
}

/// A stored entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub actor_issuer: Option<String>,
    pub actor_subject: Option<String>,
    pub actor_name: Option<String>,
    pub team: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// `event` as entry `seq`, linked to `prev_hash` and hashed.
    fn chained(seq: i64, at_ms: i64, event: AuditEvent, prev_hash: String) -> Self {
        let mut entry = Self {
            seq,
            at_ms,
            actor_issuer: event.actor.as_ref().map(|a| a.issuer.clone()),
            actor_subject: event.actor.as_ref().map(|a| a.subject.clone()),
            actor_name: event.actor.as_ref().map(|a| a.display_name.clone()),
            team: event.team,
            action: event.action.to_string(),
            target: event.target,
            outcome: event.outcome.as_str().to_string(),
            detail: event.detail,
            request_id: event.request_id,
            prev_hash,
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// The hash covers every field and the previous hash, in a fixed JSON array form so that
    /// no two different entries can serialise alike.
    pub fn compute_hash(&self) -> String {
        let canonical = serde_json::json!([
            self.seq,
            self.at_ms,
            self.actor_issuer,
            self.actor_subject,
            self.actor_name,
            self.team,
            self.action,
            self.target,
            self.outcome,
            self.detail,
            self.request_id,
            self.prev_hash,
        ]);
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

/// Appends `event` at time `at_ms` and returns its sequence number.
pub async fn append(db: &Db, at_ms: i64, event: AuditEvent) -> Result<i64, ServerError> {
    query_result(with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        // Taking the head row first serialises appenders: the write lock on SQLite, the row
        // lock on PostgreSQL. The returned hash is the previous entry's.
        let head = sqlx::query(
            "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
        )
        .fetch_one(&mut *tx)
        .await?;
        let entry = AuditEntry::chained(head.try_get("seq")?, at_ms, event, head.try_get("hash")?);
        sqlx::query(
            "INSERT INTO audit_log (seq, at_ms, actor_issuer, actor_subject, actor_name, team, \
             action, target, outcome, detail, request_id, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(entry.seq)
        .bind(entry.at_ms)
        .bind(&entry.actor_issuer)
        .bind(&entry.actor_subject)
        .bind(&entry.actor_name)
        .bind(&entry.team)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(&entry.outcome)
        .bind(&entry.detail)
        .bind(&entry.request_id)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&entry.hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(entry.seq)
    }))
}

/// Appends many events in one transaction, in order (imports, the benchmark's seeder, tests
/// that need a large log). The chain is the same as `append` one by one would build.
pub async fn append_batch(db: &Db, events: Vec<(i64, AuditEvent)>) -> Result<(), sqlx::Error> {
    /// Rows per INSERT: 13 binds each stays under both backends' parameter limits.
    const ROWS_PER_INSERT: usize = 500;
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let head = sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *tx)
            .await?;
        let mut seq: i64 = head.try_get("seq")?;
        let mut prev_hash: String = head.try_get("hash")?;
        let mut entries = Vec::with_capacity(events.len());
        for (at_ms, event) in events {
            seq += 1;
            let entry = AuditEntry::chained(seq, at_ms, event, prev_hash);
            prev_hash = entry.hash.clone();
            entries.push(entry);
        }
        for chunk in entries.chunks(ROWS_PER_INSERT) {
            let mut builder = sqlx::QueryBuilder::new(format!(
                "INSERT INTO audit_log ({ENTRY_COLUMNS}) "
            ));
            builder.push_values(chunk, |mut row, entry| {
                row.push_bind(entry.seq)
                    .push_bind(entry.at_ms)
                    .push_bind(&entry.actor_issuer)
                    .push_bind(&entry.actor_subject)
                    .push_bind(&entry.actor_name)
                    .push_bind(&entry.team)
                    .push_bind(&entry.action)
                    .push_bind(&entry.target)
                    .push_bind(&entry.outcome)
                    .push_bind(&entry.detail)
                    .push_bind(&entry.request_id)
                    .push_bind(&entry.prev_hash)
                    .push_bind(&entry.hash);
            });
            builder.build().execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(&prev_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    })
}

/// Entries with `seq > after`, oldest first, at most `limit`.
pub async fn entries_after(
    db: &Db,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    with_pool!(db, pool => {
        let rows = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    })
}

/// The columns [`entry_from_row`] reads, in a form SELECT lists can use.
pub const ENTRY_COLUMNS: &str = "seq, at_ms, actor_issuer, actor_subject, actor_name, team, \
     action, target, outcome, detail, request_id, prev_hash, hash";

/// Reads an [`AuditEntry`] from a row of either backend selected with [`ENTRY_COLUMNS`].
pub fn entry_from_row<'r, R>(row: &'r R) -> Result<AuditEntry, sqlx::Error>
where
    R: Row,
    &'r str: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at_ms")?,
        actor_issuer: row.try_get("actor_issuer")?,
        actor_subject: row.try_get("actor_subject")?,
        actor_name: row.try_get("actor_name")?,
        team: row.try_get("team")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        outcome: row.try_get("outcome")?,
        detail: row.try_get("detail")?,
        request_id: row.try_get("request_id")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}
