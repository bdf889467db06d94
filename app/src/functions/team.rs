//! A team's home page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::errors::AppError;
use crate::models::TeamMembership;
use crate::models::deploys::DeployedNow;
use crate::models::execution::TeamExecution;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamHome {
    pub membership: TeamMembership,
    pub execution: TeamExecution,
    /// What the deploy targets hold; `None` when the team does not deploy through Hangar.
    pub deployed: Option<DeployedNow>,
}

/// A team's home as its page shows it: HTML text written on the server from [`TeamHome`]
/// (`pages::team_home::team_home_html`), carried by the page's frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamHomeHtml {
    pub team: String,
    /// The team's name and the viewer's role, the permission table with its filter, and
    /// where the team's tasks run.
    pub sections: String,
    /// What the deploy targets hold; `None` when the team does not deploy through Hangar.
    pub deployed: Option<String>,
}

impl TeamHomeHtml {
    /// The home without its text: what the browser needs to hydrate the page the server
    /// wrote (`FrameCodec`), each section present where it is, and empty.
    pub fn shape(&self) -> TeamHomeHtml {
        TeamHomeHtml {
            team: self.team.clone(),
            sections: String::new(),
            deployed: self.deployed.as_ref().map(|_| String::new()),
        }
    }
}

#[server(prefix = "/api", endpoint = "team_home", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_team_home(team: String) -> Result<TeamHome, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_TEAM_HOME, Some(&team))?;
    let membership = acting
        .viewer
        .membership(&team)
        .cloned()
        .ok_or(AppError::NotFound)?;
    // Kept until the team's data changes (`kept_pages`): every team page opens here, and
    // the section counts the team's task instances of the last 24 hours.
    let read_model = super::ports::read_model()?;
    let version = read_model.data_version(&team);
    let execution = super::ports::kept_pages()?
        .executions
        .page(team.clone(), version, || {
            read_model.team_execution(&acting, &team)
        })
        .await?;
    // Not kept with the page: a deploy moves the targets, not the team's data (a directory
    // target is read per visit, the ref targets through the server's `deploy::shared_read`).
    let deployed = super::ports::deploys()?
        .deployed_now(&acting, &team)
        .await?;
    Ok(TeamHome {
        membership,
        execution,
        deployed,
    })
}
