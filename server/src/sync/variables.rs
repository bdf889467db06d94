//! Variables: Airflow's list → the `variables` table, keys and descriptions only.
//!
//! A variable's value is never stored: Airflow's list carries values, but the model type
//! does not even read them. Values are fetched live, per reveal (see `actions::variables`).

use sqlx::Row;

use super::dags::SyncError;
use crate::airflow::AirflowClient;
use crate::config::AirflowConfig;
use crate::db::Db;
use crate::with_pool;

/// Replaces the environment's variables with Airflow's complete list.
pub async fn sync_variables(
    db: &Db,
    env: &AirflowConfig,
    client: &AirflowClient,
    now_ms: i64,
) -> Result<usize, SyncError> {
    let variables =
        super::dags::answered(db, &env.name, now_ms, client.all_variables().await).await?;
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        for variable in &variables {
            let team = env.ownership.team_of_labelled(variable.team_name.as_deref());
            crate::upsert_variable!(&env.name, variable, &team, now_ms)
                .execute(&mut *tx)
                .await?;
        }
        let existing = sqlx::query("SELECT variable_key FROM variables WHERE environment = $1")
            .bind(&env.name)
            .fetch_all(&mut *tx)
            .await?;
        for row in existing {
            let key: String = row.try_get("variable_key")?;
            if !variables.iter().any(|v| v.key == key) {
                sqlx::query("DELETE FROM variables WHERE environment = $1 AND variable_key = $2")
                    .bind(&env.name)
                    .bind(&key)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok::<_, SyncError>(())
    })?;
    Ok(variables.len())
}

/// The upsert of one variable's key and description, as a query ready to execute.
#[macro_export]
macro_rules! upsert_variable {
    ($environment:expr, $variable:expr, $team:expr, $now_ms:expr) => {
        sqlx::query(
            "INSERT INTO variables (environment, variable_key, team, description, is_encrypted, \
             synced_ms) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (environment, variable_key) DO UPDATE SET team = excluded.team, \
             description = excluded.description, is_encrypted = excluded.is_encrypted, \
             synced_ms = excluded.synced_ms",
        )
        .bind($environment)
        .bind(&$variable.key)
        .bind($team)
        .bind(&$variable.description)
        .bind(i64::from($variable.is_encrypted))
        .bind($now_ms)
    };
}

#[cfg(test)]
mod tests {
    use crate::airflow::models::Variable;

    #[test]
    fn a_listed_value_is_never_read() {
        let listed = r#"{"key": "api_url", "value": "https://example.test", "description": "d",
            "is_encrypted": true, "team_name": "team_a"}"#;
        let variable: Variable = serde_json::from_str(listed).unwrap();
        assert!(!format!("{variable:?}").contains("example.test"));
        assert_eq!(variable.team_name.as_deref(), Some("team_a"));
    }
}
