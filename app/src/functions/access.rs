//! Who can do what: a team's rules and members for its admins, every team and person for the
//! platform team, and ending a person's sessions for platform admins.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::access_overview::{AccessOverview, PeopleQuery, SessionsEnded, TeamAccess};

#[server(prefix = "/api", endpoint = "team_access", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_team_access(team: String) -> Result<TeamAccess, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_TEAM_ACCESS, Some(&team))?;
    super::ports::people()?.team_access(&acting, &team).await
}

#[server(prefix = "/api", endpoint = "access_overview", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_access_overview(
    #[server(default)] query: PeopleQuery,
) -> Result<AccessOverview, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_ACCESS_OVERVIEW, None)?;
    let mut overview = super::ports::people()?.overview(&acting, query).await?;
    overview.can_end_sessions = acting
        .viewer
        .can_platform(crate::models::PlatformAction::EndSessions);
    Ok(overview)
}

/// Signs the person out everywhere: each of their sessions ends at its next request.
#[server(prefix = "/api", endpoint = "end_user_sessions", output = crate::functions::encoding::JsonAnswer)]
pub async fn end_user_sessions(user_id: i64) -> Result<SessionsEnded, AppError> {
    let acting = super::guard::require(super::ACCESS_END_USER_SESSIONS, None)?;
    super::ports::people()?.end_sessions(&acting, user_id).await
}
