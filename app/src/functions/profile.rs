//! The signed-in person's own page: their verified addresses and signing keys. Every function
//! acts on the caller alone (the server reads who they are from the session, never from the
//! form).

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::profile::Profile;

#[server(prefix = "/api", endpoint = "profile", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_profile() -> Result<Profile, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_PROFILE, None)?;
    super::ports::profiles()?.profile(&acting).await
}

#[server(prefix = "/api", endpoint = "add_signing_key", output = crate::functions::encoding::JsonAnswer)]
pub async fn add_signing_key(
    #[server(default)] public_key: String,
    #[server(default)] proof: String,
    #[server(default)] label: String,
) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_ADD_SIGNING_KEY, None)?;
    super::ports::profiles()?
        .add_signing_key(&acting, &public_key, &proof, &label)
        .await
}

#[server(prefix = "/api", endpoint = "revoke_signing_key", output = crate::functions::encoding::JsonAnswer)]
pub async fn revoke_signing_key(#[server(default)] id: i64) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_REVOKE_SIGNING_KEY, None)?;
    super::ports::profiles()?
        .revoke_signing_key(&acting, id)
        .await
}
