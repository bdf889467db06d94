//! DAGs: Airflow's list → the `dags` table, each DAG with its pinned owner
//! (`ownership.rs`): a team, shared, or — for a bundle Hangar does not map — nobody.

use sqlx::Row;

use super::ownership;

use crate::airflow::models::Dag;
use crate::airflow::{AirflowClient, AirflowError};
use crate::config::AirflowConfig;
use crate::db::Db;
use crate::with_pool;

#[derive(Debug, PartialEq, Eq)]
pub struct SyncReport {
    pub dags: usize,
    pub removed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Airflow(#[from] AirflowError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Airflow's bundle → team map contradicts the configuration (`bundles.rs`).
    #[error("DAG bundle ownership contradicts Airflow: {0}")]
    Ownership(String),
}

/// One full DAG sync of `env`. The read model changes only after Airflow gave a complete
/// answer: an error leaves the previous state in place and is recorded in the sync status.
pub async fn sync_dags(
    db: &Db,
    env: &AirflowConfig,
    client: &AirflowClient,
    now_ms: i64,
) -> Result<SyncReport, SyncError> {
    let fetched = client.all_dags().await;
    let dags = answered(db, &env.name, now_ms, fetched).await?;
    let removed = store(db, env, &dags, now_ms).await?;
    record_status(db, &env.name, now_ms, None).await?;
    Ok(SyncReport {
        dags: dags.len(),
        removed,
    })
}

async fn store(
    db: &Db,
    env: &AirflowConfig,
    dags: &[Dag],
    now_ms: i64,
) -> Result<u64, sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = ownership::begin_guarded!(db, pool, &env.name, false);
        let pins = ownership::read_pins!(&mut *tx, &env.name);
        for dag in dags {
            let reported = env.ownership.owner_of_bundle(dag.bundle_name.as_deref());
            let settled = ownership::settle(pins.get(&dag.dag_id).map(|pin| &pin.owner), &reported);
            let (team, shared) = settled.owner.columns();
            if settled.pin {
                sqlx::query(
                    "INSERT INTO dag_owners (environment, dag_id, team, shared, pinned_ms) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (environment, dag_id) DO NOTHING",
                )
                .bind(&env.name)
                .bind(&dag.dag_id)
                .bind(team)
                .bind(i64::from(shared))
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            }
            if settled.conflict {
                // The pinned owner keeps the row as it last agreed; what Airflow reports now
                // (description, tags, owners, file, details) is another owner's code and is
                // not copied. Only Airflow's own state of the DAG is kept current.
                sqlx::query(
                    "INSERT INTO dags (environment, dag_id, team, shared, display_name, is_paused, \
                     is_stale, has_import_errors, synced_ms, conflict_bundle, conflict_since_ms) \
                     VALUES ($1, $2, $3, $4, $2, $5, $6, 0, $7, $8, $7) \
                     ON CONFLICT (environment, dag_id) DO UPDATE SET team = excluded.team, \
                     shared = excluded.shared, is_paused = excluded.is_paused, \
                     is_stale = excluded.is_stale, synced_ms = excluded.synced_ms, \
                     conflict_bundle = excluded.conflict_bundle, \
                     conflict_since_ms = COALESCE(dags.conflict_since_ms, excluded.conflict_since_ms)",
                )
                .bind(&env.name)
                .bind(&dag.dag_id)
                .bind(team)
                .bind(i64::from(shared))
                .bind(dag.is_paused as i64)
                .bind(dag.is_stale as i64)
                .bind(now_ms)
                .bind(&dag.bundle_name)
                .execute(&mut *tx)
                .await?;
                continue;
            }
            let tags: Vec<&str> = dag.tags.iter().map(|t| t.name.as_str()).collect();
            sqlx::query(
                "INSERT INTO dags (environment, dag_id, team, shared, display_name, description, \
                 bundle_name, bundle_version, tags_json, owners_json, schedule, is_paused, \
                 is_stale, has_import_errors, next_run, last_parsed, relative_fileloc, synced_ms, \
                 scheduling_state) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
                 ON CONFLICT (environment, dag_id) DO UPDATE SET team = excluded.team, \
                 shared = excluded.shared, \
                 display_name = excluded.display_name, description = excluded.description, \
                 bundle_name = excluded.bundle_name, bundle_version = excluded.bundle_version, \
                 tags_json = excluded.tags_json, owners_json = excluded.owners_json, \
                 schedule = excluded.schedule, is_paused = excluded.is_paused, \
                 is_stale = excluded.is_stale, has_import_errors = excluded.has_import_errors, \
                 next_run = excluded.next_run, last_parsed = excluded.last_parsed, \
                 relative_fileloc = excluded.relative_fileloc, synced_ms = excluded.synced_ms, \
                 scheduling_state = excluded.scheduling_state",
            )
            .bind(&env.name)
            .bind(&dag.dag_id)
            .bind(team)
            .bind(i64::from(shared))
            .bind(dag.dag_display_name.as_deref().unwrap_or(&dag.dag_id))
            .bind(&dag.description)
            .bind(&dag.bundle_name)
            .bind(&dag.bundle_version)
            .bind(serde_json::to_string(&tags).unwrap_or_default())
            .bind(serde_json::to_string(&dag.owners).unwrap_or_default())
            .bind(&dag.timetable_summary)
            .bind(dag.is_paused as i64)
            .bind(dag.is_stale as i64)
            .bind(dag.has_import_errors as i64)
            .bind(&dag.next_dagrun_run_after)
            .bind(&dag.last_parsed_time)
            .bind(&dag.relative_fileloc)
            .bind(now_ms)
            .bind(&dag.scheduling_state)
            .execute(&mut *tx)
            .await?;
        }
        // Whatever this complete answer did not contain is gone from Airflow (its pin stays).
        let removed = sqlx::query("DELETE FROM dags WHERE environment = $1 AND synced_ms < $2")
            .bind(&env.name)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(removed)
    })
}

/// Airflow's complete answer, or — once the failure is recorded in the sync status, which
/// is all a failed fetch may change — the error.
pub(super) async fn answered<T>(
    db: &Db,
    env: &str,
    now_ms: i64,
    fetched: Result<T, AirflowError>,
) -> Result<T, SyncError> {
    match fetched {
        Ok(answer) => Ok(answer),
        Err(error) => {
            record_status(db, env, now_ms, Some(&error.to_string())).await?;
            Err(error.into())
        }
    }
}

pub(super) async fn record_status(
    db: &Db,
    env: &str,
    now_ms: i64,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO airflow_sync_status (environment, last_attempt_ms, last_success_ms, last_error) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (environment) DO UPDATE SET \
             last_attempt_ms = excluded.last_attempt_ms, \
             last_success_ms = COALESCE(excluded.last_success_ms, airflow_sync_status.last_success_ms), \
             last_error = excluded.last_error",
        )
        .bind(env)
        .bind(now_ms)
        .bind(if error.is_none() { Some(now_ms) } else { None })
        .bind(error)
        .execute(pool)
        .await
        .map(|_| ())
    })
}

/// The sync status of one environment: (last success, last error).
pub async fn status(
    db: &Db,
    env: &str,
) -> Result<Option<(Option<i64>, Option<String>)>, sqlx::Error> {
    with_pool!(db, pool => {
        let row = sqlx::query("SELECT last_success_ms, last_error FROM airflow_sync_status WHERE environment = $1")
            .bind(env)
            .fetch_optional(pool)
            .await?;
        row.map(|row| Ok((row.try_get("last_success_ms")?, row.try_get("last_error")?)))
            .transpose()
    })
}
