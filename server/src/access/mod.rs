//! The access overview (docs/access.md): who holds which role and through which group, and
//! ending a person's sessions. The app's `People` port.
//!
//! The server functions checked the caller's access; a team's page carries nothing about
//! other teams (each member's role here only; the platform rules, which reach every team).

pub mod holdings;

use std::sync::Arc;

use hangar_app::errors::AppError;
use hangar_app::functions::ports::{Caller, People};
use hangar_app::models::access_overview::{
    AccessOverview, PEOPLE_PAGE_SIZE, PeopleQuery, Person, SessionsEnded, TeamAccess, TeamRules,
};

use self::holdings::Holdings;
use crate::audit::{self, Actor, AuditEvent, Outcome};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::identity::middleware::CurrentUser;
use crate::identity::session_index;
use crate::users::{self, KnownUser};

pub struct PeoplePages {
    db: Db,
    clock: Arc<dyn Clock>,
    config: Config,
}

fn database(error: sqlx::Error) -> AppError {
    tracing::error!(%error, "access overview: database error");
    AppError::Internal("the database is unavailable".into())
}

impl PeoplePages {
    pub fn new(db: Db, clock: Arc<dyn Clock>, config: Config) -> Self {
        Self { db, clock, config }
    }

    /// Everyone who signed in, each with their holdings and live sessions.
    async fn everyone(&self) -> Result<Vec<(KnownUser, Holdings, i64)>, sqlx::Error> {
        let people = users::signed_in_people(&self.db).await?;
        let sessions = session_index::live_by_user(&self.db, self.clock.now_ms()).await?;
        let teams = self.config.teams.len();
        Ok(people
            .into_iter()
            .map(|user| {
                let holdings = Holdings::of(&self.config.access, teams, &user.groups);
                let live = sessions.get(&user.id).copied().unwrap_or(0);
                (user, holdings, live)
            })
            .collect())
    }
}

#[async_trait::async_trait]
impl People for PeoplePages {
    async fn team_access(&self, team: &str) -> Result<TeamAccess, AppError> {
        let (index, config) = self
            .config
            .teams
            .iter()
            .enumerate()
            .find(|(_, t)| t.name == team)
            .ok_or(AppError::NotFound)?;
        let mut members: Vec<(u8, Person)> = self
            .everyone()
            .await
            .map_err(database)?
            .into_iter()
            .filter(|(_, holdings, _)| !holdings.grant(index).is_empty())
            .map(|(user, holdings, live)| {
                let rank = holdings::rank(holdings.grant(index));
                let held = holdings.held_in(index, config).into_iter().collect();
                let mut person = holdings::person(&user, &holdings, held, live);
                // Another team's roles are not this team's business.
                person.platform_role = None;
                (rank, person)
            })
            .collect();
        // `everyone` is by name already; a stable sort keeps that within a rank.
        members.sort_by_key(|(rank, _)| std::cmp::Reverse(*rank));
        Ok(TeamAccess {
            team: config.name.clone(),
            display_name: config.display_name.clone(),
            rules: holdings::team_rules(&self.config.access, index),
            platform_rules: holdings::platform_rules(&self.config.access),
            members: members.into_iter().map(|(_, person)| person).collect(),
            now_ms: self.clock.now_ms(),
        })
    }

    async fn overview(&self, query: PeopleQuery) -> Result<AccessOverview, AppError> {
        let everyone = self.everyone().await.map_err(database)?;
        let teams = &self.config.teams;
        let team_rules = teams
            .iter()
            .enumerate()
            .map(|(index, team)| TeamRules {
                team: team.name.clone(),
                display_name: team.display_name.clone(),
                rules: holdings::team_rules(&self.config.access, index),
                members: everyone
                    .iter()
                    .filter(|(_, holdings, _)| holdings.teams[index].is_some())
                    .count(),
            })
            .collect();
        let mut unmatched_groups: Vec<String> = self
            .config
            .access
            .iter()
            .map(|rule| rule.group.clone())
            .filter(|group| {
                !everyone
                    .iter()
                    .any(|(user, ..)| user.groups.contains(group))
            })
            .collect();
        unmatched_groups.sort();
        unmatched_groups.dedup();
        // The platform list shows the roles team rules give; a platform role is its own
        // column (it reaches every team, and listing each would drown the rest).
        let matching: Vec<Person> = everyone
            .iter()
            .map(|(user, holdings, live)| {
                let held = teams
                    .iter()
                    .enumerate()
                    .filter_map(|(index, team)| holdings.by_team_rules(index, team))
                    .collect();
                holdings::person(user, holdings, held, *live)
            })
            .filter(|person| query.matches(person))
            .collect();
        let total = matching.len();
        let pages = total.div_ceil(PEOPLE_PAGE_SIZE).max(1);
        let query = PeopleQuery {
            q: query.q.trim().to_string(),
            page: query.page.min(pages - 1),
        };
        let people = matching
            .into_iter()
            .skip(query.page * PEOPLE_PAGE_SIZE)
            .take(PEOPLE_PAGE_SIZE)
            .collect();
        Ok(AccessOverview {
            teams: team_rules,
            platform_rules: holdings::platform_rules(&self.config.access),
            unmatched_groups,
            people,
            total,
            query,
            now_ms: self.clock.now_ms(),
            can_end_sessions: false,
        })
    }

    async fn end_sessions(&self, caller: &Caller, user_id: i64) -> Result<SessionsEnded, AppError> {
        let actor = caller.extensions.get::<CurrentUser>().map(|c| c.0.actor());
        let request_id = crate::http::request_id(&caller.headers);
        let person = users::signed_in_person(&self.db, user_id)
            .await
            .map_err(database)?
            .ok_or(AppError::NotFound)?;
        let ended = end_sessions(&self.db, self.clock.now_ms(), &person, actor, request_id)
            .await
            .map_err(database)?;
        Ok(SessionsEnded {
            name: person.display_name,
            ended,
        })
    }
}

/// Ends every session of `person` and records who did it (`session.revoke`). Each session
/// ends at its next request, on every replica.
pub async fn end_sessions(
    db: &Db,
    now_ms: i64,
    person: &KnownUser,
    actor: Option<Actor>,
    request_id: Option<String>,
) -> Result<u64, sqlx::Error> {
    let ended = session_index::end_all_of(db, person.id, now_ms).await?;
    let by = if actor.is_some() {
        ""
    } else {
        " (from the command line)"
    };
    audit::append(
        db,
        now_ms,
        AuditEvent::new("session.revoke", Outcome::Success)
            .actor(actor)
            .target(format!("user/{}", person.subject))
            .detail(format!(
                "ended {ended} session(s) of {} ({}){by}",
                person.display_name, person.subject
            ))
            .request_id(request_id),
    )
    .await?;
    Ok(ended)
}
