//! `/t/{team}/dags/{environment}/{dag}/runs/{run}`: one run, its task instances, and (within
//! the role) clearing failed tasks or marking the run.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::team_nav::TeamNav;
use crate::components::{ErrorView, Span, StateBadge, StateLegend, Time};
use crate::functions::actions::{ClearFailedTasks, MarkRun};
use crate::functions::runs::get_run_detail;
use crate::models::tasks::indented;
use crate::models::{RunDetail, RunTask, TaskRow, TreeNode};
use crate::paths;

#[component]
pub fn RunDetailPage() -> impl IntoView {
    let params = use_params_map();
    let param = move |name: &str| params.read().get(name).unwrap_or_default();
    let key = move || {
        (
            param("team"),
            param("environment"),
            param("dag"),
            param("run"),
        )
    };
    let clear = ServerAction::<ClearFailedTasks>::new();
    let mark = ServerAction::<MarkRun>::new();
    let detail = Resource::new(
        move || (key(), clear.version().get(), mark.version().get()),
        |((team, environment, dag, run), _, _)| get_run_detail(team, environment, dag, run),
    );
    crate::components::live::use_live_updates(move || param("team"), move || detail.refetch());
    view! {
        <TeamNav team=param("team") current="runs"/>
        <Transition fallback=|| view! { <p class="loading">"Loading the run…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <RunView team=param("team") detail clear mark/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RunView(
    team: String,
    detail: RunDetail,
    clear: ServerAction<ClearFailedTasks>,
    mark: ServerAction<MarkRun>,
) -> impl IntoView {
    let has_failed = detail.has_failed();
    let RunDetail {
        run,
        dag_display_name,
        shared,
        tasks,
        can_clear,
    } = detail;
    let here = paths::run(&team, &run.environment, &run.dag_id, &run.run_id);
    let dag_href = paths::dag(&team, &run.environment, &run.dag_id);
    let fields = RunFields {
        team: team.clone(),
        environment: run.environment.clone(),
        dag_id: run.dag_id.clone(),
        run_id: run.run_id.clone(),
        return_to: here.clone(),
    };
    let (clear_fields, success_fields, failed_fields) = (fields.clone(), fields.clone(), fields);
    let actions =
        can_clear.then(move || {
            let clear_form = has_failed.then(move || view! {
            <ActionForm action=clear attr:class="inline-form">
                {clear_fields.view()}
                <button type="submit" data-testid="clear-failed">"Clear failed tasks"</button>
            </ActionForm>
        });
            view! {
                <div class="run-actions">
                    {clear_form}
                    <ActionForm action=mark attr:class="inline-form">
                        {success_fields.view()}
                        <input type="hidden" name="state" value="success"/>
                        <button type="submit" data-testid="mark-success">"Mark success"</button>
                    </ActionForm>
                    <ActionForm action=mark attr:class="inline-form">
                        {failed_fields.view()}
                        <input type="hidden" name="state" value="failed"/>
                        <button type="submit" data-testid="mark-failed">"Mark failed"</button>
                    </ActionForm>
                </div>
            }
        });
    let error = move || {
        clear
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| mark.value().get().and_then(|r| r.err()))
            .map(|e| view! { <p class="notice error" role="alert" data-testid="action-error">{e.to_string()}</p> })
    };
    let place = TaskPlace {
        team: team.clone(),
        environment: run.environment.clone(),
        dag_id: run.dag_id.clone(),
        run_id: run.run_id.clone(),
    };
    let rows = tasks
        .into_iter()
        .map(|node| task_node(&place, node, 0))
        .collect_view();
    view! {
        <section class="run-detail" data-run=run.run_id.clone()>
            <p class="crumbs"><a href=dag_href>{dag_display_name}</a>{shared.then_some(" (shared)")}</p>
            <h1><code class="wrap">{run.run_id.clone()}</code> " " <span data-testid="run-state"><StateBadge state=run.state.clone()/></span></h1>
            <RunTabs team=team.clone() environment=run.environment.clone() dag_id=run.dag_id.clone() run_id=run.run_id.clone() current="tasks"/>
            <dl class="facts">
                <dt>"Type"</dt><dd>{run.run_type.clone().unwrap_or_default()}</dd>
                <dt>"Run after"</dt><dd><Time at=Some(run.run_after.clone())/></dd>
                <dt>"Started"</dt><dd><Time at=run.start_date.clone()/></dd>
                <dt>"Ended"</dt><dd><Time at=run.end_date.clone()/></dd>
                <dt>"Took"</dt><dd><Span start=run.start_date.clone() end=run.end_date.clone()/></dd>
            </dl>
            {actions}
            {error}
            <div class="task-tree" data-testid="task-list">
                <div class="task-row task-head"><span>"Task"</span><span>"State"</span><span>"Try"</span><span>"Started"</span><span>"Took"</span><span>"Operator"</span></div>
                {rows}
            </div>
            <StateLegend/>
        </section>
    }
}

/// A run's views: its tasks, its Gantt chart, the DAG's graph coloured by it.
#[component]
pub fn RunTabs(
    team: String,
    environment: String,
    dag_id: String,
    run_id: String,
    current: &'static str,
) -> impl IntoView {
    let tab = |key: &'static str, label: &'static str, href: String| {
        view! { <a href=href aria-current=(current == key).then_some("page") data-tab=key>{label}</a> }
    };
    view! {
        <nav class="dag-tabs" aria-label="Run views">
            {tab("tasks", "Tasks", paths::run(&team, &environment, &dag_id, &run_id))}
            {tab("gantt", "Gantt", paths::gantt(&team, &environment, &dag_id, &run_id))}
            {tab("graph", "Graph", paths::graph(&team, &environment, &dag_id, Some(&run_id)))}
            {tab("code", "Code", paths::code(&team, &environment, &dag_id, Some(&run_id)))}
        </nav>
    }
}

/// Where the run's task links point.
struct TaskPlace {
    team: String,
    environment: String,
    dag_id: String,
    run_id: String,
}

impl TaskPlace {
    fn task(&self, task_id: &str, map_index: i64) -> String {
        paths::task_log(
            &self.team,
            &self.environment,
            &self.dag_id,
            &self.run_id,
            task_id,
            map_index,
            0,
        )
    }
}

/// One task instance as a row.
fn task_row(place: &TaskPlace, row: &TaskRow, name: String, depth: usize) -> impl IntoView + use<> {
    let href = place.task(&row.task_id, row.map_index);
    view! {
        <span class=indented("task-name", depth)><a href=href>{name}</a></span>
        <span><StateBadge state=row.state.clone()/></span>
        <span class="num">{row.try_number}</span>
        <span><Time at=row.start_date.clone()/></span>
        <span class="num"><Span start=row.start_date.clone() end=row.end_date.clone()/></span>
        <span class="muted">{row.operator.clone().unwrap_or_default()}</span>
    }
}

fn task_node(place: &TaskPlace, node: TreeNode<RunTask>, depth: usize) -> AnyView {
    match node {
        TreeNode::Task { id, item } => {
            let label = id.rsplit('.').next().unwrap_or(&id).to_string();
            let RunTask { row, mapped } = item;
            match mapped {
                None => view! {
                    <div class="task-row" data-task=id.clone() data-state=row.state.clone()>
                        {task_row(place, &row, label, depth)}
                    </div>
                }
                .into_any(),
                Some(mapped) => {
                    let counts = mapped
                        .states
                        .iter()
                        .map(|(state, n)| {
                            format!("{n} {}", crate::models::states::state_info(state).label)
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    let all = place.task(&id, -1);
                    let first = mapped
                        .first
                        .iter()
                        .map(|instance| {
                            let name = match &instance.rendered_map_index {
                                Some(label) => format!("[{}] {label}", instance.map_index),
                                None => format!("[{}]", instance.map_index),
                            };
                            view! {
                                <div class="task-row mapped-instance" data-map-index=instance.map_index>
                                    {task_row(place, instance, name, depth + 1)}
                                </div>
                            }
                        })
                        .collect_view();
                    let more = (mapped.count > mapped.first.len() as u64).then(|| {
                        view! { <p class="more"><a href=all.clone()>{format!("All {} map indexes →", mapped.count)}</a></p> }
                    });
                    view! {
                        <details class="mapped-task" data-task=id.clone() data-state=row.state.clone() data-mapped=mapped.count>
                            <summary class="task-row">
                                <span class=indented("task-name", depth)><a href=all>{label}</a>
                                    " " <span class="badge mapped-count" title=counts.clone()>{format!("×{}", mapped.count)}</span></span>
                                <span><StateBadge state=row.state.clone()/></span>
                                <span class="num">{row.try_number}</span>
                                <span><Time at=row.start_date.clone()/></span>
                                <span class="num"><Span start=row.start_date.clone() end=row.end_date.clone()/></span>
                                <span class="muted">{counts}</span>
                            </summary>
                            {first}
                            {more}
                        </details>
                    }
                    .into_any()
                }
            }
        }
        TreeNode::Group { id, children } => {
            let label = id.rsplit('.').next().unwrap_or(&id).to_string();
            let tasks = children.iter().flat_map(|c| c.tasks()).collect::<Vec<_>>();
            let state = crate::models::states::summary(tasks.iter().map(|t| t.row.state.as_str()));
            let count = tasks.len();
            let children = children
                .into_iter()
                .map(|child| task_node(place, child, depth + 1))
                .collect_view();
            view! {
                <details class="task-group" open data-group=id.clone()>
                    <summary class="task-row group">
                        <span class=indented("task-name group-name", depth)>{label}</span>
                        <span><StateBadge state=state.to_string()/></span>
                        <span></span><span></span><span></span>
                        <span class="muted">{format!("group of {count} task{}", if count == 1 { "" } else { "s" })}</span>
                    </summary>
                    {children}
                </details>
            }
            .into_any()
        }
    }
}

/// The hidden fields naming the run, which every action form on the page sends.
#[derive(Clone)]
struct RunFields {
    team: String,
    environment: String,
    dag_id: String,
    run_id: String,
    return_to: String,
}

impl RunFields {
    fn view(self) -> impl IntoView {
        view! {
            <input type="hidden" name="team" value=self.team/>
            <input type="hidden" name="environment" value=self.environment/>
            <input type="hidden" name="dag_id" value=self.dag_id/>
            <input type="hidden" name="run_id" value=self.run_id/>
            <input type="hidden" name="return_to" value=self.return_to/>
        }
    }
}
