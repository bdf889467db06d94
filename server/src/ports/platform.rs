//! The app's `Platform` port: the overview (`/platform`) across every team, cut down to the
//! teams the acting viewer holds (a platform role holds every configured team), with the
//! DAGs no team may act on (ownership conflicts, unmapped bundles); and resolving a conflict.
//! The server functions checked the platform role.

use std::sync::Arc;
use std::time::Duration;

use hangar_app::errors::AppError;
use hangar_app::functions::ports::{Acting, Platform};
use hangar_app::models::platform::{
    EnvironmentSync, FAILING_SHOWN, OverviewQuery, OwnershipResolution, PlatformOverview,
    RunCounts, TREND_DAYS, TeamOverview, owner_label, sort_teams,
};

use crate::audit::{self, AuditEvent, Outcome};
use crate::clock::Clock;
use crate::config::{AirflowConfig, BundleOwner, Ownership, TeamConfig};
use crate::db::Db;
use crate::platform::{environment_health, overview};
use crate::sync::ownership;

pub struct PlatformPages {
    db: Db,
    clock: Arc<dyn Clock>,
    versions: Arc<crate::live::DataVersions>,
    environments: Vec<(String, Ownership, Duration)>,
    teams: Vec<String>,
    declared: std::collections::HashMap<String, hangar_app::models::execution::DeclaredExecution>,
    live: Arc<crate::live::LiveUpdates>,
}

impl PlatformPages {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        versions: Arc<crate::live::DataVersions>,
        environments: &[AirflowConfig],
        teams: &[TeamConfig],
        live: Arc<crate::live::LiveUpdates>,
    ) -> Self {
        Self {
            db,
            clock,
            versions,
            environments: environments
                .iter()
                .map(|env| (env.name.clone(), env.ownership.clone(), env.sync_interval))
                .collect(),
            teams: teams.iter().map(|team| team.name.clone()).collect(),
            declared: crate::read_model::execution::declared(teams),
            live,
        }
    }

    fn ownerships(&self) -> Vec<(String, Ownership)> {
        self.environments
            .iter()
            .map(|(name, ownership, _)| (name.clone(), ownership.clone()))
            .collect()
    }
}

fn label(owner: &BundleOwner) -> String {
    let (team, shared) = owner.columns();
    owner_label(team, shared)
}

#[async_trait::async_trait]
impl Platform for PlatformPages {
    fn data_version(&self) -> u64 {
        self.versions.all()
    }

    fn clock_second(&self) -> i64 {
        self.clock.now_ms().div_euclid(1000)
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id))]
    async fn overview(
        &self,
        acting: &Acting,
        query: OverviewQuery,
    ) -> Result<PlatformOverview, AppError> {
        let now_ms = self.clock.now_ms();
        let mut figures = overview::read(&self.db, now_ms, query.failing_hours).await?;
        let environments = environment_health(&self.db, &self.environments, now_ms).await?;
        let mut seen = crate::read_model::execution::seen(&self.db, None, now_ms).await?;
        let mut teams: Vec<TeamOverview> = acting
            .viewer
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
                    execution: hangar_app::models::execution::TeamExecution {
                        declared: self.declared.get(team).cloned(),
                        seen: seen.remove(team).unwrap_or_default(),
                    },
                }
            })
            .collect();
        sort_teams(&mut teams, query);
        let failing = figures
            .failing
            .into_iter()
            .filter(|run| acting.viewer.membership(&run.team).is_some())
            .take(FAILING_SHOWN)
            .collect();
        // Platform roles only (the server function checked): they name every team's DAGs.
        let conflicts = ownership::conflicts(&self.db, &self.ownerships()).await?;
        let unmapped = ownership::unmapped(&self.db).await?;
        Ok(PlatformOverview {
            query,
            now_ms,
            teams,
            failing,
            environments,
            awaiting_review: Vec::new(),
            conflicts,
            unmapped,
            can_resolve: false,
        })
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, env = %environment, dag = %dag_id))]
    async fn resolve_ownership(
        &self,
        acting: &Acting,
        environment: &str,
        dag_id: &str,
        resolution: OwnershipResolution,
    ) -> Result<(), AppError> {
        let Some((_, env_ownership, _)) = self
            .environments
            .iter()
            .find(|(name, _, _)| name == environment)
        else {
            return Err(AppError::NotFound);
        };
        let now_ms = self.clock.now_ms();
        let (resolved, decision) = match &resolution {
            OwnershipResolution::Assign(team) => {
                if !self.teams.contains(team) {
                    return Err(AppError::Invalid(format!(
                        "{team:?} is not a configured team."
                    )));
                }
                let resolved =
                    ownership::assign(&self.db, environment, env_ownership, dag_id, team, now_ms)
                        .await?;
                (resolved, format!("assigned to {team}"))
            }
            OwnershipResolution::Release => {
                let resolved =
                    ownership::release(&self.db, environment, env_ownership, dag_id, now_ms)
                        .await?;
                (resolved, "released".to_string())
            }
        };
        let resolved = resolved.ok_or(AppError::NotFound)?;
        let before = resolved
            .before
            .as_ref()
            .map(label)
            .unwrap_or_else(|| "no pin".into());
        let mut detail = format!("{decision} (was {before}; now {})", label(&resolved.now));
        if resolved.still_in_conflict {
            detail.push_str("; Airflow still reports it in another owner's bundle");
        }
        // No team on the entry: it names both sides, which only platform roles may read.
        audit::append(
            &self.db,
            now_ms,
            AuditEvent::by(acting, "platform.dag_ownership", Outcome::Success)
                .target(format!("{environment}/{dag_id}"))
                .detail(detail),
        )
        .await?;
        self.live
            .dags_changed(
                environment,
                &std::collections::BTreeSet::from([dag_id.to_string()]),
            )
            .await;
        Ok(())
    }
}
