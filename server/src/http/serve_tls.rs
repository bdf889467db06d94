//! Serving HTTPS without a proxy (`[server] tls_cert_file` / `tls_key_file`): TLS 1.2 and
//! 1.3 (rustls), HTTP/2 and HTTP/1.1 offered by ALPN, and the certificate reloaded when its
//! files change, so a renewal (cert-manager, certbot, a rotated Secret) needs no restart.
//!
//! HTTP/2 matters for the live pages: each open tab holds an event stream, and a browser
//! opens at most six HTTP/1.1 connections per origin, so a seventh tab would wait. Over
//! HTTP/2 the streams share one connection.

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::config::ServerTls;

/// How often the certificate files are looked at; a renewed certificate is served within
/// this.
pub const RELOAD_CHECK: Duration = Duration::from_secs(5);

/// A TLS handshake that has not finished after this is dropped (a client that opened a
/// connection and went silent must not hold it).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The certificate being served, swapped when the files change.
#[derive(Debug)]
pub struct ReloadingCertificate {
    files: ServerTls,
    current: RwLock<(Arc<CertifiedKey>, Option<SystemTime>)>,
}

impl ReloadingCertificate {
    /// Loads the pair now; `Err` says which file is wrong.
    pub fn load(files: ServerTls) -> Result<Arc<Self>, String> {
        let key = files
            .load()
            .map_err(|(key, message)| format!("server.{key}: {message}"))?;
        let stamp = stamp(&files);
        Ok(Arc::new(Self {
            files,
            current: RwLock::new((key, stamp)),
        }))
    }

    /// Reloads when either file's modification time changed. A pair that does not load (a
    /// key written before its certificate) is retried at the next check; the old one stays.
    pub fn reload_if_changed(&self) {
        let stamp = stamp(&self.files);
        if stamp == self.current.read().expect("certificate lock").1 {
            return;
        }
        match self.files.load() {
            Ok(key) => {
                *self.current.write().expect("certificate lock") = (key, stamp);
                tracing::info!(
                    file = %self.files.cert_file.display(),
                    "serving the renewed TLS certificate"
                );
            }
            Err((key, message)) => tracing::warn!(
                key = %format!("server.{key}"),
                %message,
                "the TLS certificate files changed but do not load; still serving the previous one"
            ),
        }
    }

    /// Looks at the files every [`RELOAD_CHECK`] for as long as the process runs.
    pub fn watch(self: &Arc<Self>) {
        let this = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RELOAD_CHECK).await;
                let Some(this) = this.upgrade() else { return };
                // File reads are quick, but keep them off the async workers anyway.
                let _ = tokio::task::spawn_blocking(move || this.reload_if_changed()).await;
            }
        });
    }
}

/// The newer of the two files' modification times (followed through symlinks, as a
/// Kubernetes Secret mount swaps them).
fn stamp(files: &ServerTls) -> Option<SystemTime> {
    [&files.cert_file, &files.key_file]
        .iter()
        .filter_map(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
        .max()
}

impl ResolvesServerCert for ReloadingCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().expect("certificate lock").0.clone())
    }
}

/// The TLS configuration served: the reloading certificate, h2 preferred over HTTP/1.1.
pub fn server_config(certificate: Arc<ReloadingCertificate>) -> rustls::ServerConfig {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default protocol versions")
    .with_no_client_auth()
    .with_cert_resolver(certificate);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

/// Serves `router` over TLS on `listener` until `shutdown` resolves, then lets the
/// connections in flight finish their requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    certificate: Arc<ReloadingCertificate>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    certificate.watch();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config(certificate)));
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    tokio::pin!(shutdown);
    loop {
        let (mut stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        super::send_at_once(&mut stream);
        let acceptor = acceptor.clone();
        let router = router.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(error)) => {
                    tracing::debug!(%peer, %error, "TLS handshake failed");
                    return;
                }
                Err(_) => return,
            };
            // The peer's address, as `into_make_service_with_connect_info` gives plain HTTP:
            // rate limits and the audit log's samples are kept per client address.
            let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                router.clone().oneshot(request)
            });
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
            if let Err(error) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
        });
    }
    graceful.shutdown().await;
    Ok(())
}
