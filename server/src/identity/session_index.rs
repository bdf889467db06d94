//! Every signed-in session by user (`user_sessions`), beside the session store.
//!
//! The store's records are opaque blobs keyed by the cookie's id, and on SQLite they are also
//! cached in process; neither lets anyone find "all of Bob's sessions". So each signed-in
//! session carries a random key of its own, registered here, and the authentication layer
//! checks on every request that the key is still registered. Ending a user's sessions is one
//! `DELETE`: it takes effect at the next request on every replica, whatever a cache holds,
//! and from another process too (`hangar sessions revoke`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;

use crate::clock::Clock;
use crate::db::Db;
use crate::db::query_result;
use crate::error::ServerError;
use crate::with_pool;

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

/// Ends every session of the user; returns how many were live.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn end_all_of(db: &Db, user_id: i64, now_ms: i64) -> Result<u64, ServerError> {
    query_result(with_pool!(db, pool => {
        let ends: Vec<i64> =
            sqlx::query_scalar("DELETE FROM user_sessions WHERE user_id = $1 RETURNING expires_ms")
                .bind(user_id)
                .fetch_all(pool)
                .await?;
        Ok(ends.into_iter().filter(|end| *end > now_ms).count() as u64)
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

/// Live sessions in all.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn live_total(db: &Db, now_ms: i64) -> Result<i64, ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM user_sessions WHERE expires_ms > $1")
            .bind(now_ms)
            .fetch_one(pool)
            .await
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
