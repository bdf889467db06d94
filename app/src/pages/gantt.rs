//! `/t/{team}/dags/{environment}/{dag}/runs/{run}/gantt`: when each task of a run was queued,
//! started and ended, every try a bar (SVG drawn on the server).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::team_nav::TeamNav;
use crate::components::{ErrorView, StateBadge, StateLegend};
use crate::models::views::GanttPage;
use crate::pages::run_detail::RunTabs;
use crate::paths;

#[component]
pub fn GanttPageView() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let param = |name: &str| params.read().get(name).unwrap_or_default();
        (
            param("team"),
            param("environment"),
            param("dag"),
            param("run"),
        )
    };
    let gantt = Resource::new(key, |(team, environment, dag, run)| {
        fetch(team, environment, dag, run)
    });
    crate::components::live::use_live_updates(move || key().0, move || gantt.refetch());
    view! {
        <TeamNav team=key().0 current="runs"/>
        <Transition fallback=|| view! { <p class="loading">"Drawing the chart…"</p> }>
            {move || Suspend::new(async move {
                match gantt.await {
                    Ok(page) => view! { <GanttView team=key().0 page/> }.into_any(),
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
    run: String,
) -> Result<GanttPage, crate::errors::AppError> {
    #[cfg(feature = "ssr")]
    {
        crate::functions::views::rendered_run_gantt(team, environment, dag, run).await
    }
    #[cfg(not(feature = "ssr"))]
    {
        crate::functions::views::get_run_gantt(team, environment, dag, run).await
    }
}

#[component]
fn GanttView(team: String, page: GanttPage) -> impl IntoView {
    let drawing = page.drawing();
    let GanttPage {
        run,
        dag_display_name,
        shared,
        rows,
        ..
    } = page;
    let dag_href = paths::dag(&team, &run.environment, &run.dag_id);
    view! {
        <section class="gantt-page" data-run=run.run_id.clone()>
            <p class="crumbs"><a href=dag_href>{dag_display_name}</a>{shared.then_some(" (shared)")}</p>
            <h1><code class="wrap">{run.run_id.clone()}</code> " " <StateBadge state=run.state.clone()/></h1>
            <RunTabs team=team.clone() environment=run.environment.clone() dag_id=run.dag_id.clone() run_id=run.run_id.clone() current="gantt"/>
            {(rows == 0).then(|| view! { <p class="muted">"No task of this run has been queued yet."</p> })}
            <p class="muted">"Each bar is a try: lighter while queued, then in its state's colour; earlier tries are fainter."</p>
            <div class="gantt-wrap" inner_html=drawing.to_string()></div>
            <StateLegend/>
        </section>
    }
}
