//! What every handler can reach.

use std::sync::Arc;

use leptos::config::LeptosOptions;

use crate::audit::{self, AuditEvent};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::error::ServerError;
use crate::identity::oidc::OidcProvider;

/// Cloned by every layer of every request, so it is one reference count, not five.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

pub struct Services {
    pub config: Config,
    pub db: Db,
    pub oidc: Arc<OidcProvider>,
    pub clock: Arc<dyn Clock>,
    pub leptos: LeptosOptions,
    /// Handed to the app as context: how its server functions read Hangar's data.
    pub read_model: hangar_app::functions::ports::SharedReadModel,
    /// Handed to the app as context: DAG lists, run lists and platform overviews already
    /// computed.
    pub kept_pages: Arc<hangar_app::functions::kept_pages::KeptCaches>,
    /// Handed to the app as context: how its server functions act in Airflow.
    pub actions: hangar_app::functions::ports::SharedAirflowActions,
    /// One client per environment (and per team credential), shared by sync and actions.
    pub airflow: Arc<crate::airflow::Environments>,
    /// Tells open pages that their data changed.
    pub live: Arc<crate::live::LiveUpdates>,
    /// The sessions this replica recently found live (the per-request check, from memory).
    pub sessions: Arc<crate::identity::session_index::LiveSessions>,
    /// The session store, for changes of a session that must start from the database's
    /// record rather than this replica's copy (`identity::session::current`).
    pub session_store: crate::db::session_store::HangarSessionStore,
    /// What `/metrics` exposes: this app's counters.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Review-gated deploys of every configured team.
    pub deploys: Arc<crate::deploy::DeployEngine>,
    /// Handed to the app as context: deploys as its server functions ask for them.
    pub deploy_port: hangar_app::functions::ports::SharedDeploys,
    /// Handed to the app as context: the platform team's pages across teams.
    pub platform: hangar_app::functions::ports::SharedPlatform,
    /// Handed to the app as context: the audit log viewer's pages.
    pub audit_pages: hangar_app::functions::ports::SharedAudit,
    /// Handed to the app as context: who holds which role; ending sessions.
    pub people: hangar_app::functions::ports::SharedPeople,
    /// Anonymous refusals: counted, and sampled into the audit log.
    pub refusals: Arc<audit::refusals::AnonymousRefusals>,
    /// Sign-ins in progress, in an encrypted cookie (no session row per anonymous visit).
    pub sign_in_cookie: crate::identity::pending::PendingCookie,
    /// Handed to the app as context: the signed-in person's own page (signing keys).
    pub profiles: hangar_app::functions::ports::SharedProfiles,
    /// Handed to the app as context: a person's own settings.
    pub preferences: hangar_app::functions::ports::SharedPreferences,
    /// Task logs read from Airflow: the spool of finished tries, live views, downloads.
    pub task_logs: Arc<crate::logs::TaskLogs>,
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

impl AppState {
    /// Gives a render or server-function call the ports it reads and acts through.
    pub fn provide_ports(&self) {
        leptos::prelude::provide_context(self.read_model.clone());
        leptos::prelude::provide_context(self.kept_pages.clone());
        leptos::prelude::provide_context(self.actions.clone());
        leptos::prelude::provide_context(self.deploy_port.clone());
        leptos::prelude::provide_context(self.platform.clone());
        leptos::prelude::provide_context(self.audit_pages.clone());
        leptos::prelude::provide_context(self.people.clone());
        leptos::prelude::provide_context(self.profiles.clone());
        leptos::prelude::provide_context(self.preferences.clone());
    }

    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }

    /// Appends to the audit log at the server's current time.
    pub async fn audit(&self, event: AuditEvent) -> Result<i64, ServerError> {
        audit::append(&self.db, self.clock.now_ms(), event).await
    }

    /// A refusal of nobody known: counted, and appended only as `source`'s sample for the
    /// minute, its detail (chosen by the client) cut short (`audit/refusals.rs`).
    pub async fn refused_anonymously(
        &self,
        kind: audit::refusals::Refusal,
        source: std::net::IpAddr,
        event: AuditEvent,
    ) -> Result<(), ServerError> {
        if !self.refusals.sample(kind, source) {
            return Ok(());
        }
        let detail = audit::refusals::cut(event.detail.as_deref().unwrap_or_default());
        let target = event.target.as_deref().map(audit::refusals::cut);
        let mut event = event.detail(format!(
            "{detail} (from {source}; a sample: further refusals from this address this minute \
             are only counted)"
        ));
        event.target = target;
        self.audit(event).await.map(|_| ())
    }
}
