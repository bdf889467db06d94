//! Who calls the API, and whether they may: the one check in front of every operation.

use axum::http::{HeaderMap, Method, header};
use hangar_app::models::{Access, TeamGrant, TeamMembership, TeamRole, Viewer};

use super::{ApiError, ApiRoute};
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::http::request_id;
use crate::identity::middleware::CurrentUser;
use crate::state::AppState;
use crate::tokens::{self, TOKEN_ISSUER, TokenIdentity};

/// The secret of `Authorization: Bearer <secret>`, if the request carries one.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Whether the request authenticates with a bearer token (and so never with its cookie).
/// Only that scheme: a proxy's Basic credentials in front of Hangar leave sessions alone.
pub fn is_bearer(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "))
}

pub enum Caller {
    Token(TokenIdentity),
    /// Boxed: a person's session carries much more than a token.
    Person {
        viewer: Box<Viewer>,
        user: Box<CurrentUser>,
    },
}

impl Caller {
    /// The user Hangar records as acting: the token's own user, or the person.
    pub fn user_id(&self) -> i64 {
        match self {
            Self::Token(token) => token.user_id,
            Self::Person { user, .. } => user.0.user_id,
        }
    }

    pub fn actor(&self) -> Actor {
        match self {
            Self::Token(token) => token_actor(token),
            Self::Person { user, .. } => user.0.actor(),
        }
    }

    pub fn token_id(&self) -> Option<i64> {
        match self {
            Self::Token(token) => Some(token.id),
            Self::Person { .. } => None,
        }
    }

    /// The viewer reads are made for: the person, or a token as a viewer of its team.
    pub fn viewer(&self) -> Viewer {
        match self {
            Self::Person { viewer, .. } => (**viewer).clone(),
            Self::Token(token) => Viewer {
                display_name: format!("API token \"{}\"", token.name),
                email: None,
                platform_role: None,
                teams: vec![TeamMembership {
                    team: token.team.clone(),
                    display_name: token.team.clone(),
                    grant: TeamGrant {
                        role: Some(TeamRole::Viewer),
                        platform: None,
                    },
                }],
            },
        }
    }
}

fn token_actor(token: &TokenIdentity) -> Actor {
    Actor {
        issuer: TOKEN_ISSUER.to_string(),
        subject: format!("token/{}", token.id),
        display_name: format!("API token \"{}\"", token.name),
    }
}

/// What the API's check reads from a request: its headers and what the session layers
/// found (the person, if signed in).
pub struct ApiRequest {
    pub headers: HeaderMap,
    viewer: Option<Viewer>,
    user: Option<CurrentUser>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ApiRequest {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self {
            headers: parts.headers.clone(),
            viewer: parts.extensions.get::<Viewer>().cloned(),
            user: parts.extensions.get::<CurrentUser>().cloned(),
        })
    }
}

/// The caller of `route` for `team` (`None` for routes of no team), if allowed.
///
/// Anything about a team the caller holds nothing in — or that does not exist — is the same
/// 404. Token reads and every refusal of a change are audited.
pub async fn require(
    state: &AppState,
    request: &ApiRequest,
    route: &ApiRoute,
    team: Option<&str>,
) -> Result<Caller, ApiError> {
    let headers = &request.headers;
    if is_bearer(headers) {
        return token(state, headers, route, team).await.map(Caller::Token);
    }
    let (Some(viewer), Some(user)) = (request.viewer.clone(), request.user.clone()) else {
        return Err(ApiError::Unauthenticated);
    };
    let allowed = match (route.access, team) {
        (Access::Public | Access::Authenticated, _) => true,
        (Access::Team(action), Some(team)) => viewer.can(team, action),
        (Access::Platform(action), _) => viewer.can_platform(action),
        (Access::Team(_), None) => false,
    };
    if !allowed {
        if route.method != Method::GET {
            audit(
                state,
                headers,
                Some(user.0.actor()),
                None,
                "request.denied",
                Outcome::Denied,
                format!("{} {}", route.method, route.path),
            )
            .await?;
        }
        return Err(ApiError::NotFound);
    }
    Ok(Caller::Person {
        viewer: Box::new(viewer),
        user: Box::new(user),
    })
}

/// The token in the request, if it is live, belongs to `team` and carries the scope.
async fn token(
    state: &AppState,
    headers: &HeaderMap,
    route: &ApiRoute,
    team: Option<&str>,
) -> Result<TokenIdentity, ApiError> {
    let Some(secret) = bearer_token(headers) else {
        return Err(ApiError::Unauthenticated);
    };
    let denied = |token: Option<&TokenIdentity>, detail: String| {
        audit(
            state,
            headers,
            token.map(token_actor),
            token.map(|t| t.team.clone()),
            "api.denied",
            Outcome::Denied,
            detail,
        )
    };
    let Some(token) = tokens::authenticate(&state.db, secret, state.clock.now_ms()).await? else {
        denied(None, "invalid, expired or revoked token".into()).await?;
        return Err(ApiError::Unauthenticated);
    };
    if team.is_some_and(|team| team != token.team) {
        denied(Some(&token), "a team other than the token's".into()).await?;
        return Err(ApiError::NotFound);
    }
    if let Some(scope) = route.scope
        && !token.allows(scope)
    {
        denied(Some(&token), format!("missing scope {scope}")).await?;
        return Err(ApiError::MissingScope(scope));
    }
    Ok(token)
}

/// Records an API event. Only the caller's own team goes into an entry: a stranger's guess
/// at another team names nothing.
pub async fn audit(
    state: &AppState,
    headers: &HeaderMap,
    actor: Option<Actor>,
    team: Option<String>,
    action: &'static str,
    outcome: Outcome,
    detail: String,
) -> Result<(), ApiError> {
    let mut event = AuditEvent::new(action, outcome)
        .actor(actor)
        .detail(detail)
        .request_id(request_id(headers));
    if let Some(team) = team {
        event = event.team(team);
    }
    state
        .audit(event)
        .await
        .map(|_| ())
        .map_err(|_| ApiError::Internal)
}

/// Records a token's read (people's reads are not audited, as for pages).
pub async fn audit_read(
    state: &AppState,
    headers: &HeaderMap,
    caller: &Caller,
    action: &'static str,
    detail: String,
) -> Result<(), ApiError> {
    match caller {
        Caller::Token(token) => {
            audit(
                state,
                headers,
                Some(token_actor(token)),
                Some(token.team.clone()),
                action,
                Outcome::Success,
                detail,
            )
            .await
        }
        Caller::Person { .. } => Ok(()),
    }
}
