//! Filtered reads of the log: the viewer's pages (newest first, by time) and the export's
//! batches (in chain order). One SQL text per filter combination, built from the criteria;
//! every value is bound, never spliced.
//!
//! Free text is a case-insensitive substring of the entry's searchable fields. A `LIKE` on
//! each row decides; on SQLite a trigram index first narrows a rare term to its candidates,
//! read once and passed as a JSON array (a common term is found quickly by walking the
//! newest entries instead). On PostgreSQL a page is first looked for among the newest rows
//! the other filters select (a common term fills it there), and only then through the
//! pg_trgm index, which serves a rare term directly.

use hangar_app::models::audit::{AuditCriteria, AuditCursor};

use super::{AuditEntry, ENTRY_COLUMNS, entry_from_row};
use crate::db::query_result;
use crate::db::{Db, like_containing};
use crate::error::ServerError;
use crate::with_pool;

/// The searchable text of an entry, lower-cased: the same fields, in the same order, as the
/// SQLite trigram index (migration 0015) and PostgreSQL's `hangar_audit_text`.
const SQLITE_TEXT: &str = "lower(coalesce(actor_name, '') || ' ' || coalesce(actor_subject, '') \
     || ' ' || coalesce(team, '') || ' ' || action || ' ' || coalesce(target, '') || ' ' || \
     outcome || ' ' || coalesce(detail, '') || ' ' || coalesce(request_id, ''))";
const POSTGRES_TEXT: &str = "hangar_audit_text(actor_name, actor_subject, team, action, target, \
     outcome, detail, request_id)";
/// A term with fewer trigram candidates than this is looked up through the index.
const RARE_TERM: i64 = 5_000;
/// On PostgreSQL, a term held by this many of the newest this-many entries is common...
const COMMON_TERM_HITS: i64 = 5;
const COMMON_TERM_SAMPLE: i64 = 1_000;
/// ... and its page is first looked for among this many of the newest filtered rows (a page
/// found there is the right page: every newer match would be in the window too).
const COMMON_TERM_WINDOW: i64 = 10_000;

/// In which order, and from where.
#[derive(Clone, Copy, Debug)]
pub enum Order {
    /// The viewer: newest first by time, then by seq, after a cursor.
    NewestFirst(Option<AuditCursor>),
    /// The export: chain order, after a seq.
    ChainAfter(i64),
}

enum Value {
    Int(i64),
    Text(String),
}

/// The entries matching `criteria`, at most `limit`, in `order`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn fetch(
    db: &Db,
    criteria: &AuditCriteria,
    order: Order,
    limit: usize,
) -> Result<Vec<AuditEntry>, ServerError> {
    let postgres = matches!(db, Db::Postgres(_));
    let mut conditions: Vec<String> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let bind = |values: &mut Vec<Value>, value: Value| {
        values.push(value);
        format!("${}", values.len())
    };
    match &criteria.team {
        Some(Some(team)) => {
            let p = bind(&mut values, Value::Text(team.clone()));
            conditions.push(format!("team = {p}"));
        }
        Some(None) => conditions.push("team IS NULL".into()),
        None => {}
    }
    if let Some(actor) = &criteria.actor {
        // One index, read in order: the subject's when some entry has that subject, else
        // the display name's (an OR of both would sort every entry of the person).
        if is_subject(db, actor).await? {
            let p = bind(&mut values, Value::Text(actor.clone()));
            conditions.push(format!("actor_subject = {p}"));
        } else {
            let p = bind(&mut values, Value::Text(actor.to_lowercase()));
            conditions.push(format!("lower(actor_name) = {p}"));
        }
    }
    if let Some(action) = &criteria.action {
        let p = bind(&mut values, Value::Text(action.clone()));
        conditions.push(format!("action = {p}"));
    }
    if let Some(outcome) = &criteria.outcome {
        let p = bind(&mut values, Value::Text(outcome.clone()));
        conditions.push(format!("outcome = {p}"));
    }
    if let Some(from) = criteria.from_ms {
        let p = bind(&mut values, Value::Int(from));
        conditions.push(format!("at_ms >= {p}"));
    }
    if let Some(to) = criteria.to_ms {
        let p = bind(&mut values, Value::Int(to));
        conditions.push(format!("at_ms < {p}"));
    }
    // Kept apart on PostgreSQL: the newest page is first looked for among the newest rows
    // the other filters select (see below).
    let mut text_condition = None;
    if let Some(text) = &criteria.text {
        let pattern = bind(&mut values, Value::Text(like_containing(text)));
        let searched = if postgres { POSTGRES_TEXT } else { SQLITE_TEXT };
        text_condition = Some(format!("{searched} LIKE {pattern} ESCAPE '\\'"));
        if let Some(candidates) = rare_candidates(db, text).await? {
            let p = bind(&mut values, Value::Text(candidates));
            conditions.push(format!("seq IN (SELECT value FROM json_each({p}))"));
        }
    }
    let (order_by, offset) = match order {
        Order::NewestFirst(before) => {
            if let Some(cursor) = before {
                let p = bind(&mut values, Value::Int(cursor.at_ms));
                conditions.push(format!("at_ms <= {p}"));
            }
            (
                "at_ms DESC, seq DESC",
                before.map_or(0, |cursor| i64::from(cursor.skip)),
            )
        }
        Order::ChainAfter(after) => {
            let p = bind(&mut values, Value::Int(after));
            conditions.push(format!("seq > {p}"));
            ("seq", 0)
        }
    };
    let limit_param = bind(&mut values, Value::Int(limit as i64));
    let offset_param = bind(&mut values, Value::Int(offset));
    let where_of = |conditions: &[String]| {
        if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        }
    };
    // A common term on PostgreSQL: the trigram index would gather every entry holding it,
    // then sort them all. The newest rows the other filters select, walked through their
    // index, then hold a full page long before the window ends; a rare term goes straight
    // to the index (walking the window for it would only add to its time).
    if let (true, Some(text), Some(term), Order::NewestFirst(_)) =
        (postgres, &text_condition, &criteria.text, order)
        && is_common(db, term).await?
    {
        let window = bind(&mut values, Value::Int(COMMON_TERM_WINDOW));
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM (SELECT * FROM audit_log {filter} ORDER BY {order_by} \
             LIMIT {window}) recent WHERE {text} ORDER BY {order_by} \
             LIMIT {limit_param} OFFSET {offset_param}",
            filter = where_of(&conditions),
        );
        let found = run(db, &sql, &values).await?;
        if found.len() == limit {
            return Ok(found);
        }
        values.pop();
    }
    conditions.extend(text_condition);
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log {filter} ORDER BY {order_by} \
         LIMIT {limit_param} OFFSET {offset_param}",
        filter = where_of(&conditions),
    );
    run(db, &sql, &values).await
}

/// Whether `text` is in at least [`COMMON_TERM_HITS`] of the newest [`COMMON_TERM_SAMPLE`]
/// entries (PostgreSQL only: SQLite asks its trigram index, `rare_candidates`).
async fn is_common(db: &Db, text: &str) -> Result<bool, ServerError> {
    let Db::Postgres(pool) = db else {
        return Ok(false);
    };
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT * FROM audit_log ORDER BY at_ms DESC, seq DESC \
         LIMIT {COMMON_TERM_SAMPLE}) newest WHERE {POSTGRES_TEXT} LIKE $1 ESCAPE '\\'"
    );
    let hits: i64 = sqlx::query_scalar(&sql)
        .bind(like_containing(text))
        .fetch_one(pool)
        .await?;
    Ok(hits >= COMMON_TERM_HITS)
}

/// Runs one of [`fetch`]'s statements with its values bound in order.
async fn run(db: &Db, sql: &str, values: &[Value]) -> Result<Vec<AuditEntry>, ServerError> {
    query_result(with_pool!(db, pool => {
        let mut query = sqlx::query(sql);
        for value in values {
            query = match value {
                Value::Int(v) => query.bind(*v),
                Value::Text(v) => query.bind(v.as_str()),
            };
        }
        let rows = query.fetch_all(pool).await?;
        rows.iter().map(entry_from_row).collect()
    }))
}

/// An FTS5 query asking for every trigram of `text` (the index keeps no positions, so the
/// row's `LIKE` checks that they form the text); `None` below three characters.
fn trigram_query(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut trigrams: Vec<String> = chars
        .windows(3)
        .map(|w| format!("\"{}\"", w.iter().collect::<String>().replace('"', "\"\"")))
        .collect();
    trigrams.sort();
    trigrams.dedup();
    (!trigrams.is_empty()).then(|| trigrams.join(" AND "))
}

/// On SQLite, the entries whose text holds every trigram of `text`, as a JSON array, when
/// there are fewer than [`RARE_TERM`] of them (one index lookup; the `LIKE` then checks each);
/// `None` for a common term, text under three characters, or PostgreSQL.
async fn rare_candidates(db: &Db, text: &str) -> Result<Option<String>, ServerError> {
    let (Db::Sqlite(pool), Some(query)) = (db, trigram_query(text)) else {
        return Ok(None);
    };
    let seqs: Vec<i64> =
        sqlx::query_scalar("SELECT rowid FROM audit_search WHERE audit_search MATCH $1 LIMIT $2")
            .bind(query)
            .bind(RARE_TERM)
            .fetch_all(pool)
            .await?;
    Ok((seqs.len() < RARE_TERM as usize).then(|| serde_json::Value::from(seqs).to_string()))
}

async fn is_subject(db: &Db, actor: &str) -> Result<bool, ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query("SELECT 1 AS one FROM audit_log WHERE actor_subject = $1 LIMIT 1")
            .bind(actor)
            .fetch_optional(pool)
            .await
            .map(|row| row.is_some())
    }))
}

/// Every action ever logged, sorted.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn actions(db: &Db) -> Result<Vec<String>, ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query_scalar("SELECT action FROM audit_actions ORDER BY action")
            .fetch_all(pool)
            .await
    }))
}

/// The actions `team`'s entries have (probing `(team, action)` per known action).
#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn team_actions(db: &Db, team: &str) -> Result<Vec<String>, ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query_scalar(
            "SELECT action FROM audit_actions a WHERE EXISTS \
             (SELECT 1 FROM audit_log l WHERE l.team = $1 AND l.action = a.action) \
             ORDER BY action",
        )
        .bind(team)
        .fetch_all(pool)
        .await
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigrams_are_quoted_and_unique() {
        assert_eq!(trigram_query("ab"), None);
        assert_eq!(
            trigram_query("aaaa\"").as_deref(),
            Some("\"aa\"\"\" AND \"aaa\"")
        );
    }
}
