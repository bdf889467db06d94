//! Airflow 3.4+ says which team owns each DAG bundle (`GET /api/v2/dagBundles`); Hangar's
//! `[[airflow]]` configuration says so too. Where they disagree, Hangar would show one team's
//! DAGs, runs and logs to another (or to everyone), so the environment is not synced until
//! someone fixes one side: the platform overview names each contradiction, team pages only
//! say that the sync stopped (their notice must not name other teams).
//!
//! Team names are compared without case: Airflow 3.4 folds them to lower case.

use crate::airflow::AirflowClient;
use crate::airflow::models::DagBundle;
use crate::config::{AirflowConfig, BundleOwner, Ownership};
use crate::db::Db;
use crate::with_pool;

use super::dags::SyncError;

/// What team pages read while the mapping is contradicted (it names no team or bundle).
pub const STOPPED: &str = "this environment is not synced: Hangar's mapping of DAG bundles to \
                           teams contradicts Airflow's, and a platform admin has to fix it";

/// Where `ownership` and Airflow's bundles disagree, one sentence each; empty when they agree.
///
/// The one place the two maps meet: it asks `ownership` the team of each bundle Airflow
/// lists, as the sync would when it stores that bundle's DAGs.
pub fn contradictions(env: &str, ownership: &Ownership, bundles: &[DagBundle]) -> Vec<String> {
    bundles
        .iter()
        .filter_map(|bundle| {
            let airflow = bundle.team_name.as_deref();
            let hangar = ownership.owner_of_bundle(Some(&bundle.name));
            let agree = match (airflow, &hangar) {
                (Some(airflow), BundleOwner::Team(hangar)) => airflow.eq_ignore_ascii_case(hangar),
                // A single-team environment owns what an Airflow without teams holds.
                (None, BundleOwner::Team(_)) => matches!(ownership, Ownership::SingleTeam { .. }),
                (None, BundleOwner::Shared) => true,
                // Hangar shows an unmapped bundle to no team: whatever Airflow says, nothing
                // leaks (it is listed as unmapped on `/platform`).
                (_, BundleOwner::Unmapped) => true,
                (Some(_), BundleOwner::Shared) => false,
            };
            if agree {
                return None;
            }
            let in_airflow = airflow.map_or_else(
                || "belongs to no team in Airflow".to_string(),
                |team| format!("belongs to team {team} in Airflow"),
            );
            let in_hangar = match &hangar {
                BundleOwner::Team(team) => format!("Hangar's configuration gives it to {team}"),
                _ => "Hangar's configuration shares it with every team".to_string(),
            };
            Some(format!(
                "bundle {} {in_airflow}, but {in_hangar} ([[airflow]] {env}: bundles)",
                bundle.name
            ))
        })
        .collect()
}

/// Reads Airflow's bundles when it lists them (3.4+) and records whether they agree with the
/// configuration; `Err` stops this round of the sync (and every round until they agree).
pub async fn check(
    db: &Db,
    env: &AirflowConfig,
    client: &AirflowClient,
    now_ms: i64,
) -> Result<(), SyncError> {
    let version = client.detected_version().await;
    let version = super::dags::answered(db, &env.name, now_ms, version).await?;
    if !version.has_dag_bundles() {
        return record(db, &env.name, None).await;
    }
    let bundles = client.all_dag_bundles().await;
    let bundles = super::dags::answered(db, &env.name, now_ms, bundles).await?;
    let found = contradictions(&env.name, &env.ownership, &bundles);
    if found.is_empty() {
        return record(db, &env.name, None).await;
    }
    let conflict = found.join("; ");
    tracing::error!(env = %env.name, %conflict, "DAG bundle ownership contradicts Airflow; not syncing");
    record(db, &env.name, Some(&conflict)).await?;
    super::dags::record_status(db, &env.name, now_ms, Some(STOPPED)).await?;
    Err(SyncError::Ownership(conflict))
}

async fn record(db: &Db, env: &str, conflict: Option<&str>) -> Result<(), SyncError> {
    with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO airflow_sync_status (environment, bundle_conflict) VALUES ($1, $2) \
             ON CONFLICT (environment) DO UPDATE SET bundle_conflict = excluded.bundle_conflict",
        )
        .bind(env)
        .bind(conflict)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn bundle(name: &str, team: Option<&str>) -> DagBundle {
        DagBundle {
            name: name.into(),
            team_name: team.map(str::to_string),
            active: Some(true),
        }
    }

    fn multi(pairs: &[(&str, &str)], shared: &[&str]) -> Ownership {
        Ownership::MultiTeam {
            bundles: pairs
                .iter()
                .map(|(b, t)| (b.to_string(), t.to_string()))
                .collect::<BTreeMap<_, _>>(),
            shared: shared.iter().map(|b| b.to_string()).collect(),
        }
    }

    #[test]
    fn agreeing_maps_have_no_contradiction_and_case_does_not_matter() {
        let ownership = multi(
            &[("team_a_dags", "Team_A"), ("team_b_dags", "team_b")],
            &["shared_dags"],
        );
        let bundles = [
            bundle("team_a_dags", Some("team_a")),
            bundle("team_b_dags", Some("team_b")),
            bundle("shared_dags", None),
            // Unmapped in Hangar: shown to no team, so nothing to contradict.
            bundle("team_d_dags", Some("team_d")),
            bundle("loose_dags", None),
        ];
        assert!(contradictions("main", &ownership, &bundles).is_empty());
    }

    #[test]
    fn each_disagreement_is_named() {
        let ownership = multi(
            &[("team_a_dags", "team_b"), ("shared_dags", "team_a")],
            &["team_c_dags"],
        );
        let bundles = [
            bundle("team_a_dags", Some("team_a")),
            bundle("team_c_dags", Some("team_c")),
            bundle("shared_dags", None),
        ];
        let found = contradictions("main", &ownership, &bundles);
        assert_eq!(
            found,
            vec![
                "bundle team_a_dags belongs to team team_a in Airflow, but Hangar's \
                 configuration gives it to team_b ([[airflow]] main: bundles)",
                "bundle team_c_dags belongs to team team_c in Airflow, but Hangar's \
                 configuration shares it with every team ([[airflow]] main: bundles)",
                "bundle shared_dags belongs to no team in Airflow, but Hangar's configuration \
                 gives it to team_a ([[airflow]] main: bundles)",
            ]
        );
    }

    #[test]
    fn a_single_team_environment_owns_bundles_of_no_team_but_not_other_teams_ones() {
        let ownership = Ownership::SingleTeam {
            team: "team_a".into(),
        };
        assert!(contradictions("solo", &ownership, &[bundle("dags", None)]).is_empty());
        assert!(contradictions("solo", &ownership, &[bundle("dags", Some("TEAM_A"))]).is_empty());
        assert_eq!(
            contradictions("solo", &ownership, &[bundle("dags", Some("team_b"))]).len(),
            1
        );
    }
}
