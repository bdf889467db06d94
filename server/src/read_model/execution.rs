//! Where teams' tasks ran: the executor, queue and host of their task instances that started
//! (or were queued) in the last 24 hours, most used first. A team's own DAGs only: a shared
//! DAG's tasks are nobody's in particular, an unmapped bundle's are nobody's at all.

use std::collections::{BTreeMap, HashMap};

use hangar_app::models::execution::{DeclaredExecution, EXECUTION_ROWS, ExecutionUse};
use sqlx::Row;

use crate::config::TeamConfig;
use crate::db::{Db, query_result};
use crate::error::ServerError;
use crate::with_pool;

/// Task instances count as "the last 24 hours" from this far back.
const WINDOW_MS: i64 = 24 * 3600 * 1000;

/// What `[[teams]] execution` declares, by team (the team home and `/platform` show it
/// beside what [`seen`] finds).
pub fn declared(teams: &[TeamConfig]) -> HashMap<String, DeclaredExecution> {
    teams
        .iter()
        .filter_map(|team| Some((team.name.clone(), team.execution.clone()?)))
        .collect()
}

/// Executor / queue / host combinations of `team`'s task instances of the last 24 hours
/// before `now_ms`, or of every team's (`None`), by team; at most [`EXECUTION_ROWS`] per team, most used first
/// (ranked per team, so one busy team's many hosts never crowd another team out).
pub async fn seen(
    db: &Db,
    team: Option<&str>,
    now_ms: i64,
) -> Result<BTreeMap<String, Vec<ExecutionUse>>, ServerError> {
    let since = crate::clock::rfc3339(now_ms - WINDOW_MS);
    let team_rule = if team.is_some() {
        "d.team = $2"
    } else {
        "d.team IS NOT NULL AND $2 = ''"
    };
    // Started since, or (not started yet) queued since: written so that the index on
    // `start_date` serves the first half.
    let sql = format!(
        "SELECT team, environment, executor, queue, hostname, n FROM ( \
           SELECT d.team AS team, t.environment AS environment, t.executor AS executor, \
             t.queue AS queue, t.hostname AS hostname, COUNT(*) AS n, \
             ROW_NUMBER() OVER (PARTITION BY d.team ORDER BY COUNT(*) DESC, t.environment, \
               t.executor, t.queue, t.hostname) AS rank_in_team \
           FROM task_instances t JOIN dags d \
             ON d.environment = t.environment AND d.dag_id = t.dag_id \
           WHERE {team_rule} \
             AND (t.start_date >= $1 OR (t.start_date IS NULL AND t.queued_when >= $1)) \
           GROUP BY d.team, t.environment, t.executor, t.queue, t.hostname \
         ) ranked WHERE rank_in_team <= $3 ORDER BY team, rank_in_team"
    );
    let rows: Vec<(String, ExecutionUse)> = query_result(with_pool!(db, pool => {
        sqlx::query(&sql)
            .bind(&since)
            .bind(team.unwrap_or(""))
            .bind(EXECUTION_ROWS as i64)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| {
                Ok((
                    row.try_get("team")?,
                    ExecutionUse {
                        environment: row.try_get("environment")?,
                        executor: row.try_get("executor")?,
                        queue: row.try_get("queue")?,
                        hostname: row.try_get("hostname")?,
                        task_instances: row.try_get::<i64, _>("n")?.max(0) as u64,
                    },
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
    }))?;
    let mut by_team: BTreeMap<String, Vec<ExecutionUse>> = BTreeMap::new();
    for (team, used) in rows {
        by_team.entry(team).or_default().push(used);
    }
    Ok(by_team)
}
