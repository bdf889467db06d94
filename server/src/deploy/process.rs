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

/// Runs `command` (its stdin closed, stdout and stderr captured) for at most `timeout`.
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

fn drain(pipe: Option<Box<dyn Read + Send>>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut text);
        }
        text
    })
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
}
