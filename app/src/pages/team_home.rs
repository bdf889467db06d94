//! `/t/{team}`: the team, the user's role in it, and what that role may do.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::ErrorView;
use crate::functions::team::{TeamHome, get_team_home};
use crate::models::TeamAction;

#[component]
pub fn TeamHomePage() -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let home = Resource::new(team, get_team_home);
    let deploys = Resource::new(team, crate::functions::deploys::get_team_deploys);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the team…"</p> }>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(home) => view! { <TeamHomeView home/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                deploys.await.ok().filter(|d| d.configured).map(|overview| view! { <Deployed overview/> })
            })}
        </Suspense>
    }
}

/// What each deploy target of the team holds, read from the target itself.
#[component]
fn Deployed(overview: crate::models::deploys::DeployOverview) -> impl IntoView {
    let rows = overview
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
    let href = crate::paths::deploys(&overview.team);
    view! {
        <section class="team-deployed">
            <h2>"Deployed"</h2>
            <table class="deploy-targets"><tbody>{rows}</tbody></table>
            <p><a href=href>"Deploys and history"</a></p>
        </section>
    }
}

#[component]
fn TeamHomeView(home: TeamHome) -> impl IntoView {
    let membership = home.membership;
    let execution = home.execution;
    let grant = membership.grant;
    // Filtering is an enhancement: without JavaScript every row shows with its mark, and the
    // control stays disabled until the page has hydrated (browser tests rely on that).
    let only_allowed = RwSignal::new(false);
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let rows = TeamAction::ALL
        .into_iter()
        .map(|action| {
            let allowed = grant.allows(action);
            view! {
                <tr class:allowed=allowed data-action=format!("{action:?}")>
                    <td class="mark">{if allowed { "✓" } else { "—" }}</td>
                    <td>{action.label()}</td>
                    <td class="min-role">{action.min_role().as_str()}</td>
                </tr>
            }
        })
        .collect_view();
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
                <tbody>{rows}</tbody>
            </table>
            <section class="team-execution" data-testid="team-execution">
                <h2>"Where tasks run"</h2>
                <crate::components::ExecutionView execution/>
            </section>
        </section>
    }
}
