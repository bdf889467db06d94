//! `/auth/*`: browser redirects of the sign-in and sign-out, as plain routes (not server
//! functions) because the browser arrives here from the identity provider. The protocol is
//! `identity/oidc.rs`'s; a sign-in in progress rides in an encrypted cookie
//! (`identity/pending.rs`), so nothing is stored for a visitor until the provider has
//! answered; what a signed-in session holds is `identity/session.rs`'s. A failed sign-in has
//! nobody to name: it is counted, and sampled into the audit log (`audit/refusals.rs`).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::edge::ClientIp;
use super::error::{escape, page};
use super::request::{RequestId, RequestIdOf};
use crate::audit::refusals::Refusal;
use crate::audit::{AuditEvent, Outcome};
use crate::error::ServerError;
use crate::identity::oidc::OidcError;
use crate::identity::return_to::safe_return_to;
use crate::identity::session::{self, IDENTITY_KEY, SessionIdentity};
use crate::identity::session_index;
use crate::state::AppState;
use crate::users::{self, SignIn};

#[derive(Deserialize)]
pub struct LoginParams {
    return_to: Option<String>,
    login_hint: Option<String>,
    /// `1`: the signed-in user proves again that it is them (break-glass).
    reauth: Option<String>,
}

/// `GET /auth/login?return_to=PATH`: sends the browser to the provider, the sign-in's
/// secrets in an encrypted cookie. The session is only read (a re-authentication needs the
/// signed-in person), never written: no row for an anonymous visit.
pub async fn login(
    State(state): State<AppState>,
    session: Session,
    RequestIdOf(request_id): RequestIdOf,
    client: Option<axum::Extension<ClientIp>>,
    headers: HeaderMap,
    Query(params): Query<LoginParams>,
) -> Result<Response, ServerError> {
    let return_to = safe_return_to(params.return_to.as_deref());
    let hint = params.login_hint.as_deref().filter(|h| h.len() <= 256);
    let now = state.clock.now_ms();
    let reauth = params.reauth.as_deref() == Some("1")
        && session::identity(&state.session_store, &session)
            .await?
            .is_some();
    match state.oidc.begin(return_to, hint, reauth, now).await {
        Ok((url, pending)) => {
            let cookie = state.sign_in_cookie.push(&headers, pending, now);
            Ok(with_cookie(
                Redirect::to(url.as_str()).into_response(),
                cookie,
            ))
        }
        Err(error) => Ok(sign_in_failed(&state, &error, request_id, source(client)).await),
    }
}

fn source(client: Option<axum::Extension<ClientIp>>) -> std::net::IpAddr {
    client
        .map(|axum::Extension(ClientIp(ip))| ip)
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/callback`: the provider sends the browser back here.
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    RequestIdOf(request_id): RequestIdOf,
    client: Option<axum::Extension<ClientIp>>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Result<Response, ServerError> {
    let now = state.clock.now_ms();
    // The state is consumed whatever happens next: it is single use.
    let (pending, cookie) = match params.state.as_deref() {
        Some(state_param) => state.sign_in_cookie.take(&headers, state_param, now),
        None => (None, state.sign_in_cookie.take(&headers, "", now).1),
    };
    let source = source(client);
    let response = match pending {
        None => Ok(sign_in_failed(&state, &OidcError::BadState, request_id, source).await),
        Some(pending) => {
            complete_sign_in(&state, &session, request_id, source, params, pending, now).await
        }
    }?;
    Ok(with_cookie(response, cookie))
}

async fn complete_sign_in(
    state: &AppState,
    session: &Session,
    request_id: RequestId,
    source: std::net::IpAddr,
    params: CallbackParams,
    pending: crate::identity::oidc::PendingLogin,
    now: i64,
) -> Result<Response, ServerError> {
    if let Some(error) = params.error {
        let description = params.error_description.unwrap_or_default();
        let error = OidcError::ProviderError(format!("{error} {description}").trim().to_string());
        return Ok(sign_in_failed(state, &error, request_id, source).await);
    }
    let Some(code) = params.code else {
        let error = OidcError::ProviderError("no code in the callback".into());
        return Ok(sign_in_failed(state, &error, request_id, source).await);
    };
    let signed_in = match state
        .oidc
        .complete(&pending, &code, params.iss.as_deref())
        .await
    {
        Ok(signed_in) => signed_in,
        Err(error) => return Ok(sign_in_failed(state, &error, request_id, source).await),
    };

    if pending.reauth {
        return reauthenticated(state, session, signed_in, &pending, now, request_id, source).await;
    }
    let (user_id, last_team) = users::record_sign_in(
        &state.db,
        SignIn {
            issuer: &signed_in.issuer,
            subject: &signed_in.subject,
            display_name: &signed_in.display_name,
            email: signed_in.email.as_deref(),
            email_verified: signed_in.email_verified,
            groups: &signed_in.groups,
            at_ms: now,
        },
    )
    .await?;
    let identity = SessionIdentity {
        user_id,
        issuer: signed_in.issuer,
        subject: signed_in.subject,
        display_name: signed_in.display_name,
        email: signed_in.email,
        groups: signed_in.groups,
        created_ms: now,
        last_seen_ms: now,
        groups_checked_ms: now,
        refresh_token: signed_in.refresh_token,
        id_token: Some(signed_in.id_token),
        last_team,
        reauthenticated_ms: None,
        session_key: Some(session_index::new_key()),
    };
    if let Some(key) = &identity.session_key {
        session_index::register(
            &state.db,
            key,
            user_id,
            identity.times(&state.config.session),
        )
        .await?;
    }
    // A new id for the signed-in session: an id planted before sign-in is worth nothing.
    session.cycle_id().await?;
    session.set_expiry(Some(identity.record_expiry(&state.config.session)));
    session.insert(IDENTITY_KEY, identity.clone()).await?;
    state
        .audit(
            AuditEvent::new("auth.login", Outcome::Success)
                .actor(Some(identity.actor()))
                .detail(format!("groups: {}", identity.groups.join(", ")))
                .request_id(Some(request_id)),
        )
        .await?;
    Ok(Redirect::to(&pending.return_to).into_response())
}

/// How far the provider's clock may be ahead of or behind ours in `auth_time`.
const AUTH_TIME_SKEW_MS: i64 = 60 * 1000;

/// The end of a re-authentication: the same person, authenticated at the provider just now.
/// Only `reauthenticated_ms` changes in the session; anything else is refused.
async fn reauthenticated(
    state: &AppState,
    session: &Session,
    signed_in: crate::identity::oidc::SignedIn,
    pending: &crate::identity::oidc::PendingLogin,
    now: i64,
    request_id: RequestId,
    source: std::net::IpAddr,
) -> Result<Response, ServerError> {
    // Changed below: from the database's record, not this replica's copy of it.
    let Some(mut identity) = session::current(&state.session_store, session).await? else {
        return Ok(sign_in_failed(state, &OidcError::BadState, request_id, source).await);
    };
    let same_person = identity.issuer == signed_in.issuer && identity.subject == signed_in.subject;
    let fresh = signed_in.auth_time_ms.is_some_and(|at| {
        at >= pending.started_ms - AUTH_TIME_SKEW_MS && at <= now + AUTH_TIME_SKEW_MS
    });
    let refusal = match (same_person, fresh) {
        (false, _) => Some("you signed in as someone else; sign in again as yourself"),
        (true, false) => Some("the identity provider did not authenticate you again just now"),
        (true, true) => None,
    };
    let event = AuditEvent::new(
        "auth.reauthenticate",
        if refusal.is_some() {
            Outcome::Denied
        } else {
            Outcome::Success
        },
    )
    .actor(Some(identity.actor()))
    .detail(refusal.unwrap_or_default().to_string())
    .request_id(Some(request_id));
    state.audit(event).await?;
    if let Some(refusal) = refusal {
        let body = format!(
            "<h1>Not re-authenticated</h1><p role=\"alert\">{}</p><p><a href=\"{}\">Back</a></p>",
            escape(refusal),
            escape(&pending.return_to)
        );
        return Ok((
            axum::http::StatusCode::FORBIDDEN,
            page("Not re-authenticated", &body),
        )
            .into_response());
    }
    identity.reauthenticated_ms = Some(now);
    session.insert(IDENTITY_KEY, identity).await?;
    Ok(Redirect::to(&pending.return_to).into_response())
}

/// `POST /auth/logout`: ends the Hangar session, then the provider's.
pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    RequestIdOf(request_id): RequestIdOf,
) -> Result<Response, ServerError> {
    let identity = session::identity(&state.session_store, &session).await?;
    session.flush().await?;
    if let Some(key) = identity.as_ref().and_then(|i| i.session_key.as_deref()) {
        session_index::end(&state.db, key).await?;
        state.live.sessions_ended(vec![key.to_string()]).await;
    }
    let Some(identity) = identity else {
        return Ok(Redirect::to("/auth/signed-out").into_response());
    };
    state
        .audit(
            AuditEvent::new("auth.logout", Outcome::Success)
                .actor(Some(identity.actor()))
                .request_id(Some(request_id)),
        )
        .await?;
    let signed_out = state.config.server.url_for("/auth/signed-out");
    let target = state
        .oidc
        .end_session_url(identity.id_token.as_deref(), &signed_out)
        .map(|url| url.to_string())
        .unwrap_or_else(|| "/auth/signed-out".to_string());
    Ok(Redirect::to(&target).into_response())
}

/// A failed sign-in has no verified identity: it is counted, and its audit entry (no actor,
/// the provider's or the visitor's text cut short) is only a sample per address and minute.
async fn sign_in_failed(
    state: &AppState,
    error: &OidcError,
    request_id: RequestId,
    source: std::net::IpAddr,
) -> Response {
    tracing::warn!(reason = %crate::audit::refusals::cut(&error.to_string()), "sign-in failed");
    let recorded = state
        .refused_anonymously(
            Refusal::SignIn,
            source,
            AuditEvent::new("auth.login", Outcome::Failure)
                .detail(error.to_string())
                .request_id(Some(request_id.clone())),
        )
        .await;
    if let Err(audit_error) = recorded {
        return audit_error.into_response();
    }
    let (status, explanation) = match error {
        OidcError::Unavailable(_) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "The identity provider cannot be reached right now. Try again in a minute.",
        ),
        OidcError::BadState => (
            axum::http::StatusCode::BAD_REQUEST,
            "This sign-in link has expired or was already used. Start again.",
        ),
        OidcError::ProviderError(_) => (
            axum::http::StatusCode::BAD_REQUEST,
            "The identity provider did not sign you in.",
        ),
        _ => (
            axum::http::StatusCode::BAD_REQUEST,
            "The identity provider's answer could not be verified, so no session was created.",
        ),
    };
    let reference = request_id.0;
    let body = format!(
        "<h1>Sign-in failed</h1><p>{explanation}</p><p class=\"muted\">Reference: {}</p>\
         <p><a class=\"button\" href=\"/auth/login\">Try again</a></p>",
        escape(&reference)
    );
    (status, page("Sign-in failed", &body)).into_response()
}
