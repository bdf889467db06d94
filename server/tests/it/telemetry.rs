//! OpenTelemetry (`[telemetry] otlp_endpoint`): the real `hangar serve` exports its spans to
//! a local OTLP/HTTP receiver, the request span carries the request id Hangar answered with,
//! and calls to Airflow (here a local stand-in that records headers) carry a W3C
//! `traceparent` of a trace that was exported.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::support;

/// Serves `router` on a loopback port; returns its address.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_the_collector_with_the_request_id_and_airflow_gets_the_trace_context() {
    // The OTLP receiver: every body posted to /v1/traces, as sent (protobuf).
    let exported: Arc<Mutex<Vec<Bytes>>> = Arc::default();
    let receiver = {
        let exported = exported.clone();
        serve(Router::new().route(
            "/v1/traces",
            post(move |body: Bytes| {
                let exported = exported.clone();
                async move {
                    exported.lock().unwrap().push(body);
                    ""
                }
            }),
        ))
        .await
    };
    // Airflow's stand-in: answers the calls the sync starts with, records trace headers.
    let traceparents: Arc<Mutex<Vec<String>>> = Arc::default();
    let airflow = {
        let seen = traceparents.clone();
        let record = move |headers: HeaderMap| {
            if let Some(value) = headers.get("traceparent") {
                seen.lock()
                    .unwrap()
                    .push(value.to_str().unwrap().to_string());
            }
        };
        let health = record.clone();
        let version = record.clone();
        serve(
            Router::new()
                .route(
                    "/api/v2/monitor/health",
                    get(move |headers: HeaderMap| async move {
                        health(headers);
                        Json(serde_json::json!({"metadatabase": {"status": "healthy"}}))
                    }),
                )
                .route(
                    "/auth/token",
                    post(|| async { Json(serde_json::json!({"access_token": "t"})) }),
                )
                .route(
                    "/api/v2/version",
                    get(move |headers: HeaderMap| async move {
                        version(headers);
                        Json(serde_json::json!({"version": "3.3.2"}))
                    }),
                ),
        )
        .await
    };

    let dir = tempfile::tempdir().unwrap();
    let port = support::idp::free_port();
    let config = dir.path().join("hangar.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[server]
listen = "127.0.0.1:{port}"
site_root = "{site}"
[database]
url = "sqlite://{db}"
[oidc]
issuer = "http://127.0.0.1:{idp}"
client_id = "hangar"
client_secret = "unused"
[[teams]]
name = "team_a"
[[airflow]]
name = "main"
base_url = "{airflow}"
username = "hangar"
password = "unused"
team = "team_a"
[telemetry]
otlp_endpoint = "{receiver}/v1/traces"
service_name = "hangar-test"
"#,
            site = dir.path().join("site").display(),
            db = dir.path().join("hangar.db").display(),
            idp = support::idp::free_port(),
        ),
    )
    .unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(["serve", "--config"])
        .arg(&config)
        .env_remove("HANGAR_CONFIG")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/healthz");
    let mut request_id = None;
    for _ in 0..300 {
        if let Ok(response) = client.get(&url).send().await {
            request_id = Some(
                response.headers()["x-request-id"]
                    .to_str()
                    .unwrap()
                    .to_string(),
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let request_id = request_id.expect("hangar serve answered");
    // The sync's first calls (health, version) come within a moment of starting.
    for _ in 0..300 {
        if !traceparents.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let traceparent = traceparents
        .lock()
        .unwrap()
        .first()
        .cloned()
        .expect("Airflow received a traceparent");
    // version-traceid-spanid-flags, sampled.
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceparent}");
    assert_eq!(parts[0], "00");
    assert_eq!(parts[3], "01", "sampled: {traceparent}");
    let trace_id = hex::decode(parts[1]).unwrap();

    // SIGTERM: the server stops and sends what it still buffers.
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&server),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let status = tokio::task::spawn_blocking(move || server.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");

    let bodies = exported.lock().unwrap().concat();
    let contains = |needle: &[u8]| bodies.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"hangar-test"), "the service name is exported");
    assert!(
        contains(b"request_id") && contains(request_id.as_bytes()),
        "the request span carries the request id {request_id}"
    );
    assert!(
        contains(&trace_id),
        "the trace Airflow was told of ({traceparent}) was exported"
    );
}
