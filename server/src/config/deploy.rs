//! `[[deploy]]`: where each team's DAGs come from, who must review them, and where they go;
//! `[git]`: Hangar's repository cache and the git e-mails that belong to other addresses.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hangar_app::models::TeamRole;

use url::Url;

use super::raw::{RawDeploy, RawGit, RawNotify, RawTarget};
use super::{ConfigError, Secret, TeamConfig, parse_duration, read_secret_file};
use crate::review::policy::{AuthorAliases, Authorship, OutsidePaths, Policy};

#[derive(Clone, Debug)]
pub struct DeployConfig {
    pub team: String,
    /// A local path or a URL the server can fetch.
    pub repository: String,
    /// Where candidates come from.
    pub branch: String,
    /// The repository paths this team deploys (literal prefixes such as `team_a/`).
    pub paths: Vec<String>,
    pub policy: Policy,
    /// Deploy as soon as the approvals are met, rather than on a click.
    pub auto_deploy: bool,
    /// Pending requests expire after this long.
    pub request_ttl: Duration,
    /// After a deploy, Airflow should run the new version within this long; later, the
    /// deploy is marked "not picked up".
    pub confirm_within: Duration,
    /// What to do with a candidate that changes files outside `paths` (which a ref target
    /// receives).
    pub outside_paths: OutsidePaths,
    pub targets: Vec<TargetConfig>,
    /// Webhooks told about the team's requests.
    pub notify: Vec<NotifyConfig>,
}

/// One `[[deploy.notify]]`: a webhook told about a team's deploy requests.
#[derive(Clone, Debug)]
pub struct NotifyConfig {
    /// May carry a secret (a Slack webhook URL is one): never shown whole.
    pub url: Url,
    pub format: Format,
    /// Signs every delivery (HMAC-SHA256) when set.
    pub secret: Option<Secret>,
    pub events: Vec<Event>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetConfig {
    Ref {
        reference: String,
    },
    Directory {
        root: PathBuf,
        keep: usize,
        hook: Option<Vec<String>>,
        /// The hook (and everything it started) is killed after this long.
        hook_timeout: Duration,
    },
}

#[derive(Clone, Debug)]
pub struct GitConfig {
    /// Hangar's bare repository caches, one per team.
    pub cache_dir: PathBuf,
    pub authors: AuthorAliases,
    /// Every git call that talks to a remote (fetch, ls-remote, push) is killed after this.
    pub timeout: Duration,
    /// `[tls] ca_file`, given to git as `http.sslCAInfo` for HTTPS remotes.
    pub ca_file: Option<PathBuf>,
}

/// Long enough to fetch a large DAG repository over a slow link; short enough that a hung
/// remote fails a deploy in minutes, not never.
pub const DEFAULT_GIT_TIMEOUT: Duration = Duration::from_secs(300);
/// The deploy hook's default bound.
pub const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(600);

impl Default for GitConfig {
    fn default() -> Self {
        Self {
            cache_dir: PathBuf::from("hangar-repos"),
            authors: AuthorAliases::default(),
            timeout: DEFAULT_GIT_TIMEOUT,
            ca_file: None,
        }
    }
}

pub(super) fn validate_git(
    raw: RawGit,
    ca_file: Option<PathBuf>,
    file: &Path,
) -> Result<GitConfig, ConfigError> {
    let error = |key: &str, message: String| ConfigError {
        file: file.to_path_buf(),
        key: format!("git.{key}"),
        message,
    };
    for (git_email, user_email) in &raw.authors {
        for email in [git_email, user_email] {
            if !email.contains('@') || email.trim() != email {
                return Err(error(
                    &format!("authors.{git_email}"),
                    format!("{email:?} is not an e-mail address"),
                ));
            }
        }
    }
    let timeout = match raw.timeout.as_deref() {
        Some(text) => parse_duration(text).map_err(|m| error("timeout", m))?,
        None => DEFAULT_GIT_TIMEOUT,
    };
    Ok(GitConfig {
        cache_dir: PathBuf::from(raw.cache_dir.unwrap_or_else(|| "hangar-repos".into())),
        authors: AuthorAliases::new(raw.authors.iter().map(|(g, u)| (g.as_str(), u.as_str()))),
        timeout,
        ca_file,
    })
}

pub(super) fn validate(
    raw: Vec<RawDeploy>,
    teams: &[TeamConfig],
    file: &Path,
) -> Result<Vec<DeployConfig>, ConfigError> {
    let mut seen = HashSet::new();
    raw.into_iter()
        .enumerate()
        .map(|(index, deploy)| {
            let error = |field: &str, message: String| ConfigError {
                file: file.to_path_buf(),
                key: format!("deploy[{index}].{field}"),
                message,
            };
            if !teams.iter().any(|t| t.name == deploy.team) {
                return Err(error(
                    "team",
                    format!(
                        "team {:?} is not declared in a [[teams]] entry",
                        deploy.team
                    ),
                ));
            }
            if !seen.insert(deploy.team.clone()) {
                return Err(error(
                    "team",
                    format!("team {:?} has two [[deploy]] entries", deploy.team),
                ));
            }
            if deploy.repository.trim().is_empty() || deploy.repository.starts_with('-') {
                return Err(error(
                    "repository",
                    "must be a path or URL git can fetch".into(),
                ));
            }
            let branch = deploy.branch.unwrap_or_else(|| "main".into());
            check_branch(&branch).map_err(|m| error("branch", m))?;
            if deploy.paths.is_empty() {
                return Err(error(
                    "paths",
                    "list the repository folders this team deploys, such as [\"team_a/\"]".into(),
                ));
            }
            for (n, path) in deploy.paths.iter().enumerate() {
                check_repository_path(path).map_err(|m| error(&format!("paths[{n}]"), m))?;
            }
            let role = |field: &str, value: Option<String>, default: TeamRole| match value {
                None => Ok(default),
                Some(name) => TeamRole::parse(&name).ok_or_else(|| {
                    error(
                        field,
                        format!("{name:?} is not a team role (viewer, operator, author or admin)"),
                    )
                }),
            };
            let approver_role = role("approver_role", deploy.approver_role, TeamRole::Author)?;
            let break_glass_role =
                role("break_glass_role", deploy.break_glass_role, TeamRole::Admin)?;
            let min_approvals = deploy.min_approvals.unwrap_or(1);
            if min_approvals == 0 {
                return Err(error(
                    "min_approvals",
                    "must be at least 1: a deploy without review is what break-glass is for".into(),
                ));
            }
            let request_ttl = parse_duration(deploy.request_ttl.as_deref().unwrap_or("7d"))
                .map_err(|m| error("request_ttl", m))?;
            let confirm_within = parse_duration(deploy.confirm_within.as_deref().unwrap_or("10m"))
                .map_err(|m| error("confirm_within", m))?;
            if deploy.targets.is_empty() {
                return Err(error(
                    "target",
                    "add at least one [[deploy.target]] (kind = \"ref\" or \"directory\")".into(),
                ));
            }
            let authorship = match deploy.authorship.as_deref() {
                None => Authorship::Emails,
                Some(text) => Authorship::parse(text).ok_or_else(|| {
                    error(
                        "authorship",
                        format!("{text:?} is not an authorship rule (signatures or emails)"),
                    )
                })?,
            };
            let outside_paths = match deploy.outside_paths.as_deref() {
                None => OutsidePaths::Review,
                Some(text) => OutsidePaths::parse(text).ok_or_else(|| {
                    error(
                        "outside_paths",
                        format!("{text:?} is not a setting (review or refuse)"),
                    )
                })?,
            };
            let notify = deploy
                .notify
                .into_iter()
                .enumerate()
                .map(|(n, raw)| {
                    validate_notify(raw, file, &|field, message| {
                        error(&format!("notify[{n}].{field}"), message)
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let targets = deploy
                .targets
                .into_iter()
                .enumerate()
                .map(|(n, target)| {
                    validate_target(target, &branch, &|field, message| {
                        error(&format!("target[{n}].{field}"), message)
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(DeployConfig {
                team: deploy.team,
                repository: deploy.repository,
                branch,
                paths: deploy.paths,
                policy: Policy {
                    min_approvals,
                    approver_role,
                    break_glass_role,
                    authorship,
                },
                auto_deploy: deploy.auto_deploy.unwrap_or(true),
                request_ttl,
                confirm_within,
                outside_paths,
                targets,
                notify,
            })
        })
        .collect()
}

fn validate_notify(
    raw: RawNotify,
    file: &Path,
    error: &dyn Fn(&str, String) -> ConfigError,
) -> Result<NotifyConfig, ConfigError> {
    // The URL may hold a secret: messages never echo it.
    let url = Url::parse(&raw.url).map_err(|_| error("url", "is not a URL".into()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(error("url", "must be an http or https URL".into()));
    }
    let format = match raw.format.as_deref() {
        None => Format::Json,
        Some(text) => Format::parse(text).ok_or_else(|| {
            error(
                "format",
                format!("{text:?} is not a webhook format (slack or json)"),
            )
        })?,
    };
    let secret = match (raw.secret, raw.secret_file) {
        (Some(_), Some(_)) => {
            return Err(error(
                "secret",
                "set either secret or secret_file, not both".into(),
            ));
        }
        (Some(secret), None) if secret.len() >= 16 => Some(Secret::new(secret)),
        (Some(_), None) => {
            return Err(error(
                "secret",
                "must be at least 16 characters: it is what receivers check deliveries with".into(),
            ));
        }
        (None, Some(path)) => {
            Some(read_secret_file(file, &path).map_err(|m| error("secret_file", m))?)
        }
        (None, None) => None,
    };
    let events = match raw.events {
        None => Event::ALL.to_vec(),
        Some(names) if names.is_empty() => {
            return Err(error(
                "events",
                "name at least one event (or leave the key out for all of them)".into(),
            ));
        }
        Some(names) => names
            .iter()
            .map(|name| {
                Event::parse(name).ok_or_else(|| {
                    error(
                        "events",
                        format!(
                            "{name:?} is not an event ({})",
                            Event::ALL.map(Event::as_str).join(", ")
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(NotifyConfig {
        url,
        format,
        secret,
        events,
    })
}

fn validate_target(
    raw: RawTarget,
    branch: &str,
    error: &dyn Fn(&str, String) -> ConfigError,
) -> Result<TargetConfig, ConfigError> {
    match raw.kind.as_str() {
        "ref" => {
            if raw.root.is_some()
                || raw.keep.is_some()
                || raw.hook.is_some()
                || raw.hook_timeout.is_some()
            {
                return Err(error("kind", "a ref target takes only ref".into()));
            }
            let reference = raw.reference.ok_or_else(|| {
                error(
                    "ref",
                    "is required, such as \"refs/heads/deploy/team_a\"".into(),
                )
            })?;
            let name = reference.strip_prefix("refs/").ok_or_else(|| {
                error(
                    "ref",
                    format!("{reference:?} must be a full ref name starting with refs/"),
                )
            })?;
            check_branch(name).map_err(|m| error("ref", m))?;
            if reference == format!("refs/heads/{branch}") {
                return Err(error(
                    "ref",
                    "must not be the branch candidates come from".into(),
                ));
            }
            Ok(TargetConfig::Ref { reference })
        }
        "directory" => {
            if raw.reference.is_some() {
                return Err(error(
                    "ref",
                    "belongs to a ref target, not a directory one".into(),
                ));
            }
            let root = PathBuf::from(
                raw.root
                    .ok_or_else(|| error("root", "is required".into()))?,
            );
            if !root.is_absolute() {
                return Err(error(
                    "root",
                    format!("{} must be an absolute path", root.display()),
                ));
            }
            let keep = raw.keep.unwrap_or(5);
            if keep < 2 {
                return Err(error(
                    "keep",
                    "must be at least 2: the current version and the one before it".into(),
                ));
            }
            if let Some(hook) = &raw.hook
                && hook.first().is_none_or(|program| program.trim().is_empty())
            {
                return Err(error(
                    "hook",
                    "must name a program, such as [\"/usr/local/bin/sync\", \"{sha}\"]".into(),
                ));
            }
            let hook_timeout = match raw.hook_timeout.as_deref() {
                Some(_) if raw.hook.is_none() => {
                    return Err(error("hook_timeout", "needs a hook".into()));
                }
                Some(text) => parse_duration(text).map_err(|m| error("hook_timeout", m))?,
                None => DEFAULT_HOOK_TIMEOUT,
            };
            Ok(TargetConfig::Directory {
                root,
                keep: keep as usize,
                hook: raw.hook,
                hook_timeout,
            })
        }
        other => Err(error(
            "kind",
            format!("{other:?} is not a target kind (ref or directory)"),
        )),
    }
}

/// Branch and ref names as git accepts them, minus anything that could read as an option.
fn check_branch(name: &str) -> Result<(), String> {
    let bad = name.is_empty()
        || name.starts_with('-')
        || name.starts_with('/')
        || name.ends_with('/')
        || name.ends_with(".lock")
        || name.ends_with('.')
        || name.contains("..")
        || name.contains("@{")
        || name.contains("//")
        || name
            .chars()
            .any(|c| c.is_ascii_control() || " ~^:?*[\\".contains(c));
    if bad {
        Err(format!("{name:?} is not a valid git branch or ref name"))
    } else {
        Ok(())
    }
}

/// A repository path a team deploys: relative, plain, outside `.git`.
fn check_repository_path(path: &str) -> Result<(), String> {
    let plain = !path.is_empty()
        && !path.starts_with('/')
        && path
            .trim_end_matches('/')
            .split('/')
            .all(|part| !matches!(part, "" | "." | "..") && !part.eq_ignore_ascii_case(".git"));
    if plain {
        Ok(())
    } else {
        Err(format!(
            "{path:?} must be a relative repository path such as \"team_a/\""
        ))
    }
}

/// What happened to a deploy request, as `[[deploy.notify]] events` names it (the
/// notifier, `deploy/notify.rs`, tells it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Opened,
    Approved,
    Rejected,
    Deployed,
    Failed,
    BreakGlass,
}

impl Event {
    pub const ALL: [Event; 6] = [
        Self::Opened,
        Self::Approved,
        Self::Rejected,
        Self::Deployed,
        Self::Failed,
        Self::BreakGlass,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Deployed => "deployed",
            Self::Failed => "failed",
            Self::BreakGlass => "break_glass",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|event| event.as_str() == text)
    }
}

/// How a notification hook wants its body (`[[deploy.notify]] format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `{"text": "…"}`, as Slack's (and Mattermost's, Teams' workflow) incoming webhooks take.
    Slack,
    /// Hangar's own JSON: the event and the request's fields.
    Json,
}

impl Format {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "slack" => Some(Self::Slack),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}
