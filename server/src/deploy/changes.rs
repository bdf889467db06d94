//! What a request changes, as the approval screen shows it: the changed files inside the
//! team's paths (and, when a ref target receives the whole commit, every other file after
//! them, marked outside) and, a page at a time, their diffs parsed into numbered lines.
//! Bounded: a file's diff is read up to [`FILE_DIFF_LIMIT`] and a page's diffs up to
//! [`PAGE_DIFF_LIMIT`] in all; past either, git is stopped and the screen shows the file's
//! line counts instead.

use hangar_app::models::deploys::{
    DIFF_FILES_PER_PAGE, DiffBody, DiffLine, FileDiff, FileRow, LineKind,
};

use super::commit::CommitId;
use super::error::DeployError;
use super::git::{ChangeKind, FileChange};
use super::team::TeamDeploy;

/// A file's diff larger than this is collapsed with its line counts instead of shown.
pub const FILE_DIFF_LIMIT: usize = 256 * 1024;
/// One page of the approval screen reads at most this much diff in all (the page then weighs
/// a few MiB with its markup).
pub const PAGE_DIFF_LIMIT: usize = 1024 * 1024;

/// The changed files and one page of their diffs.
pub struct Changes {
    pub files: Vec<FileRow>,
    pub diffs: Vec<FileDiff>,
    pub page: usize,
    pub pages: usize,
}

/// Reads the changes of `deployed..candidate` from the team's cache (fetching first if the
/// cache does not hold the candidate, as after a move to a new machine).
pub fn read(
    team: &TeamDeploy,
    deployed: Option<&CommitId>,
    candidate: &CommitId,
    page: usize,
) -> Result<Changes, DeployError> {
    if !team.cache.exists() || team.cache.resolve(candidate.as_str())?.is_none() {
        team.fetch()?;
    }
    let mut changes = team
        .cache
        .changed_files(deployed, candidate, team.review_scope())?;
    // The team's own files first, then those beyond its paths (stable: each part by path).
    changes.sort_by_key(|change| !team.inside_paths(&change.path));
    let pages = changes.len().div_ceil(DIFF_FILES_PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let mut left = PAGE_DIFF_LIMIT;
    let diffs = changes
        .iter()
        .skip((page - 1) * DIFF_FILES_PER_PAGE)
        .take(DIFF_FILES_PER_PAGE)
        .map(|change| {
            let limit = FILE_DIFF_LIMIT.min(left);
            let body = if change.binary {
                DiffBody::Binary
            } else {
                match team.cache.file_diff(deployed, candidate, change, limit)? {
                    Some(text) => {
                        left -= text.len();
                        DiffBody::Lines(parse_unified(&text))
                    }
                    // Larger than a file may be: shown by its line counts.
                    None if limit == FILE_DIFF_LIMIT => DiffBody::TooLarge {
                        bytes: FILE_DIFF_LIMIT,
                    },
                    // The page's budget is spent: this one is left out, counts shown.
                    None => DiffBody::PageFull {
                        bytes: PAGE_DIFF_LIMIT,
                    },
                }
            };
            Ok(FileDiff {
                path: change.path.clone(),
                body,
            })
        })
        .collect::<Result<Vec<_>, DeployError>>()?;
    Ok(Changes {
        files: changes
            .iter()
            .map(|change| FileRow {
                outside: !team.inside_paths(&change.path),
                ..file_row(change)
            })
            .collect(),
        diffs,
        page,
        pages,
    })
}

pub fn file_row(change: &FileChange) -> FileRow {
    let (kind, from) = match &change.kind {
        ChangeKind::Added => ("added", None),
        ChangeKind::Modified => ("modified", None),
        ChangeKind::Deleted => ("deleted", None),
        ChangeKind::Renamed { from } => ("renamed", Some(from.clone())),
        ChangeKind::TypeChanged => ("type changed", None),
    };
    FileRow {
        path: change.path.clone(),
        kind: kind.to_string(),
        from,
        binary: change.binary,
        added: change.added_lines,
        removed: change.removed_lines,
        outside: false,
    }
}

/// Parses `git diff` output for one file into lines numbered on both sides; the headers
/// before the first hunk are dropped (the screen shows the path and kind itself).
pub fn parse_unified(text: &str) -> Vec<DiffLine> {
    let mut lines = Vec::new();
    let (mut old, mut new) = (0u32, 0u32);
    let mut in_hunk = false;
    for line in text.lines() {
        if let Some((o, n)) = line.strip_prefix("@@ ").and_then(hunk_starts) {
            (old, new) = (o, n);
            in_hunk = true;
            lines.push(DiffLine {
                kind: LineKind::Hunk,
                old: None,
                new: None,
                text: line.to_string(),
            });
            continue;
        }
        if !in_hunk {
            continue;
        }
        let (kind, old_no, new_no) = match line.chars().next() {
            Some('+') => {
                new += 1;
                (LineKind::Added, None, Some(new))
            }
            Some('-') => {
                old += 1;
                (LineKind::Removed, Some(old), None)
            }
            Some(' ') | None => {
                old += 1;
                new += 1;
                (LineKind::Context, Some(old), Some(new))
            }
            // "\ No newline at end of file" and the like.
            _ => (LineKind::Context, None, None),
        };
        lines.push(DiffLine {
            kind,
            old: old_no,
            new: new_no,
            text: line.get(1..).unwrap_or("").to_string(),
        });
    }
    lines
}

/// From "-12,7 +12,9 @@ …": the line before the first of each side.
fn hunk_starts(header: &str) -> Option<(u32, u32)> {
    let mut parts = header.split(' ');
    let old = parts.next()?.strip_prefix('-')?;
    let new = parts.next()?.strip_prefix('+')?;
    let start = |range: &str| -> Option<u32> {
        let first: u32 = range.split(',').next()?.parse().ok()?;
        Some(first.saturating_sub(1))
    };
    Some((start(old)?, start(new)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_on_both_sides() {
        let diff = "diff --git a/x.py b/x.py\nindex 1..2 100644\n--- a/x.py\n+++ b/x.py\n\
                    @@ -2,3 +2,4 @@ def f():\n a\n-b\n+c\n+d\n e\n\\ No newline at end of file\n";
        let lines = parse_unified(diff);
        let view: Vec<(LineKind, Option<u32>, Option<u32>, &str)> = lines
            .iter()
            .map(|l| (l.kind, l.old, l.new, l.text.as_str()))
            .collect();
        assert_eq!(
            view,
            vec![
                (LineKind::Hunk, None, None, "@@ -2,3 +2,4 @@ def f():"),
                (LineKind::Context, Some(2), Some(2), "a"),
                (LineKind::Removed, Some(3), None, "b"),
                (LineKind::Added, None, Some(3), "c"),
                (LineKind::Added, None, Some(4), "d"),
                (LineKind::Context, Some(4), Some(5), "e"),
                (LineKind::Context, None, None, " No newline at end of file"),
            ]
        );
    }

    #[test]
    fn a_new_file_counts_from_one_and_headers_are_not_lines() {
        let diff = "diff --git a/n b/n\nnew file mode 100644\n--- /dev/null\n+++ b/n\n@@ -0,0 +1,2 @@\n+x\n+y\n";
        let lines = parse_unified(diff);
        assert_eq!(lines.len(), 3);
        assert_eq!((lines[1].new, lines[2].new), (Some(1), Some(2)));
        assert!(lines.iter().all(|l| !l.text.starts_with("++")));
    }
}
