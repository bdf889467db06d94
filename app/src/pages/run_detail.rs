//! `/t/{team}/dags/{environment}/{dag}/runs/{run}`: one run, its task instances, and (within
//! the role) clearing failed tasks or marking the run.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::team_nav::TeamNav;
use crate::components::{ErrorView, StateBadge};
use crate::functions::actions::{ClearFailedTasks, MarkRun};
use crate::functions::runs::get_run_detail;
use crate::models::RunDetail;
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
    let RunDetail {
        run,
        dag_display_name,
        shared,
        tasks,
        can_clear,
    } = detail;
    let here = paths::run(&team, &run.environment, &run.dag_id, &run.run_id);
    let dag_href = paths::dag(&team, &run.environment, &run.dag_id);
    let has_failed = tasks
        .iter()
        .any(|t| t.state == "failed" || t.state == "upstream_failed");
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
    let rows = tasks
        .into_iter()
        .map(|task| {
            let href = paths::task_log(&team, &run.environment, &run.dag_id, &run.run_id, &task.task_id, task.map_index, 0);
            let name = if task.map_index >= 0 {
                format!("{} [{}]", task.task_id, task.map_index)
            } else {
                task.task_id.clone()
            };
            view! {
                <tr data-task=task.task_id.clone()>
                    <td><a href=href>{name}</a></td>
                    <td><StateBadge state=task.state.clone()/></td>
                    <td class="num">{task.try_number}</td>
                    <td>{task.start_date.clone().unwrap_or_else(|| "—".into())}</td>
                    <td>{task.end_date.clone().unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{task.duration_s.map(|d| format!("{d:.1} s")).unwrap_or_else(|| "—".into())}</td>
                    <td class="muted">{task.operator.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="run-detail" data-run=run.run_id.clone()>
            <p class="crumbs"><a href=dag_href>{dag_display_name}</a>{shared.then_some(" (shared)")}</p>
            <h1><code>{run.run_id.clone()}</code> " " <span data-testid="run-state"><StateBadge state=run.state.clone()/></span></h1>
            <dl class="facts">
                <dt>"Type"</dt><dd>{run.run_type.clone().unwrap_or_default()}</dd>
                <dt>"Run after"</dt><dd>{run.run_after.clone()}</dd>
                <dt>"Started"</dt><dd>{run.start_date.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Ended"</dt><dd>{run.end_date.clone().unwrap_or_else(|| "—".into())}</dd>
            </dl>
            {actions}
            {error}
            <table class="tasks" data-testid="task-list">
                <thead><tr><th>"Task"</th><th>"State"</th><th>"Try"</th><th>"Start"</th><th>"End"</th><th>"Duration"</th><th>"Operator"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
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
