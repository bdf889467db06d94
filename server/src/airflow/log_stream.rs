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
    buffer: LineBuffer,
    /// Set once the body has ended.
    ended: bool,
}

impl LogLines {
    pub(super) fn new(response: reqwest::Response, env: String, timeout: Duration) -> Self {
        Self {
            response,
            env,
            timeout,
            buffer: LineBuffer::default(),
            ended: false,
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
            let line = match self.ended {
                false => self.buffer.take_line(),
                true => self.buffer.take_rest(),
            };
            if let Some(line) = line {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Ok(Some(parse_event(&line)));
            }
            if self.ended {
                return Ok(None);
            }
            match self.response.chunk().await {
                Ok(Some(chunk)) => self.buffer.push(&chunk),
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
}

/// Splits the body's chunks into lines. A chunk may hold thousands of lines (hyper reads up
/// to hundreds of kilobytes at once from a fast Airflow): lines are read from a cursor, and
/// what is left moves to the front once per chunk, not once per line, which made reading a
/// chunk quadratic in its size.
#[derive(Default)]
struct LineBuffer {
    /// Bytes received; those before `start` are already returned.
    pending: Vec<u8>,
    start: usize,
    /// Bytes of the line being skipped past [`MAX_LINE_BYTES`].
    overlong: bool,
}

impl LineBuffer {
    fn push(&mut self, chunk: &[u8]) {
        self.pending.drain(..self.start);
        self.start = 0;
        self.pending.extend_from_slice(chunk);
    }

    /// A complete line from what arrived, cut to [`MAX_LINE_BYTES`] (the rest of an overlong
    /// line is dropped as it arrives, so it never fills memory).
    fn take_line(&mut self) -> Option<Vec<u8>> {
        loop {
            let unread = &self.pending[self.start..];
            match memchr::memchr(b'\n', unread) {
                Some(at) => {
                    let line = &unread[..at.min(MAX_LINE_BYTES)];
                    let line = (!std::mem::take(&mut self.overlong)).then(|| line.to_vec());
                    self.start += at + 1;
                    match line {
                        Some(line) => return Some(line),
                        // The tail of a line already returned.
                        None => continue,
                    }
                }
                None if unread.len() > MAX_LINE_BYTES && !self.overlong => {
                    let line = unread[..MAX_LINE_BYTES].to_vec();
                    self.clear();
                    self.overlong = true;
                    return Some(line);
                }
                None => {
                    if self.overlong {
                        self.clear();
                    }
                    return None;
                }
            }
        }
    }

    /// Once the body has ended: its lines, then the last one (without a newline), if any.
    fn take_rest(&mut self) -> Option<Vec<u8>> {
        if let Some(line) = self.take_line() {
            return Some(line);
        }
        let rest = self.pending[self.start..].to_vec();
        self.clear();
        let tail_of_overlong = std::mem::take(&mut self.overlong);
        (!rest.is_empty() && !tail_of_overlong).then_some(rest)
    }

    fn clear(&mut self) {
        self.pending.clear();
        self.start = 0;
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

    /// Every line of `body` as the buffer returns it, the body cut into chunks of `size`.
    fn lines_in_chunks(body: &[u8], size: usize) -> Vec<Vec<u8>> {
        let mut buffer = LineBuffer::default();
        let mut lines = Vec::new();
        for chunk in body.chunks(size) {
            buffer.push(chunk);
            while let Some(line) = buffer.take_line() {
                lines.push(line);
            }
        }
        while let Some(line) = buffer.take_rest() {
            lines.push(line);
        }
        lines
    }

    #[test]
    fn lines_are_the_same_however_the_body_is_cut_into_chunks() {
        let long = "x".repeat(MAX_LINE_BYTES + 10);
        let body = format!("one\n\ntwo\r\n{long}\nafter long\n{long}");
        let expected: Vec<Vec<u8>> = vec![
            b"one".to_vec(),
            b"".to_vec(),
            b"two\r".to_vec(),
            long.as_bytes()[..MAX_LINE_BYTES].to_vec(),
            b"after long".to_vec(),
            long.as_bytes()[..MAX_LINE_BYTES].to_vec(),
        ];
        // Cut into small chunks, an overlong line is looked through again at each one (up
        // to its cut): the long body is read in chunks of realistic sizes, a short one in
        // every size.
        for size in [4096, MAX_LINE_BYTES - 1, MAX_LINE_BYTES + 1, body.len()] {
            assert_eq!(
                lines_in_chunks(body.as_bytes(), size),
                expected,
                "chunks of {size}"
            );
        }
        let short = b"one\n\ntwo\r\nthree";
        let expected: Vec<Vec<u8>> = vec![
            b"one".to_vec(),
            b"".to_vec(),
            b"two\r".to_vec(),
            b"three".to_vec(),
        ];
        for size in 1..=short.len() {
            assert_eq!(lines_in_chunks(short, size), expected, "chunks of {size}");
        }
        // The last line needs no newline; a trailing newline adds no empty line.
        assert_eq!(
            lines_in_chunks(b"a\nb", 1),
            vec![b"a".to_vec(), b"b".to_vec()]
        );
        assert_eq!(lines_in_chunks(b"a\n", 1), vec![b"a".to_vec()]);
    }

    #[tokio::test]
    async fn a_body_of_many_lines_in_one_chunk_is_read_whole() {
        let body: String = (0..50_000)
            .map(|i| format!("{{\"event\": \"line {i}\"}}\n"))
            .collect();
        let mut lines = LogLines::from_ndjson(body);
        let mut count = 0;
        while let Some(event) = lines.next_event().await.unwrap() {
            assert_eq!(event.event, format!("line {count}"));
            count += 1;
        }
        assert_eq!(count, 50_000);
    }

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
