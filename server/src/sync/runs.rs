//! DAG runs of the sync window: Airflow's list → the `dag_runs` table.

use std::collections::BTreeSet;

use super::dags::SyncError;
use super::ownership;
use crate::airflow::AirflowClient;
use crate::airflow::models::DagRun;
use crate::clock::rfc3339;
use crate::config::AirflowConfig;
use crate::db::Db;
use crate::with_pool;

/// The start of `env`'s run window (RFC 3339).
pub fn window_start(env: &AirflowConfig, now_ms: i64) -> String {
    rfc3339(now_ms - env.run_window.as_millis() as i64)
}

/// The upsert of one run (`$crate::airflow::models::DagRun`) into `dag_runs`, as a query
/// ready to execute; the sync and the actions write runs the same way. It returns the DAG id
/// when the run is new or its state or times changed (what live pages care about), else
/// nothing.
#[macro_export]
macro_rules! upsert_run {
    ($environment:expr, $run:expr, $now_ms:expr) => {
        sqlx::query(
            "INSERT INTO dag_runs (environment, dag_id, run_id, state, run_type, run_after, \
             start_date, end_date, synced_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (environment, dag_id, run_id) DO UPDATE SET state = excluded.state, \
             run_type = excluded.run_type, run_after = excluded.run_after, \
             start_date = excluded.start_date, end_date = excluded.end_date, \
             synced_ms = excluded.synced_ms \
             WHERE dag_runs.state IS DISTINCT FROM excluded.state \
             OR dag_runs.start_date IS DISTINCT FROM excluded.start_date \
             OR dag_runs.end_date IS DISTINCT FROM excluded.end_date \
             RETURNING dag_id",
        )
        .bind($environment)
        .bind(&$run.dag_id)
        .bind(&$run.dag_run_id)
        .bind(&$run.state)
        .bind(&$run.run_type)
        .bind(&$run.run_after)
        .bind(&$run.start_date)
        .bind(&$run.end_date)
        .bind($now_ms)
    };
}

/// Deletes a stored run and its task instances (`$tx`: a transaction); whether it was there.
macro_rules! remove_run {
    ($environment:expr, $run:expr, $tx:expr) => {{
        sqlx::query(
            "DELETE FROM task_instances WHERE environment = $1 AND dag_id = $2 AND run_id = $3",
        )
        .bind($environment)
        .bind(&$run.dag_id)
        .bind(&$run.dag_run_id)
        .execute($tx)
        .await?;
        sqlx::query("DELETE FROM dag_runs WHERE environment = $1 AND dag_id = $2 AND run_id = $3")
            .bind($environment)
            .bind(&$run.dag_id)
            .bind(&$run.dag_run_id)
            .execute($tx)
            .await?
            .rows_affected()
            > 0
    }};
}

/// Re-reads the window's runs and upserts them; runs older than the window are dropped.
/// Like the DAG sync, nothing changes unless Airflow's answer was complete. Returns the DAGs
/// whose runs changed.
pub async fn sync_runs(
    db: &Db,
    env: &AirflowConfig,
    client: &AirflowClient,
    now_ms: i64,
) -> Result<BTreeSet<String>, SyncError> {
    let since = window_start(env, now_ms);
    let runs =
        super::dags::answered(db, &env.name, now_ms, client.runs_since(&since).await).await?;
    let mut changed = BTreeSet::new();
    with_pool!(db, pool => {
        let mut tx = ownership::begin_guarded!(db, pool, &env.name, false);
        let (kept, withheld) = own_code_only(env, &ownership::read_pins!(&mut *tx, &env.name), &runs);
        for run in kept {
            if upsert_run!(&env.name, run, now_ms).fetch_optional(&mut *tx).await?.is_some() {
                changed.insert(run.dag_id.clone());
            }
        }
        for run in withheld {
            if remove_run!(&env.name, run, &mut *tx) {
                changed.insert(run.dag_id.clone());
            }
        }
        tx.commit().await?;
        Ok::<_, SyncError>(())
    })?;
    Ok(changed)
}

/// `runs` split into those Hangar stores and those that ran another owner's code than
/// their DAG's pin (`ownership::ran_elsewhere`), which it never shows.
fn own_code_only<'r>(
    env: &AirflowConfig,
    pins: &std::collections::HashMap<String, ownership::Pin>,
    runs: &'r [DagRun],
) -> (Vec<&'r DagRun>, Vec<&'r DagRun>) {
    let (withheld, kept): (Vec<_>, Vec<_>) = runs.iter().partition(|run| {
        ownership::ran_elsewhere(
            pins.get(&run.dag_id),
            &env.ownership,
            run.dag_versions.iter().map(|v| v.bundle_name.as_deref()),
        )
    });
    // Every pass while the conflict lasts (which /platform shows): not a warning each time.
    if !withheld.is_empty() {
        tracing::debug!(
            environment = %env.name,
            runs = withheld.len(),
            "runs of another owner's code (an ownership conflict) are not shown"
        );
    }
    (kept, withheld)
}

/// Drops runs that left the window — except each DAG's latest `runs_per_dag` — and the task
/// instances of runs no longer kept. On the catalogue cadence: it reads every old run and
/// every task instance, which the few-second run sync should not.
pub async fn prune(db: &Db, env: &AirflowConfig, now_ms: i64) -> Result<(), sqlx::Error> {
    let since = window_start(env, now_ms);
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "DELETE FROM dag_runs WHERE environment = $1 AND run_after < $2 \
             AND (SELECT COUNT(*) FROM dag_runs newer WHERE newer.environment = dag_runs.environment \
                  AND newer.dag_id = dag_runs.dag_id AND newer.run_after > dag_runs.run_after) >= $3",
        )
        .bind(&env.name)
        .bind(&since)
        .bind(i64::from(env.runs_per_dag))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM task_instances WHERE environment = $1 AND NOT EXISTS (SELECT 1 FROM \
             dag_runs r WHERE r.environment = task_instances.environment \
             AND r.dag_id = task_instances.dag_id AND r.run_id = task_instances.run_id)",
        )
        .bind(&env.name)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    })
}

/// How many DAGs one catalogue sync reads older runs for (one call each).
pub const OLDER_RUNS_PER_SYNC: i64 = 100;

/// DAGs with fewer runs stored than `runs_per_dag` (they run rarely, or are new to Hangar)
/// get their latest runs read once, whatever their age; the window sync and `prune` keep
/// them from then on. Returns the DAG ids whose runs changed.
pub async fn backfill_older_runs(
    db: &Db,
    env: &AirflowConfig,
    client: &AirflowClient,
    now_ms: i64,
) -> Result<BTreeSet<String>, SyncError> {
    let due: Vec<String> = with_pool!(db, pool => {
        sqlx::query(
            "SELECT dag_id FROM dags d WHERE environment = $1 AND older_runs_read_ms IS NULL \
             AND (SELECT COUNT(*) FROM dag_runs r WHERE r.environment = d.environment \
                  AND r.dag_id = d.dag_id) < $2 \
             ORDER BY dag_id LIMIT $3",
        )
        .bind(&env.name)
        .bind(i64::from(env.runs_per_dag))
        .bind(OLDER_RUNS_PER_SYNC)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| sqlx::Row::try_get(row, "dag_id"))
        .collect::<Result<_, sqlx::Error>>()?
    });
    let mut changed = BTreeSet::new();
    for dag_id in due {
        let runs = match client.latest_runs(&dag_id, env.runs_per_dag).await {
            Ok(runs) => runs,
            Err(crate::airflow::AirflowError::NotFound { .. }) => Vec::new(),
            Err(error) => return Err(error.into()),
        };
        with_pool!(db, pool => {
            let mut tx = ownership::begin_guarded!(db, pool, &env.name, false);
            let pins = ownership::read_pins!(&mut *tx, &env.name);
            let (kept, _withheld) = own_code_only(env, &pins, &runs);
            for run in kept {
                if upsert_run!(&env.name, run, now_ms).fetch_optional(&mut *tx).await?.is_some() {
                    changed.insert(run.dag_id.clone());
                }
            }
            sqlx::query("UPDATE dags SET older_runs_read_ms = $1 WHERE environment = $2 AND dag_id = $3")
                .bind(now_ms)
                .bind(&env.name)
                .bind(&dag_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
    }
    Ok(changed)
}
