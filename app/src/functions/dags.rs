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
#[server(prefix = "/api", endpoint = "team_dags")]
pub async fn get_team_dags(
    team: String,
    #[server(default)] search: String,
    #[server(default)] paused: Option<bool>,
    #[server(default)] filters: DagFilters,
    #[server(default)] page: u32,
) -> Result<DagPage, AppError> {
    let query = filters.into_query(search, paused, page);
    let viewer = checked(&team, &query)?;
    read(&viewer, &team, query).await
}

/// The list with its rows already written as HTML: what the server renders a page from.
/// Same checks as [`get_team_dags`]; pages are kept per team and viewer abilities until the
/// team's data changes ([`super::dag_list_cache`]).
#[cfg(feature = "ssr")]
pub async fn rendered_team_dags(team: String, query: DagQuery) -> Result<DagPage, AppError> {
    use crate::components::dag_rows::{RowContext, dag_rows_html};
    use crate::models::TeamAction;

    let viewer = checked(&team, &query)?;
    let key = super::dag_list_cache::DagListKey {
        team: team.clone(),
        query: query.clone(),
        can_pause: viewer.can_change(&team, TeamAction::Pause, false),
        can_pause_shared: viewer.can_change(&team, TeamAction::Pause, true),
    };
    let read_model = super::ports::read_model()?;
    let version = read_model.data_version(&team);
    let cache = super::ports::dag_list_cache()?;
    cache
        .page(key, version, || async {
            let mut page = read(&viewer, &team, query).await?;
            let return_to = crate::paths::dag_list(&team, &page.query, page.query.page);
            let context = RowContext {
                team: &team,
                can_pause: page.can_pause,
                can_pause_shared: page.can_pause_shared,
                return_to: &return_to,
                pause_url:
                    <crate::functions::actions::SetDagPaused as leptos::server_fn::ServerFn>::PATH,
            };
            page.rows_html = Some(dag_rows_html(&page.rows, context).into());
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
fn checked(team: &str, query: &DagQuery) -> Result<crate::models::Viewer, AppError> {
    let viewer = super::guard::require(super::ACCESS_GET_TEAM_DAGS, Some(team))?;
    let known_state = ["", "none"].contains(&query.last_state.as_str())
        || crate::models::RUN_STATES.contains(&query.last_state.as_str());
    if !known_state {
        return Err(AppError::Invalid(format!(
            "Unknown run state {:?}.",
            query.last_state
        )));
    }
    Ok(viewer)
}

#[cfg(feature = "ssr")]
async fn read(
    viewer: &crate::models::Viewer,
    team: &str,
    query: DagQuery,
) -> Result<DagPage, AppError> {
    use crate::models::TeamAction;
    let mut page = super::ports::read_model()?.team_dags(team, query).await?;
    page.can_pause = viewer.can_change(team, TeamAction::Pause, false);
    page.can_pause_shared = viewer.can_change(team, TeamAction::Pause, true);
    Ok(page)
}
