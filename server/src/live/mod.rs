//! Live updates: the read model changed, so open pages should reload their data.
//!
//! The sync and the actions announce which DAGs' runs or task instances changed; each
//! announcement carries only the teams those DAGs belong to (`None`: a shared bundle), and a
//! page's stream passes on just the ones its team may see — never a name or a count.
//! On PostgreSQL, announcements travel through `NOTIFY`, so a page open on one replica hears
//! of a sync that ran on another; on SQLite there is one replica and they stay in-process.
//!
//! The same road carries a second kind of announcement: sessions that ended (sign-out,
//! expiry, a platform admin ending someone's sessions), so every replica forgets at once that
//! it saw them live (`identity::session_index::LiveSessions`); and a third: session records
//! a replica wrote, so the others stop serving the copy they keep (`db::session_store`).
//! The streams pages read them from are `http/events.rs`.

pub mod forgetting;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, watch};

use crate::db::Db;
use crate::db::session_store::SessionDigest;
use crate::with_pool;

/// The PostgreSQL channel every replica listens on.
const CHANNEL: &str = "hangar_changes";
/// The PostgreSQL channel for ended sessions (payload: a JSON array of session keys).
const SESSIONS_CHANNEL: &str = "hangar_sessions_ended";
/// The PostgreSQL channel for changed session records (payload: a JSON array of digests).
const SESSIONS_CHANGED_CHANNEL: &str = "hangar_sessions_changed";
/// Session keys per notification: 128 keys of 32 characters stay well under PostgreSQL's
/// 8,000-byte payload limit.
const KEYS_PER_NOTIFICATION: usize = 128;
/// Announcements a slow page may fall behind by before it simply reloads once.
const BACKLOG: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub environment: String,
    /// Owners of the changed DAGs; `None` is a shared bundle, visible to every team. Empty:
    /// the environment itself changed (sync state, Airflow's health), which no team page shows.
    pub teams: BTreeSet<Option<String>>,
}

impl Change {
    pub fn concerns(&self, team: &str) -> bool {
        self.teams
            .iter()
            .any(|owner| owner.as_deref().is_none_or(|owner| owner == team))
    }
}

/// A counter per team that every announced change concerning it moves (`None`: shared, so
/// every team's): what kept pages are checked against (`hangar_app::functions::kept_pages`).
#[derive(Debug, Default)]
pub struct DataVersions {
    /// Moves with every change, environment-only ones included (the platform overview's).
    all: AtomicU64,
    shared: AtomicU64,
    teams: Mutex<HashMap<String, u64>>,
}

impl DataVersions {
    /// The team's version: only ever grows, and grows with every change it may see.
    pub fn of(&self, team: &str) -> u64 {
        let teams = self.teams.lock().unwrap_or_else(|e| e.into_inner());
        self.shared.load(Ordering::Acquire) + teams.get(team).copied().unwrap_or(0)
    }

    /// Grows with every change of any team or environment.
    pub fn all(&self) -> u64 {
        self.all.load(Ordering::Acquire)
    }

    fn moved(&self, change: &Change) {
        self.all.fetch_add(1, Ordering::AcqRel);
        let mut teams = self.teams.lock().unwrap_or_else(|e| e.into_inner());
        for owner in &change.teams {
            match owner {
                Some(team) => *teams.entry(team.clone()).or_default() += 1,
                None => {
                    self.shared.fetch_add(1, Ordering::AcqRel);
                }
            }
        }
    }
}

pub struct LiveUpdates {
    db: Db,
    versions: Arc<DataVersions>,
    sender: broadcast::Sender<Change>,
    sessions_ended: broadcast::Sender<Arc<[String]>>,
    sessions_changed: broadcast::Sender<Arc<[SessionDigest]>>,
    /// Moves whenever this replica's listener may have missed notifications (its connection
    /// was lost, or it just started listening): session memories then forget everything.
    missed: watch::Sender<u64>,
    closing: watch::Sender<bool>,
}

impl LiveUpdates {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            versions: Arc::default(),
            sender: broadcast::channel(BACKLOG).0,
            sessions_ended: broadcast::channel(BACKLOG).0,
            sessions_changed: broadcast::channel(BACKLOG).0,
            missed: watch::channel(0).0,
            closing: watch::channel(false).0,
        }
    }

    pub fn versions(&self) -> Arc<DataVersions> {
        self.versions.clone()
    }

    pub fn subscribe(&self) -> (broadcast::Receiver<Change>, watch::Receiver<bool>) {
        (self.sender.subscribe(), self.closing.subscribe())
    }

    /// The keys of sessions that ended, on any replica (`lagged` means some were missed).
    pub fn subscribe_sessions_ended(&self) -> broadcast::Receiver<Arc<[String]>> {
        self.sessions_ended.subscribe()
    }

    /// The digests of session records another replica (or this one) wrote or deleted, heard
    /// through `NOTIFY` (PostgreSQL only: on SQLite every write is this process's own).
    pub fn subscribe_sessions_changed(&self) -> broadcast::Receiver<Arc<[SessionDigest]>> {
        self.sessions_changed.subscribe()
    }

    /// Moves whenever announcements from other replicas may have been missed.
    pub fn subscribe_missed(&self) -> watch::Receiver<u64> {
        self.missed.subscribe()
    }

    /// Announces that these sessions ended: at once to this replica, and through `NOTIFY` to
    /// the others on PostgreSQL.
    pub async fn sessions_ended(&self, keys: Vec<String>) {
        if keys.is_empty() {
            return;
        }
        let _ = self.sessions_ended.send(keys.clone().into());
        if let Err(error) = notify_sessions_ended(&self.db, &keys).await {
            tracing::warn!(%error, "cannot announce ended sessions to other replicas");
        }
    }

    /// Ends every open stream, so a graceful shutdown does not wait on them forever.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Announces that runs or task instances of these DAGs changed.
    pub async fn dags_changed(&self, environment: &str, dag_ids: &BTreeSet<String>) {
        if dag_ids.is_empty() {
            return;
        }
        let teams = match self.teams_of(environment, dag_ids).await {
            Ok(teams) => teams,
            Err(error) => {
                tracing::warn!(%error, "cannot resolve the teams of changed DAGs");
                return;
            }
        };
        self.teams_changed(environment, teams).await;
    }

    /// Announces that data of these teams (`None`: shared or global) changed.
    pub async fn teams_changed(&self, environment: &str, teams: BTreeSet<Option<String>>) {
        if teams.is_empty() {
            return;
        }
        self.announce(environment, teams).await;
    }

    /// Announces that the environment itself changed (its sync state or Airflow's health):
    /// no team's data, so only the platform overview hears it.
    pub async fn environment_changed(&self, environment: &str) {
        self.announce(environment, BTreeSet::new()).await;
    }

    async fn announce(&self, environment: &str, teams: BTreeSet<Option<String>>) {
        let change = Change {
            environment: environment.to_string(),
            teams,
        };
        tracing::debug!(?change, "announcing a change");
        // At once, before any page of this replica can be served again: the actor's own next
        // page view must not come from before their action. Other replicas move on NOTIFY.
        self.versions.moved(&change);
        match &self.db {
            // Every replica, this one included, hears it through its listener.
            Db::Postgres(pool) => {
                let payload = serde_json::to_string(&change).expect("a change serialises");
                let sent = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(payload)
                    .execute(pool)
                    .await;
                if let Err(error) = sent {
                    tracing::warn!(%error, "cannot announce a change");
                }
            }
            Db::Sqlite(_) => {
                // No receiver (no page open) is not an error.
                let _ = self.sender.send(change);
            }
        }
    }

    async fn teams_of(
        &self,
        environment: &str,
        dag_ids: &BTreeSet<String>,
    ) -> Result<BTreeSet<Option<String>>, sqlx::Error> {
        let mut teams = BTreeSet::new();
        with_pool!(&self.db, pool => {
            for dag_id in dag_ids {
                let row = sqlx::query("SELECT team, shared FROM dags WHERE environment = $1 AND dag_id = $2")
                    .bind(environment)
                    .bind(dag_id)
                    .fetch_optional(pool)
                    .await?;
                // An unmapped bundle's DAG is no team's: its changes concern no team page.
                if let Some(row) = row {
                    let team: Option<String> = row.try_get("team")?;
                    let shared = row.try_get::<i64, _>("shared")? != 0;
                    if team.is_some() || shared {
                        teams.insert(team);
                    }
                }
            }
            Ok::<_, sqlx::Error>(())
        })?;
        Ok(teams)
    }

    /// On PostgreSQL, forwards every replica's announcements to this one's pages, listening
    /// again after a lost connection.
    pub fn spawn_listener(self: &std::sync::Arc<Self>) {
        let Db::Postgres(pool) = &self.db else {
            return;
        };
        let (pool, live) = (pool.clone(), self.clone());
        tokio::spawn(async move {
            loop {
                if let Err(error) = live.listen(&pool).await {
                    tracing::warn!(%error, "live-update listener lost its connection; retrying");
                }
                if *live.closing.borrow() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        });
    }

    async fn listen(&self, pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener
            .listen_all([CHANNEL, SESSIONS_CHANNEL, SESSIONS_CHANGED_CHANNEL])
            .await?;
        // Whatever was announced before this connection listened was not heard.
        self.missed.send_modify(|n| *n += 1);
        let mut closing = self.closing.subscribe();
        loop {
            tokio::select! {
                notification = listener.try_recv() => {
                    let Some(notification) = notification? else {
                        // The connection was lost (the next call reconnects): notifications
                        // sent meanwhile are gone.
                        tracing::warn!("live-update listener lost its connection; reconnecting");
                        self.missed.send_modify(|n| *n += 1);
                        continue;
                    };
                    if notification.channel() == SESSIONS_CHANGED_CHANNEL {
                        match serde_json::from_str::<Vec<String>>(notification.payload()) {
                            Ok(digests) => {
                                let digests: Vec<SessionDigest> =
                                    digests.iter().filter_map(|d| from_hex(d)).collect();
                                let _ = self.sessions_changed.send(digests.into());
                            }
                            Err(error) => tracing::warn!(%error, "unreadable changed sessions"),
                        }
                        continue;
                    }
                    if notification.channel() == SESSIONS_CHANNEL {
                        match serde_json::from_str::<Vec<String>>(notification.payload()) {
                            Ok(keys) => {
                                let _ = self.sessions_ended.send(keys.into());
                            }
                            Err(error) => tracing::warn!(%error, "unreadable ended sessions"),
                        }
                        continue;
                    }
                    match serde_json::from_str::<Change>(notification.payload()) {
                        Ok(change) => {
                            self.versions.moved(&change);
                            let _ = self.sender.send(change);
                        }
                        Err(error) => tracing::warn!(%error, "unreadable change announcement"),
                    }
                }
                _ = closing.wait_for(|closed| *closed) => return Ok(()),
            }
        }
    }
}

/// Hands every announcement to `memory` for as long as both last. When some may have been
/// missed (a lagging receiver, or the listener's connection lost: `missed` moves),
/// `forget_all` runs instead: what a missed announcement would have removed must not be
/// trusted. What the session memories (`LiveSessions`, the session store's kept records)
/// follow announcements with.
pub fn follow<T, M>(
    mut announcements: broadcast::Receiver<T>,
    mut missed: watch::Receiver<u64>,
    memory: &Arc<M>,
    forget: impl Fn(&M, T) + Send + 'static,
    forget_all: impl Fn(&M) + Send + 'static,
) where
    T: Clone + Send + 'static,
    M: Send + Sync + 'static,
{
    use broadcast::error::RecvError;
    let memory = Arc::downgrade(memory);
    tokio::spawn(async move {
        loop {
            let heard = tokio::select! {
                heard = announcements.recv() => heard,
                changed = missed.changed() => match changed {
                    Ok(()) => Err(RecvError::Lagged(0)),
                    Err(_) => Err(RecvError::Closed),
                },
            };
            let Some(memory) = memory.upgrade() else {
                return;
            };
            match heard {
                Ok(announcement) => forget(&memory, announcement),
                Err(RecvError::Lagged(_)) => forget_all(&memory),
                Err(RecvError::Closed) => return,
            }
        }
    });
}

/// Tells every replica's listener that these sessions ended (PostgreSQL; SQLite has one
/// replica). Also what `hangar sessions revoke`, another process, calls.
pub async fn notify_sessions_ended(db: &Db, keys: &[String]) -> Result<(), sqlx::Error> {
    notify_in_chunks(db, SESSIONS_CHANNEL, keys).await
}

/// Tells every replica's listener that these session records changed (PostgreSQL; on
/// SQLite there is one replica, and it changed them itself).
pub async fn notify_sessions_changed(
    db: &Db,
    digests: &[SessionDigest],
) -> Result<(), sqlx::Error> {
    let hex: Vec<String> = digests.iter().map(to_hex).collect();
    notify_in_chunks(db, SESSIONS_CHANGED_CHANNEL, &hex).await
}

/// `NOTIFY channel` with the items as JSON arrays, as many as fit PostgreSQL's payload limit
/// each (nothing on SQLite: one replica).
async fn notify_in_chunks(db: &Db, channel: &str, items: &[String]) -> Result<(), sqlx::Error> {
    let Db::Postgres(pool) = db else {
        return Ok(());
    };
    for chunk in items.chunks(KEYS_PER_NOTIFICATION) {
        let payload = serde_json::to_string(chunk).expect("strings serialise");
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(pool)
            .await?;
    }
    Ok(())
}

fn to_hex(digest: &SessionDigest) -> String {
    hex::encode(digest)
}

fn from_hex(text: &str) -> Option<SessionDigest> {
    let mut digest = [0; 16];
    hex::decode_to_slice(text, &mut digest).ok()?;
    Some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_digests_travel_as_hex_and_nothing_else_is_read() {
        let digest: SessionDigest = std::array::from_fn(|i| (i * 17) as u8);
        assert_eq!(from_hex(&to_hex(&digest)), Some(digest));
        assert_eq!(from_hex("zz"), None);
        assert_eq!(from_hex(&"g".repeat(32)), None);
        assert_eq!(from_hex(&"é".repeat(16)), None);
    }

    #[test]
    fn a_change_concerns_its_teams_and_shared_dags_concern_everyone() {
        let change = |teams: &[Option<&str>]| Change {
            environment: "main".into(),
            teams: teams.iter().map(|t| t.map(str::to_string)).collect(),
        };
        assert!(change(&[Some("team_a")]).concerns("team_a"));
        assert!(!change(&[Some("team_a")]).concerns("team_b"));
        assert!(change(&[Some("team_a"), None]).concerns("team_b"));
        assert!(!change(&[]).concerns("team_a"));
    }

    #[test]
    fn versions_move_for_the_teams_a_change_concerns() {
        let versions = DataVersions::default();
        let change = |teams: &[Option<&str>]| Change {
            environment: "main".into(),
            teams: teams.iter().map(|t| t.map(str::to_string)).collect(),
        };
        let (a, b) = (versions.of("team_a"), versions.of("team_b"));
        versions.moved(&change(&[Some("team_a")]));
        assert!(versions.of("team_a") > a);
        assert_eq!(versions.of("team_b"), b);
        let (a, b) = (versions.of("team_a"), versions.of("team_b"));
        versions.moved(&change(&[None]));
        assert!(versions.of("team_a") > a && versions.of("team_b") > b);
        // An environment-only change moves no team, only the overall version.
        let (a, all) = (versions.of("team_a"), versions.all());
        versions.moved(&change(&[]));
        assert_eq!(versions.of("team_a"), a);
        assert!(versions.all() > all);
    }
}
