//! The header on every page: product name, team switcher, platform link, how many deploys
//! wait for the viewer's review, user menu (with their profile).
//!
//! Written as HTML text (maud escapes what it writes), not as leptos views: nothing in it
//! reacts but the path, and as views its forty-odd elements and their hydration markers were
//! a large share of every page's server time (the team page went from 47 % to 65 % of the
//! trivial page without them, docs/benchmarks.md). In the browser it is written again when
//! the path changes and the markup differs, which also closes its menus after a client-side
//! navigation. Writing it again drops keyboard focus inside it (a team chosen from the
//! switcher by keyboard leaves focus on the page's body), which views kept.

use leptos::prelude::*;
use leptos_router::hooks::use_location;
use maud::html;

use super::team_switcher::{current_team, switcher};
use crate::models::deploys::WaitingReview;
use crate::models::{PlatformAction, TeamAction, Viewer};

#[component]
/// `waiting`: the deploys that wait for the viewer's review.
pub fn Header(viewer: Viewer, waiting: Vec<WaitingReview>) -> impl IntoView {
    let location = use_location();
    let markup = move || {
        location
            .pathname
            .with(|path| header_html(&viewer, &waiting, path))
    };
    view! { <header class="site-header" inner_html=markup on:click=close_menus></header> }
}

/// A link chosen in one of the header's menus closes it: the page may not change (the
/// current team chosen again), and then the header is not written again. The header is
/// found from the link, not from the event's current target, which leptos does not set when
/// it delegates events.
fn close_menus(event: leptos::ev::MouseEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let link = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            .and_then(|element| element.closest("a").ok().flatten());
        let header = link
            .as_ref()
            .and_then(|link| link.closest("header.site-header").ok().flatten());
        if let Some(header) = header
            && let Ok(open) = header.query_selector_all("details[open]")
        {
            for index in 0..open.length() {
                if let Some(menu) = open
                    .item(index)
                    .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                {
                    let _ = menu.remove_attribute("open");
                }
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = event;
}

/// The header's content for `viewer` on `path`.
pub fn header_html(viewer: &Viewer, waiting: &[WaitingReview], path: &str) -> String {
    let team = current_team(path);
    // The platform's audit log for those who read all of it; otherwise the current team's,
    // for its admins. Likewise who holds which role.
    let audit = if viewer.can_platform(PlatformAction::ViewAudit) {
        Some("/platform/audit".to_string())
    } else {
        team.as_deref()
            .filter(|team| viewer.can(team, TeamAction::ViewTeamAudit))
            .map(|team| format!("{}/audit", crate::paths::team(team)))
    };
    let access = if viewer.can_platform(PlatformAction::ViewAccess) {
        Some("/platform/access".to_string())
    } else {
        team.as_deref()
            .filter(|team| viewer.can(team, TeamAction::ViewMembers))
            .map(crate::paths::team_access)
    };
    // A team's approvers see what waits for them.
    let review_queue = match waiting {
        [] => None,
        [one] => Some(crate::paths::deploy(&one.team, one.id)),
        [first, ..] => Some(crate::paths::deploys(&first.team)),
    };
    html! {
        a.brand href="/" { "Hangar" }
        (switcher(viewer, path))
        @if let Some(href) = review_queue {
            a.nav-link.review-queue href=(href) data-testid="review-queue" data-count=(waiting.len()) {
                (waiting.len()) " waiting for your review"
            }
        }
        @if viewer.can_platform(PlatformAction::ViewOverview) {
            a.nav-link href="/platform" { "Platform" }
        }
        @if let Some(href) = audit {
            a.nav-link href=(href) data-testid="audit-link" { "Audit log" }
        }
        @if let Some(href) = access {
            a.nav-link href=(href) data-testid="access-link" { "Access" }
        }
        details.menu.user-menu data-testid="user-menu" {
            summary { (viewer.display_name) }
            div.menu-body {
                p.user-name { (viewer.display_name) }
                p.user-email { (viewer.email.as_deref().unwrap_or_default()) }
                p { a href="/profile" data-testid="profile-link" { "Your profile and signing keys" } }
                p { a href="/settings" data-testid="settings-link" { "Settings" } }
                form method="post" action="/auth/logout" {
                    button type="submit" data-testid="logout" { "Sign out" }
                }
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{PlatformRole, TeamGrant, TeamMembership, TeamRole};

    fn member(team: &str, display_name: &str, role: TeamRole) -> TeamMembership {
        TeamMembership {
            team: team.into(),
            display_name: display_name.into(),
            grant: TeamGrant {
                role: Some(role),
                platform: None,
            },
        }
    }

    fn carol() -> Viewer {
        Viewer {
            display_name: "Carol Crosswise".into(),
            email: Some("carol@example.com".into()),
            platform_role: None,
            teams: vec![
                member("team_a", "Team A", TeamRole::Author),
                member("team_b", "Team B", TeamRole::Admin),
            ],
        }
    }

    /// The `<a …>` tag that carries `attribute`, if any.
    fn link_with<'a>(html: &'a str, attribute: &str) -> Option<&'a str> {
        let at = html.find(attribute)?;
        let start = html[..at].rfind("<a ")?;
        Some(&html[start..at + html[at..].find('>')?])
    }

    #[test]
    fn what_people_and_the_configuration_name_is_text_never_markup() {
        let viewer = Viewer {
            display_name: "<img src=x onerror=alert(1)>".into(),
            email: Some("\"><script>alert(2)</script>@example.com".into()),
            platform_role: None,
            teams: vec![member("t\"x", "<b>Team</b> & co", TeamRole::Viewer)],
        };
        let html = header_html(&viewer, &[], "/t/t%22x");
        assert!(
            !html.contains("<img") && !html.contains("<script") && !html.contains("<b>"),
            "{html}"
        );
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        assert!(
            html.contains("&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;@example.com"),
            "{html}"
        );
        assert!(html.contains("&lt;b&gt;Team&lt;/b&gt; &amp; co"), "{html}");
        // An attribute is never ended early: the team's name is quoted in data-team and
        // encoded in the path.
        assert!(html.contains("data-team=\"t&quot;x\""), "{html}");
        assert!(html.contains("href=\"/t/t%22x\""), "{html}");
    }

    #[test]
    fn the_switcher_marks_the_current_team_and_keeps_the_page() {
        let html = header_html(&carol(), &[], "/t/team_b/pools");
        assert!(html.contains("<summary>Team B · admin</summary>"), "{html}");
        let a = link_with(&html, "data-team=\"team_a\"").unwrap();
        let b = link_with(&html, "data-team=\"team_b\"").unwrap();
        assert!(
            a.contains("href=\"/t/team_a/pools\"") && !a.contains("aria-current"),
            "{a}"
        );
        assert!(
            b.contains("href=\"/t/team_b/pools\"") && b.contains("aria-current=\"page\""),
            "{b}"
        );
        let elsewhere = header_html(&carol(), &[], "/settings");
        assert!(
            elsewhere.contains("<summary>Choose a team</summary>"),
            "{elsewhere}"
        );
        assert!(!elsewhere.contains("aria-current"), "{elsewhere}");
        // A team the viewer holds no grant in is not theirs to name.
        let foreign = header_html(&carol(), &[], "/t/team_c");
        assert!(
            foreign.contains("<summary>Choose a team</summary>") && !foreign.contains("team_c"),
            "{foreign}"
        );
    }

    #[test]
    fn audit_and_access_links_follow_the_grant_in_the_current_team() {
        // An admin of team_b sees team_b's; an author of team_a sees none.
        let in_b = header_html(&carol(), &[], "/t/team_b");
        assert!(
            link_with(&in_b, "data-testid=\"audit-link\"")
                .unwrap()
                .contains("href=\"/t/team_b/audit\"")
        );
        assert!(
            link_with(&in_b, "data-testid=\"access-link\"")
                .unwrap()
                .contains("href=\"/t/team_b/access\"")
        );
        assert!(!in_b.contains("href=\"/platform\""), "{in_b}");
        let in_a = header_html(&carol(), &[], "/t/team_a/dags");
        assert!(
            !in_a.contains("audit-link") && !in_a.contains("access-link"),
            "{in_a}"
        );
        // Platform admins read every team's, from anywhere.
        let admin = Viewer {
            platform_role: Some(PlatformRole::Admin),
            ..carol()
        };
        let html = header_html(&admin, &[], "/t/team_a");
        assert!(
            link_with(&html, "data-testid=\"audit-link\"")
                .unwrap()
                .contains("href=\"/platform/audit\"")
        );
        assert!(
            link_with(&html, "data-testid=\"access-link\"")
                .unwrap()
                .contains("href=\"/platform/access\"")
        );
        assert!(
            html.contains("<a class=\"nav-link\" href=\"/platform\">Platform</a>"),
            "{html}"
        );
    }

    #[test]
    fn the_review_queue_leads_to_the_one_request_or_the_list() {
        assert!(!header_html(&carol(), &[], "/").contains("review-queue"));
        let one = [WaitingReview {
            team: "team_b".into(),
            id: 7,
        }];
        let html = header_html(&carol(), &one, "/");
        let link = link_with(&html, "data-testid=\"review-queue\"").unwrap();
        assert!(
            link.contains("href=\"/t/team_b/deploys/7\"") && link.contains("data-count=\"1\""),
            "{link}"
        );
        assert!(html.contains(">1 waiting for your review</a>"), "{html}");
        let two = [
            WaitingReview {
                team: "team_b".into(),
                id: 7,
            },
            WaitingReview {
                team: "team_a".into(),
                id: 9,
            },
        ];
        let html = header_html(&carol(), &two, "/");
        let link = link_with(&html, "data-testid=\"review-queue\"").unwrap();
        assert!(
            link.contains("href=\"/t/team_b/deploys\"") && link.contains("data-count=\"2\""),
            "{link}"
        );
    }
}
