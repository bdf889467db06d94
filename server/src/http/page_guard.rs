//! The check in front of every page route (and Hangar's own guarded routes: event streams,
//! audit exports), run before the page renders.
//!
//! Each page route is registered with the [`Access`] it declares in
//! `hangar_app::routes::PAGE_ACCESS`, and checked with `Viewer::allows`, the check server
//! functions and the JSON API make too. Signed-out browsers go to sign-in; a team or platform
//! page the viewer may not see answers with the same "not found" as a page that does not
//! exist, decided by the same in-memory lookup in both cases.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use hangar_app::components::team_switcher::current_team;
use hangar_app::functions::ports::Acting;
use hangar_app::models::Access;
use tower_sessions::Session;

use super::authenticate::SignedIn;
use super::error::not_found;
use crate::error::ServerError;
use crate::identity::session::{self, IDENTITY_KEY};
use crate::state::AppState;
use crate::users;

pub async fn page_guard(
    State((state, access)): State<(AppState, Access)>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let Some(acting) = request.extensions().get::<Acting>() else {
        if access == Access::Public {
            return next.run(request).await;
        }
        let target = request
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        let encoded: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
        return Redirect::to(&format!("/auth/login?return_to={encoded}")).into_response();
    };
    let team = current_team(request.uri().path());
    if !acting.viewer.allows(access, team.as_deref()) {
        return not_found();
    }
    let signed_in = request.extensions().get::<SignedIn>();
    let last_team = signed_in.and_then(|s| s.0.last_team.as_deref());
    match (access, team) {
        // `/` goes to the last team the user worked in, while they still hold it.
        (Access::Public | Access::Authenticated, _) if request.uri().path() == "/" => {
            if let Some(last) = last_team
                && acting.viewer.membership(last).is_some()
            {
                return Redirect::to(&format!("/t/{last}")).into_response();
            }
        }
        (Access::Team(_), Some(team)) if last_team != Some(team.as_str()) => {
            if let Some(SignedIn(identity)) = signed_in.cloned()
                && let Err(error) = remember_team(&state, &session, &identity, &team).await
            {
                return error.into_response();
            }
        }
        _ => {}
    }
    next.run(request).await
}

async fn remember_team(
    state: &AppState,
    session: &Session,
    identity: &crate::identity::session::SessionIdentity,
    team: &str,
) -> Result<(), ServerError> {
    users::set_last_team(&state.db, identity.user_id, team).await?;
    // Written over the database's record, not this replica's copy (`session::current`).
    let Some(mut identity) = session::current(&state.session_store, session).await? else {
        return Ok(());
    };
    identity.last_team = Some(team.to_string());
    session.insert(IDENTITY_KEY, identity).await?;
    Ok(())
}
