//! Airflow's own example DAGs in the test Airflow (team `examples`, end2end/scripts/lib.sh):
//! the few with the shapes real estates have (mapping, groups, branching, setup/teardown,
//! short-circuit, skips) are unpaused and triggered once per Airflow, which every test then
//! shares; the rest stay paused and cost nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use hangar_server::airflow::AirflowClient;
use hangar_server::airflow::client::api_path;
use reqwest::Method;
use serde_json::Value;

use super::{TestApp, retry_airflow};

/// The example DAGs the suite runs, each for the shape it brings.
pub const TRIGGERED: [&str; 7] = [
    // dynamic task mapping: add_one × 3, then sum_it
    "example_dynamic_task_mapping",
    // a mapped task group: op.add_1 and op.mul_2 × 3
    "example_task_group_mapping",
    // nested task groups
    "example_task_group",
    // setup and teardown tasks, inside and outside a group
    "example_setup_teardown_taskflow",
    // branching: the branches not taken are skipped
    "example_nested_branch_dag",
    // short-circuit: the condition false skips what follows
    "example_short_circuit_operator",
    // skips and trigger rules
    "example_skip_dag",
];

/// Run states Airflow does not change by itself any more.
fn finished(state: &str) -> bool {
    matches!(state, "success" | "failed")
}

/// One test at a time checks and triggers (tests share the one Airflow).
static TRIGGERING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl TestApp {
    /// The finished manual run of each of [`TRIGGERED`]: unpaused and triggered in Airflow
    /// the first time any test asks, and waited for; then the read model is synced (DAGs,
    /// runs, task instances). Returns run ids by DAG id.
    pub async fn example_runs(&self) -> BTreeMap<String, String> {
        let airflow = self.airflow();
        let runs = {
            let _one_at_a_time = TRIGGERING.lock().await;
            let mut runs = BTreeMap::new();
            for dag_id in TRIGGERED {
                runs.insert(dag_id.to_string(), manual_run(&airflow, dag_id).await);
            }
            runs
        };
        wait_until_finished(&airflow, &runs).await;
        self.sync_dags_until(&TRIGGERED, 180).await;
        self.sync_runs_and_tasks().await;
        self.sync_task_lists(&TRIGGERED).await;
        runs
    }

    /// A new manual run of `dag_id` (unpaused first), for a test that watches it run.
    pub async fn fresh_run(&self, dag_id: &str) -> String {
        let airflow = self.airflow();
        let _one_at_a_time = TRIGGERING.lock().await;
        // The example bundles parse once at start-up, in about a minute.
        for _ in 0..180 {
            match airflow
                .call::<Value>(Method::GET, &api_path(&["dags", dag_id]), &[], None)
                .await
            {
                Ok(_) => break,
                Err(hangar_server::airflow::AirflowError::NotFound { .. }) => {
                    tokio::time::sleep(Duration::from_secs(1)).await
                }
                Err(error) => panic!("reading {dag_id}: {error}"),
            }
        }
        unpause_and_trigger(&airflow, dag_id).await
    }

    /// Reads task lists (a sync's worth at a time) until `dag_ids` all have theirs.
    pub async fn sync_task_lists(&self, dag_ids: &[&str]) {
        let env = &self.state.config.airflow[0];
        let client = self.state.airflow.main(&env.name).unwrap();
        for _ in 0..20 {
            let now = self.state.clock.now_ms();
            hangar_server::sync::tasks::sync_task_lists(&self.state.db, &env.name, &client, now)
                .await
                .unwrap();
            let read: Vec<String> = hangar_server::with_pool!(&self.state.db, pool => {
                sqlx::query_scalar("SELECT dag_id FROM dag_task_lists WHERE stale = 0")
                    .fetch_all(pool)
                    .await
                    .unwrap()
            });
            if dag_ids.iter().all(|id| read.iter().any(|r| r == id)) {
                return;
            }
        }
        panic!("the task lists of {dag_ids:?} were never read");
    }

    /// Every task instance of a run as Airflow lists it: (task id, map index, state, try).
    pub async fn airflow_task_instances(
        &self,
        dag_id: &str,
        run_id: &str,
    ) -> Vec<(String, i64, String, i64)> {
        let listed: Value = self
            .airflow()
            .call(
                Method::GET,
                &api_path(&["dags", dag_id, "dagRuns", run_id, "taskInstances"]),
                &[("limit", "100".into())],
                None,
            )
            .await
            .unwrap();
        listed["task_instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|ti| {
                (
                    ti["task_id"].as_str().unwrap().to_string(),
                    ti["map_index"].as_i64().unwrap(),
                    ti["state"].as_str().unwrap_or("none").to_string(),
                    ti["try_number"].as_i64().unwrap(),
                )
            })
            .collect()
    }
}

/// The DAG's latest manual run, or a new one (the DAG unpaused first: Airflow starts no run
/// of a paused DAG).
async fn manual_run(airflow: &AirflowClient, dag_id: &str) -> String {
    // The example bundle parses once at start-up, in about a minute.
    let mut existing = None;
    for _ in 0..180 {
        let listed: Result<Value, _> = airflow
            .call(
                Method::GET,
                &api_path(&["dags", dag_id, "dagRuns"]),
                &[
                    ("run_type", "manual".into()),
                    ("order_by", "-run_after".into()),
                    ("limit", "1".into()),
                ],
                None,
            )
            .await;
        match listed {
            Ok(listed) => {
                existing = Some(
                    listed["dag_runs"][0]["dag_run_id"]
                        .as_str()
                        .map(String::from),
                );
                break;
            }
            Err(hangar_server::airflow::AirflowError::NotFound { .. }) => {
                tokio::time::sleep(Duration::from_secs(1)).await
            }
            Err(error) => panic!("listing the runs of {dag_id}: {error}"),
        }
    }
    let existing = existing.unwrap_or_else(|| panic!("Airflow never parsed {dag_id}"));
    if let Some(run_id) = existing {
        // A run started in Hangar while the DAG was paused waits, queued, until it is not.
        retry_airflow(|| airflow.set_paused(dag_id, false))
            .await
            .unwrap_or_else(|error| panic!("unpausing {dag_id}: {error}"));
        return run_id;
    }
    unpause_and_trigger(airflow, dag_id).await
}

/// A new run of `dag_id`, unpaused first: Airflow starts no run of a paused DAG.
async fn unpause_and_trigger(airflow: &AirflowClient, dag_id: &str) -> String {
    retry_airflow(|| airflow.set_paused(dag_id, false))
        .await
        .unwrap_or_else(|error| panic!("unpausing {dag_id}: {error}"));
    let body = hangar_server::airflow::models::TriggerBody {
        logical_date: None,
        conf: serde_json::Map::new(),
        note: Some("Hangar's test suite".into()),
    };
    retry_airflow(|| airflow.trigger(dag_id, &body))
        .await
        .unwrap_or_else(|error| panic!("triggering {dag_id}: {error}"))
        .dag_run_id
}

async fn wait_until_finished(airflow: &AirflowClient, runs: &BTreeMap<String, String>) {
    for _ in 0..300 {
        let mut pending = Vec::new();
        for (dag_id, run_id) in runs {
            let run: Value = airflow
                .call(
                    Method::GET,
                    &api_path(&["dags", dag_id, "dagRuns", run_id]),
                    &[],
                    None,
                )
                .await
                .unwrap();
            if !finished(run["state"].as_str().unwrap_or_default()) {
                pending.push(dag_id.clone());
            }
        }
        if pending.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    panic!("the example runs did not finish in 10 minutes");
}
