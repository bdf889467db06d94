//! The `ReadModel` port's pictures: a DAG's graph and a run's Gantt chart, drawn from the
//! read model (`dag_tasks`, `task_instances`, `task_instance_tries`) by `crate::graph`.

use std::collections::BTreeSet;

use hangar_app::errors::AppError;
use hangar_app::functions::ports::DagKey;
use hangar_app::models::views::{GanttPage, GraphPage};

use super::read_model::DbReadModel;
use crate::graph::{GraphKey, GraphLinks, gantt, groups_of};
use crate::read_model::{runs, tasks};

/// Runs offered to colour the graph by.
const RUNS_TO_CHOOSE: usize = 25;
/// Groups a view may name as folded (more are ignored).
const MAX_FOLDED: usize = 200;

struct Links<'a> {
    key: &'a DagKey,
    run_id: Option<&'a str>,
    folded: &'a BTreeSet<String>,
}

impl GraphLinks for Links<'_> {
    fn task(&self, task_id: &str) -> Option<String> {
        self.run_id.map(|run| {
            hangar_app::paths::task_log(
                &self.key.team,
                &self.key.environment,
                &self.key.dag_id,
                run,
                task_id,
                -1,
                0,
            )
        })
    }

    fn toggle(&self, group: &str, fold: bool) -> String {
        let mut folded = self.folded.clone();
        if fold {
            folded.insert(group.to_string());
        } else {
            folded.remove(group);
        }
        graph_path(self.key, self.run_id, &folded)
    }
}

/// The graph page with `folded` groups folded.
pub fn graph_path(key: &DagKey, run_id: Option<&str>, folded: &BTreeSet<String>) -> String {
    let base = hangar_app::paths::graph(&key.team, &key.environment, &key.dag_id, run_id);
    let folded: Vec<&str> = folded.iter().map(String::as_str).collect();
    if folded.is_empty() {
        return base;
    }
    let separator = if base.contains('?') { '&' } else { '?' };
    format!(
        "{base}{separator}folded={}",
        hangar_app::paths::encode(&folded.join(","))
    )
}

impl DbReadModel {
    pub(super) async fn graph_page(
        &self,
        key: &DagKey,
        run_id: Option<String>,
        folded: Vec<String>,
    ) -> Result<GraphPage, AppError> {
        let dag = runs::visible_dag(&self.db, &key.team, &key.environment, &key.dag_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let run = match &run_id {
            Some(run_id) => Some(
                tasks::run(&self.db, &key.environment, &key.dag_id, run_id)
                    .await?
                    .ok_or(AppError::NotFound)?,
            ),
            None => None,
        };
        let known = tasks::dag_tasks(&self.db, &key.environment, &key.dag_id).await?;
        let version = tasks::task_list_version(&self.db, &key.environment, &key.dag_id)
            .await?
            .unwrap_or(0);
        let groups: BTreeSet<String> = known.iter().flat_map(|t| groups_of(&t.task_id)).collect();
        // Only groups the DAG has: a made-up name changes nothing (and is not kept).
        let folded: BTreeSet<String> = folded
            .into_iter()
            .filter(|g| groups.contains(g))
            .take(MAX_FOLDED)
            .collect();
        let count = known.len();
        let drawing = self.graphs.drawing(
            GraphKey {
                environment: key.environment.clone(),
                dag_id: key.dag_id.clone(),
                version,
                folded: folded.clone(),
            },
            move || known,
        );
        let states = match &run {
            Some(run) => {
                tasks::run_states(&self.db, &key.environment, &key.dag_id, &run.run_id).await?
            }
            None => Default::default(),
        };
        let links = Links {
            key,
            run_id: run.as_ref().map(|r| r.run_id.as_str()),
            folded: &folded,
        };
        let svg = crate::graph::svg(&drawing, &states, &links);
        let runs =
            tasks::latest_runs(&self.db, &key.environment, &key.dag_id, RUNS_TO_CHOOSE).await?;
        let mut groups: Vec<String> = groups.into_iter().collect();
        groups.sort_by_key(|g| g.matches('.').count());
        Ok(GraphPage {
            environment: key.environment.clone(),
            dag_id: key.dag_id.clone(),
            dag_display_name: dag.row.display_name,
            shared: dag.row.shared,
            run,
            runs,
            tasks: count,
            groups,
            folded: folded.into_iter().collect(),
            svg,
            svg_html: None,
        })
    }

    pub(super) async fn gantt_page(
        &self,
        key: &DagKey,
        run_id: &str,
        now_ms: i64,
    ) -> Result<GanttPage, AppError> {
        let dag = runs::visible_dag(&self.db, &key.team, &key.environment, &key.dag_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let run = tasks::run(&self.db, &key.environment, &key.dag_id, run_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let rows: Vec<gantt::Row> =
            tasks::gantt_rows(&self.db, &key.environment, &key.dag_id, run_id)
                .await?
                .into_iter()
                .map(|(task_id, mapped, bars)| gantt::Row {
                    href: hangar_app::paths::task_log(
                        &key.team,
                        &key.environment,
                        &key.dag_id,
                        run_id,
                        &task_id,
                        -1,
                        0,
                    ),
                    task_id,
                    mapped,
                    bars,
                })
                .collect();
        Ok(GanttPage {
            rows: rows.len(),
            svg: gantt::svg(&rows, now_ms),
            run,
            dag_display_name: dag.row.display_name,
            shared: dag.row.shared,
            svg_html: None,
        })
    }
}
