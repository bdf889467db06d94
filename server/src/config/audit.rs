//! `[audit]`: how long the audit log keeps entries, where removed ones are archived, and how
//! often the chain is verified.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::raw::RawAudit;
use super::{ConfigError, parse_duration};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditConfig {
    /// Entries older than this are removed (archived first with `archive_dir`); `None` keeps
    /// everything.
    pub retention: Option<Duration>,
    /// Where removed entries are written as NDJSON, one file per removal step.
    pub archive_dir: Option<PathBuf>,
    /// How often the whole chain is verified (and retention applied).
    pub verify_interval: Duration,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            retention: None,
            archive_dir: None,
            verify_interval: Duration::from_secs(3600),
        }
    }
}

/// Less than a day would remove entries of the day still being looked into.
const MIN_RETENTION: Duration = Duration::from_secs(86_400);
const MIN_VERIFY_INTERVAL: Duration = Duration::from_secs(60);

pub(super) fn validate(raw: RawAudit, file: &Path) -> Result<AuditConfig, ConfigError> {
    let error = |key: &str, message: String| ConfigError {
        file: file.to_path_buf(),
        key: format!("audit.{key}"),
        message,
    };
    let retention = raw
        .retention
        .as_deref()
        .map(|text| parse_duration(text).map_err(|m| error("retention", m)))
        .transpose()?;
    if retention.is_some_and(|keep| keep < MIN_RETENTION) {
        return Err(error(
            "retention",
            "must be at least 1d, so entries of the current day are never removed".into(),
        ));
    }
    let archive_dir = match raw.archive_dir {
        Some(dir) if dir.trim().is_empty() => {
            return Err(error("archive_dir", "must not be empty".into()));
        }
        Some(_) if retention.is_none() => {
            return Err(error(
                "archive_dir",
                "set audit.retention too: without it nothing is ever archived".into(),
            ));
        }
        dir => dir.map(PathBuf::from),
    };
    let verify_interval = match raw.verify_interval.as_deref() {
        Some(text) => parse_duration(text).map_err(|m| error("verify_interval", m))?,
        None => AuditConfig::default().verify_interval,
    };
    if verify_interval < MIN_VERIFY_INTERVAL {
        return Err(error("verify_interval", "must be at least 1m".into()));
    }
    Ok(AuditConfig {
        retention,
        archive_dir,
        verify_interval,
    })
}
