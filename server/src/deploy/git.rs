//! The DAG repository, read through the `git` command line.
//!
//! Hangar keeps one bare repository of its own per deploy configuration (a cache) and
//! fetches the configured repository into it; everything it shows or exports is read from
//! that cache by full commit id. The repository's content is untrusted: hooks never run,
//! external diff and text-conversion drivers are off, pathspecs are literal, and every
//! output is parsed from NUL-separated, machine-readable formats.
//!
//! Calls block: the deploy engine runs them on the blocking pool.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::commit::{CommitId, SignatureRecord, parse_co_author};
use super::process;

/// `Co-authored-by:` trailers read per commit; more are ignored.
const MAX_CO_AUTHORS: usize = 20;

/// Why a git call failed. The message is git's own first lines, for the operator; pages
/// show a summary.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git: {0}")]
    Spawn(std::io::Error),
    #[error("git {command} failed: {message}")]
    Failed { command: String, message: String },
    #[error("git {command}: unexpected output: {detail}")]
    Parse { command: String, detail: String },
    #[error("git {command} did not finish within {} s and was stopped ([git] timeout)", .after.as_secs())]
    TimedOut { command: String, after: Duration },
    /// A page stopped waiting for a call that goes on (`shared_read`).
    #[error("the git host has not answered git {command} within {} (it is still asked: reload the page in a moment)", seconds_or_ms(*.waited))]
    NotYet { command: String, waited: Duration },
}

/// "5 s", or "200 ms" below a second.
fn seconds_or_ms(wait: Duration) -> String {
    if wait < Duration::from_secs(1) {
        format!("{} ms", wait.as_millis())
    } else {
        format!("{} s", wait.as_secs())
    }
}

/// How git reaches remotes: every call that talks to one (fetch, ls-remote, push) is killed,
/// with everything it started, after `timeout`; HTTPS remotes are verified against
/// `ca_file` when one is configured (`[tls] ca_file`, as `http.sslCAInfo`).
#[derive(Clone, Debug)]
pub struct Network {
    pub timeout: Duration,
    pub ca_file: Option<PathBuf>,
}

impl Default for Network {
    fn default() -> Self {
        Self {
            timeout: crate::config::DEFAULT_GIT_TIMEOUT,
            ca_file: None,
        }
    }
}

impl Network {
    pub fn of(config: &crate::config::GitConfig) -> Self {
        Self {
            timeout: config.timeout,
            ca_file: config.ca_file.clone(),
        }
    }

    /// git for a call that reaches `remote`.
    fn git(&self) -> Command {
        let mut command = git_command();
        if let Some(ca_file) = &self.ca_file {
            command.env("GIT_SSL_CAINFO", ca_file);
        }
        command
    }

    /// Runs a call that reaches a remote within the timeout; its output, or why it failed.
    fn run(&self, command: &mut Command, name: &str) -> Result<process::Finished, GitError> {
        match process::run(command, self.timeout) {
            Ok(finished) => Ok(finished),
            Err(process::RunError::Spawn(error)) => Err(GitError::Spawn(error)),
            Err(process::RunError::TimedOut { after, .. }) => Err(GitError::TimedOut {
                command: name.to_string(),
                after,
            }),
        }
    }
}

/// A commit as the approval screen lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: CommitId,
    pub author_name: String,
    pub author_email: String,
    pub committer_name: String,
    pub committer_email: String,
    /// Author time, milliseconds since the epoch.
    pub authored_at_ms: i64,
    pub subject: String,
    /// `Co-authored-by:` trailers: (name, e-mail).
    pub co_authors: Vec<(String, String)>,
    /// What git's signature check said (filled in when the team's rule asks for it).
    pub signature: SignatureRecord,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
    Renamed {
        from: String,
    },
    /// A file became a symlink or the other way round.
    TypeChanged,
}

/// One file changed inside the team's paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    pub path: String,
    pub kind: ChangeKind,
    /// Binary files are named, never dumped.
    pub binary: bool,
    pub added_lines: u32,
    pub removed_lines: u32,
}

/// One entry of a commit's tree, as `git ls-tree` gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeEntry {
    pub mode: String,
    pub kind: String,
    pub object: String,
    pub path: String,
}

/// A bare repository Hangar owns.
#[derive(Clone, Debug)]
pub struct Repository {
    dir: PathBuf,
    network: Network,
}

impl Repository {
    /// The bare repository at `dir`, which may not exist yet (see [`Self::ensure`]).
    pub fn at(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            network: Network::default(),
        }
    }

    /// The same repository, reaching remotes as `network` says.
    pub fn with_network(mut self, network: Network) -> Self {
        self.network = network;
        self
    }

    /// Opens the bare repository at `dir`, creating it when missing.
    pub fn open_or_init(dir: &Path) -> Result<Self, GitError> {
        let repo = Self::at(dir);
        repo.ensure()?;
        Ok(repo)
    }

    pub fn exists(&self) -> bool {
        self.dir.join("HEAD").exists()
    }

    /// Creates the bare repository when missing.
    pub fn ensure(&self) -> Result<(), GitError> {
        if !self.exists() {
            std::fs::create_dir_all(&self.dir).map_err(GitError::Spawn)?;
            run(
                git_command()
                    .arg("init")
                    .arg("--bare")
                    .arg("--quiet")
                    .arg(&self.dir),
                "init",
            )?;
        }
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn git(&self) -> Command {
        let mut command = git_command();
        command.arg("--git-dir").arg(&self.dir);
        command
    }

    /// git in this repository, for a call that reaches a remote.
    fn remote_git(&self) -> Command {
        let mut command = self.network.git();
        command.arg("--git-dir").arg(&self.dir);
        command
    }

    /// git on this repository with the hardening every call here gets (`signatures.rs` adds
    /// its own on top).
    pub(super) fn command(&self) -> Command {
        self.git()
    }

    /// Fetches `refspecs` from `remote` (a path or URL), forcing the local copies: the
    /// remote is the truth, and its branch may have been rewritten.
    pub fn fetch(&self, remote: &str, refspecs: &[String]) -> Result<(), GitError> {
        let mut command = self.remote_git();
        command.args([
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--prune",
            "--",
        ]);
        command.arg(remote).args(refspecs);
        let finished = self.network.run(&mut command, "fetch")?;
        if finished.status.success() {
            Ok(())
        } else {
            Err(failure("fetch", &finished.stderr))
        }
    }

    /// The commit a name resolves to here, if any.
    pub fn resolve(&self, name: &str) -> Result<Option<CommitId>, GitError> {
        let mut command = self.git();
        command.args(["rev-parse", "--verify", "--quiet", "--end-of-options"]);
        command.arg(format!("{name}^{{commit}}"));
        let output = command.output().map_err(GitError::Spawn)?;
        if !output.status.success() {
            return Ok(None);
        }
        parse_id(&output.stdout, "rev-parse").map(Some)
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(
        &self,
        ancestor: &CommitId,
        descendant: &CommitId,
    ) -> Result<bool, GitError> {
        let status = self
            .git()
            .args([
                "merge-base",
                "--is-ancestor",
                ancestor.as_str(),
                descendant.as_str(),
            ])
            .stderr(Stdio::piped())
            .output()
            .map_err(GitError::Spawn)?;
        match status.status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(failure("merge-base", &status.stderr)),
        }
    }

    /// Commits in `from..to` (all of `to`'s history when nothing is deployed) that touch
    /// `paths`, newest first.
    pub fn commits(
        &self,
        from: Option<&CommitId>,
        to: &CommitId,
        paths: &[String],
    ) -> Result<Vec<CommitInfo>, GitError> {
        let mut command = self.git();
        command.args([
            "log",
            "-z",
            "--no-color",
            // The subject last: it is free text, so it may hold the separator itself.
            "--format=%H%x1f%an%x1f%ae%x1f%cn%x1f%ce%x1f%at%x1f\
             %(trailers:key=Co-authored-by,valueonly,unfold,separator=%x1d)%x1f%s",
        ]);
        command.arg(range(from, to)).arg("--").args(paths);
        let output = run(&mut command, "log")?;
        output
            .split(|b| *b == 0)
            .filter(|record| !record.is_empty())
            .map(|record| {
                let text = String::from_utf8_lossy(record);
                let fields: Vec<&str> = text.trim_start_matches('\n').splitn(8, '\u{1f}').collect();
                let [id, an, ae, cn, ce, at, trailers, subject] = fields[..] else {
                    return Err(parse_error("log", &text));
                };
                Ok(CommitInfo {
                    id: CommitId::parse(id).map_err(|e| parse_error("log", &e))?,
                    author_name: an.into(),
                    author_email: ae.into(),
                    committer_name: cn.into(),
                    committer_email: ce.into(),
                    authored_at_ms: at
                        .parse::<i64>()
                        .map_err(|e| parse_error("log", &e.to_string()))?
                        * 1000,
                    subject: subject.into(),
                    co_authors: trailers
                        .split('\u{1d}')
                        .filter_map(parse_co_author)
                        .take(MAX_CO_AUTHORS)
                        .collect(),
                    signature: SignatureRecord::default(),
                })
            })
            .collect()
    }

    /// Files changed between `from` (the empty tree when nothing is deployed) and `to`
    /// inside `paths`, with renames detected, sorted by path.
    pub fn changed_files(
        &self,
        from: Option<&CommitId>,
        to: &CommitId,
        paths: &[String],
    ) -> Result<Vec<FileChange>, GitError> {
        let base = self.base(from)?;
        let listing = |options: &[&str]| {
            self.diff_bounded(&base, to, options, paths, MAX_FILE_LISTING)?
                .ok_or_else(|| GitError::Failed {
                    command: "diff".into(),
                    message: format!(
                        "the list of changed files is larger than {} MiB",
                        MAX_FILE_LISTING / (1024 * 1024)
                    ),
                })
        };
        let status = listing(&["-z", "--name-status"])?;
        let numstat = listing(&["-z", "--numstat"])?;

        let mut changes = parse_name_status(&status)?;
        // A first deploy lists every file of the paths: look paths up, not scan for them.
        let index: std::collections::HashMap<String, usize> = changes
            .iter()
            .enumerate()
            .map(|(n, change)| (change.path.clone(), n))
            .collect();
        for (path, counts) in parse_numstat(&numstat)? {
            if let Some(change) = index.get(&path).map(|&n| &mut changes[n]) {
                match counts {
                    Some((added, removed)) => {
                        change.added_lines = added;
                        change.removed_lines = removed;
                    }
                    None => change.binary = true,
                }
            }
        }
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(changes)
    }

    /// The unified diff of one file, at most `limit` bytes (`None` when larger: git is
    /// stopped once `limit` is passed, so a huge diff is never read whole).
    pub fn file_diff(
        &self,
        from: Option<&CommitId>,
        to: &CommitId,
        change: &FileChange,
        limit: usize,
    ) -> Result<Option<String>, GitError> {
        let base = self.base(from)?;
        let mut paths = Vec::with_capacity(2);
        if let ChangeKind::Renamed { from } = &change.kind {
            paths.push(from.clone());
        }
        paths.push(change.path.clone());
        Ok(self
            .diff_bounded(&base, to, &["--unified=3"], &paths, limit)?
            .map(|output| String::from_utf8_lossy(&output).into_owned()))
    }

    /// Every entry of `commit`'s tree under `paths`, recursively.
    pub fn tree(&self, commit: &CommitId, paths: &[String]) -> Result<Vec<TreeEntry>, GitError> {
        let mut command = self.git();
        command
            .args(["ls-tree", "-r", "-z", "--full-tree", commit.as_str(), "--"])
            .args(paths);
        let output = run(&mut command, "ls-tree")?;
        output
            .split(|b| *b == 0)
            .filter(|record| !record.is_empty())
            .map(|record| {
                let text = std::str::from_utf8(record)
                    .map_err(|_| parse_error("ls-tree", "a path is not UTF-8"))?;
                let (meta, path) = text
                    .split_once('\t')
                    .ok_or_else(|| parse_error("ls-tree", text))?;
                let mut meta = meta.split(' ');
                let (Some(mode), Some(kind), Some(object)) =
                    (meta.next(), meta.next(), meta.next())
                else {
                    return Err(parse_error("ls-tree", text));
                };
                Ok(TreeEntry {
                    mode: mode.into(),
                    kind: kind.into(),
                    object: object.into(),
                    path: path.into(),
                })
            })
            .collect()
    }

    /// Streams the contents of `objects` (blob ids) to `each`, in order, through one
    /// `git cat-file --batch`.
    pub fn read_blobs(
        &self,
        objects: &[&str],
        mut each: impl FnMut(usize, &[u8]) -> std::io::Result<()>,
    ) -> Result<(), GitError> {
        let mut child = self
            .git()
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(GitError::Spawn)?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let list: String = objects.iter().map(|o| format!("{o}\n")).collect();
        // Written from another thread: git answers while it reads, and both pipes are bounded.
        let writer = std::thread::spawn(move || stdin.write_all(list.as_bytes()));
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut header = String::new();
        let mut content = Vec::new();
        let result = (|| {
            for index in 0..objects.len() {
                header.clear();
                stdout.read_line(&mut header).map_err(GitError::Spawn)?;
                let mut fields = header.split_whitespace();
                let (Some(_), Some("blob"), Some(size)) =
                    (fields.next(), fields.next(), fields.next())
                else {
                    return Err(parse_error("cat-file", header.trim()));
                };
                let size: usize = size
                    .parse()
                    .map_err(|_| parse_error("cat-file", header.trim()))?;
                content.resize(size + 1, 0);
                stdout.read_exact(&mut content).map_err(GitError::Spawn)?;
                each(index, &content[..size]).map_err(GitError::Spawn)?;
            }
            Ok(())
        })();
        let _ = writer.join();
        let output = child.wait_with_output().map_err(GitError::Spawn)?;
        result?;
        if !output.status.success() {
            return Err(failure("cat-file", &output.stderr));
        }
        Ok(())
    }

    /// `git diff` between `base` and `to` inside `paths`, with renames detected and every
    /// driver a repository could configure turned off, read up to `limit` bytes (`None` when
    /// git had more to say).
    fn diff_bounded(
        &self,
        base: &str,
        to: &CommitId,
        options: &[&str],
        paths: &[String],
        limit: usize,
    ) -> Result<Option<Vec<u8>>, GitError> {
        let mut command = self.git();
        command.args(["diff", "--no-color", "--no-ext-diff", "--no-textconv", "-M"]);
        command
            .args(options)
            .arg(base)
            .arg(to.as_str())
            .arg("--")
            .args(paths);
        run_bounded(&mut command, "diff", limit)
    }

    /// The diff base: the deployed commit, or git's empty tree for a first deploy.
    fn base(&self, from: Option<&CommitId>) -> Result<String, GitError> {
        match from {
            Some(commit) => Ok(commit.as_str().to_string()),
            None => {
                let mut command = self.git();
                command
                    .args(["hash-object", "-t", "tree", "--stdin"])
                    .stdin(Stdio::null());
                let output = run(&mut command, "hash-object")?;
                Ok(String::from_utf8_lossy(&output).trim().to_string())
            }
        }
    }
}

/// The commit `reference` names in `remote` (a path or URL), read from the remote itself.
pub fn remote_ref(
    remote: &str,
    reference: &str,
    network: &Network,
) -> Result<Option<CommitId>, GitError> {
    let mut command = network.git();
    command.args(["ls-remote", "--refs", "--", remote, reference]);
    let finished = network.run(&mut command, "ls-remote")?;
    if !finished.status.success() {
        return Err(failure("ls-remote", &finished.stderr));
    }
    let text = String::from_utf8_lossy(&finished.stdout);
    for line in text.lines() {
        if let Some((id, name)) = line.split_once('\t')
            && name == reference
        {
            return CommitId::parse(id)
                .map(Some)
                .map_err(|e| parse_error("ls-remote", &e));
        }
    }
    Ok(None)
}

/// How a compare-and-swap push ended.
#[derive(Debug, PartialEq, Eq)]
pub enum PushOutcome {
    Moved,
    /// The remote's ref is not what was expected (someone else moved it); nothing changed.
    Conflict,
}

/// Moves `reference` in `remote` from `expected` (`None`: it must not exist) to `new`, in
/// one compare-and-swap done by the remote under its ref lock, so a concurrent push makes
/// this fail rather than be overwritten.
pub fn push_compare_and_swap(
    repository: &Repository,
    remote: &str,
    reference: &str,
    expected: Option<&CommitId>,
    new: &CommitId,
) -> Result<PushOutcome, GitError> {
    let lease = format!(
        "--force-with-lease={reference}:{}",
        expected.map(|c| c.as_str()).unwrap_or("")
    );
    let mut command = repository.remote_git();
    command
        .args([
            "push",
            "--porcelain",
            "--quiet",
            "--no-verify",
            &lease,
            "--",
            remote,
        ])
        .arg(format!("{}:{reference}", new.as_str()));
    let output = repository.network.run(&mut command, "push")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if output.status.success() {
        return Ok(PushOutcome::Moved);
    }
    // --porcelain: "!\t<src>:<dst>\t[rejected] (stale info)" and the like for a lost race.
    if stdout.lines().any(|l| {
        l.starts_with('!')
            && (l.contains("stale info") || l.contains("fetch first") || l.contains("rejected"))
    }) {
        return Ok(PushOutcome::Conflict);
    }
    Err(failure("push", &output.stderr))
}

fn git_command() -> Command {
    let mut command = Command::new("git");
    command
        // A DAG repository's own settings may not run anything here.
        .args([
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "core.fsmonitor=false",
        ])
        .args([
            "-c",
            "protocol.ext.allow=never",
            "-c",
            "core.quotePath=false",
        ])
        .arg("--literal-pathspecs")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null());
    command
}

/// Runs `command` with `input` on its standard input (written from another thread, as git
/// answers while it reads).
pub(super) fn run_with_input(
    command: &mut Command,
    input: &[u8],
    name: &str,
) -> Result<Vec<u8>, GitError> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(GitError::Spawn)?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().map_err(GitError::Spawn)?;
    let _ = writer.join();
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(failure(name, &output.stderr))
    }
}

fn run(command: &mut Command, name: &str) -> Result<Vec<u8>, GitError> {
    let output = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(GitError::Spawn)?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(failure(name, &output.stderr))
    }
}

/// The most a list of changed files may take (a first deploy lists every file).
pub const MAX_FILE_LISTING: usize = 16 * 1024 * 1024;

/// Runs `command`, keeping at most `limit` bytes of its output: past that it is killed and
/// the answer is `None`. Its error output is kept to the first few KiB.
fn run_bounded(
    command: &mut Command,
    name: &str,
    limit: usize,
) -> Result<Option<Vec<u8>>, GitError> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(GitError::Spawn)?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    // Error output is read beside the output, so neither pipe can fill and stall git.
    let errors = std::thread::spawn(move || {
        let mut kept = Vec::new();
        let _ = (&mut stderr).take(8 * 1024).read_to_end(&mut kept);
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        kept
    });
    let mut output = Vec::new();
    let read = (&mut stdout)
        .take(limit as u64 + 1)
        .read_to_end(&mut output);
    if read.is_ok() && output.len() > limit {
        let _ = child.kill();
        let _ = child.wait();
        let _ = errors.join();
        return Ok(None);
    }
    drop(stdout);
    let status = child.wait().map_err(GitError::Spawn)?;
    let stderr = errors.join().unwrap_or_default();
    read.map_err(GitError::Spawn)?;
    if status.success() {
        Ok(Some(output))
    } else {
        Err(failure(name, &stderr))
    }
}

fn failure(command: &str, stderr: &[u8]) -> GitError {
    let text = String::from_utf8_lossy(stderr);
    let message: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(3)
        .collect();
    GitError::Failed {
        command: command.into(),
        message: message.join(" / "),
    }
}

fn parse_error(command: &str, detail: &str) -> GitError {
    GitError::Parse {
        command: command.into(),
        detail: detail.chars().take(200).collect(),
    }
}

fn parse_id(output: &[u8], command: &str) -> Result<CommitId, GitError> {
    CommitId::parse(String::from_utf8_lossy(output).trim()).map_err(|e| parse_error(command, &e))
}

fn range(from: Option<&CommitId>, to: &CommitId) -> String {
    match from {
        Some(from) => format!("{from}..{to}"),
        None => to.as_str().to_string(),
    }
}

/// `--name-status -z`: `X\0path\0`, or `Rnnn\0old\0new\0` for renames (and copies).
fn parse_name_status(output: &[u8]) -> Result<Vec<FileChange>, GitError> {
    let mut fields = output
        .split(|b| *b == 0)
        .filter(|f| !f.is_empty())
        .map(|f| String::from_utf8_lossy(f).into_owned());
    let mut changes = Vec::new();
    while let Some(status) = fields.next() {
        let mut next = || {
            fields
                .next()
                .ok_or_else(|| parse_error("diff --name-status", &status))
        };
        let kind = match status.as_bytes().first() {
            Some(b'A') | Some(b'C') => ChangeKind::Added,
            Some(b'M') => ChangeKind::Modified,
            Some(b'D') => ChangeKind::Deleted,
            Some(b'T') => ChangeKind::TypeChanged,
            Some(b'R') => ChangeKind::Renamed { from: next()? },
            _ => return Err(parse_error("diff --name-status", &status)),
        };
        if status.starts_with('C') {
            next()?; // a copy's source stays as it was
        }
        changes.push(FileChange {
            path: next()?,
            kind,
            binary: false,
            added_lines: 0,
            removed_lines: 0,
        });
    }
    Ok(changes)
}

/// Lines added and removed, or `None` for a binary file.
type LineCounts = Option<(u32, u32)>;

/// `--numstat -z`: `added\tremoved\tpath\0`, or `added\tremoved\t\0old\0new\0` for
/// renames; `-\t-` for binary files. Yields (new path, counts or `None` for binary).
fn parse_numstat(output: &[u8]) -> Result<Vec<(String, LineCounts)>, GitError> {
    let mut fields = output
        .split(|b| *b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned());
    let mut rows = Vec::new();
    while let Some(field) = fields.next() {
        if field.is_empty() {
            continue;
        }
        let mut parts = field.splitn(3, '\t');
        let (Some(added), Some(removed), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(parse_error("diff --numstat", &field));
        };
        let path = if path.is_empty() {
            let _old = fields.next();
            fields
                .next()
                .ok_or_else(|| parse_error("diff --numstat", &field))?
        } else {
            path.to_string()
        };
        let counts = match (added.parse(), removed.parse()) {
            (Ok(a), Ok(r)) => Some((a, r)),
            _ => None,
        };
        rows.push((path, counts));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests;
