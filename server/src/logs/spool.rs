//! The logs of finished tries, read from Airflow once and kept on disk for paging.
//!
//! Airflow 3.3 has no ranges for a finished try's log: each request reads the whole log (and
//! Airflow reads it through before it sends a byte). So the first view of a finished try
//! streams Airflow's NDJSON into a file here, line by line, noting where each page of
//! [`LOG_PAGE_LINES`] starts; every later page, search or download reads the file. Memory
//! holds one line and the page marks (a few bytes per 500 lines) whatever a log's size.
//!
//! Bounded: a log is read up to `max_lines` (the rest is in the download, which streams from
//! Airflow) and the whole spool up to `max_total` bytes, the least recently read logs going
//! first; a log unread for an hour goes too. Viewers of one try share one read (the first
//! starts it, the others wait for the lines they need). A read that fails leaves nothing
//! behind: the next view tries again. The directory is emptied at start-up.
//!
//! A search (or level filter) is one pass over the file, masked as the team reads it; where
//! its matches start is kept with the log ([`KEPT_SEARCHES`] per log, up to
//! [`MAX_KEPT_MATCHES`] each), so paging through the results reads the page's lines only.

use std::collections::HashMap;
use std::io::{BufRead, Seek};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hangar_app::models::{LOG_PAGE_LINES, LogFilter, LogLine};
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

use super::lines::StoredLine;
use super::mask::Masker;
use crate::airflow::{AirflowError, LogLines};

/// Names one try of one task instance in one environment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AttemptKey {
    pub environment: String,
    pub dag_id: String,
    pub run_id: String,
    pub task_id: String,
    pub map_index: i64,
    pub try_number: i64,
}

/// How far a log's read has come.
#[derive(Clone, Debug)]
pub struct Progress {
    pub lines: u64,
    pub end: Option<End>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum End {
    /// The whole log is here.
    Complete,
    /// The log is longer than the viewer reads; the rest is in the download.
    Capped,
    Failed(AirflowError),
}

/// Where a page starts in the file, and the `::group::` section open there.
#[derive(Clone, Debug)]
struct PageMark {
    offset: u64,
    open_group: Option<String>,
}

/// One try's log on disk.
pub struct Entry {
    path: PathBuf,
    progress: watch::Sender<Progress>,
    marks: Mutex<Vec<PageMark>>,
    first_error: Mutex<Option<u64>>,
    last_used: Mutex<Instant>,
    bytes: AtomicU64,
    searches: Mutex<Vec<KeptSearch>>,
}

/// Searches kept per log (the newest; a viewer pages through one or two at a time).
const KEPT_SEARCHES: usize = 4;
/// Matches a kept search holds at most (16 bytes each); a search matching more is read
/// again for each page.
const MAX_KEPT_MATCHES: usize = 100_000;

/// Where one search's matches start, for the lines written when it ran, as one team reads
/// the log: the masker is part of the key (another team's view, or a mask rebuilt since,
/// searches again).
struct KeptSearch {
    filter: LogFilter,
    mask: Arc<Masker>,
    written: u64,
    /// Each match's line number (1-based) and byte offset in the file.
    matches: Arc<[(u64, u64)]>,
}

/// A log unread this long is removed.
const UNUSED_FOR: Duration = Duration::from_secs(3600);

struct Inner {
    dir: PathBuf,
    /// A directory of this spool's own (the default), removed with it.
    own_dir: bool,
    max_total: u64,
    max_lines: u64,
    max_log_bytes: u64,
    entries: Mutex<HashMap<AttemptKey, Arc<Entry>>>,
    next_file: AtomicU64,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if self.own_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

#[derive(Clone)]
pub struct Spool(Arc<Inner>);

impl Spool {
    /// A spool in `dir` (created, or emptied of what an earlier run left); `own_dir`: the
    /// directory is this spool's alone and goes with it.
    pub fn new(dir: &Path, own_dir: bool, max_total: u64, max_lines: u64) -> std::io::Result<Self> {
        if dir.exists() {
            for file in std::fs::read_dir(dir)? {
                let path = file?.path();
                if path.extension().is_some_and(|e| e == "ndjson") {
                    std::fs::remove_file(path)?;
                }
            }
        } else {
            std::fs::create_dir_all(dir)?;
        }
        // Logs are the teams' own: nobody else on the machine reads them.
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(Self(Arc::new(Inner {
            dir: dir.to_path_buf(),
            own_dir,
            max_total,
            max_lines,
            max_log_bytes: (max_total / 2).max(1),
            entries: Mutex::default(),
            next_file: AtomicU64::new(0),
        })))
    }

    /// The try's log: kept already, or being read, or read from now on from what `open`
    /// returns (called only when nobody is reading it yet).
    pub fn entry<F, Fut>(&self, key: &AttemptKey, open: F) -> Arc<Entry>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<LogLines, AirflowError>> + Send + 'static,
    {
        let mut entries = self.0.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = entries.get(key) {
            *entry.last_used.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
            return entry.clone();
        }
        let number = self.0.next_file.fetch_add(1, Ordering::Relaxed);
        let entry = Arc::new(Entry {
            path: self.0.dir.join(format!("{number}.ndjson")),
            progress: watch::channel(Progress {
                lines: 0,
                end: None,
            })
            .0,
            marks: Mutex::default(),
            first_error: Mutex::default(),
            last_used: Mutex::new(Instant::now()),
            bytes: AtomicU64::new(0),
            searches: Mutex::default(),
        });
        entries.insert(key.clone(), entry.clone());
        drop(entries);
        let spool = self.clone();
        let (key, filling) = (key.clone(), entry.clone());
        let opening = open();
        tokio::spawn(async move {
            let end = match opening.await {
                Ok(lines) => spool.fill(&filling, lines).await,
                Err(error) => End::Failed(error),
            };
            let lines = filling.progress.borrow().lines;
            if let End::Failed(error) = &end {
                tracing::warn!(%error, dag = %key.dag_id, task = %key.task_id, "a task log could not be read");
                spool.remove(&key, &filling);
            }
            filling.progress.send_replace(Progress {
                lines,
                end: Some(end),
            });
            spool.evict();
        });
        entry
    }

    /// The try's log if the spool holds it (or is reading it).
    pub fn kept(&self, key: &AttemptKey) -> Option<Arc<Entry>> {
        self.0
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    /// Reads `lines` into the entry's file, publishing progress every page.
    async fn fill(&self, entry: &Entry, mut lines: LogLines) -> End {
        let file = match tokio::fs::File::create(&entry.path).await {
            Ok(file) => file,
            Err(error) => {
                return End::Failed(AirflowError::Invalid {
                    env: String::new(),
                    reason: format!("cannot keep the log on disk: {error}"),
                });
            }
        };
        let mut out = tokio::io::BufWriter::new(file);
        let (mut count, mut offset) = (0u64, 0u64);
        let mut open_group: Option<String> = None;
        let end = loop {
            if count >= self.0.max_lines || offset >= self.0.max_log_bytes {
                break End::Capped;
            }
            let event = match lines.next_event().await {
                Ok(Some(event)) => event,
                Ok(None) => break End::Complete,
                Err(error) => break End::Failed(error),
            };
            let line = StoredLine::from_event(event);
            if count % LOG_PAGE_LINES as u64 == 0 {
                self.mark(entry, offset, open_group.clone());
            }
            if line.is_error() {
                let mut first = entry.first_error.lock().unwrap_or_else(|e| e.into_inner());
                first.get_or_insert(count + 1);
            }
            match line.group_marker() {
                Some(Some(title)) => open_group = Some(title.to_string()),
                Some(None) => open_group = None,
                None => {}
            }
            let mut json = serde_json::to_vec(&line).unwrap_or_default();
            json.push(b'\n');
            if let Err(error) = out.write_all(&json).await {
                break End::Failed(AirflowError::Invalid {
                    env: String::new(),
                    reason: format!("cannot keep the log on disk: {error}"),
                });
            }
            count += 1;
            offset += json.len() as u64;
            if count % LOG_PAGE_LINES as u64 == 0 {
                if out.flush().await.is_err() {
                    break End::Capped;
                }
                entry.bytes.store(offset, Ordering::Relaxed);
                entry.progress.send_replace(Progress {
                    lines: count,
                    end: None,
                });
            }
        };
        let _ = out.flush().await;
        entry.bytes.store(offset, Ordering::Relaxed);
        entry.progress.send_replace(Progress {
            lines: count,
            end: None,
        });
        end
    }

    fn mark(&self, entry: &Entry, offset: u64, open_group: Option<String>) {
        entry
            .marks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(PageMark { offset, open_group });
    }

    fn remove(&self, key: &AttemptKey, entry: &Arc<Entry>) {
        let mut entries = self.0.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries
            .get(key)
            .is_some_and(|kept| Arc::ptr_eq(kept, entry))
        {
            entries.remove(key);
        }
        drop(entries);
        // A reader holding the file open still reads it; the name goes now.
        let _ = std::fs::remove_file(&entry.path);
    }

    /// Drops logs unread for [`UNUSED_FOR`], then the least recently read ones while the
    /// spool holds more than its maximum. Logs still being read stay.
    fn evict(&self) {
        let mut entries = self.0.entries.lock().unwrap_or_else(|e| e.into_inner());
        let used = |entry: &Entry| *entry.last_used.lock().unwrap_or_else(|e| e.into_inner());
        let done = |entry: &Entry| entry.progress.borrow().end.is_some();
        let mut gone: Vec<(AttemptKey, Arc<Entry>)> = entries
            .iter()
            .filter(|(_, e)| done(e) && used(e).elapsed() > UNUSED_FOR)
            .map(|(k, e)| (k.clone(), e.clone()))
            .collect();
        let mut total: u64 = entries
            .values()
            .map(|e| e.bytes.load(Ordering::Relaxed))
            .sum();
        for (key, _) in &gone {
            if let Some(entry) = entries.remove(key) {
                total -= entry.bytes.load(Ordering::Relaxed);
            }
        }
        if total > self.0.max_total {
            let mut by_age: Vec<(AttemptKey, Arc<Entry>)> = entries
                .iter()
                .filter(|(_, e)| done(e))
                .map(|(k, e)| (k.clone(), e.clone()))
                .collect();
            by_age.sort_by_key(|(_, e)| used(e));
            for (key, entry) in by_age {
                if total <= self.0.max_total {
                    break;
                }
                total -= entry.bytes.load(Ordering::Relaxed);
                entries.remove(&key);
                gone.push((key, entry));
            }
        }
        drop(entries);
        for (_, entry) in gone {
            let _ = std::fs::remove_file(&entry.path);
        }
    }

    /// Logs kept and the bytes they take (for tests and the benchmark).
    pub fn usage(&self) -> (usize, u64) {
        let entries = self.0.entries.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = entries
            .values()
            .map(|e| e.bytes.load(Ordering::Relaxed))
            .sum();
        (entries.len(), bytes)
    }
}

/// One page of a log, as read from the spool and shown to one team.
pub struct SpoolPage {
    pub lines: Vec<LogLine>,
    pub open_group: Option<String>,
    /// Matching lines, with a filter (every line read so far without one).
    pub total: u64,
}

impl Entry {
    /// Waits until `lines` lines are written or the read ended, at most `wait`; then how
    /// far it came.
    pub async fn wait_for(&self, lines: u64, wait: Duration) -> Progress {
        let mut progress = self.progress.subscribe();
        let reached = async {
            progress
                .wait_for(|p| p.lines >= lines || p.end.is_some())
                .await
                .map(|p| p.clone())
        };
        match tokio::time::timeout(wait, reached).await {
            Ok(Ok(progress)) => progress,
            _ => self.progress.borrow().clone(),
        }
    }

    pub fn progress(&self) -> Progress {
        self.progress.borrow().clone()
    }

    pub fn first_error(&self) -> Option<u64> {
        *self.first_error.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Page `page` of the lines written so far (`written`), or with a filter, page `page` of
    /// the matching ones (a pass over the file). The filter reads the text as the team sees
    /// it (masked), so a search cannot tell whether a masked name is there.
    pub async fn page(
        self: &Arc<Self>,
        page: u32,
        written: u64,
        filter: &LogFilter,
        mask: Arc<Masker>,
    ) -> std::io::Result<SpoolPage> {
        let entry = self.clone();
        let filter = filter.clone();
        tokio::task::spawn_blocking(move || entry.read_page(page, written, &filter, &mask))
            .await
            .map_err(std::io::Error::other)?
    }

    fn read_page(
        &self,
        page: u32,
        written: u64,
        filter: &LogFilter,
        mask: &Arc<Masker>,
    ) -> std::io::Result<SpoolPage> {
        let size = LOG_PAGE_LINES as u64;
        if filter.is_empty() {
            let mark = self
                .marks
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(page as usize)
                .cloned();
            let Some(mark) = mark else {
                return Ok(SpoolPage {
                    lines: Vec::new(),
                    open_group: None,
                    total: written,
                });
            };
            let first = u64::from(page) * size;
            let take = written.saturating_sub(first).min(size);
            let mut file = std::io::BufReader::new(std::fs::File::open(&self.path)?);
            file.seek(std::io::SeekFrom::Start(mark.offset))?;
            let mut lines = Vec::with_capacity(take as usize);
            for (i, line) in file.lines().take(take as usize).enumerate() {
                lines.push(parse(&line?).shown(first + i as u64 + 1, mask));
            }
            return Ok(SpoolPage {
                lines,
                open_group: mark.open_group,
                total: written,
            });
        }
        let skip = u64::from(page) * size;
        if let Some(kept) = self.kept_search(filter, mask, written) {
            return self.read_matches(&kept, skip, size, mask);
        }
        let mut file = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(&self.path)?);
        let matcher = filter.matcher();
        let ruled_out = StoredTextPrefilter::new(filter, mask);
        let (mut matches, mut lines) = (0u64, Vec::new());
        let (mut found, mut keep) = (Vec::new(), true);
        let (mut offset, mut line) = (0u64, Vec::new());
        for number in 1..=written {
            line.clear();
            let read = file.read_until(b'\n', &mut line)?;
            if read == 0 {
                break;
            }
            offset += read as u64;
            if ruled_out.as_ref().is_some_and(|p| p.rules_out(&line)) {
                continue;
            }
            let text = std::str::from_utf8(&line).map_err(std::io::Error::other)?;
            let shown = parse(text.trim_end_matches(['\n', '\r'])).shown(number, mask);
            if matcher.passes(&shown) {
                if matches >= skip && matches < skip + size {
                    lines.push(shown);
                }
                matches += 1;
                if keep && found.len() < MAX_KEPT_MATCHES {
                    found.push((number, offset - read as u64));
                } else {
                    (keep, found) = (false, Vec::new());
                }
            }
        }
        if keep {
            self.keep_search(filter, mask, written, found);
        }
        Ok(SpoolPage {
            lines,
            open_group: None,
            total: matches,
        })
    }

    /// The kept matches of `filter` under `mask` over `written` lines, if a pass found them.
    fn kept_search(
        &self,
        filter: &LogFilter,
        mask: &Arc<Masker>,
        written: u64,
    ) -> Option<Arc<[(u64, u64)]>> {
        self.searches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|kept| {
                kept.written == written && Arc::ptr_eq(&kept.mask, mask) && kept.filter == *filter
            })
            .map(|kept| kept.matches.clone())
    }

    fn keep_search(
        &self,
        filter: &LogFilter,
        mask: &Arc<Masker>,
        written: u64,
        matches: Vec<(u64, u64)>,
    ) {
        let mut searches = self.searches.lock().unwrap_or_else(|e| e.into_inner());
        // Searches over fewer lines (the log was still arriving) are of no more use.
        searches.retain(|kept| kept.written == written);
        if searches.len() >= KEPT_SEARCHES {
            searches.remove(0);
        }
        searches.push(KeptSearch {
            filter: filter.clone(),
            mask: mask.clone(),
            written,
            matches: matches.into(),
        });
    }

    /// A page of a kept search's matches: each line read where it starts.
    fn read_matches(
        &self,
        kept: &[(u64, u64)],
        skip: u64,
        size: u64,
        mask: &Masker,
    ) -> std::io::Result<SpoolPage> {
        let mut file = std::io::BufReader::new(std::fs::File::open(&self.path)?);
        let mut lines = Vec::new();
        let mut line = String::new();
        for &(number, offset) in kept.iter().skip(skip as usize).take(size as usize) {
            file.seek(std::io::SeekFrom::Start(offset))?;
            line.clear();
            file.read_line(&mut line)?;
            lines.push(parse(line.trim_end_matches(['\n', '\r'])).shown(number, mask));
        }
        Ok(SpoolPage {
            lines,
            open_group: None,
            total: kept.len() as u64,
        })
    }

    /// Searches kept with this log (for tests).
    #[cfg(test)]
    fn kept_searches(&self) -> usize {
        self.searches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Every line written, in order, for a download (`None` at the end).
    pub fn reader(
        &self,
    ) -> std::io::Result<impl Iterator<Item = std::io::Result<StoredLine>> + Send + use<>> {
        let file = std::io::BufReader::new(std::fs::File::open(&self.path)?);
        let written = self.progress.borrow().lines as usize;
        Ok(file
            .lines()
            .take(written)
            .map(|line| line.map(|l| parse(&l))))
    }
}

/// Rules out, from a stored line's bytes alone, lines a text search cannot match, so a first
/// search of a big log decodes, masks and lowers only the lines that may match (the rest of
/// the pass is a byte scan).
///
/// Sound only where the bytes hold every character the reader's text does, in order:
/// - the search text has no `"`, `\\` or control character (JSON writes those escaped);
/// - it cannot overlap the mask (a masked line reads `LOG_MASK` where the file has a name, so
///   a search for the mask's words matches text the file does not hold:
///   [`super::mask::could_meet_mask`]);
/// - the line is ASCII: Unicode lower case maps a few other characters to ASCII ones (the
///   Kelvin sign to `k`), which a byte search ignoring ASCII case would miss;
/// - it cannot meet a name the team's mask hides ([`Masker::could_meet`]): the result would
///   be right, but the time would not: lines whose bytes hold the hidden name would take the
///   full path, and a search that takes longer would say the name is there.
///
/// Anything else takes the full path, line by line.
struct StoredTextPrefilter(aho_corasick::AhoCorasick);

impl StoredTextPrefilter {
    fn new(filter: &LogFilter, mask: &Masker) -> Option<Self> {
        let needle = filter.search.trim().to_lowercase();
        let plain = needle
            .bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_control() && b != b'"' && b != b'\\');
        if needle.is_empty()
            || !plain
            || super::mask::could_meet_mask(&needle)
            || mask.could_meet(&needle)
        {
            return None;
        }
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([needle])
            .ok()
            .map(Self)
    }

    fn rules_out(&self, line: &[u8]) -> bool {
        line.is_ascii() && !self.0.is_match(line)
    }
}

fn parse(line: &str) -> StoredLine {
    serde_json::from_str(line).unwrap_or_else(|_| StoredLine {
        timestamp: None,
        level: String::new(),
        text: line.to_string(),
        traceback: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AttemptKey {
        AttemptKey {
            environment: "main".into(),
            dag_id: "etl".into(),
            run_id: "manual__1".into(),
            task_id: "load".into(),
            map_index: -1,
            try_number: 1,
        }
    }

    /// A kept log of `lines` lines; every third says "needle".
    async fn kept_log(spool: &Spool, lines: u64) -> (Arc<Entry>, u64) {
        let text: String = (0..lines)
            .map(|i| {
                let event = if i % 3 == 0 { "Needle" } else { "hay" };
                format!("{{\"event\": \"{event} {i}\", \"level\": \"info\"}}\n")
            })
            .collect();
        let entry = spool.entry(&key(), || async move { Ok(LogLines::from_ndjson(text)) });
        let progress = entry.wait_for(u64::MAX, Duration::from_secs(10)).await;
        assert_eq!(progress.end, Some(End::Complete));
        (entry, progress.lines)
    }

    /// A spool of its own, in a directory that goes with the test.
    fn spool() -> (tempfile::TempDir, Spool) {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path(), false, 1 << 30, 1_000_000).unwrap();
        (dir, spool)
    }

    fn search(text: &str) -> LogFilter {
        LogFilter {
            level: String::new(),
            search: text.into(),
        }
    }

    #[tokio::test]
    async fn a_search_pages_from_its_kept_matches_as_a_fresh_pass_would() {
        let (_dir, spool) = spool();
        let (entry, written) = kept_log(&spool, 2_000).await;
        let mask = Arc::new(Masker::none());

        let first = entry
            .page(0, written, &search("NEEDLE"), mask.clone())
            .await
            .unwrap();
        assert_eq!(first.total, 667);
        assert_eq!(first.lines.len(), LOG_PAGE_LINES);
        assert_eq!(
            (first.lines[0].number, first.lines[0].text.as_str()),
            (1, "Needle 0")
        );
        assert_eq!(entry.kept_searches(), 1);

        // The second page comes from the kept matches: the lines a fresh pass finds (a
        // masker of its own is a view of its own, so it passes over the file again).
        let kept = entry
            .page(1, written, &search("NEEDLE"), mask.clone())
            .await
            .unwrap();
        let fresh = entry
            .page(1, written, &search("NEEDLE"), Arc::new(Masker::none()))
            .await
            .unwrap();
        assert_eq!(entry.kept_searches(), 2);
        assert_eq!(kept.lines, fresh.lines);
        assert_eq!(kept.total, 667);
        assert_eq!(kept.lines.len(), 167);
        assert_eq!(
            (kept.lines[0].number, kept.lines[0].text.as_str()),
            (1_501, "Needle 1500")
        );
        assert_eq!(kept.lines.last().unwrap().text, "Needle 1998");

        // A page past the matches is empty; other searches are kept beside, up to the bound.
        let past = entry
            .page(2, written, &search("needle"), mask.clone())
            .await
            .unwrap();
        assert!(past.lines.is_empty());
        for text in ["hay 1", "hay 2", "hay 4", "hay 5"] {
            entry
                .page(0, written, &search(text), mask.clone())
                .await
                .unwrap();
        }
        assert_eq!(entry.kept_searches(), KEPT_SEARCHES);
    }

    /// Every line's masked text passes the filter, found the slow way: each line decoded,
    /// masked and lowered, as the viewer reads it.
    fn matches_line_by_line(
        entry: &Entry,
        filter: &LogFilter,
        mask: &Masker,
    ) -> Vec<(u64, String)> {
        let matcher = filter.matcher();
        entry
            .reader()
            .unwrap()
            .enumerate()
            .map(|(i, line)| line.unwrap().shown(i as u64 + 1, mask))
            .filter(|line| matcher.passes(line))
            .map(|line| (line.number, line.text))
            .collect()
    }

    #[tokio::test]
    async fn a_first_search_finds_what_the_masked_text_holds_and_nothing_else() {
        let (_dir, spool) = spool();
        // Lines written to catch a pass that looks at the file's bytes rather than at the
        // text the team reads: another team's name (masked), the mask's own words, JSON
        // escapes, a character whose lower case is ASCII, a traceback, levels.
        let events = [
            r#"{"event": "DAG bundles loaded: team_a_dags, team_b_dags", "level": "info"}"#,
            r#"{"event": "reading team_b_etl now", "level": "info"}"#,
            r#"{"event": "the other team's file", "level": "info"}"#,
            r#"{"event": "said \"hi\" to C:\\temp", "level": "warning"}"#,
            r#"{"event": "tab\there", "level": "info"}"#,
            "{\"event\": \"7 \\u212a is cold\", \"level\": \"info\"}",
            r#"{"event": "task failed", "level": "error", "error_detail": [{"exc_type": "ValueError", "exc_value": "bad Row 7", "frames": [{"filename": "/dags/etl.py", "lineno": 3, "name": "load"}]}]}"#,
            r#"{"event": "Row 8 loaded", "level": "debug"}"#,
            "not json at all: Row 9",
        ];
        let text: String = events.iter().map(|e| format!("{e}\n")).collect();
        let entry = spool.entry(&key(), || async move { Ok(LogLines::from_ndjson(text)) });
        let written = entry
            .wait_for(u64::MAX, Duration::from_secs(10))
            .await
            .lines;
        assert_eq!(written, events.len() as u64);
        let masks = [
            Arc::new(Masker::none()),
            Arc::new(Masker::of([
                "team_b_dags".to_string(),
                "team_b_etl".to_string(),
            ])),
        ];
        let searches = [
            "team_b",
            "b_etl",
            "TEAM_B_ETL",
            "other team",
            "OTHER",
            "team›",
            "‹other team›",
            "team's",
            "\"hi\"",
            "c:\\temp",
            "tab\there",
            "kelvin",
            "\u{212a}",
            "k is",
            "row",
            "ROW 7",
            "etl.py",
            "valueerror: bad",
            "event",
            "level",
            "info",
            " ",
            "x",
        ];
        let levels = ["", "warning", "error"];
        for mask in &masks {
            for search in searches {
                for level in levels {
                    let filter = LogFilter {
                        level: level.into(),
                        search: search.into(),
                    };
                    let found = entry.page(0, written, &filter, mask.clone()).await.unwrap();
                    let found: Vec<(u64, String)> = found
                        .lines
                        .into_iter()
                        .map(|l| (l.number, l.text))
                        .collect();
                    assert_eq!(
                        found,
                        matches_line_by_line(&entry, &filter, mask),
                        "search {search:?} at level {level:?}, masked: {}",
                        !Arc::ptr_eq(mask, &masks[0])
                    );
                }
            }
        }
        // The pass looks at the bytes first only where that cannot tell a hidden name is
        // there (by the time it takes).
        let prefiltered = |search: &str, mask: &Masker| {
            StoredTextPrefilter::new(&self::search(search), mask).is_some()
        };
        assert!(prefiltered("row 7", &masks[1]));
        assert!(prefiltered("team_b", &masks[0]));
        assert!(!prefiltered("team_b", &masks[1]));
        assert!(!prefiltered("etl now", &masks[1]));
        assert!(!prefiltered("other team", &masks[0]));
        // The cases above are not vacuous: the mask hides a name, and shows its own words.
        let masked = Arc::clone(&masks[1]);
        let page = |search: &str| {
            let (entry, masked) = (entry.clone(), masked.clone());
            let filter = self::search(search);
            async move { entry.page(0, written, &filter, masked).await.unwrap().total }
        };
        assert_eq!(page("team_b").await, 0);
        assert_eq!(page("other team").await, 3);
        assert_eq!(page("kelvin").await, 0);
        assert_eq!(page("k is").await, 1);
        assert_eq!(page("bad row").await, 1);
    }

    #[tokio::test]
    async fn a_search_over_a_log_still_arriving_is_not_reused_later() {
        let (_dir, spool) = spool();
        let (entry, written) = kept_log(&spool, 900).await;
        let mask = Arc::new(Masker::none());
        // As if the first 600 lines were all there was when the search ran.
        let early = entry
            .page(0, 600, &search("needle"), mask.clone())
            .await
            .unwrap();
        assert_eq!(early.total, 200);
        let whole = entry
            .page(0, written, &search("needle"), mask.clone())
            .await
            .unwrap();
        assert_eq!(whole.total, 300);
        assert_eq!(
            entry.kept_searches(),
            1,
            "the search over fewer lines is dropped"
        );
    }
}
