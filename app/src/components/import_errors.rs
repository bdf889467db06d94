//! Files that failed to import, each with Airflow's stack trace folded away.

use leptos::prelude::*;

use crate::models::ImportErrorRow;

#[component]
pub fn ImportErrors(errors: Vec<ImportErrorRow>) -> impl IntoView {
    if errors.is_empty() {
        return None;
    }
    let heading = match errors.len() {
        1 => "1 file failed to import".to_string(),
        n => format!("{n} files failed to import"),
    };
    let items = errors
        .into_iter()
        .map(|error| {
            view! {
                <details class="import-error" data-file=error.filename.clone()>
                    <summary>
                        <code>{error.filename.clone()}</code>
                        {error.bundle_name.clone().map(|b| view! { " in " <span class="tag">{b}</span> })}
                        <span class="muted">" · " {error.environment.clone()} " · " {error.time.clone()}</span>
                    </summary>
                    <pre class="stack-trace">{error.stack_trace.clone()}</pre>
                </details>
            }
        })
        .collect_view();
    Some(view! {
        <section class="notice error import-errors" role="status" data-testid="import-errors">
            <strong>{heading}</strong>
            {items}
        </section>
    })
}
