use std::os::unix::fs::PermissionsExt;

use super::*;
use crate::deploy::testing::{Repos, paths};

fn export(
    repos: &Repos,
    commit: &CommitId,
    list: &[&str],
) -> (PathBuf, Result<usize, ExportError>) {
    let into = repos
        .dir
        .path()
        .join(format!("out-{}", uuid::Uuid::new_v4()));
    let result = export_tree(&repos.cache, commit, &paths(list), &into);
    (into, result)
}

#[test]
fn exports_the_team_paths_with_plain_modes_and_inside_symlinks() {
    let fixture = Repos::new();
    fixture
        .origin
        .write("team_a/etl.py", "etl\n")
        .write("team_a/bin/run.sh", "#!/bin/sh\n")
        .write("common/util.py", "util\n")
        .write("team_b/secret.py", "b\n");
    let script = fixture.origin.dir.join("team_a/bin/run.sh");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o4755)).unwrap();
    std::os::unix::fs::symlink(
        "../common/util.py",
        fixture.origin.dir.join("team_a/util.py"),
    )
    .unwrap();
    let commit = fixture.commit("change");

    let (into, result) = export(&fixture, &commit, &["team_a/", "common/"]);
    assert_eq!(result.unwrap(), 4);
    assert_eq!(
        std::fs::read_to_string(into.join("team_a/etl.py")).unwrap(),
        "etl\n"
    );
    assert_eq!(
        std::fs::read_to_string(into.join("team_a/util.py")).unwrap(),
        "util\n",
        "through the symlink"
    );
    assert!(!into.join("team_b").exists(), "only the team's paths");
    let mode = |p: &str| {
        std::fs::metadata(into.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(
        mode("team_a/bin/run.sh"),
        0o755,
        "executable kept, setuid on disk not carried"
    );
    assert_eq!(
        mode("team_a/etl.py") & 0o7111,
        0,
        "no execute, setuid, setgid or sticky bit"
    );
}

#[test]
fn symlinks_that_leave_the_export_are_refused_before_anything_is_written() {
    for (link, target) in [
        ("team_a/passwd", "/etc/passwd"),
        ("team_a/up", "../../outside"),
        ("team_a/git", "../.git/config"),
    ] {
        let fixture = Repos::new();
        fixture.origin.write("team_a/etl.py", "etl\n");
        std::os::unix::fs::symlink(target, fixture.origin.dir.join(link)).unwrap();
        let commit = fixture.commit("change");
        let (into, result) = export(&fixture, &commit, &["team_a/"]);
        match result {
            Err(ExportError::Refused { path, .. }) => assert_eq!(path, link),
            other => panic!("{link} -> {target}: {other:?}"),
        }
        assert!(!into.exists(), "{link} -> {target}: nothing written");
    }
}

#[test]
fn a_symlink_through_another_symlink_is_refused() {
    // team_a/dir -> . is harmless alone; team_a/x -> dir/../.. would be read as team_a/..
    // lexically but resolves to the export's parent through team_a/dir.
    let fixture = Repos::new();
    fixture.origin.write("team_a/etl.py", "etl\n");
    std::os::unix::fs::symlink(".", fixture.origin.dir.join("team_a/dir")).unwrap();
    std::os::unix::fs::symlink("dir/../..", fixture.origin.dir.join("team_a/x")).unwrap();
    let commit = fixture.commit("change");
    let (_, result) = export(&fixture, &commit, &["team_a/"]);
    assert!(
        matches!(&result, Err(ExportError::Refused { path, reason }) if path == "team_a/x" && reason.contains("another symlink")),
        "{result:?}"
    );
}

#[test]
fn crafted_paths_and_modes_are_refused() {
    let entry = |mode: &str, kind: &str, path: &str| TreeEntry {
        mode: mode.into(),
        kind: kind.into(),
        object: "0".repeat(40),
        path: path.into(),
    };
    for path in [
        "../x",
        "team_a/../../x",
        "/etc/cron.d/x",
        "team_a/.git/hooks/post-checkout",
        "team_a/.GIT/config",
        "team_a//x",
        "./x",
    ] {
        assert!(
            check_entry(&entry("100644", "blob", path)).is_err(),
            "{path}"
        );
    }
    for (mode, kind) in [
        ("104755", "blob"),
        ("102755", "blob"),
        ("040000", "tree"),
        ("160000", "commit"),
    ] {
        assert!(
            check_entry(&entry(mode, kind, "team_a/x")).is_err(),
            "{mode} {kind}"
        );
    }
    assert_eq!(
        check_entry(&entry("100755", "blob", "team_a/x.sh")).unwrap(),
        Item::File { executable: true }
    );
}

#[test]
fn lexical_symlink_checks() {
    let none = HashSet::new();
    assert!(check_symlink("team_a/l", "../common/x", &none).is_ok());
    assert!(check_symlink("team_a/l", "./x", &none).is_ok());
    assert!(check_symlink("team_a/l", "../../x", &none).is_err());
    assert!(check_symlink("l", "..", &none).is_err());
    assert!(check_symlink("team_a/l", "", &none).is_err());
    let links = HashSet::from(["team_a/dir"]);
    assert!(check_symlink("team_a/l", "dir/x", &links).is_err());
    assert!(
        check_symlink("team_a/l", "dir", &links).is_ok(),
        "a link to a link is followed by the kernel, each checked"
    );
}
