//! Airflow's own view of its health (`GET /api/v2/monitor/health`: metadatabase, scheduler,
//! triggerer, DAG processor, with heartbeats) and its version, read by the environment's
//! sync leader for the platform overview's health panel.

use std::time::Duration;

use hangar_app::models::platform::HealthComponent;
use sqlx::Row;

use crate::airflow::AirflowClient;
use crate::db::Db;
use crate::with_pool;

/// How often the leader reads Airflow's health: a dead scheduler shows within this.
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(30);

/// Reads and records the environment's health; returns whether any component's status
/// changed since the last reading (so open overview pages are told). An unreachable Airflow
/// is recorded as "no components" at this time: the panel says it could not be read.
pub async fn check(
    db: &Db,
    environment: &str,
    client: &AirflowClient,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let components = match client.health().await {
        Ok(answer) => components(&answer),
        Err(error) => {
            tracing::debug!(env = environment, %error, "cannot read Airflow's health");
            Vec::new()
        }
    };
    let version = client.detected_version().await.ok().map(|v| v.version);
    let recorded = serde_json::to_string(&components).expect("components serialise");
    let before = recorded_components(db, environment).await?;
    with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO airflow_sync_status (environment, health_json, health_checked_ms, airflow_version) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (environment) DO UPDATE SET \
             health_json = excluded.health_json, health_checked_ms = excluded.health_checked_ms, \
             airflow_version = COALESCE(excluded.airflow_version, airflow_sync_status.airflow_version)",
        )
        .bind(environment)
        .bind(&recorded)
        .bind(now_ms)
        .bind(version)
        .execute(pool)
        .await
        .map(|_| ())
    })?;
    let statuses = |list: &[HealthComponent]| -> Vec<(String, String)> {
        list.iter()
            .map(|c| (c.name.clone(), c.status.clone()))
            .collect()
    };
    Ok(before.as_deref().map(statuses) != Some(statuses(&components)))
}

/// The components as last recorded; `None` before the first reading.
pub async fn recorded_components(
    db: &Db,
    environment: &str,
) -> Result<Option<Vec<HealthComponent>>, sqlx::Error> {
    let json: Option<String> = with_pool!(db, pool => {
        sqlx::query("SELECT health_json FROM airflow_sync_status WHERE environment = $1")
            .bind(environment)
            .fetch_optional(pool)
            .await?
            .map(|row| row.try_get::<Option<String>, _>("health_json"))
            .transpose()
    })?
    .flatten();
    Ok(json.map(|json| parse_recorded(&json)))
}

/// What [`check`] wrote; anything unreadable reads as "could not be read".
pub fn parse_recorded(json: &str) -> Vec<HealthComponent> {
    serde_json::from_str(json).unwrap_or_default()
}

/// Airflow's answer as components: every member that is an object with a `status`, with its
/// `latest_…heartbeat` if it has one (the metadatabase has none). Airflow 3.4 adds a
/// `detailed_status` (`healthy`, `degraded`, `down`) next to the two-valued `status`: the
/// detailed one is shown when present, and any status is kept as Airflow's text.
pub fn components(answer: &serde_json::Value) -> Vec<HealthComponent> {
    let Some(members) = answer.as_object() else {
        return Vec::new();
    };
    members
        .iter()
        .filter_map(|(name, value)| {
            let member = value.as_object()?;
            let status = member.get("status")?;
            let status = member
                .get("detailed_status")
                .and_then(|detailed| detailed.as_str())
                .or(status.as_str())
                .unwrap_or("unknown");
            let latest_heartbeat = member
                .iter()
                .find(|(key, _)| key.starts_with("latest_") && key.ends_with("heartbeat"))
                .and_then(|(_, at)| at.as_str())
                .map(str::to_string);
            Some(HealthComponent {
                name: name.clone(),
                status: status.to_string(),
                latest_heartbeat,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn airflow_health_becomes_components_with_heartbeats() {
        // Airflow 3.3.2's answer, as the demo's Airflow gives it.
        let answer = serde_json::json!({
            "metadatabase": {"status": "healthy"},
            "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": "2026-11-21T14:05:00+00:00"},
            "triggerer": {"status": null, "latest_triggerer_heartbeat": null},
            "dag_processor": {"status": "unhealthy", "latest_dag_processor_heartbeat": "2026-11-21T13:00:00+00:00"},
        });
        let found = components(&answer);
        let by_name = |name: &str| found.iter().find(|c| c.name == name).unwrap().clone();
        assert_eq!(found.len(), 4);
        assert!(by_name("metadatabase").healthy());
        assert_eq!(by_name("metadatabase").latest_heartbeat, None);
        assert_eq!(
            by_name("scheduler").latest_heartbeat.as_deref(),
            Some("2026-11-21T14:05:00+00:00")
        );
        assert_eq!(by_name("triggerer").status, "unknown");
        assert!(!by_name("dag_processor").healthy());
        assert!(components(&serde_json::json!("down")).is_empty());
        let recorded = serde_json::to_string(&found).unwrap();
        assert_eq!(parse_recorded(&recorded), found);
        assert!(parse_recorded("not json").is_empty());
    }

    #[test]
    fn airflow_3_4_health_shows_the_detailed_status() {
        // 3.4.0b2: `status` is healthy|unhealthy, `detailed_status` healthy|degraded|down,
        // plus `instances`.
        let answer = serde_json::json!({
            "metadatabase": {"status": "healthy"},
            "scheduler": {"status": "healthy", "detailed_status": "degraded",
                          "latest_scheduler_heartbeat": "2026-12-01T10:00:00+00:00",
                          "instances": [{"hostname": "a"}, {"hostname": "b"}]},
            "triggerer": {"status": "unhealthy", "detailed_status": "down",
                          "latest_triggerer_heartbeat": null, "instances": []},
        });
        let found = components(&answer);
        let by_name = |name: &str| found.iter().find(|c| c.name == name).unwrap().clone();
        assert_eq!(by_name("scheduler").status, "degraded");
        assert!(!by_name("scheduler").healthy());
        assert_eq!(by_name("triggerer").status, "down");
        assert!(by_name("metadatabase").healthy());
    }
}
