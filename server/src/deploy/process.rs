//! Programs the deploy engine starts that may hang — git talking to a remote, the deploy
//! hook — run here: in a process group of their own, with a deadline, and never outlived by
//! anything they started.
//!
//! At the deadline, or when the program ends by itself, the whole group is killed: a hook
//! that started `sleep` in the background, or git's `ssh` child stuck on a dead network, goes
//! with it (it would otherwise keep the output pipes open, and the deploy waiting on them).
//! The group is killed while its leader is still a zombie (`waitid` with `WNOWAIT`), so the
//! group id cannot have been reused by an unrelated process.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, WaitId, WaitIdOptions, kill_process_group, waitid};

/// How a bounded program ended.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start it: {0}")]
    Spawn(std::io::Error),
    /// Killed with its whole group at the deadline; what it printed until then.
    #[error("did not finish within {} s", .after.as_secs())]
    TimedOut {
        after: Duration,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
    },
}

/// How often a running program is checked on: a deadline is met within this.
const POLL: Duration = Duration::from_millis(20);

/// Runs `command` (its stdin closed, stdout and stderr captured up to [`MAX_OUTPUT`] each)
/// for at most `timeout`.
pub fn run(command: &mut Command, timeout: Duration) -> Result<Finished, RunError> {
    let mut child = command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(RunError::Spawn)?;
    // Drained from threads: a chatty program must not block on a full pipe.
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let timed_out = loop {
        if has_exited(&child) {
            break false;
        }
        if started.elapsed() >= timeout {
            break true;
        }
        std::thread::sleep(POLL);
    };
    kill_group(&child);
    let status = child.wait().map_err(RunError::Spawn)?;
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if timed_out {
        Err(RunError::TimedOut {
            after: timeout,
            stdout,
            stderr,
        })
    } else {
        Ok(Finished {
            status,
            stdout,
            stderr,
        })
    }
}

/// Most bytes of each output stream kept: the first and the last half of it. A program that
/// prints more (a hook in a loop, a remote's endless message) is still drained to its end, so
/// it never blocks on a full pipe, but costs Hangar no more memory than this.
pub const MAX_OUTPUT: usize = 1 << 20;

fn drain(pipe: Option<Box<dyn Read + Send>>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = BoundedOutput::new(MAX_OUTPUT);
        if let Some(mut pipe) = pipe {
            let mut buffer = [0u8; 16 * 1024];
            loop {
                match pipe.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => kept.push(&buffer[..n]),
                    Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        kept.into_bytes()
    })
}

/// The head and the tail of a stream, and how much was left out between them.
struct BoundedOutput {
    half: usize,
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    dropped: u64,
}

impl BoundedOutput {
    fn new(max: usize) -> Self {
        Self {
            half: max / 2,
            head: Vec::new(),
            tail: std::collections::VecDeque::new(),
            dropped: 0,
        }
    }

    fn push(&mut self, mut bytes: &[u8]) {
        let to_head = bytes.len().min(self.half - self.head.len());
        self.head.extend_from_slice(&bytes[..to_head]);
        bytes = &bytes[to_head..];
        self.tail.extend(bytes);
        let over = self.tail.len().saturating_sub(self.half);
        if over > 0 {
            self.tail.drain(..over);
            self.dropped += over as u64;
        }
    }

    fn into_bytes(self) -> Vec<u8> {
        let mut out = self.head;
        if self.dropped > 0 {
            out.extend_from_slice(
                format!("\n[… {} bytes of output not kept …]\n", self.dropped).as_bytes(),
            );
        }
        out.extend(self.tail);
        out
    }
}

/// Whether the group's leader has exited, leaving it unreaped (a zombie keeps its pid, and
/// so the group's id, reserved until [`Child::wait`]).
fn has_exited(child: &Child) -> bool {
    let Some(pid) = Pid::from_raw(child.id() as i32) else {
        return true;
    };
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    match waitid(WaitId::Pid(pid), options) {
        Ok(status) => status.is_some(),
        // No such child: there is nothing left to wait for.
        Err(_) => true,
    }
}

/// SIGKILL to every process in the child's group; the group may already be empty.
fn kill_group(child: &Child) {
    if let Some(pid) = Pid::from_raw(child.id() as i32) {
        let _ = kill_process_group(pid, Signal::KILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_that_finishes_gives_its_output_and_status() {
        let finished = run(
            Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
            Duration::from_secs(30),
        )
        .unwrap();
        assert_eq!(finished.status.code(), Some(3));
        assert_eq!(finished.stdout, b"out\n");
        assert_eq!(finished.stderr, b"err\n");
    }

    #[test]
    fn a_background_child_does_not_keep_the_caller_waiting() {
        // The child holds stdout open after the shell exits; without killing the group, the
        // drain would wait for it for an hour.
        let finished = run(
            Command::new("sh").args(["-c", "sleep 3600 & echo started"]),
            Duration::from_secs(30),
        )
        .unwrap();
        assert!(finished.status.success());
        assert_eq!(finished.stdout, b"started\n");
    }

    #[test]
    fn endless_output_is_kept_to_its_head_and_tail() {
        // 8 MiB on stdout: drained to the end, at most MAX_OUTPUT (and a marker) kept.
        let finished = run(
            Command::new("sh").args([
                "-c",
                "echo first; head -c 8388608 /dev/zero | tr '\\0' x; echo; echo last",
            ]),
            Duration::from_secs(60),
        )
        .unwrap();
        assert!(finished.status.success());
        let out = String::from_utf8(finished.stdout).unwrap();
        assert!(out.len() < MAX_OUTPUT + 100, "{}", out.len());
        assert!(out.starts_with("first\n"));
        assert!(out.ends_with("\nlast\n"));
        assert!(out.contains("bytes of output not kept"));
    }

    #[test]
    fn bounded_output_keeps_everything_below_the_bound() {
        let mut kept = BoundedOutput::new(8);
        kept.push(b"abc");
        kept.push(b"defg");
        assert_eq!(kept.into_bytes(), b"abcdefg");
        let mut cut = BoundedOutput::new(8);
        for chunk in [&b"0123"[..], b"456789", b"ab"] {
            cut.push(chunk);
        }
        assert_eq!(
            String::from_utf8(cut.into_bytes()).unwrap(),
            "0123\n[… 4 bytes of output not kept …]\n89ab"
        );
    }
}
