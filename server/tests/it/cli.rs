//! The `hangar` binary refuses bad configuration before it starts anything.

use std::process::Command;

use crate::support::hangar;

#[test]
fn serve_stops_on_invalid_configuration_naming_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hangar.toml");
    std::fs::write(
        &config,
        "[oidc]\nissuer = \"https://idp.example.com\"\nclient_id = \"h\"\nclient_secret = \"s\"\n\
         [session]\nidle_timeout = \"eight hours\"\n",
    )
    .unwrap();
    for command in [&["serve"][..], &["check-config"][..]] {
        let output = hangar(command, &config);
        assert_eq!(output.status.code(), Some(2), "{command:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&config.display().to_string()), "{stderr}");
        assert!(stderr.contains("session.idle_timeout"), "{stderr}");
    }
}

#[test]
fn environment_override_errors_name_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hangar.toml");
    std::fs::write(
        &config,
        "[oidc]\nissuer = \"https://idp.example.com\"\nclient_id = \"h\"\nclient_secret = \"s\"\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(["check-config", "--config"])
        .arg(&config)
        .env("HANGAR_OIDC__ISSUER", "http://idp.example.com")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("oidc.issuer") && stderr.contains("https"),
        "{stderr}"
    );
    assert!(!stderr.contains("\"s\""), "no secret in the error");
}

#[test]
fn a_missing_file_is_named() {
    let output = hangar(&["serve"], std::path::Path::new("/nonexistent/hangar.toml"));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/nonexistent/hangar.toml") && stderr.contains("cannot read"),
        "{stderr}"
    );
}
