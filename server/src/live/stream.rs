//! `GET /t/{team}/events`: a page's stream of "your data changed" events (Server-Sent
//! Events). The page guard in front of it has already checked the team.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use crate::state::AppState;

pub async fn team_events(State(state): State<AppState>, Path(team): Path<String>) -> Response {
    let (changes, closing) = state.live.subscribe();
    Sse::new(events(team, changes, closing))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// One `change` event (data `reload`: the page reloads what it shows) per announcement that
/// concerns `team`; ends when the server shuts down.
fn events(
    team: String,
    changes: tokio::sync::broadcast::Receiver<super::Change>,
    closing: tokio::sync::watch::Receiver<bool>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(
        (team, changes, closing),
        |(team, mut changes, mut closing)| async move {
            loop {
                let received = tokio::select! {
                    received = changes.recv() => received,
                    _ = closing.wait_for(|closed| *closed) => return None,
                };
                match received {
                    Ok(change) if change.concerns(&team) => break,
                    Ok(_) => continue,
                    // Fell behind: one reload covers whatever was missed.
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return None,
                }
            }
            Some((
                // Browsers drop events whose data is empty (the SSE spec), so say something.
                Ok(Event::default().event("change").data("reload")),
                (team, changes, closing),
            ))
        },
    )
}
