//! The tower-sessions store for whichever backend the database is.
//!
//! On SQLite, records are also kept in a bounded in-process cache: SQLite means one Hangar
//! process, every write goes through it, so the cache can never serve a session that was
//! ended. On PostgreSQL there may be several replicas, and a sign-out on one must end the
//! session on all of them at once, so every request reads the database.

use async_trait::async_trait;
use tower_sessions::CachingSessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_moka_store::MokaStore;
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use super::Db;

/// Sessions kept in memory at most; older ones are read from SQLite again when used.
const CACHED_SESSIONS: u64 = 10_000;

#[derive(Clone, Debug)]
pub enum HangarSessionStore {
    Sqlite {
        cached: CachingSessionStore<MokaStore, SqliteStore>,
        store: SqliteStore,
    },
    Postgres(PostgresStore),
}

impl HangarSessionStore {
    /// Creates the store's table if missing (the store crate owns that schema).
    pub async fn for_db(db: &Db) -> Result<Self, sqlx::Error> {
        Ok(match db {
            Db::Sqlite(pool) => {
                let store = SqliteStore::new(pool.clone());
                store.migrate().await?;
                let cache = MokaStore::new(Some(CACHED_SESSIONS));
                Self::Sqlite {
                    cached: CachingSessionStore::new(cache, store.clone()),
                    store,
                }
            }
            Db::Postgres(pool) => {
                let store = PostgresStore::new(pool.clone());
                store.migrate().await?;
                Self::Postgres(store)
            }
        })
    }
}

#[async_trait]
impl SessionStore for HangarSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite { cached, .. } => cached.create(record).await,
            Self::Postgres(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite { cached, .. } => cached.save(record).await,
            Self::Postgres(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite { cached, .. } => cached.load(id).await,
            Self::Postgres(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite { cached, .. } => cached.delete(id).await,
            Self::Postgres(store) => store.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for HangarSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            // The cache drops entries by their own expiry.
            Self::Sqlite { store, .. } => store.delete_expired().await,
            Self::Postgres(store) => store.delete_expired().await,
        }
    }
}
