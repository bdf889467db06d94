//! The team's pools and the global ones (`team IS NULL`), never another team's.

use hangar_app::models::PoolRow;
use sqlx::Row;

use crate::db::Db;
use crate::db::query_result;
use crate::error::ServerError;
use crate::with_pool;

/// A pool as stored, with the team it belongs to (`None`: global).
pub struct StoredPool {
    pub row: PoolRow,
    pub team: Option<String>,
}

const COLUMNS: &str = "environment, name, team, slots, description, include_deferred, running, \
    queued, scheduled, deferred, open";

macro_rules! stored_pool {
    ($row:expr) => {{
        let row = $row;
        let team: Option<String> = row.try_get("team")?;
        StoredPool {
            row: PoolRow {
                environment: row.try_get("environment")?,
                name: row.try_get("name")?,
                global: team.is_none(),
                slots: row.try_get("slots")?,
                description: row.try_get("description")?,
                include_deferred: row.try_get::<i64, _>("include_deferred")? != 0,
                running: row.try_get("running")?,
                queued: row.try_get("queued")?,
                scheduled: row.try_get("scheduled")?,
                deferred: row.try_get("deferred")?,
                open: row.try_get("open")?,
                editable: false,
            },
            team,
        }
    }};
}

/// The team's pools and the global ones of the given environments, global first.
#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn team_pools(
    db: &Db,
    environments: &[&str],
    team: &str,
) -> Result<Vec<StoredPool>, ServerError> {
    let mut pools = Vec::new();
    with_pool!(db, pool => {
        for environment in environments {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM pools WHERE environment = $1 AND (team = $2 OR team IS NULL) \
                 ORDER BY team IS NOT NULL, name"
            ))
            .bind(environment)
            .bind(team)
            .fetch_all(pool)
            .await?;
            for row in &rows {
                pools.push(stored_pool!(row));
            }
        }
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(pools)
}

/// One pool, if the team may see it (its own or global).
#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn visible_pool(
    db: &Db,
    team: &str,
    environment: &str,
    name: &str,
) -> Result<Option<StoredPool>, ServerError> {
    query_result(with_pool!(db, pool => {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM pools WHERE environment = $1 AND name = $2 \
             AND (team = $3 OR team IS NULL)"
        ))
        .bind(environment)
        .bind(name)
        .bind(team)
        .fetch_optional(pool)
        .await?;
        Ok(match row {
            Some(row) => Some(stored_pool!(&row)),
            None => None,
        })
    }))
}
