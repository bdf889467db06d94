//! Pools and their slot usage: Airflow's list → the `pools` table.

use std::collections::BTreeSet;

use sqlx::Row;

use super::dags::SyncError;
use crate::airflow::AirflowClient;
use crate::config::AirflowConfig;
use crate::db::Db;
use crate::with_pool;

/// Replaces the environment's pools with Airflow's complete list. Returns the teams whose
/// pools changed (`None`: a global pool), for live pages.
pub async fn sync_pools(
    db: &Db,
    env: &AirflowConfig,
    client: &AirflowClient,
    now_ms: i64,
) -> Result<BTreeSet<Option<String>>, SyncError> {
    let pools = super::dags::answered(db, &env.name, now_ms, client.all_pools().await).await?;
    let mut changed = BTreeSet::new();
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        for p in &pools {
            let team = env.ownership.team_of_labelled(p.team_name.as_deref());
            if crate::upsert_pool!(&env.name, p, &team, now_ms).fetch_optional(&mut *tx).await?.is_some() {
                changed.insert(team);
            }
        }
        let names: Vec<&str> = pools.iter().map(|p| p.name.as_str()).collect();
        let existing = sqlx::query("SELECT name, team FROM pools WHERE environment = $1")
            .bind(&env.name)
            .fetch_all(&mut *tx)
            .await?;
        for row in existing {
            let name: String = row.try_get("name")?;
            if !names.contains(&name.as_str()) {
                sqlx::query("DELETE FROM pools WHERE environment = $1 AND name = $2")
                    .bind(&env.name)
                    .bind(&name)
                    .execute(&mut *tx)
                    .await?;
                changed.insert(row.try_get::<Option<String>, _>("team")?);
            }
        }
        tx.commit().await?;
        Ok::<_, SyncError>(())
    })?;
    Ok(changed)
}

/// The upsert of one pool (`$crate::airflow::models::Pool`) as a query ready to execute,
/// returning its name when it is new or anything about it changed.
#[macro_export]
macro_rules! upsert_pool {
    ($environment:expr, $pool:expr, $team:expr, $now_ms:expr) => {
        sqlx::query(
            "INSERT INTO pools (environment, name, team, slots, description, include_deferred, \
             occupied, running, queued, scheduled, deferred, open, synced_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (environment, name) DO UPDATE SET team = excluded.team, \
             slots = excluded.slots, description = excluded.description, \
             include_deferred = excluded.include_deferred, occupied = excluded.occupied, \
             running = excluded.running, queued = excluded.queued, \
             scheduled = excluded.scheduled, deferred = excluded.deferred, open = excluded.open, \
             synced_ms = excluded.synced_ms \
             WHERE pools.team IS DISTINCT FROM excluded.team OR pools.slots <> excluded.slots \
             OR pools.description IS DISTINCT FROM excluded.description \
             OR pools.include_deferred <> excluded.include_deferred \
             OR pools.occupied <> excluded.occupied OR pools.running <> excluded.running \
             OR pools.queued <> excluded.queued OR pools.scheduled <> excluded.scheduled \
             OR pools.deferred <> excluded.deferred OR pools.open <> excluded.open \
             RETURNING name",
        )
        .bind($environment)
        .bind(&$pool.name)
        .bind($team)
        .bind($pool.slots)
        .bind(&$pool.description)
        .bind(i64::from($pool.include_deferred))
        .bind($pool.occupied_slots)
        .bind($pool.running_slots)
        .bind($pool.queued_slots)
        .bind($pool.scheduled_slots)
        .bind($pool.deferred_slots)
        .bind($pool.open_slots)
        .bind($now_ms)
    };
}
