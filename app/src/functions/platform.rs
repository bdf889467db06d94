//! The platform team's list of every team.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::errors::AppError;
use crate::models::TeamMembership;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformTeams {
    pub teams: Vec<TeamMembership>,
}

#[server(prefix = "/api", endpoint = "platform_teams")]
pub async fn get_platform_teams() -> Result<PlatformTeams, AppError> {
    let viewer = super::guard::require(super::ACCESS_GET_PLATFORM_TEAMS, None)?;
    // A platform role grants something in every team, so the viewer's list is every team.
    Ok(PlatformTeams {
        teams: viewer.teams,
    })
}
