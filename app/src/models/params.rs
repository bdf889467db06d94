//! A DAG's run parameters as Airflow declares them (`Param(default, type=…, …)`), and the
//! check of a run configuration against them. The same check runs in the browser as the
//! user types and on the server before the trigger reaches Airflow, so the user reads which
//! parameter is wrong instead of Airflow's generic 400.
//!
//! It covers the JSON Schema keywords DAG authors use: `type` (one or a list), `enum`,
//! `minimum`/`maximum`, `minLength`/`maxLength`. Airflow validates again with the full schema.
//!
//! The trigger form shows each parameter as the input its schema asks for ([`ParamInput`]:
//! a choice, a yes/no, a whole or decimal number, a date, a date and time, text, or JSON for
//! anything else) and sends the values as text; [`typed_value`] turns one back into JSON, and
//! the configuration is the form's JSON object with those values laid over it.

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

/// The input the trigger form shows for a parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamInput {
    /// `enum`: one of these values.
    Choice(Vec<Value>),
    Boolean,
    Integer,
    Number,
    /// `type: string, format: date` (`YYYY-MM-DD`).
    Date,
    /// `type: string, format: date-time`: a local date and time, read as UTC.
    DateTime,
    Text,
    /// Anything else (arrays, objects, several types): the value as JSON.
    Json,
}

impl DagParam {
    pub fn input(&self) -> ParamInput {
        if let Some(Value::Array(choices)) = self.schema.get("enum") {
            return ParamInput::Choice(choices.clone());
        }
        let types: Vec<&str> = self.types().into_iter().filter(|t| *t != "null").collect();
        match (
            types.as_slice(),
            self.schema.get("format").and_then(Value::as_str),
        ) {
            (["boolean"], _) => ParamInput::Boolean,
            (["integer"], _) => ParamInput::Integer,
            (["number"], _) => ParamInput::Number,
            (["string"], Some("date")) => ParamInput::Date,
            (["string"], Some("date-time")) => ParamInput::DateTime,
            (["string"], _) => ParamInput::Text,
            _ => ParamInput::Json,
        }
    }

    /// Whether `null` is a value it takes (it names the type, or names none).
    pub fn nullable(&self) -> bool {
        let types = self.types();
        types.is_empty() || types.contains(&"null")
    }

    /// The form field's text for `value` (the default, at first).
    pub fn form_text(&self, value: &Value) -> String {
        match (self.input(), value) {
            (_, Value::Null) => String::new(),
            (ParamInput::Choice(_) | ParamInput::Json, value) => value.to_string(),
            (ParamInput::DateTime, Value::String(text)) => {
                // `datetime-local` shows `YYYY-MM-DDTHH:MM`.
                text.get(..16).unwrap_or(text).to_string()
            }
            (_, Value::String(text)) => text.clone(),
            (_, value) => value.to_string(),
        }
    }
}

/// A parameter's value from the form's text, as JSON; the error names the parameter.
/// An empty field is `null` (which [`check_conf`] refuses unless the parameter takes it).
pub fn typed_value(param: &DagParam, text: &str) -> Result<Value, String> {
    let name = &param.name;
    let text = text.trim();
    let input = param.input();
    if text.is_empty() && input != ParamInput::Text {
        return Ok(Value::Null);
    }
    if text.is_empty() {
        return Ok(if param.nullable() {
            Value::Null
        } else {
            Value::String(String::new())
        });
    }
    let shaped = |pattern: &str| {
        text.len() == pattern.len()
            && pattern.bytes().zip(text.bytes()).all(|(p, b)| match p {
                b'9' => b.is_ascii_digit(),
                other => other == b,
            })
    };
    match input {
        ParamInput::Choice(choices) => serde_json::from_str::<Value>(text)
            .ok()
            .filter(|value| choices.contains(value))
            .ok_or_else(|| format!("Parameter {name:?} must be {}.", param.expects())),
        ParamInput::Boolean => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("Parameter {name:?} must be true or false.")),
        },
        ParamInput::Integer => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("Parameter {name:?} must be a whole number, not {text:?}.")),
        ParamInput::Number => text
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("Parameter {name:?} must be a number, not {text:?}.")),
        ParamInput::Date if shaped("9999-99-99") => Ok(Value::String(text.to_string())),
        ParamInput::Date => Err(format!("Parameter {name:?} must be a date (YYYY-MM-DD).")),
        ParamInput::DateTime if shaped("9999-99-99T99:99") => {
            Ok(Value::String(format!("{text}:00+00:00")))
        }
        ParamInput::DateTime if shaped("9999-99-99T99:99:99") => {
            Ok(Value::String(format!("{text}+00:00")))
        }
        ParamInput::DateTime => Err(format!(
            "Parameter {name:?} must be a date and time (YYYY-MM-DDTHH:MM, UTC)."
        )),
        ParamInput::Text => Ok(Value::String(text.to_string())),
        ParamInput::Json => serde_json::from_str::<Value>(text)
            .map_err(|error| format!("Parameter {name:?} is not valid JSON: {error}")),
    }
}

/// `conf` with the form's typed `values` laid over it (by parameter name). A field left as
/// the form showed it (its default's text) changes nothing: the key in `conf`, or else the
/// default, stands — so a default the form cannot show exactly (a date-time with an offset,
/// a choice not among the choices, no value at all) is never replaced by its display. A value
/// for a name that is not a parameter is refused: a typed field only exists for a parameter.
pub fn with_typed_values(
    mut conf: Map<String, Value>,
    values: &std::collections::BTreeMap<String, String>,
    params: &[DagParam],
) -> Result<Map<String, Value>, String> {
    for (name, text) in values {
        let param = params
            .iter()
            .find(|p| &p.name == name)
            .ok_or_else(|| format!("This DAG has no parameter {name:?}."))?;
        if *text == param.form_text(&param.default) {
            continue;
        }
        conf.insert(name.clone(), typed_value(param, text)?);
    }
    Ok(conf)
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

    fn param(name: &str, schema: Value) -> DagParam {
        DagParam {
            name: name.into(),
            default: Value::Null,
            description: None,
            schema,
        }
    }

    #[test]
    fn each_schema_gets_its_input() {
        let cases = [
            (
                json!({"type": "string", "enum": ["eu", "us"]}),
                ParamInput::Choice(vec![json!("eu"), json!("us")]),
            ),
            (json!({"type": "boolean"}), ParamInput::Boolean),
            (json!({"type": ["null", "integer"]}), ParamInput::Integer),
            (json!({"type": "number"}), ParamInput::Number),
            (
                json!({"type": "string", "format": "date"}),
                ParamInput::Date,
            ),
            (
                json!({"type": "string", "format": "date-time"}),
                ParamInput::DateTime,
            ),
            (json!({"type": "string"}), ParamInput::Text),
            (json!({"type": "array"}), ParamInput::Json),
            (json!({"type": ["string", "integer"]}), ParamInput::Json),
            (json!({}), ParamInput::Json),
        ];
        for (schema, input) in cases {
            assert_eq!(param("p", schema.clone()).input(), input, "{schema}");
        }
    }

    #[test]
    fn form_text_becomes_typed_json() {
        let value = |schema: Value, text: &str| typed_value(&param("p", schema), text);
        assert_eq!(value(json!({"type": "integer"}), " 42 "), Ok(json!(42)));
        assert!(
            value(json!({"type": "integer"}), "4.2")
                .unwrap_err()
                .contains("whole number")
        );
        assert_eq!(value(json!({"type": "number"}), "2.5"), Ok(json!(2.5)));
        assert!(value(json!({"type": "number"}), "NaN").is_err());
        assert_eq!(value(json!({"type": "boolean"}), "false"), Ok(json!(false)));
        assert!(value(json!({"type": "boolean"}), "yes").is_err());
        assert_eq!(value(json!({"enum": [1, "two"]}), "1"), Ok(json!(1)));
        assert_eq!(
            value(json!({"enum": [1, "two"]}), "\"two\""),
            Ok(json!("two"))
        );
        assert!(
            value(json!({"enum": [1, "two"]}), "3")
                .unwrap_err()
                .contains("one of")
        );
        assert_eq!(
            value(json!({"type": "string", "format": "date"}), "2026-12-06"),
            Ok(json!("2026-12-06"))
        );
        assert!(value(json!({"type": "string", "format": "date"}), "06/12/2026").is_err());
        assert_eq!(
            value(
                json!({"type": "string", "format": "date-time"}),
                "2026-12-06T10:30"
            ),
            Ok(json!("2026-12-06T10:30:00+00:00"))
        );
        assert_eq!(value(json!({"type": "array"}), "[1, 2]"), Ok(json!([1, 2])));
        assert!(
            value(json!({"type": "array"}), "[1,")
                .unwrap_err()
                .contains("not valid JSON")
        );
        // Empty: null for anything but text, where it is the empty string unless null is allowed.
        assert_eq!(value(json!({"type": "integer"}), ""), Ok(Value::Null));
        assert_eq!(value(json!({"type": "string"}), ""), Ok(json!("")));
        assert_eq!(
            value(json!({"type": ["null", "string"]}), ""),
            Ok(Value::Null)
        );
    }

    #[test]
    fn typed_values_lay_over_the_json_and_are_then_checked() {
        let params = params();
        let values = [
            ("batch_size", "250"),
            ("region", "\"us\""),
            ("owner", "ann"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let merged = with_typed_values(
            conf(json!({"batch_size": 1, "extra": true})),
            &values,
            &params,
        )
        .unwrap();
        assert_eq!(merged["batch_size"], json!(250));
        assert_eq!(merged["region"], json!("us"));
        assert_eq!(merged["extra"], json!(true));
        assert!(check_conf(&merged, &params).is_ok());
        let out_of_range = [
            ("batch_size".to_string(), "0".to_string()),
            ("owner".to_string(), "a".to_string()),
        ]
        .into_iter()
        .collect();
        let merged = with_typed_values(Map::new(), &out_of_range, &params).unwrap();
        assert!(
            check_conf(&merged, &params)
                .unwrap_err()
                .contains("out of range")
        );
        let unknown = [("nope".to_string(), "1".to_string())]
            .into_iter()
            .collect();
        assert!(
            with_typed_values(Map::new(), &unknown, &params)
                .unwrap_err()
                .contains("no parameter \"nope\"")
        );
    }

    #[test]
    fn an_untouched_field_keeps_the_default_or_the_json() {
        let mut when = param("when", json!({"type": "string", "format": "date-time"}));
        when.default = json!("2026-12-06T10:30:00+01:00");
        let mut owner = param("owner", json!({"type": "string"}));
        owner.default = Value::Null;
        let params = vec![when.clone(), owner];
        let untouched = [
            ("when".to_string(), when.form_text(&when.default)),
            ("owner".to_string(), String::new()),
        ]
        .into_iter()
        .collect();
        // The date-time is not shifted to UTC by its display, the JSON's key stands.
        let merged = with_typed_values(
            conf(json!({"when": "2027-01-01T00:00:00Z"})),
            &untouched,
            &params,
        )
        .unwrap();
        assert_eq!(merged["when"], json!("2027-01-01T00:00:00Z"));
        let merged = with_typed_values(Map::new(), &untouched, &params).unwrap();
        assert!(
            !merged.contains_key("when"),
            "the default applies: {merged:?}"
        );
        // A required text left empty is still missing, not an empty string.
        assert!(
            check_conf(&merged, &params)
                .unwrap_err()
                .contains("\"owner\" needs a value")
        );
    }

    #[test]
    fn defaults_show_in_their_fields() {
        let params = params();
        let text = |name: &str| {
            let p = params.iter().find(|p| p.name == name).unwrap();
            p.form_text(&p.default)
        };
        assert_eq!(text("batch_size"), "100");
        assert_eq!(text("region"), "\"eu\"");
        assert_eq!(text("label"), "");
        let when = param("when", json!({"type": "string", "format": "date-time"}));
        assert_eq!(
            when.form_text(&json!("2026-12-06T10:30:00+00:00")),
            "2026-12-06T10:30"
        );
    }
}
