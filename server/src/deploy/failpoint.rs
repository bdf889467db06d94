//! Where the crash and shutdown tests stop a deploy. Compiled only into test builds (the
//! `testing` feature, which `cargo build --release` never turns on), so no variable in a real
//! deployment's environment can stall one.
//!
//! - `HANGAR_DEPLOY_PAUSE_AFTER=<step>`: the process stops after that step (its record
//!   written) and waits to be killed (`server/tests/deploy_crash.rs` sends it SIGKILL, as
//!   `kill -9` would).
//! - `HANGAR_DEPLOY_HOLD_AFTER=<step>`: the step does not end until the server starts
//!   shutting down, so a test can send SIGTERM while a step is running.
//! - `HANGAR_DEPLOY_WAIT_AFTER=<step>`: the deploy goes on only once the file named by
//!   `HANGAR_DEPLOY_GO_FILE` exists, so a test can change the world (hold a database lock)
//!   between two steps.

use super::progress::Step;
use super::safe_stop::SafeStop;

pub const PAUSE_AFTER: &str = "HANGAR_DEPLOY_PAUSE_AFTER";
pub const HOLD_AFTER: &str = "HANGAR_DEPLOY_HOLD_AFTER";
pub const WAIT_AFTER: &str = "HANGAR_DEPLOY_WAIT_AFTER";
pub const GO_FILE: &str = "HANGAR_DEPLOY_GO_FILE";

pub async fn after(step: Step, safe_stop: &SafeStop) {
    let wanted = |name| std::env::var(name).is_ok_and(|wanted| wanted == step.as_str());
    if wanted(PAUSE_AFTER) {
        // The test waits for this exact line on standard error.
        eprintln!("hangar: deploy paused after {}", step.as_str());
        std::future::pending::<()>().await;
    }
    if wanted(HOLD_AFTER) {
        eprintln!("hangar: deploy held after {}", step.as_str());
        safe_stop.stopped().await;
    }
    if wanted(WAIT_AFTER) {
        eprintln!("hangar: deploy waiting after {}", step.as_str());
        // Without a file named, nothing could let it go on: it goes on at once.
        let Some(go) = std::env::var_os(GO_FILE).map(std::path::PathBuf::from) else {
            return;
        };
        let appears = async {
            while !go.exists() {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        };
        tokio::select! {
            () = appears => {}
            () = safe_stop.stopped() => {}
        }
    }
}
