//! The DAG page's recent runs, written as HTML text on the server: the run-duration chart
//! (an SVG bar per run) and the grid of runs × tasks, task groups folding.
//!
//! Why text and not components: both are pictures of data, without a control of their own
//! (links and `<details>`, which fold without JavaScript). As leptos views they were the
//! largest part of the DAG page's browser code; as text the browser only places what the
//! server wrote (`DagDetail::recent_runs_html`), on a first visit and on a live update alike, as
//! the graph and the Gantt chart do. Every value is escaped here, by `html::escape_into`.

use std::fmt::Write;

use hangar_app::html::escape_into;
use hangar_app::models::tasks::indented;
use hangar_app::models::{GridTask, RunGrid, RunRow, TaskCell, TreeNode};
use hangar_app::{models::states, paths, time_text};

/// Where the grid's links go.
pub struct GridPlace<'a> {
    pub team: &'a str,
    pub environment: &'a str,
    pub dag_id: &'a str,
}

/// The run-duration chart and the grid, or a sentence when there are no runs.
pub fn recent_runs_html(place: &GridPlace<'_>, grid: &RunGrid) -> String {
    let mut out = String::with_capacity(2048 + grid.runs.len() * grid.tasks.len() * 200);
    if grid.runs.is_empty() {
        out.push_str(
            r#"<p class="muted" data-testid="grid-empty">No runs in the last 14 days.</p>"#,
        );
        return out;
    }
    write_durations(&mut out, place, &grid.runs);
    out.push_str(r#"<div class="grid-wrap"><div class="run-grid" data-testid="run-grid">"#);
    out.push_str(r#"<div class="grid-row grid-head" data-testid="grid-runs"><span class="grid-name muted">Task</span>"#);
    for run in &grid.runs {
        let when = time_text::parse_rfc3339(&run.run_after)
            .map(time_text::utc_minute)
            .unwrap_or_else(|| run.run_after.clone());
        let took = time_text::between(run.start_date.as_deref(), run.end_date.as_deref())
            .unwrap_or_else(|| "not finished".into());
        out.push_str("<a href=\"");
        escape_into(
            &mut out,
            &paths::run(place.team, place.environment, place.dag_id, &run.run_id),
        );
        out.push_str("\" class=\"run state-");
        escape_into(&mut out, &run.state);
        out.push_str("\" title=\"");
        escape_into(
            &mut out,
            &format!("{} — {} — {when} — {took}", run.run_id, run.state),
        );
        out.push_str("\" data-run=\"");
        escape_into(&mut out, &run.run_id);
        out.push_str("\"></a>");
    }
    out.push_str("</div>");
    let runs: Vec<&str> = grid.runs.iter().map(|r| r.run_id.as_str()).collect();
    for node in &grid.tasks {
        write_node(&mut out, place, &runs, node, 0);
    }
    out.push_str("</div></div>");
    out
}

/// How long the last runs took, one bar per run (oldest left), coloured by state; nothing
/// when no run has finished.
fn write_durations(out: &mut String, place: &GridPlace<'_>, runs: &[RunRow]) {
    const WIDTH: f64 = 18.0;
    const HEIGHT: f64 = 60.0;
    let seconds: Vec<Option<f64>> = runs
        .iter()
        .map(|run| {
            let start = time_text::parse_rfc3339(run.start_date.as_deref()?)?;
            let end = time_text::parse_rfc3339(run.end_date.as_deref()?)?;
            Some((end - start).max(0) as f64 / 1000.0)
        })
        .collect();
    let longest = seconds.iter().flatten().fold(0.0_f64, |a, b| a.max(*b));
    if longest <= 0.0 {
        return;
    }
    let width = runs.len() as f64 * WIDTH;
    let _ = write!(
        out,
        r#"<figure class="run-durations" data-testid="run-durations"><svg viewBox="0 0 {width:.0} {HEIGHT:.0}" width="{width:.0}" height="{HEIGHT:.0}" role="img" aria-label="Durations of the last runs">"#
    );
    for (i, (run, seconds)) in runs.iter().zip(&seconds).enumerate() {
        let height = seconds.map_or(2.0, |s| (s / longest * HEIGHT).max(2.0));
        out.push_str("<a href=\"");
        escape_into(
            out,
            &paths::run(place.team, &run.environment, &run.dag_id, &run.run_id),
        );
        out.push_str("\"><rect class=\"bar state-");
        escape_into(out, &run.state);
        let _ = write!(
            out,
            "\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{height:.1}\"><title>",
            i as f64 * WIDTH + 2.0,
            HEIGHT - height,
            WIDTH - 4.0
        );
        let took = seconds.map_or_else(|| "not finished".to_string(), time_text::duration);
        escape_into(out, &format!("{} — {} — {took}", run.run_id, run.state));
        out.push_str("</title></rect></a>");
    }
    out.push_str(
        r#"</svg><figcaption class="muted">Run durations, oldest left; the longest took "#,
    );
    escape_into(out, &time_text::duration(longest));
    out.push_str(".</figcaption></figure>");
}

fn write_name(out: &mut String, id: &str, depth: usize, group: bool) {
    let label = id.rsplit('.').next().unwrap_or(id);
    out.push_str("<span class=\"");
    out.push_str(&indented(
        if group {
            "grid-name group-name"
        } else {
            "grid-name"
        },
        depth,
    ));
    out.push_str("\" title=\"");
    escape_into(out, id);
    out.push_str("\">");
    escape_into(out, label);
    out.push_str("</span>");
}

fn write_node(
    out: &mut String,
    place: &GridPlace<'_>,
    runs: &[&str],
    node: &TreeNode<GridTask>,
    depth: usize,
) {
    match node {
        TreeNode::Task { id, item } => {
            out.push_str("<div class=\"grid-row\" data-task=\"");
            escape_into(out, id);
            out.push_str("\">");
            write_name(out, id, depth, false);
            for (cell, run_id) in item.cells.iter().zip(runs) {
                match cell {
                    Some(cell) => write_cell(out, place, id, run_id, cell),
                    None => out.push_str(r#"<span class="cell empty"></span>"#),
                }
            }
            out.push_str("</div>");
        }
        TreeNode::Group { id, children } => {
            out.push_str("<details class=\"grid-group\" open data-group=\"");
            escape_into(out, id);
            out.push_str("\"><summary class=\"grid-row\">");
            write_name(out, id, depth, true);
            // The group's row: per run, the state that sums up its tasks.
            let tasks = node.tasks();
            for column in 0..runs.len() {
                let cells = tasks
                    .iter()
                    .filter_map(|t| t.cells.get(column).and_then(Option::as_ref));
                let mut cells = cells.peekable();
                if cells.peek().is_none() {
                    out.push_str(r#"<span class="cell empty"></span>"#);
                    continue;
                }
                let state = states::summary(cells.map(|c| c.state.as_str()));
                out.push_str("<span class=\"cell group state-");
                // One of Hangar's own state names (`states::TASK_STATES`), never Airflow's text.
                out.push_str(state);
                out.push_str("\" title=\"");
                escape_into(out, &format!("{id}: {state}"));
                out.push_str("\"></span>");
            }
            out.push_str("</summary>");
            for child in children {
                write_node(out, place, runs, child, depth + 1);
            }
            out.push_str("</details>");
        }
    }
}

fn write_cell(
    out: &mut String,
    place: &GridPlace<'_>,
    task_id: &str,
    run_id: &str,
    cell: &TaskCell,
) {
    let href = paths::task_log(
        place.team,
        place.environment,
        place.dag_id,
        run_id,
        task_id,
        -1,
        0,
    );
    let mapped = if cell.mapped > 0 {
        format!(" ({} mapped)", cell.mapped)
    } else {
        String::new()
    };
    out.push_str("<a href=\"");
    escape_into(out, &href);
    out.push_str("\" class=\"cell state-");
    escape_into(out, &cell.state);
    if cell.mapped > 0 {
        out.push_str(" mapped");
    }
    out.push_str("\" title=\"");
    escape_into(
        out,
        &format!(
            "{task_id} in {run_id}: {}{mapped} (try {})",
            cell.state, cell.try_number
        ),
    );
    out.push_str("\"></a>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, state: &str, start: Option<&str>, end: Option<&str>) -> RunRow {
        RunRow {
            environment: "main".into(),
            dag_id: "etl".into(),
            run_id: id.into(),
            state: state.into(),
            run_type: Some("manual".into()),
            run_after: "2026-12-01T10:00:00Z".into(),
            start_date: start.map(String::from),
            end_date: end.map(String::from),
        }
    }

    fn cell(state: &str, mapped: u64) -> Option<TaskCell> {
        Some(TaskCell {
            state: state.into(),
            try_number: 1,
            mapped,
        })
    }

    const PLACE: GridPlace<'static> = GridPlace {
        team: "team_a",
        environment: "main",
        dag_id: "etl",
    };

    #[test]
    fn no_runs_is_a_sentence() {
        let html = recent_runs_html(&PLACE, &RunGrid::default());
        assert!(html.contains(r#"data-testid="grid-empty""#), "{html}");
        assert!(!html.contains("run-grid"));
    }

    #[test]
    fn cells_link_to_their_task_and_groups_sum_up_their_tasks() {
        let grid = RunGrid {
            runs: vec![
                run(
                    "r1",
                    "success",
                    Some("2026-12-01T10:00:00Z"),
                    Some("2026-12-01T10:01:12Z"),
                ),
                run("r2", "failed", Some("2026-12-01T11:00:00Z"), None),
            ],
            tasks: hangar_app::models::task_tree(vec![
                (
                    "extract".into(),
                    GridTask {
                        cells: vec![cell("success", 0), cell("failed", 0)],
                    },
                ),
                (
                    "group.load".into(),
                    GridTask {
                        cells: vec![cell("success", 3), None],
                    },
                ),
                (
                    "group.check".into(),
                    GridTask {
                        cells: vec![cell("skipped", 0), None],
                    },
                ),
            ]),
        };
        let html = recent_runs_html(&PLACE, &grid);
        assert!(html.contains(r#"data-run="r2""#) && html.contains(r#"class="run state-failed""#));
        assert!(
            html.contains("r1 — success — 2026-12-01 10:00 UTC — 1 min 12 s"),
            "{html}"
        );
        assert!(
            html.contains(r#"href="/t/team_a/dags/main/etl/runs/r1/tasks/extract""#),
            "{html}"
        );
        assert!(html.contains(r#"class="cell state-success mapped" title="group.load in r1: success (3 mapped) (try 1)""#), "{html}");
        // The group folds, with one summary cell per run: the worse state of its tasks in r1,
        // nothing in r2.
        let group = &html[html.find(r#"data-group="group""#).unwrap()..];
        assert!(group.starts_with(r#"data-group="group"><summary class="grid-row"><span class="grid-name group-name indent-0" title="group">group</span><span class="cell group state-"#), "{group}");
        assert!(
            group.contains(r#"<span class="cell empty"></span></summary>"#),
            "{group}"
        );
        assert!(
            html.contains(r#"<span class="grid-name indent-1" title="group.load">load</span>"#)
        );
        // The durations: one bar per run; the unfinished one a stub.
        assert_eq!(html.matches("<rect class=\"bar").count(), 2);
        assert!(html.contains("r2 — failed — not finished"));
        assert!(html.contains("the longest took 1 min 12 s."), "{html}");
    }

    #[test]
    fn values_are_text() {
        let mut hostile = run(
            "<script>\"x'",
            "<s>",
            Some("2026-12-01T10:00:00Z"),
            Some("2026-12-01T10:00:05Z"),
        );
        hostile.run_id = "<script>\"x'".into();
        let grid = RunGrid {
            runs: vec![hostile],
            tasks: hangar_app::models::task_tree(vec![(
                "<b>.\"t".into(),
                GridTask {
                    cells: vec![cell("<i>", 0)],
                },
            )]),
        };
        let html = recent_runs_html(&PLACE, &grid);
        assert!(
            html.contains("run-durations"),
            "the chart, with the same values"
        );
        for raw in ["<script>", "<b>", "<i>", "<s>", "\"x'"] {
            assert!(!html.contains(raw), "{raw}: {html}");
        }
        assert!(html.contains("&lt;script&gt;&quot;x&#39;"), "{html}");
        assert!(html.contains("bar state-&lt;s&gt;"), "{html}");
    }
}
