//! Connections as the UI shows them: metadata only. No password ever reaches a page.

use serde::{Deserialize, Serialize};

use super::dags::SyncNotice;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionRow {
    pub environment: String,
    pub connection_id: String,
    pub conn_type: String,
    pub description: Option<String>,
    pub host: Option<String>,
    pub login: Option<String>,
    pub schema: Option<String>,
    pub port: Option<i64>,
    /// Whether a password is set; never the password.
    pub password_set: bool,
    /// `extra` with secret-looking values as `***`.
    pub extra_masked: Option<String>,
    /// A global connection belongs to no team (read-only for team roles).
    pub global: bool,
    pub editable: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionPage {
    pub connections: Vec<ConnectionRow>,
    pub environments: Vec<String>,
    pub can_create_team_connection: bool,
    pub can_create_global_connection: bool,
    pub sync: Vec<SyncNotice>,
}

/// A connection as the create and edit forms send it. An empty `password` on edit keeps the
/// current one; an `extra` left as shown (masked) is not sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionForm {
    pub environment: String,
    pub connection_id: String,
    pub conn_type: String,
    pub description: String,
    pub host: String,
    pub login: String,
    pub schema: String,
    pub port: String,
    pub password: String,
    pub extra: String,
    pub global: bool,
}

impl ConnectionForm {
    /// Checks what Airflow would reject, before anything is sent. Messages never repeat the
    /// password.
    pub fn validate(&self) -> Result<(), String> {
        let id = self.connection_id.trim();
        if id.is_empty()
            || id.len() > 250
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        {
            return Err("A connection id is 1–250 letters, digits, '_', '.' or '-'.".into());
        }
        if self.conn_type.trim().is_empty() {
            return Err("A connection needs a type (e.g. postgres, http).".into());
        }
        if !self.port.trim().is_empty() && self.port.trim().parse::<u16>().is_err() {
            return Err("The port must be a number from 0 to 65535.".into());
        }
        if !self.extra.trim().is_empty() {
            match serde_json::from_str::<serde_json::Value>(&self.extra) {
                Ok(serde_json::Value::Object(_)) => {}
                _ => return Err("Extra must be a JSON object, like {\"region\": \"eu\"}.".into()),
            }
        }
        Ok(())
    }

    pub fn port_number(&self) -> Option<i64> {
        self.port.trim().parse::<u16>().ok().map(i64::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_checked_without_repeating_the_password() {
        let form = ConnectionForm {
            connection_id: "warehouse".into(),
            conn_type: "postgres".into(),
            password: "hunter2".into(),
            ..Default::default()
        };
        assert!(form.validate().is_ok());
        for bad in [
            ConnectionForm {
                connection_id: "a b".into(),
                ..form.clone()
            },
            ConnectionForm {
                conn_type: " ".into(),
                ..form.clone()
            },
            ConnectionForm {
                port: "99999".into(),
                ..form.clone()
            },
            ConnectionForm {
                extra: "[1]".into(),
                ..form.clone()
            },
        ] {
            let error = bad.validate().unwrap_err();
            assert!(!error.contains("hunter2"), "{error}");
        }
    }
}
