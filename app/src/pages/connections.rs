//! `/t/{team}/connections`: the team's connections and the global ones — metadata only. A
//! password shows as "set" or "not set"; secret-looking extras as `***`. Authors and admins
//! create, edit and delete the team's; platform admins the global ones.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::team_nav::TeamNav;
use crate::components::{EnvironmentField, ErrorView, SyncNotices};
use crate::errors::AppError;
use crate::functions::connections::{DeleteConnection, SaveConnection, get_team_connections};
use crate::models::{ConnectionPage, ConnectionRow};

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let save = ServerAction::<SaveConnection>::new();
    let delete = ServerAction::<DeleteConnection>::new();
    let connections = Resource::new(
        move || (team(), save.version().get(), delete.version().get()),
        |(team, ..)| get_team_connections(team),
    );
    view! {
        <TeamNav team=team() current="connections"/>
        <Transition fallback=|| view! { <p class="loading">"Loading connections…"</p> }>
            {move || Suspend::new(async move {
                match connections.await {
                    Ok(page) => view! { <ConnectionList team=team() page save delete/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ConnectionList(
    team: String,
    page: ConnectionPage,
    save: ServerAction<SaveConnection>,
    delete: ServerAction<DeleteConnection>,
) -> impl IntoView {
    let ConnectionPage {
        connections,
        environments,
        can_create_team_connection,
        can_create_global_connection,
        sync,
    } = page;
    let return_to = format!("/t/{team}/connections");
    let error = move || {
        let last = |v: Option<Result<(), AppError>>| v.and_then(|r| r.err());
        last(save.value().get())
            .or_else(|| last(delete.value().get()))
            .map(|e| view! { <p class="notice error" role="alert" data-testid="action-error">{e.to_string()}</p> })
    };
    let rows = connections
        .into_iter()
        .map(|connection| view! { <ConnectionRowView team=team.clone() return_to=return_to.clone() connection save delete/> })
        .collect_view();
    let create = (can_create_team_connection || can_create_global_connection).then(|| {
        let environment = environments.first().cloned().unwrap_or_default();
        view! {
            <details class="connection-create">
                <summary data-testid="connection-create-open">"New connection"</summary>
                <ActionForm action=save attr:class="connection-form">
                    <input type="hidden" name="team" value=team.clone()/>
                    <input type="hidden" name="return_to" value=return_to.clone()/>
                    <input type="hidden" name="create" value="true"/>
                    <EnvironmentField environments=environments.clone() selected=environment/>
                    <label>"Id " <input type="text" name="connection_id" required data-testid="connection-id"/></label>
                    <Fields connection=None/>
                    {can_create_global_connection.then(|| view! {
                        <label><input type="checkbox" name="global" value="true"/>" Global (every team)"</label>
                    })}
                    <button type="submit" data-testid="connection-create">"Create"</button>
                </ActionForm>
            </details>
        }
    });
    view! {
        <section class="connections">
            <h1>"Connections"</h1>
            <SyncNotices notices=sync/>
            {error}
            <table class="connection-list" data-testid="connection-list">
                <thead><tr><th>"Connection"</th><th>"Type"</th><th>"Host"</th><th>"Login"</th><th>"Password"</th><th>"Extra"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {create}
        </section>
    }
}

/// The editable fields; the password is never filled in (empty keeps it on an edit).
#[component]
fn Fields(connection: Option<ConnectionRow>) -> impl IntoView {
    let value = |f: fn(&ConnectionRow) -> Option<String>| {
        connection.as_ref().and_then(f).unwrap_or_default()
    };
    let editing = connection.is_some();
    view! {
        <label>"Type " <input type="text" name="conn_type" required value=value(|c| Some(c.conn_type.clone())) data-testid="connection-type"/></label>
        <label>"Host " <input type="text" name="host" value=value(|c| c.host.clone())/></label>
        <label>"Port " <input type="number" name="port" min="0" max="65535" value=value(|c| c.port.map(|p| p.to_string()))/></label>
        <label>"Login " <input type="text" name="login" value=value(|c| c.login.clone()) data-testid="connection-login"/></label>
        <label>"Schema " <input type="text" name="schema" value=value(|c| c.schema.clone())/></label>
        <label>"Password "
            <input type="password" name="password" autocomplete="new-password" data-testid="connection-password"
                placeholder=if editing { "unchanged unless typed" } else { "" }/>
        </label>
        <label>"Extra (JSON) " <textarea name="extra" rows="2">{value(|c| c.extra_masked.clone())}</textarea></label>
        <label>"Description " <input type="text" name="description" value=value(|c| c.description.clone())/></label>
    }
}

#[component]
fn ConnectionRowView(
    team: String,
    return_to: String,
    connection: ConnectionRow,
    save: ServerAction<SaveConnection>,
    delete: ServerAction<DeleteConnection>,
) -> impl IntoView {
    let editing = connection.editable.then(|| {
        let (team2, return2) = (team.clone(), return_to.clone());
        let (environment, id) = (connection.environment.clone(), connection.connection_id.clone());
        let (environment2, id2) = (environment.clone(), id.clone());
        let row = connection.clone();
        view! {
            <details class="connection-edit">
                <summary data-testid="connection-edit">"Edit"</summary>
                <ActionForm action=save attr:class="connection-form">
                    <input type="hidden" name="team" value=team/>
                    <input type="hidden" name="return_to" value=return_to/>
                    <input type="hidden" name="environment" value=environment/>
                    <input type="hidden" name="connection_id" value=id/>
                    <Fields connection=Some(row)/>
                    <button type="submit" data-testid="connection-save">"Save"</button>
                </ActionForm>
                <ActionForm action=delete attr:class="connection-form">
                    <input type="hidden" name="team" value=team2/>
                    <input type="hidden" name="return_to" value=return2/>
                    <input type="hidden" name="environment" value=environment2/>
                    <input type="hidden" name="connection_id" value=id2/>
                    <button type="submit" class="danger" data-testid="connection-delete">"Delete this connection"</button>
                </ActionForm>
            </details>
        }
    });
    view! {
        <tr data-connection=connection.connection_id.clone()>
            <td>
                <strong>{connection.connection_id.clone()}</strong>
                {connection.global.then(|| view! { <span class="badge shared" title="Global: read-only for team roles">"global"</span> })}
                {connection.description.clone().map(|d| view! { <div class="muted">{d}</div> })}
            </td>
            <td>{connection.conn_type.clone()}</td>
            <td>{connection.host.clone().unwrap_or_default()}{connection.port.map(|p| format!(":{p}"))}</td>
            <td>{connection.login.clone().unwrap_or_default()}</td>
            <td data-testid="password-state">{if connection.password_set { "set" } else { "not set" }}</td>
            <td><code class="muted">{connection.extra_masked.clone().unwrap_or_default()}</code></td>
            <td>{editing}</td>
        </tr>
    }
}
