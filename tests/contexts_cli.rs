//! `wheelhouse contexts` and `--context` against a DOCKER_CONFIG written by the real docker CLI,
//! which proves we read what `docker context create` writes. Needs `docker` on PATH and the engine
//! at /var/run/docker.sock (as the rest of the suite does).

use std::path::Path;
use std::process::{Command, Output};

/// A throwaway self-signed CA certificate (public part only): `docker context create` checks
/// that `ca=` is a valid PEM certificate.
const TEST_CA: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBkTCCATegAwIBAgIUVQvC7mYAf5bjRQclEisafDyZEdwwCgYIKoZIzj0EAwIw\n\
HTEbMBkGA1UEAwwSd2hlZWxob3VzZS10ZXN0LWNhMCAXDTI2MTEyMjE5MDMzM1oY\n\
DzIxMjYxMDI5MTkwMzMzWjAdMRswGQYDVQQDDBJ3aGVlbGhvdXNlLXRlc3QtY2Ew\n\
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAR59GYtmjJq+MkBgROhEOiVbdqr02K7\n\
55XFeR/B5Zc2OjsGaWAPTGoFEXiQoOuC17UpNE6tzB9v54JoD5tVjojWo1MwUTAd\n\
BgNVHQ4EFgQUi4baDrvB5Epv9oU+RrROkkYGlB4wHwYDVR0jBBgwFoAUi4baDrvB\n\
5Epv9oU+RrROkkYGlB4wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF\n\
AiEAtloY3mNqYB/Gm9cNUkKTFxqJrXCX+DjUrmgfVZmq1dgCIDzOuxtEZyaR0wpI\n\
GYOv8EgXzr27cU57pKg3FIax2FwB\n\
-----END CERTIFICATE-----\n\
";

/// Runs the docker CLI with only our DOCKER_CONFIG, so the user's contexts never leak in.
fn docker(config: &Path, args: &[&str]) {
    let out = Command::new("docker")
        .args(args)
        .env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH")
        .output()
        .expect("docker CLI on PATH");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn wheelhouse(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wheelhouse"))
        .args(args)
        .env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH")
        .output()
        .expect("running wheelhouse")
}

/// Contexts as the docker CLI makes them: a unix one at the real engine, an ssh one (current),
/// a tcp one with a CA, and a tcp one that skips verification.
fn config_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path();
    let ca = cfg.join("test-ca.pem");
    std::fs::write(&ca, TEST_CA).unwrap();
    docker(
        cfg,
        &[
            "context",
            "create",
            "local-sock",
            "--description",
            "the real engine",
            "--docker",
            "host=unix:///var/run/docker.sock",
        ],
    );
    docker(
        cfg,
        &[
            "context",
            "create",
            "remote-ssh",
            "--docker",
            "host=ssh://u@h:2222",
        ],
    );
    docker(
        cfg,
        &[
            "context",
            "create",
            "tls-tcp",
            "--docker",
            &format!("host=tcp://127.0.0.1:2377,ca={}", ca.display()),
        ],
    );
    docker(
        cfg,
        &[
            "context",
            "create",
            "insecure",
            "--docker",
            "host=tcp://127.0.0.1:2376,skip-tls-verify=true",
        ],
    );
    docker(cfg, &["context", "use", "remote-ssh"]);
    dir
}

#[test]
fn contexts_json_matches_what_the_docker_cli_wrote() {
    let dir = config_dir();
    let out = wheelhouse(dir.path(), &["contexts", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["default", "insecure", "local-sock", "remote-ssh", "tls-tcp"]
    );
    let row = |n: &str| rows.iter().find(|r| r["name"] == n).unwrap();
    let current: Vec<&str> = rows
        .iter()
        .filter(|r| r["current"] == true)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(current, ["remote-ssh"]);
    assert_eq!(row("default")["host"], "unix:///var/run/docker.sock");
    assert_eq!(row("local-sock")["description"], "the real engine");
    assert_eq!(row("local-sock")["host"], "unix:///var/run/docker.sock");
    assert_eq!(row("remote-ssh")["host"], "ssh://u@h:2222");
    assert_eq!(row("tls-tcp")["tls"], true);
    assert_eq!(row("tls-tcp")["skip_tls_verify"], false);
    assert_eq!(row("insecure")["skip_tls_verify"], true);
    assert!(rows.iter().all(|r| r["error"].is_null()), "{rows:?}");

    let out = wheelhouse(dir.path(), &["contexts"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("NAME"), "{text}");
    assert!(text.contains("remote-ssh *"), "{text}");
}

#[test]
fn ps_through_a_unix_context_reaches_the_engine() {
    let dir = config_dir();
    let out = wheelhouse(dir.path(), &["ps", "--json", "--context", "local-sock"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let eps = doc["endpoints"].as_array().unwrap();
    assert_eq!(eps.len(), 1);
    assert_eq!(eps[0]["name"], "local-sock");
    assert_eq!(eps[0]["host"], "unix:///var/run/docker.sock");
    assert_eq!(eps[0]["reachable"], true);
}

#[test]
fn unknown_context_fails_naming_it_and_the_known_ones() {
    let dir = config_dir();
    let out = wheelhouse(dir.path(), &["ps", "--json", "--context", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("\"nope\""), "{err}");
    for known in ["default", "insecure", "local-sock", "remote-ssh", "tls-tcp"] {
        assert!(err.contains(known), "{known} missing from: {err}");
    }
    assert!(out.stdout.is_empty());
}

#[test]
fn context_with_host_is_refused() {
    let dir = config_dir();
    let out = wheelhouse(
        dir.path(),
        &[
            "ps",
            "-c",
            "local-sock",
            "-H",
            "unix:///var/run/docker.sock",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--context"));
}

#[test]
fn completions_and_the_man_page_come_from_the_cli_definition() {
    let bin = env!("CARGO_BIN_EXE_wheelhouse");
    let run = |args: &[&str]| {
        let out = Command::new(bin).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let bash = run(&["completions", "bash"]);
    for word in [
        "scale",
        "rollout",
        "restart-unhealthy",
        "--read-only",
        "--context",
    ] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    // The script is valid bash.
    let check = Command::new("bash")
        .args(["-n", "-c", &bash])
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    for shell in ["zsh", "fish"] {
        assert!(run(&["completions", shell]).contains("scale"), "{shell}");
    }
    let man = run(&["man"]);
    assert!(man.contains(".TH wheelhouse 1"), "{man}");
    assert!(man.contains("operations console"), "{man}");
    let bad = Command::new(bin)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("tcsh"));
}

#[test]
fn a_commands_help_lists_only_the_options_it_uses() {
    let bin = env!("CARGO_BIN_EXE_wheelhouse");
    let help = |args: &[&str]| {
        let out = Command::new(bin).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let contexts = help(&["contexts", "--help"]);
    for unused in ["--host", "--context", "--read-only", "--keymap", "--config"] {
        assert!(
            !contexts.contains(unused),
            "contexts --help lists {unused}:\n{contexts}"
        );
    }
    let paths = help(&["paths", "--help"]);
    assert!(
        !paths.contains("--host") && paths.contains("--config"),
        "{paths}"
    );
    // The console's own help still lists them all, and they still work before a command.
    let top = help(&["--help"]);
    assert!(
        top.contains("--host") && top.contains("--read-only"),
        "{top}"
    );
    let out = Command::new(bin)
        .args(["-H", "unix:///nowhere.sock", "paths"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}
