//! Keeps Hangar's read model in step with Airflow; pages read the model, never Airflow.

pub mod bundles;
pub mod connections;
pub mod dags;
pub mod details;
pub mod health;
pub mod import_errors;
pub mod leader;
pub mod ownership;
pub mod pools;
pub mod runs;
pub mod task_instances;
pub mod tasks;
pub mod variables;

use std::time::Duration;

use rand::Rng;

use crate::state::AppState;

/// Failing environments are retried less and less often, up to this.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// How often a standby replica tries to take over an environment's sync.
pub const STANDBY_RETRY: Duration = Duration::from_secs(10);

/// Starts one sync loop per configured environment; on PostgreSQL only the replica that
/// leads an environment syncs it (see [`leader`]), the others stand by.
pub fn spawn_loops(state: &AppState) {
    for env in state.config.airflow.clone() {
        let state = state.clone();
        tokio::spawn(async move {
            let Some(client) = state.airflow.main(&env.name) else {
                return;
            };
            loop {
                match leader::try_lead(&state.db, &env.name).await {
                    Ok(Some(leadership)) => {
                        tracing::info!(env = %env.name, "leading this environment's sync");
                        lead(&state, &env, &client, leadership).await;
                        tracing::warn!(env = %env.name, "lost the lead of this environment's sync");
                    }
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(env = %env.name, %error, "cannot try to lead the sync")
                    }
                }
                tokio::time::sleep(with_jitter(STANDBY_RETRY)).await;
            }
        });
    }
}

/// Syncs while this replica leads.
async fn lead(
    state: &AppState,
    env: &crate::config::AirflowConfig,
    client: &crate::airflow::AirflowClient,
    mut leadership: leader::Leadership,
) {
    let mut delay = env.sync_interval;
    let mut dags_due = std::time::Instant::now();
    let mut health_due = std::time::Instant::now();
    let mut last_succeeded = None;
    let mut budget = CallBudget::new(state, &env.name);
    while leadership.still_leads().await {
        budget.report_each_minute(state, &env.name);
        let now_ms = state.clock.now_ms();
        if std::time::Instant::now() >= health_due {
            health_due = std::time::Instant::now() + health::HEALTH_INTERVAL;
            match health::check(&state.db, &env.name, client, now_ms).await {
                Ok(true) => state.live.environment_changed(&env.name).await,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(env = %env.name, %error, "cannot record Airflow's health")
                }
            }
        }
        let mut result = Ok(());
        if std::time::Instant::now() >= dags_due {
            result = sync_catalogue(state, env, client, now_ms).await;
            if result.is_ok() {
                dags_due = std::time::Instant::now() + with_jitter(env.catalogue_interval);
            }
        }
        if result.is_ok() {
            result = sync_activity(state, env, client, now_ms).await;
        }
        // The overview shows each environment's sync state: tell it when that flips.
        if last_succeeded != Some(result.is_ok()) {
            last_succeeded = Some(result.is_ok());
            state.live.environment_changed(&env.name).await;
        }
        match result {
            Ok(()) => delay = env.sync_interval,
            Err(error) => {
                tracing::warn!(env = %env.name, %error, "sync failed; keeping the last data");
                delay = (delay * 2).min(MAX_BACKOFF);
            }
        }
        tokio::time::sleep(with_jitter(delay)).await;
    }
}

/// What changes when DAG files are parsed or people edit settings (every
/// `catalogue_interval`): DAGs, import errors, details of re-parsed DAGs, task lists of
/// changed DAGs, connections and variables — after checking, on Airflow 3.4+, that Airflow
/// owns bundles as configured.
pub async fn sync_catalogue(
    state: &AppState,
    env: &crate::config::AirflowConfig,
    client: &crate::airflow::AirflowClient,
    now_ms: i64,
) -> Result<(), dags::SyncError> {
    // Airflow 3.4+ says who owns each bundle: nothing is synced while that contradicts the
    // configuration.
    bundles::check(&state.db, env, client, now_ms).await?;
    let report = dags::sync_dags(&state.db, env, client, now_ms).await?;
    tracing::debug!(env = %env.name, dags = report.dags, removed = report.removed, "DAGs synced");
    import_errors::sync_import_errors(&state.db, env, client, now_ms).await?;
    details::sync_details(&state.db, &env.name, client).await?;
    tasks::sync_task_lists(&state.db, &env.name, client, now_ms).await?;
    let older = runs::backfill_older_runs(&state.db, env, client, now_ms).await?;
    state.live.dags_changed(&env.name, &older).await;
    runs::prune(&state.db, env, now_ms).await?;
    connections::sync_connections(&state.db, env, client, now_ms).await?;
    variables::sync_variables(&state.db, env, client, now_ms).await?;
    Ok(())
}

/// Runs, task instances and pool usage (all change by the second); announces to live pages
/// the teams whose data changed.
pub async fn sync_activity(
    state: &AppState,
    env: &crate::config::AirflowConfig,
    client: &crate::airflow::AirflowClient,
    now_ms: i64,
) -> Result<(), dags::SyncError> {
    let mut changed = runs::sync_runs(&state.db, env, client, now_ms).await?;
    changed.extend(task_instances::sync_task_instances(&state.db, env, client, now_ms).await?);
    state.live.dags_changed(&env.name, &changed).await;
    let pools = pools::sync_pools(&state.db, env, client, now_ms).await?;
    state.live.teams_changed(&env.name, pools).await;
    // The sync lag the overview shows is measured from here, every few seconds.
    dags::record_status(&state.db, &env.name, now_ms, None).await?;
    Ok(())
}

/// Airflow API requests per minute to one environment (sync and actions together), logged
/// once a minute: the budget does not grow with the number of users, and this shows it.
struct CallBudget {
    since: std::time::Instant,
    sent_before: u64,
}

impl CallBudget {
    fn new(state: &AppState, env: &str) -> Self {
        Self {
            since: std::time::Instant::now(),
            sent_before: state.airflow.requests_sent(env),
        }
    }

    fn report_each_minute(&mut self, state: &AppState, env: &str) {
        let elapsed = self.since.elapsed();
        if elapsed < Duration::from_secs(60) {
            return;
        }
        let sent = state.airflow.requests_sent(env);
        let per_minute = (sent - self.sent_before) as f64 * 60.0 / elapsed.as_secs_f64();
        tracing::info!(
            env,
            requests_per_minute = per_minute.round() as u64,
            "Airflow API calls"
        );
        *self = Self::new(state, env);
    }
}

/// ±10 %, so replicas and environments do not call Airflow in lockstep.
fn with_jitter(delay: Duration) -> Duration {
    let factor = rand::thread_rng().gen_range(0.9..1.1);
    delay.mul_f64(factor)
}
