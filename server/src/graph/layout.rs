//! A layered ("Sugiyama") layout of a directed graph, left to right, for the DAG graph view.
//!
//! The classic four steps, each kept simple enough to check by reading:
//! 1. **Cycles**: edges that close a cycle (a depth-first search's back edges) are laid out
//!    reversed. A DAG has none, but a collapsed task group can make one (a task inside the
//!    group feeds a task outside that feeds the group again).
//! 2. **Layers**: each node goes one layer right of its furthest predecessor (longest path
//!    from the sources); an edge spanning several layers gets a dummy node in each layer it
//!    crosses, so every edge joins neighbouring layers and bends around nodes.
//! 3. **Crossings**: the order within each layer is improved by the barycenter heuristic,
//!    sweeping right and left a few times and keeping the order with the fewest crossings
//!    (counted exactly, by counting inversions). Members of a cluster (a task group) are
//!    kept next to each other in every layer, so a group's box stays compact.
//! 4. **Coordinates**: layers become columns; within a column nodes are pulled towards the
//!    mean height of their neighbours, in order and never closer than a gap, in alternating
//!    passes.
//!
//! Work grows with nodes × layers (dummies) × sweeps: a 500-task DAG lays out in a few
//! milliseconds, and layouts are kept (`super::GraphCache`), so a page view pays nothing.

use std::collections::HashMap;

/// What the layout needs of a node.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSpec {
    pub width: f64,
    pub height: f64,
    /// Nodes with the same cluster stay together in each layer (`None`: no cluster).
    pub cluster: Option<String>,
}

/// A laid-out graph: node centres, and each edge as a polyline from its source's right
/// side to its target's left side (through its dummy nodes).
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub nodes: Vec<(f64, f64)>,
    pub edges: Vec<Vec<(f64, f64)>>,
    pub width: f64,
    pub height: f64,
}

/// Horizontal gap between layers and vertical gap between nodes of a layer.
const LAYER_GAP: f64 = 60.0;
const NODE_GAP: f64 = 14.0;
const MARGIN: f64 = 16.0;
const SWEEPS: usize = 8;

/// Lays out `nodes` with `edges` (indices into `nodes`; self-edges and duplicates ignored).
pub fn layout(nodes: &[NodeSpec], edges: &[(usize, usize)]) -> Layout {
    let n = nodes.len();
    if n == 0 {
        return Layout {
            nodes: Vec::new(),
            edges: Vec::new(),
            width: 0.0,
            height: 0.0,
        };
    }
    let mut clean: Vec<(usize, usize)> = edges
        .iter()
        .copied()
        .filter(|(a, b)| a != b && *a < n && *b < n)
        .collect();
    clean.sort_unstable();
    clean.dedup();
    let reversed = back_edges(n, &clean);
    let forward: Vec<(usize, usize)> = clean
        .iter()
        .enumerate()
        .map(|(i, &(a, b))| if reversed[i] { (b, a) } else { (a, b) })
        .collect();
    let layer_of = longest_path_layers(n, &forward);

    // Vertices: the real nodes, then a dummy per layer an edge crosses.
    let mut layer = layer_of.clone();
    let mut cluster: Vec<Option<String>> = nodes.iter().map(|s| s.cluster.clone()).collect();
    let mut height: Vec<f64> = nodes.iter().map(|s| s.height).collect();
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(forward.len());
    let mut links: Vec<(usize, usize)> = Vec::new();
    for &(a, b) in &forward {
        let mut chain = vec![a];
        let mut previous = a;
        for l in layer_of[a] + 1..layer_of[b] {
            let dummy = layer.len();
            layer.push(l);
            // A dummy between two members of one cluster stays in it.
            let shared = (cluster[a] == cluster[b])
                .then(|| cluster[a].clone())
                .flatten();
            cluster.push(shared);
            height.push(0.0);
            links.push((previous, dummy));
            chain.push(dummy);
            previous = dummy;
        }
        links.push((previous, b));
        chain.push(b);
        chains.push(chain);
    }
    let layers = layer.iter().copied().max().unwrap_or(0) + 1;
    let mut order: Vec<Vec<usize>> = vec![Vec::new(); layers];
    for (v, &l) in layer.iter().enumerate() {
        order[l].push(v);
    }
    for row in &mut order {
        keep_clusters_together(row, &cluster, &|_| 0.0);
    }
    let (up, down) = neighbours(layer.len(), &links);
    reduce_crossings(&mut order, &up, &down, &cluster);

    // Columns: each as wide as its widest node.
    let mut column_width = vec![0.0_f64; layers];
    for (v, spec) in nodes.iter().enumerate() {
        column_width[layer[v]] = column_width[layer[v]].max(spec.width);
    }
    let mut column_x = vec![0.0; layers];
    let mut x = MARGIN;
    for l in 0..layers {
        column_x[l] = x + column_width[l] / 2.0;
        x += column_width[l] + LAYER_GAP;
    }
    let y = assign_heights(&order, &up, &down, &height);

    let min_top = (0..layer.len())
        .map(|v| y[v] - height[v] / 2.0)
        .fold(f64::INFINITY, f64::min);
    let shift = MARGIN - min_top;
    let centre = |v: usize| (column_x[layer[v]], y[v] + shift);
    let positions: Vec<(f64, f64)> = (0..n).map(centre).collect();
    let half_width = |v: usize| if v < n { nodes[v].width / 2.0 } else { 0.0 };
    let edge_lines = forward
        .iter()
        .zip(&chains)
        .zip(&reversed)
        .map(|((_, chain), &was_reversed)| {
            let mut points: Vec<(f64, f64)> = chain
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let (cx, cy) = centre(v);
                    if i == 0 {
                        (cx + half_width(v), cy)
                    } else if i == chain.len() - 1 {
                        (cx - half_width(v), cy)
                    } else {
                        (cx, cy)
                    }
                })
                .collect();
            if was_reversed {
                points.reverse();
            }
            points
        })
        .collect();
    let bottom = (0..layer.len())
        .map(|v| y[v] + shift + height[v] / 2.0)
        .fold(0.0_f64, f64::max);
    Layout {
        nodes: positions,
        edges: edge_lines,
        width: x - LAYER_GAP + MARGIN,
        height: bottom + MARGIN,
    }
}

/// Which edges a depth-first search finds closing a cycle (in `edges`' order).
fn back_edges(n: usize, edges: &[(usize, usize)]) -> Vec<bool> {
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (i, &(a, b)) in edges.iter().enumerate() {
        out[a].push((b, i));
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; n];
    let mut back = vec![false; edges.len()];
    for root in 0..n {
        if mark[root] != Mark::New {
            continue;
        }
        // An explicit stack: a 5,000-task chain must not overflow the thread's stack.
        let mut stack = vec![(root, 0usize)];
        mark[root] = Mark::Open;
        while let Some((v, next)) = stack.last_mut() {
            let v = *v;
            if let Some(&(w, edge)) = out[v].get(*next) {
                *next += 1;
                match mark[w] {
                    Mark::New => {
                        mark[w] = Mark::Open;
                        stack.push((w, 0));
                    }
                    Mark::Open => back[edge] = true,
                    Mark::Done => {}
                }
            } else {
                mark[v] = Mark::Done;
                stack.pop();
            }
        }
    }
    back
}

/// Each node's layer: one past its furthest predecessor (edges point forward).
fn longest_path_layers(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut incoming = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in edges {
        incoming[b] += 1;
        out[a].push(b);
    }
    let mut layer = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|v| incoming[*v] == 0).collect();
    while let Some(v) = ready.pop() {
        for &w in &out[v] {
            layer[w] = layer[w].max(layer[v] + 1);
            incoming[w] -= 1;
            if incoming[w] == 0 {
                ready.push(w);
            }
        }
    }
    layer
}

fn neighbours(count: usize, links: &[(usize, usize)]) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut up = vec![Vec::new(); count];
    let mut down = vec![Vec::new(); count];
    for &(a, b) in links {
        down[a].push(b);
        up[b].push(a);
    }
    (up, down)
}

/// Barycenter sweeps; the order with the fewest crossings wins.
fn reduce_crossings(
    order: &mut [Vec<usize>],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
    cluster: &[Option<String>],
) {
    let mut best = order.to_vec();
    let mut best_crossings = crossings(order, down);
    for sweep in 0..SWEEPS {
        let rightwards = sweep % 2 == 0;
        let layers: Vec<usize> = if rightwards {
            (1..order.len()).collect()
        } else {
            (0..order.len().saturating_sub(1)).rev().collect()
        };
        for l in layers {
            let (fixed, side) = if rightwards {
                (l - 1, up)
            } else {
                (l + 1, down)
            };
            let position: HashMap<usize, usize> = order[fixed]
                .iter()
                .enumerate()
                .map(|(i, &v)| (v, i))
                .collect();
            let current: HashMap<usize, usize> =
                order[l].iter().enumerate().map(|(i, &v)| (v, i)).collect();
            let barycenter = |v: usize| -> f64 {
                let linked: Vec<usize> = side[v]
                    .iter()
                    .filter_map(|w| position.get(w).copied())
                    .collect();
                if linked.is_empty() {
                    // Nothing pulls it: it keeps its place.
                    current[&v] as f64
                } else {
                    linked.iter().sum::<usize>() as f64 / linked.len() as f64
                }
            };
            let mut row = std::mem::take(&mut order[l]);
            row.sort_by(|a, b| barycenter(*a).total_cmp(&barycenter(*b)));
            keep_clusters_together(&mut row, cluster, &barycenter);
            order[l] = row;
        }
        let count = crossings(order, down);
        if count < best_crossings {
            best_crossings = count;
            best = order.to_vec();
        }
        if best_crossings == 0 {
            break;
        }
    }
    order.clone_from_slice(&best);
}

/// Moves each cluster's members together, at the mean `weight` of its members; members and
/// nodes of no cluster keep their relative order.
fn keep_clusters_together(
    row: &mut Vec<usize>,
    cluster: &[Option<String>],
    weight: &dyn Fn(usize) -> f64,
) {
    if row.iter().all(|v| cluster[*v].is_none()) {
        return;
    }
    let mut groups: Vec<(f64, usize, Vec<usize>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, &v) in row.iter().enumerate() {
        match cluster[v].as_deref() {
            Some(name) => match index.get(name) {
                Some(&g) => groups[g].2.push(v),
                None => {
                    index.insert(name, groups.len());
                    groups.push((0.0, i, vec![v]));
                }
            },
            None => groups.push((0.0, i, vec![v])),
        }
    }
    for group in &mut groups {
        group.0 = group.2.iter().map(|v| weight(*v)).sum::<f64>() / group.2.len() as f64;
    }
    groups.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    *row = groups
        .into_iter()
        .flat_map(|(_, _, members)| members)
        .collect();
}

/// Edge crossings between neighbouring layers: for each pair, the inversions among the edges
/// sorted by their upper end (Fenwick tree over the lower positions).
fn crossings(order: &[Vec<usize>], down: &[Vec<usize>]) -> usize {
    let mut total = 0;
    for pair in order.windows(2) {
        let lower: HashMap<usize, usize> =
            pair[1].iter().enumerate().map(|(i, &v)| (v, i)).collect();
        let mut ends: Vec<(usize, usize)> = Vec::new();
        for (i, &v) in pair[0].iter().enumerate() {
            for w in &down[v] {
                if let Some(&j) = lower.get(w) {
                    ends.push((i, j));
                }
            }
        }
        ends.sort_unstable();
        let mut tree = vec![0usize; pair[1].len() + 1];
        for (seen, &(_, j)) in ends.iter().enumerate() {
            // Edges already counted whose lower end is right of j cross this one.
            let mut not_greater = 0;
            let mut k = j + 1;
            while k > 0 {
                not_greater += tree[k];
                k &= k - 1;
            }
            total += seen - not_greater;
            let mut k = j + 1;
            while k < tree.len() {
                tree[k] += 1;
                k += k & k.wrapping_neg();
            }
        }
    }
    total
}

/// Heights within each column: in order, at least a gap apart, pulled towards the mean
/// height of their neighbours in the previous column (then the next one, alternately).
fn assign_heights(
    order: &[Vec<usize>],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
    height: &[f64],
) -> Vec<f64> {
    let mut y = vec![0.0_f64; height.len()];
    // Start packed, each column centred on zero.
    for row in order {
        let mut at = 0.0;
        for &v in row {
            y[v] = at + height[v] / 2.0;
            at += height[v] + NODE_GAP;
        }
        let middle = at / 2.0;
        for &v in row {
            y[v] -= middle;
        }
    }
    for pass in 0..4 {
        let rightwards = pass % 2 == 0;
        let layers: Vec<usize> = if rightwards {
            (1..order.len()).collect()
        } else {
            (0..order.len().saturating_sub(1)).rev().collect()
        };
        for l in layers {
            let side = if rightwards { up } else { down };
            let wanted: Vec<f64> = order[l]
                .iter()
                .map(|&v| {
                    if side[v].is_empty() {
                        y[v]
                    } else {
                        side[v].iter().map(|w| y[*w]).sum::<f64>() / side[v].len() as f64
                    }
                })
                .collect();
            let placed = place_in_order(&order[l], &wanted, height);
            for (&v, value) in order[l].iter().zip(placed) {
                y[v] = value;
            }
        }
    }
    y
}

/// Positions as close to `wanted` as the order and the gaps allow: one pass down pushing
/// nodes below the one above, one pass up pushing them above the one below, averaged.
fn place_in_order(row: &[usize], wanted: &[f64], height: &[f64]) -> Vec<f64> {
    let gap = |a: usize, b: usize| (height[row[a]] + height[row[b]]) / 2.0 + NODE_GAP;
    let mut downwards = wanted.to_vec();
    for i in 1..row.len() {
        downwards[i] = downwards[i].max(downwards[i - 1] + gap(i - 1, i));
    }
    let mut upwards = wanted.to_vec();
    for i in (0..row.len().saturating_sub(1)).rev() {
        upwards[i] = upwards[i].min(upwards[i + 1] - gap(i, i + 1));
    }
    let mut placed: Vec<f64> = downwards
        .iter()
        .zip(&upwards)
        .map(|(a, b)| (a + b) / 2.0)
        .collect();
    // Averaging two feasible placements keeps the gaps (both satisfy them), but rounding
    // must not bring two nodes closer.
    for i in 1..row.len() {
        placed[i] = placed[i].max(placed[i - 1] + gap(i - 1, i));
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(n: usize) -> Vec<NodeSpec> {
        (0..n)
            .map(|_| NodeSpec {
                width: 100.0,
                height: 30.0,
                cluster: None,
            })
            .collect()
    }

    #[test]
    fn edges_point_right_and_layers_follow_the_longest_path() {
        // 0 → 1 → 2, and 0 → 2 directly: 2 sits two layers right of 0.
        let layout = layout(&nodes(3), &[(0, 1), (1, 2), (0, 2)]);
        let x: Vec<f64> = layout.nodes.iter().map(|p| p.0).collect();
        assert!(x[0] < x[1] && x[1] < x[2], "{x:?}");
        // The long edge bends through one dummy: three points.
        assert_eq!(layout.edges[1].len(), 3);
        for edge in &layout.edges {
            assert!(edge.windows(2).all(|w| w[0].0 <= w[1].0), "{edge:?}");
        }
    }

    #[test]
    fn nodes_of_a_layer_never_overlap() {
        // One source fanning out to ten.
        let edges: Vec<(usize, usize)> = (1..11).map(|i| (0, i)).collect();
        let layout = layout(&nodes(11), &edges);
        let mut ys: Vec<f64> = (1..11).map(|i| layout.nodes[i].1).collect();
        ys.sort_by(f64::total_cmp);
        assert!(
            ys.windows(2).all(|w| w[1] - w[0] >= 30.0 + NODE_GAP - 1e-9),
            "{ys:?}"
        );
        assert!(layout.nodes.iter().all(|(x, y)| *x > 0.0 && *y > 0.0));
        assert!(layout.height >= ys[9] + 15.0);
    }

    #[test]
    fn crossing_reduction_untangles_a_twisted_pair() {
        // Two chains whose second layer starts in the crossing order.
        let layout = layout(&nodes(4), &[(0, 3), (1, 2)]);
        assert_eq!(crossings_of(&layout), 0);
    }

    #[test]
    fn counting_crossings_is_exact() {
        // Layer 0: a, b; layer 1: c, d; edges a→d, b→c cross once.
        let down = vec![vec![3], vec![2], vec![], vec![]];
        assert_eq!(crossings(&[vec![0, 1], vec![2, 3]], &down), 1);
        assert_eq!(crossings(&[vec![0, 1], vec![3, 2]], &down), 0);
    }

    #[test]
    fn a_cycle_is_laid_out_and_its_edges_keep_their_direction() {
        let layout = layout(&nodes(3), &[(0, 1), (1, 2), (2, 0)]);
        assert_eq!(layout.nodes.len(), 3);
        // The edge 2 → 0 still starts at 2.
        let last = &layout.edges[2];
        let (x2, _) = layout.nodes[2];
        assert!((last[0].0 - x2).abs() <= 50.0 + 1e-9, "{last:?}");
    }

    #[test]
    fn clusters_stay_together_in_a_layer() {
        let mut specs = nodes(5);
        for v in [1, 3] {
            specs[v].cluster = Some("group".into());
        }
        // 0 fans out to 1, 2, 3, 4 (one layer): 1 and 3 must be neighbours.
        let layout = layout(&specs, &[(0, 1), (0, 2), (0, 3), (0, 4)]);
        let mut by_y: Vec<usize> = (1..5).collect();
        by_y.sort_by(|a, b| layout.nodes[*a].1.total_cmp(&layout.nodes[*b].1));
        let at = |v: usize| by_y.iter().position(|w| *w == v).unwrap();
        assert_eq!(at(1).abs_diff(at(3)), 1, "{by_y:?}");
    }

    #[test]
    fn five_hundred_tasks_lay_out() {
        // Ten parallel chains of fifty, with cross links every few steps.
        let n = 500;
        let mut edges = Vec::new();
        for chain in 0..10 {
            for step in 0..49 {
                edges.push((chain * 50 + step, chain * 50 + step + 1));
                if step % 7 == 0 && chain < 9 {
                    edges.push((chain * 50 + step, (chain + 1) * 50 + step + 3));
                }
            }
        }
        let layout = layout(&nodes(n), &edges);
        assert_eq!(layout.nodes.len(), n);
        assert!(layout.width > 0.0 && layout.height > 0.0);
    }

    fn crossings_of(layout: &Layout) -> usize {
        let segments: Vec<((f64, f64), (f64, f64))> = layout
            .edges
            .iter()
            .flat_map(|e| e.windows(2).map(|w| (w[0], w[1])).collect::<Vec<_>>())
            .collect();
        let mut count = 0;
        for (i, a) in segments.iter().enumerate() {
            for b in &segments[i + 1..] {
                let overlap = a.0.0.max(b.0.0) < a.1.0.min(b.1.0);
                let at_start = (a.0.1 - b.0.1).signum();
                let at_end = (a.1.1 - b.1.1).signum();
                if overlap && at_start != at_end && at_start != 0.0 && at_end != 0.0 {
                    count += 1;
                }
            }
        }
        count
    }
}
