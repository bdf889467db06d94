//! Retention: entries older than the configured age are archived (optionally) and removed,
//! the oldest first, without breaking verification.
//!
//! One step, in this order, so that a crash anywhere leaves a log that still verifies:
//! 1. write the entries to the archive file (temporary name, synced, renamed into place);
//! 2. append an `audit.retention` entry recording the last removed entry's seq and hash and
//!    the archive's SHA-256 — the chain now vouches for the checkpoint to come;
//! 3. in one transaction move the checkpoint there and delete the entries up to it (the
//!    delete trigger allows exactly those).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{AuditEvent, Outcome, append, entries_after};
use crate::db::{Db, query_result};
use crate::error::ServerError;
use crate::with_pool;

pub const RETENTION_ACTION: &str = "audit.retention";
/// Entries removed per step, so one step's transaction stays short; the worker repeats.
pub const STEP_ENTRIES: i64 = 50_000;

/// What an `audit.retention` entry records (its `detail`, as JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRecord {
    pub through_seq: i64,
    pub through_hash: String,
    pub removed: i64,
    /// The archive's file name in the archive folder, when entries were archived.
    pub archive: Option<String>,
    pub archive_sha256: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error("archive {path}: {error}")]
    Archive {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// Where verification starts: the retention checkpoint.
pub(super) async fn checkpoint(db: &Db) -> Result<(i64, String), ServerError> {
    query_result(with_pool!(db, pool => {
        let row = sqlx::query("SELECT through_seq, through_hash FROM audit_checkpoint WHERE id = 1")
            .fetch_one(pool)
            .await?;
        Ok((row.try_get("through_seq")?, row.try_get("through_hash")?))
    }))
}

impl From<sqlx::Error> for RetentionError {
    fn from(error: sqlx::Error) -> Self {
        Self::Server(error.into())
    }
}

/// Removes one step of entries older than `now_ms - keep`, archiving them into `archive_dir`
/// first when one is set. `None` when nothing is old enough.
pub async fn step(
    db: &Db,
    now_ms: i64,
    keep: Duration,
    archive_dir: Option<&Path>,
) -> Result<Option<RetentionRecord>, RetentionError> {
    let cutoff = now_ms - keep.as_millis() as i64;
    let (checkpoint_seq, _) = checkpoint(db).await?;
    let Some(through_seq) = removable_through(db, checkpoint_seq, cutoff).await? else {
        return Ok(None);
    };
    let through_hash: String = with_pool!(db, pool => {
        sqlx::query("SELECT hash FROM audit_log WHERE seq = $1")
            .bind(through_seq)
            .fetch_one(pool)
            .await?
            .try_get("hash")?
    });
    let (archive, archive_sha256) = match archive_dir {
        Some(dir) => {
            let (name, sha) = write_archive(db, dir, checkpoint_seq, through_seq).await?;
            (Some(name), Some(sha))
        }
        None => (None, None),
    };
    let record = RetentionRecord {
        through_seq,
        through_hash,
        removed: through_seq - checkpoint_seq,
        archive,
        archive_sha256,
    };
    let detail = serde_json::to_string(&record).expect("a retention record serialises");
    append(
        db,
        now_ms,
        AuditEvent::new(RETENTION_ACTION, Outcome::Success)
            .target(format!("entries {}–{through_seq}", checkpoint_seq + 1))
            .detail(detail),
    )
    .await?;
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        // Guarded by the old value: of two replicas pruning at once, one moves it.
        let moved = sqlx::query(
            "UPDATE audit_checkpoint SET through_seq = $1, through_hash = $2, at_ms = $3 \
             WHERE id = 1 AND through_seq = $4",
        )
        .bind(record.through_seq)
        .bind(&record.through_hash)
        .bind(now_ms)
        .bind(checkpoint_seq)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 1 {
            sqlx::query("DELETE FROM audit_log WHERE seq <= $1")
                .bind(record.through_seq)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    });
    tracing::info!(
        through_seq = record.through_seq,
        removed = record.removed,
        archive = record.archive.as_deref().unwrap_or("-"),
        "old audit entries removed"
    );
    Ok(Some(record))
}

/// The last entry of the next step: entries after the checkpoint, all older than `cutoff`
/// up to it (times are not strictly ordered by seq, so the first young entry ends the run).
async fn removable_through(
    db: &Db,
    checkpoint_seq: i64,
    cutoff: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let (first_young, head): (Option<i64>, i64) = with_pool!(db, pool => {
        let first_young = sqlx::query(
            "SELECT seq FROM audit_log WHERE seq > $1 AND at_ms >= $2 ORDER BY seq LIMIT 1",
        )
        .bind(checkpoint_seq)
        .bind(cutoff)
        .fetch_optional(pool)
        .await?
        .map(|row| row.try_get::<i64, _>("seq"))
        .transpose()?;
        let head: i64 = sqlx::query("SELECT seq FROM audit_head WHERE id = 1")
            .fetch_one(pool)
            .await?
            .try_get("seq")?;
        (first_young, head)
    });
    let through = first_young
        .map_or(head, |seq| seq - 1)
        .min(checkpoint_seq + STEP_ENTRIES);
    Ok((through > checkpoint_seq).then_some(through))
}

/// Writes entries `(after, through]` as NDJSON to `audit-<first>-<last>.ndjson` in `dir`;
/// returns the file name and its SHA-256.
async fn write_archive(
    db: &Db,
    dir: &Path,
    after: i64,
    through: i64,
) -> Result<(String, String), RetentionError> {
    let name = format!("audit-{:012}-{:012}.ndjson", after + 1, through);
    let path = dir.join(&name);
    let partial = dir.join(format!(".{name}.partial"));
    let io = |error| RetentionError::Archive {
        path: path.clone(),
        error,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut file = std::io::BufWriter::new(std::fs::File::create(&partial).map_err(io)?);
    let mut digest = Sha256::new();
    let mut next = after;
    while next < through {
        let batch = entries_after(db, next, 1000.min(through - next)).await?;
        let Some(last) = batch.last() else { break };
        next = last.seq;
        for entry in &batch {
            let mut line = super::export::ndjson_line(entry, true);
            line.push('\n');
            digest.update(line.as_bytes());
            file.write_all(line.as_bytes()).map_err(io)?;
        }
    }
    let file = file.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&partial, &path).map_err(io)?;
    // The rename itself must survive a crash too.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io)?;
    Ok((name, hex::encode(digest.finalize())))
}
