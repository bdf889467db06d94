//! The deploy engine's two budgets, measured on real git repositories built here
//! (`make bench-deploy`, figures in docs/benchmarks.md):
//!
//! 1. The approval screen's git work for a candidate touching 200 files of a 20,000-file
//!    repository: the commits in range, the changed-file list with line counts, and the
//!    first page of parsed diffs (`changes::read`), from Hangar's warm cache. Budget 300 ms.
//! 2. Export and swap of a 5,000-file team folder into a directory target (write the tree,
//!    `syncfs`, rename, swap `current`). Budget 2 s.
//!
//! ```sh
//! cargo run --release -p hangar-server --example bench_deploy -- [runs]
//! ```
//! Prints a Markdown table: median, p90 and maximum of `runs` runs (default 15), after one
//! unmeasured warm-up run each.

use std::path::Path;
use std::time::{Duration, Instant};

use hangar_server::config::{DeployConfig, TargetConfig};
use hangar_server::deploy::changes;
use hangar_server::deploy::commit::CommitId;
use hangar_server::deploy::directory::DirectoryTarget;
use hangar_server::deploy::team::TeamDeploy;
use hangar_server::deploy::testing::{WorkRepo, deploy_config};

/// Files in the repository, and how they are spread.
const TEAM_FILES: usize = 5_000;
const COMMON_FILES: usize = 1_000;
const OTHER_TEAMS: usize = 14;
const OTHER_TEAM_FILES: usize = 1_000;
/// Files the candidate touches inside team_a/ and common/.
const MODIFIED: usize = 160;
const ADDED: usize = 25;
const DELETED: usize = 10;
const RENAMED: usize = 5;

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("runs is a number"))
        .unwrap_or(15);
    let dir = tempfile::tempdir().expect("a temporary directory");
    eprintln!("building a {}-file repository…", total_files());
    let (origin, base, candidate) = build_repository(&dir.path().join("origin"));
    let team = TeamDeploy::new(
        config(&origin),
        &dir.path().join("cache"),
        hangar_server::deploy::git::Network::default(),
    );
    team.fetch().expect("Hangar's cache fetches the repository");

    let screen = measure(runs, || {
        let started = Instant::now();
        let commits = team
            .cache
            .commits(Some(&base), &candidate, &team.config.paths)
            .expect("commits");
        let read = changes::read(&team, Some(&base), &candidate, 1).expect("changes");
        assert_eq!(commits.len(), 1);
        assert_eq!(read.files.len(), MODIFIED + ADDED + DELETED + RENAMED);
        assert!(!read.diffs.is_empty());
        started.elapsed()
    });

    // A team's first deploy lists every file of its paths (no budget; shown for scale).
    let first = measure(runs, || {
        let started = Instant::now();
        let read = changes::read(&team, None, &candidate, 1).expect("changes");
        assert_eq!(
            read.files.len(),
            TEAM_FILES + COMMON_FILES + ADDED - DELETED
        );
        started.elapsed()
    });

    let target = DirectoryTarget {
        root: dir.path().join("deployed"),
        keep: 2,
    };
    // Each run deploys the other commit, exported afresh (a deploy of a commit already on
    // disk skips the export, which is not what this measures).
    let mut next = [base.clone(), candidate.clone()].into_iter().cycle();
    let team_a = vec!["team_a/".to_string()];
    let swap = measure(runs, || {
        let commit = next.next().unwrap();
        let current = target.current().expect("current");
        let _ = std::fs::remove_dir_all(target.root.join(commit.as_str()));
        let started = Instant::now();
        target
            .export(&team.cache, &commit, &team_a)
            .expect("export");
        target.swap(current.as_ref(), &commit).expect("swap");
        let elapsed = started.elapsed();
        assert_eq!(target.current().unwrap(), Some(commit));
        elapsed
    });

    println!("| deploy benchmark | runs | median ms | p90 ms | max ms | budget ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    row(
        "approval screen: commits, 200 changed files, first page of diffs (20,000-file repo)",
        &screen,
        Some(300),
    );
    row(
        "first deploy: all 6,015 files listed, first page of diffs",
        &first,
        None,
    );
    row(
        "export + swap of a 5,000-file team folder (directory target)",
        &swap,
        Some(2000),
    );
}

fn total_files() -> usize {
    TEAM_FILES + COMMON_FILES + OTHER_TEAMS * OTHER_TEAM_FILES
}

/// A DAG-like file of about 1.5 KB, different for every path.
fn dag_source(path: &str, version: u32) -> String {
    let mut text =
        format!("\"\"\"{path}, version {version}.\"\"\"\n\nfrom airflow.sdk import dag, task\n\n");
    for n in 0..30 {
        text.push_str(&format!("STEP_{n} = \"{path}:{n}:{}\"\n", n * 7));
    }
    text.push_str(&format!(
        "\n\n@dag(dag_id=\"{}\", schedule=None)\ndef pipeline():\n    pass\n",
        path.replace(['/', '.'], "_")
    ));
    text
}

/// The repository: a base commit, and a candidate on top touching 200 files of team_a/
/// and common/ (modified, added, deleted, renamed). Returns (origin, base, candidate).
fn build_repository(dir: &Path) -> (WorkRepo, CommitId, CommitId) {
    let repo = WorkRepo::init(dir);
    let team_file = |n: usize| format!("team_a/pipelines/group_{:02}/dag_{n:05}.py", n % 50);
    for n in 0..TEAM_FILES {
        repo.write(&team_file(n), dag_source(&team_file(n), 1));
    }
    for n in 0..COMMON_FILES {
        let path = format!("common/lib_{n:04}.py");
        repo.write(&path, dag_source(&path, 1));
    }
    for team in 0..OTHER_TEAMS {
        for n in 0..OTHER_TEAM_FILES {
            let path = format!("team_{team:02}/dag_{n:04}.py");
            repo.write(&path, dag_source(&path, 1));
        }
    }
    let base = repo.commit("Dana Platform", "dana@example.com", "Base");

    let mut touched = 0..;
    let mut take = |count: usize| touched.by_ref().take(count).collect::<Vec<usize>>();
    for n in take(MODIFIED - 40) {
        repo.write(&team_file(n), dag_source(&team_file(n), 2));
    }
    for n in 0..40 {
        let path = format!("common/lib_{n:04}.py");
        repo.write(&path, dag_source(&path, 2));
    }
    for n in 0..ADDED {
        let path = format!("team_a/new/dag_{n:03}.py");
        repo.write(&path, dag_source(&path, 1));
    }
    for n in take(DELETED) {
        repo.remove(&team_file(n));
    }
    std::fs::create_dir_all(dir.join("team_a/moved")).expect("a folder");
    for n in take(RENAMED) {
        let from = team_file(n);
        repo.git(&["mv", &from, &format!("team_a/moved/dag_{n:05}.py")]);
    }
    let candidate = repo.commit("Alice Author", "alice@example.com", "Candidate");
    (repo, base, candidate)
}

fn config(origin: &WorkRepo) -> DeployConfig {
    deploy_config(
        "team_a",
        &origin.url(),
        &["team_a/", "common/"],
        vec![TargetConfig::Ref {
            reference: "refs/heads/deploy/team_a".into(),
        }],
    )
}

/// One warm-up run, then `runs` measured ones, sorted.
fn measure(runs: usize, mut once: impl FnMut() -> Duration) -> Vec<Duration> {
    once();
    let mut times: Vec<Duration> = (0..runs).map(|_| once()).collect();
    times.sort();
    times
}

fn row(name: &str, sorted: &[Duration], budget_ms: Option<u64>) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    println!(
        "| {name} | {} | {:.0} | {:.0} | {:.0} | {} |",
        sorted.len(),
        ms(at(0.5)),
        ms(at(0.9)),
        ms(*sorted.last().unwrap()),
        budget_ms.map_or("—".to_string(), |b| b.to_string()),
    );
}
