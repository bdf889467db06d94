//! Rows of the read model's tables as the app's types, for either backend's row type.

use hangar_app::models::{DagRow, RunRow, TaskRow};
use sqlx::Row;

/// The columns a query selected, read into the app's types. Implemented for SQLite's and
/// PostgreSQL's rows alike, so every query maps its rows in one place.
pub trait ReadRow {
    /// Needs `environment, dag_id, shared, conflict_since_ms, display_name, description,
    /// schedule, next_run, owners_json, tags_json, is_paused, scheduling_state,
    /// has_import_errors`.
    fn dag_row(&self) -> Result<DagRow, sqlx::Error>;
    /// Needs `environment, dag_id, run_id, state, run_type, run_after, start_date, end_date`.
    fn run_row(&self) -> Result<RunRow, sqlx::Error>;
    /// Needs [`TASK_COLUMNS`].
    fn task_row(&self) -> Result<TaskRow, sqlx::Error>;
}

/// The columns of `task_instances` a [`TaskRow`] is read from.
pub const TASK_COLUMNS: &str = "task_id, map_index, rendered_map_index, state, try_number, \
    queued_when, start_date, end_date, duration, operator, executor, queue, hostname";

macro_rules! read_row {
    ($row:ty) => {
        impl ReadRow for $row {
            fn dag_row(&self) -> Result<DagRow, sqlx::Error> {
                let list = |column: &str| -> Result<Vec<String>, sqlx::Error> {
                    let json: String = self.try_get(column)?;
                    Ok(serde_json::from_str(&json).unwrap_or_default())
                };
                Ok(DagRow {
                    environment: self.try_get("environment")?,
                    dag_id: self.try_get("dag_id")?,
                    display_name: self.try_get("display_name")?,
                    description: self.try_get("description")?,
                    schedule: self.try_get("schedule")?,
                    next_run: self.try_get("next_run")?,
                    owners: list("owners_json")?,
                    tags: list("tags_json")?,
                    is_paused: self.try_get::<i64, _>("is_paused")? != 0,
                    scheduling_state: self.try_get("scheduling_state")?,
                    has_import_errors: self.try_get::<i64, _>("has_import_errors")? != 0,
                    shared: self.try_get::<i64, _>("shared")? != 0,
                    ownership_conflict: self
                        .try_get::<Option<i64>, _>("conflict_since_ms")?
                        .is_some(),
                    recent_runs: Vec::new(),
                })
            }

            fn run_row(&self) -> Result<RunRow, sqlx::Error> {
                Ok(RunRow {
                    environment: self.try_get("environment")?,
                    dag_id: self.try_get("dag_id")?,
                    run_id: self.try_get("run_id")?,
                    state: self
                        .try_get::<Option<String>, _>("state")?
                        .unwrap_or_else(|| "none".into()),
                    run_type: self.try_get("run_type")?,
                    run_after: self.try_get("run_after")?,
                    start_date: self.try_get("start_date")?,
                    end_date: self.try_get("end_date")?,
                })
            }

            fn task_row(&self) -> Result<TaskRow, sqlx::Error> {
                Ok(TaskRow {
                    task_id: self.try_get("task_id")?,
                    map_index: self.try_get("map_index")?,
                    rendered_map_index: self.try_get("rendered_map_index")?,
                    state: self
                        .try_get::<Option<String>, _>("state")?
                        .unwrap_or_else(|| "none".into()),
                    try_number: self.try_get("try_number")?,
                    queued: self.try_get("queued_when")?,
                    start_date: self.try_get("start_date")?,
                    end_date: self.try_get("end_date")?,
                    duration_s: self.try_get("duration")?,
                    operator: self.try_get("operator")?,
                    executor: self.try_get("executor")?,
                    queue: self.try_get("queue")?,
                    hostname: self.try_get("hostname")?,
                })
            }
        }
    };
}
read_row!(sqlx::sqlite::SqliteRow);
read_row!(sqlx::postgres::PgRow);
