//! Changes made in Airflow on a team's behalf. Each checks the declared access first; the
//! server then checks the DAG is the team's (or shared, for platform admins), calls Airflow,
//! updates the read model and writes the audit log. Nothing is reported done that Airflow
//! did not confirm.

use leptos::prelude::*;

use crate::errors::AppError;

#[cfg(feature = "ssr")]
use super::ports::DagKey;

/// Returns whether the DAG is paused now.
#[server(prefix = "/api", endpoint = "set_dag_paused")]
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
#[server(prefix = "/api", endpoint = "trigger_dag")]
pub async fn trigger_dag(
    team: String,
    environment: String,
    dag_id: String,
    #[server(default)] conf: String,
    #[server(default)] logical_date: String,
    #[server(default)] note: String,
) -> Result<String, AppError> {
    let acting = super::guard::require(super::ACCESS_TRIGGER_DAG, Some(&team))?;
    let request = crate::models::TriggerRequest {
        conf,
        logical_date,
        note,
    };
    // Checked before anything reaches Airflow (and again in the browser, as you type).
    request.conf_object().map_err(AppError::Invalid)?;
    request.logical_date_rfc3339().map_err(AppError::Invalid)?;
    super::ports::airflow_actions()?
        .trigger(&acting, &DagKey::new(team, environment, dag_id), request)
        .await
}

/// Returns how many task instances Airflow cleared.
#[server(prefix = "/api", endpoint = "clear_failed_tasks")]
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
#[server(prefix = "/api", endpoint = "mark_run")]
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
