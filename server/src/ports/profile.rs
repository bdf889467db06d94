//! The app's `Profiles` port: the signed-in person's own page (`/profile`) — the addresses
//! their identity provider verified at any sign-in, and the signing keys they registered
//! (`signing_keys.rs`), each added only with a proof that they hold it, and revocable. Every
//! change is audited; a person only ever sees and changes their own keys.

use std::sync::Arc;

use hangar_app::errors::AppError;
use hangar_app::functions::ports::{Acting, Profiles};
use hangar_app::models::profile::{Profile, SigningKeyRow};

use crate::audit::{self, AuditEvent, Outcome};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::ServerError;
use crate::signing_keys::{self, KeyError};

pub struct ProfilePages {
    db: Db,
    clock: Arc<dyn Clock>,
    /// Where people reach Hangar: part of the text a key signs to be registered.
    origin: String,
}

impl ProfilePages {
    pub fn new(db: Db, clock: Arc<dyn Clock>, origin: String) -> Self {
        Self { db, clock, origin }
    }

    /// The person acting: a person, never a token's own user.
    fn person(acting: &Acting) -> Result<i64, AppError> {
        if acting.is_person() {
            Ok(acting.user_id)
        } else {
            Err(AppError::NotFound)
        }
    }

    async fn record(
        &self,
        acting: &Acting,
        action: &'static str,
        outcome: Outcome,
        target: String,
        detail: String,
    ) -> Result<(), AppError> {
        let event = AuditEvent::by(acting, action, outcome)
            .target(target)
            .detail(detail);
        audit::append(&self.db, self.clock.now_ms(), event).await?;
        Ok(())
    }
}

fn key_error(error: KeyError) -> AppError {
    match error {
        KeyError::Invalid(message) => AppError::Invalid(message),
        KeyError::Server(error) => error.into(),
    }
}

#[async_trait::async_trait]
impl Profiles for ProfilePages {
    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id))]
    async fn profile(&self, acting: &Acting) -> Result<Profile, AppError> {
        let user_id = Self::person(acting)?;
        let person = crate::users::person(&self.db, user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let keys = signing_keys::of_user(&self.db, user_id).await?;
        Ok(Profile {
            name: person.name,
            verified_emails: person.verified_emails,
            keys: keys
                .into_iter()
                .map(|key| SigningKeyRow {
                    id: key.id,
                    kind: key.kind.as_str().to_string(),
                    fingerprint: key.fingerprint,
                    label: key.label,
                    created_ms: key.created_ms,
                    revoked_ms: key.revoked_ms,
                })
                .collect(),
            challenge: signing_keys::challenge(user_id, &self.origin),
            namespace: signing_keys::PROOF_NAMESPACE.to_string(),
        })
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id))]
    async fn add_signing_key(
        &self,
        acting: &Acting,
        public_key: &str,
        proof: &str,
        label: &str,
    ) -> Result<(), AppError> {
        let user_id = Self::person(acting)?;
        let challenge = signing_keys::challenge(user_id, &self.origin);
        let (text, proof) = (public_key.to_string(), proof.to_string());
        let checked = tokio::task::spawn_blocking(move || {
            let key = signing_keys::parse(&text)?;
            signing_keys::check_proof(&key, &challenge, &proof)?;
            Ok::<_, KeyError>(key)
        })
        .await
        .map_err(|e| ServerError::Unexpected(e.to_string()))?;
        let added = match checked {
            Ok(key) => signing_keys::add(&self.db, user_id, &key, label, self.clock.now_ms())
                .await
                .map(|id| (id, key)),
            Err(error) => Err(error),
        };
        match added {
            Ok((id, key)) => {
                self.record(
                    acting,
                    "signing_key.add",
                    Outcome::Success,
                    format!("signing_key/{id}"),
                    format!("{} key {}", key.kind.as_str(), key.fingerprint),
                )
                .await
            }
            Err(KeyError::Invalid(message)) => {
                self.record(
                    acting,
                    "signing_key.add",
                    Outcome::Denied,
                    "signing_key".into(),
                    message.clone(),
                )
                .await?;
                Err(AppError::Invalid(message))
            }
            Err(error) => Err(key_error(error)),
        }
    }

    #[tracing::instrument(skip_all, fields(request_id = %acting.request_id))]
    async fn revoke_signing_key(&self, acting: &Acting, id: i64) -> Result<(), AppError> {
        let user_id = Self::person(acting)?;
        let Some(fingerprint) =
            signing_keys::revoke(&self.db, user_id, id, self.clock.now_ms()).await?
        else {
            // Another person's key, a revoked one or none at all: the same answer.
            return Err(AppError::Invalid(format!("you hold no key #{id} in force")));
        };
        self.record(
            acting,
            "signing_key.revoke",
            Outcome::Success,
            format!("signing_key/{id}"),
            fingerprint,
        )
        .await
    }
}
