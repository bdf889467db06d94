//! `/settings`: a person's own settings — the time zone every page shows times in (the
//! browser's own by default; without JavaScript, UTC or the zone fixed here).

use leptos::prelude::*;

use crate::components::{ErrorView, Time};
use crate::functions::settings::{SaveTimeZone, get_settings};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveTimeZone>::new();
    let settings = Resource::new(move || save.version().get(), |_| get_settings());
    view! {
        <section class="settings">
            <h1>"Settings"</h1>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(page) => {
                            let current = page.time_zone.clone().unwrap_or_default();
                            let options = page
                                .time_zones
                                .into_iter()
                                .map(|zone| {
                                    let selected = zone == current;
                                    view! { <option value=zone.clone() selected=selected>{zone.clone()}</option> }
                                })
                                .collect_view();
                            let now = Some(crate::time_text::now_rfc3339());
                            view! {
                                <h2>"Time zone"</h2>
                                <p class="muted">"Times show in your browser's time zone, or in the one you fix here. Without JavaScript they show in UTC, or in the zone fixed here."</p>
                                <ActionForm action=save attr:class="settings-form">
                                    <input type="hidden" name="return_to" value="/settings"/>
                                    <label>"Show times in "
                                        <select name="zone" data-testid="time-zone">
                                            <option value="" selected=current.is_empty()>"my browser's time zone"</option>
                                            {options}
                                        </select>
                                    </label>
                                    <button type="submit" data-testid="save-time-zone">"Save"</button>
                                </ActionForm>
                                <p>"It is now " <Time at=now/> "."</p>
                                {move || save.value().get().and_then(|r| r.err()).map(|error| view! {
                                    <p class="notice error" role="alert">{error.to_string()}</p>
                                })}
                            }
                            .into_any()
                        }
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
