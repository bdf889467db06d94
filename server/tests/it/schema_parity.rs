//! The two migration sets describe one schema: the tables, their columns and the indexes
//! (with their columns, in order) of a freshly migrated SQLite database and a freshly migrated
//! PostgreSQL database are the same, except for the differences listed below, each a dialect
//! detail with its reason. A column or index added to one set and forgotten in the other, or
//! named differently, fails here.
//!
//! One dialect detail is normalised rather than listed: a SQLite index always ends with the
//! row's id, so where a table's primary key is its rowid (`INTEGER PRIMARY KEY`), PostgreSQL
//! must name that column last to get the same index; it is left out on both sides.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::{self, Backend};

/// What exists in one backend only, and why that is a dialect detail, not a drift.
/// A table named here stands for its columns too.
const ONLY_IN_SQLITE: &[(&str, &str)] = &[
    (
        "table audit_search",
        "SQLite's text search is an FTS5 trigram table; PostgreSQL uses a pg_trgm index",
    ),
    (
        "table audit_search_config",
        "FTS5's own shadow table of audit_search",
    ),
    (
        "table audit_search_data",
        "FTS5's own shadow table of audit_search",
    ),
    (
        "table audit_search_docsize",
        "FTS5's own shadow table of audit_search",
    ),
    (
        "table audit_search_idx",
        "FTS5's own shadow table of audit_search",
    ),
];
const ONLY_IN_POSTGRES: &[(&str, &str)] = &[(
    "index audit_log.audit_log_search",
    "the pg_trgm GIN index PostgreSQL's text search uses (SQLite: the audit_search table)",
)];

/// Everything the schema names: `table t`, `column t.c`, `index t.i(columns)`.
type Schema = BTreeSet<String>;

async fn sqlite_schema(db: &hangar_server::db::Db) -> Schema {
    let hangar_server::db::Db::Sqlite(pool) = db else {
        unreachable!()
    };
    let mut schema = Schema::new();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE '_sqlx%' AND name <> 'tower_sessions' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for table in tables {
        schema.insert(format!("table {table}"));
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(&table)
                .fetch_all(pool)
                .await
                .unwrap();
        for column in &columns {
            schema.insert(format!("column {table}.{column}"));
        }
        // The rowid alias, if the table has one: a lone INTEGER PRIMARY KEY.
        let keys: Vec<(String, String)> =
            sqlx::query_as("SELECT name, upper(type) FROM pragma_table_info($1) WHERE pk > 0")
                .bind(&table)
                .fetch_all(pool)
                .await
                .unwrap();
        let row_key = match keys.as_slice() {
            [(name, kind)] if kind == "INTEGER" => Some(name.clone()),
            _ => None,
        };
        // Indexes a migration created (constraints' automatic ones have no SQL).
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 \
             AND sql IS NOT NULL ORDER BY name",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        for index in indexes {
            // An expression has no column name.
            let columns: Vec<Option<String>> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(pool)
                    .await
                    .unwrap();
            let columns: Vec<String> = columns.into_iter().flatten().collect();
            schema.insert(index_entry(&table, &index, columns, row_key.as_deref()));
        }
    }
    schema
}

async fn postgres_schema(db: &hangar_server::db::Db) -> Schema {
    let hangar_server::db::Db::Postgres(pool) = db else {
        unreachable!()
    };
    let mut schema = Schema::new();
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c \
         JOIN information_schema.tables t ON t.table_schema = c.table_schema \
         AND t.table_name = c.table_name \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' \
         AND c.table_name NOT LIKE '_sqlx%' AND c.table_name <> 'tower_sessions' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, column) in columns {
        schema.insert(format!("table {table}"));
        schema.insert(format!("column {table}.{column}"));
    }
    // Single-column primary keys, by table.
    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT t.relname::text, a.attname::text FROM pg_constraint c \
         JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = c.conkey[1] \
         WHERE n.nspname = 'public' AND c.contype = 'p' AND array_length(c.conkey, 1) = 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let keys: BTreeMap<String, String> = keys.into_iter().collect();
    // Indexes a migration created: not those behind a primary key or unique constraint.
    let indexes: Vec<(String, String, Vec<String>)> = sqlx::query_as(
        "SELECT t.relname::text, i.relname::text, \
         ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, n) \
               JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
               ORDER BY k.n) \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND t.relname NOT LIKE '_sqlx%' \
         AND t.relname <> 'tower_sessions' \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, index, columns) in indexes {
        let row_key = keys.get(&table).map(String::as_str);
        schema.insert(index_entry(&table, &index, columns, row_key));
    }
    schema
}

/// What an entry is listed under among the exceptions: `index t.i(cols)` → `index t.i`,
/// `column t.c` → `table t`.
fn listed_as(entry: &str) -> String {
    if let Some(column) = entry.strip_prefix("column ") {
        let table = column.split('.').next().unwrap_or(column);
        return format!("table {table}");
    }
    entry.split('(').next().unwrap_or(entry).to_string()
}

fn unexplained<'a>(
    only_here: impl Iterator<Item = &'a String>,
    explained: &[(&str, &str)],
) -> Vec<&'a String> {
    only_here
        .filter(|entry| !explained.iter().any(|(name, _)| *name == listed_as(entry)))
        .collect()
}

/// An index's columns without a last column that is the table's rowid-like primary key.
fn index_entry(
    table: &str,
    index: &str,
    mut columns: Vec<String>,
    row_key: Option<&str>,
) -> String {
    if columns.len() > 1 && columns.last().map(String::as_str) == row_key {
        columns.pop();
    }
    format!("index {table}.{index}({})", columns.join(", "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_migration_sets_build_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = sqlite_schema(&support::test_database(Backend::Sqlite, &dir).await).await;
    let postgres = postgres_schema(&support::test_database(Backend::Postgres, &dir).await).await;
    assert!(
        sqlite.contains("column audit_log.hash") && postgres.contains("column audit_log.hash"),
        "the schemas were read: {sqlite:?}"
    );
    let only_sqlite = unexplained(sqlite.difference(&postgres), ONLY_IN_SQLITE);
    let only_postgres = unexplained(postgres.difference(&sqlite), ONLY_IN_POSTGRES);
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the migration sets differ beyond their dialects:\n  only in SQLite: {only_sqlite:#?}\n  \
         only in PostgreSQL: {only_postgres:#?}"
    );
    // Every exception still exists: a stale one would hide a future drift.
    let named: BTreeMap<&str, bool> = ONLY_IN_SQLITE
        .iter()
        .map(|(name, _)| (*name, sqlite.iter().any(|e| listed_as(e) == *name)))
        .chain(
            ONLY_IN_POSTGRES
                .iter()
                .map(|(name, _)| (*name, postgres.iter().any(|e| listed_as(e) == *name))),
        )
        .collect();
    let stale: Vec<_> = named.iter().filter(|(_, found)| !**found).collect();
    assert!(
        stale.is_empty(),
        "exceptions that no longer exist: {stale:?}"
    );
}

#[test]
fn a_drift_is_named() {
    let sqlite: Schema = ["table t", "column t.a", "column t.b", "index t.t_a(a)"]
        .map(String::from)
        .into();
    let postgres: Schema = ["table t", "column t.a", "index t.t_a(a)"]
        .map(String::from)
        .into();
    let only_sqlite = unexplained(sqlite.difference(&postgres), ONLY_IN_SQLITE);
    assert_eq!(only_sqlite, vec!["column t.b"]);
    // A shadow table's columns go with its table; an index differing in a column does not.
    assert!(
        unexplained(
            ["column audit_search.body".to_string()].iter(),
            ONLY_IN_SQLITE
        )
        .is_empty()
    );
    assert_eq!(
        index_entry("t", "t_a", vec!["a".into(), "id".into()], Some("id")),
        "index t.t_a(a)"
    );
    assert_eq!(
        index_entry("t", "t_a", vec!["a".into(), "b".into()], Some("id")),
        "index t.t_a(a, b)"
    );
}
