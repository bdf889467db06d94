//! Creating, changing and deleting connections on a team's behalf. The password passes
//! through to Airflow and nowhere else: not the read model, the audit log, a log line or an
//! error message.

use hangar_app::errors::AppError;
use hangar_app::functions::ports::Acting;
use hangar_app::models::ConnectionForm;
use hangar_app::models::identifiers;

use super::{AirflowGateway, Subject, read_model_update, require_scope};
use crate::config::Ownership;
use crate::read_model::connections::visible_connection;
use crate::sync::connections::MASK;

impl AirflowGateway {
    pub(crate) async fn save_connection_impl(
        &self,
        acting: &Acting,
        team: &str,
        form: ConnectionForm,
        create: bool,
    ) -> Result<(), AppError> {
        let ownership = self.ownership(&form.environment, team)?;
        let id = form.connection_id.trim().to_string();
        identifiers::connection_id(&id).map_err(AppError::Invalid)?;
        let existing = if create {
            // A name the team already sees is said plainly, without asking Airflow (whose
            // refusal of a name another team uses says only that it is taken).
            if visible_connection(&self.db, team, &form.environment, &id)
                .await?
                .is_some()
            {
                return Err(AppError::Invalid(format!(
                    "There is already a connection {id:?} (the team's or a global one)."
                )));
            }
            None
        } else {
            Some(
                visible_connection(&self.db, team, &form.environment, &id)
                    .await?
                    .ok_or(AppError::NotFound)?,
            )
        };
        let global = existing
            .as_ref()
            .map_or(form.global, |connection| connection.team.is_none());
        require_scope(&acting.viewer, global)?;
        fn text(value: &str) -> Option<&str> {
            Some(value.trim()).filter(|v| !v.is_empty())
        }
        let mut body = serde_json::json!({
            "connection_id": id,
            "conn_type": form.conn_type.trim(),
            "description": text(&form.description),
            "host": text(&form.host),
            "login": text(&form.login),
            "schema": text(&form.schema),
            "port": form.port_number(),
        });
        // Left empty on an edit, the password stays as it is (Airflow changes only the
        // fields it is sent).
        if !form.password.is_empty() {
            body["password"] = form.password.clone().into();
        }
        // An `extra` shown masked and sent back unchanged must not overwrite the secrets.
        let shown = existing.as_ref().and_then(|c| c.row.extra_masked.clone());
        let extra = form.extra.trim();
        if !extra.is_empty() && Some(extra) != shown.as_deref() {
            if extra.contains(MASK) {
                return Err(AppError::Invalid(format!(
                    "Extra still holds masked values ({MASK}): type the secrets again or remove them."
                )));
            }
            body["extra"] = extra.into();
        }
        if create && matches!(ownership, Ownership::MultiTeam { .. }) && !global {
            body["team_name"] = team.into();
        }
        let client = self.client(&form.environment, team)?;
        let result = if create {
            client.create_connection(&body).await
        } else {
            client.update_connection(&id, &body).await
        };
        let action = if create {
            "connection.create"
        } else {
            "connection.update"
        };
        let detail = if form.password.is_empty() {
            "password unchanged".to_string()
        } else {
            "password set".to_string()
        };
        let subject = Subject::connection(team, &form.environment, &id);
        let connection = self
            .audited_hiding(
                acting,
                &subject,
                action,
                detail,
                result,
                Some(&form.password),
            )
            .await?;
        let owner = ownership.team_of_labelled(connection.team_name.as_deref());
        let now = self.clock.now_ms();
        read_model_update::connection(&self.db, &form.environment, &connection, &owner, now)
            .await?;
        Ok(())
    }

    pub(crate) async fn delete_connection_impl(
        &self,
        acting: &Acting,
        team: &str,
        environment: &str,
        connection_id: &str,
    ) -> Result<(), AppError> {
        identifiers::connection_id(connection_id).map_err(AppError::Invalid)?;
        self.ownership(environment, team)?;
        let connection = visible_connection(&self.db, team, environment, connection_id)
            .await?
            .ok_or(AppError::NotFound)?;
        require_scope(&acting.viewer, connection.team.is_none())?;
        let client = self.client(environment, team)?;
        let subject = Subject::connection(team, environment, connection_id);
        let result = client.delete_connection(connection_id).await;
        self.audited(acting, &subject, "connection.delete", String::new(), result)
            .await?;
        read_model_update::connection_deleted(&self.db, environment, connection_id).await?;
        Ok(())
    }
}
