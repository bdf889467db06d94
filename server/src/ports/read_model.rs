//! The app's `ReadModel` port: a page's data put together from the read model's queries
//! (`read_model/`), with what the acting viewer may do on it. The server function checked
//! the declared access; team isolation is in every query.

use hangar_app::errors::AppError;
use hangar_app::functions::ports::{Acting, DagKey, ReadModel};
use hangar_app::models::views::{GanttPage, GraphPage};
use hangar_app::models::{
    ConnectionPage, DagDetail, DagPage, DagQuery, PlatformAction, PoolPage, RUN_STATES, RUN_TYPES,
    RunDetail, RunPage, RunQuery, TaskPage, TeamAction, TriggerPage, VariablePage,
};

use hangar_app::models::execution::{DeclaredExecution, TeamExecution};

use crate::config::{AirflowConfig, Ownership, TeamConfig};
use crate::db::Db;
use crate::read_model::{
    connections, dags, execution, import_errors, markdown, pools, run_grid_html, runs, tasks,
    variables,
};

pub struct DbReadModel {
    pub(super) db: Db,
    versions: std::sync::Arc<crate::live::DataVersions>,
    environments: Vec<(String, Ownership)>,
    /// DAG graphs already laid out.
    pub(super) graphs: crate::graph::GraphCache,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    /// What `[[teams]] execution` declares, by team.
    declared: std::collections::HashMap<String, DeclaredExecution>,
}

impl DbReadModel {
    pub fn new(
        db: Db,
        environments: &[AirflowConfig],
        teams: &[TeamConfig],
        versions: std::sync::Arc<crate::live::DataVersions>,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
    ) -> Self {
        Self {
            db,
            versions,
            graphs: Default::default(),
            clock,
            declared: execution::declared(teams),
            environments: environments
                .iter()
                .map(|env| (env.name.clone(), env.ownership.clone()))
                .collect(),
        }
    }

    /// Environments whose data a team's pages show: multi-team ones (they may hold the team's
    /// bundles and shared ones) and the team's own single-team ones.
    fn environments_of(&self, team: &str) -> Vec<&str> {
        self.environments
            .iter()
            .filter(|(_, ownership)| ownership.serves(team))
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

#[async_trait::async_trait]
impl ReadModel for DbReadModel {
    fn data_version(&self, team: &str) -> u64 {
        self.versions.of(team)
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn team_dags(
        &self,
        acting: &Acting,
        team: &str,
        query: DagQuery,
    ) -> Result<DagPage, AppError> {
        let environments = self.environments_of(team);
        let mut page = dags::team_dags(&self.db, &environments, team, query).await?;
        page.import_errors =
            import_errors::team_import_errors(&self.db, &environments, team).await?;
        Ok(page)
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team = %key.team, dag = %key.dag_id))]
    async fn dag_detail(&self, acting: &Acting, key: &DagKey) -> Result<DagDetail, AppError> {
        let read = async {
            let Some(mut record) =
                runs::visible_dag(&self.db, &key.team, &key.environment, &key.dag_id).await?
            else {
                return Ok(None);
            };
            let grid = tasks::grid(&self.db, &key.environment, &key.dag_id).await?;
            record.row.recent_runs = runs::strip(&grid);
            let sync = dags::sync_notices(&self.db, &[key.environment.as_str()]).await?;
            let errors = match &record.relative_fileloc {
                Some(file) => {
                    import_errors::file_import_errors(
                        &self.db,
                        &key.environment,
                        record.bundle_name.as_deref(),
                        file,
                    )
                    .await?
                }
                None => Vec::new(),
            };
            Ok::<_, crate::error::ServerError>(Some((record, grid, sync, errors)))
        };
        let (record, grid, sync, import_errors) = read.await?.ok_or(AppError::NotFound)?;
        let shared = record.row.shared;
        // In an ownership conflict nothing may be done to the DAG (see `actions::authorize`).
        let open = !record.row.ownership_conflict;
        let param_names = record.params().into_iter().map(|p| p.name).collect();
        Ok(DagDetail {
            can_pause: open
                && acting
                    .viewer
                    .can_change(&key.team, TeamAction::Pause, shared),
            can_trigger: open
                && acting
                    .viewer
                    .can_change(&key.team, TeamAction::Trigger, shared),
            dag: record.row,
            bundle_name: record.bundle_name,
            bundle_version: record.bundle_version,
            last_parsed: record.last_parsed,
            file: record.relative_fileloc,
            doc_html: record.doc_md.as_deref().map(markdown::render),
            param_names,
            import_errors,
            recent_runs_html: run_grid_html::recent_runs_html(
                &run_grid_html::GridPlace {
                    team: &key.team,
                    environment: &key.environment,
                    dag_id: &key.dag_id,
                },
                &grid,
            ),
            recent_runs_kept: None,
            runs_from: grid.runs.first().map(|r| r.run_after.clone()),
            runs_to: grid.runs.last().map(|r| r.run_after.clone()),
            sync,
        })
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team = %key.team, dag = %key.dag_id))]
    async fn dag_trigger(&self, acting: &Acting, key: &DagKey) -> Result<TriggerPage, AppError> {
        let record = runs::visible_dag(&self.db, &key.team, &key.environment, &key.dag_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let params = record.params();
        let row = record.row;
        Ok(TriggerPage {
            // As on the DAG page: in an ownership conflict nothing may be done to the DAG.
            can_trigger: !row.ownership_conflict
                && acting
                    .viewer
                    .can_change(&key.team, TeamAction::Trigger, row.shared),
            environment: row.environment,
            dag_id: row.dag_id,
            display_name: row.display_name,
            shared: row.shared,
            is_paused: row.is_paused,
            ownership_conflict: row.ownership_conflict,
            params,
        })
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn team_runs(
        &self,
        acting: &Acting,
        team: &str,
        query: RunQuery,
    ) -> Result<RunPage, AppError> {
        if !query.state.is_empty() && !RUN_STATES.contains(&query.state.as_str()) {
            return Err(AppError::Invalid(format!(
                "Unknown run state {:?}.",
                query.state
            )));
        }
        if !query.run_type.is_empty() && !RUN_TYPES.contains(&query.run_type.as_str()) {
            return Err(AppError::Invalid(format!(
                "Unknown run type {:?}.",
                query.run_type
            )));
        }
        for date in [&query.from, &query.to] {
            if !date.is_empty() && !is_date(date) {
                return Err(AppError::Invalid(format!(
                    "Dates look like 2026-11-21, not {date:?}."
                )));
            }
        }
        let (rows, total) = runs::team_runs(&self.db, team, &query).await?;
        let sync = dags::sync_notices(&self.db, &self.environments_of(team)).await?;
        Ok(RunPage {
            shown: rows.len() as u64,
            rows,
            total,
            query,
            sync,
            rows_html: None,
        })
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team = %key.team, dag = %key.dag_id))]
    async fn run_detail(
        &self,
        acting: &Acting,
        key: &DagKey,
        run_id: &str,
    ) -> Result<RunDetail, AppError> {
        let dag = runs::visible_dag(&self.db, &key.team, &key.environment, &key.dag_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let run = tasks::run(&self.db, &key.environment, &key.dag_id, run_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let tasks = tasks::run_tasks(&self.db, &key.environment, &key.dag_id, run_id).await?;
        Ok(RunDetail {
            run,
            dag_display_name: dag.row.display_name,
            shared: dag.row.shared,
            tasks,
            can_clear: !dag.row.ownership_conflict
                && acting
                    .viewer
                    .can_change(&key.team, TeamAction::Clear, dag.row.shared),
        })
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team = %key.team, dag = %key.dag_id))]
    async fn dag_graph(
        &self,
        acting: &Acting,
        key: &DagKey,
        run_id: Option<String>,
        folded: Vec<String>,
    ) -> Result<GraphPage, AppError> {
        self.graph_page(key, run_id, folded).await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team = %key.team, dag = %key.dag_id))]
    async fn run_gantt(
        &self,
        acting: &Acting,
        key: &DagKey,
        run_id: &str,
    ) -> Result<GanttPage, AppError> {
        self.gantt_page(key, run_id, self.clock.now_ms()).await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team = %key.team, dag = %key.dag_id))]
    async fn task_page(
        &self,
        acting: &Acting,
        key: &DagKey,
        run_id: &str,
        task_id: &str,
        map_index: Option<i64>,
        page: u32,
    ) -> Result<TaskPage, AppError> {
        let dag = runs::visible_dag(&self.db, &key.team, &key.environment, &key.dag_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let run = tasks::run(&self.db, &key.environment, &key.dag_id, run_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let view = tasks::task_page(
            &self.db,
            &key.environment,
            &key.dag_id,
            &run,
            task_id,
            map_index,
            page,
        )
        .await?
        .ok_or(AppError::NotFound)?;
        let downstream = view
            .info
            .as_ref()
            .map(|t| t.downstream.clone())
            .unwrap_or_default();
        Ok(TaskPage {
            run,
            dag_display_name: dag.row.display_name,
            shared: dag.row.shared,
            task_id: task_id.to_string(),
            operator: view.info.as_ref().and_then(|t| t.operator.clone()),
            trigger_rule: view.info.as_ref().and_then(|t| t.trigger_rule.clone()),
            instance: view.instance,
            mapped: view.mapped,
            tries: view.tries,
            upstream: view.upstream,
            downstream,
            why: view.why,
            can_clear: acting
                .viewer
                .can_change(&key.team, TeamAction::Clear, dag.row.shared),
        })
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn team_connections(
        &self,
        acting: &Acting,
        team: &str,
    ) -> Result<ConnectionPage, AppError> {
        let environments = self.environments_of(team);
        let stored = connections::team_connections(&self.db, &environments, team).await?;
        let manages_global = acting.viewer.can_platform(PlatformAction::ManageCommon);
        let manages_team = acting.viewer.can(team, TeamAction::EditConnections);
        let connections = stored
            .into_iter()
            .map(|mut connection| {
                connection.row.editable = if connection.team.is_none() {
                    manages_global
                } else {
                    manages_team
                };
                connection.row
            })
            .collect();
        let sync = dags::sync_notices(&self.db, &environments).await?;
        Ok(ConnectionPage {
            connections,
            environments: environments.iter().map(|e| e.to_string()).collect(),
            can_create_team_connection: manages_team,
            can_create_global_connection: manages_global,
            sync,
        })
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn team_variables(&self, acting: &Acting, team: &str) -> Result<VariablePage, AppError> {
        let environments = self.environments_of(team);
        let stored = variables::team_variables(&self.db, &environments, team).await?;
        let manages_global = acting.viewer.can_platform(PlatformAction::ManageCommon);
        let manages_team = acting.viewer.can(team, TeamAction::EditVariables);
        let variables = stored
            .into_iter()
            .map(|mut variable| {
                variable.row.editable = if variable.team.is_none() {
                    manages_global
                } else {
                    manages_team
                };
                variable.row
            })
            .collect();
        let sync = dags::sync_notices(&self.db, &environments).await?;
        Ok(VariablePage {
            variables,
            environments: environments.iter().map(|e| e.to_string()).collect(),
            can_reveal: acting.viewer.can(team, TeamAction::RevealVariables),
            can_create_team_variable: manages_team,
            can_create_global_variable: manages_global,
            sync,
        })
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn team_pools(&self, acting: &Acting, team: &str) -> Result<PoolPage, AppError> {
        let environments = self.environments_of(team);
        let stored = pools::team_pools(&self.db, &environments, team).await?;
        let manages_global = acting.viewer.can_platform(PlatformAction::ManageCommon);
        let manages_team = acting.viewer.can(team, TeamAction::EditPools);
        let pools = stored
            .into_iter()
            .map(|mut pool| {
                pool.row.editable = if pool.team.is_none() {
                    manages_global
                } else {
                    manages_team
                };
                pool.row
            })
            .collect();
        let sync = dags::sync_notices(&self.db, &environments).await?;
        Ok(PoolPage {
            pools,
            environments: environments.iter().map(|e| e.to_string()).collect(),
            can_create_team_pool: manages_team,
            can_create_global_pool: manages_global,
            sync,
        })
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn team_execution(&self, acting: &Acting, team: &str) -> Result<TeamExecution, AppError> {
        let seen = execution::seen(&self.db, Some(team), self.clock.now_ms())
            .await?
            .remove(team)
            .unwrap_or_default();
        Ok(TeamExecution {
            declared: self.declared.get(team).cloned(),
            seen,
        })
    }
}
