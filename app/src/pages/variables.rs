//! `/t/{team}/variables`: the team's variables and the global ones — keys and descriptions.
//! A value shows only after "Reveal" (authors and admins): a form that POSTs (a cross-site
//! link or an image cannot reveal anything, and Hangar's CSRF check refuses a cross-site
//! post), and the server fetches that one value from Airflow and audits the reveal. Without
//! JavaScript the answer is a page of its own. Authors and admins create, edit and delete the
//! team's; platform admins the global ones.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::team_nav::TeamNav;
use crate::components::{EnvironmentField, ErrorView, SyncNotices};
use crate::errors::AppError;
use crate::functions::variables::{
    DeleteVariable, RevealVariable, SaveVariable, get_team_variables,
};
use crate::models::{RevealedValue, VariablePage, VariableRow};

#[component]
pub fn VariablesPage() -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let reveal = ServerAction::<RevealVariable>::new();
    let save = ServerAction::<SaveVariable>::new();
    let delete = ServerAction::<DeleteVariable>::new();
    let variables = Resource::new(
        move || (team(), save.version().get(), delete.version().get()),
        |(team, ..)| get_team_variables(team),
    );
    view! {
        <TeamNav team=team() current="variables"/>
        <Transition fallback=|| view! { <p class="loading">"Loading variables…"</p> }>
            {move || Suspend::new(async move {
                match variables.await {
                    Ok(page) => view! { <VariableList team=team() page reveal save delete/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn VariableList(
    team: String,
    page: VariablePage,
    reveal: ServerAction<RevealVariable>,
    save: ServerAction<SaveVariable>,
    delete: ServerAction<DeleteVariable>,
) -> impl IntoView {
    let VariablePage {
        variables,
        environments,
        can_reveal,
        can_create_team_variable,
        can_create_global_variable,
        sync,
    } = page;
    let return_to = format!("/t/{team}/variables");
    let error = move || {
        let last = |v: Option<Result<(), AppError>>| v.and_then(|r| r.err());
        last(save.value().get())
            .or_else(|| last(delete.value().get()))
            .or_else(|| reveal.value().get().and_then(|r| r.err()))
            .map(|e| view! { <p class="notice error" role="alert" data-testid="action-error">{e.to_string()}</p> })
    };
    let rows = variables
        .into_iter()
        .map(|variable| {
            view! { <VariableRowView team=team.clone() return_to=return_to.clone() variable reveal can_reveal save delete/> }
        })
        .collect_view();
    let create = (can_create_team_variable || can_create_global_variable).then(|| {
        let environment = environments.first().cloned().unwrap_or_default();
        view! {
            <details class="variable-create">
                <summary data-testid="variable-create-open">"New variable"</summary>
                <ActionForm action=save attr:class="variable-form">
                    <input type="hidden" name="team" value=team.clone()/>
                    <input type="hidden" name="return_to" value=return_to.clone()/>
                    <input type="hidden" name="create" value="true"/>
                    <EnvironmentField environments=environments.clone() selected=environment/>
                    <label>"Key " <input type="text" name="key" required maxlength="250" data-testid="variable-key"/></label>
                    <label>"Value " <textarea name="value" rows="2" data-testid="variable-value"></textarea></label>
                    <label>"Description " <input type="text" name="description" data-testid="variable-description"/></label>
                    {can_create_global_variable.then(|| view! {
                        <label><input type="checkbox" name="global" value="true"/>" Global (every team)"</label>
                    })}
                    <button type="submit" data-testid="variable-create">"Create"</button>
                </ActionForm>
            </details>
        }
    });
    view! {
        <section class="variables">
            <h1>"Variables"</h1>
            <SyncNotices notices=sync/>
            {error}
            <p class="muted">
                {if can_reveal {
                    "Values stay in Airflow: each one you reveal is fetched now and recorded in the audit log."
                } else {
                    "Values stay in Airflow; authors and admins of the team may reveal them."
                }}
            </p>
            <table class="variable-list" data-testid="variable-list">
                <thead><tr><th>"Key"</th><th>"Description"</th><th>"Value"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {create}
        </section>
    }
}

#[component]
fn VariableRowView(
    team: String,
    return_to: String,
    variable: VariableRow,
    reveal: ServerAction<RevealVariable>,
    can_reveal: bool,
    save: ServerAction<SaveVariable>,
    delete: ServerAction<DeleteVariable>,
) -> impl IntoView {
    let (this_key, this_environment) = (variable.key.clone(), variable.environment.clone());
    // This row's value, once its reveal form was posted (with JavaScript; without it, the
    // answer is a page of its own).
    let value = move || {
        reveal
            .value()
            .get()
            .and_then(|answer| answer.ok())
            .filter(|r| r.key == this_key && r.environment == this_environment)
    };
    let (form_team, form_return, form_environment, form_key) = (
        team.clone(),
        return_to.clone(),
        variable.environment.clone(),
        variable.key.clone(),
    );
    let value_cell = move || {
        match value() {
        Some(RevealedValue {
            value: Some(value), ..
        }) => view! {
            <pre class="revealed" data-testid="variable-revealed">{value}</pre>
            <button type="button" class="link" data-testid="variable-hide" on:click=move |_| reveal.value().set(None)>"Hide"</button>
        }
        .into_any(),
        Some(RevealedValue { value: None, .. }) => view! {
            <span class="muted" data-testid="variable-revealed" title="Airflow answers *** for keys that look like secrets">
                "kept secret by Airflow"
            </span>
        }
        .into_any(),
        None if can_reveal => {
            let (team, return_to, environment, key) = (
                form_team.clone(),
                form_return.clone(),
                form_environment.clone(),
                form_key.clone(),
            );
            view! {
                <ActionForm action=reveal attr:class="inline-form">
                    <input type="hidden" name="team" value=team/>
                    <input type="hidden" name="return_to" value=return_to/>
                    <input type="hidden" name="environment" value=environment/>
                    <input type="hidden" name="key" value=key/>
                    <span class="muted">"hidden "</span>
                    <button type="submit" class="link" data-testid="variable-reveal">"Reveal"</button>
                </ActionForm>
            }
            .into_any()
        }
        None => view! { <span class="muted">"hidden"</span> }.into_any(),
    }
    };
    let editing = variable.editable.then(|| {
        let (team2, return2) = (team.clone(), return_to.clone());
        let (environment, key) = (variable.environment.clone(), variable.key.clone());
        let (environment2, key2) = (environment.clone(), key.clone());
        let description = variable.description.clone().unwrap_or_default();
        view! {
            <details class="variable-edit">
                <summary data-testid="variable-edit">"Edit"</summary>
                <ActionForm action=save attr:class="variable-form">
                    <input type="hidden" name="team" value=team/>
                    <input type="hidden" name="return_to" value=return_to/>
                    <input type="hidden" name="environment" value=environment/>
                    <input type="hidden" name="key" value=key/>
                    <label>"New value "
                        <textarea name="value" rows="2" placeholder="unchanged unless typed" data-testid="variable-new-value"></textarea>
                    </label>
                    <label>"Description " <input type="text" name="description" value=description data-testid="variable-edit-description"/></label>
                    <button type="submit" data-testid="variable-save">"Save"</button>
                </ActionForm>
                <ActionForm action=delete attr:class="variable-form">
                    <input type="hidden" name="team" value=team2/>
                    <input type="hidden" name="return_to" value=return2/>
                    <input type="hidden" name="environment" value=environment2/>
                    <input type="hidden" name="key" value=key2/>
                    <button type="submit" class="danger" data-testid="variable-delete">"Delete this variable"</button>
                </ActionForm>
            </details>
        }
    });
    view! {
        <tr data-variable=variable.key.clone()>
            <td>
                <code>{variable.key.clone()}</code>
                {variable.global.then(|| view! { <span class="badge shared" title="Global: read-only for team roles">"global"</span> })}
            </td>
            <td>{variable.description.clone().unwrap_or_default()}</td>
            <td>{value_cell}</td>
            <td>{editing}</td>
        </tr>
    }
}
