//! Clearing and marking one task of a run, as Airflow's own task dialog does: checked like
//! every action (the DAG is the team's, the shared-DAG rule, the run and task known to the
//! read model), audited, and reflected in the read model at once.

use hangar_app::errors::AppError;
use hangar_app::functions::ports::{Acting, DagKey};
use hangar_app::models::{ClearOptions, ClearedTask, TeamAction};

use super::{AirflowGateway, Subject, log, read_model_update};
use crate::airflow::TaskAttempt;
use crate::db::{Db, query_result};
use crate::error::ServerError;
use crate::with_pool;

/// Whether the run has the task (the one instance `map_index` names, or any instance).
async fn task_known(
    db: &Db,
    key: &DagKey,
    run_id: &str,
    task_id: &str,
    map_index: Option<i64>,
) -> Result<bool, ServerError> {
    if let Some(index) = map_index {
        return Ok(log::instance(db, key, run_id, task_id, index)
            .await?
            .is_some());
    }
    query_result(with_pool!(db, pool => {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM task_instances WHERE environment = $1 AND dag_id = $2 \
             AND run_id = $3 AND task_id = $4",
        )
        .bind(&key.environment)
        .bind(&key.dag_id)
        .bind(run_id)
        .bind(task_id)
        .fetch_one(pool)
        .await
        .map(|n| n > 0)
    }))
}

impl AirflowGateway {
    pub(crate) async fn clear_task_impl(
        &self,
        acting: &Acting,
        key: &DagKey,
        options: ClearOptions,
        dry_run: bool,
    ) -> Result<Vec<ClearedTask>, AppError> {
        let (_, client) = self
            .authorize(&acting.viewer, key, TeamAction::Clear)
            .await?;
        if !task_known(
            &self.db,
            key,
            &options.run_id,
            &options.task_id,
            options.map_index,
        )
        .await?
        {
            return Err(AppError::NotFound);
        }
        let task = match options.map_index {
            Some(index) => serde_json::json!([options.task_id, index]),
            None => serde_json::json!(options.task_id),
        };
        let body = serde_json::json!({
            "dry_run": dry_run,
            "dag_run_id": options.run_id,
            "task_ids": [task],
            "include_downstream": options.downstream,
            "include_upstream": options.upstream,
            "only_failed": options.only_failed,
            "reset_dag_runs": true,
        });
        let result = client.clear_task_instances(&key.dag_id, &body).await;
        if dry_run {
            let instances = result.map_err(|error| AppError::Upstream(error.to_string()))?;
            return Ok(instances
                .into_iter()
                .map(|ti| ClearedTask {
                    task_id: ti.task_id,
                    map_index: ti.map_index,
                    state: ti.state.unwrap_or_else(|| "none".into()),
                })
                .collect());
        }
        let detail = match &result {
            Ok(cleared) => format!("{} ({} task instances)", options.describe(), cleared.len()),
            Err(_) => options.describe(),
        };
        let cleared = self
            .audited(acting, &Subject::dag(key), "task.clear", detail, result)
            .await?;
        read_model_update::cleared(
            &self.db,
            &key.environment,
            &key.dag_id,
            &options.run_id,
            &cleared,
            self.clock.now_ms(),
        )
        .await?;
        self.announce(key).await;
        Ok(cleared
            .into_iter()
            .map(|ti| ClearedTask {
                task_id: ti.task_id,
                map_index: ti.map_index,
                state: ti.state.unwrap_or_else(|| "none".into()),
            })
            .collect())
    }

    pub(crate) async fn mark_task_impl(
        &self,
        acting: &Acting,
        key: &DagKey,
        run_id: &str,
        task_id: &str,
        map_index: Option<i64>,
        state: &str,
    ) -> Result<usize, AppError> {
        let (_, client) = self
            .authorize(&acting.viewer, key, TeamAction::Clear)
            .await?;
        let index = map_index.unwrap_or(-1);
        if log::instance(&self.db, key, run_id, task_id, index)
            .await?
            .is_none()
        {
            return Err(AppError::NotFound);
        }
        let attempt = TaskAttempt {
            dag_id: &key.dag_id,
            run_id,
            task_id,
            map_index: index,
            try_number: 0,
        };
        let result = client.set_task_state(&attempt, state).await;
        let name = match map_index {
            Some(index) => format!("{task_id} [{index}]"),
            None => task_id.to_string(),
        };
        let changed = self
            .audited(
                acting,
                &Subject::dag(key),
                "task.mark",
                format!("{name} of run {run_id} → {state}"),
                result,
            )
            .await?;
        read_model_update::task_states(
            &self.db,
            &key.environment,
            &key.dag_id,
            run_id,
            &changed,
            self.clock.now_ms(),
        )
        .await?;
        self.announce(key).await;
        Ok(changed.len())
    }
}
