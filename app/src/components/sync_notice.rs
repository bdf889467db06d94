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

/// A run or task state as a coloured label, its meaning on hover.
#[component]
pub fn StateBadge(state: String) -> impl IntoView {
    let (label, meaning) = badge_text(&state);
    view! {
        <span class=format!("state-badge state-{state}") data-state=state.clone() title=meaning>{label}</span>
    }
}

/// [`StateBadge`] as HTML text, for rows the server writes as text (`run_rows`).
pub fn write_state_badge(out: &mut String, state: &str) {
    let (label, meaning) = badge_text(state);
    out.push_str("<span class=\"state-badge state-");
    crate::html::escape_into(out, state);
    out.push_str("\" data-state=\"");
    crate::html::escape_into(out, state);
    out.push_str("\" title=\"");
    crate::html::escape_into(out, meaning);
    out.push_str("\">");
    crate::html::escape_into(out, &label);
    out.push_str("</span>");
}

/// A state's label and its meaning on hover (a state Airflow adds later: its own name).
fn badge_text(state: &str) -> (String, &'static str) {
    let info = crate::models::states::state_info(state);
    let label = if info.name == state {
        info.label.to_string()
    } else {
        state.replace('_', " ")
    };
    (label, info.meaning)
}

/// Every task state with its colour and what it means.
#[component]
pub fn StateLegend() -> impl IntoView {
    let entries = crate::models::states::TASK_STATES
        .iter()
        .map(|s| {
            view! {
                <li data-state=s.name>
                    <span class=format!("swatch state-{}", s.name)></span>
                    <span class="legend-label">{s.label}</span>
                    <span class="muted">" — " {s.meaning}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="legend" data-testid="state-legend">
            <summary>"What the colours mean"</summary>
            <ul>{entries}</ul>
        </details>
    }
}
