//! Where the crash tests stop a deploy: with `HANGAR_DEPLOY_PAUSE_AFTER=<step>` in its
//! environment, the process stops after that step (its record written) and waits to be
//! killed (`server/tests/deploy_crash.rs` sends it SIGKILL, as `kill -9` would). Unset in
//! every real deployment, where this is one environment lookup per step.

use super::progress::Step;

pub const PAUSE_AFTER: &str = "HANGAR_DEPLOY_PAUSE_AFTER";

pub async fn after(step: Step) {
    if std::env::var(PAUSE_AFTER).is_ok_and(|wanted| wanted == step.as_str()) {
        // The test waits for this exact line on standard error.
        eprintln!("hangar: deploy paused after {}", step.as_str());
        std::future::pending::<()>().await;
    }
}
