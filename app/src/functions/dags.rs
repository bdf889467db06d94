//! A team's DAG list, from Hangar's read model.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::DagPage;
#[cfg(feature = "ssr")]
use crate::models::DagQuery;

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

/// The list's rows as data: what the browser fetches (live updates, client-side navigation).
#[server(prefix = "/api", endpoint = "team_dags", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_team_dags(
    team: String,
    #[server(default)] search: String,
    #[server(default)] paused: Option<bool>,
    #[server(default)] filters: DagFilters,
    #[server(default)] page: u32,
) -> Result<DagPage, AppError> {
    let query = filters.into_query(search, paused, page);
    let acting = checked(&team, &query)?;
    read(&acting, &team, query).await
}

/// The list with its rows already written as HTML: what the server renders a page from.
/// Same checks as [`get_team_dags`]; pages are kept per team and viewer abilities until the
/// team's data changes ([`super::kept_pages`]).
#[cfg(feature = "ssr")]
pub async fn rendered_team_dags(team: String, query: DagQuery) -> Result<DagPage, AppError> {
    let acting = checked(&team, &query)?;
    let (can_pause, can_pause_shared) = pause_abilities(&acting.viewer, &team);
    let key = super::kept_pages::DagListKey {
        team: team.clone(),
        query: query.clone(),
        can_pause,
        can_pause_shared,
    };
    let read_model = super::ports::read_model()?;
    let version = read_model.data_version(&team);
    super::ports::kept_pages()?
        .dag_lists
        .page(key, version, || async {
            let mut page = read(&acting, &team, query).await?;
            let rows = crate::components::dag_rows::page_rows_html(&team, &page);
            page.rows_html = Some(rows.into());
            page.rows = Vec::new();
            Ok(page)
        })
        .await
}

#[cfg(feature = "ssr")]
impl DagFilters {
    fn into_query(self, search: String, paused: Option<bool>, page: u32) -> DagQuery {
        DagQuery {
            search,
            paused,
            tag: self.tag,
            owner: self.owner,
            last_state: self.last_state,
            import_errors: self.import_errors,
            bundle: self.bundle,
            sort: self.sort,
            page,
            per_page: self.per_page,
        }
    }
}

/// The caller may view the team, and the query names only states that exist.
#[cfg(feature = "ssr")]
fn checked(team: &str, query: &DagQuery) -> Result<super::acting::Acting, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_TEAM_DAGS, Some(team))?;
    let known_state = ["", "none"].contains(&query.last_state.as_str())
        || crate::models::RUN_STATES.contains(&query.last_state.as_str());
    if !known_state {
        return Err(AppError::Invalid(format!(
            "Unknown run state {:?}.",
            query.last_state
        )));
    }
    Ok(acting)
}

#[cfg(feature = "ssr")]
async fn read(
    acting: &super::acting::Acting,
    team: &str,
    query: DagQuery,
) -> Result<DagPage, AppError> {
    let mut page = super::ports::read_model()?
        .team_dags(acting, team, query)
        .await?;
    (page.can_pause, page.can_pause_shared) = pause_abilities(&acting.viewer, team);
    Ok(page)
}

/// Whether the viewer may pause the team's own DAGs, and the shared ones.
#[cfg(feature = "ssr")]
fn pause_abilities(viewer: &crate::models::Viewer, team: &str) -> (bool, bool) {
    use crate::models::TeamAction;
    (
        viewer.can_change(team, TeamAction::Pause, false),
        viewer.can_change(team, TeamAction::Pause, true),
    )
}
