//! `[metrics]`: whether and how `/metrics` (Prometheus) is served. Nothing is served unless
//! it is protected: by a bearer token, by a listen address of its own (reachable only where
//! the operator's network lets it be), or both.

use std::net::SocketAddr;
use std::path::Path;

use super::raw::RawMetrics;
use super::{ConfigError, Secret, read_secret_file};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetricsConfig {
    /// Required as `Authorization: Bearer …` on every scrape.
    pub bearer_token: Option<Secret>,
    /// Serve `/metrics` here instead of on the main listener.
    pub listen: Option<SocketAddr>,
}

impl MetricsConfig {
    /// `/metrics` on the main listener: only with a token and no listener of its own.
    pub fn on_main_listener(&self) -> bool {
        self.bearer_token.is_some() && self.listen.is_none()
    }
}

/// Shorter tokens are guessable by a scraper-shaped brute force.
const MIN_TOKEN_CHARS: usize = 16;

pub(super) fn validate(
    raw: RawMetrics,
    main_listen: SocketAddr,
    file: &Path,
) -> Result<MetricsConfig, ConfigError> {
    let error = |key: &str, message: String| ConfigError {
        file: file.to_path_buf(),
        key: format!("metrics.{key}"),
        message,
    };
    let bearer_token = match (raw.bearer_token, raw.bearer_token_file) {
        (Some(_), Some(_)) => {
            return Err(error(
                "bearer_token",
                "set either bearer_token or bearer_token_file, not both".into(),
            ));
        }
        (Some(token), None) => Some(Secret::new(token)),
        (None, Some(path)) => {
            Some(read_secret_file(file, &path).map_err(|m| error("bearer_token_file", m))?)
        }
        (None, None) => None,
    };
    if let Some(token) = &bearer_token
        && token.expose().chars().count() < MIN_TOKEN_CHARS
    {
        return Err(error(
            "bearer_token",
            format!("must be at least {MIN_TOKEN_CHARS} characters"),
        ));
    }
    let listen = raw
        .listen
        .map(|text| {
            text.parse::<SocketAddr>().map_err(|_| {
                error(
                    "listen",
                    format!("{text:?} is not an address like 127.0.0.1:9100"),
                )
            })
        })
        .transpose()?;
    if listen == Some(main_listen) {
        return Err(error(
            "listen",
            "must differ from server.listen (leave it out to serve /metrics there with a token)"
                .into(),
        ));
    }
    Ok(MetricsConfig {
        bearer_token,
        listen,
    })
}
