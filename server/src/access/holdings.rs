//! Groups → roles: the one place the `[[access]]` rules are applied. Every request resolves
//! its [`Viewer`] here ([`resolve_viewer`]) from the session's groups, and the access
//! overview shows the same [`Holdings`] with each grant's source ("a-authors → author").
//!
//! Rules are unioned: every rule whose group the person has contributes, and the highest
//! role per team wins. A platform role grants something in every team, so platform users see
//! every team in their switcher; everyone else sees only teams they hold a role in. Sources
//! are kept as rule indices and only written out when a page shows them, so resolving a
//! request allocates no text.

use hangar_app::models::access_overview::{GroupRule, HeldRole, Person};
use hangar_app::models::{PlatformRole, TeamGrant, TeamMembership, TeamRole, Viewer};

use crate::config::{AccessGrant, AccessRule, Config, TeamConfig};
use crate::users::KnownUser;

/// One person's grants, per team (by index in the configuration) and on the platform, each
/// with the rules that gave it.
#[derive(Debug, PartialEq, Eq)]
pub struct Holdings<'a> {
    rules: &'a [AccessRule],
    pub platform: Option<PlatformRole>,
    /// Indices into `rules`, admin first.
    platform_rules: Vec<usize>,
    /// `(role, rule indices, strongest first)` per configured team; `None` where no team
    /// rule applies.
    teams: Vec<Option<(TeamRole, Vec<usize>)>>,
}

/// The viewer a request with `groups` acts as.
pub fn resolve_viewer(
    config: &Config,
    groups: &[String],
    display_name: &str,
    email: Option<&str>,
) -> Viewer {
    let holdings = Holdings::of(&config.access, config.teams.len(), groups);
    let teams = config
        .teams
        .iter()
        .enumerate()
        .map(|(index, team)| TeamMembership {
            team: team.name.clone(),
            display_name: team.display_name.clone(),
            grant: holdings.grant(index),
        })
        .filter(|m| !m.grant.is_empty())
        .collect();
    Viewer {
        display_name: display_name.to_string(),
        email: email.map(str::to_string),
        platform_role: holdings.platform,
        teams,
    }
}

/// The `[[access]]` rules, kept to judge people who are not the ones making the request —
/// an approver when the deploy runs, the creator of a token when it is used — from the
/// groups stored at their last sign-in (or group refresh). A group taken away at the
/// identity provider shows at that person's next sign-in or refresh; a rule removed from
/// the configuration shows at once.
#[derive(Clone, Debug, Default)]
pub struct StoredGrants {
    rules: Vec<AccessRule>,
    teams: Vec<String>,
}

impl StoredGrants {
    pub fn of(config: &Config) -> Self {
        Self {
            rules: config.access.clone(),
            teams: config.teams.iter().map(|t| t.name.clone()).collect(),
        }
    }

    /// What `groups` hold in `team` (nothing in a team the configuration does not have).
    pub fn in_team(&self, team: &str, groups: &[String]) -> TeamGrant {
        match self.teams.iter().position(|t| t == team) {
            Some(index) => Holdings::of(&self.rules, self.teams.len(), groups).grant(index),
            None => TeamGrant::default(),
        }
    }
}

impl<'a> Holdings<'a> {
    pub fn of(rules: &'a [AccessRule], team_count: usize, groups: &[String]) -> Self {
        let mut holdings = Holdings {
            rules,
            platform: None,
            platform_rules: Vec::new(),
            teams: vec![None; team_count],
        };
        for (index, rule) in rules.iter().enumerate() {
            if !groups.contains(&rule.group) {
                continue;
            }
            match rule.grant {
                AccessGrant::Team { team_index, role } => match &mut holdings.teams[team_index] {
                    Some((held, sources)) => {
                        *held = (*held).max(role);
                        sources.push(index);
                    }
                    slot => *slot = Some((role, vec![index])),
                },
                AccessGrant::Platform(role) => {
                    holdings.platform = holdings.platform.max(Some(role));
                    holdings.platform_rules.push(index);
                }
            }
        }
        // Strongest first: the rule that decides the role leads.
        let strength = |index: &usize| match rules[*index].grant {
            AccessGrant::Team { role, .. } => std::cmp::Reverse((Some(role), None)),
            AccessGrant::Platform(role) => std::cmp::Reverse((None, Some(role))),
        };
        for (_, sources) in holdings.teams.iter_mut().flatten() {
            sources.sort_by_key(strength);
        }
        holdings.platform_rules.sort_by_key(strength);
        holdings
    }

    /// The grant in team `index`: the team role and the platform role.
    pub fn grant(&self, index: usize) -> TeamGrant {
        TeamGrant {
            role: self.teams[index].as_ref().map(|(role, _)| *role),
            platform: self.platform,
        }
    }

    /// Whether a team rule gives a role in team `index`.
    pub fn has_team_role(&self, index: usize) -> bool {
        self.teams[index].is_some()
    }

    /// A rule as a page shows where a role comes from: "a-authors → author".
    fn source(&self, index: usize) -> String {
        let rule = &self.rules[index];
        match rule.grant {
            AccessGrant::Team { role, .. } => format!("{} → {}", rule.group, role.as_str()),
            AccessGrant::Platform(role) => format!("{} → platform {}", rule.group, role.as_str()),
        }
    }

    fn team_sources(&self, index: usize) -> Vec<String> {
        self.teams[index]
            .iter()
            .flat_map(|(_, sources)| sources.iter().map(|rule| self.source(*rule)))
            .collect()
    }

    fn platform_sources(&self) -> Vec<String> {
        self.platform_rules
            .iter()
            .map(|rule| self.source(*rule))
            .collect()
    }

    /// The role in team `index` and where it comes from, if any grant reaches the team.
    pub fn held_in(&self, index: usize, team: &TeamConfig) -> Option<HeldRole> {
        let grant = self.grant(index);
        if grant.is_empty() {
            return None;
        }
        let mut sources = self.team_sources(index);
        sources.extend(self.platform_sources());
        Some(HeldRole {
            team: team.name.clone(),
            team_display_name: team.display_name.clone(),
            role: grant.describe(),
            sources,
        })
    }

    /// What team rules alone give in team `index` (the platform list shows a platform role
    /// in a column of its own).
    pub fn by_team_rules(&self, index: usize, team: &TeamConfig) -> Option<HeldRole> {
        let (role, _) = self.teams[index].as_ref()?;
        Some(HeldRole {
            team: team.name.clone(),
            team_display_name: team.display_name.clone(),
            role: role.as_str().to_string(),
            sources: self.team_sources(index),
        })
    }

    /// The platform role with its sources, as the people list shows it.
    fn platform_role(&self) -> Option<String> {
        self.platform
            .map(|role| format!("{} ({})", role.as_str(), self.platform_sources().join("; ")))
    }
}

/// How strong a grant in a team is, for ordering members: platform admin, then the team
/// roles from admin down, then a platform auditor with no team role.
pub fn rank(grant: TeamGrant) -> u8 {
    match (grant.platform, grant.role) {
        (Some(PlatformRole::Admin), _) => 5,
        (_, Some(role)) => 1 + TeamRole::ALL.iter().position(|r| *r == role).unwrap_or(0) as u8,
        (Some(PlatformRole::Auditor), None) => 0,
        (None, None) => 0,
    }
}

/// A person as the pages show them, with the roles the page lists.
pub fn person(
    user: &KnownUser,
    holdings: &Holdings,
    teams: Vec<HeldRole>,
    live_sessions: i64,
) -> Person {
    Person {
        user_id: user.id,
        name: user.display_name.clone(),
        subject: user.subject.clone(),
        email: user.email.clone(),
        last_login_ms: user.last_login_ms,
        live_sessions,
        platform_role: holdings.platform_role(),
        teams,
    }
}

/// The rules of team `index`, strongest role first.
pub fn team_rules(rules: &[AccessRule], index: usize) -> Vec<GroupRule> {
    strongest_first(rules, |grant| match grant {
        AccessGrant::Team { team_index, role } if team_index == index => {
            Some((role, role.as_str().to_string()))
        }
        _ => None,
    })
}

/// The platform rules, admin first.
pub fn platform_rules(rules: &[AccessRule]) -> Vec<GroupRule> {
    strongest_first(rules, |grant| match grant {
        AccessGrant::Platform(role) => Some((role, format!("platform {}", role.as_str()))),
        AccessGrant::Team { .. } => None,
    })
}

/// The rules `pick` keeps (with the role it ranks them by and the label it shows), ordered
/// by role, strongest first, then by group.
fn strongest_first<R: Ord>(
    rules: &[AccessRule],
    pick: impl Fn(AccessGrant) -> Option<(R, String)>,
) -> Vec<GroupRule> {
    let mut found: Vec<(R, GroupRule)> = rules
        .iter()
        .filter_map(|rule| {
            pick(rule.grant).map(|(rank, grants)| {
                let group = rule.group.clone();
                (rank, GroupRule { group, grants })
            })
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.group.cmp(&b.1.group)));
    found.into_iter().map(|(_, rule)| rule).collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use hangar_app::models::TeamAction;

    use super::*;

    fn rule(group: &str, grant: AccessGrant) -> AccessRule {
        AccessRule {
            group: group.into(),
            grant,
        }
    }

    fn rules() -> Vec<AccessRule> {
        vec![
            rule(
                "a-viewers",
                AccessGrant::Team {
                    team_index: 0,
                    role: TeamRole::Viewer,
                },
            ),
            rule(
                "a-admins",
                AccessGrant::Team {
                    team_index: 0,
                    role: TeamRole::Admin,
                },
            ),
            rule(
                "b-authors",
                AccessGrant::Team {
                    team_index: 1,
                    role: TeamRole::Author,
                },
            ),
            rule("auditors", AccessGrant::Platform(PlatformRole::Auditor)),
        ]
    }

    fn groups(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn team(name: &str) -> TeamConfig {
        TeamConfig {
            name: name.into(),
            display_name: name.to_uppercase(),
            execution: None,
        }
    }

    #[test]
    fn the_strongest_rule_decides_and_every_source_is_named() {
        let rules = rules();
        let held = Holdings::of(&rules, 2, &groups(&["a-viewers", "a-admins", "other"]));
        assert_eq!(held.grant(0).role, Some(TeamRole::Admin));
        assert_eq!(
            held.by_team_rules(0, &team("team_a")).unwrap().sources,
            ["a-admins → admin", "a-viewers → viewer"]
        );
        assert!(!held.has_team_role(1));
        assert_eq!(held.platform, None);
        let role = held.held_in(0, &team("team_a")).unwrap();
        assert_eq!(role.role, "admin");
        assert_eq!(role.team_display_name, "TEAM_A");
        assert!(held.held_in(1, &team("team_b")).is_none());
    }

    #[test]
    fn a_platform_role_reaches_every_team_and_says_so() {
        let rules = rules();
        let held = Holdings::of(&rules, 2, &groups(&["auditors", "b-authors"]));
        let in_a = held.held_in(0, &team("team_a")).unwrap();
        assert_eq!(in_a.role, "auditor (platform)");
        assert_eq!(in_a.sources, vec!["auditors → platform auditor"]);
        let in_b = held.held_in(1, &team("team_b")).unwrap();
        assert_eq!(in_b.role, "author + auditor");
        assert_eq!(
            in_b.sources,
            vec!["b-authors → author", "auditors → platform auditor"]
        );
        // The platform list: what team rules alone give.
        assert!(held.by_team_rules(0, &team("team_a")).is_none());
        let by_rules = held.by_team_rules(1, &team("team_b")).unwrap();
        assert_eq!(
            (by_rules.role.as_str(), by_rules.sources),
            ("author", vec!["b-authors → author".to_string()])
        );
    }

    #[test]
    fn no_matching_group_holds_nothing() {
        let rules = rules();
        let held = Holdings::of(&rules, 2, &groups(&["A-ADMINS", "a-admins "]));
        assert_eq!(held, Holdings::of(&rules, 2, &[]));
        assert!(held.grant(0).is_empty());
    }

    #[test]
    fn ranks_order_members() {
        let grant = |role, platform| TeamGrant { role, platform };
        let ranks = [
            rank(grant(None, Some(PlatformRole::Admin))),
            rank(grant(Some(TeamRole::Admin), None)),
            rank(grant(Some(TeamRole::Author), Some(PlatformRole::Auditor))),
            rank(grant(Some(TeamRole::Operator), None)),
            rank(grant(Some(TeamRole::Viewer), None)),
            rank(grant(None, Some(PlatformRole::Auditor))),
        ];
        assert!(ranks.windows(2).all(|w| w[0] > w[1]), "{ranks:?}");
    }

    #[test]
    fn rules_are_listed_strongest_first() {
        let listed = team_rules(&rules(), 0);
        assert_eq!(
            listed.iter().map(|r| r.grants.as_str()).collect::<Vec<_>>(),
            ["admin", "viewer"]
        );
        assert_eq!(platform_rules(&rules())[0].grants, "platform auditor");
        assert!(team_rules(&rules(), 5).is_empty());
    }

    // Resolving a request's viewer.

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
    fn stored_groups_are_judged_by_the_current_rules() {
        let grants = StoredGrants::of(&config());
        let groups = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(
            grants.in_team("team_a", &groups(&["a-devs"])).role,
            Some(TeamRole::Author)
        );
        assert!(grants.in_team("team_b", &groups(&["a-devs"])).is_empty());
        assert!(grants.in_team("team_z", &groups(&["admins"])).is_empty());
        let admin = grants.in_team("team_c", &groups(&["admins"]));
        assert_eq!(admin.acting_role(), Some(TeamRole::Admin));
        assert!(grants.in_team("team_a", &[]).is_empty());
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
