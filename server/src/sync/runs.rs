//! DAG runs of the sync window: Airflow's list → the `dag_runs` table.

use std::collections::BTreeSet;

use time::format_description::well_known::Rfc3339;

use super::dags::SyncError;
use crate::airflow::AirflowClient;
use crate::config::AirflowConfig;
use crate::db::Db;
use crate::identity::session::from_ms;
use crate::with_pool;

/// How far back runs are kept (the default: 14 days).
pub const RUN_WINDOW_MS: i64 = 14 * 24 * 3600 * 1000;

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

/// Re-reads the window's runs and upserts them; runs older than the window are dropped.
/// Like the DAG sync, nothing changes unless Airflow's answer was complete. Returns the DAGs
/// whose runs changed.
pub async fn sync_runs(
    db: &Db,
    env: &AirflowConfig,
    client: &AirflowClient,
    now_ms: i64,
) -> Result<BTreeSet<String>, SyncError> {
    let since = from_ms(now_ms - RUN_WINDOW_MS)
        .format(&Rfc3339)
        .expect("a UTC time formats as RFC 3339");
    let runs =
        super::dags::answered(db, &env.name, now_ms, client.runs_since(&since).await).await?;
    let mut changed = BTreeSet::new();
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        for run in &runs {
            if upsert_run!(&env.name, run, now_ms).fetch_optional(&mut *tx).await?.is_some() {
                changed.insert(run.dag_id.clone());
            }
        }
        sqlx::query("DELETE FROM dag_runs WHERE environment = $1 AND run_after < $2")
            .bind(&env.name)
            .bind(&since)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok::<_, SyncError>(())
    })?;
    Ok(changed)
}
