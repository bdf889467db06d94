//! The server's side of `hangar_app::functions::ports::ReadModel`: pages' data from Hangar's
//! own tables. Access was checked by the server function; team isolation is in every query.

mod dags;

use hangar_app::errors::AppError;
use hangar_app::functions::ports::ReadModel;
use hangar_app::models::{DagPage, DagQuery};

use crate::config::{AirflowConfig, Ownership};
use crate::db::Db;

pub struct DbReadModel {
    db: Db,
    environments: Vec<(String, Ownership)>,
}

impl DbReadModel {
    pub fn new(db: Db, environments: &[AirflowConfig]) -> Self {
        Self {
            db,
            environments: environments
                .iter()
                .map(|env| (env.name.clone(), env.ownership.clone()))
                .collect(),
        }
    }

    /// Environments whose data a team's pages show: multi-team ones (they may hold the team's
    /// bundles and shared ones) and the team's own single-team ones.
    fn environments_of(&self, team: &str) -> Vec<&str> {
        self.environments
            .iter()
            .filter(|(_, ownership)| match ownership {
                Ownership::MultiTeam { .. } => true,
                Ownership::SingleTeam { team: owner } => owner == team,
            })
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

#[async_trait::async_trait]
impl ReadModel for DbReadModel {
    async fn team_dags(&self, team: &str, query: DagQuery) -> Result<DagPage, AppError> {
        dags::team_dags(&self.db, &self.environments_of(team), team, query)
            .await
            .map_err(|error| {
                tracing::error!(%error, "reading the DAG list failed");
                AppError::Internal("read model".into())
            })
    }
}
