//! `/`: the user's teams. The server sends users with a remembered team straight there.

use leptos::prelude::*;

use crate::components::ErrorView;
use crate::routes::Frame;

#[component]
pub fn TeamPicker() -> impl IntoView {
    // Who is signed in comes with the page's frame, read once for the header and this list.
    let Frame(frame) = expect_context::<Frame>();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading your teams…"</p> }>
            {move || Suspend::new(async move {
                match frame.await.map(|frame| frame.viewer) {
                    Ok(viewer) if viewer.teams.is_empty() => view! {
                        <section class="notice">
                            <h1>"No team yet"</h1>
                            <p>
                                "Your identity provider groups give you no role in any Hangar team. "
                                "Ask your platform team to add you to a team's group."
                            </p>
                        </section>
                    }.into_any(),
                    Ok(viewer) => view! {
                        <section>
                            <h1>"Your teams"</h1>
                            <ul class="team-cards">
                                {viewer.teams.into_iter().map(|m| view! {
                                    <li>
                                        <a class="card" href=format!("/t/{}", m.team)>
                                            <strong>{m.display_name}</strong>
                                            <span class="role">{m.grant.describe()}</span>
                                        </a>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
