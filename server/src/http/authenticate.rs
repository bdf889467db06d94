//! Runs on every request: loads the session, enforces its timeouts, refreshes groups when due,
//! and resolves the signed-in person into the request's one [`Acting`] (with the session's
//! [`SignedIn`] beside it for the page guard), which everything after this layer reads.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use hangar_app::functions::ports::{Acting, RequestId};

use super::request::{is_bearer, request_id_of};
use crate::access::resolve_viewer;
use crate::audit::{AuditEvent, Outcome};
use crate::error::ServerError;
use crate::identity::session::{self, IDENTITY_KEY, SessionIdentity, TOUCH_INTERVAL_MS};
use crate::identity::session_index;
use crate::state::AppState;
use crate::users;

/// The signed-in session of this request, for what only the page guard needs from it (the
/// last team worked in). Shared with this replica's kept copy of the session's record
/// (`db::session_store`) until the request changes it.
#[derive(Clone, Debug)]
pub struct SignedIn(pub Arc<SessionIdentity>);

pub async fn authenticate(
    State(state): State<AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    // A request with a bearer token is that token's (the JSON API builds its `Acting`); its
    // cookie, if any, is not read, so a token request can never act as the browser's person.
    if is_bearer(request.headers()) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let request_id = request_id_of(&parts);
    match resolve(&state, &session, &request_id).await {
        Ok(Some(identity)) => {
            let viewer = resolve_viewer(
                &state.config,
                &identity.groups,
                &identity.display_name,
                identity.email.as_deref(),
            );
            parts.extensions.insert(Acting {
                viewer,
                user_id: identity.user_id,
                token: None,
                actor: identity.actor(),
                request_id,
                reauthenticated_ms: identity.reauthenticated_ms,
            });
            parts.extensions.insert(SignedIn(identity));
            next.run(Request::from_parts(parts, body)).await
        }
        Ok(None) => next.run(Request::from_parts(parts, body)).await,
        Err(error) => error.into_response(),
    }
}

async fn resolve(
    state: &AppState,
    session: &Session,
    request_id: &RequestId,
) -> Result<Option<Arc<SessionIdentity>>, ServerError> {
    let Some(mut identity) = session::identity(&state.session_store, session).await? else {
        return Ok(None);
    };
    let now = state.clock.now_ms();
    // What follows may write the session or end it: decided on the database's record, not
    // on this replica's copy of it, which another replica may have changed a moment ago (a
    // rotated refresh token written back stale would end the session at the next refresh).
    if writes_due(state, &identity, now) {
        match session::current(&state.session_store, session).await? {
            Some(current) => identity = Arc::new(current),
            None => return Ok(None),
        }
    }
    if let Some(expired) = identity.expired(&state.config.session, now) {
        end_session(
            state,
            session,
            &identity,
            "session.expired",
            expired.reason(),
            request_id,
        )
        .await?;
        return Ok(None);
    }
    let mut changed = false;
    match identity.session_key.as_deref() {
        // Ended by a platform admin (or `hangar sessions revoke`): that was audited there.
        Some(key) if !state.sessions.is_live(&state.db, key).await? => {
            session.flush().await?;
            return Ok(None);
        }
        Some(_) => {}
        None => {
            let key = session_index::new_key();
            session_index::register(
                &state.db,
                &key,
                identity.user_id,
                identity.times(&state.config.session),
            )
            .await?;
            Arc::make_mut(&mut identity).session_key = Some(key);
            changed = true;
        }
    }
    if refresh_due(state, &identity, now) {
        let Some(refresh_token) = identity.refresh_token.clone() else {
            // Without a refresh token groups cannot be re-checked: sign in again (silently,
            // if the provider's own session is still alive).
            end_session(
                state,
                session,
                &identity,
                "session.expired",
                "groups due for refresh and no refresh token",
                request_id,
            )
            .await?;
            return Ok(None);
        };
        match state.oidc.refresh(&refresh_token, &identity.subject).await {
            Ok(refreshed) => {
                if refreshed.groups != identity.groups {
                    users::update_groups(&state.db, identity.user_id, &refreshed.groups).await?;
                }
                let identity = Arc::make_mut(&mut identity);
                identity.groups = refreshed.groups;
                identity.refresh_token = refreshed.refresh_token.or(identity.refresh_token.take());
                identity.id_token = refreshed.id_token.or(identity.id_token.take());
                identity.groups_checked_ms = now;
                changed = true;
            }
            Err(error) => {
                let reason = format!("group refresh failed: {error}");
                end_session(
                    state,
                    session,
                    &identity,
                    "session.refresh_failed",
                    &reason,
                    request_id,
                )
                .await?;
                return Ok(None);
            }
        }
    }
    if changed || now - identity.last_seen_ms >= TOUCH_INTERVAL_MS {
        let touched = Arc::make_mut(&mut identity);
        touched.last_seen_ms = now;
        session.set_expiry(Some(touched.record_expiry(&state.config.session)));
        if let Some(key) = &touched.session_key {
            session_index::touch(&state.db, key, touched.times(&state.config.session)).await?;
        }
        session.insert(IDENTITY_KEY, &*touched).await?;
    }
    Ok(Some(identity))
}

fn refresh_due(state: &AppState, identity: &SessionIdentity, now: i64) -> bool {
    now - identity.groups_checked_ms >= state.config.oidc.groups_refresh_interval.as_millis() as i64
}

/// Whether this request will write or end the session: expired, due for a group refresh, a
/// touch, or a key (a session from before keys).
fn writes_due(state: &AppState, identity: &SessionIdentity, now: i64) -> bool {
    identity.expired(&state.config.session, now).is_some()
        || identity.session_key.is_none()
        || refresh_due(state, identity, now)
        || now - identity.last_seen_ms >= TOUCH_INTERVAL_MS
}

async fn end_session(
    state: &AppState,
    session: &Session,
    identity: &SessionIdentity,
    action: &'static str,
    reason: &str,
    request_id: &RequestId,
) -> Result<(), ServerError> {
    session.flush().await?;
    if let Some(key) = &identity.session_key {
        session_index::end(&state.db, key).await?;
        state.live.sessions_ended(vec![key.clone()]).await;
    }
    state
        .audit(
            AuditEvent::new(action, Outcome::Success)
                .actor(Some(identity.actor()))
                .detail(reason)
                .request_id(Some(request_id.clone())),
        )
        .await?;
    Ok(())
}
