//! Structured logs (text for people, JSON for log pipelines: `[log] format`) and, when
//! `[telemetry] otlp_endpoint` is set, OpenTelemetry traces exported over OTLP/HTTP.
//!
//! Every `tracing` span becomes a trace span with its fields as attributes: the request span
//! carries `request_id` (the `x-request-id` Hangar answers with), port methods carry the
//! team, and each call to Airflow is a span of its own whose W3C `traceparent` goes to Airflow
//! in the request (`airflow::client`), so Airflow's own traces join Hangar's.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{Config, LogFormat, OutboundTls, TelemetryConfig};

/// Keeps the trace exporter alive; [`Telemetry::shutdown`] sends what is still buffered.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes and stops the exporter (at the end of `hangar serve`).
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "could not send the last trace spans");
        }
    }
}

/// Sets up logging and, if configured, trace export. A second call (tests) keeps the first.
pub fn init(config: &Config) -> Telemetry {
    // RUST_LOG wins over the configured level, for debugging without editing the file.
    let filter = || {
        EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            EnvFilter::new(format!(
                "{},sqlx=warn,tower_sessions=warn",
                config.log.level
            ))
        })
    };
    let provider = config
        .telemetry
        .otlp_endpoint
        .as_ref()
        .and_then(
            |endpoint| match exporter(&config.telemetry, endpoint, &config.tls) {
                Ok(provider) => Some(provider),
                Err(error) => {
                    eprintln!("hangar: telemetry.otlp_endpoint: cannot export traces: {error}");
                    None
                }
            },
        );
    let traces = provider.as_ref().map(|provider| {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        opentelemetry::global::set_tracer_provider(provider.clone());
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("hangar"))
            .with_filter(filter())
    });
    let registry = tracing_subscriber::registry().with(traces);
    let result = match config.log.format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_target(false)
                    .with_filter(filter()),
            )
            .try_init(),
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_target(false)
                    .with_filter(filter()),
            )
            .try_init(),
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
    Telemetry { provider }
}

fn exporter(
    config: &TelemetryConfig,
    endpoint: &url::Url,
    tls: &OutboundTls,
) -> Result<SdkTracerProvider, String> {
    let client = crate::tls::client_builder(tls)
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint.as_str())
        .with_http_client(OtlpHttp {
            client,
            runtime: tokio::runtime::Handle::try_current().map_err(|e| e.to_string())?,
        })
        .build()
        .map_err(|e| e.to_string())?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(config.service_name.clone())
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// The exporter's HTTP client: Hangar's own (same `[tls]` trust as every outbound call).
/// The batch exporter calls it from a thread of its own, outside the runtime, so each
/// request runs on the runtime and is awaited through its join handle.
#[derive(Debug)]
struct OtlpHttp {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for OtlpHttp {
    async fn send_bytes(
        &self,
        request: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, opentelemetry_http::HttpError> {
        let client = self.client.clone();
        let sent = self.runtime.spawn(async move {
            let response = client.execute(reqwest::Request::try_from(request)?).await?;
            let mut answer = http::Response::builder().status(response.status());
            if let Some(headers) = answer.headers_mut() {
                *headers = response.headers().clone();
            }
            let body = response.bytes().await?;
            Ok::<_, opentelemetry_http::HttpError>(answer.body(body)?)
        });
        sent.await?
    }
}

/// Adds the current span's W3C trace context (`traceparent`, `tracestate`) to an outgoing
/// request's headers; nothing when traces are off.
pub fn inject_trace_context(headers: &mut http::HeaderMap) {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let context = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut opentelemetry_http::HeaderInjector(headers))
    });
}
