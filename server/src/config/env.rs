//! `HANGAR_<SECTION>__<KEY>` environment overrides, applied to the parsed TOML table.

use toml::{Table, Value};

pub const PREFIX: &str = "HANGAR_";

/// Applies every `HANGAR_SECTION__KEY=value` to `table` and returns the names applied.
///
/// A value replaces the key's value with the same TOML type as the file had; keys the file
/// does not set take strings (numeric keys accept numeric strings), except `true`/`false` and
/// `[...]` arrays (e.g.
/// `HANGAR_OIDC__SCOPES='["openid","groups"]'`). Arrays of tables (`[[teams]]`) cannot be
/// overridden this way.
pub fn apply_overrides(
    table: &mut Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<String>, (String, String)> {
    let mut applied = Vec::new();
    let mut vars: Vec<_> = vars
        .into_iter()
        // Only SECTION__KEY names are overrides; HANGAR_CONFIG and the like are not.
        .filter(|(name, _)| name.starts_with(PREFIX) && name[PREFIX.len()..].contains("__"))
        .collect();
    vars.sort();
    for (name, value) in vars {
        let path: Vec<String> = name[PREFIX.len()..]
            .split("__")
            .map(|segment| segment.to_ascii_lowercase())
            .collect();
        if path.len() != 2 || path.iter().any(String::is_empty) {
            return Err((
                name,
                "expected HANGAR_<SECTION>__<KEY>, e.g. HANGAR_DATABASE__URL".into(),
            ));
        }
        let section = table
            .entry(path[0].clone())
            .or_insert_with(|| Value::Table(Table::new()));
        let Value::Table(section) = section else {
            return Err((name, format!("[{}] is not a section", path[0])));
        };
        let current = section.get(&path[1]);
        let parsed = typed_like(current, &value).map_err(|message| (name.clone(), message))?;
        section.insert(path[1].clone(), parsed);
        applied.push(name);
    }
    Ok(applied)
}

fn typed_like(current: Option<&Value>, text: &str) -> Result<Value, String> {
    let parse_toml = |text: &str| -> Result<Value, String> {
        toml::from_str::<Table>(&format!("v = {text}"))
            .map_err(|e| format!("not a valid TOML value: {}", e.message()))
            .and_then(|mut t| t.remove("v").ok_or_else(|| "no value".to_string()))
    };
    match current {
        Some(Value::String(_)) => Ok(Value::String(text.to_string())),
        Some(Value::Integer(_)) => text
            .trim()
            .parse()
            .map(Value::Integer)
            .map_err(|_| format!("expected a whole number, got {text:?}")),
        Some(Value::Boolean(_)) => text
            .trim()
            .parse()
            .map(Value::Boolean)
            .map_err(|_| format!("expected true or false, got {text:?}")),
        Some(Value::Array(_)) => parse_toml(text),
        Some(_) => Err("this key cannot be set from the environment".into()),
        None if text == "true" || text == "false" || text.trim_start().starts_with('[') => {
            parse_toml(text)
        }
        None => Ok(Value::String(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn overrides_keep_the_file_type() {
        let mut table: Table = toml::from_str(
            "[database]\nurl = \"sqlite://a.db\"\nmax_connections = 5\n[oidc]\nscopes = [\"openid\"]",
        )
        .unwrap();
        let applied = apply_overrides(
            &mut table,
            vars(&[
                ("HANGAR_DATABASE__URL", "postgres://x/y"),
                ("HANGAR_DATABASE__MAX_CONNECTIONS", "9"),
                ("HANGAR_OIDC__SCOPES", "[\"openid\", \"groups\"]"),
                ("HANGAR_OIDC__CLIENT_SECRET", "12345"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(applied.len(), 4);
        assert_eq!(table["database"]["url"].as_str(), Some("postgres://x/y"));
        assert_eq!(table["database"]["max_connections"].as_integer(), Some(9));
        assert_eq!(table["oidc"]["scopes"].as_array().unwrap().len(), 2);
        // A secret made of digits stays a string.
        assert_eq!(table["oidc"]["client_secret"].as_str(), Some("12345"));
    }

    #[test]
    fn malformed_names_and_values_are_errors() {
        let mut table = Table::new();
        let err = apply_overrides(&mut table, vars(&[("HANGAR_A__B__C", "x")])).unwrap_err();
        assert_eq!(err.0, "HANGAR_A__B__C");
        let applied = apply_overrides(&mut table, vars(&[("HANGAR_CONFIG", "x.toml")])).unwrap();
        assert!(applied.is_empty(), "HANGAR_CONFIG is not an override");
        let mut table: Table = toml::from_str("[database]\nmax_connections = 5").unwrap();
        let err = apply_overrides(
            &mut table,
            vars(&[("HANGAR_DATABASE__MAX_CONNECTIONS", "lots")]),
        )
        .unwrap_err();
        assert!(err.1.contains("whole number"), "{}", err.1);
    }
}
