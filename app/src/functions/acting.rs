//! Who is acting in a request, resolved once (server only).
//!
//! The server's authentication layer builds one [`Acting`] per request — from the signed-in
//! session, or from a team API token — and puts it in the request's extensions. Everything
//! after that reads this one value: the server-function guard ([`super::guard::require`]),
//! the page guard, the JSON API, every port method (which takes it as its first argument)
//! and every audit entry written on the caller's behalf. Nothing downstream goes back to the
//! session, the headers or the token to ask again.

use std::fmt;

use serde::Serialize;

use crate::models::Viewer;

/// The id Hangar gave this request (never the client's): in the `x-request-id` answer
/// header, on every log line and every audit entry of the request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(pub String);

impl RequestId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who did something, as the audit log records them: the identity-provider identity (or a
/// token's own), with the name shown at the time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub issuer: String,
    pub subject: String,
    pub display_name: String,
}

/// A team API token acting (CI), with the person who created it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActingToken {
    pub id: i64,
    pub name: String,
    /// The one team the token acts in.
    pub team: String,
    pub scopes: Vec<String>,
    /// The Hangar user who created the token.
    pub creator_id: i64,
    /// The Hangar user who last gave it a new secret, if anyone did.
    pub rotated_by: Option<i64>,
}

impl ActingToken {
    pub fn allows(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The one typed value of "who acts, with which rights, in which request".
#[derive(Clone, Debug)]
pub struct Acting {
    /// What the caller may see and do (a token: a viewer of its own team).
    pub viewer: Viewer,
    /// The Hangar user recorded as acting: the signed-in person, or the token's own user.
    pub user_id: i64,
    /// Set when a team API token acts.
    pub token: Option<ActingToken>,
    /// As the audit log names the caller.
    pub actor: Actor,
    pub request_id: RequestId,
    /// When the person last proved again at the identity provider that they are at the
    /// keyboard (break-glass needs it); never for a token.
    pub reauthenticated_ms: Option<i64>,
}

impl Acting {
    /// Whether a person (not a token) acts.
    pub fn is_person(&self) -> bool {
        self.token.is_none()
    }
}
