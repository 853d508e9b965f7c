//! Proves the test harness in `tests/support` works against the real engine and a real tmux.

mod support;

use std::time::Duration;
use support::*;

#[test]
fn engine_answers_and_image_exists() {
    let engine = engine_required();
    assert!(!engine.host.is_empty());
    assert!(!engine.server_version.is_empty(), "{engine:?}");
    let image = test_image();
    let id = docker(&["image", "inspect", "--format", "{{.Id}}", &image]);
    assert!(id.starts_with("sha256:"), "{id}");
}

#[test]
fn compose_group_is_labelled_and_removed_by_the_guard() {
    let tc = TestContainers::new();
    let project = tc.project("whself");
    let ids = tc.compose_group(&project, "web", 3);
    assert_eq!(ids.len(), 3);

    let filter = format!("label=com.docker.compose.project={project}");
    let mut names: Vec<String> = docker(&["ps", "--filter", &filter, "--format", "{{.Names}}"])
        .lines()
        .map(str::to_string)
        .collect();
    names.sort();
    let expected: Vec<String> = (1..=3).map(|n| format!("{project}-web-{n}")).collect();
    assert_eq!(names, expected);

    let labels = docker(&[
        "inspect",
        "-f",
        "{{index .Config.Labels \"com.docker.compose.service\"}} \
         {{index .Config.Labels \"com.docker.compose.container-number\"}} \
         {{index .Config.Labels \"com.docker.compose.oneoff\"}}",
        &ids[1],
    ]);
    assert_eq!(labels, "web 2 False");

    let run_filter = format!("label={}", tc.label());
    assert_eq!(tc.ids().len(), 3);
    drop(tc);
    let left = docker(&["ps", "-aq", "--filter", &run_filter]);
    assert!(left.is_empty(), "the guard left containers behind: {left}");
}

#[test]
fn guard_removes_containers_when_the_test_panics() {
    let label = std::panic::catch_unwind(|| {
        let tc = TestContainers::new();
        tc.run("doomed", &[], &[]);
        let label = tc.label();
        std::panic::panic_any(label);
    })
    .expect_err("the closure panics");
    let label = label.downcast::<String>().expect("label as payload");
    let left = docker(&["ps", "-aq", "--filter", &format!("label={label}")]);
    assert!(left.is_empty(), "containers survived the panic: {left}");
}

#[test]
fn health_checks_pass_and_fail_recognizably() {
    let tc = TestContainers::new();
    let good = tc.healthy("good");
    let bad = tc.unhealthy("bad");
    tc.wait_health(&good, "healthy", Duration::from_secs(20))
        .unwrap();
    tc.wait_health(&bad, "unhealthy", Duration::from_secs(20))
        .unwrap();
    let log = docker(&["inspect", "-f", "{{json .State.Health.Log}}", &bad]);
    assert!(log.contains(UNHEALTHY_MARKER), "{log}");
}

#[test]
fn httpd_serves_the_test_page() {
    let tc = TestContainers::new();
    let id = tc.run("web", &[], HTTPD_CMD);
    let page = poll(Duration::from_secs(10), || {
        try_docker(&["exec", &id, "wget", "-q", "-O-", "http://127.0.0.1:8080/"])
    })
    .unwrap();
    assert!(page.contains("wheelhouse test page"), "{page}");
    assert!(tc
        .name("web")
        .starts_with(&format!("wh-test-{}-", tc.run_id())));
}

#[test]
fn tmux_types_into_cat_and_sees_the_echo() {
    let t = Tmux::start("cat", 60, 10, "cat", &[("WH_SELFTEST", "1")]);
    assert!(t.alive());
    t.send_literal("hello-tmux");
    t.send_keys(&["Enter"]);
    // The terminal echoes the line, then cat prints it again.
    t.wait_for(
        |s| s.matches("hello-tmux").count() >= 2,
        Duration::from_secs(5),
    )
    .unwrap_or_else(|screen| panic!("no echo from cat; screen:\n{screen}"));
    assert!(t.running());
    t.send_keys(&["C-d"]);
    let code = t
        .wait_exit(Duration::from_secs(5))
        .unwrap_or_else(|s| panic!("{s}"));
    assert_eq!(code, 0);
    t.terminal_restored().unwrap();
}

#[test]
fn tmux_passes_env_and_reports_exit_status() {
    let t = Tmux::start(
        "env",
        40,
        5,
        "echo value=$WH_SELFTEST; exit 3",
        &[("WH_SELFTEST", "xyz")],
    );
    assert_eq!(t.wait_exit(Duration::from_secs(5)), Ok(3));
    assert!(t.capture().contains("value=xyz"), "{}", t.capture());
    assert_eq!(t.display("#{pane_width}x#{pane_height}"), "40x5");
}

#[test]
fn tmux_detects_a_terminal_left_in_the_alternate_screen() {
    // Well behaved: enters the alternate screen and hides the cursor, then restores both.
    let ok = Tmux::start(
        "ok",
        40,
        5,
        "printf '\\033[?1049h\\033[?25l'; sleep 0.3; printf '\\033[?25h\\033[?1049l'",
        &[],
    );
    ok.wait_for(|_| ok.alternate_on(), Duration::from_secs(5))
        .unwrap_or_else(|s| panic!("never saw the alternate screen:\n{s}"));
    ok.wait_exit(Duration::from_secs(5)).unwrap();
    ok.terminal_restored().unwrap();

    // Badly behaved: exits without restoring.
    let bad = Tmux::start("bad", 40, 5, "printf '\\033[?1049h\\033[?25l'", &[]);
    bad.wait_exit(Duration::from_secs(5)).unwrap();
    let err = bad.terminal_restored().unwrap_err();
    assert!(err.contains("alternate screen"), "{err}");
    assert!(err.contains("cursor is hidden"), "{err}");
}
