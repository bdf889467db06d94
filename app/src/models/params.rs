//! A DAG's run parameters as Airflow declares them (`Param(default, type=…, …)`), and the
//! check of a run configuration against them. The same check runs in the browser as the
//! user types and on the server before the trigger reaches Airflow, so the user reads which
//! parameter is wrong instead of Airflow's generic 400.
//!
//! It covers the JSON Schema keywords DAG authors use: `type` (one or a list), `enum`,
//! `minimum`/`maximum`, `minLength`/`maxLength`. Airflow validates again with the full schema.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DagParam {
    pub name: String,
    /// The value used when the configuration leaves the parameter out (`null`: none).
    pub default: Value,
    pub description: Option<String>,
    /// The parameter's JSON Schema (`{}` when it declares none).
    pub schema: Value,
}

impl DagParam {
    /// Reads Airflow's `params` of a DAG's details: `{name: {value, schema, description}}`.
    pub fn from_airflow(params: &Map<String, Value>) -> Vec<DagParam> {
        params
            .iter()
            .map(|(name, spec)| DagParam {
                name: name.clone(),
                default: spec.get("value").cloned().unwrap_or(Value::Null),
                description: spec
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                schema: spec
                    .get("schema")
                    .cloned()
                    .unwrap_or_else(|| Value::Object(Map::new())),
            })
            .collect()
    }

    /// The schema's `type`s, if it names any.
    fn types(&self) -> Vec<&str> {
        match self.schema.get("type") {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// A short description of the expected value, for the form.
    pub fn expects(&self) -> String {
        let mut parts: Vec<String> = self.types().iter().map(|t| t.to_string()).collect();
        if let Some(Value::Array(choices)) = self.schema.get("enum") {
            let choices: Vec<String> = choices.iter().map(Value::to_string).collect();
            parts.push(format!("one of {}", choices.join(", ")));
        }
        for (keyword, label) in [("minimum", "≥"), ("maximum", "≤")] {
            if let Some(bound) = self.schema.get(keyword) {
                parts.push(format!("{label} {bound}"));
            }
        }
        parts.join(", ")
    }
}

/// The configuration a form starts from: every parameter's default.
pub fn default_conf(params: &[DagParam]) -> String {
    if params.is_empty() {
        return String::new();
    }
    let defaults: Map<String, Value> = params
        .iter()
        .map(|p| (p.name.clone(), p.default.clone()))
        .collect();
    serde_json::to_string_pretty(&Value::Object(defaults)).unwrap_or_default()
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn has_type(value: &Value, wanted: &str) -> bool {
    let actual = type_name(value);
    actual == wanted
        || (wanted == "number" && actual == "integer")
        || (wanted == "integer" && value.as_f64().is_some_and(|f| f.fract() == 0.0))
}

/// Checks `conf` against the parameters; keys that are not parameters pass (Airflow allows
/// them). A parameter left out takes its default, which must itself be acceptable.
pub fn check_conf(conf: &Map<String, Value>, params: &[DagParam]) -> Result<(), String> {
    for param in params {
        let value = conf.get(&param.name).unwrap_or(&param.default);
        let name = &param.name;
        let types = param.types();
        if value.is_null() {
            if types.is_empty() || types.contains(&"null") {
                continue;
            }
            return Err(format!(
                "Parameter {name:?} needs a value ({}).",
                param.expects()
            ));
        }
        if !types.is_empty() && !types.iter().any(|t| has_type(value, t)) {
            return Err(format!(
                "Parameter {name:?} must be {}, not {} {value}.",
                types.join(" or "),
                type_name(value)
            ));
        }
        if let Some(Value::Array(choices)) = param.schema.get("enum")
            && !choices.contains(value)
        {
            return Err(format!(
                "Parameter {name:?} must be {}; {value} is not allowed.",
                param.expects()
            ));
        }
        if let Some(number) = value.as_f64() {
            let bound = |keyword: &str| param.schema.get(keyword).and_then(Value::as_f64);
            if bound("minimum").is_some_and(|min| number < min)
                || bound("maximum").is_some_and(|max| number > max)
            {
                return Err(format!(
                    "Parameter {name:?} must be {}; {value} is out of range.",
                    param.expects()
                ));
            }
        }
        if let Some(text) = value.as_str() {
            let length = text.chars().count() as u64;
            let bound = |keyword: &str| param.schema.get(keyword).and_then(Value::as_u64);
            if bound("minLength").is_some_and(|min| length < min)
                || bound("maxLength").is_some_and(|max| length > max)
            {
                return Err(format!(
                    "Parameter {name:?} must be {}–{} characters long.",
                    bound("minLength").unwrap_or(0),
                    bound("maxLength").map_or("any".to_string(), |m| m.to_string())
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params() -> Vec<DagParam> {
        let airflow = json!({
            "batch_size": {"value": 100, "schema": {"type": "integer", "minimum": 1, "maximum": 10000}, "description": "rows per batch", "source": "dag"},
            "region": {"value": "eu", "schema": {"type": "string", "enum": ["eu", "us"]}, "description": null, "source": "dag"},
            "label": {"value": null, "schema": {"type": ["null", "string"], "maxLength": 5}, "description": null, "source": "dag"},
            "owner": {"value": null, "schema": {"type": "string"}, "description": null, "source": "dag"},
        });
        DagParam::from_airflow(airflow.as_object().unwrap())
    }

    fn conf(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn defaults_and_good_values_pass() {
        let params = params();
        assert_eq!(params.len(), 4);
        assert!(check_conf(&conf(json!({"owner": "ann"})), &params).is_ok());
        assert!(
            check_conf(
                &conf(json!({"owner": "ann", "batch_size": 5.0, "label": "ok", "extra": [1]})),
                &params
            )
            .is_ok()
        );
    }

    #[test]
    fn each_rule_names_the_parameter() {
        let params = params();
        for (bad, fragment) in [
            (json!({}), "\"owner\" needs a value"),
            (
                json!({"owner": "a", "batch_size": "many"}),
                "\"batch_size\" must be integer, not string",
            ),
            (
                json!({"owner": "a", "batch_size": 2.5}),
                "\"batch_size\" must be integer",
            ),
            (json!({"owner": "a", "batch_size": 0}), "out of range"),
            (
                json!({"owner": "a", "region": "asia"}),
                "\"region\" must be string, one of \"eu\", \"us\"",
            ),
            (
                json!({"owner": "a", "label": "too long"}),
                "\"label\" must be 0–5 characters",
            ),
            (
                json!({"owner": 7}),
                "\"owner\" must be string, not integer 7",
            ),
        ] {
            let error = check_conf(&conf(bad.clone()), &params).unwrap_err();
            assert!(error.contains(fragment), "{bad}: {error}");
        }
    }

    #[test]
    fn the_form_starts_from_the_defaults() {
        let start: Value = serde_json::from_str(&default_conf(&params())).unwrap();
        assert_eq!(start["batch_size"], json!(100));
        assert_eq!(start["region"], json!("eu"));
        assert_eq!(default_conf(&[]), "");
    }
}
