//! The DAG list query.

use hangar_app::models::{DagPage, DagQuery, RUNS_IN_STRIP, RunDot, SyncNotice};
use sqlx::Row;

use super::rows::ReadRow;

use crate::db::{Db, like_containing};
use crate::error::ServerError;
use crate::with_pool;

/// A team sees its own DAGs and the shared ones (`shared = 1`) — never another team's, nor
/// an unmapped bundle's (no team, not shared: deny by default).
/// Then the filters: search ($2), paused ($3), tag ($4) and owner ($5) as JSON-string
/// patterns over the stored lists, the latest run's state ($6), import errors only ($7),
/// bundle ($8).
const VISIBLE: &str = "(team = $1 OR shared = 1) \
    AND ($2 = '' OR LOWER(dag_id) LIKE $2 ESCAPE '\\' OR LOWER(display_name) LIKE $2 ESCAPE '\\' \
         OR LOWER(COALESCE(description, '')) LIKE $2 ESCAPE '\\') \
    AND ($3 < 0 OR is_paused = $3) \
    AND ($4 = '' OR tags_json LIKE $4 ESCAPE '\\') \
    AND ($5 = '' OR owners_json LIKE $5 ESCAPE '\\') \
    AND ($6 = '' OR COALESCE(last_run_state, 'none') = $6) \
    AND ($7 = 0 OR has_import_errors = 1) \
    AND ($8 = '' OR bundle_name = $8)";

/// The sort orders the page offers; anything else sorts by id.
fn order_by(sort: &str) -> &'static str {
    match sort {
        "next_run" => "next_run IS NULL, next_run, dag_id, environment",
        "last_run" => "COALESCE(last_run_after, '') DESC, dag_id, environment",
        _ => "dag_id, environment",
    }
}

/// A LIKE pattern matching `value` as one element of a stored JSON list of strings.
fn list_element(value: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        return String::new();
    }
    let json = serde_json::to_string(value).expect("a string serialises");
    like_containing(&json)
}

#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn team_dags(
    db: &Db,
    environments: &[&str],
    team: &str,
    query: DagQuery,
) -> Result<DagPage, ServerError> {
    let search = if query.search.trim().is_empty() {
        String::new()
    } else {
        like_containing(&query.search.trim().to_lowercase())
    };
    let paused: i64 = match query.paused {
        Some(true) => 1,
        Some(false) => 0,
        None => -1,
    };
    let tag = list_element(&query.tag);
    let owner = list_element(&query.owner);
    let import_errors = i64::from(query.import_errors);
    let order = order_by(&query.sort);
    let limit = query.page_size() as i64;
    let offset = query.page as i64 * limit;
    // The same filter values, in `VISIBLE`'s order, for each query below.
    macro_rules! filtered {
        ($sql:expr) => {
            sqlx::query($sql)
                .bind(team)
                .bind(&search)
                .bind(paused)
                .bind(&tag)
                .bind(&owner)
                .bind(&query.last_state)
                .bind(import_errors)
                .bind(&query.bundle)
        };
    }
    let (rows, total, bundles) = with_pool!(db, pool => {
        let rows = filtered!(&format!(
            "SELECT environment, dag_id, team, shared, conflict_since_ms, display_name, description, \
             schedule, next_run, owners_json, tags_json, is_paused, scheduling_state, \
             has_import_errors, recent_runs_json FROM dags \
             WHERE {VISIBLE} \
             ORDER BY {order} LIMIT $9 OFFSET $10"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?;
        let total: i64 = filtered!(&format!("SELECT COUNT(*) AS n FROM dags WHERE {VISIBLE}"))
            .fetch_one(pool)
            .await?
            .try_get("n")?;
        let rows = rows
            .iter()
            .map(|row| {
                let mut dag = row.dag_row()?;
                dag.recent_runs = strip(&row.try_get::<String, _>("recent_runs_json")?);
                Ok(dag)
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let bundles = sqlx::query(
            "SELECT DISTINCT bundle_name FROM dags WHERE (team = $1 OR shared = 1) \
             AND bundle_name IS NOT NULL ORDER BY bundle_name",
        )
        .bind(team)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| row.try_get("bundle_name"))
        .collect::<Result<Vec<String>, _>>()?;
        (rows, total, bundles)
    });
    let sync = sync_notices(db, environments).await?;
    Ok(DagPage {
        rows,
        total: total as u64,
        query,
        sync,
        bundles,
        can_pause: false,
        can_pause_shared: false,
        import_errors: Vec::new(),
        rows_html: None,
    })
}

/// The history strip kept on the DAG row (newest first, see migration 0009), oldest first
/// as the page draws it.
fn strip(json: &str) -> Vec<RunDot> {
    #[derive(serde::Deserialize)]
    struct Stored {
        run_id: String,
        state: String,
    }
    let stored: Vec<Stored> = serde_json::from_str(json).unwrap_or_default();
    stored
        .into_iter()
        .rev()
        .take(RUNS_IN_STRIP)
        .map(|run| RunDot {
            run_id: run.run_id,
            state: run.state,
        })
        .collect()
}

/// How fresh each environment's data is, for the notice above every list.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn sync_notices(db: &Db, environments: &[&str]) -> Result<Vec<SyncNotice>, ServerError> {
    let mut sync = Vec::new();
    for environment in environments {
        let status = crate::sync::dags::status(db, environment).await?;
        let (as_of, error) = status.unwrap_or((None, None));
        sync.push(SyncNotice {
            environment: environment.to_string(),
            as_of: as_of.map(hangar_app::time_text::utc_clock),
            error,
        });
    }
    Ok(sync)
}
