//! Connections: the team's and the global ones (metadata only), and changing them. Team
//! connections are changed by authors and admins, global ones by platform admins.

// A connection has this many fields; the generated client function repeats them.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::errors::AppError;
use crate::models::ConnectionPage;

#[server(prefix = "/api", endpoint = "team_connections", output = crate::functions::encoding::JsonAnswer)]
pub async fn get_team_connections(team: String) -> Result<ConnectionPage, AppError> {
    let acting = super::guard::require(super::ACCESS_GET_TEAM_CONNECTIONS, Some(&team))?;
    super::ports::read_model()?
        .team_connections(&acting, &team)
        .await
}

#[server(prefix = "/api", endpoint = "save_connection", output = crate::functions::encoding::JsonAnswer)]
pub async fn save_connection(
    team: String,
    environment: String,
    connection_id: String,
    conn_type: String,
    #[server(default)] description: String,
    #[server(default)] host: String,
    #[server(default)] login: String,
    #[server(default)] schema: String,
    #[server(default)] port: String,
    #[server(default)] password: String,
    #[server(default)] extra: String,
    #[server(default)] global: bool,
    /// `true`: a new connection; otherwise an edit of an existing one.
    #[server(default)]
    create: bool,
) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_SAVE_CONNECTION, Some(&team))?;
    let form = crate::models::ConnectionForm {
        environment,
        connection_id,
        conn_type,
        description,
        host,
        login,
        schema,
        port,
        password,
        extra,
        global,
    };
    form.validate().map_err(AppError::Invalid)?;
    super::ports::airflow_actions()?
        .save_connection(&acting, &team, form, create)
        .await
}

#[server(prefix = "/api", endpoint = "delete_connection", output = crate::functions::encoding::JsonAnswer)]
pub async fn delete_connection(
    team: String,
    environment: String,
    connection_id: String,
) -> Result<(), AppError> {
    let acting = super::guard::require(super::ACCESS_DELETE_CONNECTION, Some(&team))?;
    super::ports::airflow_actions()?
        .delete_connection(&acting, &team, &environment, &connection_id)
        .await
}
