//! The DAG list as the UI shows it.

use serde::{Deserialize, Serialize};

/// Sort orders of the DAG list: (value, label).
pub const DAG_SORTS: [(&str, &str); 3] = [
    ("id", "Id"),
    ("next_run", "Next run"),
    ("last_run", "Latest run first"),
];

/// Rows per page of the DAG list, unless the viewer picks one of [`DAG_PAGE_SIZES`].
pub const DAG_PAGE_SIZE: u32 = 50;
/// The page sizes the DAG list offers.
pub const DAG_PAGE_SIZES: [u32; 3] = [25, 50, 100];

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DagQuery {
    /// Matches id, display name and description, case-insensitively.
    pub search: String,
    /// `Some(true)`: only paused; `Some(false)`: only active.
    pub paused: Option<bool>,
    /// Only DAGs with this tag / owner (exact), or empty.
    pub tag: String,
    pub owner: String,
    /// Only DAGs whose latest run is in this state (`none`: no run), or empty.
    pub last_state: String,
    /// Only DAGs whose file has import errors.
    pub import_errors: bool,
    /// Only DAGs of this bundle (exact), or empty.
    pub bundle: String,
    /// `id` (default), `next_run` or `last_run`.
    pub sort: String,
    /// Zero-based.
    pub page: u32,
    /// One of [`DAG_PAGE_SIZES`]; anything else means [`DAG_PAGE_SIZE`].
    pub per_page: u32,
}

impl DagQuery {
    pub fn page_size(&self) -> u32 {
        if DAG_PAGE_SIZES.contains(&self.per_page) {
            self.per_page
        } else {
            DAG_PAGE_SIZE
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DagRow {
    pub environment: String,
    pub dag_id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub schedule: Option<String>,
    pub next_run: Option<String>,
    pub owners: Vec<String>,
    pub tags: Vec<String>,
    pub is_paused: bool,
    /// Airflow 3.4+'s scheduling state as Airflow writes it (`active`, `draining`, `paused`,
    /// or a state a later Airflow adds); `None` before 3.4.
    #[serde(default)]
    pub scheduling_state: Option<String>,
    pub has_import_errors: bool,
    /// From a bundle configured as shared: visible to every team, changed only by platform
    /// admins.
    pub shared: bool,
    /// Airflow now reports this DAG in another owner's bundle: it stays with this team, but
    /// nothing may be done to it until a platform admin resolves the conflict.
    #[serde(default)]
    pub ownership_conflict: bool,
    /// The latest runs, oldest first (at most [`RUNS_IN_STRIP`]).
    pub recent_runs: Vec<RunDot>,
}

impl DagRow {
    /// The DAG's state in a word: paused, draining (Airflow 3.4: it finishes its runs and
    /// starts no new one), active, or a state a newer Airflow reports, as it reports it.
    pub fn state_label(&self) -> String {
        if self.is_paused {
            return "Paused".into();
        }
        match self.scheduling_state.as_deref() {
            None | Some("active") | Some("paused") => "Active".into(),
            Some("draining") => "Draining".into(),
            Some(other) => {
                let mut chars = other.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_uppercase().chain(chars).collect()
                })
            }
        }
    }
}

/// Runs shown in a DAG's history strip.
pub const RUNS_IN_STRIP: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunDot {
    pub run_id: String,
    /// Airflow's run state (`queued`, `running`, `success`, `failed`), or `none`.
    pub state: String,
}

/// How fresh the data of one environment is, in words the page can show as they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncNotice {
    pub environment: String,
    /// "HH:MM:SS UTC" of the last successful sync, if any.
    pub as_of: Option<String>,
    /// Set while the last attempt failed.
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DagPage {
    pub rows: Vec<DagRow>,
    pub total: u64,
    pub query: DagQuery,
    pub sync: Vec<SyncNotice>,
    /// The bundles of the DAGs the team sees, for the bundle filter.
    pub bundles: Vec<String>,
    /// Whether this viewer may pause the team's DAGs, and the shared ones.
    pub can_pause: bool,
    pub can_pause_shared: bool,
    /// Files of the team's (and shared) bundles that failed to import: a file that does not
    /// import has no DAG row to carry a badge, so the list names them.
    pub import_errors: Vec<ImportErrorRow>,
    /// `rows` already written as HTML, when the server renders the page itself
    /// (`functions::dags::rendered_team_dags`); `rows` is then empty. Never sent: the browser
    /// keeps the server's HTML, and renders the rows itself from `rows` after a refetch.
    #[serde(skip)]
    pub rows_html: Option<std::sync::Arc<str>>,
}

impl DagPage {
    /// How many rows this page holds, from the counts alone (rows already written as HTML
    /// are not sent with the page, so their count cannot be read from `rows`).
    pub fn shown(&self) -> u64 {
        let first = u64::from(self.query.page) * u64::from(self.query.page_size());
        self.total
            .saturating_sub(first)
            .min(u64::from(self.query.page_size()))
    }
}

/// A file that failed to import, with Airflow's stack trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportErrorRow {
    pub environment: String,
    pub bundle_name: Option<String>,
    pub filename: String,
    pub stack_trace: String,
    /// When Airflow recorded it (RFC 3339).
    pub time: String,
}
