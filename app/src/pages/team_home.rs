//! `/t/{team}`: the team, the user's role in it, and what that role may do.

use leptos::prelude::*;
#[cfg(feature = "ssr")]
use maud::{Markup, html};

use crate::components::ErrorView;
use crate::components::team_nav::TeamNav;
#[cfg(feature = "ssr")]
use crate::functions::team::TeamHome;
use crate::functions::team::TeamHomeHtml;
#[cfg(feature = "ssr")]
use crate::models::TeamAction;
#[cfg(feature = "ssr")]
use crate::models::deploys::DeployedNow;
use crate::routes::Frame;

#[component]
pub fn TeamHomePage() -> impl IntoView {
    // The page comes with the frame (`PageFrame::team_home`), read for the path the frame
    // was read for: a load of its own was a second resource and server call per render.
    // Awaited by a `Suspend` without a `Suspense` around it: the server waits for it all the
    // same (the page is rendered whole, `render_app_async`), the browser hydrates it from the
    // frame's answer in the page, and a boundary of its own cost the team page 5-8 % of its
    // throughput (held A/B, docs/benchmarks.md). While a navigation reads the frame again
    // nothing shows here; the header's `Transition` keeps the header.
    let Frame(frame) = expect_context::<Frame>();
    view! {
        {move || Suspend::new(async move {
            match frame.await.map(|frame| frame.team_home) {
                Ok(Some(Ok(home))) => view! { <TeamHomeView home/> }.into_any(),
                Ok(Some(Err(error))) | Err(error) => view! { <ErrorView error/> }.into_any(),
                // A frame read for another path, while a navigation reads it again.
                Ok(None) => view! { <p class="loading">"Loading the team…"</p> }.into_any(),
            }
        })}
    }
}

/// The home's sections as HTML text, written on the server (maud, escaping by default) from
/// what its door read: the frame carries text, so the bundle every page loads holds no
/// reader of the home's data and the page's chunk no writer of its HTML.
#[cfg(feature = "ssr")]
pub fn team_home_html(home: TeamHome) -> TeamHomeHtml {
    let TeamHome {
        membership,
        execution,
        deployed,
    } = home;
    let grant = membership.grant;
    TeamHomeHtml {
        sections: html! {
            div.team-home-intro {
                h1 { (membership.display_name) }
                p.team-role { "Your role: " strong data-testid="team-role" { (grant.describe()) } }
                h2 { "What you can do here" }
            }
            // Disabled as written: the browser enables it once the page has hydrated
            // (`take_over_filter`), so without JavaScript it stays inert and every row shows.
            label.toggle {
                input type="checkbox" data-testid="only-allowed" disabled;
                " Only what I can do"
            }
            table.permissions { (permissions_html(grant)) }
            section.team-execution data-testid="team-execution" {
                h2 { "Where tasks run" }
                (crate::components::execution::execution_html(&execution))
            }
        }
        .into_string(),
        deployed: deployed.map(|deployed| deployed_html(&membership.team, &deployed)),
        team: membership.team,
    }
}

/// What each deploy target of the team holds, read from the target itself.
#[cfg(feature = "ssr")]
fn deployed_html(team: &str, deployed: &DeployedNow) -> String {
    html! {
        h2 { "Deployed" }
        @if let Some(problem) = &deployed.problem {
            p.notice.error role="alert" { (problem) }
        }
        table.deploy-targets { tbody {
            @for target in &deployed.targets {
                tr {
                    td { (target.name) }
                    td { code data-testid="home-deployed" {
                        (target.commit.as_deref().map(crate::models::deploys::short_sha).unwrap_or("nothing yet"))
                    } }
                }
            }
        } }
        p { a href=(crate::paths::deploys(team)) { "Deploys and history" } }
    }
    .into_string()
}

/// The permission table's head and rows for `grant`. The text depends on the grant alone,
/// and grants are few (each team role or none, with each platform role or none): each is
/// written once per server, not at every visit of every team's home, where writing it was
/// most of the cost of the home's text (docs/benchmarks.md).
#[cfg(feature = "ssr")]
fn permissions_html(grant: crate::models::TeamGrant) -> Markup {
    use crate::models::{PlatformRole, TeamGrant, TeamRole};
    static WRITTEN: std::sync::LazyLock<Vec<(TeamGrant, Markup)>> =
        std::sync::LazyLock::new(|| {
            let roles = TeamRole::ALL.map(Some).into_iter().chain([None]);
            roles
                .flat_map(|role| {
                    let platforms = PlatformRole::ALL.map(Some).into_iter().chain([None]);
                    platforms.map(move |platform| TeamGrant { role, platform })
                })
                .map(|grant| (grant, permission_table_html(grant)))
                .collect()
        });
    WRITTEN
        .iter()
        .find(|(written, _)| *written == grant)
        .map_or_else(|| permission_table_html(grant), |(_, html)| html.clone())
}

#[cfg(feature = "ssr")]
fn permission_table_html(grant: crate::models::TeamGrant) -> Markup {
    html! {
        thead { tr { th {} th { "Action" } th { "Lowest team role" } } }
        tbody { (permission_rows_html(grant)) }
    }
}

/// The permission table's rows: what `grant` allows marked, the rest shown as not.
#[cfg(feature = "ssr")]
fn permission_rows_html(grant: crate::models::TeamGrant) -> Markup {
    html! {
        @for action in TeamAction::ALL {
            @let allowed = grant.allows(action);
            tr class=[allowed.then_some("allowed")] data-action=(format!("{action:?}")) {
                td.mark { (if allowed { "✓" } else { "—" }) }
                td { (action.label()) }
                td.min-role { (action.min_role().as_str()) }
            }
        }
    }
}

/// The home: its sections as the server wrote them, and the one control that reacts, the
/// filter. As views, its hundred-odd elements and their hydration markers were most of the
/// team page's own server time; the filter's label, box and table as views still cost the
/// page a few percent (`docs/benchmarks.md`), so they are text too, and the browser gives
/// the box its reaction: one handler on the section (`filter_rows`).
#[component]
fn TeamHomeView(home: TeamHomeHtml) -> impl IntoView {
    let TeamHomeHtml {
        team,
        sections,
        deployed,
    } = home;
    let deployed = deployed.map(|deployed| {
        view! { <section class="team-deployed" inner_html=deployed></section> }
    });
    let Frame(frame) = expect_context::<Frame>();
    let section = NodeRef::<leptos::html::Section>::new();
    // Runs in the browser only, once the home is on the page (hydrated or written anew).
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(section) = section.get() {
            // The hydration data carries the home's shape, not its text (`FrameCodec`):
            // hydrating keeps the server's HTML. Should the home ever be written from that
            // shape instead, it would be empty; it asks for its text then.
            if section.child_element_count() == 0 {
                frame.refetch();
            }
            take_over_filter(&section);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (section, frame);
    });
    // The filter's reaction: the table gets `only-allowed` while the box is checked, and the
    // stylesheet hides the rows not allowed.
    let filter_rows = move |_: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        if let Some(section) = section.get() {
            apply_filter(&section);
        }
    };
    view! {
        <TeamNav team=team.clone() current="home"/>
        <section class="team-home" data-team=team node_ref=section on:change=filter_rows inner_html=sections></section>
        {deployed}
    }
}

/// The filter works once the page runs: its box is enabled here, not in the HTML (browser
/// tests rely on that), and the table follows the box as the browser may have restored it
/// (going back, reloading).
#[cfg(feature = "hydrate")]
fn take_over_filter(section: &web_sys::Element) {
    if let Ok(Some(filter)) = section.query_selector("[data-testid=only-allowed]") {
        let _ = filter.remove_attribute("disabled");
    }
    apply_filter(section);
}

/// Shows the permission table of `section` filtered as its box says.
#[cfg(feature = "hydrate")]
fn apply_filter(section: &web_sys::Element) {
    use wasm_bindgen::JsCast;
    let filter = section
        .query_selector("[data-testid=only-allowed]")
        .ok()
        .flatten()
        .and_then(|filter| filter.dyn_into::<web_sys::HtmlInputElement>().ok());
    let table = section.query_selector("table.permissions").ok().flatten();
    if let (Some(filter), Some(table)) = (filter, table) {
        let _ = table
            .class_list()
            .toggle_with_force("only-allowed", filter.checked());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{PlatformRole, TeamGrant, TeamRole};

    #[test]
    fn the_permission_rows_mark_what_the_grant_allows_and_nothing_else() {
        let grant = TeamGrant {
            role: Some(TeamRole::Operator),
            platform: None,
        };
        let html = permissions_html(grant).into_string();
        let body = html.split("<tbody>").nth(1).expect("a body");
        let rows: Vec<&str> = body.split("<tr").skip(1).collect();
        assert_eq!(rows.len(), TeamAction::ALL.len());
        for (row, action) in rows.iter().zip(TeamAction::ALL) {
            assert!(
                row.contains(&format!("data-action=\"{action:?}\"")),
                "{row}"
            );
            assert_eq!(
                row.starts_with(" class=\"allowed\""),
                grant.allows(action),
                "{row}"
            );
            assert_eq!(row.contains("✓"), grant.allows(action), "{row}");
            assert!(row.contains(action.min_role().as_str()), "{row}");
        }
        // An operator may do some things and not others: both kinds of row are there.
        assert!(html.contains("class=\"allowed\"") && html.contains("—"));
    }

    #[test]
    fn each_grant_reads_the_table_written_for_it() {
        let roles = TeamRole::ALL.map(Some).into_iter().chain([None]);
        for role in roles {
            for platform in PlatformRole::ALL.map(Some).into_iter().chain([None]) {
                let grant = TeamGrant { role, platform };
                assert_eq!(
                    permissions_html(grant).into_string(),
                    permission_table_html(grant).into_string(),
                    "{grant:?}"
                );
            }
        }
        let viewer = TeamGrant {
            role: Some(TeamRole::Viewer),
            platform: None,
        };
        let admin = TeamGrant {
            role: Some(TeamRole::Admin),
            platform: None,
        };
        assert_ne!(
            permissions_html(viewer).into_string(),
            permissions_html(admin).into_string()
        );
    }
}
