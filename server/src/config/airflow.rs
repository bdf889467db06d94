//! `[[airflow]]`: the Airflow environments Hangar reads, and how their contents map to teams.

use std::collections::{BTreeMap, BTreeSet, HashSet};
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
    /// Bundles in `bundles` belong to their team, bundles in `shared` to every team; any
    /// other bundle (and anything without a bundle) is unmapped: no team sees it.
    MultiTeam {
        bundles: BTreeMap<String, String>,
        shared: BTreeSet<String>,
    },
    /// Everything in the environment belongs to one team.
    SingleTeam { team: String },
}

/// Who owns what Airflow reports in a bundle, by Hangar's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BundleOwner {
    /// One team's.
    Team(String),
    /// Named in `shared`: every team sees it, platform admins change it.
    Shared,
    /// Named nowhere (or no bundle at all): only platform roles see that it exists.
    Unmapped,
}

impl BundleOwner {
    /// As the read model stores it: (`team`, `shared`). Unmapped is (NULL, false), which no
    /// team's query matches.
    pub fn columns(&self) -> (Option<&str>, bool) {
        match self {
            Self::Team(team) => (Some(team), false),
            Self::Shared => (None, true),
            Self::Unmapped => (None, false),
        }
    }

    /// Back from the stored columns.
    pub fn from_columns(team: Option<String>, shared: bool) -> Self {
        match (team, shared) {
            (Some(team), _) => Self::Team(team),
            (None, true) => Self::Shared,
            (None, false) => Self::Unmapped,
        }
    }
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

    /// The one answer to "who owns bundle X": its team, shared, or unmapped (deny by
    /// default). Everything of a single-team environment is its team's. A DAG's owner is
    /// then pinned (`sync/ownership.rs`): this says who Airflow's report *claims* it for.
    pub fn owner_of_bundle(&self, bundle: Option<&str>) -> BundleOwner {
        match self {
            Self::SingleTeam { team } => BundleOwner::Team(team.clone()),
            Self::MultiTeam { bundles, shared } => match bundle {
                Some(bundle) => match bundles.get(bundle) {
                    Some(team) => BundleOwner::Team(team.clone()),
                    None if shared.contains(bundle) => BundleOwner::Shared,
                    None => BundleOwner::Unmapped,
                },
                None => BundleOwner::Unmapped,
            },
        }
    }

    /// The team that owns something Airflow labels with `team_name` (a pool, connection or
    /// variable): that label in a multi-team environment (`None`: global), the environment's
    /// team otherwise. Labels are matched to the configured teams without case (Airflow 3.4
    /// folds team names to lower case), so `team_a` from Airflow is Hangar's `Team_A`.
    pub fn team_of_labelled(&self, team_name: Option<&str>) -> Option<String> {
        match self {
            Self::SingleTeam { team } => Some(team.clone()),
            Self::MultiTeam { bundles, .. } => team_name.map(|label| {
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
                    // Bundles not listed used to be shared; they are now seen by nobody, so a
                    // configuration written for that must say which bundles are shared.
                    let Some(shared) = &env.shared else {
                        return Err(error(
                            "shared",
                            "name the bundles every team may see, e.g. shared = [\"shared_dags\"] \
                             (or shared = [] for none): bundles not listed in bundles are no longer \
                             shared but visible to platform roles only (see docs/deploying.md, upgrading)"
                                .into(),
                        ));
                    };
                    let mut shared_set = BTreeSet::new();
                    for bundle in shared {
                        if bundle.trim().is_empty() {
                            return Err(error("shared", "a bundle name must not be empty".into()));
                        }
                        if let Some(team) = bundles.get(bundle) {
                            return Err(error(
                                "shared",
                                format!("bundle {bundle:?} is team {team:?}'s in bundles; a bundle is a team's or shared, not both"),
                            ));
                        }
                        if !shared_set.insert(bundle.clone()) {
                            return Err(error("shared", format!("bundle {bundle:?} is listed twice")));
                        }
                    }
                    Ownership::MultiTeam { bundles: bundles.clone(), shared: shared_set }
                }
                (None, Some(team)) => {
                    if env.shared.is_some() {
                        return Err(error(
                            "shared",
                            "a single-team environment (team) is wholly its team's; shared is for bundles".into(),
                        ));
                    }
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
    fn bundles_map_to_teams_or_shared_and_the_rest_is_unmapped() {
        let multi = Ownership::MultiTeam {
            bundles: BTreeMap::from([("team_a_dags".to_string(), "team_a".to_string())]),
            shared: BTreeSet::from(["shared_dags".to_string()]),
        };
        assert_eq!(
            multi.owner_of_bundle(Some("team_a_dags")),
            BundleOwner::Team("team_a".into())
        );
        assert_eq!(
            multi.owner_of_bundle(Some("shared_dags")),
            BundleOwner::Shared
        );
        assert_eq!(
            multi.owner_of_bundle(Some("other_dags")),
            BundleOwner::Unmapped
        );
        // Names are compared exactly: a look-alike is not the shared bundle.
        assert_eq!(
            multi.owner_of_bundle(Some("Shared_dags")),
            BundleOwner::Unmapped
        );
        assert_eq!(multi.owner_of_bundle(None), BundleOwner::Unmapped);
        let single = Ownership::SingleTeam {
            team: "team_b".into(),
        };
        assert_eq!(
            single.owner_of_bundle(Some("anything")),
            BundleOwner::Team("team_b".into())
        );
        assert_eq!(
            single.owner_of_bundle(None),
            BundleOwner::Team("team_b".into())
        );
    }

    #[test]
    fn stored_columns_round_trip_and_unmapped_matches_no_team() {
        for owner in [
            BundleOwner::Team("team_a".into()),
            BundleOwner::Shared,
            BundleOwner::Unmapped,
        ] {
            let (team, shared) = owner.columns();
            assert_eq!(
                BundleOwner::from_columns(team.map(str::to_string), shared),
                owner
            );
        }
        assert_eq!(BundleOwner::Unmapped.columns(), (None, false));
    }

    #[test]
    fn labelled_things_follow_their_label_or_the_environment() {
        let multi = Ownership::MultiTeam {
            bundles: BTreeMap::new(),
            shared: BTreeSet::new(),
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
            shared: Default::default(),
        };
        assert_eq!(
            mixed.team_of_labelled(Some("team_a")).as_deref(),
            Some("Team_A")
        );
    }
}
