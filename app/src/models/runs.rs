//! DAG detail, runs, task instances and task logs as the UI shows them.

use serde::{Deserialize, Serialize};

use super::dags::{DagRow, SyncNotice};

/// Runs per page of the team's run list.
pub const RUN_PAGE_SIZE: u32 = 50;
/// The run list counts this many matching runs at most (and says "1,000+" beyond).
pub const RUN_COUNT_CAP: u64 = 1000;
/// Runs (columns) in a DAG's grid.
pub const RUNS_IN_GRID: usize = 25;
/// Log lines per page of the log viewer.
pub const LOG_PAGE_LINES: usize = 500;

/// Run states Airflow 3 reports, in the order filters offer them.
pub const RUN_STATES: [&str; 4] = ["queued", "running", "success", "failed"];
/// Run types Airflow 3 reports.
pub const RUN_TYPES: [&str; 4] = ["scheduled", "manual", "backfill", "asset_triggered"];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DagDetail {
    pub dag: DagRow,
    pub bundle_name: Option<String>,
    pub bundle_version: Option<String>,
    pub last_parsed: Option<String>,
    /// The DAG's file inside its bundle.
    pub file: Option<String>,
    /// `doc_md` rendered to HTML on the server, raw HTML and unsafe links removed.
    pub doc_html: Option<String>,
    /// Run parameters, once the sync has read the DAG's details.
    pub params: Vec<super::DagParam>,
    /// Import errors of the DAG's file.
    pub import_errors: Vec<super::dags::ImportErrorRow>,
    pub grid: RunGrid,
    /// What this viewer may do to this DAG (shared DAGs: platform admins only).
    pub can_pause: bool,
    pub can_trigger: bool,
    pub sync: Vec<SyncNotice>,
}

/// The last runs × the tasks they ran: `cells[task][run]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunGrid {
    /// Oldest first, so time runs left to right.
    pub runs: Vec<RunRow>,
    pub tasks: Vec<String>,
    pub cells: Vec<Vec<Option<TaskCell>>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskCell {
    pub state: String,
    pub try_number: i64,
    pub map_index: i64,
}

/// One run, as the run list and the JSON API show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(as = Run))]
pub struct RunRow {
    pub environment: String,
    pub dag_id: String,
    pub run_id: String,
    /// `queued`, `running`, `success`, `failed`, or `none`.
    pub state: String,
    pub run_type: Option<String>,
    /// RFC 3339.
    pub run_after: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunQuery {
    /// One of [`RUN_STATES`], or empty for all.
    pub state: String,
    /// One of [`RUN_TYPES`], or empty for all.
    pub run_type: String,
    /// `YYYY-MM-DD` (UTC), inclusive; empty for no bound.
    pub from: String,
    pub to: String,
    pub page: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPage {
    pub rows: Vec<RunRow>,
    pub total: u64,
    pub query: RunQuery,
    pub sync: Vec<SyncNotice>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    pub run: RunRow,
    pub dag_display_name: String,
    pub shared: bool,
    pub tasks: Vec<TaskRow>,
    /// Clear failed tasks and mark the run (shared DAGs: platform admins only).
    pub can_clear: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRow {
    pub task_id: String,
    pub map_index: i64,
    pub state: String,
    pub try_number: i64,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub duration_s: Option<f64>,
    pub operator: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub timestamp: Option<String>,
    /// `debug`, `info`, `warning`, `error`, `critical`, or empty.
    pub level: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLogPage {
    pub task_id: String,
    pub try_number: i64,
    /// Attempts there are logs for: 1..=max_try.
    pub max_try: i64,
    pub lines: Vec<LogLine>,
    /// Zero-based page of [`LOG_PAGE_LINES`] lines.
    pub page: u32,
    pub total_lines: u64,
}

/// What the user asked for when triggering, as the form sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerRequest {
    /// A JSON object, or empty for `{}`.
    pub conf: String,
    /// RFC 3339 or `YYYY-MM-DDTHH:MM` (UTC), or empty for none.
    pub logical_date: String,
    pub note: String,
}

impl TriggerRequest {
    /// Checks the conf before anything is sent: it must be a JSON object.
    pub fn conf_object(&self) -> Result<serde_json::Map<String, serde_json::Value>, String> {
        if self.conf.trim().is_empty() {
            return Ok(serde_json::Map::new());
        }
        match serde_json::from_str::<serde_json::Value>(&self.conf) {
            Ok(serde_json::Value::Object(map)) => Ok(map),
            Ok(_) => Err("The run configuration must be a JSON object, like {\"key\": 1}.".into()),
            Err(error) => Err(format!(
                "The run configuration is not valid JSON (line {}, column {}): {error}",
                error.line(),
                error.column()
            )),
        }
    }

    /// The logical date as Airflow wants it (RFC 3339, UTC), if one was given.
    pub fn logical_date_rfc3339(&self) -> Result<Option<String>, String> {
        let text = self.logical_date.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let bytes = text.as_bytes();
        let shape = |pattern: &[u8], bytes: &[u8]| {
            bytes.len() == pattern.len()
                && pattern.iter().zip(bytes).all(|(&p, &b)| match p {
                    b'9' => b.is_ascii_digit(),
                    other => b == other,
                })
        };
        if shape(b"9999-99-99T99:99", bytes) {
            return Ok(Some(format!("{text}:00Z")));
        }
        // RFC 3339 with seconds, an optional fraction and a zone: Z or ±HH:MM.
        if bytes.len() >= 20 && shape(b"9999-99-99T99:99:99", &bytes[..19]) {
            let rest = &text[19..];
            let rest = match rest.strip_prefix('.') {
                Some(fraction) => fraction.trim_start_matches(|c: char| c.is_ascii_digit()),
                None => rest,
            };
            if rest == "Z"
                || (rest.len() == 6 && shape(b"+99:99", &rest.replace('-', "+").into_bytes()))
            {
                return Ok(Some(text.to_string()));
            }
        }
        Err("The logical date must look like 2026-11-21T14:30 (UTC).".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(conf: &str, date: &str) -> TriggerRequest {
        TriggerRequest {
            conf: conf.into(),
            logical_date: date.into(),
            note: String::new(),
        }
    }

    #[test]
    fn conf_must_be_a_json_object() {
        assert!(request("", "").conf_object().unwrap().is_empty());
        assert_eq!(
            request(r#"{"n": 3}"#, "").conf_object().unwrap()["n"],
            serde_json::json!(3)
        );
        assert!(
            request("[1]", "")
                .conf_object()
                .unwrap_err()
                .contains("JSON object")
        );
        let error = request("{\"n\": ", "").conf_object().unwrap_err();
        assert!(error.contains("line 1"), "{error}");
    }

    #[test]
    fn logical_dates_are_checked_and_normalised() {
        assert_eq!(request("", "").logical_date_rfc3339(), Ok(None));
        assert_eq!(
            request("", "2026-11-21T14:30").logical_date_rfc3339(),
            Ok(Some("2026-11-21T14:30:00Z".into()))
        );
        assert_eq!(
            request("", "2026-11-21T14:30:00+01:00").logical_date_rfc3339(),
            Ok(Some("2026-11-21T14:30:00+01:00".into()))
        );
        assert!(request("", "tomorrow").logical_date_rfc3339().is_err());
        assert!(
            request("", "2026-11-21 14:30")
                .logical_date_rfc3339()
                .is_err()
        );
    }
}
