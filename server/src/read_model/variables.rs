//! The team's variables and the global ones (`team IS NULL`), never another team's.
//! Keys and descriptions only: the table has no value column.

use hangar_app::models::VariableRow;
use sqlx::Row;

use crate::db::Db;
use crate::db::query_result;
use crate::error::ServerError;
use crate::with_pool;

pub struct StoredVariable {
    pub row: VariableRow,
    pub team: Option<String>,
}

const COLUMNS: &str = "environment, variable_key, team, description";

macro_rules! stored_variable {
    ($row:expr) => {{
        let row = $row;
        let team: Option<String> = row.try_get("team")?;
        StoredVariable {
            row: VariableRow {
                environment: row.try_get("environment")?,
                key: row.try_get("variable_key")?,
                description: row.try_get("description")?,
                global: team.is_none(),
                editable: false,
            },
            team,
        }
    }};
}

#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn team_variables(
    db: &Db,
    environments: &[&str],
    team: &str,
) -> Result<Vec<StoredVariable>, ServerError> {
    let mut variables = Vec::new();
    with_pool!(db, pool => {
        for environment in environments {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM variables WHERE environment = $1 \
                 AND (team = $2 OR team IS NULL) ORDER BY team IS NOT NULL, variable_key"
            ))
            .bind(environment)
            .bind(team)
            .fetch_all(pool)
            .await?;
            for row in &rows {
                variables.push(stored_variable!(row));
            }
        }
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(variables)
}

#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn visible_variable(
    db: &Db,
    team: &str,
    environment: &str,
    key: &str,
) -> Result<Option<StoredVariable>, ServerError> {
    query_result(with_pool!(db, pool => {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM variables WHERE environment = $1 AND variable_key = $2 \
             AND (team = $3 OR team IS NULL)"
        ))
        .bind(environment)
        .bind(key)
        .bind(team)
        .fetch_optional(pool)
        .await?;
        Ok(match row {
            Some(row) => Some(stored_variable!(&row)),
            None => None,
        })
    }))
}
