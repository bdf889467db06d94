//! The deploy engine: every configured team's setup, and the execution of a claimed deploy —
//! fetch, verify, export, promote, swap, hook — with each step recorded and audited.
//!
//! Every step is idempotent and reads the targets' true state first, so an attempt that
//! was killed at any point is finished by the next one (after a restart, or by another
//! replica once the runner's heartbeat stops): a target already at the candidate is left
//! alone, one still at the deployed commit is moved, and one at anything else makes the
//! request stale. Targets only ever change by an atomic step (a ref compare-and-swap, a
//! symlink rename), so each holds the old commit or the new one, never a mix.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use hangar_app::models::TeamRole;

use super::actions::Loaded;
use super::commit::CommitId;
use super::error::DeployError;
#[cfg(any(test, feature = "testing"))]
use super::failpoint;
use super::hook;
use super::notify::Event;
use super::policy::{AuthorAliases, Person, Refusal, RequestStatus, Reviewer, check_current};
use super::progress::{self, ClaimFrom, Finish, Step};
use super::store::{self, StoredRequest};
use super::team::{Target, TargetState, TeamDeploy};
use crate::audit::{self, AuditEvent, Outcome};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::error::ServerError;
use crate::live::LiveUpdates;
use crate::metrics::Metrics;

/// Whether a database error may pass when the write is tried again ([`crate::db::is_transient`]).
fn is_transient(error: &ServerError) -> bool {
    matches!(error, ServerError::Database(error) if crate::db::is_transient(error))
}

/// A runner that has not beaten for this long is presumed dead and its deploy taken over.
pub const LEASE: Duration = Duration::from_secs(60);
/// How often a running deploy shows it is alive.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// The pauses before a deploy's record is written again after a transient database error
/// (SQLite's lock held past its busy timeout, a lost connection): each try may itself wait
/// out the busy timeout, so a few tries span about half a minute at most, below the lease.
const WRITE_RETRY_WAITS: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];

pub struct DeployEngine {
    pub(crate) db: Db,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) live: Arc<LiveUpdates>,
    /// Where finished deploys are counted (the app's metrics).
    metrics: Arc<Metrics>,
    pub(super) teams: BTreeMap<String, Arc<TeamDeploy>>,
    pub(super) aliases: AuthorAliases,
    /// The `[[access]]` rules and teams: what people's stored groups give them now (an
    /// approver's role when the deploy runs).
    pub(super) grants: crate::access::StoredGrants,
    /// Where people reach Hangar, for links in notifications.
    pub(super) public_origin: String,
    /// Webhook deliveries (`notify`).
    pub(super) http: reqwest::Client,
    /// This process, in claims: a random id per start.
    pub(super) runner: String,
    /// Shutdown: no new attempts, running ones stop before their next step.
    pub(super) safe_stop: super::safe_stop::SafeStop,
}

/// Why an attempt stopped before the end.
enum Interrupt {
    Failed {
        step: Step,
        cause: String,
    },
    /// A target holds neither the deployed nor the candidate commit.
    Stale(String),
    /// Another runner took the claim over: this one stops and records nothing.
    Lost,
    /// The server is shutting down: stopped before this step, the claim handed back.
    ShuttingDown(Step),
    /// The approvals no longer hold at the last moment: the request went back to pending
    /// (already recorded).
    Returned,
    Database(ServerError),
}

impl From<sqlx::Error> for Interrupt {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(error.into())
    }
}

impl From<ServerError> for Interrupt {
    fn from(error: ServerError) -> Self {
        Self::Database(error)
    }
}

/// What a step's work hands back: its result and a line for the progress page.
type StepResult<T> = Result<(T, String), StepError>;

enum StepError {
    Failed(DeployError),
    Stale(String),
}

impl<E: Into<DeployError>> From<E> for StepError {
    fn from(error: E) -> Self {
        Self::Failed(error.into())
    }
}

/// One attempt of one request, as its runner holds it.
struct Attempt {
    team: Arc<TeamDeploy>,
    request: StoredRequest,
    number: i64,
}

impl Attempt {
    /// What a step's work needs, owned, for the blocking pool.
    fn work(&self) -> Work {
        Work {
            team: self.team.clone(),
            deployed: self.request.deployed.clone(),
            candidate: self.request.candidate.clone(),
        }
    }
}

/// The team and the two commits a deploy moves between.
struct Work {
    team: Arc<TeamDeploy>,
    deployed: Option<CommitId>,
    candidate: CommitId,
}

impl DeployEngine {
    pub fn new(
        config: &Config,
        db: Db,
        clock: Arc<dyn Clock>,
        live: Arc<LiveUpdates>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let teams = config
            .deploys
            .iter()
            .map(|deploy| {
                (
                    deploy.team.clone(),
                    Arc::new(TeamDeploy::new(
                        deploy.clone(),
                        &config.git.cache_dir,
                        super::git::Network::of(&config.git),
                    )),
                )
            })
            .collect();
        Self {
            db,
            clock,
            live,
            metrics,
            teams,
            aliases: config.git.authors.clone(),
            grants: crate::access::StoredGrants::of(config),
            public_origin: config.server.public_origin(),
            http: super::notify::client(),
            runner: uuid::Uuid::new_v4().simple().to_string(),
            safe_stop: Default::default(),
        }
    }

    pub fn team(&self, team: &str) -> Result<&Arc<TeamDeploy>, DeployError> {
        self.teams.get(team).ok_or(DeployError::NotConfigured)
    }

    pub fn teams(&self) -> impl Iterator<Item = &Arc<TeamDeploy>> {
        self.teams.values()
    }

    /// The `[[access]]` rules, to judge people by their stored groups.
    pub fn grants(&self) -> &crate::access::StoredGrants {
        &self.grants
    }

    /// `[git] authors`.
    pub fn aliases(&self) -> &AuthorAliases {
        &self.aliases
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Tells the team's open pages that its deploys changed.
    pub async fn announce(&self, team: &str) {
        let teams = std::collections::BTreeSet::from([Some(team.to_string())]);
        self.live.teams_changed("deploys", teams).await;
    }

    pub(super) async fn audit(&self, event: AuditEvent) -> Result<(), ServerError> {
        audit::append(&self.db, self.now_ms(), event)
            .await
            .map(|_| ())
    }

    /// Deploys request `id` of `team` if the rules allow it now and no one else is: claims it
    /// and runs the attempt to its end. `Ok(false)`: someone else claimed it first.
    pub async fn deploy(&self, team: &str, id: i64) -> Result<bool, DeployError> {
        match self.claim_ready(team, id).await? {
            Some((setup, request, attempt)) => {
                self.run(setup, request, attempt).await;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Like [`Self::deploy`], but returns once the deploy is claimed and runs it in the
    /// background (a page shows its progress). A claim lost to someone else is an error.
    pub async fn start(self: &Arc<Self>, team: &str, id: i64) -> Result<(), DeployError> {
        let Some((setup, request, attempt)) = self.claim_ready(team, id).await? else {
            return Err(DeployError::Invalid(
                "this deploy has already been started".into(),
            ));
        };
        let engine = self.clone();
        tokio::spawn(async move { engine.run(setup, request, attempt).await });
        Ok(())
    }

    async fn claim_ready(
        &self,
        team: &str,
        id: i64,
    ) -> Result<Option<(Arc<TeamDeploy>, StoredRequest, i64)>, DeployError> {
        if self.safe_stop.is_stopping() {
            return Err(DeployError::Invalid(
                "Hangar is restarting; deploy again in a moment".into(),
            ));
        }
        let setup = self.team(team)?.clone();
        let request = store::find(&self.db, team, id)
            .await?
            .ok_or(DeployError::NotFound)?;
        self.check_ready(&setup, &request).await?;
        let claimed =
            progress::claim(&self.db, id, &self.runner, ClaimFrom::Ready, self.now_ms()).await?;
        Ok(claimed.map(|attempt| (setup, request, attempt)))
    }

    /// Takes over request `id` if its runner has been silent longer than the lease (or,
    /// with `any_other_runner`, whatever its heartbeat if it is not this runner: a restart on
    /// SQLite, where this process is the only one) and finishes it.
    pub async fn resume(
        &self,
        team: &str,
        id: i64,
        any_other_runner: bool,
    ) -> Result<bool, DeployError> {
        if self.safe_stop.is_stopping() {
            return Ok(false);
        }
        let setup = self.team(team)?.clone();
        let now = self.now_ms();
        let from = if any_other_runner {
            ClaimFrom::AnotherRunner
        } else {
            ClaimFrom::Abandoned {
                silent_since_ms: now - LEASE.as_millis() as i64,
            }
        };
        let Some(attempt) = progress::claim(&self.db, id, &self.runner, from, now).await? else {
            return Ok(false);
        };
        let request = store::find(&self.db, team, id)
            .await?
            .ok_or(DeployError::NotFound)?;
        tracing::warn!(team, id, attempt, "resuming an interrupted deploy");
        self.run(setup, request, attempt).await;
        Ok(true)
    }

    /// The one check in front of every claim: approved (or break-glass), approvals that
    /// still count, bound to what the targets hold now, not expired.
    async fn check_ready(
        &self,
        setup: &Arc<TeamDeploy>,
        request: &StoredRequest,
    ) -> Result<(), DeployError> {
        let loaded = self.load(setup.team(), request.id).await?;
        let deployed_now = self.deployed_now(setup, &loaded.request).await?;
        if loaded.request.break_glass_reason.is_some() {
            if !matches!(
                loaded.request.status,
                RequestStatus::Approved | RequestStatus::Failed
            ) {
                return Err(Refusal::NotOpen(loaded.request.status).into());
            }
            check_current(&loaded.facts(), self.now_ms(), deployed_now.as_ref())?;
            return Ok(());
        }
        self.check_deploy_now(
            setup,
            &loaded,
            deployed_now.as_ref(),
            &[RequestStatus::Approved, RequestStatus::Failed],
            None,
        )
        .await
    }

    /// What the targets hold as far as `request` is concerned. A failed or running attempt
    /// may have moved some targets already: it continues from there.
    async fn deployed_now(
        &self,
        setup: &Arc<TeamDeploy>,
        request: &StoredRequest,
    ) -> Result<Option<CommitId>, DeployError> {
        let team = setup.clone();
        let state = super::blocking::blocking(move || team.state()).await?;
        // An earlier attempt of this very deploy may have promoted some targets, or all of
        // them, before it stopped: those still count as holding what was deployed before.
        let resumed = matches!(
            request.status,
            RequestStatus::Failed | RequestStatus::Deploying
        );
        let ours =
            |c: &Option<CommitId>| c == &request.deployed || c.as_ref() == Some(&request.candidate);
        match state {
            TargetState::Agreed(commit) if resumed && ours(&commit) => Ok(request.deployed.clone()),
            TargetState::Agreed(commit) => Ok(commit),
            TargetState::Split(commits) if resumed && commits.iter().all(ours) => {
                Ok(request.deployed.clone())
            }
            TargetState::Split(commits) => {
                Err(DeployError::TargetsDisagree(setup.describe_split(&commits)))
            }
        }
    }

    /// The approvals of `loaded` with their givers' standing now: the person with every
    /// address they have verified so far, and their role from the groups stored at their
    /// last sign-in (or group refresh) under the current `[[access]]` rules.
    async fn standing(
        &self,
        team: &str,
        loaded: &Loaded,
    ) -> Result<Vec<(Person, Option<TeamRole>)>, DeployError> {
        let mut standing = Vec::new();
        for review in loaded
            .reviews
            .iter()
            .filter(|r| r.approve && r.void_reason.is_none())
        {
            standing.push(
                match crate::users::person_with_groups(&self.db, review.user_id).await? {
                    Some((person, groups)) => {
                        let role = self.grants.in_team(team, &groups).acting_role();
                        (person, role)
                    }
                    None => (Person::new(review.user_id, &review.name, &[]), None),
                },
            );
        }
        Ok(standing)
    }

    /// The policy on deploying `loaded` now, from current facts. When its approvals no longer
    /// hold — an approver lost the role or now matches an author, a key was revoked, more
    /// approvals are needed than were given — the request goes back to pending (from one of
    /// `from`; held by `runner` if given) with the reason shown, the approvals that stopped
    /// counting marked, and the return audited.
    async fn check_deploy_now(
        &self,
        setup: &Arc<TeamDeploy>,
        loaded: &Loaded,
        deployed_now: Option<&CommitId>,
        from: &[RequestStatus],
        runner: Option<&str>,
    ) -> Result<(), DeployError> {
        let team = setup.team();
        let standing = self.standing(team, loaded).await?;
        let approvals: Vec<Reviewer<'_>> = standing
            .iter()
            .map(|(person, role)| Reviewer {
                person,
                role: *role,
            })
            .collect();
        let now = self.now_ms();
        let refusal =
            match setup
                .config
                .policy
                .check_deploy(&loaded.facts(), &approvals, now, deployed_now)
            {
                Ok(()) => return Ok(()),
                Err(refusal) => refusal,
            };
        let void: Vec<(i64, String)> = match &refusal {
            Refusal::NoLongerApproved { void, .. } => {
                void.iter().map(|v| (v.user_id, v.reason.clone())).collect()
            }
            Refusal::NotYetApproved { .. } | Refusal::Unreviewable(_) => Vec::new(),
            _ => return Err(refusal.into()),
        };
        let id = loaded.request.id;
        let cause = format!("back to pending: {refusal}");
        if store::back_to_pending(&self.db, id, from, runner, &void, &cause, now).await? {
            tracing::info!(team, id, %cause, "a deploy's approvals no longer hold");
            self.audit_quietly(
                AuditEvent::new("deploy.returned", Outcome::Failure)
                    .team(team.to_string())
                    .target(format!("deploy/{id}"))
                    .detail(cause),
            )
            .await;
            self.announce(team).await;
        }
        Err(refusal.into())
    }

    /// Right before the targets change, the policy once more from current facts (a review
    /// may have lost its standing while the repository was fetched and exported).
    async fn recheck(&self, attempt: &Attempt) -> Result<(), Interrupt> {
        if attempt.request.break_glass_reason.is_some() {
            return Ok(());
        }
        let team = &attempt.team;
        let checked = async {
            let loaded = self.load(team.team(), attempt.request.id).await?;
            let deployed_now = self.deployed_now(team, &loaded.request).await?;
            self.check_deploy_now(
                team,
                &loaded,
                deployed_now.as_ref(),
                &[RequestStatus::Deploying],
                Some(&self.runner),
            )
            .await
        }
        .await;
        match checked {
            Ok(()) => Ok(()),
            Err(DeployError::Refused(
                Refusal::NoLongerApproved { .. }
                | Refusal::NotYetApproved { .. }
                | Refusal::Unreviewable(_),
            )) => Err(Interrupt::Returned),
            Err(DeployError::Refused(stale @ Refusal::Stale { .. })) => {
                Err(Interrupt::Stale(stale.to_string()))
            }
            Err(DeployError::Server(error)) => Err(Interrupt::Database(error)),
            Err(other) => Err(Interrupt::Failed {
                step: Step::Promote,
                cause: format!("promote: {other}"),
            }),
        }
    }

    /// Runs a claimed attempt to its end and records the outcome.
    async fn run(&self, team: Arc<TeamDeploy>, request: StoredRequest, number: i64) {
        let _running = self.safe_stop.attempt();
        let id = request.id;
        let team_name = team.team().to_string();
        let attempt = Attempt {
            team,
            request,
            number,
        };
        self.audit_quietly(
            AuditEvent::new("deploy.started", Outcome::Success)
                .team(team_name.clone())
                .target(format!("deploy/{id}"))
                .detail(format!(
                    "attempt {number}: {} → {}",
                    short(attempt.request.deployed.as_ref()),
                    attempt.request.candidate.short()
                )),
        )
        .await;
        self.announce(&team_name).await;
        let heartbeat = self.spawn_heartbeat(id);
        let outcome = self.steps(&attempt).await;
        heartbeat.abort();
        let now = self.now_ms();
        let (finish, action, outcome_kind, detail) = match &outcome {
            Ok(hook_failure) => (
                Finish::Deployed {
                    hook_failure: hook_failure.as_deref(),
                },
                "deploy.deployed",
                Outcome::Success,
                format!(
                    "{} is live on every target{}",
                    attempt.request.candidate.short(),
                    hook_failure
                        .as_deref()
                        .map(|f| format!("; the hook failed: {f}"))
                        .unwrap_or_default()
                ),
            ),
            Err(Interrupt::Failed { step, cause }) => (
                Finish::Failed(cause),
                "deploy.failed",
                Outcome::Failure,
                format!("{}: {cause}", step.as_str()),
            ),
            Err(Interrupt::Stale(cause)) => (
                Finish::Stale(cause),
                "deploy.stale",
                Outcome::Failure,
                cause.clone(),
            ),
            Err(Interrupt::Lost) => {
                tracing::warn!(id, "another runner took this deploy over; stopping");
                return;
            }
            Err(Interrupt::ShuttingDown(step)) => {
                self.hand_back(&team_name, id, *step).await;
                return;
            }
            Err(Interrupt::Returned) => return,
            Err(Interrupt::Database(error)) => {
                tracing::error!(id, %error, "database error during a deploy");
                if is_transient(error) {
                    self.hand_back_after_database_error(&team_name, id).await;
                } else {
                    // Trying again at once would meet the same error: the claim stays and
                    // expires with the lease, as after a crash.
                    tracing::error!(
                        id,
                        "the deploy's claim stays until its lease ends ({} s)",
                        LEASE.as_secs()
                    );
                }
                return;
            }
        };
        let finished = self
            .retrying(|| progress::finish(&self.db, id, &self.runner, finish, now))
            .await;
        match finished {
            Ok(true) => {
                self.metrics.deploy_finished(match outcome {
                    Ok(_) => "deployed",
                    Err(Interrupt::Stale(_)) => "stale",
                    Err(_) => "failed",
                });
                match outcome {
                    Ok(_) => self.notify(&team_name, id, Event::Deployed).await,
                    Err(Interrupt::Failed { .. }) => {
                        self.notify(&team_name, id, Event::Failed).await
                    }
                    Err(_) => {}
                }
                self.audit_quietly(
                    AuditEvent::new(action, outcome_kind)
                        .team(team_name.clone())
                        .target(format!("deploy/{id}"))
                        .detail(detail),
                )
                .await
            }
            Ok(false) => tracing::warn!(id, "the deploy was taken over before it finished"),
            Err(error) => tracing::error!(id, %error, "cannot record the end of a deploy"),
        }
        self.announce(&team_name).await;
    }

    /// Stops an attempt at a safe point for shutdown: the claim is released (resumable at
    /// once, here after a restart or by another replica) and the stop is recorded.
    async fn hand_back(&self, team: &str, id: i64, next: Step) {
        match progress::release(&self.db, id, &self.runner, self.now_ms()).await {
            Ok(true) => {
                tracing::info!(id, step = next.as_str(), "deploy stopped at a safe point");
                self.audit_quietly(
                    AuditEvent::new("deploy.interrupted", Outcome::Failure)
                        .team(team.to_string())
                        .target(format!("deploy/{id}"))
                        .detail(format!(
                            "stopped before {}: Hangar is shutting down; it resumes when Hangar \
                             runs again",
                            next.as_str()
                        )),
                )
                .await;
                self.announce(team).await;
            }
            Ok(false) => tracing::warn!(id, "the deploy was taken over before it stopped"),
            // The claim stays and expires with the lease, as after a crash.
            Err(error) => tracing::error!(id, %error, "cannot hand a deploy back at shutdown"),
        }
    }

    /// After a transient database error that outlasted [`Self::retrying`]: hands the claim
    /// back, so the next sweep (here or on another replica) resumes the attempt, rather than
    /// leave a claim whose heartbeat has stopped, which nobody may take before the lease
    /// ends. If even that cannot be written, the claim expires with the lease, as after a
    /// crash.
    async fn hand_back_after_database_error(&self, team: &str, id: i64) {
        let released = self
            .retrying(|| progress::release(&self.db, id, &self.runner, self.now_ms()))
            .await;
        match released {
            Ok(true) => {
                tracing::warn!(
                    id,
                    "deploy handed back after a database error; the next sweep resumes it"
                );
                self.audit_quietly(
                    AuditEvent::new("deploy.interrupted", Outcome::Failure)
                        .team(team.to_string())
                        .target(format!("deploy/{id}"))
                        .detail(
                            "stopped by a database error; it resumes at the next sweep".to_string(),
                        ),
                )
                .await;
                self.announce(team).await;
            }
            Ok(false) => tracing::warn!(id, "the deploy was taken over before it was handed back"),
            Err(error) => tracing::error!(
                id,
                %error,
                "cannot hand a deploy back: its claim stays until its lease ends ({} s)",
                LEASE.as_secs()
            ),
        }
    }

    /// Runs one of a deploy's own writes (its heartbeat, a step's start and end, its end,
    /// handing it back), again after each of [`WRITE_RETRY_WAITS`] while the error is
    /// transient: on SQLite a write that meets a lock held past the busy timeout fails, and
    /// failing the attempt for it would run its steps, the hook among them, once more. A
    /// shutdown cuts the waits short.
    async fn retrying<T, F, Fut>(&self, mut write: F) -> Result<T, ServerError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ServerError>>,
    {
        let mut waits = WRITE_RETRY_WAITS.iter();
        loop {
            let error = match write().await {
                Err(error) if is_transient(&error) => error,
                other => return other,
            };
            match waits.next() {
                Some(wait) if !self.safe_stop.is_stopping() => {
                    tracing::warn!(%error, "a deploy's record could not be written; trying again");
                    tokio::select! {
                        () = tokio::time::sleep(*wait) => {}
                        () = self.safe_stop.stopped() => {}
                    }
                }
                _ => return Err(error),
            }
        }
    }

    /// Shutdown: no deploy starts from now on, and running ones stop before their next step.
    pub fn stop_at_safe_point(&self) {
        self.safe_stop.stop();
    }

    /// Waits for running attempts to reach their safe point; `false` if one had not within
    /// `within` (it is then resumed after the lease, like after a crash).
    pub async fn stopped_within(&self, within: Duration) -> bool {
        self.safe_stop.idle_within(within).await
    }

    fn spawn_heartbeat(&self, id: i64) -> tokio::task::JoinHandle<()> {
        let (db, clock, runner) = (self.db.clone(), self.clock.clone(), self.runner.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                if let Err(error) = progress::beat(&db, id, &runner, None, clock.now_ms()).await {
                    tracing::warn!(id, %error, "cannot record a deploy's heartbeat");
                }
            }
        })
    }

    /// The steps, in order; `Ok` carries the hook's failure, if any (the deploy is live).
    async fn steps(&self, attempt: &Attempt) -> Result<Option<String>, Interrupt> {
        let head = self
            .step(attempt, Step::Fetch, {
                let team = attempt.team.clone();
                move || {
                    let head = team.fetch()?;
                    let detail = format!("{} is at {}", team.config.branch, head.short());
                    Ok((head, detail))
                }
            })
            .await?;

        let work = attempt.work();
        self.step(attempt, Step::Verify, move || verify(&work, &head))
            .await?;
        let work = attempt.work();
        self.step(attempt, Step::Export, move || export(&work))
            .await?;
        // The last moment before a target changes.
        self.recheck(attempt).await?;
        let work = attempt.work();
        self.step(attempt, Step::Promote, move || promote(&work))
            .await?;
        let work = attempt.work();
        self.step(attempt, Step::Swap, move || swap(&work)).await?;

        // The deploy is live from here on: a failing hook is reported, not rolled back.
        let hook_failure = self
            .step_allowing_failure(attempt, Step::Hook, {
                let work = attempt.work();
                move || Ok(((), hook::run_all(&work.team, &work.candidate)?))
            })
            .await?;
        Ok(hook_failure)
    }

    /// Runs one step's (blocking) work, recording its start, end and detail.
    async fn step<T: Send + 'static>(
        &self,
        attempt: &Attempt,
        step: Step,
        work: impl FnOnce() -> StepResult<T> + Send + 'static,
    ) -> Result<T, Interrupt> {
        let id = attempt.request.id;
        // The safe point: between steps, never inside one.
        if self.safe_stop.is_stopping() {
            return Err(Interrupt::ShuttingDown(step));
        }
        let beaten = self
            .retrying(|| progress::beat(&self.db, id, &self.runner, Some(step), self.now_ms()))
            .await?;
        if !beaten {
            return Err(Interrupt::Lost);
        }
        self.retrying(|| progress::step_started(&self.db, id, attempt.number, step, self.now_ms()))
            .await?;
        self.announce(attempt.team.team()).await;
        let result = tokio::task::spawn_blocking(work)
            .await
            .unwrap_or_else(|e| Err(StepError::Failed(DeployError::Internal(e.to_string()))));
        let (ok, detail) = match &result {
            Ok((_, detail)) => (true, detail.clone()),
            Err(StepError::Failed(error)) => (false, error.to_string()),
            Err(StepError::Stale(cause)) => (false, cause.clone()),
        };
        self.retrying(|| {
            progress::step_ended(
                &self.db,
                id,
                attempt.number,
                step,
                ok,
                &detail,
                self.now_ms(),
            )
        })
        .await?;
        self.audit_quietly(
            AuditEvent::new(
                "deploy.step",
                if ok {
                    Outcome::Success
                } else {
                    Outcome::Failure
                },
            )
            .team(attempt.team.team().to_string())
            .target(format!("deploy/{id}"))
            .detail(format!("{}: {detail}", step.as_str())),
        )
        .await;
        // Only test builds can be told to stall here (failpoint.rs).
        #[cfg(any(test, feature = "testing"))]
        failpoint::after(step, &self.safe_stop).await;
        match result {
            Ok((value, _)) => Ok(value),
            Err(StepError::Failed(error)) => Err(Interrupt::Failed {
                step,
                cause: format!("{}: {error}", step.as_str()),
            }),
            Err(StepError::Stale(cause)) => Err(Interrupt::Stale(cause)),
        }
    }

    /// Like [`Self::step`], but a failure is handed back instead of stopping the deploy.
    async fn step_allowing_failure(
        &self,
        attempt: &Attempt,
        step: Step,
        work: impl FnOnce() -> StepResult<()> + Send + 'static,
    ) -> Result<Option<String>, Interrupt> {
        match self.step(attempt, step, work).await {
            Ok(()) => Ok(None),
            Err(Interrupt::Failed { cause, .. }) => Ok(Some(cause)),
            Err(other) => Err(other),
        }
    }

    /// Audits without failing the caller: a deploy that happened must finish being recorded
    /// even if one audit write fails (the failure is logged).
    pub(super) async fn audit_quietly(&self, event: AuditEvent) {
        if let Err(error) = self.audit(event).await {
            tracing::error!(%error, "cannot write a deploy audit entry");
        }
    }
}

/// The candidate is in the repository, still on the branch, newer than the deployed commit,
/// and every target holds either of the two (anything else: the request is stale).
fn verify(work: &Work, head: &CommitId) -> StepResult<()> {
    let (team, deployed, candidate) = (&work.team, work.deployed.as_ref(), &work.candidate);
    let branch = &team.config.branch;
    if team.cache.resolve(candidate.as_str())?.is_none() {
        return Err(StepError::Failed(DeployError::Invalid(format!(
            "{} is not in the repository any more",
            candidate.short()
        ))));
    }
    if !team.cache.is_ancestor(candidate, head)? {
        return Err(StepError::Failed(DeployError::Invalid(format!(
            "{} is no longer on {branch} (was the branch rewritten?)",
            candidate.short()
        ))));
    }
    if let Some(deployed) = deployed
        && !team.cache.is_ancestor(deployed, candidate)?
    {
        return Err(StepError::Failed(DeployError::Invalid(format!(
            "{} does not descend from the deployed {}",
            candidate.short(),
            deployed.short()
        ))));
    }
    let mut lines = vec![format!(
        "{} is on {branch}{}",
        candidate.short(),
        deployed
            .map(|d| format!(" and descends from {}", d.short()))
            .unwrap_or_default()
    )];
    for target in &team.targets {
        let current = target.current()?;
        if current.as_ref() == Some(candidate) {
            lines.push(format!("{} already holds it", target.describe()));
        } else if current.as_ref() != deployed {
            return Err(StepError::Stale(format!(
                "{} holds {}, not {} as when this deploy was requested",
                target.describe(),
                short(current.as_ref()),
                short(deployed)
            )));
        }
    }
    Ok(((), lines.join("; ")))
}

/// Writes the candidate into each directory target that does not hold it yet.
fn export(work: &Work) -> StepResult<()> {
    let (team, candidate) = (&work.team, &work.candidate);
    let mut lines = Vec::new();
    for target in &team.targets {
        if let Target::Directory { target, .. } = target {
            if target.current()?.as_ref() == Some(candidate) {
                lines.push(format!("{} already holds it", target.root.display()));
                continue;
            }
            let folder = target.export(&team.cache, candidate, &team.config.paths)?;
            lines.push(format!("written to {}", folder.display()));
        }
    }
    Ok(((), summary(lines, "no directory targets")))
}

/// Moves each ref target that does not hold the candidate, then has pages read them again:
/// no page that asks after the move is shown a read that began before it.
fn promote(work: &Work) -> StepResult<()> {
    let moved = move_refs(work);
    work.team.forget_shown_refs();
    moved
}

/// Moves each ref target that does not hold the candidate (compare-and-swap).
fn move_refs(work: &Work) -> StepResult<()> {
    let (team, candidate) = (&work.team, &work.candidate);
    let mut lines = Vec::new();
    for target in &team.targets {
        if let Target::Ref(target) = target {
            if target.current()?.as_ref() == Some(candidate) {
                lines.push(format!(
                    "{} already at {}",
                    target.reference,
                    candidate.short()
                ));
                continue;
            }
            target.promote(&team.cache, work.deployed.as_ref(), candidate)?;
            lines.push(format!(
                "{} moved to {}",
                target.reference,
                candidate.short()
            ));
        }
    }
    Ok(((), summary(lines, "no ref targets")))
}

/// Points each directory target's `current` at the candidate, then prunes old folders.
fn swap(work: &Work) -> StepResult<()> {
    let (team, candidate) = (&work.team, &work.candidate);
    let mut lines = Vec::new();
    for target in &team.targets {
        if let Target::Directory { target, .. } = target {
            if target.current()?.as_ref() != Some(candidate) {
                target.swap(work.deployed.as_ref(), candidate)?;
            }
            let removed = target.prune()?;
            let pruned = match removed.len() {
                0 => String::new(),
                n => format!(" (removed {n} old)"),
            };
            lines.push(format!(
                "{}/current → {}{pruned}",
                target.root.display(),
                candidate.short()
            ));
        }
    }
    Ok(((), summary(lines, "no directory targets")))
}

fn summary(lines: Vec<String>, none: &str) -> String {
    if lines.is_empty() {
        none.to_string()
    } else {
        lines.join("; ")
    }
}

pub(crate) fn short(commit: Option<&CommitId>) -> String {
    commit.map_or_else(|| "nothing".into(), |c| c.short().to_string())
}
