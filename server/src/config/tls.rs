//! `[tls]`: whom Hangar trusts when it calls out over HTTPS (the identity provider, Airflow,
//! the OTLP collector; git is told the same bundle), and `[server] tls_cert_file` /
//! `tls_key_file`: the certificate it serves itself when no proxy terminates TLS.
//!
//! Files are read and checked here, at start-up, so a wrong path or a key that does not
//! belong to its certificate stops Hangar with the key's name instead of failing the first
//! handshake.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::ConfigError;
use super::raw::RawTls;

/// Trust for outbound HTTPS: the roots built into the binary (Mozilla's, through
/// webpki-roots), plus the operating system's store when asked, plus a private CA bundle.
#[derive(Clone, Debug, Default)]
pub struct OutboundTls {
    /// The PEM bundle's path, for git (`http.sslCAInfo`) and PostgreSQL (`sslrootcert` when
    /// the URL gives none).
    pub ca_file: Option<PathBuf>,
    /// The bundle's certificates, parsed once.
    pub ca_certificates: Arc<Vec<CertificateDer<'static>>>,
    /// Also trust the operating system's certificate store.
    pub system_store: bool,
}

/// The certificate Hangar serves on its own listener (`[server] tls_cert_file`, `tls_key_file`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerTls {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

/// A file named in the configuration, relative to the configuration file's folder.
fn beside(config_file: &Path, path: &str) -> PathBuf {
    config_file.parent().unwrap_or(Path::new(".")).join(path)
}

pub(super) fn validate(raw: RawTls, file: &Path) -> Result<OutboundTls, ConfigError> {
    let error = |key: &str, message: String| ConfigError {
        file: file.to_path_buf(),
        key: format!("tls.{key}"),
        message,
    };
    let (ca_file, ca_certificates) = match raw.ca_file {
        None => (None, Vec::new()),
        Some(path) => {
            let path = beside(file, &path);
            let certificates = read_certificates(&path).map_err(|m| error("ca_file", m))?;
            (Some(path), certificates)
        }
    };
    Ok(OutboundTls {
        ca_file,
        ca_certificates: Arc::new(ca_certificates),
        system_store: raw.system_store.unwrap_or(false),
    })
}

pub(super) fn validate_server(
    cert_file: Option<&str>,
    key_file: Option<&str>,
    file: &Path,
) -> Result<Option<ServerTls>, ConfigError> {
    let error = |key: &str, message: String| ConfigError {
        file: file.to_path_buf(),
        key: format!("server.{key}"),
        message,
    };
    let (cert_file, key_file) = match (cert_file, key_file) {
        (None, None) => return Ok(None),
        (Some(cert), Some(key)) => (beside(file, cert), beside(file, key)),
        (Some(_), None) => {
            return Err(error(
                "tls_key_file",
                "is required with tls_cert_file".into(),
            ));
        }
        (None, Some(_)) => {
            return Err(error(
                "tls_cert_file",
                "is required with tls_key_file".into(),
            ));
        }
    };
    let tls = ServerTls {
        cert_file,
        key_file,
    };
    tls.load().map_err(|(key, message)| error(key, message))?;
    Ok(Some(tls))
}

impl ServerTls {
    /// Reads and checks the pair: the chain, the key, and that the key is the certificate's.
    /// `Err` names the key (`tls_cert_file` or `tls_key_file`) and what is wrong.
    pub fn load(&self) -> Result<Arc<rustls::sign::CertifiedKey>, (&'static str, String)> {
        let chain = read_certificates(&self.cert_file).map_err(|m| ("tls_cert_file", m))?;
        let key = PrivateKeyDer::from_pem_file(&self.key_file).map_err(|e| {
            (
                "tls_key_file",
                format!("{}: no readable private key ({e})", self.key_file.display()),
            )
        })?;
        let provider = rustls::crypto::ring::default_provider();
        let certified =
            rustls::sign::CertifiedKey::from_der(chain, key, &provider).map_err(|e| {
                (
                    "tls_key_file",
                    format!(
                        "{} does not fit the certificate in {}: {e}",
                        self.key_file.display(),
                        self.cert_file.display()
                    ),
                )
            })?;
        Ok(Arc::new(certified))
    }
}

/// Every certificate of a PEM file; an error when there is none or one is malformed.
fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{} holds a malformed certificate: {e}", path.display()))?;
    if certificates.is_empty() {
        return Err(format!(
            "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certificates)
}
