//! `/t/{team}/dags/{environment}/{dag}`: one DAG — its facts, pause switch, trigger form and
//! a grid of the last runs × their tasks.
//!
//! Actions are forms posting to server functions: without JavaScript the server answers with
//! a redirect back here (or a page naming the error); with it they post in the background,
//! show Airflow's answer in place and reload the page's data.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::components::team_nav::TeamNav;
use crate::components::{ErrorView, ImportErrors, StateLegend, SyncNotices, Time};
use crate::errors::AppError;
use crate::functions::actions::{SetDagPaused, TriggerDag};
use crate::functions::runs::get_dag_detail;
use crate::models::{
    DagDetail, DagParam, GridTask, ParamInput, RunGrid, RunRow, TreeNode, TriggerRequest,
};
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
                    "until a platform admin resolves the conflict. Runs of the other bundle's code are not shown here."
                </p>
            })}
            {dag.description.clone().map(|d| view! { <p class="muted">{d}</p> })}
            <div class="dag-actions">
                {pause_form}
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
            </dl>
            <ImportErrors errors=import_errors/>
            {trigger_form}
            // Rendered and sanitised on the server (read_model/markdown.rs): no raw HTML, no
            // script URLs.
            {doc_html.map(|html| view! { <article class="dag-doc" data-testid="dag-doc" inner_html=html></article> })}
            <h2>"Recent runs"</h2>
            <RunDurations team=team.clone() runs=grid.runs.clone()/>
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

/// One run parameter as the input its schema asks for (`ParamInput`), sent as
/// `params[name]`; what it expects and its description beside it.
#[component]
fn ParamField(
    param: DagParam,
    values: RwSignal<std::collections::BTreeMap<String, String>>,
    touched: RwSignal<bool>,
) -> impl IntoView {
    let field = format!("params[{}]", param.name);
    let initial = param.form_text(&param.default);
    let name = param.name.clone();
    let set = move |ev: leptos::ev::Event| {
        touched.set(true);
        let text = event_target_value(&ev);
        values.update(|v| {
            v.insert(name.clone(), text);
        });
    };
    let option = |value: String, label: String, selected: bool| {
        view! { <option value=value selected=selected>{label}</option> }
    };
    let input = match param.input() {
        ParamInput::Choice(choices) => {
            let mut options: Vec<_> = choices
                .iter()
                .map(|choice| {
                    let label = choice.as_str().map_or_else(|| choice.to_string(), str::to_string);
                    option(choice.to_string(), label, *choice == param.default)
                })
                .collect();
            // A default that is not among the choices (none, say) is what the form starts
            // from, so it is sent unchanged unless one is picked.
            if !choices.contains(&param.default) {
                options.insert(0, option(initial.clone(), "(default)".into(), true));
            }
            let options = options.collect_view();
            view! { <select name=field data-testid="param-input" on:change=set>{options}</select> }.into_any()
        }
        ParamInput::Boolean => {
            let mut options = vec![
                option("true".into(), "true".into(), initial == "true"),
                option("false".into(), "false".into(), initial == "false"),
            ];
            if param.nullable() || initial.is_empty() {
                options.insert(0, option(String::new(), "(none)".into(), initial.is_empty()));
            }
            view! { <select name=field data-testid="param-input" on:change=set>{options.collect_view()}</select> }.into_any()
        }
        ParamInput::Integer | ParamInput::Number => {
            let step = if param.input() == ParamInput::Integer { "1" } else { "any" };
            let bound = |key: &str| param.schema.get(key).map(|b| b.to_string());
            view! {
                <input type="number" name=field step=step min=bound("minimum") max=bound("maximum")
                    value=initial data-testid="param-input" on:input=set/>
            }
            .into_any()
        }
        ParamInput::Date => view! { <input type="date" name=field value=initial data-testid="param-input" on:input=set/> }.into_any(),
        ParamInput::DateTime => view! { <input type="datetime-local" name=field value=initial data-testid="param-input" on:input=set/> }.into_any(),
        ParamInput::Text => {
            let bound = |key: &str| param.schema.get(key).and_then(|b| b.as_u64()).map(|b| b.to_string());
            view! {
                <input type="text" name=field minlength=bound("minLength") maxlength=bound("maxLength")
                    value=initial data-testid="param-input" on:input=set/>
            }
            .into_any()
        }
        ParamInput::Json => view! {
            <textarea name=field rows="2" class="json" data-testid="param-input" on:input=set>{initial}</textarea>
        }
        .into_any(),
    };
    view! {
        <label class="param" data-param=param.name.clone()>
            <code>{param.name.clone()}</code>
            {input}
            <span class="muted">{param.expects()}</span>
            {param.description.clone().map(|d| view! { <span class="param-description">{d}</span> })}
        </label>
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
    // Each parameter is a field of its own type, starting from its default; anything else
    // goes in the JSON object. Checked as you type (the server checks again before anything
    // reaches Airflow).
    let conf = RwSignal::new(String::new());
    let values = RwSignal::new(
        params
            .iter()
            .map(|p| (p.name.clone(), p.form_text(&p.default)))
            .collect::<std::collections::BTreeMap<_, _>>(),
    );
    // Without JavaScript the button must stay usable (the server checks and explains); with
    // it, the button waits for a configuration that passes once the user has typed.
    let touched = RwSignal::new(false);
    let has_params = !params.is_empty();
    let param_fields = has_params.then(|| {
        let fields = params
            .iter()
            .map(|p| view! { <ParamField param=p.clone() values touched/> })
            .collect_view();
        view! { <fieldset class="params" data-testid="trigger-params"><legend>"Parameters"</legend>{fields}</fieldset> }
    });
    let logical_date = RwSignal::new(String::new());
    let problem = Memo::new(move |_| {
        let request = TriggerRequest {
            conf: conf.get(),
            logical_date: logical_date.get(),
            note: String::new(),
            params: values.get(),
        };
        request
            .conf_for(&params)
            .err()
            .or_else(|| request.logical_date_rfc3339().err())
    });
    let conf_label = if has_params {
        "Other configuration keys (JSON object, optional)"
    } else {
        "Configuration (JSON object)"
    };
    view! {
        <details class="trigger" open=move || trigger.value().get().is_some_and(|r| r.is_err())>
            <summary data-testid="trigger-open">"Trigger a run"</summary>
            <ActionForm action=trigger attr:class="trigger-form">
                <input type="hidden" name="team" value=team/>
                <input type="hidden" name="environment" value=environment/>
                <input type="hidden" name="dag_id" value=dag_id/>
                <input type="hidden" name="return_to" value=return_to/>
                {param_fields}
                <label>{conf_label}
                    <textarea name="conf" rows=if has_params { "2" } else { "5" } placeholder="{}" data-testid="trigger-conf"
                        on:input=move |ev| { touched.set(true); conf.set(event_target_value(&ev)) }></textarea>
                </label>
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

/// How long the last runs took, one bar per run (oldest left), coloured by state.
#[component]
fn RunDurations(team: String, runs: Vec<RunRow>) -> impl IntoView {
    let durations: Vec<(RunRow, Option<f64>)> = runs
        .into_iter()
        .map(|run| {
            let seconds = match (
                run.start_date
                    .as_deref()
                    .and_then(crate::time_text::parse_rfc3339),
                run.end_date
                    .as_deref()
                    .and_then(crate::time_text::parse_rfc3339),
            ) {
                (Some(start), Some(end)) => Some((end - start).max(0) as f64 / 1000.0),
                _ => None,
            };
            (run, seconds)
        })
        .collect();
    let longest = durations
        .iter()
        .filter_map(|(_, d)| *d)
        .fold(0.0_f64, f64::max);
    if durations.is_empty() || longest <= 0.0 {
        return ().into_any();
    }
    const WIDTH: f64 = 18.0;
    const HEIGHT: f64 = 60.0;
    let width = durations.len() as f64 * WIDTH;
    let bars = durations
        .into_iter()
        .enumerate()
        .map(|(i, (run, seconds))| {
            let height = seconds.map_or(2.0, |s| (s / longest * HEIGHT).max(2.0));
            let href = paths::run(&team, &run.environment, &run.dag_id, &run.run_id);
            let title = format!(
                "{} — {} — {}",
                run.run_id,
                run.state,
                seconds.map_or_else(|| "not finished".to_string(), crate::time_text::duration)
            );
            view! {
                <a href=href>
                    <rect class=format!("bar state-{}", run.state) x=format!("{:.1}", i as f64 * WIDTH + 2.0)
                        y=format!("{:.1}", HEIGHT - height) width=format!("{:.1}", WIDTH - 4.0)
                        height=format!("{height:.1}")>
                        <title>{title}</title>
                    </rect>
                </a>
            }
        })
        .collect_view();
    view! {
        <figure class="run-durations" data-testid="run-durations">
            <svg viewBox=format!("0 0 {width:.0} {HEIGHT:.0}") width=format!("{width:.0}") height=format!("{HEIGHT:.0}")
                role="img" aria-label="Durations of the last runs">{bars}</svg>
            <figcaption class="muted">"Run durations, oldest left; the longest took " {crate::time_text::duration(longest)} "."</figcaption>
        </figure>
    }
    .into_any()
}

/// Tasks down (in their groups, which fold), runs across (oldest left), one coloured cell per
/// task instance; a mapped task's cell stands for all its instances. A `<details>` per
/// group, so folding works without JavaScript.
#[component]
fn Grid(team: String, environment: String, dag_id: String, grid: RunGrid) -> impl IntoView {
    if grid.runs.is_empty() {
        return view! { <p class="muted" data-testid="grid-empty">"No runs in the last 14 days."</p> }.into_any();
    }
    let RunGrid { runs, tasks } = grid;
    let header = runs
        .iter()
        .map(|run| {
            let href = paths::run(&team, &environment, &dag_id, &run.run_id);
            let when = crate::time_text::parse_rfc3339(&run.run_after)
                .map(crate::time_text::utc_minute)
                .unwrap_or_else(|| run.run_after.clone());
            let took = crate::time_text::between(run.start_date.as_deref(), run.end_date.as_deref())
                .unwrap_or_else(|| "not finished".into());
            view! {
                <a href=href class=format!("run state-{}", run.state)
                    title=format!("{} — {} — {when} — {took}", run.run_id, run.state) data-run=run.run_id.clone()></a>
            }
        })
        .collect_view();
    let context = GridContext {
        team: team.clone(),
        environment: environment.clone(),
        dag_id: dag_id.clone(),
        runs: runs.iter().map(|r| r.run_id.clone()).collect(),
    };
    let rows = tasks
        .into_iter()
        .map(|node| grid_node(&context, node, 0))
        .collect_view();
    let first = runs.first().map(|r| r.run_after.clone());
    let last = runs.last().map(|r| r.run_after.clone());
    view! {
        <div class="grid-wrap">
            <div class="run-grid" data-testid="run-grid">
                <div class="grid-row grid-head" data-testid="grid-runs"><span class="grid-name muted">"Task"</span>{header}</div>
                {rows}
            </div>
            <p class="grid-dates muted">"Runs from " <Time at=first/> " to " <Time at=last/></p>
            <StateLegend/>
        </div>
    }
    .into_any()
}

/// What every row of the grid needs to link its cells.
struct GridContext {
    team: String,
    environment: String,
    dag_id: String,
    runs: Vec<String>,
}

fn grid_node(context: &GridContext, node: TreeNode<GridTask>, depth: usize) -> AnyView {
    let indented = |class: &str| super::run_detail::indented(class, depth);
    match node {
        TreeNode::Task { id, item } => {
            let label = id.rsplit('.').next().unwrap_or(&id).to_string();
            let cells = item
                .cells
                .into_iter()
                .zip(&context.runs)
                .map(|(cell, run_id)| match cell {
                    Some(cell) => {
                        let href = paths::task_log(&context.team, &context.environment, &context.dag_id, run_id, &id, -1, 0);
                        let mapped = if cell.mapped > 0 { format!(" ({} mapped)", cell.mapped) } else { String::new() };
                        view! {
                            <a href=href class=format!("cell state-{}", cell.state) class:mapped={cell.mapped > 0}
                                title=format!("{id} in {run_id}: {}{mapped} (try {})", cell.state, cell.try_number)></a>
                        }
                        .into_any()
                    }
                    None => view! { <span class="cell empty"></span> }.into_any(),
                })
                .collect_view();
            view! {
                <div class="grid-row" data-task=id.clone()>
                    <span class=indented("grid-name") title=id.clone()>{label}</span>{cells}
                </div>
            }
            .into_any()
        }
        TreeNode::Group { id, children } => {
            let label = id.rsplit('.').next().unwrap_or(&id).to_string();
            // The group's row: per run, the state that sums up its tasks.
            let summary = (0..context.runs.len())
                .map(|column| {
                    let states: Vec<String> = children
                        .iter()
                        .flat_map(|c| c.tasks())
                        .filter_map(|t| t.cells.get(column).cloned().flatten().map(|c| c.state))
                        .collect();
                    if states.is_empty() {
                        return view! { <span class="cell empty"></span> }.into_any();
                    }
                    let state = crate::models::states::summary(states.iter().map(String::as_str));
                    view! { <span class=format!("cell group state-{state}") title=format!("{id}: {state}")></span> }.into_any()
                })
                .collect_view();
            let children = children
                .into_iter()
                .map(|child| grid_node(context, child, depth + 1))
                .collect_view();
            view! {
                <details class="grid-group" open data-group=id.clone()>
                    <summary class="grid-row"><span class=indented("grid-name group-name") title=id.clone()>{label}</span>{summary}</summary>
                    {children}
                </details>
            }
            .into_any()
        }
    }
}
