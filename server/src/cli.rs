//! The `hangar` command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::clock::SystemClock;
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
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the audit log's hash chain and report the first break.
    Verify(ConfigArg),
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
            crate::telemetry::init(&config.log);
            serve(config).await
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
    tracing::info!(%listen, %public_url, "Hangar is serving");
    // Live-update streams never end by themselves: close them so the graceful shutdown can.
    let shutdown = async move {
        shutdown_signal().await;
        state.live.close();
    };
    match crate::serve(listener, router, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hangar: {error}");
            ExitCode::FAILURE
        }
    }
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
    let provider = match crate::identity::oidc::OidcProvider::new(config.oidc.clone(), &redirect) {
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

async fn audit_verify(config: Config) -> ExitCode {
    let db = match crate::open_database(&config).await {
        Ok(db) => db,
        Err(error) => {
            eprintln!("hangar: {error}");
            return ExitCode::FAILURE;
        }
    };
    match crate::audit::verify(&db).await {
        Ok(report) if report.is_intact() => {
            println!(
                "audit log intact: {} entries verified",
                report.entries_checked
            );
            ExitCode::SUCCESS
        }
        Ok(report) => {
            let (seq, what) = report.problem.unwrap_or_default();
            eprintln!(
                "audit log BROKEN at entry {seq}: {what} ({} entries verified before it)",
                report.entries_checked
            );
            ExitCode::from(3)
        }
        Err(error) => {
            eprintln!("hangar: cannot read the audit log: {error}");
            ExitCode::FAILURE
        }
    }
}
