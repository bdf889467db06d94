//! Writes that bring the read model up to date with what Airflow just confirmed, so the
//! user sees the result at once instead of after the next sync.

use crate::airflow::models::{DagRun, TaskInstance};
use crate::db::Db;
use crate::with_pool;

pub async fn dag_paused(
    db: &Db,
    environment: &str,
    dag_id: &str,
    paused: bool,
) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE dags SET is_paused = $1 WHERE environment = $2 AND dag_id = $3")
            .bind(i64::from(paused))
            .bind(environment)
            .bind(dag_id)
            .execute(pool)
            .await
            .map(|_| ())
    })
}

pub async fn run(db: &Db, environment: &str, run: &DagRun, now_ms: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        crate::upsert_run!(environment, run, now_ms)
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// After a clear: the run is queued again and the cleared task instances start over.
pub async fn cleared(
    db: &Db,
    environment: &str,
    dag_id: &str,
    run_id: &str,
    cleared: &[TaskInstance],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        if !cleared.is_empty() {
            sqlx::query(
                "UPDATE dag_runs SET state = 'queued', end_date = NULL, synced_ms = $1 \
                 WHERE environment = $2 AND dag_id = $3 AND run_id = $4",
            )
            .bind(now_ms)
            .bind(environment)
            .bind(dag_id)
            .bind(run_id)
            .execute(&mut *tx)
            .await?;
        }
        for ti in cleared {
            sqlx::query(
                "UPDATE task_instances SET state = NULL, end_date = NULL, synced_ms = $1 \
                 WHERE environment = $2 AND dag_id = $3 AND run_id = $4 AND task_id = $5 \
                 AND map_index = $6",
            )
            .bind(now_ms)
            .bind(environment)
            .bind(dag_id)
            .bind(run_id)
            .bind(&ti.task_id)
            .bind(ti.map_index)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    })
}
