//! The app's `People` port: the access overview (docs/access.md) — a team's rules and
//! members for its admins, every team and person for the platform roles — and ending a
//! person's sessions. The server functions checked the caller's access; a team's page
//! carries nothing about other teams (each member's role here only; the platform rules,
//! which reach every team).

use std::sync::Arc;

use hangar_app::errors::AppError;
use hangar_app::functions::ports::{Acting, People};
use hangar_app::models::access_overview::{
    AccessOverview, PEOPLE_PAGE_SIZE, PeopleQuery, Person, SessionsEnded, TeamAccess, TeamRules,
};

use crate::access::{self, Holdings, holdings};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::error::ServerError;
use crate::users::{self, KnownUser};

pub struct PeoplePages {
    db: Db,
    clock: Arc<dyn Clock>,
    config: Config,
    live: Arc<crate::live::LiveUpdates>,
}

impl PeoplePages {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        config: Config,
        live: Arc<crate::live::LiveUpdates>,
    ) -> Self {
        Self {
            db,
            clock,
            config,
            live,
        }
    }

    async fn everyone(&self) -> Result<Vec<(KnownUser, Holdings<'_>, i64)>, ServerError> {
        access::everyone(&self.db, &self.config, self.clock.now_ms()).await
    }
}

#[async_trait::async_trait]
impl People for PeoplePages {
    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id, team))]
    async fn team_access(&self, acting: &Acting, team: &str) -> Result<TeamAccess, AppError> {
        let (index, config) = self
            .config
            .teams
            .iter()
            .enumerate()
            .find(|(_, t)| t.name == team)
            .ok_or(AppError::NotFound)?;
        let mut members: Vec<(u8, Person)> = self
            .everyone()
            .await?
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

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id))]
    async fn overview(
        &self,
        acting: &Acting,
        query: PeopleQuery,
    ) -> Result<AccessOverview, AppError> {
        let everyone = self.everyone().await?;
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
                    .filter(|(_, holdings, _)| holdings.has_team_role(index))
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

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id))]
    async fn end_sessions(&self, acting: &Acting, user_id: i64) -> Result<SessionsEnded, AppError> {
        let person = users::signed_in_person(&self.db, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let ended =
            access::end_sessions(&self.db, self.clock.now_ms(), &person, Some(acting)).await?;
        // Their open pages stop streaming now, not at the next check.
        self.live.session_ended();
        Ok(SessionsEnded {
            name: person.display_name,
            ended,
        })
    }
}
