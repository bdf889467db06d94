//! Sign-ins in progress, kept by the browser that started them rather than in a session row.
//!
//! `/auth/login` used to store the sign-in's state, nonce and PKCE verifier in the
//! server-side session, so every anonymous hit wrote a row. They now travel in one cookie,
//! encrypted and authenticated with AES-256-GCM (the `cookie` crate's private jar; the
//! cookie's name is bound in as associated data), `HttpOnly`, `SameSite=Lax` (the provider's
//! redirect back is a top-level cross-site GET, which Lax sends), and gone after
//! [`PENDING_LOGIN_TTL_MS`]. The key is random, made once and kept in the database
//! (`server_keys`, migration 0021), so every replica reads the cookies any replica wrote.
//!
//! Why it is as safe as the row was: the browser cannot read or forge the values (they are
//! encrypted and authenticated under a key it never sees); the state still binds the
//! callback to the browser that started the sign-in (login CSRF); the nonce still binds the
//! ID token to it; the verifier still binds the code to it (PKCE). What the server no longer
//! does is forget a used state itself: the callback drops it from the cookie, and a replayed
//! old cookie gets nowhere because the provider redeems each authorization code once and the
//! cookie expires after ten minutes. See docs/deploying.md ("Sign-in").

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, CookieJar, Key, SameSite};
use rand::RngCore;
use sqlx::Row;

use super::oidc::PendingLogin;
use super::session::constant_time_eq;
use crate::db::{Db, query_result};
use crate::error::ServerError;
use crate::with_pool;

/// Sign-ins started in other tabs of the same browser that may still complete.
pub const MAX_PENDING_LOGINS: usize = 5;
/// A sign-in that has not come back from the provider by then is void.
pub const PENDING_LOGIN_TTL_MS: i64 = 10 * 60 * 1000;
/// Browsers keep cookies up to 4096 bytes; older sign-ins give way before that.
const MAX_COOKIE_VALUE: usize = 3000;

const KEY_NAME: &str = "sign_in_cookie";

/// The cookie key, made at the first start and shared by every replica through the database.
pub async fn load_key(db: &Db, now_ms: i64) -> Result<Key, ServerError> {
    let mut fresh = [0u8; 64];
    rand::thread_rng().fill_bytes(&mut fresh);
    let stored: String = query_result(with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO server_keys (name, secret_hex, created_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(KEY_NAME)
        .bind(hex::encode(fresh))
        .bind(now_ms)
        .execute(pool)
        .await?;
        sqlx::query("SELECT secret_hex FROM server_keys WHERE name = $1")
            .bind(KEY_NAME)
            .fetch_one(pool)
            .await?
            .try_get("secret_hex")
    }))?;
    let bytes = hex::decode(stored)
        .ok()
        .filter(|b| b.len() >= 64)
        .ok_or_else(|| {
            ServerError::Unexpected("server_keys holds a malformed sign-in key".into())
        })?;
    Ok(Key::from(&bytes))
}

/// Reads and writes the sign-in cookie.
#[derive(Clone)]
pub struct PendingCookie {
    key: Key,
    secure: bool,
}

impl PendingCookie {
    pub fn new(key: Key, secure: bool) -> Self {
        Self { key, secure }
    }

    fn name(&self) -> &'static str {
        // `__Host-`: only over https, only for this host, path `/`.
        if self.secure {
            "__Host-hangar-sign-in"
        } else {
            "hangar-sign-in"
        }
    }

    /// The unexpired sign-ins the request's cookie holds (none if it does not decrypt).
    pub fn read(&self, headers: &HeaderMap, now_ms: i64) -> Vec<PendingLogin> {
        let mut jar = CookieJar::new();
        for value in headers.get_all(header::COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            for cookie in Cookie::split_parse(value.to_string()).flatten() {
                if cookie.name() == self.name() {
                    jar.add_original(cookie.into_owned());
                }
            }
        }
        let Some(cookie) = jar.private(&self.key).get(self.name()) else {
            return Vec::new();
        };
        let mut all: Vec<PendingLogin> = serde_json::from_str(cookie.value()).unwrap_or_default();
        all.retain(|p| now_ms - p.started_ms < PENDING_LOGIN_TTL_MS && p.started_ms <= now_ms);
        all
    }

    /// The `Set-Cookie` that adds `pending` to the ones the request already holds.
    pub fn push(&self, headers: &HeaderMap, pending: PendingLogin, now_ms: i64) -> HeaderValue {
        let mut all = self.read(headers, now_ms);
        all.push(pending);
        let excess = all.len().saturating_sub(MAX_PENDING_LOGINS);
        all.drain(..excess);
        self.write(all)
    }

    /// Takes the sign-in with this `state` out of the cookie (each state works once in this
    /// browser); the `Set-Cookie` that keeps the others.
    pub fn take(
        &self,
        headers: &HeaderMap,
        state: &str,
        now_ms: i64,
    ) -> (Option<PendingLogin>, HeaderValue) {
        let mut all = self.read(headers, now_ms);
        let found = all
            .iter()
            .position(|p| constant_time_eq(p.state.as_bytes(), state.as_bytes()))
            .map(|index| all.remove(index));
        (found, self.write(all))
    }

    fn write(&self, mut all: Vec<PendingLogin>) -> HeaderValue {
        let mut json = serde_json::to_string(&all).expect("sign-ins serialise");
        while json.len() > MAX_COOKIE_VALUE && !all.is_empty() {
            all.remove(0);
            json = serde_json::to_string(&all).expect("sign-ins serialise");
        }
        let mut cookie = Cookie::build((self.name(), json))
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(time::Duration::milliseconds(PENDING_LOGIN_TTL_MS))
            .build();
        if all.is_empty() {
            cookie.make_removal();
        }
        let mut jar = CookieJar::new();
        if all.is_empty() {
            jar.add(cookie);
        } else {
            jar.private_mut(&self.key).add(cookie);
        }
        // Private values are base64 and the name is fixed: nothing needs percent-encoding.
        let written = jar
            .delta()
            .next()
            .expect("one cookie was added")
            .to_string();
        HeaderValue::from_str(&written).expect("an encoded cookie is a header value")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(state: &str, started_ms: i64) -> PendingLogin {
        PendingLogin {
            state: state.into(),
            nonce: format!("nonce-{state}"),
            pkce_verifier: format!("verifier-{state}"),
            return_to: "/t/team_a".into(),
            started_ms,
            reauth: false,
        }
    }

    /// The request a browser sends back after `set_cookie`.
    fn sent(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&pair).unwrap());
        headers
    }

    #[test]
    fn sign_ins_round_trip_encrypted_and_each_state_works_once() {
        let jar = PendingCookie::new(Key::generate(), true);
        let first = jar.push(&HeaderMap::new(), pending("s1", 1_000), 1_000);
        let text = first.to_str().unwrap();
        assert!(text.starts_with("__Host-hangar-sign-in="), "{text}");
        assert!(
            text.contains("HttpOnly") && text.contains("Secure") && text.contains("SameSite=Lax")
        );
        assert!(
            !text.contains("verifier") && !text.contains("nonce"),
            "encrypted: {text}"
        );
        let both = jar.push(&sent(&first), pending("s2", 2_000), 2_000);
        assert_eq!(jar.read(&sent(&both), 3_000).len(), 2);
        let (found, rest) = jar.take(&sent(&both), "s1", 3_000);
        assert_eq!(found.unwrap().pkce_verifier, "verifier-s1");
        let (again, _) = jar.take(&sent(&rest), "s1", 3_000);
        assert!(again.is_none(), "a state is taken once");
        // Expired sign-ins are void.
        assert!(jar.read(&sent(&both), 2_000 + PENDING_LOGIN_TTL_MS).len() < 2);
    }

    #[test]
    fn a_cookie_under_another_key_or_tampered_is_nothing() {
        let jar = PendingCookie::new(Key::generate(), false);
        let other = PendingCookie::new(Key::generate(), false);
        let set = jar.push(&HeaderMap::new(), pending("s1", 1_000), 1_000);
        assert!(other.read(&sent(&set), 1_000).is_empty());
        let mut tampered = set.to_str().unwrap().split(';').next().unwrap().to_string();
        tampered.insert(tampered.len() - 3, 'A');
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&tampered).unwrap());
        assert!(jar.read(&headers, 1_000).is_empty());
    }

    #[test]
    fn the_newest_few_are_kept() {
        let jar = PendingCookie::new(Key::generate(), false);
        let mut headers = HeaderMap::new();
        for i in 0..8 {
            let set = jar.push(&headers, pending(&format!("s{i}"), 1_000 + i), 1_000 + i);
            headers = sent(&set);
        }
        let kept = jar.read(&headers, 2_000);
        assert_eq!(kept.len(), MAX_PENDING_LOGINS);
        assert_eq!(kept.last().unwrap().state, "s7");
    }
}
