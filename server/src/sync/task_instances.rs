//! Task instances of the sync window's runs: Airflow's list → the `task_instances` table.
//!
//! Incremental: each pass asks only for what Airflow changed (`updated_at`) since shortly
//! before the previous pass began, so the request budget follows how busy Airflow is, not
//! how many task instances the window holds. The first pass reads the whole window.
//! Instances that ran another owner's code are never stored (`ownership.rs`).

use std::collections::BTreeSet;

use sqlx::Row;

use super::dags::SyncError;
use crate::airflow::AirflowClient;
use crate::clock::rfc3339;
use crate::config::AirflowConfig;
use crate::db::Db;
use crate::with_pool;

/// Each pass re-reads this much before the previous one began, so that a change Airflow
/// commits while Hangar reads (or a clock a little apart) is never skipped. Upserts make
/// reading a row twice harmless.
const OVERLAP_MS: i64 = 60_000;

/// Returns the DAGs whose task instances changed.
pub async fn sync_task_instances(
    db: &Db,
    env: &AirflowConfig,
    client: &AirflowClient,
    now_ms: i64,
) -> Result<BTreeSet<String>, SyncError> {
    let window_start = super::runs::window_start(env, now_ms);
    let since = watermark(db, &env.name).await?;
    let instances = super::dags::answered(
        db,
        &env.name,
        now_ms,
        client
            .task_instances(&window_start, since.as_deref().filter(|s| !s.is_empty()))
            .await,
    )
    .await?;
    let next_since = rfc3339(now_ms - OVERLAP_MS);
    let mut changed = BTreeSet::new();
    with_pool!(db, pool => {
        let mut tx = super::ownership::begin_guarded!(db, pool, &env.name, false);
        // An instance whose current try runs another owner's code than its DAG's pin is not
        // shown (`ownership.rs`): not stored, and removed if an earlier try was. And none is
        // stored without its run (the run sync withholds a run any of whose tries ran
        // another owner's code, so its earlier tries are never readable either).
        let pins = super::ownership::read_pins!(&mut *tx, &env.name);
        let (withheld, kept): (Vec<_>, Vec<_>) = instances.iter().partition(|ti| {
            super::ownership::ran_elsewhere(
                pins.get(&ti.dag_id),
                &env.ownership,
                [ti.dag_version.as_ref().and_then(|v| v.bundle_name.as_deref())],
            )
        });
        for ti in withheld {
            let removed = sqlx::query(
                "DELETE FROM task_instances WHERE environment = $1 AND dag_id = $2 \
                 AND run_id = $3 AND task_id = $4 AND map_index = $5",
            )
            .bind(&env.name)
            .bind(&ti.dag_id)
            .bind(&ti.dag_run_id)
            .bind(&ti.task_id)
            .bind(ti.map_index)
            .execute(&mut *tx)
            .await?;
            if removed.rows_affected() > 0 {
                changed.insert(ti.dag_id.clone());
            }
        }
        for ti in kept {
            let updated = sqlx::query(
                "INSERT INTO task_instances (environment, dag_id, run_id, task_id, map_index, \
                 state, try_number, start_date, end_date, duration, operator, synced_ms, \
                 queued_when, executor, queue, hostname, rendered_map_index) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17 \
                 WHERE EXISTS (SELECT 1 FROM dag_runs r WHERE r.environment = $1 \
                 AND r.dag_id = $2 AND r.run_id = $3) \
                 ON CONFLICT (environment, dag_id, run_id, task_id, map_index) DO UPDATE SET \
                 state = excluded.state, try_number = excluded.try_number, \
                 start_date = excluded.start_date, end_date = excluded.end_date, \
                 duration = excluded.duration, operator = excluded.operator, \
                 synced_ms = excluded.synced_ms, queued_when = excluded.queued_when, \
                 executor = excluded.executor, queue = excluded.queue, \
                 hostname = excluded.hostname, rendered_map_index = excluded.rendered_map_index \
                 WHERE task_instances.state IS DISTINCT FROM excluded.state \
                 OR task_instances.try_number IS DISTINCT FROM excluded.try_number \
                 OR task_instances.start_date IS DISTINCT FROM excluded.start_date \
                 OR task_instances.end_date IS DISTINCT FROM excluded.end_date \
                 OR task_instances.queued_when IS DISTINCT FROM excluded.queued_when \
                 OR task_instances.hostname IS DISTINCT FROM excluded.hostname \
                 RETURNING dag_id",
            )
            .bind(&env.name)
            .bind(&ti.dag_id)
            .bind(&ti.dag_run_id)
            .bind(&ti.task_id)
            .bind(ti.map_index)
            .bind(&ti.state)
            .bind(ti.try_number)
            .bind(&ti.start_date)
            .bind(&ti.end_date)
            .bind(ti.duration)
            .bind(&ti.operator_name)
            .bind(now_ms)
            .bind(&ti.queued_when)
            .bind(&ti.executor)
            .bind(&ti.queue)
            .bind(&ti.hostname)
            .bind(&ti.rendered_map_index)
            .fetch_optional(&mut *tx)
            .await?;
            if updated.is_some() {
                changed.insert(ti.dag_id.clone());
            }
        }
        // Only from the watermark this pass started at: an admin's re-pin that reset it
        // meanwhile (to read the window whole again) is not undone.
        sqlx::query(
            "INSERT INTO airflow_sync_status (environment, task_instances_since) VALUES ($1, $2) \
             ON CONFLICT (environment) DO UPDATE SET task_instances_since = excluded.task_instances_since \
             WHERE airflow_sync_status.task_instances_since IS NOT DISTINCT FROM $3",
        )
        .bind(&env.name)
        .bind(&next_since)
        .bind(&since)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, SyncError>(())
    })?;
    Ok(changed)
}

/// The stored watermark as it is (`Some("")`: read the whole window, as a re-pin asks).
async fn watermark(db: &Db, env: &str) -> Result<Option<String>, sqlx::Error> {
    with_pool!(db, pool => {
        let row = sqlx::query("SELECT task_instances_since FROM airflow_sync_status WHERE environment = $1")
            .bind(env)
            .fetch_optional(pool)
            .await?;
        Ok(match row {
            Some(row) => row.try_get("task_instances_since")?,
            None => None,
        })
    })
}
