//! Several engines at once, against real processes only: the machine's engine, the second engine
//! `scripts/test` starts (unix socket and TLS on 127.0.0.1:23760) and the machine's engine again
//! through the test sshd. `ps --json` over two hosts and a dead one; the console with two engines
//! while the second is frozen (SIGSTOP), thawed, killed and started again; an ssh:// endpoint in
//! the console; TLS contexts made by the docker CLI, attached and detached live; a malformed
//! context among good ones.
//!
//! The TUI test stops and kills the second engine, so the tests that use it take [`ENGINE2`]: read
//! for using it, write for stopping it. A guard always thaws and restarts it, also on failure.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::bin::{Tui, WhDirs};
use support::*;

/// The machine's engine, named by its socket as `-H` takes it.
const MAIN: &str = "unix:///var/run/docker.sock";
const START: Duration = Duration::from_secs(20);

static ENGINE2: RwLock<()> = RwLock::new(());

/// The second engine stays up while this is held.
fn engine2_shared() -> RwLockReadGuard<'static, ()> {
    ENGINE2.read().unwrap_or_else(|e| e.into_inner())
}

/// Nobody else uses the second engine while this is held.
fn engine2_exclusive() -> RwLockWriteGuard<'static, ()> {
    ENGINE2.write().unwrap_or_else(|e| e.into_inner())
}

/// The endpoint names `-H a -H b` gives: the socket's file name, `#2` for a repeat.
fn names_for(first: &str, second: &str) -> (String, String) {
    let file = |h: &str| {
        Path::new(h.trim_start_matches("unix://"))
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    let (a, b) = (file(first), file(second));
    let b = if a == b { format!("{b}#2") } else { b };
    (a, b)
}

/// A short name prefix unique to this guard, so names fit the table uncut.
fn short(tc: &TestContainers) -> String {
    let id = tc.run_id();
    format!("m{}", &id[id.len().saturating_sub(6)..])
}

/// The table row that starts with `name`.
fn row_of<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|l| l.trim_start_matches(['│', ' ']).starts_with(name))
}

fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or_default()
}

/// Clears the filter, then `/`, `text`, Enter: filters the table (the input opens with the
/// current filter in it).
fn filter(t: &Tui, text: &str) {
    t.send_keys(&["C-l"]);
    t.send_keys(&["/"]);
    t.send_literal(text);
    t.send_keys(&["Enter"]);
}

fn ps_json(cmd: &mut Command) -> (i32, Value, String) {
    let out = output_with_timeout(cmd, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("wheelhouse ps: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("ps --json printed no JSON ({e}):\n{stdout}"));
    (
        out.status.code().unwrap_or(-1),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn endpoint<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["endpoints"]
        .as_array()
        .expect("endpoints array")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no endpoint {name}: {doc:#}"))
}

/// The endpoints `id` is listed under.
fn listed_under(doc: &Value, id: &str) -> Vec<String> {
    doc["containers"]
        .as_array()
        .expect("containers array")
        .iter()
        .filter(|c| c["id"] == id)
        .map(|c| c["endpoint"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `docker` with its own config dir (for contexts), never a DOCKER_HOST/DOCKER_CONTEXT from outside.
fn docker_with_config(config: &Path, args: &[&str]) -> String {
    let out = output_with_timeout(
        Command::new("docker")
            .env("DOCKER_CONFIG", config)
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .args(args),
        Duration::from_secs(30),
    )
    .unwrap_or_else(|e| panic!("docker {args:?}: {e}"));
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---- 1. ps over two hosts ------------------------------------------------------------

#[test]
fn ps_json_tags_each_engine_and_reports_a_dead_one() {
    let _e2 = engine2_shared();
    let sock2 = engine2_sock();
    let main = TestContainers::new();
    let two = TestContainers::on(&sock2);
    let id1 = main.run("ps-main", &[], &[]);
    let id2 = two.run("ps-two", &[], &[]);
    let (n1, n2) = names_for(MAIN, &sock2);
    assert_ne!(n1, n2);
    let dirs = WhDirs::new();

    let (code, doc, stderr) =
        ps_json(&mut dirs.command(&["ps", "--json", "-H", MAIN, "-H", &sock2]));
    assert_eq!(code, 0, "both answered; stderr: {stderr}\n{doc:#}");
    assert_eq!(doc["endpoints"].as_array().unwrap().len(), 2, "{doc:#}");
    for (name, host) in [(&n1, MAIN), (&n2, sock2.as_str())] {
        let ep = endpoint(&doc, name);
        assert_eq!(ep["host"], host, "{ep}");
        assert_eq!(ep["reachable"], true, "{ep}");
        assert!(ep["error"].is_null(), "{ep}");
    }
    assert_eq!(listed_under(&doc, &id1), vec![n1.clone()], "{doc:#}");
    assert_eq!(listed_under(&doc, &id2), vec![n2.clone()], "{doc:#}");

    // The second host replaced by a socket nobody listens on.
    let dead = dirs.root().join("dead.sock");
    let dead_host = format!("unix://{}", dead.display());
    let (_, dead_name) = names_for(MAIN, &dead_host);
    let (code, doc, stderr) =
        ps_json(&mut dirs.command(&["ps", "--json", "-H", MAIN, "-H", &dead_host]));
    assert_eq!(code, 3, "some answered; stderr: {stderr}\n{doc:#}");
    let ep = endpoint(&doc, &dead_name);
    assert_eq!(ep["reachable"], false, "{ep}");
    let error = ep["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&dead.display().to_string()) && error.contains("no engine socket"),
        "the error names the socket: {ep}"
    );
    assert!(
        stderr.contains(&dead_name) && stderr.contains("unreachable"),
        "{stderr}"
    );
    assert_eq!(endpoint(&doc, &n1)["reachable"], true);
    assert_eq!(listed_under(&doc, &id1), vec![n1], "{doc:#}");
    assert!(listed_under(&doc, &id2).is_empty());
}

// ---- 2. the console while the second engine freezes, thaws, dies and comes back -----------

/// The second engine's state directory (the socket's directory) and its pidfile.
fn engine2_pidfile() -> PathBuf {
    let sock = engine2_sock();
    Path::new(sock.trim_start_matches("unix://"))
        .parent()
        .expect("socket dir")
        .join("docker.pid")
}

fn engine2_pid() -> u32 {
    let path = engine2_pidfile();
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The process exists and is not a zombie (a dockerd whose parent is gone may never be reaped).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, r)| r.trim().starts_with('Z')))
        .is_some_and(|zombie| !zombie)
}

fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{sig} {pid}");
}

fn engine2_answers() -> bool {
    try_docker_on(
        Some(&engine2_sock()),
        &["version", "--format", "{{.Server.Version}}"],
    )
    .is_ok()
}

/// `scripts/test-env.sh engine2-start`: starts the second engine as `scripts/test` does.
fn start_engine2() -> Result<(), String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-env.sh");
    let out = output_with_timeout(
        Command::new(&script).arg("engine2-start"),
        Duration::from_secs(90),
    )?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} engine2-start: {}{}",
            script.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Whatever the test did to the second engine is undone on drop: thawed, and started again when
/// it does not answer.
struct Engine2Guard {
    frozen: Option<u32>,
}

impl Drop for Engine2Guard {
    fn drop(&mut self) {
        if let Some(pid) = self.frozen.take() {
            let _ = Command::new("kill")
                .args(["-CONT", &pid.to_string()])
                .status();
        }
        if !engine2_answers() {
            if let Err(e) = start_engine2() {
                eprintln!("warning: could not restart the second engine: {e}");
            }
        }
    }
}

#[test]
fn tui_follows_two_engines_through_freeze_death_and_return() {
    let _e2 = engine2_exclusive();
    let sock2 = engine2_sock();
    let main = TestContainers::new();
    let two = TestContainers::on(&sock2);
    let p = short(&main);
    let (one_name, two_name) = (format!("{p}-one"), format!("{p}-two"));
    main.run_named(&one_name, &[], &[]);
    two.run_named(&two_name, &[], &[]);
    let (n1, n2) = names_for(MAIN, &sock2);
    let mut guard = Engine2Guard { frozen: None };

    let dirs = WhDirs::new();
    let t = dirs.tmux(&["-H", MAIN, "-H", &sock2], 120, 40);
    // The machine's engine may hold many other containers: show this test's only.
    t.expect_text(" wheelhouse ", START);
    filter(&t, &p);
    let screen = t
        .wait_for(
            |s| row_of(s, &one_name).is_some() && row_of(s, &two_name).is_some(),
            START,
        )
        .unwrap_or_else(|s| panic!("both engines' containers never shown:\n{s}"));
    assert!(screen.contains("ENDPOINT"), "{screen}");
    let row1 = row_of(&screen, &one_name).unwrap();
    let row2 = row_of(&screen, &two_name).unwrap();
    assert!(row1.contains(&n1) && !row1.contains(&n2), "{row1}");
    assert!(row2.contains(&n2), "{row2}");

    filter(&t, &format!("{p} endpoint:{n2}"));
    t.wait_for(
        |s| row_of(s, &two_name).is_some() && row_of(s, &one_name).is_none(),
        Duration::from_secs(5),
    )
    .unwrap_or_else(|s| panic!("endpoint filter:\n{s}"));
    filter(&t, &p);
    t.wait_for(|s| row_of(s, &one_name).is_some(), Duration::from_secs(5))
        .unwrap_or_else(|s| panic!("filter cleared:\n{s}"));

    // Frozen: the connection stays open and nothing answers; only the ping can tell.
    let pid = engine2_pid();
    guard.frozen = Some(pid);
    signal(pid, "STOP");
    let frozen_at = Instant::now();
    let down = format!("{n2} ✖ down");
    t.wait_for(|s| header(s).contains(&down), Duration::from_secs(11))
        .unwrap_or_else(|s| panic!("frozen engine never marked down:\n{s}"));
    eprintln!("frozen engine marked down after {:?}", frozen_at.elapsed());
    assert!(
        t.capture()
            .lines()
            .next()
            .unwrap()
            .contains(&format!("{n1} ●")),
        "the first engine stays up"
    );
    // The first engine keeps updating and keys keep working meanwhile.
    let three_name = format!("{p}-three");
    main.run_named(&three_name, &[], &[]);
    let ran_at = Instant::now();
    t.wait_for(
        |s| row_of(s, &three_name).is_some(),
        Duration::from_millis(1500),
    )
    .unwrap_or_else(|s| panic!("a new container on the first engine not shown in 1.5 s:\n{s}"));
    eprintln!(
        "first engine's new container shown after {:?}",
        ran_at.elapsed()
    );
    filter(&t, &three_name);
    t.wait_for(
        |s| {
            s.contains("1 shown")
                && row_of(s, &three_name).is_some()
                && row_of(s, &one_name).is_none()
        },
        Duration::from_secs(2),
    )
    .unwrap_or_else(|s| panic!("filter while the other engine is frozen:\n{s}"));
    filter(&t, &p);

    signal(pid, "CONT");
    guard.frozen = None;
    let thawed_at = Instant::now();
    let up = format!("{n2} ●");
    t.wait_for(|s| header(s).contains(&up), Duration::from_secs(35))
        .unwrap_or_else(|s| panic!("thawed engine never up again:\n{s}"));
    eprintln!("thawed engine up after {:?}", thawed_at.elapsed());

    // Killed: no containers left running on it, so it stops at once.
    two.remove_all().unwrap();
    signal(pid, "TERM");
    poll(Duration::from_secs(30), || {
        if alive(pid) {
            Err(format!("dockerd {pid} still running"))
        } else {
            Ok(())
        }
    })
    .unwrap();
    t.wait_for(|s| header(s).contains(&down), Duration::from_secs(5))
        .unwrap_or_else(|s| panic!("killed engine never marked down:\n{s}"));
    t.wait_for_text(&two_name, Duration::ZERO)
        .expect_err("a removed container must not be listed");

    // Let the console's backoff grow, so the engine answers again (and gets a container) before
    // the console's next attempt: then only the re-listing on reconnect can show that container.
    t.wait_for(
        |s| {
            header(s)
                .split(&down)
                .nth(1)
                .and_then(|r| r.strip_prefix(", retry in "))
                .and_then(|r| r.split('s').next())
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n >= 3)
        },
        Duration::from_secs(15),
    )
    .unwrap_or_else(|s| panic!("no retry delay of 3 s or more:\n{s}"));
    start_engine2().unwrap();
    let back_name = format!("{p}-back");
    two.run_named(&back_name, &[], &[]);
    let before_reconnect = !header(&t.capture()).contains(&up);
    eprintln!(
        "container made on the returned engine before the console reconnected: {before_reconnect}"
    );
    let back_at = Instant::now();
    t.wait_for(
        |s| header(s).contains(&up) && row_of(s, &back_name).is_some_and(|r| r.contains(&n2)),
        Duration::from_secs(35),
    )
    .unwrap_or_else(|s| panic!("container made while the engine was away never shown:\n{s}"));
    eprintln!(
        "returned engine and its new container shown after {:?}",
        back_at.elapsed()
    );
    assert!(row_of(&t.capture(), &one_name).is_some());
    t.quit_cleanly();
    drop(guard);
    assert!(engine2_answers(), "the second engine is left running");
}

// ---- 3. an ssh:// endpoint in the console ----------------------------------------------

/// The console on the test sshd's engine (`-H ssh://…`), filtered to the one container `name`;
/// the screen once it is listed.
fn console_over_ssh(dirs: &WhDirs, name: &str, w: u16, h: u16) -> (Tui, String) {
    let host = ssh_host();
    let config = ssh_config().display().to_string();
    let t = dirs.tmux_env(&["-H", &host], &[("WHEELHOUSE_SSH_CONFIG", &config)], w, h);
    t.expect_text(" wheelhouse ", START);
    filter(&t, name);
    let screen = t
        .wait_for(
            |s| row_of(s, name).is_some() && s.contains("1 shown"),
            START,
        )
        .unwrap_or_else(|s| panic!("{name} never listed over ssh:\n{s}"));
    (t, screen)
}

#[test]
fn a_shell_over_ssh_gets_a_real_tty_and_the_console_comes_back() {
    let main = TestContainers::new();
    let name = format!("{}-sshsh", short(&main));
    let id = main.run_named(&name, &[], &[]);
    let dirs = WhDirs::new();
    let (t, _) = console_over_ssh(&dirs, &name, 100, 30);
    t.send_keys(&["Home"]);
    support::shell::shell_round_trip(&t, &dirs, &name, &id);
    t.quit_cleanly();
}

#[test]
fn tui_over_ssh_lists_logs_and_stops_with_an_audit_naming_the_endpoint() {
    let main = TestContainers::new();
    let name = format!("{}-ssh", short(&main));
    let marker = format!("ssh-marker-{}", main.run_id());
    let id = main.run_named(
        &name,
        &["--stop-timeout", "1"],
        &["sh", "-c", &format!("echo {marker}; exec sleep 3600")],
    );
    let host = ssh_host();
    let dirs = WhDirs::new();
    let (t, screen) = console_over_ssh(&dirs, &name, 120, 40);
    // A -H endpoint is named by its address, so the default context can be attached beside it.
    assert!(header(&screen).contains("root@127.0.0.1:"), "{screen}");
    assert!(
        row_of(&screen, &name).unwrap().contains("running"),
        "{screen}"
    );
    t.send_keys(&["Home"]);
    t.send_keys(&["Enter"]);
    t.expect_text(&marker, Duration::from_secs(15));
    t.escape();
    t.wait_for(|s| row_of(s, &name).is_some(), Duration::from_secs(5))
        .unwrap_or_else(|s| panic!("back to the table:\n{s}"));

    t.send_keys(&["s"]);
    t.expect_text(&format!("Stop {name} on"), Duration::from_secs(5));
    t.send_keys(&["Tab"]);
    t.send_keys(&["Enter"]);
    t.wait_for(
        |s| row_of(s, &name).is_some_and(|r| r.contains("exited")),
        Duration::from_secs(20),
    )
    .unwrap_or_else(|s| panic!("{name} never shown exited:\n{s}"));
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Status}}", &id]),
        "exited"
    );

    let records = poll(Duration::from_secs(5), || {
        let r = dirs.audit_records();
        if r.len() < 2 {
            Err(format!("not both audit records yet: {r:?}"))
        } else {
            Ok(r)
        }
    })
    .unwrap();
    assert_eq!(records.len(), 2, "intent and outcome: {records:#?}");
    assert_eq!(records[0]["phase"], "intent");
    let r = &records[1];
    assert_eq!(r["action"], "stop", "{r}");
    assert_eq!(r["result"], "ok", "{r}");
    assert_eq!(r["container_id"], id.as_str(), "{r}");
    assert_eq!(
        r["host"],
        host.as_str(),
        "the record names the ssh endpoint: {r}"
    );
    t.quit_cleanly();
}

// ---- 4. TLS contexts -------------------------------------------------------------------

/// A docker config dir with context `name` for the TLS endpoint, trusting `ca` (in the TLS dir).
fn tls_context(dir: &Path, name: &str, ca: &str) -> PathBuf {
    let tls = tls_dir();
    let config = dir.join(format!("docker-{name}"));
    std::fs::create_dir_all(&config).unwrap();
    let spec = format!(
        "host={},ca={},cert={},key={}",
        tls_addr(),
        tls.join(ca).display(),
        tls.join("cert.pem").display(),
        tls.join("key.pem").display()
    );
    docker_with_config(&config, &["context", "create", name, "--docker", &spec]);
    config
}

#[test]
fn tls_context_lists_engine2_refuses_a_wrong_ca_and_attaches_live() {
    let _e2 = engine2_shared();
    let two = TestContainers::on(&engine2_sock());
    let name = format!("{}-tls", short(&two));
    let id = two.run_named(&name, &[], &[]);
    let dirs = WhDirs::new();
    let good = tls_context(dirs.root(), "tls2", "ca.pem");
    let bad = tls_context(dirs.root(), "tls2bad", "other-ca.pem");

    let (code, doc, stderr) = ps_json(
        dirs.command(&["ps", "--json", "-c", "tls2"])
            .env("DOCKER_CONFIG", &good),
    );
    assert_eq!(code, 0, "stderr: {stderr}\n{doc:#}");
    let ep = endpoint(&doc, "tls2");
    assert_eq!(ep["host"], tls_addr().as_str(), "{ep}");
    assert_eq!(ep["reachable"], true, "{ep}");
    assert_eq!(listed_under(&doc, &id), vec!["tls2".to_string()], "{doc:#}");

    let (code, doc, stderr) = ps_json(
        dirs.command(&["ps", "--json", "-c", "tls2bad"])
            .env("DOCKER_CONFIG", &bad),
    );
    assert_eq!(code, 1, "stderr: {stderr}\n{doc:#}");
    let ep = endpoint(&doc, "tls2bad");
    assert_eq!(ep["reachable"], false, "{ep}");
    assert!(
        ep["error"]
            .as_str()
            .is_some_and(|e| e.contains("not trusted")),
        "{ep}"
    );
    assert!(stderr.contains("not trusted"), "{stderr}");

    // The console: attach the context from the endpoints panel, then detach it.
    let config = good.display().to_string();
    let t = dirs.tmux_env(&[], &[("DOCKER_CONFIG", &config)], 120, 40);
    t.wait_for(|s| header(s).contains("default ●"), START)
        .unwrap_or_else(|s| panic!("default engine never up:\n{s}"));
    filter(&t, &short(&two));
    assert!(row_of(&t.capture(), &name).is_none());
    t.send_keys(&["E"]);
    let panel = t
        .wait_for(
            |s| {
                s.lines()
                    .any(|l| l.contains("context") && l.contains("tls2"))
            },
            Duration::from_secs(5),
        )
        .unwrap_or_else(|s| panic!("tls2 not offered in the endpoints panel:\n{s}"));
    let row = panel.lines().find(|l| l.contains("tls2")).unwrap();
    assert!(
        row.contains("detached") && row.contains(&tls_addr()),
        "{row}"
    );
    t.send_keys(&["Down"]);
    t.send_keys(&["Enter"]);
    t.wait_for(
        |s| {
            s.lines()
                .any(|l| l.contains("attached") && l.contains("tls2"))
        },
        Duration::from_secs(10),
    )
    .unwrap_or_else(|s| panic!("tls2 not attached:\n{s}"));
    t.escape();
    t.wait_for(
        |s| header(s).contains("tls2 ●") && row_of(s, &name).is_some_and(|r| r.contains("tls2")),
        START,
    )
    .unwrap_or_else(|s| panic!("tls2's container never shown:\n{s}"));

    t.send_keys(&["E"]);
    t.expect_text("Endpoints", Duration::from_secs(5));
    t.send_keys(&["Down"]);
    t.send_keys(&["Enter"]);
    t.escape();
    t.wait_for(
        |s| row_of(s, &name).is_none() && !header(s).contains("tls2"),
        Duration::from_secs(10),
    )
    .unwrap_or_else(|s| panic!("tls2's containers still shown after detaching:\n{s}"));
    // And they stay gone (no late listing from the stopped supervisor).
    std::thread::sleep(Duration::from_secs(1));
    assert!(row_of(&t.capture(), &name).is_none(), "{}", t.capture());
    t.quit_cleanly();
}

// ---- 5. a malformed context among good ones -------------------------------------------

#[test]
fn all_contexts_with_a_malformed_meta_json_keeps_the_good_ones() {
    let main = TestContainers::new();
    let cname = format!("{}-all", short(&main));
    let id = main.run_named(&cname, &[], &[]);
    let dirs = WhDirs::new();
    let config = dirs.root().join("docker");
    std::fs::create_dir_all(&config).unwrap();
    let spec = format!("host={MAIN}");
    docker_with_config(&config, &["context", "create", "good", "--docker", &spec]);
    docker_with_config(&config, &["context", "create", "broken", "--docker", &spec]);
    // Find broken's meta.json the way the CLI stored it, then break it.
    let meta = std::fs::read_dir(config.join("contexts/meta"))
        .unwrap()
        .flatten()
        .map(|d| d.path().join("meta.json"))
        .find(|p| {
            std::fs::read_to_string(p)
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .is_some_and(|v| v["Name"] == "broken")
        })
        .expect("meta.json of context broken");
    std::fs::write(&meta, "{\"Name\": \"broken\", \"Endpoints\": {").unwrap();
    let meta_text = meta.display().to_string();

    let (code, doc, stderr) = ps_json(
        dirs.command(&["ps", "--json", "--all-contexts"])
            .env("DOCKER_CONFIG", &config)
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT"),
    );
    assert_eq!(code, 3, "stderr: {stderr}\n{doc:#}");
    let eps = doc["endpoints"].as_array().unwrap();
    assert_eq!(eps.len(), 3, "{doc:#}");
    for name in ["default", "good"] {
        assert_eq!(endpoint(&doc, name)["reachable"], true, "{doc:#}");
    }
    let broken: Vec<&Value> = eps.iter().filter(|e| e["reachable"] == false).collect();
    assert_eq!(broken.len(), 1, "{doc:#}");
    let error = broken[0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&meta_text) && error.contains("malformed"),
        "the error names the file: {error}"
    );
    let mut under = listed_under(&doc, &id);
    under.sort();
    assert_eq!(under, vec!["default".to_string(), "good".to_string()]);
    assert!(stderr.contains(&meta_text), "{stderr}");

    let cfg = config.display().to_string();
    let t = dirs.tmux_env(&["--all-contexts"], &[("DOCKER_CONFIG", &cfg)], 120, 40);
    t.wait_for(
        |s| {
            header(s).contains("default ●")
                && header(s).contains("good ●")
                && header(s).contains("⚠ 1")
        },
        START,
    )
    .unwrap_or_else(|s| panic!("good contexts up and a warning for the broken one:\n{s}"));
    filter(&t, &cname);
    t.wait_for(
        |s| {
            let rows: Vec<&str> = s.lines().filter(|l| row_of(l, &cname).is_some()).collect();
            rows.len() == 2 && rows.iter().any(|r| r.contains("good"))
        },
        START,
    )
    .unwrap_or_else(|s| panic!("{cname} under default and good:\n{s}"));
    // The warning in full, in the console log (the toast is cut to three lines).
    t.send_keys(&["L"]);
    t.wait_for(
        |s| {
            let text: String = s
                .lines()
                .map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace()))
                .collect();
            text.contains(&meta_text) && text.contains("is malformed")
        },
        Duration::from_secs(5),
    )
    .unwrap_or_else(|s| panic!("the warning names the file and the problem:\n{s}"));
    t.send_keys(&["L"]);
    // The endpoints panel shows the broken one down with its reason.
    t.send_keys(&["E"]);
    t.wait_for(
        |s| {
            s.lines()
                .any(|l| l.contains("attached") && l.contains("down: context"))
        },
        Duration::from_secs(5),
    )
    .unwrap_or_else(|s| panic!("broken context in the endpoints panel:\n{s}"));
    t.escape();
    t.quit_cleanly();
}
