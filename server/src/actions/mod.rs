//! Live calls to Airflow on a team's behalf: the server's side of
//! `hangar_app::functions::ports::AirflowActions`.
//!
//! Every action: the server function has checked the role; here the DAG must be visible to
//! the team in the read model (another team's is `NotFound`, before Airflow is asked
//! anything), a shared DAG needs a platform admin, the call uses the team's own Airflow
//! credentials where configured, the outcome is audited (successes and failures), and on
//! success the read model is updated at once from Airflow's answer.

mod connections;
mod log;
mod pools;
mod read_model_update;
mod variables;

use std::sync::Arc;

use hangar_app::errors::AppError;
use hangar_app::functions::ports::{AirflowActions, Caller, DagKey};
use hangar_app::models::{
    ConnectionForm, PlatformAction, PoolForm, RevealedValue, TaskLogPage, TeamAction,
    TriggerRequest, VariableForm, Viewer, check_conf,
};

use crate::airflow::models::TriggerBody;
use crate::airflow::{AirflowClient, AirflowError, Environments};
use crate::audit::{self, AuditEvent, Outcome};
use crate::clock::Clock;
use crate::config::Ownership;
use crate::db::Db;
use crate::identity::middleware::CurrentUser;
use crate::live::LiveUpdates;
use crate::read_model::runs::{DagRecord, visible_dag};

pub struct AirflowGateway {
    db: Db,
    clock: Arc<dyn Clock>,
    airflow: Arc<Environments>,
    live: Arc<LiveUpdates>,
}

impl AirflowGateway {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        airflow: Arc<Environments>,
        live: Arc<LiveUpdates>,
    ) -> Self {
        Self {
            db,
            clock,
            airflow,
            live,
        }
    }

    /// Other pages showing this DAG reload (the acting page reloads by itself).
    async fn announce(&self, key: &DagKey) {
        let dags = std::collections::BTreeSet::from([key.dag_id.clone()]);
        self.live.dags_changed(&key.environment, &dags).await;
    }

    /// The DAG if the team may see it, and the client to change it with if the viewer may
    /// take `action` on it.
    async fn authorize(
        &self,
        viewer: &Viewer,
        key: &DagKey,
        action: TeamAction,
    ) -> Result<(DagRecord, Arc<AirflowClient>), AppError> {
        let dag = self.find(key).await?;
        // Refusals are audited once, for every server function alike, by the server's door.
        if !viewer.can_change(&key.team, action, dag.row.shared) {
            return Err(AppError::Forbidden);
        }
        let client = self.client(&key.environment, &key.team)?;
        Ok((dag, client))
    }

    /// The client for calls made for `team`; an environment the team's pages do not show is
    /// not found.
    fn client(&self, environment: &str, team: &str) -> Result<Arc<AirflowClient>, AppError> {
        self.airflow
            .for_team(environment, team)
            .ok_or(AppError::NotFound)
    }

    /// How the environment maps things to teams, if the team's pages show it at all.
    fn ownership(&self, environment: &str, team: &str) -> Result<Ownership, AppError> {
        self.airflow
            .ownership_for(environment, team)
            .cloned()
            .ok_or(AppError::NotFound)
    }

    async fn find(&self, key: &DagKey) -> Result<DagRecord, AppError> {
        visible_dag(&self.db, &key.team, &key.environment, &key.dag_id)
            .await
            .map_err(database)?
            .ok_or(AppError::NotFound)
    }

    /// Audits the outcome of a call to Airflow and turns its error into the user's message.
    async fn audited<T>(
        &self,
        caller: &Caller,
        subject: &Subject,
        action: &'static str,
        detail: String,
        result: Result<T, AirflowError>,
    ) -> Result<T, AppError> {
        self.audited_hiding(caller, subject, action, detail, result, None)
            .await
    }

    /// [`Self::audited`], with `secret` masked out of Airflow's message (a validation error
    /// may quote what was sent) before it is logged, audited or shown.
    async fn audited_hiding<T>(
        &self,
        caller: &Caller,
        subject: &Subject,
        action: &'static str,
        detail: String,
        result: Result<T, AirflowError>,
        secret: Option<&str>,
    ) -> Result<T, AppError> {
        match result {
            Ok(value) => {
                self.record(caller, subject, action, Outcome::Success, detail)
                    .await?;
                Ok(value)
            }
            Err(error) => {
                let mut message = error.to_string();
                if let Some(secret) = secret.filter(|s| !s.is_empty()) {
                    message = message.replace(secret, crate::sync::connections::MASK);
                }
                self.record(
                    caller,
                    subject,
                    action,
                    Outcome::Failure,
                    format!("{detail}: {message}"),
                )
                .await?;
                Err(AppError::Upstream(message))
            }
        }
    }

    async fn record(
        &self,
        caller: &Caller,
        subject: &Subject,
        action: &'static str,
        outcome: Outcome,
        detail: String,
    ) -> Result<(), AppError> {
        let actor = caller.extensions.get::<CurrentUser>().map(|c| c.0.actor());
        let event = AuditEvent::new(action, outcome)
            .actor(actor)
            .team(subject.team.clone())
            .target(subject.target.clone())
            .detail(detail)
            .request_id(crate::http::request_id(&caller.headers));
        audit::append(&self.db, self.clock.now_ms(), event)
            .await
            .map(|_| ())
            .map_err(database)
    }
}

/// What an action is about, for the audit log: the team it was taken in and its target.
struct Subject {
    team: String,
    target: String,
}

impl Subject {
    fn dag(key: &DagKey) -> Self {
        Self {
            team: key.team.clone(),
            target: format!("{}/{}", key.environment, key.dag_id),
        }
    }

    fn connection(team: &str, environment: &str, connection_id: &str) -> Self {
        Self {
            team: team.to_string(),
            target: format!("{environment}/connection/{connection_id}"),
        }
    }

    fn variable(team: &str, environment: &str, key: &str) -> Self {
        Self {
            team: team.to_string(),
            target: format!("{environment}/variable/{key}"),
        }
    }

    fn pool(team: &str, environment: &str, name: &str) -> Self {
        Self {
            team: team.to_string(),
            target: format!("{environment}/pool/{name}"),
        }
    }
}

/// Global things (pools, connections of no team) are changed by platform admins only.
fn require_scope(viewer: &Viewer, global: bool) -> Result<(), AppError> {
    if global && !viewer.can_platform(PlatformAction::ManageCommon) {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

fn database(error: sqlx::Error) -> AppError {
    tracing::error!(%error, "database error in an Airflow action");
    AppError::Internal("database".into())
}

#[async_trait::async_trait]
impl AirflowActions for AirflowGateway {
    async fn set_paused(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        key: &DagKey,
        paused: bool,
    ) -> Result<bool, AppError> {
        let action = if paused { "dag.pause" } else { "dag.unpause" };
        let (_, client) = self.authorize(viewer, key, TeamAction::Pause).await?;
        let result = client.set_paused(&key.dag_id, paused).await;
        let dag = self
            .audited(caller, &Subject::dag(key), action, String::new(), result)
            .await?;
        read_model_update::dag_paused(&self.db, &key.environment, &dag.dag_id, dag.is_paused)
            .await
            .map_err(database)?;
        self.announce(key).await;
        Ok(dag.is_paused)
    }

    async fn trigger(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        key: &DagKey,
        request: TriggerRequest,
    ) -> Result<String, AppError> {
        let (dag, client) = self.authorize(viewer, key, TeamAction::Trigger).await?;
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
            .audited(caller, &Subject::dag(key), "dag.trigger", detail, result)
            .await?;
        read_model_update::run(&self.db, &key.environment, &run, self.clock.now_ms())
            .await
            .map_err(database)?;
        self.announce(key).await;
        Ok(run.dag_run_id)
    }

    async fn clear_failed(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        key: &DagKey,
        run_id: &str,
    ) -> Result<usize, AppError> {
        let (_, client) = self.authorize(viewer, key, TeamAction::Clear).await?;
        self.known_run(key, run_id).await?;
        let result = client.clear_failed(&key.dag_id, run_id).await;
        let cleared = self
            .audited(
                caller,
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
        .await
        .map_err(database)?;
        self.announce(key).await;
        Ok(cleared.len())
    }

    async fn mark_run(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        key: &DagKey,
        run_id: &str,
        state: &str,
    ) -> Result<(), AppError> {
        let (_, client) = self.authorize(viewer, key, TeamAction::Clear).await?;
        self.known_run(key, run_id).await?;
        let result = client.set_run_state(&key.dag_id, run_id, state).await;
        let run = self
            .audited(
                caller,
                &Subject::dag(key),
                "run.mark",
                format!("run {run_id} → {state}"),
                result,
            )
            .await?;
        read_model_update::run(&self.db, &key.environment, &run, self.clock.now_ms())
            .await
            .map_err(database)?;
        self.announce(key).await;
        Ok(())
    }

    async fn save_connection(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        team: &str,
        form: ConnectionForm,
        create: bool,
    ) -> Result<(), AppError> {
        self.save_connection_impl(caller, viewer, team, form, create)
            .await
    }

    async fn delete_connection(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        team: &str,
        environment: &str,
        connection_id: &str,
    ) -> Result<(), AppError> {
        self.delete_connection_impl(caller, viewer, team, environment, connection_id)
            .await
    }

    async fn save_pool(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        team: &str,
        form: PoolForm,
        create: bool,
    ) -> Result<(), AppError> {
        self.save_pool_impl(caller, viewer, team, form, create)
            .await
    }

    async fn delete_pool(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        team: &str,
        environment: &str,
        name: &str,
    ) -> Result<(), AppError> {
        self.delete_pool_impl(caller, viewer, team, environment, name)
            .await
    }

    async fn reveal_variable(
        &self,
        caller: &Caller,
        _viewer: &Viewer,
        team: &str,
        environment: &str,
        key: &str,
    ) -> Result<RevealedValue, AppError> {
        self.reveal_variable_impl(caller, team, environment, key)
            .await
    }

    async fn save_variable(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        team: &str,
        form: VariableForm,
        create: bool,
    ) -> Result<(), AppError> {
        self.save_variable_impl(caller, viewer, team, form, create)
            .await
    }

    async fn delete_variable(
        &self,
        caller: &Caller,
        viewer: &Viewer,
        team: &str,
        environment: &str,
        key: &str,
    ) -> Result<(), AppError> {
        self.delete_variable_impl(caller, viewer, team, environment, key)
            .await
    }

    async fn task_log(
        &self,
        _viewer: &Viewer,
        key: &DagKey,
        run_id: &str,
        task_id: &str,
        map_index: i64,
        try_number: i64,
        page: u32,
    ) -> Result<TaskLogPage, AppError> {
        self.find(key).await?;
        // Only a task instance the read model knows is asked for: ids cannot be probed.
        let max_try = log::latest_try(&self.db, key, run_id, task_id, map_index)
            .await
            .map_err(database)?
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

impl AirflowGateway {
    /// A run of a visible DAG the read model knows; anything else is not found.
    async fn known_run(&self, key: &DagKey, run_id: &str) -> Result<(), AppError> {
        crate::read_model::runs::run_with_tasks(&self.db, &key.environment, &key.dag_id, run_id)
            .await
            .map_err(database)?
            .map(|_| ())
            .ok_or(AppError::NotFound)
    }
}
