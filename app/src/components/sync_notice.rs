//! "Data as of HH:MM:SS UTC — environment unreachable": shown above lists read from the
//! read model while an environment's sync is failing or has not run yet.

use leptos::prelude::*;

use crate::models::SyncNotice;

#[component]
pub fn SyncNotices(notices: Vec<SyncNotice>) -> impl IntoView {
    notices
        .into_iter()
        .filter_map(|notice| {
            let text = match (&notice.as_of, &notice.error) {
                (None, None) => format!("{}: not synced yet", notice.environment),
                (Some(_), None) => return None,
                (Some(at), Some(error)) => format!("Data as of {at} — {error}"),
                (None, Some(error)) => format!("No data yet — {error}"),
            };
            Some(view! { <p class="notice warning" role="status" data-testid="sync-notice">{text}</p> })
        })
        .collect_view()
}

/// A run or task state as a coloured label.
#[component]
pub fn StateBadge(state: String) -> impl IntoView {
    view! { <span class=format!("state-badge state-{state}") data-state=state.clone()>{state.replace('_', " ")}</span> }
}
