//! Revealing, creating, changing and deleting variables on a team's behalf. A value passes
//! from Airflow to the one viewer who asked (or from the form to Airflow) and nowhere else:
//! not the read model, the audit log, a log line or an error message.

use hangar_app::errors::AppError;
use hangar_app::functions::ports::Acting;
use hangar_app::models::identifiers;
use hangar_app::models::{RevealedValue, VariableForm};

use super::{AirflowGateway, Subject, read_model_update, require_scope};
use crate::config::Ownership;
use crate::read_model::variables::visible_variable;
use crate::sync::connections::MASK;

impl AirflowGateway {
    pub(crate) async fn reveal_variable_impl(
        &self,
        acting: &Acting,
        team: &str,
        environment: &str,
        key: &str,
    ) -> Result<RevealedValue, AppError> {
        identifiers::variable_key(key).map_err(AppError::Invalid)?;
        self.ownership(environment, team)?;
        // Only a variable the team sees in the read model is asked for: keys cannot be probed.
        visible_variable(&self.db, team, environment, key)
            .await?
            .ok_or(AppError::NotFound)?;
        let client = self.client(environment, team)?;
        let result = client.variable(key).await;
        let subject = Subject::variable(team, environment, key);
        let fetched = self
            .audited(acting, &subject, "variable.reveal", String::new(), result)
            .await?;
        Ok(RevealedValue {
            environment: environment.to_string(),
            key: key.to_string(),
            value: fetched.value.filter(|value| value != MASK),
        })
    }

    pub(crate) async fn save_variable_impl(
        &self,
        acting: &Acting,
        team: &str,
        form: VariableForm,
        create: bool,
    ) -> Result<(), AppError> {
        let ownership = self.ownership(&form.environment, team)?;
        let key = form.key.trim().to_string();
        identifiers::variable_key(&key).map_err(AppError::Invalid)?;
        let global = if create {
            // A key the team already sees is said plainly, without asking Airflow (whose
            // refusal of a key another team uses says only that it is taken).
            if visible_variable(&self.db, team, &form.environment, &key)
                .await?
                .is_some()
            {
                return Err(AppError::Invalid(format!(
                    "There is already a variable {key:?} (the team's or a global one)."
                )));
            }
            form.global
        } else {
            visible_variable(&self.db, team, &form.environment, &key)
                .await?
                .ok_or(AppError::NotFound)?
                .team
                .is_none()
        };
        require_scope(&acting.viewer, global)?;
        let description = Some(form.description.trim()).filter(|d| !d.is_empty());
        let client = self.client(&form.environment, team)?;
        let keep_value = !create && form.value.is_empty();
        let result = if create {
            let team_name = match (&ownership, global) {
                (Ownership::MultiTeam { .. }, false) => Some(team),
                _ => None,
            };
            let body = serde_json::json!({
                "key": key,
                "value": form.value,
                "description": description,
                "team_name": team_name,
            });
            client.create_variable(&body).await
        } else {
            // Airflow wants a value in every body; the mask leaves it out of a
            // description-only edit. The team is never sent, so an edit cannot move a
            // variable to another team or make it global.
            let body = serde_json::json!({
                "key": key,
                "value": form.value,
                "description": description,
            });
            let fields: &[&str] = if keep_value {
                &["description"]
            } else {
                &["value", "description"]
            };
            client.update_variable(&key, &body, fields).await
        };
        let action = if create {
            "variable.create"
        } else {
            "variable.update"
        };
        let detail = if keep_value {
            "value unchanged"
        } else {
            "value set"
        };
        let subject = Subject::variable(team, &form.environment, &key);
        let variable = self
            .audited_hiding(
                acting,
                &subject,
                action,
                detail.to_string(),
                result,
                Some(&form.value),
            )
            .await?;
        let owner = ownership.team_of_labelled(variable.team_name.as_deref());
        let now = self.clock.now_ms();
        read_model_update::variable(&self.db, &form.environment, &variable, &owner, now).await?;
        Ok(())
    }

    pub(crate) async fn delete_variable_impl(
        &self,
        acting: &Acting,
        team: &str,
        environment: &str,
        key: &str,
    ) -> Result<(), AppError> {
        identifiers::variable_key(key).map_err(AppError::Invalid)?;
        self.ownership(environment, team)?;
        let variable = visible_variable(&self.db, team, environment, key)
            .await?
            .ok_or(AppError::NotFound)?;
        require_scope(&acting.viewer, variable.team.is_none())?;
        let client = self.client(environment, team)?;
        let subject = Subject::variable(team, environment, key);
        let result = client.delete_variable(key).await;
        self.audited(acting, &subject, "variable.delete", String::new(), result)
            .await?;
        read_model_update::variable_deleted(&self.db, environment, key).await?;
        Ok(())
    }
}
