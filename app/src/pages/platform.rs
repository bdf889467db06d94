//! `/platform`: every team, for platform admins and auditors.

use leptos::prelude::*;

use crate::components::ErrorView;
use crate::functions::platform::get_platform_teams;

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
                        </section>
                    }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
