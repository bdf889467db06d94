//! `[task_logs]`: how much of a task's log Hangar reads for viewing, and where it keeps the
//! logs of finished tries it has read (docs/configuration.md).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::raw::RawTaskLogs;
use super::{ConfigError, parse_duration};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskLogsConfig {
    /// Lines of one try's log read for viewing; the rest is in the download.
    pub max_lines: u64,
    /// Where finished tries' logs are kept once read (`None`: a directory of its own under
    /// the system's temporary directory). Emptied at start-up.
    pub spool_dir: Option<PathBuf>,
    /// All kept logs together at most; the least recently read go first.
    pub spool_max_bytes: u64,
    /// How long one read of a whole log from Airflow may take (Airflow reads a large log
    /// through before it sends the first line).
    pub read_timeout: Duration,
    /// Live views of running tries open at once (each asks Airflow every 2 s).
    pub max_follows: usize,
    /// Which finished tries' logs are read into the spool as soon as the read model sees
    /// them end, before anyone opens them.
    pub read_ahead: ReadAhead,
}

/// Which tries' logs are read ahead of their first view (`[task_logs] read_ahead`).
///
/// Airflow 3.3 reads a finished log whole before it sends its first line (6.7 s for
/// 200,000 lines), so the first view of a large log waits for Airflow unless it was read
/// ahead. Failed tries are the logs people open ("what failed, and why"); reading every
/// finished try would read most logs nobody opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadAhead {
    Off,
    Failed,
    Finished,
}

impl ReadAhead {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "off" => Some(Self::Off),
            "failed" => Some(Self::Failed),
            "finished" => Some(Self::Finished),
            _ => None,
        }
    }

    /// The final states whose tries are read ahead.
    pub fn states(self) -> &'static [&'static str] {
        match self {
            Self::Off => &[],
            Self::Failed => &["failed"],
            Self::Finished => &["failed", "success"],
        }
    }
}

impl Default for TaskLogsConfig {
    fn default() -> Self {
        Self {
            max_lines: 500_000,
            spool_dir: None,
            spool_max_bytes: 1024 * 1024 * 1024,
            read_timeout: Duration::from_secs(300),
            max_follows: 64,
            read_ahead: ReadAhead::Failed,
        }
    }
}

pub(super) fn validate(raw: RawTaskLogs, file: &Path) -> Result<TaskLogsConfig, ConfigError> {
    let error = |key: &str, message: String| ConfigError {
        file: file.to_path_buf(),
        key: format!("task_logs.{key}"),
        message,
    };
    let defaults = TaskLogsConfig::default();
    let max_lines = raw.max_lines.unwrap_or(defaults.max_lines);
    if !(1_000..=100_000_000).contains(&max_lines) {
        return Err(error(
            "max_lines",
            format!("{max_lines} is not between 1000 and 100000000"),
        ));
    }
    let spool_max_mb = raw
        .spool_max_mb
        .unwrap_or(defaults.spool_max_bytes / 1024 / 1024);
    if spool_max_mb < 16 {
        return Err(error("spool_max_mb", "must be at least 16".into()));
    }
    let spool_dir = match raw.spool_dir {
        Some(dir) if dir.trim().is_empty() => {
            return Err(error("spool_dir", "must not be empty".into()));
        }
        dir => dir.map(PathBuf::from),
    };
    let read_timeout = match raw.read_timeout.as_deref() {
        Some(text) => parse_duration(text).map_err(|m| error("read_timeout", m))?,
        None => defaults.read_timeout,
    };
    if read_timeout < Duration::from_secs(10) {
        return Err(error("read_timeout", "must be at least 10s".into()));
    }
    let max_follows = raw.max_follows.unwrap_or(defaults.max_follows);
    if max_follows == 0 {
        return Err(error("max_follows", "must be at least 1".into()));
    }
    let read_ahead = match raw.read_ahead.as_deref() {
        None => defaults.read_ahead,
        Some(text) => ReadAhead::parse(text).ok_or_else(|| {
            error(
                "read_ahead",
                format!("{text:?} is not a setting (off, failed or finished)"),
            )
        })?,
    };
    Ok(TaskLogsConfig {
        max_lines,
        spool_dir,
        spool_max_bytes: spool_max_mb * 1024 * 1024,
        read_timeout,
        max_follows,
        read_ahead,
    })
}
