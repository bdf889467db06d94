//! `/t/{team}/dags/{environment}/{dag}`: one DAG — its facts, pause switch, trigger form and
//! a grid of the last runs × their tasks.
//!
//! Actions are forms posting to server functions: without JavaScript the server answers with
//! a redirect back here (or a page naming the error); with it they post in the background,
//! show Airflow's answer in place and reload the page's data.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::components::team_nav::TeamNav;
use crate::components::{ErrorView, ImportErrors, StateBadge, SyncNotices};
use crate::errors::AppError;
use crate::functions::actions::{SetDagPaused, TriggerDag};
use crate::functions::runs::get_dag_detail;
use crate::models::{DagDetail, DagParam, RunGrid, TriggerRequest, check_conf, default_conf};
use crate::paths;

#[component]
pub fn DagDetailPage() -> impl IntoView {
    let params = use_params_map();
    let param = move |name: &str| params.read().get(name).unwrap_or_default();
    let key = move || (param("team"), param("environment"), param("dag"));
    let pause = ServerAction::<SetDagPaused>::new();
    let trigger = ServerAction::<TriggerDag>::new();
    let detail = Resource::new(
        move || (key(), pause.version().get()),
        |((team, environment, dag), _)| get_dag_detail(team, environment, dag),
    );
    crate::components::live::use_live_updates(move || param("team"), move || detail.refetch());
    // A triggered run opens its own page, where it can be watched.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(run_id)) = trigger.value().get() {
            let (team, environment, dag) = key();
            navigate(
                &paths::run(&team, &environment, &dag, &run_id),
                Default::default(),
            );
        }
    });
    view! {
        <TeamNav team=param("team") current="dags"/>
        <Transition fallback=|| view! { <p class="loading">"Loading the DAG…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => {
                        let (team, _, _) = key();
                        view! { <DagDetailView team detail pause trigger/> }.into_any()
                    }
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DagDetailView(
    team: String,
    detail: DagDetail,
    pause: ServerAction<SetDagPaused>,
    trigger: ServerAction<TriggerDag>,
) -> impl IntoView {
    let DagDetail {
        dag,
        bundle_name,
        bundle_version,
        last_parsed,
        file,
        doc_html,
        params,
        import_errors,
        grid,
        can_pause,
        can_trigger,
        sync,
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
    let trigger_form = can_trigger.then(|| {
        let (team, environment, dag_id, return_to) = (
            team.clone(),
            dag.environment.clone(),
            dag.dag_id.clone(),
            here.clone(),
        );
        view! { <TriggerForm team environment dag_id return_to params trigger/> }
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
                    "until a platform admin resolves the conflict."
                </p>
            })}
            {dag.description.clone().map(|d| view! { <p class="muted">{d}</p> })}
            <div class="dag-actions">
                {pause_form}
                <ActionError value=Signal::derive(move || pause.value().get().and_then(|r| r.err()))/>
            </div>
            <dl class="facts">
                <dt>"Schedule"</dt><dd>{dag.schedule.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Next run"</dt><dd>{dag.next_run.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Owners"</dt><dd>{dag.owners.join(", ")}</dd>
                <dt>"Tags"</dt><dd>{dag.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}</dd>
                <dt>"Bundle"</dt><dd>{bundle_name.unwrap_or_else(|| "—".into())} " " <code>{bundle_version.unwrap_or_default()}</code></dd>
                <dt>"File"</dt><dd><code>{file.unwrap_or_else(|| "—".into())}</code></dd>
                <dt>"Last parsed"</dt><dd>{last_parsed.unwrap_or_else(|| "—".into())}</dd>
            </dl>
            <ImportErrors errors=import_errors/>
            {trigger_form}
            // Rendered and sanitised on the server (read_model/markdown.rs): no raw HTML, no
            // script URLs.
            {doc_html.map(|html| view! { <article class="dag-doc" data-testid="dag-doc" inner_html=html></article> })}
            <h2>"Recent runs"</h2>
            <Grid team=team.clone() environment=dag.environment.clone() dag_id=dag.dag_id.clone() grid/>
        </section>
    }
}

/// Airflow's or Hangar's refusal of the last action, in words.
#[component]
fn ActionError(value: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        value.get().map(|error| {
            view! { <p class="notice error" role="alert" data-testid="action-error">{error.to_string()}</p> }
        })
    }
}

#[component]
fn TriggerForm(
    team: String,
    environment: String,
    dag_id: String,
    return_to: String,
    params: Vec<DagParam>,
    trigger: ServerAction<TriggerDag>,
) -> impl IntoView {
    // Checked as you type, against the DAG's parameters too (the server checks again before
    // anything reaches Airflow). The form starts from the parameters' defaults.
    let initial = default_conf(&params);
    let conf = RwSignal::new(initial.clone());
    // Without JavaScript the button must stay usable (the server checks and explains); with
    // it, the button waits for a configuration that passes once the user has typed.
    let touched = RwSignal::new(false);
    let param_list = (!params.is_empty()).then(|| {
        let items = params
            .iter()
            .map(|p| {
                view! {
                    <li>
                        <code>{p.name.clone()}</code>
                        <span class="muted">" " {p.expects()}</span>
                        {p.description.clone().map(|d| view! { " — " {d} })}
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="params" data-testid="trigger-params">{items}</ul> }
    });
    let logical_date = RwSignal::new(String::new());
    let problem = Memo::new(move |_| {
        let request = TriggerRequest {
            conf: conf.get(),
            logical_date: logical_date.get(),
            note: String::new(),
        };
        match request.conf_object() {
            Ok(conf) => check_conf(&conf, &params).err(),
            Err(problem) => Some(problem),
        }
        .or_else(|| request.logical_date_rfc3339().err())
    });
    view! {
        <details class="trigger" open=move || trigger.value().get().is_some_and(|r| r.is_err())>
            <summary data-testid="trigger-open">"Trigger a run"</summary>
            <ActionForm action=trigger attr:class="trigger-form">
                <input type="hidden" name="team" value=team/>
                <input type="hidden" name="environment" value=environment/>
                <input type="hidden" name="dag_id" value=dag_id/>
                <input type="hidden" name="return_to" value=return_to/>
                <label>"Configuration (JSON object)"
                    <textarea name="conf" rows="5" placeholder="{}" data-testid="trigger-conf"
                        on:input=move |ev| { touched.set(true); conf.set(event_target_value(&ev)) }>{initial}</textarea>
                </label>
                {param_list}
                <label>"Logical date (UTC, optional)"
                    <input type="datetime-local" name="logical_date" data-testid="trigger-date"
                        on:input=move |ev| logical_date.set(event_target_value(&ev))/>
                </label>
                <label>"Note (optional)"
                    <input type="text" name="note" maxlength="1000" data-testid="trigger-note"/>
                </label>
                {move || problem.get().map(|p| view! { <p class="notice error" data-testid="trigger-problem">{p}</p> })}
                <button type="submit" data-testid="trigger-submit"
                    disabled=move || (touched.get() && problem.get().is_some()) || trigger.pending().get()>
                    {move || if trigger.pending().get() { "Triggering…" } else { "Trigger" }}
                </button>
            </ActionForm>
            <ActionError value=Signal::derive(move || trigger.value().get().and_then(|r| r.err()))/>
        </details>
    }
}

/// Tasks down, runs across (oldest left), one coloured cell per task instance.
#[component]
fn Grid(team: String, environment: String, dag_id: String, grid: RunGrid) -> impl IntoView {
    if grid.runs.is_empty() {
        return view! { <p class="muted" data-testid="grid-empty">"No runs in the last 14 days."</p> }.into_any();
    }
    let RunGrid { runs, tasks, cells } = grid;
    let header = runs
        .iter()
        .map(|run| {
            let href = paths::run(&team, &environment, &dag_id, &run.run_id);
            view! {
                <th>
                    <a href=href class=format!("run state-{}", run.state)
                        title=format!("{} — {}", run.run_id, run.state) data-run=run.run_id.clone()></a>
                </th>
            }
        })
        .collect_view();
    let rows = tasks
        .into_iter()
        .zip(cells)
        .map(|(task, row)| {
            let cells = row
                .into_iter()
                .zip(&runs)
                .map(|(cell, run)| match cell {
                    Some(cell) => {
                        let href = paths::task_log(&team, &environment, &dag_id, &run.run_id, &task, cell.map_index, 0);
                        view! {
                            <td><a href=href class=format!("cell state-{}", cell.state)
                                title=format!("{task} in {}: {} (try {})", run.run_id, cell.state, cell.try_number)></a></td>
                        }
                        .into_any()
                    }
                    None => view! { <td><span class="cell empty"></span></td> }.into_any(),
                })
                .collect_view();
            view! { <tr data-task=task.clone()><th scope="row">{task.clone()}</th>{cells}</tr> }
        })
        .collect_view();
    let legend = [
        "success",
        "running",
        "queued",
        "failed",
        "up_for_retry",
        "skipped",
    ]
    .into_iter()
    .map(|state| view! { <StateBadge state=state.to_string()/> })
    .collect_view();
    view! {
        <div class="grid-wrap">
            <table class="run-grid" data-testid="run-grid">
                <thead><tr><th></th>{header}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <p class="legend muted">{legend}</p>
        </div>
    }
    .into_any()
}
