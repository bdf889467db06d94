//! A task log's lines, written as HTML text.
//!
//! Why text and not components: a page holds up to a few hundred lines, and a running try
//! appends more while it is watched. As components, every line was a view in the browser
//! bundle's log viewer (with a keyed list for the appended ones), most of the task-log
//! page's own code; as text, the server writes the page's lines, the browser appends what
//! the live stream sends with one `insertAdjacentHTML`, and both use this one writer, so the
//! two cannot drift apart (as the DAG list's rows, `dag_rows.rs`). Every value is escaped
//! here, by `html::escape_into`, and nowhere else.

use crate::html::escape_into;
use crate::models::LogLine;

/// The page's lines, `::group::` sections folded (`<details>`: folding needs no JavaScript);
/// a section open where the page starts (`open_group`) is shown open, marked as continued.
pub fn page_lines_html(lines: &[LogLine], open_group: Option<&str>) -> String {
    let mut out = String::with_capacity(lines.len() * 160);
    // The group being written: its title, whether it continues from the page before, and
    // its lines, written once the group ends (its summary counts them).
    let mut group: Option<(&str, bool, Vec<&LogLine>)> = open_group.map(|t| (t, true, Vec::new()));
    for line in lines {
        if let Some(title) = line.group_start() {
            if let Some(done) = group.take() {
                write_group(&mut out, done);
            }
            group = Some((title, false, Vec::new()));
            continue;
        }
        if line.is_group_end() {
            if let Some(done) = group.take() {
                write_group(&mut out, done);
            }
            continue;
        }
        match &mut group {
            Some((_, _, members)) => members.push(line),
            None => write_line(&mut out, line),
        }
    }
    if let Some(done) = group {
        write_group(&mut out, done);
    }
    out
}

/// Lines one after the other, as the live stream appends them.
pub fn lines_html(lines: &[LogLine]) -> String {
    let mut out = String::with_capacity(lines.len() * 160);
    for line in lines {
        write_line(&mut out, line);
    }
    out
}

fn write_group(out: &mut String, (title, continued, lines): (&str, bool, Vec<&LogLine>)) {
    out.push_str(if continued {
        "<details class=\"log-group\" open data-testid=\"log-group\"><summary>"
    } else {
        "<details class=\"log-group\" data-testid=\"log-group\"><summary>"
    });
    escape_into(out, title);
    if continued {
        out.push_str(" (continued)");
    }
    out.push_str(" <span class=\"muted\">");
    out.push_str(&lines.len().to_string());
    out.push_str(" lines</span></summary>");
    for line in lines {
        write_line(out, line);
    }
    out.push_str("</details>");
}

fn write_line(out: &mut String, line: &LogLine) {
    let number = line.number.to_string();
    out.push_str("<div class=\"log-line level-");
    escape_into(out, &line.level);
    if line.looks_like_traceback() {
        out.push_str(" traceback-line");
    }
    out.push_str("\" id=\"L");
    out.push_str(&number);
    out.push_str("\"><a class=\"log-n\" href=\"#L");
    out.push_str(&number);
    out.push_str("\">");
    out.push_str(&number);
    out.push_str("</a><span class=\"log-time\">");
    // The time of day to the millisecond; the date is the run's.
    let time = line.timestamp.as_deref().and_then(|t| t.get(11..23));
    escape_into(out, time.unwrap_or(""));
    out.push_str("</span><span class=\"log-level\">");
    escape_into(out, &line.level);
    out.push_str("</span><span class=\"log-text\">");
    escape_into(out, &line.text);
    out.push_str("</span>");
    if !line.traceback.is_empty() {
        out.push_str("<pre class=\"traceback\" data-testid=\"traceback\">");
        escape_into(out, &line.traceback.join("\n"));
        out.push_str("</pre>");
    }
    out.push_str("</div>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(number: u64, level: &str, text: &str) -> LogLine {
        LogLine {
            number,
            timestamp: Some("2026-12-07T05:31:02.123456Z".into()),
            level: level.into(),
            text: text.into(),
            traceback: Vec::new(),
        }
    }

    #[test]
    fn a_line_is_numbered_anchored_and_escaped() {
        let html = lines_html(&[line(7, "error", "<script>alert('x')</script> & more")]);
        assert!(
            html.starts_with(
                r##"<div class="log-line level-error" id="L7"><a class="log-n" href="#L7">7</a>"##
            ),
            "{html}"
        );
        assert!(
            html.contains(r#"<span class="log-time">05:31:02.123</span>"#),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
    }

    #[test]
    fn tracebacks_are_marked_and_kept_in_their_block() {
        let mut failed = line(3, "error", "Task failed");
        failed.traceback = vec![
            "Traceback (most recent call last):".into(),
            "  File \"<x>\"".into(),
        ];
        let html = lines_html(&[
            failed,
            line(4, "info", "Traceback (most recent call last):"),
        ]);
        assert!(
            html.contains(
                r#"<pre class="traceback" data-testid="traceback">Traceback (most recent call last):
  File &quot;&lt;x&gt;&quot;</pre>"#
            ),
            "{html}"
        );
        assert!(
            html.contains(r#"class="log-line level-info traceback-line" id="L4""#),
            "{html}"
        );
    }

    #[test]
    fn groups_fold_their_lines_and_a_continued_one_starts_open() {
        let lines = [
            line(1, "info", "in the open group"),
            line(2, "info", "::endgroup::"),
            line(3, "info", "outside"),
            line(4, "info", "::group::Installing <deps>"),
            line(5, "info", "pip install"),
            line(6, "info", "done"),
            line(7, "info", "::endgroup::"),
            line(8, "info", "::group::Left open at the page's end"),
            line(9, "info", "still going"),
        ];
        let html = page_lines_html(&lines, Some("Setup"));
        let groups: Vec<&str> = html.split("<details").skip(1).collect();
        assert_eq!(groups.len(), 3, "{html}");
        assert!(groups[0].starts_with(r#" class="log-group" open data-testid="log-group"><summary>Setup (continued) <span class="muted">1 lines</span>"#), "{html}");
        assert!(groups[0].contains(r#"id="L1""#));
        assert!(groups[1].starts_with(r#" class="log-group" data-testid="log-group"><summary>Installing &lt;deps&gt; <span class="muted">2 lines</span>"#), "{html}");
        assert!(groups[1].contains(r#"id="L5""#) && groups[1].contains(r#"id="L6""#));
        assert!(groups[2].contains(r#"id="L9""#), "{html}");
        // The markers themselves are not lines; the line between the groups is outside both.
        for marker in ["L2", "L4", "L7", "L8"] {
            assert!(
                !html.contains(&format!("id=\"{marker}\"")),
                "{marker}: {html}"
            );
        }
        let outside = html
            .find(r#"<div class="log-line level-info" id="L3""#)
            .unwrap();
        assert!(html[..outside].ends_with("</details>"), "{html}");
    }
}
