//! Deploy webhooks (`[[deploy.notify]]`): reviewers hear about requests.
//!
//! An event is written to an outbox in the database when it happens ([`DeployEngine::notify`]),
//! one row per hook, with its body fixed then. Every replica's worker delivers what is due
//! ([`DeployEngine::deliver_due`]): one conditional statement claims a row for a while, so a
//! delivery is attempted by one replica at a time; each attempt is bounded by a timeout and
//! never follows redirects; a failure is retried with back-off (30 s, doubling to an hour, ten
//! attempts in all) and shown on the team's deploys page until it is delivered.
//!
//! Every delivery carries `X-Hangar-Event`, `X-Hangar-Delivery` and, when the hook has a
//! secret, `X-Hangar-Timestamp` and `X-Hangar-Signature: sha256=<hex>`: the HMAC-SHA256 of
//! `"{timestamp}.{body}"` under the secret, so a receiver can check where a delivery comes
//! from and refuse an old one replayed.

use std::time::Duration;

use hangar_app::models::deploys::NotificationProblem;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::engine::DeployEngine;
use crate::config::NotifyConfig;
use crate::db::{Db, query_result};
use crate::error::ServerError;
use crate::with_pool;

pub use crate::config::{NotifyEvent as Event, NotifyFormat as Format};

impl Event {
    /// "opened", "was approved", … after "deploy #12 of team_a".
    fn verb(self) -> &'static str {
        match self {
            Self::Opened => "was requested",
            Self::Approved => "was approved",
            Self::Rejected => "was rejected",
            Self::Deployed => "is deployed",
            Self::Failed => "failed",
            Self::BreakGlass => "was deployed without review (break glass)",
        }
    }
}

/// The first retry waits this long; each next one twice as long, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(60 * 60);
/// After this many failed attempts the delivery is given up (and stays on the deploys page).
pub const MAX_ATTEMPTS: i64 = 10;
/// Every attempt ends within this (connection included).
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// A claimed row is someone else's for this long: longer than an attempt can take.
const CLAIM: Duration = Duration::from_secs(60);
/// At most this many deliveries per pass of the worker.
const PER_PASS: usize = 50;
/// Delivered rows are kept this long, then removed.
const KEEP_DELIVERED: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// Problems shown on a deploys page: the newest this many.
const PROBLEMS_SHOWN: i64 = 10;

/// What a notification tells about a request, fixed when the event happens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    pub team: String,
    pub id: i64,
    /// The approval screen.
    pub url: String,
    pub status: String,
    pub requested_by: String,
    pub deployed: Option<String>,
    pub candidate: String,
    pub commits: usize,
    pub break_glass_reason: Option<String>,
    /// A failure's cause, a rejection's comment, who approved.
    pub detail: Option<String>,
}

/// The body a hook of `format` receives.
pub fn body(format: Format, event: Event, subject: &Subject, at_ms: i64) -> String {
    match format {
        Format::Slack => {
            let mut text = format!(
                "{}: deploy #{} {} — {} → {} ({} commit{}), requested by {}.",
                subject.team,
                subject.id,
                event.verb(),
                subject
                    .deployed
                    .as_deref()
                    .map_or("nothing", |sha| &sha[..sha.len().min(10)]),
                &subject.candidate[..subject.candidate.len().min(10)],
                subject.commits,
                if subject.commits == 1 { "" } else { "s" },
                subject.requested_by,
            );
            if let Some(reason) = &subject.break_glass_reason {
                text.push_str(&format!(" Reason: {reason}."));
            }
            if let Some(detail) = &subject.detail {
                text.push_str(&format!(" {detail}"));
            }
            // Slack's mark-up: only these three are special; the link is ours.
            let text = text
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            serde_json::json!({ "text": format!("{text} <{}|Open it in Hangar>", subject.url) })
                .to_string()
        }
        Format::Json => serde_json::json!({
            "event": event.as_str(),
            "team": subject.team,
            "at": crate::clock::rfc3339(at_ms),
            "deploy": {
                "id": subject.id,
                "url": subject.url,
                "status": subject.status,
                "requested_by": subject.requested_by,
                "deployed": subject.deployed,
                "candidate": subject.candidate,
                "commits": subject.commits,
                "break_glass_reason": subject.break_glass_reason,
                "detail": subject.detail,
            },
        })
        .to_string(),
    }
}

/// `sha256=<hex>`: the HMAC-SHA256 of `"{timestamp}.{body}"` under `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// How a hook is recorded in the outbox: a hash of its URL (which may be a secret itself).
fn hook_key(hook: &NotifyConfig) -> String {
    hex::encode(Sha256::digest(hook.url.as_str().as_bytes()))
}

/// The wait before attempt `attempts + 1`, after `attempts` failures.
pub fn backoff(attempts: i64) -> Duration {
    let doublings = attempts.clamp(1, 16) as u32 - 1;
    FIRST_BACKOFF
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_BACKOFF)
}

/// A delivery this replica claimed.
struct Due {
    id: i64,
    team: String,
    event: String,
    hook: String,
    payload: String,
    attempts: i64,
}

impl DeployEngine {
    /// Writes `event` of request `id` to the outbox for each of the team's hooks that wants
    /// it. Never fails the caller: the change it reports has happened (a failure is logged).
    pub async fn notify(&self, team: &str, id: i64, event: Event) {
        if let Err(error) = self.enqueue(team, id, event).await {
            tracing::error!(team, id, event = event.as_str(), %error, "cannot queue a deploy notification");
        }
    }

    async fn enqueue(&self, team: &str, id: i64, event: Event) -> Result<(), ServerError> {
        let Ok(setup) = self.team(team) else {
            return Ok(());
        };
        let hooks: Vec<&NotifyConfig> = setup
            .config
            .notify
            .iter()
            .filter(|hook| hook.events.contains(&event))
            .collect();
        if hooks.is_empty() {
            return Ok(());
        }
        let Some(subject) = self.subject(team, id, event).await? else {
            return Ok(());
        };
        let now = self.now_ms();
        for hook in hooks {
            let payload = body(hook.format, event, &subject, now);
            query_result(with_pool!(&self.db, pool => {
                sqlx::query(
                    "INSERT INTO deploy_notifications (team, request_id, event, hook, destination, \
                     payload, state, attempts, next_attempt_ms, created_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)",
                )
                .bind(team)
                .bind(id)
                .bind(event.as_str())
                .bind(hook_key(hook))
                .bind(hook.url.host_str().unwrap_or_default())
                .bind(&payload)
                .bind(now)
                .execute(pool)
                .await
                .map(|_| ())
            }))?;
        }
        Ok(())
    }

    /// The request as a notification tells it.
    async fn subject(
        &self,
        team: &str,
        id: i64,
        event: Event,
    ) -> Result<Option<Subject>, ServerError> {
        let Some(request) = super::store::find(&self.db, team, id).await? else {
            return Ok(None);
        };
        let requester = crate::users::person(&self.db, request.requester_id)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
        let token = match request.token_id {
            Some(token) => crate::tokens::name(&self.db, token).await?,
            None => None,
        };
        let reviews = super::store::reviews(&self.db, id).await?;
        let detail = match event {
            Event::Failed => request.failure.clone(),
            Event::Rejected => reviews
                .iter()
                .rev()
                .find(|r| !r.approve)
                .map(|r| format!("{} rejected it: {}", r.name, r.comment)),
            Event::Approved => Some(format!(
                "Approved by {}.",
                super::store::approvals(&reviews)
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => None,
        };
        Ok(Some(Subject {
            team: team.to_string(),
            id,
            url: format!(
                "{}{}",
                self.public_origin,
                hangar_app::paths::deploy(team, id)
            ),
            status: request.status.as_str().to_string(),
            requested_by: hangar_app::models::deploys::requested_by(&requester, token.as_deref()),
            deployed: request.deployed.as_ref().map(|c| c.to_string()),
            candidate: request.candidate.to_string(),
            commits: super::store::commits(&self.db, id).await?.len(),
            break_glass_reason: request.break_glass_reason.clone(),
            detail,
        }))
    }

    /// Delivers what is due (at most a pass's worth); returns how many attempts were made.
    pub async fn deliver_due(&self) -> usize {
        let mut attempts = 0;
        while attempts < PER_PASS {
            let due = match claim(&self.db, &self.runner, self.now_ms()).await {
                Ok(Some(due)) => due,
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(%error, "cannot read the deploy notification outbox");
                    break;
                }
            };
            attempts += 1;
            let outcome = self.send(&due).await;
            let now = self.now_ms();
            let recorded = match outcome {
                Ok(()) => delivered(&self.db, due.id, &self.runner, now).await,
                Err(error) => {
                    tracing::info!(team = %due.team, id = due.id, %error, "deploy notification not delivered");
                    let tries = due.attempts + 1;
                    let next =
                        (tries < MAX_ATTEMPTS).then(|| now + backoff(tries).as_millis() as i64);
                    failed_attempt(&self.db, due.id, &self.runner, &error, next).await
                }
            };
            if let Err(error) = recorded {
                tracing::warn!(id = due.id, %error, "cannot record a deploy notification attempt");
            }
        }
        if let Err(error) = forget_delivered(&self.db, self.now_ms()).await {
            tracing::warn!(%error, "cannot remove old deploy notifications");
        }
        attempts
    }

    /// One attempt; the error is a sentence for the deploys page.
    async fn send(&self, due: &Due) -> Result<(), String> {
        let hook = self
            .team(&due.team)
            .ok()
            .and_then(|setup| {
                setup
                    .config
                    .notify
                    .iter()
                    .find(|hook| hook_key(hook) == due.hook)
            })
            .ok_or_else(|| "the hook is no longer configured".to_string())?;
        let timestamp = self.now_ms() / 1000;
        let mut request = self
            .http
            .post(hook.url.clone())
            .header("content-type", "application/json")
            .header("x-hangar-event", &due.event)
            .header("x-hangar-delivery", due.id.to_string())
            .body(due.payload.clone());
        if let Some(secret) = &hook.secret {
            request = request
                .header("x-hangar-timestamp", timestamp.to_string())
                .header(
                    "x-hangar-signature",
                    signature(secret.expose(), timestamp, &due.payload),
                );
        }
        match request.send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => Err(format!(
                "the receiver answered HTTP {}",
                response.status().as_u16()
            )),
            Err(error) if error.is_timeout() => {
                Err(format!("no answer within {} s", DELIVERY_TIMEOUT.as_secs()))
            }
            Err(error) if error.is_connect() => Err("cannot connect to the receiver".into()),
            Err(_) => Err("the delivery failed".into()),
        }
    }

    /// Deliveries of `team` that failed and are not delivered since, newest first.
    pub async fn notification_problems(
        &self,
        team: &str,
    ) -> Result<Vec<NotificationProblem>, ServerError> {
        query_result(with_pool!(&self.db, pool => {
            let rows = sqlx::query(
                "SELECT request_id, event, destination, state, attempts, next_attempt_ms, last_error \
                 FROM deploy_notifications WHERE team = $1 AND state <> 'delivered' AND attempts > 0 \
                 ORDER BY id DESC LIMIT $2",
            )
            .bind(team)
            .bind(PROBLEMS_SHOWN)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let state: String = row.try_get("state")?;
                    Ok(NotificationProblem {
                        request_id: row.try_get("request_id")?,
                        event: row.try_get("event")?,
                        destination: row.try_get("destination")?,
                        attempts: row.try_get("attempts")?,
                        gave_up: state == "failed",
                        next_attempt_ms: (state == "pending")
                            .then(|| row.try_get("next_attempt_ms"))
                            .transpose()?,
                        error: row.try_get::<Option<String>, _>("last_error")?.unwrap_or_default(),
                    })
                })
                .collect()
        }))
    }
}

/// Claims the oldest due delivery for a while.
async fn claim(db: &Db, runner: &str, now_ms: i64) -> Result<Option<Due>, ServerError> {
    query_result(with_pool!(db, pool => {
        let row = sqlx::query(
            "UPDATE deploy_notifications SET claimed_by = $1, claimed_until_ms = $3 \
             WHERE id = (SELECT id FROM deploy_notifications WHERE state = 'pending' \
               AND next_attempt_ms <= $2 AND (claimed_until_ms IS NULL OR claimed_until_ms < $2) \
               ORDER BY next_attempt_ms, id LIMIT 1) \
             AND state = 'pending' AND (claimed_until_ms IS NULL OR claimed_until_ms < $2) \
             RETURNING id, team, event, hook, payload, attempts",
        )
        .bind(runner)
        .bind(now_ms)
        .bind(now_ms + CLAIM.as_millis() as i64)
        .fetch_optional(pool)
        .await?;
        row.map(|row| -> Result<Due, sqlx::Error> {
            Ok(Due {
                id: row.try_get("id")?,
                team: row.try_get("team")?,
                event: row.try_get("event")?,
                hook: row.try_get("hook")?,
                payload: row.try_get("payload")?,
                attempts: row.try_get("attempts")?,
            })
        })
        .transpose()
    }))
}

async fn delivered(db: &Db, id: i64, runner: &str, now_ms: i64) -> Result<(), ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query(
            "UPDATE deploy_notifications SET state = 'delivered', delivered_ms = $3, \
             attempts = attempts + 1, last_error = NULL, claimed_by = NULL, claimed_until_ms = NULL \
             WHERE id = $1 AND claimed_by = $2",
        )
        .bind(id)
        .bind(runner)
        .bind(now_ms)
        .execute(pool)
        .await
        .map(|_| ())
    }))
}

/// Records a failed attempt: retried at `next_ms`, or given up (`None`).
async fn failed_attempt(
    db: &Db,
    id: i64,
    runner: &str,
    error: &str,
    next_ms: Option<i64>,
) -> Result<(), ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query(
            "UPDATE deploy_notifications SET attempts = attempts + 1, last_error = $3, \
             state = CASE WHEN $4 IS NULL THEN 'failed' ELSE 'pending' END, \
             next_attempt_ms = COALESCE($4, next_attempt_ms), \
             claimed_by = NULL, claimed_until_ms = NULL WHERE id = $1 AND claimed_by = $2",
        )
        .bind(id)
        .bind(runner)
        .bind(error)
        .bind(next_ms)
        .execute(pool)
        .await
        .map(|_| ())
    }))
}

async fn forget_delivered(db: &Db, now_ms: i64) -> Result<(), ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query("DELETE FROM deploy_notifications WHERE state = 'delivered' AND delivered_ms < $1")
            .bind(now_ms - KEEP_DELIVERED.as_millis() as i64)
            .execute(pool)
            .await
            .map(|_| ())
    }))
}

/// The client deliveries go through: bounded, and never redirected (a redirect would carry
/// a signed delivery somewhere the configuration does not name).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(DELIVERY_TIMEOUT)
        .connect_timeout(DELIVERY_TIMEOUT / 2)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Hangar deploy notifications")
        .build()
        .expect("a client with only timeouts and a redirect policy builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject() -> Subject {
        Subject {
            team: "team_a".into(),
            id: 12,
            url: "https://hangar.example.com/t/team_a/deploys/12".into(),
            status: "pending".into(),
            requested_by: "API token “ci”".into(),
            deployed: Some("a".repeat(40)),
            candidate: "b".repeat(40),
            commits: 2,
            break_glass_reason: None,
            detail: Some("<b>&</b>".into()),
        }
    }

    #[test]
    fn the_signature_is_an_hmac_of_the_timestamp_and_the_body() {
        // RFC 4231 test case 2 shape: key "Jefe"; checked against an independent value.
        let signed = signature("Jefe", 0, "what do ya want for nothing?");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"0.what do ya want for nothing?");
        assert_eq!(
            signed,
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        );
        assert_ne!(signature("Jefe", 1, "x"), signature("Jefe", 2, "x"));
        assert_ne!(signature("Jefe", 1, "x"), signature("Jeff", 1, "x"));
    }

    #[test]
    fn slack_bodies_are_text_with_the_markup_escaped() {
        let body: serde_json::Value =
            serde_json::from_str(&body(Format::Slack, Event::Opened, &subject(), 0)).unwrap();
        let text = body["text"].as_str().unwrap();
        assert!(text.starts_with("team_a: deploy #12 was requested — aaaaaaaaaa → bbbbbbbbbb (2 commits), requested by API token “ci”."), "{text}");
        assert!(text.contains("&lt;b&gt;&amp;&lt;/b&gt;"), "{text}");
        assert!(
            text.ends_with("<https://hangar.example.com/t/team_a/deploys/12|Open it in Hangar>")
        );
    }

    #[test]
    fn json_bodies_carry_the_event_and_the_request() {
        let body: serde_json::Value =
            serde_json::from_str(&body(Format::Json, Event::BreakGlass, &subject(), 0)).unwrap();
        assert_eq!(body["event"], "break_glass");
        assert_eq!(body["team"], "team_a");
        assert_eq!(body["deploy"]["id"], 12);
        assert_eq!(body["deploy"]["candidate"], "b".repeat(40));
        assert_eq!(body["at"], "1970-01-01T00:00:00Z");
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(4), Duration::from_secs(240));
        assert_eq!(backoff(9), Duration::from_secs(3600));
        assert_eq!(backoff(1000), Duration::from_secs(3600));
    }

    #[test]
    fn events_round_trip_through_their_names() {
        for event in Event::ALL {
            assert_eq!(Event::parse(event.as_str()), Some(event));
        }
        assert_eq!(Event::parse("everything"), None);
    }
}
