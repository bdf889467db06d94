//! The platform overview (`/platform`): every team's figures in one table, the runs failing
//! now across teams, and each environment's health. Plain data; the server fills it.

use serde::{Deserialize, Serialize};

use super::deploys::AwaitingReview;

/// How far back "failing now" looks, in hours: the choices the page offers.
pub const FAILING_WINDOWS: [u32; 4] = [1, 6, 24, 72];
pub const DEFAULT_FAILING_HOURS: u32 = 24;
/// Failed runs the "failing now" list shows at most.
pub const FAILING_SHOWN: usize = 50;
/// Days in a team's failure-rate trend (today included).
pub const TREND_DAYS: usize = 7;
/// A pool this full (%) marks its team as saturated.
pub const SATURATED_PERCENT: u32 = 90;

/// A column the team table can be sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OverviewSort {
    #[default]
    Team,
    Dags,
    Failed,
    FailureRate,
    Tasks,
    Pool,
    Deploy,
    Pending,
}

impl OverviewSort {
    pub const ALL: [OverviewSort; 8] = [
        Self::Team,
        Self::Dags,
        Self::Failed,
        Self::FailureRate,
        Self::Tasks,
        Self::Pool,
        Self::Deploy,
        Self::Pending,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Team => "team",
            Self::Dags => "dags",
            Self::Failed => "failed",
            Self::FailureRate => "failure_rate",
            Self::Tasks => "tasks",
            Self::Pool => "pool",
            Self::Deploy => "deploy",
            Self::Pending => "pending",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|sort| sort.as_str() == name)
    }

    /// Names read A→Z first; figures biggest (or newest) first.
    pub fn descending_by_default(self) -> bool {
        self != Self::Team
    }
}

/// What the overview shows, from the URL's query (`?sort=failed&dir=desc&hours=6`), so a
/// sorted view works without JavaScript and can be linked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OverviewQuery {
    pub sort: OverviewSort,
    pub descending: bool,
    pub failing_hours: u32,
}

impl Default for OverviewQuery {
    fn default() -> Self {
        Self {
            sort: OverviewSort::Team,
            descending: false,
            failing_hours: DEFAULT_FAILING_HOURS,
        }
    }
}

impl OverviewQuery {
    /// Unknown or missing values fall back to the defaults: a hand-edited URL still shows
    /// the page.
    pub fn from_params(sort: Option<&str>, dir: Option<&str>, hours: Option<&str>) -> Self {
        let sort = sort.and_then(OverviewSort::parse).unwrap_or_default();
        let descending = match dir {
            Some("asc") => false,
            Some("desc") => true,
            _ => sort.descending_by_default(),
        };
        let failing_hours = hours
            .and_then(|h| h.parse().ok())
            .filter(|h| FAILING_WINDOWS.contains(h))
            .unwrap_or(DEFAULT_FAILING_HOURS);
        Self {
            sort,
            descending,
            failing_hours,
        }
    }

    /// The query a column header links to: that column, or the other direction if the table
    /// is already sorted by it.
    pub fn sorted_by(self, sort: OverviewSort) -> Self {
        let descending = if self.sort == sort {
            !self.descending
        } else {
            sort.descending_by_default()
        };
        Self {
            sort,
            descending,
            ..self
        }
    }

    pub fn with_failing_hours(self, failing_hours: u32) -> Self {
        Self {
            failing_hours,
            ..self
        }
    }

    pub fn href(self) -> String {
        format!(
            "/platform?sort={}&dir={}&hours={}",
            self.sort.as_str(),
            if self.descending { "desc" } else { "asc" },
            self.failing_hours
        )
    }
}

/// Runs by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
    pub success: u64,
    pub failed: u64,
    pub running: u64,
    pub queued: u64,
    /// Any other state (up for retry, skipped, none…).
    pub other: u64,
}

impl RunCounts {
    pub fn add(&mut self, state: &str, runs: u64) {
        let slot = match state {
            "success" => &mut self.success,
            "failed" => &mut self.failed,
            "running" => &mut self.running,
            "queued" => &mut self.queued,
            _ => &mut self.other,
        };
        *slot += runs;
    }

    pub fn total(&self) -> u64 {
        self.success + self.failed + self.running + self.queued + self.other
    }

    /// Failed among finished runs; `None` when none finished.
    pub fn failure_rate(&self) -> Option<f64> {
        let finished = self.success + self.failed;
        (finished > 0).then(|| self.failed as f64 / finished as f64)
    }
}

/// The fullest pool of a team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolFill {
    pub environment: String,
    pub name: String,
    pub occupied: u64,
    pub slots: u64,
}

impl PoolFill {
    pub fn percent(&self) -> u32 {
        if self.slots == 0 {
            return 0;
        }
        ((self.occupied * 100) / self.slots).min(100) as u32
    }
}

/// The newest deploy that went out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastDeploy {
    pub id: i64,
    pub commit: String,
    pub deployed_ms: i64,
    pub by: String,
}

/// How current Hangar's copy of an environment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncState {
    /// Synced within the last few sync intervals.
    Fresh,
    /// The last success is older than that, and no error was recorded.
    Lagging,
    /// The last attempt failed; the data is as of the last success.
    Failing,
    /// Not synced yet.
    Never,
}

impl SyncState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fresh => "fresh",
            Self::Lagging => "lagging",
            Self::Failing => "failing",
            Self::Never => "never",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Fresh => "in sync",
            Self::Lagging => "behind",
            Self::Failing => "failing",
            Self::Never => "not synced yet",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentSync {
    pub environment: String,
    pub state: SyncState,
}

/// One row of the team table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamOverview {
    pub team: String,
    pub display_name: String,
    pub dags_active: u64,
    pub dags_paused: u64,
    /// Runs whose logical time falls in the last 24 hours (from the start of the hour).
    pub runs_24h: RunCounts,
    /// The failure rate of each of the last [`TREND_DAYS`] UTC days, oldest first; `None`
    /// for a day without finished runs.
    pub trend: Vec<Option<f64>>,
    pub tasks_running: u64,
    pub fullest_pool: Option<PoolFill>,
    pub last_deploy: Option<LastDeploy>,
    /// A deploy of this team is running now.
    pub deploying: bool,
    pub pending_approvals: u64,
    pub break_glass_awaiting: u64,
    pub environments: Vec<EnvironmentSync>,
    /// Where its tasks run: declared in the configuration, used in the last 24 hours.
    #[serde(default)]
    pub execution: super::execution::TeamExecution,
}

impl TeamOverview {
    pub fn saturated(&self) -> bool {
        self.fullest_pool
            .as_ref()
            .is_some_and(|pool| pool.percent() >= SATURATED_PERCENT)
    }

    pub fn stale(&self) -> bool {
        self.environments
            .iter()
            .any(|env| env.state != SyncState::Fresh)
    }
}

/// A failed run, for the cross-team "failing now" list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailingRun {
    pub team: String,
    pub environment: String,
    pub dag_id: String,
    pub run_id: String,
    /// When it ended (RFC 3339, as Airflow reported it).
    pub ended: String,
}

/// One component of Airflow's `/api/v2/monitor/health` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthComponent {
    pub name: String,
    pub status: String,
    pub latest_heartbeat: Option<String>,
}

impl HealthComponent {
    pub fn healthy(&self) -> bool {
        self.status == "healthy"
    }
}

/// An environment as the health panel shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentHealth {
    pub environment: String,
    pub airflow_version: Option<String>,
    pub sync: SyncState,
    pub last_success_ms: Option<i64>,
    pub last_error: Option<String>,
    /// Airflow 3.4+: where Airflow's bundle → team map contradicts Hangar's configuration
    /// (the environment is not synced while this is set).
    #[serde(default)]
    pub bundle_conflict: Option<String>,
    /// When Airflow's health was last read, and what it said (empty: it could not be read).
    pub health_checked_ms: Option<i64>,
    pub components: Vec<HealthComponent>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlatformOverview {
    pub query: OverviewQuery,
    /// The server's time when it read the figures (lags and ages are relative to it).
    pub now_ms: i64,
    pub teams: Vec<TeamOverview>,
    pub failing: Vec<FailingRun>,
    pub environments: Vec<EnvironmentHealth>,
    pub awaiting_review: Vec<AwaitingReview>,
    /// DAGs Airflow now reports in a bundle of another owner than the pinned one.
    #[serde(default)]
    pub conflicts: Vec<OwnershipConflict>,
    /// Bundles Hangar's configuration does not map: visible to platform roles only.
    #[serde(default)]
    pub unmapped: Vec<UnmappedBundle>,
    /// The viewer may resolve conflicts (platform admins; set per request, never cached).
    #[serde(default)]
    pub can_resolve: bool,
}

/// An owner as `/platform` names it: a team, every team, or nobody.
pub fn owner_label(team: Option<&str>, shared: bool) -> String {
    match (team, shared) {
        (Some(team), _) => team.to_string(),
        (None, true) => "shared".to_string(),
        (None, false) => "unmapped".to_string(),
    }
}

/// A DAG whose `dag_id` its pinned owner keeps while Airflow reports it elsewhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnershipConflict {
    pub environment: String,
    pub dag_id: String,
    /// The pinned owner (a team, or "shared"), who still sees the DAG and its runs.
    pub owner: String,
    /// The bundle Airflow reports it in now (`None`: no bundle).
    pub reported_bundle: Option<String>,
    /// Who that bundle belongs to by Hangar's configuration (a team, "shared", "unmapped").
    pub reported_owner: String,
    /// The team a platform admin can assign it to instead (the reported bundle's team).
    pub reported_team: Option<String>,
    pub since_ms: i64,
}

/// What a platform admin decides for a DAG in an ownership conflict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OwnershipResolution {
    /// Pin the DAG (and so its runs) to this team.
    Assign(String),
    /// Remove the pin: the DAG goes to whoever its reported bundle maps to.
    Release,
}

/// A bundle (or "no bundle") whose DAGs and import errors no team sees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmappedBundle {
    pub environment: String,
    pub bundle: Option<String>,
    pub dags: u64,
    pub import_errors: u64,
}

/// Sorts the team table; teams without a figure go last whichever the direction, and ties
/// keep the team order.
pub fn sort_teams(teams: &mut [TeamOverview], query: OverviewQuery) {
    fn key(team: &TeamOverview, sort: OverviewSort) -> Option<f64> {
        match sort {
            OverviewSort::Team => None,
            OverviewSort::Dags => Some((team.dags_active + team.dags_paused) as f64),
            OverviewSort::Failed => Some(team.runs_24h.failed as f64),
            OverviewSort::FailureRate => team.runs_24h.failure_rate(),
            OverviewSort::Tasks => Some(team.tasks_running as f64),
            OverviewSort::Pool => team.fullest_pool.as_ref().map(|p| p.percent() as f64),
            OverviewSort::Deploy => team.last_deploy.as_ref().map(|d| d.deployed_ms as f64),
            OverviewSort::Pending => Some(team.pending_approvals as f64),
        }
    }
    teams.sort_by(|a, b| {
        use std::cmp::Ordering;
        let order = if query.sort == OverviewSort::Team {
            a.team.cmp(&b.team)
        } else {
            match (key(a, query.sort), key(b, query.sort)) {
                (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                (Some(_), None) => return Ordering::Less,
                (None, Some(_)) => return Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
        };
        let order = if query.descending {
            order.reverse()
        } else {
            order
        };
        order.then_with(|| a.team.cmp(&b.team))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(name: &str, failed: u64, success: u64, pool: Option<(u64, u64)>) -> TeamOverview {
        TeamOverview {
            team: name.into(),
            display_name: name.into(),
            dags_active: 0,
            dags_paused: 0,
            runs_24h: RunCounts {
                failed,
                success,
                ..RunCounts::default()
            },
            trend: vec![None; TREND_DAYS],
            tasks_running: 0,
            fullest_pool: pool.map(|(occupied, slots)| PoolFill {
                environment: "main".into(),
                name: "p".into(),
                occupied,
                slots,
            }),
            last_deploy: None,
            deploying: false,
            pending_approvals: 0,
            break_glass_awaiting: 0,
            execution: Default::default(),
            environments: vec![],
        }
    }

    fn names(teams: &[TeamOverview]) -> Vec<&str> {
        teams.iter().map(|t| t.team.as_str()).collect()
    }

    #[test]
    fn the_query_round_trips_through_its_link_and_falls_back_on_nonsense() {
        let query = OverviewQuery::from_params(Some("failure_rate"), Some("asc"), Some("6"));
        assert_eq!(query.sort, OverviewSort::FailureRate);
        assert!(!query.descending);
        assert_eq!(query.failing_hours, 6);
        assert_eq!(query.href(), "/platform?sort=failure_rate&dir=asc&hours=6");
        let fallback = OverviewQuery::from_params(Some("secrets"), Some("up"), Some("5000"));
        assert_eq!(fallback, OverviewQuery::default());
        // A figure column sorts biggest first unless told otherwise.
        assert!(OverviewQuery::from_params(Some("failed"), None, None).descending);
    }

    #[test]
    fn clicking_the_sorted_column_turns_it_around() {
        let by_failed = OverviewQuery::default().sorted_by(OverviewSort::Failed);
        assert!(by_failed.descending);
        assert!(!by_failed.sorted_by(OverviewSort::Failed).descending);
        assert!(!by_failed.sorted_by(OverviewSort::Team).descending);
    }

    #[test]
    fn teams_sort_by_figure_and_those_without_one_go_last() {
        let mut teams = vec![
            team("a", 1, 9, Some((5, 10))),
            team("b", 0, 0, None),
            team("c", 5, 5, Some((10, 10))),
        ];
        let query = OverviewQuery::from_params(Some("failure_rate"), None, None);
        sort_teams(&mut teams, query);
        assert_eq!(names(&teams), ["c", "a", "b"]);
        sort_teams(&mut teams, query.sorted_by(OverviewSort::FailureRate));
        assert_eq!(names(&teams), ["a", "c", "b"], "no figure stays last");
        sort_teams(
            &mut teams,
            OverviewQuery::from_params(Some("pool"), None, None),
        );
        assert_eq!(names(&teams), ["c", "a", "b"]);
        sort_teams(&mut teams, OverviewQuery::default());
        assert_eq!(names(&teams), ["a", "b", "c"]);
    }

    #[test]
    fn counts_rates_and_fill() {
        let mut counts = RunCounts::default();
        counts.add("failed", 1);
        counts.add("success", 3);
        counts.add("up_for_retry", 2);
        assert_eq!(counts.total(), 6);
        assert_eq!(counts.failure_rate(), Some(0.25));
        assert_eq!(RunCounts::default().failure_rate(), None);
        assert!(team("a", 0, 0, Some((9, 10))).saturated());
        assert!(!team("a", 0, 0, Some((8, 10))).saturated());
        assert_eq!(
            PoolFill {
                environment: "e".into(),
                name: "p".into(),
                occupied: 12,
                slots: 10
            }
            .percent(),
            100
        );
    }
}
