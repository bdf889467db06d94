//! Who is signed in, for the header and the team picker.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::Viewer;

#[server(prefix = "/api", endpoint = "viewer", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_viewer() -> Result<Viewer, AppError> {
    super::guard::require(super::ACCESS_GET_VIEWER, None).map(|acting| acting.viewer)
}
