//! The OpenID Connect relying party: discovery, the authorization-code flow with PKCE,
//! ID-token validation, group refresh and the logout URL.
//!
//! The `openidconnect` crate checks signature, issuer, audience, expiry and nonce. This module
//! adds what it leaves to us (see `docs/architecture.md#identity`): asymmetric algorithms
//! only, a bound on `iat` in both directions, one rate-limited re-discovery when a token is
//! signed by a key we do not know (key rotation), the RFC 9207 `iss` check, and groups from a
//! configurable claim, read from the ID token and else from userinfo with the subject pinned.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClaimName, CoreClaimType,
    CoreClientAuthMethod, CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, AuthorizationCode, Client, ClientId,
    ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdToken, IdTokenFields, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, ProviderMetadata, RedirectUrl, RefreshToken, Scope, StandardErrorResponse,
    StandardTokenResponse, SubjectIdentifier, TokenResponse,
};
use openidconnect::{ClaimsVerificationError, SignatureVerificationError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::config::OidcConfig;

/// Claims beyond the standard ones, kept whole so the groups claim name can be configured.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    pub claims: HashMap<String, Value>,
}
impl AdditionalClaims for ExtraClaims {}

/// Discovery fields the core metadata type does not carry.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ExtraMetadata {
    pub end_session_endpoint: Option<String>,
    pub authorization_response_iss_parameter_supported: Option<bool>,
}
impl AdditionalProviderMetadata for ExtraMetadata {}

type Metadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;
type HangarIdTokenFields = IdTokenFields<
    ExtraClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type HangarTokenResponse = StandardTokenResponse<HangarIdTokenFields, CoreTokenType>;
type HangarIdToken = IdToken<
    ExtraClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type RpClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    HangarTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Only asymmetric signatures: an HMAC "signed" with the provider's public key must fail.
const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// Allowed clock difference with the provider for `iat`.
const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// Why a sign-in or refresh failed. Messages go to the audit log and, in general terms, to
/// the user; they never contain a token.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("identity provider unavailable: {0}")]
    Unavailable(String),
    #[error("identity provider refused the sign-in: {0}")]
    ProviderError(String),
    #[error("unknown, expired or already used sign-in state")]
    BadState,
    #[error("authorization response issuer does not match (RFC 9207 iss)")]
    IssuerMismatch,
    #[error("code exchange failed: {0}")]
    Exchange(String),
    #[error("no ID token in the token response")]
    NoIdToken,
    #[error("ID token rejected: {0}")]
    InvalidIdToken(String),
    #[error("ID token signed by an unknown key")]
    UnknownKey,
    #[error("userinfo rejected: {0}")]
    UserInfo(String),
    #[error("groups claim {0:?} is not a list of strings")]
    BadGroups(String),
    #[error("refresh failed: {0}")]
    Refresh(String),
}

/// Everything the callback needs from the start of a sign-in; kept by the browser only
/// encrypted and authenticated under a key it never sees (`pending.rs`).
#[derive(Clone, Deserialize, Serialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    pub started_ms: i64,
    /// A re-authentication of the signed-in user (break-glass): `prompt=login`, `max_age=0`.
    #[serde(default)]
    pub reauth: bool,
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("return_to", &self.return_to)
            .field("started_ms", &self.started_ms)
            .finish_non_exhaustive()
    }
}

/// A verified identity.
pub struct SignedIn {
    pub issuer: String,
    pub subject: String,
    pub display_name: String,
    pub email: Option<String>,
    /// The provider vouches that `email` belongs to this person (`email_verified`); only
    /// such an address links someone to the commits they wrote (deploy reviews).
    pub email_verified: bool,
    pub groups: Vec<String>,
    pub refresh_token: Option<String>,
    pub id_token: String,
    /// When the person last authenticated at the provider (`auth_time`), if it says.
    pub auth_time_ms: Option<i64>,
}

/// Groups (and tokens) after a refresh.
pub struct Refreshed {
    pub groups: Vec<String>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
}

struct Discovered {
    client: RpClient,
    end_session_endpoint: Option<Url>,
    iss_parameter_supported: bool,
}

pub struct OidcProvider {
    config: OidcConfig,
    /// The provider's origin, for the Content-Security-Policy of every response.
    issuer_origin: String,
    redirect_uri: RedirectUrl,
    http: reqwest::Client,
    current: RwLock<Option<Arc<Discovered>>>,
    /// When an unknown `kid` last made us re-discover; bounds how often a flood of forged
    /// tokens can make us call the provider.
    last_key_refresh: Mutex<Option<Instant>>,
}

impl OidcProvider {
    pub fn new(
        config: OidcConfig,
        tls: &crate::config::OutboundTls,
        redirect_uri: &str,
    ) -> Result<Self, OidcError> {
        let http = crate::tls::client_builder(tls)
            // Following redirects from the provider would let it point us anywhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.http_timeout)
            .build()
            .map_err(|e| OidcError::Unavailable(e.to_string()))?;
        let redirect_uri = RedirectUrl::new(redirect_uri.to_string())
            .map_err(|e| OidcError::Unavailable(format!("bad redirect URI: {e}")))?;
        let issuer_origin = Url::parse(&config.issuer)
            .map(|url| url.origin().ascii_serialization())
            .unwrap_or_default();
        Ok(Self {
            config,
            issuer_origin,
            redirect_uri,
            http,
            current: RwLock::new(None),
            last_key_refresh: Mutex::new(None),
        })
    }

    pub fn is_ready(&self) -> bool {
        self.current.read().expect("oidc lock").is_some()
    }

    /// The provider's origin, for the Content-Security-Policy `form-action`.
    pub fn issuer_origin(&self) -> &str {
        &self.issuer_origin
    }

    /// Fetches the provider's metadata and keys, replacing what we had.
    pub async fn discover(&self) -> Result<(), OidcError> {
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|e| OidcError::Unavailable(format!("bad issuer: {e}")))?;
        let metadata = Metadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| OidcError::Unavailable(format!("discovery failed: {}", chain(&e))))?;
        let extra = metadata.additional_metadata().clone();
        let end_session_endpoint = extra
            .end_session_endpoint
            .as_deref()
            .and_then(|u| Url::parse(u).ok());
        let client = RpClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(
                self.config.client_secret.expose().to_string(),
            )),
        )
        .set_redirect_uri(self.redirect_uri.clone());
        let discovered = Discovered {
            client,
            end_session_endpoint,
            iss_parameter_supported: extra
                .authorization_response_iss_parameter_supported
                .unwrap_or(false),
        };
        *self.current.write().expect("oidc lock") = Some(Arc::new(discovered));
        Ok(())
    }

    async fn discovered(&self) -> Result<Arc<Discovered>, OidcError> {
        if let Some(current) = self.current.read().expect("oidc lock").clone() {
            return Ok(current);
        }
        self.discover().await?;
        self.current
            .read()
            .expect("oidc lock")
            .clone()
            .ok_or_else(|| OidcError::Unavailable("no metadata".into()))
    }

    /// Starts a sign-in: the provider URL to send the browser to, and what to remember.
    /// `now_ms` is the session clock's time, used only to expire the pending sign-in.
    /// With `reauth`, the provider must authenticate the person again whatever session it
    /// has (`prompt=login`, `max_age=0`); the callback checks `auth_time`.
    pub async fn begin(
        &self,
        return_to: String,
        login_hint: Option<&str>,
        reauth: bool,
        now_ms: i64,
    ) -> Result<(Url, PendingLogin), OidcError> {
        let discovered = self.discovered().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = discovered
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in self.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if let Some(hint) = login_hint {
            request = request.set_login_hint(openidconnect::LoginHint::new(hint.to_string()));
        }
        if reauth {
            request = request
                .add_prompt(openidconnect::core::CoreAuthPrompt::Login)
                .set_max_age(std::time::Duration::ZERO);
        }
        let (url, state, nonce) = request.url();
        let pending = PendingLogin {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            return_to,
            started_ms: now_ms,
            reauth,
        };
        Ok((url, pending))
    }

    /// Finishes a sign-in from the callback's `code` (and `iss`, when the provider sends it).
    pub async fn complete(
        &self,
        pending: &PendingLogin,
        code: &str,
        iss: Option<&str>,
    ) -> Result<SignedIn, OidcError> {
        let discovered = self.discovered().await?;
        match iss {
            Some(iss) if !same_issuer(iss, &self.config.issuer) => {
                return Err(OidcError::IssuerMismatch);
            }
            None if discovered.iss_parameter_supported => return Err(OidcError::IssuerMismatch),
            _ => {}
        }
        let tokens = discovered
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Exchange(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Exchange(token_error(&e)))?;
        let id_token = tokens.id_token().ok_or(OidcError::NoIdToken)?.clone();
        let nonce = Nonce::new(pending.nonce.clone());
        let identity = self
            .verify_id_token(&id_token, |claims_nonce: Option<&Nonce>| {
                (&nonce).verify_nonce(claims_nonce)
            })
            .await?;
        let groups = match identity.groups {
            Some(groups) => groups,
            None => {
                self.groups_from_userinfo(
                    &discovered,
                    tokens.access_token().clone(),
                    &identity.subject,
                )
                .await?
            }
        };
        Ok(SignedIn {
            issuer: self.config.issuer.clone(),
            subject: identity.subject,
            display_name: identity.display_name,
            email: identity.email,
            email_verified: identity.email_verified,
            groups,
            refresh_token: tokens.refresh_token().map(|t| t.secret().clone()),
            id_token: id_token.to_string(),
            auth_time_ms: identity.auth_time_ms,
        })
    }

    /// Re-reads the user's groups with a refresh token. The subject must not change.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        subject: &str,
    ) -> Result<Refreshed, OidcError> {
        let discovered = self.discovered().await?;
        let refresh_token = RefreshToken::new(refresh_token.to_string());
        let tokens = discovered
            .client
            .exchange_refresh_token(&refresh_token)
            .map_err(|e| OidcError::Refresh(e.to_string()))?
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Refresh(token_error(&e)))?;
        let (groups, id_token) = match tokens.id_token() {
            Some(id_token) => {
                // Refreshed ID tokens carry no nonce (OIDC Core 12.2).
                let identity = self
                    .verify_id_token(id_token, |_: Option<&Nonce>| Ok(()))
                    .await?;
                if identity.subject != subject {
                    return Err(OidcError::Refresh("the subject changed".into()));
                }
                let groups = match identity.groups {
                    Some(groups) => groups,
                    None => {
                        self.groups_from_userinfo(
                            &discovered,
                            tokens.access_token().clone(),
                            subject,
                        )
                        .await?
                    }
                };
                (groups, Some(id_token.to_string()))
            }
            None => (
                self.groups_from_userinfo(&discovered, tokens.access_token().clone(), subject)
                    .await?,
                None,
            ),
        };
        Ok(Refreshed {
            groups,
            refresh_token: tokens.refresh_token().map(|t| t.secret().clone()),
            id_token,
        })
    }

    /// Where to send the browser to end the provider session, if the provider supports it.
    pub fn end_session_url(
        &self,
        id_token: Option<&str>,
        post_logout_redirect_uri: &str,
    ) -> Option<Url> {
        let discovered = self.current.read().expect("oidc lock").clone()?;
        let mut url = discovered.end_session_endpoint.clone()?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(id_token) = id_token {
                query.append_pair("id_token_hint", id_token);
            }
            query
                .append_pair("client_id", &self.config.client_id)
                .append_pair("post_logout_redirect_uri", post_logout_redirect_uri);
        }
        Some(url)
    }

    async fn verify_id_token<N>(
        &self,
        id_token: &HangarIdToken,
        nonce: N,
    ) -> Result<VerifiedIdentity, OidcError>
    where
        N: Fn(Option<&Nonce>) -> Result<(), String> + Clone,
    {
        let discovered = self.discovered().await?;
        match self.verify_with(&discovered, id_token, nonce.clone()) {
            Err(VerifyFailure::UnknownKey) => {
                if !self.may_refresh_keys() {
                    tracing::warn!("ID token with an unknown key; JWKS refresh rate-limited");
                    return Err(OidcError::UnknownKey);
                }
                tracing::info!("ID token with an unknown key; refreshing provider keys");
                self.discover().await?;
                let discovered = self.discovered().await?;
                match self.verify_with(&discovered, id_token, nonce) {
                    Err(VerifyFailure::UnknownKey) => Err(OidcError::UnknownKey),
                    Err(VerifyFailure::Invalid(why)) => Err(OidcError::InvalidIdToken(why)),
                    Ok(identity) => Ok(identity),
                }
            }
            Err(VerifyFailure::Invalid(why)) => Err(OidcError::InvalidIdToken(why)),
            Ok(identity) => Ok(identity),
        }
    }

    fn may_refresh_keys(&self) -> bool {
        let mut last = self.last_key_refresh.lock().expect("oidc lock");
        let now = Instant::now();
        match *last {
            Some(at) if now.duration_since(at) < self.config.jwks_refresh_min_interval => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }

    fn verify_with<N>(
        &self,
        discovered: &Discovered,
        id_token: &HangarIdToken,
        nonce: N,
    ) -> Result<VerifiedIdentity, VerifyFailure>
    where
        N: Fn(Option<&Nonce>) -> Result<(), String>,
    {
        // Token times are compared with the real clock, the provider's frame of reference
        // (the injectable session clock only ages sessions).
        let max_age = self.config.max_token_age;
        let verifier = discovered
            .client
            .id_token_verifier()
            .set_allowed_algs(ALLOWED_ALGS.to_vec())
            .set_issue_time_verifier_fn(move |iat: DateTime<Utc>| {
                let now = Utc::now();
                if iat > now + CLOCK_SKEW {
                    return Err(format!("issued in the future ({iat})"));
                }
                if now - iat > chrono::Duration::from_std(max_age + CLOCK_SKEW).unwrap_or_default()
                {
                    return Err(format!("issued too long ago ({iat})"));
                }
                Ok(())
            });
        let claims = id_token.claims(&verifier, nonce).map_err(|e| match e {
            ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            ) => VerifyFailure::UnknownKey,
            other => VerifyFailure::Invalid(other.to_string()),
        })?;
        let subject = claims.subject().as_str().to_string();
        let display_name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string())
            .or_else(|| claims.preferred_username().map(|u| u.as_str().to_string()))
            .or_else(|| claims.email().map(|e| e.as_str().to_string()))
            .unwrap_or_else(|| subject.clone());
        let groups = claims
            .additional_claims()
            .claims
            .get(&self.config.groups_claim)
            .map(|value| {
                parse_groups(value).ok_or_else(|| {
                    VerifyFailure::Invalid(format!(
                        "groups claim {:?} is not a list of strings",
                        self.config.groups_claim
                    ))
                })
            })
            .transpose()?;
        let auth_time_ms = claims.auth_time().map(|t| t.timestamp_millis());
        Ok(VerifiedIdentity {
            auth_time_ms,
            subject,
            display_name,
            email: claims.email().map(|e| e.as_str().to_string()),
            email_verified: claims.email().is_some() && claims.email_verified() == Some(true),
            groups,
        })
    }

    async fn groups_from_userinfo(
        &self,
        discovered: &Discovered,
        access_token: openidconnect::AccessToken,
        subject: &str,
    ) -> Result<Vec<String>, OidcError> {
        let request = match discovered.client.user_info(
            access_token,
            Some(SubjectIdentifier::new(subject.to_string())),
        ) {
            Ok(request) => request,
            // No userinfo endpoint and no claim in the ID token: the user is in no group.
            Err(_) => return Ok(Vec::new()),
        };
        let claims: openidconnect::UserInfoClaims<ExtraClaims, CoreGenderClaim> = request
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::UserInfo(chain(&e)))?;
        match claims
            .additional_claims()
            .claims
            .get(&self.config.groups_claim)
        {
            Some(value) => parse_groups(value)
                .ok_or_else(|| OidcError::BadGroups(self.config.groups_claim.clone())),
            None => Ok(Vec::new()),
        }
    }
}

struct VerifiedIdentity {
    subject: String,
    display_name: String,
    email: Option<String>,
    email_verified: bool,
    /// `None` when the ID token does not carry the groups claim at all.
    groups: Option<Vec<String>>,
    auth_time_ms: Option<i64>,
}

enum VerifyFailure {
    UnknownKey,
    Invalid(String),
}

/// Verifies the nonce through the library's constant-time comparison.
trait VerifyNonce {
    fn verify_nonce(self, claims_nonce: Option<&Nonce>) -> Result<(), String>;
}

impl VerifyNonce for &Nonce {
    fn verify_nonce(self, claims_nonce: Option<&Nonce>) -> Result<(), String> {
        openidconnect::NonceVerifier::verify(self, claims_nonce)
    }
}

/// A groups claim is a list of strings; a single string counts as a list of one.
fn parse_groups(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(group) => Some(vec![group.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

/// RFC 9207: the `iss` parameter must be the issuer exactly.
/// An error with its causes, "outer: inner: innermost".
/// An error with its causes, or the certificate problem behind it in words (an untrusted
/// private CA is the usual reason a provider cannot be reached).
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    if let Some(problem) = crate::tls::problem(error) {
        return problem.outbound_sentence("the identity provider's");
    }
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn same_issuer(iss: &str, configured: &str) -> bool {
    iss == configured
}

/// A token-endpoint error in words, without the response body (it may echo secrets).
fn token_error<RE: std::error::Error + 'static, T: openidconnect::ErrorResponse + 'static>(
    error: &openidconnect::RequestTokenError<RE, T>,
) -> String {
    match error {
        openidconnect::RequestTokenError::ServerResponse(response) => response.to_string(),
        openidconnect::RequestTokenError::Request(e) => format!("request failed: {}", chain(e)),
        openidconnect::RequestTokenError::Parse(_, _) => "unparseable response".into(),
        openidconnect::RequestTokenError::Other(e) => e.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_claim_forms() {
        assert_eq!(
            parse_groups(&serde_json::json!(["a", "b"])),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            parse_groups(&serde_json::json!("a")),
            Some(vec!["a".into()])
        );
        assert_eq!(parse_groups(&serde_json::json!([1])), None);
        assert_eq!(parse_groups(&serde_json::json!({"a": 1})), None);
    }

    #[test]
    fn issuer_comparison_is_exact() {
        let issuer = "http://127.0.0.1:4000";
        assert!(same_issuer("http://127.0.0.1:4000", issuer));
        assert!(!same_issuer("http://127.0.0.1:4000/", issuer));
        assert!(!same_issuer("http://127.0.0.1:4001", issuer));
        assert!(!same_issuer("https://127.0.0.1:4000", issuer));
    }
}
