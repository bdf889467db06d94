//! The audit log viewer: `/platform/audit` (every entry, for platform admins and auditors)
//! and `/t/{team}/audit` (the team's entries, for its admins). Filters are a GET form and
//! paging is links, so the page works without JavaScript; the export links download the
//! whole filtered set.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::ErrorView;
use crate::components::team_nav::TeamNav;
use crate::errors::AppError;
use crate::functions::audit::{get_platform_audit, get_team_audit};
use crate::models::audit::{
    AUDIT_OUTCOMES, AuditFilter, AuditPage, AuditRow, AuditScope, ChainStatus, NO_TEAM,
};
use crate::time_text::{utc_minute, utc_second};

fn filter_from_query() -> impl Fn() -> (AuditFilter, Option<String>) + Copy + Send + Sync {
    let query_map = use_query_map();
    move || {
        let q = query_map.read();
        (
            AuditFilter::from_params(|name| q.get(name)),
            q.get("before"),
        )
    }
}

#[component]
pub fn PlatformAuditPage() -> impl IntoView {
    let query = filter_from_query();
    let page = Resource::new(query, |(filter, before)| get_platform_audit(filter, before));
    view! { <Loaded page/> }
}

#[component]
pub fn TeamAuditPage() -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let query = filter_from_query();
    let page = Resource::new(
        move || (team(), query()),
        |(team, (filter, before))| get_team_audit(team, filter, before),
    );
    view! {
        <TeamNav team=team() current="audit"/>
        <Loaded page/>
    }
}

/// The page once its data has arrived (either scope).
#[component]
fn Loaded(page: Resource<Result<AuditPage, AppError>>) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the audit log…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <AuditView page/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AuditView(page: AuditPage) -> impl IntoView {
    let AuditPage {
        scope,
        filter,
        filter_error,
        rows,
        before,
        older,
        actions,
        teams,
        chain,
        retention,
    } = page;
    let platform = scope == AuditScope::Platform;
    let newest = before.map(|_| AuditPage::href(&scope, &filter, None));
    let older = older.map(|cursor| AuditPage::href(&scope, &filter, Some(cursor)));
    let ndjson = AuditPage::export_href(&scope, &filter, "ndjson");
    let csv = AuditPage::export_href(&scope, &filter, "csv");
    let filtered = !filter.is_empty();
    let empty = if filtered {
        "No entries match these filters."
    } else {
        "The audit log has no entries yet."
    };
    let empty = rows.is_empty().then_some(empty);
    let body = rows
        .into_iter()
        .map(|row| view! { <EntryRow row platform/> })
        .collect_view();
    view! {
        <section class="audit">
            <h1>"Audit log"</h1>
            <ChainNotice chain/>
            <p class="retention" data-testid="retention">
                {retention.unwrap_or_else(|| "Entries are kept for good (no retention is set).".into())}
            </p>
            <Filters filter=filter.clone() platform actions teams/>
            {filter_error.map(|e| view! { <p class="notice error" role="alert" data-testid="filter-error">{e}</p> })}
            <p class="export">
                {if filtered { "Export these entries: " } else { "Export every entry: " }}
                <a href=ndjson data-testid="export-ndjson" download>"NDJSON"</a>
                " · "
                <a href=csv data-testid="export-csv" download>"CSV"</a>
            </p>
            <table class="audit-log" data-testid="audit-log">
                <thead>
                    <tr>
                        <th>"When (UTC)"</th>
                        {platform.then(|| view! { <th title="Place in the hash chain">"#"</th> })}
                        <th>"Who"</th>
                        {platform.then(|| view! { <th>"Team"</th> })}
                        <th>"Action"</th>
                        <th>"On"</th>
                        <th>"Outcome"</th>
                        <th>"Detail"</th>
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
            <p class="pager">
                {empty.map(|text| view! { <span data-testid="audit-empty">{text}</span> })}
                {newest.map(|href| view! { <a href=href rel="first" data-testid="audit-newest">"← Newest"</a> })}
                {older.map(|href| view! { <a href=href rel="next" data-testid="audit-older">"Older →"</a> })}
            </p>
        </section>
    }
}

#[component]
fn ChainNotice(chain: Option<ChainStatus>) -> impl IntoView {
    let Some(chain) = chain else {
        return view! {
            <p class="chain-status unknown" data-testid="chain-status" data-intact="unknown">
                "The hash chain has not been verified yet; the server verifies it periodically."
            </p>
        }
        .into_any();
    };
    let when = utc_minute(chain.checked_at_ms);
    let scope = match (chain.entries_checked, chain.from_seq) {
        (Some(count), Some(1)) => format!(" ({count} entries at that time)"),
        (Some(count), Some(from)) => format!(
            " ({count} entries at that time, from #{from}; older ones were removed by retention)"
        ),
        _ => String::new(),
    };
    if chain.intact {
        view! {
            <p class="chain-status intact" data-testid="chain-status" data-intact="true">
                {format!("✓ Hash chain verified intact at {when}{scope}.")}
            </p>
        }
        .into_any()
    } else {
        let problem = chain.problem.map_or_else(
            || " A platform admin can see where.".to_string(),
            |what| format!(": {what}."),
        );
        view! {
            <p class="chain-status broken" role="alert" data-testid="chain-status" data-intact="false">
                {format!("✗ Hash chain broken (verified at {when}){problem}")}
            </p>
        }
        .into_any()
    }
}

#[component]
fn Filters(
    filter: AuditFilter,
    platform: bool,
    actions: Vec<String>,
    teams: Vec<String>,
) -> impl IntoView {
    let selected_team = filter.team.clone();
    let team_select = platform.then(|| {
        let options = options(teams, &selected_team);
        view! {
            <label>"Team "
                <select name="team" data-testid="audit-team">
                    <option value="">"Any"</option>
                    <option value=NO_TEAM selected=selected_team == NO_TEAM>"No team"</option>
                    {options}
                </select>
            </label>
        }
    });
    let action_options = options(actions, &filter.action);
    let outcome_options = options(
        AUDIT_OUTCOMES.iter().map(|o| o.to_string()).collect(),
        &filter.outcome,
    );
    view! {
        <Form method="GET" action="">
            <div class="filters audit-filters">
                {team_select}
                <label>"Who "
                    <input type="text" name="actor" value=filter.actor.clone() placeholder="name or subject" data-testid="audit-actor"/>
                </label>
                <label>"Action "
                    <select name="action" data-testid="audit-action">
                        <option value="">"Any"</option>
                        {action_options}
                    </select>
                </label>
                <label>"Outcome "
                    <select name="outcome" data-testid="audit-outcome">
                        <option value="">"Any"</option>
                        {outcome_options}
                    </select>
                </label>
                <label>"From "
                    <input type="text" name="from" value=filter.from.clone() placeholder="2026-11-22 or 2026-11-22T14:30" size="16" data-testid="audit-from"/>
                </label>
                <label>"To "
                    <input type="text" name="to" value=filter.to.clone() placeholder="inclusive, UTC" size="16" data-testid="audit-to"/>
                </label>
                <label>"Text "
                    <input type="search" name="q" value=filter.text.clone() placeholder="anywhere in the entry" data-testid="audit-text"/>
                </label>
                <button type="submit" data-testid="audit-filter">"Filter"</button>
            </div>
        </Form>
    }
}

/// A select's options, each its own label, the one equal to `selected` chosen.
fn options(values: Vec<String>, selected: &str) -> impl IntoView + use<> {
    values
        .into_iter()
        .map(|value| {
            let (chosen, label) = (value == selected, value.clone());
            view! { <option value=value selected=chosen>{label}</option> }
        })
        .collect_view()
}

#[component]
fn EntryRow(row: AuditRow, platform: bool) -> impl IntoView {
    let AuditRow {
        seq,
        at_ms,
        actor_name,
        actor_subject,
        team,
        action,
        target,
        outcome,
        detail,
        request_id,
    } = row;
    let who = actor_name
        .clone()
        .or_else(|| actor_subject.clone())
        .unwrap_or_else(|| "Hangar".into());
    let subject = actor_subject.unwrap_or_default();
    let request = request_id.map(|id| format!("request {id}"));
    let (data_action, data_outcome) = (action.clone(), outcome.clone());
    let data_team = team.clone().unwrap_or_default();
    view! {
        <tr data-action=data_action data-outcome=data_outcome data-team=data_team>
            <td class="when">{utc_second(at_ms)}</td>
            {platform.then(|| view! { <td class="seq">{seq.map(|s| s.to_string()).unwrap_or_default()}</td> })}
            <td title=subject>{who}</td>
            {platform.then(|| view! { <td>{team.unwrap_or_else(|| "—".into())}</td> })}
            <td><code>{action}</code></td>
            <td class="target">{target.unwrap_or_default()}</td>
            <td><span class=format!("badge outcome {outcome}")>{outcome.clone()}</span></td>
            <td class="detail" title=request>{detail.unwrap_or_default()}</td>
        </tr>
    }
}
