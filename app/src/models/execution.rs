//! Where a team's tasks run: what the platform declares for the team in Hangar's
//! configuration, and what its task instances of the last 24 hours actually used.

use serde::{Deserialize, Serialize};

/// The execution set-up the platform declares for a team (`[[teams]] execution`), e.g.
/// Airflow's per-team executor "KubernetesExecutor" in namespace `team-a`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredExecution {
    pub executor: String,
    pub namespace: Option<String>,
    pub queues: Vec<String>,
    pub note: Option<String>,
}

impl DeclaredExecution {
    /// "KubernetesExecutor, namespace team-a, queues a, b".
    pub fn describe(&self) -> String {
        let mut parts = vec![self.executor.clone()];
        if let Some(namespace) = &self.namespace {
            parts.push(format!("namespace {namespace}"));
        }
        if !self.queues.is_empty() {
            parts.push(format!(
                "queue{} {}",
                if self.queues.len() == 1 { "" } else { "s" },
                self.queues.join(", ")
            ));
        }
        parts.join(", ")
    }
}

/// Task instances of the last 24 hours that ran with one executor, queue and host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionUse {
    pub environment: String,
    /// `None`: Airflow's default executor (it names none).
    pub executor: Option<String>,
    pub queue: Option<String>,
    pub hostname: Option<String>,
    pub task_instances: u64,
}

/// A team's execution: declared and seen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamExecution {
    pub declared: Option<DeclaredExecution>,
    /// Most task instances first; at most [`EXECUTION_ROWS`].
    pub seen: Vec<ExecutionUse>,
}

/// Executor / queue / host combinations listed at most.
pub const EXECUTION_ROWS: usize = 50;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_set_up_reads_as_a_sentence() {
        let declared = DeclaredExecution {
            executor: "KubernetesExecutor".into(),
            namespace: Some("team-a".into()),
            queues: vec!["team_a".into()],
            note: None,
        };
        assert_eq!(
            declared.describe(),
            "KubernetesExecutor, namespace team-a, queue team_a"
        );
    }
}
