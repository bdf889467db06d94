//! The tabs of a team's pages.
//!
//! Written as HTML text (maud), not as views: every team page has them, and nothing in them
//! reacts (a page names its tab; another team's page is another render).

use leptos::prelude::*;
use maud::html;

#[component]
pub fn TeamNav(team: String, current: &'static str) -> impl IntoView {
    view! { <nav class="team-nav" aria-label="Team pages" inner_html=tabs_html(&team, current)></nav> }
}

/// The tabs, `current` (a key of [`TABS`]) marked as the page shown.
fn tabs_html(team: &str, current: &str) -> String {
    let home = crate::paths::team(team);
    html! {
        @for (key, label, page) in TABS {
            a href={ (home) (page) } aria-current=[(key == current).then_some("page")] { (label) }
        }
    }
    .into_string()
}

/// Each tab's key, label and path below the team's home.
const TABS: [(&str, &str, &str); 7] = [
    ("home", "Overview", ""),
    ("dags", "DAGs", "/dags"),
    ("runs", "Runs", "/runs"),
    ("pools", "Pools", "/pools"),
    ("connections", "Connections", "/connections"),
    ("variables", "Variables", "/variables"),
    ("deploys", "Deploys", "/deploys"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_tab_is_marked_and_every_tab_is_the_teams() {
        let html = tabs_html("team_a", "runs");
        assert_eq!(html.matches("<a ").count(), TABS.len(), "{html}");
        assert_eq!(
            html.matches("href=\"/t/team_a").count(),
            TABS.len(),
            "{html}"
        );
        assert_eq!(html.matches("aria-current").count(), 1, "{html}");
        assert!(
            html.contains("<a href=\"/t/team_a/runs\" aria-current=\"page\">Runs</a>"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"/t/team_a\">Overview</a>"),
            "{html}"
        );
        // A page without a tab of its own (the access page) marks none.
        assert!(!tabs_html("team_a", "access").contains("aria-current"));
    }
}
