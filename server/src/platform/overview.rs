//! The platform overview's figures, read for every team at once: one query per figure, none
//! per team, so the page costs the same at 5 teams and at 50 (`make bench-platform`).

use std::collections::HashMap;

use hangar_app::models::deploys::requested_by;
use hangar_app::models::platform::{
    FAILING_SHOWN, FailingRun, LastDeploy, PoolFill, RunCounts, TREND_DAYS,
};
use sqlx::Row;

use crate::clock::rfc3339;
use crate::db::Db;
use crate::error::ServerError;
use crate::with_pool;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Every team's figures, keyed by team name. Teams without any are absent.
#[derive(Debug, Default)]
pub struct Figures {
    /// (active, paused) DAGs that are still in their files.
    pub dags: HashMap<String, (u64, u64)>,
    pub runs_24h: HashMap<String, RunCounts>,
    /// Runs by state per UTC day, oldest first ([`TREND_DAYS`] days).
    pub days: HashMap<String, Vec<RunCounts>>,
    pub tasks_running: HashMap<String, u64>,
    pub fullest_pool: HashMap<String, PoolFill>,
    pub last_deploy: HashMap<String, LastDeploy>,
    pub deploying: HashMap<String, u64>,
    pub pending_approvals: HashMap<String, u64>,
    /// Newest first, every team's (the caller keeps those the viewer may see).
    pub failing: Vec<FailingRun>,
}

/// `2026-11-21T14` for the hour and `2026-11-21` for the day of `ms`, as the rollup tables
/// key them (the first 13 and 10 characters of an RFC 3339 UTC time).
fn hour_key(ms: i64) -> String {
    rfc3339(ms)[..13].to_string()
}

fn day_key(ms: i64) -> String {
    rfc3339(ms)[..10].to_string()
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn read(db: &Db, now_ms: i64, failing_hours: u32) -> Result<Figures, ServerError> {
    let mut figures = Figures::default();
    let since_hour = hour_key(now_ms - DAY_MS);
    let days: Vec<String> = (0..TREND_DAYS as i64)
        .rev()
        .map(|back| day_key(now_ms - back * DAY_MS))
        .collect();
    let failing_since = rfc3339(now_ms - i64::from(failing_hours) * HOUR_MS);
    with_pool!(db, pool => {
        for row in sqlx::query(
            "SELECT team, CAST(SUM(CASE WHEN is_paused = 0 THEN 1 ELSE 0 END) AS BIGINT) AS active, \
             CAST(SUM(CASE WHEN is_paused = 0 THEN 0 ELSE 1 END) AS BIGINT) AS paused \
             FROM dags WHERE team IS NOT NULL AND is_stale = 0 GROUP BY team",
        )
        .fetch_all(pool)
        .await?
        {
            let (active, paused): (i64, i64) = (row.try_get("active")?, row.try_get("paused")?);
            figures.dags.insert(row.try_get("team")?, (active as u64, paused as u64));
        }

        for row in sqlx::query(
            "SELECT team, state, CAST(SUM(runs) AS BIGINT) AS runs FROM team_run_hours \
             WHERE hour >= $1 AND hour <= $2 GROUP BY team, state",
        )
        .bind(&since_hour)
        .bind(hour_key(now_ms))
        .fetch_all(pool)
        .await?
        {
            let runs: i64 = row.try_get("runs")?;
            figures
                .runs_24h
                .entry(row.try_get("team")?)
                .or_default()
                .add(row.try_get::<String, _>("state")?.as_str(), runs as u64);
        }

        for row in sqlx::query("SELECT day, team, state, runs FROM team_run_days WHERE day >= $1")
            .bind(&days[0])
            .fetch_all(pool)
            .await?
        {
            let day: String = row.try_get("day")?;
            let Some(index) = days.iter().position(|d| *d == day) else {
                continue; // a run dated in the future
            };
            let runs: i64 = row.try_get("runs")?;
            figures
                .days
                .entry(row.try_get("team")?)
                .or_insert_with(|| vec![RunCounts::default(); TREND_DAYS])[index]
                .add(row.try_get::<String, _>("state")?.as_str(), runs as u64);
        }

        // The DAG's team, not the copy on the task's run: the DAG row is the one source.
        for row in sqlx::query(
            "SELECT d.team, COUNT(*) AS tasks FROM task_instances t \
             JOIN dags d ON d.environment = t.environment AND d.dag_id = t.dag_id \
             WHERE t.state = 'running' AND d.team IS NOT NULL GROUP BY d.team",
        )
        .fetch_all(pool)
        .await?
        {
            let tasks: i64 = row.try_get("tasks")?;
            figures.tasks_running.insert(row.try_get("team")?, tasks as u64);
        }

        // Unlimited pools (-1 slots) are never full.
        for row in sqlx::query(
            "SELECT team, environment, name, slots, occupied FROM pools \
             WHERE team IS NOT NULL AND slots > 0",
        )
        .fetch_all(pool)
        .await?
        {
            let (slots, occupied): (i64, i64) = (row.try_get("slots")?, row.try_get("occupied")?);
            let fill = PoolFill {
                environment: row.try_get("environment")?,
                name: row.try_get("name")?,
                occupied: occupied.max(0) as u64,
                slots: slots as u64,
            };
            let team: String = row.try_get("team")?;
            // Fuller wins (compared as fractions); between equally full pools, the one
            // named first, so the page does not flicker between them.
            let replaces = |kept: &PoolFill| {
                let (this, that) = (fill.occupied * kept.slots, kept.occupied * fill.slots);
                this > that
                    || (this == that
                        && (&fill.environment, &fill.name) < (&kept.environment, &kept.name))
            };
            if figures.fullest_pool.get(&team).is_none_or(replaces) {
                figures.fullest_pool.insert(team, fill);
            }
        }

        for row in sqlx::query(
            "SELECT x.team, x.id, x.candidate_sha, x.deployed_ms, u.display_name, t.name AS token_name \
             FROM (SELECT team, id, candidate_sha, deployed_ms, requester_id, token_id, \
                   ROW_NUMBER() OVER (PARTITION BY team ORDER BY deployed_ms DESC, id DESC) AS n \
                   FROM deploy_requests WHERE status = 'deployed' AND deployed_ms IS NOT NULL) x \
             JOIN users u ON u.id = x.requester_id \
             LEFT JOIN api_tokens t ON t.id = x.token_id WHERE x.n = 1",
        )
        .fetch_all(pool)
        .await?
        {
            let token: Option<String> = row.try_get("token_name")?;
            let requester: String = row.try_get("display_name")?;
            figures.last_deploy.insert(
                row.try_get("team")?,
                LastDeploy {
                    id: row.try_get("id")?,
                    commit: row.try_get("candidate_sha")?,
                    deployed_ms: row.try_get("deployed_ms")?,
                    by: requested_by(&requester, token.as_deref()),
                },
            );
        }

        for row in sqlx::query(
            "SELECT team, status, COUNT(*) AS requests FROM deploy_requests \
             WHERE status IN ('pending', 'deploying') GROUP BY team, status",
        )
        .fetch_all(pool)
        .await?
        {
            let requests: i64 = row.try_get("requests")?;
            let status: String = row.try_get("status")?;
            let counts = if status == "pending" {
                &mut figures.pending_approvals
            } else {
                &mut figures.deploying
            };
            counts.insert(row.try_get("team")?, requests as u64);
        }

        // `state = 'failed'` literally, so both planners use the partial index on end_date.
        for row in sqlx::query(
            "SELECT d.team, r.environment, r.dag_id, r.run_id, r.end_date FROM dag_runs r \
             JOIN dags d ON d.environment = r.environment AND d.dag_id = r.dag_id \
             WHERE r.state = 'failed' AND r.end_date >= $1 AND d.team IS NOT NULL \
             ORDER BY r.end_date DESC LIMIT $2",
        )
        .bind(&failing_since)
        .bind(FAILING_SHOWN as i64 * 4)
        .fetch_all(pool)
        .await?
        {
            figures.failing.push(FailingRun {
                team: row.try_get("team")?,
                environment: row.try_get("environment")?,
                dag_id: row.try_get("dag_id")?,
                run_id: row.try_get("run_id")?,
                ended: row.try_get("end_date")?,
            });
        }
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_keys_are_the_rfc3339_prefixes_the_triggers_cut() {
        // 2026-11-21T14:05:00Z
        let ms = 1_795_269_900_000;
        assert_eq!(rfc3339(ms), "2026-11-21T14:05:00Z");
        assert_eq!(hour_key(ms), "2026-11-21T14");
        assert_eq!(day_key(ms), "2026-11-21");
    }
}
