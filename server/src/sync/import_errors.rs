//! Import errors: Airflow's list → the `import_errors` table, each with its bundle's owner
//! (a team, shared, or nobody: an unmapped bundle's errors are for platform roles only).

use super::dags::SyncError;
use crate::airflow::AirflowClient;
use crate::config::AirflowConfig;
use crate::db::Db;
use crate::with_pool;

/// Replaces the environment's import errors with Airflow's complete list.
pub async fn sync_import_errors(
    db: &Db,
    env: &AirflowConfig,
    client: &AirflowClient,
    now_ms: i64,
) -> Result<usize, SyncError> {
    let errors =
        super::dags::answered(db, &env.name, now_ms, client.all_import_errors().await).await?;
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("DELETE FROM import_errors WHERE environment = $1")
            .bind(&env.name)
            .execute(&mut *tx)
            .await?;
        for error in &errors {
            let owner = env.ownership.owner_of_bundle(error.bundle_name.as_deref());
            let (team, shared) = owner.columns();
            sqlx::query(
                "INSERT INTO import_errors (environment, import_error_id, team, shared, bundle_name, \
                 filename, stack_trace, error_time, synced_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&env.name)
            .bind(error.import_error_id)
            .bind(team)
            .bind(i64::from(shared))
            .bind(&error.bundle_name)
            .bind(&error.filename)
            .bind(&error.stack_trace)
            .bind(&error.timestamp)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok::<_, SyncError>(())
    })?;
    Ok(errors.len())
}
