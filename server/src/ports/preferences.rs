//! The app's `Preferences` port: a person's own settings, kept in `user_settings` by user.
//!
//! Every page's shell asks for the reader's time zone, so a replica remembers each person's
//! zone for [`REMEMBERED_FOR`] (1 s) instead of reading it per page: a change made on this
//! replica is seen at once, one made on another replica within that second.

use hangar_app::errors::AppError;
use hangar_app::functions::ports::{Acting, Preferences};
use sqlx::Row;
use std::sync::atomic::Ordering;

use crate::clock::Clock;
use crate::db::{Db, query_result};
use crate::error::ServerError;
use crate::with_pool;

/// How long a replica trusts a time zone it read.
const REMEMBERED_FOR: std::time::Duration = std::time::Duration::from_secs(1);
/// People remembered at most (each a few dozen bytes); beyond, the oldest are read again.
const REMEMBERED: u64 = 100_000;

pub struct PreferencePages {
    db: Db,
    clock: std::sync::Arc<dyn Clock>,
    /// Time zones read recently, by user (`None`: the person set none).
    zones: moka::sync::Cache<i64, Option<String>>,
    /// Zones saved on this replica so far: a read that a save overtook (a page's read still
    /// in flight when the person saves a new zone) must not put the old zone back.
    saves: std::sync::atomic::AtomicU64,
}

impl PreferencePages {
    pub fn new(db: Db, clock: std::sync::Arc<dyn Clock>) -> Self {
        Self {
            db,
            clock,
            zones: moka::sync::Cache::builder()
                .max_capacity(REMEMBERED)
                .time_to_live(REMEMBERED_FOR)
                .build(),
            saves: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

#[async_trait::async_trait]
impl Preferences for PreferencePages {
    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id))]
    async fn time_zone(&self, acting: &Acting) -> Result<Option<String>, AppError> {
        // A token acts for a team, not a person: it has no settings.
        if acting.token.is_some() || acting.user_id <= 0 {
            return Ok(None);
        }
        let zone = match self.zones.get(&acting.user_id) {
            Some(zone) => zone,
            None => {
                let saves = self.saves.load(Ordering::SeqCst);
                let zone = stored_zone(&self.db, acting.user_id).await?;
                self.zones.insert(acting.user_id, zone.clone());
                // A save since the read: what was read may be the old zone; forget it (the
                // save forgets after counting, so one of the two forgets last).
                if self.saves.load(Ordering::SeqCst) != saves {
                    self.zones.invalidate(&acting.user_id);
                }
                zone
            }
        };
        // A zone the server's database no longer knows reads as none.
        Ok(zone.filter(|z| hangar_app::time_text::is_time_zone(z)))
    }

    async fn reader_zone(&self, acting: &Acting) -> Option<String> {
        self.time_zone(acting)
            .await
            .inspect_err(|error| {
                tracing::warn!(request_id = %acting.request_id, %error, "time zone not read");
            })
            .unwrap_or(None)
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id))]
    async fn set_time_zone(&self, acting: &Acting, zone: Option<String>) -> Result<(), AppError> {
        if acting.token.is_some() || acting.user_id <= 0 {
            return Err(AppError::Forbidden);
        }
        if let Some(zone) = &zone
            && !hangar_app::time_text::is_time_zone(zone)
        {
            return Err(AppError::Invalid(format!(
                "{zone:?} is not a time zone (names look like Europe/Berlin)."
            )));
        }
        store_zone(
            &self.db,
            acting.user_id,
            zone.as_deref(),
            self.clock.now_ms(),
        )
        .await?;
        self.saves.fetch_add(1, Ordering::SeqCst);
        self.zones.invalidate(&acting.user_id);
        Ok(())
    }
}

async fn stored_zone(db: &Db, user_id: i64) -> Result<Option<String>, ServerError> {
    query_result(with_pool!(db, pool => {
        let row = sqlx::query("SELECT time_zone FROM user_settings WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
        row.map(|row| row.try_get::<Option<String>, _>("time_zone"))
            .transpose()
            .map(Option::flatten)
    }))
}

async fn store_zone(
    db: &Db,
    user_id: i64,
    zone: Option<&str>,
    now_ms: i64,
) -> Result<(), ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO user_settings (user_id, time_zone, updated_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET time_zone = excluded.time_zone, \
             updated_ms = excluded.updated_ms",
        )
        .bind(user_id)
        .bind(zone)
        .bind(now_ms)
        .execute(pool)
        .await
        .map(|_| ())
    }))
}
