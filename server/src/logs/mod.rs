//! Task logs: read from Airflow a page at a time, never whole per view, and shown to a team
//! with other teams' names masked.
//!
//! - A finished try's log is read once into the spool (`spool.rs`) and paged, searched and
//!   filtered from there; Airflow 3.3 offers no ranges for a finished log, so this is the one
//!   read per try (per replica, while kept), bounded by `[task_logs] max_lines`.
//! - A try that is still running is read from its start up to the lines the page needs, and
//!   followed live (`follow`) with Airflow's continuation token, which returns only what the
//!   try logged since the last read.
//! - The download streams the whole log, from the spool when it holds all of it, else from
//!   Airflow, line by line.
//!
//! Callers have checked that the team may see the task instance (the read model knows it);
//! Airflow is called with the team's credentials where configured.

pub mod lines;
pub mod mask;
pub mod read_ahead;
pub mod spool;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use hangar_app::models::{LOG_PAGE_LINES, LogFilter, LogLine, states};

use self::lines::StoredLine;
use self::mask::{Masker, Masks};
use self::spool::{AttemptKey, End, Spool};
use crate::airflow::{AirflowClient, AirflowError, Environments, TaskAttempt};
use crate::config::{Config, TaskLogsConfig};
use crate::db::Db;
use crate::error::ServerError;

/// How long a page waits for the spool to reach its lines (the request answers within
/// `http::REQUEST_TIMEOUT`); then it shows what came and says Airflow is still sending.
const PAGE_WAIT: Duration = Duration::from_secs(15);
/// How often a live view asks Airflow for new lines.
const FOLLOW_EVERY: Duration = Duration::from_secs(2);
/// A live view ends after this long (the page reconnects if it is still open).
const FOLLOW_FOR: Duration = Duration::from_secs(2 * 3600);
/// The most one poll of a live view reads (what a try logged in two seconds, or its whole
/// log so far on the first poll).
const FOLLOW_MAX_BYTES: usize = 8 * 1024 * 1024;

pub struct TaskLogs {
    config: TaskLogsConfig,
    airflow: Arc<Environments>,
    spool: Spool,
    masks: Masks,
    follows: Arc<tokio::sync::Semaphore>,
}

/// One try of a task instance the caller found visible to `team`, with what the read model
/// says of the instance now.
#[derive(Clone, Debug)]
pub struct TryOf {
    pub team: String,
    pub key: AttemptKey,
    /// The instance's state and current try.
    pub state: String,
    pub current_try: i64,
}

impl TryOf {
    /// Whether this try's log may still grow (its instance runs, or is about to).
    pub fn growing(&self) -> bool {
        self.key.try_number >= self.current_try
            && !states::is_final(&self.state)
            && self.state != "up_for_retry"
    }

    fn attempt(&self) -> TaskAttempt<'_> {
        TaskAttempt {
            dag_id: &self.key.dag_id,
            run_id: &self.key.run_id,
            task_id: &self.key.task_id,
            map_index: self.key.map_index,
            try_number: self.key.try_number,
        }
    }
}

/// A page of a log as a team sees it.
pub struct LogView {
    pub lines: Vec<LogLine>,
    pub page: u32,
    pub total: Option<u64>,
    pub capped: bool,
    pub growing: bool,
    pub first_error: Option<u64>,
    pub open_group: Option<String>,
    pub notice: Option<String>,
    pub reading: bool,
}

/// What a live view sends.
pub enum FollowEvent {
    /// New lines, numbered on from the ones the page had.
    Lines(Vec<LogLine>),
    /// The try ended: its log is complete.
    End,
    /// Too many live views are open; the page shows what it has.
    Busy,
    Failed(String),
}

impl TaskLogs {
    pub fn new(config: &Config, db: Db, airflow: Arc<Environments>) -> std::io::Result<Self> {
        let logs = &config.task_logs;
        let (dir, own_dir) = match &logs.spool_dir {
            Some(dir) => (dir.clone(), false),
            None => (
                std::env::temp_dir().join(format!(
                    "hangar-task-logs-{}",
                    uuid::Uuid::new_v4().simple()
                )),
                true,
            ),
        };
        Ok(Self {
            config: logs.clone(),
            airflow,
            spool: Spool::new(&dir, own_dir, logs.spool_max_bytes, logs.max_lines)?,
            masks: Masks::new(db, &config.airflow),
            follows: Arc::new(tokio::sync::Semaphore::new(logs.max_follows)),
        })
    }

    fn client(&self, of: &TryOf) -> Result<Arc<AirflowClient>, AirflowError> {
        self.airflow
            .for_team(&of.key.environment, &of.team)
            .ok_or_else(|| AirflowError::NotFound {
                env: of.key.environment.clone(),
            })
    }

    /// Reads a finished try's log into the spool ahead of its first view (`read_ahead.rs`),
    /// with `team`'s credentials (empty: the environment's own), and waits until it is read.
    /// True when the spool now holds it (whole, or up to `max_lines`); false when it held it
    /// already, the environment is unknown, or Airflow's read failed.
    pub async fn read_ahead(&self, team: String, key: AttemptKey) -> bool {
        if self.spool.kept(&key).is_some() {
            return false;
        }
        let of = TryOf {
            team,
            current_try: key.try_number,
            key,
            state: "success".into(),
        };
        let Ok(client) = self.client(&of) else {
            return false;
        };
        let timeout = self.config.read_timeout;
        let owned = of.clone();
        let entry = self.spool.entry(&of.key, move || async move {
            client.task_log_lines(&owned.attempt(), timeout).await
        });
        let progress = entry.wait_for(u64::MAX, timeout).await;
        matches!(progress.end, Some(End::Complete | End::Capped))
    }

    /// The try's log as the spool holds it: lines so far and whether the read ended (tests,
    /// benchmarks).
    pub fn spooled(&self, key: &AttemptKey) -> Option<spool::Progress> {
        self.spool.kept(key).map(|entry| entry.progress())
    }

    pub async fn mask(&self, of: &TryOf) -> Result<Arc<Masker>, ServerError> {
        self.masks.for_team(&of.key.environment, &of.team).await
    }

    /// Page `page` of the try's log (of its lines passing `filter`, with one).
    pub async fn page(
        &self,
        of: &TryOf,
        page: u32,
        filter: &LogFilter,
    ) -> Result<LogView, ServerError> {
        let mask = self.mask(of).await?;
        if of.growing() {
            return Ok(self.live_page(of, page, filter, &mask).await);
        }
        let client = match self.client(of) {
            Ok(client) => client,
            Err(error) => return Ok(failed(page, error)),
        };
        let timeout = self.config.read_timeout;
        let owned = of.clone();
        let entry = self.spool.entry(&of.key, move || async move {
            client.task_log_lines(&owned.attempt(), timeout).await
        });
        let needed = if filter.is_empty() {
            (u64::from(page) + 1) * LOG_PAGE_LINES as u64
        } else {
            // A filter reads every line.
            u64::MAX
        };
        let progress = entry.wait_for(needed, PAGE_WAIT).await;
        if let Some(End::Failed(error)) = &progress.end {
            return Ok(failed(page, error.clone()));
        }
        let read = entry
            .page(page, progress.lines, filter, mask.clone())
            .await
            .map_err(|e| ServerError::Unexpected(format!("reading a kept log: {e}")))?;
        let reading = progress.end.is_none();
        let shown_page = if read.lines.is_empty() && page > 0 && !reading {
            // A page past the end shows the last one.
            let last = read.total.saturating_sub(1) / LOG_PAGE_LINES as u64;
            return Box::pin(self.page(of, last as u32, filter)).await;
        } else {
            page
        };
        Ok(LogView {
            lines: read.lines,
            page: shown_page,
            total: (!reading).then_some(read.total),
            capped: progress.end == Some(End::Capped),
            growing: false,
            first_error: entry.first_error(),
            open_group: read.open_group,
            notice: reading.then(|| {
                format!(
                    "Airflow is still sending this log ({} lines so far): large logs take it a while.",
                    progress.lines
                )
            }),
            reading,
        })
    }

    /// A running try's page: its log read from the start up to the page (every line, up to
    /// `max_lines`, with a filter), never kept.
    async fn live_page(&self, of: &TryOf, page: u32, filter: &LogFilter, mask: &Masker) -> LogView {
        let size = LOG_PAGE_LINES as u64;
        let limit = if filter.is_empty() {
            (u64::from(page) + 1) * size
        } else {
            self.config.max_lines
        }
        .min(self.config.max_lines);
        let mut lines = match self.client(of) {
            Ok(client) => match client
                .task_log_lines(&of.attempt(), self.config.read_timeout)
                .await
            {
                Ok(lines) => lines,
                Err(error) => return failed(page, error),
            },
            Err(error) => return failed(page, error),
        };
        let matcher = filter.matcher();
        let (mut read, mut matches, mut first_error) = (0u64, 0u64, None);
        let (mut shown, mut open_group, mut group_at_page) = (Vec::new(), None::<String>, None);
        let skip = u64::from(page) * size;
        let ended = loop {
            if read >= limit {
                break false;
            }
            let event = match lines.next_event().await {
                Ok(Some(event)) => event,
                Ok(None) => break true,
                Err(error) => return failed(page, error),
            };
            let line = StoredLine::from_event(event);
            read += 1;
            if line.is_error() {
                first_error.get_or_insert(read);
            }
            let visible = line.shown(read, mask);
            if filter.is_empty() {
                if read == skip + 1 {
                    group_at_page = open_group.clone();
                }
                if read > skip {
                    shown.push(visible);
                }
            } else if matcher.passes(&visible) {
                if matches >= skip && matches < skip + size {
                    shown.push(visible);
                }
                matches += 1;
            }
            match line.group_marker() {
                Some(Some(title)) => open_group = Some(title.to_string()),
                Some(None) => open_group = None,
                None => {}
            }
        };
        LogView {
            lines: shown,
            page,
            total: ended.then_some(if filter.is_empty() { read } else { matches }),
            capped: !ended && read >= self.config.max_lines,
            growing: true,
            first_error,
            open_group: group_at_page,
            notice: None,
            reading: false,
        }
    }

    /// The whole log as text (timestamp, level, text; tracebacks indented), masked for the
    /// team, streamed line by line: from the spool when it holds the whole log, else from
    /// Airflow. An error before the first line is the caller's to answer; one later ends the
    /// text with a line saying so.
    pub async fn download(
        &self,
        of: &TryOf,
    ) -> Result<impl Stream<Item = Result<Bytes, std::io::Error>> + Send + use<>, LogError> {
        let mask = self.mask(of).await?;
        enum Source {
            Spool(Box<dyn Iterator<Item = std::io::Result<StoredLine>> + Send>),
            Airflow(Box<crate::airflow::LogLines>),
        }
        let kept = self.spool.kept(&of.key);
        let source = match kept {
            Some(entry) if entry.progress().end == Some(End::Complete) => {
                Source::Spool(Box::new(entry.reader().map_err(|e| {
                    ServerError::Unexpected(format!("reading a kept log: {e}"))
                })?))
            }
            _ => Source::Airflow(Box::new(
                self.client(of)?
                    .task_log_lines(&of.attempt(), self.config.read_timeout)
                    .await?,
            )),
        };
        Ok(
            futures_util::stream::unfold((Some(source), mask), |(source, mask)| async move {
                let mut source = source?;
                // About 64 KB a chunk: lines are small, and a chunk per line would be slow.
                let mut chunk = String::new();
                while chunk.len() < 64 * 1024 {
                    let next = match &mut source {
                        Source::Spool(lines) => match lines.next() {
                            Some(Ok(line)) => Some(line),
                            Some(Err(error)) => {
                                chunk.push_str(&format!(
                                    "-- the log could not be read on: {error}\n"
                                ));
                                None
                            }
                            None => None,
                        },
                        Source::Airflow(lines) => match lines.next_event().await {
                            Ok(Some(event)) => Some(StoredLine::from_event(event)),
                            Ok(None) => None,
                            Err(error) => {
                                chunk.push_str(&format!(
                                    "-- the log could not be read on: {error}\n"
                                ));
                                None
                            }
                        },
                    };
                    match next {
                        Some(line) => chunk.push_str(&line.as_text(&mask)),
                        None => {
                            return (!chunk.is_empty())
                                .then(|| (Ok(Bytes::from(chunk)), (None, mask)));
                        }
                    }
                }
                Some((Ok(Bytes::from(chunk)), (Some(source), mask)))
            })
            // An encoder (the compression layer) polls once more after the end; an unfold
            // panics when polled after it ended, which reset every compressed download.
            .fuse(),
        )
    }

    /// A running try's new lines as they come, after the first `from` (what the page
    /// shows), masked for the team; ends when the try does.
    pub async fn follow(
        &self,
        of: TryOf,
        from: u64,
    ) -> Result<impl Stream<Item = FollowEvent> + Send + use<>, LogError> {
        let mask = self.mask(&of).await?;
        let client = self.client(&of)?;
        let permit = self.follows.clone().try_acquire_owned().ok();
        struct State {
            of: TryOf,
            client: Arc<AirflowClient>,
            mask: Arc<Masker>,
            token: Option<String>,
            seen: u64,
            from: u64,
            started: tokio::time::Instant,
            first: bool,
            done: bool,
            /// The try ended with the lines just sent: the end follows them.
            end_next: bool,
            permit: Option<tokio::sync::OwnedSemaphorePermit>,
        }
        let state = State {
            of,
            client,
            mask,
            token: None,
            seen: 0,
            from,
            started: tokio::time::Instant::now(),
            first: true,
            done: false,
            end_next: false,
            permit,
        };
        Ok(futures_util::stream::unfold(state, |mut state| async move {
            if state.done {
                return None;
            }
            if state.end_next {
                state.done = true;
                return Some((FollowEvent::End, state));
            }
            if state.permit.is_none() {
                state.done = true;
                return Some((FollowEvent::Busy, state));
            }
            loop {
                if !state.first {
                    tokio::time::sleep(FOLLOW_EVERY).await;
                }
                state.first = false;
                if state.started.elapsed() > FOLLOW_FOR {
                    return None;
                }
                let part = state
                    .client
                    .task_log_after(
                        &state.of.attempt(),
                        state.token.as_deref(),
                        FOLLOW_MAX_BYTES,
                    )
                    .await;
                let part = match part {
                    Ok(part) => part,
                    Err(error) => {
                        state.done = true;
                        return Some((FollowEvent::Failed(error.to_string()), state));
                    }
                };
                let mut lines = Vec::new();
                for event in part.content {
                    state.seen += 1;
                    if state.seen > state.from {
                        lines.push(StoredLine::from_event(event).shown(state.seen, &state.mask));
                    }
                }
                // Without a token, Airflow says the try's log is complete.
                let ended = part.continuation_token.is_none();
                state.token = part.continuation_token;
                if ended {
                    if lines.is_empty() {
                        state.done = true;
                        return Some((FollowEvent::End, state));
                    }
                    state.end_next = true;
                    return Some((FollowEvent::Lines(lines), state));
                }
                if !lines.is_empty() {
                    return Some((FollowEvent::Lines(lines), state));
                }
            }
        })
        .fuse())
    }
}

/// Why a download or live view could not start.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(transparent)]
    Airflow(#[from] AirflowError),
    #[error(transparent)]
    Server(#[from] ServerError),
}

/// A page that could not be read from Airflow: the page still answers, and says why.
fn failed(page: u32, error: AirflowError) -> LogView {
    let notice = match error {
        AirflowError::NotFound { .. } => "Airflow has no log for this try.".to_string(),
        other => format!("The log could not be read from Airflow: {other}"),
    };
    LogView {
        lines: Vec::new(),
        page,
        total: None,
        capped: false,
        growing: false,
        first_error: None,
        open_group: None,
        notice: Some(notice),
        reading: false,
    }
}
