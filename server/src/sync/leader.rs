//! Which replica syncs an environment: on PostgreSQL, the one holding a session-level
//! advisory lock for it; on SQLite there is a single replica, so always this one.
//!
//! The lock lives on a connection taken out of the pool for as long as this replica leads,
//! so it is released the moment the replica dies or loses its database connection, and a
//! standby takes over at its next attempt.

use std::hash::{DefaultHasher, Hash, Hasher};

use sqlx::postgres::PgConnection;
use sqlx::{Connection, Row};

use crate::db::Db;

/// Proof of leadership for one environment; dropping it gives the lead up.
pub enum Leadership {
    /// SQLite: one replica, nothing to hold.
    Sole,
    Postgres(PgConnection),
}

impl Leadership {
    /// Whether this replica still leads (on PostgreSQL: the lock's connection is alive).
    pub async fn still_leads(&mut self) -> bool {
        match self {
            Self::Sole => true,
            Self::Postgres(connection) => connection.ping().await.is_ok(),
        }
    }
}

/// The advisory-lock key of an environment's sync. `DefaultHasher::new()` is SipHash with
/// fixed keys, so every replica of the same build computes the same key.
pub fn lock_key(environment: &str) -> i64 {
    let mut hasher = DefaultHasher::new();
    ("hangar-sync", environment).hash(&mut hasher);
    hasher.finish() as i64
}

/// Takes the lead for `environment` if no other replica holds it.
pub async fn try_lead(db: &Db, environment: &str) -> Result<Option<Leadership>, sqlx::Error> {
    let pool = match db {
        Db::Sqlite(_) => return Ok(Some(Leadership::Sole)),
        Db::Postgres(pool) => pool,
    };
    let mut connection = pool.acquire().await?.detach();
    let locked: bool = sqlx::query("SELECT pg_try_advisory_lock($1) AS locked")
        .bind(lock_key(environment))
        .fetch_one(&mut connection)
        .await?
        .try_get("locked")?;
    Ok(locked.then_some(Leadership::Postgres(connection)))
}
