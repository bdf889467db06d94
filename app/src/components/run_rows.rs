//! The team run list's rows, written as HTML text.
//!
//! Why text and not components: as with the DAG list (`dag_rows`), the rows are most of the
//! page's cost at a full page (50 runs, each with two links, a badge and two times) and the
//! list is reloaded far more often than a sync changes it. As text, the server writes them
//! once per change of the team's data (`functions::kept_pages`) and sends them once, in the
//! page, not again as the rows the page hydrates from; after a live refetch the browser
//! writes them with the same function, so the two cannot drift apart. Every value is
//! escaped here, through `crate::html::escape_into`, and nowhere else.

use crate::components::sync_notice::write_state_badge;
use crate::components::time::write_time_html;
use crate::html::escape_into;
use crate::models::RunRow;
use crate::paths;

/// The `<tr>`s of the run list's `<tbody>`.
pub fn run_rows_html(team: &str, rows: &[RunRow]) -> String {
    let mut out = String::with_capacity(rows.len() * 1024);
    for run in rows {
        write_row(&mut out, team, run);
    }
    out
}

fn write_row(out: &mut String, team: &str, run: &RunRow) {
    out.push_str("<tr data-run=\"");
    escape_into(out, &run.run_id);
    out.push_str("\"><td><a href=\"");
    escape_into(out, &paths::dag(team, &run.environment, &run.dag_id));
    out.push_str("\">");
    escape_into(out, &run.dag_id);
    out.push_str("</a></td><td><a href=\"");
    escape_into(
        out,
        &paths::run(team, &run.environment, &run.dag_id, &run.run_id),
    );
    out.push_str("\"><code>");
    escape_into(out, &run.run_id);
    out.push_str("</code></a></td><td>");
    write_state_badge(out, &run.state);
    out.push_str("</td><td>");
    escape_into(out, run.run_type.as_deref().unwrap_or_default());
    out.push_str("</td><td>");
    write_time_html(out, Some(&run.run_after));
    out.push_str("</td><td>");
    write_time_html(out, run.end_date.as_deref());
    out.push_str("</td></tr>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dag_id: &str, run_id: &str, state: &str) -> RunRow {
        RunRow {
            environment: "main".into(),
            dag_id: dag_id.into(),
            run_id: run_id.into(),
            state: state.into(),
            run_type: Some("manual".into()),
            run_after: "2026-12-06T10:00:00Z".into(),
            start_date: Some("2026-12-06T10:00:01Z".into()),
            end_date: None,
        }
    }

    #[test]
    fn a_row_links_its_dag_and_run_with_badge_and_times() {
        let html = run_rows_html(
            "team_a",
            &[run("etl", "manual__2026-12-06T10:00:00+00:00", "failed")],
        );
        assert!(html.starts_with("<tr data-run=\"manual__2026-12-06T10:00:00+00:00\">"));
        assert!(
            html.contains("<a href=\"/t/team_a/dags/main/etl\">etl</a>"),
            "{html}"
        );
        assert!(
            html.contains(
                "href=\"/t/team_a/dags/main/etl/runs/manual__2026-12-06T10%3A00%3A00%2B00%3A00\""
            ),
            "{html}"
        );
        assert!(html.contains("class=\"state-badge state-failed\" data-state=\"failed\""));
        assert!(html.contains("<td>manual</td>"));
        // The run's time as a <time> in UTC (the browser shows it in the reader's zone); no
        // end yet: a dash.
        assert!(
            html.contains("<time datetime=\"2026-12-06T10:00:00Z\""),
            "{html}"
        );
        assert!(html.contains("<span class=\"no-time\">—</span>"), "{html}");
        assert_eq!(html.matches("<tr").count(), 1);
        assert!(html.ends_with("</td></tr>"));
    }

    #[test]
    fn hostile_values_stay_text() {
        let html = run_rows_html(
            "team_a",
            &[run(
                "<script>alert(1)</script>",
                "\"><img src=x onerror=alert(1)>",
                "<b>",
            )],
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("data-run=\"&quot;&gt;&lt;img"), "{html}");
    }

    #[test]
    fn every_row_is_written_in_order() {
        let rows: Vec<RunRow> = (0..50)
            .map(|n| run("etl", &format!("run_{n:02}"), "success"))
            .collect();
        let html = run_rows_html("team_a", &rows);
        assert_eq!(html.matches("<tr data-run=").count(), 50);
        assert!(html.find("run_00").unwrap() < html.find("run_49").unwrap());
    }
}
