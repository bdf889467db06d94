//! Pictures of a DAG, drawn on the server as SVG text (they work without JavaScript and put
//! nothing in the browser bundle): the graph of its tasks (`layout.rs` places them; groups can
//! be folded into one node) coloured by a run's states, and a run's Gantt chart (`gantt.rs`).
//! Every value written into the SVG is escaped here.

pub mod gantt;
pub mod layout;

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use hangar_app::html::escape_into;
use hangar_app::models::states;

use self::layout::{Layout, NodeSpec};
use crate::read_model::tasks::DagTaskInfo;

/// What the graph shows as a node: a task, or a folded group standing for its tasks.
#[derive(Clone, Debug, PartialEq)]
pub enum GraphNode {
    Task {
        id: String,
        operator: Option<String>,
        teardown: bool,
        mapped: bool,
    },
    Group {
        id: String,
        tasks: Vec<String>,
    },
}

impl GraphNode {
    pub fn id(&self) -> &str {
        match self {
            Self::Task { id, .. } | Self::Group { id, .. } => id,
        }
    }

    fn label(&self) -> &str {
        let id = self.id();
        id.rsplit('.').next().unwrap_or(id)
    }
}

/// A DAG's graph laid out: nodes, their edges, where each goes. It does not depend on any
/// run, so it is kept ([`GraphCache`]) and coloured per view.
#[derive(Debug)]
pub struct Drawing {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<(usize, usize)>,
    pub layout: Layout,
    /// Groups shown open (their boxes), outermost first.
    pub open_groups: Vec<String>,
}

/// Node sizes: wide enough for their label.
const NODE_HEIGHT: f64 = 34.0;
fn node_width(label: &str) -> f64 {
    (label.chars().count() as f64 * 7.4 + 28.0).clamp(90.0, 240.0)
}

/// The groups a task id sits in, outermost first (`a.b.task` → `a`, `a.b`).
pub fn groups_of(task_id: &str) -> Vec<String> {
    let parts: Vec<&str> = task_id.split('.').collect();
    (1..parts.len()).map(|n| parts[..n].join(".")).collect()
}

/// Lays out `tasks` with the groups in `folded` drawn as one node each (a folded group
/// inside another folded group is part of the outer one).
pub fn draw(tasks: &[DagTaskInfo], folded: &BTreeSet<String>) -> Drawing {
    // Which node each task is drawn as.
    let mut nodes: Vec<GraphNode> = Vec::new();
    let mut node_of: HashMap<&str, usize> = HashMap::new();
    let mut group_node: HashMap<String, usize> = HashMap::new();
    for task in tasks {
        let folded_in = groups_of(&task.task_id)
            .into_iter()
            .find(|g| folded.contains(g));
        let index = match folded_in {
            Some(group) => *group_node.entry(group.clone()).or_insert_with(|| {
                nodes.push(GraphNode::Group {
                    id: group,
                    tasks: Vec::new(),
                });
                nodes.len() - 1
            }),
            None => {
                nodes.push(GraphNode::Task {
                    id: task.task_id.clone(),
                    operator: task.operator.clone(),
                    teardown: task.trigger_rule.as_deref() == Some("all_done_setup_success"),
                    mapped: task.is_mapped,
                });
                nodes.len() - 1
            }
        };
        if let GraphNode::Group { tasks: members, .. } = &mut nodes[index] {
            members.push(task.task_id.clone());
        }
        node_of.insert(&task.task_id, index);
    }
    let mut edges: Vec<(usize, usize)> = tasks
        .iter()
        .flat_map(|task| {
            let from = node_of[task.task_id.as_str()];
            task.downstream
                .iter()
                .filter_map(|d| node_of.get(d.as_str()))
                .map(move |&to| (from, to))
        })
        .filter(|(a, b)| a != b)
        .collect();
    edges.sort_unstable();
    edges.dedup();
    // A node's cluster: the innermost open group it sits in.
    let cluster = |node: &GraphNode| -> Option<String> {
        let mut groups = groups_of(node.id());
        if let GraphNode::Group { id, .. } = node {
            groups.retain(|g| g != id);
        }
        groups.into_iter().rev().find(|g| !folded.contains(g))
    };
    let specs: Vec<NodeSpec> = nodes
        .iter()
        .map(|node| NodeSpec {
            width: node_width(node.label())
                + if matches!(node, GraphNode::Group { .. }) {
                    40.0
                } else {
                    0.0
                },
            height: NODE_HEIGHT,
            cluster: cluster(node),
        })
        .collect();
    let layout = layout::layout(&specs, &edges);
    let open_groups: BTreeSet<String> = nodes
        .iter()
        .flat_map(|node| {
            let mut groups = groups_of(node.id());
            if let GraphNode::Group { id, .. } = node {
                groups.retain(|g| g != id);
            }
            groups
        })
        .filter(|g| !folded.contains(g) && !groups_of(g).iter().any(|outer| folded.contains(outer)))
        .collect();
    let mut open_groups: Vec<String> = open_groups.into_iter().collect();
    open_groups.sort_by_key(|g| g.matches('.').count());
    Drawing {
        nodes,
        edges,
        layout,
        open_groups,
    }
}

/// Where the graph's links go.
pub trait GraphLinks {
    /// A task node's link (its instance in the chosen run), if any.
    fn task(&self, task_id: &str) -> Option<String>;
    /// The same view with `group` folded (`fold`) or opened.
    fn toggle(&self, group: &str, fold: bool) -> String;
}

/// The drawing as SVG, tasks coloured by `states` (task id → state; absent: no colour).
pub fn svg(drawing: &Drawing, states: &HashMap<String, String>, links: &dyn GraphLinks) -> String {
    let layout = &drawing.layout;
    let mut out = String::with_capacity(drawing.nodes.len() * 420 + drawing.edges.len() * 160);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"dag-graph\" viewBox=\"0 0 {w:.0} {h:.0}\" \
         width=\"{w:.0}\" height=\"{h:.0}\" role=\"img\" aria-label=\"The DAG's tasks and their dependencies\" \
         data-testid=\"dag-graph\">\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" class=\"arrow\"/>\
         </marker></defs>",
        w = layout.width.max(1.0),
        h = layout.height.max(1.0)
    );
    // Open groups: a box around their nodes, behind everything, its name folding it.
    for group in &drawing.open_groups {
        let members: Vec<usize> = drawing
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| groups_of(node.id()).contains(group))
            .map(|(i, _)| i)
            .collect();
        if members.is_empty() {
            continue;
        }
        let depth = group.matches('.').count() as f64;
        let pad = 14.0 - depth.min(3.0) * 3.0;
        let (mut left, mut top, mut right, mut bottom) = (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        for &i in &members {
            let (x, y) = layout.nodes[i];
            let half = node_width(drawing.nodes[i].label()) / 2.0;
            left = left.min(x - half);
            right = right.max(x + half);
            top = top.min(y - NODE_HEIGHT / 2.0);
            bottom = bottom.max(y + NODE_HEIGHT / 2.0);
        }
        let (left, top, right, bottom) = (left - pad, top - pad - 14.0, right + pad, bottom + pad);
        out.push_str("<g class=\"group-box\" data-group=\"");
        escape_into(&mut out, group);
        let _ = write!(
            out,
            "\"><rect x=\"{left:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"8\"/><a href=\"",
            right - left,
            bottom - top
        );
        escape_into(&mut out, &links.toggle(group, true));
        let _ = write!(
            out,
            "\"><text x=\"{:.1}\" y=\"{:.1}\" class=\"group-label\">▾ ",
            left + 8.0,
            top + 13.0
        );
        escape_into(&mut out, group.rsplit('.').next().unwrap_or(group));
        out.push_str("<title>Fold the group ");
        escape_into(&mut out, group);
        out.push_str("</title></text></a></g>");
    }
    for (edge, points) in drawing.edges.iter().zip(&layout.edges) {
        out.push_str("<path class=\"edge\" marker-end=\"url(#arrow)\" data-edge=\"");
        escape_into(&mut out, drawing.nodes[edge.0].id());
        out.push_str("->");
        escape_into(&mut out, drawing.nodes[edge.1].id());
        out.push_str("\" d=\"");
        write_path(&mut out, points);
        out.push_str("\"/>");
    }
    for (node, &(x, y)) in drawing.nodes.iter().zip(&layout.nodes) {
        let width = node_width(node.label())
            + if matches!(node, GraphNode::Group { .. }) {
                40.0
            } else {
                0.0
            };
        let (left, top) = (x - width / 2.0, y - NODE_HEIGHT / 2.0);
        match node {
            GraphNode::Task {
                id,
                operator,
                teardown,
                mapped,
            } => {
                let state = states.get(id).map(String::as_str);
                out.push_str("<g class=\"node\" data-task=\"");
                escape_into(&mut out, id);
                out.push_str("\" data-state=\"");
                escape_into(&mut out, state.unwrap_or(""));
                out.push_str("\">");
                let link = links.task(id);
                if let Some(href) = &link {
                    out.push_str("<a href=\"");
                    escape_into(&mut out, href);
                    out.push_str("\">");
                }
                let _ = write!(
                    out,
                    "<rect class=\"node-box{}{}",
                    if *teardown { " teardown" } else { "" },
                    if *mapped { " mapped" } else { "" }
                );
                if let Some(state) = state {
                    out.push_str(" state-");
                    escape_into(&mut out, state);
                }
                let _ = write!(
                    out,
                    "\" x=\"{left:.1}\" y=\"{top:.1}\" width=\"{width:.1}\" height=\"{NODE_HEIGHT:.0}\" rx=\"5\"/>\
                     <text x=\"{x:.1}\" y=\"{:.1}\" class=\"node-label\">",
                    y + 4.5
                );
                escape_into(&mut out, &short(node.label(), width));
                out.push_str("</text><title>");
                escape_into(&mut out, id);
                if let Some(state) = state {
                    out.push_str(" — ");
                    out.push_str(states::state_info(state).label);
                }
                if let Some(operator) = operator {
                    out.push_str(" — ");
                    escape_into(&mut out, operator);
                }
                if *teardown {
                    out.push_str(" — teardown");
                }
                if *mapped {
                    out.push_str(" — mapped");
                }
                out.push_str("</title>");
                if link.is_some() {
                    out.push_str("</a>");
                }
                out.push_str("</g>");
            }
            GraphNode::Group { id, tasks } => {
                let summary = states::summary(
                    tasks
                        .iter()
                        .filter_map(|t| states.get(t).map(String::as_str)),
                );
                let coloured = tasks.iter().any(|t| states.contains_key(t));
                out.push_str("<g class=\"node group-node\" data-group=\"");
                escape_into(&mut out, id);
                out.push_str("\"><a href=\"");
                escape_into(&mut out, &links.toggle(id, false));
                let _ = write!(out, "\"><rect class=\"node-box group");
                if coloured {
                    out.push_str(" state-");
                    out.push_str(summary);
                }
                let _ = write!(
                    out,
                    "\" x=\"{left:.1}\" y=\"{top:.1}\" width=\"{width:.1}\" height=\"{NODE_HEIGHT:.0}\" rx=\"9\"/>\
                     <text x=\"{x:.1}\" y=\"{:.1}\" class=\"node-label\">▸ ",
                    y + 4.5
                );
                escape_into(&mut out, &short(node.label(), width - 40.0));
                let _ = write!(out, " ({})</text><title>Open the group ", tasks.len());
                escape_into(&mut out, id);
                let _ = write!(out, " ({} tasks)</title></a></g>", tasks.len());
            }
        }
    }
    out.push_str("</svg>");
    out
}

/// A label cut to fit `width` (the whole id is in the node's title).
fn short(label: &str, width: f64) -> String {
    let fits = ((width - 16.0) / 7.4).max(4.0) as usize;
    if label.chars().count() <= fits {
        label.to_string()
    } else {
        let kept: String = label.chars().take(fits.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

fn write_path(out: &mut String, points: &[(f64, f64)]) {
    for (i, (x, y)) in points.iter().enumerate() {
        let _ = write!(out, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { " L" });
    }
}

/// Drawings already laid out, by DAG, task-list version and folded groups; a few hundred
/// at most (the least recently used go).
#[derive(Default)]
pub struct GraphCache {
    kept: Mutex<HashMap<GraphKey, (u64, Arc<Drawing>)>>,
    uses: std::sync::atomic::AtomicU64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GraphKey {
    pub environment: String,
    pub dag_id: String,
    /// Moves when the sync reads the DAG's task list again.
    pub version: i64,
    pub folded: BTreeSet<String>,
}

const KEPT_DRAWINGS: usize = 256;

impl GraphCache {
    pub fn drawing(&self, key: GraphKey, tasks: impl FnOnce() -> Vec<DagTaskInfo>) -> Arc<Drawing> {
        let used = self.uses.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some((last, drawing)) = self
            .kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(&key)
        {
            *last = used;
            return drawing.clone();
        }
        let drawing = Arc::new(draw(&tasks(), &key.folded));
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= KEPT_DRAWINGS
            && let Some(oldest) = kept
                .iter()
                .min_by_key(|(_, (last, _))| *last)
                .map(|(k, _)| k.clone())
        {
            kept.remove(&oldest);
        }
        kept.insert(key, (used, drawing.clone()));
        drawing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, downstream: &[&str]) -> DagTaskInfo {
        DagTaskInfo {
            task_id: id.into(),
            operator: Some("EmptyOperator".into()),
            trigger_rule: None,
            downstream: downstream.iter().map(|d| d.to_string()).collect(),
            is_mapped: false,
        }
    }

    /// `example_task_group`'s shape.
    fn example_task_group() -> Vec<DagTaskInfo> {
        vec![
            task("start", &["section_1.task_1"]),
            task(
                "section_1.task_1",
                &["section_1.task_2", "section_1.task_3"],
            ),
            task("section_1.task_2", &["section_2.task_1"]),
            task("section_1.task_3", &["section_2.task_1"]),
            task(
                "section_2.task_1",
                &[
                    "section_2.inner_section_2.task_2",
                    "section_2.inner_section_2.task_3",
                ],
            ),
            task(
                "section_2.inner_section_2.task_2",
                &["section_2.inner_section_2.task_4"],
            ),
            task(
                "section_2.inner_section_2.task_3",
                &["section_2.inner_section_2.task_4"],
            ),
            task("section_2.inner_section_2.task_4", &["end"]),
            task("end", &[]),
        ]
    }

    struct Links;
    impl GraphLinks for Links {
        fn task(&self, task_id: &str) -> Option<String> {
            Some(format!("/task/{task_id}"))
        }
        fn toggle(&self, group: &str, fold: bool) -> String {
            format!("/graph?{}={group}", if fold { "fold" } else { "open" })
        }
    }

    #[test]
    fn open_groups_are_boxes_and_folded_ones_are_nodes() {
        let tasks = example_task_group();
        let open = draw(&tasks, &BTreeSet::new());
        assert_eq!(open.nodes.len(), 9);
        assert_eq!(
            open.open_groups,
            ["section_1", "section_2", "section_2.inner_section_2"]
        );
        let open_svg = svg(&open, &HashMap::new(), &Links);
        assert!(open_svg.contains("data-group=\"section_2.inner_section_2\""));
        assert!(open_svg.contains("data-edge=\"start->section_1.task_1\""));
        assert!(open_svg.contains("href=\"/graph?fold=section_1\""));

        let folded = draw(&tasks, &BTreeSet::from(["section_2".to_string()]));
        // start, section_1's three tasks, section_2 as one node, end.
        assert_eq!(folded.nodes.len(), 6);
        assert_eq!(folded.open_groups, ["section_1"]);
        let folded_svg = svg(&folded, &HashMap::new(), &Links);
        assert!(folded_svg.contains("data-edge=\"section_1.task_2->section_2\""));
        assert!(folded_svg.contains("data-edge=\"section_2->end\""));
        assert!(
            folded_svg.contains("(4)</text>"),
            "the folded group counts its tasks"
        );
    }

    #[test]
    fn states_colour_tasks_and_folded_groups_and_names_are_escaped() {
        let tasks = vec![task("a<script>", &["g.b"]), task("g.b", &[])];
        let states = HashMap::from([
            ("a<script>".to_string(), "failed".to_string()),
            ("g.b".to_string(), "success".to_string()),
        ]);
        let svg_text = svg(&draw(&tasks, &BTreeSet::new()), &states, &Links);
        assert!(!svg_text.contains("<script>"));
        assert!(svg_text.contains("a&lt;script&gt;"));
        assert!(svg_text.contains("node-box state-failed"));
        let folded = svg(
            &draw(&tasks, &BTreeSet::from(["g".to_string()])),
            &states,
            &Links,
        );
        assert!(folded.contains("node-box group state-success"), "{folded}");
    }
}
