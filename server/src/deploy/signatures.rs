//! Who signed a request's commits, by git's own signature check (the one `git verify-commit`
//! runs) against a keyring Hangar writes from the keys people registered
//! (`signing_keys.rs`): an OpenSSH allowed-signers file and a GnuPG home of its own where
//! every registered key is trusted and nothing else is.
//!
//! git runs hardened as everywhere in `git.rs`, and further without the machine's or the
//! user's git settings (which could name another keyring or another `gpg`), with the keyring
//! given on its command line. Each commit is classified from `git log --format=%G?`; those it
//! calls good are then confirmed by `git verify-commit` itself.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use super::commit::{CommitId, SignatureRecord, SignatureStatus};
use super::git::{GitError, Repository};
use crate::signing_keys::{GnupgHome, KeyKind, SigningKey};

/// The principal a registered key has in the allowed-signers file.
fn principal(key: &SigningKey) -> String {
    format!("hangar-key-{}", key.id)
}

/// The registered keys, written where git's check reads them; removed on drop.
pub struct Keyring {
    allowed_signers: PathBuf,
    gnupg: GnupgHome,
    /// Fingerprint (as git reports it) → registered key id.
    ids: HashMap<String, i64>,
}

impl Keyring {
    pub fn build(keys: &[SigningKey]) -> Result<Self, GitError> {
        let failed = |what: &str, detail: String| GitError::Failed {
            command: what.into(),
            message: detail,
        };
        let gnupg = GnupgHome::new().map_err(|e| failed("keyring", e.to_string()))?;
        let allowed_signers = gnupg.path().join("allowed_signers");
        let mut signers = String::new();
        let mut armored = String::new();
        let mut trust = String::new();
        let mut ids = HashMap::new();
        for key in keys {
            ids.insert(key.fingerprint.to_ascii_uppercase(), key.id);
            match key.kind {
                KeyKind::Ssh => signers.push_str(&format!(
                    "{} namespaces=\"git\" {}\n",
                    principal(key),
                    key.public_key
                )),
                KeyKind::Gpg => {
                    armored.push_str(&key.public_key);
                    armored.push('\n');
                    // Ultimate: a registered key is trusted for exactly this and nothing else
                    // is in this home.
                    trust.push_str(&format!("{}:6:\n", key.fingerprint));
                }
            }
        }
        std::fs::write(&allowed_signers, signers).map_err(|e| failed("keyring", e.to_string()))?;
        if !armored.is_empty() {
            for (args, input) in [
                (vec!["--import"], armored),
                (vec!["--import-ownertrust"], trust),
            ] {
                let output = crate::signing_keys::run(
                    Command::new("gpg")
                        .arg("--homedir")
                        .arg(gnupg.path())
                        .args(["--batch", "--no-tty", "--quiet"])
                        .args(args)
                        .env("GNUPGHOME", gnupg.path()),
                    input.as_bytes(),
                )
                .map_err(|e| failed("gpg", e.to_string()))?;
                if !output.status.success() {
                    return Err(failed(
                        "gpg",
                        String::from_utf8_lossy(&output.stderr)
                            .lines()
                            .take(3)
                            .collect::<Vec<_>>()
                            .join(" / "),
                    ));
                }
            }
        }
        Ok(Self {
            allowed_signers,
            gnupg,
            ids,
        })
    }

    /// git, hardened, reading signatures with this keyring and nothing else.
    fn git(&self, repository: &Repository) -> Command {
        let mut command = repository.command();
        command
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GNUPGHOME", self.gnupg.path())
            .arg("-c")
            .arg(format!(
                "gpg.ssh.allowedSignersFile={}",
                self.allowed_signers.display()
            ))
            .args([
                "-c",
                "gpg.program=gpg",
                "-c",
                "gpg.ssh.program=ssh-keygen",
                "-c",
                "log.showSignature=false",
            ]);
        command
    }
}

/// Checks the signatures of `commits` (in order) against `keyring`.
pub fn check(
    repository: &Repository,
    keyring: &Keyring,
    commits: &[CommitId],
) -> Result<Vec<SignatureRecord>, GitError> {
    if commits.is_empty() {
        return Ok(Vec::new());
    }
    let mut log = keyring.git(repository);
    log.args([
        "log",
        "--no-walk=unsorted",
        "-z",
        "--format=%H%x1f%G?%x1f%GF%x1f%GP%x1f%GK",
        "--stdin",
    ]);
    let list: String = commits.iter().map(|c| format!("{c}\n")).collect();
    let output = super::git::run_with_input(&mut log, list.as_bytes(), "log")?;
    let mut by_commit: HashMap<String, SignatureRecord> = HashMap::new();
    for record in output.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let text = String::from_utf8_lossy(record);
        let fields: Vec<&str> = text.trim_start_matches('\n').split('\u{1f}').collect();
        let [id, code, fingerprint, primary, key_id] = fields[..] else {
            return Err(GitError::Parse {
                command: "log".into(),
                detail: text.chars().take(200).collect(),
            });
        };
        by_commit.insert(
            id.to_string(),
            classify(code, fingerprint, primary, key_id, &keyring.ids),
        );
    }
    let mut records: Vec<SignatureRecord> = commits
        .iter()
        .map(|commit| {
            by_commit
                .remove(commit.as_str())
                .unwrap_or_else(|| SignatureRecord::bad(None))
        })
        .collect();
    // What the log calls good, `git verify-commit` confirms; anything it does not is bad.
    let good: Vec<&CommitId> = commits
        .iter()
        .zip(&records)
        .filter(|(_, r)| r.status == SignatureStatus::Good)
        .map(|(c, _)| c)
        .collect();
    if !good.is_empty() && !verify_all(repository, keyring, &good)? {
        for (commit, record) in commits.iter().zip(records.iter_mut()) {
            if record.status == SignatureStatus::Good
                && !verify_all(repository, keyring, &[commit])?
            {
                *record = SignatureRecord::bad(record.fingerprint.clone());
            }
        }
    }
    Ok(records)
}

/// Whether `git verify-commit` accepts every one of `commits`.
fn verify_all(
    repository: &Repository,
    keyring: &Keyring,
    commits: &[&CommitId],
) -> Result<bool, GitError> {
    let mut verify = keyring.git(repository);
    verify
        .arg("verify-commit")
        .args(commits.iter().map(|c| c.as_str()));
    let output = verify
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(GitError::Spawn)?;
    Ok(output.success())
}

/// git's verdict (`%G?`) with the key it names, as Hangar records it.
fn classify(
    code: &str,
    fingerprint: &str,
    primary: &str,
    key_id: &str,
    registered: &HashMap<String, i64>,
) -> SignatureRecord {
    // OpenPGP keys are registered by their primary key; SSH keys have only the one.
    let named = [primary, fingerprint, key_id]
        .into_iter()
        .find(|f| !f.is_empty())
        .map(str::to_string);
    let registered_as = [primary, fingerprint]
        .into_iter()
        .filter(|f| !f.is_empty())
        .find_map(|f| registered.get(&f.to_ascii_uppercase()).copied());
    match (code, registered_as) {
        ("G", Some(id)) => SignatureRecord {
            status: SignatureStatus::Good,
            fingerprint: named,
            key_id: Some(id),
        },
        ("N", _) => SignatureRecord {
            status: SignatureStatus::Unsigned,
            fingerprint: None,
            key_id: None,
        },
        // A valid signature by a key outside the keyring (SSH: no principal; OpenPGP: no
        // public key).
        ("U" | "E", _) if named.is_some() => SignatureRecord {
            status: SignatureStatus::UnknownKey,
            fingerprint: named,
            key_id: None,
        },
        // Bad, expired, by an expired or revoked key, or uncheckable.
        _ => SignatureRecord::bad(named),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::testing::{Repos, Signing};

    /// An SSH key made for the test, registered (as Hangar would store it) under `id`.
    fn ssh_key(dir: &std::path::Path, name: &str, id: i64) -> (SigningKey, PathBuf) {
        let private = dir.join(name);
        assert!(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
                .arg(&private)
                .status()
                .unwrap()
                .success()
        );
        let public = std::fs::read_to_string(dir.join(format!("{name}.pub"))).unwrap();
        let key = crate::signing_keys::parse(&public).unwrap();
        let registered = SigningKey {
            id,
            user_id: id,
            kind: key.kind,
            fingerprint: key.fingerprint,
            public_key: key.text,
            label: name.into(),
            created_ms: 0,
            revoked_ms: None,
        };
        (registered, private)
    }

    #[test]
    fn git_tells_good_unknown_unsigned_and_forged_signatures_apart() {
        let repos = Repos::new();
        let (alice, alice_private) = ssh_key(repos.dir.path(), "alice", 7);
        let (_, stranger_private) = ssh_key(repos.dir.path(), "stranger", 8);
        let signed = |file: &str, private: &PathBuf| {
            repos.origin.write(file, "x\n");
            repos.origin.commit_with(
                "Anyone",
                "anyone@example.com",
                file,
                &Signing::Ssh {
                    private_key: private.clone(),
                },
            )
        };
        let good = signed("a", &alice_private);
        let unknown = signed("b", &stranger_private);
        repos.origin.write("c", "x\n");
        let unsigned = repos.commit("c");
        // A copy of alice's commit with another message: her signature no longer fits.
        let object = repos.origin.git(&["cat-file", "commit", good.as_str()]);
        let forged_text = object.replace("\na\n", "\nforged\n");
        std::fs::write(repos.dir.path().join("forged"), forged_text).unwrap();
        let forged = CommitId::parse(
            repos
                .origin
                .git(&["hash-object", "-t", "commit", "-w", "../forged"])
                .trim(),
        )
        .unwrap();
        repos
            .origin
            .git(&["update-ref", "refs/heads/forged", forged.as_str()]);
        repos.fetch();

        let keyring = Keyring::build(std::slice::from_ref(&alice)).unwrap();
        let records = check(
            &repos.cache,
            &keyring,
            &[good.clone(), unknown, unsigned, forged],
        )
        .unwrap();
        let statuses: Vec<SignatureStatus> = records.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            [
                SignatureStatus::Good,
                SignatureStatus::UnknownKey,
                SignatureStatus::Unsigned,
                SignatureStatus::Bad
            ]
        );
        assert_eq!(records[0].key_id, Some(7));
        assert_eq!(
            records[0].fingerprint.as_deref(),
            Some(alice.fingerprint.as_str())
        );
        assert!(
            records[1]
                .fingerprint
                .as_deref()
                .is_some_and(|f| f.starts_with("SHA256:"))
        );
        // With nobody registered, alice's key is as unknown as any.
        let empty = Keyring::build(&[]).unwrap();
        let records = check(&repos.cache, &empty, &[good]).unwrap();
        assert_eq!(records[0].status, SignatureStatus::UnknownKey);
    }

    #[test]
    fn git_verdicts_become_records() {
        let registered = HashMap::from([("SHA256:AAA".to_string(), 7)]);
        let good = classify("G", "SHA256:aaa", "", "", &registered);
        assert_eq!((good.status, good.key_id), (SignatureStatus::Good, Some(7)));
        // Good by git, but not a key Hangar registered: not good here.
        assert_eq!(
            classify("G", "SHA256:zzz", "", "", &registered).status,
            SignatureStatus::Bad
        );
        assert_eq!(
            classify("N", "", "", "", &registered).status,
            SignatureStatus::Unsigned
        );
        let unknown = classify("U", "SHA256:bbb", "", "", &registered);
        assert_eq!(unknown.status, SignatureStatus::UnknownKey);
        assert_eq!(unknown.fingerprint.as_deref(), Some("SHA256:bbb"));
        // OpenPGP without the public key: git names only the key id.
        let missing = classify("E", "", "", "205A9FCCF6433F6C", &registered);
        assert_eq!(missing.status, SignatureStatus::UnknownKey);
        assert_eq!(missing.fingerprint.as_deref(), Some("205A9FCCF6433F6C"));
        for code in ["B", "X", "Y", "R", "E", "?"] {
            assert_eq!(
                classify(code, "", "", "", &registered).status,
                SignatureStatus::Bad,
                "{code}"
            );
        }
    }
}
