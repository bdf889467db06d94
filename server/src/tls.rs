//! TLS in one place: the HTTPS client every outbound call is built from (identity provider,
//! Airflow, the OTLP collector), trusting what `[tls]` says, and the sentence a failed
//! handshake becomes. Without this, an identity provider behind a company CA failed with
//! "error sending request", which names neither the certificate nor the fix.

use std::error::Error;
use std::fmt;

use rustls::CertificateError;

use crate::config::OutboundTls;

/// A `reqwest` client builder that trusts Mozilla's roots (built in), the operating system's
/// store when `[tls] system_store` is set, and every certificate of `[tls] ca_file`.
pub fn client_builder(tls: &OutboundTls) -> reqwest::ClientBuilder {
    let mut builder = reqwest::Client::builder()
        .tls_built_in_webpki_certs(true)
        .tls_built_in_native_certs(tls.system_store);
    for certificate in tls.ca_certificates.iter() {
        // Parsed and checked when the configuration was loaded.
        if let Ok(certificate) = reqwest::Certificate::from_der(certificate) {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder
}

/// Why a TLS handshake failed, in words; the caller adds what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsProblem {
    /// Signed by no authority Hangar trusts: a private CA missing from `[tls] ca_file`.
    UntrustedIssuer,
    /// Issued for another name than the one Hangar connected to.
    WrongName,
    Expired,
    NotYetValid,
    Other(String),
}

impl TlsProblem {
    /// What is wrong, after "its" or someone's: "certificate has expired".
    pub fn what(&self) -> String {
        match self {
            Self::UntrustedIssuer => {
                "certificate is not signed by a certificate authority Hangar trusts".into()
            }
            Self::WrongName => "certificate is not issued for this host name".into(),
            Self::Expired => "certificate has expired".into(),
            Self::NotYetValid => "certificate is not valid yet".into(),
            Self::Other(detail) => format!("TLS handshake failed: {detail}"),
        }
    }

    /// The sentence for an outbound HTTPS call, naming whose certificate (`"the identity
    /// provider's"`) and, for an untrusted one, the `[tls]` fix.
    pub fn outbound_sentence(&self, whose: &str) -> String {
        let hint = match self {
            Self::UntrustedIssuer => {
                " (add its CA to [tls] ca_file, a PEM bundle, or set [tls] system_store = true \
                 if the operating system trusts it)"
            }
            _ => "",
        };
        format!("{whose} {}{hint}", self.what())
    }
}

impl fmt::Display for TlsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "its {}", self.what())
    }
}

/// The TLS problem somewhere in `error`'s chain of causes, if a handshake is what failed.
///
/// rustls' error travels inside `std::io::Error`s, whose `source()` skips the error they
/// wrap, so each one is opened with `get_ref` as well.
pub fn problem(error: &(dyn Error + 'static)) -> Option<TlsProblem> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(found) = rustls_problem(error) {
            return Some(found);
        }
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(found) = problem(inner)
        {
            return Some(found);
        }
        next = error.source();
    }
    None
}

fn rustls_problem(error: &(dyn Error + 'static)) -> Option<TlsProblem> {
    let error = error.downcast_ref::<rustls::Error>()?;
    Some(match error {
        rustls::Error::InvalidCertificate(certificate) => match certificate {
            CertificateError::UnknownIssuer => TlsProblem::UntrustedIssuer,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsProblem::WrongName
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                TlsProblem::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                TlsProblem::NotYetValid
            }
            other => TlsProblem::Other(format!("invalid certificate: {other:?}")),
        },
        other => TlsProblem::Other(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handshake_error_inside_io_errors_is_found_and_named() {
        let rustls = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls);
        let outer = std::io::Error::other(io);
        let found = problem(&outer).unwrap();
        assert_eq!(found, TlsProblem::UntrustedIssuer);
        let sentence = found.outbound_sentence("the identity provider's");
        assert!(
            sentence.starts_with("the identity provider's certificate is not signed"),
            "{sentence}"
        );
        assert!(sentence.contains("[tls] ca_file"), "{sentence}");
        let name = rustls::Error::InvalidCertificate(CertificateError::NotValidForName);
        assert_eq!(problem(&name), Some(TlsProblem::WrongName));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(problem(&refused), None);
    }
}
