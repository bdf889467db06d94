//! One client per environment and per configured team credential, built once at start-up so
//! that tokens are cached across requests and the sync.

use std::collections::HashMap;
use std::sync::Arc;

use super::{AirflowClient, AirflowError};
use crate::config::AirflowConfig;

pub struct Environments {
    by_name: HashMap<String, EnvironmentClients>,
}

struct EnvironmentClients {
    main: Arc<AirflowClient>,
    teams: HashMap<String, Arc<AirflowClient>>,
}

impl Environments {
    pub fn new(configs: &[AirflowConfig]) -> Result<Self, AirflowError> {
        let mut by_name = HashMap::new();
        for env in configs {
            let mut teams = HashMap::new();
            for (team, credentials) in &env.team_credentials {
                let client = AirflowClient::new(
                    &env.name,
                    env.base_url.clone(),
                    env.timeout,
                    credentials.clone(),
                )?;
                teams.insert(team.clone(), Arc::new(client));
            }
            let main = Arc::new(AirflowClient::for_environment(env)?);
            by_name.insert(env.name.clone(), EnvironmentClients { main, teams });
        }
        Ok(Self { by_name })
    }

    /// The client for calls made for `team`: the team's own credentials where configured (so
    /// Airflow's team filter stands behind Hangar's), else the environment's.
    pub fn for_team(&self, environment: &str, team: &str) -> Option<Arc<AirflowClient>> {
        let clients = self.by_name.get(environment)?;
        Some(clients.teams.get(team).unwrap_or(&clients.main).clone())
    }

    /// The environment's own client, which the sync uses.
    pub fn main(&self, environment: &str) -> Option<Arc<AirflowClient>> {
        self.by_name.get(environment).map(|c| c.main.clone())
    }
}
