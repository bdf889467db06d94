//! Variables as the UI shows them: keys and descriptions. A value reaches a page only when
//! a role that may reveal it asks for that one value (fetched from Airflow, audited).

use serde::{Deserialize, Serialize};

use super::dags::SyncNotice;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariableRow {
    pub environment: String,
    pub key: String,
    pub description: Option<String>,
    /// A global variable belongs to no team (read-only for team roles).
    pub global: bool,
    pub editable: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariablePage {
    pub variables: Vec<VariableRow>,
    pub environments: Vec<String>,
    pub can_reveal: bool,
    pub can_create_team_variable: bool,
    pub can_create_global_variable: bool,
    pub sync: Vec<SyncNotice>,
}

/// One variable's value as Airflow holds it now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealedValue {
    pub environment: String,
    pub key: String,
    /// `None`: Airflow keeps this one secret (its key looks like a secret, so Airflow
    /// answers `***` to everyone).
    pub value: Option<String>,
}

/// A variable as the create and edit forms send it. On an edit, an empty `value` keeps the
/// current value: the form never shows it, so it cannot send it back.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariableForm {
    pub environment: String,
    pub key: String,
    pub value: String,
    pub description: String,
    pub global: bool,
}

/// Airflow's limit on a variable key (`ID_LEN`).
pub const MAX_VARIABLE_KEY: usize = 250;

impl VariableForm {
    /// Checks a form before anything is sent. New keys are held to a portable alphabet;
    /// existing ones (made elsewhere, perhaps with other characters) stay editable. Messages
    /// never repeat the value.
    pub fn validate(&self, create: bool) -> Result<(), String> {
        let key = self.key.trim();
        let portable = key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if key.is_empty() || key.len() > MAX_VARIABLE_KEY || (create && !portable) {
            return Err(format!(
                "A variable key is 1–{MAX_VARIABLE_KEY} letters, digits, '_', '.' or '-'."
            ));
        }
        if self.description.len() > 10_000 {
            return Err("The description is too long (10,000 characters at most).".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_without_repeating_the_value() {
        let form = VariableForm {
            key: "warehouse_url".into(),
            value: "s3cr3t-value".into(),
            ..Default::default()
        };
        assert!(form.validate(true).is_ok());
        for key in ["", "a b", "a/b", &"k".repeat(251)] {
            let bad = VariableForm {
                key: key.into(),
                ..form.clone()
            };
            let error = bad.validate(true).unwrap_err();
            assert!(!error.contains("s3cr3t"), "{error}");
        }
        let made_elsewhere = VariableForm {
            key: "team a/setting".into(),
            ..form
        };
        assert!(made_elsewhere.validate(false).is_ok());
        assert!(made_elsewhere.validate(true).is_err());
    }
}
