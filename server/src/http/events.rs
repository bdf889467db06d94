//! `GET /t/{team}/events` and `GET /platform/events`: a page's stream of "your data
//! changed" events (Server-Sent Events), from the announcements of `live/`. The page guard
//! in front of each has already checked the team, or the platform role.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use crate::live::Change;
use crate::state::AppState;

/// The overview reads every team's figures: one reload per this much time at most,
/// however busy the estate.
const PLATFORM_COALESCE: Duration = Duration::from_secs(1);

pub async fn team_events(State(state): State<AppState>, Path(team): Path<String>) -> Response {
    let (changes, closing) = state.live.subscribe();
    Sse::new(events(Some(team), changes, closing, Duration::ZERO))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// Every change, of any team or environment, coalesced.
pub async fn platform_events(State(state): State<AppState>) -> Response {
    let (changes, closing) = state.live.subscribe();
    Sse::new(events(None, changes, closing, PLATFORM_COALESCE))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// One `change` event (data `reload`: the page reloads what it shows) per announcement that
/// concerns `team` (`None`: every announcement), the ones arriving within `coalesce` of it
/// folded in; ends when the server shuts down.
fn events(
    team: Option<String>,
    changes: tokio::sync::broadcast::Receiver<Change>,
    closing: tokio::sync::watch::Receiver<bool>,
    coalesce: Duration,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(
        (team, changes, closing),
        move |(team, mut changes, mut closing)| async move {
            loop {
                let received = tokio::select! {
                    received = changes.recv() => received,
                    _ = closing.wait_for(|closed| *closed) => return None,
                };
                match received {
                    Ok(change) if team.as_deref().is_none_or(|t| change.concerns(t)) => break,
                    Ok(_) => continue,
                    // Fell behind: one reload covers whatever was missed.
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return None,
                }
            }
            if !coalesce.is_zero() {
                tokio::time::sleep(coalesce).await;
                // What arrived meanwhile is covered by this one reload.
                changes = changes.resubscribe();
            }
            Some((
                // Browsers drop events whose data is empty (the SSE spec), so say something.
                Ok(Event::default().event("change").data("reload")),
                (team, changes, closing),
            ))
        },
    )
}
