//! The app's `Preferences` port: a person's own settings, kept in `user_settings` by user.

use hangar_app::errors::AppError;
use hangar_app::functions::ports::{Acting, Preferences};
use sqlx::Row;

use crate::clock::Clock;
use crate::db::{Db, query_result};
use crate::error::ServerError;
use crate::with_pool;

pub struct PreferencePages {
    db: Db,
    clock: std::sync::Arc<dyn Clock>,
}

impl PreferencePages {
    pub fn new(db: Db, clock: std::sync::Arc<dyn Clock>) -> Self {
        Self { db, clock }
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
        let zone = stored_zone(&self.db, acting.user_id).await?;
        // A zone the server's database no longer knows reads as none.
        Ok(zone.filter(|z| hangar_app::time_text::is_time_zone(z)))
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
