use super::*;
use crate::deploy::testing::{Repos, paths};

/// origin holds two teams' folders and a common one.
fn fixture() -> Repos {
    let repos = Repos::new();
    repos
        .origin
        .write("team_a/etl.py", "print('a')\n")
        .write("team_b/report.py", "print('b')\n")
        .write("common/util.py", "X = 1\n");
    repos.origin.commit("alice", "alice@example.com", "first");
    repos
}

#[test]
fn fetched_commits_resolve_by_name_and_id() {
    let fixture = fixture();
    fixture.fetch();
    let head = fixture.origin.head();
    assert_eq!(
        fixture.cache.resolve("refs/hangar/heads/main").unwrap(),
        Some(head.clone())
    );
    assert_eq!(fixture.cache.resolve(head.as_str()).unwrap(), Some(head));
    assert_eq!(fixture.cache.resolve("refs/hangar/nothing").unwrap(), None);
    // Option-looking names are names, not options.
    assert_eq!(fixture.cache.resolve("--all").unwrap(), None);
}

#[test]
fn commits_between_deployed_and_candidate_touching_the_team_paths() {
    let fixture = fixture();
    let deployed = fixture.origin.head();
    fixture.origin.write("team_b/report.py", "print('b2')\n");
    fixture
        .origin
        .commit("bob", "bob@example.com", "team b only");
    fixture.origin.write("team_a/etl.py", "print('a2')\n");
    let a2 = fixture
        .origin
        .commit("carol", "carol@example.com", "team a: etl v2");
    fixture.origin.write("common/util.py", "X = 2\n");
    let common = fixture
        .origin
        .commit("dave", "Dave@Example.com", "common: X = 2");
    fixture.fetch();

    let listed = fixture
        .cache
        .commits(Some(&deployed), &common, &paths(&["team_a/", "common/"]))
        .unwrap();
    let ids: Vec<_> = listed.iter().map(|c| c.id.clone()).collect();
    assert_eq!(
        ids,
        vec![common.clone(), a2],
        "newest first, team b's commit left out"
    );
    assert_eq!(listed[0].author_email, "Dave@Example.com");
    assert_eq!(listed[0].subject, "common: X = 2");
    assert!(listed[0].authored_at_ms > 1_600_000_000_000);

    // A first deploy lists the whole history of the paths.
    let all = fixture
        .cache
        .commits(None, &common, &paths(&["team_a/"]))
        .unwrap();
    assert_eq!(all.len(), 2);
}

#[test]
fn changed_files_name_adds_edits_deletes_renames_and_binaries() {
    let fixture = fixture();
    fixture
        .origin
        .write("team_a/old_name.py", "line\n".repeat(20))
        .write("team_a/gone.py", "bye\n");
    let deployed = fixture.origin.commit("alice", "alice@example.com", "setup");
    fixture
        .origin
        .git(&["mv", "team_a/old_name.py", "team_a/new_name.py"]);
    fixture
        .origin
        .write("team_a/etl.py", "print('a')\nprint('more')\n")
        .write("team_a/new.py", "x = 1\n")
        .write("team_a/logo.png", [0u8, 159, 146, 150, 0, 1, 2])
        .write("team_b/report.py", "ignored\n")
        .remove("team_a/gone.py");
    let candidate = fixture
        .origin
        .commit("bob", "bob@example.com", "many things");
    fixture.fetch();

    let changes = fixture
        .cache
        .changed_files(Some(&deployed), &candidate, &paths(&["team_a/"]))
        .unwrap();
    let summary: Vec<(&str, &ChangeKind, bool, u32, u32)> = changes
        .iter()
        .map(|c| {
            (
                c.path.as_str(),
                &c.kind,
                c.binary,
                c.added_lines,
                c.removed_lines,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("team_a/etl.py", &ChangeKind::Modified, false, 1, 0),
            ("team_a/gone.py", &ChangeKind::Deleted, false, 0, 1),
            ("team_a/logo.png", &ChangeKind::Added, true, 0, 0),
            ("team_a/new.py", &ChangeKind::Added, false, 1, 0),
            (
                "team_a/new_name.py",
                &ChangeKind::Renamed {
                    from: "team_a/old_name.py".into()
                },
                false,
                0,
                0
            ),
        ]
    );

    let etl = &changes[0];
    let diff = fixture
        .cache
        .file_diff(Some(&deployed), &candidate, etl, 10_000)
        .unwrap()
        .unwrap();
    assert!(diff.contains("+print('more')"), "{diff}");
    assert!(!diff.contains("team_b"), "{diff}");
    assert_eq!(
        fixture
            .cache
            .file_diff(Some(&deployed), &candidate, etl, 10)
            .unwrap(),
        None,
        "over the limit"
    );
}

#[test]
fn a_first_deploy_diffs_against_nothing() {
    let fixture = fixture();
    fixture.fetch();
    let head = fixture.origin.head();
    let changes = fixture
        .cache
        .changed_files(None, &head, &paths(&["team_a/"]))
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, ChangeKind::Added);
}

#[test]
fn the_tree_and_its_blobs_are_read_by_commit() {
    let fixture = fixture();
    fixture.fetch();
    let head = fixture.origin.head();
    let entries = fixture
        .cache
        .tree(&head, &paths(&["team_a/", "common/"]))
        .unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(names, vec!["common/util.py", "team_a/etl.py"]);
    assert!(
        entries
            .iter()
            .all(|e| e.kind == "blob" && e.mode == "100644")
    );

    let objects: Vec<&str> = entries.iter().map(|e| e.object.as_str()).collect();
    let mut contents = Vec::new();
    fixture
        .cache
        .read_blobs(&objects, |index, bytes| {
            contents.push((index, bytes.to_vec()));
            Ok(())
        })
        .unwrap();
    assert_eq!(
        contents,
        vec![(0, b"X = 1\n".to_vec()), (1, b"print('a')\n".to_vec())]
    );
}

#[test]
fn a_remote_ref_moves_only_from_the_expected_commit() {
    let fixture = fixture();
    let first = fixture.origin.head();
    fixture.origin.write("team_a/etl.py", "v2\n");
    let second = fixture.origin.commit("bob", "bob@example.com", "v2");
    fixture.origin.write("team_a/etl.py", "v3\n");
    let third = fixture.origin.commit("bob", "bob@example.com", "v3");
    fixture.fetch();
    let remote = fixture.origin.url();
    let deploy_ref = "refs/heads/deploy/team_a";

    assert_eq!(
        remote_ref(&remote, deploy_ref, &Network::default()).unwrap(),
        None
    );
    let push = |expected: Option<&CommitId>, new: &CommitId| {
        push_compare_and_swap(&fixture.cache, &remote, deploy_ref, expected, new).unwrap()
    };
    // Created only where it must not exist yet.
    assert_eq!(push(Some(&second), &first), PushOutcome::Conflict);
    assert_eq!(
        remote_ref(&remote, deploy_ref, &Network::default()).unwrap(),
        None
    );
    assert_eq!(push(None, &first), PushOutcome::Moved);
    assert_eq!(
        remote_ref(&remote, deploy_ref, &Network::default()).unwrap(),
        Some(first.clone())
    );

    // Someone else pushed meanwhile: Hangar's expectation is out of date, nothing is overwritten.
    fixture
        .origin
        .git(&["update-ref", deploy_ref, second.as_str()]);
    assert_eq!(push(Some(&first), &third), PushOutcome::Conflict);
    assert_eq!(
        remote_ref(&remote, deploy_ref, &Network::default()).unwrap(),
        Some(second.clone())
    );
    assert_eq!(push(Some(&second), &third), PushOutcome::Moved);
    assert_eq!(
        remote_ref(&remote, deploy_ref, &Network::default()).unwrap(),
        Some(third)
    );
}

#[test]
fn a_remote_that_never_answers_is_given_up_at_the_timeout() {
    // Accepts connections and never says a word, as a hung server or a black-holed proxy.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let network = Network {
        timeout: std::time::Duration::from_secs(2),
        ca_file: None,
    };
    let remote = format!("http://127.0.0.1:{port}/dags.git");
    let error = remote_ref(&remote, "refs/heads/main", &network).unwrap_err();
    assert!(
        matches!(error, GitError::TimedOut { ref command, .. } if command == "ls-remote"),
        "{error}"
    );
    assert!(error.to_string().contains("[git] timeout"), "{error}");
}

#[test]
fn output_is_read_up_to_the_limit_and_the_process_stopped() {
    // `yes` never ends: only a bounded read returns at all.
    let mut endless = Command::new("yes");
    assert_eq!(run_bounded(&mut endless, "yes", 64 * 1024).unwrap(), None);
    let mut short = Command::new("printf");
    short.arg("abc");
    assert_eq!(
        run_bounded(&mut short, "printf", 3).unwrap().as_deref(),
        Some(&b"abc"[..])
    );
    let mut long = Command::new("printf");
    long.arg("abcd");
    assert_eq!(run_bounded(&mut long, "printf", 3).unwrap(), None);
    let mut failing = Command::new("sh");
    failing.args(["-c", "echo broken >&2; exit 1"]);
    let error = run_bounded(&mut failing, "sh", 10).unwrap_err();
    assert!(error.to_string().contains("broken"), "{error}");
}
