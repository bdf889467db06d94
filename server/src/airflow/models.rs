//! The parts of Airflow 3's REST API v2 answers that Hangar reads.
//!
//! Tolerant by design, so an Airflow newer than the one tested against still syncs: fields
//! Hangar does not read are ignored, enumerations (states, run types, health statuses,
//! scheduling states) are kept as Airflow's text rather than closed Rust enums, and every
//! field a later version made nullable or may drop is an `Option` or has a default (3.4
//! made `fileloc` nullable, added `scheduling_state`, and closed or widened several enums:
//! `NOTES-airflow-3.4.md`).

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Dag {
    pub dag_id: String,
    #[serde(default)]
    pub dag_display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub is_paused: bool,
    #[serde(default)]
    pub is_stale: bool,
    #[serde(default)]
    pub bundle_name: Option<String>,
    #[serde(default)]
    pub bundle_version: Option<String>,
    #[serde(default)]
    pub tags: Vec<DagTag>,
    #[serde(default)]
    pub owners: Vec<String>,
    #[serde(default)]
    pub timetable_summary: Option<String>,
    #[serde(default)]
    pub next_dagrun_run_after: Option<String>,
    #[serde(default)]
    pub has_import_errors: bool,
    #[serde(default)]
    pub last_parsed_time: Option<String>,
    /// The DAG's file inside its bundle (what import errors are reported against).
    #[serde(default)]
    pub relative_fileloc: Option<String>,
    /// Airflow 3.4+: `active`, `draining` (finishing its runs, starting none) or `paused`.
    #[serde(default)]
    pub scheduling_state: Option<String>,
}

/// What `GET /dags/{id}/details` adds to the list: documentation and run parameters.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct DagDetails {
    pub dag_id: String,
    #[serde(default)]
    pub doc_md: Option<String>,
    /// `{name: {value, schema, description, source}}`.
    #[serde(default)]
    pub params: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub last_parsed_time: Option<String>,
}

/// A file of a bundle that failed to import.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ImportError {
    pub import_error_id: i64,
    pub timestamp: String,
    pub filename: String,
    #[serde(default)]
    pub bundle_name: Option<String>,
    pub stack_trace: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ImportErrorCollection {
    pub import_errors: Vec<ImportError>,
    pub total_entries: u64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct DagTag {
    pub name: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct DagCollection {
    pub dags: Vec<Dag>,
    pub total_entries: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Version {
    pub version: String,
}

impl Version {
    /// `(major, minor)` of `3.4.0b2`, `3.3.2`, `3.4.0.dev0`; `None` when unreadable.
    pub fn major_minor(&self) -> Option<(u32, u32)> {
        let mut parts = self.version.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor: String = parts
            .next()?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        Some((major, minor.parse().ok()?))
    }

    /// Whether Airflow says which team owns each DAG bundle (`GET /api/v2/dagBundles`, 3.4+).
    pub fn has_dag_bundles(&self) -> bool {
        self.major_minor().is_some_and(|v| v >= (3, 4))
    }
}

/// A DAG bundle as Airflow 3.4 lists it (`GET /api/v2/dagBundles`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct DagBundle {
    pub name: String,
    /// `None`: a bundle of no team (shared in multi-team mode).
    #[serde(default)]
    pub team_name: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct DagBundleCollection {
    pub dag_bundles: Vec<DagBundle>,
    pub total_entries: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct DagRun {
    pub dag_run_id: String,
    pub dag_id: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub run_type: Option<String>,
    pub run_after: String,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    /// The versions of the DAG's code the run executed, each with the bundle it came from:
    /// what decides whose run it is while its DAG is in an ownership conflict.
    #[serde(default)]
    pub dag_versions: Vec<CodeOrigin>,
}

/// Where a version of a DAG's code came from (part of Airflow's `DagVersionResponse`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct CodeOrigin {
    #[serde(default)]
    pub bundle_name: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct DagRunCollection {
    pub dag_runs: Vec<DagRun>,
    pub total_entries: u64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TaskInstance {
    pub task_id: String,
    pub dag_id: String,
    pub dag_run_id: String,
    #[serde(default = "no_map_index")]
    pub map_index: i64,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub try_number: i64,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub duration: Option<f64>,
    #[serde(default)]
    pub operator_name: Option<String>,
    /// When the current try was queued (the Gantt chart's first bar).
    #[serde(default)]
    pub queued_when: Option<String>,
    /// Where it runs: the executor, the queue and the worker's host name.
    #[serde(default)]
    pub executor: Option<String>,
    #[serde(default)]
    pub queue: Option<String>,
    #[serde(default)]
    pub hostname: Option<String>,
    /// A mapped instance's label (`map_index_template`), if the DAG renders one.
    #[serde(default)]
    pub rendered_map_index: Option<String>,
    /// The version of the DAG's code the current try runs (its bundle decides whose it is
    /// while the DAG is in an ownership conflict).
    #[serde(default)]
    pub dag_version: Option<CodeOrigin>,
}

/// Airflow's "not a mapped task" index.
fn no_map_index() -> i64 {
    -1
}

#[derive(Clone, Debug, Deserialize)]
pub struct TaskInstanceCollection {
    pub task_instances: Vec<TaskInstance>,
    pub total_entries: u64,
}

/// A part of a task's log as Airflow 3 serves it as JSON: structured events, one per line,
/// and while the try runs, a token that reads on from where this part ended.
#[derive(Clone, Debug, Deserialize)]
pub struct TaskLog {
    pub content: Vec<LogEvent>,
    #[serde(default)]
    pub continuation_token: Option<String>,
}

/// One line of a task's log (one JSON object per line of Airflow's NDJSON stream).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct LogEvent {
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub level: Option<String>,
    /// A logged exception, structured: its chain of exceptions with their frames.
    #[serde(default)]
    pub error_detail: Option<Vec<ErrorDetail>>,
}

/// One exception of a logged exception's chain.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ErrorDetail {
    #[serde(default)]
    pub exc_type: String,
    #[serde(default)]
    pub exc_value: String,
    #[serde(default)]
    pub frames: Vec<ErrorFrame>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ErrorFrame {
    #[serde(default)]
    pub filename: String,
    #[serde(default)]
    pub lineno: i64,
    #[serde(default)]
    pub name: String,
}

/// A task of a DAG as `GET /dags/{id}/tasks` lists it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct DagTask {
    pub task_id: String,
    #[serde(default)]
    pub operator_name: Option<String>,
    #[serde(default)]
    pub trigger_rule: Option<String>,
    #[serde(default)]
    pub downstream_task_ids: Option<Vec<String>>,
    #[serde(default)]
    pub is_mapped: Option<bool>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct DagTaskCollection {
    pub tasks: Vec<DagTask>,
}

/// One version of a DAG (a change of its structure or code Airflow recorded).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct DagVersion {
    /// Time-ordered (UUID v7): a later version sorts after an earlier one.
    pub id: String,
    pub dag_id: String,
    pub version_number: i64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct DagVersionCollection {
    pub dag_versions: Vec<DagVersion>,
    pub total_entries: u64,
}

/// `GET /dagSources/{dag_id}`: a DAG file's code as Airflow stored it with a version.
#[derive(Clone, Debug, Deserialize)]
pub struct DagSource {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub version_number: Option<i64>,
}

/// What the code view needs of one run: the DAG versions it ran with.
#[derive(Clone, Debug, Deserialize)]
pub struct RunVersions {
    #[serde(default)]
    pub dag_versions: Vec<DagVersion>,
}

/// What Hangar sends to trigger a run. `logical_date` must be present even when null.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TriggerBody {
    pub logical_date: Option<String>,
    pub conf: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Pool {
    pub name: String,
    /// `-1` means unlimited.
    pub slots: i64,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub include_deferred: bool,
    #[serde(default)]
    pub occupied_slots: i64,
    #[serde(default)]
    pub running_slots: i64,
    #[serde(default)]
    pub queued_slots: i64,
    #[serde(default)]
    pub scheduled_slots: i64,
    #[serde(default)]
    pub open_slots: i64,
    #[serde(default)]
    pub deferred_slots: i64,
    #[serde(default)]
    pub team_name: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PoolCollection {
    pub pools: Vec<Pool>,
    pub total_entries: u64,
}

/// A connection as Airflow lists it: Airflow already masks the password and secret-looking
/// keys of `extra` as `***`; Hangar stores neither (see `sync::connections`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Connection {
    pub connection_id: String,
    pub conn_type: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub login: Option<String>,
    #[serde(default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub port: Option<i64>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub extra: Option<String>,
    #[serde(default)]
    pub team_name: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ConnectionCollection {
    pub connections: Vec<Connection>,
    pub total_entries: u64,
}

/// A variable as Hangar reads it from a list: key and description. The value Airflow sends
/// along is not even deserialised, so no code path can store it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Variable {
    pub key: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_encrypted: bool,
    #[serde(default)]
    pub team_name: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct VariableCollection {
    pub variables: Vec<Variable>,
    pub total_entries: u64,
}

/// One variable with its value, for a reveal. Airflow itself answers `***` for keys that
/// look secret.
#[derive(Clone, Debug, Deserialize)]
pub struct VariableWithValue {
    #[serde(flatten)]
    pub variable: Variable,
    #[serde(default)]
    pub value: Option<String>,
}

/// A page of one of Airflow's lists: its items and how many there are in all.
pub trait Paged: serde::de::DeserializeOwned {
    type Item;
    fn into_parts(self) -> (Vec<Self::Item>, u64);
}

macro_rules! paged {
    ($($collection:ty => $field:ident: $item:ty),* $(,)?) => {$(
        impl Paged for $collection {
            type Item = $item;
            fn into_parts(self) -> (Vec<$item>, u64) {
                (self.$field, self.total_entries)
            }
        }
    )*};
}

paged! {
    DagCollection => dags: Dag,
    DagRunCollection => dag_runs: DagRun,
    TaskInstanceCollection => task_instances: TaskInstance,
    PoolCollection => pools: Pool,
    ConnectionCollection => connections: Connection,
    ImportErrorCollection => import_errors: ImportError,
    VariableCollection => variables: Variable,
    DagBundleCollection => dag_bundles: DagBundle,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_with_their_pre_release_parts() {
        let version = |v: &str| Version {
            version: v.to_string(),
        };
        assert_eq!(version("3.3.2").major_minor(), Some((3, 3)));
        assert_eq!(version("3.4.0b2").major_minor(), Some((3, 4)));
        assert_eq!(version("3.10.0.dev0").major_minor(), Some((3, 10)));
        assert_eq!(version("nonsense").major_minor(), None);
        assert!(!version("3.3.2").has_dag_bundles());
        assert!(version("3.4.0b2").has_dag_bundles());
        assert!(version("4.0.0").has_dag_bundles());
    }

    #[test]
    fn an_airflow_3_4_dag_with_nulls_and_new_fields_reads() {
        let dag: Dag = serde_json::from_value(serde_json::json!({
            "dag_id": "d", "is_paused": false, "fileloc": null, "relative_fileloc": null,
            "scheduling_state": "draining", "something_new": {"nested": [1, 2]},
            "bundle_name": "team_a_dags", "tags": [], "owners": ["airflow"]
        }))
        .unwrap();
        assert_eq!(dag.scheduling_state.as_deref(), Some("draining"));
        assert_eq!(dag.relative_fileloc, None);
    }
}
