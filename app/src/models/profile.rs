//! The signed-in person's own page (`/profile`): the e-mail addresses their identity
//! provider verified at any sign-in, and the signing keys they registered, which tell Hangar
//! which commits are theirs when a team counts authorship by signatures.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    /// Every verified address they signed in with, ever.
    pub verified_emails: Vec<String>,
    pub keys: Vec<SigningKeyRow>,
    /// The text to sign with a key to register it (names this person and this Hangar).
    pub challenge: String,
    /// The `ssh-keygen -Y sign` namespace of that signature.
    pub namespace: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeyRow {
    pub id: i64,
    /// `ssh` or `gpg`.
    pub kind: String,
    /// As git reports it: `SHA256:…` for SSH, the primary key's fingerprint for OpenPGP.
    pub fingerprint: String,
    pub label: String,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}
