//! Users Hangar has seen: one row per (issuer, subject), updated at every sign-in.

use sqlx::Row;

use crate::db::Db;
use crate::deploy::policy::Person;
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
pub async fn record_sign_in(
    db: &Db,
    sign_in: SignIn<'_>,
) -> Result<(i64, Option<String>), sqlx::Error> {
    let groups = serde_json::to_string(sign_in.groups).unwrap_or_else(|_| "[]".into());
    with_pool!(db, pool => {
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
    })
}

/// The person the deploy rules see: the user's name and the e-mail the identity provider
/// verified at their last sign-in (none if it did not).
pub async fn person(db: &Db, user_id: i64) -> Result<Option<Person>, sqlx::Error> {
    with_pool!(db, pool => {
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
    })
}

pub async fn set_last_team(db: &Db, user_id: i64, team: &str) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE users SET last_team = $1 WHERE id = $2")
            .bind(team)
            .bind(user_id)
            .execute(pool)
            .await
            .map(|_| ())
    })
}

pub async fn update_groups(db: &Db, user_id: i64, groups: &[String]) -> Result<(), sqlx::Error> {
    let groups = serde_json::to_string(groups).unwrap_or_else(|_| "[]".into());
    with_pool!(db, pool => {
        sqlx::query("UPDATE users SET groups_json = $1 WHERE id = $2")
            .bind(groups)
            .bind(user_id)
            .execute(pool)
            .await
            .map(|_| ())
    })
}
