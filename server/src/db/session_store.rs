//! The tower-sessions store for whichever backend the database is, with the records this
//! replica read or wrote kept in memory for at most [`KEPT_FOR`].
//!
//! Every request loads its session. Read from PostgreSQL, that was a round trip and a pooled
//! connection per request (the DAG list served 2,700 req/s with it, 3,800 without:
//! docs/benchmarks.md). A kept record may be older than the database's only while
//!
//! - another replica changed it (a touch, a group refresh, a re-authentication, the last
//!   team) and its announcement is on its way: every write here announces the record's
//!   digest (`NOTIFY`, `live::notify_sessions_changed`) and every replica forgets it on
//!   receipt, so milliseconds;
//! - or an announcement was lost (a listener reconnecting): [`KEPT_FOR`] bounds that.
//!
//! An ended session is refused regardless: the authentication layer checks the session's key
//! against `user_sessions` (`identity::session_index`, the same 1 s bound), and a kept record
//! never outlives its own expiry. Copies are for reading: every change of a session (a touch,
//! a group refresh, a team, a re-authentication) starts from the database's record
//! ([`HangarSessionStore::load_current`]), so no replica writes back, or refreshes with, what
//! another replaced before the request began (a rotated refresh token; within one request
//! the last writer wins, as it always did). What a copy can still be late with,
//! for milliseconds (a second if an announcement is lost): a group another replica's refresh
//! removed, a re-authentication, a team switched to.
//!
//! Why not tower-sessions' `CachingSessionStore`: it cannot be told of another replica's
//! write, and a load that read the database just before such a write would put the old
//! record back after the announcement; [`KeptSessions`] refuses to keep a load that raced
//! with any forgetting.
//!
//! Announcements carry a digest of the session id, never the id (the cookie's secret).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::sync::broadcast;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use super::Db;
use crate::identity::session::{IDENTITY_KEY, SessionIdentity};
use crate::live::forgetting::{Forgettings, Ticket};

/// Records kept in memory at most; others are read from the database when used.
const KEPT_SESSIONS: u64 = 10_000;
/// How long a kept record is served without reading the database: the same bound as an
/// ended session's key (`identity::session_index::LIVE_FOR`, docs/access.md).
pub const KEPT_FOR: Duration = crate::identity::session_index::LIVE_FOR;

/// What announcements name a session by: the first 16 bytes of SHA-256 of its id.
pub type SessionDigest = [u8; 16];

pub fn digest(id: &Id) -> SessionDigest {
    let hash = Sha256::digest(id.0.to_le_bytes());
    let mut digest = [0; 16];
    digest.copy_from_slice(&hash[..16]);
    digest
}

#[derive(Clone, Debug)]
enum Backend {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

#[derive(Clone, Debug)]
pub struct HangarSessionStore {
    backend: Backend,
    kept: Arc<KeptSessions>,
    db: Db,
}

impl HangarSessionStore {
    /// Creates the store's table if missing (the store crate owns that schema).
    pub async fn for_db(db: &Db) -> Result<Self, sqlx::Error> {
        let backend = match db {
            Db::Sqlite(pool) => {
                let store = SqliteStore::new(pool.clone());
                store.migrate().await?;
                Backend::Sqlite(store)
            }
            Db::Postgres(pool) => {
                let store = PostgresStore::new(pool.clone());
                store.migrate().await?;
                Backend::Postgres(store)
            }
        };
        Ok(Self {
            backend,
            kept: Arc::new(KeptSessions::new(KEPT_FOR)),
            db: db.clone(),
        })
    }

    /// Forgets every record another replica announced as changed, for as long as the
    /// announcements last (`live::LiveUpdates::subscribe_sessions_changed`).
    pub fn follow(
        &self,
        changed: broadcast::Receiver<Arc<[SessionDigest]>>,
        missed: tokio::sync::watch::Receiver<u64>,
    ) {
        crate::live::follow(
            changed,
            missed,
            &self.kept,
            |kept, digests| digests.iter().for_each(|digest| kept.forget(digest)),
            KeptSessions::forget_all,
        );
    }

    /// Tells the other replicas this record changed; a failure is logged, and [`KEPT_FOR`]
    /// still bounds what they serve.
    async fn announce(&self, id: &Id) {
        if let Err(error) = crate::live::notify_sessions_changed(&self.db, &[digest(id)]).await {
            tracing::warn!(%error, "cannot announce a changed session to other replicas");
        }
    }

    /// The record as the database holds it now, bypassing (and replacing) this replica's
    /// copy: what every change of a session starts from (`identity::session::current`), so
    /// a write never carries back what another replica already replaced.
    pub async fn load_current(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.kept.forget(&digest(id));
        self.load(id).await
    }

    /// The signed-in identity of this session as this replica keeps its record, read from
    /// the record once ([`KeptSessions::identity`]); `None` when the record is not kept.
    pub fn kept_identity(&self, id: &Id) -> Option<Arc<SessionIdentity>> {
        self.kept.identity(id, OffsetDateTime::now_utc())
    }

    /// The backend's own store.
    fn records(&self) -> &dyn SessionStore {
        match &self.backend {
            Backend::Sqlite(store) => store,
            Backend::Postgres(store) => store,
        }
    }
}

#[async_trait]
impl SessionStore for HangarSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A new id: no replica can have kept it, so nothing is announced.
        self.records().create(record).await?;
        self.kept.put(record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.records().save(record).await?;
        self.kept.put(record.clone());
        self.announce(&record.id).await;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        if let Some(record) = self.kept.get(id, now) {
            return Ok(Some(record));
        }
        let ticket = self.kept.ticket(id);
        let record = self.records().load(id).await?;
        if let Some(record) = &record {
            self.kept.keep(ticket, record.clone());
        }
        Ok(record)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.records().delete(id).await?;
        self.kept.forget(&digest(id));
        self.announce(id).await;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for HangarSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        // Kept records are never served past their own expiry (`KeptSessions::get`).
        match &self.backend {
            Backend::Sqlite(store) => store.delete_expired().await,
            Backend::Postgres(store) => store.delete_expired().await,
        }
    }
}

/// Session records in memory, by digest, each for at most the given time.
#[derive(Debug)]
pub struct KeptSessions {
    records: moka::sync::Cache<SessionDigest, Arc<KeptRecord>>,
    /// Move with every forgetting and every write (of this replica's own too: a load that
    /// began before may have read what the write replaced), by the digest's first byte.
    forgettings: Forgettings<STRIPES>,
}

const STRIPES: usize = 64;

fn stripe(digest: &SessionDigest) -> usize {
    usize::from(digest[0]) % STRIPES
}

/// A kept record, and the identity in it as the first request that asked read it. Every
/// request of a session reads its identity: deserialised from the record's JSON each time,
/// with the record copied out of the cache first, that was most of what a session cost per
/// request (docs/benchmarks.md). Kept in the record's own entry, the read goes when the
/// record goes (forgotten, replaced, expired), so it is never older than the record.
#[derive(Debug)]
struct KeptRecord {
    record: Record,
    identity: OnceLock<Option<Arc<SessionIdentity>>>,
}

impl KeptRecord {
    fn new(record: Record) -> Arc<Self> {
        Arc::new(Self {
            record,
            identity: OnceLock::new(),
        })
    }
}

impl KeptSessions {
    pub fn new(kept_for: Duration) -> Self {
        Self {
            records: moka::sync::Cache::builder()
                .max_capacity(KEPT_SESSIONS)
                .time_to_live(kept_for)
                .build(),
            forgettings: Forgettings::default(),
        }
    }

    /// The kept record of this session, unless it expired.
    pub fn get(&self, id: &Id, now: OffsetDateTime) -> Option<Record> {
        self.kept(id, now).map(|kept| kept.record.clone())
    }

    /// The signed-in identity in the kept record of this session, unless it expired; read
    /// from the record at the first call. `None` also when the record holds none, or none
    /// this version can read (the caller then reads the record as before, and fails alike).
    pub fn identity(&self, id: &Id, now: OffsetDateTime) -> Option<Arc<SessionIdentity>> {
        let kept = self.kept(id, now)?;
        kept.identity
            .get_or_init(|| {
                let value = kept.record.data.get(IDENTITY_KEY)?;
                SessionIdentity::deserialize(value).ok().map(Arc::new)
            })
            .clone()
    }

    fn kept(&self, id: &Id, now: OffsetDateTime) -> Option<Arc<KeptRecord>> {
        self.records
            .get(&digest(id))
            .filter(|kept| kept.record.id == *id && kept.record.expiry_date > now)
    }

    /// Taken before reading this session's record from the database.
    pub fn ticket(&self, id: &Id) -> Ticket {
        self.forgettings.ticket(stripe(&digest(id)))
    }

    /// Keeps what a load read, unless anything was written or forgotten since its ticket.
    pub fn keep(&self, ticket: Ticket, record: Record) {
        let digest = digest(&record.id);
        self.forgettings.keep_unless_moved(
            ticket,
            || self.records.insert(digest, KeptRecord::new(record)),
            || self.records.invalidate(&digest),
        );
    }

    /// Keeps what this replica just wrote.
    pub fn put(&self, record: Record) {
        let digest = digest(&record.id);
        self.forgettings.moved(stripe(&digest));
        self.records.insert(digest, KeptRecord::new(record));
    }

    pub fn forget(&self, digest: &SessionDigest) {
        self.forgettings.moved(stripe(digest));
        self.records.invalidate(digest);
    }

    pub fn forget_all(&self) {
        self.forgettings.moved_all();
        self.records.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: i128, data: &str, expires_in: time::Duration) -> Record {
        let mut values = std::collections::HashMap::new();
        values.insert("k".to_string(), serde_json::Value::from(data));
        Record {
            id: Id(id),
            data: values,
            expiry_date: OffsetDateTime::now_utc() + expires_in,
        }
    }

    fn data(record: Option<Record>) -> Option<String> {
        record.map(|r| r.data["k"].as_str().unwrap().to_string())
    }

    const HOUR: time::Duration = time::Duration::hours(1);

    #[test]
    fn a_load_is_kept_and_served_until_forgotten() {
        let kept = KeptSessions::new(Duration::from_secs(60));
        let now = OffsetDateTime::now_utc();
        let ticket = kept.ticket(&Id(7));
        kept.keep(ticket, record(7, "read", HOUR));
        assert_eq!(data(kept.get(&Id(7), now)).as_deref(), Some("read"));
        assert_eq!(
            data(kept.get(&Id(8), now)),
            None,
            "another id is not served"
        );
        kept.forget(&digest(&Id(7)));
        assert_eq!(data(kept.get(&Id(7), now)), None);
    }

    #[test]
    fn a_load_that_raced_with_a_forgetting_is_not_kept() {
        let kept = KeptSessions::new(Duration::from_secs(60));
        let now = OffsetDateTime::now_utc();
        // A load reads the old record; meanwhile another replica's change is announced.
        let ticket = kept.ticket(&Id(7));
        kept.forget(&digest(&Id(7)));
        kept.keep(ticket, record(7, "old", HOUR));
        assert_eq!(
            data(kept.get(&Id(7), now)),
            None,
            "the old record must not be kept"
        );
        // A load that began after it is kept.
        let ticket = kept.ticket(&Id(7));
        kept.keep(ticket, record(7, "new", HOUR));
        assert_eq!(data(kept.get(&Id(7), now)).as_deref(), Some("new"));
    }

    #[test]
    fn a_load_that_raced_with_this_replicas_write_does_not_replace_it() {
        let kept = KeptSessions::new(Duration::from_secs(60));
        let now = OffsetDateTime::now_utc();
        let ticket = kept.ticket(&Id(7));
        kept.put(record(7, "written", HOUR));
        kept.keep(ticket, record(7, "read before the write", HOUR));
        assert_eq!(data(kept.get(&Id(7), now)).as_deref(), Some("written"));
    }

    #[test]
    fn an_expired_record_is_never_served() {
        let kept = KeptSessions::new(Duration::from_secs(60));
        kept.put(record(7, "x", time::Duration::seconds(1)));
        let later = OffsetDateTime::now_utc() + time::Duration::seconds(2);
        assert_eq!(data(kept.get(&Id(7), later)), None);
    }

    #[test]
    fn records_are_kept_for_the_bound_at_most() {
        let kept = KeptSessions::new(Duration::from_millis(50));
        kept.put(record(7, "x", HOUR));
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(data(kept.get(&Id(7), OffsetDateTime::now_utc())), None);
    }

    #[test]
    fn forgetting_everything_stops_every_load_in_flight() {
        let kept = KeptSessions::new(Duration::from_secs(60));
        let ticket = kept.ticket(&Id(7));
        kept.forget_all();
        kept.keep(ticket, record(7, "old", HOUR));
        assert!(kept.get(&Id(7), OffsetDateTime::now_utc()).is_none());
    }

    #[test]
    fn forgetting_everything_forgets_every_record() {
        let kept = KeptSessions::new(Duration::from_secs(60));
        kept.put(record(7, "x", HOUR));
        kept.put(record(8, "y", HOUR));
        kept.forget_all();
        let now = OffsetDateTime::now_utc();
        assert!(kept.get(&Id(7), now).is_none() && kept.get(&Id(8), now).is_none());
    }

    fn signed_in(id: i128, groups: &[&str], expires_in: time::Duration) -> Record {
        let identity = SessionIdentity {
            user_id: 42,
            issuer: "https://idp.example".into(),
            subject: "carol".into(),
            display_name: "Carol".into(),
            email: None,
            groups: groups.iter().map(|g| g.to_string()).collect(),
            created_ms: 0,
            last_seen_ms: 0,
            groups_checked_ms: 0,
            refresh_token: Some("refresh".into()),
            id_token: None,
            last_team: None,
            reauthenticated_ms: None,
            session_key: Some("key".into()),
        };
        let mut record = record(id, "x", expires_in);
        record.data.insert(
            IDENTITY_KEY.to_string(),
            serde_json::to_value(identity).unwrap(),
        );
        record
    }

    fn groups(identity: Option<Arc<SessionIdentity>>) -> Option<Vec<String>> {
        identity.map(|identity| identity.groups.clone())
    }

    #[test]
    fn a_kept_identity_is_read_from_the_record_it_is_kept_with_and_goes_with_it() {
        let kept = KeptSessions::new(Duration::from_secs(60));
        let now = OffsetDateTime::now_utc();
        kept.put(signed_in(7, &["team-a-authors"], HOUR));
        let first = kept.identity(&Id(7), now);
        assert_eq!(groups(first.clone()), Some(vec!["team-a-authors".into()]));
        assert!(
            Arc::ptr_eq(
                first.as_ref().unwrap(),
                &kept.identity(&Id(7), now).unwrap()
            ),
            "read once, not at every request"
        );
        assert_eq!(groups(kept.identity(&Id(8), now)), None, "another id");
        // A changed record (a group refresh here or on another replica) replaces the read.
        kept.put(signed_in(7, &["team-a-viewers"], HOUR));
        assert_eq!(
            groups(kept.identity(&Id(7), now)),
            Some(vec!["team-a-viewers".into()])
        );
        kept.forget(&digest(&Id(7)));
        assert_eq!(groups(kept.identity(&Id(7), now)), None);
        kept.put(signed_in(7, &["team-a-viewers"], HOUR));
        kept.forget_all();
        assert_eq!(groups(kept.identity(&Id(7), now)), None);
    }

    #[test]
    fn no_identity_is_kept_past_its_records_expiry_or_from_a_record_without_one() {
        let kept = KeptSessions::new(Duration::from_secs(60));
        kept.put(signed_in(7, &["g"], time::Duration::seconds(1)));
        let later = OffsetDateTime::now_utc() + time::Duration::seconds(2);
        assert!(kept.identity(&Id(7), later).is_none());
        // Signing in (before the provider answered) or a record this version cannot read:
        // the caller reads it through the session and gets what it always got.
        kept.put(record(8, "x", HOUR));
        let mut unreadable = record(9, "x", HOUR);
        unreadable.data.insert(
            IDENTITY_KEY.to_string(),
            serde_json::json!({"user_id": "x"}),
        );
        kept.put(unreadable);
        let now = OffsetDateTime::now_utc();
        assert!(kept.identity(&Id(8), now).is_none() && kept.identity(&Id(9), now).is_none());
    }

    #[test]
    fn no_identity_is_kept_from_a_load_that_raced_with_a_forgetting() {
        let kept = KeptSessions::new(Duration::from_secs(60));
        let ticket = kept.ticket(&Id(7));
        kept.forget(&digest(&Id(7)));
        kept.keep(ticket, signed_in(7, &["removed-by-another-replica"], HOUR));
        assert!(kept.identity(&Id(7), OffsetDateTime::now_utc()).is_none());
    }

    #[test]
    fn digests_differ_per_id_and_hide_it() {
        let id = Id(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        assert_ne!(digest(&id), digest(&Id(id.0 + 1)));
        let hex = hex::encode(digest(&id));
        assert!(!hex.contains("0123456789abcdef") && !id.to_string().contains(&hex));
    }
}
