//! A DAG as its detail page needs it, and the team's run list. (The grid and the run's task
//! instances: `tasks.rs`.)
//!
//! A run or task instance has no team of its own: every query joins `dags` and applies the
//! same `team = $1 OR shared = 1` rule as the DAG list, so isolation has one source.

use hangar_app::models::{
    DagRow, RUN_COUNT_CAP, RUN_PAGE_SIZE, RUNS_IN_STRIP, RunDot, RunGrid, RunQuery, RunRow,
};
use sqlx::Row;

use super::rows::ReadRow;

use crate::db::Db;
use crate::db::query_result;
use crate::error::ServerError;
use crate::with_pool;

/// A DAG as the detail page needs it, if the team may see it.
pub struct DagRecord {
    pub row: DagRow,
    pub bundle_name: Option<String>,
    pub bundle_version: Option<String>,
    pub last_parsed: Option<String>,
    pub relative_fileloc: Option<String>,
    pub doc_md: Option<String>,
    pub params_json: Option<String>,
}

impl DagRecord {
    /// The DAG's run parameters, once the sync has read its details (none before).
    pub fn params(&self) -> Vec<hangar_app::models::DagParam> {
        self.params_json
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .map(|params| hangar_app::models::DagParam::from_airflow(&params))
            .unwrap_or_default()
    }
}

/// The DAG `dag_id` of `environment` if `team` may see it (its own or shared), else `None`
/// — the same answer for "another team's" and "does not exist".
#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn visible_dag(
    db: &Db,
    team: &str,
    environment: &str,
    dag_id: &str,
) -> Result<Option<DagRecord>, ServerError> {
    query_result(with_pool!(db, pool => {
        let row = sqlx::query(
            "SELECT environment, dag_id, team, shared, conflict_since_ms, display_name, \
             description, schedule, next_run, owners_json, tags_json, is_paused, \
             scheduling_state, has_import_errors, bundle_name, bundle_version, last_parsed, \
             relative_fileloc, doc_md, params_json FROM dags \
             WHERE environment = $1 AND dag_id = $2 \
             AND (team = $3 OR shared = 1)",
        )
        .bind(environment)
        .bind(dag_id)
        .bind(team)
        .fetch_optional(pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(DagRecord {
            row: row.dag_row()?,
            bundle_name: row.try_get("bundle_name")?,
            bundle_version: row.try_get("bundle_version")?,
            last_parsed: row.try_get("last_parsed")?,
            relative_fileloc: row.try_get("relative_fileloc")?,
            doc_md: row.try_get("doc_md")?,
            params_json: row.try_get("params_json")?,
        }))
    }))
}

fn run_row(row: &impl ReadRow) -> Result<RunRow, sqlx::Error> {
    row.run_row()
}

/// The strip of the DAG list, from the grid's runs.
pub fn strip(grid: &RunGrid) -> Vec<RunDot> {
    let skip = grid.runs.len().saturating_sub(RUNS_IN_STRIP);
    grid.runs[skip..]
        .iter()
        .map(|run| RunDot {
            run_id: run.run_id.clone(),
            state: run.state.clone(),
        })
        .collect()
}

/// The run filters ($2 state, $3 run type, $4/$5 first/last day), on `dag_runs r`.
const RUN_FILTERS: &str = "($2 = '' OR r.state = $2) AND ($3 = '' OR r.run_type = $3) \
    AND ($4 = '' OR SUBSTR(r.run_after, 1, 10) >= $4) \
    AND ($5 = '' OR SUBSTR(r.run_after, 1, 10) <= $5)";

/// A team's runs, newest first. The newest `$6` of the team's own runs and of the shared
/// ones are each read in index order (`dag_runs_team_time`, migration 0010) instead of
/// sorting every run of the team; the join with `dags` then applies the team rule itself —
/// the run's copied `team` only chooses the index range.
fn team_runs_sql(columns: &str) -> String {
    let newest = |team: &str, alias: &str| {
        format!(
            "SELECT * FROM (SELECT r.environment, r.dag_id, r.run_id, r.state, r.run_type, \
             r.run_after, r.start_date, r.end_date FROM dag_runs r WHERE {team} AND {RUN_FILTERS} \
             ORDER BY r.run_after DESC, r.dag_id DESC, r.run_id DESC LIMIT $6) AS {alias}"
        )
    };
    format!(
        "SELECT {columns} FROM ({} UNION ALL {}) r JOIN dags d ON d.environment = r.environment \
         AND d.dag_id = r.dag_id WHERE (d.team = $1 OR d.shared = 1)",
        newest("r.team = $1", "own"),
        // Runs of no team are shared or unmapped; only the shared ones may take the page's
        // places, or an unmapped bundle's runs would leave the page short.
        newest(
            "r.team IS NULL AND EXISTS (SELECT 1 FROM dags s WHERE s.environment = r.environment \
             AND s.dag_id = r.dag_id AND s.shared = 1)",
            "shared"
        )
    )
}

#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn team_runs(
    db: &Db,
    team: &str,
    query: &RunQuery,
) -> Result<(Vec<RunRow>, u64), ServerError> {
    let limit = RUN_PAGE_SIZE as i64;
    let offset = query.page as i64 * limit;
    let rows_sql = format!(
        "{} ORDER BY r.run_after DESC, r.dag_id DESC, r.run_id DESC LIMIT $7 OFFSET $8",
        team_runs_sql(
            "r.environment, r.dag_id, r.run_id, r.state, r.run_type, r.run_after, \
             r.start_date, r.end_date"
        )
    );
    // Counted up to just past the cap, by the same rule: an exact count of every run of a
    // busy team costs more than the page itself, and "1,000+" says what a person needs.
    let count_sql = team_runs_sql("COUNT(*) AS n");
    query_result(with_pool!(db, pool => {
        let rows = sqlx::query(&rows_sql)
            .bind(team)
            .bind(&query.state)
            .bind(&query.run_type)
            .bind(&query.from)
            .bind(&query.to)
            .bind(offset + limit)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        let total: i64 = sqlx::query(&count_sql)
            .bind(team)
            .bind(&query.state)
            .bind(&query.run_type)
            .bind(&query.from)
            .bind(&query.to)
            .bind(RUN_COUNT_CAP as i64 + 1)
            .fetch_one(pool)
            .await?
            .try_get("n")?;
        let rows = rows.iter().map(run_row).collect::<Result<Vec<_>, _>>()?;
        Ok((rows, total as u64))
    }))
}
