//! The `hangar` command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::clock::{Clock, SystemClock};
use crate::config::Config;

#[derive(Parser)]
#[command(
    name = "hangar",
    version,
    about = "The multi-team console for Apache Airflow"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve(ConfigArg),
    /// Validate the configuration and reach the identity provider, then exit.
    CheckConfig(ConfigArg),
    /// Apply database migrations, then exit.
    Migrate(ConfigArg),
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Signed-in sessions.
    Sessions {
        #[command(subcommand)]
        command: SessionsCommand,
    },
}

#[derive(Subcommand)]
enum SessionsCommand {
    /// End every session of a user at once (audited as `session.revoke`); each ends at its
    /// next request, on every replica.
    Revoke(RevokeArgs),
}

#[derive(clap::Args)]
struct RevokeArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The user: their subject at the identity provider, their e-mail, or `#<id>`.
    #[arg(long)]
    user: String,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the audit log's hash chain and report the first break.
    Verify(ConfigArg),
    /// Write the audit log (or the entries matching the filters) in chain order.
    Export(Box<AuditExportArgs>),
}

#[derive(clap::Args)]
struct AuditExportArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// `ndjson` (every field, hashes included: the archive format) or `csv`.
    #[arg(long, default_value = "ndjson")]
    format: String,
    /// Write here instead of standard output (replaced only once complete).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Only this team's entries (`-`: entries of no team).
    #[arg(long)]
    team: Option<String>,
    /// Only entries by this user (subject or display name).
    #[arg(long)]
    actor: Option<String>,
    #[arg(long)]
    action: Option<String>,
    /// success, failure or denied.
    #[arg(long)]
    outcome: Option<String>,
    /// UTC, `2026-11-22` or `2026-11-22T14:30`.
    #[arg(long)]
    from: Option<String>,
    /// UTC, inclusive.
    #[arg(long)]
    to: Option<String>,
    /// Text anywhere in the entry.
    #[arg(long)]
    text: Option<String>,
}

#[derive(clap::Args)]
struct ConfigArg {
    /// The TOML configuration file (`HANGAR_<SECTION>__<KEY>` variables override it).
    #[arg(long, short, env = "HANGAR_CONFIG", default_value = "hangar.toml")]
    config: PathBuf,
}

fn load(arg: &ConfigArg) -> Result<Config, ExitCode> {
    Config::load(&arg.config).map_err(|error| {
        eprintln!("hangar: invalid configuration: {error}");
        ExitCode::from(2)
    })
}

pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve(arg) => {
            let config = match load(&arg) {
                Ok(config) => config,
                Err(code) => return code,
            };
            let telemetry = crate::telemetry::init(&config);
            let code = serve(config).await;
            // Flushing waits for the exporter's last request: off the async workers.
            let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
            code
        }
        Command::CheckConfig(arg) => {
            let config = match load(&arg) {
                Ok(config) => config,
                Err(code) => return code,
            };
            check_config(config).await
        }
        Command::Migrate(arg) => {
            let config = match load(&arg) {
                Ok(config) => config,
                Err(code) => return code,
            };
            match crate::open_database(&config).await {
                Ok(db) => {
                    println!("database migrated ({})", db.backend());
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("hangar: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Audit {
            command: AuditCommand::Verify(arg),
        } => {
            let config = match load(&arg) {
                Ok(config) => config,
                Err(code) => return code,
            };
            audit_verify(config).await
        }
        Command::Audit {
            command: AuditCommand::Export(args),
        } => {
            let config = match load(&args.config) {
                Ok(config) => config,
                Err(code) => return code,
            };
            audit_export(config, args).await
        }
        Command::Sessions {
            command: SessionsCommand::Revoke(args),
        } => {
            let config = match load(&args.config) {
                Ok(config) => config,
                Err(code) => return code,
            };
            sessions_revoke(config, &args.user).await
        }
    }
}

async fn serve(config: Config) -> ExitCode {
    let listen = config.server.listen;
    let public_url = config.server.public_url.clone();
    let (router, state) = match crate::build(config, Arc::new(SystemClock)).await {
        Ok(built) => built,
        Err(error) => {
            eprintln!("hangar: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("hangar: cannot listen on {listen}: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let (Some(metrics_listen), Some(metrics)) = (
        state.config.metrics.listen,
        crate::http::metrics_router(&state),
    ) {
        match tokio::net::TcpListener::bind(metrics_listen).await {
            Ok(listener) => {
                tracing::info!(%metrics_listen, "serving /metrics");
                tokio::spawn(crate::http::serve(
                    listener,
                    metrics,
                    std::future::pending(),
                ));
            }
            Err(error) => {
                eprintln!("hangar: cannot listen on {metrics_listen} (metrics.listen): {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    tracing::info!(%listen, %public_url, "Hangar is serving");
    // Live-update streams never end by themselves: close them so the graceful shutdown can.
    // Deploys stop taking new work and running ones head for their safe point meanwhile.
    let stopping = state.clone();
    let shutdown = async move {
        shutdown_signal().await;
        stopping.live.close();
        stopping.deploys.stop_at_safe_point();
    };
    let tls = state.config.server.tls.clone();
    if let Err(error) = crate::serve(listener, router, tls, shutdown).await {
        eprintln!("hangar: {error}");
        return ExitCode::FAILURE;
    }
    let grace = state.config.server.shutdown_grace;
    if state.deploys.stopped_within(grace).await {
        tracing::info!("stopped");
    } else {
        tracing::warn!(
            ?grace,
            "a deploy step was still running; it resumes after the lease, as after a crash"
        );
    }
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn check_config(config: Config) -> ExitCode {
    println!(
        "configuration: ok ({} teams, {} access rules)",
        config.teams.len(),
        config.access.len()
    );
    let redirect = config.server.url_for("/auth/callback");
    let provider =
        match crate::identity::oidc::OidcProvider::new(config.oidc.clone(), &config.tls, &redirect)
        {
            Ok(provider) => provider,
            Err(error) => {
                eprintln!("identity provider: {error}");
                return ExitCode::FAILURE;
            }
        };
    match provider.discover().await {
        Ok(()) => println!("identity provider: ok ({})", config.oidc.issuer),
        Err(error) => {
            eprintln!("identity provider: {error}");
            return ExitCode::FAILURE;
        }
    }
    println!("redirect URI to register at the provider: {redirect}");
    let mut ok = true;
    match check_database(&config).await {
        Ok(line) => println!("database: {line}"),
        Err(line) => {
            eprintln!("database: {line}");
            ok = false;
        }
    }
    for env in &config.airflow {
        let mut logins = vec![("hangar", env.credentials.clone())];
        logins.extend(
            env.team_credentials
                .iter()
                .map(|(team, creds)| (team.as_str(), creds.clone())),
        );
        for (who, credentials) in logins {
            let client = match crate::airflow::AirflowClient::new(
                &env.name,
                env.base_url.clone(),
                env.timeout,
                credentials,
                &config.tls,
            ) {
                Ok(client) => client,
                Err(error) => {
                    eprintln!("airflow {}: {error}", env.name);
                    ok = false;
                    continue;
                }
            };
            match (client.version().await, client.dags_page(0).await) {
                (Ok(version), Ok(dags)) => println!(
                    "airflow {} ({who} credentials): ok, Airflow {}, {} DAGs visible",
                    env.name, version.version, dags.total_entries
                ),
                (Err(error), _) | (_, Err(error)) => {
                    eprintln!("airflow {} ({who} credentials): {error}", env.name);
                    ok = false;
                }
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// How Hangar reaches its database: for PostgreSQL, connects (without migrating) and reports
/// what the connection really is (TLS or not, certificate checked or not). A SQLite file is
/// not opened here: `check-config` creates nothing.
async fn check_database(config: &Config) -> Result<String, String> {
    let url = config.database.url.expose();
    if url.starts_with("sqlite:") {
        return Ok(format!("{} ({url})", crate::db::Transport::Sqlite));
    }
    let db = crate::db::Db::open(url, 1, config.tls.ca_file.as_deref())
        .await
        .map_err(|error| format!("cannot connect: {}", crate::db::explain(&error)))?;
    let transport = db.transport().await.map_err(|error| {
        format!(
            "cannot read the connection's state: {}",
            crate::db::explain(&error)
        )
    })?;
    Ok(transport.to_string())
}

async fn audit_verify(config: Config) -> ExitCode {
    let db = match crate::open_database(&config).await {
        Ok(db) => db,
        Err(error) => {
            eprintln!("hangar: {error}");
            return ExitCode::FAILURE;
        }
    };
    let report = match crate::audit::verify(&db).await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("hangar: cannot read the audit log: {error}");
            return ExitCode::FAILURE;
        }
    };
    // The viewer shows the newest verification, whoever ran it.
    if let Err(error) = crate::audit::record_verification(&db, SystemClock.now_ms(), &report).await
    {
        eprintln!("hangar: could not record the verification: {error}");
    }
    if report.is_intact() {
        let from = if report.from_seq > 1 {
            format!(
                " (from entry {}; older ones were removed by retention)",
                report.from_seq
            )
        } else {
            String::new()
        };
        println!(
            "audit log intact: {} entries verified{from}",
            report.entries_checked
        );
        ExitCode::SUCCESS
    } else {
        let (seq, what) = report.problem.unwrap_or_default();
        eprintln!(
            "audit log BROKEN at entry {seq}: {what} ({} entries verified before it)",
            report.entries_checked
        );
        ExitCode::from(3)
    }
}

async fn audit_export(config: Config, args: Box<AuditExportArgs>) -> ExitCode {
    use crate::audit::export;
    use crate::audit::search::{self, Order};
    use hangar_app::models::audit::{AuditFilter, AuditScope};
    use std::io::Write;

    let csv = match args.format.as_str() {
        "ndjson" => false,
        "csv" => true,
        other => {
            eprintln!("hangar: --format: {other:?} is not ndjson or csv");
            return ExitCode::from(2);
        }
    };
    let filter = AuditFilter {
        team: args.team.unwrap_or_default(),
        actor: args.actor.unwrap_or_default(),
        action: args.action.unwrap_or_default(),
        outcome: args.outcome.unwrap_or_default(),
        from: args.from.unwrap_or_default(),
        to: args.to.unwrap_or_default(),
        text: args.text.unwrap_or_default(),
    };
    let criteria = match filter.criteria(&AuditScope::Platform) {
        Ok(criteria) => criteria,
        Err(message) => {
            eprintln!("hangar: {message}");
            return ExitCode::from(2);
        }
    };
    let db = match crate::open_database(&config).await {
        Ok(db) => db,
        Err(error) => {
            eprintln!("hangar: {error}");
            return ExitCode::FAILURE;
        }
    };
    let partial = args
        .output
        .as_ref()
        .map(|path| path.with_extension("partial"));
    let sink: Box<dyn Write> = match &partial {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Box::new(file),
            Err(error) => {
                eprintln!("hangar: cannot write {}: {error}", path.display());
                return ExitCode::FAILURE;
            }
        },
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::new(sink);
    let mut written = 0_u64;
    let result: Result<(), String> = async {
        if csv {
            out.write_all(export::csv_header(true).as_bytes())
                .map_err(|e| e.to_string())?;
        }
        let mut after = 0;
        loop {
            let batch = search::fetch(&db, &criteria, Order::ChainAfter(after), 1000)
                .await
                .map_err(|e| format!("cannot read the audit log: {e}"))?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            for entry in &batch {
                let line = if csv {
                    export::csv_line(entry, true)
                } else {
                    export::ndjson_line(entry, true)
                };
                writeln!(out, "{line}").map_err(|e| e.to_string())?;
                written += 1;
            }
        }
        out.flush().map_err(|e| e.to_string())
    }
    .await;
    drop(out);
    if let Err(error) = result {
        if let Some(partial) = &partial {
            let _ = std::fs::remove_file(partial);
        }
        eprintln!("hangar: {error}");
        return ExitCode::FAILURE;
    }
    if let (Some(partial), Some(output)) = (&partial, &args.output)
        && let Err(error) = std::fs::rename(partial, output)
    {
        eprintln!("hangar: cannot write {}: {error}", output.display());
        return ExitCode::FAILURE;
    }
    eprintln!("{written} audit entries exported");
    ExitCode::SUCCESS
}

async fn sessions_revoke(config: Config, who: &str) -> ExitCode {
    let db = match crate::open_database(&config).await {
        Ok(db) => db,
        Err(error) => {
            eprintln!("hangar: {error}");
            return ExitCode::FAILURE;
        }
    };
    let people = match crate::users::find_people(&db, who).await {
        Ok(people) => people,
        Err(error) => {
            eprintln!("hangar: cannot read users: {error}");
            return ExitCode::FAILURE;
        }
    };
    let person = match people.as_slice() {
        [person] => person,
        [] => {
            eprintln!(
                "hangar: --user: no one who signed in has the subject or e-mail {who:?} \
                 (or use #<id>)"
            );
            return ExitCode::from(2);
        }
        several => {
            eprintln!(
                "hangar: --user: {who:?} names {} people; pick one:",
                several.len()
            );
            for person in several {
                eprintln!(
                    "  #{}  {} ({} at {})",
                    person.id, person.display_name, person.subject, person.issuer
                );
            }
            return ExitCode::from(2);
        }
    };
    // Another process: PostgreSQL's replicas hear of it at once (NOTIFY); a SQLite server
    // stops the sessions within a second (identity/session_index.rs).
    let live = crate::live::LiveUpdates::new(db.clone());
    match crate::access::end_sessions(&db, SystemClock.now_ms(), person, None, &live).await {
        Ok(ended) => {
            println!(
                "ended {ended} session(s) of {} ({})",
                person.display_name, person.subject
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("hangar: cannot end the sessions: {error}");
            ExitCode::FAILURE
        }
    }
}
