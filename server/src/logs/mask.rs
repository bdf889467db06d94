//! Other teams' names in log text, masked for the team reading it.
//!
//! Airflow writes every bundle it loaded into every task log ("DAG bundles loaded:
//! team_a_dags, team_b_dags, …"), and a log may name another team's DAG. A team reading a
//! log sees `‹other team›` where another team's bundle name or DAG id stood: visibly masked,
//! so nobody mistakes it for the log's own text. The reading team's own names and the shared
//! ones stay. Names are matched whole (not inside a longer identifier).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, MatchKind};
use hangar_app::models::LOG_MASK;

use crate::config::{AirflowConfig, Ownership};
use crate::db::{Db, query_result};
use crate::error::ServerError;
use crate::with_pool;

/// Masks one team's view of one environment's logs.
pub struct Masker {
    names: Option<AhoCorasick>,
    /// The names, lowered, for [`Masker::could_meet`].
    lowered: Vec<String>,
}

impl Masker {
    /// Masks nothing (a log shown to the platform, or an environment of one team).
    pub fn none() -> Self {
        Self {
            names: None,
            lowered: Vec::new(),
        }
    }

    /// Masks each of `names` where it stands whole.
    pub fn of(names: impl IntoIterator<Item = String>) -> Self {
        let names: Vec<String> = names.into_iter().filter(|n| !n.is_empty()).collect();
        if names.is_empty() {
            return Self::none();
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&names)
            .ok();
        Self {
            names: automaton,
            lowered: names.iter().map(|name| name.to_lowercase()).collect(),
        }
    }

    /// Whether an occurrence of `needle` (lowered) in a log's text could share a character
    /// with a name this masker hides: inside the name, around all of it, or across one of its
    /// ends. A name is masked only where it stands whole, so an occurrence that would make
    /// the name continue (a name byte, or a dot and a name byte, next to it inside `needle`)
    /// cannot meet a masked one; beyond `needle`'s own ends anything may stand.
    ///
    /// A search that could meet one reads every line masked: looking at the stored bytes
    /// first would take longer where the hidden name stands, which tells the searcher it is
    /// there (`logs/spool.rs`).
    pub fn could_meet(&self, needle: &str) -> bool {
        let needle = needle.as_bytes();
        self.lowered.iter().any(|name| {
            shares_bytes(
                needle,
                name.as_bytes(),
                |at| !continues(needle, at, Side::Before),
                |at| !continues(needle, at, Side::After),
            )
        })
    }

    pub fn apply(&self, text: &str) -> String {
        let Some(names) = &self.names else {
            return text.to_string();
        };
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for found in names.find_iter(text) {
            let whole = !continues(bytes, found.start(), Side::Before)
                && !continues(bytes, found.end(), Side::After);
            if !whole {
                continue;
            }
            out.push_str(&text[copied..found.start()]);
            out.push_str(LOG_MASK);
            copied = found.end();
        }
        out.push_str(&text[copied..]);
        out
    }
}

/// Whether an occurrence of `needle` (lowered) in a team's text could share a byte with
/// [`LOG_MASK`] where a name was masked: the mask is written whatever stands around it.
pub fn could_meet_mask(needle: &str) -> bool {
    shares_bytes(
        needle.as_bytes(),
        LOG_MASK.to_lowercase().as_bytes(),
        |_| true,
        |_| true,
    )
}

/// Whether an occurrence of `needle` could share a byte with an occurrence of `word`: inside
/// it, around all of it, or across one of its ends. `may_start(at)` / `may_end(at)` say
/// whether `word` may start / end at byte `at` of `needle`.
fn shares_bytes(
    needle: &[u8],
    word: &[u8],
    may_start: impl Fn(usize) -> bool,
    may_end: impl Fn(usize) -> bool,
) -> bool {
    let inside = needle.len() <= word.len() && word.windows(needle.len()).any(|w| w == needle);
    let around = word.len() <= needle.len()
        && (0..=needle.len() - word.len()).any(|at| {
            &needle[at..at + word.len()] == word && may_start(at) && may_end(at + word.len())
        });
    let across = (1..needle.len().min(word.len())).any(|k| {
        // The word ends k bytes into the needle, or starts k bytes before its end.
        (word.ends_with(&needle[..k]) && may_end(k))
            || (word.starts_with(&needle[needle.len() - k..]) && may_start(needle.len() - k))
    });
    inside || around || across
}

/// Bytes a DAG id or bundle name is made of: a match next to one is part of a longer name.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Before,
    After,
}

/// Whether the name continues across the edge at `at`: a name byte there, or a dot between
/// name bytes (`a.b`; a full stop ending a sentence is not part of the name).
fn continues(bytes: &[u8], at: usize, side: Side) -> bool {
    let (next, beyond) = match side {
        Side::Before => (
            at.checked_sub(1).map(|i| bytes[i]),
            at.checked_sub(2).map(|i| bytes[i]),
        ),
        Side::After => (bytes.get(at).copied(), bytes.get(at + 1).copied()),
    };
    match next {
        Some(b'.') => beyond.is_some_and(is_name_byte),
        Some(b) => is_name_byte(b),
        None => false,
    }
}

/// How long a team's mask is reused before the names are read again (DAGs come and go with
/// the catalogue sync).
const MASK_TTL: Duration = Duration::from_secs(60);

/// (environment, team) → (when built, the masker).
type KeptMaskers = HashMap<(String, String), (Instant, Arc<Masker>)>;

/// Each team's masker per environment, rebuilt once a minute at most.
pub struct Masks {
    db: Db,
    environments: HashMap<String, Ownership>,
    kept: Mutex<KeptMaskers>,
}

impl Masks {
    pub fn new(db: Db, environments: &[AirflowConfig]) -> Self {
        Self {
            db,
            environments: environments
                .iter()
                .map(|env| (env.name.clone(), env.ownership.clone()))
                .collect(),
            kept: Mutex::default(),
        }
    }

    /// What `team` must not read in `environment`'s logs.
    pub async fn for_team(
        &self,
        environment: &str,
        team: &str,
    ) -> Result<Arc<Masker>, ServerError> {
        let key = (environment.to_string(), team.to_string());
        if let Some((at, masker)) = self
            .kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            && at.elapsed() < MASK_TTL
        {
            return Ok(masker.clone());
        }
        let masker = Arc::new(Masker::of(self.names(environment, team).await?));
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        // Environments × teams: small; drop what went stale when it grows anyway.
        if kept.len() > 1_000 {
            kept.retain(|_, (at, _)| at.elapsed() < MASK_TTL);
        }
        kept.insert(key, (Instant::now(), masker.clone()));
        Ok(masker)
    }

    /// Other teams' bundle names (from the configuration and the DAGs Hangar knows) and DAG
    /// ids in `environment`; none for an environment that belongs to one team.
    async fn names(&self, environment: &str, team: &str) -> Result<Vec<String>, ServerError> {
        let Some(Ownership::MultiTeam { bundles, .. }) = self.environments.get(environment) else {
            return Ok(Vec::new());
        };
        let mut names: BTreeSet<String> = bundles
            .iter()
            .filter(|(_, owner)| owner.as_str() != team)
            .map(|(bundle, _)| bundle.clone())
            .collect();
        let (others, own): (Vec<(String, Option<String>)>, BTreeSet<String>) = query_result(
            with_pool!(&self.db, pool => {
                let rows: Vec<(String, Option<String>, Option<String>, i64)> = sqlx::query_as(
                    "SELECT dag_id, bundle_name, team, shared FROM dags WHERE environment = $1",
                )
                .bind(environment)
                .fetch_all(pool)
                .await?;
                // The team's own and shared rows; an unmapped bundle's are nobody's, so masked.
                let is_own = |owner: &Option<String>, shared: i64| {
                    shared != 0 || owner.as_deref() == Some(team)
                };
                let own: BTreeSet<String> = rows
                    .iter()
                    .filter(|(_, _, owner, shared)| is_own(owner, *shared))
                    .flat_map(|(dag, bundle, _, _)| std::iter::once(dag.clone()).chain(bundle.clone()))
                    .collect();
                let others = rows
                    .into_iter()
                    .filter(|(_, _, owner, shared)| !is_own(owner, *shared))
                    .map(|(dag, bundle, _, _)| (dag, bundle))
                    .collect();
                Ok::<_, sqlx::Error>((others, own))
            }),
        )?;
        for (dag, bundle) in others {
            names.insert(dag);
            names.extend(bundle);
        }
        // A name this team sees as its own (or shared) is never masked for it.
        Ok(names.into_iter().filter(|n| !own.contains(n)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_could_meet_a_masked_name_only_where_the_name_could_stand_whole() {
        let masker = Masker::of(["team_b_etl".to_string(), "Secret-DAG".to_string()]);
        for needle in [
            "team_b", // inside the name
            "b_etl",  // inside, at its end
            "reading team_b_etl now",
            "etl now",    // the name ends in it, then a space
            "x team_b",   // the name starts in it, after a space
            "secret-dag", // names are compared lowered
            "etl.",       // a dot at the needle's end: the text beyond is unknown
        ] {
            assert!(masker.could_meet(needle), "{needle:?}");
        }
        for needle in [
            "line 5 of", // "l" ends the name only if no name byte follows
            "xteam_b",   // a name byte before: that is a longer name
            "etl.csv",   // a dot between name bytes continues the name
            "team_b_etlx",
            "other",
        ] {
            assert!(!masker.could_meet(needle), "{needle:?}");
        }
        assert!(!Masker::none().could_meet("team_b"));
    }

    #[test]
    fn other_teams_names_are_masked_where_they_stand_whole() {
        let masker = Masker::of(["team_b_dags".to_string(), "team_b_report".to_string()]);
        assert_eq!(
            masker.apply("DAG bundles loaded: team_a_dags, team_b_dags, shared_dags"),
            "DAG bundles loaded: team_a_dags, ‹other team›, shared_dags"
        );
        assert_eq!(
            masker.apply("triggered team_b_report."),
            "triggered ‹other team›."
        );
        assert_eq!(
            masker.apply("my_team_b_dags_copy and team_b_report_v2 stay"),
            "my_team_b_dags_copy and team_b_report_v2 stay",
            "parts of longer names are not the names"
        );
        assert_eq!(
            masker.apply("team_b_report.task and x.team_b_dags stay"),
            "team_b_report.task and x.team_b_dags stay"
        );
        assert_eq!(Masker::none().apply("team_b_dags"), "team_b_dags");
        assert_eq!(Masker::of(Vec::new()).apply("x"), "x");
    }
}
