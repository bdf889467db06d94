//! A client for one Airflow environment's public REST API (v2), with one set of credentials.
//!
//! Tokens: `POST /auth/token` returns a JWT without a refresh token, so the client keeps it
//! and fetches a new one shortly before it expires (or, for a token file, reads the file
//! again). A 401 or 403 gets exactly one renewal and retry: Airflow answers 403 to an
//! expired or rotated token as well as to a missing permission. Every call has a timeout.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use url::Url;

use super::error::AirflowError;
use super::log_stream::{LogLines, TaskAttempt};
use super::models::Paged;
use super::models::{
    Connection, ConnectionCollection, Dag, DagBundle, DagBundleCollection, DagCollection,
    DagDetails, DagRun, DagRunCollection, DagSource, DagTask, DagTaskCollection,
    DagVersionCollection, ImportError, ImportErrorCollection, Pool, PoolCollection, RunVersions,
    TaskInstance, TaskInstanceCollection, TaskLog, TokenResponse, TriggerBody, Variable,
    VariableCollection, VariableWithValue, Version,
};
use crate::config::{AirflowConfig, AirflowCredentials, OutboundTls, Secret};
use crate::metrics::Metrics;

/// Airflow caps page sizes at 100.
pub const PAGE_SIZE: u64 = 100;
/// Renew this long before a token's `exp`, so a request never races the expiry.
const RENEW_BEFORE: Duration = Duration::from_secs(300);
/// When a token's lifetime cannot be read, keep it this long.
const UNKNOWN_LIFETIME: Duration = Duration::from_secs(600);
/// How long a detected Airflow version is trusted without asking again.
pub const VERSION_TTL: Duration = Duration::from_secs(300);

pub struct AirflowClient {
    env: String,
    base: Url,
    http: reqwest::Client,
    timeout: Duration,
    credentials: AirflowCredentials,
    token: Mutex<Option<CachedToken>>,
    /// The Airflow version last read, and when (`detected_version`).
    version: Mutex<Option<(Version, std::time::Instant)>>,
    /// Requests sent so far (token requests included): the sync's call budget is reported
    /// from this, per environment.
    requests: AtomicU64,
    /// Where failed calls are counted (the app's metrics; a registry of its own otherwise).
    metrics: Arc<Metrics>,
}

struct CachedToken {
    value: Secret,
    renew_at: SystemTime,
}

impl AirflowClient {
    pub fn new(
        env: &str,
        base: Url,
        timeout: Duration,
        credentials: AirflowCredentials,
        tls: &OutboundTls,
    ) -> Result<Self, AirflowError> {
        let http = crate::tls::client_builder(tls)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| AirflowError::Unreachable {
                env: env.to_string(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            env: env.to_string(),
            base,
            http,
            timeout,
            credentials,
            token: Mutex::new(None),
            version: Mutex::new(None),
            requests: AtomicU64::new(0),
            metrics: Arc::default(),
        })
    }

    /// Counts this client's failed calls in `metrics` (the app's).
    pub fn counted_in(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// A client for `env` with its main (not per-team) credentials.
    pub fn for_environment(env: &AirflowConfig, tls: &OutboundTls) -> Result<Self, AirflowError> {
        Self::new(
            &env.name,
            env.base_url.clone(),
            env.timeout,
            env.credentials.clone(),
            tls,
        )
    }

    pub fn env(&self) -> &str {
        &self.env
    }

    /// Every request to Airflow goes out here, and is counted. Each is a span of its own,
    /// whose W3C trace context goes along (`traceparent`) when traces are exported.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, AirflowError> {
        use tracing::Instrument;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let (http, request) = request.build_split();
        let mut request = request.map_err(|e| self.transport_error(e))?;
        let span = tracing::info_span!(
            "airflow",
            env = %self.env,
            method = %request.method(),
            path = %request.url().path(),
        );
        span.in_scope(|| crate::telemetry::inject_trace_context(request.headers_mut()));
        http.execute(request)
            .instrument(span)
            .await
            .map_err(|e| self.transport_error(e))
    }

    /// How many requests this client has sent since it was built.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// `GET /api/v2/version`.
    pub async fn version(&self) -> Result<Version, AirflowError> {
        self.call(Method::GET, "/api/v2/version", &[], None).await
    }

    /// The Airflow version, read again when a new token is fetched (a sign-in: an upgraded
    /// Airflow restarts, and its tokens with it) and at least every [`VERSION_TTL`]: what the
    /// sync decides version-dependent reads by (`/dagBundles` from 3.4).
    pub async fn detected_version(&self) -> Result<Version, AirflowError> {
        if let Some((version, at)) = self.version.lock().await.as_ref()
            && at.elapsed() < VERSION_TTL
        {
            return Ok(version.clone());
        }
        let version = self.version().await?;
        *self.version.lock().await = Some((version.clone(), std::time::Instant::now()));
        Ok(version)
    }

    /// Every DAG bundle and its team (Airflow 3.4+: `GET /api/v2/dagBundles`), page by page.
    pub async fn all_dag_bundles(&self) -> Result<Vec<DagBundle>, AirflowError> {
        self.every_page::<DagBundleCollection>("/api/v2/dagBundles", "name", Vec::new())
            .await
    }

    /// `GET /api/v2/monitor/health` (no credentials needed).
    pub async fn health(&self) -> Result<serde_json::Value, AirflowError> {
        let response = self
            .send(self.http.get(self.url("/api/v2/monitor/health")))
            .await?;
        self.decode(response).await
    }

    /// One page of DAGs the credentials may see, ordered by id.
    pub async fn dags_page(&self, offset: u64) -> Result<DagCollection, AirflowError> {
        let query = [
            ("limit", PAGE_SIZE.to_string()),
            ("offset", offset.to_string()),
            ("order_by", "dag_id".to_string()),
        ];
        self.call(Method::GET, "/api/v2/dags", &query, None).await
    }

    /// Every DAG the credentials may see, page by page.
    pub async fn all_dags(&self) -> Result<Vec<Dag>, AirflowError> {
        self.every_page::<DagCollection>("/api/v2/dags", "dag_id", Vec::new())
            .await
    }

    /// Every run of every visible DAG with `run_after` at or after `since` (RFC 3339),
    /// newest first, page by page.
    pub async fn runs_since(&self, since: &str) -> Result<Vec<DagRun>, AirflowError> {
        let filters = vec![("run_after_gte", since.to_string())];
        self.every_page::<DagRunCollection>("/api/v2/dags/~/dagRuns", "-run_after", filters)
            .await
    }

    /// A DAG's latest `limit` runs, however old.
    pub async fn latest_runs(&self, dag_id: &str, limit: u32) -> Result<Vec<DagRun>, AirflowError> {
        let path = api_path(&["dags", dag_id, "dagRuns"]);
        let query = [
            ("limit", limit.to_string()),
            ("order_by", "-run_after".to_string()),
        ];
        let page: DagRunCollection = self.call(Method::GET, &path, &query, None).await?;
        Ok(page.dag_runs)
    }

    /// Task instances of runs with `run_after` at or after `run_after_since`; with
    /// `updated_since`, only those Airflow changed since then (the incremental sync).
    pub async fn task_instances(
        &self,
        run_after_since: &str,
        updated_since: Option<&str>,
    ) -> Result<Vec<TaskInstance>, AirflowError> {
        let mut filters = vec![("run_after_gte", run_after_since.to_string())];
        if let Some(updated) = updated_since {
            filters.push(("updated_at_gte", updated.to_string()));
        }
        let path = "/api/v2/dags/~/dagRuns/~/taskInstances";
        self.every_page::<TaskInstanceCollection>(path, "id", filters)
            .await
    }

    /// `PATCH /dags/{id}`: pauses or unpauses, returning the DAG as Airflow now has it.
    pub async fn set_paused(&self, dag_id: &str, paused: bool) -> Result<Dag, AirflowError> {
        let path = api_path(&["dags", dag_id]);
        let query = [("update_mask", "is_paused".to_string())];
        let body = serde_json::json!({ "is_paused": paused });
        self.call(Method::PATCH, &path, &query, Some(&body)).await
    }

    /// `POST /dags/{id}/dagRuns`: the new run as Airflow created it.
    pub async fn trigger(&self, dag_id: &str, body: &TriggerBody) -> Result<DagRun, AirflowError> {
        let path = api_path(&["dags", dag_id, "dagRuns"]);
        let body = serde_json::to_value(body).expect("a trigger body is JSON");
        self.call(Method::POST, &path, &[], Some(&body)).await
    }

    /// `POST /dags/{id}/clearTaskInstances` for one run's failed tasks (and the run set back
    /// to queued): the task instances Airflow cleared.
    pub async fn clear_failed(
        &self,
        dag_id: &str,
        run_id: &str,
    ) -> Result<Vec<TaskInstance>, AirflowError> {
        let path = api_path(&["dags", dag_id, "clearTaskInstances"]);
        let body = serde_json::json!({
            "dry_run": false,
            "dag_run_id": run_id,
            "only_failed": true,
            "reset_dag_runs": true,
        });
        let cleared: TaskInstanceCollection =
            self.call(Method::POST, &path, &[], Some(&body)).await?;
        Ok(cleared.task_instances)
    }

    /// `PATCH /dags/{id}/dagRuns/{run}`: marks the run `success` or `failed`.
    pub async fn set_run_state(
        &self,
        dag_id: &str,
        run_id: &str,
        state: &str,
    ) -> Result<DagRun, AirflowError> {
        let path = api_path(&["dags", dag_id, "dagRuns", run_id]);
        let query = [("update_mask", "state".to_string())];
        let body = serde_json::json!({ "state": state });
        self.call(Method::PATCH, &path, &query, Some(&body)).await
    }

    /// `GET .../logs/{try}` as Airflow's NDJSON stream: one JSON event per line, read as it
    /// arrives (see [`LogLines`]), so a reader stops after the lines it needs and never holds
    /// the whole log. A log is read from its start; `timeout` bounds the whole read (Airflow
    /// reads a large log through before it sends the first line).
    pub async fn task_log_lines(
        &self,
        attempt: &TaskAttempt<'_>,
        timeout: Duration,
    ) -> Result<LogLines, AirflowError> {
        let path = attempt.log_path();
        let query = [("map_index", attempt.map_index.to_string())];
        let response = self
            .open(
                Method::GET,
                &path,
                &query,
                Some("application/x-ndjson"),
                timeout,
            )
            .await?;
        Ok(LogLines::new(response, self.env.clone(), timeout))
    }

    /// `GET .../logs/{try}` as JSON: what a running try logged after `token` (from its start
    /// without one), and the token to read on from. The answer is read up to `max_bytes`:
    /// a larger one is refused (a try that logged that much since the last read is followed
    /// no further).
    pub async fn task_log_after(
        &self,
        attempt: &TaskAttempt<'_>,
        token: Option<&str>,
        max_bytes: usize,
    ) -> Result<TaskLog, AirflowError> {
        let path = attempt.log_path();
        let mut query = vec![("map_index", attempt.map_index.to_string())];
        if let Some(token) = token {
            query.push(("token", token.to_string()));
        }
        self.get_json_at_most(&path, &query, max_bytes).await
    }

    /// `GET /dags/{id}/tasks`: every task of the DAG's latest version (Airflow does not page
    /// this list).
    pub async fn dag_tasks(&self, dag_id: &str) -> Result<Vec<DagTask>, AirflowError> {
        let path = api_path(&["dags", dag_id, "tasks"]);
        let tasks: DagTaskCollection = self.call(Method::GET, &path, &[], None).await?;
        Ok(tasks.tasks)
    }

    /// One page of every DAG's versions, newest first (ids are time-ordered).
    pub async fn dag_versions_newest(
        &self,
        offset: u64,
    ) -> Result<DagVersionCollection, AirflowError> {
        let query = [
            ("limit", PAGE_SIZE.to_string()),
            ("offset", offset.to_string()),
            ("order_by", "-id".to_string()),
        ];
        self.call(Method::GET, "/api/v2/dags/~/dagVersions", &query, None)
            .await
    }

    /// `GET /dagSources/{dag_id}`: the DAG file's code as Airflow keeps it with `version`
    /// (the latest without one), read up to `max_bytes`.
    pub async fn dag_source(
        &self,
        dag_id: &str,
        version: Option<i64>,
        max_bytes: usize,
    ) -> Result<DagSource, AirflowError> {
        let path = api_path(&["dagSources", dag_id]);
        let query: Vec<(&str, String)> = version
            .map(|v| vec![("version_number", v.to_string())])
            .unwrap_or_default();
        self.get_json_at_most(&path, &query, max_bytes).await
    }

    /// A GET whose JSON answer is read up to `max_bytes` (a larger one is refused, not read).
    async fn get_json_at_most<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        max_bytes: usize,
    ) -> Result<T, AirflowError> {
        let response = self
            .open(
                Method::GET,
                path,
                query,
                Some("application/json"),
                self.timeout,
            )
            .await?;
        let bytes = self.read_at_most(response, max_bytes).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            self.failed(AirflowError::Invalid {
                env: self.env.clone(),
                reason: e.to_string(),
            })
        })
    }

    /// The DAG versions one run used (`GET /dags/{id}/dagRuns/{run}`).
    pub async fn run_versions(
        &self,
        dag_id: &str,
        run_id: &str,
    ) -> Result<RunVersions, AirflowError> {
        let path = api_path(&["dags", dag_id, "dagRuns", run_id]);
        self.call(Method::GET, &path, &[], None).await
    }

    /// `POST /dags/{id}/clearTaskInstances` with `body` (Airflow's own: `dry_run`,
    /// `task_ids`, `include_upstream`, …): the task instances it cleared, or with `dry_run`
    /// would clear.
    pub async fn clear_task_instances(
        &self,
        dag_id: &str,
        body: &serde_json::Value,
    ) -> Result<Vec<TaskInstance>, AirflowError> {
        let path = api_path(&["dags", dag_id, "clearTaskInstances"]);
        let cleared: TaskInstanceCollection =
            self.call(Method::POST, &path, &[], Some(body)).await?;
        Ok(cleared.task_instances)
    }

    /// `PATCH .../taskInstances/{task}[/{map_index}]`: sets the state of one task instance
    /// (`map_index` < 0: an unmapped task); the task instances Airflow changed.
    pub async fn set_task_state(
        &self,
        attempt: &TaskAttempt<'_>,
        state: &str,
    ) -> Result<Vec<TaskInstance>, AirflowError> {
        let mut segments = vec![
            "dags",
            attempt.dag_id,
            "dagRuns",
            attempt.run_id,
            "taskInstances",
            attempt.task_id,
        ];
        let map_index = attempt.map_index.to_string();
        if attempt.map_index >= 0 {
            segments.push(&map_index);
        }
        let query = [("update_mask", "new_state".to_string())];
        let body = serde_json::json!({ "new_state": state });
        let changed: TaskInstanceCollection = self
            .call(Method::PATCH, &api_path(&segments), &query, Some(&body))
            .await?;
        Ok(changed.task_instances)
    }

    /// Every pool, page by page.
    pub async fn all_pools(&self) -> Result<Vec<Pool>, AirflowError> {
        self.every_page::<PoolCollection>("/api/v2/pools", "name", Vec::new())
            .await
    }

    /// `POST /pools`.
    pub async fn create_pool(&self, body: &serde_json::Value) -> Result<Pool, AirflowError> {
        self.call(Method::POST, "/api/v2/pools", &[], Some(body))
            .await
    }

    /// `PATCH /pools/{name}` of slots, description and deferred counting.
    pub async fn update_pool(
        &self,
        name: &str,
        body: &serde_json::Value,
    ) -> Result<Pool, AirflowError> {
        let path = api_path(&["pools", name]);
        // One `update_mask` per field: a comma-separated list is silently ignored.
        let query = [
            ("update_mask", "slots".to_string()),
            ("update_mask", "description".to_string()),
            ("update_mask", "include_deferred".to_string()),
        ];
        self.call(Method::PATCH, &path, &query, Some(body)).await
    }

    /// `DELETE /pools/{name}` (Airflow answers 204, no body).
    pub async fn delete_pool(&self, name: &str) -> Result<(), AirflowError> {
        let path = api_path(&["pools", name]);
        self.call::<serde::de::IgnoredAny>(Method::DELETE, &path, &[], None)
            .await
            .map(|_| ())
    }

    /// Every connection, page by page (passwords and secret extras come back masked).
    pub async fn all_connections(&self) -> Result<Vec<Connection>, AirflowError> {
        self.every_page::<ConnectionCollection>("/api/v2/connections", "connection_id", Vec::new())
            .await
    }

    /// `POST /connections`.
    pub async fn create_connection(
        &self,
        body: &serde_json::Value,
    ) -> Result<Connection, AirflowError> {
        self.call(Method::POST, "/api/v2/connections", &[], Some(body))
            .await
    }

    /// `PATCH /connections/{id}`: only the fields in `body` change (a password left out is
    /// kept).
    pub async fn update_connection(
        &self,
        connection_id: &str,
        body: &serde_json::Value,
    ) -> Result<Connection, AirflowError> {
        let path = api_path(&["connections", connection_id]);
        self.call(Method::PATCH, &path, &[], Some(body)).await
    }

    /// `DELETE /connections/{id}`.
    pub async fn delete_connection(&self, connection_id: &str) -> Result<(), AirflowError> {
        let path = api_path(&["connections", connection_id]);
        self.call::<serde::de::IgnoredAny>(Method::DELETE, &path, &[], None)
            .await
            .map(|_| ())
    }

    /// `GET /dags/{id}/details`: documentation and run parameters.
    pub async fn dag_details(&self, dag_id: &str) -> Result<DagDetails, AirflowError> {
        let path = api_path(&["dags", dag_id, "details"]);
        self.call(Method::GET, &path, &[], None).await
    }

    /// Every current import error, page by page.
    pub async fn all_import_errors(&self) -> Result<Vec<ImportError>, AirflowError> {
        self.every_page::<ImportErrorCollection>("/api/v2/importErrors", "id", Vec::new())
            .await
    }

    /// Every variable's key and description, page by page (values are not kept).
    pub async fn all_variables(&self) -> Result<Vec<Variable>, AirflowError> {
        self.every_page::<VariableCollection>("/api/v2/variables", "key", Vec::new())
            .await
    }

    /// `GET /variables/{key}`: one variable with its value (Airflow masks secret-looking keys).
    pub async fn variable(&self, key: &str) -> Result<VariableWithValue, AirflowError> {
        let path = api_path(&["variables", key]);
        self.call(Method::GET, &path, &[], None).await
    }

    /// `POST /variables`.
    pub async fn create_variable(
        &self,
        body: &serde_json::Value,
    ) -> Result<Variable, AirflowError> {
        self.call(Method::POST, "/api/v2/variables", &[], Some(body))
            .await
    }

    /// `PATCH /variables/{key}` of exactly `fields`. Airflow wants a value in every body; the
    /// mask makes it apply only what is meant (a description-only edit keeps the value).
    pub async fn update_variable(
        &self,
        key: &str,
        body: &serde_json::Value,
        fields: &[&str],
    ) -> Result<Variable, AirflowError> {
        let path = api_path(&["variables", key]);
        // One `update_mask` per field: a comma-separated list is silently ignored.
        let query: Vec<(&str, String)> = fields
            .iter()
            .map(|field| ("update_mask", field.to_string()))
            .collect();
        self.call(Method::PATCH, &path, &query, Some(body)).await
    }

    /// `DELETE /variables/{key}`.
    pub async fn delete_variable(&self, key: &str) -> Result<(), AirflowError> {
        let path = api_path(&["variables", key]);
        self.call::<serde::de::IgnoredAny>(Method::DELETE, &path, &[], None)
            .await
            .map(|_| ())
    }

    /// Every item of a paged list, `PAGE_SIZE` at a time in a stable order, until Airflow's
    /// `total_entries` are read (or a page comes back empty).
    async fn every_page<P: Paged>(
        &self,
        path: &str,
        order_by: &str,
        filters: Vec<(&str, String)>,
    ) -> Result<Vec<P::Item>, AirflowError> {
        let mut items = Vec::new();
        loop {
            let mut query = vec![
                ("limit", PAGE_SIZE.to_string()),
                ("offset", items.len().to_string()),
                ("order_by", order_by.to_string()),
            ];
            query.extend(filters.iter().cloned());
            let (page, total) = self
                .call::<P>(Method::GET, path, &query, None)
                .await?
                .into_parts();
            let done = page.is_empty() || (items.len() + page.len()) as u64 >= total;
            items.extend(page);
            if done {
                return Ok(items);
            }
        }
    }

    /// Calls the API with a bearer token; on 401/403 renews the token once and retries.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<T, AirflowError> {
        let mut renewed = false;
        loop {
            let token = self.bearer(renewed).await?;
            let mut request = self
                .http
                .request(method.clone(), self.url(path))
                .query(query)
                .bearer_auth(token.expose());
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = self.send(request).await?;
            let status = response.status();
            if (status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN) && !renewed {
                tracing::info!(env = %self.env, %status, "Airflow refused the token; renewing it once");
                renewed = true;
                continue;
            }
            return self.decode(response).await;
        }
    }

    /// Like [`Self::call`], but hands back the successful response unread (its body may be
    /// large or a stream); `timeout` bounds the whole exchange, body included.
    async fn open(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        accept: Option<&str>,
        timeout: Duration,
    ) -> Result<reqwest::Response, AirflowError> {
        let mut renewed = false;
        loop {
            let token = self.bearer(renewed).await?;
            let mut request = self
                .http
                .request(method.clone(), self.url(path))
                .query(query)
                .timeout(timeout)
                .bearer_auth(token.expose());
            if let Some(accept) = accept {
                request = request.header(reqwest::header::ACCEPT, accept);
            }
            let response = self.send(request).await?;
            let status = response.status();
            if (status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN) && !renewed {
                tracing::info!(env = %self.env, %status, "Airflow refused the token; renewing it once");
                renewed = true;
                continue;
            }
            if status.is_success() {
                return Ok(response);
            }
            // A failed status always decodes to its error.
            let error = self.decode::<serde::de::IgnoredAny>(response).await.err();
            return Err(error.unwrap_or_else(|| AirflowError::Rejected {
                env: self.env.clone(),
                status: status.as_u16(),
                detail: String::new(),
            }));
        }
    }

    /// A response's body, refused beyond `max_bytes` (read chunk by chunk, never more).
    async fn read_at_most(
        &self,
        mut response: reqwest::Response,
        max_bytes: usize,
    ) -> Result<Vec<u8>, AirflowError> {
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(e))?
        {
            if body.len() + chunk.len() > max_bytes {
                return Err(self.failed(AirflowError::TooLarge {
                    env: self.env.clone(),
                    limit: max_bytes,
                }));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// The current token, or a new one when it is due for renewal or `force_new` is set.
    async fn bearer(&self, force_new: bool) -> Result<Secret, AirflowError> {
        let mut cached = self.token.lock().await;
        if !force_new
            && let Some(token) = cached.as_ref()
            && SystemTime::now() < token.renew_at
        {
            return Ok(token.value.clone());
        }
        let value = match &self.credentials {
            AirflowCredentials::Password { username, password } => {
                self.fetch_token(username, password).await?
            }
            AirflowCredentials::TokenFile(path) => self.read_token_file(path).await?,
        };
        let renew_at = renewal_time(value.expose(), SystemTime::now());
        // A new sign-in: the version is read again at the next detection.
        *self.version.lock().await = None;
        *cached = Some(CachedToken {
            value: value.clone(),
            renew_at,
        });
        Ok(value)
    }

    async fn fetch_token(&self, username: &str, password: &Secret) -> Result<Secret, AirflowError> {
        let body = serde_json::json!({ "username": username, "password": password.expose() });
        let response = self
            .send(self.http.post(self.url("/auth/token")).json(&body))
            .await?;
        match response.status() {
            // Airflow answers 201; accept any success.
            status if status.is_success() => {
                let token: TokenResponse = self.decode(response).await?;
                Ok(Secret::new(token.access_token))
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                Err(self.failed(AirflowError::Unauthorized {
                    env: self.env.clone(),
                }))
            }
            _ => self.decode::<serde_json::Value>(response).await.and(Err(
                AirflowError::Unauthorized {
                    env: self.env.clone(),
                },
            )),
        }
    }

    async fn read_token_file(&self, path: &PathBuf) -> Result<Secret, AirflowError> {
        let text =
            tokio::fs::read_to_string(path)
                .await
                .map_err(|e| AirflowError::Unreachable {
                    env: self.env.clone(),
                    reason: format!("cannot read the token file {}: {e}", path.display()),
                })?;
        Ok(Secret::new(text.trim()))
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let base_path = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base_path}{path}"));
        url
    }

    /// Counts a failed call for the metrics and hands the error back.
    fn failed(&self, error: AirflowError) -> AirflowError {
        self.metrics.airflow_error(&self.env, error.kind());
        error
    }

    fn transport_error(&self, error: reqwest::Error) -> AirflowError {
        self.failed(self.transport_failure(error))
    }

    fn transport_failure(&self, error: reqwest::Error) -> AirflowError {
        if error.is_timeout() {
            AirflowError::Timeout {
                env: self.env.clone(),
                seconds: self.timeout.as_secs().max(1),
            }
        } else {
            let reason = if let Some(problem) = crate::tls::problem(&error) {
                problem.outbound_sentence("the server's")
            } else if error.is_connect() {
                "connection refused or no route".into()
            } else {
                error.without_url().to_string()
            };
            AirflowError::Unreachable {
                env: self.env.clone(),
                reason,
            }
        }
    }

    async fn decode<T: DeserializeOwned>(
        &self,
        response: reqwest::Response,
    ) -> Result<T, AirflowError> {
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        let env = self.env.clone();
        // A 204 has no body; it reads as JSON null.
        let bytes = if bytes.is_empty() {
            bytes::Bytes::from_static(b"null")
        } else {
            bytes
        };
        let decoded = match status {
            status if status.is_success() => {
                serde_json::from_slice(&bytes).map_err(|e| AirflowError::Invalid {
                    env,
                    reason: format!("{e}"),
                })
            }
            StatusCode::UNAUTHORIZED => Err(AirflowError::Unauthorized { env }),
            StatusCode::FORBIDDEN => Err(AirflowError::Forbidden { env }),
            StatusCode::NOT_FOUND => Err(AirflowError::NotFound { env }),
            StatusCode::CONFLICT => Err(AirflowError::Conflict { env }),
            status => Err(AirflowError::Rejected {
                env,
                status: status.as_u16(),
                detail: error_detail(&bytes),
            }),
        };
        decoded.map_err(|error| self.failed(error))
    }
}

/// An API path from raw segments, each percent-encoded (run ids hold `+` and `:`).
pub fn api_path(segments: &[&str]) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let mut path = String::from("/api/v2");
    for segment in segments {
        path.push('/');
        path.extend(percent_encoding::utf8_percent_encode(segment, SEGMENT));
    }
    path
}

/// When to renew a JWT: `RENEW_BEFORE` ahead of its `exp`, or after `UNKNOWN_LIFETIME` when
/// the token's lifetime cannot be read (not a JWT, or no `exp`).
pub fn renewal_time(token: &str, now: SystemTime) -> SystemTime {
    let exp = token
        .split('.')
        .nth(1)
        .and_then(|payload| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .ok()
        })
        .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok())
        .and_then(|claims| claims.get("exp").and_then(|e| e.as_u64()))
        .map(|exp| UNIX_EPOCH + Duration::from_secs(exp));
    match exp {
        Some(exp) => exp
            .checked_sub(RENEW_BEFORE)
            .filter(|at| *at > now)
            .unwrap_or(now),
        None => now + UNKNOWN_LIFETIME,
    }
}

/// Airflow's error body is `{"detail": "..."}` or, for validation errors, a list of issues.
fn error_detail(body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::from_utf8_lossy(body).chars().take(300).collect();
    };
    match value.get("detail") {
        Some(serde_json::Value::String(detail)) => detail.clone(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|item| {
                let place = item
                    .get("loc")
                    .and_then(|l| l.as_array())
                    .map(|l| {
                        l.iter()
                            .map(|p| p.to_string().trim_matches('"').to_string())
                            .collect::<Vec<_>>()
                            .join(".")
                    })
                    .unwrap_or_default();
                let message = item
                    .get("msg")
                    .and_then(|m| m.as_str())
                    .unwrap_or("invalid");
                if place.is_empty() {
                    message.to_string()
                } else {
                    format!("{place}: {message}")
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => value.to_string().chars().take(300).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: serde_json::Value) -> String {
        let encode = |v: &serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        format!(
            "{}.{}.sig",
            encode(&serde_json::json!({"alg": "HS512"})),
            encode(&claims)
        )
    }

    #[test]
    fn tokens_renew_five_minutes_before_expiry() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let token = jwt(serde_json::json!({ "exp": 1_000_000 + 86_400 }));
        assert_eq!(
            renewal_time(&token, now),
            now + Duration::from_secs(86_400 - 300)
        );
    }

    #[test]
    fn nearly_expired_and_unreadable_tokens() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let soon = jwt(serde_json::json!({ "exp": 1_000_000 + 60 }));
        assert_eq!(renewal_time(&soon, now), now, "renew right away");
        assert_eq!(renewal_time("not-a-jwt", now), now + UNKNOWN_LIFETIME);
        assert_eq!(
            renewal_time(&jwt(serde_json::json!({})), now),
            now + UNKNOWN_LIFETIME
        );
    }

    #[test]
    fn airflow_error_bodies_read_well() {
        assert_eq!(error_detail(br#"{"detail": "Pool exists"}"#), "Pool exists");
        assert_eq!(
            error_detail(
                br#"{"detail": [{"loc": ["body", "logical_date"], "msg": "Field required"}]}"#
            ),
            "body.logical_date: Field required"
        );
        assert_eq!(
            error_detail(b"<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }
}
