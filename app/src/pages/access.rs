//! Who can do what: `/t/{team}/access` (the team's group rules and the people holding its
//! roles, for its admins) and `/platform/access` (every team's rules and every person who
//! signed in, for the platform team; platform admins can end a person's sessions there).
//! The search is a GET form and ending sessions a plain form post, so both work without
//! JavaScript.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::ErrorView;
use crate::components::team_nav::TeamNav;
use crate::functions::access::{EndUserSessions, get_access_overview, get_team_access};
use crate::models::access_overview::{
    AccessOverview, GroupRule, PEOPLE_PAGE_SIZE, PeopleQuery, Person, TeamAccess,
};
use crate::paths;
use crate::time_text::utc_minute;

#[component]
pub fn TeamAccessPage() -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let access = Resource::new(team, get_team_access);
    view! {
        <TeamNav team=team() current="access"/>
        <Transition fallback=|| view! { <p class="loading">"Loading the team's access…"</p> }>
            {move || Suspend::new(async move {
                match access.await {
                    Ok(access) => view! { <TeamAccessView access/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TeamAccessView(access: TeamAccess) -> impl IntoView {
    let now = access.now_ms;
    let members = access.members.len();
    let rows = access
        .members
        .into_iter()
        .map(|person| {
            let held = person.teams.first().cloned();
            let (role, sources) = held
                .map(|held| (held.role, held.sources.join("; ")))
                .unwrap_or_default();
            view! {
                <tr data-person=person.subject.clone()>
                    <td>{person.name.clone()}<br/><span class="muted">{person.email.clone().unwrap_or_default()}</span></td>
                    <td data-testid="member-role">{role}</td>
                    <td class="muted" data-testid="member-sources">{sources}</td>
                    <td>{utc_minute(person.last_login_ms)}</td>
                    <td data-testid="member-sessions">{sessions_label(person.live_sessions)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="access" data-testid="team-access">
            <h1>{format!("Access to {}", access.display_name)}</h1>
            <p class="muted">"Roles come from the identity provider's groups, through these rules. \
                Members are the people who have signed in; each one's groups are those of their \
                last sign-in or group refresh."</p>
            <div class="access-rules">
                <RuleList title="Team rules" rules=access.rules testid="team-rules"/>
                <RuleList title="Platform rules (every team)" rules=access.platform_rules testid="platform-rules"/>
            </div>
            <h2>{format!("Members ({members})")}</h2>
            <table class="access-people" data-testid="members">
                <thead><tr><th>"Person"</th><th>"Role"</th><th>"Through"</th><th>"Last sign-in"</th><th>"Sessions"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <p class="muted">{format!("As of {}.", utc_minute(now))}</p>
        </section>
    }
}

#[component]
fn RuleList(title: &'static str, rules: Vec<GroupRule>, testid: &'static str) -> impl IntoView {
    let empty = rules.is_empty();
    let items = rules
        .into_iter()
        .map(|rule| {
            view! { <li><code>{rule.group}</code>" → "<strong>{rule.grants}</strong></li> }
        })
        .collect_view();
    view! {
        <div class="rule-list" data-testid=testid>
            <h2>{title}</h2>
            {empty.then(|| view! { <p class="muted">"No rule grants a role here."</p> })}
            <ul>{items}</ul>
        </div>
    }
}

fn sessions_label(live: i64) -> String {
    match live {
        0 => "none".to_string(),
        1 => "1 active".to_string(),
        n => format!("{n} active"),
    }
}

fn ended_label(ended: u64, name: &str) -> String {
    match ended {
        0 => format!("{name} had no active session; none is left."),
        1 => format!("Ended 1 session of {name}."),
        n => format!("Ended {n} sessions of {name}."),
    }
}

#[component]
pub fn PlatformAccessPage() -> impl IntoView {
    let query_map = use_query_map();
    let end = ServerAction::<EndUserSessions>::new();
    let query = move || {
        let q = query_map.read();
        PeopleQuery {
            q: q.get("q").unwrap_or_default(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0),
        }
    };
    let overview = Resource::new(
        move || (query(), end.version().get()),
        |(query, _)| get_access_overview(query),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading access…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => view! { <OverviewView overview end/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OverviewView(overview: AccessOverview, end: ServerAction<EndUserSessions>) -> impl IntoView {
    let team_rows = overview
        .teams
        .into_iter()
        .map(|team| {
            let rules = team
                .rules
                .iter()
                .map(|rule| format!("{} → {}", rule.group, rule.grants))
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <tr data-team=team.team.clone()>
                    <td><a href=paths::team_access(&team.team)>{team.display_name.clone()}</a></td>
                    <td class="muted">{if rules.is_empty() { "no rules".to_string() } else { rules }}</td>
                    <td data-testid="team-members">{team.members}</td>
                </tr>
            }
        })
        .collect_view();
    let unmatched = (!overview.unmatched_groups.is_empty()).then(|| {
        view! {
            <p class="notice" data-testid="unmatched-groups">
                "No one who signed in has had these groups (a typo in a rule, or nobody yet): "
                {overview.unmatched_groups.join(", ")}
            </p>
        }
    });
    let ended = move || {
        end.value().get().map(|result| match result {
            Ok(done) => view! {
                <p class="notice" role="status" data-testid="sessions-ended">{ended_label(done.ended, &done.name)}</p>
            }
            .into_any(),
            Err(error) => view! { <p class="notice error" role="alert" data-testid="action-error">{error.to_string()}</p> }.into_any(),
        })
    };
    let query = overview.query.clone();
    let return_to = query.href(query.page);
    let can_end = overview.can_end_sessions;
    let people = overview
        .people
        .into_iter()
        .map(|person| person_row(person, can_end, &return_to, end))
        .collect_view();
    let pages = overview.total.div_ceil(PEOPLE_PAGE_SIZE).max(1);
    let newer = (query.page > 0).then(|| {
        view! { <a href=query.href(query.page - 1) data-testid="people-previous">"← Previous"</a> }
    });
    let older = (query.page + 1 < pages).then(|| {
        view! { <a href=query.href(query.page + 1) data-testid="people-next">"Next →"</a> }
    });
    view! {
        <section class="access" data-testid="platform-access">
            <h1>"Access"</h1>
            <p class="muted">"Who holds which role, and through which identity-provider groups. \
                Each person's groups are those of their last sign-in or group refresh."</p>
            <h2>"Teams"</h2>
            <table class="access-teams" data-testid="access-teams">
                <thead><tr><th>"Team"</th><th>"Rules"</th><th>"Members"</th></tr></thead>
                <tbody>{team_rows}</tbody>
            </table>
            <RuleList title="Platform rules" rules=overview.platform_rules testid="platform-rules"/>
            {unmatched}
            <h2>{format!("People ({})", overview.total)}</h2>
            {ended}
            <Form method="GET" action="/platform/access" attr:class="filters">
                <label>"Name, subject or e-mail "
                    <input type="search" name="q" value=query.q.clone() data-testid="people-search"/>
                </label>
                <button type="submit" data-testid="people-filter">"Search"</button>
            </Form>
            <table class="access-people" data-testid="people">
                <thead><tr><th>"Person"</th><th>"Platform"</th><th>"Teams and roles"</th><th>"Last sign-in"</th><th>"Sessions"</th></tr></thead>
                <tbody>{people}</tbody>
            </table>
            <nav class="pager">{newer}" "<span class="muted">{format!("page {} of {pages}", query.page + 1)}</span>" "{older}</nav>
        </section>
    }
}

fn person_row(
    person: Person,
    can_end: bool,
    return_to: &str,
    end: ServerAction<EndUserSessions>,
) -> impl IntoView + use<> {
    let teams = person
        .teams
        .into_iter()
        .map(|held| {
            view! {
                <li>
                    <a href=paths::team_access(&held.team)>{held.team_display_name}</a>": "
                    <strong>{held.role}</strong>
                    <span class="muted">{format!(" ({})", held.sources.join("; "))}</span>
                </li>
            }
        })
        .collect_view();
    let return_to = return_to.to_string();
    let end_form = (can_end && person.live_sessions > 0).then(|| {
        view! {
            <ActionForm action=end attr:class="inline-form">
                <input type="hidden" name="user_id" value=person.user_id.to_string()/>
                <input type="hidden" name="return_to" value=return_to/>
                <button type="submit" class="danger" data-testid="end-sessions">"End sessions"</button>
            </ActionForm>
        }
    });
    view! {
        <tr data-person=person.subject.clone()>
            <td>{person.name.clone()}<br/><span class="muted">{person.email.clone().unwrap_or_else(|| person.subject.clone())}</span></td>
            <td>{person.platform_role.clone().unwrap_or_default()}</td>
            <td><ul class="held-roles">{teams}</ul></td>
            <td>{utc_minute(person.last_login_ms)}</td>
            <td data-testid="person-sessions">{sessions_label(person.live_sessions)}{end_form}</td>
        </tr>
    }
}
