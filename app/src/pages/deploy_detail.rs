//! `/t/{team}/deploys/{id}`: the approval screen. What the deploy changes (the commits with
//! who they name and who signed them, a file tree, coloured diffs with line numbers, a page
//! of files at a time — and, when a ref target receives the whole commit, the files beyond
//! the team's paths in a section of their own that a reviewer must open and tick before
//! approving), the policy's state in words, reviews so far, what the viewer may do (approve
//! or reject with a comment, cancel, deploy or retry), and the deploy's progress once it
//! runs.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::ErrorView;
use crate::components::team_nav::TeamNav;
use crate::functions::deploys::{CancelDeploy, ReviewDeploy, RunDeploy, get_deploy_detail};
use crate::models::deploys::{
    CommitPersonRow, DEPLOY_STEPS, DeployDetail, DiffBody, EMAILS_MODE_LIMIT, FileDiff, FileRow,
    LineKind, StepRow, file_tree, short_sha,
};
use crate::pages::deploys::{Confirmation, StatusBadge};
use crate::paths;
use crate::time_text::utc_minute;

#[derive(Clone, Copy)]
struct DetailActions {
    review: ServerAction<ReviewDeploy>,
    cancel: ServerAction<CancelDeploy>,
    run: ServerAction<RunDeploy>,
}

#[component]
pub fn DeployDetailPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let team = move || params.read().get("team").unwrap_or_default();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(1)
    };
    let actions = DetailActions {
        review: ServerAction::new(),
        cancel: ServerAction::new(),
        run: ServerAction::new(),
    };
    let detail = Resource::new(
        move || {
            (
                team(),
                id(),
                page(),
                actions.review.version().get(),
                actions.cancel.version().get(),
                actions.run.version().get(),
            )
        },
        |(team, id, page, ..)| get_deploy_detail(team, id, page),
    );
    crate::components::live::use_live_updates(team, move || detail.refetch());
    view! {
        <TeamNav team=team() current="deploys"/>
        <Transition fallback=|| view! { <p class="loading">"Loading the deploy…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <Detail detail actions/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Detail(detail: DeployDetail, actions: DetailActions) -> impl IntoView {
    let team = detail.team.clone();
    let summary = detail.summary.clone();
    let id = summary.id;
    let return_to = format!("{}?page={}", paths::deploy(&team, id), detail.page);
    let error = move || {
        let last = |v: Option<Result<(), crate::errors::AppError>>| v.and_then(|r| r.err());
        last(actions.review.value().get())
            .or_else(|| last(actions.cancel.value().get()))
            .or_else(|| last(actions.run.value().get()))
            .map(|e| view! { <p class="notice error" role="alert" data-testid="action-error">{e.to_string()}</p> })
    };
    let requester = summary.requested_by();
    let failure = summary.failure.clone().filter(|_| summary.status == "failed").map(|f| {
        view! { <p class="notice error" data-testid="deploy-failure">"The deploy failed; the previous deployment stays live. " {f}</p> }
    });
    let hook_failure = summary.hook_failure.clone().map(|f| {
        view! { <p class="notice error" data-testid="hook-failure">"The deploy is live, but a hook failed: " {f}</p> }
    });
    let reason = detail.break_glass_reason.clone().map(|r| {
        view! { <p class="notice break-glass" data-testid="break-glass-reason">"Break-glass reason: " {r}</p> }
    });
    let returned = detail.returned.clone().map(|r| {
        view! { <p class="notice error" data-testid="deploy-returned">"It was approved, but " {r}</p> }
    });
    let weaker = (detail.authorship == "emails").then(|| {
        view! { <p class="notice weak" data-testid="authorship-emails">{EMAILS_MODE_LIMIT}</p> }
    });
    view! {
        <section class="deploy-detail" data-deploy=id.to_string()>
            <h1>{format!("Deploy #{id}")} " " <StatusBadge summary=summary.clone()/></h1>
            <p>
                <code title=summary.deployed.clone().unwrap_or_default()>{summary.deployed.as_deref().map(short_sha).unwrap_or("nothing").to_string()}</code>
                " → "
                <code title=summary.candidate.clone() data-testid="candidate">{short_sha(&summary.candidate).to_string()}</code>
                {format!(" — requested by {requester} on {}", utc_minute(summary.created_ms))}
            </p>
            <p class="policy-state" data-testid="policy-state">{detail.policy_state.clone()}</p>
            {weaker}
            {reason}
            {returned}
            {error}
            {failure}
            {hook_failure}
            <ActionsPanel detail=detail.clone() actions return_to=return_to.clone()/>
            <Progress detail=detail.clone()/>
            <Reviews detail=detail.clone()/>
            <Commits detail=detail.clone()/>
            <Changes detail=detail.clone()/>
            <p><a href=paths::deploys(&team)>"All deploys of this team"</a></p>
        </section>
    }
}

#[component]
fn ActionsPanel(detail: DeployDetail, actions: DetailActions, return_to: String) -> impl IntoView {
    let team = detail.team.clone();
    let id = detail.summary.id.to_string();
    let allowed = detail.actions.clone();
    let review_form = (allowed.review || allowed.review_after).then(|| {
        let (team, id, return_to) = (team.clone(), id.clone(), return_to.clone());
        let title = if allowed.review_after {
            "Review this break-glass deploy"
        } else {
            "Your review"
        };
        let outside = (detail.outside_files > 0).then(|| {
            view! {
                <p class="notice" data-testid="outside-required">
                    {format!(
                        "This deploy changes {} file{} outside the team's paths that the ref target receives: open that section below, review it and tick its box before approving.",
                        detail.outside_files,
                        if detail.outside_files == 1 { "" } else { "s" }
                    )}
                </p>
            }
        });
        view! {
            <ActionForm action=actions.review attr:class="review-form" attr:id="review-form">
                <h2>{title}</h2>
                {outside}
                <input type="hidden" name="team" value=team/>
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="return_to" value=return_to/>
                <label>"Comment (required to reject) " <textarea name="comment" data-testid="review-comment"></textarea></label>
                <button type="submit" name="verdict" value="approve" data-testid="approve">"Approve"</button>
                " "
                // Rejecting needs no look at the outside files: the box is not required for it.
                <button type="submit" name="verdict" value="reject" class="danger" formnovalidate data-testid="reject">"Reject"</button>
            </ActionForm>
        }
    });
    let refused = allowed
        .review_refused
        .clone()
        .map(|why| view! { <p class="muted" data-testid="review-refused">"You cannot review this deploy: " {why}</p> });
    let cancel = allowed.cancel.then(|| {
        let (team, id, return_to) = (team.clone(), id.clone(), return_to.clone());
        view! {
            <ActionForm action=actions.cancel attr:class="inline-form">
                <input type="hidden" name="team" value=team/>
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="return_to" value=return_to/>
                <button type="submit" class="danger" data-testid="cancel-deploy">"Cancel this request"</button>
            </ActionForm>
        }
    });
    let run = allowed.deploy.then(|| {
        let label = if detail.summary.status == "failed" {
            "Retry the deploy"
        } else {
            "Deploy now"
        };
        view! {
            <ActionForm action=actions.run attr:class="inline-form">
                <input type="hidden" name="team" value=team.clone()/>
                <input type="hidden" name="id" value=id.clone()/>
                <input type="hidden" name="return_to" value=return_to.clone()/>
                <button type="submit" data-testid="run-deploy">{label}</button>
            </ActionForm>
        }
    });
    view! { <div class="deploy-actions">{review_form}{refused}{run}{cancel}</div> }
}

/// The steps as a strip (the latest attempt), then every step's line.
#[component]
fn Progress(detail: DeployDetail) -> impl IntoView {
    if detail.steps.is_empty() {
        return ().into_any();
    }
    let latest = detail.steps.iter().map(|s| s.attempt).max().unwrap_or(1);
    let current: Vec<&StepRow> = detail
        .steps
        .iter()
        .filter(|s| s.attempt == latest)
        .collect();
    let summary = detail.summary.clone();
    let strip = DEPLOY_STEPS
        .iter()
        .map(|name| {
            let state = if *name == "confirm" {
                match summary.confirmation.as_deref() {
                    Some("live") => "done",
                    Some("late") => "failed",
                    Some("waiting") => "running",
                    _ => "todo",
                }
            } else {
                current
                    .iter()
                    .find(|s| s.step == *name)
                    .map_or("todo", |s| s.state.as_str())
            };
            view! { <li class=format!("step {state}") data-step=*name data-state=state>{*name}</li> }
        })
        .collect_view();
    let lines = detail
        .steps
        .iter()
        .map(|s| {
            let took = s
                .finished_ms
                .map(|end| format!("{:.1} s", (end - s.started_ms) as f64 / 1000.0))
                .unwrap_or_else(|| "running".into());
            view! {
                <tr class=format!("step-line {}", s.state)>
                    <td>{s.attempt}</td><td>{s.step.clone()}</td><td>{s.state.clone()}</td>
                    <td>{took}</td><td>{s.detail.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="deploy-progress">
            <h2>"Progress"</h2>
            <ol class="step-strip" data-testid="step-strip">{strip}</ol>
            <p><Confirmation summary minutes=Some(detail.confirm_within_minutes)/></p>
            <details>
                <summary>"Every step"</summary>
                <table class="steps">
                    <thead><tr><th>"Attempt"</th><th>"Step"</th><th>"State"</th><th>"Took"</th><th>"Detail"</th></tr></thead>
                    <tbody>{lines}</tbody>
                </table>
            </details>
        </section>
    }
    .into_any()
}

#[component]
fn Reviews(detail: DeployDetail) -> impl IntoView {
    let rows = detail
        .reviews
        .iter()
        .map(|r| {
            view! {
                <li class=if r.approve { "review approve" } else { "review reject" } data-testid="review" data-void=r.void_reason.is_some().to_string()>
                    <strong>{r.name.clone()}</strong>
                    {if r.approve { " approved" } else { " rejected" }}
                    <span class="muted">{format!(" on {}", utc_minute(r.at_ms))}</span>
                    {r.void_reason.clone().map(|why| view! { <span class="void" data-testid="review-void">{format!(" — no longer counts: {why}")}</span> })}
                    {(!r.comment.is_empty()).then(|| view! { <blockquote>{r.comment.clone()}</blockquote> })}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="reviews">
            <h2>"Reviews"</h2>
            {if detail.reviews.is_empty() {
                view! { <p class="muted">"No reviews yet."</p> }.into_any()
            } else {
                view! { <ul class="review-list">{rows}</ul> }.into_any()
            }}
        </section>
    }
}

#[component]
fn Commits(detail: DeployDetail) -> impl IntoView {
    let signatures = detail.authorship == "signatures";
    let rows = detail
        .commits
        .iter()
        .map(|c| {
            let named = |role: &str| {
                c.people
                    .iter()
                    .filter(|p| p.role == role)
                    .map(|p| view! { <PersonCell person=p.clone()/> })
                    .collect_view()
            };
            let signature = signatures.then(|| {
                let state = if c.signature_ok { "good" } else { "missing" };
                view! {
                    <td class=format!("signature {state}") data-testid="commit-signature" data-state=state>
                        {c.signature.clone().unwrap_or_default()}
                    </td>
                }
            });
            view! {
                <tr data-commit=c.sha.clone()>
                    <td><code title=c.sha.clone()>{c.short().to_string()}</code></td>
                    <td>{c.subject.clone()}</td>
                    <td>{named("author")}</td>
                    <td>{named("committer")}</td>
                    <td>{named("co-author")}</td>
                    {signature}
                    <td>{utc_minute(c.authored_ms)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="deploy-commits">
            <h2>{format!("Commits ({})", detail.commits.len())}</h2>
            <table data-testid="deploy-commits">
                <thead><tr>
                    <th>"Commit"</th><th>"Subject"</th><th>"Author"</th><th>"Committer"</th><th>"Co-authors"</th>
                    {signatures.then(|| view! { <th>"Signed"</th> })}
                    <th>"Date"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

/// A name and address a commit carries, and whose verified address it is (if anyone's).
#[component]
fn PersonCell(person: CommitPersonRow) -> impl IntoView {
    let verified = if person.verified_as.is_empty() {
        view! { <span class="badge unknown-author" data-testid="unknown-author">"unknown"</span> }
            .into_any()
    } else {
        view! { <span class="badge verified" data-testid="verified-author">{format!("verified: {}", person.verified_as.join(", "))}</span> }.into_any()
    };
    view! {
        <span class="commit-person" data-email=person.email.clone()>
            {person.name.clone()} " " <span class="muted">{format!("<{}>", person.email)}</span> " " {verified}
        </span>
    }
}

#[component]
fn Changes(detail: DeployDetail) -> impl IntoView {
    let team = detail.team.clone();
    let id = detail.summary.id;
    let per_page = crate::models::deploys::DIFF_FILES_PER_PAGE;
    // The server lists the team's own files first, then those beyond its paths.
    let inside = detail.files.iter().take_while(|f| !f.outside).count();
    let tree = |files: &[FileRow], offset: usize| {
        file_tree(files)
            .into_iter()
            .map(|line| {
                let indent = format!("depth-{}", line.depth.min(8));
                match line.file {
                    None => view! { <li class=format!("folder {indent}")>{line.name}</li> }.into_any(),
                    Some(index) => {
                        let index = index + offset;
                        let file = &detail.files[index];
                        let page = index / per_page + 1;
                        let href = format!("{}?page={page}#file-{index}", paths::deploy(&team, id));
                        let counts = if file.binary {
                            "binary".to_string()
                        } else {
                            format!("+{} −{}", file.added, file.removed)
                        };
                        view! {
                            <li class=format!("file {indent} {}", file.kind.replace(' ', "-")) data-path=file.path.clone()>
                                <a href=href>{line.name}</a>
                                <span class="kind">{format!(" {}", file.kind)}</span>
                                <span class="counts">{format!(" {counts}")}</span>
                            </li>
                        }
                        .into_any()
                    }
                }
            })
            .collect_view()
    };
    let first = (detail.page - 1) * per_page;
    let diffs = |outside: bool| {
        detail
            .diffs
            .iter()
            .enumerate()
            .map(|(n, diff)| (first + n, diff))
            .filter(|(index, _)| {
                detail
                    .files
                    .get(*index)
                    .is_some_and(|f| f.outside == outside)
            })
            .map(|(index, diff)| {
                let file = detail.files.get(index).cloned();
                view! { <DiffView index diff=diff.clone() file/> }
            })
            .collect_view()
    };
    // Drawn above and below the diffs (a function: type-erased views are not `Clone`).
    let pager = || {
        (detail.pages > 1).then(|| {
        let links = (1..=detail.pages)
            .map(|p| {
                let href = format!("{}?page={p}", paths::deploy(&team, id));
                view! { <a href=href aria-current=(p == detail.page).then_some("page")>{p}</a> " " }
            })
            .collect_view();
        view! { <nav class="pager" data-testid="diff-pager">{format!("Files {}–{} of {}: ", first + 1, (first + per_page).min(detail.files.len()), detail.files.len())}{links}</nav> }
    })
    };
    let outside_count = detail.files.len() - inside;
    let outside = (outside_count > 0).then(|| {
        let confirm = (detail.actions.review || detail.actions.review_after).then(|| view! {
            // Owned by the review form above (`form=`), so a form post carries it with
            // JavaScript or without; it can only be ticked with this section open.
            <label class="confirm-outside">
                <input type="checkbox" name="reviewed_outside" value="true" form="review-form" required data-testid="reviewed-outside"/>
                " I have reviewed the files outside the team's paths"
            </label>
        });
        view! {
            <details class="outside-paths" data-testid="outside-files">
                <summary data-testid="outside-open">
                    {format!(
                        "{outside_count} file{} outside the team's paths — the ref target receives {} too: open to review",
                        if outside_count == 1 { "" } else { "s" },
                        if outside_count == 1 { "it" } else { "them" }
                    )}
                </summary>
                <p class="muted">"A ref target receives the whole commit, so these reach wherever the bundle reads beyond the team's paths."</p>
                <ul class="file-tree" data-testid="outside-tree">{tree(&detail.files[inside..], inside)}</ul>
                <div class="diffs">{diffs(true)}</div>
                {confirm}
            </details>
        }
    });
    view! {
        <section class="deploy-changes">
            <h2>{format!("Files changed ({})", detail.files.len())}</h2>
            <ul class="file-tree" data-testid="file-tree">{tree(&detail.files[..inside], 0)}</ul>
            {outside}
            {pager()}
            <div class="diffs" data-testid="diffs">{diffs(false)}</div>
            {pager()}
        </section>
    }
}

/// "+12 −3 lines" from the file list's counts.
fn line_counts(file: Option<&crate::models::deploys::FileRow>) -> String {
    file.map(|f| format!("+{} −{} lines", f.added, f.removed))
        .unwrap_or_else(|| "line counts unknown".into())
}

#[component]
fn DiffView(
    index: usize,
    diff: FileDiff,
    file: Option<crate::models::deploys::FileRow>,
) -> impl IntoView {
    let kind = file.as_ref().map(|f| f.kind.clone()).unwrap_or_default();
    let renamed = file
        .as_ref()
        .and_then(|f| f.from.clone())
        .map(|from| format!(" (from {from})"))
        .unwrap_or_default();
    let body = match diff.body {
        DiffBody::Binary => {
            view! { <p class="muted" data-testid="binary-file">"Binary file: not shown."</p> }.into_any()
        }
        DiffBody::TooLarge { bytes } => view! {
            <p class="muted" data-testid="large-file">{format!("This diff is larger than the {} KiB Hangar shows of one file ({}); review it in your git tool.", bytes / 1024, line_counts(file.as_ref()))}</p>
        }
        .into_any(),
        DiffBody::PageFull { bytes } => view! {
            <p class="muted" data-testid="page-full">{format!("Not shown: this page's diffs already reached the {} MiB Hangar reads at once ({}); review it in your git tool.", bytes / (1024 * 1024), line_counts(file.as_ref()))}</p>
        }
        .into_any(),
        DiffBody::Lines(lines) => {
            let rows = lines
                .into_iter()
                .map(|line| {
                    let class = match line.kind {
                        LineKind::Hunk => "hunk",
                        LineKind::Context => "context",
                        LineKind::Added => "added",
                        LineKind::Removed => "removed",
                    };
                    let sign = match line.kind {
                        LineKind::Added => "+",
                        LineKind::Removed => "-",
                        _ => " ",
                    };
                    view! {
                        <tr class=class>
                            <td class="ln">{line.old.map(|n| n.to_string()).unwrap_or_default()}</td>
                            <td class="ln">{line.new.map(|n| n.to_string()).unwrap_or_default()}</td>
                            <td class="code"><span class="sign">{sign}</span>{line.text}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! { <table class="diff"><tbody>{rows}</tbody></table> }.into_any()
        }
    };
    view! {
        <article class="file-diff" id=format!("file-{index}") data-path=diff.path.clone()>
            <h3><code>{diff.path.clone()}</code><span class="muted">{format!(" {kind}{renamed}")}</span></h3>
            {body}
        </article>
    }
}
