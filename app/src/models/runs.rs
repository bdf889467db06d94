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
/// Masked text in a log shown to a team: another team's bundle or DAG id stood here.
pub const LOG_MASK: &str = "‹other team›";

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
    /// The names of the DAG's run parameters, once the sync has read the DAG's details
    /// (their fields are on the trigger page).
    pub param_names: Vec<String>,
    /// Import errors of the DAG's file.
    pub import_errors: Vec<super::dags::ImportErrorRow>,
    /// The recent runs' duration chart and grid, written on the server (escaped there:
    /// `read_model/run_grid_html.rs`); empty when it travels as `recent_runs_kept` (the
    /// server's own render sends it once, in the HTML, as the graph page does its SVG).
    pub recent_runs_html: String,
    #[serde(skip)]
    pub recent_runs_kept: Option<std::sync::Arc<str>>,
    /// When the grid's first and last runs were due (none without runs).
    pub runs_from: Option<String>,
    pub runs_to: Option<String>,
    /// What this viewer may do to this DAG (shared DAGs: platform admins only).
    pub can_pause: bool,
    pub can_trigger: bool,
    pub sync: Vec<SyncNotice>,
}

impl DagDetail {
    /// The recent runs' HTML to put on the page.
    pub fn recent_runs(&self) -> std::sync::Arc<str> {
        self.recent_runs_kept
            .clone()
            .unwrap_or_else(|| std::sync::Arc::from(self.recent_runs_html.as_str()))
    }
}

/// What the trigger page needs: the DAG, its run parameters (each becomes a typed field) and
/// whether this viewer may trigger it (shared DAGs: platform admins only; nobody while its
/// ownership is in conflict).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TriggerPage {
    pub environment: String,
    pub dag_id: String,
    pub display_name: String,
    pub shared: bool,
    pub is_paused: bool,
    pub ownership_conflict: bool,
    pub params: Vec<super::DagParam>,
    pub can_trigger: bool,
}

/// The last runs × the tasks they ran, tasks in their groups.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunGrid {
    /// Oldest first, so time runs left to right.
    pub runs: Vec<RunRow>,
    pub tasks: Vec<super::tasks::TreeNode<GridTask>>,
}

/// One task's row of the grid: a cell per run (`None`: no instance in that run).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridTask {
    pub cells: Vec<Option<TaskCell>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskCell {
    /// For a mapped task, the state that sums its instances up.
    pub state: String,
    pub try_number: i64,
    /// How many mapped instances the cell stands for (0: not mapped).
    pub mapped: u64,
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

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// How many runs this page shows (`rows` is empty when they are already HTML).
    pub shown: u64,
    pub total: u64,
    pub query: RunQuery,
    pub sync: Vec<SyncNotice>,
    /// `rows` already written as HTML, when the server renders the page itself
    /// (`functions::runs::rendered_team_runs`); `rows` is then empty. Never sent: the browser
    /// keeps the server's HTML, and writes the rows itself from `rows` after a refetch.
    #[serde(skip)]
    pub rows_html: Option<std::sync::Arc<str>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    pub run: RunRow,
    pub dag_display_name: String,
    pub shared: bool,
    /// The run's tasks in their groups, in the DAG's order.
    pub tasks: Vec<super::tasks::TreeNode<super::tasks::RunTask>>,
    /// Clear failed tasks and mark the run (shared DAGs: platform admins only).
    pub can_clear: bool,
}

impl RunDetail {
    /// Whether any task instance of the run failed (what "clear failed" would clear).
    pub fn has_failed(&self) -> bool {
        self.tasks.iter().flat_map(|n| n.tasks()).any(|t| {
            let failed = |s: &str| s == "failed" || s == "upstream_failed";
            failed(&t.row.state)
                || t.mapped
                    .as_ref()
                    .is_some_and(|m| m.states.iter().any(|(s, _)| failed(s)))
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRow {
    pub task_id: String,
    pub map_index: i64,
    /// A mapped instance's own label, when the DAG renders one.
    pub rendered_map_index: Option<String>,
    pub state: String,
    pub try_number: i64,
    pub queued: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub duration_s: Option<f64>,
    pub operator: Option<String>,
    /// Where it ran.
    pub executor: Option<String>,
    pub queue: Option<String>,
    pub hostname: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// 1-based position in the whole log (what "line 1,234" and `#L1234` name).
    pub number: u64,
    pub timestamp: Option<String>,
    /// `debug`, `info`, `warning`, `error`, `critical`, or empty.
    pub level: String,
    pub text: String,
    /// A logged exception's traceback, one line per frame, the exception last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traceback: Vec<String>,
}

impl LogLine {
    /// Airflow's `::group::Title` marker: the title of the section it opens.
    pub fn group_start(&self) -> Option<&str> {
        self.text.trim_start().strip_prefix("::group::")
    }

    pub fn is_group_end(&self) -> bool {
        self.text.trim() == "::endgroup::"
    }

    /// An error worth jumping to: an error-level line, or one carrying a traceback, or the
    /// start of a printed Python traceback.
    pub fn is_error(&self) -> bool {
        matches!(self.level.as_str(), "error" | "critical" | "fatal")
            || !self.traceback.is_empty()
            || self.text.starts_with("Traceback (most recent call last)")
    }

    /// Part of a printed Python traceback (shown highlighted).
    pub fn looks_like_traceback(&self) -> bool {
        let text = self.text.as_str();
        text.starts_with("Traceback (most recent call last)")
            || text.starts_with("  File \"")
            || (text.starts_with("    ") && !text.trim().is_empty() && self.level.is_empty())
    }
}

/// Levels the log viewer filters by, lowest first; a filter shows its level and above.
pub const LOG_LEVELS: [&str; 4] = ["debug", "info", "warning", "error"];

/// Whether a line passes a "this level and above" filter (`""`: every line).
pub fn log_level_passes(line_level: &str, at_least: &str) -> bool {
    let rank = |level: &str| match level {
        "debug" => 0,
        "info" | "" => 1,
        "warning" | "warn" => 2,
        _ => 3,
    };
    at_least.is_empty() || rank(line_level) >= rank(at_least)
}

/// What a log page shows of a log: every line, or those of a level and above, or those
/// containing a text (both: lines passing both).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogFilter {
    /// One of [`LOG_LEVELS`], or empty for all.
    pub level: String,
    /// Case-insensitive text, or empty.
    pub search: String,
}

impl LogFilter {
    pub fn is_empty(&self) -> bool {
        self.level.is_empty() && self.search.trim().is_empty()
    }

    pub fn passes(&self, line: &LogLine) -> bool {
        self.matcher().passes(line)
    }

    /// The filter prepared for many lines (its search text lowered once, not per line).
    pub fn matcher(&self) -> LogMatcher<'_> {
        LogMatcher {
            level: &self.level,
            needle: Some(self.search.trim().to_lowercase()).filter(|n| !n.is_empty()),
        }
    }

    /// Search text is limited to this many characters.
    pub const MAX_SEARCH: usize = 200;
}

/// A [`LogFilter`] prepared for a pass over a log.
pub struct LogMatcher<'a> {
    level: &'a str,
    needle: Option<String>,
}

impl LogMatcher<'_> {
    pub fn passes(&self, line: &LogLine) -> bool {
        log_level_passes(&line.level, self.level)
            && self.needle.as_deref().is_none_or(|needle| {
                line.text.to_lowercase().contains(needle)
                    || line
                        .traceback
                        .iter()
                        .any(|t| t.to_lowercase().contains(needle))
            })
    }
}

/// Which page of which try's log a viewer asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLogQuery {
    pub run_id: String,
    pub task_id: String,
    /// `-1`: a task that is not mapped.
    pub map_index: i64,
    /// `0`: the latest try.
    pub try_number: i64,
    pub page: u32,
    pub filter: LogFilter,
}

/// One page of one try's log, and what the viewer knows of the whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLogPage {
    pub task_id: String,
    pub map_index: i64,
    pub try_number: i64,
    /// Tries there are logs for: 1..=max_try.
    pub max_try: i64,
    /// The page's lines (with a filter: the page's matching lines).
    pub lines: Vec<LogLine>,
    /// Zero-based page of [`LOG_PAGE_LINES`] lines (of matches, with a filter).
    pub page: u32,
    /// Lines in the log (with a filter: matching lines), once known: `None` while Airflow
    /// is still sending a large log.
    pub total: Option<u64>,
    /// The log is longer than Hangar reads for viewing (`[logs] max_lines`): the rest is in
    /// the download.
    pub capped: bool,
    /// The try is still running: the page follows it live.
    pub growing: bool,
    /// The first error's line number, if the lines read hold one.
    pub first_error: Option<u64>,
    /// The `::group::` section open where the page starts (it continues from an earlier page).
    pub open_group: Option<String>,
    pub filter: LogFilter,
    /// Something to say about the log itself (still being read, or Airflow's answer when the
    /// log could not be read).
    pub notice: Option<String>,
    /// Airflow is still sending a large log: the page shows what came so far and asks again.
    pub reading: bool,
}

/// What the user asked for when triggering, as the form sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerRequest {
    /// A JSON object, or empty for `{}`.
    pub conf: String,
    /// RFC 3339 or `YYYY-MM-DDTHH:MM` (UTC), or empty for none.
    pub logical_date: String,
    pub note: String,
    /// The typed parameter fields, by parameter name, as the form's text.
    #[serde(default)]
    pub params: std::collections::BTreeMap<String, String>,
}

impl TriggerRequest {
    /// The run's configuration: the JSON object with the typed parameter fields laid over
    /// it, checked against the DAG's parameters.
    pub fn conf_for(
        &self,
        params: &[super::DagParam],
    ) -> Result<serde_json::Map<String, serde_json::Value>, String> {
        let conf = super::params::with_typed_values(self.conf_object()?, &self.params, params)?;
        super::params::check_conf(&conf, params)?;
        Ok(conf)
    }

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
            params: Default::default(),
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
