//! `[limits]`: how much one client may ask of Hangar (docs/configuration.md, "Limits").

use std::num::NonZeroU32;
use std::path::Path;

use serde::Deserialize;

use super::ConfigError;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    #[serde(default, deserialize_with = "super::raw::number_or_numeric_string")]
    pub requests_per_ip: Option<u32>,
    #[serde(default, deserialize_with = "super::raw::number_or_numeric_string")]
    pub requests_per_session: Option<u32>,
    #[serde(default, deserialize_with = "super::raw::number_or_numeric_string")]
    pub max_body_bytes: Option<u32>,
}

/// Requests per minute on `/auth/*`, server functions and `/api/v1` (a quarter of a minute's
/// allowance may come at once), and the largest request body anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitsConfig {
    /// Per client address (`[server] client_ip_header` behind a proxy).
    pub requests_per_ip: NonZeroU32,
    /// Per signed-in session, or per bearer token.
    pub requests_per_session: NonZeroU32,
    pub max_body_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            // An office behind one address is many people; a person is a few requests a second.
            requests_per_ip: NonZeroU32::new(6000).expect("not zero"),
            requests_per_session: NonZeroU32::new(1200).expect("not zero"),
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// The smallest body limit: Hangar's largest form (a run's configuration) must still fit.
const MIN_BODY_BYTES: u64 = 64 * 1024;
/// Bodies are read into memory whole; this keeps one request's memory bounded.
const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

pub(super) fn validate(raw: RawLimits, file: &Path) -> Result<LimitsConfig, ConfigError> {
    let error = |key: &str, message: String| ConfigError {
        file: file.to_path_buf(),
        key: format!("limits.{key}"),
        message,
    };
    let defaults = LimitsConfig::default();
    let rate = |key: &str, value: Option<u32>, default: NonZeroU32| match value {
        None => Ok(default),
        Some(n) => NonZeroU32::new(n)
            .ok_or_else(|| error(key, "must be at least 1 (requests per minute)".into())),
    };
    let max_body_bytes = raw
        .max_body_bytes
        .map_or(defaults.max_body_bytes as u64, u64::from);
    if !(MIN_BODY_BYTES..=MAX_BODY_BYTES).contains(&max_body_bytes) {
        return Err(error(
            "max_body_bytes",
            format!("{max_body_bytes} is not between {MIN_BODY_BYTES} and {MAX_BODY_BYTES}"),
        ));
    }
    Ok(LimitsConfig {
        requests_per_ip: rate(
            "requests_per_ip",
            raw.requests_per_ip,
            defaults.requests_per_ip,
        )?,
        requests_per_session: rate(
            "requests_per_session",
            raw.requests_per_session,
            defaults.requests_per_session,
        )?,
        max_body_bytes: max_body_bytes as usize,
    })
}
