//! The team switcher: the user's teams with their role; a switch keeps the current page.
//!
//! It is a `<details>` menu of plain links, so it works without JavaScript; with it, the
//! router swaps the page without a reload (and the header, written again for the new path,
//! closes the menu). Either way no login is involved: the session already holds every team
//! the user is in.

use maud::{Markup, html};

use crate::models::Viewer;

/// The switcher as it shows on `path`: labelled with the current team and the viewer's role
/// in it, each team's entry leading to the same page there (HTML text, `super::header`).
pub fn switcher(viewer: &Viewer, path: &str) -> Markup {
    let current = current_team(path);
    let label = current
        .as_deref()
        .and_then(|team| viewer.membership(team))
        .map(|m| format!("{} · {}", m.display_name, m.grant.describe()))
        .unwrap_or_else(|| "Choose a team".to_string());
    html! {
        details.menu.team-switcher data-testid="team-switcher" {
            summary { (label) }
            ul role="menu" {
                @for m in &viewer.teams {
                    li role="none" {
                        a role="menuitem" href=(switch_path(path, &m.team)) data-team=(m.team)
                            aria-current=[(current.as_deref() == Some(m.team.as_str())).then_some("page")] {
                            span.team-name { (m.display_name) }
                            span.role { (m.grant.describe()) }
                        }
                    }
                }
            }
        }
    }
}

/// The team named by a `/t/{team}/...` path.
pub fn current_team(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/t/")?;
    let team = rest.split('/').next().filter(|t| !t.is_empty())?;
    Some(team.to_string())
}

/// The same page in another team, or its nearest list: a team's list pages have their
/// counterpart in every team (`/t/a/pools` → `/t/b/pools`), but a DAG, a run or a deploy of
/// one team is not the other's, so switching from one lands on the other team's list of
/// them (a DAG's pages → its DAGs, a run's or a task's → its runs, a deploy → its deploys).
/// Anywhere else: the team's home.
pub fn switch_path(path: &str, to_team: &str) -> String {
    let team = crate::paths::encode(to_team);
    let Some(rest) = path.strip_prefix("/t/") else {
        return format!("/t/{team}");
    };
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let list = match parts.as_slice() {
        [_, "dags", _, _, "runs", ..] => "runs",
        [_, "dags", ..] => "dags",
        [_, "deploys", ..] => "deploys",
        [_, page] if LIST_PAGES.contains(page) => page,
        _ => return format!("/t/{team}"),
    };
    format!("/t/{team}/{list}")
}

/// A team's pages that every team has.
const LIST_PAGES: [&str; 9] = [
    "dags",
    "runs",
    "pools",
    "connections",
    "variables",
    "deploys",
    "tokens",
    "audit",
    "access",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switching_keeps_list_pages_and_lands_on_the_nearest_list_from_objects() {
        assert_eq!(switch_path("/t/team_a/dags", "team_b"), "/t/team_b/dags");
        assert_eq!(switch_path("/t/team_a/pools", "team_b"), "/t/team_b/pools");
        assert_eq!(
            switch_path("/t/team_a/dags/main/etl", "team_b"),
            "/t/team_b/dags"
        );
        assert_eq!(
            switch_path("/t/team_a/dags/main/etl/graph", "team_b"),
            "/t/team_b/dags"
        );
        assert_eq!(
            switch_path("/t/team_a/dags/main/etl/runs/r1", "team_b"),
            "/t/team_b/runs"
        );
        assert_eq!(
            switch_path("/t/team_a/dags/main/etl/runs/r1/tasks/load", "team_b"),
            "/t/team_b/runs"
        );
        assert_eq!(
            switch_path("/t/team_a/deploys/12", "team_b"),
            "/t/team_b/deploys"
        );
        assert_eq!(switch_path("/t/team_a/audit", "team_b"), "/t/team_b/audit");
        assert_eq!(switch_path("/t/team_a/whatever", "team_b"), "/t/team_b");
        assert_eq!(switch_path("/t/team_a", "team_b"), "/t/team_b");
        assert_eq!(switch_path("/t/team_a/", "team_b"), "/t/team_b");
        assert_eq!(switch_path("/platform", "team_b"), "/t/team_b");
        assert_eq!(switch_path("/settings", "team_b"), "/t/team_b");
        assert_eq!(switch_path("/", "team_b"), "/t/team_b");
    }

    #[test]
    fn reads_the_current_team() {
        assert_eq!(current_team("/t/team_a/dags").as_deref(), Some("team_a"));
        assert_eq!(current_team("/t/team_a").as_deref(), Some("team_a"));
        assert_eq!(current_team("/t/"), None);
        assert_eq!(current_team("/platform"), None);
    }
}
