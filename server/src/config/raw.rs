//! The configuration file as written: serde structs that mirror the TOML one to one.
//!
//! Unknown keys are errors (`deny_unknown_fields`): a typo must not silently fall back to a
//! default. Everything here is still unvalidated text; `config::validate` turns it into
//! [`super::Config`].

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub database: RawDatabase,
    #[serde(default)]
    pub session: RawSession,
    pub oidc: Option<RawOidc>,
    #[serde(default)]
    pub teams: Vec<RawTeam>,
    #[serde(default)]
    pub access: Vec<RawAccessRule>,
    #[serde(default)]
    pub log: RawLog,
    #[serde(default)]
    pub airflow: Vec<RawAirflow>,
    #[serde(default)]
    pub deploy: Vec<RawDeploy>,
    #[serde(default)]
    pub git: RawGit,
    #[serde(default)]
    pub audit: RawAudit,
    #[serde(default)]
    pub metrics: RawMetrics,
    #[serde(default)]
    pub limits: super::limits::RawLimits,
    #[serde(default)]
    pub tls: RawTls,
    #[serde(default)]
    pub telemetry: RawTelemetry,
    #[serde(default)]
    pub task_logs: RawTaskLogs,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    /// A PEM bundle of private CAs trusted for outbound HTTPS (and by git).
    pub ca_file: Option<String>,
    pub system_store: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTelemetry {
    /// OTLP/HTTP traces endpoint, e.g. `http://otel-collector:4318/v1/traces`.
    pub otlp_endpoint: Option<String>,
    pub service_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTaskLogs {
    pub max_lines: Option<u64>,
    pub spool_dir: Option<String>,
    pub spool_max_mb: Option<u64>,
    pub read_timeout: Option<String>,
    pub max_follows: Option<usize>,
    pub read_ahead: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMetrics {
    pub bearer_token: Option<String>,
    pub bearer_token_file: Option<String>,
    pub listen: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    pub retention: Option<String>,
    pub archive_dir: Option<String>,
    pub verify_interval: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeploy {
    pub team: String,
    pub repository: String,
    pub branch: Option<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    pub min_approvals: Option<u32>,
    pub approver_role: Option<String>,
    pub break_glass_role: Option<String>,
    pub auto_deploy: Option<bool>,
    pub request_ttl: Option<String>,
    pub confirm_within: Option<String>,
    /// `signatures` or `emails` (default).
    pub authorship: Option<String>,
    /// `review` (default) or `refuse`.
    pub outside_paths: Option<String>,
    #[serde(default, rename = "target")]
    pub targets: Vec<RawTarget>,
    #[serde(default)]
    pub notify: Vec<RawNotify>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    pub url: String,
    /// `slack` or `json` (default).
    pub format: Option<String>,
    pub secret: Option<String>,
    pub secret_file: Option<String>,
    pub events: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    pub kind: String,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub root: Option<String>,
    pub keep: Option<u32>,
    pub hook: Option<Vec<String>>,
    pub hook_timeout: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGit {
    pub cache_dir: Option<String>,
    /// git e-mail → the Hangar user's verified e-mail.
    #[serde(default)]
    pub authors: BTreeMap<String, String>,
    /// Bound on git calls that reach a remote.
    pub timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAirflow {
    pub name: String,
    pub base_url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<String>,
    pub token_file: Option<String>,
    pub timeout: Option<String>,
    /// How often runs, task instances and pool usage are re-read (default 3s).
    pub sync_interval: Option<String>,
    /// How often DAGs, import errors, connections and variables are re-read (default 30s).
    pub catalogue_interval: Option<String>,
    /// How far back runs are kept (default 14d).
    pub run_window: Option<String>,
    /// Runs kept per DAG however old (default 25).
    pub runs_per_dag: Option<u32>,
    /// Multi-team environment: bundle name → team.
    pub bundles: Option<BTreeMap<String, String>>,
    /// Multi-team environment: the bundles every team sees (required with `bundles`).
    pub shared: Option<Vec<String>>,
    /// Single-team environment: everything in it belongs to this team.
    pub team: Option<String>,
    /// Optional credentials per team, used for every call made for that team.
    #[serde(default)]
    pub team_credentials: BTreeMap<String, RawCredentials>,
}

impl RawAirflow {
    pub fn credentials(&self) -> RawCredentials {
        RawCredentials {
            username: self.username.clone(),
            password: self.password.clone(),
            password_file: self.password_file.clone(),
            token_file: self.token_file.clone(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCredentials {
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<String>,
    pub token_file: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: Option<String>,
    pub public_url: Option<String>,
    /// Where the built site (`pkg/`, `favicon.svg`) lives.
    pub site_root: Option<String>,
    pub shutdown_grace: Option<String>,
    pub client_ip_header: Option<String>,
    /// Serve HTTPS (and HTTP/2) with this certificate chain and key, both PEM.
    pub tls_cert_file: Option<String>,
    pub tls_key_file: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDatabase {
    pub url: Option<String>,
    #[serde(default, deserialize_with = "number_or_numeric_string")]
    pub max_connections: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSession {
    pub idle_timeout: Option<String>,
    pub absolute_timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOidc {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub client_secret_file: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub groups_claim: Option<String>,
    pub groups_refresh_interval: Option<String>,
    pub max_token_age: Option<String>,
    pub jwks_refresh_min_interval: Option<String>,
    pub http_timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTeam {
    pub name: String,
    pub display_name: Option<String>,
    pub execution: Option<RawExecution>,
}

/// Where a team's tasks run, as the platform set it up (shown, never acted on).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExecution {
    pub executor: String,
    pub namespace: Option<String>,
    #[serde(default)]
    pub queues: Vec<String>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccessRule {
    pub group: String,
    pub team: Option<String>,
    pub role: Option<String>,
    pub platform: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    pub format: Option<String>,
    pub level: Option<String>,
}

/// Numbers set from the environment arrive as strings; accept both spellings.
pub(super) fn number_or_numeric_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrString {
        Number(u32),
        String(String),
    }
    match Option::<NumberOrString>::deserialize(deserializer)? {
        None => Ok(None),
        Some(NumberOrString::Number(n)) => Ok(Some(n)),
        Some(NumberOrString::String(s)) => {
            s.trim().parse().map(Some).map_err(|_| {
                serde::de::Error::custom(format!("expected a whole number, got {s:?}"))
            })
        }
    }
}
