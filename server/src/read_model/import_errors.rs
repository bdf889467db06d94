//! Import errors the team may see: those of its own bundles and of shared ones.

use hangar_app::models::ImportErrorRow;
use sqlx::Row;

use crate::db::Db;
use crate::db::query_result;
use crate::error::ServerError;
use crate::with_pool;

macro_rules! import_error_row {
    ($row:expr) => {{
        let row = $row;
        ImportErrorRow {
            environment: row.try_get("environment")?,
            bundle_name: row.try_get("bundle_name")?,
            filename: row.try_get("filename")?,
            stack_trace: row.try_get("stack_trace")?,
            time: row.try_get("error_time")?,
        }
    }};
}

const COLUMNS: &str = "environment, bundle_name, filename, stack_trace, error_time";

#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn team_import_errors(
    db: &Db,
    environments: &[&str],
    team: &str,
) -> Result<Vec<ImportErrorRow>, ServerError> {
    let mut errors = Vec::new();
    with_pool!(db, pool => {
        for environment in environments {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM import_errors WHERE environment = $1 \
                 AND (team = $2 OR shared = 1) ORDER BY filename"
            ))
            .bind(environment)
            .bind(team)
            .fetch_all(pool)
            .await?;
            for row in &rows {
                errors.push(import_error_row!(row));
            }
        }
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(errors)
}

/// The import errors of one DAG's file (the DAG was found visible to the team already; the
/// bundle decides the team, so the file's errors are as visible as the DAG).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn file_import_errors(
    db: &Db,
    environment: &str,
    bundle_name: Option<&str>,
    filename: &str,
) -> Result<Vec<ImportErrorRow>, ServerError> {
    query_result(with_pool!(db, pool => {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM import_errors WHERE environment = $1 AND filename = $2 \
             AND bundle_name IS NOT DISTINCT FROM $3 ORDER BY error_time DESC"
        ))
        .bind(environment)
        .bind(filename)
        .bind(bundle_name)
        .fetch_all(pool)
        .await?;
        rows.iter().map(|row| Ok(import_error_row!(row))).collect()
    }))
}
