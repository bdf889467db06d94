//! The header on every page: product name, team switcher, platform link, user menu.

use leptos::prelude::*;

use super::team_switcher::TeamSwitcher;
use crate::models::{PlatformAction, Viewer};

#[component]
pub fn Header(viewer: Viewer) -> impl IntoView {
    let platform = viewer.can_platform(PlatformAction::ViewOverview);
    let email = viewer.email.clone().unwrap_or_default();

    view! {
        <header class="site-header">
            <a class="brand" href="/">"Hangar"</a>
            <TeamSwitcher viewer=viewer.clone()/>
            {platform.then(|| view! { <a class="nav-link" href="/platform">"Platform"</a> })}
            <details class="menu user-menu" data-testid="user-menu">
                <summary>{viewer.display_name.clone()}</summary>
                <div class="menu-body">
                    <p class="user-name">{viewer.display_name.clone()}</p>
                    <p class="user-email">{email}</p>
                    <form method="post" action="/auth/logout">
                        <button type="submit" data-testid="logout">"Sign out"</button>
                    </form>
                </div>
            </details>
        </header>
    }
}
