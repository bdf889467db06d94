//! The app's `AirflowActions` port: writes to Airflow (pause, trigger, clear, mark; pools,
//! connections, variables) and live reads (task logs) on the acting person's behalf, through
//! the gateway of `actions/`, which checks ownership, audits and updates the read model.

use hangar_app::errors::AppError;
use hangar_app::functions::ports::{Acting, AirflowActions, DagKey};
use hangar_app::models::{
    ClearOptions, ClearedTask, ConnectionForm, PoolForm, RevealedValue, TaskLogPage, TaskLogQuery,
    TeamAction, TriggerRequest, VariableForm,
};

use hangar_app::models::views::CodePage;

use crate::actions::{AirflowGateway, Subject, log, read_model_update};
use crate::airflow::models::TriggerBody;

#[async_trait::async_trait]
impl AirflowActions for AirflowGateway {
    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team = %key.team, dag = %key.dag_id))]
    async fn set_paused(
        &self,
        acting: &Acting,
        key: &DagKey,
        paused: bool,
    ) -> Result<bool, AppError> {
        let action = if paused { "dag.pause" } else { "dag.unpause" };
        let (_, client) = self
            .authorize(&acting.viewer, key, TeamAction::Pause)
            .await?;
        let result = client.set_paused(&key.dag_id, paused).await;
        let dag = self
            .audited(acting, &Subject::dag(key), action, String::new(), result)
            .await?;
        read_model_update::dag_paused(&self.db, &key.environment, &dag.dag_id, dag.is_paused)
            .await?;
        self.announce(key).await;
        Ok(dag.is_paused)
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team = %key.team, dag = %key.dag_id))]
    async fn trigger(
        &self,
        acting: &Acting,
        key: &DagKey,
        request: TriggerRequest,
    ) -> Result<String, AppError> {
        let (dag, client) = self
            .authorize(&acting.viewer, key, TeamAction::Trigger)
            .await?;
        let conf = request.conf_for(&dag.params()).map_err(AppError::Invalid)?;
        let body = TriggerBody {
            conf,
            logical_date: request.logical_date_rfc3339().map_err(AppError::Invalid)?,
            note: (!request.note.trim().is_empty()).then(|| request.note.trim().to_string()),
        };
        let result = client.trigger(&key.dag_id, &body).await;
        let detail = match &result {
            Ok(run) => format!("run {}", run.dag_run_id),
            Err(_) => "trigger".to_string(),
        };
        let run = self
            .audited(acting, &Subject::dag(key), "dag.trigger", detail, result)
            .await?;
        read_model_update::run(&self.db, &key.environment, &run, self.clock.now_ms()).await?;
        self.announce(key).await;
        Ok(run.dag_run_id)
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team = %key.team, dag = %key.dag_id))]
    async fn clear_failed(
        &self,
        acting: &Acting,
        key: &DagKey,
        run_id: &str,
    ) -> Result<usize, AppError> {
        let (_, client) = self
            .authorize(&acting.viewer, key, TeamAction::Clear)
            .await?;
        self.known_run(key, run_id).await?;
        let result = client.clear_failed(&key.dag_id, run_id).await;
        let cleared = self
            .audited(
                acting,
                &Subject::dag(key),
                "run.clear_failed",
                format!("run {run_id}"),
                result,
            )
            .await?;
        read_model_update::cleared(
            &self.db,
            &key.environment,
            &key.dag_id,
            run_id,
            &cleared,
            self.clock.now_ms(),
        )
        .await?;
        self.announce(key).await;
        Ok(cleared.len())
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team = %key.team, dag = %key.dag_id))]
    async fn clear_task(
        &self,
        acting: &Acting,
        key: &DagKey,
        options: ClearOptions,
        dry_run: bool,
    ) -> Result<Vec<ClearedTask>, AppError> {
        self.clear_task_impl(acting, key, options, dry_run).await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team = %key.team, dag = %key.dag_id))]
    async fn mark_task(
        &self,
        acting: &Acting,
        key: &DagKey,
        run_id: &str,
        task_id: &str,
        map_index: Option<i64>,
        state: &str,
    ) -> Result<usize, AppError> {
        self.mark_task_impl(acting, key, run_id, task_id, map_index, state)
            .await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team = %key.team, dag = %key.dag_id))]
    async fn mark_run(
        &self,
        acting: &Acting,
        key: &DagKey,
        run_id: &str,
        state: &str,
    ) -> Result<(), AppError> {
        let (_, client) = self
            .authorize(&acting.viewer, key, TeamAction::Clear)
            .await?;
        self.known_run(key, run_id).await?;
        let result = client.set_run_state(&key.dag_id, run_id, state).await;
        let run = self
            .audited(
                acting,
                &Subject::dag(key),
                "run.mark",
                format!("run {run_id} → {state}"),
                result,
            )
            .await?;
        read_model_update::run(&self.db, &key.environment, &run, self.clock.now_ms()).await?;
        self.announce(key).await;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn save_connection(
        &self,
        acting: &Acting,
        team: &str,
        form: ConnectionForm,
        create: bool,
    ) -> Result<(), AppError> {
        self.save_connection_impl(acting, team, form, create).await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn delete_connection(
        &self,
        acting: &Acting,
        team: &str,
        environment: &str,
        connection_id: &str,
    ) -> Result<(), AppError> {
        self.delete_connection_impl(acting, team, environment, connection_id)
            .await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn save_pool(
        &self,
        acting: &Acting,
        team: &str,
        form: PoolForm,
        create: bool,
    ) -> Result<(), AppError> {
        self.save_pool_impl(acting, team, form, create).await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn delete_pool(
        &self,
        acting: &Acting,
        team: &str,
        environment: &str,
        name: &str,
    ) -> Result<(), AppError> {
        self.delete_pool_impl(acting, team, environment, name).await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn reveal_variable(
        &self,
        acting: &Acting,
        team: &str,
        environment: &str,
        key: &str,
    ) -> Result<RevealedValue, AppError> {
        self.reveal_variable_impl(acting, team, environment, key)
            .await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn save_variable(
        &self,
        acting: &Acting,
        team: &str,
        form: VariableForm,
        create: bool,
    ) -> Result<(), AppError> {
        self.save_variable_impl(acting, team, form, create).await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn delete_variable(
        &self,
        acting: &Acting,
        team: &str,
        environment: &str,
        key: &str,
    ) -> Result<(), AppError> {
        self.delete_variable_impl(acting, team, environment, key)
            .await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team = %key.team, dag = %key.dag_id))]
    async fn dag_code(
        &self,
        acting: &Acting,
        key: &DagKey,
        run_id: Option<String>,
    ) -> Result<CodePage, AppError> {
        self.code_page(key, run_id).await
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team = %key.team, dag = %key.dag_id))]
    async fn task_log(
        &self,
        acting: &Acting,
        key: &DagKey,
        query: TaskLogQuery,
    ) -> Result<TaskLogPage, AppError> {
        let TaskLogQuery {
            run_id,
            task_id,
            map_index,
            try_number,
            page,
            filter,
        } = query;
        // Airflow's own rules first: nothing with `/` or `..` reaches a URL path.
        hangar_app::models::identifiers::run_id(&run_id).map_err(AppError::Invalid)?;
        hangar_app::models::identifiers::task_id(&task_id).map_err(AppError::Invalid)?;
        self.find(key).await?;
        // Only a task instance the read model knows is asked for: ids cannot be probed.
        let instance = log::instance(&self.db, key, &run_id, &task_id, map_index)
            .await?
            .ok_or(AppError::NotFound)?;
        let empty = |notice: &str| TaskLogPage {
            task_id: task_id.clone(),
            map_index,
            try_number: 0,
            max_try: 0,
            lines: Vec::new(),
            page: 0,
            total: Some(0),
            capped: false,
            growing: false,
            first_error: None,
            open_group: None,
            filter: filter.clone(),
            notice: Some(notice.to_string()),
            reading: false,
        };
        if instance.try_number == 0 {
            // Skipped, upstream failed, or not run yet: Airflow has no log to ask for.
            return Ok(empty("This task instance has not run, so it has no log."));
        }
        let of = log::try_of(&self.db, key, &run_id, &task_id, map_index, try_number)
            .await?
            .ok_or(AppError::NotFound)?;
        let view = self.task_logs.page(&of, page, &filter).await?;
        Ok(TaskLogPage {
            task_id,
            map_index,
            try_number: of.key.try_number,
            max_try: instance.try_number,
            lines: view.lines,
            page: view.page,
            total: view.total,
            capped: view.capped,
            growing: view.growing,
            first_error: view.first_error,
            open_group: view.open_group,
            filter,
            notice: view.notice,
            reading: view.reading,
        })
    }
}

impl AirflowGateway {
    /// The code page: the DAG file at the version `run_id` ran with (the latest without a
    /// run), highlighted once per version.
    async fn code_page(&self, key: &DagKey, run_id: Option<String>) -> Result<CodePage, AppError> {
        let dag = self.find(key).await?;
        if let Some(run) = &run_id {
            self.known_run(key, run).await?;
        }
        let client = self.client(&key.environment, &key.team)?;
        let upstream = |error: crate::airflow::AirflowError| AppError::Upstream(error.to_string());
        let version = match &run_id {
            Some(run) => client
                .run_versions(&key.dag_id, run)
                .await
                .map_err(upstream)?
                .dag_versions
                .iter()
                .map(|v| v.version_number)
                .max(),
            None => None,
        };
        let file = dag.relative_fileloc.clone();
        let kept = version.and_then(|v| self.code.get(&key.environment, &key.dag_id, v));
        let (version, highlighted) = match kept {
            Some(kept) => (version, kept),
            None => {
                let source = client
                    .dag_source(&key.dag_id, version, crate::code::MAX_SOURCE_BYTES)
                    .await
                    .map_err(upstream)?;
                let highlighted = std::sync::Arc::new(crate::code::highlight(
                    source.content.as_deref().unwrap_or_default(),
                    file.as_deref(),
                ));
                let version = source.version_number.or(version);
                if let Some(version) = version {
                    self.code
                        .keep(&key.environment, &key.dag_id, version, highlighted.clone());
                }
                (version, highlighted)
            }
        };
        Ok(CodePage {
            environment: key.environment.clone(),
            dag_id: key.dag_id.clone(),
            dag_display_name: dag.row.display_name,
            shared: dag.row.shared,
            file,
            version,
            run_id,
            line_count: highlighted.lines,
            html: highlighted.html.to_string(),
            html_kept: None,
        })
    }
}
