//! What pages show of a team's ref targets. Reading one is `git ls-remote`, a call to the
//! git host, and every visit to the team's home shows it, so pages share reads:
//!
//! - one read at a time per team, run as a task of its own: callers arriving meanwhile wait
//!   for it and share its answer (a failure too), so a crowd asks the git host once;
//! - an answer is kept for [`FRESH`]; this replica's move of a ref makes it stale at once
//!   ([`ShownRefs::moved`]), a move by another replica or by hand shows within that bound;
//! - a caller waits at most [`PAGE_WAIT`], never `[git] timeout` (5 minutes by default): the
//!   page says the host has not answered yet, and the read goes on for the next page.
//!
//! Deploys never read through here: they read the targets themselves, every time.
//!
//! Written by hand: the rules (stale on this replica's own move, a bounded wait on a read
//! that goes on) are Hangar's, and tokio's task and futures' `Shared` do the rest.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

use super::blocking::blocking;
use super::commit::CommitId;
use super::error::DeployError;
use super::git::GitError;

/// How long an answer is shown before the next page reads again.
pub const FRESH: Duration = Duration::from_secs(5);
/// How long a page waits for a read before it says the host has not answered.
pub const PAGE_WAIT: Duration = Duration::from_secs(5);

/// The ref targets' commits, in target order (`None` where a target is not a ref), or why
/// they could not be read.
pub type RefsAnswer = Result<Vec<Option<CommitId>>, Arc<DeployError>>;

/// One team's shared reads.
pub struct ShownRefs {
    state: Arc<Mutex<State>>,
    /// This replica's moves of the team's refs so far: an answer read before one is stale.
    moves: AtomicU64,
    /// Reads started so far (each one call to the git host).
    reads: AtomicU64,
    page_wait: Duration,
}

#[derive(Default)]
struct State {
    last: Option<Answered>,
    /// The read under way, with [`ShownRefs::moves`] when it began.
    reading: Option<(u64, Shared<BoxFuture<'static, RefsAnswer>>)>,
}

struct Answered {
    at: Instant,
    moves: u64,
    answer: RefsAnswer,
}

impl Default for ShownRefs {
    fn default() -> Self {
        Self::waiting_at_most(PAGE_WAIT)
    }
}

impl ShownRefs {
    pub fn waiting_at_most(page_wait: Duration) -> Self {
        Self {
            state: Arc::default(),
            moves: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            page_wait,
        }
    }

    /// The last answer while it is fresh; otherwise the answer of the read under way, or of
    /// a new one made with `read` (blocking work, run on the blocking pool).
    pub async fn get(
        &self,
        read: impl FnOnce() -> Result<Vec<Option<CommitId>>, DeployError> + Send + 'static,
    ) -> RefsAnswer {
        let reading = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let moves = self.moves.load(Ordering::Acquire);
            if let Some(last) = &state.last
                && last.moves == moves
                && last.at.elapsed() < FRESH
            {
                return last.answer.clone();
            }
            match &state.reading {
                Some((began_at, reading)) if *began_at == moves => reading.clone(),
                // None under way, or one that began before a move of ours.
                _ => {
                    let reading = self.start(moves, read);
                    state.reading = Some((moves, reading.clone()));
                    reading
                }
            }
        };
        match tokio::time::timeout(self.page_wait, reading).await {
            Ok(answer) => answer,
            Err(_) => Err(Arc::new(DeployError::Git(GitError::NotYet {
                command: "ls-remote".into(),
                waited: self.page_wait,
            }))),
        }
    }

    /// This replica is moving or has moved one of the refs: answers read before are stale.
    pub fn moved(&self) {
        self.moves.fetch_add(1, Ordering::AcqRel);
    }

    /// Reads started so far.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// A read as a task of its own, so that no caller's timeout cancels it; it records its
    /// answer unless a read that began later has.
    fn start(
        &self,
        moves: u64,
        read: impl FnOnce() -> Result<Vec<Option<CommitId>>, DeployError> + Send + 'static,
    ) -> Shared<BoxFuture<'static, RefsAnswer>> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let state = self.state.clone();
        let task = tokio::spawn(async move {
            let answer = blocking(read).await.map_err(Arc::new);
            let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
            if matches!(&state.reading, Some((began_at, _)) if *began_at == moves) {
                state.reading = None;
            }
            if state.last.as_ref().is_none_or(|last| last.moves <= moves) {
                state.last = Some(Answered {
                    at: Instant::now(),
                    moves,
                    answer: answer.clone(),
                });
            }
            answer
        });
        async move {
            task.await
                .unwrap_or_else(|e| Err(Arc::new(DeployError::Internal(e.to_string()))))
        }
        .boxed()
        .shared()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn commit(c: char) -> CommitId {
        CommitId::parse(&c.to_string().repeat(40)).unwrap()
    }

    /// A read that answers `c` after `takes`, counting its calls in `calls`.
    fn read_of(
        c: char,
        takes: Duration,
        calls: &Arc<AtomicUsize>,
    ) -> impl FnOnce() -> Result<Vec<Option<CommitId>>, DeployError> + Send + 'static {
        let calls = calls.clone();
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(takes);
            Ok(vec![Some(commit(c)), None])
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_during_a_read_share_it_and_the_answer_is_kept() {
        let shown = Arc::new(ShownRefs::default());
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
        let shown = ShownRefs::default();
        let calls = Arc::new(AtomicUsize::new(0));
        shown.get(read_of('a', Duration::ZERO, &calls)).await.unwrap();
        shown.moved();
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
        let shown = Arc::new(ShownRefs::default());
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
        shown.moved();
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
        let shown = Arc::new(ShownRefs::waiting_at_most(Duration::from_millis(100)));
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
        // and a page after it has answered shows the answer without reading again.
        shown.moved();
        let started = Instant::now();
        let slow = shown
            .get(read_of('d', Duration::from_millis(1500), &calls))
            .await;
        assert!(started.elapsed() < Duration::from_millis(1200));
        let error = slow.unwrap_err();
        assert!(error.is_repository_or_target());
        assert!(error.to_string().contains("has not answered git ls-remote within 1 s"), "{error}");
        let waiting = shown.get(read_of('e', Duration::ZERO, &calls)).await;
        assert!(waiting.is_err(), "still under way: waited for, not read twice");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let answer = shown.get(read_of('f', Duration::ZERO, &calls)).await;
        assert_eq!(answer.unwrap(), [Some(commit('d')), None]);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
