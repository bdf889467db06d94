//! `return_to`: where to send the user after sign-in. Only same-origin relative paths pass;
//! anything that a browser could read as another origin falls back to `/`.

/// Returns `candidate` if it is a safe local path, else `/`.
pub fn safe_return_to(candidate: Option<&str>) -> String {
    candidate
        .filter(|path| is_local_path(path))
        .map(str::to_string)
        .unwrap_or_else(|| "/".to_string())
}

fn is_local_path(path: &str) -> bool {
    // Judge the decoded form too: "%2F%2Fevil" must not become "//evil" further down the line.
    let decoded = percent_decode(path);
    [path, decoded.as_str()].iter().all(|p| {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p.starts_with("/\\")
            && !p.contains('\\')
            && !p.chars().any(|c| c.is_control())
            && !p.contains("/../")
            && !p.ends_with("/..")
    }) && path.len() <= 2048
}

/// `text` decoded until it no longer changes (three times at most), so that a twice-encoded
/// form ("%252F") is judged by what it becomes; each time as the router decodes a path.
fn percent_decode(text: &str) -> String {
    let mut current = text.to_string();
    for _ in 0..3 {
        let next = hangar_app::paths::decode(&current);
        if next == current {
            break;
        }
        current = next.into_owned();
    }
    current
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    #[test]
    fn local_paths_pass() {
        for ok in [
            "/",
            "/t/team_a",
            "/t/team_a/dags?tag=x&page=2",
            "/platform#top",
        ] {
            assert_eq!(safe_return_to(Some(ok)), ok);
        }
    }

    #[test]
    fn hostile_forms_fall_back_to_root() {
        for bad in [
            "//evil.example",
            "//evil.example/t/x",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "http:evil.example",
            "javascript:alert(1)",
            "evil.example",
            "%2F%2Fevil.example",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "%252F%252Fevil.example",
            "/%252F/evil.example",
            "/t/../../etc",
            "/\tevil",
            "/x\r\nLocation: //evil",
            "",
        ] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad:?} must not pass");
        }
        assert_eq!(safe_return_to(None), "/");
    }
}
