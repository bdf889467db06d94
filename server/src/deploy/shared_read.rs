//! What pages show of a team's git host: reading it (`git ls-remote` for what a ref target
//! holds, `git fetch` for the commits a deploy could take) is a call over the network, and
//! every visit to the team's home or deploys page shows it, so pages share reads:
//!
//! - one read at a time per team and kind, run as a task of its own: callers arriving
//!   meanwhile wait for it and share its answer (a failure too), so a crowd asks the git host
//!   once;
//! - an answer is kept for a while (`fresh`, from when the host answered); this replica's
//!   own change (a ref it moved) makes it stale at once ([`SharedRead::changed`]); a change
//!   by another replica or by hand shows once the answer from before it is that old;
//! - a caller waits at most `page_wait` ([`PAGE_WAIT`]), never `[git] timeout` (5 minutes by
//!   default): the page says the host has not answered yet, and the read goes on for the
//!   next page.
//!
//! Deploys never read through here: they read the targets and fetch themselves, every time.
//!
//! Written by hand: the rules (stale on this replica's own change, a bounded wait on a read
//! that goes on) are Hangar's, and tokio's task and futures' `Shared` do the rest.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

use super::blocking::blocking;
use super::error::DeployError;
use super::git::GitError;

/// How long a page waits for a read before it says the host has not answered.
pub const PAGE_WAIT: Duration = Duration::from_secs(5);

/// What a read gave, or why it failed.
pub type Answer<T> = Result<T, Arc<DeployError>>;

/// One team's shared reads of one kind.
pub struct SharedRead<T> {
    state: Arc<Mutex<State<T>>>,
    /// This replica's changes so far: an answer read before one is stale.
    changes: AtomicU64,
    /// Reads started so far (each one call to the git host).
    reads: AtomicU64,
    /// The git command read with, for the message when a page stops waiting.
    command: &'static str,
    fresh: Duration,
    page_wait: Duration,
}

struct State<T> {
    last: Option<Answered<T>>,
    /// The read under way.
    reading: Option<Reading<T>>,
}

struct Reading<T> {
    /// [`SharedRead::changes`] when it began.
    changes: u64,
    began: Instant,
    answer: Shared<BoxFuture<'static, Answer<T>>>,
}

struct Answered<T> {
    /// When the host answered (a read that takes longer than `fresh` is still shown).
    at: Instant,
    changes: u64,
    answer: Answer<T>,
}

impl<T: Clone + Send + Sync + 'static> SharedRead<T> {
    /// Reads made with git `command`, each kept `fresh`, waited for [`PAGE_WAIT`].
    pub fn new(command: &'static str, fresh: Duration) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                last: None,
                reading: None,
            })),
            changes: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            command,
            fresh,
            page_wait: PAGE_WAIT,
        }
    }

    /// The same, with pages waiting at most `page_wait`.
    pub fn waiting_at_most(mut self, page_wait: Duration) -> Self {
        self.page_wait = page_wait;
        self
    }

    /// The last answer while it is fresh; otherwise the answer of the read under way, or of
    /// a new one made with `read` (blocking work, run on the blocking pool).
    pub async fn get(
        &self,
        read: impl FnOnce() -> Result<T, DeployError> + Send + 'static,
    ) -> Answer<T> {
        let (answer, began) = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let changes = self.changes.load(Ordering::Acquire);
            if let Some(last) = &state.last
                && last.changes == changes
                && last.at.elapsed() < self.fresh
            {
                return last.answer.clone();
            }
            match &state.reading {
                Some(reading) if reading.changes == changes => {
                    (reading.answer.clone(), reading.began)
                }
                // None under way, or one that began before a change of ours.
                _ => {
                    let reading = self.start(changes, read);
                    let waiting = (reading.answer.clone(), reading.began);
                    state.reading = Some(reading);
                    waiting
                }
            }
        };
        // Every caller's wait ends `page_wait` after the read began: while a host hangs, the
        // callers after the first are told at once (the answer is still taken if it is there).
        let wait = self.page_wait.saturating_sub(began.elapsed());
        match tokio::time::timeout(wait, answer).await {
            Ok(answer) => answer,
            Err(_) => Err(Arc::new(DeployError::Git(GitError::NotYet {
                command: self.command.into(),
                waited: self.page_wait,
            }))),
        }
    }

    /// This replica is changing or has changed what is read: answers read before are stale.
    pub fn changed(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    /// Reads started so far.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// A read as a task of its own, so that no caller's timeout cancels it; it records its
    /// answer unless a read that began later has.
    fn start(
        &self,
        changes: u64,
        read: impl FnOnce() -> Result<T, DeployError> + Send + 'static,
    ) -> Reading<T> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let began = Instant::now();
        let state = self.state.clone();
        let task = tokio::spawn(async move {
            let answer = blocking(read).await.map_err(Arc::new);
            let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
            if matches!(&state.reading, Some(reading) if reading.changes == changes) {
                state.reading = None;
            }
            if state
                .last
                .as_ref()
                .is_none_or(|last| last.changes <= changes)
            {
                state.last = Some(Answered {
                    at: Instant::now(),
                    changes,
                    answer: answer.clone(),
                });
            }
            answer
        });
        let answer = async move {
            task.await
                .unwrap_or_else(|e| Err(Arc::new(DeployError::Internal(e.to_string()))))
        }
        .boxed()
        .shared();
        Reading {
            changes,
            began,
            answer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::commit::CommitId;
    use std::sync::atomic::AtomicUsize;

    type Refs = Vec<Option<CommitId>>;
    const FRESH: Duration = Duration::from_secs(5);

    fn refs() -> SharedRead<Refs> {
        SharedRead::new("ls-remote", FRESH)
    }

    fn commit(c: char) -> CommitId {
        CommitId::parse(&c.to_string().repeat(40)).unwrap()
    }

    /// A read that answers `c` after `takes`, counting its calls in `calls`.
    fn read_of(
        c: char,
        takes: Duration,
        calls: &Arc<AtomicUsize>,
    ) -> impl FnOnce() -> Result<Refs, DeployError> + Send + 'static {
        let calls = calls.clone();
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(takes);
            Ok(vec![Some(commit(c)), None])
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_during_a_read_share_it_and_the_answer_is_kept() {
        let shown = Arc::new(refs());
        let calls = Arc::new(AtomicUsize::new(0));
        let crowd = (0..16).map(|_| {
            let (shown, calls) = (shown.clone(), calls.clone());
            tokio::spawn(async move {
                shown
                    .get(read_of('a', Duration::from_millis(200), &calls))
                    .await
            })
        });
        for answer in futures_util::future::join_all(crowd).await {
            assert_eq!(answer.unwrap().unwrap(), [Some(commit('a')), None]);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Fresh: the next page does not read.
        let answer = shown.get(read_of('b', Duration::ZERO, &calls)).await;
        assert_eq!(answer.unwrap(), [Some(commit('a')), None]);
        assert_eq!((calls.load(Ordering::SeqCst), shown.reads()), (1, 1));
    }

    #[tokio::test]
    async fn a_move_of_ours_makes_the_answer_stale_and_an_old_one_fresh_for_nobody() {
        let shown = refs();
        let calls = Arc::new(AtomicUsize::new(0));
        shown
            .get(read_of('a', Duration::ZERO, &calls))
            .await
            .unwrap();
        shown.changed();
        let answer = shown.get(read_of('b', Duration::ZERO, &calls)).await;
        assert_eq!(answer.unwrap(), [Some(commit('b')), None]);
        // And once the bound has passed.
        shown.state.lock().unwrap().last.as_mut().unwrap().at -= FRESH;
        let answer = shown.get(read_of('c', Duration::ZERO, &calls)).await;
        assert_eq!(answer.unwrap(), [Some(commit('c')), None]);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_under_way_from_before_our_move_is_not_waited_for() {
        let shown = Arc::new(refs());
        let calls = Arc::new(AtomicUsize::new(0));
        let (began, has_begun) = tokio::sync::oneshot::channel();
        let slow_read = read_of('a', Duration::from_millis(300), &calls);
        let before = tokio::spawn({
            let shown = shown.clone();
            async move {
                shown
                    .get(move || {
                        began.send(()).unwrap();
                        slow_read()
                    })
                    .await
            }
        });
        has_begun.await.unwrap();
        shown.changed();
        let after = shown.get(read_of('b', Duration::ZERO, &calls)).await;
        assert_eq!(after.unwrap(), [Some(commit('b')), None]);
        // The older read ends later: its answer goes to whoever waited for it, and is not kept.
        assert_eq!(before.await.unwrap().unwrap(), [Some(commit('a')), None]);
        let kept = shown.get(read_of('c', Duration::ZERO, &calls)).await;
        assert_eq!(kept.unwrap(), [Some(commit('b')), None]);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failure_is_shared_and_a_slow_host_is_waited_for_a_bounded_time() {
        let shown = Arc::new(refs().waiting_at_most(Duration::from_secs(1)));
        let calls = Arc::new(AtomicUsize::new(0));
        let failing = {
            let calls = calls.clone();
            move || {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(DeployError::Invalid("the host said no".into()))
            }
        };
        let error = shown.get(failing).await.unwrap_err();
        assert_eq!(error.to_string(), "the host said no");
        let again = shown.get(read_of('a', Duration::ZERO, &calls)).await;
        assert_eq!(again.unwrap_err().to_string(), "the host said no");
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // A host that takes longer than a page waits: the page is told, the read goes on,
        // a page while it hangs is told at once, and a page after it has answered shows the
        // answer without reading again.
        let shown = refs().waiting_at_most(Duration::from_millis(100));
        let (release, released) = std::sync::mpsc::channel::<()>();
        let hanging = {
            let calls = calls.clone();
            move || {
                calls.fetch_add(1, Ordering::SeqCst);
                released.recv().unwrap();
                Ok(vec![Some(commit('d')), None])
            }
        };
        let slow = shown.get(hanging).await;
        let error = slow.unwrap_err();
        assert!(error.is_repository_or_target());
        assert!(
            error
                .to_string()
                .contains("has not answered git ls-remote within 100 ms"),
            "{error}"
        );
        let started = Instant::now();
        let waiting = shown.get(read_of('e', Duration::ZERO, &calls)).await;
        assert!(
            waiting.is_err(),
            "still under way: waited for, not read twice"
        );
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "told at once"
        );
        release.send(()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let answer = loop {
            match shown.get(read_of('f', Duration::ZERO, &calls)).await {
                Ok(answer) => break answer,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
                Err(error) => panic!("the read did not end: {error}"),
            }
        };
        assert_eq!(answer, [Some(commit('d')), None]);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
