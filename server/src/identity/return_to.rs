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

fn percent_decode(text: &str) -> String {
    // Decode repeatedly so double-encoded forms ("%252F") are judged by what they become.
    let mut current = text.to_string();
    for _ in 0..3 {
        let bytes = current.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit()
            {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii hex digits");
                out.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        let next = String::from_utf8_lossy(&out).into_owned();
        if next == current {
            break;
        }
        current = next;
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
