//! Verifying the chain, and keeping the newest verification for the viewer.
//!
//! The walk starts at the retention checkpoint (entry 1 while nothing was removed) and ends at
//! `audit_head` as read when it starts, so appends during the walk do not disturb it: the
//! first kept entry must link to the checkpoint's hash, every entry to the one before, and
//! the last must be the head. A checkpoint is only believed if an `audit.retention` entry inside the
//! verified chain recorded exactly it, so moving the checkpoint by hand to hide deleted rows
//! is found too.

use serde::Serialize;
use sqlx::Row;

use super::retention::{RETENTION_ACTION, RetentionRecord, checkpoint};
use super::{GENESIS_HASH, entries_after};
use crate::db::Db;
use crate::db::query_result;
use crate::error::ServerError;
use crate::with_pool;

/// What [`verify`] found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// The first entry checked: 1, or the one after the retention checkpoint.
    pub from_seq: i64,
    pub entries_checked: i64,
    /// The first problem, in words, with the sequence number where it shows.
    pub problem: Option<(i64, String)>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// A verification as recorded, with when it ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredVerification {
    pub checked_at_ms: i64,
    pub verification: Verification,
}

pub async fn verify(db: &Db) -> Result<Verification, ServerError> {
    let (head_seq, head_hash): (i64, String) = with_pool!(db, pool => {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(pool)
            .await?;
        (row.try_get("seq")?, row.try_get("hash")?)
    });
    let (checkpoint_seq, checkpoint_hash) = checkpoint(db).await?;
    let from_seq = checkpoint_seq + 1;
    let mut expected_seq = from_seq;
    let mut prev_hash = if checkpoint_seq == 0 {
        GENESIS_HASH.to_string()
    } else {
        checkpoint_hash.clone()
    };
    let mut checked = 0;
    let mut checkpoint_recorded = checkpoint_seq == 0;
    let problem = |seq: i64, what: String, checked| Verification {
        from_seq,
        entries_checked: checked,
        problem: Some((seq, what)),
    };
    // Up to the head as read above: entries appended meanwhile are the next run's (reading
    // them now would compare them with a head that does not know them yet).
    while expected_seq <= head_seq {
        let batch =
            entries_after(db, expected_seq - 1, 1000.min(head_seq - expected_seq + 1)).await?;
        if batch.is_empty() {
            break;
        }
        for entry in batch {
            if entry.seq != expected_seq {
                return Ok(problem(
                    expected_seq,
                    format!("entry {expected_seq} is missing (next is {})", entry.seq),
                    checked,
                ));
            }
            if entry.prev_hash != prev_hash {
                return Ok(problem(
                    entry.seq,
                    format!("entry {} does not link to the entry before it", entry.seq),
                    checked,
                ));
            }
            if entry.compute_hash() != entry.hash {
                return Ok(problem(
                    entry.seq,
                    format!("entry {} was changed after it was written", entry.seq),
                    checked,
                ));
            }
            if entry.action == RETENTION_ACTION
                && let Some(record) = entry
                    .detail
                    .as_deref()
                    .and_then(|d| serde_json::from_str::<RetentionRecord>(d).ok())
                && record.through_seq == checkpoint_seq
                && record.through_hash == checkpoint_hash
            {
                checkpoint_recorded = true;
            }
            prev_hash = entry.hash;
            expected_seq += 1;
            checked += 1;
        }
    }
    let last_seq = expected_seq - 1;
    if last_seq != head_seq || prev_hash != head_hash {
        return Ok(problem(
            last_seq + 1,
            format!("the log ends at entry {last_seq} but {head_seq} entries were written"),
            checked,
        ));
    }
    if !checkpoint_recorded {
        return Ok(problem(
            from_seq,
            format!(
                "entries up to {checkpoint_seq} were removed, but no retention entry in the \
                 log records that"
            ),
            checked,
        ));
    }
    Ok(Verification {
        from_seq,
        entries_checked: checked,
        problem: None,
    })
}

/// Keeps `verification` as the newest one, for the viewer and for every replica.
pub async fn record_verification(
    db: &Db,
    checked_at_ms: i64,
    verification: &Verification,
) -> Result<(), ServerError> {
    let (problem_seq, problem) = match &verification.problem {
        Some((seq, what)) => (Some(*seq), Some(what.clone())),
        None => (None, None),
    };
    query_result(with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO audit_verification \
             (id, checked_at_ms, from_seq, entries_checked, problem_seq, problem) \
             VALUES (1, $1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO UPDATE SET checked_at_ms = excluded.checked_at_ms, \
             from_seq = excluded.from_seq, entries_checked = excluded.entries_checked, \
             problem_seq = excluded.problem_seq, problem = excluded.problem",
        )
        .bind(checked_at_ms)
        .bind(verification.from_seq)
        .bind(verification.entries_checked)
        .bind(problem_seq)
        .bind(problem)
        .execute(pool)
        .await?;
        Ok(())
    }))
}

pub async fn latest_verification(db: &Db) -> Result<Option<StoredVerification>, ServerError> {
    query_result(with_pool!(db, pool => {
        let row = sqlx::query(
            "SELECT checked_at_ms, from_seq, entries_checked, problem_seq, problem \
             FROM audit_verification WHERE id = 1",
        )
        .fetch_optional(pool)
        .await?;
        row.map(|row| {
            let problem_seq: Option<i64> = row.try_get("problem_seq")?;
            let problem: Option<String> = row.try_get("problem")?;
            Ok(StoredVerification {
                checked_at_ms: row.try_get("checked_at_ms")?,
                verification: Verification {
                    from_seq: row.try_get("from_seq")?,
                    entries_checked: row.try_get("entries_checked")?,
                    problem: problem_seq.zip(problem),
                },
            })
        })
        .transpose()
    }))
}
