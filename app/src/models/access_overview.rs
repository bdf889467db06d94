//! Who can do what: the group rules of each team, the people who hold its roles and why, and
//! each person's teams. Built by the server from the `[[access]]` rules and the groups each
//! user had at their last sign-in (or group refresh).

use serde::{Deserialize, Serialize};

/// People shown per page of the platform's user list.
pub const PEOPLE_PAGE_SIZE: usize = 100;

/// One `[[access]]` rule as the page shows it: this group grants that role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRule {
    pub group: String,
    /// `viewer` … `admin` for a team rule; `platform admin` or `platform auditor`.
    pub grants: String,
}

/// A person who signed in, with what they hold in one team (or, on the platform's list,
/// in every team).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub user_id: i64,
    pub name: String,
    pub subject: String,
    pub email: Option<String>,
    pub last_login_ms: i64,
    /// Sessions not ended or expired.
    pub live_sessions: i64,
    pub platform_role: Option<String>,
    pub teams: Vec<HeldRole>,
}

/// A role a person holds in a team, and the groups it comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldRole {
    pub team: String,
    pub team_display_name: String,
    /// As the header shows it: `author`, `admin (platform)`, `viewer + auditor`.
    pub role: String,
    /// Each as "group → role", strongest first.
    pub sources: Vec<String>,
}

/// `/t/{team}/access`: the team's rules and the people who hold its roles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamAccess {
    pub team: String,
    pub display_name: String,
    pub rules: Vec<GroupRule>,
    /// Platform rules: their holders reach every team.
    pub platform_rules: Vec<GroupRule>,
    /// Everyone with a role here, strongest role first, then by name. Each person's `teams`
    /// holds this team only.
    pub members: Vec<Person>,
    pub now_ms: i64,
}

/// `/platform/access`: every team's rules and every person who signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessOverview {
    pub teams: Vec<TeamRules>,
    pub platform_rules: Vec<GroupRule>,
    /// Groups in `[[access]]` rules that no signed-in user has had: often a typo.
    pub unmatched_groups: Vec<String>,
    pub people: Vec<Person>,
    /// People matching the query, all pages.
    pub total: usize,
    pub query: PeopleQuery,
    pub now_ms: i64,
    /// Whether the viewer may end people's sessions (platform admins; auditors only look).
    pub can_end_sessions: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamRules {
    pub team: String,
    pub display_name: String,
    pub rules: Vec<GroupRule>,
    /// People holding a role here through a team rule.
    pub members: usize,
}

/// The platform list's filter: a piece of the name, subject or e-mail (ignoring case), and
/// the page (from 0).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PeopleQuery {
    pub q: String,
    pub page: usize,
}

impl PeopleQuery {
    pub fn matches(&self, person: &Person) -> bool {
        let needle = self.q.trim().to_lowercase();
        needle.is_empty()
            || person.name.to_lowercase().contains(&needle)
            || person.subject.to_lowercase().contains(&needle)
            || person
                .email
                .as_deref()
                .is_some_and(|e| e.to_lowercase().contains(&needle))
    }

    /// The list's URL for another page of the same query.
    pub fn href(&self, page: usize) -> String {
        let page = if page == 0 {
            String::new()
        } else {
            page.to_string()
        };
        format!(
            "/platform/access{}",
            crate::paths::query(&[("q", self.q.trim().to_string()), ("page", page)])
        )
    }
}

/// The answer to ending someone's sessions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsEnded {
    pub name: String,
    pub ended: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, subject: &str, email: Option<&str>) -> Person {
        Person {
            user_id: 1,
            name: name.into(),
            subject: subject.into(),
            email: email.map(str::to_string),
            last_login_ms: 0,
            live_sessions: 0,
            platform_role: None,
            teams: vec![],
        }
    }

    #[test]
    fn query_matches_name_subject_or_email_ignoring_case() {
        let bob = person("Bob Builder", "bob-sub", Some("Bob@Example.com"));
        let query = |q: &str| PeopleQuery {
            q: q.into(),
            page: 0,
        };
        assert!(query("").matches(&bob));
        assert!(query("builder").matches(&bob));
        assert!(query("BOB-S").matches(&bob));
        assert!(query("@example").matches(&bob));
        assert!(!query("alice").matches(&bob));
        assert!(!query("x").matches(&person("Bob", "b", None)));
    }

    #[test]
    fn hrefs_keep_the_query_and_encode_it() {
        let query = PeopleQuery {
            q: " a&b ".into(),
            page: 3,
        };
        assert_eq!(query.href(0), "/platform/access?q=a%26b");
        assert_eq!(query.href(4), "/platform/access?q=a%26b&page=4");
        assert_eq!(PeopleQuery::default().href(0), "/platform/access");
    }
}
