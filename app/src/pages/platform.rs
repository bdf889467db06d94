//! `/platform`: every team, and the break-glass deploys awaiting review, for platform
//! admins and auditors.

use leptos::prelude::*;

use crate::components::ErrorView;
use crate::functions::platform::get_platform_teams;
use crate::models::deploys::{AwaitingReview, short_sha, utc_minute};
use crate::pages::deploys::StatusBadge;
use crate::paths;

#[component]
pub fn PlatformPage() -> impl IntoView {
    let teams = Resource::new(|| (), |_| get_platform_teams());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading teams…"</p> }>
            {move || Suspend::new(async move {
                match teams.await {
                    Ok(platform) => view! {
                        <section>
                            <h1>"Platform"</h1>
                            <table class="teams" data-testid="platform-teams">
                                <thead><tr><th>"Team"</th><th>"Name"</th><th></th></tr></thead>
                                <tbody>
                                    {platform.teams.into_iter().map(|m| view! {
                                        <tr>
                                            <td><code>{m.team.clone()}</code></td>
                                            <td>{m.display_name}</td>
                                            <td><a href=format!("/t/{}", m.team)>"Open"</a></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <BreakGlassAwaitingReview deploys=platform.awaiting_review/>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Deploys that skipped review: each stays here until someone other than its deployer
/// reviews it on its approval screen.
#[component]
fn BreakGlassAwaitingReview(deploys: Vec<AwaitingReview>) -> impl IntoView {
    let body = if deploys.is_empty() {
        view! { <p class="muted" data-testid="no-break-glass">"None: every break-glass deploy has been reviewed."</p> }.into_any()
    } else {
        let rows = deploys
            .into_iter()
            .map(|deploy| {
                let href = paths::deploy(&deploy.team, deploy.summary.id);
                let when = utc_minute(deploy.summary.deployed_ms.unwrap_or(deploy.summary.created_ms));
                view! {
                    <tr data-team=deploy.team.clone()>
                        <td><code>{deploy.team.clone()}</code></td>
                        <td><a href=href>{format!("#{}", deploy.summary.id)}</a></td>
                        <td><code title=deploy.summary.candidate.clone()>{short_sha(&deploy.summary.candidate).to_string()}</code></td>
                        <td>{deploy.summary.requested_by()}</td>
                        <td>{when}</td>
                        <td class="reason">{deploy.reason}</td>
                        <td><StatusBadge summary=deploy.summary/></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="break-glass-awaiting" data-testid="break-glass-awaiting">
                <thead><tr><th>"Team"</th><th>"Deploy"</th><th>"Commit"</th><th>"Deployed by"</th><th>"When"</th><th>"Reason"</th><th>"Status"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }.into_any()
    };
    view! {
        <h2>"Break-glass deploys awaiting review"</h2>
        {body}
    }
}
