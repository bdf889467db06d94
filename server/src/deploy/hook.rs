//! The optional program a directory target runs after a deploy (`hook = ["prog", "{sha}"]`).
//!
//! It runs without a shell, with `{sha}` and `{root}` replaced in its arguments, a clean
//! environment (PATH, and the deploy's team, commit and folder), in the target's `current`
//! folder, for at most [`TIMEOUT`]. A deploy resumed after a crash runs it again, so hooks
//! must be safe to repeat (docs/deploys.md).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::commit::CommitId;
use super::error::DeployError;
use super::team::{Target, TeamDeploy};

pub const TIMEOUT: Duration = Duration::from_secs(600);
/// Of a failing hook's output, this much of the end is kept for the progress page.
const OUTPUT_TAIL: usize = 2000;

/// Runs every directory target's hook; `Err` names the first that failed, with its output.
pub fn run_all(team: &TeamDeploy, commit: &CommitId) -> Result<String, DeployError> {
    let mut lines = Vec::new();
    for target in &team.targets {
        let Target::Directory {
            target,
            hook: Some(hook),
        } = target
        else {
            continue;
        };
        let root = target.root.to_string_lossy().into_owned();
        let args: Vec<String> = hook
            .iter()
            .map(|a| a.replace("{sha}", commit.as_str()).replace("{root}", &root))
            .collect();
        run_one(&args, team.team(), commit, &target.root).map_err(DeployError::Hook)?;
        lines.push(format!("{} succeeded", args[0]));
    }
    Ok(if lines.is_empty() {
        "no hooks".into()
    } else {
        lines.join("; ")
    })
}

fn run_one(
    args: &[String],
    team: &str,
    commit: &CommitId,
    root: &std::path::Path,
) -> Result<(), String> {
    let (program, rest) = args.split_first().ok_or("the hook names no program")?;
    let mut child = Command::new(program)
        .args(rest)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HANGAR_DEPLOY_TEAM", team)
        .env("HANGAR_DEPLOY_SHA", commit.as_str())
        .env("HANGAR_DEPLOY_ROOT", root)
        .current_dir(root.join(super::directory::CURRENT))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    // Drained from threads: a chatty hook must not block on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut text);
            }
            text
        })
    };
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
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut output = stdout.join().unwrap_or_default();
    output.extend(stderr.join().unwrap_or_default());
    let text = String::from_utf8_lossy(&output);
    let tail: String = {
        let chars: Vec<char> = text.trim().chars().collect();
        chars[chars.len().saturating_sub(OUTPUT_TAIL)..]
            .iter()
            .collect()
    };
    match status {
        None => Err(format!(
            "{program} did not finish within {} s",
            TIMEOUT.as_secs()
        )),
        Some(status) if status.success() => Ok(()),
        Some(status) => Err(format!("{program} exited with {status}: {tail}")),
    }
}
