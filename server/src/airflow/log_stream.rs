//! A task attempt's log read as Airflow streams it (NDJSON: one JSON event per line), line by
//! line as the bytes arrive, so the reader decides how much to read and memory holds one
//! line at a time, whatever the log's size.

use std::time::Duration;

use super::error::AirflowError;
use super::models::LogEvent;

/// One try of one task instance, as Airflow addresses its log.
#[derive(Clone, Copy, Debug)]
pub struct TaskAttempt<'a> {
    pub dag_id: &'a str,
    pub run_id: &'a str,
    pub task_id: &'a str,
    /// `-1` for a task that is not mapped.
    pub map_index: i64,
    pub try_number: i64,
}

impl TaskAttempt<'_> {
    pub(super) fn log_path(&self) -> String {
        super::client::api_path(&[
            "dags",
            self.dag_id,
            "dagRuns",
            self.run_id,
            "taskInstances",
            self.task_id,
            "logs",
            &self.try_number.to_string(),
        ])
    }
}

/// A line longer than this is cut (a task that prints a whole file on one line).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// The events of a log stream, in order. Lines that are not JSON events are kept as text.
pub struct LogLines {
    response: reqwest::Response,
    env: String,
    timeout: Duration,
    /// Bytes received and not yet returned as lines.
    pending: Vec<u8>,
    /// Set once the body has ended.
    ended: bool,
    /// Bytes of the line being skipped past [`MAX_LINE_BYTES`].
    overlong: bool,
}

impl LogLines {
    pub(super) fn new(response: reqwest::Response, env: String, timeout: Duration) -> Self {
        Self {
            response,
            env,
            timeout,
            pending: Vec::new(),
            ended: false,
            overlong: false,
        }
    }

    /// Lines of NDJSON text, as if Airflow had sent them (tests of what reads logs).
    #[cfg(test)]
    pub fn from_ndjson(text: String) -> Self {
        let response = reqwest::Response::from(axum::http::Response::new(text));
        Self::new(response, "test".into(), Duration::from_secs(5))
    }

    /// The next event, `None` at the end of the log.
    pub async fn next_event(&mut self) -> Result<Option<LogEvent>, AirflowError> {
        loop {
            if let Some(line) = self.take_line() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Ok(Some(parse_event(&line)));
            }
            if self.ended {
                let rest = std::mem::take(&mut self.pending);
                let blank = rest.iter().all(u8::is_ascii_whitespace);
                let tail_of_overlong = std::mem::take(&mut self.overlong);
                return Ok((!blank && !tail_of_overlong).then(|| parse_event(&rest)));
            }
            match self.response.chunk().await {
                Ok(Some(chunk)) => self.pending.extend_from_slice(&chunk),
                Ok(None) => self.ended = true,
                Err(error) if error.is_timeout() => {
                    return Err(AirflowError::Timeout {
                        env: self.env.clone(),
                        seconds: self.timeout.as_secs().max(1),
                    });
                }
                Err(error) => {
                    return Err(AirflowError::Unreachable {
                        env: self.env.clone(),
                        reason: error.without_url().to_string(),
                    });
                }
            }
        }
    }

    /// A complete line from what arrived, cut to [`MAX_LINE_BYTES`] (the rest of an overlong
    /// line is dropped as it arrives, so it never fills memory).
    fn take_line(&mut self) -> Option<Vec<u8>> {
        match self.pending.iter().position(|b| *b == b'\n') {
            Some(end) => {
                let mut line: Vec<u8> = self.pending.drain(..=end).collect();
                line.pop();
                if std::mem::take(&mut self.overlong) {
                    // The tail of a line already returned.
                    return self.take_line();
                }
                line.truncate(MAX_LINE_BYTES);
                Some(line)
            }
            None if self.pending.len() > MAX_LINE_BYTES && !self.overlong => {
                let line = self.pending[..MAX_LINE_BYTES].to_vec();
                self.pending.clear();
                self.overlong = true;
                Some(line)
            }
            None if self.overlong => {
                self.pending.clear();
                None
            }
            None => None,
        }
    }
}

/// An NDJSON line as an event; a line that is not one (cut, or plain text) is its text.
pub fn parse_event(line: &[u8]) -> LogEvent {
    serde_json::from_slice(line).unwrap_or_else(|_| LogEvent {
        timestamp: None,
        event: String::from_utf8_lossy(line).into_owned(),
        level: None,
        error_detail: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_that_are_not_events_are_kept_as_text() {
        let event =
            parse_event(br#"{"timestamp":"2026-12-01T00:00:00Z","event":"hi","level":"info"}"#);
        assert_eq!(event.event, "hi");
        assert_eq!(event.level.as_deref(), Some("info"));
        let text = parse_event(b"{\"event\": \"cut off");
        assert_eq!(text.event, "{\"event\": \"cut off");
        assert_eq!(text.level, None);
    }
}
