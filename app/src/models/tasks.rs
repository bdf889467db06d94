//! Task instances as the grid, the run page and the task page show them: task groups as a
//! tree (Airflow names a grouped task `group.task`), mapped tasks as one row with their
//! count and the state that sums them up, every try of an instance, and why a task that did
//! not run did not.

use serde::{Deserialize, Serialize};

use super::runs::{RunRow, TaskRow};

/// Task groups and tasks in the order they come: a group holds what its dotted prefix
/// names, and sits where its first task is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TreeNode<T> {
    Group {
        /// The group's full id (`section_2.inner_section_2`).
        id: String,
        children: Vec<TreeNode<T>>,
    },
    Task {
        id: String,
        item: T,
    },
}

impl<T> TreeNode<T> {
    pub fn id(&self) -> &str {
        match self {
            Self::Group { id, .. } | Self::Task { id, .. } => id,
        }
    }

    /// The last part of the id: what the row shows under its group.
    pub fn label(&self) -> &str {
        let id = self.id();
        id.rsplit('.').next().unwrap_or(id)
    }

    /// Every task below (or this task itself).
    pub fn tasks(&self) -> Vec<&T> {
        match self {
            Self::Task { item, .. } => vec![item],
            Self::Group { children, .. } => children.iter().flat_map(|c| c.tasks()).collect(),
        }
    }
}

/// Rows of deeper task groups are indented as much as this depth (style/main.css has the
/// `indent-N` classes; the run page and the DAG page's grid use them).
pub const MAX_INDENT: usize = 8;

/// A row's name indented by its depth in the task groups, through a class (the page's
/// content security policy allows no `style` attributes).
pub fn indented(class: &str, depth: usize) -> String {
    format!("{class} indent-{}", depth.min(MAX_INDENT))
}

/// Builds the tree of `items` (task id, item), kept in their order; a group appears where
/// its first task does.
pub fn task_tree<T>(items: Vec<(String, T)>) -> Vec<TreeNode<T>> {
    let mut roots: Vec<TreeNode<T>> = Vec::new();
    for (id, item) in items {
        let groups: Vec<&str> = {
            let mut parts: Vec<&str> = id.split('.').collect();
            parts.pop();
            parts
        };
        let mut level = &mut roots;
        let mut prefix = String::new();
        for part in groups {
            if !prefix.is_empty() {
                prefix.push('.');
            }
            prefix.push_str(part);
            let at = level
                .iter()
                .position(|n| matches!(n, TreeNode::Group { id, .. } if *id == prefix));
            let at = match at {
                Some(at) => at,
                None => {
                    level.push(TreeNode::Group {
                        id: prefix.clone(),
                        children: Vec::new(),
                    });
                    level.len() - 1
                }
            };
            level = match &mut level[at] {
                TreeNode::Group { children, .. } => children,
                TreeNode::Task { .. } => unreachable!("found as a group"),
            };
        }
        level.push(TreeNode::Task {
            id: id.clone(),
            item,
        });
    }
    roots
}

/// One task of a run on the run page: its instance, or for a mapped task the sum of its
/// instances and the first of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunTask {
    /// The instance (unmapped), or a row summing the mapped ones up: the state that wins,
    /// the highest try, the earliest start and the latest end.
    pub row: TaskRow,
    pub mapped: Option<MappedSummary>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MappedSummary {
    pub count: u64,
    /// How many instances are in each state, most urgent first.
    pub states: Vec<(String, u64)>,
    /// The first [`MAPPED_ON_RUN_PAGE`] instances.
    pub first: Vec<TaskRow>,
}

/// Mapped instances listed with their task on the run page; the task page pages the rest.
pub const MAPPED_ON_RUN_PAGE: usize = 20;
/// Mapped instances per page of a mapped task's page.
pub const MAPPED_PAGE_SIZE: usize = 100;

/// `/…/runs/{run}/tasks/{task}`: one task of one run. For a mapped task without an index,
/// the page lists its instances; with one (or for a task that is not mapped), it shows the
/// instance, its tries and why it did not run if it did not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskPage {
    pub run: RunRow,
    pub dag_display_name: String,
    pub shared: bool,
    pub task_id: String,
    /// From the DAG's task list, once synced.
    pub operator: Option<String>,
    pub trigger_rule: Option<String>,
    /// The instance shown (absent for a mapped task's list).
    pub instance: Option<TaskRow>,
    pub mapped: Option<MappedPage>,
    /// Every try of the instance, the current one last.
    pub tries: Vec<TryRow>,
    /// The run's upstream tasks of this one, with their states (summed up if mapped).
    pub upstream: Vec<(String, String)>,
    pub downstream: Vec<String>,
    /// Why the instance did not run (or has not yet), when it has no try.
    pub why: Option<String>,
    /// Clear and mark (shared DAGs: platform admins only).
    pub can_clear: bool,
}

/// One page of a mapped task's instances.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MappedPage {
    pub total: u64,
    pub page: u32,
    pub states: Vec<(String, u64)>,
    pub rows: Vec<TaskRow>,
}

/// What to clear, as Airflow's clear dialog asks it: one task of a run (one mapped instance,
/// or with no index every instance of the task), and optionally what depends on it, what it
/// depends on, only what failed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClearOptions {
    pub run_id: String,
    pub task_id: String,
    pub map_index: Option<i64>,
    pub downstream: bool,
    pub upstream: bool,
    pub only_failed: bool,
}

impl ClearOptions {
    /// The options in words, for the audit log and the confirmation.
    pub fn describe(&self) -> String {
        let mut text = match self.map_index {
            Some(index) => format!("{} [{index}] of run {}", self.task_id, self.run_id),
            None => format!("{} of run {}", self.task_id, self.run_id),
        };
        let mut with = Vec::new();
        if self.upstream {
            with.push("upstream");
        }
        if self.downstream {
            with.push("downstream");
        }
        if !with.is_empty() {
            text.push_str(&format!(" with its {} tasks", with.join(" and ")));
        }
        if self.only_failed {
            text.push_str(", only failed ones");
        }
        text
    }
}

/// A task instance a clear takes (or would take) back to the start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClearedTask {
    pub task_id: String,
    pub map_index: i64,
    /// Its state before the clear.
    pub state: String,
}

/// States a person may mark a task instance with.
pub const MARK_STATES: [&str; 2] = ["success", "failed"];

/// One try of a task instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TryRow {
    pub try_number: i64,
    pub state: String,
    pub queued: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub duration_s: Option<f64>,
    pub hostname: Option<String>,
}

/// Why a task instance has no try, in words, from its state, its trigger rule and its
/// upstream tasks' states in the run (`upstream`: task id and state).
pub fn why_not_run(
    state: &str,
    trigger_rule: Option<&str>,
    upstream: &[(String, String)],
    run_state: &str,
) -> Option<String> {
    let names = |wanted: &[&str]| -> Vec<&str> {
        upstream
            .iter()
            .filter(|(_, s)| wanted.contains(&s.as_str()))
            .map(|(t, _)| t.as_str())
            .collect()
    };
    let rule = trigger_rule.unwrap_or("all_success");
    let rule_words = format!("its trigger rule is {rule}");
    let list = |tasks: Vec<&str>| tasks.join(", ");
    let text = match state {
        "skipped" => {
            let skipped = names(&["skipped"]);
            let done = names(&["success"]);
            if upstream.is_empty() {
                "Airflow skipped it: the task itself chose not to run (it raised a skip).".into()
            } else if !skipped.is_empty() && done.is_empty() {
                format!(
                    "Airflow skipped it: every task before it that decides was skipped ({}), and {rule_words}.",
                    list(skipped)
                )
            } else if !done.is_empty() {
                format!(
                    "Airflow skipped it: a task before it ({}) chose another branch or short-circuited, and {rule_words}.",
                    list(done)
                )
            } else {
                format!("Airflow skipped it; {rule_words}.")
            }
        }
        "upstream_failed" => {
            let failed = names(&["failed", "upstream_failed"]);
            if failed.is_empty() {
                format!("It did not run because a task before it failed; {rule_words}.")
            } else {
                format!(
                    "It did not run because a task before it failed ({}); {rule_words}.",
                    list(failed)
                )
            }
        }
        "removed" => "The task is no longer in the DAG's current version.".into(),
        "scheduled" => {
            "Its upstream tasks are done; it waits for the scheduler to queue it.".into()
        }
        "queued" => {
            "It waits for a free worker slot (its pool and the executor's parallelism).".into()
        }
        "deferred" => {
            "It handed its waiting to Airflow's triggerer and resumes when the event comes.".into()
        }
        "up_for_reschedule" => "A sensor that waits between checks: it runs again shortly.".into(),
        "none" if super::states::is_final(run_state) || run_state == "failed" => {
            "It never ran: the run ended first.".into()
        }
        "none" => {
            let waiting: Vec<&str> = upstream
                .iter()
                .filter(|(_, s)| !super::states::is_final(s))
                .map(|(t, _)| t.as_str())
                .collect();
            if waiting.is_empty() {
                format!("It has not been scheduled yet; {rule_words}.")
            } else {
                format!(
                    "It waits for the tasks before it ({}); {rule_words}.",
                    list(waiting)
                )
            }
        }
        _ => return None,
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids<T>(nodes: &[TreeNode<T>]) -> Vec<String> {
        nodes
            .iter()
            .map(|n| match n {
                TreeNode::Group { id, children } => format!("{id}[{}]", ids(children).join(" ")),
                TreeNode::Task { id, .. } => id.clone(),
            })
            .collect()
    }

    #[test]
    fn groups_nest_by_their_dotted_prefix_in_task_order() {
        let tree = task_tree(
            [
                "start",
                "section_1.task_1",
                "section_2.inner.task_2",
                "section_1.task_2",
                "section_2.task_1",
                "end",
            ]
            .into_iter()
            .map(|id| (id.to_string(), ()))
            .collect(),
        );
        assert_eq!(
            ids(&tree),
            [
                "start",
                "section_1[section_1.task_1 section_1.task_2]",
                "section_2[section_2.inner[section_2.inner.task_2] section_2.task_1]",
                "end"
            ]
        );
        assert_eq!(tree[2].label(), "section_2");
        assert_eq!(tree[2].tasks().len(), 2);
    }

    #[test]
    fn a_task_that_did_not_run_says_why() {
        let upstream = vec![("branch_1".to_string(), "success".to_string())];
        let why = why_not_run("skipped", Some("all_success"), &upstream, "success").unwrap();
        assert!(
            why.contains("branch_1") && why.contains("all_success"),
            "{why}"
        );
        let failed = vec![("extract".to_string(), "failed".to_string())];
        let why = why_not_run("upstream_failed", None, &failed, "failed").unwrap();
        assert!(why.contains("extract"), "{why}");
        assert_eq!(why_not_run("success", None, &[], "success"), None);
        let waiting = vec![("extract".to_string(), "running".to_string())];
        assert!(
            why_not_run("none", None, &waiting, "running")
                .unwrap()
                .contains("extract")
        );
        assert!(
            why_not_run("none", None, &[], "failed")
                .unwrap()
                .contains("never ran")
        );
    }
}
