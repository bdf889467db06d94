//! Who holds which role, and through which group (docs/access.md): the `[[access]]` rules
//! applied to a request's groups (`holdings.rs`, the one place), the people who signed in
//! with what they hold, and ending a person's sessions. `ports/people.rs` serves the access
//! overview pages from it.

pub mod holdings;

use hangar_app::functions::ports::Acting;

pub use self::holdings::{Holdings, StoredGrants, resolve_viewer};
use crate::audit::{self, AuditEvent, Outcome};
use crate::config::Config;
use crate::db::Db;
use crate::error::ServerError;
use crate::identity::session_index;
use crate::live::LiveUpdates;
use crate::users::{self, KnownUser};

/// Everyone who signed in, by name, each with their holdings and live sessions.
pub async fn everyone<'a>(
    db: &Db,
    config: &'a Config,
    now_ms: i64,
) -> Result<Vec<(KnownUser, Holdings<'a>, i64)>, ServerError> {
    let people = users::signed_in_people(db).await?;
    let sessions = session_index::live_by_user(db, now_ms).await?;
    let teams = config.teams.len();
    Ok(people
        .into_iter()
        .map(|user| {
            let holdings = Holdings::of(&config.access, teams, &user.groups);
            let live = sessions.get(&user.id).copied().unwrap_or(0);
            (user, holdings, live)
        })
        .collect())
}

/// Ends every session of `person` and records who did it (`session.revoke`; `None`: the
/// command line). Each session ends at its next request, on every replica (announced to all
/// of them).
pub async fn end_sessions(
    db: &Db,
    now_ms: i64,
    person: &KnownUser,
    by: Option<&Acting>,
    live: &LiveUpdates,
) -> Result<u64, ServerError> {
    let session_index::Ended { keys, live: ended } =
        session_index::end_all_of(db, person.id, now_ms).await?;
    live.sessions_ended(keys).await;
    let (event, from) = match by {
        Some(acting) => (
            AuditEvent::by(acting, "session.revoke", Outcome::Success),
            "",
        ),
        None => (
            AuditEvent::new("session.revoke", Outcome::Success),
            " (from the command line)",
        ),
    };
    audit::append(
        db,
        now_ms,
        event
            .target(format!("user/{}", person.subject))
            .detail(format!(
                "ended {ended} session(s) of {} ({}){from}",
                person.display_name, person.subject
            )),
    )
    .await?;
    Ok(ended)
}
