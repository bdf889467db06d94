use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::*;
use crate::deploy::testing::Repos;

struct Fixture {
    repos: Repos,
    target: DirectoryTarget,
}

impl Fixture {
    fn new(keep: usize) -> Self {
        let repos = Repos::new();
        let target = DirectoryTarget {
            root: repos.dir.path().join("dags"),
            keep,
        };
        Self { repos, target }
    }

    /// A commit where every file of the team folder says `version`.
    fn version(&self, version: &str, files: usize) -> CommitId {
        for n in 0..files {
            self.repos
                .origin
                .write(&format!("team_a/f{n:03}.py"), format!("{version}\n"));
        }
        self.repos.commit(version)
    }

    fn deploy(&self, expected: Option<&CommitId>, commit: &CommitId) -> Result<(), DirectoryError> {
        self.target
            .export(&self.repos.cache, commit, &["team_a/".into()])?;
        self.target.swap(expected, commit)
    }
}

#[test]
fn a_deploy_points_current_at_the_new_commit() {
    let fixture = Fixture::new(5);
    assert_eq!(fixture.target.current().unwrap(), None);
    let v1 = fixture.version("v1", 3);
    fixture.deploy(None, &v1).unwrap();
    assert_eq!(fixture.target.current().unwrap(), Some(v1.clone()));
    let current = fixture.target.root.join("current/team_a/f000.py");
    assert_eq!(std::fs::read_to_string(&current).unwrap(), "v1\n");

    let v2 = fixture.version("v2", 3);
    fixture.deploy(Some(&v1), &v2).unwrap();
    assert_eq!(std::fs::read_to_string(&current).unwrap(), "v2\n");
    // Rolling back to a folder still kept reuses it.
    fixture.deploy(Some(&v2), &v1).unwrap();
    assert_eq!(std::fs::read_to_string(&current).unwrap(), "v1\n");
}

#[test]
fn the_swap_refuses_when_current_is_not_what_was_expected() {
    let fixture = Fixture::new(5);
    let v1 = fixture.version("v1", 1);
    let v2 = fixture.version("v2", 1);
    fixture.deploy(None, &v1).unwrap();
    let refused = fixture.deploy(None, &v2).unwrap_err();
    assert!(matches!(refused, DirectoryError::Moved { .. }), "{refused}");
    assert_eq!(fixture.target.current().unwrap(), Some(v1));
}

#[test]
fn a_current_that_hangar_did_not_make_is_never_replaced() {
    let fixture = Fixture::new(5);
    std::fs::create_dir_all(fixture.target.root.join("current")).unwrap();
    let v1 = fixture.version("v1", 1);
    assert!(matches!(
        fixture.target.current(),
        Err(DirectoryError::Foreign { .. })
    ));
    assert!(fixture.deploy(None, &v1).is_err());
    assert!(fixture.target.root.join("current").is_dir());
}

#[test]
fn an_interrupted_export_leaves_current_alone_and_is_cleaned_up() {
    let fixture = Fixture::new(5);
    let v1 = fixture.version("v1", 2);
    fixture.deploy(None, &v1).unwrap();
    // What a kill -9 during an export leaves behind: a half-written incoming folder and a
    // staged symlink.
    let half = fixture.target.root.join(".incoming-deadbeef-1");
    std::fs::create_dir_all(half.join("team_a")).unwrap();
    std::fs::write(half.join("team_a/f000.py"), "v2 (half)\n").unwrap();
    std::os::unix::fs::symlink("nowhere", fixture.target.root.join(".incoming-current-1")).unwrap();
    assert_eq!(fixture.target.current().unwrap(), Some(v1.clone()));

    let v2 = fixture.version("v2", 2);
    fixture.deploy(Some(&v1), &v2).unwrap();
    let names: Vec<String> = std::fs::read_dir(&fixture.target.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".incoming-")),
        "{names:?}"
    );
}

#[test]
fn old_versions_beyond_keep_are_removed_but_never_the_current_one() {
    let fixture = Fixture::new(2);
    let mut previous = None;
    let mut commits = Vec::new();
    for n in 0..4 {
        let commit = fixture.version(&format!("v{n}"), 1);
        fixture.deploy(previous.as_ref(), &commit).unwrap();
        // Distinct modification times, whatever the file system's resolution.
        std::thread::sleep(std::time::Duration::from_millis(20));
        fixture.target.prune().unwrap();
        previous = Some(commit.clone());
        commits.push(commit);
    }
    let present = |c: &CommitId| fixture.target.root.join(c.as_str()).is_dir();
    assert_eq!(
        commits.iter().map(present).collect::<Vec<_>>(),
        vec![false, false, true, true]
    );
}

#[test]
fn a_reader_of_current_never_sees_a_mix_of_two_commits() {
    let fixture = Arc::new(Fixture::new(3));
    const FILES: usize = 40;
    let versions: Vec<CommitId> = (0..4)
        .map(|n| fixture.version(&format!("v{n}"), FILES))
        .collect();
    fixture.deploy(None, &versions[0]).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (fixture, stop) = (fixture.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(Ordering::Relaxed) {
                // Resolve current once, as a process entering the folder does, then read
                // every file through that resolution.
                let Ok(folder) = std::fs::canonicalize(fixture.target.root.join("current")) else {
                    panic!("current vanished");
                };
                let seen: std::collections::BTreeSet<String> = (0..FILES)
                    .map(|n| {
                        std::fs::read_to_string(folder.join(format!("team_a/f{n:03}.py"))).unwrap()
                    })
                    .collect();
                assert_eq!(seen.len(), 1, "a mix of versions: {seen:?}");
                reads += 1;
            }
            reads
        })
    };
    for pair in versions.windows(2).cycle().take(12) {
        let (from, to) = (&pair[0], &pair[1]);
        let current = fixture.target.current().unwrap();
        let from = if current.as_ref() == Some(from) {
            from
        } else {
            current.as_ref().unwrap()
        };
        fixture.deploy(Some(from), to).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let reads = reader
        .join()
        .expect("the reader saw one version at every read");
    assert!(reads > 0);
}
