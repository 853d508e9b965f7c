//! What the service tests share: a Compose project whose `web` has two health-checked
//! replicas, headless runs of the binary, and the console opened on that service.

use std::process::Output;
use std::time::Duration;

use super::bin::{Tui, WhDirs};
use super::compose::{Compose, ComposeProject};
use super::{docker_on, output_with_timeout, poll};

pub const START: Duration = Duration::from_secs(20);
pub const CHANGE: Duration = Duration::from_secs(90);

/// `web` serves the test image's page and is healthy while `/tmp/ok` exists (its command makes
/// it on every start, so a restart heals a replica whose file a test removed); `client` is a
/// container on the default network to resolve names from.
pub const PROJECT: &str = r#"
version: "3.7"
services:
  web:
    image: __IMAGE__
    command: ["sh", "-c", "touch /tmp/ok; exec httpd -f -p 8080 -h /www"]
    labels: __LABELS__
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ok && wget -q -O /dev/null http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 2
    deploy:
      replicas: 2
    networks: [default, back]
  client:
    image: __IMAGE__
    command: ["sleep", "3600"]
    labels: __LABELS__
    stop_grace_period: 1s
networks:
  default:
    labels: __LABELS__
  back:
    labels: __LABELS__
"#;

pub fn up(compose: Compose) -> ComposeProject {
    let p = ComposeProject::up(compose, PROJECT);
    wait_healthy(&p, 2);
    p
}

/// Waits until `n` replicas of web run and all are healthy.
pub fn wait_healthy(p: &ComposeProject, n: usize) {
    poll(CHANGE, || {
        let running = p.running("web");
        let health: Vec<String> = running
            .iter()
            .map(|c| inspect(p, "{{.State.Health.Status}}", c))
            .collect();
        if running.len() == n && health.iter().all(|h| h == "healthy") {
            Ok(())
        } else {
            Err(format!("{running:?} {health:?}"))
        }
    })
    .unwrap_or_else(|e| panic!("{}: web never had {n} healthy replicas: {e}", p.name));
}

/// `wheelhouse <args>` with `dirs`; its output.
pub fn wheelhouse(dirs: &WhDirs, args: &[&str]) -> Output {
    output_with_timeout(&mut dirs.command(args), Duration::from_secs(240))
        .unwrap_or_else(|e| panic!("{e}"))
}

pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs a headless change and expects `code`; returns its output as text.
pub fn expect_exit(dirs: &WhDirs, args: &[&str], code: i32) -> String {
    let out = wheelhouse(dirs, args);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(code), "wheelhouse {args:?}:\n{t}");
    t
}

/// `docker inspect -f <format> <name>` on the project's engine.
pub fn inspect(p: &ComposeProject, format: &str, name: &str) -> String {
    docker_on(p.host(), &["inspect", "-f", format, name])
}

pub fn ids(p: &ComposeProject, names: &[String]) -> Vec<String> {
    names.iter().map(|n| inspect(p, "{{.Id}}", n)).collect()
}

/// Opens the console filtered to `p`'s web service in tree mode, with the service row selected.
pub fn console_on_web(dirs: &WhDirs, args: &[&str], p: &ComposeProject) -> Tui {
    console_on_web_with(dirs, args, &[], p, 2)
}

/// [`console_on_web`] with `env` added, once the table shows `replicas` of web.
pub fn console_on_web_with(
    dirs: &WhDirs,
    args: &[&str],
    env: &[(&str, &str)],
    p: &ComposeProject,
    replicas: usize,
) -> Tui {
    let t = dirs.tmux_env(args, env, 140, 40);
    t.expect_text(" wheelhouse ", START);
    t.send_keys(&["/"]);
    t.send_literal(&format!("project:{} service:web", p.name));
    t.send_keys(&["Enter"]);
    t.expect_text(&format!("{replicas} shown"), START);
    t.send_keys(&["t"]);
    t.expect_text("▾ web", Duration::from_secs(5));
    // The project's row first, its service second.
    t.send_keys(&["Home", "Down"]);
    std::thread::sleep(Duration::from_millis(200));
    t
}
