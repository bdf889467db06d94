//! How Hangar answers on the wire: compressed pages and JSON (never a compressed event
//! stream), and, with `[server] tls_cert_file` / `tls_key_file`, HTTPS with HTTP/2 whose
//! certificate is replaced without a restart.

use std::sync::Arc;
use std::time::Duration;

use crate::support;

use hangar_server::clock::ManualClock;
use hangar_server::config::Config;
use support::tls::TestCa;
use support::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_json_are_compressed_event_streams_are_not() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let author = app.signed_in("author").await;
    let fetch = |path: &'static str, encoding: &'static str| {
        let client = author.client.clone();
        let url = author.url(path);
        async move {
            client
                .get(url)
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap()
        }
    };
    let encoding = |response: &reqwest::Response| {
        response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string())
    };

    let page = fetch("/t/team_a", "gzip").await;
    assert_eq!(page.status(), 200);
    assert_eq!(encoding(&page).as_deref(), Some("gzip"));
    let body = page.bytes().await.unwrap();
    assert_eq!(&body[..2], &[0x1f, 0x8b], "a gzip stream");

    let page = fetch("/t/team_a", "br").await;
    assert_eq!(encoding(&page).as_deref(), Some("br"));

    let json = fetch("/api/v1/openapi.json", "gzip, br").await;
    assert_eq!(json.status(), 200);
    assert!(encoding(&json).is_some(), "JSON is compressed");

    let plain = fetch("/t/team_a", "identity").await;
    assert_eq!(encoding(&plain), None);
    assert!(plain.text().await.unwrap().contains("<html"));

    // The live-update stream: never compressed, or events would wait in a buffer.
    let mut stream = fetch("/t/team_a/events", "gzip, br").await;
    assert_eq!(stream.status(), 200);
    assert_eq!(
        stream.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    assert_eq!(encoding(&stream), None);
    let first = tokio::time::timeout(Duration::from_secs(30), stream.chunk())
        .await
        .expect("the stream sends at once")
        .unwrap()
        .unwrap();
    assert!(
        std::str::from_utf8(&first).is_ok(),
        "plain text events: {first:?}"
    );
}

/// The configuration of an app serving TLS itself on `port` with the given files; the
/// identity provider is not needed for what these tests ask.
fn tls_config(
    dir: &std::path::Path,
    port: u16,
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Config {
    let toml = format!(
        r#"
[server]
listen = "127.0.0.1:{port}"
public_url = "https://127.0.0.1:{port}"
site_root = "{site}"
tls_cert_file = "{cert}"
tls_key_file = "{key}"

[database]
url = "sqlite://{db}"

[oidc]
issuer = "http://127.0.0.1:{idp}"
client_id = "hangar"
client_secret = "unused"
"#,
        site = dir.join("site").display(),
        cert = cert.display(),
        key = key.display(),
        db = dir.join("hangar.db").display(),
        idp = support::idp::free_port(),
    );
    let file = dir.join("hangar.toml");
    std::fs::write(&file, &toml).unwrap();
    Config::from_toml(&file, &toml, Vec::new()).expect("a valid configuration")
}

/// The certificate the server presented on a fresh connection, and the HTTP version used.
async fn presented(url: &str, ca: &TestCa) -> (Vec<u8>, reqwest::Version, reqwest::Response) {
    let client = reqwest::Client::builder()
        .add_root_certificate(ca.reqwest_certificate())
        .tls_info(true)
        // A fresh connection each time: a kept one would show the old certificate.
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let response = client.get(url).send().await.unwrap();
    let certificate = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .unwrap()
        .to_vec();
    (certificate, response.version(), response)
}

fn der(pem: &str) -> Vec<u8> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_http2_and_a_renewed_certificate_served_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let first = ca.issue(&["127.0.0.1"]);
    let (cert, key) = first.write(dir.path(), "server");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = tls_config(dir.path(), port, &cert, &key);
    let tls = config.server.tls.clone();
    assert!(tls.is_some());
    let (router, state) = hangar_server::build_with(
        config,
        Arc::new(ManualClock::default()),
        hangar_server::SyncLoops::Off,
    )
    .await
    .unwrap();
    tokio::spawn(hangar_server::serve(
        listener,
        router,
        tls,
        std::future::pending(),
    ));
    let url = format!("https://127.0.0.1:{port}/healthz");

    // The edge knows who is calling over HTTPS too: a junk token's refusal is sampled under
    // the client's address (one address for everyone would share one rate limit).
    let refused = reqwest::Client::builder()
        .add_root_certificate(ca.reqwest_certificate())
        .build()
        .unwrap()
        .get(format!("https://127.0.0.1:{port}/api/v1/teams/team_a/dags"))
        .bearer_auth("hgr_junk_token_junk_token")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let sampled = hangar_server::audit::entries_after(&state.db, 0, 1_000)
        .await
        .unwrap()
        .into_iter()
        .find(|entry| entry.action == "api.denied")
        .expect("the refusal is sampled");
    let detail = sampled.detail.unwrap_or_default();
    assert!(detail.contains("from 127.0.0.1"), "{detail}");

    let (certificate, version, response) = presented(&url, &ca).await;
    assert_eq!(response.status(), 200);
    assert_eq!(version, reqwest::Version::HTTP_2, "h2 through ALPN");
    assert_eq!(certificate, der(&first.cert_pem));
    assert!(
        response.headers().contains_key("strict-transport-security"),
        "HSTS over https"
    );
    // A client that speaks only HTTP/1.1 is served too.
    let http1 = reqwest::Client::builder()
        .add_root_certificate(ca.reqwest_certificate())
        .http1_only()
        .build()
        .unwrap()
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(http1.version(), reqwest::Version::HTTP_11);
    assert_eq!(http1.status(), 200);

    // Renewal: new files in place (key first, as a careless script would); the next
    // connection gets the new certificate once the server has looked at the files.
    let renewed = ca.issue(&["127.0.0.1"]);
    std::fs::write(&key, &renewed.key_pem).unwrap();
    std::fs::write(&cert, &renewed.cert_pem).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (certificate, _, response) = presented(&url, &ca).await;
        assert_eq!(response.status(), 200);
        if certificate == der(&renewed.cert_pem) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the renewed certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let (cert, _) = ca.issue(&["127.0.0.1"]).write(dir.path(), "server");
    let (_, other_key) = ca.issue(&["127.0.0.1"]).write(dir.path(), "other");
    let toml = format!(
        "[server]\ntls_cert_file = \"{}\"\ntls_key_file = \"{}\"\n\
         [oidc]\nissuer = \"https://idp.example.com\"\nclient_id = \"h\"\nclient_secret = \"s\"\n",
        cert.display(),
        other_key.display()
    );
    let file = dir.path().join("hangar.toml");
    let error = Config::from_toml(&file, &toml, Vec::new()).unwrap_err();
    assert_eq!(error.key, "server.tls_key_file", "{error}");
    assert!(
        error.message.contains("does not fit the certificate"),
        "{error}"
    );
    // Without a key at all, the missing key is named.
    let toml = toml.replace(&format!("tls_key_file = \"{}\"\n", other_key.display()), "");
    let error = Config::from_toml(&file, &toml, Vec::new()).unwrap_err();
    assert_eq!(error.key, "server.tls_key_file", "{error}");
}
