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

/// What git's signature check said about a commit when its request was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SignatureStatus {
    /// The team trusted e-mails then: nothing was checked.
    #[default]
    Unchecked,
    Unsigned,
    Bad,
    /// A valid signature by a key that was not registered.
    UnknownKey,
    /// A valid signature by a registered key.
    Good,
}

impl SignatureStatus {
    pub const ALL: [Self; 5] = [
        Self::Unchecked,
        Self::Unsigned,
        Self::Bad,
        Self::UnknownKey,
        Self::Good,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unchecked => "unchecked",
            Self::Unsigned => "unsigned",
            Self::Bad => "bad",
            Self::UnknownKey => "unknown_key",
            Self::Good => "good",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A commit's signature as recorded: the verdict, the key git named (an SSH `SHA256:…`
/// fingerprint, an OpenPGP fingerprint or key id) and, when good, the registered key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignatureRecord {
    pub status: SignatureStatus,
    pub fingerprint: Option<String>,
    pub key_id: Option<i64>,
}

impl SignatureRecord {
    pub fn bad(fingerprint: Option<String>) -> Self {
        Self {
            status: SignatureStatus::Bad,
            fingerprint,
            key_id: None,
        }
    }
}

/// `Name <email>` as a `Co-authored-by:` trailer gives it; `None` if it has no address.
pub fn parse_co_author(value: &str) -> Option<(String, String)> {
    let value = value.trim();
    let open = value.rfind('<')?;
    let close = value[open..].find('>')? + open;
    let email = value[open + 1..close].trim();
    if email.is_empty() || !email.contains('@') {
        return None;
    }
    let name = value[..open].trim();
    Some((
        name.chars().take(200).collect(),
        email.chars().take(200).collect(),
    ))
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
    fn co_author_trailers_are_read_for_their_address() {
        assert_eq!(
            parse_co_author(" Bob Builder <bob@example.com> "),
            Some(("Bob Builder".into(), "bob@example.com".into()))
        );
        assert_eq!(
            parse_co_author("<bob@example.com>"),
            Some((String::new(), "bob@example.com".into()))
        );
        assert_eq!(parse_co_author("Bob Builder"), None);
        assert_eq!(parse_co_author("Bob <not an address>"), None);
        for status in SignatureStatus::ALL {
            assert_eq!(SignatureStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn a_refused_id_is_echoed_shortened() {
        let error = CommitId::parse(&"x".repeat(10_000)).unwrap_err();
        assert!(error.len() < 200, "{error}");
    }
}
