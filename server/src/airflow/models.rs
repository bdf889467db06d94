//! The parts of Airflow 3's REST API v2 answers that Hangar reads.

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
}

#[derive(Clone, Debug, Deserialize)]
pub struct DagRunCollection {
    pub dag_runs: Vec<DagRun>,
    pub total_entries: u64,
}
