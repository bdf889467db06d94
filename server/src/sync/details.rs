//! DAG details (documentation and run parameters): one call per DAG, so they are fetched
//! only for DAGs parsed since their details were last read, and at most
//! [`DETAILS_PER_SYNC`] per DAG sync. A new environment of 10,000 DAGs fills in over a few
//! dozen syncs; after that only re-parsed DAGs cost a call.

use sqlx::Row;

use super::dags::SyncError;
use crate::airflow::{AirflowClient, AirflowError};
use crate::db::Db;
use crate::with_pool;

/// The most detail calls one DAG sync makes to one environment.
pub const DETAILS_PER_SYNC: i64 = 100;

/// Fetches the details of DAGs re-parsed since they were last read; returns how many were
/// refreshed. A DAG that vanished in between is skipped (the next DAG sync removes it); a DAG
/// in an ownership conflict is not read (its details are now another owner's code).
pub async fn sync_details(db: &Db, env: &str, client: &AirflowClient) -> Result<usize, SyncError> {
    let due: Vec<(String, Option<String>)> = with_pool!(db, pool => {
        sqlx::query(
            "SELECT dag_id, last_parsed FROM dags WHERE environment = $1 \
             AND conflict_since_ms IS NULL \
             AND (details_parsed IS NULL OR details_parsed <> COALESCE(last_parsed, '')) \
             ORDER BY details_parsed IS NOT NULL, dag_id LIMIT $2",
        )
        .bind(env)
        .bind(DETAILS_PER_SYNC)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("dag_id")?, row.try_get("last_parsed")?)))
        .collect::<Result<_, sqlx::Error>>()?
    });
    let mut refreshed = 0;
    for (dag_id, last_parsed) in due {
        let details = match client.dag_details(&dag_id).await {
            Ok(details) => details,
            Err(AirflowError::NotFound { .. }) => continue,
            Err(error) => return Err(error.into()),
        };
        let params = details
            .params
            .filter(|p| !p.is_empty())
            .map(|p| serde_json::Value::Object(p).to_string());
        // Marked with the parse time the list reported, so a DAG re-parsed meanwhile is due
        // again next time.
        let parsed = last_parsed.unwrap_or_default();
        with_pool!(db, pool => {
            sqlx::query(
                "UPDATE dags SET doc_md = $1, params_json = $2, details_parsed = $3 \
                 WHERE environment = $4 AND dag_id = $5",
            )
            .bind(&details.doc_md)
            .bind(&params)
            .bind(&parsed)
            .bind(env)
            .bind(&dag_id)
            .execute(pool)
            .await?;
        });
        refreshed += 1;
    }
    Ok(refreshed)
}
