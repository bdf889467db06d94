//! The signed-in user as the UI sees them: who they are and what they hold in which team.
//!
//! The server resolves a `Viewer` from the session on every request (see
//! `server/src/authz/resolve.rs`); it contains only teams the user has a grant in, so sending
//! it to the browser reveals nothing about other teams.

use serde::{Deserialize, Serialize};

use super::access::{Access, PlatformAction, PlatformRole, TeamAction, TeamGrant};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub display_name: String,
    pub email: Option<String>,
    pub platform_role: Option<PlatformRole>,
    /// Teams the user has a grant in, in configuration order.
    pub teams: Vec<TeamMembership>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMembership {
    pub team: String,
    pub display_name: String,
    pub grant: TeamGrant,
}

impl Viewer {
    pub fn membership(&self, team: &str) -> Option<&TeamMembership> {
        self.teams.iter().find(|m| m.team == team)
    }

    pub fn can(&self, team: &str, action: TeamAction) -> bool {
        self.membership(team)
            .is_some_and(|m| m.grant.allows(action))
    }

    /// Whether the viewer may take `action` on something of `team`. Things from a shared
    /// bundle belong to no team: only platform admins change them.
    pub fn can_change(&self, team: &str, action: TeamAction, shared: bool) -> bool {
        self.can(team, action) && (!shared || self.platform_role == Some(PlatformRole::Admin))
    }

    /// The one access check: whether `access`, declared by a page, server function, route or
    /// API operation, lets this viewer in for `team` (the team the request names, if any). A
    /// team route without a team is refused: deny by default.
    pub fn allows(&self, access: Access, team: Option<&str>) -> bool {
        match access {
            Access::Public | Access::Authenticated => true,
            Access::Team(action) => team.is_some_and(|team| self.can(team, action)),
            Access::Platform(action) => self.can_platform(action),
        }
    }

    pub fn can_platform(&self, action: PlatformAction) -> bool {
        self.platform_role
            .is_some_and(|role| action.allowed_for(role))
    }
}
