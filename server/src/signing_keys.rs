//! Public signing keys people register on their profile (`/profile`): with
//! `authorship = "signatures"` the owners of the keys that signed a deploy's commits are its
//! authors (docs/deploys.md, "Authorship").
//!
//! A key is an OpenSSH public key or an OpenPGP public key block. It is registered only with
//! a proof that the person holds its private half: a signature, by that key, over a text
//! naming them ([`challenge`]). Without it anyone could claim a colleague's public key (they
//! are public) and so have the colleague's commits counted as theirs — letting the colleague
//! approve their own change. A key (its fingerprint) belongs to one user for good: revoking
//! keeps the row, so the key cannot move to someone else later; its owner may register it
//! again.
//!
//! Keys are read with the tools git verifies with (`ssh-keygen`, `gpg`), each run bounded in
//! time, in a throw-away GnuPG home, never touching the user's or the machine's own keys.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::Row;

use crate::db::{Db, query_result};
use crate::error::ServerError;
use crate::with_pool;

/// A pasted key longer than this is refused (OpenPGP keys with many signatures are large;
/// the stored key is the minimal export).
pub const MAX_KEY_BYTES: usize = 64 * 1024;
/// A pasted proof (an armored signature) longer than this is refused.
pub const MAX_PROOF_BYTES: usize = 16 * 1024;
/// Active keys a person may hold.
pub const MAX_KEYS_PER_USER: i64 = 20;
/// `ssh-keygen -Y sign -n` namespace of proofs.
pub const PROOF_NAMESPACE: &str = "hangar";
/// Every `ssh-keygen` or `gpg` run ends within this.
const TOOL_TIMEOUT: Duration = Duration::from_secs(10);
/// Key types git can verify commit signatures with (no certificates).
const SSH_KEY_TYPES: [&str; 8] = [
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Ssh,
    Gpg,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ssh => "ssh",
            Self::Gpg => "gpg",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "ssh" => Some(Self::Ssh),
            "gpg" => Some(Self::Gpg),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text says what to do; shown to the person registering.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Server(#[from] ServerError),
}

impl From<sqlx::Error> for KeyError {
    fn from(error: sqlx::Error) -> Self {
        Self::Server(error.into())
    }
}

fn invalid(message: impl Into<String>) -> KeyError {
    KeyError::Invalid(message.into())
}

/// A public key as read by the tools: its kind, its fingerprint as git reports it
/// (`SHA256:…` for SSH, the primary key's hex fingerprint for OpenPGP), and its text as
/// stored (`type base64` for SSH, a minimal armored export for OpenPGP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    pub kind: KeyKind,
    pub fingerprint: String,
    pub text: String,
    /// The key's own comment or first user id, a default label.
    pub comment: String,
}

/// A registered key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningKey {
    pub id: i64,
    pub user_id: i64,
    pub kind: KeyKind,
    pub fingerprint: String,
    pub public_key: String,
    pub label: String,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

/// The text a person signs with their key to register it: it names them (by user id, which
/// never changes) and this Hangar, so a proof is worth nothing for anyone else or elsewhere.
pub fn challenge(user_id: i64, origin: &str) -> String {
    format!("Hangar at {origin}: user {user_id} signs deploys with this key")
}

/// Reads a pasted public key.
pub fn parse(text: &str) -> Result<PublicKey, KeyError> {
    if text.len() > MAX_KEY_BYTES {
        return Err(invalid(format!(
            "a public key has at most {} KB here",
            MAX_KEY_BYTES / 1024
        )));
    }
    let text = text.trim();
    if text.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----") {
        parse_gpg(text)
    } else if text.starts_with("-----BEGIN") {
        Err(invalid(
            "paste a public key: an OpenSSH one (ssh-ed25519 AAAA…) or an OpenPGP public key \
             block, not a private key or a signature",
        ))
    } else {
        parse_ssh(text)
    }
}

fn parse_ssh(text: &str) -> Result<PublicKey, KeyError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let line = lines.next().unwrap_or_default();
    if lines.next().is_some() {
        return Err(invalid("paste one key at a time"));
    }
    let mut fields = line.split_whitespace();
    let (Some(kind), Some(blob)) = (fields.next(), fields.next()) else {
        return Err(invalid(
            "paste a public key such as the contents of ~/.ssh/id_ed25519.pub",
        ));
    };
    if !SSH_KEY_TYPES.contains(&kind) {
        return Err(invalid(format!(
            "{:?} is not an SSH key type git signs with (ssh-ed25519, ecdsa-sha2-nistp256, \
             ssh-rsa, …)",
            kind.chars().take(40).collect::<String>()
        )));
    }
    if !blob
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
    {
        return Err(invalid("the key's base64 part is not base64"));
    }
    let comment: String = fields
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(80)
        .collect();
    let stored = format!("{kind} {blob}");
    let dir = scratch()?;
    let file = dir.path().join("key.pub");
    std::fs::write(&file, format!("{stored}\n")).map_err(io)?;
    let output = run(
        Command::new("ssh-keygen").arg("-l").arg("-f").arg(&file),
        b"",
    )?;
    let listed = String::from_utf8_lossy(&output.stdout);
    let fingerprint = listed
        .split_whitespace()
        .nth(1)
        .filter(|f| output.status.success() && f.starts_with("SHA256:"))
        .ok_or_else(|| invalid("ssh-keygen cannot read this public key"))?;
    Ok(PublicKey {
        kind: KeyKind::Ssh,
        fingerprint: fingerprint.to_string(),
        text: stored,
        comment,
    })
}

fn parse_gpg(text: &str) -> Result<PublicKey, KeyError> {
    let home = GnupgHome::new()?;
    let output = run(
        home.gpg()
            .args(["--with-colons", "--import-options", "show-only", "--import"]),
        text.as_bytes(),
    )?;
    let listing = String::from_utf8_lossy(&output.stdout);
    let records: Vec<Vec<&str>> = listing.lines().map(|l| l.split(':').collect()).collect();
    let primaries = records.iter().filter(|r| r[0] == "pub").count();
    if primaries != 1 {
        return Err(invalid(if primaries == 0 {
            "gpg cannot read an OpenPGP public key in this text".to_string()
        } else {
            "paste one OpenPGP key at a time".to_string()
        }));
    }
    // The fingerprint right after the primary key's record is the primary's.
    let pub_at = records.iter().position(|r| r[0] == "pub").unwrap_or(0);
    let fingerprint = records[pub_at..]
        .iter()
        .find(|r| r[0] == "fpr")
        .and_then(|r| r.get(9))
        .filter(|f| f.len() >= 40 && f.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| invalid("gpg lists no fingerprint for this key"))?
        .to_ascii_uppercase();
    let comment = records
        .iter()
        .find(|r| r[0] == "uid")
        .and_then(|r| r.get(9))
        .map(|uid| uid.chars().take(80).collect())
        .unwrap_or_default();
    run(home.gpg().arg("--import"), text.as_bytes())?;
    let exported = run(
        home.gpg()
            .args(["--armor", "--export-options", "export-minimal", "--export"])
            .arg(&fingerprint),
        b"",
    )?;
    let stored = String::from_utf8_lossy(&exported.stdout).trim().to_string();
    if !stored.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----") {
        return Err(invalid("gpg cannot import this OpenPGP key"));
    }
    Ok(PublicKey {
        kind: KeyKind::Gpg,
        fingerprint,
        text: stored,
        comment,
    })
}

/// Whether `proof` is a signature by `key` over `challenge`.
pub fn check_proof(key: &PublicKey, challenge: &str, proof: &str) -> Result<(), KeyError> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err(invalid("that is too long for a signature"));
    }
    // A browser sends a textarea's lines ended by CR LF; the armor git and ssh-keygen read
    // has LF only.
    let proof = format!("{}\n", proof.trim().replace("\r\n", "\n"));
    let refused = || {
        invalid("the signature does not prove this key: sign exactly the text shown, with this key")
    };
    match key.kind {
        KeyKind::Ssh => {
            if !proof.starts_with("-----BEGIN SSH SIGNATURE-----") {
                return Err(invalid(
                    "paste the signature ssh-keygen printed (-----BEGIN SSH SIGNATURE-----…)",
                ));
            }
            let dir = scratch()?;
            let signers = dir.path().join("allowed_signers");
            let signature = dir.path().join("proof.sig");
            std::fs::write(&signers, format!("owner {}\n", key.text)).map_err(io)?;
            std::fs::write(&signature, proof).map_err(io)?;
            let output = run(
                Command::new("ssh-keygen")
                    .args(["-Y", "verify", "-I", "owner", "-n", PROOF_NAMESPACE])
                    .arg("-f")
                    .arg(&signers)
                    .arg("-s")
                    .arg(&signature),
                challenge.as_bytes(),
            )?;
            output.status.success().then_some(()).ok_or_else(refused)
        }
        KeyKind::Gpg => {
            if !proof.starts_with("-----BEGIN PGP SIGNATURE-----") {
                return Err(invalid(
                    "paste the armored signature gpg printed (-----BEGIN PGP SIGNATURE-----…)",
                ));
            }
            let home = GnupgHome::new()?;
            run(home.gpg().arg("--import"), key.text.as_bytes())?;
            let signature = home.dir.path().join("proof.asc");
            std::fs::write(&signature, proof).map_err(io)?;
            let output = run(
                home.gpg()
                    .args(["--status-fd", "1", "--verify"])
                    .arg(&signature)
                    .arg("-"),
                challenge.as_bytes(),
            )?;
            // VALIDSIG <signing key> … <primary key>: the last field names the primary.
            let status = String::from_utf8_lossy(&output.stdout);
            let by_key = status.lines().any(|line| {
                line.strip_prefix("[GNUPG:] VALIDSIG ")
                    .and_then(|rest| rest.split_whitespace().last())
                    .is_some_and(|primary| primary.eq_ignore_ascii_case(&key.fingerprint))
            });
            (output.status.success() && by_key)
                .then_some(())
                .ok_or_else(refused)
        }
    }
}

/// A GnuPG home of Hangar's own, removed on drop: never the user's keyring, never an agent
/// or a key server.
pub struct GnupgHome {
    pub dir: tempfile::TempDir,
}

impl GnupgHome {
    pub fn new() -> Result<Self, KeyError> {
        let dir = scratch()?;
        std::fs::write(
            dir.path().join("gpg.conf"),
            "no-autostart\nno-auto-key-retrieve\nno-greeting\nbatch\nno-tty\n",
        )
        .map_err(io)?;
        Ok(Self { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn gpg(&self) -> Command {
        let mut command = Command::new("gpg");
        command
            .arg("--homedir")
            .arg(self.dir.path())
            .args(["--batch", "--no-tty", "--quiet"])
            .env("GNUPGHOME", self.dir.path());
        command
    }
}

/// A private temporary folder (0700: GnuPG insists, and no one else needs to look).
pub fn scratch() -> Result<tempfile::TempDir, KeyError> {
    tempfile::Builder::new()
        .prefix("hangar-keys-")
        .tempdir()
        .map_err(io)
}

fn io(error: std::io::Error) -> KeyError {
    KeyError::Server(ServerError::Unexpected(format!(
        "cannot prepare a key check: {error}"
    )))
}

/// Runs a key tool with `input` on its standard input, killed past [`TOOL_TIMEOUT`].
pub fn run(command: &mut Command, input: &[u8]) -> Result<std::process::Output, KeyError> {
    let mut child = command
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            KeyError::Server(ServerError::Unexpected(format!(
                "cannot run {:?}: {e}",
                command.get_program()
            )))
        })?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    // Written from another thread: the tool answers while it reads.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let deadline = Instant::now() + TOOL_TIMEOUT;
    loop {
        match child.try_wait().map_err(io)? {
            Some(_) => break,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(invalid("checking the key took too long"));
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    let _ = writer.join();
    child.wait_with_output().map_err(io)
}

const KEY_COLUMNS: &str =
    "id, user_id, kind, fingerprint, public_key, label, created_ms, revoked_ms";

trait KeyRow {
    fn key(&self) -> Result<SigningKey, sqlx::Error>;
}

macro_rules! key_row {
    ($row:ty) => {
        impl KeyRow for $row {
            fn key(&self) -> Result<SigningKey, sqlx::Error> {
                let kind: String = self.try_get("kind")?;
                Ok(SigningKey {
                    id: self.try_get("id")?,
                    user_id: self.try_get("user_id")?,
                    kind: KeyKind::parse(&kind).ok_or_else(|| {
                        sqlx::Error::Decode(format!("unknown key kind {kind:?}").into())
                    })?,
                    fingerprint: self.try_get("fingerprint")?,
                    public_key: self.try_get("public_key")?,
                    label: self.try_get("label")?,
                    created_ms: self.try_get("created_ms")?,
                    revoked_ms: self.try_get("revoked_ms")?,
                })
            }
        }
    };
}
key_row!(sqlx::sqlite::SqliteRow);
key_row!(sqlx::postgres::PgRow);

/// Registers `key` (already proven) for `user_id`; returns its id. A key the same person
/// revoked comes back; a key someone else registered, ever, is refused.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add(
    db: &Db,
    user_id: i64,
    key: &PublicKey,
    label: &str,
    now_ms: i64,
) -> Result<i64, KeyError> {
    let label = label.trim();
    let label = if label.is_empty() {
        key.comment.as_str()
    } else {
        label
    };
    if label.chars().count() > 80 {
        return Err(invalid("a label has at most 80 characters"));
    }
    let sql = format!("SELECT {KEY_COLUMNS} FROM signing_keys WHERE fingerprint = $1");
    let existing = with_pool!(db, pool => {
        sqlx::query(&sql)
            .bind(&key.fingerprint)
            .fetch_optional(pool)
            .await?
            .as_ref()
            .map(KeyRow::key)
            .transpose()
    })?;
    match existing {
        Some(found) if found.user_id != user_id => Err(invalid(
            "this key is registered to another Hangar user; a key belongs to one person",
        )),
        Some(found) if found.revoked_ms.is_none() => {
            Err(invalid("you have registered this key already"))
        }
        Some(found) => {
            with_pool!(db, pool => {
                sqlx::query(
                    "UPDATE signing_keys SET revoked_ms = NULL, revoked_by = NULL, label = $2 \
                     WHERE id = $1",
                )
                .bind(found.id)
                .bind(label)
                .execute(pool)
                .await
                .map(|_| ())
            })?;
            Ok(found.id)
        }
        None => {
            let active: i64 = with_pool!(db, pool => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM signing_keys WHERE user_id = $1 AND revoked_ms IS NULL",
                )
                .bind(user_id)
                .fetch_one(pool)
                .await
            })?;
            if active >= MAX_KEYS_PER_USER {
                return Err(invalid(format!(
                    "you hold {MAX_KEYS_PER_USER} keys already; revoke one first"
                )));
            }
            let inserted = with_pool!(db, pool => {
                sqlx::query_scalar::<_, i64>(
                    "INSERT INTO signing_keys (user_id, kind, fingerprint, public_key, label, \
                     created_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(user_id)
                .bind(key.kind.as_str())
                .bind(&key.fingerprint)
                .bind(&key.text)
                .bind(label)
                .bind(now_ms)
                .fetch_one(pool)
                .await
            });
            match inserted {
                Ok(id) => Ok(id),
                // Registered by someone else a moment ago.
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(invalid(
                    "this key is registered to another Hangar user; a key belongs to one person",
                )),
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// Revokes key `id` of `user_id`; returns its fingerprint, or `None` if they hold no such
/// active key.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke(
    db: &Db,
    user_id: i64,
    id: i64,
    now_ms: i64,
) -> Result<Option<String>, ServerError> {
    query_result(with_pool!(db, pool => {
        sqlx::query_scalar(
            "UPDATE signing_keys SET revoked_ms = $3, revoked_by = $2 \
             WHERE id = $1 AND user_id = $2 AND revoked_ms IS NULL RETURNING fingerprint",
        )
        .bind(id)
        .bind(user_id)
        .bind(now_ms)
        .fetch_optional(pool)
        .await
    }))
}

/// A person's keys, newest first (revoked ones too).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn of_user(db: &Db, user_id: i64) -> Result<Vec<SigningKey>, ServerError> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM signing_keys WHERE user_id = $1 ORDER BY id DESC");
    query_result(with_pool!(db, pool => {
        sqlx::query(&sql)
            .bind(user_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(KeyRow::key)
            .collect()
    }))
}

/// Every key in force: what Hangar's keyring holds when it checks commits.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn active(db: &Db) -> Result<Vec<SigningKey>, ServerError> {
    let sql =
        format!("SELECT {KEY_COLUMNS} FROM signing_keys WHERE revoked_ms IS NULL ORDER BY id");
    query_result(with_pool!(db, pool => {
        sqlx::query(&sql)
            .fetch_all(pool)
            .await?
            .iter()
            .map(KeyRow::key)
            .collect()
    }))
}

/// Keys by id, revoked or not, with their owners' names.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn with_owners(
    db: &Db,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, (SigningKey, String)>, ServerError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    // Ids Hangar stored itself: numbers, written into the statement.
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let sql = format!(
        "SELECT k.id, k.user_id, k.kind, k.fingerprint, k.public_key, k.label, k.created_ms, \
         k.revoked_ms, u.display_name FROM signing_keys k JOIN users u ON u.id = k.user_id \
         WHERE k.id IN ({})",
        list.join(", ")
    );
    query_result(with_pool!(db, pool => {
        sqlx::query(&sql)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("id")?, (row.key()?, row.try_get("display_name")?))))
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SSH key pair made for the test, in `dir`.
    fn ssh_key(dir: &Path, name: &str) -> (String, std::path::PathBuf) {
        let private = dir.join(name);
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&private)
            .status()
            .unwrap();
        assert!(status.success());
        let public = std::fs::read_to_string(dir.join(format!("{name}.pub"))).unwrap();
        (public, private)
    }

    fn ssh_sign(private: &Path, text: &str) -> String {
        let output = run(
            Command::new("ssh-keygen")
                .args(["-Y", "sign", "-n", PROOF_NAMESPACE, "-f"])
                .arg(private),
            text.as_bytes(),
        )
        .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    }

    #[test]
    fn an_ssh_key_is_read_with_its_fingerprint_and_proven_by_a_signature() {
        let dir = tempfile::tempdir().unwrap();
        let (public, private) = ssh_key(dir.path(), "alice");
        let key = parse(&format!("  {public}\n")).unwrap();
        assert_eq!(key.kind, KeyKind::Ssh);
        assert!(key.fingerprint.starts_with("SHA256:"), "{key:?}");
        assert_eq!(key.comment, "alice");
        assert!(!key.text.contains("alice"), "stored without its comment");

        let text = challenge(7, "https://hangar.example.com");
        let proof = ssh_sign(&private, &text);
        assert!(check_proof(&key, &text, &proof).is_ok());
        // As a browser posts it from a form's text area.
        assert!(check_proof(&key, &text, &proof.replace('\n', "\r\n")).is_ok());
        // For another user (or another Hangar) the same signature proves nothing.
        let other = challenge(8, "https://hangar.example.com");
        assert!(matches!(
            check_proof(&key, &other, &proof),
            Err(KeyError::Invalid(_))
        ));
        // Nor does a signature by another key over the right text.
        let (_, mallory) = ssh_key(dir.path(), "mallory");
        assert!(matches!(
            check_proof(&key, &text, &ssh_sign(&mallory, &text)),
            Err(KeyError::Invalid(_))
        ));
        assert!(matches!(
            check_proof(&key, &text, "not a signature"),
            Err(KeyError::Invalid(_))
        ));
    }

    #[test]
    fn an_openpgp_key_is_read_by_its_primary_fingerprint_and_proven_by_a_signature() {
        if Command::new("gpg").arg("--version").output().is_err() {
            eprintln!("gpg is not installed: skipping the OpenPGP key test");
            return;
        }
        let home = tempfile::Builder::new()
            .prefix("gpg")
            .tempdir_in("/tmp")
            .unwrap();
        let gpg = |args: &[&str], input: &[u8]| {
            let output = run(
                Command::new("gpg")
                    .arg("--homedir")
                    .arg(home.path())
                    .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
                    .args(args),
                input,
            )
            .unwrap();
            assert!(output.status.success(), "gpg {args:?}: {output:?}");
            String::from_utf8(output.stdout).unwrap()
        };
        gpg(
            &[
                "--quick-gen-key",
                "Gus <gus@example.com>",
                "ed25519",
                "sign",
                "never",
            ],
            b"",
        );
        let armored = gpg(&["--armor", "--export", "gus@example.com"], b"");
        let key = parse(&armored).unwrap();
        assert_eq!(key.kind, KeyKind::Gpg);
        assert_eq!(key.fingerprint.len(), 40);
        assert_eq!(key.comment, "Gus <gus@example.com>");
        let text = challenge(3, "https://hangar.example.com");
        let proof = gpg(&["--armor", "--detach-sign"], text.as_bytes());
        assert!(check_proof(&key, &text, &proof).is_ok());
        assert!(matches!(
            check_proof(&key, &challenge(4, "https://hangar.example.com"), &proof),
            Err(KeyError::Invalid(_))
        ));
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(home.path())
            .args(["--kill", "gpg-agent"])
            .status();
    }

    #[test]
    fn what_is_not_a_public_key_is_refused_with_a_sentence() {
        // A private key pasted by mistake (built here so no key-shaped text is tracked).
        let private = format!(
            "-----BEGIN OPENSSH {0} KEY-----\nabc\n-----END OPENSSH {0} KEY-----",
            "PRIVATE"
        );
        for text in [
            "",
            "ssh-ed25519",
            "ssh-ed25519 !!!notbase64",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBROKEN",
            "ssh-ed25519-cert-v01@openssh.com AAAA",
            private.as_str(),
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnonsense\n-----END PGP PUBLIC KEY BLOCK-----",
        ] {
            assert!(
                matches!(parse(text), Err(KeyError::Invalid(_))),
                "{text:?} was accepted"
            );
        }
        assert!(matches!(
            parse(&"x".repeat(MAX_KEY_BYTES + 1)),
            Err(KeyError::Invalid(_))
        ));
    }

    #[test]
    fn the_challenge_names_the_user_and_the_hangar() {
        let text = challenge(42, "https://hangar.example.com");
        assert!(text.contains("user 42") && text.contains("https://hangar.example.com"));
        assert_ne!(text, challenge(43, "https://hangar.example.com"));
    }
}
