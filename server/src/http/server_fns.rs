//! The door in front of leptos server functions (`/api/...`).
//!
//! A path must be declared in `hangar_app::functions::declared_access` or it does not exist
//! (deny by default). Functions then check their declared access themselves, first thing,
//! with the team from their arguments. Errors leave as the `AppError` JSON the browser
//! decodes, with the status `AppError::status` assigns; refused mutations are audited.
//!
//! Without JavaScript, an action is a plain HTML form post. Leptos would answer it with a
//! redirect to the `Referer` (which Hangar's referrer policy never sends) and drop any error,
//! so such posts are answered here: success goes back to the form's `return_to` page (303),
//! failure is a page that says what went wrong, with a link back. Two answers are the page
//! themselves: a new token's secret (shown once) and a revealed variable value (revealed only
//! by a POST, so a cross-site link reveals nothing).

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hangar_app::errors::AppError;
use hangar_app::functions::declared_access;
use hangar_app::functions::deploys::{CreateToken, RotateToken};
use hangar_app::functions::ports::Acting;
use hangar_app::functions::variables::RevealVariable;
use hangar_app::models::RevealedValue;
use hangar_app::models::deploys::CreatedToken;
use hangar_app::models::{Access, PlatformAction};
use leptos::server_fn::ServerFn;

use super::error::{escape, not_found, page};
use crate::audit::{AuditEvent, Outcome};
use crate::identity::return_to::safe_return_to;
use crate::state::AppState;

/// Server-function answers are small; anything larger is not an `AppError`.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// An answer shown as the page: a token, or a variable's value.
const MAX_ANSWER_BODY: usize = 4 * 1024 * 1024;
/// server_fn marks an error answer to a non-JSON post with this header (and a redirect).
const SERVER_FN_ERROR_HEADER: &str = "serverfnerror";

fn declared() -> &'static HashMap<&'static str, Access> {
    static DECLARED: OnceLock<HashMap<&'static str, Access>> = OnceLock::new();
    DECLARED.get_or_init(|| declared_access().into_iter().collect())
}

/// Whether a refusal of this access is a refused change (audited) rather than a refused read.
pub fn is_mutation(access: Access) -> bool {
    match access {
        Access::Team(action) => !action.is_read_only(),
        Access::Platform(action) => {
            matches!(
                action,
                PlatformAction::ManageCommon
                    | PlatformAction::EndSessions
                    | PlatformAction::ResolveOwnership
            )
        }
        Access::Public | Access::Authenticated => false,
    }
}

pub async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let Some(&access) = declared().get(path.as_str()) else {
        return not_found();
    };
    let request_id = super::request::request_id_of_request(&request);
    // Only a signed-in person calls server functions (a token's `Acting` is the API's).
    let acting = request.extensions().get::<Acting>().cloned();
    if access != Access::Public && acting.is_none() {
        return error_response(&AppError::Unauthenticated);
    }
    let (mut request, plain_form) = match PlainForm::detect(request).await {
        Ok(detected) => detected,
        Err(response) => return response,
    };
    // A new token's secret (or a rotated one's) is shown once, a revealed value only to the
    // one who asked: without JavaScript such an answer becomes the page.
    let shows_answer = plain_form.is_some()
        && (path == <CreateToken as ServerFn>::PATH
            || path == <RotateToken as ServerFn>::PATH
            || path == <RevealVariable as ServerFn>::PATH);
    if shows_answer {
        request.headers_mut().insert(
            header::ACCEPT,
            header::HeaderValue::from_static("application/json"),
        );
    }
    let ports = state.clone();
    let response =
        leptos_axum::handle_server_fns_with_context(move || ports.provide_ports(), request)
            .await
            .into_response();
    // Errors come as 500, or, for a post that did not ask for JSON, as server_fn's own
    // redirect carrying the error body and a marker header.
    // Anything else that is neither a success nor server_fn's redirect (a 400 for arguments
    // that did not parse, say) is a failure too: never report it as done.
    let status = response.status();
    let failed = response.headers().contains_key(SERVER_FN_ERROR_HEADER)
        || !(status.is_success() || status.is_redirection());
    if !failed && shows_answer {
        // A variable's value may be as large as Airflow allows.
        let bytes = axum::body::to_bytes(response.into_body(), MAX_ANSWER_BODY)
            .await
            .unwrap_or_default();
        if let Some(form) = plain_form {
            if let Ok(token) = serde_json::from_slice::<CreatedToken>(&bytes) {
                return form.show_token(&token);
            }
            if let Ok(revealed) = serde_json::from_slice::<RevealedValue>(&bytes) {
                return form.show_revealed(&revealed);
            }
        }
        tracing::error!("an answer shown as the page could not be read back");
        return error_response(&AppError::Internal(request_id.0));
    }
    if !failed {
        return match plain_form {
            // server_fn answers a plain post with its own redirect; Hangar's goes to the form's page.
            Some(form) => form.back(),
            _ => response,
        };
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY)
        .await
        .unwrap_or_default();
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.headers.remove(SERVER_FN_ERROR_HEADER);
        parts.headers.remove(header::LOCATION);
        parts.status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let refused = matches!(
            error,
            AppError::NotFound | AppError::Forbidden | AppError::Unauthenticated
        );
        if refused
            && is_mutation(access)
            && let Some(acting) = &acting
        {
            let recorded = state
                .audit(
                    AuditEvent::by(acting, "request.denied", Outcome::Denied)
                        .target(path)
                        .detail(error.to_string()),
                )
                .await;
            if let Err(error) = recorded {
                return error.into_response();
            }
        }
    }
    match (plain_form, serde_json::from_slice::<AppError>(&bytes)) {
        (Some(form), Ok(error)) => form.failed(parts.status, &error),
        (Some(form), Err(_)) => {
            let error = AppError::Invalid(String::from_utf8_lossy(&bytes).into_owned());
            form.failed(parts.status, &error)
        }
        (None, _) => Response::from_parts(parts, Body::from(bytes)),
    }
}

/// A form posted by the browser itself (no JavaScript), and where to send the user after:
/// `return_to` once it is done, `retry_at` (the form's own page, when that is another page;
/// `return_to` otherwise) when it failed, so the user is one click from trying again.
struct PlainForm {
    return_to: String,
    retry_at: String,
}

impl PlainForm {
    /// Recognises a plain form post by its `Accept` and content type; reads its body (to
    /// find `return_to`) and hands back an equivalent request without the `Referer`.
    async fn detect(request: Request) -> Result<(Request, Option<Self>), Response> {
        let headers = request.headers();
        let header = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        let is_form = header(header::CONTENT_TYPE).starts_with("application/x-www-form-urlencoded");
        let plain = is_form && header(header::ACCEPT).contains("text/html");
        if !plain {
            return Ok((request, None));
        }
        let (mut parts, body) = request.into_parts();
        // Already read and capped by the edge (`edge::limit_body`: a 413 with a sentence), so
        // the one limit is `[limits] max_body_bytes`.
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|_| StatusCode::BAD_REQUEST.into_response())?;
        let field = |name: &str| {
            url::form_urlencoded::parse(&bytes)
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.into_owned())
        };
        let return_to = safe_return_to(field("return_to").as_deref());
        let retry_at = match field("retry_at") {
            Some(page) => safe_return_to(Some(&page)),
            None => return_to.clone(),
        };
        parts.headers.remove(header::REFERER);
        let request = Request::from_parts(parts, Body::from(bytes));
        Ok((
            request,
            Some(Self {
                return_to,
                retry_at,
            }),
        ))
    }

    fn back(self) -> Response {
        Redirect::to(&self.return_to).into_response()
    }

    fn show_token(self, token: &CreatedToken) -> Response {
        let body = format!(
            "<h1>Token secret</h1><p>Copy the secret of token \"{}\" now: Hangar stores only \
             its hash and cannot show it again.</p><pre data-testid=\"token-secret\">{}</pre>\
             <p><a href=\"{}\">Back</a></p>",
            escape(&token.row.name),
            escape(&token.secret),
            escape(&self.return_to)
        );
        page("Token secret", &body).into_response()
    }

    fn show_revealed(self, revealed: &RevealedValue) -> Response {
        let value = match &revealed.value {
            Some(value) => format!(
                "<pre class=\"revealed\" data-testid=\"variable-revealed\">{}</pre>",
                escape(value)
            ),
            None => "<p class=\"muted\" data-testid=\"variable-revealed\">kept secret by Airflow \
                     (its key looks like a secret)</p>"
                .to_string(),
        };
        let body = format!(
            "<h1>Variable {}</h1><p class=\"muted\">In {}; this reveal is recorded in the audit \
             log.</p>{value}<p><a href=\"{}\">Back</a></p>",
            escape(&revealed.key),
            escape(&revealed.environment),
            escape(&self.return_to)
        );
        let mut response = page("Variable", &body).into_response();
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        response
    }

    fn failed(self, status: StatusCode, error: &AppError) -> Response {
        let body = format!(
            "<h1>That did not work</h1><p role=\"alert\" data-testid=\"action-error\">{}</p>\
             <p><a href=\"{}\">Back</a></p>",
            escape(&error.to_string()),
            escape(&self.retry_at)
        );
        (status, page("That did not work", &body)).into_response()
    }
}

fn error_response(error: &AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(error).unwrap_or_default();
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}
