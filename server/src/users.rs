//! Users Hangar has seen: one row per (issuer, subject), updated at every sign-in.

use sqlx::Row;

use crate::db::Db;
use crate::db::query_result;
use crate::deploy::policy::Person;
use crate::error::ServerError;
use crate::with_pool;

pub struct SignIn<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub email_verified: bool,
    pub groups: &'a [String],
    pub at_ms: i64,
}

/// Records a sign-in and returns the user's id and remembered team.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_sign_in(
    db: &Db,
    sign_in: SignIn<'_>,
) -> Result<(i64, Option<String>), ServerError> {
    let groups = serde_json::to_string(sign_in.groups).unwrap_or_else(|_| "[]".into());
    query_result(with_pool!(db, pool => {
        let row = sqlx::query(
            "INSERT INTO users (issuer, subject, display_name, email, groups_json, \
             first_login_ms, last_login_ms, email_verified) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) \
             ON CONFLICT (issuer, subject) DO UPDATE SET display_name = excluded.display_name, \
             email = excluded.email, email_verified = excluded.email_verified, \
             groups_json = excluded.groups_json, \
             last_login_ms = excluded.last_login_ms \
             RETURNING id, last_team",
        )
        .bind(sign_in.issuer)
        .bind(sign_in.subject)
        .bind(sign_in.display_name)
        .bind(sign_in.email)
        .bind(groups)
        .bind(sign_in.at_ms)
        .bind(sign_in.email_verified)
        .fetch_one(pool)
        .await?;
        Ok((row.try_get("id")?, row.try_get("last_team")?))
    }))
}

/// The person the deploy rules see: the user's name and the e-mail the identity provider
/// verified at their last sign-in (none if it did not).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn person(db: &Db, user_id: i64) -> Result<Option<Person>, ServerError> {
    query_result(with_pool!(db, pool => {
        let row = sqlx::query("SELECT display_name, email, email_verified FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
        row.map(|row| -> Result<Person, sqlx::Error> {
            let name: String = row.try_get("display_name")?;
            let email: Option<String> = row.try_get("email")?;
            let verified: bool = row.try_get("email_verified")?;
            let emails: Vec<&str> = email.as_deref().filter(|_| verified).into_iter().collect();
            Ok(Person::new(user_id, &name, &emails))
        })
        .transpose()
    }))
}

#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn set_last_team(db: &Db, user_id: i64, team: &str) -> Result<(), ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query("UPDATE users SET last_team = $1 WHERE id = $2")
            .bind(team)
            .bind(user_id)
            .execute(pool)
            .await
            .map(|_| ())
    }))
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_groups(db: &Db, user_id: i64, groups: &[String]) -> Result<(), ServerError> {
    let groups = serde_json::to_string(groups).unwrap_or_else(|_| "[]".into());
    query_result(with_pool!(db, pool => {
        sqlx::query("UPDATE users SET groups_json = $1 WHERE id = $2")
            .bind(groups)
            .bind(user_id)
            .execute(pool)
            .await
            .map(|_| ())
    }))
}

/// A person who signed in, with the groups of their last sign-in (or group refresh).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownUser {
    pub id: i64,
    pub issuer: String,
    pub subject: String,
    pub display_name: String,
    pub email: Option<String>,
    pub groups: Vec<String>,
    pub last_login_ms: i64,
}

const KNOWN_USER_COLUMNS: &str =
    "id, issuer, subject, display_name, email, groups_json, last_login_ms";

/// Reads a [`KnownUser`] from a row of either backend.
trait KnownUserRow {
    fn known_user(&self) -> Result<KnownUser, sqlx::Error>;
}

macro_rules! known_user_row {
    ($row:ty) => {
        impl KnownUserRow for $row {
            fn known_user(&self) -> Result<KnownUser, sqlx::Error> {
                let groups: String = self.try_get("groups_json")?;
                Ok(KnownUser {
                    id: self.try_get("id")?,
                    issuer: self.try_get("issuer")?,
                    subject: self.try_get("subject")?,
                    display_name: self.try_get("display_name")?,
                    email: self.try_get("email")?,
                    // Written by Hangar only, from a Vec<String>; unreadable means none.
                    groups: serde_json::from_str(&groups).unwrap_or_default(),
                    last_login_ms: self.try_get("last_login_ms")?,
                })
            }
        }
    };
}
known_user_row!(sqlx::sqlite::SqliteRow);
known_user_row!(sqlx::postgres::PgRow);

/// Everyone who signed in through the identity provider (API tokens' own users left out),
/// by name.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn signed_in_people(db: &Db) -> Result<Vec<KnownUser>, ServerError> {
    let sql = format!(
        "SELECT {KNOWN_USER_COLUMNS} FROM users WHERE issuer <> $1 ORDER BY lower(display_name), id"
    );
    query_result(with_pool!(db, pool => {
        let rows = sqlx::query(&sql)
            .bind(crate::tokens::TOKEN_ISSUER)
            .fetch_all(pool)
            .await?;
        rows.iter().map(KnownUserRow::known_user).collect()
    }))
}

/// One person who signed in, by id (`None` for an API token's user or an unknown id).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn signed_in_person(db: &Db, id: i64) -> Result<Option<KnownUser>, ServerError> {
    let sql = format!("SELECT {KNOWN_USER_COLUMNS} FROM users WHERE id = $1 AND issuer <> $2");
    query_result(with_pool!(db, pool => {
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(crate::tokens::TOKEN_ISSUER)
            .fetch_optional(pool)
            .await?;
        row.as_ref().map(KnownUserRow::known_user).transpose()
    }))
}

/// The people a command-line argument names: a subject, an e-mail (ignoring case) or
/// `#<id>`. Several people can share an e-mail (or a subject, under several issuers).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_people(db: &Db, who: &str) -> Result<Vec<KnownUser>, ServerError> {
    let id: i64 = who
        .strip_prefix('#')
        .and_then(|id| id.parse().ok())
        .unwrap_or(-1);
    let sql = format!(
        "SELECT {KNOWN_USER_COLUMNS} FROM users WHERE issuer <> $1 \
         AND (subject = $2 OR lower(email) = lower($2) OR id = $3) ORDER BY id"
    );
    query_result(with_pool!(db, pool => {
        let rows = sqlx::query(&sql)
            .bind(crate::tokens::TOKEN_ISSUER)
            .bind(who)
            .bind(id)
            .fetch_all(pool)
            .await?;
        rows.iter().map(KnownUserRow::known_user).collect()
    }))
}
