//! Who calls the API, and whether they may: the one check in front of every operation.
//!
//! A bearer token is checked here (it is the API's alone: pages and server functions never
//! accept one) and becomes the request's [`Acting`]; a signed-in person's `Acting` was built
//! by the authentication layer. Either way the route's declared access is checked with
//! `Viewer::allows`, as pages and server functions check theirs, and the operation then
//! calls the same port method a page calls.

use axum::http::{HeaderMap, Method};
use hangar_app::functions::ports::{Acting, ActingToken, Actor, RequestId};
use hangar_app::models::{TeamGrant, TeamMembership, TeamRole, Viewer};

use super::{ApiError, ApiRoute};
use crate::access::StoredGrants;
use crate::audit::refusals::Refusal;
use crate::audit::{AuditEvent, Outcome};
use crate::http::edge::ClientIp;
use crate::http::request::{bearer_token, is_bearer, request_id_of};
use crate::state::AppState;
use crate::tokens::{self, TOKEN_ISSUER, TokenIdentity};

/// What the API's check reads from a request: its headers, its id, and the signed-in
/// person's `Acting` if the session layers found one.
pub struct ApiRequest {
    headers: HeaderMap,
    request_id: RequestId,
    person: Option<Acting>,
    source: std::net::IpAddr,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ApiRequest {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self {
            headers: parts.headers.clone(),
            request_id: request_id_of(parts),
            person: parts.extensions.get::<Acting>().cloned(),
            source: parts
                .extensions
                .get::<ClientIp>()
                .map(|ClientIp(ip)| *ip)
                .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)),
        })
    }
}

/// Who acts in `route` for `team` (`None` for routes of no team), if allowed.
///
/// Anything about a team the caller holds nothing in — or that does not exist — is the same
/// 404. Every refusal of a change is audited, and so is every refusal of a token.
pub async fn require(
    state: &AppState,
    request: &ApiRequest,
    route: &ApiRoute,
    team: Option<&str>,
) -> Result<Acting, ApiError> {
    if is_bearer(&request.headers) {
        return token(state, request, route, team).await;
    }
    let Some(acting) = request.person.clone() else {
        return Err(ApiError::Unauthenticated);
    };
    if !acting.viewer.allows(route.access, team) {
        if route.method != Method::GET {
            record(
                state,
                AuditEvent::by(&acting, "request.denied", Outcome::Denied)
                    .detail(format!("{} {}", route.method, route.path)),
            )
            .await?;
        }
        return Err(ApiError::NotFound);
    }
    Ok(acting)
}

/// The token in the request, if it is live, belongs to `team` and carries the scope.
async fn token(
    state: &AppState,
    request: &ApiRequest,
    route: &ApiRoute,
    team: Option<&str>,
) -> Result<Acting, ApiError> {
    let secret = bearer_token(&request.headers).unwrap_or_default();
    let Some(token) = tokens::authenticate(&state.db, secret, state.clock.now_ms()).await? else {
        // Nobody is known: counted, and only sampled into the audit log.
        state
            .refused_anonymously(
                Refusal::Token,
                request.source,
                AuditEvent::new("api.denied", Outcome::Denied)
                    .detail("invalid, expired or revoked token")
                    .request_id(Some(request.request_id.clone())),
            )
            .await?;
        return Err(ApiError::Unauthenticated);
    };
    let lapsed = tokens::lapsed(
        &state.db,
        &StoredGrants::of(&state.config),
        &token.team,
        token.created_by,
        token.rotated_by,
    )
    .await?;
    let acting = token_acting(token, request.request_id.clone());
    let own_team = acting.token.as_ref().map(|t| t.team.clone());
    if let Some(why) = lapsed {
        // The token's own team only; the caller learns no more than from a revoked token.
        let mut event = AuditEvent::by(&acting, "api.denied", Outcome::Denied).detail(why);
        if let Some(team) = &own_team {
            event = event.team(team.clone());
        }
        record(state, event).await?;
        return Err(ApiError::Unauthenticated);
    }
    let denied = |detail: String| {
        let mut event = AuditEvent::by(&acting, "api.denied", Outcome::Denied).detail(detail);
        if let Some(team) = &own_team {
            // Only the token's own team goes into the entry: a guess at another names nothing.
            event = event.team(team.clone());
        }
        record(state, event)
    };
    if team.is_some_and(|team| Some(team) != own_team.as_deref()) {
        denied("a team other than the token's".into()).await?;
        return Err(ApiError::NotFound);
    }
    if let Some(scope) = route.scope
        && !acting.token.as_ref().is_some_and(|t| t.allows(scope))
    {
        denied(format!("missing scope {scope}")).await?;
        return Err(ApiError::MissingScope(scope));
    }
    Ok(acting)
}

/// A live token as the caller of a request: a viewer of its own team, acting as the token's
/// own user, named in the audit log as the token.
fn token_acting(token: TokenIdentity, request_id: RequestId) -> Acting {
    let display_name = format!("API token \"{}\"", token.name);
    Acting {
        viewer: Viewer {
            display_name: display_name.clone(),
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
        user_id: token.user_id,
        actor: Actor {
            issuer: TOKEN_ISSUER.to_string(),
            subject: format!("token/{}", token.id),
            display_name,
        },
        token: Some(ActingToken {
            id: token.id,
            name: token.name,
            team: token.team,
            scopes: token.scopes,
            creator_id: token.created_by,
            rotated_by: token.rotated_by,
        }),
        request_id,
        reauthenticated_ms: None,
    }
}

async fn record(state: &AppState, event: AuditEvent) -> Result<(), ApiError> {
    state.audit(event).await?;
    Ok(())
}

/// Records a token's read (people's reads are not audited, as for pages).
pub async fn audit_read(
    state: &AppState,
    acting: &Acting,
    action: &'static str,
    detail: String,
) -> Result<(), ApiError> {
    let Some(token) = &acting.token else {
        return Ok(());
    };
    record(
        state,
        AuditEvent::by(acting, action, Outcome::Success)
            .team(token.team.clone())
            .detail(detail),
    )
    .await
}
