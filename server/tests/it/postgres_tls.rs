//! Hangar against a PostgreSQL that accepts TLS only (`make test` starts it: `hostssl` lines
//! and nothing else in pg_hba.conf, certificates from a CA of its own, the server's issued
//! for `localhost` only; end2end/scripts/lib.sh, `start_postgres_tls`). Every `sslmode`
//! does what libpq's does, the connection's real state is what Hangar reports, and a
//! certificate problem reads as a sentence that names the fix.

use crate::support;

use hangar_server::db::{Db, Transport, explain};
use support::{Setup, TestApp};

/// The TLS cluster's URL with `host` and `query`, and the folder of its certificates.
fn tls_url(host: &str, user: &str, query: &str) -> (String, std::path::PathBuf) {
    let base = std::env::var("HANGAR_TEST_POSTGRES_TLS_URL").expect(
        "HANGAR_TEST_POSTGRES_TLS_URL is not set: run `make test`, which starts a TLS-only \
         PostgreSQL next to the plain one",
    );
    let dir = std::path::PathBuf::from(std::env::var("HANGAR_TEST_POSTGRES_TLS_DIR").unwrap());
    let mut url = url::Url::parse(&base).unwrap();
    url.set_host(Some(host)).unwrap();
    url.set_username(user).unwrap();
    url.set_query(Some(query));
    (url.to_string(), dir)
}

fn ca(dir: &std::path::Path) -> String {
    dir.join("ca.crt").display().to_string()
}

async fn connect(url: &str) -> Result<Db, sqlx::Error> {
    Db::connect(url, 1).await
}

/// The connection's state as Hangar reads it back from the server.
async fn transport(url: &str) -> Transport {
    connect(url).await.unwrap().transport().await.unwrap()
}

fn tls_protocol(transport: &Transport) -> &str {
    match transport {
        Transport::Postgres {
            tls: Some((protocol, _)),
            ..
        } => protocol,
        other => panic!("expected a TLS connection, got {other}"),
    }
}

#[tokio::test]
async fn verify_full_with_the_servers_ca_is_encrypted_and_checked() {
    let (_, dir) = tls_url("localhost", "hangar", "");
    let (url, _) = tls_url(
        "localhost",
        "hangar",
        &format!("sslmode=verify-full&sslrootcert={}", ca(&dir)),
    );
    let state = transport(&url).await;
    assert!(tls_protocol(&state).starts_with("TLSv1."), "{state}");
    let text = state.to_string();
    assert!(
        text.contains("server certificate and host name verified") && text.contains("verify-full"),
        "{text}"
    );
}

#[tokio::test]
async fn require_encrypts_without_checking_the_certificate() {
    let (url, _) = tls_url("127.0.0.1", "hangar", "sslmode=require");
    let state = transport(&url).await;
    tls_protocol(&state);
    assert!(state.to_string().contains("NOT verified"), "{state}");
}

#[tokio::test]
async fn prefer_takes_tls_when_offered() {
    let (url, _) = tls_url("127.0.0.1", "hangar", "sslmode=prefer");
    tls_protocol(&transport(&url).await);
}

#[tokio::test]
async fn plain_text_is_refused_by_the_server() {
    let (url, _) = tls_url("127.0.0.1", "hangar", "sslmode=disable");
    let error = connect(&url).await.unwrap_err();
    assert!(explain(&error).contains("no encryption"), "{error}");
}

#[tokio::test]
async fn an_untrusted_certificate_says_which_key_to_set() {
    // Mozilla's roots only: the test CA is nobody's.
    let (url, _) = tls_url("localhost", "hangar", "sslmode=verify-full");
    let error = connect(&url).await.unwrap_err();
    let text = explain(&error);
    assert!(
        text.starts_with(
            "the database server's certificate is not signed by a certificate authority \
             Hangar trusts"
        ) && text.contains("sslrootcert"),
        "{text}"
    );
}

#[tokio::test]
async fn verify_full_and_verify_ca_check_the_host_name() {
    let (_, dir) = tls_url("localhost", "hangar", "");
    let query = |mode: &str| format!("sslmode={mode}&sslrootcert={}", ca(&dir));
    // The certificate names localhost, not 127.0.0.1. Unlike libpq, verify-ca checks the name
    // too (sqlx 0.8.6's exemption misses rustls 0.23.46's form of the error): a test, so
    // that an upgrade that changes it is noticed and docs/deploying.md updated.
    for mode in ["verify-full", "verify-ca"] {
        let (url, _) = tls_url("127.0.0.1", "hangar", &query(mode));
        let text = explain(&connect(&url).await.unwrap_err());
        assert!(
            text.contains("certificate is not issued for this host name")
                && text.contains("connect through a name the certificate carries"),
            "{mode}: {text}"
        );
    }
    let (url, _) = tls_url("localhost", "hangar", &query("verify-ca"));
    let state = transport(&url).await;
    assert!(state.to_string().contains("sslmode=verify-ca"), "{state}");
}

#[tokio::test]
async fn the_tls_section_ca_file_verifies_the_server_when_the_url_names_none() {
    let (_, dir) = tls_url("localhost", "hangar", "");
    let (url, _) = tls_url("localhost", "hangar", "sslmode=verify-full");
    let db = Db::open(&url, 1, Some(&dir.join("ca.crt"))).await.unwrap();
    tls_protocol(&db.transport().await.unwrap());
}

#[tokio::test]
async fn a_client_certificate_signs_in() {
    let (_, dir) = tls_url("localhost", "hangar", "");
    let query = format!(
        "sslmode=verify-full&sslrootcert={}&sslcert={}&sslkey={}",
        ca(&dir),
        dir.join("client.crt").display(),
        dir.join("client.key").display()
    );
    let (url, _) = tls_url("localhost", "hangar_cert", &query);
    tls_protocol(&transport(&url).await);
    // The same user without its certificate is turned away.
    let (url, _) = tls_url(
        "localhost",
        "hangar_cert",
        &format!("sslmode=verify-full&sslrootcert={}", ca(&dir)),
    );
    let error = connect(&url).await.unwrap_err();
    assert!(
        explain(&error).contains("requires a valid client certificate"),
        "{error}"
    );
}

#[tokio::test]
async fn prefer_against_a_server_without_tls_is_reported_as_plain_text() {
    let plain = std::env::var("HANGAR_TEST_POSTGRES_URL").unwrap();
    let mut url = url::Url::parse(&plain).unwrap();
    url.set_query(Some("sslmode=prefer"));
    let state = transport(url.as_str()).await;
    assert!(state.is_plain_text_network());
    assert!(state.to_string().contains("PLAIN TEXT"), "{state}");
}

/// The whole app (migrations, sessions, sign-in, a page) on the TLS-only server with
/// `verify-full`, and `hangar check-config` reporting the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hangar_runs_on_the_tls_only_server_and_check_config_reports_it() {
    let (_, certificates) = tls_url("localhost", "hangar", "");
    let (admin, _) = tls_url(
        "localhost",
        "hangar",
        &format!("sslmode=verify-full&sslrootcert={}", ca(&certificates)),
    );
    let database_url = support::fresh_postgres_database(&admin).await;
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_in(
        dir,
        Setup {
            database_url,
            extra_oidc: "",
            extra_toml: "",
            idp_tls: None,
        },
    )
    .await;
    let browser = app.signed_in("author").await;
    assert_eq!(browser.get("/t/team_a").await.status(), 200);

    let output = support::hangar(&["check-config"], &app.config_file());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("database: PostgreSQL over TLS (TLSv1.")
            && stdout.contains("server certificate and host name verified"),
        "{stdout}"
    );
}
