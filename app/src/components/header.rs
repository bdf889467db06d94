//! The header on every page: product name, team switcher, platform link, how many deploys
//! wait for the viewer's review, user menu (with their profile).

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use super::team_switcher::{TeamSwitcher, current_team};
use crate::models::deploys::WaitingReview;
use crate::models::{PlatformAction, TeamAction, Viewer};

#[component]
/// `waiting`: the deploys that wait for the viewer's review.
pub fn Header(viewer: Viewer, waiting: Vec<WaitingReview>) -> impl IntoView {
    let platform = viewer.can_platform(PlatformAction::ViewOverview);
    let email = viewer.email.clone().unwrap_or_default();
    // The platform's audit log for those who read all of it; otherwise the current team's,
    // for its admins.
    let platform_audit = viewer.can_platform(PlatformAction::ViewAudit);
    let platform_access = viewer.can_platform(PlatformAction::ViewAccess);
    let location = use_location();
    let audit_viewer = viewer.clone();
    let access_viewer = viewer.clone();
    // Likewise who holds which role: every team's, or the current team's for its admins.
    let access_link = move || {
        if platform_access {
            return Some("/platform/access".to_string());
        }
        current_team(&location.pathname.get())
            .filter(|team| access_viewer.can(team, TeamAction::ViewMembers))
            .map(|team| crate::paths::team_access(&team))
    };
    let audit_link = move || {
        if platform_audit {
            return Some("/platform/audit".to_string());
        }
        current_team(&location.pathname.get())
            .filter(|team| audit_viewer.can(team, TeamAction::ViewTeamAudit))
            .map(|team| format!("{}/audit", crate::paths::team(&team)))
    };

    // A team's approvers see what waits for them.
    let review_queue = match waiting.as_slice() {
        [] => None,
        [one] => Some(crate::paths::deploy(&one.team, one.id)),
        [first, ..] => Some(crate::paths::deploys(&first.team)),
    }
    .map(|href| {
        view! {
            <a class="nav-link review-queue" href=href data-testid="review-queue" data-count=waiting.len().to_string()>
                {format!("{} waiting for your review", waiting.len())}
            </a>
        }
    });
    view! {
        <header class="site-header">
            <a class="brand" href="/">"Hangar"</a>
            <TeamSwitcher viewer=viewer.clone()/>
            {review_queue}
            {platform.then(|| view! { <a class="nav-link" href="/platform">"Platform"</a> })}
            {move || audit_link().map(|href| view! { <a class="nav-link" href=href data-testid="audit-link">"Audit log"</a> })}
            {move || access_link().map(|href| view! { <a class="nav-link" href=href data-testid="access-link">"Access"</a> })}
            <details class="menu user-menu" data-testid="user-menu">
                <summary>{viewer.display_name.clone()}</summary>
                <div class="menu-body">
                    <p class="user-name">{viewer.display_name.clone()}</p>
                    <p class="user-email">{email}</p>
                    <p><a href="/profile" data-testid="profile-link">"Your profile and signing keys"</a></p>
                    <p><a href="/settings" data-testid="settings-link">"Settings"</a></p>
                    <form method="post" action="/auth/logout">
                        <button type="submit" data-testid="logout">"Sign out"</button>
                    </form>
                </div>
            </details>
        </header>
    }
}
