//! A team's DAG list, from Hangar's read model.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::DagPage;

/// The list's narrower filters, sent together.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DagFilters {
    pub tag: String,
    pub owner: String,
    pub last_state: String,
    pub import_errors: bool,
    pub bundle: String,
    pub sort: String,
    pub per_page: u32,
}

#[server(prefix = "/api", endpoint = "team_dags")]
pub async fn get_team_dags(
    team: String,
    #[server(default)] search: String,
    #[server(default)] paused: Option<bool>,
    #[server(default)] filters: DagFilters,
    #[server(default)] page: u32,
) -> Result<DagPage, AppError> {
    let viewer = super::guard::require(super::ACCESS_GET_TEAM_DAGS, Some(&team))?;
    let known_state = ["", "none"].contains(&filters.last_state.as_str())
        || crate::models::RUN_STATES.contains(&filters.last_state.as_str());
    if !known_state {
        return Err(AppError::Invalid(format!(
            "Unknown run state {:?}.",
            filters.last_state
        )));
    }
    let query = crate::models::DagQuery {
        search,
        paused,
        tag: filters.tag,
        owner: filters.owner,
        last_state: filters.last_state,
        import_errors: filters.import_errors,
        bundle: filters.bundle,
        sort: filters.sort,
        page,
        per_page: filters.per_page,
    };
    let mut page = super::ports::read_model()?.team_dags(&team, query).await?;
    page.can_pause = viewer.can_change(&team, crate::models::TeamAction::Pause, false);
    page.can_pause_shared = viewer.can_change(&team, crate::models::TeamAction::Pause, true);
    Ok(page)
}
