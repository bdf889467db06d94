//! Whether Airflow runs what was deployed, read from the read model the sync keeps.
//!
//! Git bundles (ref targets): a DAG of the team reports the deployed commit as its
//! `bundle_version`. Directory targets only: a DAG of the team was parsed after the swap.
//! Until then the deploy is "waiting"; after `confirm_within` it is "late" (shown as "not
//! picked up after N minutes"), and still turns "live" if Airflow gets there.

use sqlx::Row;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::store::StoredRequest;
use super::team::{Target, TeamDeploy};
use crate::db::Db;
use crate::with_pool;

#[derive(Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// Live in Airflow since this time (Airflow's parse time where it says, else now).
    Live {
        at_ms: i64,
    },
    Late,
    Waiting,
}

/// Where a deployed request stands in Airflow now.
pub async fn check(
    db: &Db,
    team: &TeamDeploy,
    request: &StoredRequest,
    now_ms: i64,
) -> Result<Confirmation, sqlx::Error> {
    let deployed_ms = request.deployed_ms.unwrap_or(request.created_ms);
    let git_bundle = team.targets.iter().any(|t| matches!(t, Target::Ref(_)));
    let rows: Vec<(Option<String>, Option<String>)> = with_pool!(db, pool => {
        sqlx::query(
            "SELECT bundle_version, last_parsed FROM dags WHERE team = $1 AND is_stale = 0",
        )
        .bind(team.team())
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|row| Ok((row.try_get("bundle_version")?, row.try_get("last_parsed")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()
    })?;
    let parsed_ms = |text: &Option<String>| {
        text.as_deref()
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
    };
    let live_at = rows
        .iter()
        .filter(|(version, parsed)| {
            if git_bundle {
                version.as_deref() == Some(request.candidate.as_str())
            } else {
                parsed_ms(parsed).is_some_and(|at| at >= deployed_ms)
            }
        })
        .map(|(_, parsed)| parsed_ms(parsed).unwrap_or(now_ms))
        .min();
    Ok(match live_at {
        Some(at) => Confirmation::Live {
            at_ms: at.max(deployed_ms),
        },
        None if now_ms - deployed_ms > team.config.confirm_within.as_millis() as i64 => {
            Confirmation::Late
        }
        None => Confirmation::Waiting,
    })
}

/// Records the confirmation if it moved; returns whether it did.
pub async fn record(
    db: &Db,
    request_id: i64,
    confirmation: &Confirmation,
) -> Result<bool, sqlx::Error> {
    let (state, at, from) = match confirmation {
        Confirmation::Live { at_ms } => ("live", Some(*at_ms), "('waiting', 'late')"),
        Confirmation::Late => ("late", None, "('waiting')"),
        Confirmation::Waiting => return Ok(false),
    };
    let sql = format!(
        "UPDATE deploy_requests SET confirmation = $2, confirmed_ms = $3 \
         WHERE id = $1 AND status = 'deployed' AND confirmation IN {from}"
    );
    with_pool!(db, pool => {
        let moved = sqlx::query(&sql)
            .bind(request_id)
            .bind(state)
            .bind(at)
            .execute(pool)
            .await?
            .rows_affected();
        Ok(moved == 1)
    })
}
