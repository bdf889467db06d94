//! A team's home page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::errors::AppError;
use crate::models::TeamMembership;
use crate::models::execution::TeamExecution;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamHome {
    pub membership: TeamMembership,
    pub execution: TeamExecution,
}

#[server(prefix = "/api", endpoint = "team_home")]
pub async fn get_team_home(team: String) -> Result<TeamHome, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_TEAM_HOME, Some(&team))?;
    let membership = acting
        .viewer
        .membership(&team)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let execution = super::ports::read_model()?
        .team_execution(&acting, &team)
        .await?;
    Ok(TeamHome {
        membership,
        execution,
    })
}
