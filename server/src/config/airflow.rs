//! `[[airflow]]`: the Airflow environments Hangar reads, and how their contents map to teams.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use super::raw::{RawAirflow, RawCredentials};
use super::{ConfigError, Secret, TeamConfig, parse_duration};

#[derive(Clone, Debug)]
pub struct AirflowConfig {
    pub name: String,
    pub base_url: Url,
    pub credentials: AirflowCredentials,
    pub timeout: Duration,
    /// How often runs, task instances and pool usage are re-read.
    pub sync_interval: Duration,
    /// How often DAGs, import errors, details, connections and variables are re-read.
    pub catalogue_interval: Duration,
    /// Runs this recent are kept, and at least `runs_per_dag` of every DAG however old.
    pub run_window: Duration,
    pub runs_per_dag: u32,
    pub ownership: Ownership,
    /// Credentials for calls made on behalf of one team, so that Airflow's own team filter
    /// stands behind Hangar's.
    pub team_credentials: BTreeMap<String, AirflowCredentials>,
}

#[derive(Clone, Debug)]
pub enum AirflowCredentials {
    /// Exchanged for a JWT at `POST /auth/token`, renewed before it expires.
    Password { username: String, password: Secret },
    /// A token some other process keeps fresh; the file is read again at each renewal.
    TokenFile(PathBuf),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// Bundles listed belong to their team; every other bundle is shared.
    MultiTeam { bundles: BTreeMap<String, String> },
    /// Everything in the environment belongs to one team.
    SingleTeam { team: String },
}

impl Ownership {
    /// Whether a team's pages show this environment: every multi-team environment (it holds
    /// shared things, and may hold the team's), and the team's own single-team ones.
    pub fn serves(&self, team: &str) -> bool {
        match self {
            Self::MultiTeam { .. } => true,
            Self::SingleTeam { team: owner } => owner == team,
        }
    }

    /// The team that owns something of `bundle` (a DAG, an import error): the bundle's team
    /// in a multi-team environment (`None`: shared), the environment's team otherwise.
    pub fn team_of_bundle(&self, bundle: Option<&str>) -> Option<String> {
        match self {
            Self::SingleTeam { team } => Some(team.clone()),
            Self::MultiTeam { bundles } => bundle.and_then(|b| bundles.get(b).cloned()),
        }
    }

    /// The team that owns something Airflow labels with `team_name` (a pool, connection or
    /// variable): that label in a multi-team environment (`None`: global), the environment's
    /// team otherwise. Labels are matched to the configured teams without case (Airflow 3.4
    /// folds team names to lower case), so `team_a` from Airflow is Hangar's `Team_A`.
    pub fn team_of_labelled(&self, team_name: Option<&str>) -> Option<String> {
        match self {
            Self::SingleTeam { team } => Some(team.clone()),
            Self::MultiTeam { bundles } => team_name.map(|label| {
                bundles
                    .values()
                    .find(|team| team.eq_ignore_ascii_case(label))
                    .unwrap_or(&label.to_string())
                    .clone()
            }),
        }
    }
}

pub(super) fn validate(
    raw: Vec<RawAirflow>,
    teams: &[TeamConfig],
    file: &Path,
) -> Result<Vec<AirflowConfig>, ConfigError> {
    let mut names = HashSet::new();
    raw.into_iter()
        .enumerate()
        .map(|(index, env)| {
            let error = |field: &str, message: String| ConfigError {
                file: file.to_path_buf(),
                key: format!("airflow[{index}].{field}"),
                message,
            };
            let declared = |team: &str| teams.iter().any(|t| t.name == team);
            if env.name.trim().is_empty() {
                return Err(error("name", "must not be empty".into()));
            }
            if !names.insert(env.name.clone()) {
                return Err(error("name", format!("environment {:?} is declared twice", env.name)));
            }
            let base_url = Url::parse(&env.base_url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .ok_or_else(|| error("base_url", format!("{:?} is not an http(s) URL", env.base_url)))?;
            let ownership = match (&env.bundles, &env.team) {
                (Some(bundles), None) => {
                    if let Some((bundle, team)) = bundles.iter().find(|(_, team)| !declared(team)) {
                        return Err(error(
                            &format!("bundles.{bundle}"),
                            format!("team {team:?} is not declared in a [[teams]] entry"),
                        ));
                    }
                    Ownership::MultiTeam { bundles: bundles.clone() }
                }
                (None, Some(team)) => {
                    if !declared(team) {
                        return Err(error("team", format!("team {team:?} is not declared in a [[teams]] entry")));
                    }
                    Ownership::SingleTeam { team: team.clone() }
                }
                (Some(_), Some(_)) => {
                    return Err(error("team", "set bundles (multi-team) or team (single-team), not both".into()));
                }
                (None, None) => {
                    return Err(error(
                        "bundles",
                        "say how DAGs map to teams: bundles = { bundle = \"team\" } or team = \"name\"".into(),
                    ));
                }
            };
            let credentials = read_credentials(&env.credentials(), file, &|field, message| error(field, message))?;
            let mut team_credentials = BTreeMap::new();
            for (team, raw) in &env.team_credentials {
                let field = |name: &str| format!("team_credentials.{team}.{name}");
                if !declared(team) {
                    return Err(error(
                        &format!("team_credentials.{team}"),
                        format!("team {team:?} is not declared in a [[teams]] entry"),
                    ));
                }
                let creds = read_credentials(raw, file, &|name, message| error(&field(name), message))?;
                team_credentials.insert(team.clone(), creds);
            }
            let timeout = parse_duration(env.timeout.as_deref().unwrap_or("10s")).map_err(|m| error("timeout", m))?;
            let interval = |field: &str, value: &Option<String>, default: &str, floor: Duration| {
                let interval = parse_duration(value.as_deref().unwrap_or(default)).map_err(|m| error(field, m))?;
                if interval < floor {
                    return Err(error(field, format!("must be at least {}s", floor.as_secs())));
                }
                Ok(interval)
            };
            let sync_interval = interval("sync_interval", &env.sync_interval, "3s", Duration::from_secs(1))?;
            let catalogue_interval =
                interval("catalogue_interval", &env.catalogue_interval, "30s", Duration::from_secs(5))?;
            let run_window = interval("run_window", &env.run_window, "14d", Duration::from_secs(3600))?;
            let runs_per_dag = env.runs_per_dag.unwrap_or(25);
            if runs_per_dag > 1000 {
                return Err(error("runs_per_dag", format!("{runs_per_dag} is more than 1000")));
            }
            Ok(AirflowConfig {
                name: env.name,
                base_url,
                credentials,
                timeout,
                sync_interval,
                catalogue_interval,
                run_window,
                runs_per_dag,
                ownership,
                team_credentials,
            })
        })
        .collect()
}

fn read_credentials(
    raw: &RawCredentials,
    file: &Path,
    error: &dyn Fn(&str, String) -> ConfigError,
) -> Result<AirflowCredentials, ConfigError> {
    match (&raw.username, &raw.password, &raw.password_file, &raw.token_file) {
        (Some(username), Some(password), None, None) if !password.is_empty() => Ok(AirflowCredentials::Password {
            username: username.clone(),
            password: Secret::new(password.clone()),
        }),
        (Some(username), None, Some(path), None) => Ok(AirflowCredentials::Password {
            username: username.clone(),
            password: super::read_secret_file(file, path).map_err(|m| error("password_file", m))?,
        }),
        (None, None, None, Some(path)) => {
            let path = file.parent().unwrap_or(Path::new(".")).join(path);
            if !path.is_file() {
                return Err(error("token_file", format!("{} does not exist", path.display())));
            }
            Ok(AirflowCredentials::TokenFile(path))
        }
        (None, _, _, None) => Err(error(
            "username",
            "credentials are required: username + password (or password_file), or token_file".into(),
        )),
        (Some(_), None, None, None) => Err(error("password", "is required with username (or password_file)".into())),
        _ => Err(error(
            "token_file",
            "use one kind of credentials: username + password, username + password_file, or token_file".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn bundles_map_to_teams_and_the_rest_is_shared() {
        let multi = Ownership::MultiTeam {
            bundles: BTreeMap::from([("team_a_dags".to_string(), "team_a".to_string())]),
        };
        assert_eq!(
            multi.team_of_bundle(Some("team_a_dags")).as_deref(),
            Some("team_a")
        );
        assert_eq!(multi.team_of_bundle(Some("shared_dags")), None);
        assert_eq!(multi.team_of_bundle(None), None);
        let single = Ownership::SingleTeam {
            team: "team_b".into(),
        };
        assert_eq!(
            single.team_of_bundle(Some("anything")).as_deref(),
            Some("team_b")
        );
        assert_eq!(single.team_of_bundle(None).as_deref(), Some("team_b"));
    }

    #[test]
    fn labelled_things_follow_their_label_or_the_environment() {
        let multi = Ownership::MultiTeam {
            bundles: BTreeMap::new(),
        };
        assert_eq!(
            multi.team_of_labelled(Some("team_a")).as_deref(),
            Some("team_a")
        );
        assert_eq!(multi.team_of_labelled(None), None);
        let single = Ownership::SingleTeam {
            team: "team_b".into(),
        };
        assert_eq!(
            single.team_of_labelled(Some("team_a")).as_deref(),
            Some("team_b")
        );
        // Airflow 3.4 answers in lower case; the configured spelling is kept.
        let mixed = Ownership::MultiTeam {
            bundles: BTreeMap::from([("a_dags".to_string(), "Team_A".to_string())]),
        };
        assert_eq!(
            mixed.team_of_labelled(Some("team_a")).as_deref(),
            Some("Team_A")
        );
    }
}
