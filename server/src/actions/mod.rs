//! Live calls to Airflow on a team's behalf, served to the app by `ports/airflow.rs`.
//!
//! Every action: the server function has checked the role; here the DAG must be visible to
//! the team in the read model (another team's is `NotFound`, before Airflow is asked
//! anything), a shared DAG needs a platform admin, the call uses the team's own Airflow
//! credentials where configured, the outcome is audited (successes and failures), and on
//! success the read model is updated at once from Airflow's answer.

mod connections;
pub mod log;
mod pools;
pub mod read_model_update;
mod tasks;
mod variables;

use std::sync::Arc;

use hangar_app::errors::AppError;
use hangar_app::functions::ports::{Acting, DagKey};
use hangar_app::models::identifiers;
use hangar_app::models::{PlatformAction, TeamAction, Viewer};

use crate::airflow::{AirflowClient, AirflowError, Environments};
use crate::audit::{self, AuditEvent, Outcome};
use crate::clock::Clock;
use crate::config::Ownership;
use crate::db::Db;
use crate::live::LiveUpdates;
use crate::read_model::runs::{DagRecord, visible_dag};

/// Why an action on a DAG in an ownership conflict is refused.
pub const OWNERSHIP_CONFLICT: &str = "Airflow now reports this DAG in a bundle of another \
     owner, so nothing can be done to it until a platform admin resolves the ownership conflict.";

pub struct AirflowGateway {
    pub(crate) db: Db,
    pub(crate) clock: Arc<dyn Clock>,
    airflow: Arc<Environments>,
    live: Arc<LiveUpdates>,
    pub(crate) task_logs: Arc<crate::logs::TaskLogs>,
    /// DAG files already highlighted, by version.
    pub(crate) code: crate::code::CodeCache,
}

impl AirflowGateway {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        airflow: Arc<Environments>,
        live: Arc<LiveUpdates>,
        task_logs: Arc<crate::logs::TaskLogs>,
    ) -> Self {
        Self {
            db,
            clock,
            airflow,
            live,
            task_logs,
            code: Default::default(),
        }
    }

    /// Other pages showing this DAG reload (the acting page reloads by itself).
    pub(crate) async fn announce(&self, key: &DagKey) {
        let dags = std::collections::BTreeSet::from([key.dag_id.clone()]);
        self.live.dags_changed(&key.environment, &dags).await;
    }

    /// The DAG if the team may see it, and the client to change it with if the viewer may
    /// take `action` on it.
    pub(crate) async fn authorize(
        &self,
        viewer: &Viewer,
        key: &DagKey,
        action: TeamAction,
    ) -> Result<(DagRecord, Arc<AirflowClient>), AppError> {
        identifiers::dag_id(&key.dag_id).map_err(AppError::Invalid)?;
        let dag = self.find(key).await?;
        // Refusals are audited once, for every server function alike, by the server's door.
        if !viewer.can_change(&key.team, action, dag.row.shared) {
            return Err(AppError::Forbidden);
        }
        // Airflow reports the DAG in another owner's bundle: whatever it runs now is not
        // (only) this team's code, so neither team acts on it until a platform admin decides.
        if dag.row.ownership_conflict {
            return Err(AppError::Invalid(OWNERSHIP_CONFLICT.into()));
        }
        let client = self.client(&key.environment, &key.team)?;
        Ok((dag, client))
    }

    /// The client for calls made for `team`; an environment the team's pages do not show is
    /// not found.
    pub(crate) fn client(
        &self,
        environment: &str,
        team: &str,
    ) -> Result<Arc<AirflowClient>, AppError> {
        self.airflow
            .for_team(environment, team)
            .ok_or(AppError::NotFound)
    }

    /// How the environment maps things to teams, if the team's pages show it at all.
    pub(crate) fn ownership(&self, environment: &str, team: &str) -> Result<Ownership, AppError> {
        self.airflow
            .ownership_for(environment, team)
            .cloned()
            .ok_or(AppError::NotFound)
    }

    pub(crate) async fn find(&self, key: &DagKey) -> Result<DagRecord, AppError> {
        visible_dag(&self.db, &key.team, &key.environment, &key.dag_id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Audits the outcome of a call to Airflow and turns its error into the user's message.
    pub(crate) async fn audited<T>(
        &self,
        acting: &Acting,
        subject: &Subject,
        action: &'static str,
        detail: String,
        result: Result<T, AirflowError>,
    ) -> Result<T, AppError> {
        self.audited_hiding(acting, subject, action, detail, result, None)
            .await
    }

    /// [`Self::audited`], with `secret` masked out of Airflow's message (a validation error
    /// may quote what was sent) before it is logged, audited or shown.
    pub(crate) async fn audited_hiding<T>(
        &self,
        acting: &Acting,
        subject: &Subject,
        action: &'static str,
        detail: String,
        result: Result<T, AirflowError>,
        secret: Option<&str>,
    ) -> Result<T, AppError> {
        match result {
            Ok(value) => {
                self.record(acting, subject, action, Outcome::Success, detail)
                    .await?;
                Ok(value)
            }
            Err(error) => {
                let mut message = error.to_string();
                if let Some(secret) = secret.filter(|s| !s.is_empty()) {
                    message = message.replace(secret, crate::sync::connections::MASK);
                }
                self.record(
                    acting,
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

    pub(crate) async fn record(
        &self,
        acting: &Acting,
        subject: &Subject,
        action: &'static str,
        outcome: Outcome,
        detail: String,
    ) -> Result<(), AppError> {
        let event = AuditEvent::by(acting, action, outcome)
            .team(subject.team.clone())
            .target(subject.target.clone())
            .detail(detail);
        audit::append(&self.db, self.clock.now_ms(), event).await?;
        Ok(())
    }
}

/// What an action is about, for the audit log: the team it was taken in and its target.
pub(crate) struct Subject {
    team: String,
    target: String,
}

impl Subject {
    pub(crate) fn dag(key: &DagKey) -> Self {
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

impl AirflowGateway {
    /// A run of a visible DAG the read model knows; anything else is not found.
    pub(crate) async fn known_run(&self, key: &DagKey, run_id: &str) -> Result<(), AppError> {
        identifiers::run_id(run_id).map_err(AppError::Invalid)?;
        crate::read_model::tasks::run(&self.db, &key.environment, &key.dag_id, run_id)
            .await?
            .map(|_| ())
            .ok_or(AppError::NotFound)
    }
}
