//! Every signed-in session by user (`user_sessions`), beside the session store.
//!
//! The store's records are opaque blobs keyed by the cookie's id, and on SQLite they are also
//! cached in process; neither lets anyone find "all of Bob's sessions". So each signed-in
//! session carries a random key of its own, registered here, and the authentication layer
//! checks on every request that the key is still registered. Ending a user's sessions is one
//! `DELETE`, from any replica or from another process (`hangar sessions revoke`).
//!
//! That check is not a database read per request: [`LiveSessions`] remembers, per replica,
//! the keys it found registered, for at most [`LIVE_FOR`] (1 s). Whoever ends a session
//! announces it (`live::LiveUpdates::sessions_ended`: in process, and `NOTIFY` on
//! PostgreSQL), and every replica forgets the keys at once; a notice that never arrives (a
//! listener reconnecting, the CLI against SQLite) is covered by the 1 s bound. So an ended
//! session is refused everywhere within milliseconds, and within 1 s at worst
//! (docs/access.md).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use sqlx::Row;

use crate::clock::Clock;
use crate::db::Db;
use crate::db::query_result;
use crate::error::ServerError;
use crate::live::forgetting::Forgettings;
use crate::with_pool;

/// How long a replica trusts that a key it found registered is still registered, if no
/// announcement says otherwise.
pub const LIVE_FOR: Duration = Duration::from_secs(1);
/// Keys remembered at most (each ~100 bytes); beyond, the oldest are read again.
const REMEMBERED: u64 = 100_000;

/// The sessions this replica recently found live (see the module's documentation).
pub struct LiveSessions {
    seen: moka::sync::Cache<String, ()>,
    /// One stripe: keys are forgotten only when sessions end, which is rare.
    forgettings: Forgettings<1>,
}

impl Default for LiveSessions {
    fn default() -> Self {
        Self {
            seen: moka::sync::Cache::builder()
                .max_capacity(REMEMBERED)
                .time_to_live(LIVE_FOR)
                .build(),
            forgettings: Forgettings::default(),
        }
    }
}

impl LiveSessions {
    /// Whether the session with this key has not been ended: from memory if this replica
    /// found it registered less than [`LIVE_FOR`] ago, else from the database.
    pub async fn is_live(&self, db: &Db, key: &str) -> Result<bool, ServerError> {
        self.remembered_or_read(key, || is_live(db, key)).await
    }

    /// `true` if the key is remembered, else what `read` says; a key read as registered is
    /// remembered unless a session ended since the read began: the announcement of that end
    /// may have arrived while the read was on its way back (`live::forgetting`).
    async fn remembered_or_read<F>(
        &self,
        key: &str,
        read: impl FnOnce() -> F,
    ) -> Result<bool, ServerError>
    where
        F: std::future::Future<Output = Result<bool, ServerError>>,
    {
        if self.seen.contains_key(key) {
            return Ok(true);
        }
        let ticket = self.forgettings.ticket(0);
        let live = read().await?;
        if live {
            self.forgettings.keep_unless_moved(
                ticket,
                || self.seen.insert(key.to_string(), ()),
                || self.seen.invalidate(key),
            );
        }
        Ok(live)
    }

    pub fn forget(&self, keys: &[String]) {
        self.forgettings.moved(0);
        for key in keys {
            self.seen.invalidate(key);
        }
    }

    fn forget_all(&self) {
        self.forgettings.moved_all();
        self.seen.invalidate_all();
    }

    /// Forgets every key announced as ended, for as long as the announcements last.
    pub fn follow(
        self: &Arc<Self>,
        ended: broadcast::Receiver<Arc<[String]>>,
        missed: tokio::sync::watch::Receiver<u64>,
    ) {
        crate::live::follow(
            ended,
            missed,
            self,
            |sessions, keys| sessions.forget(&keys),
            LiveSessions::forget_all,
        );
    }
}

/// A fresh key for a session: 128 random bits, never shown to the browser.
pub fn new_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Times of one session, as the authentication layer knows them.
#[derive(Clone, Copy, Debug)]
pub struct SessionTimes {
    pub created_ms: i64,
    pub last_seen_ms: i64,
    /// The earlier of the idle and the absolute end.
    pub expires_ms: i64,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn register(
    db: &Db,
    key: &str,
    user_id: i64,
    times: SessionTimes,
) -> Result<(), ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO user_sessions (session_key, user_id, created_ms, last_seen_ms, expires_ms) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_key) DO NOTHING",
        )
        .bind(key)
        .bind(user_id)
        .bind(times.created_ms)
        .bind(times.last_seen_ms)
        .bind(times.expires_ms)
        .execute(pool)
        .await
        .map(|_| ())
    }))
}

/// When the session with this key ends if nobody comes back (`None`: it was ended). What an
/// open event stream checks, so it closes with its session (`http/events.rs`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn expires_ms(db: &Db, key: &str) -> Result<Option<i64>, ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query_scalar("SELECT expires_ms FROM user_sessions WHERE session_key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await
    }))
}

/// Whether the session with this key has not been ended.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn is_live(db: &Db, key: &str) -> Result<bool, ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query("SELECT 1 FROM user_sessions WHERE session_key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await
            .map(|row| row.is_some())
    }))
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn touch(db: &Db, key: &str, times: SessionTimes) -> Result<(), ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query(
            "UPDATE user_sessions SET last_seen_ms = $2, expires_ms = $3 WHERE session_key = $1",
        )
        .bind(key)
        .bind(times.last_seen_ms)
        .bind(times.expires_ms)
        .execute(pool)
        .await
        .map(|_| ())
    }))
}

/// Ends one session (sign-out, expiry).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn end(db: &Db, key: &str) -> Result<(), ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query("DELETE FROM user_sessions WHERE session_key = $1")
            .bind(key)
            .execute(pool)
            .await
            .map(|_| ())
    }))
}

/// The sessions a user had, as [`end_all_of`] ended them.
#[derive(Debug, Default)]
pub struct Ended {
    /// Every key removed (to announce).
    pub keys: Vec<String>,
    /// How many of them were still live.
    pub live: u64,
}

/// Ends every session of the user.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn end_all_of(db: &Db, user_id: i64, now_ms: i64) -> Result<Ended, ServerError> {
    query_result(with_pool!(db, pool => {
        let ended: Vec<(String, i64)> = sqlx::query_as(
            "DELETE FROM user_sessions WHERE user_id = $1 RETURNING session_key, expires_ms",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?;
        Ok(Ended {
            live: ended.iter().filter(|(_, end)| *end > now_ms).count() as u64,
            keys: ended.into_iter().map(|(key, _)| key).collect(),
        })
    }))
}

/// Forgets sessions past their end (their store records expire on their own).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_expired(db: &Db, now_ms: i64) -> Result<u64, ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query("DELETE FROM user_sessions WHERE expires_ms <= $1")
            .bind(now_ms)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    }))
}

/// Live sessions of every user who has any.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn live_by_user(db: &Db, now_ms: i64) -> Result<HashMap<i64, i64>, ServerError> {
    query_result(with_pool!(db, pool => {
        let rows = sqlx::query(
            "SELECT user_id, COUNT(*) AS live FROM user_sessions WHERE expires_ms > $1 \
             GROUP BY user_id",
        )
        .bind(now_ms)
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("user_id")?, row.try_get("live")?)))
            .collect()
    }))
}

/// Forgets expired sessions every `every` (the store's own records are swept beside).
pub fn spawn_cleanup(db: Db, clock: Arc<dyn Clock>, every: Duration) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            if let Err(error) = delete_expired(&db, clock.now_ms()).await {
                tracing::warn!(%error, "cannot forget expired sessions");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the database says, with `meanwhile` done while the read is on its way back.
    async fn read_live(sessions: &LiveSessions, key: &str, meanwhile: impl AsyncFnOnce()) -> bool {
        sessions
            .remembered_or_read(key, || async {
                meanwhile().await;
                Ok(true)
            })
            .await
            .unwrap()
    }

    fn remembers(sessions: &LiveSessions, key: &str) -> bool {
        sessions.seen.contains_key(key)
    }

    #[tokio::test]
    async fn a_key_found_live_is_remembered_until_forgotten() {
        let sessions = LiveSessions::default();
        assert!(read_live(&sessions, "k1", async || {}).await);
        assert!(remembers(&sessions, "k1"));
        assert!(!remembers(&sessions, "k2"));
        sessions.forget(&["k1".to_string()]);
        assert!(!remembers(&sessions, "k1"));
    }

    /// The session ended (and its end was announced) while this replica's read, which still
    /// found it, was on its way back: remembering that read would accept the ended session
    /// for another [`LIVE_FOR`], though the announcement had already arrived.
    #[tokio::test]
    async fn a_read_that_raced_with_an_ending_is_not_remembered() {
        let sessions = LiveSessions::default();
        let ended = async || sessions.forget(&["k1".to_string()]);
        assert!(read_live(&sessions, "k1", ended).await);
        assert!(!remembers(&sessions, "k1"));
        // A read that began after the ending is remembered again.
        assert!(read_live(&sessions, "k1", async || {}).await);
        assert!(remembers(&sessions, "k1"));
    }

    /// Announcements were missed (a lagging listener) while the read was on its way back:
    /// `follow` forgets everything, and the read is not remembered either.
    #[tokio::test]
    async fn a_read_that_raced_with_missed_announcements_is_not_remembered() {
        let sessions = Arc::new(LiveSessions::default());
        let (_announce, announcements) = broadcast::channel(4);
        let (missed, missed_seen) = tokio::sync::watch::channel(0);
        sessions.follow(announcements, missed_seen);
        assert!(read_live(&sessions, "k0", async || {}).await);
        let missing = async || {
            missed.send(1).unwrap();
            // Until the follower has forgotten everything (k0 among it).
            for _ in 0..1000 {
                if !remembers(&sessions, "k0") {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            panic!("the follower never forgot everything");
        };
        assert!(read_live(&sessions, "k1", missing).await);
        assert!(!remembers(&sessions, "k1"));
    }
}
