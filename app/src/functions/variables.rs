//! Variables: the team's and the global ones (keys and descriptions), revealing one value
//! (audited), and changing them. Team variables are changed by authors and admins, global
//! ones by platform admins.

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::{RevealedValue, VariablePage};

#[server(prefix = "/api", endpoint = "team_variables", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_team_variables(team: String) -> Result<VariablePage, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_TEAM_VARIABLES, Some(&team))?;
    super::ports::read_model()?
        .team_variables(&acting, &team)
        .await
}

/// One variable's current value, fetched from Airflow now; every call is audited.
#[server(prefix = "/api", endpoint = "reveal_variable", output = crate::functions::encoding::JsonAnswer)]
pub async fn reveal_variable(
    team: String,
    environment: String,
    key: String,
) -> Result<RevealedValue, AppError> {
    let acting = super::guard::require(super::ACCESS_REVEAL_VARIABLE, Some(&team))?;
    super::ports::airflow_actions()?
        .reveal_variable(&acting, &team, &environment, &key)
        .await
}

#[server(prefix = "/api", endpoint = "save_variable", output = crate::functions::encoding::JsonAnswer)]
pub async fn save_variable(
    team: String,
    environment: String,
    key: String,
    #[server(default)] value: String,
    #[server(default)] description: String,
    #[server(default)] global: bool,
    /// `true`: a new variable; otherwise an edit of an existing one.
    #[server(default)]
    create: bool,
) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_SAVE_VARIABLE, Some(&team))?;
    let form = crate::models::VariableForm {
        environment,
        key,
        value,
        description,
        global,
    };
    form.validate(create).map_err(AppError::Invalid)?;
    super::ports::airflow_actions()?
        .save_variable(&acting, &team, form, create)
        .await
}

#[server(prefix = "/api", endpoint = "delete_variable", output = crate::functions::encoding::JsonAnswer)]
pub async fn delete_variable(
    team: String,
    environment: String,
    key: String,
) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_DELETE_VARIABLE, Some(&team))?;
    super::ports::airflow_actions()?
        .delete_variable(&acting, &team, &environment, &key)
        .await
}
