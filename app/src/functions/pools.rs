//! Pools: the team's and the global ones, and changing them. Team pools are changed by team
//! admins, global pools by platform admins (checked on the server, per pool).

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::PoolPage;

#[server(prefix = "/api", endpoint = "team_pools", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_team_pools(team: String) -> Result<PoolPage, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_TEAM_POOLS, Some(&team))?;
    super::ports::read_model()?.team_pools(&acting, &team).await
}

#[server(prefix = "/api", endpoint = "create_pool", output = crate::functions::encoding::JsonAnswer)]
pub async fn create_pool(
    team: String,
    environment: String,
    name: String,
    slots: i64,
    #[server(default)] description: String,
    #[server(default)] include_deferred: bool,
    #[server(default)] global: bool,
) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_CREATE_POOL, Some(&team))?;
    let form = crate::models::PoolForm {
        environment,
        name,
        slots,
        description,
        include_deferred,
        global,
    };
    form.validate().map_err(AppError::Invalid)?;
    super::ports::airflow_actions()?
        .save_pool(&acting, &team, form, true)
        .await
}

#[server(prefix = "/api", endpoint = "update_pool", output = crate::functions::encoding::JsonAnswer)]
pub async fn update_pool(
    team: String,
    environment: String,
    name: String,
    slots: i64,
    #[server(default)] description: String,
    #[server(default)] include_deferred: bool,
) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_UPDATE_POOL, Some(&team))?;
    let form = crate::models::PoolForm {
        environment,
        name,
        slots,
        description,
        include_deferred,
        global: false,
    };
    form.validate().map_err(AppError::Invalid)?;
    super::ports::airflow_actions()?
        .save_pool(&acting, &team, form, false)
        .await
}

#[server(prefix = "/api", endpoint = "delete_pool", output = crate::functions::encoding::JsonAnswer)]
pub async fn delete_pool(team: String, environment: String, name: String) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_DELETE_POOL, Some(&team))?;
    super::ports::airflow_actions()?
        .delete_pool(&acting, &team, &environment, &name)
        .await
}
