//! Stopping deploys at a safe point when the server shuts down.
//!
//! A step is never cut off by Hangar itself: the step running at shutdown finishes, and the
//! attempt then stops before the next one, handing its claim back so the next start (or
//! another replica, at once) resumes it from the targets' true state. Attempts that cannot
//! reach that point within `[server] shutdown_grace` are left to the lease, like a crash —
//! which every step already survives.

use std::time::Duration;

use tokio::sync::watch;

pub struct SafeStop {
    stopping: watch::Sender<bool>,
    running: watch::Sender<usize>,
}

impl Default for SafeStop {
    fn default() -> Self {
        Self {
            stopping: watch::Sender::new(false),
            running: watch::Sender::new(0),
        }
    }
}

impl SafeStop {
    /// From now on no deploy starts and running ones stop before their next step.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    pub fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    /// Resolves once [`Self::stop`] has been called.
    pub async fn stopped(&self) {
        let _ = self
            .stopping
            .subscribe()
            .wait_for(|stopping| *stopping)
            .await;
    }

    /// Counts an attempt as running until the returned guard is dropped.
    pub fn attempt(&self) -> RunningAttempt<'_> {
        self.running.send_modify(|running| *running += 1);
        RunningAttempt(self)
    }

    /// Waits until no attempt runs; `false` if some still did after `within`.
    pub async fn idle_within(&self, within: Duration) -> bool {
        let mut running = self.running.subscribe();
        tokio::time::timeout(within, running.wait_for(|running| *running == 0))
            .await
            .is_ok()
    }
}

pub struct RunningAttempt<'a>(&'a SafeStop);

impl Drop for RunningAttempt<'_> {
    fn drop(&mut self) {
        self.0.running.send_modify(|running| *running -= 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_for_running_attempts_only() {
        let stop = SafeStop::default();
        assert!(stop.idle_within(Duration::ZERO).await, "nothing runs");
        let attempt = stop.attempt();
        assert!(!stop.idle_within(Duration::from_millis(20)).await);
        stop.stop();
        assert!(stop.is_stopping());
        stop.stopped().await;
        drop(attempt);
        assert!(stop.idle_within(Duration::from_millis(20)).await);
    }
}
