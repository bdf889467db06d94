//! Changes made in Airflow on a team's behalf. Each checks the declared access first; the
//! server then checks the DAG is the team's (or shared, for platform admins), calls Airflow,
//! updates the read model and writes the audit log. Nothing is reported done that Airflow
//! did not confirm.

// A task instance is addressed the way Airflow addresses it (team, environment, DAG, run,
// task, map index) plus the clear options; the generated client function repeats that list.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::errors::AppError;

#[cfg(feature = "ssr")]
use super::ports::DagKey;

/// Returns whether the DAG is paused now.
#[server(prefix = "/api", endpoint = "set_dag_paused", output = crate::functions::encoding::JsonAnswer)]
pub async fn set_dag_paused(
    team: String,
    environment: String,
    dag_id: String,
    paused: bool,
) -> Result<bool, AppError> {
    let acting = super::guard::require(super::ACCESS_SET_DAG_PAUSED, Some(&team))?;
    super::ports::airflow_actions()?
        .set_paused(&acting, &DagKey::new(team, environment, dag_id), paused)
        .await
}

/// Returns the new run's id.
#[server(prefix = "/api", endpoint = "trigger_dag", output = crate::functions::encoding::JsonAnswer)]
pub async fn trigger_dag(
    team: String,
    environment: String,
    dag_id: String,
    #[server(default)] conf: String,
    #[server(default)] logical_date: String,
    #[server(default)] note: String,
    // The typed parameter fields (`params[name]`), laid over `conf` by the server.
    #[server(default)] params: std::collections::BTreeMap<String, String>,
) -> Result<String, AppError> {
    let acting = super::guard::require(super::ACCESS_TRIGGER_DAG, Some(&team))?;
    let request = crate::models::TriggerRequest {
        conf,
        logical_date,
        note,
        params,
    };
    // Checked before anything reaches Airflow (and again in the browser, as you type).
    request.conf_object().map_err(AppError::Invalid)?;
    request.logical_date_rfc3339().map_err(AppError::Invalid)?;
    super::ports::airflow_actions()?
        .trigger(&acting, &DagKey::new(team, environment, dag_id), request)
        .await
}

/// Returns how many task instances Airflow cleared.
#[server(prefix = "/api", endpoint = "clear_failed_tasks", output = crate::functions::encoding::JsonAnswer)]
pub async fn clear_failed_tasks(
    team: String,
    environment: String,
    dag_id: String,
    run_id: String,
) -> Result<usize, AppError> {
    let acting = super::guard::require(super::ACCESS_CLEAR_FAILED_TASKS, Some(&team))?;
    super::ports::airflow_actions()?
        .clear_failed(&acting, &DagKey::new(team, environment, dag_id), &run_id)
        .await
}

/// `state` is `success` or `failed`.
#[server(prefix = "/api", endpoint = "mark_run", output = crate::functions::encoding::JsonAnswer)]
pub async fn mark_run(
    team: String,
    environment: String,
    dag_id: String,
    run_id: String,
    state: String,
) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_MARK_RUN, Some(&team))?;
    if state != "success" && state != "failed" {
        return Err(AppError::Invalid(
            "A run can be marked success or failed.".into(),
        ));
    }
    super::ports::airflow_actions()?
        .mark_run(
            &acting,
            &DagKey::new(team, environment, dag_id),
            &run_id,
            &state,
        )
        .await
}

/// Clears one task of a run (one mapped instance with `map_index`, else every instance of
/// the task), with what depends on it (`downstream`), what it depends on (`upstream`), only
/// failed ones (`only_failed`), as Airflow's clear dialog does; returns how many task
/// instances Airflow cleared.
#[server(prefix = "/api", endpoint = "clear_task", output = crate::functions::encoding::JsonAnswer)]
pub async fn clear_task(
    team: String,
    environment: String,
    dag_id: String,
    run_id: String,
    task_id: String,
    #[server(default)] map_index: Option<i64>,
    #[server(default)] downstream: bool,
    #[server(default)] upstream: bool,
    #[server(default)] only_failed: bool,
) -> Result<usize, AppError> {
    let options = crate::models::ClearOptions {
        run_id,
        task_id,
        map_index: map_index.filter(|m| *m >= 0),
        downstream,
        upstream,
        only_failed,
    };
    clear_in_airflow(team, environment, dag_id, options, false)
        .await
        .map(|cleared| cleared.len())
}

/// What [`clear_task`] with the same options would clear (Airflow's dry run): nothing
/// changes, nothing is audited.
#[server(prefix = "/api", endpoint = "clear_task_preview", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_clear_preview(
    team: String,
    environment: String,
    dag_id: String,
    run_id: String,
    task_id: String,
    #[server(default)] map_index: Option<i64>,
    #[server(default)] downstream: bool,
    #[server(default)] upstream: bool,
    #[server(default)] only_failed: bool,
) -> Result<Vec<crate::models::ClearedTask>, AppError> {
    let options = crate::models::ClearOptions {
        run_id,
        task_id,
        map_index: map_index.filter(|m| *m >= 0),
        downstream,
        upstream,
        only_failed,
    };
    clear_in_airflow(team, environment, dag_id, options, true).await
}

/// The clear and its preview: one access check (the same for both: a preview shows what
/// only a clearer may see), one port call.
#[cfg(feature = "ssr")]
async fn clear_in_airflow(
    team: String,
    environment: String,
    dag_id: String,
    options: crate::models::ClearOptions,
    dry_run: bool,
) -> Result<Vec<crate::models::ClearedTask>, AppError> {
    let acting = super::guard::require(super::ACCESS_CLEAR_TASK, Some(&team))?;
    super::ports::airflow_actions()?
        .clear_task(
            &acting,
            &DagKey::new(team, environment, dag_id),
            options,
            dry_run,
        )
        .await
}

/// Marks one task instance `success` or `failed`.
#[server(prefix = "/api", endpoint = "mark_task", output = crate::functions::encoding::JsonAnswer)]
pub async fn mark_task(
    team: String,
    environment: String,
    dag_id: String,
    run_id: String,
    task_id: String,
    #[server(default)] map_index: Option<i64>,
    state: String,
) -> Result<usize, AppError> {
    let acting = super::guard::require(super::ACCESS_MARK_TASK, Some(&team))?;
    if !crate::models::MARK_STATES.contains(&state.as_str()) {
        return Err(AppError::Invalid(
            "A task instance can be marked success or failed.".into(),
        ));
    }
    super::ports::airflow_actions()?
        .mark_task(
            &acting,
            &DagKey::new(team, environment, dag_id),
            &run_id,
            &task_id,
            map_index.filter(|m| *m >= 0),
            &state,
        )
        .await
}
