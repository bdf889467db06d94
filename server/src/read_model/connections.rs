//! The team's connections and the global ones (`team IS NULL`), never another team's.
//! Metadata only: the table holds no password and no unmasked secret.

use hangar_app::models::ConnectionRow;
use sqlx::Row;

use crate::db::Db;
use crate::db::query_result;
use crate::error::ServerError;
use crate::with_pool;

pub struct StoredConnection {
    pub row: ConnectionRow,
    pub team: Option<String>,
}

const COLUMNS: &str = "environment, connection_id, team, conn_type, description, host, login, \
    schema_name, port, has_password, extra_masked";

macro_rules! stored_connection {
    ($row:expr) => {{
        let row = $row;
        let team: Option<String> = row.try_get("team")?;
        StoredConnection {
            row: ConnectionRow {
                environment: row.try_get("environment")?,
                connection_id: row.try_get("connection_id")?,
                conn_type: row.try_get("conn_type")?,
                description: row.try_get("description")?,
                host: row.try_get("host")?,
                login: row.try_get("login")?,
                schema: row.try_get("schema_name")?,
                port: row.try_get("port")?,
                password_set: row.try_get::<i64, _>("has_password")? != 0,
                extra_masked: row.try_get("extra_masked")?,
                global: team.is_none(),
                editable: false,
            },
            team,
        }
    }};
}

#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn team_connections(
    db: &Db,
    environments: &[&str],
    team: &str,
) -> Result<Vec<StoredConnection>, ServerError> {
    let mut connections = Vec::new();
    with_pool!(db, pool => {
        for environment in environments {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM connections WHERE environment = $1 \
                 AND (team = $2 OR team IS NULL) ORDER BY team IS NOT NULL, connection_id"
            ))
            .bind(environment)
            .bind(team)
            .fetch_all(pool)
            .await?;
            for row in &rows {
                connections.push(stored_connection!(row));
            }
        }
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(connections)
}

#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn visible_connection(
    db: &Db,
    team: &str,
    environment: &str,
    connection_id: &str,
) -> Result<Option<StoredConnection>, ServerError> {
    query_result(with_pool!(db, pool => {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM connections WHERE environment = $1 AND connection_id = $2 \
             AND (team = $3 OR team IS NULL)"
        ))
        .bind(environment)
        .bind(connection_id)
        .bind(team)
        .fetch_optional(pool)
        .await?;
        Ok(match row {
            Some(row) => Some(stored_connection!(&row)),
            None => None,
        })
    }))
}
