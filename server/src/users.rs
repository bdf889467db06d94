//! Users Hangar has seen: one row per (issuer, subject), updated at every sign-in, and every
//! e-mail address the identity provider ever verified for them.

use std::collections::BTreeSet;

use sqlx::Row;

use crate::db::Db;
use crate::db::query_result;
use crate::error::ServerError;
use crate::review::commit::normalize_email;
use crate::review::policy::{Directory, Owner, Person};
use crate::with_pool;

/// Tokens' own users live under this issuer, which no identity provider can have.
pub const TOKEN_ISSUER: &str = "hangar:api-token";

/// Addresses looked up per statement (each one a bound parameter).
const EMAILS_PER_LOOKUP: usize = 500;

pub struct SignIn<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub email_verified: bool,
    pub groups: &'a [String],
    pub at_ms: i64,
}

/// Records a sign-in and returns the user's id and remembered team. A verified address joins
/// the person's addresses for good: a commit naming an address they signed in with once is
/// theirs (`authorship = "emails"`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_sign_in(
    db: &Db,
    sign_in: SignIn<'_>,
) -> Result<(i64, Option<String>), ServerError> {
    let groups = serde_json::to_string(sign_in.groups).unwrap_or_else(|_| "[]".into());
    let verified = sign_in
        .email
        .filter(|_| sign_in.email_verified)
        .map(normalize_email)
        .filter(|email| !email.is_empty());
    query_result(with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
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
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        if let Some(email) = &verified {
            sqlx::query(
                "INSERT INTO user_emails (user_id, email, first_seen_ms, last_seen_ms) \
                 VALUES ($1, $2, $3, $3) ON CONFLICT (user_id, email) \
                 DO UPDATE SET last_seen_ms = excluded.last_seen_ms",
            )
            .bind(id)
            .bind(email)
            .bind(sign_in.at_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok((id, row.try_get("last_team")?))
    }))
}

/// The person the deploy rules see: the user's name and every e-mail address the identity
/// provider verified for them at any sign-in.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn person(db: &Db, user_id: i64) -> Result<Option<Person>, ServerError> {
    query_result(with_pool!(db, pool => {
        let name: Option<String> = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
        let Some(name) = name else {
            return Ok(None);
        };
        let emails: Vec<String> =
            sqlx::query_scalar("SELECT email FROM user_emails WHERE user_id = $1 ORDER BY email")
                .bind(user_id)
                .fetch_all(pool)
                .await?;
        let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
        Ok(Some(Person::new(user_id, &name, &emails)))
    }))
}

/// A person and the groups stored at their last sign-in or group refresh (`None`: no such
/// user), to judge their standing now when they are not the one asking.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn person_with_groups(
    db: &Db,
    user_id: i64,
) -> Result<Option<(Person, Vec<String>)>, ServerError> {
    let Some(person) = person(db, user_id).await? else {
        return Ok(None);
    };
    let groups: String = query_result(with_pool!(db, pool => {
        sqlx::query_scalar("SELECT groups_json FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(pool)
            .await
    }))?;
    // Written by Hangar only, from a Vec<String>; unreadable means none.
    Ok(Some((
        person,
        serde_json::from_str(&groups).unwrap_or_default(),
    )))
}

/// Who stands behind `addresses`: every user who signed in with one of them verified.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn directory(db: &Db, addresses: &BTreeSet<String>) -> Result<Directory, ServerError> {
    let addresses: Vec<&String> = addresses.iter().collect();
    let mut found = Vec::new();
    for chunk in addresses.chunks(EMAILS_PER_LOOKUP) {
        // One bound parameter per address: they come from commits, so never into the text.
        let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT e.email, u.id, u.display_name FROM user_emails e JOIN users u ON u.id = e.user_id \
             WHERE e.email IN ({})",
            placeholders.join(", ")
        );
        let rows: Vec<(String, i64, String)> = query_result(with_pool!(db, pool => {
            let mut query = sqlx::query_as(&sql);
            for address in chunk {
                query = query.bind(address.as_str());
            }
            query.fetch_all(pool).await
        }))?;
        found.extend(
            rows.into_iter()
                .map(|(email, user_id, name)| (email, Owner { user_id, name })),
        );
    }
    Ok(Directory::new(found))
}

/// The names of users, for people the rules refer to by id (a token's creator).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn owner(db: &Db, user_id: i64) -> Result<Option<Owner>, ServerError> {
    query_result(with_pool!(db, pool => {
        let name: Option<String> = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
        Ok(name.map(|name| Owner { user_id, name }))
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
            .bind(TOKEN_ISSUER)
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
            .bind(TOKEN_ISSUER)
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
            .bind(TOKEN_ISSUER)
            .bind(who)
            .bind(id)
            .fetch_all(pool)
            .await?;
        rows.iter().map(KnownUserRow::known_user).collect()
    }))
}
