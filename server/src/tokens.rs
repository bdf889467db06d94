//! Team API tokens: what CI requests deploys with (`POST /api/v1/teams/{team}/deploys`).
//!
//! A token is `hgr_` and 32 random bytes (base64url). Only its SHA-256 is stored — a slow
//! hash buys nothing against 256 bits of entropy — and it is shown once, at creation. Each
//! token belongs to one team, carries scopes, expires, can be revoked or rotated (a new
//! secret for the same token), records its last use, and acts as a user of its own.
//!
//! A token is only as trustworthy as the people who held its secret: a request it opens is
//! also its creator's and its last rotator's, so neither may approve it (`review/policy.rs`),
//! and it stops working as soon as either no longer holds a role in the team that may create
//! tokens — judged from the groups stored at their last sign-in and the current `[[access]]`
//! rules ([`lapsed`]).

use base64::Engine;
use hangar_app::models::deploys::{TOKEN_MAX_DAYS, TOKEN_SCOPES, TokenRow};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::access::StoredGrants;
use crate::db::Db;
use crate::db::query_result;
use crate::error::ServerError;
use crate::with_pool;

const PREFIX: &str = "hgr_";
pub use crate::users::TOKEN_ISSUER;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Server(#[from] ServerError),
}

impl From<sqlx::Error> for TokenError {
    fn from(error: sqlx::Error) -> Self {
        Self::Server(error.into())
    }
}

/// A token that authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenIdentity {
    pub id: i64,
    pub team: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// The token's own user (requester of what it opens).
    pub user_id: i64,
    /// The person who created it.
    pub created_by: i64,
    /// The person who last gave it a new secret.
    pub rotated_by: Option<i64>,
}

impl TokenIdentity {
    pub fn allows(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Checks a new token's name, scopes and lifetime.
pub fn validate(name: &str, scopes: &[String], days: u32) -> Result<(), TokenError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(TokenError::Invalid(
            "give the token a name of 1 to 80 characters, such as \"ci\"".into(),
        ));
    }
    if scopes.is_empty() {
        return Err(TokenError::Invalid("choose at least one scope".into()));
    }
    if let Some(unknown) = scopes
        .iter()
        .find(|s| !TOKEN_SCOPES.iter().any(|(known, _)| known == s))
    {
        return Err(TokenError::Invalid(format!("{unknown:?} is not a scope")));
    }
    if days == 0 || days > TOKEN_MAX_DAYS {
        return Err(TokenError::Invalid(format!(
            "a token lives 1 to {TOKEN_MAX_DAYS} days"
        )));
    }
    Ok(())
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new secret: `hgr_` and 32 random bytes.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

pub struct NewToken<'a> {
    pub team: &'a str,
    pub name: &'a str,
    pub scopes: &'a [String],
    pub created_by: i64,
    pub now_ms: i64,
    pub expires_ms: i64,
}

/// Creates a token and its user; returns its id and the secret (never stored).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &Db, new: NewToken<'_>) -> Result<(i64, String), TokenError> {
    let secret = new_secret();
    let subject = uuid::Uuid::new_v4().simple().to_string();
    let display = format!("API token \"{}\"", new.name.trim());
    let id = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let user_id: i64 = sqlx::query_scalar(
            "INSERT INTO users (issuer, subject, display_name, email, first_login_ms, last_login_ms) \
             VALUES ($1, $2, $3, NULL, $4, $4) RETURNING id",
        )
        .bind(TOKEN_ISSUER)
        .bind(&subject)
        .bind(&display)
        .bind(new.now_ms)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (team, name, scopes, secret_hash, user_id, created_by, \
             created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(new.team)
        .bind(new.name.trim())
        .bind(new.scopes.join(" "))
        .bind(hash(&secret))
        .bind(user_id)
        .bind(new.created_by)
        .bind(new.now_ms)
        .bind(new.expires_ms)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    })?;
    Ok((id, secret))
}

/// The token `secret` names, if it is live (not expired, not revoked); records its use.
/// Any failure is `None`: a caller learns nothing about which part was wrong.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn authenticate(
    db: &Db,
    secret: &str,
    now_ms: i64,
) -> Result<Option<TokenIdentity>, ServerError> {
    if !secret.starts_with(PREFIX) || secret.len() > 100 {
        return Ok(None);
    }
    query_result(with_pool!(db, pool => {
        let row = sqlx::query(
            "UPDATE api_tokens SET last_used_ms = $2 WHERE secret_hash = $1 \
             AND revoked_ms IS NULL AND expires_ms > $2 \
             RETURNING id, team, name, scopes, user_id, created_by, rotated_by",
        )
        .bind(hash(secret))
        .bind(now_ms)
        .fetch_optional(pool)
        .await?;
        row.map(|row| -> Result<TokenIdentity, sqlx::Error> {
            let scopes: String = row.try_get("scopes")?;
            Ok(TokenIdentity {
                id: row.try_get("id")?,
                team: row.try_get("team")?,
                name: row.try_get("name")?,
                scopes: scopes.split_whitespace().map(str::to_string).collect(),
                user_id: row.try_get("user_id")?,
                created_by: row.try_get("created_by")?,
                rotated_by: row.try_get("rotated_by")?,
            })
        })
        .transpose()
    }))
}

/// Why a token no longer works although it is live: someone who held its secret (its
/// creator, its last rotator) no longer holds a role in `team` that may create tokens.
/// `None`: it works.
#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn lapsed(
    db: &Db,
    grants: &StoredGrants,
    team: &str,
    created_by: i64,
    rotated_by: Option<i64>,
) -> Result<Option<String>, ServerError> {
    for (user, who) in [
        (Some(created_by), "its creator"),
        (rotated_by, "whoever last rotated it"),
    ] {
        let Some(user) = user else { continue };
        let standing = crate::users::person_with_groups(db, user).await?;
        let holds = standing.as_ref().is_some_and(|(_, groups)| {
            grants
                .in_team(team, groups)
                .allows(hangar_app::models::TeamAction::ManageTokens)
        });
        if !holds {
            let name = standing.map(|(person, _)| person.name).unwrap_or_default();
            return Ok(Some(format!(
                "stopped working: {who}, {name}, no longer holds a role in this team that may \
                 create tokens"
            )));
        }
    }
    Ok(None)
}

/// The team's tokens, newest first, each saying whether it still works.
#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn list(
    db: &Db,
    grants: &StoredGrants,
    team: &str,
) -> Result<Vec<TokenRow>, ServerError> {
    let rows: Vec<(TokenRow, i64, Option<i64>)> = query_result(with_pool!(db, pool => {
        let rows = sqlx::query(
            "SELECT t.id, t.name, t.scopes, u.display_name AS creator, t.created_by, t.created_ms, \
             t.expires_ms, t.revoked_ms, t.last_used_ms, t.rotated_by, t.rotated_ms, \
             r.display_name AS rotator FROM api_tokens t \
             JOIN users u ON u.id = t.created_by LEFT JOIN users r ON r.id = t.rotated_by \
             WHERE t.team = $1 ORDER BY t.id DESC",
        )
        .bind(team)
        .fetch_all(pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let scopes: String = row.try_get("scopes")?;
                Ok((
                    TokenRow {
                        id: row.try_get("id")?,
                        name: row.try_get("name")?,
                        scopes: scopes.split_whitespace().map(str::to_string).collect(),
                        created_by: row.try_get("creator")?,
                        created_ms: row.try_get("created_ms")?,
                        expires_ms: row.try_get("expires_ms")?,
                        revoked_ms: row.try_get("revoked_ms")?,
                        last_used_ms: row.try_get("last_used_ms")?,
                        rotated_by: row.try_get("rotator")?,
                        rotated_ms: row.try_get("rotated_ms")?,
                        lapsed: None,
                    },
                    row.try_get("created_by")?,
                    row.try_get("rotated_by")?,
                ))
            })
            .collect()
    }))?;
    let mut tokens = Vec::with_capacity(rows.len());
    for (mut row, created_by, rotated_by) in rows {
        if row.revoked_ms.is_none() {
            row.lapsed = lapsed(db, grants, team, created_by, rotated_by).await?;
        }
        tokens.push(row);
    }
    Ok(tokens)
}

/// Gives live token `id` of `team` a new secret (the old one stops working at once) and
/// records who did it; returns its name and the new secret, or `None` if the team has no
/// such live token.
#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn rotate(
    db: &Db,
    team: &str,
    id: i64,
    by: i64,
    now_ms: i64,
) -> Result<Option<(String, String)>, ServerError> {
    let secret = new_secret();
    let name: Option<String> = query_result(with_pool!(db, pool => {
        sqlx::query_scalar(
            "UPDATE api_tokens SET secret_hash = $3, rotated_by = $4, rotated_ms = $5 \
             WHERE id = $1 AND team = $2 AND revoked_ms IS NULL AND expires_ms > $5 \
             RETURNING name",
        )
        .bind(id)
        .bind(team)
        .bind(hash(&secret))
        .bind(by)
        .bind(now_ms)
        .fetch_optional(pool)
        .await
    }))?;
    Ok(name.map(|name| (name, secret)))
}

/// Revokes token `id` of `team` (a token already revoked stays as it was); returns its name,
/// or `None` if the team has no such token.
#[tracing::instrument(level = "debug", skip_all, fields(team))]
pub async fn revoke(
    db: &Db,
    team: &str,
    id: i64,
    by: i64,
    now_ms: i64,
) -> Result<Option<String>, ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query(
            "UPDATE api_tokens SET revoked_ms = $3, revoked_by = $4 \
             WHERE id = $1 AND team = $2 AND revoked_ms IS NULL",
        )
        .bind(id)
        .bind(team)
        .bind(now_ms)
        .bind(by)
        .execute(pool)
        .await?;
        sqlx::query_scalar("SELECT name FROM api_tokens WHERE id = $1 AND team = $2")
            .bind(id)
            .bind(team)
            .fetch_optional(pool)
            .await
    }))
}

/// The name of token `id`, for showing who requested a deploy.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn name(db: &Db, id: i64) -> Result<Option<String>, ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query_scalar("SELECT name FROM api_tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_scopes_names_and_lifetimes_pass() {
        let scopes = vec!["deploys:request".to_string()];
        assert!(validate("ci", &scopes, 30).is_ok());
        assert!(validate(" ", &scopes, 30).is_err());
        assert!(validate("ci", &[], 30).is_err());
        assert!(validate("ci", &["deploys:approve".to_string()], 30).is_err());
        assert!(validate("ci", &scopes, 0).is_err());
        assert!(validate("ci", &scopes, TOKEN_MAX_DAYS + 1).is_err());
    }

    #[test]
    fn the_stored_hash_is_not_the_secret() {
        let secret = "hgr_abc";
        assert_ne!(hash(secret), secret);
        assert_eq!(hash(secret).len(), 64);
    }
}
