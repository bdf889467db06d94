//! The platform overview: every team's figures, the runs failing now, environment health,
//! the break-glass deploys awaiting review and the DAGs no team may act on (ownership
//! conflicts, unmapped bundles); and resolving an ownership conflict.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::platform::PlatformOverview;

/// `sort`, `dir` and `hours` are the page's query parameters as given; nonsense falls back
/// to the defaults.
#[server(prefix = "/api", endpoint = "platform_overview", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_platform_overview(
    sort: Option<String>,
    dir: Option<String>,
    hours: Option<String>,
) -> Result<PlatformOverview, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_PLATFORM_OVERVIEW, None)?;
    let query = crate::models::platform::OverviewQuery::from_params(
        sort.as_deref(),
        dir.as_deref(),
        hours.as_deref(),
    );
    let platform = super::ports::platform()?;
    // Kept until anything changes (at most a second): [`super::kept_pages`].
    let mut teams: Vec<String> = acting.viewer.teams.iter().map(|t| t.team.clone()).collect();
    teams.sort();
    let key = super::kept_pages::OverviewKey {
        query,
        teams,
        second: platform.clock_second(),
    };
    let version = platform.data_version();
    let mut overview = super::ports::kept_pages()?
        .overviews
        .page(key, version, || async {
            let mut overview = platform.overview(&acting, query).await?;
            overview.awaiting_review = super::ports::deploys()?.awaiting_review(&acting).await?;
            for team in &mut overview.teams {
                team.break_glass_awaiting = overview
                    .awaiting_review
                    .iter()
                    .filter(|deploy| deploy.team == team.team)
                    .count() as u64;
            }
            Ok(overview)
        })
        .await?;
    // Auditors and admins share kept overviews: who may act is the viewer's own.
    overview.can_resolve = acting
        .viewer
        .can_platform(crate::models::PlatformAction::ResolveOwnership);
    Ok(overview)
}

/// A platform admin's decision on a DAG in an ownership conflict: `resolution` is `assign`
/// (the DAG and its runs go to `team`) or `release` (the pin is removed; the DAG goes to
/// whoever Airflow's report maps it to now). Audited.
#[server(prefix = "/api", endpoint = "resolve_dag_ownership", output = crate::functions::encoding::JsonAnswer)]
pub async fn resolve_dag_ownership(
    environment: String,
    dag_id: String,
    resolution: String,
    #[server(default)] team: String,
) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_RESOLVE_DAG_OWNERSHIP, None)?;
    let resolution = match resolution.as_str() {
        "assign" if !team.is_empty() => crate::models::platform::OwnershipResolution::Assign(team),
        "assign" => {
            return Err(AppError::Invalid(
                "Choose the team to assign the DAG to.".into(),
            ));
        }
        "release" => crate::models::platform::OwnershipResolution::Release,
        _ => {
            return Err(AppError::Invalid(
                "A conflict is resolved by assigning the DAG to a team or releasing it.".into(),
            ));
        }
    };
    super::ports::platform()?
        .resolve_ownership(&acting, &environment, &dag_id, resolution)
        .await
}
