//! Where a team's tasks run: the set-up the platform declares for it, and the executors,
//! queues and hosts its task instances used in the last 24 hours (the team home).
//!
//! HTML text (maud), as the rest of the team home: nothing in it reacts.

use maud::{Markup, html};

use crate::models::execution::TeamExecution;

/// The declared set-up as a sentence, then a table of what was used, most first.
pub fn execution_html(execution: &TeamExecution) -> Markup {
    // An empty value shows as what Airflow does without one.
    let or_default = |value: &Option<String>, default: &'static str| match value.as_deref() {
        Some(value) if !value.is_empty() => html! { code { (value) } },
        _ => html! { span.muted { (default) } },
    };
    html! {
        @match &execution.declared {
            Some(declared) => p data-testid="execution-declared" {
                "Declared: " strong { (declared.describe()) }
                @if let Some(note) = &declared.note { span.muted { " — " (note) } }
            },
            None => p.muted data-testid="execution-declared" { "No execution set-up is declared for this team." },
        }
        @if execution.seen.is_empty() {
            p.muted data-testid="execution-none" { "No task of this team ran in the last 24 hours." }
        } @else {
            table.execution data-testid="execution-seen" {
                thead { tr {
                    th { "Environment" } th { "Executor" } th { "Queue" } th { "Host" }
                    th.num { "Task instances, 24 h" }
                } }
                tbody {
                    @for used in &execution.seen {
                        tr data-testid="execution-row" data-host=(used.hostname.as_deref().unwrap_or_default()) {
                            td { code { (used.environment) } }
                            td { (or_default(&used.executor, "Airflow's default")) }
                            td { (or_default(&used.queue, "none")) }
                            td { (or_default(&used.hostname, "not started")) }
                            td.num { (used.task_instances) }
                        }
                    }
                }
            }
        }
    }
}
