//! Canary rollouts against a real HAProxy (Debian's, installed by `scripts/test`): a stable and
//! a canary web container of the test image (`:latest` and `:v2`, whose pages differ), one
//! HAProxy per test on ports of its own, driven through its runtime API by the real binary.

#[path = "../support/mod.rs"]
mod support;

mod agent;
mod nginx;
mod prometheus;
mod replicas;
mod traefik;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::bin::WhDirs;
use support::*;

/// A port nobody listens on now (the kernel's pick, released for HAProxy to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HAProxy process, stopped when dropped.
struct Haproxy {
    child: Child,
    front: u16,
    admin: String,
    /// Its built-in Prometheus exporter, at `/metrics`.
    exporter: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Haproxy {
    /// A frontend on its own port to backend `web`: `stable1` at `stable`, `canary1` at
    /// `canary`, the canary at weight 0 to begin with (all to stable).
    fn start(stable: u16, canary: u16) -> Haproxy {
        let haproxy = ["/usr/sbin/haproxy", "/usr/bin/haproxy"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("haproxy (scripts/test installs Debian's haproxy)");
        let (front, admin_port, exporter) = (free_port(), free_port(), free_port());
        let admin = format!("127.0.0.1:{admin_port}");
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("haproxy.cfg");
        std::fs::write(
            &cfg,
            format!(
                "global\n  stats socket ipv4@{admin} level admin\n\
                 defaults\n  mode http\n  timeout connect 2s\n  timeout client 10s\n  timeout server 10s\n\
                 frontend fe\n  bind 127.0.0.1:{front}\n  default_backend web\n\
                 frontend exporter\n  bind 127.0.0.1:{exporter}\n  http-request use-service prometheus-exporter if {{ path /metrics }}\n\
                 backend web\n  balance roundrobin\n\
                 \x20 server stable1 127.0.0.1:{stable} weight 100 check inter 500ms fall 8\n\
                 \x20 server canary1 127.0.0.1:{canary} weight 0 check inter 500ms fall 8\n"
            ),
        )
        .unwrap();
        let child = Command::new(haproxy)
            .args(["-db", "-f"])
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start haproxy");
        let h = Haproxy {
            child,
            front,
            admin,
            exporter,
            _dir: dir,
        };
        poll(Duration::from_secs(10), || {
            TcpStream::connect(("127.0.0.1", front)).map_err(|e| e.to_string())
        })
        .expect("haproxy listening");
        h
    }

    /// `get weight web/<server>`: the runtime weight HAProxy uses now.
    fn weight(&self, server: &str) -> u32 {
        let mut s = TcpStream::connect(&self.admin).unwrap();
        s.write_all(format!("get weight web/{server}\n").as_bytes())
            .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        answer
            .split_whitespace()
            .next()
            .and_then(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("get weight: {answer:?}"))
    }

    /// `n` requests through the frontend: how many reached the canary.
    fn canary_answers(&self, n: usize) -> usize {
        canary_answers(self.front, n)
    }
}

/// `n` requests to a router's frontend at `front`, each on its own connection, all of which
/// must succeed; how many reached the canary (its page says v2).
fn canary_answers(front: u16, n: usize) -> usize {
    (0..n)
        .filter(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", front)).unwrap();
            s.write_all(b"GET / HTTP/1.0\r\nHost: test\r\n\r\n")
                .unwrap();
            let mut page = String::new();
            s.read_to_string(&mut page).unwrap();
            assert!(
                page.starts_with("HTTP/1.0 200") || page.starts_with("HTTP/1.1 200"),
                "{page}"
            );
            page.contains("page v2")
        })
        .count()
}

fn host_port(container: &str) -> u16 {
    let out = docker(&["port", container, "8080/tcp"]);
    out.lines()
        .next()
        .and_then(|l| l.rsplit(':').next())
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no published port for {container}: {out}"))
}

fn rollouts_toml(admin: &str) -> String {
    format!(
        r#"
[[rollout]]
name = "web"
service = "shop/web"

[rollout.router]
kind = "haproxy"
admin = "{admin}"
backend = "web"
stable = ["stable1"]
canary = ["canary1"]

[[rollout.step]]
weight = 20
[[rollout.step]]
pause = "confirm"
"#
    )
}

fn wh(dirs: &WhDirs, args: &[&str]) -> (i32, String, String) {
    let out = output_with_timeout(&mut dirs.command(args), Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("wheelhouse {args:?}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A canary whose every answer is a 500 (a CGI index in place of the page).
const BROKEN_CANARY: &str = "mkdir -p /w/cgi-bin && printf '#!/bin/sh\\nprintf \"Status: 500 Internal Server Error\\\\r\\\\nContent-Type: text/plain\\\\r\\\\n\\\\r\\\\nbroken\\\\n\"\\n' > /w/cgi-bin/index.cgi && chmod +x /w/cgi-bin/index.cgi && exec httpd -f -p 8080 -h /w";

/// The stable container and a canary of `:v2`, or a canary running `canary_shell` instead.
fn web_pair_with(tc: &TestContainers, canary_shell: Option<&str>) -> (u16, u16) {
    let httpd = ["httpd", "-f", "-p", "8080", "-h", "/www"];
    let stable = tc.run("stable", &["-p", "127.0.0.1::8080"], &httpd);
    let v2 = format!(
        "{}:v2",
        tc.image().rsplit_once(':').map_or(tc.image(), |(n, _)| n)
    );
    let canary_name = tc.name("canary");
    let label = tc.label();
    let mut args = vec![
        "run",
        "-d",
        "--name",
        &canary_name,
        "--label",
        &label,
        "-p",
        "127.0.0.1::8080",
        &v2,
    ];
    match canary_shell {
        Some(sh) => args.extend(["sh", "-c", sh]),
        None => args.extend(httpd),
    }
    docker(&args);
    (host_port(&stable), host_port(&canary_name))
}

/// The stable and canary containers, an HAProxy in front of them, and a console's dirs whose
/// `rollouts.toml` is the one rollout as `edit` leaves it. Keep the first: it removes the
/// containers when dropped.
fn rig(edit: impl Fn(String) -> String) -> (TestContainers, Haproxy, WhDirs) {
    rig_with(None, edit)
}

fn rig_with(
    canary_shell: Option<&str>,
    edit: impl Fn(String) -> String,
) -> (TestContainers, Haproxy, WhDirs) {
    let tc = TestContainers::new();
    let (stable, canary) = web_pair_with(&tc, canary_shell);
    let h = Haproxy::start(stable, canary);
    let dirs = WhDirs::new();
    std::fs::write(
        dirs.config_dir().join("rollouts.toml"),
        edit(rollouts_toml(&h.admin)),
    )
    .unwrap();
    (tc, h, dirs)
}

#[test]
fn twenty_per_cent_through_haproxy_reaches_the_canary_and_back_to_zero_all_reach_stable() {
    let (_tc, h, dirs) = rig(|toml| toml);

    let (code, out, err) = wh(&dirs, &["canary", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("web")
            && out
                .lines()
                .any(|l| l.starts_with("web ") && l.contains(" 0 %")),
        "{out}"
    );

    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "20", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!((h.weight("stable1"), h.weight("canary1")), (4, 1));
    // Of 1 000 requests, 20 ± 3 % reach the canary.
    let to_canary = h.canary_answers(1000);
    assert!((170..=230).contains(&to_canary), "{to_canary} of 1000");

    // The audit log names the router, the rollout and the share, intent then outcome.
    let records = dirs.audit_records();
    let ours: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["rollout"] == "web" && r["action"] == "set_canary_weight")
        .collect();
    assert_eq!(ours.len(), 2, "{records:#?}");
    assert!(
        ours[0]["router"].as_str().unwrap().contains(&h.admin),
        "{:#}",
        ours[0]
    );
    assert_eq!(
        (ours[0]["phase"].as_str(), ours[1]["phase"].as_str()),
        (Some("intent"), Some("outcome"))
    );
    assert_eq!(ours[1]["result"], "ok", "{:#}", ours[1]);
    assert_eq!(ours[1]["percent"], 20, "{:#}", ours[1]);
    assert_eq!(ours[1]["origin"], "command_line", "{:#}", ours[1]);

    let (code, out, err) = wh(&dirs, &["canary", "status", "web", "--json"]);
    assert_eq!(code, 0, "{err}");
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["traffic"]["weight_percent"], 20.0, "{status:#}");
    assert!(
        status["traffic"]["canary"]["requests"].as_u64().unwrap() >= 170,
        "{status:#}"
    );

    // Read-only refuses, and the router keeps its weights.
    let (code, _, err) = wh(
        &dirs,
        &["--read-only", "canary", "set-weight", "web", "50", "--yes"],
    );
    assert_eq!(code, 4, "{err}");
    assert_eq!((h.weight("stable1"), h.weight("canary1")), (4, 1));

    // Back to 0: the next 200 requests all reach stable.
    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "0", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(h.canary_answers(200), 0);
}

#[test]
fn bad_rollouts_and_unreachable_routers_are_named() {
    let dirs = WhDirs::new();
    let admin = format!("127.0.0.1:{}", free_port());
    let path: PathBuf = dirs.config_dir().join("rollouts.toml");
    // Nothing listens at the admin address: the router is named, exit 3.
    std::fs::write(&path, rollouts_toml(&admin)).unwrap();
    let (code, _, err) = wh(&dirs, &["canary", "status", "web"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains(&admin), "{err}");
    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "30", "--yes"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(format!("{out}{err}").contains(&admin), "{out}{err}");
    // An unknown rollout names the ones there are.
    let (code, _, err) = wh(&dirs, &["canary", "status", "api"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no rollout \"api\"") && err.contains("web"),
        "{err}"
    );
    // A weight out of range in the file: file, line, field.
    std::fs::write(
        &path,
        rollouts_toml(&admin).replace("weight = 20", "weight = 120"),
    )
    .unwrap();
    let (code, _, err) = wh(&dirs, &["canary", "list"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("rollouts.toml:14:") && err.contains("weight 120"),
        "{err}"
    );
    // A share out of range on the command line.
    std::fs::write(&path, rollouts_toml(&admin)).unwrap();
    let (code, _, err) = wh(&dirs, &["canary", "set-weight", "web", "101", "--yes"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("0 to 100"), "{err}");
}

#[test]
fn a_server_the_backend_does_not_have_is_named_with_those_it_has() {
    let (_tc, h, dirs) = rig(|toml| toml.replace("[\"canary1\"]", "[\"canary9\"]"));
    let (code, _, err) = wh(&dirs, &["canary", "status", "web"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("no server \"canary9\"") && err.contains("canary1"),
        "{err}"
    );
    // A weight for it is refused before any server's weight moves: nothing half-done.
    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "20", "--yes"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("no server \"canary9\""),
        "{out}{err}"
    );
    assert_eq!((h.weight("stable1"), h.weight("canary1")), (100, 0));
}

/// The canary view against the real HAProxy: the rollout listed with its share, a digit stages
/// 20 %, Enter asks (Cancel focused, the router's command named), `y` applies it through the
/// gate, the router's weights move, and requests sent meanwhile show the share they took.
#[test]
fn no_share_goes_to_a_canary_haproxy_finds_down_and_a_refused_connection_is_an_error() {
    let (tc, h, dirs) = rig(|toml| toml);
    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "20", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    // HAProxy's check health starts at the bottom of "up" (one failure from down) and climbs a
    // step per passed check: after 4 s (8 checks) it takes 8 failures to go down.
    std::thread::sleep(Duration::from_secs(4));
    docker(&["stop", "-t", "0", &tc.name("canary")]);
    // Until its health check says so (eight failed checks, 4 s: long enough that a loaded
    // machine still sends it requests first), requests still go to it and fail: each counts
    // as the canary's error.
    send(h.front, 20);
    poll(Duration::from_secs(20), || {
        let (_, out, _) = wh(&dirs, &["canary", "status", "web"]);
        out.contains("canary: 0/1 servers up")
            .then_some(())
            .ok_or(out)
    })
    .expect("HAProxy's check finds the canary down");
    let (_, out, _) = wh(&dirs, &["canary", "status", "web", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        status["traffic"]["canary"]["errors"].as_u64().unwrap() > 0,
        "refused connections count: {status:#}"
    );
    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "50", "--yes"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("every canary server is down (canary1 DOWN"),
        "{out}{err}"
    );
    assert_eq!(
        (h.weight("stable1"), h.weight("canary1")),
        (4, 1),
        "no weight moved"
    );
}

#[test]
fn the_canary_view_stages_confirms_and_applies_a_share_and_shows_what_requests_took() {
    let (_tc, h, dirs) = rig(|toml| toml);
    let t = dirs.tmux(&[], 140, 40);
    t.expect_text(" wheelhouse ", Duration::from_secs(20));
    t.send_keys(&["W"]);
    t.expect_text("Canary rollouts", Duration::from_secs(5));
    t.wait_for(
        |s| s.contains(" 0 % / ") && s.contains("shop/web"),
        Duration::from_secs(10),
    )
    .unwrap_or_else(|s| panic!("the rollout and its share:\n{s}"));
    t.send_keys(&["2"]);
    t.expect_text("staged 20 %", Duration::from_secs(5));
    t.send_keys(&["Enter"]);
    let dialog = t.expect_text(
        "It is sent: set weight web/stable1 4",
        Duration::from_secs(5),
    );
    assert!(dialog.contains("Cancel"), "{dialog}");
    assert_eq!(
        h.weight("canary1"),
        0,
        "nothing sent before the confirmation"
    );
    t.send_keys(&["y"]);
    poll(Duration::from_secs(10), || {
        if h.weight("canary1") == 1 {
            Ok(())
        } else {
            Err("canary weight still 0".to_string())
        }
    })
    .unwrap();
    // Requests while the view watches: the share they took appears beside the share set.
    let front = h.front;
    let load = std::thread::spawn(move || {
        let end = std::time::Instant::now() + Duration::from_secs(6);
        while std::time::Instant::now() < end {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", front)) {
                let _ = s.write_all(b"GET / HTTP/1.0\r\n\r\n");
                let _ = s.read_to_string(&mut String::new());
            }
        }
    });
    // The list's `set / got`: got is what the requests in the window really took.
    let got = |s: &str| -> Option<f64> {
        let line = s
            .lines()
            .find(|l| l.contains("shop/web") && l.contains(" % / "))?;
        let after = line.split(" % / ").nth(1)?;
        after.split(" %").next()?.trim().parse().ok()
    };
    let screen = t
        .wait_for(
            |s| s.contains("20 % / ") && got(s).is_some_and(|g| (12.0..=28.0).contains(&g)),
            Duration::from_secs(10),
        )
        .unwrap_or_else(|s| panic!("the share set and got:\n{s}"));
    assert!(
        screen.contains("ready"),
        "a share set by hand before the rollout started leaves it ready:\n{screen}"
    );
    load.join().unwrap();
    let records = dirs.audit_records();
    assert!(
        records
            .iter()
            .any(|r| r["rollout"] == "web" && r["result"] == "ok" && r["origin"] == "keystroke"),
        "{records:#?}"
    );
    t.quit_cleanly();
}

/// `n` requests through the frontend, whatever they answer; how many answered 500.
fn send(front: u16, n: usize) -> usize {
    (0..n)
        .filter(|_| {
            let Ok(mut s) = TcpStream::connect(("127.0.0.1", front)) else {
                return false;
            };
            let _ = s.write_all(b"GET / HTTP/1.0\r\n\r\n");
            let mut page = String::new();
            let _ = s.read_to_string(&mut page);
            page.starts_with("HTTP/1.1 500") || page.starts_with("HTTP/1.0 500")
        })
        .count()
}

/// A canary that answers every request with a 500: its error gate fails over the budget, the
/// rollout (with `auto_abort`) aborts itself through the gate, reads "Aborted — stable
/// healthy", and the next 200 requests all reach stable.
#[test]
fn a_canary_answering_500s_trips_its_gates_and_the_abort_returns_all_traffic_to_stable() {
    let (_tc, h, dirs) = rig_with(Some(BROKEN_CANARY), |toml| {
        toml.replace(
            "service = \"shop/web\"",
            "service = \"shop/web\"\nauto_abort = true",
        ) + "[rollout.gates]\nmin_requests = 10\nbudget = 2\n"
    });
    let t = dirs.tmux(&[], 160, 45);
    t.expect_text(" wheelhouse ", Duration::from_secs(20));
    t.send_keys(&["W"]);
    t.expect_text("ready: all traffic on stable", Duration::from_secs(10));
    t.send_keys(&["p"]);
    t.expect_text(
        "It is sent: set weight web/stable1 4",
        Duration::from_secs(5),
    );
    t.send_keys(&["y"]);
    t.expect_text("paused at step 2 of 2", Duration::from_secs(10));
    assert_eq!(h.weight("canary1"), 1);
    // Load until the rollout gives up on the canary.
    let front = h.front;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut errors = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                errors += send(front, 20);
            }
            errors
        })
    };
    let screen = t
        .wait_for(
            |s| s.contains("Aborted — stable healthy"),
            Duration::from_secs(30),
        )
        .unwrap_or_else(|s| panic!("the rollout aborts itself:\n{s}"));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(load.join().unwrap() > 0, "the canary answered 500s");
    assert!(
        screen.contains("error rate"),
        "the failing gate named:\n{screen}"
    );
    assert_eq!(h.weight("canary1"), 0);
    assert_eq!(
        send(h.front, 200),
        0,
        "the next 200 requests all reach stable"
    );
    let records = dirs.audit_records();
    let abort = records
        .iter()
        .find(|r| r["approved"]["policy"] == "auto_abort of rollout web")
        .unwrap_or_else(|| panic!("the abort audited with its rule: {records:#?}"));
    assert_eq!(abort["origin"], "canary", "{abort:#}");
    // The state on disk says the same, for the next console.
    let (code, out, err) = wh(&dirs, &["canary", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("aborted"), "{out}");
    t.quit_cleanly();
}

/// The rollout's state survives its console: one console starts it and is killed; a second,
/// started meanwhile, only watches (its keys refused, naming the holder) until the lock is
/// free, then drives it from the step the first one reached. A headless command is refused
/// while a console drives the rollout.
#[test]
fn a_killed_console_leaves_the_rollout_at_its_step_and_a_second_console_only_watches() {
    let (_tc, h, dirs) = rig(|toml| toml + "[[rollout.step]]\nweight = 50\n");
    let first = dirs.tmux(&[], 160, 45);
    first.expect_text(" wheelhouse ", Duration::from_secs(20));
    first.send_keys(&["W"]);
    first.expect_text("ready: all traffic on stable", Duration::from_secs(10));
    first.send_keys(&["p"]);
    first.expect_text("Cancel", Duration::from_secs(5));
    first.send_keys(&["y"]);
    first.expect_text("paused at step 2 of 3", Duration::from_secs(10));
    assert_eq!(h.weight("canary1"), 1);

    let second = dirs.tmux(&[], 160, 45);
    second.expect_text(" wheelhouse ", Duration::from_secs(20));
    second.send_keys(&["W"]);
    second.expect_text("this console watches", Duration::from_secs(10));
    second.expect_text("paused at step 2 of 3", Duration::from_secs(5));
    second.send_keys(&["p"]);
    second.expect_text("is driven by console (pid", Duration::from_secs(5));
    assert_eq!(h.weight("canary1"), 1, "a watcher changes nothing");
    let (code, _, err) = wh(&dirs, &["canary", "next", "web", "--yes"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("driven by console"), "{err}");

    // The driver dies without a word: the watcher takes over where it was.
    let pid = first.pid();
    // SAFETY: a signal to a process this test started.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    second.expect_gone("this console watches", Duration::from_secs(10));
    second.expect_text("paused at step 2 of 3", Duration::from_secs(5));
    second.send_keys(&["p"]);
    second.expect_text("It is sent: set weight web/stable1", Duration::from_secs(5));
    second.send_keys(&["y"]);
    second.expect_text("paused after the last step", Duration::from_secs(10));
    assert_eq!(h.weight("canary1"), 1);
    assert_eq!(h.weight("stable1"), 1, "50 %: one to one");
    second.quit_cleanly();

    // With no console, a command drives it: abort, then the state says so.
    let (code, out, err) = wh(&dirs, &["canary", "abort", "web", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(h.weight("canary1"), 0);
    let (code, out, _) = wh(&dirs, &["canary", "status", "web"]);
    assert!(code == 0 || code == 1, "{out}");
    assert!(out.contains("state: aborted"), "{out}");
}

// ---- promotion ---------------------------------------------------------------------------

/// A Compose project whose `web` (the stable track) and `web-canary` each publish a fixed
/// host port HAProxy sends to, both health-checked.
const PROMOTION_PROJECT: &str = r#"
x-labels: &labels __LABELS__
x-web: &web
  command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
  stop_grace_period: 1s
  healthcheck:
    test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/"]
    interval: 1s
    timeout: 2s
    retries: 2
services:
  web:
    <<: *web
    image: __IMAGE__
    labels:
      <<: *labels
      wheelhouse.track: stable
    ports: ["127.0.0.1:__STABLE__:8080"]
  web-canary:
    <<: *web
    image: __CANARY__
    labels:
      <<: *labels
      wheelhouse.track: canary
    ports: ["127.0.0.1:__CANARY_PORT__:8080"]
networks:
  default:
    labels: *labels
"#;

/// The project with its canary on `tag` of the test image, HAProxy in front, and a console's
/// dirs whose rollout names both services.
fn promotion_rig(tag: &str, timeout: &str) -> (support::compose::ComposeProject, Haproxy, WhDirs) {
    let (stable, canary) = (free_port(), free_port());
    let base = test_image();
    let image = format!(
        "{}:{tag}",
        base.rsplit_once(':').map_or(base.as_str(), |(r, _)| r)
    );
    let yaml = PROMOTION_PROJECT
        .replace("__STABLE__", &stable.to_string())
        .replace("__CANARY_PORT__", &canary.to_string())
        .replace("__CANARY__", &image);
    let p = support::compose::ComposeProject::up(support::compose::Compose::V2, &yaml);
    let h = Haproxy::start(stable, canary);
    let dirs = WhDirs::new();
    let toml = rollouts_toml(&h.admin).replace(
        "service = \"shop/web\"",
        &format!(
            "service = \"{}\"\ncanary_service = \"{}\"\npromotion_timeout = \"{timeout}\"",
            p.service("web"),
            p.service("web-canary")
        ),
    );
    std::fs::write(dirs.config_dir().join("rollouts.toml"), toml).unwrap();
    poll(Duration::from_secs(60), || {
        let health = docker(&[
            "inspect",
            "-f",
            "{{.State.Health.Status}}",
            &p.replica_name("web", 1),
        ]);
        (health.trim() == "healthy").then_some(()).ok_or(health)
    })
    .expect("stable healthy");
    (p, h, dirs)
}

fn state_file(dirs: &WhDirs) -> serde_json::Value {
    let text = std::fs::read_to_string(dirs.data_dir().join("canary/web.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn promotion_replaces_stable_with_the_canarys_image_sends_it_all_traffic_and_removes_the_canary() {
    let (p, h, dirs) = promotion_rig("v2", "60s");
    let (code, out, err) = wh(&dirs, &["canary", "next", "web", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!((h.weight("stable1"), h.weight("canary1")), (4, 1));
    let stable_before = docker(&["inspect", "-f", "{{.Id}}", &p.replica_name("web", 1)]);

    let (code, out, err) = wh(&dirs, &["canary", "promote", "web", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    let base = test_image();
    let v2 = format!(
        "{}:v2",
        base.rsplit_once(':').map_or(base.as_str(), |(r, _)| r)
    );
    assert_eq!(
        p.containers(),
        vec![(p.replica_name("web", 1), v2.clone())],
        "stable on the canary's image, the canary and the replaced container gone"
    );
    assert_ne!(
        docker(&["inspect", "-f", "{{.Id}}", &p.replica_name("web", 1)]),
        stable_before,
        "a new container"
    );
    assert_eq!(
        p.compose_ps("web"),
        vec![p.replica_name("web", 1)],
        "Compose lists it"
    );
    assert_eq!(h.weight("canary1"), 0, "all traffic to stable");
    assert!(h.weight("stable1") > 0);
    // Every answer comes from stable (the canary is gone) and is the new version's page.
    assert_eq!(h.canary_answers(200), 200);
    let state = state_file(&dirs);
    assert_eq!(
        (state["phase"].as_str(), state["weight"].as_u64()),
        (Some("promoted"), Some(0))
    );
    // Weight to the canary first, the replacement, weight back to stable, then removals: all
    // one plan in the audit log, from the command line.
    let weights: Vec<u64> = dirs
        .audit_records()
        .iter()
        .filter(|r| r["action"] == "set_canary_weight" && r["phase"] == "outcome")
        .filter_map(|r| r["percent"].as_u64())
        .collect();
    assert_eq!(weights, vec![20, 100, 0], "{weights:?}");
    let (code, out, _) = wh(&dirs, &["canary", "list"]);
    assert_eq!(code, 0);
    assert!(out.contains("promoted"), "{out}");
}

#[test]
fn a_canary_image_that_fails_its_health_check_rolls_the_promotion_back_and_stable_keeps_serving() {
    let (p, h, dirs) = promotion_rig("broken", "8s");
    let (code, out, err) = wh(&dirs, &["canary", "next", "web", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    let before = p.containers();
    let stable_id = docker(&["inspect", "-f", "{{.Id}}", &p.replica_name("web", 1)]);

    let (code, out, err) = wh(&dirs, &["canary", "promote", "web", "--yes"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("healthy"),
        "says the health gate failed:\n{out}{err}"
    );
    assert_eq!(
        p.containers(),
        before,
        "every container back, nothing left over"
    );
    assert_eq!(
        docker(&["inspect", "-f", "{{.Id}}", &p.replica_name("web", 1)]),
        stable_id,
        "the very same stable container"
    );
    assert_eq!(
        (h.weight("stable1"), h.weight("canary1")),
        (4, 1),
        "the share it had"
    );
    let state = state_file(&dirs);
    assert_eq!(
        (state["phase"].as_str(), state["weight"].as_u64()),
        (Some("paused"), Some(20))
    );
    // Back to 0 % (the canary is broken): stable answers every request with its page.
    let (code, out, err) = wh(&dirs, &["canary", "abort", "web", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(h.canary_answers(100), 0);
}
