//! A person's own settings: the time zone every page shows times in.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::errors::AppError;

/// The settings page: the zone fixed now (`None`: the browser's own) and the zones to pick.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsPage {
    pub time_zone: Option<String>,
    pub time_zones: Vec<String>,
}

#[server(prefix = "/api", endpoint = "settings", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_settings() -> Result<SettingsPage, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_SETTINGS, None)?;
    Ok(SettingsPage {
        time_zone: super::ports::preferences()?.time_zone(&acting).await?,
        time_zones: crate::time_text::time_zones(),
    })
}

/// `zone` empty: back to the browser's own zone.
#[server(prefix = "/api", endpoint = "save_time_zone", output = crate::functions::encoding::JsonAnswer)]
pub async fn save_time_zone(#[server(default)] zone: String) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_SAVE_TIME_ZONE, None)?;
    let zone = Some(zone.trim().to_string()).filter(|z| !z.is_empty());
    super::ports::preferences()?
        .set_time_zone(&acting, zone)
        .await
}
