//! The check in front of every page route, run before the page renders.
//!
//! Each page route is registered with the [`Access`] it declares in
//! `hangar_app::routes::PAGE_ACCESS`. Signed-out browsers go to sign-in; a team or platform
//! page the viewer may not see answers with the same "not found" as a page that does not
//! exist, decided by the same in-memory lookup in both cases.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use hangar_app::components::team_switcher::current_team;
use hangar_app::models::{Access, Viewer};
use tower_sessions::Session;

use crate::http::error::{ServerError, not_found};
use crate::identity::middleware::CurrentUser;
use crate::identity::session::IDENTITY_KEY;
use crate::state::AppState;
use crate::users;

pub async fn page_guard(
    State((state, access)): State<(AppState, Access)>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let Some(viewer) = request.extensions().get::<Viewer>().cloned() else {
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
    let current = request.extensions().get::<CurrentUser>().cloned();
    match access {
        Access::Public | Access::Authenticated => {
            // `/` goes to the last team the user worked in, while they still hold it.
            if request.uri().path() == "/"
                && let Some(team) = current.as_ref().and_then(|c| c.0.last_team.as_deref())
                && viewer.membership(team).is_some()
            {
                return Redirect::to(&format!("/t/{team}")).into_response();
            }
        }
        Access::Team(action) => {
            let team = current_team(request.uri().path());
            let Some(team) = team.filter(|t| viewer.can(t, action)) else {
                return not_found();
            };
            if let Some(CurrentUser(identity)) = current
                && identity.last_team.as_deref() != Some(team.as_str())
                && let Err(error) = remember_team(&state, &session, identity, &team).await
            {
                return error.into_response();
            }
        }
        Access::Platform(action) => {
            if !viewer.can_platform(action) {
                return not_found();
            }
        }
    }
    next.run(request).await
}

async fn remember_team(
    state: &AppState,
    session: &Session,
    mut identity: crate::identity::session::SessionIdentity,
    team: &str,
) -> Result<(), ServerError> {
    users::set_last_team(&state.db, identity.user_id, team).await?;
    identity.last_team = Some(team.to_string());
    session.insert(IDENTITY_KEY, identity).await?;
    Ok(())
}
