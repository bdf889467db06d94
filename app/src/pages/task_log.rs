//! `/t/{team}/dags/{environment}/{dag}/runs/{run}/tasks/{task}`: one task of one run.
//!
//! For a mapped task without `?map=`, the page lists its instances (a page of them at a
//! time). For one instance: its facts (where and when it ran), every try, why it did not run
//! if it did not, and the log of a try: read from Airflow a page at a time (other teams'
//! names masked), searched and filtered by level on the server, `::group::` sections folded,
//! tracebacks marked, and with JavaScript followed live while the try runs. The page itself
//! comes from Hangar's read model: a task that never ran answers 200 and says why.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::team_nav::TeamNav;
use crate::components::{ErrorView, Span, StateBadge, StateLegend, Time};
use crate::functions::actions::{ClearTask, MarkTask, get_clear_preview};
use crate::functions::runs::{get_task_log, get_task_page};
use crate::models::tasks::MAPPED_PAGE_SIZE;
use crate::models::{
    LOG_LEVELS, LOG_PAGE_LINES, LogLine, MARK_STATES, MappedPage, TaskLogPage, TaskPage, TaskRow,
    TryRow,
};
use crate::paths;

/// The page's address parts and query, as read from the URL.
#[derive(Clone, Debug, PartialEq)]
struct Address {
    team: String,
    environment: String,
    dag: String,
    run: String,
    task: String,
    map: Option<i64>,
    attempt: Option<i64>,
    page: u32,
    level: String,
    search: String,
    /// The clear dialog's options, and whether its preview was asked for.
    clear: Option<ClearChoice>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct ClearChoice {
    downstream: bool,
    upstream: bool,
    only_failed: bool,
}

impl Address {
    /// The task page with other query values (`None` leaves one out).
    fn href(&self, attempt: Option<i64>, page: u32, level: &str, search: &str) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(map) = self.map {
            pairs.push(("map", map.to_string()));
        }
        if let Some(attempt) = attempt {
            pairs.push(("try", attempt.to_string()));
        }
        if page > 0 {
            pairs.push(("page", page.to_string()));
        }
        pairs.push(("level", level.to_string()));
        pairs.push(("q", search.to_string()));
        format!(
            "{}/tasks/{}{}",
            paths::run(&self.team, &self.environment, &self.dag, &self.run),
            paths::encode(&self.task),
            paths::query(&pairs)
        )
    }
}

#[component]
pub fn TaskLogPageView() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let address = Memo::new(move |_| {
        let param = |name: &str| params.read().get(name).unwrap_or_default();
        let q = query.read();
        let number = |name: &str| q.get(name).and_then(|v| v.parse::<i64>().ok());
        Address {
            team: param("team"),
            environment: param("environment"),
            dag: param("dag"),
            run: param("run"),
            task: param("task"),
            map: number("map").filter(|m| *m >= 0),
            attempt: number("try").filter(|t| *t > 0),
            page: number("page").unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
            level: q.get("level").unwrap_or_default(),
            search: q.get("q").unwrap_or_default(),
            clear: (q.get("clear").as_deref() == Some("preview")).then(|| ClearChoice {
                downstream: q.get("downstream").as_deref() == Some("true"),
                upstream: q.get("upstream").as_deref() == Some("true"),
                only_failed: q.get("only_failed").as_deref() == Some("true"),
            }),
        }
    });
    let task = Resource::new(
        move || {
            let a = address.get();
            (a.team, a.environment, a.dag, a.run, a.task, a.map, a.page)
        },
        |(team, environment, dag, run, task, map, page)| {
            get_task_page(team, environment, dag, run, task, map, page)
        },
    );
    crate::components::live::use_live_updates(move || address.get().team, move || task.refetch());
    view! {
        <TeamNav team=address.get_untracked().team current="runs"/>
        <Transition fallback=|| view! { <p class="loading">"Loading the task…"</p> }>
            {move || Suspend::new(async move {
                match task.await {
                    Ok(page) => view! { <TaskView address=address.get_untracked() page/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TaskView(address: Address, page: TaskPage) -> impl IntoView {
    let TaskPage {
        run,
        dag_display_name,
        shared,
        task_id,
        operator,
        trigger_rule,
        instance,
        mapped,
        tries,
        upstream,
        downstream,
        why,
        can_clear,
    } = page;
    let run_href = paths::run(&address.team, &run.environment, &run.dag_id, &run.run_id);
    let dag_href = paths::dag(&address.team, &run.environment, &run.dag_id);
    let title = match &instance {
        Some(i) if i.map_index >= 0 => format!("{task_id} [{}]", i.map_index),
        _ => task_id.clone(),
    };
    let state = instance
        .as_ref()
        .map(|i| i.state.clone())
        .unwrap_or_else(|| {
            crate::models::states::summary(
                mapped
                    .iter()
                    .flat_map(|m| m.states.iter().map(|(s, _)| s.as_str())),
            )
            .to_string()
        });
    let links = |tasks: Vec<(String, Option<String>)>| {
        tasks
            .into_iter()
            .map(|(task, state)| {
                let href = paths::task_log(&address.team, &run.environment, &run.dag_id, &run.run_id, &task, -1, 0);
                view! { <li><a href=href>{task}</a> {state.map(|s| view! { <StateBadge state=s/> })}</li> }
            })
            .collect_view()
    };
    let upstream_list = (!upstream.is_empty()).then(|| {
        let items = links(upstream.into_iter().map(|(t, s)| (t, Some(s))).collect());
        view! { <div class="neighbours"><h3>"Upstream"</h3><ul data-testid="upstream">{items}</ul></div> }
    });
    let downstream_list = (!downstream.is_empty()).then(|| {
        let items = links(downstream.into_iter().map(|t| (t, None)).collect());
        view! { <div class="neighbours"><h3>"Downstream"</h3><ul>{items}</ul></div> }
    });
    let facts = instance.clone().map(|i| view! { <InstanceFacts instance=i operator=operator.clone() trigger_rule=trigger_rule.clone()/> });
    let actions = can_clear.then(|| {
        let map_index = instance.as_ref().map(|i| i.map_index).filter(|m| *m >= 0);
        let markable = instance.is_some();
        view! { <TaskActions address=address.clone() map_index markable/> }
    });
    let body = match (instance, mapped) {
        (Some(instance), _) => {
            let ran = instance.try_number > 0;
            view! {
                <TryHistory address=address.clone() tries/>
                {ran.then(|| view! { <LogSection address=address.clone()/> })}
            }
            .into_any()
        }
        (None, Some(mapped)) => view! { <MappedList address=address.clone() mapped/> }.into_any(),
        (None, None) => ().into_any(),
    };
    view! {
        <section class="task-page" data-task=task_id.clone()>
            <p class="crumbs">
                <a href=dag_href>{dag_display_name}</a>{shared.then_some(" (shared)")}
                " / " <a href=run_href>"run " <code class="wrap">{run.run_id.clone()}</code></a>
            </p>
            <h1><code class="wrap">{title}</code> " " <span data-testid="task-state"><StateBadge state/></span></h1>
            {why.map(|why| view! { <p class="notice why" data-testid="why-not-run">{why}</p> })}
            {facts}
            {actions}
            <div class="neighbour-lists">{upstream_list}{downstream_list}</div>
            {body}
        </section>
    }
}

/// Clear (with Airflow's options and a preview of what it takes) and mark, for those who may.
/// The preview is a GET of this page (`?clear=preview&…`), so it works without JavaScript;
/// clearing and marking are forms posting to their server functions.
#[component]
fn TaskActions(address: Address, map_index: Option<i64>, markable: bool) -> impl IntoView {
    let clear = ServerAction::<ClearTask>::new();
    let mark = ServerAction::<MarkTask>::new();
    let here = address.href(address.attempt, 0, "", "");
    let choice = address.clear.unwrap_or_default();
    let preview = address.clear.map(|choice| {
        let a = address.clone();
        Resource::new(
            move || (),
            move |_| {
                get_clear_preview(
                    a.team.clone(),
                    a.environment.clone(),
                    a.dag.clone(),
                    a.run.clone(),
                    a.task.clone(),
                    map_index,
                    choice.downstream,
                    choice.upstream,
                    choice.only_failed,
                )
            },
        )
    });
    let fields = {
        let a = address.clone();
        move || {
            view! {
                <input type="hidden" name="team" value=a.team.clone()/>
                <input type="hidden" name="environment" value=a.environment.clone()/>
                <input type="hidden" name="dag_id" value=a.dag.clone()/>
                <input type="hidden" name="run_id" value=a.run.clone()/>
                <input type="hidden" name="task_id" value=a.task.clone()/>
                {map_index.map(|m| view! { <input type="hidden" name="map_index" value=m.to_string()/> })}
            }
        }
    };
    let confirm = preview.map(|preview| {
        let fields = fields.clone();
        let here = here.clone();
        view! {
            <Suspense fallback=|| view! { <p class="loading">"Asking Airflow what that clears…"</p> }>
                {move || {
                    let fields = fields.clone();
                    let here = here.clone();
                    Suspend::new(async move {
                        match preview.await {
                            Ok(tasks) if tasks.is_empty() => view! {
                                <p class="notice" data-testid="clear-preview">"That clears nothing (only failed ones were asked for, and none failed)."</p>
                            }.into_any(),
                            Ok(tasks) => {
                                let count = tasks.len();
                                let items = tasks
                                    .into_iter()
                                    .map(|t| {
                                        let name = if t.map_index >= 0 { format!("{} [{}]", t.task_id, t.map_index) } else { t.task_id.clone() };
                                        view! { <li><code>{name}</code> " " <StateBadge state=t.state/></li> }
                                    })
                                    .collect_view();
                                view! {
                                    <div class="clear-preview" data-testid="clear-preview">
                                        <p>{format!("Clearing takes these {count} task instances back to the start:")}</p>
                                        <ul>{items}</ul>
                                        <ActionForm action=clear attr:class="inline-form">
                                            {fields()}
                                            {choice.downstream.then(|| view! { <input type="hidden" name="downstream" value="true"/> })}
                                            {choice.upstream.then(|| view! { <input type="hidden" name="upstream" value="true"/> })}
                                            {choice.only_failed.then(|| view! { <input type="hidden" name="only_failed" value="true"/> })}
                                            <input type="hidden" name="return_to" value=here/>
                                            <button type="submit" class="danger" data-testid="clear-confirm">{format!("Clear {count}")}</button>
                                        </ActionForm>
                                    </div>
                                }.into_any()
                            }
                            Err(error) => view! { <p class="notice error" role="alert">{error.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        }
    });
    let marks = markable.then(|| {
        MARK_STATES
            .iter()
            .map(|state| {
                let fields = fields.clone();
                let here = here.clone();
                view! {
                    <ActionForm action=mark attr:class="inline-form">
                        {fields()}
                        <input type="hidden" name="state" value=*state/>
                        <input type="hidden" name="return_to" value=here/>
                        <button type="submit" data-testid=format!("mark-task-{state}")>{format!("Mark {state}")}</button>
                    </ActionForm>
                }
            })
            .collect_view()
    });
    let outcome = move || {
        let failed = clear
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| mark.value().get().and_then(|r| r.err()));
        let done = clear
            .value()
            .get()
            .and_then(|r| r.ok())
            .map(|n| format!("Cleared {n} task instances."));
        match (failed, done) {
            (Some(error), _) => Some(view! { <p class="notice error" role="alert" data-testid="action-error">{error.to_string()}</p> }.into_any()),
            (None, Some(done)) => Some(view! { <p class="notice" role="status" data-testid="action-done">{done}</p> }.into_any()),
            _ => None,
        }
    };
    let map_field = address
        .map
        .map(|m| view! { <input type="hidden" name="map" value=m.to_string()/> });
    view! {
        <details class="task-actions" open=address.clear.is_some() data-testid="task-actions">
            <summary>"Clear or mark…"</summary>
            <Form method="GET" action="">
                {map_field}
                <input type="hidden" name="clear" value="preview"/>
                <div class="filters">
                    <label><input type="checkbox" name="downstream" value="true" checked=choice.downstream data-testid="clear-downstream"/>" with downstream"</label>
                    <label><input type="checkbox" name="upstream" value="true" checked=choice.upstream data-testid="clear-upstream"/>" with upstream"</label>
                    <label><input type="checkbox" name="only_failed" value="true" checked=choice.only_failed data-testid="clear-only-failed"/>" only failed"</label>
                    <button type="submit" data-testid="clear-preview-button">"Preview the clear"</button>
                </div>
            </Form>
            {confirm}
            <div class="run-actions">{marks}</div>
            {outcome}
        </details>
    }
}

/// Where and when the instance ran.
#[component]
fn InstanceFacts(
    instance: TaskRow,
    operator: Option<String>,
    trigger_rule: Option<String>,
) -> impl IntoView {
    let where_ran = [
        ("Executor", instance.executor.clone()),
        ("Queue", instance.queue.clone()),
        ("Host", instance.hostname.clone()),
    ]
    .into_iter()
    .filter_map(|(label, value)| {
        value.map(|v| view! { <dt>{label}</dt><dd><code class="wrap">{v}</code></dd> })
    })
    .collect_view();
    view! {
        <dl class="facts" data-testid="task-facts">
            <dt>"Operator"</dt><dd>{operator.or(instance.operator.clone()).unwrap_or_else(|| "—".into())}</dd>
            <dt>"Trigger rule"</dt><dd><code>{trigger_rule.unwrap_or_else(|| "all_success".into())}</code></dd>
            {instance.rendered_map_index.clone().map(|label| view! { <dt>"Item"</dt><dd>{label}</dd> })}
            <dt>"Tries"</dt><dd class="num-left">{instance.try_number}</dd>
            <dt>"Queued"</dt><dd><Time at=instance.queued.clone()/></dd>
            <dt>"Started"</dt><dd><Time at=instance.start_date.clone()/></dd>
            <dt>"Ended"</dt><dd><Time at=instance.end_date.clone()/></dd>
            <dt>"Took"</dt><dd><Span start=instance.start_date.clone() end=instance.end_date.clone()/></dd>
            {where_ran}
        </dl>
    }
}

/// Every try of the instance, each with its log.
#[component]
fn TryHistory(address: Address, tries: Vec<TryRow>) -> impl IntoView {
    if tries.is_empty() {
        return ().into_any();
    }
    let rows = tries
        .into_iter()
        .map(|t| {
            let href = address.href(Some(t.try_number), 0, "", "");
            view! {
                <tr data-try=t.try_number>
                    <td><a href=href>{format!("Try {}", t.try_number)}</a></td>
                    <td><StateBadge state=t.state.clone()/></td>
                    <td><Time at=t.start_date.clone()/></td>
                    <td class="num"><Span start=t.start_date.clone() end=t.end_date.clone()/></td>
                    <td class="muted">{t.hostname.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h2>"Tries"</h2>
        <div class="table-wrap">
            <table class="tries" data-testid="tries">
                <thead><tr><th>"Try"</th><th>"State"</th><th>"Started"</th><th>"Took"</th><th>"Host"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// A mapped task's instances, a page at a time.
#[component]
fn MappedList(address: Address, mapped: MappedPage) -> impl IntoView {
    let MappedPage {
        total,
        page,
        states,
        rows,
    } = mapped;
    let counts = states
        .iter()
        .map(|(state, n)| view! { <li><StateBadge state=state.clone()/> " " {*n}</li> })
        .collect_view();
    let first = u64::from(page) * MAPPED_PAGE_SIZE as u64;
    let link = |page: u32| {
        let mut address = address.clone();
        address.map = None;
        address.href(None, page, "", "")
    };
    let shown = rows.len() as u64;
    let previous = (page > 0).then(|| link(page - 1));
    let next = (first + shown < total).then(|| link(page + 1));
    let body = rows
        .into_iter()
        .map(|row| {
            let mut at = address.clone();
            at.map = Some(row.map_index);
            let href = at.href(None, 0, "", "");
            view! {
                <tr data-map-index=row.map_index>
                    <td><a href=href>{format!("[{}]", row.map_index)}</a></td>
                    <td>{row.rendered_map_index.clone().unwrap_or_default()}</td>
                    <td><StateBadge state=row.state.clone()/></td>
                    <td class="num">{row.try_number}</td>
                    <td><Time at=row.start_date.clone()/></td>
                    <td class="num"><Span start=row.start_date.clone() end=row.end_date.clone()/></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h2>{format!("{total} mapped instances")}</h2>
        <ul class="state-counts">{counts}</ul>
        <div class="table-wrap">
            <table class="mapped-list" data-testid="mapped-list">
                <thead><tr><th>"Index"</th><th>"Item"</th><th>"State"</th><th>"Tries"</th><th>"Started"</th><th>"Took"</th></tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
        <p class="pager">
            <span data-testid="mapped-count">{format!("{}–{} of {total}", first + 1, first + shown)}</span>
            {previous.map(|h| view! { <a href=h rel="prev">"← Earlier"</a> })}
            {next.map(|h| view! { <a href=h rel="next">"Later →"</a> })}
        </p>
        <StateLegend/>
    }
}

/// The log of one try, loaded on its own (Airflow is slower than the read model).
#[component]
fn LogSection(address: Address) -> impl IntoView {
    let key = address.clone();
    let log = Resource::new(
        move || key.clone(),
        |a| {
            get_task_log(
                a.team,
                a.environment,
                a.dag,
                a.run,
                a.task,
                a.map,
                a.attempt,
                a.page,
                a.level,
                a.search,
            )
        },
    );
    view! {
        <h2 id="log">"Log"</h2>
        <Suspense fallback=|| view! { <p class="loading">"Reading the log from Airflow…"</p> }>
            {move || {
                let address = address.clone();
                Suspend::new(async move {
                    match log.await {
                        Ok(page) => view! { <LogView address page refetch=move || log.refetch()/> }.into_any(),
                        // The page stands; only the log could not be read.
                        Err(error) => view! {
                            <p class="notice error" role="alert" data-testid="log-error">{error.to_string()}</p>
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn LogView(
    address: Address,
    page: TaskLogPage,
    refetch: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let TaskLogPage {
        task_id,
        map_index,
        try_number,
        max_try,
        lines,
        page,
        total,
        capped,
        growing,
        first_error,
        open_group,
        filter,
        notice,
        reading,
    } = page;
    if max_try == 0 {
        return view! { <p class="muted" data-testid="log-count">{notice.unwrap_or_default()}</p> }
            .into_any();
    }
    let attempt = Some(try_number);
    let tries = (1..=max_try)
        .map(|n| {
            let current = n == try_number;
            view! { <a href=address.href(Some(n), 0, "", "") aria-current=current.then_some("page") data-try=n>{format!("Try {n}")}</a> }
        })
        .collect_view();
    let size = LOG_PAGE_LINES as u64;
    let shown = lines.len() as u64;
    let first = u64::from(page) * size;
    let last_page = total.is_some_and(|t| first + shown >= t);
    let previous =
        (page > 0).then(|| address.href(attempt, page - 1, &filter.level, &filter.search));
    let next = (!last_page && shown == size)
        .then(|| address.href(attempt, page + 1, &filter.level, &filter.search));
    let count = match (total, filter.is_empty()) {
        (Some(0), true) => "The log is empty.".to_string(),
        (Some(0), false) => "No line matches.".to_string(),
        (Some(total), true) => format!("Lines {}–{} of {total}", first + 1, first + shown),
        (Some(total), false) => format!("Matches {}–{} of {total}", first + 1, first + shown),
        (None, _) if shown == 0 => "No lines yet.".to_string(),
        (None, true) => format!("Lines {}–{} so far", first + 1, first + shown),
        (None, false) => format!("Matches {}–{} so far", first + 1, first + shown),
    };
    let jump = first_error.map(|line| {
        let page = ((line - 1) / size) as u32;
        format!("{}#L{line}", address.href(attempt, page, "", ""))
    });
    let download = paths::task_log_download(
        &address.team,
        &address.environment,
        &address.dag,
        &address.run,
        &task_id,
        map_index,
        try_number,
    );
    // Follow live only what is at the end: the last page, unfiltered.
    let follows = growing && filter.is_empty() && next.is_none();
    let from = lines.last().map(|l| l.number).unwrap_or(first);
    // Lines the live stream sends are appended as HTML by the same writer as the page's.
    let log_ref = NodeRef::<leptos::html::Div>::new();
    let ended = RwSignal::new(false);
    if follows {
        let events = format!(
            "{download}{}from={from}",
            if download.contains('?') { "&" } else { "?" }
        )
        .replacen("/log", "/log/events", 1);
        let refetch = refetch.clone();
        crate::components::live::use_event_data(
            move || events.clone(),
            move |kind, data| match kind.as_str() {
                "lines" => {
                    if let (Ok(lines), Some(log)) = (
                        serde_json::from_str::<Vec<LogLine>>(&data),
                        log_ref.get_untracked(),
                    ) {
                        append_html(&log, &crate::components::log_lines::lines_html(&lines));
                    }
                }
                "end" => {
                    ended.set(true);
                    refetch();
                }
                _ => {}
            },
        );
    }
    if reading {
        // Airflow is still sending a large log: ask again shortly (a reload does the same).
        let refetch = refetch.clone();
        #[cfg(feature = "hydrate")]
        set_timeout(refetch, std::time::Duration::from_secs(3));
        #[cfg(not(feature = "hydrate"))]
        let _ = refetch;
    }
    let levels = LOG_LEVELS
        .iter()
        .map(|level| view! { <option value=*level selected=filter.level == *level>{format!("{level} and above")}</option> })
        .collect_view();
    let map_field = address
        .map
        .map(|m| view! { <input type="hidden" name="map" value=m.to_string()/> });
    let search = filter.search.clone();
    let body = crate::components::log_lines::page_lines_html(&lines, open_group.as_deref());
    view! {
        <div class="log-viewer" data-testid="log-viewer" data-growing=growing.to_string()>
            <nav class="tries" aria-label="Tries">{tries}</nav>
            <div class="log-tools">
                <Form method="GET" action="">
                    <div class="filters">
                        {map_field}
                        <input type="hidden" name="try" value=try_number.to_string()/>
                        <input type="search" name="q" placeholder="Search the log" maxlength="200"
                            value=search data-testid="log-search"/>
                        <select name="level" data-testid="log-level">
                            <option value="">"All levels"</option>
                            {levels}
                        </select>
                        <button type="submit">"Show"</button>
                    </div>
                </Form>
                {jump.map(|href| view! { <a class="button secondary" href=href data-testid="first-error">"Jump to first error"</a> })}
                <a class="button secondary" href=download rel="external" download="" data-testid="log-download">"Download the whole log"</a>
            </div>
            {notice.map(|n| view! { <p class="notice warning" role="status" data-testid="log-notice">{n}</p> })}
            {reading.then(|| view! { <p class="muted"><a href=address.href(attempt, page, &filter.level, &filter.search)>"Reload"</a> " to see more."</p> })}
            {capped.then(|| view! {
                <p class="notice warning" data-testid="log-capped">"The log goes on beyond what Hangar shows: download the whole log for the rest."</p>
            })}
            <p class="pager">
                <span data-testid="log-count">{count}</span>
                {previous.map(|h| view! { <a href=h rel="prev">"← Earlier"</a> })}
                {next.map(|h| view! { <a href=h rel="next">"Later →"</a> })}
                {follows.then(|| view! {
                    <span class="live" data-testid="log-live">{move || if ended.get() { "the try ended" } else { "following live" }}</span>
                })}
            </p>
            <p class="muted small">"Times in UTC."</p>
            <div class="log" data-testid="log" node_ref=log_ref inner_html=body></div>
        </div>
    }
    .into_any()
}

/// Appends `html` at the end of the log (the browser only; on the server nothing streams).
fn append_html(log: &leptos::web_sys::HtmlDivElement, html: &str) {
    #[cfg(feature = "hydrate")]
    {
        _ = log.insert_adjacent_html("beforeend", html);
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (log, html);
    }
}
