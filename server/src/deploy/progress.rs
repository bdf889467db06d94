//! A running deploy in the database: who runs it (the claim), that it is still alive (the
//! heartbeat), and its steps as the progress page shows them.
//!
//! A claim is one conditional statement, so of several replicas (or a replica and a
//! restarted one) exactly one runs a given attempt. A runner that stops beating for longer
//! than the lease is presumed dead and its deploy is claimed again — resumed from the
//! targets' true state, since every step is idempotent (`execute.rs`).

use hangar_app::models::deploys::StepRow;
use sqlx::Row;

use crate::db::Db;
use crate::db::query_result;
use crate::error::ServerError;
use crate::with_pool;

/// The steps of a deploy, in order. `confirm` (Airflow runs the new version) is watched
/// after the deploy and kept on the request (`confirm.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Fetch,
    Verify,
    Export,
    Promote,
    Swap,
    Hook,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Self::Fetch,
        Self::Verify,
        Self::Export,
        Self::Promote,
        Self::Swap,
        Self::Hook,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fetch => "fetch",
            Self::Verify => "verify",
            Self::Export => "export",
            Self::Promote => "promote",
            Self::Swap => "swap",
            Self::Hook => "hook",
        }
    }
}

/// How a claim may take a request.
pub enum ClaimFrom {
    /// Approved, or failed and retried: the policy was checked just before.
    Ready,
    /// `deploying`, but its runner has not beaten since `silent_since_ms`: presumed dead.
    Abandoned { silent_since_ms: i64 },
    /// `deploying`, handed back or held by another runner, whatever its heartbeat: what a
    /// start on SQLite resumes, where every other runner was an earlier process. Never the
    /// claiming runner's own, which a deploy this process left behind (a database error
    /// that was not transient) keeps until its lease ends.
    AnotherRunner,
}

/// Claims request `id` for `runner`; returns the attempt number if this call won.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn claim(
    db: &Db,
    id: i64,
    runner: &str,
    from: ClaimFrom,
    now_ms: i64,
) -> Result<Option<i64>, ServerError> {
    let (condition, silent_since) = match from {
        ClaimFrom::Ready => ("status IN ('approved', 'failed')", 0),
        ClaimFrom::Abandoned { silent_since_ms } => (
            "status = 'deploying' AND (heartbeat_ms IS NULL OR heartbeat_ms < $4)",
            silent_since_ms,
        ),
        ClaimFrom::AnotherRunner => (
            "status = 'deploying' AND (runner IS NULL OR runner <> $2)",
            0,
        ),
    };
    let sql = format!(
        "UPDATE deploy_requests SET status = 'deploying', runner = $2, heartbeat_ms = $3, \
         updated_ms = $3, attempts = attempts + 1, step = NULL, failure = NULL \
         WHERE id = $1 AND {condition} RETURNING attempts"
    );
    query_result(with_pool!(db, pool => {
        sqlx::query_scalar::<_, i64>(&sql)
            .bind(id)
            .bind(runner)
            .bind(now_ms)
            .bind(silent_since)
            .fetch_optional(pool)
            .await
    }))
}

/// Records that `runner` is alive and at `step`. `false`: the claim is no longer this
/// runner's (it was presumed dead and taken over), so it must stop.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn beat(
    db: &Db,
    id: i64,
    runner: &str,
    step: Option<Step>,
    now_ms: i64,
) -> Result<bool, ServerError> {
    query_result(with_pool!(db, pool => {
        let moved = sqlx::query(
            "UPDATE deploy_requests SET heartbeat_ms = $3, step = COALESCE($4, step) \
             WHERE id = $1 AND runner = $2 AND status = 'deploying'",
        )
        .bind(id)
        .bind(runner)
        .bind(now_ms)
        .bind(step.map(Step::as_str))
        .execute(pool)
        .await?
        .rows_affected();
        Ok(moved == 1)
    }))
}

/// Text as both backends store it: PostgreSQL refuses NUL in text, which a hook's or git's
/// output may hold (SQLite keeps it); the record would then fail on every attempt.
fn storable(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

/// Ends `runner`'s attempt: `deployed`, `failed` (with the cause) or `stale`. `false`: it
/// was not this runner's any more.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn finish(
    db: &Db,
    id: i64,
    runner: &str,
    outcome: Finish<'_>,
    now_ms: i64,
) -> Result<bool, ServerError> {
    let (status, failure, hook_failure) = match outcome {
        Finish::Deployed { hook_failure } => ("deployed", None, hook_failure),
        Finish::Failed(cause) => ("failed", Some(cause), None),
        Finish::Stale(cause) => ("stale", Some(cause), None),
    };
    let (failure, hook_failure) = (failure.map(storable), hook_failure.map(storable));
    query_result(with_pool!(db, pool => {
        let moved = sqlx::query(
            "UPDATE deploy_requests SET status = $3, failure = $4, hook_failure = $5, \
             updated_ms = $6, heartbeat_ms = $6, \
             deployed_ms = CASE WHEN $3 = 'deployed' THEN $6 ELSE deployed_ms END, \
             confirmation = CASE WHEN $3 = 'deployed' THEN 'waiting' ELSE confirmation END \
             WHERE id = $1 AND runner = $2 AND status = 'deploying'",
        )
        .bind(id)
        .bind(runner)
        .bind(status)
        .bind(failure)
        .bind(hook_failure)
        .bind(now_ms)
        .execute(pool)
        .await?
        .rows_affected();
        Ok(moved == 1)
    }))
}

/// Hands `runner`'s claim back without ending the attempt (shutdown at a safe point): still
/// `deploying`, with no heartbeat, so the next sweep anywhere resumes it at once. `false`:
/// it was not this runner's any more.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn release(db: &Db, id: i64, runner: &str, now_ms: i64) -> Result<bool, ServerError> {
    query_result(with_pool!(db, pool => {
        let moved = sqlx::query(
            "UPDATE deploy_requests SET heartbeat_ms = NULL, runner = NULL, updated_ms = $3 \
             WHERE id = $1 AND runner = $2 AND status = 'deploying'",
        )
        .bind(id)
        .bind(runner)
        .bind(now_ms)
        .execute(pool)
        .await?
        .rows_affected();
        Ok(moved == 1)
    }))
}

#[derive(Clone, Copy, Debug)]
pub enum Finish<'a> {
    Deployed {
        hook_failure: Option<&'a str>,
    },
    Failed(&'a str),
    /// The target moved under the request: its approvals no longer apply.
    Stale(&'a str),
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn step_started(
    db: &Db,
    id: i64,
    attempt: i64,
    step: Step,
    now_ms: i64,
) -> Result<(), ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO deploy_steps (request_id, attempt, step, state, started_ms) \
             VALUES ($1, $2, $3, 'running', $4) \
             ON CONFLICT (request_id, attempt, step) DO UPDATE SET state = 'running', \
             started_ms = excluded.started_ms, finished_ms = NULL, detail = ''",
        )
        .bind(id)
        .bind(attempt)
        .bind(step.as_str())
        .bind(now_ms)
        .execute(pool)
        .await
        .map(|_| ())
    }))
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn step_ended(
    db: &Db,
    id: i64,
    attempt: i64,
    step: Step,
    ok: bool,
    detail: &str,
    now_ms: i64,
) -> Result<(), ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query(
            "UPDATE deploy_steps SET state = $4, detail = $5, finished_ms = $6 \
             WHERE request_id = $1 AND attempt = $2 AND step = $3",
        )
        .bind(id)
        .bind(attempt)
        .bind(step.as_str())
        .bind(if ok { "done" } else { "failed" })
        .bind(storable(detail))
        .bind(now_ms)
        .execute(pool)
        .await
        .map(|_| ())
    }))
}

/// Every step of every attempt of a request, in order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn steps(db: &Db, id: i64) -> Result<Vec<StepRow>, ServerError> {
    query_result(with_pool!(db, pool => {
        let rows = sqlx::query(
            "SELECT attempt, step, state, started_ms, finished_ms, detail FROM deploy_steps \
             WHERE request_id = $1 ORDER BY attempt",
        )
        .bind(id)
        .fetch_all(pool)
        .await?;
        let mut records = rows
            .into_iter()
            .map(|row| {
                Ok(StepRow {
                    attempt: row.try_get("attempt")?,
                    step: row.try_get("step")?,
                    state: row.try_get("state")?,
                    started_ms: row.try_get("started_ms")?,
                    finished_ms: row.try_get("finished_ms")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        // In the order the steps run (several may start within one millisecond).
        records.sort_by_key(|r| (r.attempt, Step::ALL.iter().position(|s| s.as_str() == r.step)));
        Ok(records)
    }))
}
