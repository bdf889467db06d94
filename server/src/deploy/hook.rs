//! The optional program a directory target runs after a deploy (`hook = ["prog", "{sha}"]`).
//!
//! It runs without a shell, with `{sha}` and `{root}` replaced in its arguments, a clean
//! environment (PATH, and the deploy's team, commit and folder), in the target's `current`
//! folder, in a process group of its own, for at most the target's `hook_timeout` (10 minutes
//! by default). At the timeout, or when it exits, its whole group is killed: nothing it
//! started outlives it (`process.rs`). A deploy resumed after a crash runs it again, so hooks
//! must be safe to repeat (docs/deploys.md).

use std::process::Command;
use std::time::Duration;

use super::commit::CommitId;
use super::error::DeployError;
use super::process;
use super::team::{Target, TeamDeploy};

/// Of a failing hook's output, this much of the end is kept for the progress page.
const OUTPUT_TAIL: usize = 2000;

/// Runs every directory target's hook; `Err` names the first that failed, with its output.
pub fn run_all(team: &TeamDeploy, commit: &CommitId) -> Result<String, DeployError> {
    let mut lines = Vec::new();
    for target in &team.targets {
        let Target::Directory {
            target,
            hook: Some(hook),
            hook_timeout,
        } = target
        else {
            continue;
        };
        let root = target.root.to_string_lossy().into_owned();
        let args: Vec<String> = hook
            .iter()
            .map(|a| a.replace("{sha}", commit.as_str()).replace("{root}", &root))
            .collect();
        run_one(&args, team.team(), commit, &target.root, *hook_timeout)
            .map_err(DeployError::Hook)?;
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
    timeout: Duration,
) -> Result<(), String> {
    let (program, rest) = args.split_first().ok_or("the hook names no program")?;
    let mut command = Command::new(program);
    command
        .args(rest)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HANGAR_DEPLOY_TEAM", team)
        .env("HANGAR_DEPLOY_SHA", commit.as_str())
        .env("HANGAR_DEPLOY_ROOT", root)
        .current_dir(root.join(super::directory::CURRENT));
    match process::run(&mut command, timeout) {
        Err(process::RunError::Spawn(error)) => Err(format!("cannot start {program}: {error}")),
        Err(process::RunError::TimedOut { after, .. }) => Err(format!(
            "{program} did not finish within {} s and was stopped with everything it started \
             (hook_timeout)",
            after.as_secs()
        )),
        Ok(finished) if finished.status.success() => Ok(()),
        Ok(finished) => {
            let mut output = finished.stdout;
            output.extend(finished.stderr);
            let text = String::from_utf8_lossy(&output);
            let chars: Vec<char> = text.trim().chars().collect();
            let tail: String = chars[chars.len().saturating_sub(OUTPUT_TAIL)..]
                .iter()
                .collect();
            Err(format!("{program} exited with {}: {tail}", finished.status))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a process with this pid is still alive (a zombie counts as gone).
    fn alive(pid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| {
                let state = stat.rsplit(')').next().unwrap_or("").trim_start();
                !state.starts_with('Z')
            })
            .unwrap_or(false)
    }

    #[test]
    fn a_hook_that_never_ends_is_killed_at_its_timeout_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(super::super::directory::CURRENT)).unwrap();
        let pids = dir.path().join("pids");
        // The hook starts a child that sleeps, writes both pids down, then sleeps itself.
        let script = format!(
            "sleep 3600 & echo $! > {pids}.child; echo $$ > {pids}.hook; wait",
            pids = pids.display()
        );
        let commit = CommitId::parse(&"a".repeat(40)).unwrap();
        let args = ["sh".to_string(), "-c".to_string(), script];
        let error =
            run_one(&args, "team_a", &commit, dir.path(), Duration::from_secs(2)).unwrap_err();
        assert!(error.contains("did not finish within 2 s"), "{error}");
        let read = |suffix: &str| -> i32 {
            std::fs::read_to_string(format!("{}.{suffix}", pids.display()))
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        };
        let (hook, child) = (read("hook"), read("child"));
        // SIGKILL is delivered before `run_one` returns, but a killed process still needs
        // its parent (init, for the orphaned child) to reap it: it is a zombie or gone.
        for pid in [hook, child] {
            let mut tries = 0;
            while alive(pid) && tries < 500 {
                std::thread::sleep(Duration::from_millis(10));
                tries += 1;
            }
            assert!(!alive(pid), "process {pid} outlived the hook's timeout");
        }
    }
}
