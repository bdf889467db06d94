//! `/t/{team}/dags/{environment}/{dag}/graph`: the DAG's tasks and their dependencies, drawn
//! on the server (SVG), coloured by a run's states (`?run=`); task groups fold into one node
//! and open again by their links (`?folded=`), so all of it works without JavaScript.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::team_nav::TeamNav;
use crate::components::{ErrorView, StateLegend};
use crate::models::views::GraphPage;
use crate::pages::dag_detail::DagTabs;
use crate::paths;

#[component]
pub fn GraphPageView() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let param = |name: &str| params.read().get(name).unwrap_or_default();
        let q = query.read();
        (
            param("team"),
            param("environment"),
            param("dag"),
            q.get("run").filter(|r| !r.is_empty()),
            q.get("folded").unwrap_or_default(),
        )
    };
    let graph = Resource::new(key, |(team, environment, dag, run, folded)| {
        fetch(team, environment, dag, run, folded)
    });
    crate::components::live::use_live_updates(move || key().0, move || graph.refetch());
    view! {
        <TeamNav team=key().0 current="dags"/>
        <Transition fallback=|| view! { <p class="loading">"Drawing the graph…"</p> }>
            {move || Suspend::new(async move {
                match graph.await {
                    Ok(page) => view! { <GraphView team=key().0 page/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

async fn fetch(
    team: String,
    environment: String,
    dag: String,
    run: Option<String>,
    folded: String,
) -> Result<GraphPage, crate::errors::AppError> {
    #[cfg(feature = "ssr")]
    {
        crate::functions::views::rendered_dag_graph(team, environment, dag, run, folded).await
    }
    #[cfg(not(feature = "ssr"))]
    {
        crate::functions::views::get_dag_graph(team, environment, dag, run, folded).await
    }
}

#[component]
fn GraphView(team: String, page: GraphPage) -> impl IntoView {
    let drawing = page.drawing();
    let GraphPage {
        environment,
        dag_id,
        dag_display_name,
        shared,
        run,
        runs,
        tasks,
        groups,
        folded,
        ..
    } = page;
    let run_id = run.as_ref().map(|r| r.run_id.clone());
    let with_folded = |folded: &[String]| {
        let base = paths::graph(&team, &environment, &dag_id, run_id.as_deref());
        if folded.is_empty() {
            return base;
        }
        let separator = if base.contains('?') { '&' } else { '?' };
        format!(
            "{base}{separator}folded={}",
            paths::encode(&folded.join(","))
        )
    };
    let top_level: Vec<String> = groups
        .iter()
        .filter(|g| !g.contains('.'))
        .cloned()
        .collect();
    let group_links = (!groups.is_empty()).then(|| {
        view! {
            <p class="graph-groups">
                {format!("{} task group{}: ", groups.len(), if groups.len() == 1 { "" } else { "s" })}
                <a href=with_folded(&top_level) data-testid="fold-all">"fold all"</a>
                " · "
                <a href=with_folded(&[]) data-testid="open-all">"open all"</a>
            </p>
        }
    });
    let options = runs
        .iter()
        .map(|r| {
            let selected = Some(&r.run_id) == run_id.as_ref();
            view! { <option value=r.run_id.clone() selected=selected>{format!("{} ({})", r.run_id, r.state)}</option> }
        })
        .collect_view();
    let folded_field = (!folded.is_empty())
        .then(|| view! { <input type="hidden" name="folded" value=folded.join(",")/> });
    let dag_href = paths::dag(&team, &environment, &dag_id);
    view! {
        <section class="dag-graph-page" data-dag=dag_id.clone()>
            <p class="crumbs"><a href=format!("/t/{team}/dags")>"DAGs"</a> " / " <a href=dag_href>{dag_display_name.clone()}</a>{shared.then_some(" (shared)")}</p>
            <h1>{dag_display_name}</h1>
            <DagTabs team=team.clone() environment=environment.clone() dag_id=dag_id.clone() current="graph" run_id=run_id.clone().unwrap_or_default()/>
            <Form method="GET" action="">
                <div class="filters">
                    <label>"Colour by run "
                        <select name="run" data-testid="graph-run">
                            <option value="">"no run"</option>
                            {options}
                        </select>
                    </label>
                    {folded_field}
                    <button type="submit">"Show"</button>
                </div>
            </Form>
            {group_links}
            {(tasks == 0).then(|| view! {
                <p class="notice warning" data-testid="graph-empty">"Hangar has not read this DAG's tasks from Airflow yet; they follow within a few minutes."</p>
            })}
            <div class="graph-wrap" inner_html=drawing.to_string()></div>
            <StateLegend/>
        </section>
    }
}
