//! What server functions need from the server, as traits the server implements (server only).
//!
//! The app crate stays free of database and Airflow code: the server provides one
//! `Arc<dyn …>` per port as context to every render and server-function call (its
//! implementations are in `server/src/ports/`, one file per port). Every method that serves a
//! caller takes the request's [`Acting`] first: who acts, with which rights, under which
//! request id. Server functions and the JSON API check the declared access first
//! ([`super::guard::require`]); implementations then apply team isolation (another team's
//! thing is `NotFound`), the finer rules (the shared-DAG rule, the deploy policy) and write
//! the audit log on the acting caller's behalf.

use std::sync::Arc;

use leptos::prelude::*;

pub use super::acting::{Acting, ActingToken, Actor, RequestId};
use crate::errors::AppError;
use crate::models::access_overview::{AccessOverview, PeopleQuery, SessionsEnded, TeamAccess};
use crate::models::audit::{AuditCursor, AuditFilter, AuditPage, AuditScope};
use crate::models::deploys::{
    AwaitingReview, CreatedToken, DeployDetail, DeployOverview, DeploySummary, DeployedNow,
    OpenedDeploy, TokenPage, WaitingReview,
};
use crate::models::platform::{OverviewQuery, PlatformOverview};
use crate::models::profile::Profile;
use crate::models::views::{CodePage, GanttPage, GraphPage};
use crate::models::{
    ClearOptions, ClearedTask, ConnectionForm, ConnectionPage, DagDetail, DagPage, DagQuery,
    PoolForm, PoolPage, RevealedValue, RunDetail, RunPage, RunQuery, TaskLogPage, TaskLogQuery,
    TaskPage, TriggerPage, TriggerRequest, VariableForm, VariablePage,
};

/// Names one DAG of one environment, as the URL does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DagKey {
    pub team: String,
    pub environment: String,
    pub dag_id: String,
}

impl DagKey {
    pub fn new(team: String, environment: String, dag_id: String) -> Self {
        Self {
            team,
            environment,
            dag_id,
        }
    }
}

#[async_trait::async_trait]
pub trait ReadModel: Send + Sync + 'static {
    /// The team's DAGs and the shared ones, filtered and paged.
    async fn team_dags(
        &self,
        acting: &Acting,
        team: &str,
        query: DagQuery,
    ) -> Result<DagPage, AppError>;
    /// A number that changes whenever data this team sees is announced as changed (by the
    /// sync or an action, on any replica); kept pages are valid only while it stands still.
    fn data_version(&self, team: &str) -> u64;
    async fn dag_detail(&self, acting: &Acting, dag: &DagKey) -> Result<DagDetail, AppError>;
    /// The DAG and its run parameters, for the trigger page.
    async fn dag_trigger(&self, acting: &Acting, dag: &DagKey) -> Result<TriggerPage, AppError>;
    async fn team_runs(
        &self,
        acting: &Acting,
        team: &str,
        query: RunQuery,
    ) -> Result<RunPage, AppError>;
    async fn run_detail(
        &self,
        acting: &Acting,
        dag: &DagKey,
        run_id: &str,
    ) -> Result<RunDetail, AppError>;
    /// The DAG's graph, coloured by `run_id`'s states, the groups in `folded` folded.
    async fn dag_graph(
        &self,
        acting: &Acting,
        dag: &DagKey,
        run_id: Option<String>,
        folded: Vec<String>,
    ) -> Result<GraphPage, AppError>;
    /// A run's Gantt chart.
    async fn run_gantt(
        &self,
        acting: &Acting,
        dag: &DagKey,
        run_id: &str,
    ) -> Result<GanttPage, AppError>;
    /// One task of a run: its instance (`map_index` for a mapped one), tries and upstream;
    /// for a mapped task without an index, `page` of its instances.
    async fn task_page(
        &self,
        acting: &Acting,
        dag: &DagKey,
        run_id: &str,
        task_id: &str,
        map_index: Option<i64>,
        page: u32,
    ) -> Result<TaskPage, AppError>;
    /// The team's connections and the global ones (metadata only).
    async fn team_connections(
        &self,
        acting: &Acting,
        team: &str,
    ) -> Result<ConnectionPage, AppError>;
    /// The team's pools and the global ones, with what this viewer may change.
    async fn team_pools(&self, acting: &Acting, team: &str) -> Result<PoolPage, AppError>;
    /// The team's variables and the global ones (keys and descriptions, no values).
    async fn team_variables(&self, acting: &Acting, team: &str) -> Result<VariablePage, AppError>;
    /// Where the team's tasks run: the declared set-up and what the last 24 hours used.
    async fn team_execution(
        &self,
        acting: &Acting,
        team: &str,
    ) -> Result<crate::models::execution::TeamExecution, AppError>;
}

/// Live calls to Airflow on a team's behalf.
#[async_trait::async_trait]
pub trait AirflowActions: Send + Sync + 'static {
    /// Pauses or unpauses; returns the state Airflow reports afterwards.
    async fn set_paused(
        &self,
        acting: &Acting,
        dag: &DagKey,
        paused: bool,
    ) -> Result<bool, AppError>;
    /// Triggers a run; returns its run id.
    async fn trigger(
        &self,
        acting: &Acting,
        dag: &DagKey,
        request: TriggerRequest,
    ) -> Result<String, AppError>;
    /// Clears the run's failed task instances; returns how many Airflow cleared.
    async fn clear_failed(
        &self,
        acting: &Acting,
        dag: &DagKey,
        run_id: &str,
    ) -> Result<usize, AppError>;
    /// Clears a task instance (and what `options` add), or with `dry_run` only says which
    /// task instances that would take back to the start.
    async fn clear_task(
        &self,
        acting: &Acting,
        dag: &DagKey,
        options: ClearOptions,
        dry_run: bool,
    ) -> Result<Vec<ClearedTask>, AppError>;
    /// Marks one task instance `success` or `failed`; returns how many Airflow changed.
    async fn mark_task(
        &self,
        acting: &Acting,
        dag: &DagKey,
        run_id: &str,
        task_id: &str,
        map_index: Option<i64>,
        state: &str,
    ) -> Result<usize, AppError>;
    /// Marks a run `success` or `failed`.
    async fn mark_run(
        &self,
        acting: &Acting,
        dag: &DagKey,
        run_id: &str,
        state: &str,
    ) -> Result<(), AppError>;
    /// Creates (`create`) or updates a pool of the team, or a global one.
    async fn save_pool(
        &self,
        acting: &Acting,
        team: &str,
        form: PoolForm,
        create: bool,
    ) -> Result<(), AppError>;
    async fn delete_pool(
        &self,
        acting: &Acting,
        team: &str,
        environment: &str,
        name: &str,
    ) -> Result<(), AppError>;
    /// Creates (`create`) or updates a connection of the team, or a global one.
    async fn save_connection(
        &self,
        acting: &Acting,
        team: &str,
        form: ConnectionForm,
        create: bool,
    ) -> Result<(), AppError>;
    async fn delete_connection(
        &self,
        acting: &Acting,
        team: &str,
        environment: &str,
        connection_id: &str,
    ) -> Result<(), AppError>;
    /// One variable's value, fetched from Airflow now and audited.
    async fn reveal_variable(
        &self,
        acting: &Acting,
        team: &str,
        environment: &str,
        key: &str,
    ) -> Result<RevealedValue, AppError>;
    /// Creates (`create`) or updates a variable of the team, or a global one.
    async fn save_variable(
        &self,
        acting: &Acting,
        team: &str,
        form: VariableForm,
        create: bool,
    ) -> Result<(), AppError>;
    async fn delete_variable(
        &self,
        acting: &Acting,
        team: &str,
        environment: &str,
        key: &str,
    ) -> Result<(), AppError>;
    /// The DAG file's code, highlighted: the version `run_id` ran with, else the latest.
    async fn dag_code(
        &self,
        acting: &Acting,
        dag: &DagKey,
        run_id: Option<String>,
    ) -> Result<CodePage, AppError>;
    /// One page of a try's log (read from Airflow a page at a time, other teams' names
    /// masked); a task instance that never ran has none, and says so.
    async fn task_log(
        &self,
        acting: &Acting,
        dag: &DagKey,
        query: TaskLogQuery,
    ) -> Result<TaskLogPage, AppError>;
}

/// Review-gated deploys and the team API tokens they are requested with. Implementations
/// check the rules of `docs/deploys.md` on the request as stored and write the audit log;
/// the server function has checked the role first.
#[async_trait::async_trait]
pub trait Deploys: Send + Sync + 'static {
    async fn overview(&self, acting: &Acting, team: &str) -> Result<DeployOverview, AppError>;
    /// What the team's targets hold now, for its home page; `None` when the team has no
    /// `[[deploy]]` entry. Reads the targets only, not the repository; a target that cannot
    /// be read is a `problem` in the answer, not an error, so the home still shows. `NotFound`
    /// for a team the viewer may not see.
    async fn deployed_now(
        &self,
        acting: &Acting,
        team: &str,
    ) -> Result<Option<DeployedNow>, AppError>;
    /// The approval screen, with page `page` of the diffs.
    async fn detail(
        &self,
        acting: &Acting,
        team: &str,
        id: i64,
        page: usize,
    ) -> Result<DeployDetail, AppError>;
    /// The team's newest requests (the JSON API's list; the page has [`Self::overview`]).
    async fn history(&self, acting: &Acting, team: &str) -> Result<Vec<DeploySummary>, AppError>;
    /// One request as its list row says it (the JSON API's status).
    async fn summary(
        &self,
        acting: &Acting,
        team: &str,
        id: i64,
    ) -> Result<DeploySummary, AppError>;
    /// Opens a request for `commit` (`None`: the branch head), as a person or a team token.
    async fn request(
        &self,
        acting: &Acting,
        team: &str,
        commit: Option<String>,
    ) -> Result<OpenedDeploy, AppError>;
    /// Approves or rejects. `opened_outside`: the reviewer opened the section of files
    /// beyond the team's paths (and ticked its box), which approving such a request needs.
    async fn review(
        &self,
        acting: &Acting,
        team: &str,
        id: i64,
        approve: bool,
        comment: &str,
        opened_outside: bool,
    ) -> Result<(), AppError>;
    async fn cancel(&self, acting: &Acting, team: &str, id: i64) -> Result<(), AppError>;
    /// Deploys an approved request or retries a failed one (in the background); retrying a
    /// break-glass deploy takes what breaking glass takes.
    async fn deploy(&self, acting: &Acting, team: &str, id: i64) -> Result<(), AppError>;
    /// Deploys without approvals; returns the request's id.
    async fn break_glass(
        &self,
        acting: &Acting,
        team: &str,
        commit: Option<String>,
        reason: &str,
    ) -> Result<i64, AppError>;
    /// Break-glass deploys nobody has reviewed yet, in the teams the viewer can see.
    async fn awaiting_review(&self, acting: &Acting) -> Result<Vec<AwaitingReview>, AppError>;
    async fn tokens(&self, acting: &Acting, team: &str) -> Result<TokenPage, AppError>;
    async fn create_token(
        &self,
        acting: &Acting,
        team: &str,
        name: &str,
        scopes: &[String],
        days: u32,
    ) -> Result<CreatedToken, AppError>;
    async fn revoke_token(&self, acting: &Acting, team: &str, id: i64) -> Result<(), AppError>;
    /// Gives a live token a new secret (shown once); the old one stops working.
    async fn rotate_token(
        &self,
        acting: &Acting,
        team: &str,
        id: i64,
    ) -> Result<CreatedToken, AppError>;
    /// Open requests the viewer could approve now, in the teams where they may. Every page's
    /// header asks, so this does not fail: an error is logged and reads as none waiting.
    async fn waiting_for_review(&self, acting: &Acting) -> Vec<WaitingReview>;
}

/// The signed-in person's own page: their verified addresses and signing keys.
#[async_trait::async_trait]
pub trait Profiles: Send + Sync + 'static {
    async fn profile(&self, acting: &Acting) -> Result<Profile, AppError>;
    /// Registers a public key, proven by `proof` (a signature by it over the profile's
    /// challenge); audited.
    async fn add_signing_key(
        &self,
        acting: &Acting,
        public_key: &str,
        proof: &str,
        label: &str,
    ) -> Result<(), AppError>;
    /// Revokes one of the person's own keys; audited.
    async fn revoke_signing_key(&self, acting: &Acting, id: i64) -> Result<(), AppError>;
}

pub type SharedProfiles = Arc<dyn Profiles>;

pub fn profiles() -> Result<SharedProfiles, AppError> {
    use_context::<SharedProfiles>()
        .ok_or_else(|| AppError::Internal("profiles not provided".into()))
}

/// The platform team's pages across every team. Implementations show only the teams the
/// viewer holds (a platform role holds every configured team).
#[async_trait::async_trait]
pub trait Platform: Send + Sync + 'static {
    async fn overview(
        &self,
        acting: &Acting,
        query: OverviewQuery,
    ) -> Result<PlatformOverview, AppError>;

    /// Resolves a DAG's ownership conflict (audited); `NotFound` for a DAG the read model
    /// does not know.
    async fn resolve_ownership(
        &self,
        acting: &Acting,
        environment: &str,
        dag_id: &str,
        resolution: crate::models::platform::OwnershipResolution,
    ) -> Result<(), AppError>;

    /// Moves with every announced change of any team or environment.
    fn data_version(&self) -> u64;

    /// The server clock's current second: what the overview's ages and windows are
    /// computed from, so a kept overview is never older than the clock says.
    fn clock_second(&self) -> i64;
}

/// The audit log as the viewer reads it. The server function checked the scope's access;
/// implementations apply the scope to every query and strip what a team may not learn.
#[async_trait::async_trait]
pub trait Audit: Send + Sync + 'static {
    async fn page(
        &self,
        acting: &Acting,
        scope: AuditScope,
        filter: AuditFilter,
        before: Option<AuditCursor>,
    ) -> Result<AuditPage, AppError>;
}

pub type SharedAudit = Arc<dyn Audit>;

pub fn audit() -> Result<SharedAudit, AppError> {
    use_context::<SharedAudit>().ok_or_else(|| AppError::Internal("audit log not provided".into()))
}

/// Who holds which role, and ending a person's sessions (`server/src/access/`).
#[async_trait::async_trait]
pub trait People: Send + Sync + 'static {
    async fn team_access(&self, acting: &Acting, team: &str) -> Result<TeamAccess, AppError>;
    async fn overview(
        &self,
        acting: &Acting,
        query: PeopleQuery,
    ) -> Result<AccessOverview, AppError>;
    /// Ends every session of the person (audited); `NotFound` for an unknown id.
    async fn end_sessions(&self, acting: &Acting, user_id: i64) -> Result<SessionsEnded, AppError>;
}

pub type SharedPeople = Arc<dyn People>;

/// A person's own settings (`server/src/ports/preferences.rs`).
#[async_trait::async_trait]
pub trait Preferences: Send + Sync + 'static {
    /// The time zone the person fixed their pages to (`None`: the browser's own).
    async fn time_zone(&self, acting: &Acting) -> Result<Option<String>, AppError>;
    /// The zone every page's times are written in: [`Self::time_zone`], and UTC (`None`,
    /// the error logged) when it cannot be read, so that no page fails for its times.
    async fn reader_zone(&self, acting: &Acting) -> Option<String>;
    /// Fixes the person's zone (`None`: back to the browser's); a zone the server does not
    /// know is `Invalid`.
    async fn set_time_zone(&self, acting: &Acting, zone: Option<String>) -> Result<(), AppError>;
}

pub type SharedPreferences = Arc<dyn Preferences>;

pub fn preferences() -> Result<SharedPreferences, AppError> {
    use_context::<SharedPreferences>()
        .ok_or_else(|| AppError::Internal("preferences not provided".into()))
}

pub fn people() -> Result<SharedPeople, AppError> {
    use_context::<SharedPeople>().ok_or_else(|| AppError::Internal("people not provided".into()))
}

pub type SharedReadModel = Arc<dyn ReadModel>;
pub type SharedAirflowActions = Arc<dyn AirflowActions>;
pub type SharedDeploys = Arc<dyn Deploys>;
pub type SharedPlatform = Arc<dyn Platform>;

pub fn platform() -> Result<SharedPlatform, AppError> {
    use_context::<SharedPlatform>()
        .ok_or_else(|| AppError::Internal("platform pages not provided".into()))
}

pub fn deploys() -> Result<SharedDeploys, AppError> {
    use_context::<SharedDeploys>().ok_or_else(|| AppError::Internal("deploys not provided".into()))
}

pub fn read_model() -> Result<SharedReadModel, AppError> {
    use_context::<SharedReadModel>()
        .ok_or_else(|| AppError::Internal("read model not provided".into()))
}

/// Pages already computed (DAG lists, run lists, platform overviews), one set per server.
pub fn kept_pages() -> Result<Arc<super::kept_pages::KeptCaches>, AppError> {
    use_context::<Arc<super::kept_pages::KeptCaches>>()
        .ok_or_else(|| AppError::Internal("kept pages not provided".into()))
}

pub fn airflow_actions() -> Result<SharedAirflowActions, AppError> {
    use_context::<SharedAirflowActions>()
        .ok_or_else(|| AppError::Internal("Airflow actions not provided".into()))
}
