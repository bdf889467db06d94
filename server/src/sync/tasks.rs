//! DAGs' tasks: Airflow's public task list (`GET /dags/{id}/tasks`) → `dag_tasks`, for the
//! graph, the grid's order and task groups, and the task page's trigger rule and upstream.
//!
//! One call per DAG, so a list is read only when it is missing or Airflow recorded a newer
//! version of the DAG since (its DAG-version list, read newest first down to the newest
//! version seen last time), at most [`TASK_LISTS_PER_SYNC`] per catalogue sync, the DAGs
//! that ran most recently first. A new environment fills in over a few syncs; after that
//! only changed DAGs cost a call.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;

use super::dags::SyncError;
use crate::airflow::models::DagTask;
use crate::airflow::{AirflowClient, AirflowError};
use crate::db::Db;
use crate::with_pool;

/// The most task lists one catalogue sync reads from one environment.
pub const TASK_LISTS_PER_SYNC: i64 = 100;
/// Pages of Airflow's DAG-version list read per sync at most; beyond that, every list of
/// the environment is read again (a mass re-parse).
const VERSION_PAGES_PER_SYNC: u64 = 10;
/// A DAG with more tasks than this keeps the first ones (the graph says so).
pub const MAX_TASKS_PER_DAG: usize = 5_000;

/// Marks lists stale from Airflow's new DAG versions, then reads the due lists. Returns how
/// many lists were read.
pub async fn sync_task_lists(
    db: &Db,
    env: &str,
    client: &AirflowClient,
    now_ms: i64,
) -> Result<usize, SyncError> {
    mark_changed(db, env, client).await?;
    let due: Vec<String> = with_pool!(db, pool => {
        sqlx::query(
            "SELECT d.dag_id FROM dags d LEFT JOIN dag_task_lists l \
             ON l.environment = d.environment AND l.dag_id = d.dag_id \
             WHERE d.environment = $1 AND (l.dag_id IS NULL OR l.stale = 1) \
             ORDER BY d.last_run_after IS NULL, d.last_run_after DESC, d.dag_id LIMIT $2",
        )
        .bind(env)
        .bind(TASK_LISTS_PER_SYNC)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| row.try_get("dag_id"))
        .collect::<Result<_, sqlx::Error>>()?
    });
    let mut read = 0;
    for dag_id in due {
        let tasks = match client.dag_tasks(&dag_id).await {
            Ok(tasks) => tasks,
            // Gone since the DAG sync, or not parsed yet: the next DAG sync knows.
            Err(AirflowError::NotFound { .. }) => continue,
            Err(error) => return Err(error.into()),
        };
        store(db, env, &dag_id, &tasks, now_ms).await?;
        read += 1;
    }
    forget_removed(db, env).await?;
    Ok(read)
}

/// Reads Airflow's DAG versions newer than the newest one seen last time and marks their
/// DAGs' lists stale. The first time, it only notes where the list stands (every DAG
/// without a list is due anyway).
async fn mark_changed(db: &Db, env: &str, client: &AirflowClient) -> Result<(), SyncError> {
    let seen: Option<String> = with_pool!(db, pool => {
        sqlx::query("SELECT dag_versions_seen FROM airflow_sync_status WHERE environment = $1")
            .bind(env)
            .fetch_optional(pool)
            .await?
            .map(|row| row.try_get::<Option<String>, _>("dag_versions_seen"))
            .transpose()?
            .flatten()
    });
    let mut newest = None;
    let mut changed = BTreeSet::new();
    let mut reached_seen = seen.is_none();
    for page in 0..VERSION_PAGES_PER_SYNC {
        let versions = client
            .dag_versions_newest(page * crate::airflow::client::PAGE_SIZE)
            .await?;
        let count = versions.dag_versions.len();
        for version in versions.dag_versions {
            newest.get_or_insert_with(|| version.id.clone());
            if seen
                .as_deref()
                .is_some_and(|seen| version.id.as_str() <= seen)
            {
                reached_seen = true;
                break;
            }
            changed.insert(version.dag_id);
        }
        if reached_seen || (count as u64) < crate::airflow::client::PAGE_SIZE {
            reached_seen = true;
            break;
        }
    }
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        if seen.is_some() && !reached_seen {
            // More changes than a sync reads: every list is read again, a few per sync.
            sqlx::query("UPDATE dag_task_lists SET stale = 1 WHERE environment = $1")
                .bind(env)
                .execute(&mut *tx)
                .await?;
        } else if seen.is_some() {
            for dag_id in &changed {
                sqlx::query("UPDATE dag_task_lists SET stale = 1 WHERE environment = $1 AND dag_id = $2")
                    .bind(env)
                    .bind(dag_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if let Some(newest) = &newest {
            sqlx::query(
                "INSERT INTO airflow_sync_status (environment, dag_versions_seen) VALUES ($1, $2) \
                 ON CONFLICT (environment) DO UPDATE SET dag_versions_seen = excluded.dag_versions_seen",
            )
            .bind(env)
            .bind(newest)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(())
}

/// Replaces the DAG's stored tasks with `tasks`, in topological order.
async fn store(
    db: &Db,
    env: &str,
    dag_id: &str,
    tasks: &[DagTask],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let ordered = topological(tasks);
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("DELETE FROM dag_tasks WHERE environment = $1 AND dag_id = $2")
            .bind(env)
            .bind(dag_id)
            .execute(&mut *tx)
            .await?;
        for (position, task) in ordered.iter().take(MAX_TASKS_PER_DAG).enumerate() {
            let downstream = task.downstream_task_ids.clone().unwrap_or_default();
            sqlx::query(
                "INSERT INTO dag_tasks (environment, dag_id, task_id, ordinal, operator, \
                 trigger_rule, downstream_json, is_mapped) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(env)
            .bind(dag_id)
            .bind(&task.task_id)
            .bind(position as i64)
            .bind(&task.operator_name)
            .bind(&task.trigger_rule)
            .bind(serde_json::to_string(&downstream).unwrap_or_else(|_| "[]".into()))
            .bind(i64::from(task.is_mapped.unwrap_or(false)))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO dag_task_lists (environment, dag_id, stale, task_count, read_ms) \
             VALUES ($1, $2, 0, $3, $4) ON CONFLICT (environment, dag_id) DO UPDATE SET \
             stale = 0, task_count = excluded.task_count, read_ms = excluded.read_ms",
        )
        .bind(env)
        .bind(dag_id)
        .bind(tasks.len() as i64)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    })
}

/// Task lists of DAGs the DAG sync removed go too.
async fn forget_removed(db: &Db, env: &str) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        for table in ["dag_tasks", "dag_task_lists"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE environment = $1 AND NOT EXISTS (SELECT 1 FROM dags d \
                 WHERE d.environment = {table}.environment AND d.dag_id = {table}.dag_id)"
            ))
            .bind(env)
            .execute(pool)
            .await?;
        }
        Ok::<_, sqlx::Error>(())
    })
}

/// The tasks in an order where every task comes after those upstream of it (ties by id);
/// tasks on a cycle, which Airflow would not accept, come last by id.
pub fn topological(tasks: &[DagTask]) -> Vec<&DagTask> {
    let by_id: BTreeMap<&str, &DagTask> = tasks.iter().map(|t| (t.task_id.as_str(), t)).collect();
    let mut upstream_count: BTreeMap<&str, usize> = by_id.keys().map(|id| (*id, 0)).collect();
    for task in tasks {
        for down in task.downstream_task_ids.iter().flatten() {
            if let Some(count) = upstream_count.get_mut(down.as_str()) {
                *count += 1;
            }
        }
    }
    let mut ready: BTreeSet<&str> = upstream_count
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(id, _)| *id)
        .collect();
    let mut ordered = Vec::with_capacity(tasks.len());
    while let Some(id) = ready.pop_first() {
        let task = by_id[id];
        ordered.push(task);
        for down in task.downstream_task_ids.iter().flatten() {
            if let Some(count) = upstream_count.get_mut(down.as_str()) {
                *count -= 1;
                if *count == 0 {
                    ready.insert(down.as_str());
                }
            }
        }
    }
    if ordered.len() < tasks.len() {
        let placed: BTreeSet<&str> = ordered.iter().map(|t| t.task_id.as_str()).collect();
        ordered.extend(
            by_id
                .values()
                .filter(|t| !placed.contains(t.task_id.as_str())),
        );
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, downstream: &[&str]) -> DagTask {
        DagTask {
            task_id: id.into(),
            operator_name: None,
            trigger_rule: None,
            downstream_task_ids: Some(downstream.iter().map(|d| d.to_string()).collect()),
            is_mapped: None,
        }
    }

    fn ids(tasks: &[&DagTask]) -> Vec<String> {
        tasks.iter().map(|t| t.task_id.clone()).collect()
    }

    #[test]
    fn upstream_tasks_come_first() {
        let tasks = [
            task("load", &[]),
            task("extract", &["transform"]),
            task("transform", &["load"]),
            task("audit", &["load"]),
        ];
        assert_eq!(
            ids(&topological(&tasks)),
            ["audit", "extract", "transform", "load"]
        );
    }

    #[test]
    fn a_cycle_does_not_lose_tasks() {
        let tasks = [task("a", &["b"]), task("b", &["a"]), task("c", &[])];
        assert_eq!(ids(&topological(&tasks)), ["c", "a", "b"]);
    }
}
