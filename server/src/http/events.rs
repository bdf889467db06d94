//! `GET /t/{team}/events` and `GET /platform/events`: a page's stream of "your data
//! changed" events (Server-Sent Events), from the announcements of `live/`. The page guard
//! in front of each has already checked the team, or the platform role.
//!
//! A stream lives no longer than the session that opened it: it checks the session's entry
//! in the session index (ended by sign-out or a platform admin, or past its idle or absolute
//! end by the server's clock) every [`SESSION_CHECK`] and before every event it sends, and it
//! ends at once when its own session's key is announced as ended (`live/`: in process, and
//! from other replicas through PostgreSQL's `NOTIFY`).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::authenticate::SignedIn;
use crate::clock::Clock;
use crate::config::SessionConfig;
use crate::db::Db;
use crate::identity::session::SessionIdentity;
use crate::identity::session_index;
use crate::live::Change;
use crate::state::AppState;

/// The overview reads every team's figures: one reload per this much time at most,
/// however busy the estate.
const PLATFORM_COALESCE: Duration = Duration::from_secs(1);

/// How often an open stream checks that its session still lives, at least.
pub const SESSION_CHECK: Duration = Duration::from_secs(30);

pub async fn team_events(
    State(state): State<AppState>,
    Extension(SignedIn(identity)): Extension<SignedIn>,
    Path(team): Path<String>,
) -> Response {
    stream_for(&state, identity, Some(team), Duration::ZERO)
}

/// Every change, of any team or environment, coalesced.
pub async fn platform_events(
    State(state): State<AppState>,
    Extension(SignedIn(identity)): Extension<SignedIn>,
) -> Response {
    stream_for(&state, identity, None, PLATFORM_COALESCE)
}

fn stream_for(
    state: &AppState,
    identity: Arc<SessionIdentity>,
    team: Option<String>,
    coalesce: Duration,
) -> Response {
    let (changes, closing) = state.live.subscribe();
    let watch = SessionWatch {
        db: state.db.clone(),
        clock: state.clock.clone(),
        config: state.config.session.clone(),
        identity,
        notices: state.live.subscribe_sessions_ended(),
        tick: tokio::time::interval_at(tokio::time::Instant::now() + SESSION_CHECK, SESSION_CHECK),
    };
    Sse::new(events(team, changes, closing, coalesce, watch))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// What a stream checks its session with.
struct SessionWatch {
    db: Db,
    clock: Arc<dyn Clock>,
    config: SessionConfig,
    identity: Arc<SessionIdentity>,
    notices: broadcast::Receiver<Arc<[String]>>,
    tick: tokio::time::Interval,
}

impl SessionWatch {
    /// Whether an announcement of ended sessions names this stream's own.
    fn is_among(&self, ended: &[String]) -> bool {
        self.identity
            .session_key
            .as_ref()
            .is_some_and(|key| ended.contains(key))
    }

    /// Whether the session is still live by the index and the server's clock (a failed read
    /// ends the stream: the page reconnects, through the session check of a new request).
    async fn alive(&self) -> bool {
        let now = self.clock.now_ms();
        // The absolute end does not move; the idle end moves with the index's entry.
        if self.identity.expired(&self.config, now)
            == Some(crate::identity::session::Expired::Absolute)
        {
            return false;
        }
        match &self.identity.session_key {
            Some(key) => matches!(
                session_index::expires_ms(&self.db, key).await,
                Ok(Some(ends)) if ends > now
            ),
            None => self.identity.ends_ms(&self.config) > now,
        }
    }
}

/// One `change` event (data `reload`: the page reloads what it shows) per announcement that
/// concerns `team` (`None`: every announcement), the ones arriving within `coalesce` of it
/// folded in; ends when the server shuts down or the session ends.
fn events(
    team: Option<String>,
    changes: broadcast::Receiver<Change>,
    closing: tokio::sync::watch::Receiver<bool>,
    coalesce: Duration,
    watch: SessionWatch,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(
        (team, changes, closing, watch),
        move |(team, mut changes, mut closing, mut watch)| async move {
            loop {
                // What woke the stream; acted on after `select!`, which holds no borrow then.
                enum Woke {
                    Change(Result<Change, RecvError>),
                    Closing,
                    Check,
                }
                let woke = tokio::select! {
                    received = changes.recv() => Woke::Change(received),
                    _ = closing.wait_for(|closed| *closed) => Woke::Closing,
                    _ = watch.tick.tick() => Woke::Check,
                    notice = watch.notices.recv() => match notice {
                        Ok(keys) if watch.is_among(&keys) => Woke::Closing,
                        Ok(_) => continue,
                        // Missed some announcements: they may have named this session.
                        Err(RecvError::Lagged(_)) => Woke::Check,
                        Err(RecvError::Closed) => Woke::Closing,
                    },
                };
                match woke {
                    Woke::Closing => return None,
                    Woke::Check if !watch.alive().await => return None,
                    Woke::Check => continue,
                    Woke::Change(Ok(change))
                        if team.as_deref().is_none_or(|t| change.concerns(t)) =>
                    {
                        break;
                    }
                    Woke::Change(Ok(_)) => continue,
                    // Fell behind: one reload covers whatever was missed.
                    Woke::Change(Err(RecvError::Lagged(_))) => break,
                    Woke::Change(Err(RecvError::Closed)) => return None,
                }
            }
            if !coalesce.is_zero() {
                tokio::time::sleep(coalesce).await;
                // What arrived meanwhile is covered by this one reload.
                changes = changes.resubscribe();
            }
            if !watch.alive().await {
                return None;
            }
            Some((
                // Browsers drop events whose data is empty (the SSE spec), so say something.
                Ok(Event::default().event("change").data("reload")),
                (team, changes, closing, watch),
            ))
        },
    )
}
