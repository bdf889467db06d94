//! Prometheus metrics (docs/deploying.md, "Monitoring"): what this process counted since it
//! started, plus figures read from the database at each scrape (sync lag, sessions).
//!
//! Counters live in one registry per app (`AppState::metrics`), handed to what counts: the
//! request layer, each Airflow client, the deploy engine. A process serves one app, so that
//! is one `/metrics` per process — and tests running many apps in one process each read only
//! their own. Label
//! values come from bounded sets only (route templates, environment names from the
//! configuration, fixed outcome names), never from user input. `GET /metrics` is
//! `http/metrics.rs`.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::config::Config;
use crate::db::{Db, query_result};
use crate::error::ServerError;
use crate::with_pool;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AirflowErrorLabels {
    pub environment: String,
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EnvironmentLabels {
    pub environment: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    pub state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    pub version: &'static str,
}

type FloatGauge = Gauge<f64, AtomicU64>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    airflow_errors: Family<AirflowErrorLabels, Counter>,
    deploys: Family<OutcomeLabels, Counter>,
    sync_lag: Family<EnvironmentLabels, FloatGauge>,
    sync_failing: Family<EnvironmentLabels, Gauge>,
    sessions: Gauge,
    pool: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    refusals: Family<KindLabels, Counter>,
    rate_limited: Family<KindLabels, Counter>,
}

/// 5 ms to about 10 s, doubling: pages take milliseconds, Airflow calls up to seconds.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("hangar");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to the response head, by route template",
            latency.clone(),
        );
        let airflow_errors = Family::<AirflowErrorLabels, Counter>::default();
        registry.register(
            "airflow_api_errors",
            "Failed calls to an Airflow environment's API, by kind",
            airflow_errors.clone(),
        );
        let deploys = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "deploys",
            "Deploy attempts this process ran to their end, by outcome",
            deploys.clone(),
        );
        let sync_lag = Family::<EnvironmentLabels, FloatGauge>::default();
        registry.register(
            "airflow_sync_lag_seconds",
            "Seconds since the environment's last successful sync (absent: never synced)",
            sync_lag.clone(),
        );
        let sync_failing = Family::<EnvironmentLabels, Gauge>::default();
        registry.register(
            "airflow_sync_failing",
            "1 while the environment's last sync attempt failed",
            sync_failing.clone(),
        );
        let sessions = Gauge::default();
        registry.register(
            "active_sessions",
            "Signed-in sessions not ended or expired (all replicas: read from the database)",
            sessions.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "This process's database connections, idle or in use",
            pool.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "The most database connections this process opens",
            pool_max.clone(),
        );
        let refusals = Family::<KindLabels, Counter>::default();
        registry.register(
            "unauthenticated_refusals",
            "Refused requests of nobody signed in (cross_origin, sign_in, token); the audit log \
             gets at most one sample per client address per minute",
            refusals.clone(),
        );
        let rate_limited = Family::<KindLabels, Counter>::default();
        registry.register(
            "rate_limited",
            "Requests answered 429, by the limit they hit (ip, session)",
            rate_limited.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register("build_info", "The running version", build);
        Self {
            registry,
            requests,
            latency,
            airflow_errors,
            deploys,
            sync_lag,
            sync_failing,
            sessions,
            pool,
            pool_max,
            refusals,
            rate_limited,
        }
    }

    /// `kind`: cross_origin, sign_in or token.
    pub fn unauthenticated_refusal(&self, kind: &'static str) {
        self.refusals.get_or_create(&KindLabels { kind }).inc();
    }

    /// `kind`: ip or session.
    pub fn rate_limited(&self, kind: &'static str) {
        self.rate_limited.get_or_create(&KindLabels { kind }).inc();
    }

    pub fn request_answered(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let (method, route) = (method.to_string(), route.to_string());
        self.latency
            .get_or_create(&RouteLabels {
                method: method.clone(),
                route: route.clone(),
            })
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    pub fn airflow_error(&self, environment: &str, kind: &'static str) {
        self.airflow_errors
            .get_or_create(&AirflowErrorLabels {
                environment: environment.to_string(),
                kind,
            })
            .inc();
    }

    /// `outcome`: deployed, failed or stale.
    pub fn deploy_finished(&self, outcome: &'static str) {
        self.deploys.get_or_create(&OutcomeLabels { outcome }).inc();
    }
}

impl Metrics {
    /// Everything in the text exposition format (OpenMetrics).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

impl Metrics {
    /// Reads the figures that belong to the database rather than to this process.
    pub async fn refresh(&self, db: &Db, config: &Config, now: i64) -> Result<(), ServerError> {
        let metrics = self;
        let (size, idle) = db.pool_usage();
        metrics
            .pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(idle as i64);
        metrics
            .pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(size) - idle as i64);
        metrics
            .pool_max
            .set(i64::from(config.database.max_connections));
        metrics.sessions.set(live_sessions(db, now).await?);
        let rows: Vec<(String, Option<i64>, Option<String>)> = with_pool!(db, pool => {
            sqlx::query_as("SELECT environment, last_success_ms, last_error FROM airflow_sync_status")
                .fetch_all(pool)
                .await
        })?;
        // Configured environments only: a removed one's row must not linger as a series.
        for environment in &config.airflow {
            let labels = EnvironmentLabels {
                environment: environment.name.clone(),
            };
            let row = rows.iter().find(|row| row.0 == environment.name);
            if let Some(last_success) = row.and_then(|row| row.1) {
                let lag = (now - last_success).max(0) as f64 / 1000.0;
                metrics.sync_lag.get_or_create(&labels).set(lag);
            }
            let failing = row.is_some_and(|row| row.2.is_some());
            metrics
                .sync_failing
                .get_or_create(&labels)
                .set(i64::from(failing));
        }
        Ok(())
    }
}

/// Live sessions in all: the one figure metrics read of the identity room's session index,
/// counted here so that metrics (which the audit log's refusal counting uses) do not depend
/// on that room.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn live_sessions(db: &Db, now_ms: i64) -> Result<i64, ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM user_sessions WHERE expires_ms > $1")
            .bind(now_ms)
            .fetch_one(pool)
            .await
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_histograms_are_exposed_with_their_labels() {
        let metrics = Metrics::new();
        metrics.request_answered("GET", "/t/{team}", 200, Duration::from_millis(12));
        metrics.request_answered("GET", "/t/{team}", 200, Duration::from_millis(30));
        metrics.airflow_error("main", "timeout");
        metrics.deploy_finished("deployed");
        let text = metrics.encode();
        assert!(
            text.contains(
                r#"hangar_http_requests_total{method="GET",route="/t/{team}",status="200"} 2"#
            ),
            "{text}"
        );
        // 12 ms falls in the 20 ms bucket, 30 ms in the 40 ms one (buckets are cumulative).
        for (le, count) in [("0.01", 0), ("0.02", 1), ("0.04", 2)] {
            let bucket = format!(
                r#"hangar_http_request_duration_seconds_bucket{{le="{le}",method="GET",route="/t/{{team}}"}} {count}"#
            );
            assert!(text.contains(&bucket), "{bucket} in {text}");
        }
        assert!(
            text.contains(
                r#"hangar_airflow_api_errors_total{environment="main",kind="timeout"} 1"#
            )
        );
        assert!(text.contains(r#"hangar_deploys_total{outcome="deployed"} 1"#));
        assert!(text.contains("hangar_build_info{version="));
    }
}
