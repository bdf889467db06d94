//! The audit log viewer's data (`/platform/audit` and a team's `/t/{team}/audit`): the
//! filters as the page's query string carries them, one page of entries, and the chain's
//! verification as the viewer may see it.

use serde::{Deserialize, Serialize};

use crate::time_text::days_from_civil;

/// Entries per page.
pub const AUDIT_PAGE_SIZE: usize = 50;
/// The outcomes an entry can have, as stored.
pub const AUDIT_OUTCOMES: [&str; 3] = ["success", "failure", "denied"];
/// The team filter's value for entries that concern no team (sign-ins, refused requests).
pub const NO_TEAM: &str = "-";
/// Longest filter value kept; longer ones are cut (nobody types more, and the query stays
/// bounded).
const MAX_FILTER_LEN: usize = 200;

/// Whose entries a page shows: every entry, or one team's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditScope {
    Platform,
    Team(String),
}

/// The viewer's filters, as typed. Empty means "any".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    /// A team name, [`NO_TEAM`], or empty (platform scope only; a team's page is its team).
    pub team: String,
    /// A user's subject or display name (case-insensitive).
    pub actor: String,
    pub action: String,
    pub outcome: String,
    /// UTC: `2026-11-22` or `2026-11-22T14:30` (from the start of that day or minute).
    pub from: String,
    /// UTC, inclusive: up to the end of that day or minute.
    pub to: String,
    /// Words anywhere in the entry, case-insensitive.
    pub text: String,
}

/// The filter ready to run: times in milliseconds, half-open `[from_ms, to_ms)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditCriteria {
    pub team: Option<Option<String>>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub text: Option<String>,
}

impl AuditFilter {
    /// Reads the filter from query parameters; missing ones are empty, long ones are cut.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Self {
        let field = |name: &str| {
            let value = get(name).unwrap_or_default();
            let value = value.trim();
            value
                .char_indices()
                .nth(MAX_FILTER_LEN)
                .map_or(value, |(end, _)| &value[..end])
                .to_string()
        };
        Self {
            team: field("team"),
            actor: field("actor"),
            action: field("action"),
            outcome: field("outcome"),
            from: field("from"),
            to: field("to"),
            text: field("q"),
        }
    }

    /// The query-string pairs of this filter (empty ones left out by `paths::query`).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("team", self.team.clone()),
            ("actor", self.actor.clone()),
            ("action", self.action.clone()),
            ("outcome", self.outcome.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("q", self.text.clone()),
        ]
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Checks the filter and turns it into criteria for `scope`; the error names the field.
    pub fn criteria(&self, scope: &AuditScope) -> Result<AuditCriteria, String> {
        let some = |value: &str| (!value.is_empty()).then(|| value.to_string());
        if !self.outcome.is_empty() && !AUDIT_OUTCOMES.contains(&self.outcome.as_str()) {
            return Err(format!(
                "The outcome must be one of {}.",
                AUDIT_OUTCOMES.join(", ")
            ));
        }
        let from_ms = parse_utc(&self.from, Bound::Start).map_err(|e| format!("From: {e}"))?;
        let to_ms = parse_utc(&self.to, Bound::End).map_err(|e| format!("To: {e}"))?;
        if let (Some(from), Some(to)) = (from_ms, to_ms)
            && from >= to
        {
            return Err("From must be before To.".into());
        }
        let team = match scope {
            AuditScope::Team(team) => Some(Some(team.clone())),
            AuditScope::Platform if self.team.is_empty() => None,
            AuditScope::Platform if self.team == NO_TEAM => Some(None),
            AuditScope::Platform => Some(Some(self.team.clone())),
        };
        Ok(AuditCriteria {
            team,
            actor: some(&self.actor),
            action: some(&self.action),
            outcome: some(&self.outcome),
            from_ms,
            to_ms,
            text: some(&self.text.to_lowercase()),
        })
    }
}

#[derive(Clone, Copy)]
enum Bound {
    Start,
    End,
}

/// `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` (or with a space, or with `:SS`), UTC. A start is the
/// first millisecond of what it names; an end is the first millisecond after it.
fn parse_utc(text: &str, bound: Bound) -> Result<Option<i64>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let wrong = || format!("{text:?} is not a date like 2026-11-22 or 2026-11-22T14:30 (UTC).");
    let number = |range: std::ops::Range<usize>| -> Result<i64, String> {
        let part = text.get(range).ok_or_else(wrong)?;
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().map_err(|_| wrong())
        } else {
            Err(wrong())
        }
    };
    let bytes = text.as_bytes();
    if !(bytes.get(4) == Some(&b'-') && bytes.get(7) == Some(&b'-')) {
        return Err(wrong());
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(wrong());
    }
    let (hour, minute, second, unit) = match text.len() {
        10 => (0, 0, 0, 86_400_000),
        16 | 19 if matches!(bytes[10], b'T' | b' ') && bytes[13] == b':' => {
            let (hour, minute) = (number(11..13)?, number(14..16)?);
            if text.len() == 19 {
                if bytes[16] != b':' {
                    return Err(wrong());
                }
                (hour, minute, number(17..19)?, 1_000)
            } else {
                (hour, minute, 0, 60_000)
            }
        }
        _ => return Err(wrong()),
    };
    if hour > 23 || minute > 59 || second > 59 {
        return Err(wrong());
    }
    let start =
        ((days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60_000 + second * 1_000;
    Ok(Some(match bound {
        Bound::Start => start,
        Bound::End => start + unit,
    }))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Where the next (older) page starts: entries older than `at_ms`, or at `at_ms` after the
/// first `skip` of them (newest first). It carries no sequence number, so a team's pages
/// say nothing about how much the rest of the log grew meanwhile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditCursor {
    pub at_ms: i64,
    pub skip: u32,
}

impl AuditCursor {
    /// `"<at_ms>.<skip>"`, the page's `before` parameter; nonsense is `None` (the newest page).
    pub fn parse(text: &str) -> Option<Self> {
        let (at, skip) = text.split_once('.')?;
        Some(Self {
            at_ms: at.parse().ok()?,
            skip: skip.parse().ok()?,
        })
    }

    pub fn as_param(&self) -> String {
        format!("{}.{}", self.at_ms, self.skip)
    }

    /// The cursor after a page whose entries had these times (newest first), read from `self`
    /// (or from the newest entry when `self` is `None`).
    pub fn after_page(before: Option<Self>, times: &[i64]) -> Option<Self> {
        let last = *times.last()?;
        let same = times.iter().filter(|&&at| at == last).count() as u32;
        let carried = before.filter(|b| b.at_ms == last).map_or(0, |b| b.skip);
        Some(Self {
            at_ms: last,
            skip: carried + same,
        })
    }
}

/// One entry as the viewer shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    /// The entry's place in the chain; shown on the platform page only.
    pub seq: Option<i64>,
    pub at_ms: i64,
    pub actor_name: Option<String>,
    pub actor_subject: Option<String>,
    pub team: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
    pub request_id: Option<String>,
}

/// The chain's newest verification, as the viewer may see it: a team's page learns whether
/// the chain is intact, not how long it is or where it broke.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainStatus {
    pub checked_at_ms: i64,
    pub intact: bool,
    /// Platform scope only.
    pub entries_checked: Option<i64>,
    /// Platform scope only: entries before this were removed by retention.
    pub from_seq: Option<i64>,
    /// Platform scope only.
    pub problem: Option<String>,
}

/// One page of the viewer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub scope: AuditScope,
    pub filter: AuditFilter,
    /// Why the filter could not be used; no entries are shown then.
    pub filter_error: Option<String>,
    pub rows: Vec<AuditRow>,
    /// Set when this is not the newest page.
    pub before: Option<AuditCursor>,
    /// The next, older page's cursor, if there are older entries.
    pub older: Option<AuditCursor>,
    /// Every action ever logged, for the action filter.
    pub actions: Vec<String>,
    /// The configured teams, for the team filter (platform scope only).
    pub teams: Vec<String>,
    /// None until the chain has been verified once.
    pub chain: Option<ChainStatus>,
    /// "entries older than 400 days are archived", or None when everything is kept.
    pub retention: Option<String>,
}

impl AuditPage {
    /// The page's own URL with `filter` and `before`.
    pub fn href(scope: &AuditScope, filter: &AuditFilter, before: Option<AuditCursor>) -> String {
        let mut pairs = filter.pairs();
        if let AuditScope::Team(_) = scope {
            pairs.retain(|(name, _)| *name != "team");
        }
        if let Some(before) = before {
            pairs.push(("before", before.as_param()));
        }
        format!("{}{}", scope_path(scope), crate::paths::query(&pairs))
    }

    /// The export of the filtered set in `format` (`ndjson` or `csv`).
    pub fn export_href(scope: &AuditScope, filter: &AuditFilter, format: &str) -> String {
        let mut pairs = filter.pairs();
        if let AuditScope::Team(_) = scope {
            pairs.retain(|(name, _)| *name != "team");
        }
        pairs.push(("format", format.to_string()));
        format!(
            "{}/export{}",
            scope_path(scope),
            crate::paths::query(&pairs)
        )
    }
}

fn scope_path(scope: &AuditScope) -> String {
    match scope {
        AuditScope::Platform => "/platform/audit".to_string(),
        AuditScope::Team(team) => format!("{}/audit", crate::paths::team(team)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(pairs: &[(&str, &str)]) -> AuditFilter {
        AuditFilter::from_params(|name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn dates_are_utc_and_ends_are_inclusive() {
        let f = filter(&[("from", "2026-11-22"), ("to", "2026-11-22")]);
        let c = f.criteria(&AuditScope::Platform).unwrap();
        assert_eq!(c.from_ms, Some(1_795_305_600_000));
        assert_eq!(c.to_ms, Some(1_795_305_600_000 + 86_400_000));
        let f = filter(&[("from", "2026-11-22T14:30"), ("to", "2026-11-22 14:30:15")]);
        let c = f.criteria(&AuditScope::Platform).unwrap();
        assert_eq!(c.from_ms, Some(1_795_305_600_000 + 52_200_000));
        assert_eq!(c.to_ms, Some(1_795_305_600_000 + 52_215_000 + 1_000));
        assert_eq!(
            filter(&[("from", "2024-02-29")])
                .criteria(&AuditScope::Platform)
                .unwrap()
                .from_ms,
            Some(1_709_164_800_000)
        );
    }

    #[test]
    fn bad_filters_name_the_field() {
        for (pairs, says) in [
            (vec![("from", "yesterday")], "From:"),
            (vec![("to", "2026-02-30")], "To:"),
            (vec![("to", "2026-11-22T24:00")], "To:"),
            (vec![("outcome", "maybe")], "outcome"),
            (
                vec![("from", "2026-11-23"), ("to", "2026-11-22")],
                "before To",
            ),
        ] {
            let error = filter(&pairs).criteria(&AuditScope::Platform).unwrap_err();
            assert!(error.contains(says), "{pairs:?}: {error}");
        }
    }

    #[test]
    fn a_team_page_is_its_team_whatever_the_query_says() {
        let f = filter(&[("team", "team_b"), ("q", "Pause ")]);
        let c = f.criteria(&AuditScope::Team("team_a".into())).unwrap();
        assert_eq!(c.team, Some(Some("team_a".into())));
        assert_eq!(c.text.as_deref(), Some("pause"));
        let c = filter(&[("team", NO_TEAM)])
            .criteria(&AuditScope::Platform)
            .unwrap();
        assert_eq!(c.team, Some(None));
        assert_eq!(
            filter(&[]).criteria(&AuditScope::Platform).unwrap(),
            AuditCriteria::default()
        );
        let long = "x".repeat(500);
        assert_eq!(filter(&[("q", &long)]).text.len(), MAX_FILTER_LEN);
    }

    #[test]
    fn cursors_count_entries_sharing_the_last_time() {
        assert_eq!(AuditCursor::after_page(None, &[]), None);
        let first = AuditCursor::after_page(None, &[9, 8, 7, 7]).unwrap();
        assert_eq!(first, AuditCursor { at_ms: 7, skip: 2 });
        // The next page is all at 7 as well: the skip keeps counting.
        let second = AuditCursor::after_page(Some(first), &[7, 7, 7]).unwrap();
        assert_eq!(second, AuditCursor { at_ms: 7, skip: 5 });
        let third = AuditCursor::after_page(Some(second), &[7, 6]).unwrap();
        assert_eq!(third, AuditCursor { at_ms: 6, skip: 1 });
        assert_eq!(AuditCursor::parse(&third.as_param()), Some(third));
        assert_eq!(AuditCursor::parse("12"), None);
        assert_eq!(AuditCursor::parse("x.1"), None);
    }

    #[test]
    fn links_keep_the_filter_and_never_name_another_team() {
        let f = filter(&[("team", "team_b"), ("action", "dag.pause")]);
        let team = AuditScope::Team("team_a".into());
        assert_eq!(
            AuditPage::href(&team, &f, Some(AuditCursor { at_ms: 5, skip: 1 })),
            "/t/team_a/audit?action=dag.pause&before=5.1"
        );
        assert_eq!(
            AuditPage::export_href(&AuditScope::Platform, &f, "csv"),
            "/platform/audit/export?team=team_b&action=dag.pause&format=csv"
        );
    }
}
