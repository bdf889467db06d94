//! Pages already computed, kept until their data changes (server only): the DAG list, the
//! team's run list, a DAG's graph, a run's Gantt chart, the platform overview and the team
//! home's "where tasks run".
//!
//! All are pages people keep open and reload, whose data changes at most once per sync.
//! Reading the DAG list (five queries) and writing its rows (`components::dag_rows`) cost
//! about 4 ms at 100 rows; the run list's newest runs and their count about as much at a
//! million runs; laying out and drawing a 500-task graph or Gantt chart 5–7 ms; the platform
//! overview's figures about 13 ms at 50 teams and a million runs. A kept page costs a map
//! lookup. It is served only while
//!
//! - the data version it was computed at is current: every write to the read model that is
//!   announced to live pages (the sync's runs, task instances and pools, every action, the
//!   environments' health) moves it, on every replica, so nobody reads a page older than
//!   their own action;
//! - and it is younger than [`MAX_AGE`], which bounds what no announcement covers (the
//!   catalogue sync's DAG changes, the "data as of" time, the clock-driven windows).
//!
//! The key holds everything the page depends on (for the DAG list: team, query and what the
//! viewer may do). One request computes a missing page while the others asking for it wait
//! for that one.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::errors::AppError;
use crate::models::execution::TeamExecution;
use crate::models::platform::{OverviewQuery, PlatformOverview};
use crate::models::views::{GanttPage, GraphPage};
use crate::models::{DagPage, DagQuery, RunPage, RunQuery};

/// The oldest page served, however quiet the data is.
pub const MAX_AGE: Duration = Duration::from_secs(1);
/// Pages kept at most per cache (a 100-row DAG page is ~300 kB).
const MAX_PAGES: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DagListKey {
    pub team: String,
    pub query: DagQuery,
    pub can_pause: bool,
    pub can_pause_shared: bool,
}

/// The DAG list's pages, per team, query and abilities.
pub type DagListCache = KeptPages<DagListKey, DagPage>;

/// A run list depends on the team and the query alone: it offers no actions, so what the
/// viewer may do does not change it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RunListKey {
    pub team: String,
    pub query: RunQuery,
    /// Rows as HTML (what the server renders the page from) rather than as data (what a
    /// refetch reads).
    pub as_html: bool,
}

/// The team run list's pages, per team and query.
pub type RunListCache = KeptPages<RunListKey, RunPage>;

/// A DAG's graph depends on the team (which DAGs and runs it sees), the DAG, the run that
/// colours it and the folded groups; a Gantt chart on the run (`folded` empty). Neither
/// offers actions, so what the viewer may do does not change them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DrawingKey {
    pub team: String,
    pub environment: String,
    pub dag_id: String,
    pub run_id: Option<String>,
    pub folded: String,
}

/// Graphs of DAGs, per team, DAG, run and folded groups.
pub type GraphCache = KeptPages<DrawingKey, GraphPage>;
/// Gantt charts of runs, per team, DAG and run.
pub type GanttCache = KeptPages<DrawingKey, GanttPage>;

/// The overview depends on its query, the teams the viewer holds, and the clock (ages,
/// "in sync" and the 24-hour window are computed from it).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OverviewKey {
    pub query: OverviewQuery,
    pub teams: Vec<String>,
    pub second: i64,
}

/// The platform overview's pages.
pub type OverviewCache = KeptPages<OverviewKey, PlatformOverview>;

/// Where a team's tasks ran in the last 24 hours, per team (the team home's section: the
/// same for every viewer of the team; at a million runs its count walks the team's task
/// instances, ~15 ms on SQLite).
pub type ExecutionCache = KeptPages<String, TeamExecution>;

/// Every kept page of a server, handed to the app as one context.
#[derive(Default)]
pub struct KeptCaches {
    pub dag_lists: DagListCache,
    pub run_lists: RunListCache,
    pub graphs: GraphCache,
    pub gantts: GanttCache,
    pub overviews: OverviewCache,
    pub executions: ExecutionCache,
}

pub struct KeptPages<K, V> {
    slots: Mutex<HashMap<K, Arc<Slot<V>>>>,
}

impl<K, V> Default for KeptPages<K, V> {
    fn default() -> Self {
        Self {
            slots: Mutex::default(),
        }
    }
}

struct Slot<V> {
    page: tokio::sync::Mutex<Option<Kept<V>>>,
}

impl<V> Default for Slot<V> {
    fn default() -> Self {
        Self {
            page: tokio::sync::Mutex::new(None),
        }
    }
}

struct Kept<V> {
    version: u64,
    rendered: Instant,
    page: V,
}

impl<V> Kept<V> {
    fn serves(&self, version: u64) -> bool {
        self.version == version && self.rendered.elapsed() < MAX_AGE
    }
}

impl<K: Clone + Eq + Hash, V: Clone> KeptPages<K, V> {
    /// The page for `key` at data `version` (read *before* computing, so a change during
    /// the computation makes the kept page stale at once), computed by `render` if not kept.
    pub async fn page<F, Fut>(&self, key: K, version: u64, render: F) -> Result<V, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, AppError>>,
    {
        let slot = self.slot(key);
        let mut kept = slot.page.lock().await;
        if let Some(kept) = kept.as_ref().filter(|kept| kept.serves(version)) {
            return Ok(kept.page.clone());
        }
        let page = render().await?;
        *kept = Some(Kept {
            version,
            rendered: Instant::now(),
            page: page.clone(),
        });
        Ok(page)
    }

    fn slot(&self, key: K) -> Arc<Slot<V>> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() >= MAX_PAGES && !slots.contains_key(&key) {
            // Old pages first; a slot being rendered (locked) stays.
            slots.retain(|_, slot| {
                slot.page.try_lock().is_ok_and(|kept| {
                    kept.as_ref()
                        .is_some_and(|k| k.rendered.elapsed() < MAX_AGE)
                })
            });
            if slots.len() >= MAX_PAGES {
                slots.clear();
            }
        }
        slots.entry(key).or_default().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn key(team: &str, can_pause: bool) -> DagListKey {
        DagListKey {
            team: team.into(),
            query: DagQuery::default(),
            can_pause,
            can_pause_shared: false,
        }
    }

    fn page(total: u64) -> DagPage {
        DagPage {
            rows: Vec::new(),
            total,
            query: DagQuery::default(),
            sync: Vec::new(),
            bundles: Vec::new(),
            can_pause: false,
            can_pause_shared: false,
            import_errors: Vec::new(),
            rows_html: None,
        }
    }

    async fn get(
        cache: &DagListCache,
        key: DagListKey,
        version: u64,
        renders: &AtomicUsize,
    ) -> u64 {
        let n = renders.fetch_add(1, Ordering::SeqCst) as u64;
        let served = cache
            .page(key, version, || async move { Ok(page(n)) })
            .await
            .expect("renders");
        if served.total != n {
            renders.fetch_sub(1, Ordering::SeqCst); // not rendered: kept
        }
        served.total
    }

    #[tokio::test]
    async fn a_page_is_kept_until_the_version_moves() {
        let (cache, renders) = (DagListCache::default(), AtomicUsize::new(0));
        let first = get(&cache, key("team_a", false), 1, &renders).await;
        assert_eq!(get(&cache, key("team_a", false), 1, &renders).await, first);
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        assert_ne!(get(&cache, key("team_a", false), 2, &renders).await, first);
        assert_eq!(renders.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn teams_and_abilities_never_share_a_page() {
        let (cache, renders) = (DagListCache::default(), AtomicUsize::new(0));
        let a = get(&cache, key("team_a", false), 1, &renders).await;
        let b = get(&cache, key("team_b", false), 1, &renders).await;
        let a_author = get(&cache, key("team_a", true), 1, &renders).await;
        assert_eq!(renders.load(Ordering::SeqCst), 3);
        assert!(a != b && a != a_author && b != a_author);
    }

    #[tokio::test]
    async fn a_page_is_not_kept_past_its_age() {
        let (cache, renders) = (DagListCache::default(), AtomicUsize::new(0));
        let first = get(&cache, key("team_a", false), 1, &renders).await;
        tokio::time::sleep(MAX_AGE + Duration::from_millis(50)).await;
        assert_ne!(get(&cache, key("team_a", false), 1, &renders).await, first);
    }

    #[tokio::test]
    async fn a_failed_render_is_not_kept() {
        let cache = DagListCache::default();
        let failed = cache
            .page(key("team_a", false), 1, || async {
                Err(AppError::Internal("db".into()))
            })
            .await;
        assert!(failed.is_err());
        let served = cache
            .page(key("team_a", false), 1, || async { Ok(page(7)) })
            .await
            .expect("renders");
        assert_eq!(served.total, 7);
    }
}
