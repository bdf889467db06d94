//! What a person holds, and through which `[[access]]` rules: the same rules
//! `authz::resolve_viewer` applies at every request, applied to the groups stored at the
//! person's last sign-in, with each grant's source kept.

use hangar_app::models::access_overview::{GroupRule, HeldRole, Person};
use hangar_app::models::{PlatformRole, TeamGrant, TeamRole};

use crate::config::{AccessGrant, AccessRule, TeamConfig};
use crate::users::KnownUser;

/// One person's grants: per team (by index in the configuration) and on the platform.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Holdings {
    pub platform: Option<PlatformRole>,
    pub platform_sources: Vec<String>,
    /// `(role, "group → role" sources)` per configured team, `None` where no team rule applies.
    pub teams: Vec<Option<(TeamRole, Vec<String>)>>,
}

impl Holdings {
    pub fn of(rules: &[AccessRule], team_count: usize, groups: &[String]) -> Self {
        let mut holdings = Holdings {
            teams: vec![None; team_count],
            ..Default::default()
        };
        for rule in rules.iter().filter(|rule| groups.contains(&rule.group)) {
            match rule.grant {
                AccessGrant::Team { team_index, role } => {
                    let slot = &mut holdings.teams[team_index];
                    let source = format!("{} → {}", rule.group, role.as_str());
                    match slot {
                        Some((held, sources)) => {
                            *held = (*held).max(role);
                            sources.push(source);
                        }
                        None => *slot = Some((role, vec![source])),
                    }
                }
                AccessGrant::Platform(role) => {
                    holdings.platform = holdings.platform.max(Some(role));
                    holdings.platform_sources.push(format!(
                        "{} → platform {}",
                        rule.group,
                        role.as_str()
                    ));
                }
            }
        }
        // Strongest first: the source that decides the role leads.
        for (_, sources) in holdings.teams.iter_mut().flatten() {
            sources.sort_by_key(|source| std::cmp::Reverse(role_rank_of_source(source)));
        }
        holdings
            .platform_sources
            .sort_by_key(|source| std::cmp::Reverse(source.ends_with("admin")));
        holdings
    }

    /// The grant `authz` gives in team `index`: the team role and the platform role.
    pub fn grant(&self, index: usize) -> TeamGrant {
        TeamGrant {
            role: self.teams[index].as_ref().map(|(role, _)| *role),
            platform: self.platform,
        }
    }

    /// The role in team `index` and where it comes from, if any grant reaches the team.
    pub fn held_in(&self, index: usize, team: &TeamConfig) -> Option<HeldRole> {
        let grant = self.grant(index);
        if grant.is_empty() {
            return None;
        }
        let mut sources: Vec<String> = self.teams[index]
            .as_ref()
            .map(|(_, sources)| sources.clone())
            .unwrap_or_default();
        sources.extend(self.platform_sources.iter().cloned());
        Some(HeldRole {
            team: team.name.clone(),
            team_display_name: team.display_name.clone(),
            role: grant.describe(),
            sources,
        })
    }
}

impl Holdings {
    /// What team rules alone give in team `index` (the platform list shows a platform role
    /// in a column of its own).
    pub fn by_team_rules(&self, index: usize, team: &TeamConfig) -> Option<HeldRole> {
        let (role, sources) = self.teams[index].as_ref()?;
        Some(HeldRole {
            team: team.name.clone(),
            team_display_name: team.display_name.clone(),
            role: role.as_str().to_string(),
            sources: sources.clone(),
        })
    }
}

fn role_rank_of_source(source: &str) -> Option<TeamRole> {
    source.rsplit(" → ").next().and_then(TeamRole::parse)
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
        platform_role: holdings.platform.map(|role| {
            format!(
                "{} ({})",
                role.as_str(),
                holdings.platform_sources.join("; ")
            )
        }),
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
        }
    }

    #[test]
    fn the_strongest_rule_decides_and_every_source_is_named() {
        let held = Holdings::of(&rules(), 2, &groups(&["a-viewers", "a-admins", "other"]));
        assert_eq!(
            held.teams[0],
            Some((
                TeamRole::Admin,
                vec![
                    "a-admins → admin".to_string(),
                    "a-viewers → viewer".to_string()
                ]
            ))
        );
        assert_eq!(held.teams[1], None);
        assert_eq!(held.platform, None);
        let role = held.held_in(0, &team("team_a")).unwrap();
        assert_eq!(role.role, "admin");
        assert_eq!(role.team_display_name, "TEAM_A");
        assert!(held.held_in(1, &team("team_b")).is_none());
    }

    #[test]
    fn a_platform_role_reaches_every_team_and_says_so() {
        let held = Holdings::of(&rules(), 2, &groups(&["auditors", "b-authors"]));
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
        let held = Holdings::of(&rules(), 2, &groups(&["A-ADMINS", "a-admins "]));
        assert_eq!(held, Holdings::of(&rules(), 2, &[]));
        assert!(held.grant(0).is_empty());
    }

    #[test]
    fn matches_what_authz_resolves() {
        // The overview must show exactly the role a request would get.
        let config = crate::config::Config::from_toml(
            std::path::Path::new("test.toml"),
            r#"
            [oidc]
            issuer = "http://127.0.0.1:1"
            client_id = "hangar"
            client_secret = "x"
            [[teams]]
            name = "team_a"
            [[teams]]
            name = "team_b"
            [[access]]
            group = "a-viewers"
            team = "team_a"
            role = "viewer"
            [[access]]
            group = "a-admins"
            team = "team_a"
            role = "admin"
            [[access]]
            group = "b-authors"
            team = "team_b"
            role = "author"
            [[access]]
            group = "auditors"
            platform = "auditor"
            [[access]]
            group = "root"
            platform = "admin"
            "#,
            Vec::new(),
        )
        .unwrap();
        for set in [
            vec!["a-viewers"],
            vec!["a-admins", "auditors"],
            vec!["b-authors", "a-viewers"],
            vec!["root", "a-viewers"],
            vec![],
        ] {
            let groups = groups(&set);
            let held = Holdings::of(&config.access, config.teams.len(), &groups);
            let viewer = crate::authz::resolve_viewer(&config, &groups, "x", None);
            for (index, team) in config.teams.iter().enumerate() {
                let resolved = viewer
                    .membership(&team.name)
                    .map(|m| m.grant)
                    .unwrap_or_default();
                assert_eq!(resolved, held.grant(index), "{set:?} in {}", team.name);
            }
        }
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
}
