//! `/t/{team}/deploys`: what each target holds, the open request, a form to request the
//! next deploy (a commit on the branch newer than the deployed one), break-glass for those
//! who may, and the team's deploy history.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::components::ErrorView;
use crate::components::team_nav::TeamNav;
use crate::functions::deploys::{BreakGlassDeploy, RequestDeploy, get_team_deploys};
use crate::models::deploys::{DeployOverview, DeploySummary, EMAILS_MODE_LIMIT, short_sha};
use crate::paths;
use crate::time_text::utc_minute;

#[component]
pub fn DeploysPage() -> impl IntoView {
    let params = use_params_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let request = ServerAction::<RequestDeploy>::new();
    let break_glass = ServerAction::<BreakGlassDeploy>::new();
    let overview = Resource::new(
        move || (team(), request.version().get(), break_glass.version().get()),
        |(team, ..)| get_team_deploys(team),
    );
    crate::components::live::use_live_updates(team, move || overview.refetch());
    // With JavaScript, a new request opens its approval screen.
    let navigate = use_navigate();
    Effect::new(move |_| {
        let opened = request
            .value()
            .get()
            .or_else(|| break_glass.value().get())
            .and_then(Result::ok);
        if let Some(id) = opened {
            navigate(&paths::deploy(&team(), id), Default::default());
        }
    });
    view! {
        <TeamNav team=team() current="deploys"/>
        <Transition fallback=|| view! { <p class="loading">"Loading deploys…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => view! { <Overview overview request break_glass/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Overview(
    overview: DeployOverview,
    request: ServerAction<RequestDeploy>,
    break_glass: ServerAction<BreakGlassDeploy>,
) -> impl IntoView {
    let team = overview.team.clone();
    if !overview.configured {
        return view! {
            <section class="deploys">
                <h1>"Deploys"</h1>
                <p class="muted" data-testid="deploys-not-configured">
                    "Deploys are not set up for this team. An operator adds a [[deploy]] entry to Hangar's configuration (docs/configuration.md)."
                </p>
            </section>
        }
        .into_any();
    }
    let error = move || {
        request
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| break_glass.value().get().and_then(|r| r.err()))
            .map(|e| view! { <p class="notice error" role="alert" data-testid="action-error">{e.to_string()}</p> })
    };
    let targets = overview
        .targets
        .iter()
        .map(|target| {
            let commit = target.commit.clone();
            view! {
                <tr>
                    <td>{target.name.clone()}</td>
                    <td data-testid="target-commit">
                        {match commit {
                            Some(sha) => view! { <code title=sha.clone()>{short_sha(&sha).to_string()}</code> }.into_any(),
                            None => view! { <span class="muted">"nothing deployed yet"</span> }.into_any(),
                        }}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let problem = overview
        .problem
        .clone()
        .map(|p| view! { <p class="notice error" data-testid="deploy-problem">{p}</p> });
    let open = overview.open.clone().map(|open| {
        let href = paths::deploy(&team, open.id);
        view! {
            <p class="notice" data-testid="open-request">
                "Open request " <a href=href>{format!("#{}", open.id)}</a> ": "
                <StatusBadge summary=open.clone()/>
                {format!(" — {} → {}", open.deployed.as_deref().map(short_sha).unwrap_or("nothing"), short_sha(&open.candidate))}
            </p>
        }
    });
    let weaker = (overview.authorship == "emails").then(|| {
        view! { <p class="notice weak" data-testid="authorship-emails">{EMAILS_MODE_LIMIT}</p> }
    });
    let notifications = (!overview.notification_problems.is_empty()).then(|| {
        let rows = overview
            .notification_problems
            .iter()
            .map(|problem| {
                let href = paths::deploy(&team, problem.request_id);
                let when = match (problem.gave_up, problem.next_attempt_ms) {
                    (true, _) => "given up".to_string(),
                    (false, Some(at)) => format!("next try {}", utc_minute(at)),
                    (false, None) => String::new(),
                };
                view! {
                    <li data-testid="notification-problem">
                        <a href=href>{format!("#{}", problem.request_id)}</a>
                        {format!(
                            " {} → {}: failed {} time{} ({}); {when}",
                            problem.event,
                            problem.destination,
                            problem.attempts,
                            if problem.attempts == 1 { "" } else { "s" },
                            problem.error
                        )}
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="notice error notification-problems" data-testid="notification-problems">
                <h2>"Notifications not delivered"</h2>
                <ul>{rows}</ul>
            </section>
        }
    });
    let return_to = paths::deploys(&team);
    let (branch, paths_text) = (overview.branch.clone(), overview.paths.join(", "));
    let request_form = overview.can_request.then(|| {
        let (team, return_to, branch, paths_text) =
            (team.clone(), return_to.clone(), branch.clone(), paths_text.clone());
        let candidates = overview.candidates.clone();
        let empty = candidates.is_empty();
        let options = candidates
            .into_iter()
            .enumerate()
            .map(|(n, commit)| {
                view! {
                    <li>
                        <label>
                            <input type="radio" name="commit" value=commit.sha.clone() checked={n == 0}/>
                            " " <code>{commit.short().to_string()}</code> " "
                            <span>{commit.subject.clone()}</span>
                            <span class="muted">{format!(" — {}, {}", commit.author, utc_minute(commit.authored_ms))}</span>
                        </label>
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="deploy-request">
                <h2>"Request a deploy"</h2>
                {if empty {
                    view! { <p class="muted" data-testid="no-candidates">{format!("Nothing on {branch} touches {paths_text} since the deployed commit.")}</p> }.into_any()
                } else {
                    view! {
                        <ActionForm action=request attr:class="deploy-request-form">
                            <input type="hidden" name="team" value=team.clone()/>
                            <input type="hidden" name="return_to" value=return_to.clone()/>
                            <p class="muted">{format!("Commits on {branch} newer than what is deployed that touch {paths_text} (the newest includes all below it):")}</p>
                            <ul class="candidates" data-testid="candidates">{options}</ul>
                            <button type="submit" data-testid="request-deploy">"Request review of this deploy"</button>
                        </ActionForm>
                    }.into_any()
                }}
            </section>
        }
    });
    let break_glass_form = overview.can_break_glass.then(|| {
        let (team, return_to, branch) = (team.clone(), return_to.clone(), branch.clone());
        let reauth = format!("/auth/login?reauth=1&return_to={}", paths::encode(&return_to));
        view! {
            <details class="break-glass">
                <summary data-testid="break-glass-open">"Break glass: deploy without review"</summary>
                <p>"For emergencies only. The deploy is marked break-glass everywhere and stays “awaiting review” until someone else reviews it."</p>
                {if overview.reauthenticated {
                    view! {
                        <ActionForm action=break_glass attr:class="break-glass-form">
                            <input type="hidden" name="team" value=team.clone()/>
                            <input type="hidden" name="return_to" value=return_to.clone()/>
                            <label>"Commit (empty: the head of " {branch} ") "
                                <input type="text" name="commit" pattern="[0-9a-fA-F]{7,64}" data-testid="break-glass-commit"/></label>
                            <label>"Why can this not wait for a review? "
                                <textarea name="reason" required minlength="10" data-testid="break-glass-reason"></textarea></label>
                            <button type="submit" class="danger" data-testid="break-glass-deploy">"Deploy now without review"</button>
                        </ActionForm>
                    }.into_any()
                } else {
                    view! {
                        <p><a href=reauth data-testid="break-glass-reauth" rel="external">"Sign in again at the identity provider"</a>" to continue (required within the last 5 minutes)."</p>
                    }.into_any()
                }}
            </details>
        }
    });
    let history = overview
        .history
        .iter()
        .map(|summary| view! { <HistoryRow team=team.clone() summary=summary.clone()/> })
        .collect_view();
    view! {
        <section class="deploys">
            <h1>"Deploys"</h1>
            <p class="muted">{format!("From {paths_text} of {branch} — {}.", overview.policy)}
                {if overview.auto_deploy { " Deploys run as soon as they are approved." } else { " Approved deploys run on a click." }}</p>
            {weaker}
            {error}
            {problem}
            {notifications}
            <table class="deploy-targets" data-testid="deploy-targets">
                <thead><tr><th>"Target"</th><th>"Deployed commit"</th></tr></thead>
                <tbody>{targets}</tbody>
            </table>
            {open}
            {request_form}
            {break_glass_form}
            <h2>"History"</h2>
            <table class="deploy-history" data-testid="deploy-history">
                <thead><tr><th>"#"</th><th>"Status"</th><th>"Commits"</th><th>"Requested by"</th><th>"Approved by"</th><th>"Requested"</th><th>"Deployed"</th><th>"In Airflow"</th></tr></thead>
                <tbody>{history}</tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn HistoryRow(team: String, summary: DeploySummary) -> impl IntoView {
    let href = paths::deploy(&team, summary.id);
    let requester = summary.requested_by();
    view! {
        <tr data-deploy=summary.id.to_string() data-status=summary.status.clone()>
            <td><a href=href>{format!("#{}", summary.id)}</a></td>
            <td><StatusBadge summary=summary.clone()/></td>
            <td><code>{format!("{} → {}", summary.deployed.as_deref().map(short_sha).unwrap_or("nothing"), short_sha(&summary.candidate))}</code>
                <span class="muted">{format!(" ({} commit{})", summary.commits, if summary.commits == 1 { "" } else { "s" })}</span></td>
            <td>{requester}</td>
            <td>{summary.approvers.join(", ")}</td>
            <td>{utc_minute(summary.created_ms)}</td>
            <td>{summary.deployed_ms.map(utc_minute).unwrap_or_default()}</td>
            <td><Confirmation summary=summary.clone() minutes=None/></td>
        </tr>
    }
}

/// The status as a coloured badge, with break-glass and awaiting-review marks.
#[component]
pub fn StatusBadge(summary: DeploySummary) -> impl IntoView {
    let label = match (summary.status.as_str(), summary.step.as_deref()) {
        ("deploying", Some(step)) => format!("deploying ({step})"),
        (status, _) => status.to_string(),
    };
    view! {
        <span class=format!("badge deploy-status {}", summary.status) data-testid="deploy-status" data-state=summary.status.clone()>{label}</span>
        {summary.break_glass.then(|| view! { <span class="badge break-glass-mark" data-testid="break-glass-mark">"break-glass"</span> })}
        {summary.awaiting_review.then(|| view! { <span class="badge awaiting-review" data-testid="awaiting-review">"awaiting review"</span> })}
        {summary.hook_failure.is_some().then(|| view! { <span class="badge hook-failed" title=summary.hook_failure.clone().unwrap_or_default()>"hook failed"</span> })}
    }
}

/// "live in Airflow at 14:05", "waiting for Airflow", or "not picked up after N minutes".
#[component]
pub fn Confirmation(summary: DeploySummary, minutes: Option<u64>) -> impl IntoView {
    let (class, text) = match (summary.confirmation.as_deref(), summary.confirmed_ms) {
        (Some("live"), Some(at)) => (
            "live",
            format!("live in Airflow at {} UTC", crate::time_text::hh_mm(at)),
        ),
        (Some("late"), _) => (
            "late",
            match minutes {
                Some(m) => format!("not picked up after {m} minutes"),
                None => "not picked up yet".to_string(),
            },
        ),
        (Some("waiting"), _) => ("waiting", "waiting for Airflow…".to_string()),
        _ => ("", String::new()),
    };
    view! { <span class=format!("confirmation {class}") data-testid="confirmation" data-state=class>{text}</span> }
}
