//! Hangar's own database: SQLite (default, one file, WAL) or PostgreSQL, chosen by URL.
//!
//! Both backends run the same SQL where the dialects agree (`$N` placeholders, `ON CONFLICT`,
//! `RETURNING`); [`with_pool!`] compiles a query body once per backend so the SQL stays
//! next to where it is used. Each backend has its own embedded migration set.
//!
//! PostgreSQL connections use TLS as libpq's `sslmode` says (rustls; `disable`, `prefer`
//! — sqlx's default —, `require`, `verify-ca`, `verify-full`, with `sslrootcert`, `sslcert`
//! and `sslkey`). What a connection really got is read back from the server
//! (`pg_stat_ssl`): `hangar check-config` reports it, and a `prefer` that ended in plain text
//! is logged as a warning instead of passing unnoticed.

pub mod session_store;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool of whichever backend `$db` is.
#[macro_export]
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// A query body's result as the server's: its `sqlx::Error` becomes `ServerError::Database`
/// (and the body's own `Ok` needs no type annotation). Store functions wrap
/// `with_pool!(…)` in it.
pub fn query_result<T>(result: Result<T, sqlx::Error>) -> Result<T, crate::error::ServerError> {
    Ok(result?)
}

/// Whether `error` may pass when the same statement is tried again in a moment: SQLite's
/// lock held past the busy timeout (`SQLITE_BUSY`, `SQLITE_LOCKED` and their extended codes),
/// PostgreSQL's serialization failures, deadlocks, shutdowns and refused or lost
/// connections, or no pooled connection free in time. Anything else (a constraint, a value
/// the database refuses) fails the same way again.
pub fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(error) => {
            let code = error.code();
            let code = code.as_deref().unwrap_or_default();
            match code.parse::<i32>() {
                // SQLite's codes are numbers; an extended code keeps its primary one in the
                // low byte (517, BUSY_SNAPSHOT, is 5, BUSY).
                Ok(sqlite) => matches!(sqlite & 0xff, 5 | 6),
                Err(_) => {
                    matches!(
                        code,
                        "40001" | "40P01" | "53300" | "57P01" | "57P02" | "57P03"
                    ) || code.starts_with("08")
                }
            }
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) => true,
        _ => false,
    }
}

/// A `LIKE … ESCAPE '\\'` pattern matching values that contain `text`, with `LIKE`'s own
/// characters in it taken literally (a search for `50%_a` finds that text, not a wildcard).
pub fn like_containing(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// What a connection to the database really is: the backend and, for PostgreSQL, whether
/// TLS protects it and whether the server's certificate was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    Sqlite,
    Postgres {
        /// `Some((protocol, cipher))` when the connection is encrypted.
        tls: Option<(String, String)>,
        mode: &'static str,
    },
}

impl Transport {
    /// Whether data travels in plain text over the network.
    pub fn is_plain_text_network(&self) -> bool {
        matches!(self, Self::Postgres { tls: None, .. })
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite => f.write_str("SQLite (a local file)"),
            Self::Postgres {
                tls: Some((protocol, cipher)),
                mode,
            } => {
                let checked = match *mode {
                    "verify-full" => "server certificate and host name verified",
                    // sqlx 0.8.6 with rustls 0.23.46 checks the name under verify-ca too:
                    // its exemption matches an older form of rustls' name error.
                    "verify-ca" => "server certificate and host name verified",
                    _ => "server certificate NOT verified (use sslmode=verify-full)",
                };
                write!(
                    f,
                    "PostgreSQL over TLS ({protocol}, {cipher}); {checked}; sslmode={mode}"
                )
            }
            Self::Postgres { tls: None, mode } => write!(
                f,
                "PostgreSQL in PLAIN TEXT, without TLS (sslmode={mode}; the server offered no \
                 TLS or was not asked for it)"
            ),
        }
    }
}

fn mode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

/// A database error in words an operator can act on: a TLS handshake's certificate problem
/// becomes a sentence naming `sslrootcert`; anything else is sqlx's own message.
pub fn explain(error: &sqlx::Error) -> String {
    use crate::tls::TlsProblem;
    match crate::tls::problem(error) {
        Some(problem @ TlsProblem::UntrustedIssuer) => format!(
            "the database server's {} (give its CA with sslrootcert=/path/ca.pem in \
             database.url, or in [tls] ca_file)",
            problem.what()
        ),
        Some(problem @ TlsProblem::WrongName) => format!(
            "the database server's {} (sslmode=verify-full, and with Hangar's TLS library \
             verify-ca too, checks the host of database.url against the certificate: connect \
             through a name the certificate carries)",
            problem.what()
        ),
        Some(problem) => format!("the database server's {}", problem.what()),
        None => error.to_string(),
    }
}

impl Db {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, sqlx::Error> {
        Self::open(url, max_connections, None).await
    }

    /// Connects; a PostgreSQL URL without `sslrootcert` verifies the server against
    /// `default_root_cert` (`[tls] ca_file`) when one is given.
    pub async fn open(
        url: &str,
        max_connections: u32,
        default_root_cert: Option<&Path>,
    ) -> Result<Self, sqlx::Error> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            // No ping before each use: the connection is a thread of this process, with no
            // network or server between that could have dropped it, and the ping was a
            // second hand-off to that thread for every query (about a tenth of an
            // authenticated page's CPU time, docs/benchmarks.md).
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            Ok(Self::Sqlite(pool))
        } else {
            let mut options = PgConnectOptions::from_str(url)?;
            let names_root_cert = url::Url::parse(url).is_ok_and(|url| {
                url.query_pairs()
                    .any(|(key, _)| matches!(&*key, "sslrootcert" | "ssl-root-cert" | "ssl-ca"))
            });
            if let Some(ca_file) = default_root_cert
                && !names_root_cert
            {
                options = options.ssl_root_cert(ca_file);
            }
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await?;
            let db = Self::Postgres(pool);
            match db.transport().await? {
                transport if transport.is_plain_text_network() => tracing::warn!(
                    %transport,
                    "the database connection is not encrypted: set sslmode=verify-full (or \
                     require) in database.url to refuse plain text"
                ),
                transport => tracing::info!(%transport, "database connected"),
            }
            Ok(db)
        }
    }

    /// What this process's connections are (read from the server on one of them).
    pub async fn transport(&self) -> Result<Transport, sqlx::Error> {
        match self {
            Self::Sqlite(_) => Ok(Transport::Sqlite),
            Self::Postgres(pool) => {
                let mode = mode_name(pool.connect_options().get_ssl_mode());
                let row = sqlx::query(
                    "SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                )
                .fetch_one(pool)
                .await?;
                let tls = if row.try_get::<bool, _>("ssl")? {
                    Some((
                        row.try_get::<Option<String>, _>("version")?
                            .unwrap_or_default(),
                        row.try_get::<Option<String>, _>("cipher")?
                            .unwrap_or_default(),
                    ))
                } else {
                    None
                };
                Ok(Transport::Postgres { tls, mode })
            }
        }
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Self::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
            Self::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    /// Connections this process holds open, and how many of them are idle.
    pub fn pool_usage(&self) -> (u32, usize) {
        with_pool!(self, pool => (pool.size(), pool.num_idle()))
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_characters_are_taken_literally() {
        assert_eq!(like_containing(r"50%_a\b"), r"%50\%\_a\\b%");
    }

    /// Real SQLite errors: a write while another connection holds the lock is worth trying
    /// again; a broken constraint is not.
    #[tokio::test]
    async fn a_held_lock_is_transient_and_a_constraint_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let options = SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true)
            .busy_timeout(Duration::ZERO);
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&pool)
            .await
            .unwrap();
        let duplicate = sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&pool)
            .await
            .unwrap_err();
        assert!(!is_transient(&duplicate), "{duplicate}");

        let lock = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
        let locked = sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&pool)
            .await
            .unwrap_err();
        assert!(is_transient(&locked), "{locked}");
        lock.rollback().await.unwrap();
        assert!(!is_transient(&sqlx::Error::RowNotFound));
    }
}
