//! Logs of finished tries read into the spool before anyone opens them (`[task_logs]
//! read_ahead`: failed tries by default).
//!
//! Airflow 3.3 reads a finished try's log whole before it sends the first line: 6.7 s for a
//! 200,000-line log, which the first view would wait for. So every replica asks the read
//! model every few seconds which task instances the sync saw end since it last asked (the
//! sync stamps `synced_ms` on every change it writes; migration 0030 indexes it) and reads
//! their logs into its own spool, one at a time, with the DAG's team's Airflow credentials.
//! The first view then pages from the spool like every later one.
//!
//! Bounded: at most [`PER_PASS`] tries a pass (the most recent first), one Airflow read at a
//! time per replica, each bounded by `[task_logs] max_lines` and `read_timeout`; the spool's
//! own limits and eviction apply as for a read a view started. A try is attempted once: a read
//! that fails is not retried here (the first view tries again).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;

use super::TaskLogs;
use super::spool::AttemptKey;
use crate::clock::Clock;
use crate::config::ReadAhead;
use crate::db::{Db, query_result};
use crate::error::ServerError;
use crate::with_pool;

/// How often a replica asks which tries ended.
const EVERY: Duration = Duration::from_secs(3);
/// Each pass looks this far before the previous one: a sync pass stamps its changes with the
/// time it began and commits them later.
const OVERLAP_MS: i64 = 60_000;
/// At start-up, tries that ended this recently are read too.
const AT_START_MS: i64 = 10 * 60_000;
/// Tries read at most per pass, the most recently changed first.
const PER_PASS: i64 = 20;

/// What one replica has read ahead, so a try is attempted once.
#[derive(Default)]
pub struct ReadAheadState {
    since_ms: Option<i64>,
    attempted: HashMap<AttemptKey, i64>,
}

/// Starts reading ahead (nothing when `policy` is off).
pub fn spawn(db: Db, clock: Arc<dyn Clock>, logs: Arc<TaskLogs>, policy: ReadAhead) {
    if policy == ReadAhead::Off {
        return;
    }
    tokio::spawn(async move {
        let mut state = ReadAheadState::default();
        loop {
            if let Err(error) = pass(&db, clock.as_ref(), &logs, policy, &mut state).await {
                tracing::warn!(%error, "cannot read task logs ahead");
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}

/// One pass: the tries in `policy`'s states whose instances changed since the last pass, not
/// attempted yet, read into the spool one after the other. Returns the tries it read.
pub async fn pass(
    db: &Db,
    clock: &dyn Clock,
    logs: &TaskLogs,
    policy: ReadAhead,
    state: &mut ReadAheadState,
) -> Result<Vec<AttemptKey>, ServerError> {
    let now_ms = clock.now_ms();
    let since_ms = state.since_ms.unwrap_or(now_ms - AT_START_MS) - OVERLAP_MS;
    let mut read = Vec::new();
    for (team, key) in ended_since(db, policy.states(), since_ms).await? {
        if state.attempted.contains_key(&key) {
            continue;
        }
        state.attempted.insert(key.clone(), now_ms);
        if logs.read_ahead(team, key.clone()).await {
            read.push(key);
        }
    }
    // A try changed before `since_ms` is never asked about again.
    state.attempted.retain(|_, at| *at >= since_ms - OVERLAP_MS);
    state.since_ms = Some(now_ms);
    Ok(read)
}

/// The current tries of task instances in one of `states` changed since `since_ms`, newest
/// first, with the team of their DAG (empty: shared, read with the environment's own
/// credentials). A DAG of no team and not shared is seen by no team's pages, so its logs are
/// not read.
async fn ended_since(
    db: &Db,
    states: &[&str],
    since_ms: i64,
) -> Result<Vec<(String, AttemptKey)>, ServerError> {
    let (Some(first), second) = (states.first(), states.get(1)) else {
        return Ok(Vec::new());
    };
    query_result(with_pool!(db, pool => {
        let rows = sqlx::query(
            "SELECT t.environment, t.dag_id, t.run_id, t.task_id, t.map_index, t.try_number, \
             d.team FROM task_instances t JOIN dags d ON d.environment = t.environment \
             AND d.dag_id = t.dag_id \
             WHERE t.synced_ms > $1 AND (t.state = $2 OR t.state = $3) AND t.try_number > 0 \
             AND (d.team IS NOT NULL OR d.shared = 1) \
             ORDER BY t.synced_ms DESC LIMIT $4",
        )
        .bind(since_ms)
        .bind(*first)
        .bind(*second.unwrap_or(first))
        .bind(PER_PASS)
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<Option<String>, _>("team")?.unwrap_or_default(),
                    AttemptKey {
                        environment: row.try_get("environment")?,
                        dag_id: row.try_get("dag_id")?,
                        run_id: row.try_get("run_id")?,
                        task_id: row.try_get("task_id")?,
                        map_index: row.try_get("map_index")?,
                        try_number: row.try_get("try_number")?,
                    },
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }))
}
