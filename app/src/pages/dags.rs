//! `/t/{team}/dags`: the team's DAGs and the shared ones, from Hangar's read model.
//!
//! Search and filters are a GET form, so the page works without JavaScript; with it, the
//! router turns submissions into client-side navigations.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::team_nav::TeamNav;
use crate::components::{ErrorView, SyncNotices};
use crate::functions::dags::get_team_dags;
use crate::models::{DAG_PAGE_SIZE, DagPage, DagQuery, DagRow};
use crate::paths::encode;

#[component]
pub fn DagsPage() -> impl IntoView {
    let params = use_params_map();
    let query_map = use_query_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let query = move || {
        let q = query_map.read();
        DagQuery {
            search: q.get("q").unwrap_or_default(),
            paused: match q.get("paused").as_deref() {
                Some("true") => Some(true),
                Some("false") => Some(false),
                _ => None,
            },
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
        }
    };
    let dags = Resource::new(
        move || (team(), query()),
        |(team, query)| get_team_dags(team, query.search, query.paused, query.page),
    );
    crate::components::live::use_live_updates(team, move || dags.refetch());
    view! {
        <TeamNav team=team() current="dags"/>
        <Transition fallback=|| view! { <p class="loading">"Loading DAGs…"</p> }>
            {move || Suspend::new(async move {
                match dags.await {
                    Ok(page) => view! { <DagList team=team() page/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DagList(team: String, page: DagPage) -> impl IntoView {
    let DagPage {
        rows,
        total,
        query,
        sync,
    } = page;
    let first = query.page as u64 * DAG_PAGE_SIZE as u64;
    let shown = rows.len() as u64;
    let link = {
        let team = team.clone();
        let query = query.clone();
        move |page: u32| {
            let mut params = vec![];
            if !query.search.is_empty() {
                params.push(format!("q={}", encode(&query.search)));
            }
            if let Some(paused) = query.paused {
                params.push(format!("paused={paused}"));
            }
            params.push(format!("page={page}"));
            format!("/t/{team}/dags?{}", params.join("&"))
        }
    };
    let previous = (query.page > 0).then(|| link(query.page - 1));
    let next = (first + shown < total).then(|| link(query.page + 1));
    let paused_value = match query.paused {
        Some(true) => "true",
        Some(false) => "false",
        None => "",
    };
    view! {
        <section class="dags">
            <h1>"DAGs"</h1>
            <SyncNotices notices=sync/>
            <Form method="GET" action="">
                <div class="filters">
                    <input
                        type="search"
                        name="q"
                        placeholder="Search id, name or description"
                        value=query.search.clone()
                        data-testid="dag-search"
                    />
                    <select name="paused" data-testid="dag-paused">
                        <option value="" selected=paused_value.is_empty()>"Active and paused"</option>
                        <option value="false" selected=paused_value == "false">"Active"</option>
                        <option value="true" selected=paused_value == "true">"Paused"</option>
                    </select>
                    <button type="submit">"Filter"</button>
                </div>
            </Form>
            <table class="dag-list" data-testid="dag-list">
                <thead>
                    <tr>
                        <th>"DAG"</th>
                        <th>"Recent runs"</th>
                        <th>"Schedule"</th>
                        <th>"Next run"</th>
                        <th>"Owners"</th>
                        <th>"Tags"</th>
                        <th>"State"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| view! { <DagRowView team=team.clone() row/> }).collect_view()}
                </tbody>
            </table>
            <p class="pager">
                <span data-testid="dag-count">
                    {if total == 0 {
                        "No DAGs match.".to_string()
                    } else {
                        format!("{}–{} of {total}", first + 1, first + shown)
                    }}
                </span>
                {previous.map(|href| view! { <a href=href rel="prev">"← Previous"</a> })}
                {next.map(|href| view! { <a href=href rel="next">"Next →"</a> })}
            </p>
        </section>
    }
}

#[component]
fn DagRowView(team: String, row: DagRow) -> impl IntoView {
    view! {
        <tr data-dag=row.dag_id.clone() class:paused=row.is_paused>
            <td>
                <a href=crate::paths::dag(&team, &row.environment, &row.dag_id) class="dag-link"><strong>{row.display_name.clone()}</strong></a>
                {(row.display_name != row.dag_id).then(|| view! { <code class="muted">{row.dag_id.clone()}</code> })}
                {row.shared.then(|| view! { <span class="badge shared" title="From a shared bundle">"shared"</span> })}
                {row.has_import_errors.then(|| view! { <span class="badge error">"import errors"</span> })}
                {row.description.clone().map(|d| view! { <div class="muted">{d}</div> })}
            </td>
            <td>
                <span class="run-strip" data-testid="run-strip">
                    {row
                        .recent_runs
                        .iter()
                        .map(|run| {
                            view! {
                                <span
                                    class=format!("run state-{}", run.state)
                                    title=format!("{}: {}", run.run_id, run.state)
                                    data-run=run.run_id.clone()
                                ></span>
                            }
                        })
                        .collect_view()}
                </span>
            </td>
            <td>{row.schedule.clone().unwrap_or_else(|| "—".into())}</td>
            <td>{row.next_run.clone().unwrap_or_else(|| "—".into())}</td>
            <td>{row.owners.join(", ")}</td>
            <td>{row.tags.into_iter().map(|t| view! { <span class="tag">{t}</span> }).collect_view()}</td>
            <td>{if row.is_paused { "Paused" } else { "Active" }}</td>
        </tr>
    }
}
