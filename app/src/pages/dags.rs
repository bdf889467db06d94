//! `/t/{team}/dags`: the team's DAGs and the shared ones, from Hangar's read model.
//!
//! Search and filters are a GET form, so the page works without JavaScript; with it, the
//! router turns submissions into client-side navigations.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::team_nav::TeamNav;
use crate::components::{ErrorView, ImportErrors, SyncNotices};
use crate::functions::actions::SetDagPaused;
use crate::functions::dags::{DagFilters, get_team_dags};
use crate::models::{DAG_PAGE_SIZES, DAG_SORTS, DagPage, DagQuery, DagRow, RUN_STATES};

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
        |(team, query, _)| {
            let filters = DagFilters {
                tag: query.tag,
                owner: query.owner,
                last_state: query.last_state,
                import_errors: query.import_errors,
                bundle: query.bundle,
                sort: query.sort,
                per_page: query.per_page,
            };
            get_team_dags(team, query.search, query.paused, filters, query.page)
        },
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
    let DagPage {
        rows,
        total,
        query,
        sync,
        bundles,
        can_pause,
        can_pause_shared,
        import_errors,
    } = page;
    let first = query.page as u64 * query.page_size() as u64;
    let shown = rows.len() as u64;
    let link = {
        let team = team.clone();
        let query = query.clone();
        move |page: u32| {
            let pairs = [
                ("q", query.search.clone()),
                (
                    "paused",
                    query.paused.map(|p| p.to_string()).unwrap_or_default(),
                ),
                ("tag", query.tag.clone()),
                ("owner", query.owner.clone()),
                ("state", query.last_state.clone()),
                (
                    "errors",
                    if query.import_errors {
                        "true".into()
                    } else {
                        String::new()
                    },
                ),
                ("bundle", query.bundle.clone()),
                ("sort", query.sort.clone()),
                (
                    "per",
                    if query.per_page == 0 {
                        String::new()
                    } else {
                        query.page_size().to_string()
                    },
                ),
                ("page", page.to_string()),
            ];
            format!("/t/{team}/dags{}", crate::paths::query(&pairs))
        }
    };
    let here = link(query.page);
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
                <tbody>
                    {rows.into_iter().map(|row| {
                        let can_pause = if row.shared { can_pause_shared } else { can_pause };
                        view! { <DagRowView team=team.clone() row can_pause return_to=here.clone() pause/> }
                    }).collect_view()}
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
fn DagRowView(
    team: String,
    row: DagRow,
    can_pause: bool,
    return_to: String,
    pause: ServerAction<SetDagPaused>,
) -> impl IntoView {
    let switch = can_pause.then(|| {
        let label = if row.is_paused { "Unpause" } else { "Pause" };
        let (team, environment, dag_id) =
            (team.clone(), row.environment.clone(), row.dag_id.clone());
        view! {
            <ActionForm action=pause attr:class="inline-form">
                <input type="hidden" name="team" value=team/>
                <input type="hidden" name="environment" value=environment/>
                <input type="hidden" name="dag_id" value=dag_id/>
                <input type="hidden" name="paused" value=(!row.is_paused).to_string()/>
                <input type="hidden" name="return_to" value=return_to/>
                <button type="submit" class="small" data-testid="row-pause" disabled=move || pause.pending().get()>{label}</button>
            </ActionForm>
        }
    });
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
            <td>
                {row.tags.into_iter().map(|t| {
                    let href = format!("/t/{team}/dags{}", crate::paths::query(&[("tag", t.clone())]));
                    view! { <a class="tag" href=href>{t}</a> }
                }).collect_view()}
            </td>
            <td data-testid="row-state">{if row.is_paused { "Paused" } else { "Active" }} {switch}</td>
        </tr>
    }
}
