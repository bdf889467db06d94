//! The platform team's overview across every team (docs/platform.md): every team's figures
//! in one query per figure (`overview.rs`), and each environment's sync state and health.
//! `ports/platform.rs` cuts it down to the teams the viewer holds.

pub mod overview;

use std::time::Duration;

use hangar_app::models::platform::{EnvironmentHealth, SyncState};

use crate::config::Ownership;
use crate::db::Db;
use crate::error::ServerError;
use crate::with_pool;

/// An environment whose last sync success is older than this many sync intervals is behind.
const FRESH_INTERVALS: u32 = 3;
/// …and never before this, so a short interval does not flag every slow cycle.
const FRESH_AT_LEAST: Duration = Duration::from_secs(60);

/// Each configured environment's sync state and Airflow's health, in configuration order.
pub async fn environment_health(
    db: &Db,
    environments: &[(String, Ownership, Duration)],
    now_ms: i64,
) -> Result<Vec<EnvironmentHealth>, ServerError> {
    type StatusRow = (
        String,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
    );
    let rows: Vec<StatusRow> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT environment, last_success_ms, last_error, airflow_version, health_json, \
             health_checked_ms, bundle_conflict FROM airflow_sync_status",
        )
        .fetch_all(pool)
        .await
    })?;
    let mut health = Vec::new();
    // Configured environments only, in configuration order.
    for (name, _, interval) in environments {
        let (last_success_ms, last_error, version, json, checked, bundle_conflict) = rows
            .iter()
            .find(|row| row.0 == *name)
            .map(|row| {
                (
                    row.1,
                    row.2.clone(),
                    row.3.clone(),
                    row.4.clone(),
                    row.5,
                    row.6.clone(),
                )
            })
            .unwrap_or_default();
        health.push(EnvironmentHealth {
            environment: name.clone(),
            airflow_version: version,
            sync: sync_state(last_success_ms, last_error.is_some(), *interval, now_ms),
            last_success_ms,
            last_error,
            bundle_conflict,
            health_checked_ms: checked,
            components: json
                .map(|json| crate::sync::health::parse_recorded(&json))
                .unwrap_or_default(),
        });
    }
    Ok(health)
}

/// How current an environment's copy is, from its sync status.
pub fn sync_state(
    last_success_ms: Option<i64>,
    failing: bool,
    interval: Duration,
    now_ms: i64,
) -> SyncState {
    let fresh_for = (interval * FRESH_INTERVALS).max(FRESH_AT_LEAST);
    match last_success_ms {
        _ if failing => SyncState::Failing,
        None => SyncState::Never,
        Some(at) if now_ms - at <= fresh_for.as_millis() as i64 => SyncState::Fresh,
        Some(_) => SyncState::Lagging,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_state_reads_the_status() {
        let interval = Duration::from_secs(30);
        let now = 1_000_000_000;
        assert_eq!(sync_state(None, false, interval, now), SyncState::Never);
        assert_eq!(
            sync_state(Some(now), true, interval, now),
            SyncState::Failing
        );
        assert_eq!(sync_state(None, true, interval, now), SyncState::Failing);
        assert_eq!(
            sync_state(Some(now - 89_000), false, interval, now),
            SyncState::Fresh
        );
        assert_eq!(
            sync_state(Some(now - 91_000), false, interval, now),
            SyncState::Lagging
        );
        // A 3 s interval is not "behind" after 10 s: a minute at least.
        let short = Duration::from_secs(3);
        assert_eq!(
            sync_state(Some(now - 59_000), false, short, now),
            SyncState::Fresh
        );
        assert_eq!(
            sync_state(Some(now - 61_000), false, short, now),
            SyncState::Lagging
        );
    }
}
