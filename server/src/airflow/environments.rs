//! One client per environment and per configured team credential, built once at start-up so
//! that tokens are cached across requests and the sync.

use std::collections::HashMap;
use std::sync::Arc;

use super::{AirflowClient, AirflowError};
use crate::config::{AirflowConfig, OutboundTls, Ownership};
use crate::metrics::Metrics;

pub struct Environments {
    by_name: HashMap<String, EnvironmentClients>,
}

struct EnvironmentClients {
    ownership: Ownership,
    main: Arc<AirflowClient>,
    teams: HashMap<String, Arc<AirflowClient>>,
}

impl Environments {
    /// Every client counts its failures in `metrics`.
    pub fn new(
        configs: &[AirflowConfig],
        tls: &OutboundTls,
        metrics: &Arc<Metrics>,
    ) -> Result<Self, AirflowError> {
        let mut by_name = HashMap::new();
        for env in configs {
            let mut teams = HashMap::new();
            for (team, credentials) in &env.team_credentials {
                let client = AirflowClient::new(
                    &env.name,
                    env.base_url.clone(),
                    env.timeout,
                    credentials.clone(),
                    tls,
                )?
                .counted_in(metrics.clone());
                teams.insert(team.clone(), Arc::new(client));
            }
            let main =
                Arc::new(AirflowClient::for_environment(env, tls)?.counted_in(metrics.clone()));
            let ownership = env.ownership.clone();
            by_name.insert(
                env.name.clone(),
                EnvironmentClients {
                    ownership,
                    main,
                    teams,
                },
            );
        }
        Ok(Self { by_name })
    }

    /// The client for calls made for `team`: the team's own credentials where configured (so
    /// Airflow's team filter stands behind Hangar's), else the environment's.
    pub fn for_team(&self, environment: &str, team: &str) -> Option<Arc<AirflowClient>> {
        let clients = self.by_name.get(environment)?;
        Some(clients.teams.get(team).unwrap_or(&clients.main).clone())
    }

    /// How the environment's things map to teams, if the team's pages show it at all.
    pub fn ownership_for(&self, environment: &str, team: &str) -> Option<&Ownership> {
        self.by_name
            .get(environment)
            .map(|c| &c.ownership)
            .filter(|ownership| ownership.serves(team))
    }

    /// Environments the team's pages show, by name.
    pub fn serving(&self, team: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .by_name
            .iter()
            .filter(|(_, c)| c.ownership.serves(team))
            .map(|(name, _)| name.clone())
            .collect();
        names.sort();
        names
    }

    /// Requests sent to the environment so far, by every client (sync and actions).
    pub fn requests_sent(&self, environment: &str) -> u64 {
        self.by_name.get(environment).map_or(0, |c| {
            c.main.requests_sent() + c.teams.values().map(|t| t.requests_sent()).sum::<u64>()
        })
    }

    /// The environment's own client, which the sync uses.
    pub fn main(&self, environment: &str) -> Option<Arc<AirflowClient>> {
        self.by_name.get(environment).map(|c| c.main.clone())
    }
}
