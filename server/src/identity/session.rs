//! What a signed-in session holds on the server, and its timeouts.
//!
//! The session record lives in Hangar's database (tower-sessions); the browser only holds an
//! opaque id. Tokens from the provider stay in the record and never reach a page.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tower_sessions::{Expiry, Session};

use crate::audit::Actor;
use crate::clock::from_ms;
use crate::config::SessionConfig;
use crate::error::ServerError;
use crate::identity::session_index::SessionTimes;

pub const IDENTITY_KEY: &str = "hangar.identity";
/// `last_seen` is written at most this often, so reading a page is not a database write.
pub const TOUCH_INTERVAL_MS: i64 = 60 * 1000;

#[derive(Clone, Deserialize, Serialize)]
pub struct SessionIdentity {
    pub user_id: i64,
    pub issuer: String,
    pub subject: String,
    pub display_name: String,
    pub email: Option<String>,
    pub groups: Vec<String>,
    pub created_ms: i64,
    pub last_seen_ms: i64,
    pub groups_checked_ms: i64,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub last_team: Option<String>,
    /// When the user last proved at the identity provider that they are at the keyboard
    /// (`prompt=login`, checked against the ID token's `auth_time`): break-glass needs it.
    #[serde(default)]
    pub reauthenticated_ms: Option<i64>,
    /// This session's key in `user_sessions` (`session_index.rs`); sessions from before
    /// that table are registered at their next request.
    #[serde(default)]
    pub session_key: Option<String>,
}

impl std::fmt::Debug for SessionIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionIdentity")
            .field("user_id", &self.user_id)
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expired {
    Idle,
    Absolute,
}

impl Expired {
    pub fn reason(self) -> &'static str {
        match self {
            Self::Idle => "idle timeout",
            Self::Absolute => "absolute timeout",
        }
    }
}

impl SessionIdentity {
    pub fn actor(&self) -> Actor {
        Actor {
            issuer: self.issuer.clone(),
            subject: self.subject.clone(),
            display_name: self.display_name.clone(),
        }
    }

    pub fn expired(&self, config: &SessionConfig, now_ms: i64) -> Option<Expired> {
        if now_ms >= self.created_ms + config.absolute_timeout.as_millis() as i64 {
            Some(Expired::Absolute)
        } else if now_ms >= self.last_seen_ms + config.idle_timeout.as_millis() as i64 {
            Some(Expired::Idle)
        } else {
            None
        }
    }

    /// When the session ends if nobody comes back: the earlier of its idle and absolute end.
    pub fn ends_ms(&self, config: &SessionConfig) -> i64 {
        let idle_end = self.last_seen_ms + config.idle_timeout.as_millis() as i64;
        let absolute_end = self.created_ms + config.absolute_timeout.as_millis() as i64;
        idle_end.min(absolute_end)
    }

    /// When the record must disappear from the store even if nobody comes back.
    pub fn record_expiry(&self, config: &SessionConfig) -> Expiry {
        Expiry::AtDateTime(from_ms(self.ends_ms(config)))
    }

    /// The session's times as `user_sessions` keeps them.
    pub fn times(&self, config: &SessionConfig) -> SessionTimes {
        SessionTimes {
            created_ms: self.created_ms,
            last_seen_ms: self.last_seen_ms,
            expires_ms: self.ends_ms(config),
        }
    }
}

/// The signed-in identity of `session`: the one this replica keeps with the session's
/// record, read from it once (`db::session_store`), else read through the session (loading
/// its record). Not the kept one once this request changed the session: then what the
/// request holds.
pub async fn identity(
    store: &crate::db::session_store::HangarSessionStore,
    session: &Session,
) -> Result<Option<Arc<SessionIdentity>>, tower_sessions::session::Error> {
    if let Some(id) = session.id().filter(|_| !session.is_modified())
        && let Some(kept) = store.kept_identity(&id)
    {
        return Ok(Some(kept));
    }
    Ok(session
        .get::<SessionIdentity>(IDENTITY_KEY)
        .await?
        .map(Arc::new))
}

/// The session's identity as the database holds it now, not as this replica's copy of the
/// record has it (`db::session_store`): what every change of the identity starts from. It
/// replaces what `session` holds, so the change is written over the current record. `None`:
/// the record is gone (ended on another replica).
pub async fn current(
    store: &crate::db::session_store::HangarSessionStore,
    session: &Session,
) -> Result<Option<SessionIdentity>, ServerError> {
    // Not saved yet (no id): what this request holds is all there is. Changed already by
    // this request: it started from the current record (an earlier call), and reading the
    // database again would drop the change (a touch, before the page remembers the team).
    let Some(id) = session.id().filter(|_| !session.is_modified()) else {
        return Ok(session.get(IDENTITY_KEY).await?);
    };
    let record = store
        .load_current(&id)
        .await
        .map_err(tower_sessions::session::Error::Store)?;
    let Some((value, expiry_date)) = record.and_then(|mut record| {
        let expiry_date = record.expiry_date;
        record
            .data
            .remove(IDENTITY_KEY)
            .map(|value| (value, expiry_date))
    }) else {
        return Ok(None);
    };
    let current: SessionIdentity =
        serde_json::from_value(value.clone()).map_err(tower_sessions::session::Error::SerdeJson)?;
    let held = session.insert_value(IDENTITY_KEY, value.clone()).await?;
    if held.as_ref() != Some(&value) {
        // The request now writes the record back even if nothing else changes: with the
        // record's own end, not the store's default (two weeks, and a cookie without one).
        session.set_expiry(Some(Expiry::AtDateTime(expiry_date)));
    }
    Ok(Some(current))
}

/// Compares secrets without a timing difference between where they first differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn identity(created_ms: i64, last_seen_ms: i64) -> SessionIdentity {
        SessionIdentity {
            user_id: 1,
            issuer: "i".into(),
            subject: "s".into(),
            display_name: "d".into(),
            email: None,
            groups: vec![],
            created_ms,
            last_seen_ms,
            groups_checked_ms: created_ms,
            refresh_token: Some("rt-secret".into()),
            id_token: Some("idt-secret".into()),
            last_team: None,
            reauthenticated_ms: None,
            session_key: None,
        }
    }

    const CONFIG: SessionConfig = SessionConfig {
        idle_timeout: Duration::from_secs(3600),
        absolute_timeout: Duration::from_secs(4 * 3600),
    };

    #[test]
    fn idle_and_absolute_timeouts() {
        let hour = 3_600_000;
        assert_eq!(identity(0, 0).expired(&CONFIG, hour - 1), None);
        assert_eq!(identity(0, 0).expired(&CONFIG, hour), Some(Expired::Idle));
        assert_eq!(identity(0, 3 * hour).expired(&CONFIG, 3 * hour + 30), None);
        assert_eq!(
            identity(0, 4 * hour - 1).expired(&CONFIG, 4 * hour),
            Some(Expired::Absolute)
        );
    }

    #[test]
    fn debug_hides_tokens() {
        let shown = format!("{:?}", identity(0, 0));
        assert!(
            !shown.contains("rt-secret") && !shown.contains("idt-secret"),
            "{shown}"
        );
    }
}
