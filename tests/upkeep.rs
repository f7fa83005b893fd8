//! The binary's upkeep and configuration: `check-config` on hub files,
//! `[forward] lease` against `timeout`, durations that overflow, the
//! idempotency purge of a running gateway, and the inbox streaming a file in
//! chunks.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use support::{path_str, run, stderr};

#[test]
fn check_config_checks_the_example_hub_file_as_a_hub_file() {
    let example = support::data("gateway/examples/hub.toml");
    let output = run(&["check-config", path_str(&example)]);
    let err = stderr(&output);
    // The example ships no keys (they are secrets): those two faults, located, and no other.
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(!err.contains("invalid type"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(lines.len(), 2, "{err}");
    for line in &lines {
        assert!(line.contains("hub.toml:"), "no file and line: {line}");
        assert!(line.contains(".key_file: cannot read"), "{line}");
    }

    // With its key files beside it, the example is valid, told from its shape or with --hub.
    let dir = support::tempdir();
    let copy = dir.path().join("hub.toml");
    std::fs::copy(&example, &copy).unwrap();
    std::fs::create_dir_all(dir.path().join("keys")).unwrap();
    for key in ["hub-to-rs.key", "hub-to-br.key"] {
        std::fs::write(dir.path().join("keys").join(key), "a-key\n").unwrap();
    }
    for args in [
        vec!["check-config", path_str(&copy)],
        vec!["check-config", "--hub", "--config", path_str(&copy)],
    ] {
        let output = run(&args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains("ok (hub"), "{}", stderr(&output));
    }
    // The gateway example is still checked as a gateway file.
    let gateway = support::data("gateway/examples/gateway.toml");
    let output = run(&["check-config", path_str(&gateway)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("ok (gateway"), "{}", stderr(&output));
}

#[test]
fn check_config_locates_hub_faults_lease_and_overflowing_durations() {
    let dir = support::tempdir();
    let hub = dir.path().join("hub.toml");
    std::fs::write(
        &hub,
        "[hub]\nlisten = \"127.0.0.1:0\"\nrequest_timeout = \"99999999999999999999d\"\n\n\
         [forward]\nlease = \"5s\"\ntimeout = \"10s\"\n\n\
         [store]\nidempotency_retention = \"213503982334601d\"\n",
    )
    .unwrap();
    let output = run(&["check-config", path_str(&hub)]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    let want = [
        "hub.toml:3: hub.request_timeout: `99999999999999999999d` is longer than the most allowed",
        "hub.toml:6: forward.lease: lease (5s) must be longer than timeout (10s)",
        "hub.toml:10: store.idempotency_retention: `213503982334601d` is longer than the most allowed",
    ];
    for w in want {
        assert!(err.contains(w), "`{w}` not in:\n{err}");
    }

    // The same lease rule in a gateway file.
    let gateway = dir.path().join("gateway.toml");
    std::fs::write(
        &gateway,
        "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n\n\
         [hub]\nurl = \"http://127.0.0.1:9\"\n\n[forward]\nlease = \"30s\"\ntimeout = \"30s\"\n",
    )
    .unwrap();
    let output = run(&["check-config", path_str(&gateway)]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("gateway.toml:10: forward.lease: lease (30s) must be longer than timeout (30s)"),
        "{}",
        stderr(&output)
    );
}
