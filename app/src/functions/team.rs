//! A team's home page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::errors::AppError;
use crate::models::TeamMembership;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamHome {
    pub membership: TeamMembership,
}

#[server(prefix = "/api", endpoint = "team_home")]
pub async fn get_team_home(team: String) -> Result<TeamHome, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_TEAM_HOME, Some(&team))?;
    let membership = acting
        .viewer
        .membership(&team)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok(TeamHome { membership })
}
