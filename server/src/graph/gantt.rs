//! A run's Gantt chart as SVG: a row per task (in the DAG's order; a mapped task's instances
//! as one row from the first start to the last end), each try a bar from queued (light) to
//! start to end (its state's colour), earlier tries fainter on the same row. Times along the
//! top are UTC.

use std::fmt::Write;

use hangar_app::html::escape_into;
use hangar_app::time_text::{parse_rfc3339, wall_clock};

/// One bar: a try's times and state, as the read model keeps them.
pub use crate::read_model::tasks::Bar;

/// One row: a task (or a mapped task's instances) and its tries, the current one last.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub task_id: String,
    /// How many mapped instances the row stands for (0: not mapped).
    pub mapped: u64,
    pub bars: Vec<Bar>,
    pub href: String,
}

const LABEL_WIDTH: f64 = 240.0;
const CHART_WIDTH: f64 = 760.0;
const ROW_HEIGHT: f64 = 22.0;
const AXIS_HEIGHT: f64 = 28.0;

/// The chart; `now_ms` ends bars still running.
pub fn svg(rows: &[Row], now_ms: i64) -> String {
    let times = |bar: &Bar| {
        [&bar.queued, &bar.start, &bar.end]
            .into_iter()
            .filter_map(|t| t.as_deref().and_then(parse_rfc3339))
            .collect::<Vec<i64>>()
    };
    let all: Vec<i64> = rows
        .iter()
        .flat_map(|r| r.bars.iter().flat_map(times))
        .collect();
    let start = all.iter().copied().min().unwrap_or(now_ms);
    let running = rows
        .iter()
        .flat_map(|r| &r.bars)
        .any(|b| b.start.is_some() && b.end.is_none());
    let end = all
        .iter()
        .copied()
        .max()
        .map(|e| if running { e.max(now_ms) } else { e })
        .unwrap_or(now_ms)
        .max(start + 1000);
    let span = (end - start) as f64;
    let x = |ms: i64| LABEL_WIDTH + (ms - start) as f64 / span * CHART_WIDTH;
    let width = LABEL_WIDTH + CHART_WIDTH + 20.0;
    let height = AXIS_HEIGHT + rows.len() as f64 * ROW_HEIGHT + 8.0;
    let mut out = String::with_capacity(rows.len() * 480 + 2048);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"gantt\" viewBox=\"0 0 {width:.0} {height:.0}\" \
         width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" \
         aria-label=\"When each task of the run was queued, started and ended\" data-testid=\"gantt\">"
    );
    // Six ticks along the top, times in UTC.
    for tick in 0..=5 {
        let at = start + (end - start) * tick / 5;
        let tx = x(at);
        let _ = write!(
            out,
            "<line class=\"tick\" x1=\"{tx:.1}\" y1=\"{AXIS_HEIGHT:.0}\" x2=\"{tx:.1}\" y2=\"{height:.0}\"/>\
             <text class=\"tick-label\" x=\"{tx:.1}\" y=\"16\">{}</text>",
            &wall_clock(at, 0, true)[11..]
        );
    }
    let _ = write!(
        out,
        "<text class=\"tick-label\" x=\"4\" y=\"16\">UTC, {}</text>",
        &wall_clock(start, 0, false)[..10]
    );
    for (i, row) in rows.iter().enumerate() {
        let top = AXIS_HEIGHT + i as f64 * ROW_HEIGHT;
        out.push_str("<g class=\"gantt-row\" data-task=\"");
        escape_into(&mut out, &row.task_id);
        let _ = write!(
            out,
            "\"><rect class=\"row-band{}\" x=\"0\" y=\"{top:.1}\" width=\"{width:.0}\" height=\"{ROW_HEIGHT:.0}\"/><a href=\"",
            if i % 2 == 1 { " odd" } else { "" }
        );
        escape_into(&mut out, &row.href);
        let _ = write!(
            out,
            "\"><text class=\"gantt-label\" x=\"6\" y=\"{:.1}\">",
            top + 15.0
        );
        let label = if row.mapped > 0 {
            format!("{} ×{}", row.task_id, row.mapped)
        } else {
            row.task_id.clone()
        };
        let fits: String = label.chars().take(32).collect();
        escape_into(&mut out, &fits);
        if fits.len() < label.len() {
            out.push('…');
        }
        out.push_str("<title>");
        escape_into(&mut out, &label);
        out.push_str("</title></text></a>");
        let current = row.bars.len().saturating_sub(1);
        for (b, bar) in row.bars.iter().enumerate() {
            let earlier = if b < current { " earlier-try" } else { "" };
            let queued = bar.queued.as_deref().and_then(parse_rfc3339);
            let started = bar.start.as_deref().and_then(parse_rfc3339);
            let ended = bar.end.as_deref().and_then(parse_rfc3339);
            if let (Some(q), Some(s)) = (queued, started.or(Some(now_ms)))
                && s > q
            {
                let _ = write!(
                    out,
                    "<rect class=\"gantt-queued{earlier}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.0}\"><title>try {} queued {}</title></rect>",
                    x(q),
                    top + 7.0,
                    (x(s) - x(q)).max(1.0),
                    ROW_HEIGHT - 14.0,
                    bar.try_number,
                    hangar_app::time_text::duration((s - q) as f64 / 1000.0)
                );
            }
            if let Some(s) = started {
                let e = ended.unwrap_or(now_ms).max(s);
                out.push_str("<rect class=\"gantt-bar state-");
                escape_into(&mut out, &bar.state);
                let _ = write!(
                    out,
                    "{earlier}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.0}\" rx=\"2\"><title>try {} ",
                    x(s),
                    top + 4.0,
                    (x(e) - x(s)).max(2.0),
                    ROW_HEIGHT - 8.0,
                    bar.try_number,
                );
                escape_into(&mut out, &bar.state);
                let _ = write!(
                    out,
                    ", {}{}</title></rect>",
                    hangar_app::time_text::duration((e - s) as f64 / 1000.0),
                    if ended.is_none() { " so far" } else { "" }
                );
            }
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(try_number: i64, state: &str, queued: &str, start: &str, end: Option<&str>) -> Bar {
        Bar {
            try_number,
            state: state.into(),
            queued: Some(queued.into()),
            start: Some(start.into()),
            end: end.map(String::from),
        }
    }

    #[test]
    fn tries_are_bars_from_queued_to_end() {
        let rows = vec![
            Row {
                task_id: "extract".into(),
                mapped: 0,
                bars: vec![
                    bar(
                        1,
                        "up_for_retry",
                        "2026-12-01T10:00:00Z",
                        "2026-12-01T10:00:05Z",
                        Some("2026-12-01T10:00:20Z"),
                    ),
                    bar(
                        2,
                        "success",
                        "2026-12-01T10:01:00Z",
                        "2026-12-01T10:01:02Z",
                        Some("2026-12-01T10:02:00Z"),
                    ),
                ],
                href: "/x".into(),
            },
            Row {
                task_id: "load<&>".into(),
                mapped: 3,
                bars: vec![bar(
                    1,
                    "running",
                    "2026-12-01T10:02:00Z",
                    "2026-12-01T10:02:01Z",
                    None,
                )],
                href: "/y".into(),
            },
        ];
        let now = parse_rfc3339("2026-12-01T10:03:00Z").unwrap();
        let chart = svg(&rows, now);
        assert_eq!(chart.matches("class=\"gantt-bar").count(), 3);
        assert_eq!(
            chart.matches("earlier-try").count(),
            2,
            "try 1's queue and bar"
        );
        assert!(chart.contains("state-success"));
        assert!(chart.contains("load&lt;&amp;&gt; ×3"));
        assert!(chart.contains("58 s</title>"), "try 2 ran 58 s");
        assert!(chart.contains("so far</title>"), "a running try ends now");
        assert!(
            chart.contains(">10:00:00</text>"),
            "the axis starts at the first queue"
        );
    }

    #[test]
    fn an_empty_run_draws_an_empty_chart() {
        let chart = svg(&[], 0);
        assert!(chart.starts_with("<svg") && chart.ends_with("</svg>"));
    }
}
