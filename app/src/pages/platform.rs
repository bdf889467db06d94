//! `/platform`: every team at a glance for platform admins and auditors — which team is
//! failing, saturated, stale or deploying — the runs failing now across teams, each
//! environment's health, the break-glass deploys awaiting review, and the DAGs no team may
//! act on: ownership conflicts (with a platform admin's assign / release) and unmapped
//! bundles.
//!
//! Sorting and the "failing now" window are links (`?sort=…&dir=…&hours=…`), so the page
//! works without JavaScript; with it, the page reloads its figures when anything changes.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::ErrorView;
use crate::functions::platform::{ResolveDagOwnership, get_platform_overview};
use crate::models::deploys::{AwaitingReview, short_sha};
use crate::models::platform::{
    EnvironmentHealth, FAILING_WINDOWS, FailingRun, OverviewQuery, OverviewSort, OwnershipConflict,
    PlatformOverview, RunCounts, SyncState, TeamOverview, UnmappedBundle,
};
use crate::pages::deploys::StatusBadge;
use crate::paths;
use crate::time_text::{ago, airflow_time, utc_minute};

#[component]
pub fn PlatformPage() -> impl IntoView {
    let query_map = use_query_map();
    let params = move || {
        let q = query_map.read();
        (q.get("sort"), q.get("dir"), q.get("hours"))
    };
    let resolve = ServerAction::<ResolveDagOwnership>::new();
    let overview = Resource::new(
        move || (params(), resolve.version().get()),
        |((sort, dir, hours), _)| get_platform_overview(sort, dir, hours),
    );
    crate::components::live::use_event_stream(
        || "/platform/events".to_string(),
        move || overview.refetch(),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading teams…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => view! { <Overview overview resolve/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Overview(
    overview: PlatformOverview,
    resolve: ServerAction<ResolveDagOwnership>,
) -> impl IntoView {
    let PlatformOverview {
        query,
        now_ms,
        teams,
        failing,
        environments,
        awaiting_review,
        conflicts,
        unmapped,
        can_resolve,
    } = overview;
    let return_to = query.href();
    view! {
        <section class="platform">
            <h1>"Platform"</h1>
            <TeamTable teams=teams.clone() query now_ms/>
            <div class="platform-panels">
                <FailingNow failing query/>
                <EnvironmentPanel environments now_ms/>
            </div>
            <BreakGlassAwaitingReview deploys=awaiting_review/>
            <OwnershipConflicts conflicts can_resolve resolve return_to now_ms/>
            <UnmappedBundles unmapped/>
            <WhereTasksRun teams/>
        </section>
    }
}

/// Each team's execution set-up, declared and used (the same markup as on its home).
#[component]
fn WhereTasksRun(teams: Vec<TeamOverview>) -> impl IntoView {
    let teams = teams
        .into_iter()
        .map(|team| {
            let open = team.execution.declared.is_some() || !team.execution.seen.is_empty();
            let content = maud::html! {
                summary { (team.display_name) }
                (crate::components::execution::execution_html(&team.execution))
            }
            .into_string();
            view! {
                <details class="team-execution" data-team=team.team.clone() open=open inner_html=content></details>
            }
        })
        .collect_view();
    view! {
        <h2>"Where tasks run"</h2>
        <div data-testid="platform-execution">{teams}</div>
    }
}

/// The team table: one row per team, sortable by any figure through its header link.
#[component]
fn TeamTable(teams: Vec<TeamOverview>, query: OverviewQuery, now_ms: i64) -> impl IntoView {
    let header = move |sort: OverviewSort, label: &'static str, title: &'static str| {
        let current = query.sort == sort;
        let arrow = match (current, query.descending) {
            (false, _) => "",
            (true, true) => " ↓",
            (true, false) => " ↑",
        };
        let order = match (current, query.descending) {
            (false, _) => "none",
            (true, true) => "descending",
            (true, false) => "ascending",
        };
        view! {
            <th aria-sort=order title=title>
                <a href=query.sorted_by(sort).href() data-sort=sort.as_str()>{label}{arrow}</a>
            </th>
        }
    };
    let rows = teams
        .into_iter()
        .map(|team| view! { <TeamRow team now_ms/> })
        .collect_view();
    view! {
        <table class="teams platform-teams" data-testid="platform-teams">
            <thead>
                <tr>
                    {header(OverviewSort::Team, "Team", "Sort by team name")}
                    {header(OverviewSort::Dags, "DAGs", "Active and paused DAGs")}
                    {header(OverviewSort::Failed, "Runs, 24 h", "Runs due in the last 24 hours, by state; sorts by failed runs")}
                    {header(OverviewSort::FailureRate, "Failure rate", "Failed among finished runs in the last 24 hours; the line is the last 7 days")}
                    {header(OverviewSort::Tasks, "Tasks running", "Task instances running now")}
                    {header(OverviewSort::Pool, "Fullest pool", "The team's fullest pool")}
                    {header(OverviewSort::Deploy, "Last deploy", "The newest deploy that went out")}
                    {header(OverviewSort::Pending, "Pending", "Deploy requests waiting for approval")}
                    <th title="Break-glass deploys nobody has reviewed yet">"Break-glass"</th>
                    <th title="Hangar's copy of the team's environments">"Sync"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[component]
fn TeamRow(team: TeamOverview, now_ms: i64) -> impl IntoView {
    let failing = team.runs_24h.failed > 0;
    let flags = [
        (failing, "failing", "Runs failed in the last 24 hours"),
        (
            team.saturated(),
            "saturated",
            "A pool is at least 90 % full",
        ),
        (team.stale(), "stale", "An environment is not in sync"),
        (team.deploying, "deploying", "A deploy is running now"),
    ];
    let flags = flags
        .into_iter()
        .filter(|(on, _, _)| *on)
        .map(|(_, flag, title)| view! { <span class=format!("badge flag {flag}") title=title data-flag=flag>{flag}</span> })
        .collect_view();
    let rate = team
        .runs_24h
        .failure_rate()
        .map(|rate| format!("{:.0} %", rate * 100.0))
        .unwrap_or_else(|| "–".to_string());
    let pool = match team.fullest_pool.clone() {
        None => view! { <span class="muted">"–"</span> }.into_any(),
        Some(pool) => {
            let percent = pool.percent();
            let label = format!(
                "{} ({}): {} of {} slots",
                pool.name, pool.environment, pool.occupied, pool.slots
            );
            view! {
            <svg class="fill-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label=label.clone()>
                <rect class=if team.saturated() { "filled saturated" } else { "filled" } x="0" y="0" height="10" width=percent.to_string()/>
            </svg>
            <span class="small" title=label>{format!("{percent} % {}", pool.name)}</span>
        }.into_any()
        }
    };
    let deploy = match team.last_deploy.clone() {
        None => view! { <span class="muted">"none yet"</span> }.into_any(),
        Some(deploy) => view! {
            <a href=paths::deploy(&team.team, deploy.id) title=deploy.commit.clone()><code>{short_sha(&deploy.commit).to_string()}</code></a>
            <div class="muted small">{format!("{} · {}", ago(now_ms, deploy.deployed_ms), deploy.by)}</div>
        }.into_any(),
    };
    let sync = team
        .environments
        .iter()
        .map(|env| {
            view! { <SyncBadge state=env.state label=env.environment.clone()/> }
        })
        .collect_view();
    let pending_link = paths::deploys(&team.team);
    view! {
        <tr data-team=team.team.clone() class:attention=failing || team.saturated() || team.stale()>
            <td>
                <a href=paths::team(&team.team) data-testid="open-team"><strong>{team.display_name.clone()}</strong></a>
                <div class="muted small"><code>{team.team.clone()}</code>{flags}</div>
            </td>
            <td class="num" data-testid="dags">
                {team.dags_active}<span class="muted small">{format!(" active · {} paused", team.dags_paused)}</span>
            </td>
            <td data-testid="runs">
                <RunBar counts=team.runs_24h/>
                <div class="small">{format!("{} {}, ", team.runs_24h.total(), if team.runs_24h.total() == 1 { "run" } else { "runs" })}<span class:bad=failing>{format!("{} failed", team.runs_24h.failed)}</span></div>
            </td>
            <td data-testid="failure-rate"><Sparkline rates=team.trend.clone()/><span class="small">{rate}</span></td>
            <td class="num" data-testid="tasks-running">{team.tasks_running}</td>
            <td data-testid="fullest-pool">{pool}</td>
            <td data-testid="last-deploy">
                {team.deploying.then(|| view! { <span class="badge deploy-status deploying">"deploying now"</span> })}
                {deploy}
            </td>
            <td class="num" data-testid="pending"><a href=pending_link>{team.pending_approvals}</a></td>
            <td class="num" data-testid="break-glass-count">{team.break_glass_awaiting}</td>
            <td data-testid="sync">{sync}</td>
        </tr>
    }
}

/// Runs by state as one stacked bar: success, failed, running, queued, other.
#[component]
fn RunBar(counts: RunCounts) -> impl IntoView {
    let total = counts.total();
    let label = format!(
        "{} success, {} failed, {} running, {} queued, {} other",
        counts.success, counts.failed, counts.running, counts.queued, counts.other
    );
    let mut x = 0.0;
    let segments = [
        ("success", counts.success),
        ("failed", counts.failed),
        ("running", counts.running),
        ("queued", counts.queued),
        ("other", counts.other),
    ]
    .into_iter()
    .filter(|(_, runs)| *runs > 0)
    .map(|(state, runs)| {
        let width = runs as f64 * 100.0 / total as f64;
        let segment = view! { <rect class=format!("segment run-{state}") x=format!("{x:.2}") y="0" height="10" width=format!("{width:.2}")/> };
        x += width;
        segment
    })
    .collect_view();
    let aria = label.clone();
    view! {
        <svg class="run-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label=aria>
            <title>{label}</title>
            {segments}
        </svg>
    }
}

/// The daily failure rate as a line, oldest day left; days without finished runs are gaps.
#[component]
fn Sparkline(rates: Vec<Option<f64>>) -> impl IntoView {
    let step = 10.0;
    let point = |i: usize, rate: f64| (i as f64 * step + 5.0, 18.0 - rate * 16.0);
    // One polyline per stretch of days with a rate.
    let mut lines: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (i, rate) in rates.iter().enumerate() {
        match rate {
            Some(rate) => lines.last_mut().expect("never empty").push(point(i, *rate)),
            None => lines.push(Vec::new()),
        }
    }
    let title = rates
        .iter()
        .map(|rate| rate.map_or("–".to_string(), |r| format!("{:.0} %", r * 100.0)))
        .collect::<Vec<_>>()
        .join(", ");
    let title = format!("Failure rate per day, oldest first: {title}");
    let width = rates.len() as f64 * step;
    let dots = rates
        .iter()
        .enumerate()
        .filter_map(|(i, rate)| rate.map(|r| point(i, r)))
        .map(|(x, y)| view! { <circle cx=format!("{x:.1}") cy=format!("{y:.1}") r="1.6"/> })
        .collect_view();
    let lines = lines
        .into_iter()
        .filter(|line| line.len() > 1)
        .map(|line| {
            let points = line
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect::<Vec<_>>()
                .join(" ");
            view! { <polyline points=points/> }
        })
        .collect_view();
    let aria = title.clone();
    view! {
        <svg class="sparkline" viewBox=format!("0 0 {width} 20") role="img" aria-label=aria data-testid="sparkline">
            <title>{title}</title>
            <line class="baseline" x1="0" y1="18" x2=width.to_string() y2="18"/>
            {lines}
            {dots}
        </svg>
    }
}

#[component]
fn SyncBadge(state: SyncState, label: String) -> impl IntoView {
    view! {
        <span class=format!("badge sync {}", state.as_str()) title=state.label() data-sync=state.as_str()>
            {format!("{label}: {}", state.label())}
        </span>
    }
}

/// Runs failed in the last N hours, newest first, across teams.
#[component]
fn FailingNow(failing: Vec<FailingRun>, query: OverviewQuery) -> impl IntoView {
    let windows = FAILING_WINDOWS
        .into_iter()
        .map(|hours| {
            let current = hours == query.failing_hours;
            view! {
                <a href=query.with_failing_hours(hours).href() aria-current=current.then_some("true")>{format!("{hours} h")}</a>
            }
        })
        .collect_view();
    let body = if failing.is_empty() {
        view! { <p class="muted" data-testid="nothing-failing">{format!("No run failed in the last {} hours.", query.failing_hours)}</p> }.into_any()
    } else {
        let rows = failing
            .into_iter()
            .map(|run| {
                view! {
                    <tr data-team=run.team.clone()>
                        <td><a href=paths::team(&run.team)><code>{run.team.clone()}</code></a></td>
                        <td><a href=paths::dag(&run.team, &run.environment, &run.dag_id)>{run.dag_id.clone()}</a></td>
                        <td><a href=paths::run(&run.team, &run.environment, &run.dag_id, &run.run_id)>{run.run_id.clone()}</a></td>
                        <td class="small">{airflow_time(&run.ended)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="failing-now" data-testid="failing-now">
                <thead><tr><th>"Team"</th><th>"DAG"</th><th>"Run"</th><th>"Failed at"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <div class="panel">
            <h2>"Failing now"</h2>
            <p class="windows small">"Failed in the last " {windows}</p>
            {body}
        </div>
    }
}

/// Each environment: Hangar's sync (state, lag, last error) and Airflow's own health.
#[component]
fn EnvironmentPanel(environments: Vec<EnvironmentHealth>, now_ms: i64) -> impl IntoView {
    let environments = environments
        .into_iter()
        .map(|env| {
            let synced = env.last_success_ms.map_or("never".to_string(), |at| ago(now_ms, at));
            let components = match env.health_checked_ms {
                None => view! { <p class="muted small">"Airflow's health not read yet."</p> }.into_any(),
                Some(_) if env.components.is_empty() => view! {
                    <p class="notice warning small" data-testid="health-unreadable">"Airflow's health could not be read."</p>
                }.into_any(),
                Some(checked) => {
                    let items = env
                        .components
                        .into_iter()
                        .map(|component| {
                            let class = match component.status.as_str() {
                                "healthy" => "healthy",
                                "unhealthy" => "unhealthy",
                                _ => "unknown",
                            };
                            view! {
                                <li data-component=component.name.clone() data-status=component.status.clone()>
                                    <span class=format!("health-badge {class}")>{component.status.clone()}</span>
                                    " " {component.name.replace('_', " ")}
                                    {component.latest_heartbeat.map(|at| view! { <span class="muted small">{format!(" · heartbeat {}", airflow_time(&at))}</span> })}
                                </li>
                            }
                        })
                        .collect_view();
                    view! {
                        <ul class="components">{items}</ul>
                        <p class="muted small">{format!("Read {}.", ago(now_ms, checked))}</p>
                    }.into_any()
                }
            };
            view! {
                <li data-environment=env.environment.clone()>
                    <strong>{env.environment.clone()}</strong>
                    {env.airflow_version.map(|v| view! { <span class="muted small">{format!(" Airflow {v}")}</span> })}
                    " " <SyncBadge state=env.sync label="sync".to_string()/>
                    <div class="small" data-testid="sync-lag">{format!("Last synced {synced}")}</div>
                    {env.last_error.map(|error| view! { <p class="notice error small">{error}</p> })}
                    {env.bundle_conflict.map(|conflict| view! {
                        <p class="notice error small" data-testid="bundle-conflict">{conflict}</p>
                    })}
                    {components}
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="panel" data-testid="environment-health">
            <h2>"Environments"</h2>
            <ul class="environments">{environments}</ul>
        </div>
    }
}

/// Deploys that skipped review: each stays here until someone other than its deployer
/// reviews it on its approval screen.
#[component]
fn BreakGlassAwaitingReview(deploys: Vec<AwaitingReview>) -> impl IntoView {
    let body = if deploys.is_empty() {
        view! { <p class="muted" data-testid="no-break-glass">"None: every break-glass deploy has been reviewed."</p> }.into_any()
    } else {
        let rows = deploys
            .into_iter()
            .map(|deploy| {
                let href = paths::deploy(&deploy.team, deploy.summary.id);
                let when = utc_minute(deploy.summary.deployed_ms.unwrap_or(deploy.summary.created_ms));
                view! {
                    <tr data-team=deploy.team.clone()>
                        <td><code>{deploy.team.clone()}</code></td>
                        <td><a href=href>{format!("#{}", deploy.summary.id)}</a></td>
                        <td><code title=deploy.summary.candidate.clone()>{short_sha(&deploy.summary.candidate).to_string()}</code></td>
                        <td>{deploy.summary.requested_by()}</td>
                        <td>{when}</td>
                        <td class="reason">{deploy.reason}</td>
                        <td><StatusBadge summary=deploy.summary/></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="break-glass-awaiting" data-testid="break-glass-awaiting">
                <thead><tr><th>"Team"</th><th>"Deploy"</th><th>"Commit"</th><th>"Deployed by"</th><th>"When"</th><th>"Reason"</th><th>"Status"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }.into_any()
    };
    view! {
        <h2>"Break-glass deploys awaiting review"</h2>
        {body}
    }
}

/// DAGs Airflow now reports in a bundle of another owner than the one Hangar pinned: they
/// stay with that owner and nobody may act on them until a platform admin decides. Runs of
/// the other bundle's code meanwhile are shown to nobody (`sync/ownership.rs`).
#[component]
fn OwnershipConflicts(
    conflicts: Vec<OwnershipConflict>,
    can_resolve: bool,
    resolve: ServerAction<ResolveDagOwnership>,
    return_to: String,
    now_ms: i64,
) -> impl IntoView {
    let error = move || {
        resolve
            .value()
            .get()
            .and_then(|result| result.err())
            .map(|error| view! { <p class="notice error" role="alert">{error.to_string()}</p> })
    };
    let body = if conflicts.is_empty() {
        view! { <p class="muted" data-testid="no-conflicts">"None: every DAG is where its owner put it."</p> }.into_any()
    } else {
        let rows = conflicts
            .into_iter()
            .map(|conflict| {
                let forms = can_resolve.then(|| {
                    let form = |resolution: &'static str, team: Option<String>, label: String, testid: &'static str, title: &'static str| {
                        view! {
                            <ResolveForm resolve environment=conflict.environment.clone() dag_id=conflict.dag_id.clone()
                                resolution team return_to=return_to.clone() label testid title/>
                        }
                    };
                    let assign = conflict.reported_team.clone().map(|team| {
                        form("assign", Some(team.clone()), format!("Assign to {team}"), "assign-owner",
                            "The DAG goes to this team; runs of the previous owner's code stay out of its view")
                    });
                    let keep = (conflict.owner != "shared").then(|| {
                        form("assign", Some(conflict.owner.clone()), format!("Keep with {}", conflict.owner), "keep-owner",
                            "Confirms the pin; the conflict stays until Airflow reports the DAG in its owner's bundle again")
                    });
                    let release = form("release", None, "Release".into(), "release-owner",
                        "The DAG goes to whoever its bundle maps to now (without the previous owner's runs)");
                    view! { {assign} {keep} {release} }
                });
                let reported = match &conflict.reported_bundle {
                    Some(bundle) => format!("{bundle} ({})", conflict.reported_owner),
                    None => format!("no bundle ({})", conflict.reported_owner),
                };
                view! {
                    <tr data-dag=conflict.dag_id.clone() data-environment=conflict.environment.clone()>
                        <td><code>{conflict.environment.clone()}</code></td>
                        <td><code>{conflict.dag_id.clone()}</code></td>
                        <td data-testid="conflict-owner">{conflict.owner.clone()}</td>
                        <td data-testid="conflict-reported">{reported}</td>
                        <td>{ago(now_ms, conflict.since_ms)}</td>
                        <td>{forms}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="ownership-conflicts" data-testid="ownership-conflicts">
                <thead><tr><th>"Environment"</th><th>"DAG"</th><th>"Owner (keeps it)"</th><th>"Airflow reports it in"</th><th>"Since"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }.into_any()
    };
    view! {
        <h2>"Ownership conflicts"</h2>
        <p class="muted small">"A DAG keeps the first owner Hangar saw. While Airflow reports it in another owner's bundle, its runs and logs stay with that owner and nobody can trigger, pause or clear it."</p>
        {error}
        {body}
    }
}

/// One decision on a conflict, as a form that posts without JavaScript too.
#[component]
fn ResolveForm(
    resolve: ServerAction<ResolveDagOwnership>,
    environment: String,
    dag_id: String,
    resolution: &'static str,
    team: Option<String>,
    return_to: String,
    label: String,
    testid: &'static str,
    title: &'static str,
) -> impl IntoView {
    view! {
        <ActionForm action=resolve attr:class="inline-form">
            <input type="hidden" name="environment" value=environment/>
            <input type="hidden" name="dag_id" value=dag_id/>
            <input type="hidden" name="resolution" value=resolution/>
            {team.map(|team| view! { <input type="hidden" name="team" value=team/> })}
            <input type="hidden" name="return_to" value=return_to/>
            <button type="submit" class="danger" data-testid=testid title=title>{label}</button>
        </ActionForm>
    }
}

/// Bundles Hangar's configuration does not map to a team or name as shared: their DAGs and
/// import errors are visible to platform roles only, here.
#[component]
fn UnmappedBundles(unmapped: Vec<UnmappedBundle>) -> impl IntoView {
    let body = if unmapped.is_empty() {
        view! { <p class="muted" data-testid="no-unmapped">"None: every bundle is mapped."</p> }
            .into_any()
    } else {
        let rows = unmapped
            .into_iter()
            .map(|bundle| {
                let name = bundle
                    .bundle
                    .clone()
                    .unwrap_or_else(|| "(no bundle)".into());
                let shown = name.clone();
                view! {
                    <tr data-bundle=name>
                        <td><code>{bundle.environment}</code></td>
                        <td><code>{shown}</code></td>
                        <td>{bundle.dags}</td>
                        <td>{bundle.import_errors}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="unmapped-bundles" data-testid="unmapped-bundles">
                <thead><tr><th>"Environment"</th><th>"Bundle"</th><th>"DAGs"</th><th>"Import errors"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }.into_any()
    };
    view! {
        <h2>"Unmapped bundles"</h2>
        <p class="muted small">"Visible to no team: add each to [[airflow]] bundles (a team's) or shared (every team's)."</p>
        {body}
    }
}
