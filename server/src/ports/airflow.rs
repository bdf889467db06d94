//! The app's `AirflowActions` port: writes to Airflow (pause, trigger, clear, mark; pools,
//! connections, variables) and live reads (task logs) on the acting person's behalf, through
//! the gateway of `actions/`, which checks ownership, audits and updates the read model.

use hangar_app::errors::AppError;
use hangar_app::functions::ports::{Acting, AirflowActions, DagKey};
use hangar_app::models::{
    ConnectionForm, PoolForm, RevealedValue, TaskLogPage, TeamAction, TriggerRequest, VariableForm,
    check_conf,
};

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
        let conf = request.conf_object().map_err(AppError::Invalid)?;
        check_conf(&conf, &dag.params()).map_err(AppError::Invalid)?;
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
    async fn task_log(
        &self,
        acting: &Acting,
        key: &DagKey,
        run_id: &str,
        task_id: &str,
        map_index: i64,
        try_number: i64,
        page: u32,
    ) -> Result<TaskLogPage, AppError> {
        // Airflow's own rules first: nothing with `/` or `..` reaches a URL path.
        hangar_app::models::identifiers::run_id(run_id).map_err(AppError::Invalid)?;
        hangar_app::models::identifiers::task_id(task_id).map_err(AppError::Invalid)?;
        self.find(key).await?;
        // Only a task instance the read model knows is asked for: ids cannot be probed.
        let max_try = log::latest_try(&self.db, key, run_id, task_id, map_index)
            .await?
            .ok_or(AppError::NotFound)?;
        let try_number = if try_number <= 0 { max_try } else { try_number };
        if try_number > max_try.max(1) {
            return Err(AppError::NotFound);
        }
        let client = self.client(&key.environment, &key.team)?;
        let fetched = client
            .task_log(&key.dag_id, run_id, task_id, map_index, try_number.max(1))
            .await
            .map_err(|error| AppError::Upstream(error.to_string()))?;
        Ok(log::page(
            task_id,
            try_number.max(1),
            max_try.max(1),
            fetched,
            page,
        ))
    }
}
