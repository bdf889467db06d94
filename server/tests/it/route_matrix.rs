//! Every route the server registers, called as every role against the user's own team,
//! another team and a team that does not exist. The expectations below are written out from
//! `docs/permissions.md`, not computed by the code under test. Every change a signed-in
//! person asks for is also checked in the audit log: whatever it wrote names that person and
//! that request, so every door reached its port through the request's one `Acting`.

use crate::support;

use hangar_app::models::{Access, PlatformAction, TeamAction};
use hangar_server::http::{RouteSpec, inventory, page_routes, undeclared};
use reqwest::{Method, StatusCode};
use support::{Backend, Browser, TestApp};

const USERS: [&str; 8] = [
    "viewer",
    "operator",
    "author",
    "admin",
    "multi",
    "platform_admin",
    "auditor",
    "nobody",
];
const TEAMS: [&str; 3] = ["team_a", "team_b", "team_zzz"];

/// Team roles from the fixture's groups (support/idp.rs + support/mod.rs).
fn team_role(user: &str, team: &str) -> Option<u8> {
    match (user, team) {
        ("viewer", "team_a") => Some(0),
        ("operator", "team_a") => Some(1),
        ("author", "team_a") | ("multi", "team_a") => Some(2),
        ("admin", "team_a") | ("multi", "team_b") => Some(3),
        _ => None,
    }
}

/// The lowest role (0 viewer .. 3 admin) per action, as docs/permissions.md states it.
fn min_role(action: TeamAction) -> u8 {
    use TeamAction::*;
    match action {
        View => 0,
        Trigger | Pause | Clear => 1,
        EditConnections | EditVariables | RevealVariables | RequestDeploy | ApproveDeploy => 2,
        EditPools | ManageTokens | BreakGlass | ViewTeamAudit | ViewMembers => 3,
    }
}

fn expected_allowed(user: &str, access: Access, team: &str) -> bool {
    let team_exists = team != "team_zzz";
    match access {
        Access::Public | Access::Authenticated => true,
        Access::Team(action) => {
            team_exists
                && (user == "platform_admin"
                    || (user == "auditor"
                        && matches!(
                            action,
                            TeamAction::View | TeamAction::ViewTeamAudit | TeamAction::ViewMembers
                        ))
                    || team_role(user, team).is_some_and(|role| role >= min_role(action)))
        }
        Access::Platform(action) => {
            user == "platform_admin"
                || (user == "auditor"
                    && matches!(
                        action,
                        PlatformAction::ViewOverview
                            | PlatformAction::ViewAudit
                            | PlatformAction::ViewAccess
                    ))
        }
    }
}

/// A route's path with its parameters filled in: each team's own DAG, run and task, as
/// seeded by `route_role_team_matrix` (none exist for the team that does not exist).
fn concrete(path: &str, team: &str) -> String {
    path.replace("{team}", team)
        .replace("{environment}", "main")
        .replace("{dag}", &format!("{team}_dag"))
        .replace("{run}", "run_1")
        .replace("{task}", "task_1")
        .replace("{id}", "1")
}

/// The JSON API's routes: JSON bodies, and 401 rather than a sign-in redirect.
fn is_api(spec: &RouteSpec) -> bool {
    spec.path.starts_with("/api/v1/")
}

/// What a call answered: its status, its body and the request id Hangar gave it.
async fn call(browser: &Browser, spec: &RouteSpec, team: &str) -> (StatusCode, String, String) {
    let response = if spec.method == Method::GET {
        browser.get(&concrete(spec.path, team)).await
    } else {
        let dag = format!("{team}_dag");
        let pool = format!("{team}_pool");
        let connection = format!("{team}_conn");
        let variable = format!("{team}_var");
        // The frame's path (`/api/page_frame`): the team's home, read with the frame.
        let home = format!("/t/{team}");
        // The tokens seeded first: team_a's is 1, team_b's 2.
        let token = match team {
            "team_a" => "1",
            "team_b" => "2",
            _ => "3",
        };
        let form: Vec<(&str, &str)> = match spec.access {
            Access::Team(_) => vec![
                ("team", team),
                ("environment", "main"),
                ("dag_id", &dag),
                ("run_id", "run_1"),
                ("task_id", "task_1"),
                ("paused", "true"),
                ("state", "success"),
                ("name", &pool),
                ("slots", "4"),
                ("connection_id", &connection),
                ("conn_type", "http"),
                ("key", &variable),
                ("id", token),
                ("verdict", "approve"),
                ("days", "1"),
                ("scope_request", "true"),
            ],
            // User 1 is the first seeded user (team_a-admin, no sessions to end); the
            // ownership decision is about a DAG of its own, seeded for it.
            _ => vec![
                ("path", &home),
                ("user_id", "1"),
                ("environment", "main"),
                ("dag_id", "platform_dag"),
                ("resolution", "assign"),
                ("team", "team_a"),
            ],
        };
        browser.call(&concrete(spec.path, team), &form).await
    };
    let status = response.status();
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    // A live-update stream never ends: its head is the answer.
    if status == StatusCode::OK && spec.path.ends_with("/events") {
        return (status, String::new(), request_id);
    }
    (status, response.text().await.unwrap(), request_id)
}

/// The audit entries after `seq`: (actor subject, request id, action, outcome).
async fn entries_after(
    app: &TestApp,
    seq: i64,
) -> Vec<(Option<String>, Option<String>, String, String)> {
    hangar_server::audit::entries_after(&app.state.db, seq, 1_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor_subject, e.request_id, e.action, e.outcome))
        .collect()
}

async fn last_seq(app: &TestApp) -> i64 {
    hangar_server::audit::entries_after(&app.state.db, 0, 100_000)
        .await
        .unwrap()
        .last()
        .map_or(0, |e| e.seq)
}

#[tokio::test]
async fn every_route_declares_its_access() {
    let missing = undeclared(&page_routes());
    assert!(missing.is_empty(), "undeclared: {missing:?}");
    let specs = inventory();
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        assert!(
            specs.iter().any(|s| s.path == path),
            "server function {path} not in the inventory"
        );
    }
    // The check can fail: a page nobody declared is named.
    let mut pages = page_routes();
    pages.push(leptos_axum::AxumRouteListing::new(
        "/t/{team}/secret".into(),
        Default::default(),
        [leptos_router::Method::Get],
        vec![],
    ));
    assert_eq!(
        undeclared(&pages),
        vec!["page /t/{team}/secret".to_string()]
    );
}

async fn route_role_team_matrix(backend: Backend) {
    // Reads come from seeded rows; actions pass every check of Hangar's and then fail at the
    // unreachable Airflow (502): a different answer from a denial.
    let app = TestApp::spawn_with_dead_airflow(backend).await;
    app.seed_dag("main", "team_a_dag", Some("team_a")).await;
    app.seed_dag("main", "team_b_dag", Some("team_b")).await;
    app.seed_dag("main", "platform_dag", None).await;
    app.seed_pool("main", "team_a_pool", Some("team_a")).await;
    app.seed_pool("main", "team_b_pool", Some("team_b")).await;
    app.seed_connection("main", "team_a_conn", Some("team_a"))
        .await;
    app.seed_connection("main", "team_b_conn", Some("team_b"))
        .await;
    app.seed_variable("main", "team_a_var", Some("team_a"))
        .await;
    app.seed_variable("main", "team_b_var", Some("team_b"))
        .await;
    for team in ["team_a", "team_b"] {
        let created_by = app.seed_user(&format!("{team}-admin")).await;
        hangar_server::tokens::create(
            &app.state.db,
            hangar_server::tokens::NewToken {
                team,
                name: "ci",
                scopes: &["deploys:request".to_string()],
                created_by,
                now_ms: 0,
                expires_ms: i64::MAX,
            },
        )
        .await
        .unwrap();
    }
    let anonymous = app.browser();
    let not_found_body = anonymous.get("/no/such/page").await.text().await.unwrap();
    let mut checked = 0;
    let specs: Vec<RouteSpec> = inventory()
        .into_iter()
        .filter(|spec| spec.access != Access::Public)
        .collect();
    assert!(
        specs.len() >= 6,
        "pages and server functions are in the inventory"
    );

    for spec in &specs {
        for team in TEAMS {
            let (status, body, _) = call(&anonymous, spec, team).await;
            let dag = format!("{team}_dag");
            // Pages send a browser to sign in; the JSON API answers 401.
            let expected = if spec.method == Method::GET && !is_api(spec) {
                StatusCode::SEE_OTHER
            } else {
                StatusCode::UNAUTHORIZED
            };
            assert_eq!(
                status, expected,
                "anonymous {} {} ({team})",
                spec.method, spec.path
            );
            assert!(
                !body.contains(&dag) || status == StatusCode::SEE_OTHER,
                "anonymous {} ({team}) names the DAG",
                spec.path
            );
        }
    }

    for user in USERS {
        let browser = app.signed_in(user).await;
        for spec in &specs {
            let mut denied_bodies = Vec::new();
            for team in TEAMS {
                let before = last_seq(&app).await;
                let (status, body, request_id) = call(&browser, spec, team).await;
                let what = format!("{user} {} {} ({team})", spec.method, spec.path);
                let written = entries_after(&app, before).await;
                // Whatever this request wrote names this person and this request.
                for (actor, entry_request, action, _) in &written {
                    assert_eq!(
                        actor.as_deref(),
                        Some(user),
                        "{what}: {action} by someone else"
                    );
                    assert_eq!(
                        entry_request.as_deref(),
                        Some(request_id.as_str()),
                        "{what}: {action} under another request id"
                    );
                }
                let allowed = expected_allowed(user, spec.access, team);
                // The page at / may send a user with a remembered team there. Past the checks,
                // whatever needs Airflow (actions, a log's download, the code) fails there with
                // 502. Deploys and tokens do not involve Airflow; a task's page and its log
                // section answer 200 and say, in the page, that the log could not be read.
                let needs_airflow = matches!(spec.access, Access::Team(action) if !action.is_read_only()
                        && !matches!(action, TeamAction::RequestDeploy | TeamAction::ApproveDeploy
                            | TeamAction::BreakGlass | TeamAction::ManageTokens))
                    || spec.path.ends_with("/log")
                    || spec.path.ends_with("/code")
                    || spec.path.ends_with("/dag_code");
                // The trigger page and its data are the read model's: only the trigger
                // itself asks Airflow.
                let needs_airflow = needs_airflow
                    && !spec.path.ends_with("/trigger")
                    && !spec.path.ends_with("/dag_trigger");
                // Deploys are not set up in this app: past the checks, deploy actions say so.
                let deploys_not_set_up = spec.path.contains("deploy");
                // One's own signing keys: past the checks, an empty key (or a key id the
                // caller does not hold) is refused with a sentence.
                let key_refused = spec.path.contains("signing_key") && body.contains("Invalid");
                // Creating a pool under a name the team already sees (the seeded one) is
                // answered from the read model, past every check, without asking Airflow.
                let name_taken =
                    spec.path.ends_with("/create_pool") && body.contains("already a pool named");
                // The seeded token is revoked by the first user allowed to revoke it: past the
                // checks, rotating it afterwards is refused with a sentence.
                let token_gone =
                    spec.path.ends_with("rotate_token") && body.contains("no such live token");
                let ok = match (spec.path, status) {
                    ("/", StatusCode::SEE_OTHER) => true,
                    (_, StatusCode::UNPROCESSABLE_ENTITY) => {
                        (deploys_not_set_up && body.contains("deploys are not set up"))
                            || key_refused
                            || name_taken
                            || token_gone
                    }
                    (_, StatusCode::BAD_GATEWAY) => needs_airflow,
                    (_, StatusCode::OK) => !needs_airflow,
                    _ => false,
                };
                let mutation = spec.method != Method::GET
                    && hangar_server::http::server_fns::is_mutation(spec.access);
                if allowed {
                    assert!(ok, "{what}: expected success, got {status}");
                    // A change that went as far as Airflow was audited, in this person's name.
                    // (A preview changes nothing, so Airflow failing it is not audited.)
                    if mutation
                        && status == StatusCode::BAD_GATEWAY
                        && !spec.path.ends_with("_preview")
                    {
                        assert!(
                            written
                                .iter()
                                .any(|(_, _, _, outcome)| outcome == "failure"),
                            "{what}: the failed change is not audited: {written:?}"
                        );
                    }
                } else {
                    if mutation {
                        assert!(
                            written
                                .iter()
                                .any(|(_, _, action, outcome)| action == "request.denied"
                                    && outcome == "denied"),
                            "{what}: the refusal is not audited: {written:?}"
                        );
                    }
                    assert_eq!(status, StatusCode::NOT_FOUND, "{what}: expected not found");
                    if is_api(spec) {
                        assert_eq!(body, r#"{"error":"not found"}"#, "{what}");
                    } else if spec.method == Method::GET {
                        assert_eq!(
                            body, not_found_body,
                            "{what}: the same not-found page as any missing page"
                        );
                    } else {
                        assert_eq!(body, "\"NotFound\"", "{what}");
                    }
                    assert!(
                        !body.contains("team_b") && !body.contains("Team B"),
                        "{what}: names nothing"
                    );
                    denied_bodies.push(body);
                }
                checked += 1;
            }
            // Another team and a team that does not exist are indistinguishable.
            denied_bodies.dedup();
            assert!(
                denied_bodies.len() <= 1,
                "{user} {}: denials differ",
                spec.path
            );
        }
    }
    assert_eq!(checked, USERS.len() * specs.len() * TEAMS.len());
}

on_both_backends!(route_role_team_matrix);

/// Tests build many apps in one process while others serve pages; building one must never
/// stall a page another is rendering (generating routes suppresses resource loads
/// process-wide, leptos issue #4773, so the route list is generated once per process).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn building_an_app_never_stalls_a_render() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let browser = app.signed_in("multi").await;
    let generating = std::thread::spawn(|| {
        for _ in 0..200 {
            assert!(!page_routes().is_empty());
        }
    });
    for round in 0..100 {
        let page = tokio::time::timeout(std::time::Duration::from_secs(10), browser.get("/"))
            .await
            .unwrap_or_else(|_| panic!("render {round} stalled"));
        assert!(page.status().is_success() || page.status().is_redirection());
        let body = tokio::time::timeout(std::time::Duration::from_secs(10), page.text())
            .await
            .unwrap_or_else(|_| panic!("body of render {round} stalled"))
            .unwrap();
        assert!(
            body.is_empty() || body.contains("</html>"),
            "render {round} ended early"
        );
        if generating.is_finished() {
            break;
        }
    }
    generating.join().unwrap();
}
