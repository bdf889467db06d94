//! What the frame around every page shows: who is signed in, and what follows them.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::errors::AppError;
use crate::functions::team::TeamHomeHtml;
use crate::models::Viewer;
use crate::models::deploys::WaitingReview;

/// What the frame around every page needs, in one answer: each load is a resource of its
/// own in every render (a suspense boundary and a serialised answer), and the frame's three
/// were a fifth of a page's render (docs/benchmarks.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageFrame {
    pub viewer: Viewer,
    /// The deploys waiting for the viewer's review (only teams where they may approve).
    pub waiting: Vec<WaitingReview>,
    /// The zone the viewer fixed their pages to (`None`: the browser's own).
    pub time_zone: Option<String>,
    /// On a team's home page (`/t/{team}`), the page itself, read with the frame: a load of
    /// its own was a second resource and server call in the page's render, the largest part
    /// of what the team page cost beyond the frame (docs/benchmarks.md). It is read through
    /// the team home's own door, with its own access check, and carried as HTML text, so
    /// that the bundle every page loads holds no reader of the home's data; `None` on every
    /// other page.
    pub team_home: Option<Result<TeamHomeHtml, AppError>>,
}

#[server(prefix = "/api", endpoint = "page_frame", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_page_frame(path: String) -> Result<PageFrame, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_PAGE_FRAME, None)?;
    // The zone this page's times were written in, as the server resolved it before rendering
    // (`ReaderZone`), so that the browser takes over the same one; read when not rendering.
    // Neither read fails the frame (both log their errors): a header without its review
    // count, or times in UTC, beat a page without a header.
    let time_zone = match crate::components::time::ReaderZone::of_request() {
        Some(crate::components::time::ReaderZone(zone)) => zone,
        None => super::ports::preferences()?.reader_zone(&acting).await,
    };
    let waiting = super::ports::deploys()?.waiting_for_review(&acting).await;
    let team_home = match crate::paths::team_of_home(&path) {
        Some(team) => Some(
            super::team::get_team_home(team)
                .await
                .map(crate::pages::team_home::team_home_html),
        ),
        None => None,
    };
    Ok(PageFrame {
        viewer: acting.viewer,
        waiting,
        time_zone,
        team_home,
    })
}
