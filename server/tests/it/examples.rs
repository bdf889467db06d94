//! Airflow's own example DAGs, as a team that owns them sees them in Hangar: every task
//! instance of the triggered runs has a page with the state Airflow gives it (including those
//! that never ran), mapped tasks list their instances, groups fold, and the graph, Gantt chart
//! and code views draw them.

use crate::support;

use reqwest::StatusCode;
use support::examples::TRIGGERED;
use support::{Backend, Browser, TestApp};

/// The examples team sees the example DAGs and their runs; team A sees none of them.
async fn the_example_dags_belong_to_their_team(backend: Backend) {
    let app = TestApp::spawn_with_airflow(backend).await;
    let runs = app.example_runs().await;
    let operator = app.signed_in("examples_operator").await;
    let list = operator
        .get("/t/examples/dags?per=100&q=example_task_group")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains(r#"data-dag="example_task_group""#), "{list}");
    let team_a = app.signed_in("author").await;
    let other = team_a
        .get("/t/team_a/dags?per=100")
        .await
        .text()
        .await
        .unwrap();
    assert!(!other.contains("example_"), "team A sees no example DAG");
    for dag_id in TRIGGERED {
        let run = hangar_app::paths::run("examples", "main", dag_id, &runs[dag_id]);
        let page = operator.get(&run).await;
        assert_eq!(page.status(), StatusCode::OK, "{run}");
        let hidden = team_a
            .get(&hangar_app::paths::run(
                "team_a",
                "main",
                dag_id,
                &runs[dag_id],
            ))
            .await;
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND, "{run}");
    }
}

/// The state a task page shows (`data-testid="task-state"`'s badge).
fn shown_state(html: &str) -> Option<String> {
    let rest = html.split(r#"data-testid="task-state""#).nth(1)?;
    let rest = rest.split(r#"data-state=""#).nth(1)?;
    Some(rest[..rest.find('"')?].to_string())
}

async fn get_ok(browser: &Browser, path: &str) -> String {
    let response = browser.get(path).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {}", main_of(&body));
    body
}

fn main_of(html: &str) -> &str {
    html.split("<main>")
        .nth(1)
        .and_then(|m| m.split("</main>").next())
        .unwrap_or(html)
}

/// Every task instance Airflow has for the example runs — mapped, grouped, skipped, never
/// run, torn down — has a page that answers 200 with Airflow's state, and its log page too.
async fn every_task_instance_has_a_page_with_its_state(backend: Backend) {
    let app = TestApp::spawn_with_airflow(backend).await;
    let runs = app.example_runs().await;
    let operator = app.signed_in("examples_operator").await;
    let (mut pages, mut not_run, mut mapped) = (0, 0, 0);
    for (dag_id, run_id) in &runs {
        for (task_id, map_index, state, try_number) in
            app.airflow_task_instances(dag_id, run_id).await
        {
            let path = hangar_app::paths::task_log(
                "examples", "main", dag_id, run_id, &task_id, map_index, 0,
            );
            let html = get_ok(&operator, &path).await;
            assert_eq!(
                shown_state(&html).as_deref(),
                Some(state.as_str()),
                "{path}: {}",
                main_of(&html)
            );
            if try_number == 0 {
                not_run += 1;
                assert!(html.contains(r#"data-testid="why-not-run""#), "{path}");
                assert!(
                    !html.contains(r#"data-testid="log-viewer""#),
                    "{path}: no log to read"
                );
            } else {
                assert!(html.contains(r#"data-testid="log-viewer""#), "{path}");
                assert!(
                    !html.contains(r#"data-testid="log-notice""#),
                    "{path}: the log was read"
                );
            }
            if map_index >= 0 {
                mapped += 1;
            }
            pages += 1;
        }
    }
    assert!(pages >= 40, "{pages} task instances");
    assert!(
        not_run >= 5,
        "branching and short-circuits skip tasks: {not_run}"
    );
    assert!(mapped >= 6, "mapped instances: {mapped}");
}

/// A mapped task: one grid cell and one run-page row with its count, and its instances
/// listed on its page, each with a page of its own.
async fn mapped_tasks_list_their_instances(backend: Backend) {
    let app = TestApp::spawn_with_airflow(backend).await;
    let runs = app.example_runs().await;
    let operator = app.signed_in("examples_operator").await;
    let dag = "example_dynamic_task_mapping";
    let run_id = &runs[dag];
    let run = get_ok(
        &operator,
        &hangar_app::paths::run("examples", "main", dag, run_id),
    )
    .await;
    assert!(
        run.contains(r#"data-task="add_one" data-state="success" data-mapped="3""#),
        "{}",
        main_of(&run)
    );
    assert_eq!(
        run.matches(r#"data-task=""#).count(),
        2,
        "add_one and sum_it"
    );
    let list = get_ok(
        &operator,
        &hangar_app::paths::task_log("examples", "main", dag, run_id, "add_one", -1, 0),
    )
    .await;
    assert!(
        list.contains(r#"data-testid="mapped-list""#),
        "{}",
        main_of(&list)
    );
    for index in 0..3 {
        assert!(
            list.contains(&format!(r#"data-map-index="{index}""#)),
            "{index}"
        );
    }
    let grid = get_ok(&operator, &hangar_app::paths::dag("examples", "main", dag)).await;
    assert!(grid.contains("(3 mapped)"), "{}", main_of(&grid));
    assert_eq!(
        grid.matches("(3 mapped)").count(),
        1,
        "the grid goes out once, in the page, not again in the data it hydrates from"
    );

    // A mapped task group: each of its tasks mapped three times, inside the group.
    let dag = "example_task_group_mapping";
    let run = get_ok(
        &operator,
        &hangar_app::paths::run("examples", "main", dag, &runs[dag]),
    )
    .await;
    assert!(run.contains(r#"data-group="op""#), "{}", main_of(&run));
    assert!(run.contains(r#"data-task="op.add_1" data-state="success" data-mapped="3""#));
}

/// Task groups fold on the run page and in the grid, nested ones inside their parent.
async fn task_groups_fold(backend: Backend) {
    let app = TestApp::spawn_with_airflow(backend).await;
    let runs = app.example_runs().await;
    let operator = app.signed_in("examples_operator").await;
    let dag = "example_task_group";
    let run = get_ok(
        &operator,
        &hangar_app::paths::run("examples", "main", dag, &runs[dag]),
    )
    .await;
    let inner = run
        .find(r#"data-group="section_2.inner_section_2""#)
        .unwrap();
    let outer = run.find(r#"data-group="section_2""#).unwrap();
    assert!(outer < inner, "the inner group sits in the outer one");
    let tag_start = run[..outer].rfind('<').unwrap();
    let group_tag = &run[tag_start..outer + run[outer..].find('>').unwrap()];
    assert!(
        group_tag.starts_with("<details") && group_tag.contains("task-group"),
        "{group_tag}"
    );
    assert!(
        group_tag.contains(" open"),
        "groups start open: {group_tag}"
    );
    let grid = get_ok(&operator, &hangar_app::paths::dag("examples", "main", dag)).await;
    assert!(grid.contains(r#"data-group="section_2.inner_section_2""#));
    assert!(grid.contains(r#"data-task="section_2.inner_section_2.task_4""#));
}

/// The graph of `example_task_group`: its nested groups as boxes, its edges, coloured by the
/// run; and its code view: the file as Airflow keeps it, numbered and highlighted.
async fn graph_and_code_of_a_grouped_dag(backend: Backend) {
    let app = TestApp::spawn_with_airflow(backend).await;
    let runs = app.example_runs().await;
    let operator = app.signed_in("examples_operator").await;
    let dag = "example_task_group";
    let graph_path = hangar_app::paths::graph("examples", "main", dag, Some(&runs[dag]));
    let env = &app.state.config.airflow[0];
    let client = app.state.airflow.main(&env.name).unwrap();
    // The catalogue sync reads task lists, those of DAGs that ran most recently first.
    let mut graph = String::new();
    for _ in 0..10 {
        hangar_server::sync::sync_catalogue(&app.state, env, &client, app.state.clock.now_ms())
            .await
            .unwrap();
        graph = get_ok(&operator, &graph_path).await;
        if graph.contains("data-edge=") {
            break;
        }
    }
    for group in ["section_1", "section_2", "section_2.inner_section_2"] {
        assert!(
            graph.contains(&format!(r#"data-group="{group}""#)),
            "{group}: {}",
            main_of(&graph)
        );
    }
    assert!(graph.contains(r#"data-edge="start->section_1.task_1""#));
    assert!(
        graph.contains("state-success"),
        "coloured by the run's states"
    );

    let code = get_ok(
        &operator,
        &hangar_app::paths::code("examples", "main", dag, None),
    )
    .await;
    assert!(code.contains(r#"id="C1""#), "{}", main_of(&code));
    assert!(code.contains("Licensed to the Apache Software Foundation"));
    assert!(code.contains("hl-keyword"), "highlighted on the server");
}

/// A task log shown to the examples team: Airflow names every bundle it loaded in it
/// ("DAG bundles loaded: …"); the other teams' names are masked, visibly, on the page and in
/// the streamed download of the whole log.
async fn other_teams_names_are_masked_in_logs(backend: Backend) {
    let app = TestApp::spawn_with_airflow(backend).await;
    let runs = app.example_runs().await;
    let operator = app.signed_in("examples_operator").await;
    let dag = "example_dynamic_task_mapping";
    let page = get_ok(
        &operator,
        &hangar_app::paths::task_log("examples", "main", dag, &runs[dag], "add_one", 0, 0),
    )
    .await;
    let download_path =
        hangar_app::paths::task_log_download("examples", "main", dag, &runs[dag], "add_one", 0, 0);
    let download = operator.get(&download_path).await;
    assert_eq!(download.status(), StatusCode::OK, "{download_path}");
    let download = download.text().await.unwrap();
    for text in [main_of(&page), download.as_str()] {
        for other in ["team_a_dags", "team_b_dags", "team_a_repo", "team_a_etl"] {
            assert!(
                !text.contains(other),
                "{other} shown to the examples team: {text}"
            );
        }
        assert!(text.contains("‹other team›"), "the mask is visible: {text}");
    }
    assert!(download.lines().count() > 3, "the whole log: {download}");
    // As a browser asks for it (compressed): the whole log arrives, gzipped. The stream
    // used to panic when the encoder polled it past its end, and the browser got a reset.
    let compressed = operator
        .client
        .get(operator.url(&download_path))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.status(), StatusCode::OK);
    assert!(compressed.headers().contains_key("content-encoding"));
    let bytes = compressed
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: the compressed download broke off: {e}"));
    assert!(!bytes.is_empty());
}

/// A running task's log reaches an open page through the stream as Airflow writes it:
/// `hangar_log_tour` logs a step every half second for 40 s; the stream's `lines` events
/// carry later and later steps, and nothing from before `from`.
async fn a_running_tasks_log_grows_through_the_stream(backend: Backend) {
    let app = TestApp::spawn_with_airflow(backend).await;
    let dag = "hangar_log_tour";
    let run_id = app.fresh_run(dag).await;
    app.sync_dags_until(&[dag], 180).await;
    let operator = app.signed_in("examples_operator").await;
    let task_path = hangar_app::paths::task_log("examples", "main", dag, &run_id, "narrate", -1, 0);
    let mut state = None;
    for _ in 0..120 {
        app.sync_runs_and_tasks().await;
        let html = operator.get(&task_path).await.text().await.unwrap();
        state = shown_state(&html);
        if state.as_deref() == Some("running") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    assert_eq!(
        state.as_deref(),
        Some("running"),
        "{backend:?}: the tour never ran"
    );

    let mut events = operator
        .get(&format!("{task_path}/log/events?from=0"))
        .await;
    assert_eq!(events.status(), StatusCode::OK);
    assert!(
        events.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    // Steps in the order the stream brought them, per `lines` event.
    let mut batches: Vec<Vec<u32>> = Vec::new();
    let mut pending = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while batches.iter().filter(|b| !b.is_empty()).count() < 3 {
        let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, events.chunk()).await else {
            break;
        };
        pending.push_str(&String::from_utf8_lossy(&chunk));
        // SSE events end with a blank line; keep a partial one for the next chunk.
        while let Some(end) = pending.find("\n\n") {
            let event: String = pending.drain(..end + 2).collect();
            if event.contains("event: lines") {
                batches.push(steps_in(&event));
            }
        }
    }
    let steps: Vec<u32> = batches.iter().flatten().copied().collect();
    assert!(
        batches.iter().filter(|b| !b.is_empty()).count() >= 3,
        "{backend:?}: the log did not grow through the stream: {batches:?}"
    );
    assert!(
        steps.windows(2).all(|w| w[0] < w[1]),
        "{backend:?}: steps arrive in order, each once: {steps:?}"
    );
}

/// The tour's step numbers in an event's lines ("step 7 of the tour").
fn steps_in(event: &str) -> Vec<u32> {
    event
        .split("step ")
        .skip(1)
        .filter_map(|rest| {
            let (number, after) = rest.split_once(' ')?;
            after
                .starts_with("of the tour")
                .then(|| number.parse().ok())?
        })
        .collect()
}

on_both_backends!(
    a_running_tasks_log_grows_through_the_stream,
    the_example_dags_belong_to_their_team,
    every_task_instance_has_a_page_with_its_state,
    mapped_tasks_list_their_instances,
    task_groups_fold,
    graph_and_code_of_a_grouped_dag,
    other_teams_names_are_masked_in_logs,
);
