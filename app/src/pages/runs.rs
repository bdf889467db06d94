//! `/t/{team}/runs`: the team's runs (and the shared DAGs' runs), newest first, filtered by
//! state, type and date with a GET form that works without JavaScript.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::run_rows::run_rows_html;
use crate::components::team_nav::TeamNav;
use crate::components::{ErrorView, SyncNotices};
use crate::models::{RUN_COUNT_CAP, RUN_PAGE_SIZE, RUN_STATES, RUN_TYPES, RunPage, RunQuery};
use crate::paths;

#[component]
pub fn RunsPage() -> impl IntoView {
    let params = use_params_map();
    let query_map = use_query_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let query = move || {
        let q = query_map.read();
        RunQuery {
            state: q.get("state").unwrap_or_default(),
            run_type: q.get("type").unwrap_or_default(),
            from: q.get("from").unwrap_or_default(),
            to: q.get("to").unwrap_or_default(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
        }
    };
    let runs = Resource::new(move || (team(), query()), |(team, q)| fetch_runs(team, q));
    crate::components::live::use_live_updates(team, move || runs.refetch());
    view! {
        <TeamNav team=team() current="runs"/>
        <Transition fallback=|| view! { <p class="loading">"Loading runs…"</p> }>
            {move || Suspend::new(async move {
                match runs.await {
                    Ok(page) => view! { <RunList team=team() page/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RunList(team: String, page: RunPage) -> impl IntoView {
    let rows_html = page
        .rows_html
        .clone()
        .map(crate::kept_html::kept)
        .unwrap_or_else(|| run_rows_html(&team, &page.rows).into());
    // The rows' times arrive in UTC (a kept page serves every viewer); once they are in the
    // page, the browser shows them in the reader's zone.
    let rows_ref = NodeRef::<leptos::html::Tbody>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(tbody) = rows_ref.get() {
            crate::components::time::localize_text_times(&tbody);
        }
    });
    let RunPage {
        shown,
        total,
        query,
        sync,
        ..
    } = page;
    let first = query.page as u64 * RUN_PAGE_SIZE as u64;
    let link = {
        let (team, query) = (team.clone(), query.clone());
        move |page: u32| {
            let pairs = [
                ("state", query.state.clone()),
                ("type", query.run_type.clone()),
                ("from", query.from.clone()),
                ("to", query.to.clone()),
                ("page", page.to_string()),
            ];
            format!("/t/{team}/runs{}", paths::query(&pairs))
        }
    };
    let previous = (query.page > 0).then(|| link(query.page - 1));
    // Beyond the count cap the total is "more than 1,000": a full page means there may be more.
    let beyond_cap = total > RUN_COUNT_CAP;
    let next = (first + shown < total || (beyond_cap && shown == RUN_PAGE_SIZE as u64))
        .then(|| link(query.page + 1));
    let of_total = if beyond_cap {
        format!("more than {RUN_COUNT_CAP}")
    } else {
        total.to_string()
    };
    let options = |values: &[&'static str], selected: &str| {
        values
            .iter()
            .map(|v| view! { <option value=*v selected=*v == selected>{v.replace('_', " ")}</option> })
            .collect_view()
    };
    view! {
        <section class="runs">
            <h1>"Runs"</h1>
            <SyncNotices notices=sync/>
            <Form method="GET" action="">
                <div class="filters">
                    <select name="state" data-testid="run-state-filter">
                        <option value="">"Any state"</option>
                        {options(&RUN_STATES, &query.state)}
                    </select>
                    <select name="type" data-testid="run-type-filter">
                        <option value="">"Any type"</option>
                        {options(&RUN_TYPES, &query.run_type)}
                    </select>
                    <label>"From " <input type="date" name="from" value=query.from.clone()/></label>
                    <label>"To " <input type="date" name="to" value=query.to.clone()/></label>
                    <button type="submit">"Filter"</button>
                </div>
            </Form>
            <table class="run-list" data-testid="run-list">
                <thead><tr><th>"DAG"</th><th>"Run"</th><th>"State"</th><th>"Type"</th><th>"Run after"</th><th>"Ended"</th></tr></thead>
                <tbody node_ref=rows_ref inner_html=rows_html></tbody>
            </table>
            <p class="pager">
                <span data-testid="run-count">
                    {if total == 0 { "No runs match.".to_string() } else { format!("{}–{} of {of_total}", first + 1, first + shown) }}
                </span>
                {previous.map(|href| view! { <a href=href rel="prev">"← Newer"</a> })}
                {next.map(|href| view! { <a href=href rel="next">"Older →"</a> })}
            </p>
        </section>
    }
}

/// The page's runs: on the server with the rows already written (and kept), in the browser
/// as data to write them from.
async fn fetch_runs(team: String, query: RunQuery) -> Result<RunPage, crate::errors::AppError> {
    #[cfg(feature = "ssr")]
    {
        crate::functions::runs::rendered_team_runs(team, query).await
    }
    #[cfg(not(feature = "ssr"))]
    {
        crate::functions::runs::get_team_runs(
            team,
            query.state,
            query.run_type,
            query.from,
            query.to,
            query.page,
        )
        .await
    }
}
