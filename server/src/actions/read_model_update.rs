//! Writes that bring the read model up to date with what Airflow just confirmed, so the
//! user sees the result at once instead of after the next sync.

use crate::airflow::models::{Connection, DagRun, Pool, TaskInstance, Variable};
use crate::db::Db;
use crate::db::query_result;
use crate::error::ServerError;
use crate::with_pool;

pub async fn dag_paused(
    db: &Db,
    environment: &str,
    dag_id: &str,
    paused: bool,
) -> Result<(), ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query("UPDATE dags SET is_paused = $1 WHERE environment = $2 AND dag_id = $3")
            .bind(i64::from(paused))
            .bind(environment)
            .bind(dag_id)
            .execute(pool)
            .await
            .map(|_| ())
    }))
}

pub async fn run(db: &Db, environment: &str, run: &DagRun, now_ms: i64) -> Result<(), ServerError> {
    query_result(with_pool!(db, pool => {
        crate::upsert_run!(environment, run, now_ms)
            .execute(pool)
            .await
            .map(|_| ())
    }))
}

/// After a clear: the run is queued again and the cleared task instances start over.
pub async fn cleared(
    db: &Db,
    environment: &str,
    dag_id: &str,
    run_id: &str,
    cleared: &[TaskInstance],
    now_ms: i64,
) -> Result<(), ServerError> {
    query_result(with_pool!(db, pool => {
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
    }))
}

/// After a task instance was marked: the states Airflow now reports.
pub async fn task_states(
    db: &Db,
    environment: &str,
    dag_id: &str,
    run_id: &str,
    changed: &[TaskInstance],
    now_ms: i64,
) -> Result<(), ServerError> {
    query_result(with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        for ti in changed {
            sqlx::query(
                "UPDATE task_instances SET state = $1, synced_ms = $2 WHERE environment = $3 \
                 AND dag_id = $4 AND run_id = $5 AND task_id = $6 AND map_index = $7",
            )
            .bind(&ti.state)
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
    }))
}

/// A connection Airflow just saved (`owner`: its team, `None` global).
pub async fn connection(
    db: &Db,
    environment: &str,
    connection: &Connection,
    owner: &Option<String>,
    now_ms: i64,
) -> Result<(), ServerError> {
    with_pool!(db, pool => {
        crate::upsert_connection!(environment, connection, owner, now_ms)
            .execute(pool)
            .await?;
    });
    Ok(())
}

pub async fn connection_deleted(
    db: &Db,
    environment: &str,
    connection_id: &str,
) -> Result<(), ServerError> {
    with_pool!(db, pool => {
        sqlx::query("DELETE FROM connections WHERE environment = $1 AND connection_id = $2")
            .bind(environment)
            .bind(connection_id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// A pool Airflow just saved.
pub async fn pool(
    db: &Db,
    environment: &str,
    saved: &Pool,
    owner: &Option<String>,
    now_ms: i64,
) -> Result<(), ServerError> {
    with_pool!(db, pool => {
        crate::upsert_pool!(environment, saved, owner, now_ms)
            .fetch_optional(pool)
            .await?;
    });
    Ok(())
}

pub async fn pool_deleted(db: &Db, environment: &str, name: &str) -> Result<(), ServerError> {
    with_pool!(db, pool => {
        sqlx::query("DELETE FROM pools WHERE environment = $1 AND name = $2")
            .bind(environment)
            .bind(name)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// A variable Airflow just saved (its key and description: values are never stored).
pub async fn variable(
    db: &Db,
    environment: &str,
    variable: &Variable,
    owner: &Option<String>,
    now_ms: i64,
) -> Result<(), ServerError> {
    with_pool!(db, pool => {
        crate::upsert_variable!(environment, variable, owner, now_ms)
            .execute(pool)
            .await?;
    });
    Ok(())
}

pub async fn variable_deleted(db: &Db, environment: &str, key: &str) -> Result<(), ServerError> {
    with_pool!(db, pool => {
        sqlx::query("DELETE FROM variables WHERE environment = $1 AND variable_key = $2")
            .bind(environment)
            .bind(key)
            .execute(pool)
            .await?;
    });
    Ok(())
}
