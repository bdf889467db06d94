//! Who may do what: team roles, platform roles, actions and the permission matrix.
//!
//! This module is pure data and logic so that the server enforces exactly the matrix the UI
//! explains to the user. `docs/permissions.md` is this file in words; a unit test below keeps
//! the two from drifting apart in the places that matter most.

use serde::{Deserialize, Serialize};

/// A role inside one team. The order is the order of power: `Viewer < Operator < Author < Admin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TeamRole {
    Viewer,
    Operator,
    Author,
    Admin,
}

impl TeamRole {
    pub const ALL: [TeamRole; 4] = [Self::Viewer, Self::Operator, Self::Author, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Author => "author",
            Self::Admin => "admin",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

/// A role across every team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlatformRole {
    /// Reads every team; changes nothing.
    Auditor,
    /// Every team, every action.
    Admin,
}

impl PlatformRole {
    pub const ALL: [PlatformRole; 2] = [Self::Auditor, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auditor => "auditor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

/// Something a user can do inside one team, now or in a planned feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TeamAction {
    View,
    Trigger,
    Pause,
    Clear,
    EditConnections,
    EditVariables,
    RevealVariables,
    RequestDeploy,
    ApproveDeploy,
    EditPools,
    ManageTokens,
    BreakGlass,
    ViewTeamAudit,
    ViewMembers,
}

impl TeamAction {
    pub const ALL: [TeamAction; 14] = [
        Self::View,
        Self::Trigger,
        Self::Pause,
        Self::Clear,
        Self::EditConnections,
        Self::EditVariables,
        Self::RevealVariables,
        Self::RequestDeploy,
        Self::ApproveDeploy,
        Self::EditPools,
        Self::ManageTokens,
        Self::BreakGlass,
        Self::ViewTeamAudit,
        Self::ViewMembers,
    ];

    /// The lowest team role that may take this action. Roles are cumulative.
    pub fn min_role(self) -> TeamRole {
        match self {
            Self::View => TeamRole::Viewer,
            Self::Trigger | Self::Pause | Self::Clear => TeamRole::Operator,
            Self::EditConnections
            | Self::EditVariables
            | Self::RevealVariables
            | Self::RequestDeploy
            | Self::ApproveDeploy => TeamRole::Author,
            Self::EditPools
            | Self::ManageTokens
            | Self::BreakGlass
            | Self::ViewTeamAudit
            | Self::ViewMembers => TeamRole::Admin,
        }
    }

    /// Read-only actions are the ones a platform auditor may take in every team.
    pub fn is_read_only(self) -> bool {
        matches!(self, Self::View | Self::ViewTeamAudit | Self::ViewMembers)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::View => "View DAGs, runs, task logs, pools and connection metadata",
            Self::Trigger => "Trigger DAG runs",
            Self::Pause => "Pause and unpause DAGs",
            Self::Clear => "Clear task instances, mark runs success or failed",
            Self::EditConnections => "Create, edit and delete the team's connections",
            Self::EditVariables => "Create, edit and delete the team's variables",
            Self::RevealVariables => "Reveal variable values (audited)",
            Self::RequestDeploy => "Request a deploy of a merged commit",
            Self::ApproveDeploy => "Approve or reject someone else's deploy request",
            Self::EditPools => "Create, edit and delete the team's pools",
            Self::ManageTokens => "Create and revoke the team's API tokens",
            Self::BreakGlass => {
                "Break-glass deploy without approval (re-authenticated, reviewed later)"
            }
            Self::ViewTeamAudit => "Read the team's audit log",
            Self::ViewMembers => "See who holds the team's roles, and through which groups",
        }
    }
}

/// Something a user can do across teams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlatformAction {
    /// The cross-team overview pages.
    ViewOverview,
    /// The whole audit log.
    ViewAudit,
    /// Every team's group rules and every person's teams and roles.
    ViewAccess,
    /// Common pools, global connections and variables.
    ManageCommon,
    /// End another user's sessions.
    EndSessions,
    /// Resolve a DAG's ownership conflict: assign it to a team, or release its pin.
    ResolveOwnership,
}

impl PlatformAction {
    pub const ALL: [PlatformAction; 6] = [
        Self::ViewOverview,
        Self::ViewAudit,
        Self::ViewAccess,
        Self::ManageCommon,
        Self::EndSessions,
        Self::ResolveOwnership,
    ];

    pub fn allowed_for(self, role: PlatformRole) -> bool {
        match role {
            PlatformRole::Admin => true,
            PlatformRole::Auditor => {
                matches!(
                    self,
                    Self::ViewOverview | Self::ViewAudit | Self::ViewAccess
                )
            }
        }
    }
}

/// What a user holds in one team: a role from group rules, a platform role, or both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamGrant {
    pub role: Option<TeamRole>,
    pub platform: Option<PlatformRole>,
}

impl TeamGrant {
    /// The whole permission matrix in one expression.
    pub fn allows(self, action: TeamAction) -> bool {
        let by_platform = match self.platform {
            Some(PlatformRole::Admin) => true,
            Some(PlatformRole::Auditor) => action.is_read_only(),
            None => false,
        };
        let by_team_role = self.role.is_some_and(|role| role >= action.min_role());
        by_platform || by_team_role
    }

    /// The team role the deploy rules count: a platform admin acts as the team's admin, a
    /// platform auditor only reads.
    pub fn acting_role(self) -> Option<TeamRole> {
        match self.platform {
            Some(PlatformRole::Admin) => Some(TeamRole::Admin),
            _ => self.role,
        }
    }

    /// A grant with neither role gives nothing; such a team is not the user's.
    pub fn is_empty(self) -> bool {
        self.role.is_none() && self.platform.is_none()
    }

    /// How the role reads in the team switcher, e.g. "author" or "admin (platform)".
    pub fn describe(self) -> String {
        match (self.role, self.platform) {
            (_, Some(PlatformRole::Admin)) => "admin (platform)".to_string(),
            (Some(role), Some(PlatformRole::Auditor)) => format!("{} + auditor", role.as_str()),
            (Some(role), None) => role.as_str().to_string(),
            (None, Some(PlatformRole::Auditor)) => "auditor (platform)".to_string(),
            (None, None) => "none".to_string(),
        }
    }
}

/// What a route or server function demands before it does anything. Every registered route
/// declares one; the router refuses to start with one that does not (deny by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    /// Anyone, signed in or not (login, health checks, static assets).
    Public,
    /// Any signed-in user.
    Authenticated,
    /// A signed-in user whose grant in the team named by the request allows the action.
    Team(TeamAction),
    /// A signed-in user whose platform role allows the action.
    Platform(PlatformAction),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Option<TeamRole>, platform: Option<PlatformRole>) -> TeamGrant {
        TeamGrant { role, platform }
    }

    #[test]
    fn roles_are_cumulative() {
        for action in TeamAction::ALL {
            let mut allowed_before = false;
            for role in TeamRole::ALL {
                let allowed = grant(Some(role), None).allows(action);
                assert!(
                    allowed || !allowed_before,
                    "{role:?} lost {action:?} that a lower role had"
                );
                allowed_before = allowed;
            }
            assert!(allowed_before, "admin must be able to {action:?}");
        }
    }

    #[test]
    fn matrix_rows_match_permissions_doc() {
        let allowed = |role| {
            TeamAction::ALL
                .into_iter()
                .filter(|action| grant(Some(role), None).allows(*action))
                .collect::<Vec<_>>()
        };
        assert_eq!(allowed(TeamRole::Viewer), vec![TeamAction::View]);
        assert_eq!(
            allowed(TeamRole::Operator),
            vec![
                TeamAction::View,
                TeamAction::Trigger,
                TeamAction::Pause,
                TeamAction::Clear
            ]
        );
        assert!(!grant(Some(TeamRole::Author), None).allows(TeamAction::EditPools));
        assert!(grant(Some(TeamRole::Author), None).allows(TeamAction::ApproveDeploy));
        assert!(!grant(Some(TeamRole::Author), None).allows(TeamAction::BreakGlass));
        assert!(grant(Some(TeamRole::Admin), None).allows(TeamAction::BreakGlass));
    }

    #[test]
    fn auditor_reads_everything_and_changes_nothing() {
        let auditor = grant(None, Some(PlatformRole::Auditor));
        for action in TeamAction::ALL {
            assert_eq!(auditor.allows(action), action.is_read_only(), "{action:?}");
        }
        assert!(PlatformAction::ViewOverview.allowed_for(PlatformRole::Auditor));
        assert!(!PlatformAction::ManageCommon.allowed_for(PlatformRole::Auditor));
        assert!(!PlatformAction::EndSessions.allowed_for(PlatformRole::Auditor));
        assert!(!PlatformAction::ResolveOwnership.allowed_for(PlatformRole::Auditor));
        assert!(PlatformAction::ResolveOwnership.allowed_for(PlatformRole::Admin));
    }

    #[test]
    fn auditor_with_a_team_role_keeps_the_team_role() {
        let both = grant(Some(TeamRole::Operator), Some(PlatformRole::Auditor));
        assert!(both.allows(TeamAction::Trigger));
        assert!(!both.allows(TeamAction::EditPools));
    }

    #[test]
    fn platform_admin_may_do_everything() {
        let admin = grant(None, Some(PlatformRole::Admin));
        assert!(TeamAction::ALL.into_iter().all(|a| admin.allows(a)));
        assert!(
            PlatformAction::ALL
                .into_iter()
                .all(|a| a.allowed_for(PlatformRole::Admin))
        );
    }

    #[test]
    fn no_grant_allows_nothing() {
        let none = TeamGrant::default();
        assert!(none.is_empty());
        assert!(TeamAction::ALL.into_iter().all(|a| !none.allows(a)));
    }

    #[test]
    fn role_names_round_trip() {
        for role in TeamRole::ALL {
            assert_eq!(TeamRole::parse(role.as_str()), Some(role));
        }
        for role in PlatformRole::ALL {
            assert_eq!(PlatformRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(TeamRole::parse("owner"), None);
    }
}
