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
        intro: html! {
            h1 { (membership.display_name) }
            p.team-role { "Your role: " strong data-testid="team-role" { (grant.describe()) } }
            h2 { "What you can do here" }
        }
        .into_string(),
        permissions: html! {
            thead { tr { th {} th { "Action" } th { "Lowest team role" } } }
            tbody { (permission_rows_html(grant)) }
        }
        .into_string(),
        execution: html! { h2 { "Where tasks run" } (crate::components::execution::execution_html(&execution)) }
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

/// The home's HTML around the one control that reacts, the filter: as views, its
/// hundred-odd elements and their hydration markers were most of the team page's own server
/// time (`docs/benchmarks.md`), and nothing else in it changes once it is shown.
#[component]
fn TeamHomeView(home: TeamHomeHtml) -> impl IntoView {
    let TeamHomeHtml {
        team,
        intro,
        permissions,
        execution,
        deployed,
    } = home;
    let deployed = deployed.map(|deployed| {
        view! { <section class="team-deployed" inner_html=deployed></section> }
    });
    // Filtering is an enhancement: without JavaScript every row shows with its mark, and the
    // control stays disabled until the page has hydrated (browser tests rely on that).
    let only_allowed = RwSignal::new(false);
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <TeamNav team=team.clone() current="home"/>
        <section class="team-home" data-team=team>
            <div class="team-home-intro" inner_html=intro></div>
            <label class="toggle">
                <input
                    type="checkbox"
                    data-testid="only-allowed"
                    disabled=move || !hydrated.get()
                    prop:checked=move || only_allowed.get()
                    on:change=move |ev| only_allowed.set(event_target_checked(&ev))
                />
                " Only what I can do"
            </label>
            // One reactive class; the stylesheet hides the rows not allowed.
            <table class="permissions" class:only-allowed=move || only_allowed.get() inner_html=permissions></table>
            <section class="team-execution" data-testid="team-execution" inner_html=execution></section>
        </section>
        {deployed}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{TeamGrant, TeamRole};

    #[test]
    fn the_permission_rows_mark_what_the_grant_allows_and_nothing_else() {
        let grant = TeamGrant {
            role: Some(TeamRole::Operator),
            platform: None,
        };
        let html = permission_rows_html(grant).into_string();
        let rows: Vec<&str> = html.split("<tr").skip(1).collect();
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
}
