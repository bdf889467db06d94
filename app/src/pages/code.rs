//! `/t/{team}/dags/{environment}/{dag}/code`: the DAG file's code as Airflow keeps it (the
//! version a run used with `?run=`), numbered and highlighted on the server.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::ErrorView;
use crate::components::team_nav::TeamNav;
use crate::models::views::CodePage;
use crate::pages::dag_detail::DagTabs;
use crate::paths;

#[component]
pub fn CodePageView() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let param = |name: &str| params.read().get(name).unwrap_or_default();
        (
            param("team"),
            param("environment"),
            param("dag"),
            query.read().get("run").filter(|r| !r.is_empty()),
        )
    };
    let code = Resource::new(key, |(team, environment, dag, run)| {
        fetch(team, environment, dag, run)
    });
    view! {
        <TeamNav team=key().0 current="dags"/>
        <Suspense fallback=|| view! { <p class="loading">"Reading the code from Airflow…"</p> }>
            {move || Suspend::new(async move {
                match code.await {
                    Ok(page) => view! { <CodeView team=key().0 page/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

async fn fetch(
    team: String,
    environment: String,
    dag: String,
    run: Option<String>,
) -> Result<CodePage, crate::errors::AppError> {
    #[cfg(feature = "ssr")]
    {
        crate::functions::views::rendered_dag_code(team, environment, dag, run).await
    }
    #[cfg(not(feature = "ssr"))]
    {
        crate::functions::views::get_dag_code(team, environment, dag, run).await
    }
}

#[component]
fn CodeView(team: String, page: CodePage) -> impl IntoView {
    let code = page.code();
    let CodePage {
        environment,
        dag_id,
        dag_display_name,
        shared,
        file,
        version,
        run_id,
        line_count,
        ..
    } = page;
    let which = match (&run_id, version) {
        (Some(run), Some(v)) => format!("Version {v} of the DAG, as run {run} used it"),
        (Some(run), None) => format!("The code run {run} used"),
        (None, Some(v)) => format!("Version {v} of the DAG, the latest"),
        (None, None) => "The latest version".to_string(),
    };
    let dag_href = paths::dag(&team, &environment, &dag_id);
    view! {
        <section class="code-page" data-dag=dag_id.clone()>
            <p class="crumbs"><a href=format!("/t/{team}/dags")>"DAGs"</a> " / " <a href=dag_href>{dag_display_name.clone()}</a>{shared.then_some(" (shared)")}</p>
            <h1>{dag_display_name}</h1>
            <DagTabs team=team.clone() environment=environment.clone() dag_id=dag_id.clone() current="code" run_id=run_id.clone().unwrap_or_default()/>
            <p class="muted" data-testid="code-version">
                {which} " — " <code class="wrap">{file.unwrap_or_else(|| "file unknown".into())}</code>
                {format!(", {line_count} lines")}
            </p>
            <div class="code-wrap" inner_html=code.to_string()></div>
        </section>
    }
}
