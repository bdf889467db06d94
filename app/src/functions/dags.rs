//! A team's DAG list, from Hangar's read model.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::DagPage;

#[server(prefix = "/api", endpoint = "team_dags")]
pub async fn get_team_dags(
    team: String,
    #[server(default)] search: String,
    #[server(default)] paused: Option<bool>,
    #[server(default)] page: u32,
) -> Result<DagPage, AppError> {
    super::guard::require(super::ACCESS_GET_TEAM_DAGS, Some(&team))?;
    let query = crate::models::DagQuery {
        search,
        paused,
        page,
    };
    super::ports::read_model()?.team_dags(&team, query).await
}
