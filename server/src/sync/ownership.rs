//! Who owns a DAG: the first owner Hangar saw for its `dag_id`, not whatever bundle Airflow
//! reports now (Airflow lets the last parse win; Hangar must not let a team take another's
//! DAG, runs and logs by defining the same `dag_id` in its own bundle).
//!
//! [`settle`] is the rule; the DAG sync applies it to every DAG it stores, and platform
//! admins change pins with [`assign`] and [`release`] (the platform port audits them).
//! [`conflicts`] and [`unmapped`] are what `/platform` lists.
//!
//! A pin keeps the DAG, and its runs must follow the code they ran, not the DAG's name:
//! while two bundles define one `dag_id`, Airflow runs whichever parse came last. A run or
//! task instance whose code came from a bundle of another owner than the pin
//! ([`ran_elsewhere`]) is another owner's output, so the sync never stores it (and removes it
//! if it was stored): neither team reads it in Hangar, and the conflict on `/platform` says
//! why. A platform admin who moves a pin ([`assign`], [`release`]) hands over the DAG, not
//! its past: the runs stored so far are dropped and the sync reads the window again under
//! the new owner.

use hangar_app::models::platform::{OwnershipConflict, UnmappedBundle, owner_label};
use sqlx::Row;

use crate::config::{BundleOwner, Ownership};
use crate::db::{Db, query_result};
use crate::error::ServerError;
use crate::with_pool;

/// What the read model shows for one DAG, given its pin and what Airflow reports now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settled {
    /// Who sees the DAG (and, through migration 0010's triggers, its runs).
    pub owner: BundleOwner,
    /// The first report of an owned DAG: pin it to that owner.
    pub pin: bool,
    /// Airflow reports it in another owner's bundle: the pinned owner keeps it, and
    /// actions on it are refused until a platform admin resolves it.
    pub conflict: bool,
}

/// The rule. Unpinned: the reported owner, pinned unless unmapped (an unmapped DAG is
/// nobody's, so it claims nothing). Pinned: always the pin; a different report is a
/// conflict — also when the report is "shared" or "unmapped", so a team's DAG never becomes
/// visible to all, nor moves, by a change in Airflow alone.
pub fn settle(pin: Option<&BundleOwner>, reported: &BundleOwner) -> Settled {
    match pin {
        None => Settled {
            owner: reported.clone(),
            pin: *reported != BundleOwner::Unmapped,
            conflict: false,
        },
        Some(pinned) => Settled {
            owner: pinned.clone(),
            pin: false,
            conflict: pinned != reported,
        },
    }
}

/// A DAG's pin, and whether Airflow reports the DAG elsewhere now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pin {
    pub owner: BundleOwner,
    pub in_conflict: bool,
}

/// How a transaction that reads pins and writes what follows from them begins: on SQLite
/// `BEGIN IMMEDIATE`, which takes the write lock first (a deferred transaction that read
/// before another writer committed could not write at all: `BUSY_SNAPSHOT`); on PostgreSQL
/// a plain `BEGIN`, then [`pin_guard`].
pub fn begin_statement(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "BEGIN IMMEDIATE",
        Db::Postgres(_) => "BEGIN",
    }
}

/// On PostgreSQL, the environment's pin guard, taken first in the transaction ($1: the
/// environment): shared by the syncs, exclusive for an admin's re-pin, so a re-pin never
/// falls between a sync's read of the pins and its writes (row locks cannot do it: a
/// re-pin replaces the row, and a pin that does not exist yet has no row to lock).
pub fn pin_guard(db: &Db, exclusive: bool) -> Option<&'static str> {
    match (db, exclusive) {
        (Db::Sqlite(_), _) => None,
        (Db::Postgres(_), false) => {
            Some("SELECT pg_advisory_xact_lock_shared(hashtext('hangar.pins:' || $1))")
        }
        (Db::Postgres(_), true) => {
            Some("SELECT pg_advisory_xact_lock(hashtext('hangar.pins:' || $1))")
        }
    }
}

/// Begins a transaction on `$pool` (of `$db`) that holds `$environment`'s pin guard
/// (`$exclusive` for a re-pin): [`begin_statement`], then [`pin_guard`].
macro_rules! begin_guarded {
    ($db:expr, $pool:expr, $environment:expr, $exclusive:expr) => {{
        let mut tx = $pool
            .begin_with($crate::sync::ownership::begin_statement($db))
            .await?;
        if let Some(guard) = $crate::sync::ownership::pin_guard($db, $exclusive) {
            sqlx::query(guard)
                .bind($environment)
                .execute(&mut *tx)
                .await?;
        }
        tx
    }};
}
pub(crate) use begin_guarded;

/// Every pin of `$environment` (dag id → [`Pin`]), read through `$executor`: a transaction
/// [`begin_guarded!`] began, so the pins cannot change under what it writes.
macro_rules! read_pins {
    ($executor:expr, $environment:expr) => {{
        use sqlx::Row as _;
        sqlx::query(
            "SELECT o.dag_id AS dag_id, o.team AS team, o.shared AS shared, \
             CAST(CASE WHEN d.conflict_since_ms IS NULL THEN 0 ELSE 1 END AS BIGINT) AS in_conflict \
             FROM dag_owners o LEFT JOIN dags d \
             ON d.environment = o.environment AND d.dag_id = o.dag_id \
             WHERE o.environment = $1",
        )
        .bind($environment)
        .fetch_all($executor)
        .await?
        .iter()
        .map(|row| {
            let owner = $crate::config::BundleOwner::from_columns(
                row.try_get("team")?,
                row.try_get::<i64, _>("shared")? != 0,
            );
            let in_conflict = row.try_get::<i64, _>("in_conflict")? != 0;
            Ok((
                row.try_get::<String, _>("dag_id")?,
                $crate::sync::ownership::Pin { owner, in_conflict },
            ))
        })
        .collect::<Result<std::collections::HashMap<String, $crate::sync::ownership::Pin>, sqlx::Error>>()?
    }};
}
pub(crate) use read_pins;

/// Whether code from `bundles` (the versions a run or task instance executed) belongs to
/// another owner than the DAG's pin. Unpinned DAGs follow their report anyway, so nothing of
/// theirs is withheld. Versions that name no bundle tell nothing: such a run is kept, unless
/// the DAG is in conflict now (deny by default: it may be the other bundle's).
pub fn ran_elsewhere<'a>(
    pin: Option<&Pin>,
    ownership: &Ownership,
    bundles: impl IntoIterator<Item = Option<&'a str>>,
) -> bool {
    let Some(pin) = pin else {
        return false;
    };
    let mut known = false;
    for bundle in bundles.into_iter().flatten() {
        if ownership.owner_of_bundle(Some(bundle)) != pin.owner {
            return true;
        }
        known = true;
    }
    !known && pin.in_conflict
}

/// A stored conflict: environment, dag id, pinned team, pinned as shared, the bundle Airflow
/// reports it in now, since when.
type ConflictRow = (String, String, Option<String>, bool, Option<String>, i64);

/// Every conflict, oldest first, for platform roles.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn conflicts(
    db: &Db,
    environments: &[(String, Ownership)],
) -> Result<Vec<OwnershipConflict>, ServerError> {
    let rows: Vec<ConflictRow> = query_result(with_pool!(db, pool => {
        sqlx::query(
            "SELECT environment, dag_id, team, shared, conflict_bundle, conflict_since_ms \
             FROM dags WHERE conflict_since_ms IS NOT NULL \
             ORDER BY conflict_since_ms, environment, dag_id LIMIT 500",
        )
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("environment")?,
                row.try_get("dag_id")?,
                row.try_get("team")?,
                row.try_get::<i64, _>("shared")? != 0,
                row.try_get("conflict_bundle")?,
                row.try_get("conflict_since_ms")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
    }))?;
    Ok(rows
        .into_iter()
        .map(|(environment, dag_id, team, shared, bundle, since_ms)| {
            let reported = environments
                .iter()
                .find(|(name, _)| *name == environment)
                .map(|(_, ownership)| ownership.owner_of_bundle(bundle.as_deref()))
                .unwrap_or(BundleOwner::Unmapped);
            let (reported_team, reported_shared) = reported.columns();
            OwnershipConflict {
                owner: owner_label(team.as_deref(), shared),
                reported_owner: owner_label(reported_team, reported_shared),
                reported_team: reported_team.map(str::to_string),
                environment,
                dag_id,
                reported_bundle: bundle,
                since_ms,
            }
        })
        .collect())
}

/// Bundles (and "no bundle") whose DAGs or import errors no team sees, with their counts.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn unmapped(db: &Db) -> Result<Vec<UnmappedBundle>, ServerError> {
    query_result(with_pool!(db, pool => {
        let rows = sqlx::query(
            "SELECT environment, bundle_name, SUM(dags) AS dags, SUM(errors) AS errors FROM ( \
               SELECT environment, bundle_name, 1 AS dags, 0 AS errors FROM dags \
                 WHERE team IS NULL AND shared = 0 \
               UNION ALL \
               SELECT environment, bundle_name, 0 AS dags, 1 AS errors FROM import_errors \
                 WHERE team IS NULL AND shared = 0 \
             ) u GROUP BY environment, bundle_name ORDER BY environment, bundle_name LIMIT 500",
        )
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(UnmappedBundle {
                    environment: row.try_get("environment")?,
                    bundle: row.try_get("bundle_name")?,
                    dags: row.try_get::<i64, _>("dags")? as u64,
                    import_errors: row.try_get::<i64, _>("errors")? as u64,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }))
}

/// What a platform admin changed, for the audit entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The pinned owner before (`None`: none).
    pub before: Option<BundleOwner>,
    /// Who sees the DAG now.
    pub now: BundleOwner,
    /// Whether Airflow's report still disagrees.
    pub still_in_conflict: bool,
}

/// Pins `dag_id` to `team` (a platform admin's decision: the DAG and its runs go to that
/// team), then settles the DAG's row against what Airflow last reported. `None` when the read
/// model does not know the DAG.
pub async fn assign(
    db: &Db,
    environment: &str,
    ownership: &Ownership,
    dag_id: &str,
    team: &str,
    now_ms: i64,
) -> Result<Option<Resolved>, ServerError> {
    repin(
        db,
        environment,
        ownership,
        dag_id,
        Some(BundleOwner::Team(team.to_string())),
        now_ms,
    )
    .await
}

/// Removes the pin of `dag_id`: the DAG goes to whoever Airflow's report maps it to now (and
/// is pinned there again, unless that is nobody).
pub async fn release(
    db: &Db,
    environment: &str,
    ownership: &Ownership,
    dag_id: &str,
    now_ms: i64,
) -> Result<Option<Resolved>, ServerError> {
    repin(db, environment, ownership, dag_id, None, now_ms).await
}

async fn repin(
    db: &Db,
    environment: &str,
    ownership: &Ownership,
    dag_id: &str,
    pin: Option<BundleOwner>,
    now_ms: i64,
) -> Result<Option<Resolved>, ServerError> {
    query_result(with_pool!(db, pool => {
        let mut tx = begin_guarded!(db, pool, environment, true);
        let Some(row) = sqlx::query(
            "SELECT CASE WHEN conflict_since_ms IS NULL THEN bundle_name ELSE conflict_bundle END \
             AS reported FROM dags WHERE environment = $1 AND dag_id = $2",
        )
        .bind(environment)
        .bind(dag_id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let reported_bundle: Option<String> = row.try_get("reported")?;
        let before = sqlx::query("SELECT team, shared FROM dag_owners WHERE environment = $1 AND dag_id = $2")
            .bind(environment)
            .bind(dag_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| -> Result<BundleOwner, sqlx::Error> {
                Ok(BundleOwner::from_columns(row.try_get("team")?, row.try_get::<i64, _>("shared")? != 0))
            })
            .transpose()?;
        sqlx::query("DELETE FROM dag_owners WHERE environment = $1 AND dag_id = $2")
            .bind(environment)
            .bind(dag_id)
            .execute(&mut *tx)
            .await?;
        let reported = ownership.owner_of_bundle(reported_bundle.as_deref());
        let settled = settle(pin.as_ref(), &reported);
        let pinned = pin.clone().or_else(|| settled.pin.then(|| settled.owner.clone()));
        if let Some(pinned) = &pinned {
            let (team, shared) = pinned.columns();
            sqlx::query(
                "INSERT INTO dag_owners (environment, dag_id, team, shared, pinned_ms) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(environment)
            .bind(dag_id)
            .bind(team)
            .bind(i64::from(shared))
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        if before.clone().unwrap_or(BundleOwner::Unmapped) != settled.owner {
            // The DAG changes hands, its past does not: the runs stored so far ran the
            // previous owner's code (task instances and tries go with them).
            for table in ["task_instances", "dag_runs"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE environment = $1 AND dag_id = $2"))
                    .bind(environment)
                    .bind(dag_id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("UPDATE dags SET older_runs_read_ms = NULL WHERE environment = $1 AND dag_id = $2")
                .bind(environment)
                .bind(dag_id)
                .execute(&mut *tx)
                .await?;
            // The task-instance sync reads only what changed; once, it reads the window
            // whole again, so the new owner's runs come back with their tasks ('' is that
            // request: unlike NULL, a pass that started from none does not overwrite it).
            sqlx::query("UPDATE airflow_sync_status SET task_instances_since = '' WHERE environment = $1")
                .bind(environment)
                .execute(&mut *tx)
                .await?;
        }
        let (team, shared) = settled.owner.columns();
        // Settled: the next DAG sync rewrites the description, tags and file from Airflow's
        // report, and the details (documentation, parameters) are read again.
        sqlx::query(
            "UPDATE dags SET team = $1, shared = $2, \
             bundle_name = CASE WHEN $3 = 1 THEN bundle_name ELSE $4 END, \
             conflict_bundle = CASE WHEN $3 = 1 THEN $4 ELSE NULL END, \
             conflict_since_ms = CASE WHEN $3 = 1 THEN COALESCE(conflict_since_ms, $5) ELSE NULL END, \
             details_parsed = CASE WHEN $3 = 1 THEN details_parsed ELSE NULL END \
             WHERE environment = $6 AND dag_id = $7",
        )
        .bind(team)
        .bind(i64::from(shared))
        .bind(i64::from(settled.conflict))
        .bind(&reported_bundle)
        .bind(now_ms)
        .bind(environment)
        .bind(dag_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(Resolved {
            before,
            now: settled.owner,
            still_in_conflict: settled.conflict,
        }))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(name: &str) -> BundleOwner {
        BundleOwner::Team(name.into())
    }

    #[test]
    fn the_first_owner_is_pinned_and_unmapped_claims_nothing() {
        let first = settle(None, &team("team_a"));
        assert_eq!(
            (first.owner, first.pin, first.conflict),
            (team("team_a"), true, false)
        );
        let shared = settle(None, &BundleOwner::Shared);
        assert_eq!((shared.owner, shared.pin), (BundleOwner::Shared, true));
        let unmapped = settle(None, &BundleOwner::Unmapped);
        assert_eq!(
            (unmapped.owner, unmapped.pin, unmapped.conflict),
            (BundleOwner::Unmapped, false, false)
        );
    }

    #[test]
    fn a_pinned_dag_never_follows_a_different_report() {
        let pin = team("team_a");
        for reported in [team("team_b"), BundleOwner::Shared, BundleOwner::Unmapped] {
            let settled = settle(Some(&pin), &reported);
            assert_eq!(settled.owner, pin, "{reported:?}");
            assert!(settled.conflict && !settled.pin, "{reported:?}");
        }
        let agreed = settle(Some(&pin), &team("team_a"));
        assert!(!agreed.conflict && !agreed.pin);
        // A shared DAG does not become one team's either.
        let shared = settle(Some(&BundleOwner::Shared), &team("team_b"));
        assert_eq!((shared.owner, shared.conflict), (BundleOwner::Shared, true));
    }

    fn two_teams() -> Ownership {
        Ownership::MultiTeam {
            bundles: [("a_dags", "team_a"), ("b_dags", "team_b")]
                .into_iter()
                .map(|(bundle, team)| (bundle.to_string(), team.to_string()))
                .collect(),
            shared: ["common".to_string()].into_iter().collect(),
        }
    }

    #[test]
    fn runs_of_another_owners_code_are_withheld() {
        let ownership = two_teams();
        let pinned = |owner: BundleOwner| Pin {
            owner,
            in_conflict: false,
        };
        let pin = pinned(team("team_a"));
        assert!(!ran_elsewhere(Some(&pin), &ownership, [Some("a_dags")]));
        assert!(ran_elsewhere(Some(&pin), &ownership, [Some("b_dags")]));
        // One foreign version is enough (a try that ran the other parse).
        assert!(ran_elsewhere(
            Some(&pin),
            &ownership,
            [Some("a_dags"), Some("b_dags")]
        ));
        // Shared or unmapped code is not the team's either.
        assert!(ran_elsewhere(Some(&pin), &ownership, [Some("common")]));
        assert!(ran_elsewhere(Some(&pin), &ownership, [Some("nowhere")]));
        // A shared DAG's run from a team's bundle is that team's code, not everyone's.
        assert!(ran_elsewhere(
            Some(&pinned(BundleOwner::Shared)),
            &ownership,
            [Some("a_dags")]
        ));
        // Nothing to go by (no versions yet, or none with a bundle): kept, unless the DAG
        // is in conflict now.
        assert!(!ran_elsewhere(Some(&pin), &ownership, []));
        assert!(!ran_elsewhere(Some(&pin), &ownership, [None]));
        let disputed = Pin {
            owner: team("team_a"),
            in_conflict: true,
        };
        assert!(ran_elsewhere(Some(&disputed), &ownership, []));
        assert!(ran_elsewhere(Some(&disputed), &ownership, [None]));
        assert!(!ran_elsewhere(
            Some(&disputed),
            &ownership,
            [Some("a_dags")]
        ));
        // Unpinned: nothing withheld.
        assert!(!ran_elsewhere(None, &ownership, [Some("b_dags")]));
        // Everything in a single-team environment is its team's.
        let single = Ownership::SingleTeam {
            team: "team_a".into(),
        };
        assert!(!ran_elsewhere(Some(&pin), &single, [Some("b_dags")]));
    }
}
