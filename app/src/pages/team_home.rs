//! `/t/{team}`: the team, the user's role in it, and what that role may do.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::ErrorView;
use crate::functions::team::{TeamHome, get_team_home};
use crate::models::TeamAction;
use crate::models::deploys::DeployedNow;

#[component]
pub fn TeamHomePage() -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    // One load for the whole page: each resource costs a suspense boundary and its own
    // serialised answer per render (a second one for the deploy targets cost the page 15 %
    // of its throughput, docs/benchmarks.md).
    let home = Resource::new(team, get_team_home);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the team…"</p> }>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(home) => view! { <TeamHomeView home/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What each deploy target of the team holds, read from the target itself.
#[component]
fn Deployed(team: String, deployed: DeployedNow) -> impl IntoView {
    let rows = deployed
        .targets
        .into_iter()
        .map(|target| {
            let commit = target
                .commit
                .as_deref()
                .map(crate::models::deploys::short_sha)
                .unwrap_or("nothing yet")
                .to_string();
            view! { <tr><td>{target.name}</td><td><code data-testid="home-deployed">{commit}</code></td></tr> }
        })
        .collect_view();
    let problem = deployed
        .problem
        .map(|problem| view! { <p class="notice error" role="alert">{problem}</p> });
    let href = crate::paths::deploys(&team);
    view! {
        <section class="team-deployed">
            <h2>"Deployed"</h2>
            {problem}
            <table class="deploy-targets"><tbody>{rows}</tbody></table>
            <p><a href=href>"Deploys and history"</a></p>
        </section>
    }
}

/// The permission table's rows as HTML text: as views, fourteen static rows per page were
/// most of the team home's own render time (`docs/benchmarks.md`), and nothing in them is
/// reactive (the filter is one class on the table).
fn permission_rows_html(grant: crate::models::TeamGrant) -> String {
    let mut out = String::with_capacity(2048);
    for action in TeamAction::ALL {
        let allowed = grant.allows(action);
        out.push_str(if allowed {
            "<tr class=\"allowed\" data-action=\""
        } else {
            "<tr data-action=\""
        });
        crate::html::escape_into(&mut out, &format!("{action:?}"));
        out.push_str("\"><td class=\"mark\">");
        out.push_str(if allowed { "✓" } else { "—" });
        out.push_str("</td><td>");
        crate::html::escape_into(&mut out, action.label());
        out.push_str("</td><td class=\"min-role\">");
        crate::html::escape_into(&mut out, action.min_role().as_str());
        out.push_str("</td></tr>");
    }
    out
}

#[component]
fn TeamHomeView(home: TeamHome) -> impl IntoView {
    let membership = home.membership;
    let execution = home.execution;
    let deployed = home.deployed.map(|deployed| {
        view! { <Deployed team=membership.team.clone() deployed/> }
    });
    let grant = membership.grant;
    // Filtering is an enhancement: without JavaScript every row shows with its mark, and the
    // control stays disabled until the page has hydrated (browser tests rely on that).
    let only_allowed = RwSignal::new(false);
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let rows = permission_rows_html(grant);
    view! {
        <crate::components::team_nav::TeamNav team=membership.team.clone() current="home"/>
        <section class="team-home" data-team=membership.team.clone()>
            <h1>{membership.display_name.clone()}</h1>
            <p class="team-role">
                "Your role: " <strong data-testid="team-role">{grant.describe()}</strong>
            </p>
            <h2>"What you can do here"</h2>
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
            <table class="permissions" class:only-allowed=move || only_allowed.get()>
                <thead>
                    <tr><th></th><th>"Action"</th><th>"Lowest team role"</th></tr>
                </thead>
                <tbody inner_html=rows></tbody>
            </table>
            <section class="team-execution" data-testid="team-execution">
                <h2>"Where tasks run"</h2>
                <crate::components::ExecutionView execution/>
            </section>
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
        let html = permission_rows_html(grant);
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
