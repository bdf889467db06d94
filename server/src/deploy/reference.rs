//! The `ref` target: a branch in the DAG repository that Airflow's `GitDagBundle`
//! (`tracking_ref`) or git-sync (`--ref`) follows. Promotion is a fast-forward, done as a
//! compare-and-swap by the repository itself: if anyone else moved the ref since Hangar read
//! it, the deploy fails and nothing is overwritten.

use super::commit::CommitId;
use super::git::{GitError, PushOutcome, Repository, push_compare_and_swap, remote_ref};

#[derive(Debug, thiserror::Error)]
pub enum RefError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{reference} holds {actual}, not {expected} as expected; nothing was changed")]
    Moved { reference: String, expected: String, actual: String },
    #[error("{new} does not descend from {current}: the ref only moves forward")]
    NotFastForward { current: String, new: String },
}

#[derive(Clone, Debug)]
pub struct RefTarget {
    /// The DAG repository (path or URL).
    pub remote: String,
    /// A full ref name, such as `refs/heads/deploy/team_a`.
    pub reference: String,
}

impl RefTarget {
    /// The commit the ref holds, read from the repository itself.
    pub fn current(&self) -> Result<Option<CommitId>, GitError> {
        remote_ref(&self.remote, &self.reference)
    }

    /// Moves the ref from `expected` to `new`. `cache` must hold both commits.
    pub fn promote(
        &self,
        cache: &Repository,
        expected: Option<&CommitId>,
        new: &CommitId,
    ) -> Result<(), RefError> {
        if let Some(current) = expected
            && !cache.is_ancestor(current, new)?
        {
            return Err(RefError::NotFastForward {
                current: current.short().into(),
                new: new.short().into(),
            });
        }
        match push_compare_and_swap(cache, &self.remote, &self.reference, expected, new)? {
            PushOutcome::Moved => Ok(()),
            PushOutcome::Conflict => Err(RefError::Moved {
                reference: self.reference.clone(),
                expected: expected.map_or_else(|| "nothing".into(), |c| c.short().into()),
                actual: self
                    .current()?
                    .map_or_else(|| "nothing".into(), |c| c.short().into()),
            }),
        }
    }
}
