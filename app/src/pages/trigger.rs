//! `/t/{team}/dags/{environment}/{dag}/trigger`: trigger a run of a DAG, with a typed field
//! per run parameter (`ParamInput`), the rest of the configuration as JSON, a logical date
//! and a note. Checked as it is typed; the server checks again before anything reaches
//! Airflow (`trigger_dag`).
//!
//! A page of its own rather than part of the DAG page: the form and its checks are most of
//! a DAG page's browser code, and most visits to a DAG do not trigger it. With JavaScript a
//! triggered run opens its own page, where it can be watched; without it the server sends
//! the browser back to the DAG page, whose grid shows the new run.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::components::{ActionError, ErrorView};
use crate::functions::actions::TriggerDag;
use crate::functions::runs::get_dag_trigger;
use crate::models::{DagParam, ParamInput, TriggerPage, TriggerRequest};
use crate::paths;

#[component]
pub fn TriggerPageView() -> impl IntoView {
    let params = use_params_map();
    let param = move |name: &str| params.read().get(name).unwrap_or_default();
    let key = move || (param("team"), param("environment"), param("dag"));
    let trigger = ServerAction::<TriggerDag>::new();
    let page = Resource::new(key, |(team, environment, dag)| {
        get_dag_trigger(team, environment, dag)
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(run_id)) = trigger.value().get() {
            let (team, environment, dag) = key();
            navigate(
                &paths::run(&team, &environment, &dag, &run_id),
                Default::default(),
            );
        }
    });
    view! {
        <crate::components::team_nav::TeamNav team=param("team") current="dags"/>
        <Transition fallback=|| view! { <p class="loading">"Loading the DAG…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <TriggerView team=key().0 page trigger/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TriggerView(
    team: String,
    page: TriggerPage,
    trigger: ServerAction<TriggerDag>,
) -> impl IntoView {
    let TriggerPage {
        environment,
        dag_id,
        display_name,
        shared: _,
        is_paused,
        ownership_conflict,
        params,
        can_trigger,
    } = page;
    let dag_href = paths::dag(&team, &environment, &dag_id);
    let dags_href = format!("{}/dags", paths::team(&team));
    // Why the form is not there, when it is not: the same reasons the DAG page shows no link.
    let refusal = (!can_trigger).then(|| {
        // The page itself asks for a role that triggers (routes.rs), so what is left is
        // the DAG's own state.
        let why = if ownership_conflict {
            "Nobody can trigger this DAG while its ownership is in conflict: a platform admin resolves it first."
        } else {
            "This DAG comes from a shared bundle: only platform admins trigger it."
        };
        view! { <p class="notice warning" role="alert" data-testid="trigger-refused">{why}</p> }
    });
    let form = can_trigger.then(|| {
        let return_to = dag_href.clone();
        view! { <TriggerForm team environment dag_id=dag_id.clone() return_to params trigger/> }
    });
    view! {
        <section class="trigger-page" data-dag=dag_id.clone()>
            <p class="crumbs"><a href=dags_href>"DAGs"</a> " / " <a href=dag_href>{display_name.clone()}</a></p>
            <h1>"Trigger " {display_name}</h1>
            {is_paused.then(|| view! {
                <p class="notice warning" data-testid="trigger-paused">
                    "This DAG is paused: a run triggered now is queued and starts once the DAG is unpaused."
                </p>
            })}
            {refusal}
            {form}
        </section>
    }
}

/// One run parameter as the input its schema asks for (`ParamInput`), sent as
/// `params[name]`; what it expects and its description beside it.
#[component]
fn ParamField(
    param: DagParam,
    values: RwSignal<std::collections::BTreeMap<String, String>>,
    touched: RwSignal<bool>,
) -> impl IntoView {
    let field = format!("params[{}]", param.name);
    let initial = param.form_text(&param.default);
    let name = param.name.clone();
    let set = move |ev: leptos::ev::Event| {
        touched.set(true);
        let text = event_target_value(&ev);
        values.update(|v| {
            v.insert(name.clone(), text);
        });
    };
    let option = |value: String, label: String, selected: bool| {
        view! { <option value=value selected=selected>{label}</option> }
    };
    let input = match param.input() {
        ParamInput::Choice(choices) => {
            let mut options: Vec<_> = choices
                .iter()
                .map(|choice| {
                    let label = choice.as_str().map_or_else(|| choice.to_string(), str::to_string);
                    option(choice.to_string(), label, *choice == param.default)
                })
                .collect();
            // A default that is not among the choices (none, say) is what the form starts
            // from, so it is sent unchanged unless one is picked.
            if !choices.contains(&param.default) {
                options.insert(0, option(initial.clone(), "(default)".into(), true));
            }
            let options = options.collect_view();
            view! { <select name=field data-testid="param-input" on:change=set>{options}</select> }.into_any()
        }
        ParamInput::Boolean => {
            let mut options = vec![
                option("true".into(), "true".into(), initial == "true"),
                option("false".into(), "false".into(), initial == "false"),
            ];
            if param.nullable() || initial.is_empty() {
                options.insert(0, option(String::new(), "(none)".into(), initial.is_empty()));
            }
            view! { <select name=field data-testid="param-input" on:change=set>{options.collect_view()}</select> }.into_any()
        }
        ParamInput::Integer | ParamInput::Number => {
            let step = if param.input() == ParamInput::Integer { "1" } else { "any" };
            let bound = |key: &str| param.schema.get(key).map(|b| b.to_string());
            view! {
                <input type="number" name=field step=step min=bound("minimum") max=bound("maximum")
                    value=initial data-testid="param-input" on:input=set/>
            }
            .into_any()
        }
        ParamInput::Date => view! { <input type="date" name=field value=initial data-testid="param-input" on:input=set/> }.into_any(),
        ParamInput::DateTime => view! { <input type="datetime-local" name=field value=initial data-testid="param-input" on:input=set/> }.into_any(),
        ParamInput::Text => {
            let bound = |key: &str| param.schema.get(key).and_then(|b| b.as_u64()).map(|b| b.to_string());
            view! {
                <input type="text" name=field minlength=bound("minLength") maxlength=bound("maxLength")
                    value=initial data-testid="param-input" on:input=set/>
            }
            .into_any()
        }
        ParamInput::Json => view! {
            <textarea name=field rows="2" class="json" data-testid="param-input" on:input=set>{initial}</textarea>
        }
        .into_any(),
    };
    view! {
        <label class="param" data-param=param.name.clone()>
            <code>{param.name.clone()}</code>
            {input}
            <span class="muted">{param.expects()}</span>
            {param.description.clone().map(|d| view! { <span class="param-description">{d}</span> })}
        </label>
    }
}

#[component]
fn TriggerForm(
    team: String,
    environment: String,
    dag_id: String,
    return_to: String,
    params: Vec<DagParam>,
    trigger: ServerAction<TriggerDag>,
) -> impl IntoView {
    // Each parameter is a field of its own type, starting from its default; anything else
    // goes in the JSON object. Checked as you type (the server checks again before anything
    // reaches Airflow).
    let retry_at = paths::trigger(&team, &environment, &dag_id);
    let conf = RwSignal::new(String::new());
    let values = RwSignal::new(
        params
            .iter()
            .map(|p| (p.name.clone(), p.form_text(&p.default)))
            .collect::<std::collections::BTreeMap<_, _>>(),
    );
    // Without JavaScript the button must stay usable (the server checks and explains); with
    // it, the button waits for a configuration that passes once the user has typed.
    let touched = RwSignal::new(false);
    let has_params = !params.is_empty();
    let param_fields = has_params.then(|| {
        let fields = params
            .iter()
            .map(|p| view! { <ParamField param=p.clone() values touched/> })
            .collect_view();
        view! { <fieldset class="params" data-testid="trigger-params"><legend>"Parameters"</legend>{fields}</fieldset> }
    });
    let logical_date = RwSignal::new(String::new());
    let problem = Memo::new(move |_| {
        let request = TriggerRequest {
            conf: conf.get(),
            logical_date: logical_date.get(),
            note: String::new(),
            params: values.get(),
        };
        request
            .conf_for(&params)
            .err()
            .or_else(|| request.logical_date_rfc3339().err())
    });
    let conf_label = if has_params {
        "Other configuration keys (JSON object, optional)"
    } else {
        "Configuration (JSON object)"
    };
    view! {
        <div class="trigger">
            <ActionForm action=trigger attr:class="trigger-form">
                <input type="hidden" name="team" value=team/>
                <input type="hidden" name="environment" value=environment/>
                <input type="hidden" name="dag_id" value=dag_id/>
                <input type="hidden" name="return_to" value=return_to/>
                // Without JavaScript, a refused trigger's page links back here, not to the
                // DAG page.
                <input type="hidden" name="retry_at" value=retry_at/>
                {param_fields}
                <label>{conf_label}
                    <textarea name="conf" rows=if has_params { "2" } else { "5" } placeholder="{}" data-testid="trigger-conf"
                        on:input=move |ev| { touched.set(true); conf.set(event_target_value(&ev)) }></textarea>
                </label>
                <label>"Logical date (UTC, optional)"
                    <input type="datetime-local" name="logical_date" data-testid="trigger-date"
                        on:input=move |ev| logical_date.set(event_target_value(&ev))/>
                </label>
                <label>"Note (optional)"
                    <input type="text" name="note" maxlength="1000" data-testid="trigger-note"/>
                </label>
                {move || problem.get().map(|p| view! { <p class="notice error" data-testid="trigger-problem">{p}</p> })}
                <button type="submit" data-testid="trigger-submit"
                    disabled=move || (touched.get() && problem.get().is_some()) || trigger.pending().get()>
                    {move || if trigger.pending().get() { "Triggering…" } else { "Trigger" }}
                </button>
            </ActionForm>
            <ActionError value=Signal::derive(move || trigger.value().get().and_then(|r| r.err()))/>
        </div>
    }
}
