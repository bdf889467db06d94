//! Server functions: one file per area, each function's first line checks its declared access.
//!
//! [`declared_access`] lists every server function with the access it demands. The server
//! refuses to call a function that is not listed (deny by default), and the route-matrix test
//! fails if a registered function is missing here.

pub mod access;
#[cfg(feature = "ssr")]
pub mod acting;
pub mod actions;
pub mod audit;
pub mod connections;
pub mod dags;
pub mod deploys;
pub mod encoding;
#[cfg(feature = "ssr")]
pub mod guard;
#[cfg(feature = "ssr")]
pub mod kept_pages;
pub mod platform;
pub mod pools;
#[cfg(feature = "ssr")]
pub mod ports;
pub mod profile;
pub mod runs;
pub mod settings;
pub mod team;
pub mod variables;
pub mod viewer;
pub mod views;

/// A value the server put in the extensions of the request being served, read in place: a
/// clone of the request's parts copies every header and extension (the session's identity
/// with its tokens among them), which showed in the team page's profile. `None` outside a
/// request.
#[cfg(feature = "ssr")]
pub fn request_extension<T: Clone + Send + Sync + 'static>() -> Option<T> {
    leptos::prelude::with_context::<http::request::Parts, _>(|parts| {
        parts.extensions.get::<T>().cloned()
    })
    .flatten()
}

use crate::models::{Access, PlatformAction, TeamAction};

pub const ACCESS_GET_PAGE_FRAME: Access = Access::Authenticated;
pub const ACCESS_GET_SETTINGS: Access = Access::Authenticated;
pub const ACCESS_SAVE_TIME_ZONE: Access = Access::Authenticated;
pub const ACCESS_GET_TEAM_HOME: Access = Access::Team(TeamAction::View);
pub const ACCESS_GET_TEAM_DAGS: Access = Access::Team(TeamAction::View);
pub const ACCESS_GET_DAG_DETAIL: Access = Access::Team(TeamAction::View);
pub const ACCESS_GET_DAG_TRIGGER: Access = Access::Team(TeamAction::Trigger);
pub const ACCESS_GET_TEAM_RUNS: Access = Access::Team(TeamAction::View);
pub const ACCESS_GET_RUN_DETAIL: Access = Access::Team(TeamAction::View);
pub const ACCESS_GET_TASK_LOG: Access = Access::Team(TeamAction::View);
pub const ACCESS_GET_TASK_PAGE: Access = Access::Team(TeamAction::View);
pub const ACCESS_GET_DAG_GRAPH: Access = Access::Team(TeamAction::View);
pub const ACCESS_GET_RUN_GANTT: Access = Access::Team(TeamAction::View);
pub const ACCESS_GET_DAG_CODE: Access = Access::Team(TeamAction::View);
pub const ACCESS_SET_DAG_PAUSED: Access = Access::Team(TeamAction::Pause);
pub const ACCESS_TRIGGER_DAG: Access = Access::Team(TeamAction::Trigger);
pub const ACCESS_CLEAR_FAILED_TASKS: Access = Access::Team(TeamAction::Clear);
pub const ACCESS_MARK_RUN: Access = Access::Team(TeamAction::Clear);
pub const ACCESS_CLEAR_TASK: Access = Access::Team(TeamAction::Clear);
pub const ACCESS_MARK_TASK: Access = Access::Team(TeamAction::Clear);
pub const ACCESS_GET_TEAM_POOLS: Access = Access::Team(TeamAction::View);
pub const ACCESS_CREATE_POOL: Access = Access::Team(TeamAction::EditPools);
pub const ACCESS_UPDATE_POOL: Access = Access::Team(TeamAction::EditPools);
pub const ACCESS_DELETE_POOL: Access = Access::Team(TeamAction::EditPools);
pub const ACCESS_GET_TEAM_CONNECTIONS: Access = Access::Team(TeamAction::View);
pub const ACCESS_SAVE_CONNECTION: Access = Access::Team(TeamAction::EditConnections);
pub const ACCESS_DELETE_CONNECTION: Access = Access::Team(TeamAction::EditConnections);
pub const ACCESS_GET_TEAM_VARIABLES: Access = Access::Team(TeamAction::View);
pub const ACCESS_REVEAL_VARIABLE: Access = Access::Team(TeamAction::RevealVariables);
pub const ACCESS_SAVE_VARIABLE: Access = Access::Team(TeamAction::EditVariables);
pub const ACCESS_DELETE_VARIABLE: Access = Access::Team(TeamAction::EditVariables);
pub const ACCESS_GET_TEAM_DEPLOYS: Access = Access::Team(TeamAction::View);
pub const ACCESS_GET_DEPLOY_DETAIL: Access = Access::Team(TeamAction::View);
pub const ACCESS_REQUEST_DEPLOY: Access = Access::Team(TeamAction::RequestDeploy);
pub const ACCESS_REVIEW_DEPLOY: Access = Access::Team(TeamAction::ApproveDeploy);
/// Only the requester may cancel; the server checks that on the request.
pub const ACCESS_CANCEL_DEPLOY: Access = Access::Team(TeamAction::RequestDeploy);
pub const ACCESS_RUN_DEPLOY: Access = Access::Team(TeamAction::RequestDeploy);
pub const ACCESS_BREAK_GLASS_DEPLOY: Access = Access::Team(TeamAction::BreakGlass);
pub const ACCESS_GET_TEAM_TOKENS: Access = Access::Team(TeamAction::ManageTokens);
pub const ACCESS_CREATE_TOKEN: Access = Access::Team(TeamAction::ManageTokens);
pub const ACCESS_REVOKE_TOKEN: Access = Access::Team(TeamAction::ManageTokens);
pub const ACCESS_ROTATE_TOKEN: Access = Access::Team(TeamAction::ManageTokens);
/// One's own page and keys: every signed-in person, about themselves only.
pub const ACCESS_GET_PROFILE: Access = Access::Authenticated;
pub const ACCESS_ADD_SIGNING_KEY: Access = Access::Authenticated;
pub const ACCESS_REVOKE_SIGNING_KEY: Access = Access::Authenticated;
pub const ACCESS_GET_PLATFORM_OVERVIEW: Access = Access::Platform(PlatformAction::ViewOverview);
pub const ACCESS_GET_PLATFORM_AUDIT: Access = Access::Platform(PlatformAction::ViewAudit);
pub const ACCESS_GET_TEAM_AUDIT: Access = Access::Team(TeamAction::ViewTeamAudit);
pub const ACCESS_GET_TEAM_ACCESS: Access = Access::Team(TeamAction::ViewMembers);
pub const ACCESS_GET_ACCESS_OVERVIEW: Access = Access::Platform(PlatformAction::ViewAccess);
pub const ACCESS_END_USER_SESSIONS: Access = Access::Platform(PlatformAction::EndSessions);
pub const ACCESS_RESOLVE_DAG_OWNERSHIP: Access = Access::Platform(PlatformAction::ResolveOwnership);

/// Every server function's path with the access it declares.
pub fn declared_access() -> Vec<(&'static str, Access)> {
    use leptos::server_fn::ServerFn;
    vec![
        (viewer::GetPageFrame::PATH, ACCESS_GET_PAGE_FRAME),
        (settings::GetSettings::PATH, ACCESS_GET_SETTINGS),
        (settings::SaveTimeZone::PATH, ACCESS_SAVE_TIME_ZONE),
        (team::GetTeamHome::PATH, ACCESS_GET_TEAM_HOME),
        (
            platform::GetPlatformOverview::PATH,
            ACCESS_GET_PLATFORM_OVERVIEW,
        ),
        (audit::GetPlatformAudit::PATH, ACCESS_GET_PLATFORM_AUDIT),
        (audit::GetTeamAudit::PATH, ACCESS_GET_TEAM_AUDIT),
        (access::GetTeamAccess::PATH, ACCESS_GET_TEAM_ACCESS),
        (access::GetAccessOverview::PATH, ACCESS_GET_ACCESS_OVERVIEW),
        (access::EndUserSessions::PATH, ACCESS_END_USER_SESSIONS),
        (
            platform::ResolveDagOwnership::PATH,
            ACCESS_RESOLVE_DAG_OWNERSHIP,
        ),
        (dags::GetTeamDags::PATH, ACCESS_GET_TEAM_DAGS),
        (runs::GetDagDetail::PATH, ACCESS_GET_DAG_DETAIL),
        (runs::GetDagTrigger::PATH, ACCESS_GET_DAG_TRIGGER),
        (runs::GetTeamRuns::PATH, ACCESS_GET_TEAM_RUNS),
        (runs::GetRunDetail::PATH, ACCESS_GET_RUN_DETAIL),
        (runs::GetTaskLog::PATH, ACCESS_GET_TASK_LOG),
        (runs::GetTaskPage::PATH, ACCESS_GET_TASK_PAGE),
        (views::GetDagGraph::PATH, ACCESS_GET_DAG_GRAPH),
        (views::GetRunGantt::PATH, ACCESS_GET_RUN_GANTT),
        (views::GetDagCode::PATH, ACCESS_GET_DAG_CODE),
        (actions::SetDagPaused::PATH, ACCESS_SET_DAG_PAUSED),
        (actions::TriggerDag::PATH, ACCESS_TRIGGER_DAG),
        (actions::ClearFailedTasks::PATH, ACCESS_CLEAR_FAILED_TASKS),
        (actions::MarkRun::PATH, ACCESS_MARK_RUN),
        (actions::ClearTask::PATH, ACCESS_CLEAR_TASK),
        (actions::GetClearPreview::PATH, ACCESS_CLEAR_TASK),
        (actions::MarkTask::PATH, ACCESS_MARK_TASK),
        (pools::GetTeamPools::PATH, ACCESS_GET_TEAM_POOLS),
        (
            connections::GetTeamConnections::PATH,
            ACCESS_GET_TEAM_CONNECTIONS,
        ),
        (connections::SaveConnection::PATH, ACCESS_SAVE_CONNECTION),
        (
            connections::DeleteConnection::PATH,
            ACCESS_DELETE_CONNECTION,
        ),
        (variables::GetTeamVariables::PATH, ACCESS_GET_TEAM_VARIABLES),
        (variables::RevealVariable::PATH, ACCESS_REVEAL_VARIABLE),
        (variables::SaveVariable::PATH, ACCESS_SAVE_VARIABLE),
        (variables::DeleteVariable::PATH, ACCESS_DELETE_VARIABLE),
        (deploys::GetTeamDeploys::PATH, ACCESS_GET_TEAM_DEPLOYS),
        (deploys::GetDeployDetail::PATH, ACCESS_GET_DEPLOY_DETAIL),
        (deploys::RequestDeploy::PATH, ACCESS_REQUEST_DEPLOY),
        (deploys::ReviewDeploy::PATH, ACCESS_REVIEW_DEPLOY),
        (deploys::CancelDeploy::PATH, ACCESS_CANCEL_DEPLOY),
        (deploys::RunDeploy::PATH, ACCESS_RUN_DEPLOY),
        (deploys::BreakGlassDeploy::PATH, ACCESS_BREAK_GLASS_DEPLOY),
        (deploys::GetTeamTokens::PATH, ACCESS_GET_TEAM_TOKENS),
        (deploys::CreateToken::PATH, ACCESS_CREATE_TOKEN),
        (deploys::RevokeToken::PATH, ACCESS_REVOKE_TOKEN),
        (deploys::RotateToken::PATH, ACCESS_ROTATE_TOKEN),
        (profile::GetProfile::PATH, ACCESS_GET_PROFILE),
        (profile::AddSigningKey::PATH, ACCESS_ADD_SIGNING_KEY),
        (profile::RevokeSigningKey::PATH, ACCESS_REVOKE_SIGNING_KEY),
        (pools::CreatePool::PATH, ACCESS_CREATE_POOL),
        (pools::UpdatePool::PATH, ACCESS_UPDATE_POOL),
        (pools::DeletePool::PATH, ACCESS_DELETE_POOL),
    ]
}
