//! Creating, changing and deleting pools on a team's behalf.

use hangar_app::errors::AppError;
use hangar_app::functions::ports::Acting;
use hangar_app::models::PoolForm;
use hangar_app::models::identifiers;

use super::{AirflowGateway, Subject, read_model_update, require_scope};
use crate::config::Ownership;
use crate::read_model::pools::visible_pool;

impl AirflowGateway {
    pub(crate) async fn save_pool_impl(
        &self,
        acting: &Acting,
        team: &str,
        form: PoolForm,
        create: bool,
    ) -> Result<(), AppError> {
        let ownership = self.ownership(&form.environment, team)?;
        let name = form.name.trim().to_string();
        identifiers::pool_name(&name).map_err(AppError::Invalid)?;
        let global = if create {
            // A name the team already sees is said plainly, without asking Airflow (whose
            // refusal of a name another team uses says only that it is taken).
            if visible_pool(&self.db, team, &form.environment, &name)
                .await?
                .is_some()
            {
                return Err(AppError::Invalid(format!(
                    "There is already a pool named {name:?} (the team's or a global one)."
                )));
            }
            form.global
        } else {
            // The pool must be one the team sees; its scope decides who may change it.
            visible_pool(&self.db, team, &form.environment, &name)
                .await?
                .ok_or(AppError::NotFound)?
                .team
                .is_none()
        };
        require_scope(&acting.viewer, global)?;
        let client = self.client(&form.environment, team)?;
        let description = Some(form.description.trim()).filter(|d| !d.is_empty());
        let subject = Subject::pool(team, &form.environment, &name);
        let result = if create {
            // A multi-team environment records the team on the pool; a single-team one has
            // no teams of its own (the whole environment is the team's).
            let team_name = match (&ownership, global) {
                (Ownership::MultiTeam { .. }, false) => Some(team),
                _ => None,
            };
            let body = serde_json::json!({
                "name": name,
                "slots": form.slots,
                "description": description,
                "include_deferred": form.include_deferred,
                "team_name": team_name,
            });
            client.create_pool(&body).await
        } else {
            // Airflow 3.3 wants the pool's name in the body too.
            let body = serde_json::json!({
                "pool": name,
                "slots": form.slots,
                "description": description,
                "include_deferred": form.include_deferred,
            });
            client.update_pool(&name, &body).await
        };
        let action = if create { "pool.create" } else { "pool.update" };
        let detail = format!("{} slots", form.slots);
        let pool = self
            .audited(acting, &subject, action, detail, result)
            .await?;
        let owner = ownership.team_of_labelled(pool.team_name.as_deref());
        let now = self.clock.now_ms();
        read_model_update::pool(&self.db, &form.environment, &pool, &owner, now).await?;
        self.live
            .teams_changed(&form.environment, [owner].into_iter().collect())
            .await;
        Ok(())
    }

    pub(crate) async fn delete_pool_impl(
        &self,
        acting: &Acting,
        team: &str,
        environment: &str,
        name: &str,
    ) -> Result<(), AppError> {
        identifiers::pool_name(name).map_err(AppError::Invalid)?;
        self.ownership(environment, team)?;
        let pool = visible_pool(&self.db, team, environment, name)
            .await?
            .ok_or(AppError::NotFound)?;
        if pool.row.is_default() {
            return Err(AppError::Invalid(
                "Airflow's default pool cannot be deleted.".into(),
            ));
        }
        require_scope(&acting.viewer, pool.team.is_none())?;
        let client = self.client(environment, team)?;
        let subject = Subject::pool(team, environment, name);
        let result = client.delete_pool(name).await;
        self.audited(acting, &subject, "pool.delete", String::new(), result)
            .await?;
        read_model_update::pool_deleted(&self.db, environment, name).await?;
        self.live
            .teams_changed(environment, [pool.team].into_iter().collect())
            .await;
        Ok(())
    }
}
