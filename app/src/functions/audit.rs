//! The audit log viewer: the whole log for the platform team, a team's part for its admins.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::audit::{AuditFilter, AuditPage};

/// `before` is the page's cursor as given; nonsense is the newest page.
#[server(prefix = "/api", endpoint = "platform_audit", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_platform_audit(
    #[server(default)] filter: AuditFilter,
    before: Option<String>,
) -> Result<AuditPage, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_PLATFORM_AUDIT, None)?;
    let before = before
        .as_deref()
        .and_then(crate::models::audit::AuditCursor::parse);
    super::ports::audit()?
        .page(
            &acting,
            crate::models::audit::AuditScope::Platform,
            filter,
            before,
        )
        .await
}

/// The entries of `team`, for its admins (and the platform roles, which hold every team).
#[server(prefix = "/api", endpoint = "team_audit", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_team_audit(
    team: String,
    #[server(default)] filter: AuditFilter,
    before: Option<String>,
) -> Result<AuditPage, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_TEAM_AUDIT, Some(&team))?;
    let before = before
        .as_deref()
        .and_then(crate::models::audit::AuditCursor::parse);
    super::ports::audit()?
        .page(
            &acting,
            crate::models::audit::AuditScope::Team(team),
            filter,
            before,
        )
        .await
}
