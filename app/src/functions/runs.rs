//! Reads of DAG details, runs and task logs. Each checks the declared access first.

// A task log is addressed the way Airflow addresses it (team, environment, DAG, run, task,
// map index, try) plus a page; the generated client function repeats that argument list.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{DagDetail, RunDetail, RunPage, TaskLogPage, TaskPage, TriggerPage};

#[cfg(feature = "ssr")]
use super::ports::DagKey;

#[server(prefix = "/api", endpoint = "dag_detail", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_dag_detail(
    team: String,
    environment: String,
    dag_id: String,
) -> Result<DagDetail, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_DAG_DETAIL, Some(&team))?;
    super::ports::read_model()?
        .dag_detail(&acting, &DagKey::new(team, environment, dag_id))
        .await
}

/// The DAG page's data with its recent runs' HTML moved to `recent_runs_kept`, for the
/// server's own render: the grid goes out once, in the page's HTML, not again in the data
/// the browser hydrates from (as `views::rendered_dag_graph`).
#[cfg(feature = "ssr")]
pub async fn rendered_dag_detail(
    team: String,
    environment: String,
    dag_id: String,
) -> Result<DagDetail, AppError> {
    let mut detail = get_dag_detail(team, environment, dag_id).await?;
    detail.recent_runs_kept = Some(std::mem::take(&mut detail.recent_runs_html).into());
    Ok(detail)
}

/// The trigger page's DAG and its run parameters (the form itself posts to `trigger_dag`).
#[server(prefix = "/api", endpoint = "dag_trigger", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_dag_trigger(
    team: String,
    environment: String,
    dag_id: String,
) -> Result<TriggerPage, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_DAG_TRIGGER, Some(&team))?;
    super::ports::read_model()?
        .dag_trigger(&acting, &DagKey::new(team, environment, dag_id))
        .await
}

#[server(prefix = "/api", endpoint = "team_runs", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_team_runs(
    team: String,
    #[server(default)] state: String,
    #[server(default)] run_type: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] page: u32,
) -> Result<RunPage, AppError> {
    let query = crate::models::RunQuery {
        state,
        run_type,
        from,
        to,
        page,
    };
    kept_team_runs(team, query, false).await
}

/// The run list with its rows already written as HTML: what the server renders the page
/// from. Same check as [`get_team_runs`], kept the same way.
#[cfg(feature = "ssr")]
pub async fn rendered_team_runs(
    team: String,
    query: crate::models::RunQuery,
) -> Result<RunPage, AppError> {
    kept_team_runs(team, query, true).await
}

/// The team's runs, kept until the team's data changes (`kept_pages`): at a million runs
/// the newest page and its capped count are most of the page's cost, and the list is
/// reloaded far more often than a sync changes it. `as_html`: the rows written as HTML.
#[cfg(feature = "ssr")]
async fn kept_team_runs(
    team: String,
    query: crate::models::RunQuery,
    as_html: bool,
) -> Result<RunPage, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_TEAM_RUNS, Some(&team))?;
    let read_model = super::ports::read_model()?;
    let version = read_model.data_version(&team);
    let key = super::kept_pages::RunListKey {
        team: team.clone(),
        query: query.clone(),
        as_html,
    };
    super::ports::kept_pages()?
        .run_lists
        .page(key, version, || async {
            let mut page = read_model.team_runs(&acting, &team, query).await?;
            if as_html {
                page.rows_html =
                    Some(crate::components::run_rows::run_rows_html(&team, &page.rows).into());
                page.rows = Vec::new();
            }
            Ok(page)
        })
        .await
}

#[server(prefix = "/api", endpoint = "run_detail", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_run_detail(
    team: String,
    environment: String,
    dag_id: String,
    run_id: String,
) -> Result<RunDetail, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_RUN_DETAIL, Some(&team))?;
    super::ports::read_model()?
        .run_detail(&acting, &DagKey::new(team, environment, dag_id), &run_id)
        .await
}

/// One task of a run: its instance (or, mapped and without an index, `page` of its
/// instances), tries, upstream and why it did not run.
#[server(prefix = "/api", endpoint = "task_page", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_task_page(
    team: String,
    environment: String,
    dag_id: String,
    run_id: String,
    task_id: String,
    #[server(default)] map_index: Option<i64>,
    #[server(default)] page: u32,
) -> Result<TaskPage, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_TASK_PAGE, Some(&team))?;
    super::ports::read_model()?
        .task_page(
            &acting,
            &DagKey::new(team, environment, dag_id),
            &run_id,
            &task_id,
            map_index.filter(|m| *m >= 0),
            page,
        )
        .await
}

#[server(prefix = "/api", endpoint = "task_log", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_task_log(
    team: String,
    environment: String,
    dag_id: String,
    run_id: String,
    task_id: String,
    #[server(default)] map_index: Option<i64>,
    #[server(default)] try_number: Option<i64>,
    #[server(default)] page: u32,
    #[server(default)] level: String,
    #[server(default)] search: String,
) -> Result<TaskLogPage, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_TASK_LOG, Some(&team))?;
    if !level.is_empty() && !crate::models::LOG_LEVELS.contains(&level.as_str()) {
        return Err(AppError::Invalid(format!("Unknown log level {level:?}.")));
    }
    if search.chars().count() > crate::models::LogFilter::MAX_SEARCH {
        return Err(AppError::Invalid(format!(
            "Search for at most {} characters.",
            crate::models::LogFilter::MAX_SEARCH
        )));
    }
    let query = crate::models::TaskLogQuery {
        run_id,
        task_id,
        map_index: map_index.unwrap_or(-1),
        try_number: try_number.unwrap_or(0),
        page,
        filter: crate::models::LogFilter { level, search },
    };
    super::ports::airflow_actions()?
        .task_log(&acting, &DagKey::new(team, environment, dag_id), query)
        .await
}
