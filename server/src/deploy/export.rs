//! Writing a commit's files into a directory, treating the repository as hostile.
//!
//! Git trees can be crafted: a path may hold `..`, a `.git` component, or a symlink that
//! points outside; a mode may ask for setuid. Every path is checked before anything is
//! written, files get exactly 0644 or 0755, and symlinks are created last, so that no write
//! ever goes through one.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use super::commit::CommitId;
use super::git::{GitError, Repository, TreeEntry};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Git(#[from] GitError),
    /// The commit holds something that may not be deployed. Shown to the team as is.
    #[error("{path:?} cannot be deployed: {reason}")]
    Refused { path: String, reason: String },
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What a checked tree entry becomes.
#[derive(Debug, PartialEq, Eq)]
enum Item {
    File { executable: bool },
    Symlink,
}

/// Writes the files of `commit` under `paths` into `into` (which must not exist), keeping
/// their repository-relative layout. Returns how many entries were written.
pub fn export_tree(
    repository: &Repository,
    commit: &CommitId,
    paths: &[String],
    into: &Path,
) -> Result<usize, ExportError> {
    let entries = repository.tree(commit, paths)?;
    let items = entries
        .iter()
        .map(|entry| check_entry(entry).map(|item| (entry, item)))
        .collect::<Result<Vec<_>, _>>()?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExportError::Io { path, source }
    };

    // Symlink targets are read and checked before anything is written.
    let links: Vec<&TreeEntry> = items
        .iter()
        .filter(|(_, i)| *i == Item::Symlink)
        .map(|(e, _)| *e)
        .collect();
    let symlinks: HashSet<&str> = links.iter().map(|e| e.path.as_str()).collect();
    let mut link_targets = Vec::with_capacity(links.len());
    let mut refusal = None;
    let objects: Vec<&str> = links.iter().map(|e| e.object.as_str()).collect();
    repository
        .read_blobs(&objects, |index, content| {
            let path = &links[index].path;
            let checked = std::str::from_utf8(content)
                .map_err(|_| "symlink target is not UTF-8".to_string())
                .and_then(|target| {
                    check_symlink(path, target, &symlinks).map(|()| target.to_string())
                });
            match checked {
                Ok(target) => {
                    link_targets.push(target);
                    Ok(())
                }
                Err(reason) => {
                    refusal = Some(ExportError::Refused {
                        path: path.clone(),
                        reason,
                    });
                    Err(std::io::Error::other("refused"))
                }
            }
        })
        .map_err(|e| refusal.take().unwrap_or(ExportError::Git(e)))?;

    std::fs::create_dir(into).map_err(io(into))?;
    // Regular files, through directories this function creates itself.
    let files: Vec<&(&TreeEntry, Item)> =
        items.iter().filter(|(_, i)| *i != Item::Symlink).collect();
    let objects: Vec<&str> = files.iter().map(|(e, _)| e.object.as_str()).collect();
    let mut write_error = None;
    repository
        .read_blobs(&objects, |index, content| {
            let (entry, item) = files[index];
            let target = into.join(&entry.path);
            let mode = if *item == (Item::File { executable: true }) {
                0o755
            } else {
                0o644
            };
            let written = target
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| {
                    // create_new: a crafted tree naming one path twice cannot overwrite.
                    OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(mode)
                        .open(&target)
                })
                // Exactly this mode, whatever the process umask: Airflow may run as
                // another user and must read what is deployed.
                .and_then(|mut file| {
                    file.set_permissions(std::fs::Permissions::from_mode(mode))?;
                    file.write_all(content)
                });
            written.map_err(|source| {
                write_error = Some(ExportError::Io {
                    path: target,
                    source,
                });
                std::io::Error::other("stopped")
            })
        })
        .map_err(|e| write_error.take().unwrap_or(ExportError::Git(e)))?;

    // Symlinks last, so that no write above went through one.
    for (entry, target) in links.iter().zip(&link_targets) {
        let at = into.join(&entry.path);
        at.parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::os::unix::fs::symlink(target, &at))
            .map_err(io(&at))?;
    }
    Ok(items.len())
}

fn check_entry(entry: &TreeEntry) -> Result<Item, ExportError> {
    let refuse = |reason: &str| ExportError::Refused {
        path: entry.path.clone(),
        reason: reason.into(),
    };
    check_path(&entry.path).map_err(|reason| refuse(&reason))?;
    match (entry.kind.as_str(), entry.mode.as_str()) {
        ("blob", "100644") => Ok(Item::File { executable: false }),
        ("blob", "100755") => Ok(Item::File { executable: true }),
        ("blob", "120000") => Ok(Item::Symlink),
        ("commit", _) => Err(refuse("submodules are not deployed")),
        (_, mode) => Err(refuse(&format!(
            "file mode {mode} is not a plain file or symlink"
        ))),
    }
}

/// A repository path must be relative, plain and outside `.git`.
fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() || path.starts_with('/') {
        return Err("not a relative path".into());
    }
    for part in path.split('/') {
        match part {
            "" | "." | ".." => return Err(format!("path component {part:?} is not allowed")),
            _ if part.eq_ignore_ascii_case(".git") => {
                return Err("nothing under .git is deployed".into());
            }
            _ if part.contains('\0') => return Err("NUL in path".into()),
            _ => {}
        }
    }
    Ok(())
}

/// A symlink at `path` pointing to `target` must stay inside the export: relative, never
/// climbing above the export's root, and never passing through another symlink on the way
/// (the kernel would follow it, so the lexical walk below would no longer be the truth).
fn check_symlink(path: &str, target: &str, symlinks: &HashSet<&str>) -> Result<(), String> {
    if target.is_empty() || Path::new(target).is_absolute() {
        return Err(format!("symlink to an absolute or empty path ({target:?})"));
    }
    let mut at: Vec<&str> = path.split('/').collect();
    at.pop();
    let components: Vec<Component> = Path::new(target).components().collect();
    for (index, component) in components.iter().enumerate() {
        match component {
            Component::ParentDir => {
                at.pop().ok_or_else(|| {
                    format!("symlink points outside the deployed files ({target})")
                })?;
            }
            Component::Normal(part) => {
                let part = part.to_str().ok_or("symlink target is not UTF-8")?;
                if part.eq_ignore_ascii_case(".git") {
                    return Err("symlink into .git".into());
                }
                at.push(part);
            }
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("symlink to an absolute path ({target})"));
            }
        }
        let last = index + 1 == components.len();
        if !last && symlinks.contains(at.join("/").as_str()) {
            return Err(format!("symlink through another symlink ({target})"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
