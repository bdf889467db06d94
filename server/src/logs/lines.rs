//! Airflow's log events as Hangar keeps and shows them: a level, a text, a timestamp and a
//! logged exception's traceback written out the way Python prints one.

use hangar_app::models::LogLine;
use serde::{Deserialize, Serialize};

use crate::airflow::models::LogEvent;

/// One line as the spool stores it (its number is its position in the file).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredLine {
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(rename = "l", default, skip_serializing_if = "String::is_empty")]
    pub level: String,
    #[serde(rename = "x")]
    pub text: String,
    #[serde(rename = "tb", default, skip_serializing_if = "Vec::is_empty")]
    pub traceback: Vec<String>,
}

impl StoredLine {
    pub fn from_event(event: LogEvent) -> Self {
        let level = match event.level.as_deref().map(str::to_ascii_lowercase) {
            Some(level) if level == "warn" => "warning".to_string(),
            Some(level) => level,
            None => String::new(),
        };
        let traceback = event
            .error_detail
            .map(|chain| {
                let mut lines = Vec::new();
                for exception in chain {
                    lines.push("Traceback (most recent call last):".to_string());
                    for frame in exception.frames {
                        lines.push(format!(
                            "  File \"{}\", line {}, in {}",
                            frame.filename, frame.lineno, frame.name
                        ));
                    }
                    lines.push(if exception.exc_value.is_empty() {
                        exception.exc_type
                    } else {
                        format!("{}: {}", exception.exc_type, exception.exc_value)
                    });
                }
                lines
            })
            .unwrap_or_default();
        Self {
            timestamp: event.timestamp,
            level,
            text: event.event,
            traceback,
        }
    }

    /// The line as a page shows it, numbered, with `mask` applied to everything a reader sees.
    pub fn shown(&self, number: u64, mask: &super::mask::Masker) -> LogLine {
        LogLine {
            number,
            timestamp: self.timestamp.clone(),
            level: self.level.clone(),
            text: mask.apply(&self.text),
            traceback: self.traceback.iter().map(|t| mask.apply(t)).collect(),
        }
    }

    /// Whether a page of the viewer would jump here as "the first error".
    pub fn is_error(&self) -> bool {
        matches!(self.level.as_str(), "error" | "critical" | "fatal")
            || !self.traceback.is_empty()
            || self.text.starts_with("Traceback (most recent call last)")
    }

    /// The `::group::` section this line opens, or `Some(None)` if it closes one.
    pub fn group_marker(&self) -> Option<Option<&str>> {
        let text = self.text.trim();
        if let Some(title) = text.strip_prefix("::group::") {
            Some(Some(title))
        } else if text == "::endgroup::" {
            Some(None)
        } else {
            None
        }
    }

    /// The line in the downloaded log: `timestamp LEVEL text`, the traceback indented below.
    pub fn as_text(&self, mask: &super::mask::Masker) -> String {
        let mut out = String::new();
        if let Some(at) = &self.timestamp {
            out.push_str(at);
            out.push(' ');
        }
        if !self.level.is_empty() {
            out.push_str(&self.level.to_uppercase());
            out.push(' ');
        }
        out.push_str(&mask.apply(&self.text));
        out.push('\n');
        for line in &self.traceback {
            out.push_str("    ");
            out.push_str(&mask.apply(line));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::airflow::models::{ErrorDetail, ErrorFrame};

    #[test]
    fn a_logged_exception_reads_like_python_prints_it() {
        let line = StoredLine::from_event(LogEvent {
            timestamp: Some("2026-12-01T10:00:00Z".into()),
            event: "a lookup failed".into(),
            level: Some("ERROR".into()),
            error_detail: Some(vec![ErrorDetail {
                exc_type: "KeyError".into(),
                exc_value: "'missing'".into(),
                frames: vec![ErrorFrame {
                    filename: "/dags/tour.py".into(),
                    lineno: 27,
                    name: "narrate".into(),
                }],
            }]),
        });
        assert_eq!(line.level, "error");
        assert!(line.is_error());
        assert_eq!(
            line.traceback,
            [
                "Traceback (most recent call last):",
                "  File \"/dags/tour.py\", line 27, in narrate",
                "KeyError: 'missing'"
            ]
        );
        let text = line.as_text(&super::super::mask::Masker::none());
        assert!(text.starts_with("2026-12-01T10:00:00Z ERROR a lookup failed\n    Traceback"));
    }

    #[test]
    fn group_markers_and_levels() {
        let line = |text: &str, level: Option<&str>| {
            StoredLine::from_event(LogEvent {
                timestamp: None,
                event: text.into(),
                level: level.map(String::from),
                error_detail: None,
            })
        };
        assert_eq!(
            line("::group::Setup", None).group_marker(),
            Some(Some("Setup"))
        );
        assert_eq!(line("::endgroup::", None).group_marker(), Some(None));
        assert_eq!(line("hello", None).group_marker(), None);
        assert_eq!(line("careful", Some("WARN")).level, "warning");
    }
}
