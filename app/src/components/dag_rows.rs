//! The DAG list's rows, written as HTML text.
//!
//! Why text and not components: the rows are nearly all of the DAG list's cost (up to 100
//! rows, each with a strip of runs and a pause form) and the list is read far more often than
//! its data changes. As text, the server renders them once per change of the team's data
//! (`functions::kept_pages`) and the browser draws a live update with one `innerHTML`.
//! The same function serves both, so what the server sends and what an update draws cannot
//! drift apart. Every value is escaped here, by [`text`] and [`attr`], and nowhere else.

use std::fmt::Write;

use crate::functions::actions::SetDagPaused;
use crate::models::{DagPage, DagRow};

/// What the viewer may do to the rows, and where a pause form returns to.
#[derive(Clone, Copy, Debug)]
pub struct RowContext<'a> {
    pub team: &'a str,
    /// Pause/unpause the team's own DAGs / the shared ones.
    pub can_pause: bool,
    pub can_pause_shared: bool,
    /// The list page as it is now, so a form post without JavaScript comes back to it.
    pub return_to: &'a str,
    /// Where the pause form posts (the server function's URL).
    pub pause_url: &'a str,
}

/// The rows of a page of the team's DAG list, with the abilities the page carries; pause
/// forms return to this very page.
pub fn page_rows_html(team: &str, page: &DagPage) -> String {
    let return_to = crate::paths::dag_list(team, &page.query, page.query.page);
    let context = RowContext {
        team,
        can_pause: page.can_pause,
        can_pause_shared: page.can_pause_shared,
        return_to: &return_to,
        pause_url: <SetDagPaused as leptos::server_fn::ServerFn>::PATH,
    };
    dag_rows_html(&page.rows, context)
}

/// The `<tr>`s of the DAG list's `<tbody>`.
pub fn dag_rows_html(rows: &[DagRow], context: RowContext<'_>) -> String {
    let mut out = String::with_capacity(rows.len() * 2048);
    for row in rows {
        write_row(&mut out, row, context);
    }
    out
}

fn write_row(out: &mut String, row: &DagRow, context: RowContext<'_>) {
    let team = context.team;
    let dag_path = crate::paths::dag(team, &row.environment, &row.dag_id);
    out.push_str("<tr data-dag=\"");
    attr(out, &row.dag_id);
    out.push_str(if row.is_paused {
        "\" class=\"paused\"><td>"
    } else {
        "\"><td>"
    });
    out.push_str("<a class=\"dag-link\" href=\"");
    attr(out, &dag_path);
    out.push_str("\"><strong>");
    text(out, &row.display_name);
    out.push_str("</strong></a>");
    if row.display_name != row.dag_id {
        out.push_str("<code class=\"muted\">");
        text(out, &row.dag_id);
        out.push_str("</code>");
    }
    if row.shared {
        out.push_str("<span class=\"badge shared\" title=\"From a shared bundle\">shared</span>");
    }
    if row.has_import_errors {
        out.push_str("<span class=\"badge error\">import errors</span>");
    }
    if let Some(description) = &row.description {
        out.push_str("<div class=\"muted\">");
        text(out, description);
        out.push_str("</div>");
    }
    out.push_str("</td><td><span class=\"run-strip\" data-testid=\"run-strip\">");
    for run in &row.recent_runs {
        // A square per run, linked to it; the title names it for the pointer and screen readers.
        out.push_str("<a class=\"run state-");
        attr(out, &run.state);
        out.push_str("\" href=\"");
        attr(out, &dag_path);
        out.push_str("/runs/");
        attr(out, &crate::paths::encode(&run.run_id));
        out.push_str("\" title=\"");
        attr(out, &run.run_id);
        out.push_str(": ");
        attr(out, &run.state);
        out.push_str("\"></a>");
    }
    out.push_str("</span></td><td>");
    write_schedule(out, row.schedule.as_deref());
    out.push_str("</td><td>");
    crate::components::time::write_time_html(out, row.next_run.as_deref());
    out.push_str("</td><td>");
    text(out, &row.owners.join(", "));
    out.push_str("</td><td>");
    for tag in &row.tags {
        out.push_str("<a class=\"tag\" href=\"");
        let href = format!(
            "/t/{}/dags{}",
            crate::paths::encode(team),
            crate::paths::query(&[("tag", tag.clone())])
        );
        attr(out, &href);
        out.push_str("\">");
        text(out, tag);
        out.push_str("</a>");
    }
    out.push_str("</td><td data-testid=\"row-state\">");
    text(out, &row.state_label());
    let may_pause = if row.shared {
        context.can_pause_shared
    } else {
        context.can_pause
    };
    if may_pause {
        write_pause_form(out, row, context);
    }
    out.push_str("</td></tr>");
}

/// The schedule in words, the expression on hover (as `pages::dag_detail::Schedule`).
fn write_schedule(out: &mut String, summary: Option<&str>) {
    let raw = summary.unwrap_or("None");
    let words = crate::time_text::schedule_words(raw);
    out.push_str("<span class=\"schedule\" data-testid=\"schedule\"");
    if words != raw {
        out.push_str(" title=\"");
        attr(out, raw);
        out.push('"');
    }
    out.push('>');
    text(out, &words);
    out.push_str("</span>");
}

/// A plain form: it works without JavaScript; with it, the list's submit handler sends it
/// as the pause action (`pages::dags`).
fn write_pause_form(out: &mut String, row: &DagRow, context: RowContext<'_>) {
    out.push_str(" <form method=\"post\" class=\"inline-form\" data-pause-form=\"\" action=\"");
    attr(out, context.pause_url);
    out.push_str("\">");
    for (name, value) in [
        ("team", context.team),
        ("environment", row.environment.as_str()),
        ("dag_id", row.dag_id.as_str()),
        ("paused", if row.is_paused { "false" } else { "true" }),
        ("return_to", context.return_to),
    ] {
        let _ = write!(out, "<input type=\"hidden\" name=\"{name}\" value=\"");
        attr(out, value);
        out.push_str("\">");
    }
    out.push_str("<button type=\"submit\" class=\"small\" data-testid=\"row-pause\">");
    out.push_str(if row.is_paused { "Unpause" } else { "Pause" });
    out.push_str("</button></form>");
}

/// Appends `value` as element content.
fn text(out: &mut String, value: &str) {
    crate::html::escape_into(out, value);
}

/// Appends `value` inside a double-quoted attribute.
fn attr(out: &mut String, value: &str) {
    crate::html::escape_into(out, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::RunDot;

    fn row(dag_id: &str) -> DagRow {
        DagRow {
            environment: "main".into(),
            dag_id: dag_id.into(),
            display_name: dag_id.into(),
            description: None,
            schedule: Some("@daily".into()),
            next_run: None,
            owners: vec!["alice".into()],
            tags: vec!["etl".into()],
            is_paused: false,
            scheduling_state: None,
            has_import_errors: false,
            shared: false,
            ownership_conflict: false,
            recent_runs: vec![RunDot {
                run_id: "manual__2026-11-22T10:00:00+00:00".into(),
                state: "success".into(),
            }],
        }
    }

    fn context(can_pause: bool, can_pause_shared: bool) -> RowContext<'static> {
        RowContext {
            team: "team_a",
            can_pause,
            can_pause_shared,
            return_to: "/t/team_a/dags?q=a&page=0",
            pause_url: "/api/set_dag_paused",
        }
    }

    #[test]
    fn every_value_is_escaped_where_it_lands() {
        let mut hostile = row("etl");
        hostile.display_name = "<script>alert(1)</script>".into();
        hostile.description = Some("a & b".into());
        hostile.owners = vec!["\"><img src=x onerror=alert(1)>".into()];
        hostile.tags = vec!["x\" onmouseover=\"alert(1)".into()];
        hostile.recent_runs[0].state = "success\" onclick=\"alert(1)".into();
        let html = dag_rows_html(&[hostile], context(true, false));
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("a &amp; b"));
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("\" onmouseover"), "{html}");
        assert!(!html.contains("\" onclick"), "{html}");
        assert!(html.contains("value=\"/t/team_a/dags?q=a&amp;page=0\""));
    }

    #[test]
    fn schedules_read_as_words_and_times_as_times() {
        let mut dag = row("etl");
        dag.schedule = Some("30 6 * * 1-5".into());
        dag.next_run = Some("2026-12-07T06:30:00Z".into());
        let html = dag_rows_html(&[dag], context(false, false));
        assert!(
            html.contains("title=\"30 6 * * 1-5\">on weekdays at 06:30 UTC</span>"),
            "{html}"
        );
        assert!(
            html.contains("<time datetime=\"2026-12-07T06:30:00Z\""),
            "{html}"
        );
        assert!(html.contains(">2026-12-07 06:30 UTC</time>"), "{html}");
        assert!(!html.contains(">2026-12-07T06:30:00Z<"), "{html}");

        let mut unscheduled = row("adhoc");
        unscheduled.schedule = None;
        let html = dag_rows_html(&[unscheduled], context(false, false));
        assert!(html.contains("<span class=\"no-time\">—</span>"), "{html}");
        // A hostile value in the time's place is text, not markup.
        let mut hostile = row("etl");
        hostile.next_run = Some("<b>soon</b>".into());
        let html = dag_rows_html(&[hostile], context(false, false));
        assert!(html.contains("&lt;b&gt;soon&lt;/b&gt;"), "{html}");
    }

    #[test]
    fn squares_link_to_their_runs_oldest_first() {
        let mut dag = row("etl");
        dag.recent_runs.push(RunDot {
            run_id: "manual__2".into(),
            state: "failed".into(),
        });
        let html = dag_rows_html(&[dag], context(false, false));
        let first = html
            .find("href=\"/t/team_a/dags/main/etl/runs/manual__2026-11-22T10%3A00%3A00%2B00%3A00\"")
            .expect("the first run's square links to it");
        let second = html.find("class=\"run state-failed\"").expect("second");
        assert!(first < second);
        assert!(html.contains("title=\"manual__2: failed\""));
    }

    #[test]
    fn pause_forms_follow_what_the_viewer_may_do() {
        let mut shared = row("housekeeping");
        shared.shared = true;
        shared.is_paused = true;
        let rows = [row("etl"), shared];
        let count = |html: &str| html.matches("data-testid=\"row-pause\"").count();
        assert_eq!(count(&dag_rows_html(&rows, context(false, false))), 0);
        let author = dag_rows_html(&rows, context(true, false));
        assert_eq!(count(&author), 1);
        assert!(author.contains("name=\"paused\" value=\"true\""));
        let admin = dag_rows_html(&rows, context(true, true));
        assert_eq!(count(&admin), 2);
        assert!(admin.contains("name=\"paused\" value=\"false\""));
        assert!(admin.contains(">Unpause</button>"));
    }

    #[test]
    fn airflow_3_4_scheduling_states_show_in_words() {
        let mut draining = row("etl");
        draining.scheduling_state = Some("draining".into());
        let html = dag_rows_html(&[draining.clone()], context(false, false));
        assert!(
            html.contains("data-testid=\"row-state\">Draining"),
            "{html}"
        );
        draining.is_paused = true;
        assert_eq!(draining.state_label(), "Paused");
        let mut newer = row("etl");
        newer.scheduling_state = Some("hibernating".into());
        assert_eq!(
            newer.state_label(),
            "Hibernating",
            "a state Hangar does not know is shown"
        );
        newer.scheduling_state = Some("<b>".into());
        let html = dag_rows_html(&[newer], context(false, false));
        assert!(html.contains("&lt;b&gt;"), "escaped: {html}");
    }
}
