//! Groups → grants: turns the identity provider's groups into the user's [`Viewer`].
//!
//! Rules are unioned: every `[[access]]` rule whose group the user has contributes, and the
//! highest role per team wins. A platform role grants something in every team, so platform
//! users see every team in their switcher; everyone else sees only teams they hold a role in.

use hangar_app::models::{PlatformRole, TeamGrant, TeamMembership, Viewer};

use crate::config::{AccessGrant, Config};

pub fn resolve_viewer(
    config: &Config,
    groups: &[String],
    display_name: &str,
    email: Option<&str>,
) -> Viewer {
    let mut team_roles = vec![None; config.teams.len()];
    let mut platform_role: Option<PlatformRole> = None;
    for rule in config.access.iter().filter(|r| groups.contains(&r.group)) {
        match rule.grant {
            AccessGrant::Team { team_index, role } => {
                let slot = &mut team_roles[team_index];
                *slot = (*slot).max(Some(role));
            }
            AccessGrant::Platform(role) => platform_role = platform_role.max(Some(role)),
        }
    }
    let teams = config
        .teams
        .iter()
        .zip(team_roles)
        .map(|(team, role)| TeamMembership {
            team: team.name.clone(),
            display_name: team.display_name.clone(),
            grant: TeamGrant {
                role,
                platform: platform_role,
            },
        })
        .filter(|m| !m.grant.is_empty())
        .collect();
    Viewer {
        display_name: display_name.to_string(),
        email: email.map(str::to_string),
        platform_role,
        teams,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use hangar_app::models::{TeamAction, TeamRole};

    use super::*;

    fn config() -> Config {
        Config::from_toml(
            Path::new("test.toml"),
            r#"
            [oidc]
            issuer = "http://127.0.0.1:1"
            client_id = "hangar"
            client_secret = "x"
            [[teams]]
            name = "team_a"
            [[teams]]
            name = "team_b"
            [[teams]]
            name = "team_c"
            [[access]]
            group = "a-readers"
            team = "team_a"
            role = "viewer"
            [[access]]
            group = "a-devs"
            team = "team_a"
            role = "author"
            [[access]]
            group = "b-ops"
            team = "team_b"
            role = "operator"
            [[access]]
            group = "auditors"
            platform = "auditor"
            [[access]]
            group = "admins"
            platform = "admin"
            "#,
            Vec::new(),
        )
        .unwrap()
    }

    fn resolve(groups: &[&str]) -> Viewer {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        resolve_viewer(&config(), &groups, "Ann", Some("ann@example.com"))
    }

    fn role_in(viewer: &Viewer, team: &str) -> Option<TeamRole> {
        viewer.membership(team).and_then(|m| m.grant.role)
    }

    #[test]
    fn highest_role_per_team_wins() {
        let viewer = resolve(&["a-readers", "a-devs"]);
        assert_eq!(role_in(&viewer, "team_a"), Some(TeamRole::Author));
        let viewer = resolve(&["a-devs", "a-readers"]);
        assert_eq!(role_in(&viewer, "team_a"), Some(TeamRole::Author));
    }

    #[test]
    fn teams_without_a_role_are_absent() {
        let viewer = resolve(&["a-readers", "b-ops"]);
        let names: Vec<_> = viewer.teams.iter().map(|m| m.team.as_str()).collect();
        assert_eq!(names, ["team_a", "team_b"]);
        assert!(viewer.membership("team_c").is_none());
        assert!(!viewer.can("team_c", TeamAction::View));
        assert!(!viewer.can("no_such_team", TeamAction::View));
    }

    #[test]
    fn unknown_groups_grant_nothing() {
        let viewer = resolve(&["marketing", "TEAM_A", "a-devs "]);
        assert!(viewer.teams.is_empty());
        assert_eq!(viewer.platform_role, None);
    }

    #[test]
    fn platform_roles_reach_every_team() {
        let viewer = resolve(&["auditors", "b-ops"]);
        assert_eq!(viewer.teams.len(), 3);
        assert!(viewer.can("team_c", TeamAction::View));
        assert!(!viewer.can("team_c", TeamAction::Trigger));
        assert!(viewer.can("team_b", TeamAction::Trigger));
        let admin = resolve(&["admins", "auditors"]);
        assert_eq!(admin.platform_role, Some(PlatformRole::Admin));
        assert!(admin.can("team_c", TeamAction::BreakGlass));
    }
}
