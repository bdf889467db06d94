//! Airflow's identifiers, checked against Airflow's own rules before Hangar sends one in a
//! URL path: an id with `/` or `..` would reach Airflow as an encoded segment that a
//! normalising proxy in between could turn into another resource. Each check answers a
//! sentence for the person who typed it.
//!
//! Airflow's rules (3.3): DAG and task ids match `^[\w.-]+$` up to 250 characters (its
//! `KEY_REGEX`, `ID_LEN`); run ids match its default `allowed_run_id_pattern`
//! `^[A-Za-z0-9_.~:+-]+$` (Hangar's own triggers never name one); connection ids its
//! `^[\w#!()\-.:/\\]+$` less `/` and `\`; pool names and variable keys have only a length
//! (256 and 250) in Airflow, so Hangar refuses what cannot be a path segment.

/// The longest id Airflow stores (`ID_LEN`).
pub const ID_LEN: usize = 250;
/// Pool names are a little longer in Airflow's table.
pub const POOL_NAME_LEN: usize = 256;

fn word_char(c: char) -> bool {
    // Python's `\w` for `str`: Unicode letters and digits, and `_`.
    c.is_alphanumeric() || c == '_'
}

/// What every identifier must be: present, short enough, and one harmless path segment.
fn segment(kind: &str, id: &str, max: usize) -> Result<(), String> {
    if id.is_empty() {
        return Err(format!("A {kind} cannot be empty."));
    }
    if id.chars().count() > max {
        return Err(format!("A {kind} has at most {max} characters."));
    }
    if id.contains('/') || id.contains('\\') || id.contains("..") {
        return Err(format!("A {kind} cannot contain '/', '\\' or '..'."));
    }
    if id.chars().any(char::is_control) {
        return Err(format!("A {kind} cannot contain control characters."));
    }
    Ok(())
}

fn only(kind: &str, id: &str, allowed: impl Fn(char) -> bool, which: &str) -> Result<(), String> {
    if id.chars().all(allowed) {
        Ok(())
    } else {
        Err(format!("A {kind} may contain only {which}."))
    }
}

/// Airflow's `KEY_REGEX` (`^[\w.-]+$`) up to `ID_LEN`.
fn airflow_key(kind: &str, id: &str) -> Result<(), String> {
    segment(kind, id, ID_LEN)?;
    only(
        kind,
        id,
        |c| word_char(c) || c == '.' || c == '-',
        "letters, digits, '_', '.' and '-'",
    )
}

pub fn dag_id(id: &str) -> Result<(), String> {
    airflow_key("DAG id", id)
}

pub fn task_id(id: &str) -> Result<(), String> {
    airflow_key("task id", id)
}

pub fn run_id(id: &str) -> Result<(), String> {
    segment("run id", id, ID_LEN)?;
    only(
        "run id",
        id,
        |c| c.is_ascii_alphanumeric() || "_.~:+-".contains(c),
        "letters, digits and _ . ~ : + -",
    )
}

pub fn connection_id(id: &str) -> Result<(), String> {
    segment("connection id", id, ID_LEN)?;
    only(
        "connection id",
        id,
        |c| word_char(c) || "#!()-.:".contains(c),
        "letters, digits and _ # ! ( ) - . :",
    )
}

pub fn pool_name(name: &str) -> Result<(), String> {
    segment("pool name", name, POOL_NAME_LEN)
}

pub fn variable_key(key: &str) -> Result<(), String> {
    segment("variable key", key, ID_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn airflows_own_ids_pass() {
        assert!(dag_id("team_a_etl").is_ok());
        assert!(dag_id("étl.v2-daily").is_ok(), "\\w is Unicode in Python");
        assert!(task_id("group.extract").is_ok());
        assert!(run_id("manual__2026-11-22T10:00:00.123456+00:00").is_ok());
        assert!(run_id("scheduled__2026-11-22T00:00:00+00:00").is_ok());
        assert!(connection_id("my-db:prod(1)").is_ok());
        assert!(pool_name("default pool").is_ok());
        assert!(variable_key("warehouse region").is_ok());
    }

    #[test]
    fn path_tricks_and_oversized_ids_are_refused() {
        for id in ["a/b", "..", "a..b", "a\\b", "", "tab\there"] {
            assert!(dag_id(id).is_err(), "{id:?}");
            assert!(pool_name(id).is_err(), "{id:?}");
            assert!(variable_key(id).is_err(), "{id:?}");
            assert!(connection_id(id).is_err(), "{id:?}");
            assert!(run_id(id).is_err(), "{id:?}");
        }
        assert!(dag_id("a b").is_err());
        assert!(dag_id("%2e%2e").is_err(), "no percent-encoding");
        assert!(run_id("run id").is_err());
        assert!(dag_id(&"x".repeat(ID_LEN + 1)).is_err());
        assert!(dag_id(&"x".repeat(ID_LEN)).is_ok());
        assert!(pool_name(&"p".repeat(POOL_NAME_LEN + 1)).is_err());
        assert_eq!(
            variable_key("a/b").unwrap_err(),
            "A variable key cannot contain '/', '\\' or '..'."
        );
    }
}
