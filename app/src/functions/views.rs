//! The DAG's graph, a run's Gantt chart and the DAG's code. Each checks the declared access
//! first. When the server renders the page itself it uses the `rendered_*` functions (same
//! checks), which move the drawing out of the data sent for hydration: it goes out once, in
//! the HTML.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::views::{CodePage, GanttPage, GraphPage};

#[cfg(feature = "ssr")]
use super::ports::DagKey;

/// `folded`: group ids separated by commas.
#[server(prefix = "/api", endpoint = "dag_graph", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_dag_graph(
    team: String,
    environment: String,
    dag_id: String,
    #[server(default)] run_id: Option<String>,
    #[server(default)] folded: String,
) -> Result<GraphPage, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_DAG_GRAPH, Some(&team))?;
    let folded = folded
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(String::from)
        .collect();
    super::ports::read_model()?
        .dag_graph(
            &acting,
            &DagKey::new(team, environment, dag_id),
            run_id.filter(|r| !r.is_empty()),
            folded,
        )
        .await
}

#[server(prefix = "/api", endpoint = "run_gantt", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_run_gantt(
    team: String,
    environment: String,
    dag_id: String,
    run_id: String,
) -> Result<GanttPage, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_RUN_GANTT, Some(&team))?;
    super::ports::read_model()?
        .run_gantt(&acting, &DagKey::new(team, environment, dag_id), &run_id)
        .await
}

#[server(prefix = "/api", endpoint = "dag_code", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_dag_code(
    team: String,
    environment: String,
    dag_id: String,
    #[server(default)] run_id: Option<String>,
) -> Result<CodePage, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_DAG_CODE, Some(&team))?;
    super::ports::airflow_actions()?
        .dag_code(
            &acting,
            &DagKey::new(team, environment, dag_id),
            run_id.filter(|r| !r.is_empty()),
        )
        .await
}

/// The graph page's data with its drawing moved to `svg_html` (see the module's docs), kept
/// per team, DAG, run and folded groups until the team's data changes (`kept_pages`): laying
/// out a 500-task DAG costs milliseconds, and the page is reloaded far more often than a
/// sync changes it. The viewer's access is checked before a kept page is looked at.
#[cfg(feature = "ssr")]
pub async fn rendered_dag_graph(
    team: String,
    environment: String,
    dag_id: String,
    run_id: Option<String>,
    folded: String,
) -> Result<GraphPage, AppError> {
    super::guard::require(super::ACCESS_GET_DAG_GRAPH, Some(&team))?;
    let version = super::ports::read_model()?.data_version(&team);
    let key = super::kept_pages::DrawingKey {
        team: team.clone(),
        environment: environment.clone(),
        dag_id: dag_id.clone(),
        run_id: run_id.clone(),
        folded: folded.clone(),
    };
    super::ports::kept_pages()?
        .graphs
        .page(key, version, || async move {
            let mut page = get_dag_graph(team, environment, dag_id, run_id, folded).await?;
            page.svg_html = Some(std::mem::take(&mut page.svg).into());
            Ok(page)
        })
        .await
}

/// The Gantt chart's data with its drawing moved to `svg_html`, kept like the graph's.
#[cfg(feature = "ssr")]
pub async fn rendered_run_gantt(
    team: String,
    environment: String,
    dag_id: String,
    run_id: String,
) -> Result<GanttPage, AppError> {
    super::guard::require(super::ACCESS_GET_RUN_GANTT, Some(&team))?;
    let version = super::ports::read_model()?.data_version(&team);
    let key = super::kept_pages::DrawingKey {
        team: team.clone(),
        environment: environment.clone(),
        dag_id: dag_id.clone(),
        run_id: Some(run_id.clone()),
        folded: String::new(),
    };
    super::ports::kept_pages()?
        .gantts
        .page(key, version, || async move {
            let mut page = get_run_gantt(team, environment, dag_id, run_id).await?;
            page.svg_html = Some(std::mem::take(&mut page.svg).into());
            Ok(page)
        })
        .await
}

#[cfg(feature = "ssr")]
pub async fn rendered_dag_code(
    team: String,
    environment: String,
    dag_id: String,
    run_id: Option<String>,
) -> Result<CodePage, AppError> {
    let mut page = get_dag_code(team, environment, dag_id, run_id).await?;
    page.html_kept = Some(std::mem::take(&mut page.html).into());
    Ok(page)
}
