//! `[telemetry]`: OpenTelemetry traces, exported over OTLP/HTTP. Off unless an endpoint is
//! set; logs (`[log]`) are unaffected either way.

use std::path::Path;

use url::Url;

use super::ConfigError;
use super::raw::RawTelemetry;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// Where spans are sent (`…/v1/traces`); `None`: tracing stays in the logs only.
    pub otlp_endpoint: Option<Url>,
    /// `service.name` of every span.
    pub service_name: String,
}

pub(super) fn validate(raw: RawTelemetry, file: &Path) -> Result<TelemetryConfig, ConfigError> {
    let error = |key: &str, message: String| ConfigError {
        file: file.to_path_buf(),
        key: format!("telemetry.{key}"),
        message,
    };
    let otlp_endpoint = raw
        .otlp_endpoint
        .map(|text| {
            Url::parse(&text)
                .ok()
                .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
                .ok_or_else(|| {
                    error(
                        "otlp_endpoint",
                        format!(
                            "{text:?} is not an http(s) URL such as \
                             \"http://otel-collector:4318/v1/traces\""
                        ),
                    )
                })
        })
        .transpose()?;
    let service_name = raw.service_name.unwrap_or_else(|| "hangar".into());
    if service_name.trim().is_empty() {
        return Err(error("service_name", "must not be empty".into()));
    }
    Ok(TelemetryConfig {
        otlp_endpoint,
        service_name,
    })
}
