//! Commit ids and the people named in commits.

use std::fmt;

/// A full git object id: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits. Abbreviations are
/// never accepted: an approval must name exactly one commit, whatever is pushed later.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommitId(String);

impl CommitId {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let hex = text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b.to_ascii_lowercase()));
        if hex && matches!(text.len(), 40 | 64) {
            Ok(Self(text.to_ascii_lowercase()))
        } else {
            Err(format!(
                "{:?} is not a full commit id (40 or 64 hexadecimal digits)",
                shorten(text)
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 10 digits, for people; never for lookups.
    pub fn short(&self) -> &str {
        &self.0[..10]
    }
}

impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Echoing hostile input back whole would let it fill a page or a log line.
fn shorten(text: &str) -> String {
    text.chars().take(80).collect()
}

/// E-mail addresses compare without case, as people and mail servers treat them.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_full_hex_ids_are_commit_ids() {
        let sha1 = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(CommitId::parse(sha1).unwrap().as_str(), sha1);
        assert_eq!(
            CommitId::parse(&sha1.to_uppercase()).unwrap().as_str(),
            sha1,
            "ids are kept in one case so that equal commits compare equal"
        );
        assert!(CommitId::parse(&"a".repeat(64)).is_ok());
        for bad in [
            "",
            "0123456",
            &"g".repeat(40),
            &"a".repeat(41),
            "HEAD",
            "main~1",
        ] {
            assert!(CommitId::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(CommitId::parse(sha1).unwrap().short(), "0123456789");
    }

    #[test]
    fn a_refused_id_is_echoed_shortened() {
        let error = CommitId::parse(&"x".repeat(10_000)).unwrap_err();
        assert!(error.len() < 200, "{error}");
    }
}
