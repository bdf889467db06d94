//! What moves requests on without a click, on every replica: expiry, staleness (the target
//! moved under a request), automatic deploys once approved, deploys whose runner died, and
//! the Airflow confirmation; and, in a loop of its own, the delivery of deploy webhooks.
//! Every change is a conditional statement, so replicas sweeping together still give one
//! outcome; a deploy runs on the replica whose claim won.

use std::sync::Arc;
use std::time::Duration;

use super::confirm::{self, Confirmation};
use super::engine::{DeployEngine, short};
use super::error::DeployError;
use super::policy::RequestStatus;
use super::store;
use super::team::{TargetState, TeamDeploy};
use crate::audit::{AuditEvent, Outcome};

/// How often each replica sweeps.
pub const SWEEP_EVERY: Duration = Duration::from_secs(3);
/// How often each replica looks for webhook deliveries that are due.
pub const DELIVER_EVERY: Duration = Duration::from_secs(2);

/// Whether this sweep follows a start of the process. On SQLite this process is the only
/// one on the database, so a deploy another runner left `deploying` was interrupted by the
/// restart and is resumed at once (one this process left behind in this very sweep keeps
/// its claim: `progress::ClaimFrom::AnotherRunner`); on PostgreSQL it may be another
/// replica's, resumed after the lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sweep {
    AfterStart { sole_process: bool },
    Regular,
}

impl DeployEngine {
    /// Starts the sweep loop: one pass right away (finishing what a restart interrupted),
    /// then one every [`SWEEP_EVERY`].
    pub fn spawn_worker(self: &Arc<Self>) {
        if self.teams.is_empty() {
            return;
        }
        // Webhooks: a loop of their own, so a slow receiver (bounded by the delivery timeout)
        // never holds a deploy up.
        if self
            .teams
            .values()
            .any(|team| !team.config.notify.is_empty())
        {
            let notifier = self.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(DELIVER_EVERY).await;
                    if !notifier.safe_stop.is_stopping() {
                        notifier.deliver_due().await;
                    }
                }
            });
        }
        let engine = self.clone();
        let sole_process = matches!(engine.db, crate::db::Db::Sqlite(_));
        tokio::spawn(async move {
            engine.sweep(Sweep::AfterStart { sole_process }).await;
            loop {
                tokio::time::sleep(SWEEP_EVERY).await;
                engine.sweep(Sweep::Regular).await;
            }
        });
    }

    /// One pass over every team.
    pub async fn sweep(&self, sweep: Sweep) {
        // Shutting down: what a sweep would start is left to the next start or a replica.
        if self.safe_stop.is_stopping() {
            return;
        }
        for setup in self.teams.values() {
            if let Err(error) = self.sweep_team(setup, sweep).await {
                tracing::warn!(team = setup.team(), %error, "deploy sweep failed");
            }
        }
    }

    async fn sweep_team(&self, setup: &Arc<TeamDeploy>, sweep: Sweep) -> Result<(), DeployError> {
        let team = setup.team();
        let mut changed = false;

        for id in store::expire_due(&self.db, team, self.now_ms()).await? {
            self.audit_system(
                team,
                id,
                "deploy.expired",
                Outcome::Success,
                "the request expired",
            )
            .await;
            changed = true;
        }

        changed |= self.mark_stale(setup).await?;

        for request in store::in_status(&self.db, team, &[RequestStatus::Approved]).await? {
            // Break-glass deploys were asked to run now; others when the team deploys on
            // approval.
            if setup.config.auto_deploy || request.break_glass_reason.is_some() {
                match self.deploy(team, request.id).await {
                    Ok(_) => changed = true,
                    Err(error) => tracing::info!(team, id = request.id, %error, "not deploying"),
                }
            }
        }

        for request in store::in_status(&self.db, team, &[RequestStatus::Deploying]).await? {
            let any_other_runner = sweep == Sweep::AfterStart { sole_process: true };
            changed |= self.resume(team, request.id, any_other_runner).await?;
        }

        changed |= self.confirm(setup).await?;
        if changed {
            self.announce(team).await;
        }
        Ok(())
    }

    /// Open requests made against a commit the targets no longer hold become stale: their
    /// approvals no longer describe what a deploy would change.
    async fn mark_stale(&self, setup: &Arc<TeamDeploy>) -> Result<bool, DeployError> {
        let team = setup.team();
        let open = store::in_status(
            &self.db,
            team,
            &[
                RequestStatus::Pending,
                RequestStatus::Approved,
                RequestStatus::Failed,
            ],
        )
        .await?;
        if open.is_empty() {
            return Ok(false);
        }
        let reading = setup.clone();
        let state = super::blocking::blocking(move || reading.state()).await?;
        // Split targets belong to an interrupted deploy: its retry sorts them out.
        let TargetState::Agreed(holds) = state else {
            return Ok(false);
        };
        let mut changed = false;
        for request in open {
            let moved = holds != request.deployed
                && !(request.status == RequestStatus::Failed
                    && holds.as_ref() == Some(&request.candidate));
            if !moved {
                continue;
            }
            let cause = format!(
                "the targets moved from {} to {} since this deploy was requested",
                short(request.deployed.as_ref()),
                short(holds.as_ref())
            );
            if store::mark_stale(&self.db, request.id, request.status, &cause, self.now_ms())
                .await?
            {
                self.audit_system(team, request.id, "deploy.stale", Outcome::Success, &cause)
                    .await;
                changed = true;
            }
        }
        Ok(changed)
    }

    /// Watches the team's latest deploy until Airflow runs it.
    async fn confirm(&self, setup: &Arc<TeamDeploy>) -> Result<bool, DeployError> {
        let team = setup.team();
        let Some(latest) = store::latest_deployed(&self.db, team).await? else {
            return Ok(false);
        };
        if !matches!(latest.confirmation.as_deref(), Some("waiting" | "late")) {
            return Ok(false);
        }
        let now = self.now_ms();
        let confirmation = confirm::check(&self.db, setup, &latest, now).await?;
        if !confirm::record(&self.db, latest.id, &confirmation).await? {
            return Ok(false);
        }
        let (outcome, detail) = match confirmation {
            Confirmation::Live { .. } => (
                Outcome::Success,
                format!("{} is live in Airflow", latest.candidate.short()),
            ),
            Confirmation::Late | Confirmation::Waiting => (
                Outcome::Failure,
                format!(
                    "Airflow has not picked {} up after {} minutes",
                    latest.candidate.short(),
                    setup.config.confirm_within.as_secs() / 60
                ),
            ),
        };
        self.audit_system(team, latest.id, "deploy.confirmation", outcome, &detail)
            .await;
        Ok(true)
    }

    async fn audit_system(
        &self,
        team: &str,
        id: i64,
        action: &'static str,
        outcome: Outcome,
        detail: &str,
    ) {
        self.audit_quietly(
            AuditEvent::new(action, outcome)
                .team(team.to_string())
                .target(format!("deploy/{id}"))
                .detail(detail.to_string()),
        )
        .await;
    }
}
