//! `/t/{team}/pools`: the team's pools and the global ones, each with a bar of how its slots
//! are used; team admins create, edit and delete the team's pools, platform admins the
//! global ones.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::team_nav::TeamNav;
use crate::components::{EnvironmentField, ErrorView, SyncNotices};
use crate::errors::AppError;
use crate::functions::pools::{CreatePool, DeletePool, UpdatePool, get_team_pools};
use crate::models::{PoolPage, PoolRow};

#[derive(Clone, Copy)]
struct PoolActions {
    create: ServerAction<CreatePool>,
    update: ServerAction<UpdatePool>,
    delete: ServerAction<DeletePool>,
}

#[component]
pub fn PoolsPage() -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let actions = PoolActions {
        create: ServerAction::new(),
        update: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let pools = Resource::new(
        move || {
            (
                team(),
                actions.create.version().get(),
                actions.update.version().get(),
                actions.delete.version().get(),
            )
        },
        |(team, ..)| get_team_pools(team),
    );
    crate::components::live::use_live_updates(team, move || pools.refetch());
    view! {
        <TeamNav team=team() current="pools"/>
        <Transition fallback=|| view! { <p class="loading">"Loading pools…"</p> }>
            {move || Suspend::new(async move {
                match pools.await {
                    Ok(page) => view! { <PoolList team=team() page actions/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn PoolList(team: String, page: PoolPage, actions: PoolActions) -> impl IntoView {
    let PoolPage {
        pools,
        environments,
        can_create_team_pool,
        can_create_global_pool,
        sync,
    } = page;
    let return_to = format!("/t/{team}/pools");
    let error = move || {
        let last = |v: Option<Result<(), AppError>>| v.and_then(|r| r.err());
        last(actions.create.value().get())
            .or_else(|| last(actions.update.value().get()))
            .or_else(|| last(actions.delete.value().get()))
            .map(|e| view! { <p class="notice error" role="alert" data-testid="action-error">{e.to_string()}</p> })
    };
    let rows = pools
        .into_iter()
        .map(|pool| view! { <PoolRowView team=team.clone() return_to=return_to.clone() pool actions/> })
        .collect_view();
    let create = (can_create_team_pool || can_create_global_pool).then(|| {
        view! { <CreateForm team=team.clone() return_to=return_to.clone() environments global=can_create_global_pool action=actions.create/> }
    });
    view! {
        <section class="pools">
            <h1>"Pools"</h1>
            <SyncNotices notices=sync/>
            {error}
            <table class="pool-list" data-testid="pool-list">
                <thead><tr><th>"Pool"</th><th>"Usage"</th><th class="num">"Slots"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <p class="legend muted">
                <span class="swatch running"></span>" running "
                <span class="swatch queued"></span>" queued "
                <span class="swatch scheduled"></span>" scheduled "
                <span class="swatch deferred"></span>" deferred "
                <span class="swatch open"></span>" open"
            </p>
            {create}
        </section>
    }
}

#[component]
fn PoolRowView(
    team: String,
    return_to: String,
    pool: PoolRow,
    actions: PoolActions,
) -> impl IntoView {
    let summary = pool
        .segments()
        .iter()
        .map(|(class, n, _)| format!("{n} {class}"))
        .collect::<Vec<_>>()
        .join(", ");
    // SVG geometry, not inline styles: the Content-Security-Policy allows no style attributes.
    let mut x = 0.0;
    let bar = pool
        .segments()
        .into_iter()
        .map(|(class, n, percent)| {
            let start = x;
            x += percent;
            view! {
                <rect class=format!("segment {class}") x=format!("{start:.2}") y="0"
                    width=format!("{percent:.2}") height="10"><title>{format!("{n} {class}")}</title></rect>
            }
        })
        .collect_view();
    let slots = if pool.slots < 0 {
        "unlimited".to_string()
    } else {
        pool.slots.to_string()
    };
    let editing = pool.editable.then(|| {
        let deletable = !pool.is_default();
        let (environment, name, slots, description, include_deferred) = (
            pool.environment.clone(),
            pool.name.clone(),
            pool.slots,
            pool.description.clone().unwrap_or_default(),
            pool.include_deferred,
        );
        let (team2, env2, name2, return2) = (team.clone(), environment.clone(), name.clone(), return_to.clone());
        view! {
            <details class="pool-edit">
                <summary data-testid="pool-edit">"Edit"</summary>
                <ActionForm action=actions.update attr:class="pool-form">
                    <input type="hidden" name="team" value=team/>
                    <input type="hidden" name="environment" value=environment/>
                    <input type="hidden" name="name" value=name/>
                    <input type="hidden" name="return_to" value=return_to/>
                    <label>"Slots " <input type="number" name="slots" min="-1" value=slots data-testid="pool-slots"/></label>
                    <label>"Description " <input type="text" name="description" value=description/></label>
                    <label><input type="checkbox" name="include_deferred" value="true" checked=include_deferred/>" Count deferred tasks"</label>
                    <button type="submit" data-testid="pool-save">"Save"</button>
                </ActionForm>
                {deletable.then(|| view! {
                    <ActionForm action=actions.delete attr:class="pool-form">
                        <input type="hidden" name="team" value=team2/>
                        <input type="hidden" name="environment" value=env2/>
                        <input type="hidden" name="name" value=name2/>
                        <input type="hidden" name="return_to" value=return2/>
                        <button type="submit" class="danger" data-testid="pool-delete">"Delete this pool"</button>
                    </ActionForm>
                })}
            </details>
        }
    });
    view! {
        <tr data-pool=pool.name.clone()>
            <td>
                <strong>{pool.name.clone()}</strong>
                {pool.global.then(|| view! { <span class="badge shared" title="Global: every team's tasks may use it">"global"</span> })}
                {pool.is_default().then(|| view! { <span class="badge">"default"</span> })}
                {pool.description.clone().map(|d| view! { <div class="muted">{d}</div> })}
            </td>
            <td>
                <svg class="pool-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img"
                    aria-label=summary.clone() data-testid="pool-bar">{bar}</svg>
                <div class="muted small">{summary}</div>
            </td>
            <td class="num">{slots}</td>
            <td>{editing}</td>
        </tr>
    }
}

#[component]
fn CreateForm(
    team: String,
    return_to: String,
    environments: Vec<String>,
    global: bool,
    action: ServerAction<CreatePool>,
) -> impl IntoView {
    let selected = environments.first().cloned().unwrap_or_default();
    view! {
        <details class="pool-create">
            <summary data-testid="pool-create-open">"New pool"</summary>
            <ActionForm action attr:class="pool-form">
                <input type="hidden" name="team" value=team/>
                <input type="hidden" name="return_to" value=return_to/>
                <EnvironmentField environments selected/>
                <label>"Name " <input type="text" name="name" required maxlength="256" data-testid="pool-name"/></label>
                <label>"Slots " <input type="number" name="slots" min="-1" value="8" required data-testid="pool-new-slots"/></label>
                <label>"Description " <input type="text" name="description"/></label>
                <label><input type="checkbox" name="include_deferred" value="true"/>" Count deferred tasks"</label>
                {global.then(|| view! {
                    <label><input type="checkbox" name="global" value="true" data-testid="pool-global"/>" Global (every team)"</label>
                })}
                <button type="submit" data-testid="pool-create">"Create"</button>
            </ActionForm>
        </details>
    }
}
