//! `/t/{team}/dags`: the team's DAGs and the shared ones, from Hangar's read model.
//!
//! Search and filters are a GET form, so the page works without JavaScript; with it, the
//! router turns submissions into client-side navigations.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::dag_rows::page_rows_html;
use crate::components::team_nav::TeamNav;
use crate::components::{ErrorView, ImportErrors, SyncNotices};
use crate::functions::actions::SetDagPaused;
use crate::models::{DAG_PAGE_SIZES, DAG_SORTS, DagPage, DagQuery, RUN_STATES};

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
            tag: q.get("tag").unwrap_or_default(),
            owner: q.get("owner").unwrap_or_default(),
            last_state: q.get("state").unwrap_or_default(),
            import_errors: q.get("errors").as_deref() == Some("true"),
            bundle: q.get("bundle").unwrap_or_default(),
            sort: q.get("sort").unwrap_or_default(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
            per_page: q.get("per").and_then(|p| p.parse().ok()).unwrap_or(0),
        }
    };
    let pause = ServerAction::<SetDagPaused>::new();
    let dags = Resource::new(
        move || (team(), query(), pause.version().get()),
        |(team, query, _)| fetch_dags(team, query),
    );
    crate::components::live::use_live_updates(team, move || dags.refetch());
    view! {
        <TeamNav team=team() current="dags"/>
        <Transition fallback=|| view! { <p class="loading">"Loading DAGs…"</p> }>
            {move || Suspend::new(async move {
                match dags.await {
                    Ok(page) => view! { <DagList team=team() page pause/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DagList(team: String, page: DagPage, pause: ServerAction<SetDagPaused>) -> impl IntoView {
    let shown = page.shown();
    let rows_html = page
        .rows_html
        .clone()
        .map(crate::kept_html::kept)
        .unwrap_or_else(|| page_rows_html(&team, &page).into());
    // The rows' times arrive in UTC (a kept page serves every viewer); once they are in the
    // page, the browser shows them in the reader's zone.
    let rows_ref = NodeRef::<leptos::html::Tbody>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(tbody) = rows_ref.get() {
            crate::components::time::localize_text_times(&tbody);
        }
    });
    let DagPage {
        total,
        query,
        sync,
        bundles,
        import_errors,
        ..
    } = page;
    let first = u64::from(query.page) * u64::from(query.page_size());
    let previous = (query.page > 0).then(|| crate::paths::dag_list(&team, &query, query.page - 1));
    let next =
        (first + shown < total).then(|| crate::paths::dag_list(&team, &query, query.page + 1));
    let paused_value = match query.paused {
        Some(true) => "true",
        Some(false) => "false",
        None => "",
    };
    view! {
        <section class="dags">
            <h1>"DAGs"</h1>
            <SyncNotices notices=sync/>
            <ImportErrors errors=import_errors/>
            {move || pause.value().get().and_then(|r| r.err()).map(|error| view! {
                <p class="notice error" role="alert" data-testid="action-error">{error.to_string()}</p>
            })}
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
                    <input type="text" name="tag" placeholder="Tag" size="10" value=query.tag.clone() data-testid="dag-tag"/>
                    <input type="text" name="owner" placeholder="Owner" size="10" value=query.owner.clone() data-testid="dag-owner"/>
                    <select name="state" data-testid="dag-last-state">
                        <option value="">"Any latest run"</option>
                        {RUN_STATES.iter().chain(&["none"]).map(|state| {
                            let label = if *state == "none" { "No run".to_string() } else { format!("Latest run {state}") };
                            view! { <option value=*state selected=query.last_state == *state>{label}</option> }
                        }).collect_view()}
                    </select>
                    <select name="bundle" data-testid="dag-bundle">
                        <option value="">"Any bundle"</option>
                        {bundles.into_iter().map(|bundle| {
                            let selected = query.bundle == bundle;
                            view! { <option value=bundle.clone() selected=selected>{bundle.clone()}</option> }
                        }).collect_view()}
                    </select>
                    <label><input type="checkbox" name="errors" value="true" checked=query.import_errors data-testid="dag-errors"/>" Import errors"</label>
                    <select name="sort" data-testid="dag-sort">
                        {DAG_SORTS.iter().map(|(value, label)| {
                            let selected = query.sort == *value || (query.sort.is_empty() && *value == "id");
                            view! { <option value=*value selected=selected>{format!("Sort: {label}")}</option> }
                        }).collect_view()}
                    </select>
                    <select name="per" data-testid="dag-per-page">
                        {DAG_PAGE_SIZES.iter().map(|size| {
                            let selected = query.page_size() == *size;
                            view! { <option value=size.to_string() selected=selected>{format!("{size} per page")}</option> }
                        }).collect_view()}
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
                // Rows arrive as HTML (see `components::dag_rows`); their pause forms are
                // plain forms, sent as the pause action from here when JavaScript runs.
                <tbody node_ref=rows_ref inner_html=rows_html on:submit=move |ev| send_pause_form(ev, pause)></tbody>
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

/// A row's pause form, submitted with JavaScript on: sent as the pause action, so the list
/// refetches in place instead of reloading (without JavaScript the form posts as it is).
fn send_pause_form(ev: leptos::ev::SubmitEvent, pause: ServerAction<SetDagPaused>) {
    use leptos::form::FromFormData;
    ev.prevent_default();
    match SetDagPaused::from_event(&ev) {
        Ok(input) => {
            pause.dispatch(input);
        }
        Err(error) => leptos::logging::error!("unreadable pause form: {error:?}"),
    }
}

/// On the server, the list with its rows already written (and kept: `kept_pages`); in the
/// browser, the rows as data from the server function.
async fn fetch_dags(team: String, query: DagQuery) -> Result<DagPage, crate::errors::AppError> {
    #[cfg(feature = "ssr")]
    {
        crate::functions::dags::rendered_team_dags(team, query).await
    }
    #[cfg(not(feature = "ssr"))]
    {
        use crate::functions::dags::{DagFilters, get_team_dags};
        let filters = DagFilters {
            tag: query.tag,
            owner: query.owner,
            last_state: query.last_state,
            import_errors: query.import_errors,
            bundle: query.bundle,
            sort: query.sort,
            per_page: query.per_page,
        };
        get_team_dags(team, query.search, query.paused, filters, query.page).await
    }
}
