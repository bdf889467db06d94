//! The platform overview: every team's figures, the runs failing now, environment health
//! and the break-glass deploys awaiting review.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::platform::PlatformOverview;

/// `sort`, `dir` and `hours` are the page's query parameters as given; nonsense falls back
/// to the defaults.
#[server(prefix = "/api", endpoint = "platform_overview")]
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
    super::ports::overview_cache()?
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
        .await
}
