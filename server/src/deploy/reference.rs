//! The `ref` target: a branch in the DAG repository that Airflow's `GitDagBundle`
//! (`tracking_ref`) or git-sync (`--ref`) follows. Promotion is a fast-forward, done as a
//! compare-and-swap by the repository itself: if anyone else moved the ref since Hangar read
//! it, the deploy fails and nothing is overwritten.

use super::commit::CommitId;
use super::git::{GitError, Network, PushOutcome, Repository, push_compare_and_swap, remote_ref};

#[derive(Debug, thiserror::Error)]
pub enum RefError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{reference} holds {actual}, not {expected} as expected; nothing was changed")]
    Moved {
        reference: String,
        expected: String,
        actual: String,
    },
    #[error("{new} does not descend from {current}: the ref only moves forward")]
    NotFastForward { current: String, new: String },
}

#[derive(Clone, Debug)]
pub struct RefTarget {
    /// The DAG repository (path or URL).
    pub remote: String,
    /// A full ref name, such as `refs/heads/deploy/team_a`.
    pub reference: String,
    /// How the repository is reached (timeout, CA bundle).
    pub network: Network,
}

impl RefTarget {
    /// The commit the ref holds, read from the repository itself.
    pub fn current(&self) -> Result<Option<CommitId>, GitError> {
        remote_ref(&self.remote, &self.reference, &self.network)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::testing::Repos;

    #[test]
    fn the_ref_only_moves_forward_and_only_from_what_was_read() {
        let repos = Repos::new();
        let origin = &repos.origin;
        origin.write("team_a/etl.py", "v1\n");
        let v1 = origin.commit("alice", "alice@example.com", "v1");
        origin.write("team_a/etl.py", "v2\n");
        let v2 = origin.commit("alice", "alice@example.com", "v2");
        origin.write("team_a/etl.py", "v3\n");
        let v3 = origin.commit("alice", "alice@example.com", "v3");
        // A commit that is not a descendant of v2: a rewritten branch.
        origin.git(&["checkout", "--quiet", "-b", "other", v1.as_str()]);
        origin.write("team_a/etl.py", "v2'\n");
        let sideways = origin.commit("mallory", "mallory@example.com", "rewritten");
        repos.fetch();
        let cache = &repos.cache;
        let target = RefTarget {
            remote: origin.url(),
            reference: "refs/heads/deploy/team_a".into(),
            network: Network::default(),
        };

        target.promote(cache, None, &v1).unwrap();
        target.promote(cache, Some(&v1), &v2).unwrap();
        assert_eq!(target.current().unwrap(), Some(v2.clone()));
        let refused = target.promote(cache, Some(&v2), &sideways).unwrap_err();
        assert!(
            matches!(refused, RefError::NotFastForward { .. }),
            "{refused}"
        );
        // Hangar read v1, someone else moved the ref to v2 meanwhile: v3 is not pushed over it.
        let refused = target.promote(cache, Some(&v1), &v3).unwrap_err();
        assert!(
            matches!(&refused, RefError::Moved { actual, .. } if actual == v2.short()),
            "{refused}"
        );
        assert_eq!(target.current().unwrap(), Some(v2.clone()));
        // Promoting what the ref already holds changes nothing and succeeds: that is how a
        // deploy interrupted after its push is finished on restart.
        target.promote(cache, Some(&v1), &v2).unwrap();
        assert_eq!(target.current().unwrap(), Some(v2));
    }
}
