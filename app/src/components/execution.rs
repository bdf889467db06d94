//! Where a team's tasks run: the set-up the platform declares for it, and the executors,
//! queues and hosts its task instances used in the last 24 hours (team home and `/platform`).

use leptos::prelude::*;

use crate::models::execution::TeamExecution;

/// The declared set-up as a sentence, then a table of what was used, most first.
#[component]
pub fn ExecutionView(execution: TeamExecution) -> impl IntoView {
    let declared = match execution.declared {
        Some(declared) => {
            let note = declared.note.clone();
            view! {
                <p data-testid="execution-declared">
                    "Declared: " <strong>{declared.describe()}</strong>
                    {note.map(|n| view! { <span class="muted">" — " {n}</span> })}
                </p>
            }
            .into_any()
        }
        None => view! { <p class="muted" data-testid="execution-declared">"No execution set-up is declared for this team."</p> }.into_any(),
    };
    let seen = if execution.seen.is_empty() {
        view! { <p class="muted" data-testid="execution-none">"No task of this team ran in the last 24 hours."</p> }.into_any()
    } else {
        let rows = execution
            .seen
            .into_iter()
            .map(|used| {
                let or_default = |value: Option<String>, default: &'static str| {
                    value.filter(|v| !v.is_empty()).map_or_else(
                        || view! { <span class="muted">{default}</span> }.into_any(),
                        |v| view! { <code>{v}</code> }.into_any(),
                    )
                };
                let host = used.hostname.clone().unwrap_or_default();
                view! {
                    <tr data-testid="execution-row" data-host=host>
                        <td><code>{used.environment}</code></td>
                        <td>{or_default(used.executor, "Airflow's default")}</td>
                        <td>{or_default(used.queue, "none")}</td>
                        <td>{or_default(used.hostname, "not started")}</td>
                        <td class="num">{used.task_instances}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="execution" data-testid="execution-seen">
                <thead><tr><th>"Environment"</th><th>"Executor"</th><th>"Queue"</th><th>"Host"</th><th class="num">"Task instances, 24 h"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! { {declared} {seen} }
}
