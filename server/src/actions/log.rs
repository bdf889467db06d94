//! Task logs of a team's task instances: which try of which instance a request may read,
//! found in the read model first (another team's, or one Hangar does not know, is not found
//! before Airflow is asked); the reading itself is `crate::logs`.

use hangar_app::functions::ports::DagKey;
use sqlx::Row;

use crate::db::{Db, query_result};
use crate::error::ServerError;
use crate::logs::TryOf;
use crate::logs::spool::AttemptKey;
use crate::read_model::runs::visible_dag;
use crate::with_pool;

/// What the read model knows of one task instance: its state and current try.
pub struct Instance {
    pub state: String,
    pub try_number: i64,
}

/// The instance, if the read model knows it (the caller checked the DAG is the team's).
pub async fn instance(
    db: &Db,
    key: &DagKey,
    run_id: &str,
    task_id: &str,
    map_index: i64,
) -> Result<Option<Instance>, ServerError> {
    query_result(with_pool!(db, pool => {
        let row = sqlx::query(
            "SELECT state, try_number FROM task_instances WHERE environment = $1 AND dag_id = $2 \
             AND run_id = $3 AND task_id = $4 AND map_index = $5",
        )
        .bind(&key.environment)
        .bind(&key.dag_id)
        .bind(run_id)
        .bind(task_id)
        .bind(map_index)
        .fetch_optional(pool)
        .await?;
        row.map(|r| {
            Ok(Instance {
                state: r
                    .try_get::<Option<String>, _>("state")?
                    .unwrap_or_else(|| "none".into()),
                try_number: r.try_get("try_number")?,
            })
        })
        .transpose()
    }))
}

/// The try of a task instance of a DAG `key.team` may see (`try_number` 0: the latest),
/// with the instance's state now. `None` for another team's, an unknown one, a try that
/// does not exist, or an instance that never ran (it has no log).
pub async fn try_of(
    db: &Db,
    key: &DagKey,
    run_id: &str,
    task_id: &str,
    map_index: i64,
    try_number: i64,
) -> Result<Option<TryOf>, ServerError> {
    if visible_dag(db, &key.team, &key.environment, &key.dag_id)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let Some(instance) = instance(db, key, run_id, task_id, map_index).await? else {
        return Ok(None);
    };
    let wanted = if try_number <= 0 {
        instance.try_number
    } else {
        try_number
    };
    if wanted < 1 || wanted > instance.try_number {
        return Ok(None);
    }
    Ok(Some(TryOf {
        team: key.team.clone(),
        key: AttemptKey {
            environment: key.environment.clone(),
            dag_id: key.dag_id.clone(),
            run_id: run_id.to_string(),
            task_id: task_id.to_string(),
            map_index,
            try_number: wanted,
        },
        state: instance.state,
        current_try: instance.try_number,
    }))
}
