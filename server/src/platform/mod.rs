//! The platform team's pages across every team (`/platform`): the server's side of
//! `hangar_app::functions::ports::Platform`. The server function checked the platform role;
//! everything here is still cut down to the teams the viewer holds.

mod overview;

use std::sync::Arc;
use std::time::Duration;

use hangar_app::errors::AppError;
use hangar_app::functions::ports::Platform;
use hangar_app::models::Viewer;
use hangar_app::models::platform::{
    EnvironmentHealth, EnvironmentSync, FAILING_SHOWN, OverviewQuery, PlatformOverview, RunCounts,
    SyncState, TREND_DAYS, TeamOverview, sort_teams,
};

use crate::clock::Clock;
use crate::config::{AirflowConfig, Ownership};
use crate::db::Db;
use crate::with_pool;

/// An environment whose last sync success is older than this many sync intervals is behind.
const FRESH_INTERVALS: u32 = 3;
/// …and never before this, so a short interval does not flag every slow cycle.
const FRESH_AT_LEAST: Duration = Duration::from_secs(60);

pub struct PlatformPages {
    db: Db,
    clock: Arc<dyn Clock>,
    versions: Arc<crate::live::DataVersions>,
    environments: Vec<(String, Ownership, Duration)>,
}

impl PlatformPages {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        versions: Arc<crate::live::DataVersions>,
        environments: &[AirflowConfig],
    ) -> Self {
        Self {
            db,
            clock,
            versions,
            environments: environments
                .iter()
                .map(|env| (env.name.clone(), env.ownership.clone(), env.sync_interval))
                .collect(),
        }
    }

    async fn environment_health(&self, now_ms: i64) -> Result<Vec<EnvironmentHealth>, sqlx::Error> {
        type StatusRow = (
            String,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<i64>,
        );
        let rows: Vec<StatusRow> = with_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT environment, last_success_ms, last_error, airflow_version, health_json, \
                 health_checked_ms FROM airflow_sync_status",
            )
            .fetch_all(pool)
            .await
        })?;
        let mut health = Vec::new();
        // Configured environments only, in configuration order.
        for (name, _, interval) in &self.environments {
            let (last_success_ms, last_error, version, json, checked) = rows
                .iter()
                .find(|row| row.0 == *name)
                .map(|row| (row.1, row.2.clone(), row.3.clone(), row.4.clone(), row.5))
                .unwrap_or_default();
            health.push(EnvironmentHealth {
                environment: name.clone(),
                airflow_version: version,
                sync: sync_state(last_success_ms, last_error.is_some(), *interval, now_ms),
                last_success_ms,
                last_error,
                health_checked_ms: checked,
                components: json
                    .map(|json| crate::sync::health::parse_recorded(&json))
                    .unwrap_or_default(),
            });
        }
        Ok(health)
    }
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

fn internal(error: sqlx::Error) -> AppError {
    tracing::error!(%error, "reading the platform overview failed");
    AppError::Internal("read model".into())
}

#[async_trait::async_trait]
impl Platform for PlatformPages {
    fn data_version(&self) -> u64 {
        self.versions.all()
    }

    fn clock_second(&self) -> i64 {
        self.clock.now_ms().div_euclid(1000)
    }

    async fn overview(
        &self,
        viewer: &Viewer,
        query: OverviewQuery,
    ) -> Result<PlatformOverview, AppError> {
        let now_ms = self.clock.now_ms();
        let mut figures = overview::read(&self.db, now_ms, query.failing_hours)
            .await
            .map_err(internal)?;
        let environments = self.environment_health(now_ms).await.map_err(internal)?;
        let mut teams: Vec<TeamOverview> = viewer
            .teams
            .iter()
            .map(|membership| {
                let team = membership.team.as_str();
                let (dags_active, dags_paused) = figures.dags.remove(team).unwrap_or_default();
                let trend = figures
                    .days
                    .remove(team)
                    .unwrap_or_else(|| vec![RunCounts::default(); TREND_DAYS])
                    .iter()
                    .map(RunCounts::failure_rate)
                    .collect();
                TeamOverview {
                    team: team.to_string(),
                    display_name: membership.display_name.clone(),
                    dags_active,
                    dags_paused,
                    runs_24h: figures.runs_24h.remove(team).unwrap_or_default(),
                    trend,
                    tasks_running: figures.tasks_running.remove(team).unwrap_or_default(),
                    fullest_pool: figures.fullest_pool.remove(team),
                    last_deploy: figures.last_deploy.remove(team),
                    deploying: figures.deploying.remove(team).is_some_and(|n| n > 0),
                    pending_approvals: figures.pending_approvals.remove(team).unwrap_or_default(),
                    // Filled by the server function from the deploys it lists.
                    break_glass_awaiting: 0,
                    environments: self
                        .environments
                        .iter()
                        .filter(|(_, ownership, _)| ownership.serves(team))
                        .filter_map(|(name, _, _)| {
                            let health = environments.iter().find(|h| h.environment == *name)?;
                            Some(EnvironmentSync {
                                environment: name.clone(),
                                state: health.sync,
                            })
                        })
                        .collect(),
                }
            })
            .collect();
        sort_teams(&mut teams, query);
        let failing = figures
            .failing
            .into_iter()
            .filter(|run| viewer.membership(&run.team).is_some())
            .take(FAILING_SHOWN)
            .collect();
        Ok(PlatformOverview {
            query,
            now_ms,
            teams,
            failing,
            environments,
            awaiting_review: Vec::new(),
        })
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
