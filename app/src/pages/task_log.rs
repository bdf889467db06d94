//! `/t/{team}/dags/{environment}/{dag}/runs/{run}/tasks/{task}`: one attempt's log, fetched
//! live from Airflow and shown a page of lines at a time, levels in colour.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::ErrorView;
use crate::components::team_nav::TeamNav;
use crate::functions::runs::get_task_log;
use crate::models::{LOG_PAGE_LINES, TaskLogPage};
use crate::paths;

#[component]
pub fn TaskLogPageView() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let param = move |name: &str| params.read().get(name).unwrap_or_default();
    let number = move |name: &str| query.read().get(name).and_then(|v| v.parse::<i64>().ok());
    let log = Resource::new(
        move || {
            (
                (
                    param("team"),
                    param("environment"),
                    param("dag"),
                    param("run"),
                    param("task"),
                ),
                (
                    number("map"),
                    number("try"),
                    number("page").unwrap_or(0).max(0) as u32,
                ),
            )
        },
        |((team, environment, dag, run, task), (map, attempt, page))| {
            get_task_log(team, environment, dag, run, task, map, attempt, page)
        },
    );
    view! {
        <TeamNav team=param("team") current="runs"/>
        <Suspense fallback=|| view! { <p class="loading">"Fetching the log from Airflow…"</p> }>
            {move || Suspend::new(async move {
                match log.await {
                    Ok(log) => {
                        let base = paths::run(&param("team"), &param("environment"), &param("dag"), &param("run"));
                        view! { <LogView base map=number("map").unwrap_or(-1) log/> }.into_any()
                    }
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn LogView(base: String, map: i64, log: TaskLogPage) -> impl IntoView {
    let TaskLogPage {
        task_id,
        try_number,
        max_try,
        lines,
        page,
        total_lines,
    } = log;
    let href = {
        let (base, task_id) = (base.clone(), task_id.clone());
        move |attempt: i64, page: u32| {
            let mut pairs = vec![("try", attempt.to_string()), ("page", page.to_string())];
            if map >= 0 {
                pairs.push(("map", map.to_string()));
            }
            format!(
                "{base}/tasks/{}{}",
                paths::encode(&task_id),
                paths::query(&pairs)
            )
        }
    };
    let tries = (1..=max_try)
        .map(|attempt| {
            let current = attempt == try_number;
            view! { <a href=href(attempt, 0) aria-current=current.then_some("page")>{format!("Try {attempt}")}</a> }
        })
        .collect_view();
    let first = page as u64 * LOG_PAGE_LINES as u64;
    let shown = lines.len() as u64;
    let previous = (page > 0).then(|| href(try_number, page - 1));
    let next = (first + shown < total_lines).then(|| href(try_number, page + 1));
    let body = lines
        .into_iter()
        .map(|line| {
            let time = line
                .timestamp
                .as_deref()
                .and_then(|t| t.get(11..23))
                .unwrap_or("")
                .to_string();
            view! {
                <div class=format!("log-line level-{}", line.level)>
                    <span class="log-time">{time}</span>
                    <span class="log-level">{line.level.clone()}</span>
                    <span class="log-text">{line.text}</span>
                </div>
            }
        })
        .collect_view();
    view! {
        <section class="task-log">
            <p class="crumbs"><a href=base>"Run"</a></p>
            <h1>"Log of " <code>{task_id.clone()}</code></h1>
            <nav class="tries" aria-label="Attempts">{tries}</nav>
            <p class="pager">
                <span data-testid="log-count">
                    {if total_lines == 0 { "The log is empty.".to_string() } else { format!("Lines {}–{} of {total_lines}", first + 1, first + shown) }}
                </span>
                {previous.map(|h| view! { <a href=h rel="prev">"← Earlier"</a> })}
                {next.map(|h| view! { <a href=h rel="next">"Later →"</a> })}
            </p>
            <div class="log" data-testid="log">{body}</div>
        </section>
    }
}
