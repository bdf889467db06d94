//! The Hangar server: configuration, database, identity, authorization, audit and HTTP.
//!
//! `main.rs` only parses the command line; everything is built here so tests can start the
//! real server on a loopback port (see `tests/support`).

pub mod access;
pub mod actions;
pub mod airflow;
pub mod audit;
pub mod cli;
pub mod clock;
pub mod code;
pub mod config;
pub mod db;
pub mod deploy;
pub mod error;
pub mod graph;
pub mod http;
pub mod identity;
pub mod live;
pub mod logs;
pub mod metrics;
pub mod platform;
pub mod ports;
pub mod rate;
pub mod read_model;
pub mod review;
pub mod signing_keys;
pub mod state;
pub mod sync;
pub mod telemetry;
pub mod tls;
pub mod tokens;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use leptos::config::{Env, LeptosOptions};
use tokio::net::TcpListener;
use tower_sessions::ExpiredDeletion;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::db::session_store::HangarSessionStore;
use crate::identity::oidc::OidcProvider;
use crate::state::AppState;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database: {}", db::explain(.0))]
    Database(#[from] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("identity provider client: {0}")]
    Oidc(#[from] identity::oidc::OidcError),
    /// The route table, or the certificate to serve.
    #[error("{0}")]
    Router(String),
    #[error("Airflow client: {0}")]
    Airflow(airflow::AirflowError),
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Server(#[from] crate::error::ServerError),
}

/// Connects and migrates the database.
pub async fn open_database(config: &Config) -> Result<Db, StartupError> {
    let db = Db::open(
        config.database.url.expose(),
        config.database.max_connections,
        config.tls.ca_file.as_deref(),
    )
    .await?;
    db.migrate().await?;
    Ok(db)
}

/// Builds the application: state, background tasks (sync loops included) and router.
pub async fn build(
    config: Config,
    clock: Arc<dyn Clock>,
) -> Result<(http::Router, AppState), StartupError> {
    build_with(config, clock, SyncLoops::Start).await
}

/// Whether `build_with` starts the background loops (the Airflow sync, the deploy worker).
/// Tests that drive them themselves leave them off, so nothing changes behind their back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncLoops {
    Start,
    Off,
}

pub async fn build_with(
    config: Config,
    clock: Arc<dyn Clock>,
    sync_loops: SyncLoops,
) -> Result<(http::Router, AppState), StartupError> {
    let db = open_database(&config).await?;
    let session_store = HangarSessionStore::for_db(&db).await?;
    let redirect_uri = config.server.url_for("/auth/callback");
    let oidc = Arc::new(OidcProvider::new(
        config.oidc.clone(),
        &config.tls,
        &redirect_uri,
    )?);
    if let Err(error) = oidc.discover().await {
        tracing::warn!(%error, "identity provider not reachable yet; retrying in the background");
        let oidc = oidc.clone();
        tokio::spawn(async move {
            while !oidc.is_ready() {
                tokio::time::sleep(Duration::from_secs(5)).await;
                if let Err(error) = oidc.discover().await {
                    tracing::warn!(%error, "identity provider still not reachable");
                }
            }
            tracing::info!("identity provider metadata loaded");
        });
    }
    tokio::spawn(
        session_store
            .clone()
            .continuously_delete_expired(Duration::from_secs(300)),
    );
    identity::session_index::spawn_cleanup(db.clone(), clock.clone(), Duration::from_secs(300));
    let leptos = LeptosOptions::builder()
        .output_name("hangar")
        .site_root(config.server.site_root.to_string_lossy().to_string())
        .site_pkg_dir(bundle_dir(&config.server.site_root))
        .env(Env::PROD)
        .build();
    let live = Arc::new(live::LiveUpdates::new(db.clone()));
    live.spawn_listener();
    session_store.follow(live.subscribe_sessions_changed(), live.subscribe_missed());
    let read_model: hangar_app::functions::ports::SharedReadModel =
        Arc::new(ports::read_model::DbReadModel::new(
            db.clone(),
            &config.airflow,
            &config.teams,
            live.versions(),
            clock.clone(),
        ));
    let metrics = Arc::new(metrics::Metrics::new());
    let airflow = Arc::new(
        airflow::Environments::new(&config.airflow, &config.tls, &metrics)
            .map_err(StartupError::Airflow)?,
    );
    let task_logs = Arc::new(
        logs::TaskLogs::new(&config, db.clone(), airflow.clone()).map_err(StartupError::Io)?,
    );
    let actions: hangar_app::functions::ports::SharedAirflowActions =
        Arc::new(actions::AirflowGateway::new(
            db.clone(),
            clock.clone(),
            airflow.clone(),
            live.clone(),
            task_logs.clone(),
        ));
    let deploys = Arc::new(deploy::DeployEngine::new(
        &config,
        db.clone(),
        clock.clone(),
        live.clone(),
        metrics.clone(),
    ));
    let platform = Arc::new(ports::platform::PlatformPages::new(
        db.clone(),
        clock.clone(),
        live.versions(),
        &config.airflow,
        &config.teams,
        live.clone(),
    ));
    let audit_pages = Arc::new(ports::audit::AuditPages::new(
        db.clone(),
        config.teams.iter().map(|team| team.name.clone()).collect(),
        &config.audit,
    ));
    let people = Arc::new(ports::people::PeoplePages::new(
        db.clone(),
        clock.clone(),
        config.clone(),
        live.clone(),
    ));
    let sessions = Arc::new(identity::session_index::LiveSessions::default());
    sessions.follow(live.subscribe_sessions_ended(), live.subscribe_missed());
    let sign_in_cookie = identity::pending::PendingCookie::new(
        identity::pending::load_key(&db, clock.now_ms()).await?,
        config.server.is_https(),
    );
    let refusals = Arc::new(audit::refusals::AnonymousRefusals::new(metrics.clone()));
    let profiles = Arc::new(ports::profile::ProfilePages::new(
        db.clone(),
        clock.clone(),
        config.server.public_origin(),
    ));
    let preferences = Arc::new(ports::preferences::PreferencePages::new(
        db.clone(),
        clock.clone(),
    ));

    let state = AppState::new(state::Services {
        config,
        db,
        oidc,
        clock,
        leptos,
        read_model,
        kept_pages: Arc::default(),
        airflow,
        actions,
        live,
        sessions,
        session_store: session_store.clone(),
        metrics,
        deploy_port: Arc::new(ports::deploys::DeployGateway::new(deploys.clone())),
        deploys,
        platform,
        audit_pages,
        people,
        refusals,
        sign_in_cookie,
        profiles,
        preferences,
        task_logs,
    });
    if sync_loops == SyncLoops::Start {
        sync::spawn_loops(&state);
        // On every replica, not only the one that syncs: each has its own spool.
        logs::read_ahead::spawn(
            state.db.clone(),
            state.clock.clone(),
            state.task_logs.clone(),
            state.config.task_logs.read_ahead,
        );
        state.deploys.spawn_worker();
        audit::worker::spawn(
            state.db.clone(),
            state.clock.clone(),
            state.config.audit.clone(),
        );
    }
    let router = http::router(state.clone(), session_store).map_err(StartupError::Router)?;
    Ok((router, state))
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish: plain HTTP (and
/// HTTP/2 with prior knowledge) behind a proxy, or HTTPS with HTTP/2 when `tls` is given.
pub async fn serve(
    listener: TcpListener,
    router: http::Router,
    tls: Option<config::ServerTls>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    match tls {
        None => Ok(http::serve(listener, router, shutdown).await?),
        Some(files) => {
            let certificate =
                http::serve_tls::ReloadingCertificate::load(files).map_err(StartupError::Router)?;
            Ok(http::serve_tls::serve(listener, router, certificate, shutdown).await?)
        }
    }
}

/// Where under the site root this build's browser bundle lives: `pkg/<id>`, named by
/// `build_site` after the bundle's content (`pkg/bundle-id`). A page loads its chunks lazily,
/// long after the page itself; with the id in the path a tab opened before a deploy never
/// mixes its main module with another build's chunks, and the files can be cached for good.
/// A site without an id (an older build, or none: the tests' own servers) uses `pkg`.
fn bundle_dir(site_root: &std::path::Path) -> String {
    let id_file = site_root.join("pkg").join("bundle-id");
    match std::fs::read_to_string(&id_file) {
        Ok(id) if is_bundle_id(id.trim()) => format!("pkg/{}", id.trim()),
        Ok(_) => {
            tracing::warn!(file = %id_file.display(), "the bundle id is not a hex digest; serving pkg/");
            "pkg".to_string()
        }
        Err(_) => "pkg".to_string(),
    }
}

fn is_bundle_id(id: &str) -> bool {
    (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit())
}
