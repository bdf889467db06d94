//! A company's own certificate authority (docs/deploying.md, "Private certificate
//! authorities"): the real identity provider served over HTTPS by node, the real Airflow
//! behind a TLS proxy, and a DAG repository over HTTPS, each with a certificate from a CA
//! that only `[tls] ca_file` names. With the bundle, sign-in, the sync and git work; without
//! it, each says which certificate is not trusted and which key fixes it.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use crate::support;

use hangar_server::airflow::{AirflowClient, AirflowError};
use hangar_server::config::{AirflowCredentials, OutboundTls, Secret};
use hangar_server::deploy::git::{GitError, Network, Repository};
use hangar_server::deploy::testing::WorkRepo;
use support::tls::{TestCa, TlsProxy};
use support::{Setup, TestApp, hangar};

/// The test Airflow's address, to put a TLS proxy in front of it.
fn airflow_address() -> (SocketAddr, String) {
    let url = std::env::var("HANGAR_TEST_AIRFLOW_URL")
        .expect("HANGAR_TEST_AIRFLOW_URL is not set: run `make test`, which starts Airflow");
    let url = url::Url::parse(&url).unwrap();
    let address = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let password = std::env::var("HANGAR_TEST_AIRFLOW_PASSWORD").unwrap();
    (address.parse().unwrap(), password)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_and_sync_work_through_a_private_ca_and_fail_clearly_without_it() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_ca(dir.path());
    let (airflow, password) = airflow_address();
    let proxy = TlsProxy::start(airflow, &ca.issue(&["localhost"])).await;
    let airflow_url = proxy.url("localhost");
    let environment = format!(
        "[[airflow]]\nname = \"main\"\nbase_url = \"{airflow_url}\"\nusername = \"hangar\"\n\
         password = \"{password}\"\n\
         bundles = {{ team_a_dags = \"team_a\", team_a_repo = \"team_a\", team_b_dags = \"team_b\" }}\n\
         shared = [\"shared_dags\"]\n"
    );
    let extra = format!(
        "[tls]\nca_file = \"{}\"\n\n{environment}",
        ca_file.display()
    );
    let database_url = format!("sqlite://{}", dir.path().join("hangar.db").display());
    let app = TestApp::spawn_in(
        dir,
        Setup {
            database_url,
            extra_oidc: "",
            extra_toml: &extra,
            idp_tls: Some(&ca),
        },
    )
    .await;
    assert!(app.idp.issuer.starts_with("https://127.0.0.1:"));

    // Sign-in: discovery, the key set, the token and userinfo calls all go over HTTPS.
    let author = app.signed_in("author").await;
    let page = author.get("/t/team_a").await;
    assert_eq!(page.status(), 200);

    // The sync reads the real Airflow through the proxy.
    app.sync_sample_dags().await;
    let client = app.state.airflow.main("main").unwrap();
    let version = client.version().await.unwrap();
    assert!(version.version.starts_with('3'), "{}", version.version);

    // check-config reaches both with the bundle.
    let config = app.config_file();
    let output = hangar(&["check-config"], &config);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("identity provider: ok"), "{stdout}");
    assert!(
        stdout.contains("airflow main (hangar credentials): ok"),
        "{stdout}"
    );

    // Without the bundle: the provider's certificate is named as untrusted, with the fix.
    let without = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&format!("ca_file = \"{}\"", ca_file.display()), "");
    let config_without = config.with_file_name("without-ca.toml");
    std::fs::write(&config_without, without).unwrap();
    let output = hangar(&["check-config"], &config_without);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "the identity provider's certificate is not signed by a certificate authority \
             Hangar trusts"
        ) && stderr.contains("[tls] ca_file"),
        "{stderr}"
    );

    // With `system_store = true` and no bundle, the system's store decides: the test CA put
    // there (through SSL_CERT_FILE, which the store honours, for this process only) is
    // trusted for the provider and Airflow alike.
    let system = std::fs::read_to_string(&config_without).unwrap().replacen(
        "[tls]\n",
        "[tls]\nsystem_store = true\n",
        1,
    );
    assert!(system.contains("system_store = true"), "{system}");
    let config_system = config.with_file_name("system-store.toml");
    std::fs::write(&config_system, system).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(["check-config", "--config"])
        .arg(&config_system)
        .env_remove("HANGAR_CONFIG")
        .env("SSL_CERT_FILE", &ca_file)
        .env_remove("SSL_CERT_DIR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("airflow main (hangar credentials): ok"),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // And Airflow, the same.
    let untrusting = AirflowClient::new(
        "main",
        url::Url::parse(&airflow_url).unwrap(),
        Duration::from_secs(10),
        AirflowCredentials::Password {
            username: "hangar".into(),
            password: Secret::new(password),
        },
        &OutboundTls::default(),
    )
    .unwrap();
    match untrusting.version().await.unwrap_err() {
        AirflowError::Unreachable { reason, .. } => {
            assert!(
                reason.starts_with(
                    "the server's certificate is not signed by a certificate authority Hangar \
                     trusts"
                ) && reason.contains("[tls] ca_file"),
                "{reason}"
            )
        }
        other => panic!("expected an untrusted certificate, got {other}"),
    }
}

/// A bare repository served over HTTPS (git's "dumb" HTTP protocol: static files, from
/// python's http.server behind the TLS proxy).
struct HttpsRepository {
    _server: tokio::process::Child,
    _proxy: TlsProxy,
    url: String,
}

impl HttpsRepository {
    async fn serve(root: &std::path::Path, ca: &TestCa) -> Self {
        let port = support::idp::free_port();
        let server = tokio::process::Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1"])
            .arg(port.to_string())
            .arg("--directory")
            .arg(root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs");
        let address: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(address).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let proxy = TlsProxy::start(address, &ca.issue(&["localhost"])).await;
        let url = format!("{}/origin.git", proxy.url("localhost"));
        Self {
            _server: server,
            _proxy: proxy,
            url,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_fetches_over_https_with_the_same_bundle() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_ca(dir.path());
    let work = WorkRepo::init(&dir.path().join("work"));
    work.write("team_a/etl.py", "print('etl')\n");
    let commit = work.commit("Alice", "alice@example.com", "first");
    let served = dir.path().join("served");
    std::fs::create_dir(&served).unwrap();
    let bare = served.join("origin.git");
    for args in [
        vec!["clone", "--quiet", "--bare"],
        vec!["--git-dir", "origin.git", "update-server-info"],
    ] {
        let mut command = Command::new("git");
        command
            .current_dir(&served)
            .env("GIT_CONFIG_GLOBAL", "/dev/null");
        command.args(&args);
        if args[0] == "clone" {
            command.arg(&work.dir).arg(&bare);
        }
        assert!(command.status().unwrap().success(), "git {args:?}");
    }
    let repository = HttpsRepository::serve(&served, &ca).await;
    let refspecs = ["+refs/heads/main:refs/heads/main".to_string()];

    let trusting = Repository::open_or_init(&dir.path().join("cache.git"))
        .unwrap()
        .with_network(Network {
            timeout: Duration::from_secs(60),
            ca_file: Some(ca_file),
        });
    let fetch = {
        let trusting = trusting.clone();
        let url = repository.url.clone();
        tokio::task::spawn_blocking(move || trusting.fetch(&url, &refspecs)).await
    };
    fetch.unwrap().unwrap();
    assert_eq!(trusting.resolve("refs/heads/main").unwrap(), Some(commit));

    let untrusting = Repository::open_or_init(&dir.path().join("cache-2.git")).unwrap();
    let url = repository.url.clone();
    let error = tokio::task::spawn_blocking(move || {
        untrusting.fetch(&url, &["+refs/heads/main:refs/heads/main".to_string()])
    })
    .await
    .unwrap()
    .unwrap_err();
    match error {
        GitError::Failed { message, .. } => {
            assert!(message.to_lowercase().contains("certificate"), "{message}")
        }
        other => panic!("expected git to refuse the certificate, got {other}"),
    }
}
