//! The platform overview: every team, and the break-glass deploys awaiting review.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::errors::AppError;
use crate::models::TeamMembership;
use crate::models::deploys::AwaitingReview;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformTeams {
    pub teams: Vec<TeamMembership>,
    pub awaiting_review: Vec<AwaitingReview>,
}

#[server(prefix = "/api", endpoint = "platform_teams")]
pub async fn get_platform_teams() -> Result<PlatformTeams, AppError> {
    let viewer = super::guard::require(super::ACCESS_GET_PLATFORM_TEAMS, None)?;
    let awaiting_review = super::ports::deploys()?.awaiting_review(&viewer).await?;
    // A platform role grants something in every team, so the viewer's list is every team.
    Ok(PlatformTeams {
        teams: viewer.teams,
        awaiting_review,
    })
}
