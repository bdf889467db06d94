//! The `directory` target: each deployed commit is a complete folder `ROOT/<commit>`, and
//! `ROOT/current` is a symlink to one of them, replaced by a rename (as git-sync does).
//!
//! A reader of `ROOT/current` sees the old tree or the new one, never a mix: the new folder
//! is written under a temporary name, flushed to disk, renamed into place, and only then is
//! the symlink swapped — by renaming a new symlink over it, which is atomic. A crash (even
//! `kill -9` or power loss after the flush) at any point leaves `current` at the old commit
//! or the new one; leftovers of an interrupted export are removed by the next deploy.

use std::fs::File;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use super::commit::CommitId;
use super::export::{ExportError, export_tree};
use super::git::Repository;

/// Name of the symlink readers follow.
pub const CURRENT: &str = "current";
/// Prefix of every temporary name; anything carrying it is an interrupted deploy's leftover.
const INCOMING: &str = ".incoming-";

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a symlink to a deployed commit; Hangar will not replace it")]
    Foreign { path: PathBuf },
    #[error("the directory target holds {actual}, not {expected} as expected; nothing was changed")]
    Moved { expected: String, actual: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DirectoryError + '_ {
    move |source| DirectoryError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One `directory` target.
#[derive(Clone, Debug)]
pub struct DirectoryTarget {
    pub root: PathBuf,
    /// Deployed folders kept, the current one included.
    pub keep: usize,
}

impl DirectoryTarget {
    /// The commit `ROOT/current` points at, read from the file system.
    pub fn current(&self) -> Result<Option<CommitId>, DirectoryError> {
        let link = self.root.join(CURRENT);
        match std::fs::symlink_metadata(&link) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(DirectoryError::Io {
                    path: link,
                    source: e,
                });
            }
            Ok(meta) if !meta.file_type().is_symlink() => {
                return Err(DirectoryError::Foreign { path: link });
            }
            Ok(_) => {}
        }
        let target = std::fs::read_link(&link).map_err(io(&link))?;
        target
            .to_str()
            .and_then(|name| CommitId::parse(name).ok())
            .map(Some)
            .ok_or(DirectoryError::Foreign { path: link })
    }

    /// Writes `commit`'s `paths` to `ROOT/<commit>` (unless a complete copy is there from an
    /// earlier deploy) and flushes it to disk. Step one of a deploy; `current` is untouched.
    pub fn export(
        &self,
        repository: &Repository,
        commit: &CommitId,
        paths: &[String],
    ) -> Result<PathBuf, DirectoryError> {
        std::fs::create_dir_all(&self.root).map_err(io(&self.root))?;
        self.remove_leftovers()?;
        let folder = self.root.join(commit.as_str());
        if folder.is_dir() {
            // Only complete exports ever get this name (see below).
            return Ok(folder);
        }
        let incoming = self.root.join(format!(
            "{INCOMING}{}-{}",
            commit.as_str(),
            std::process::id()
        ));
        export_tree(repository, commit, paths, &incoming)?;
        sync_filesystem(&incoming)?;
        std::fs::rename(&incoming, &folder).map_err(io(&folder))?;
        sync_directory(&self.root)?;
        Ok(folder)
    }

    /// Points `current` at the exported `commit` if it still points at `expected`. Step two.
    pub fn swap(
        &self,
        expected: Option<&CommitId>,
        commit: &CommitId,
    ) -> Result<(), DirectoryError> {
        let actual = self.current()?;
        if actual.as_ref() != expected {
            return Err(DirectoryError::Moved {
                expected: describe(expected),
                actual: describe(actual.as_ref()),
            });
        }
        let folder = self.root.join(commit.as_str());
        if !folder.is_dir() {
            return Err(DirectoryError::Io {
                path: folder,
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "export it first"),
            });
        }
        let staged = self
            .root
            .join(format!("{INCOMING}{CURRENT}-{}", std::process::id()));
        let _ = std::fs::remove_file(&staged);
        symlink(commit.as_str(), &staged).map_err(io(&staged))?;
        let current = self.root.join(CURRENT);
        std::fs::rename(&staged, &current).map_err(io(&current))?;
        sync_directory(&self.root)
    }

    /// Removes deployed folders beyond the newest `keep` (never the current one).
    pub fn prune(&self) -> Result<Vec<String>, DirectoryError> {
        let current = self.current()?;
        let mut folders = Vec::new();
        for entry in std::fs::read_dir(&self.root).map_err(io(&self.root))? {
            let entry = entry.map_err(io(&self.root))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(commit) = CommitId::parse(&name) else {
                continue;
            };
            let meta = entry.metadata().map_err(io(&entry.path()))?;
            if meta.is_dir() {
                folders.push((meta.modified().ok(), commit));
            }
        }
        folders.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
        // The current folder, then the newest others up to `keep` in all.
        let mut others_kept = 0;
        let mut removed = Vec::new();
        for (_, commit) in folders {
            if Some(&commit) == current.as_ref() {
                continue;
            }
            if others_kept + 1 < self.keep {
                others_kept += 1;
                continue;
            }
            let path = self.root.join(commit.as_str());
            std::fs::remove_dir_all(&path).map_err(io(&path))?;
            removed.push(commit.to_string());
        }
        Ok(removed)
    }

    fn remove_leftovers(&self) -> Result<(), DirectoryError> {
        for entry in std::fs::read_dir(&self.root).map_err(io(&self.root))? {
            let entry = entry.map_err(io(&self.root))?;
            if entry.file_name().to_string_lossy().starts_with(INCOMING) {
                let path = entry.path();
                let removed = if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                removed.map_err(io(&path))?;
            }
        }
        Ok(())
    }
}

fn describe(commit: Option<&CommitId>) -> String {
    commit.map_or_else(|| "nothing".into(), |c| c.short().to_string())
}

/// Flushes every file just written on `path`'s file system in one call, instead of one
/// fsync per file (thousands for a large team folder).
fn sync_filesystem(path: &Path) -> Result<(), DirectoryError> {
    let dir = File::open(path).map_err(io(path))?;
    rustix::fs::syncfs(&dir).map_err(|e| DirectoryError::Io {
        path: path.to_path_buf(),
        source: e.into(),
    })
}

/// Makes a rename inside `dir` durable.
fn sync_directory(dir: &Path) -> Result<(), DirectoryError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

#[cfg(test)]
mod tests;
