//! Every state Airflow gives a task instance, in one place: its label, what it means, and
//! which one wins when several are summed up (a mapped task's cell, a task group's row).
//!
//! Colours live in the stylesheet as `.state-{name}` (`style/main.css`), one per state here;
//! the legend on the DAG and run pages is drawn from [`TASK_STATES`].

/// A task instance's state as Hangar names it: Airflow's, with `none` for "no state yet".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateInfo {
    pub name: &'static str,
    pub label: &'static str,
    pub meaning: &'static str,
}

/// Airflow 3's task-instance states, in the order a summary picks the one to show
/// (Airflow's own `state_priority`): the first present wins.
pub const TASK_STATES: [StateInfo; 14] = [
    StateInfo {
        name: "failed",
        label: "failed",
        meaning: "the task raised an error on its last try",
    },
    StateInfo {
        name: "upstream_failed",
        label: "upstream failed",
        meaning: "a task it depends on failed, so it did not run",
    },
    StateInfo {
        name: "up_for_retry",
        label: "up for retry",
        meaning: "the try failed; Airflow will try again",
    },
    StateInfo {
        name: "up_for_reschedule",
        label: "up for reschedule",
        meaning: "a sensor waiting to check again",
    },
    StateInfo {
        name: "queued",
        label: "queued",
        meaning: "waiting for a worker",
    },
    StateInfo {
        name: "scheduled",
        label: "scheduled",
        meaning: "ready to run, waiting to be queued",
    },
    StateInfo {
        name: "deferred",
        label: "deferred",
        meaning: "handed to the triggerer, waiting for an event",
    },
    StateInfo {
        name: "awaiting_input",
        label: "awaiting input",
        meaning: "waiting for a person to answer (human in the loop)",
    },
    StateInfo {
        name: "running",
        label: "running",
        meaning: "running now",
    },
    StateInfo {
        name: "restarting",
        label: "restarting",
        meaning: "cleared while running; it will start again",
    },
    StateInfo {
        name: "none",
        label: "no status",
        meaning: "not scheduled (yet): waiting for what comes before it",
    },
    StateInfo {
        name: "success",
        label: "success",
        meaning: "finished without error",
    },
    StateInfo {
        name: "skipped",
        label: "skipped",
        meaning: "not run: a branch, short-circuit or trigger rule skipped it",
    },
    StateInfo {
        name: "removed",
        label: "removed",
        meaning: "no longer in the DAG",
    },
];

/// The state's entry, or `none`'s for anything Airflow may add later.
pub fn state_info(name: &str) -> StateInfo {
    TASK_STATES
        .iter()
        .find(|s| s.name == name)
        .copied()
        .unwrap_or(TASK_STATES[NONE])
}

/// Where `none` is in [`TASK_STATES`].
const NONE: usize = 10;

/// Lower wins: the state a summary of several task instances shows.
pub fn priority(name: &str) -> usize {
    TASK_STATES
        .iter()
        .position(|s| s.name == name)
        .unwrap_or(NONE)
}

/// The state that sums up `states` (a mapped task's instances, a group's tasks): the first
/// of [`TASK_STATES`]' order present; `none` for nothing at all.
pub fn summary<'a>(states: impl IntoIterator<Item = &'a str>) -> &'static str {
    states
        .into_iter()
        .map(priority)
        .min()
        .map_or("none", |i| TASK_STATES[i].name)
}

/// States in which a task instance will not change again unless someone clears it.
pub fn is_final(name: &str) -> bool {
    matches!(
        name,
        "success" | "failed" | "skipped" | "upstream_failed" | "removed"
    )
}

/// States in which a try's log can still grow: Hangar follows it live.
pub fn log_is_growing(name: &str) -> bool {
    matches!(
        name,
        "running" | "deferred" | "up_for_reschedule" | "restarting" | "awaiting_input"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_state_wins_a_summary() {
        assert_eq!(summary(["success", "failed", "running"]), "failed");
        assert_eq!(summary(["success", "running"]), "running");
        assert_eq!(summary(["success", "skipped"]), "success");
        assert_eq!(summary(["skipped", "removed"]), "skipped");
        assert_eq!(summary(["none", "success"]), "none");
        assert_eq!(summary(std::iter::empty()), "none");
        assert_eq!(summary(["something_new"]), "none");
    }

    #[test]
    fn every_state_has_a_distinct_name_and_words() {
        let mut names: Vec<&str> = TASK_STATES.iter().map(|s| s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), TASK_STATES.len());
        assert!(TASK_STATES.iter().all(|s| !s.meaning.is_empty()));
        assert_eq!(state_info("upstream_failed").label, "upstream failed");
        assert_eq!(state_info("whatever").name, "none");
        assert_eq!(TASK_STATES[NONE].name, "none");
    }
}
