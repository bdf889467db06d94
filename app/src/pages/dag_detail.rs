//! `/t/{team}/dags/{environment}/{dag}`: one DAG — its facts, pause switch, a link to its
//! trigger page and a grid of the last runs × their tasks.
//!
//! Actions are forms posting to server functions: without JavaScript the server answers with
//! a redirect back here (or a page naming the error); with it they post in the background,
//! show Airflow's answer in place and reload the page's data. The trigger form, with a typed
//! field per run parameter checked as it is typed, is a page of its own (`trigger.rs`): most
//! visits to a DAG do not trigger it, and the form is most of a DAG page's browser code.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::team_nav::TeamNav;
use crate::components::{ActionError, ErrorView, ImportErrors, StateLegend, SyncNotices, Time};
use crate::errors::AppError;
use crate::functions::actions::SetDagPaused;
use crate::models::DagDetail;
use crate::paths;

#[component]
pub fn DagDetailPage() -> impl IntoView {
    let params = use_params_map();
    let param = move |name: &str| params.read().get(name).unwrap_or_default();
    let key = move || (param("team"), param("environment"), param("dag"));
    let pause = ServerAction::<SetDagPaused>::new();
    let folded = StoredValue::new(std::collections::HashSet::<String>::new());
    let detail = Resource::new(
        move || (key(), pause.version().get()),
        |((team, environment, dag), _)| fetch(team, environment, dag),
    );
    crate::components::live::use_live_updates(move || param("team"), move || detail.refetch());
    view! {
        <TeamNav team=param("team") current="dags"/>
        <Transition fallback=|| view! { <p class="loading">"Loading the DAG…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => {
                        let (team, _, _) = key();
                        view! { <DagDetailView team detail pause folded/> }.into_any()
                    }
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The server's own render keeps the grid out of the hydration data (`rendered_dag_detail`).
async fn fetch(team: String, environment: String, dag: String) -> Result<DagDetail, AppError> {
    #[cfg(feature = "ssr")]
    {
        crate::functions::runs::rendered_dag_detail(team, environment, dag).await
    }
    #[cfg(not(feature = "ssr"))]
    {
        crate::functions::runs::get_dag_detail(team, environment, dag).await
    }
}

#[component]
fn DagDetailView(
    team: String,
    detail: DagDetail,
    pause: ServerAction<SetDagPaused>,
    /// The grid's groups the reader folded (kept by the page across live updates).
    folded: StoredValue<std::collections::HashSet<String>>,
) -> impl IntoView {
    // The groups a reader folds stay folded when a live update draws the grid again
    // (`drawn_html`); the set outlives each drawing, as the page does.
    let runs_ref = NodeRef::<leptos::html::Div>::new();
    let recent_runs = detail.recent_runs().to_string();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(container) = runs_ref.get() {
            folded
                .with_value(|folded| crate::components::drawn_html::fold_again(&container, folded));
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = folded; // folding happens in the browser
    let remember_fold = move |_event: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(toggle) = crate::components::drawn_html::toggled_group(&_event) {
            folded.update_value(|folded| crate::components::drawn_html::remember(folded, toggle));
        }
    };
    let DagDetail {
        dag,
        bundle_name,
        bundle_version,
        last_parsed,
        file,
        doc_html,
        param_names,
        import_errors,
        runs_from,
        runs_to,
        can_pause,
        can_trigger,
        sync,
        ..
    } = detail;
    let here = paths::dag(&team, &dag.environment, &dag.dag_id);
    let pause_form = can_pause.then(|| {
        let label = if dag.is_paused { "Unpause" } else { "Pause" };
        let (team, environment, dag_id, return_to) = (
            team.clone(),
            dag.environment.clone(),
            dag.dag_id.clone(),
            here.clone(),
        );
        let paused = (!dag.is_paused).to_string();
        view! {
            <ActionForm action=pause attr:class="inline-form">
                <input type="hidden" name="team" value=team/>
                <input type="hidden" name="environment" value=environment/>
                <input type="hidden" name="dag_id" value=dag_id/>
                <input type="hidden" name="paused" value=paused/>
                <input type="hidden" name="return_to" value=return_to/>
                <button type="submit" data-testid="pause-toggle" disabled=move || pause.pending().get()>{label}</button>
            </ActionForm>
        }
    });
    let trigger_link = can_trigger.then(|| {
        let href = paths::trigger(&team, &dag.environment, &dag.dag_id);
        view! { <a class="button" href=href data-testid="trigger-open">"Trigger a run…"</a> }
    });
    let params = (!param_names.is_empty()).then(|| {
        let names = param_names
            .into_iter()
            .map(|name| view! { <code class="param-name">{name}</code> " " })
            .collect_view();
        view! { <dt>"Parameters"</dt><dd data-testid="dag-params">{names}</dd> }
    });
    view! {
        <section class="dag-detail" data-dag=dag.dag_id.clone()>
            <SyncNotices notices=sync/>
            <p class="crumbs"><a href=format!("/t/{team}/dags")>"DAGs"</a> " / " {dag.environment.clone()}</p>
            <h1>
                {dag.display_name.clone()}
                {dag.shared.then(|| view! { <span class="badge shared" title="From a shared bundle: platform admins change it">"shared"</span> })}
                {dag.has_import_errors.then(|| view! { <span class="badge error">"import errors"</span> })}
                <span class="badge" data-testid="dag-state">{dag.state_label()}</span>
            </h1>
            {dag.ownership_conflict.then(|| view! {
                <p class="notice warning" role="alert" data-testid="ownership-conflict">
                    "Ownership conflict: Airflow now reports this DAG in a bundle that is not this team's. "
                    "It stays with this team, with its runs and logs, but nobody can trigger, pause or clear it "
                    "until a platform admin resolves the conflict. Runs of the other bundle's code are not shown here."
                </p>
            })}
            {dag.description.clone().map(|d| view! { <p class="muted">{d}</p> })}
            <div class="dag-actions">
                {pause_form}
                {trigger_link}
                <ActionError value=Signal::derive(move || pause.value().get().and_then(|r| r.err()))/>
            </div>
            <DagTabs team=team.clone() environment=dag.environment.clone() dag_id=dag.dag_id.clone() current="grid"/>
            <dl class="facts">
                <dt>"Schedule"</dt><dd><Schedule summary=dag.schedule.clone()/></dd>
                <dt>"Next run"</dt><dd><Time at=dag.next_run.clone()/></dd>
                <dt>"Owners"</dt><dd>{dag.owners.join(", ")}</dd>
                <dt>"Tags"</dt><dd>{dag.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}</dd>
                <dt>"Bundle"</dt><dd>{bundle_name.unwrap_or_else(|| "—".into())} " " <code class="wrap">{bundle_version.unwrap_or_default()}</code></dd>
                <dt>"File"</dt><dd><code class="wrap">{file.unwrap_or_else(|| "—".into())}</code></dd>
                <dt>"Last parsed"</dt><dd><Time at=last_parsed relative=true/></dd>
                {params}
            </dl>
            <ImportErrors errors=import_errors/>
            // Rendered and sanitised on the server (read_model/markdown.rs): no raw HTML, no
            // script URLs.
            {doc_html.map(|html| view! { <article class="dag-doc" data-testid="dag-doc" inner_html=html></article> })}
            <h2>"Recent runs"</h2>
            // The duration chart and the grid: links and folding groups only, written on the
            // server (read_model/run_grid_html.rs).
            <div class="recent-runs" node_ref=runs_ref inner_html=recent_runs on:click=remember_fold></div>
            {runs_from.map(|first| view! {
                <p class="grid-dates muted">"Runs from " <Time at=Some(first)/> " to " <Time at=runs_to/></p>
                <StateLegend/>
            })}
        </section>
    }
}

/// A schedule in words ("daily at 00:00 UTC"), the expression itself on hover.
#[component]
pub fn Schedule(summary: Option<String>) -> impl IntoView {
    let raw = summary.unwrap_or_else(|| "None".into());
    let words = crate::time_text::schedule_words(&raw);
    let title = (words != raw).then(|| raw.clone());
    view! { <span class="schedule" title=title data-testid="schedule">{words}</span> }
}

/// The DAG page's views: the grid of runs, the graph of tasks, the code.
#[component]
pub fn DagTabs(
    team: String,
    environment: String,
    dag_id: String,
    current: &'static str,
    #[prop(optional)] run_id: Option<String>,
) -> impl IntoView {
    let tab = |key: &'static str, label: &'static str, href: String| {
        view! { <a href=href aria-current=(current == key).then_some("page") data-tab=key>{label}</a> }
    };
    view! {
        <nav class="dag-tabs" aria-label="DAG views">
            {tab("grid", "Runs", paths::dag(&team, &environment, &dag_id))}
            {tab("graph", "Graph", paths::graph(&team, &environment, &dag_id, run_id.as_deref()))}
            {tab("code", "Code", paths::code(&team, &environment, &dag_id, run_id.as_deref()))}
        </nav>
    }
}
