//! Connections: Airflow's list → the `connections` table, metadata only.
//!
//! Airflow masks passwords and secret-looking `extra` keys as `***` already; Hangar keeps
//! only whether a password is set and masks `extra` again by its own rule, so a secret that
//! Airflow's rule missed is still never stored.

use sqlx::Row;

use super::dags::SyncError;
use crate::airflow::AirflowClient;
use crate::config::AirflowConfig;
use crate::db::Db;
use crate::with_pool;

/// What every masked value reads as.
pub const MASK: &str = "***";

/// Key fragments that make an `extra` value a secret.
const SECRET_KEYS: [&str; 9] = [
    "password",
    "passwd",
    "secret",
    "token",
    "key",
    "private",
    "credential",
    "auth",
    "cert",
];

/// `extra` with every secret-looking value masked; text that is not a JSON object is masked
/// whole (it cannot be judged).
pub fn mask_extra(extra: Option<&str>) -> Option<String> {
    let extra = extra.map(str::trim).filter(|e| !e.is_empty())?;
    let Ok(serde_json::Value::Object(mut map)) = serde_json::from_str(extra) else {
        return Some(MASK.to_string());
    };
    for (key, value) in map.iter_mut() {
        let lower = key.to_lowercase();
        if SECRET_KEYS.iter().any(|fragment| lower.contains(fragment)) {
            *value = serde_json::Value::String(MASK.into());
        }
    }
    Some(serde_json::Value::Object(map).to_string())
}

/// Replaces the environment's connections with Airflow's complete list.
pub async fn sync_connections(
    db: &Db,
    env: &AirflowConfig,
    client: &AirflowClient,
    now_ms: i64,
) -> Result<usize, SyncError> {
    let connections =
        super::dags::answered(db, &env.name, now_ms, client.all_connections().await).await?;
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        for connection in &connections {
            let team = env.ownership.team_of_labelled(connection.team_name.as_deref());
            crate::upsert_connection!(&env.name, connection, &team, now_ms)
                .execute(&mut *tx)
                .await?;
        }
        let existing = sqlx::query("SELECT connection_id FROM connections WHERE environment = $1")
            .bind(&env.name)
            .fetch_all(&mut *tx)
            .await?;
        for row in existing {
            let id: String = row.try_get("connection_id")?;
            if !connections.iter().any(|c| c.connection_id == id) {
                sqlx::query("DELETE FROM connections WHERE environment = $1 AND connection_id = $2")
                    .bind(&env.name)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok::<_, SyncError>(())
    })?;
    Ok(connections.len())
}

/// The upsert of one connection's metadata, as a query ready to execute. The password is
/// reduced to "set or not" and `extra` masked here, the one place connections are written.
#[macro_export]
macro_rules! upsert_connection {
    ($environment:expr, $connection:expr, $team:expr, $now_ms:expr) => {
        sqlx::query(
            "INSERT INTO connections (environment, connection_id, team, conn_type, description, \
             host, login, schema_name, port, has_password, extra_masked, synced_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (environment, connection_id) DO UPDATE SET team = excluded.team, \
             conn_type = excluded.conn_type, description = excluded.description, \
             host = excluded.host, login = excluded.login, schema_name = excluded.schema_name, \
             port = excluded.port, has_password = excluded.has_password, \
             extra_masked = excluded.extra_masked, synced_ms = excluded.synced_ms",
        )
        .bind($environment)
        .bind(&$connection.connection_id)
        .bind($team)
        .bind(&$connection.conn_type)
        .bind(&$connection.description)
        .bind(&$connection.host)
        .bind(&$connection.login)
        .bind(&$connection.schema)
        .bind($connection.port)
        .bind(i64::from(
            $connection
                .password
                .as_deref()
                .is_some_and(|p| !p.is_empty()),
        ))
        .bind($crate::sync::connections::mask_extra(
            $connection.extra.as_deref(),
        ))
        .bind($now_ms)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_looking_extras_are_masked_and_the_rest_kept() {
        let masked = mask_extra(Some(
            r#"{"api_key": "k", "region": "eu", "Client_Secret": "s"}"#,
        ))
        .unwrap();
        let value: serde_json::Value = serde_json::from_str(&masked).unwrap();
        assert_eq!(value["api_key"], MASK);
        assert_eq!(value["Client_Secret"], MASK);
        assert_eq!(value["region"], "eu");
        assert_eq!(mask_extra(Some("not json k=v")).as_deref(), Some(MASK));
        assert_eq!(mask_extra(Some("  ")), None);
        assert_eq!(mask_extra(None), None);
    }
}
