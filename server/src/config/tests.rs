use std::path::Path;

use super::*;

const VALID: &str = r#"
[server]
listen = "127.0.0.1:3000"
public_url = "http://127.0.0.1:3000"

[database]
url = "sqlite://hangar.db"

[session]
idle_timeout = "8h"
absolute_timeout = "24h"

[oidc]
issuer = "https://idp.example.com"
client_id = "hangar"
client_secret = "s3cret-val"
scopes = ["openid", "email", "profile", "groups"]
groups_claim = "groups"

[[teams]]
name = "team_a"
display_name = "Team A"

[[teams]]
name = "team_b"

[[access]]
group = "team_a"
team = "team_a"
role = "author"

[[access]]
group = "airflow-admins"
platform = "admin"
"#;

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(Path::new("/etc/hangar.toml"), text, Vec::new())
}

fn load_with_env(text: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    Config::from_toml(Path::new("/etc/hangar.toml"), text, vars)
}

/// Asserts that `text` is refused with an error naming the file and `key`, mentioning `what`.
fn assert_refused(text: &str, key: &str, what: &str) {
    let err = load(text).expect_err("config should be refused");
    let shown = err.to_string();
    assert!(shown.starts_with("/etc/hangar.toml: "), "{shown}");
    assert!(shown.contains(key), "expected key {key:?} in {shown:?}");
    assert!(shown.contains(what), "expected {what:?} in {shown:?}");
}

#[test]
fn the_documented_example_is_valid() {
    let config = load(VALID).unwrap();
    assert_eq!(config.server.public_origin(), "http://127.0.0.1:3000");
    assert!(!config.server.is_https());
    assert_eq!(config.session.idle_timeout, Duration::from_secs(8 * 3600));
    assert_eq!(config.teams[1].display_name, "team_b");
    assert_eq!(
        config.access[0].grant,
        AccessGrant::Team {
            team_index: 0,
            role: TeamRole::Author
        }
    );
    assert_eq!(
        config.access[1].grant,
        AccessGrant::Platform(PlatformRole::Admin)
    );
}

#[test]
fn unknown_key_is_named() {
    assert_refused(
        &VALID.replace("groups_claim", "group_claim"),
        "",
        "unknown field `group_claim`",
    );
    assert_refused(
        &format!("{VALID}\n[serverr]\n"),
        "",
        "unknown field `serverr`",
    );
}

#[test]
fn bad_duration_is_named() {
    assert_refused(
        &VALID.replace("\"8h\"", "\"8 hours\""),
        "session.idle_timeout",
        "bad duration",
    );
}

#[test]
fn idle_longer_than_absolute_is_refused() {
    assert_refused(
        &VALID.replace("\"8h\"", "\"2d\""),
        "session.idle_timeout",
        "absolute_timeout",
    );
}

#[test]
fn unknown_role_is_named() {
    assert_refused(
        &VALID.replace("role = \"author\"", "role = \"owner\""),
        "access[0].role",
        "\"owner\" is not a team role",
    );
    assert_refused(
        &VALID.replace("platform = \"admin\"", "platform = \"root\""),
        "access[1].platform",
        "not a platform role",
    );
}

#[test]
fn undeclared_team_is_named() {
    assert_refused(
        &VALID.replace("team = \"team_a\"", "team = \"team_z\""),
        "access[0].team",
        "\"team_z\" is not declared",
    );
}

#[test]
fn bad_and_duplicate_team_names_are_refused() {
    assert_refused(
        &VALID.replace("name = \"team_b\"", "name = \"b\""),
        "teams[1].name",
        "not a valid team name",
    );
    assert_refused(
        &VALID.replace("name = \"team_b\"", "name = \"team a!\""),
        "teams[1].name",
        "not a valid team name",
    );
    assert_refused(
        &VALID.replace("name = \"team_b\"", "name = \"team_a\""),
        "teams[1].name",
        "declared twice",
    );
}

#[test]
fn issuer_must_be_https_outside_loopback() {
    assert_refused(
        &VALID.replace("https://idp.example.com", "http://idp.example.com"),
        "oidc.issuer",
        "must use https",
    );
    for loopback in [
        "http://127.0.0.1:4000",
        "http://localhost:4000",
        "http://[::1]:4000",
    ] {
        let config = load(&VALID.replace("https://idp.example.com", loopback));
        assert!(config.is_ok(), "{loopback}: {:?}", config.err());
    }
}

#[test]
fn a_rule_is_either_team_or_platform() {
    assert_refused(
        &VALID.replace(
            "platform = \"admin\"",
            "platform = \"admin\"\nteam = \"team_a\"\nrole = \"viewer\"",
        ),
        "access[1].platform",
        "not both",
    );
    assert_refused(
        &VALID.replace("role = \"author\"", ""),
        "access[0].role",
        "required",
    );
}

#[test]
fn secret_is_required_and_never_printed() {
    assert_refused(
        &VALID.replace("client_secret = \"s3cret-val\"", ""),
        "oidc.client_secret",
        "required",
    );
    let config = load(VALID).unwrap();
    let debug = format!("{config:?}");
    assert!(!debug.contains("s3cret-val"), "secret leaked into Debug");
}

#[test]
fn secret_can_come_from_a_file_next_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.txt"), "from-file\n").unwrap();
    let text = VALID.replace(
        "client_secret = \"s3cret-val\"",
        "client_secret_file = \"secret.txt\"",
    );
    let config = Config::from_toml(&dir.path().join("hangar.toml"), &text, Vec::new()).unwrap();
    assert_eq!(config.oidc.client_secret.expose(), "from-file");

    let missing = text.replace("secret.txt", "nope.txt");
    let err = Config::from_toml(&dir.path().join("hangar.toml"), &missing, Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("oidc.client_secret_file") && err.contains("nope.txt"),
        "{err}"
    );
}

#[test]
fn environment_overrides_the_file() {
    let config = load_with_env(
        VALID,
        &[
            ("HANGAR_OIDC__CLIENT_SECRET", "from-env"),
            ("HANGAR_DATABASE__URL", "postgres://u@127.0.0.1/h"),
            ("HANGAR_SESSION__IDLE_TIMEOUT", "30m"),
        ],
    )
    .unwrap();
    assert_eq!(config.oidc.client_secret.expose(), "from-env");
    assert!(config.database.url.expose().starts_with("postgres://"));
    assert_eq!(config.session.idle_timeout, Duration::from_secs(1800));
}

#[test]
fn bad_environment_override_is_named() {
    let err = load_with_env(VALID, &[("HANGAR_SESSION__IDLE_TIMEOUT", "soon")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("session.idle_timeout"), "{err}");
    let err = load_with_env(VALID, &[("HANGAR_OIDC__NOPE", "x")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown field `nope`") && err.contains("HANGAR_OIDC__NOPE"),
        "{err}"
    );
}

#[test]
fn other_bad_values_are_named() {
    assert_refused(
        &VALID.replace("sqlite://hangar.db", "mysql://x"),
        "database.url",
        "sqlite: or postgres://",
    );
    assert_refused(
        &VALID.replace("listen = \"127.0.0.1:3000\"", "listen = \"everywhere\""),
        "server.listen",
        "not an address",
    );
    assert_refused(
        &VALID.replace(
            "\"http://127.0.0.1:3000\"",
            "\"http://127.0.0.1:3000/hangar\"",
        ),
        "server.public_url",
        "without a path",
    );
    assert_refused(
        &VALID.replace(
            "[\"openid\", \"email\", \"profile\", \"groups\"]",
            "[\"email\"]",
        ),
        "oidc.scopes",
        "openid",
    );
    assert_refused(
        &VALID.replace(
            "groups_claim = \"groups\"",
            "groups_refresh_interval = \"1h\"",
        ),
        "oidc.groups_refresh_interval",
        "at most 15m",
    );
    assert_refused("[server]\n", "oidc", "required");
    assert_refused("this is not toml", "", "not valid TOML");
}

#[test]
fn team_name_rule_matches_airflow() {
    assert!(is_valid_team_name("team_a"));
    assert!(is_valid_team_name("data-eng-42"));
    assert!(!is_valid_team_name("ab"));
    assert!(!is_valid_team_name(&"x".repeat(51)));
    assert!(!is_valid_team_name("team/a"));
    assert!(!is_valid_team_name("équipe"));
}

const AIRFLOW: &str = r#"
[[airflow]]
name = "main"
base_url = "http://127.0.0.1:8080"
username = "hangar"
password = "pw"
bundles = { team_a_dags = "team_a", team_b_dags = "team_b" }
shared = ["shared_dags"]

[[airflow]]
name = "b-only"
base_url = "https://airflow-b.example.com"
username = "hangar"
password = "pw"
team = "team_b"
"#;

#[test]
fn airflow_environments_are_typed() {
    let config = load(&format!("{VALID}{AIRFLOW}")).unwrap();
    assert_eq!(config.airflow.len(), 2);
    let main = &config.airflow[0];
    assert_eq!(main.timeout, Duration::from_secs(10));
    assert_eq!(main.sync_interval, Duration::from_secs(3));
    assert_eq!(main.catalogue_interval, Duration::from_secs(30));
    assert_eq!(main.run_window, Duration::from_secs(14 * 86_400));
    assert_eq!(main.runs_per_dag, 25);
    match &main.ownership {
        Ownership::MultiTeam { bundles, shared } => {
            assert_eq!(bundles["team_a_dags"], "team_a");
            assert!(shared.contains("shared_dags"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        config.airflow[1].ownership,
        Ownership::SingleTeam {
            team: "team_b".into()
        }
    );
    assert!(
        !format!("{config:?}").contains("\"pw\""),
        "password leaked into Debug"
    );
}

#[test]
fn airflow_mistakes_are_named() {
    let text = |airflow: &str| format!("{VALID}{airflow}");
    assert_refused(
        &text(&AIRFLOW.replace("team_b_dags = \"team_b\"", "team_b_dags = \"team_z\"")),
        "airflow[0].bundles.team_b_dags",
        "\"team_z\" is not declared",
    );
    assert_refused(
        &text(&AIRFLOW.replace("team = \"team_b\"", "")),
        "airflow[1].bundles",
        "how DAGs map to teams",
    );
    assert_refused(
        &text(&AIRFLOW.replace("team = \"team_b\"", "team = \"team_b\"\nbundles = {}")),
        "airflow[1].team",
        "not both",
    );
    // A configuration from before deny-by-default: unlisted bundles are no longer shared.
    assert_refused(
        &text(&AIRFLOW.replace("shared = [\"shared_dags\"]\n", "")),
        "airflow[0].shared",
        "shared = [\"shared_dags\"]",
    );
    assert_refused(
        &text(&AIRFLOW.replace("[\"shared_dags\"]", "[\"team_a_dags\"]")),
        "airflow[0].shared",
        "not both",
    );
    assert_refused(
        &text(&AIRFLOW.replace("[\"shared_dags\"]", "[\"s\", \"s\"]")),
        "airflow[0].shared",
        "listed twice",
    );
    assert_refused(
        &text(&AIRFLOW.replace("team = \"team_b\"", "team = \"team_b\"\nshared = []")),
        "airflow[1].shared",
        "single-team",
    );
    assert_refused(
        &text(&AIRFLOW.replace("name = \"b-only\"", "name = \"main\"")),
        "airflow[1].name",
        "declared twice",
    );
    assert_refused(
        &text(&AIRFLOW.replace("https://airflow-b.example.com", "ftp://x")),
        "airflow[1].base_url",
        "not an http(s) URL",
    );
    assert_refused(
        &text(&AIRFLOW.replacen("password = \"pw\"\n", "", 1)),
        "airflow[0].password",
        "required",
    );
    assert_refused(
        &text(&AIRFLOW.replacen(
            "password = \"pw\"\n",
            "password = \"pw\"\ntoken_file = \"t\"\n",
            1,
        )),
        "airflow[0].token_file",
        "one kind of credentials",
    );
    assert_refused(
        &text(&format!(
            "{AIRFLOW}\n[airflow.team_credentials.team_z]\nusername = \"u\"\npassword = \"p\"\n"
        )),
        "airflow[1].team_credentials.team_z",
        "not declared",
    );
    assert_refused(
        &text(&AIRFLOW.replacen(
            "password = \"pw\"\n",
            "password = \"pw\"\ntimeout = \"soon\"\n",
            1,
        )),
        "airflow[0].timeout",
        "bad duration",
    );
    assert_refused(
        &text(&AIRFLOW.replacen(
            "password = \"pw\"\n",
            "password = \"pw\"\nsync_interval = \"0s\"\n",
            1,
        )),
        "airflow[0].sync_interval",
        "longer than zero",
    );
    assert_refused(
        &text(&AIRFLOW.replacen(
            "password = \"pw\"\n",
            "password = \"pw\"\ncatalogue_interval = \"2s\"\n",
            1,
        )),
        "airflow[0].catalogue_interval",
        "at least 5s",
    );
}

#[test]
fn per_team_airflow_credentials_are_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.pw"), "team-a-secret\n").unwrap();
    let text = format!(
        "{VALID}{AIRFLOW}\n[airflow.team_credentials.team_b]\nusername = \"team_b_svc\"\npassword_file = \"a.pw\"\n"
    );
    let config = Config::from_toml(&dir.path().join("hangar.toml"), &text, Vec::new()).unwrap();
    match &config.airflow[1].team_credentials["team_b"] {
        AirflowCredentials::Password { username, password } => {
            assert_eq!(username, "team_b_svc");
            assert_eq!(password.expose(), "team-a-secret");
        }
        other => panic!("{other:?}"),
    }
}

const DEPLOY: &str = r#"
[[deploy]]
team = "team_a"
repository = "/srv/dags.git"
branch = "main"
paths = ["team_a/", "common/"]
min_approvals = 2
approver_role = "operator"
break_glass_role = "admin"
auto_deploy = false
request_ttl = "2d"
[[deploy.target]]
kind = "ref"
ref = "refs/heads/deploy/team_a"
[[deploy.target]]
kind = "directory"
root = "/srv/airflow/dags/team_a"
keep = 3
hook = ["/usr/local/bin/sync-artifacts", "{sha}"]

[git]
cache_dir = "/var/lib/hangar/repos"
authors = { "1234+bob@users.noreply.github.com" = "bob@example.com" }
"#;

#[test]
fn a_deploy_section_is_read_whole() {
    let config = load(&format!("{VALID}{DEPLOY}")).unwrap();
    let deploy = &config.deploys[0];
    assert_eq!(deploy.team, "team_a");
    assert_eq!(deploy.paths, vec!["team_a/", "common/"]);
    assert_eq!(deploy.policy.min_approvals, 2);
    assert_eq!(deploy.policy.approver_role, TeamRole::Operator);
    assert!(!deploy.auto_deploy);
    assert_eq!(deploy.request_ttl, Duration::from_secs(2 * 86400));
    assert_eq!(
        deploy.targets,
        vec![
            TargetConfig::Ref {
                reference: "refs/heads/deploy/team_a".into()
            },
            TargetConfig::Directory {
                root: "/srv/airflow/dags/team_a".into(),
                keep: 3,
                hook: Some(vec!["/usr/local/bin/sync-artifacts".into(), "{sha}".into()]),
                hook_timeout: Duration::from_secs(600),
            },
        ]
    );
    assert_eq!(config.git.cache_dir, Path::new("/var/lib/hangar/repos"));
}

#[test]
fn deploy_defaults_ask_for_one_author_and_deploy_when_approved() {
    let text = format!(
        "{VALID}\n[[deploy]]\nteam = \"team_b\"\nrepository = \"/srv/dags.git\"\npaths = [\"team_b/\"]\n\
         [[deploy.target]]\nkind = \"ref\"\nref = \"refs/heads/deploy/team_b\"\n"
    );
    let config = load(&text).unwrap();
    let deploy = &config.deploys[0];
    assert_eq!(deploy.branch, "main");
    assert_eq!(deploy.policy.min_approvals, 1);
    assert_eq!(deploy.policy.approver_role, TeamRole::Author);
    assert_eq!(deploy.policy.break_glass_role, TeamRole::Admin);
    assert!(deploy.auto_deploy);
}

#[test]
fn bad_deploy_settings_name_their_key() {
    let with = |from: &str, to: &str| {
        assert!(DEPLOY.contains(from), "{from}");
        format!("{VALID}{}", DEPLOY.replacen(from, to, 1))
    };
    for (from, to, key, what) in [
        (
            "team = \"team_a\"",
            "team = \"team_z\"",
            "deploy[0].team",
            "not declared",
        ),
        (
            "min_approvals = 2",
            "min_approvals = 0",
            "deploy[0].min_approvals",
            "at least 1",
        ),
        (
            "approver_role = \"operator\"",
            "approver_role = \"boss\"",
            "deploy[0].approver_role",
            "not a team role",
        ),
        (
            "paths = [\"team_a/\", \"common/\"]",
            "paths = [\"../etc/\"]",
            "deploy[0].paths[0]",
            "relative repository path",
        ),
        (
            "paths = [\"team_a/\", \"common/\"]",
            "paths = []",
            "deploy[0].paths",
            "list the repository folders",
        ),
        (
            "branch = \"main\"",
            "branch = \"--upload-pack=evil\"",
            "deploy[0].branch",
            "not a valid git branch",
        ),
        (
            "ref = \"refs/heads/deploy/team_a\"",
            "ref = \"deploy/team_a\"",
            "deploy[0].target[0].ref",
            "refs/",
        ),
        (
            "ref = \"refs/heads/deploy/team_a\"",
            "ref = \"refs/heads/main\"",
            "deploy[0].target[0].ref",
            "branch candidates come from",
        ),
        (
            "kind = \"ref\"",
            "kind = \"s3\"",
            "deploy[0].target[0].kind",
            "not a target kind",
        ),
        (
            "root = \"/srv/airflow/dags/team_a\"",
            "root = \"dags\"",
            "deploy[0].target[1].root",
            "absolute",
        ),
        (
            "keep = 3",
            "keep = 1",
            "deploy[0].target[1].keep",
            "at least 2",
        ),
        (
            "hook = [\"/usr/local/bin/sync-artifacts\", \"{sha}\"]",
            "hook = []",
            "deploy[0].target[1].hook",
            "must name a program",
        ),
        (
            "request_ttl = \"2d\"",
            "request_ttl = \"soon\"",
            "deploy[0].request_ttl",
            "",
        ),
        (
            "\"bob@example.com\"",
            "\"bob\"",
            "git.authors.",
            "not an e-mail address",
        ),
    ] {
        assert_refused(&with(from, to), key, what);
    }
    let twice = format!("{VALID}{DEPLOY}{}", DEPLOY.split("[git]").next().unwrap());
    assert_refused(&twice, "deploy[1].team", "two [[deploy]] entries");
    assert_refused(
        &with("kind = \"ref\"", "kind = \"ref\"\nroot = \"/x\""),
        "deploy[0].target[0].kind",
        "only ref",
    );
}

#[test]
fn audit_retention_is_read() {
    let config = load(VALID).unwrap();
    assert_eq!(config.audit, AuditConfig::default());
    let config = load(&format!(
        "{VALID}\n[audit]\nretention = \"400d\"\narchive_dir = \"/var/lib/hangar/audit\"\nverify_interval = \"15m\"\n"
    ))
    .unwrap();
    assert_eq!(
        config.audit.retention,
        Some(Duration::from_secs(400 * 86_400))
    );
    assert_eq!(
        config.audit.archive_dir.as_deref(),
        Some(Path::new("/var/lib/hangar/audit"))
    );
    assert_eq!(config.audit.verify_interval, Duration::from_secs(900));
    let env = load_with_env(VALID, &[("HANGAR_AUDIT__RETENTION", "90d")]).unwrap();
    assert_eq!(env.audit.retention, Some(Duration::from_secs(90 * 86_400)));
}

#[test]
fn bad_audit_settings_name_their_key() {
    for (section, key, what) in [
        ("retention = \"12h\"", "audit.retention", "at least 1d"),
        ("retention = \"a year\"", "audit.retention", "duration"),
        (
            "archive_dir = \"/tmp/a\"",
            "audit.archive_dir",
            "audit.retention",
        ),
        (
            "retention = \"30d\"\narchive_dir = \" \"",
            "audit.archive_dir",
            "empty",
        ),
        (
            "verify_interval = \"10s\"",
            "audit.verify_interval",
            "at least 1m",
        ),
        ("keep = \"30d\"", "keep", "unknown field"),
    ] {
        assert_refused(&format!("{VALID}\n[audit]\n{section}\n"), key, what);
    }
}

#[test]
fn metrics_are_off_until_protected() {
    let config = load(VALID).unwrap();
    assert_eq!(config.metrics, MetricsConfig::default());
    assert!(!config.metrics.on_main_listener());
    let with_token = load(&format!(
        "{VALID}\n[metrics]\nbearer_token = \"0123456789abcdef\"\n"
    ))
    .unwrap();
    assert!(with_token.metrics.on_main_listener());
    let own = load_with_env(VALID, &[("HANGAR_METRICS__LISTEN", "127.0.0.1:9100")]).unwrap();
    assert_eq!(own.metrics.listen, Some("127.0.0.1:9100".parse().unwrap()));
    assert!(!own.metrics.on_main_listener());
    // The token never shows in a debug print of the configuration.
    assert!(!format!("{:?}", with_token.metrics).contains("0123456789abcdef"));
}

#[test]
fn bad_metrics_settings_name_their_key() {
    for (section, key, what) in [
        (
            "bearer_token = \"short\"",
            "metrics.bearer_token",
            "at least 16",
        ),
        (
            "bearer_token = \"0123456789abcdef\"\nbearer_token_file = \"t\"",
            "metrics.bearer_token",
            "not both",
        ),
        (
            "bearer_token_file = \"/nonexistent/token\"",
            "metrics.bearer_token_file",
            "cannot read",
        ),
        ("listen = \"9100\"", "metrics.listen", "not an address"),
        (
            "listen = \"127.0.0.1:3000\"",
            "metrics.listen",
            "server.listen",
        ),
        ("token = \"x\"", "token", "unknown field"),
    ] {
        assert_refused(&format!("{VALID}\n[metrics]\n{section}\n"), key, what);
    }
}

#[test]
fn limits_default_and_can_be_set_from_the_environment() {
    let config = load(VALID).unwrap();
    assert_eq!(config.limits, crate::config::LimitsConfig::default());
    assert_eq!(config.server.client_ip_header, None);
    let config = load_with_env(
        &format!("{VALID}\n[limits]\nrequests_per_ip = 100\n"),
        &[
            ("HANGAR_LIMITS__REQUESTS_PER_SESSION", "30"),
            ("HANGAR_LIMITS__MAX_BODY_BYTES", "131072"),
            ("HANGAR_SERVER__CLIENT_IP_HEADER", "X-Forwarded-For"),
        ],
    )
    .unwrap();
    assert_eq!(config.limits.requests_per_ip.get(), 100);
    assert_eq!(config.limits.requests_per_session.get(), 30);
    assert_eq!(config.limits.max_body_bytes, 131072);
    assert_eq!(
        config.server.client_ip_header.as_ref().map(|h| h.as_str()),
        Some("x-forwarded-for")
    );
}

#[test]
fn limit_mistakes_are_named() {
    assert_refused(
        &format!("{VALID}\n[limits]\nrequests_per_ip = 0\n"),
        "limits.requests_per_ip",
        "at least 1",
    );
    assert_refused(
        &format!("{VALID}\n[limits]\nmax_body_bytes = 10\n"),
        "limits.max_body_bytes",
        "between",
    );
    assert_refused(
        &format!("{VALID}\n[limits]\nburst = 3\n"),
        "",
        "unknown field",
    );
    assert_refused(
        &VALID.replace(
            "public_url = \"http://127.0.0.1:3000\"",
            "public_url = \"http://127.0.0.1:3000\"\nclient_ip_header = \"bad header\"",
        ),
        "server.client_ip_header",
        "not a header name",
    );
}

#[test]
fn failed_tries_are_read_ahead_unless_configured_otherwise() {
    use super::ReadAhead;
    assert_eq!(load(VALID).unwrap().task_logs.read_ahead, ReadAhead::Failed);
    for (text, expected) in [
        ("off", ReadAhead::Off),
        ("failed", ReadAhead::Failed),
        ("finished", ReadAhead::Finished),
    ] {
        let config = load(&format!("{VALID}\n[task_logs]\nread_ahead = \"{text}\"\n")).unwrap();
        assert_eq!(config.task_logs.read_ahead, expected);
    }
    let from_env = load_with_env(VALID, &[("HANGAR_TASK_LOGS__READ_AHEAD", "off")]).unwrap();
    assert_eq!(from_env.task_logs.read_ahead, ReadAhead::Off);
    assert_eq!(ReadAhead::Off.states(), &[] as &[&str]);
    assert_eq!(ReadAhead::Finished.states(), &["failed", "success"]);
    assert_refused(
        &format!("{VALID}\n[task_logs]\nread_ahead = \"all\"\n"),
        "task_logs.read_ahead",
        "off, failed or finished",
    );
}
