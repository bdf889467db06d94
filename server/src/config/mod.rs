//! Hangar's configuration: a TOML file plus `HANGAR_<SECTION>__<KEY>` environment overrides,
//! validated once at start-up into typed values (`docs/configuration.md` is the contract).
//!
//! Every error names the file, the key and what is wrong, so that a bad deploy stops with a
//! message an operator can act on rather than a half-working server.

mod airflow;
mod audit;
mod deploy;
mod duration;
mod env;
mod limits;
mod metrics;
mod raw;
mod secret;
mod task_logs;
mod telemetry;
mod tls;

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hangar_app::models::{PlatformRole, TeamRole};
use url::Url;

pub use airflow::{AirflowConfig, AirflowCredentials, BundleOwner, Ownership};
pub use audit::AuditConfig;
pub use deploy::{
    DEFAULT_GIT_TIMEOUT, DEFAULT_HOOK_TIMEOUT, DeployConfig, Event as NotifyEvent,
    Format as NotifyFormat, GitConfig, NotifyConfig, TargetConfig,
};
pub use duration::parse_duration;
pub use limits::LimitsConfig;
pub use metrics::MetricsConfig;
pub use secret::Secret;
pub use task_logs::{ReadAhead, TaskLogsConfig};
pub use telemetry::TelemetryConfig;
pub use tls::{OutboundTls, ServerTls};

use raw::{RawAccessRule, RawConfig, RawOidc};

#[derive(Clone, Debug)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub session: SessionConfig,
    pub oidc: OidcConfig,
    pub teams: Vec<TeamConfig>,
    pub access: Vec<AccessRule>,
    pub log: LogConfig,
    pub airflow: Vec<AirflowConfig>,
    pub deploys: Vec<DeployConfig>,
    pub git: GitConfig,
    pub audit: AuditConfig,
    pub metrics: MetricsConfig,
    pub limits: LimitsConfig,
    /// Whom outbound HTTPS (and git) trusts.
    pub tls: OutboundTls,
    pub telemetry: TelemetryConfig,
    pub task_logs: TaskLogsConfig,
}

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Origin users reach Hangar at; also the CSRF origin and the redirect URI base.
    pub public_url: Url,
    pub site_root: PathBuf,
    /// At shutdown, how long a running deploy step may take to reach its end (the safe
    /// point) after requests in flight have finished.
    pub shutdown_grace: Duration,
    /// Behind a proxy: the header it puts the client's address in (the last address of a
    /// list). Unset: the connection's peer address. Rate limits and the audit log's samples
    /// of anonymous refusals are kept per client address.
    pub client_ip_header: Option<axum::http::HeaderName>,
    /// Serve HTTPS and HTTP/2 with this certificate, reloaded when its files change;
    /// `None`: plain HTTP behind a proxy that terminates TLS.
    pub tls: Option<ServerTls>,
}

impl ServerConfig {
    /// Cookies are `Secure` and `__Host-` prefixed exactly when Hangar is served over https.
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// `scheme://host[:port]`, the form browsers send in `Origin`.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }

    pub fn url_for(&self, path: &str) -> String {
        format!("{}{}", self.public_origin(), path)
    }
}

#[derive(Clone, Debug)]
pub struct DatabaseConfig {
    pub url: Secret,
    pub max_connections: u32,
}

#[derive(Clone, Debug)]
pub struct SessionConfig {
    pub idle_timeout: Duration,
    pub absolute_timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct OidcConfig {
    /// Exactly as configured: OpenID Connect compares issuers as strings, so
    /// `https://idp/` and `https://idp` are different issuers.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub scopes: Vec<String>,
    pub groups_claim: String,
    /// How often a session's groups are re-read from the provider (at most 15 minutes).
    pub groups_refresh_interval: Duration,
    /// ID tokens issued longer ago than this are refused (bounds replay of a stolen token).
    pub max_token_age: Duration,
    /// An unknown signing key triggers a JWKS refresh at most this often.
    pub jwks_refresh_min_interval: Duration,
    pub http_timeout: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamConfig {
    pub name: String,
    pub display_name: String,
    /// Where the platform runs the team's tasks (shown on the team's home and the platform
    /// overview; Hangar itself acts on none of it).
    pub execution: Option<hangar_app::models::execution::DeclaredExecution>,
}

/// One `[[access]]` rule: an identity-provider group grants a role in a team or on the platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRule {
    pub group: String,
    pub grant: AccessGrant,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessGrant {
    Team { team_index: usize, role: TeamRole },
    Platform(PlatformRole),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug)]
pub struct LogConfig {
    pub format: LogFormat,
    pub level: String,
}

/// A configuration problem: where, which key, what is wrong.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}: {}: {}", self.file.display(), self.key, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// Team names follow Airflow's rule, so a Hangar team can be an Airflow team.
pub fn is_valid_team_name(name: &str) -> bool {
    (3..=50).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Config {
    /// Reads `file`, applies the process environment's `HANGAR_` overrides and validates.
    pub fn load(file: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(file).map_err(|e| ConfigError {
            file: file.to_path_buf(),
            key: String::new(),
            message: format!("cannot read the configuration file: {e}"),
        })?;
        Self::from_toml(file, &text, std::env::vars())
    }

    pub fn from_toml(
        file: &Path,
        text: &str,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let error = |key: &str, message: String| ConfigError {
            file: file.to_path_buf(),
            key: key.to_string(),
            message,
        };
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| error("", format!("not valid TOML: {e}")))?;
        let applied = env::apply_overrides(&mut table, vars)
            .map_err(|(name, message)| error(&name, message))?;
        let raw: RawConfig =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    let origin = if applied.is_empty() {
                        String::new()
                    } else {
                        format!(" (with environment overrides {})", applied.join(", "))
                    };
                    error("", format!("{}{origin}", e.message().trim()))
                })?;
        validate(raw, file)
    }

    pub fn team(&self, name: &str) -> Option<&TeamConfig> {
        self.teams.iter().find(|t| t.name == name)
    }
}

fn validate(raw: RawConfig, file: &Path) -> Result<Config, ConfigError> {
    let error = |key: &str, message: String| ConfigError {
        file: file.to_path_buf(),
        key: key.to_string(),
        message,
    };
    let duration = |key: &str, value: Option<String>, default: &str| {
        parse_duration(value.as_deref().unwrap_or(default)).map_err(|m| error(key, m))
    };

    let listen_text = raw.server.listen.unwrap_or_else(|| "127.0.0.1:3000".into());
    let listen: SocketAddr = listen_text.parse().map_err(|_| {
        error(
            "server.listen",
            format!("{listen_text:?} is not an address:port such as \"127.0.0.1:3000\""),
        )
    })?;
    let server_tls = tls::validate_server(
        raw.server.tls_cert_file.as_deref(),
        raw.server.tls_key_file.as_deref(),
        file,
    )?;
    let public_text = raw.server.public_url.clone().unwrap_or_else(|| {
        let scheme = if server_tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{listen}")
    });
    let public_url = Url::parse(&public_text).map_err(|e| {
        error(
            "server.public_url",
            format!("{public_text:?} is not a URL: {e}"),
        )
    })?;
    if !matches!(public_url.scheme(), "http" | "https") || public_url.host().is_none() {
        return Err(error(
            "server.public_url",
            format!("{public_text:?} must be an http or https URL"),
        ));
    }
    if public_url.path() != "/" || public_url.query().is_some() {
        return Err(error(
            "server.public_url",
            "must be an origin without a path (serving Hangar under a sub-path is not supported)"
                .into(),
        ));
    }
    if server_tls.is_some() && public_url.scheme() != "https" {
        return Err(error(
            "server.public_url",
            "must be https when Hangar serves TLS itself (server.tls_cert_file)".into(),
        ));
    }
    let shutdown_grace = match raw.server.shutdown_grace.as_deref() {
        Some(text) => parse_duration(text).map_err(|m| error("server.shutdown_grace", m))?,
        // Inside Kubernetes' default 30 s between SIGTERM and SIGKILL.
        None => Duration::from_secs(25),
    };
    let client_ip_header = match raw.server.client_ip_header.as_deref() {
        None => None,
        Some(name) => Some(axum::http::HeaderName::try_from(name.trim()).map_err(|_| {
            error(
                "server.client_ip_header",
                format!("{name:?} is not a header name (e.g. \"X-Forwarded-For\")"),
            )
        })?),
    };
    let server = crate::config::ServerConfig {
        listen,
        public_url,
        site_root: PathBuf::from(raw.server.site_root.unwrap_or_else(|| "target/site".into())),
        shutdown_grace,
        client_ip_header,
        tls: server_tls,
    };

    let db_url = raw
        .database
        .url
        .unwrap_or_else(|| "sqlite://hangar.db".into());
    if !(db_url.starts_with("sqlite:")
        || db_url.starts_with("postgres://")
        || db_url.starts_with("postgresql://"))
    {
        return Err(error(
            "database.url",
            "must start with sqlite: or postgres:// (other databases are not supported)".into(),
        ));
    }
    let max_connections = raw.database.max_connections.unwrap_or(10);
    if max_connections == 0 {
        return Err(error(
            "database.max_connections",
            "must be at least 1".into(),
        ));
    }
    let database = DatabaseConfig {
        url: Secret::new(db_url),
        max_connections,
    };

    let session = SessionConfig {
        idle_timeout: duration("session.idle_timeout", raw.session.idle_timeout, "8h")?,
        absolute_timeout: duration(
            "session.absolute_timeout",
            raw.session.absolute_timeout,
            "24h",
        )?,
    };
    if session.idle_timeout > session.absolute_timeout {
        return Err(error(
            "session.idle_timeout",
            "must not be longer than session.absolute_timeout".into(),
        ));
    }

    let oidc = validate_oidc(raw.oidc, file)?;

    let mut teams = Vec::new();
    let mut seen = HashSet::new();
    for (index, team) in raw.teams.into_iter().enumerate() {
        let key = format!("teams[{index}].name");
        if !is_valid_team_name(&team.name) {
            return Err(error(
                &key,
                format!(
                    "{:?} is not a valid team name (3 to 50 letters, digits, '_' or '-')",
                    team.name
                ),
            ));
        }
        if !seen.insert(team.name.to_ascii_lowercase()) {
            return Err(error(
                &key,
                format!(
                    "team {:?} is declared twice (names are compared without case, as \
                     Airflow 3.4 folds them to lower case)",
                    team.name
                ),
            ));
        }
        let display_name = team
            .display_name
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| team.name.clone());
        let execution = match team.execution {
            Some(execution) if execution.executor.trim().is_empty() => {
                return Err(error(
                    &format!("teams[{index}].execution.executor"),
                    "must name the executor (e.g. \"KubernetesExecutor\")".into(),
                ));
            }
            Some(execution) => Some(hangar_app::models::execution::DeclaredExecution {
                executor: execution.executor,
                namespace: execution.namespace.filter(|n| !n.trim().is_empty()),
                queues: execution.queues,
                note: execution.note.filter(|n| !n.trim().is_empty()),
            }),
            None => None,
        };
        teams.push(TeamConfig {
            name: team.name,
            display_name,
            execution,
        });
    }

    let access = raw
        .access
        .into_iter()
        .enumerate()
        .map(|(index, rule)| validate_access_rule(index, rule, &teams, file))
        .collect::<Result<Vec<_>, _>>()?;

    let format = match raw.log.format.as_deref().unwrap_or("text") {
        "text" => LogFormat::Text,
        "json" => LogFormat::Json,
        other => {
            return Err(error(
                "log.format",
                format!("{other:?} is not a log format (text or json)"),
            ));
        }
    };
    let log = LogConfig {
        format,
        level: raw.log.level.unwrap_or_else(|| "info".into()),
    };

    let airflow = airflow::validate(raw.airflow, &teams, file)?;
    let deploys = deploy::validate(raw.deploy, &teams, file)?;
    let outbound_tls = tls::validate(raw.tls, file)?;
    let git = deploy::validate_git(raw.git, outbound_tls.ca_file.clone(), file)?;
    let audit = audit::validate(raw.audit, file)?;
    let metrics = metrics::validate(raw.metrics, server.listen, file)?;
    let limits = limits::validate(raw.limits, file)?;
    let telemetry = telemetry::validate(raw.telemetry, file)?;
    let task_logs = task_logs::validate(raw.task_logs, file)?;

    Ok(Config {
        server,
        database,
        session,
        oidc,
        teams,
        access,
        log,
        airflow,
        deploys,
        git,
        audit,
        metrics,
        limits,
        tls: outbound_tls,
        telemetry,
        task_logs,
    })
}

fn validate_oidc(raw: Option<RawOidc>, file: &Path) -> Result<OidcConfig, ConfigError> {
    let error = |key: &str, message: String| ConfigError {
        file: file.to_path_buf(),
        key: key.to_string(),
        message,
    };
    let raw = raw.ok_or_else(|| error("oidc", "the [oidc] section is required".into()))?;
    let issuer_text = raw
        .issuer
        .ok_or_else(|| error("oidc.issuer", "is required".into()))?;
    let issuer = Url::parse(&issuer_text)
        .map_err(|e| error("oidc.issuer", format!("{issuer_text:?} is not a URL: {e}")))?;
    let loopback = match issuer.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if issuer.scheme() != "https" && !(issuer.scheme() == "http" && loopback) {
        return Err(error(
            "oidc.issuer",
            format!("{issuer_text:?} must use https (plain http is allowed only on loopback)"),
        ));
    }
    let client_id = raw
        .client_id
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| error("oidc.client_id", "is required".into()))?;
    let client_secret = match (raw.client_secret, raw.client_secret_file) {
        (Some(_), Some(_)) => {
            return Err(error(
                "oidc.client_secret",
                "set either client_secret or client_secret_file, not both".into(),
            ));
        }
        (Some(secret), None) if !secret.is_empty() => Secret::new(secret),
        (None, Some(path)) => {
            read_secret_file(file, &path).map_err(|m| error("oidc.client_secret_file", m))?
        }
        _ => {
            return Err(error(
                "oidc.client_secret",
                "is required (or client_secret_file)".into(),
            ));
        }
    };
    let scopes = raw.scopes.unwrap_or_else(|| {
        ["openid", "email", "profile", "groups"]
            .map(String::from)
            .to_vec()
    });
    if !scopes.iter().any(|s| s == "openid") {
        return Err(error("oidc.scopes", "must include \"openid\"".into()));
    }
    let groups_claim = raw.groups_claim.unwrap_or_else(|| "groups".into());
    if groups_claim.is_empty() {
        return Err(error("oidc.groups_claim", "must not be empty".into()));
    }
    let duration = |key: &str, value: Option<String>, default: &str| {
        parse_duration(value.as_deref().unwrap_or(default)).map_err(|m| error(key, m))
    };
    let groups_refresh_interval = duration(
        "oidc.groups_refresh_interval",
        raw.groups_refresh_interval,
        "15m",
    )?;
    if groups_refresh_interval > Duration::from_secs(15 * 60) {
        return Err(error(
            "oidc.groups_refresh_interval",
            "must be at most 15m: a user removed from a group must lose the role soon".into(),
        ));
    }
    Ok(OidcConfig {
        issuer: issuer_text,
        client_id,
        client_secret,
        scopes,
        groups_claim,
        groups_refresh_interval,
        max_token_age: duration("oidc.max_token_age", raw.max_token_age, "10m")?,
        jwks_refresh_min_interval: duration(
            "oidc.jwks_refresh_min_interval",
            raw.jwks_refresh_min_interval,
            "30s",
        )?,
        http_timeout: duration("oidc.http_timeout", raw.http_timeout, "10s")?,
    })
}

/// Reads a secret from a file named relative to the configuration file; a trailing newline
/// is not part of the secret.
fn read_secret_file(config_file: &Path, path: &str) -> Result<Secret, String> {
    let full = config_file.parent().unwrap_or(Path::new(".")).join(path);
    let text = std::fs::read_to_string(&full)
        .map_err(|e| format!("cannot read {}: {e}", full.display()))?;
    let secret = text.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        return Err(format!("{} is empty", full.display()));
    }
    Ok(Secret::new(secret))
}

fn validate_access_rule(
    index: usize,
    rule: RawAccessRule,
    teams: &[TeamConfig],
    file: &Path,
) -> Result<AccessRule, ConfigError> {
    let error = |field: &str, message: String| ConfigError {
        file: file.to_path_buf(),
        key: format!("access[{index}].{field}"),
        message,
    };
    if rule.group.trim().is_empty() {
        return Err(error("group", "must not be empty".into()));
    }
    let grant = match (rule.team, rule.role, rule.platform) {
        (Some(team), Some(role), None) => {
            let team_index = teams.iter().position(|t| t.name == team).ok_or_else(|| {
                error(
                    "team",
                    format!("team {team:?} is not declared in a [[teams]] entry"),
                )
            })?;
            let role = TeamRole::parse(&role).ok_or_else(|| {
                error(
                    "role",
                    format!("{role:?} is not a team role (viewer, operator, author, admin)"),
                )
            })?;
            AccessGrant::Team { team_index, role }
        }
        (None, None, Some(platform)) => {
            AccessGrant::Platform(PlatformRole::parse(&platform).ok_or_else(|| {
                error(
                    "platform",
                    format!("{platform:?} is not a platform role (admin, auditor)"),
                )
            })?)
        }
        (Some(_), None, None) => return Err(error("role", "is required with team".into())),
        (None, Some(_), None) => return Err(error("team", "is required with role".into())),
        _ => {
            return Err(error(
                "platform",
                "a rule grants either team + role or platform, not both".into(),
            ));
        }
    };
    Ok(AccessRule {
        group: rule.group,
        grant,
    })
}

#[cfg(test)]
mod tests;
