//! The real binary in a real terminal (tmux): filtering, the stop dialog and its audit record,
//! read-only refusal, signals, live updates, tiny terminals, an engine that comes back, logs and
//! keymap errors. Each test has its own tmux server, config and data directories.

mod support;

use std::time::{Duration, Instant};

use support::bin::{Tui, WhDirs};
use support::proxy::RecordingProxy;
use support::*;

const START: Duration = Duration::from_secs(15);

/// A short name prefix unique to this guard, so names fit the 80-column table uncut.
fn short(tc: &TestContainers) -> String {
    let id = tc.run_id();
    format!("p{}", &id[id.len().saturating_sub(6)..])
}

fn state(id: &str) -> String {
    docker(&["inspect", "-f", "{{.State.Status}}", id])
}

/// The table row (or log line) that starts with `name` (not the title naming the filter).
fn row_of<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|l| l.trim_start_matches(['│', ' ']).starts_with(name))
}

/// `/`, `text`, Enter: filters the table.
fn filter(t: &Tui, text: &str) {
    t.send_keys(&["/"]);
    t.send_literal(text);
    t.send_keys(&["Enter"]);
}

/// The console at `w`×`h` on the local engine, filtered to the one container `name`, its row
/// selected.
fn console_on_one(dirs: &WhDirs, args: &[&str], name: &str, w: u16, h: u16) -> Tui {
    let t = dirs.tmux(args, w, h);
    t.expect_text("default ●", START);
    filter(&t, name);
    t.expect_text("1 shown", START);
    t.send_keys(&["Home"]);
    t
}

#[test]
fn filter_stop_dialog_and_audit_at_80x24() {
    let tc = TestContainers::new();
    let project = short(&tc);
    let ids: Vec<String> = (1..=2)
        .map(|n| tc.compose_replica(&project, "w", n, &["--stop-timeout", "1"], &[]))
        .collect();
    let (first, second) = (format!("{project}-w-1"), format!("{project}-w-2"));
    let dirs = WhDirs::new();
    let t = dirs.tmux(&[], 80, 24);
    // Other containers on the engine may fill the screen: filter to ours first.
    t.expect_text("default ●", START);

    filter(&t, &project);
    t.expect_text(&second, START);
    let screen = t.expect_text("2 shown", Duration::from_secs(5));
    let body: Vec<&str> = screen
        .lines()
        .skip(3)
        .filter(|l| l.trim_matches(|c| c == '│' || c == ' ').len() > 1)
        .filter(|l| !l.starts_with('└') && !l.starts_with(' '))
        .collect();
    assert_eq!(body.len(), 2, "only the project's rows:\n{screen}");
    assert!(row_of(&screen, &first).is_some() && row_of(&screen, &second).is_some());

    t.send_keys(&["Home"]);
    t.send_keys(&["s"]);
    let title = format!("Stop {first} on default");
    let dialog = t.expect_text(&title, Duration::from_secs(5));
    let short_id = &ids[0][..12];
    assert!(
        dialog.contains(&format!("{first} ({short_id})")),
        "dialog names the container:\n{dialog}"
    );
    // Cancel has the focus: Enter closes the dialog and nothing happens.
    t.send_keys(&["Enter"]);
    t.expect_gone("Confirm stop", Duration::from_secs(5));
    assert_eq!(state(&ids[0]), "running");
    assert!(dirs.audit_records().is_empty());

    t.send_keys(&["s"]);
    t.expect_text(&title, Duration::from_secs(5));
    t.send_keys(&["Tab"]);
    t.send_keys(&["Enter"]);
    let screen = t
        .wait_for(
            |s| row_of(s, &first).is_some_and(|r| r.contains("exited")),
            Duration::from_secs(15),
        )
        .unwrap_or_else(|s| panic!("{first} never shown exited:\n{s}"));
    assert!(
        row_of(&screen, &second).is_some_and(|r| r.contains("running")),
        "{screen}"
    );
    assert_eq!(state(&ids[0]), "exited");
    assert_eq!(state(&ids[1]), "running");

    let records = poll(Duration::from_secs(5), || {
        let r = dirs.audit_records();
        if r.len() < 2 {
            Err(format!("not both audit records yet: {r:?}"))
        } else {
            Ok(r)
        }
    })
    .unwrap();
    assert_eq!(records.len(), 2, "{records:#?}");
    assert_eq!(records[0]["phase"], "intent");
    assert_eq!(records[0]["plan"], records[1]["plan"]);
    let r = &records[1];
    assert_eq!(r["phase"], "outcome");
    assert_eq!(r["action"], "stop");
    assert_eq!(r["result"], "ok");
    assert_eq!(r["approved"], "operator");
    assert_eq!(r["container_id"], ids[0].as_str());
    assert_eq!(r["container_name"], first.as_str());
    assert_eq!(r["endpoint"], "default");
    assert_eq!(r["origin"], "keystroke");
    chrono::DateTime::parse_from_rfc3339(r["time"].as_str().unwrap()).expect("RFC 3339 time");

    t.quit_cleanly();
}

#[test]
fn read_only_refuses_without_a_dialog_at_120x40() {
    let tc = TestContainers::new();
    let name = format!("{}-ro", short(&tc));
    let id = tc.run_named(&name, &[], &[]);
    let dirs = WhDirs::new();
    let t = dirs.tmux(&["--read-only"], 120, 40);
    let screen = t.expect_text("default ●", START);
    assert!(
        screen
            .lines()
            .next()
            .is_some_and(|l| l.contains("READ-ONLY")),
        "{screen}"
    );
    filter(&t, &name);
    t.expect_text("1 shown", START);
    t.send_keys(&["Home"]);
    t.send_keys(&["s"]);
    let screen = t.expect_text(
        &format!("read-only mode: stop {name} refused"),
        Duration::from_secs(5),
    );
    assert!(!screen.contains("Confirm stop"), "{screen}");
    assert_eq!(state(&id), "running");
    // Refused in the console, and recorded like a refusal at the gate.
    let records = poll(Duration::from_secs(5), || {
        match dirs.audit_records().as_slice() {
            [] => Err("no audit record of the refusal".to_string()),
            r => Ok(r.to_vec()),
        }
    })
    .unwrap();
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["result"], "refused");
    assert_eq!(records[0]["action"], "stop");
    assert_eq!(records[0]["container_id"], id.as_str());
    assert!(records[0]["error"].as_str().unwrap().contains("read-only"));
    t.quit_cleanly();
}

#[test]
fn a_broken_config_file_keeps_the_console_read_only_and_says_why() {
    let tc = TestContainers::new();
    let name = format!("{}-cfg", short(&tc));
    let id = tc.run_named(&name, &[], &[]);
    let dirs = WhDirs::new();
    // read_only = true, then a line that is not TOML: whether it meant read-only is unknown.
    std::fs::write(
        dirs.config_dir().join("config.toml"),
        "read_only = true\ntheme = dark\n",
    )
    .unwrap();
    let t = dirs.tmux(&[], 120, 30);
    let screen = t.expect_text("default ●", START);
    assert!(
        screen
            .lines()
            .next()
            .is_some_and(|l| l.contains("READ-ONLY")),
        "{screen}"
    );
    assert!(
        screen.contains("READ-ONLY until the config file is fixed"),
        "{screen}"
    );
    filter(&t, &name);
    t.expect_text("1 shown", START);
    t.send_keys(&["Home", "s"]);
    t.expect_text(
        &format!("read-only mode: stop {name} refused"),
        Duration::from_secs(5),
    );
    assert_eq!(state(&id), "running");
    t.quit_cleanly();

    // --read-write says, explicitly, that changes are allowed.
    let t = dirs.tmux(&["--read-write"], 120, 30);
    let screen = t.expect_text("default ●", START);
    assert!(!screen.contains("READ-ONLY"), "{screen}");
    t.quit_cleanly();
}

fn signal_restores_the_terminal(signal: &str) {
    let dirs = WhDirs::new();
    let t = dirs.tmux(&[], 80, 24);
    // "1 container" or "N containers": the header once the engine is listed.
    t.expect_text(" container", START);
    assert!(t.alternate_on());
    let pid = t.pid().to_string();
    let out = std::process::Command::new("kill")
        .args(["-s", signal, &pid])
        .status()
        .unwrap();
    assert!(out.success());
    let code = t
        .wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|s| panic!("no exit after {signal}:\n{s}"));
    assert_ne!(code, 0, "a signal is not a clean quit");
    t.terminal_restored()
        .unwrap_or_else(|e| panic!("after {signal}: {e}"));
    assert!(
        t.capture().contains(&format!("stopped by SIG{signal}")),
        "{}",
        t.capture()
    );
}

#[test]
fn a_panic_restores_the_terminal() {
    let dirs = WhDirs::new();
    // The console's test hook panics inside the event loop after this delay.
    let t = dirs.tmux_env(
        &[],
        &[
            ("WHEELHOUSE_TEST_PANIC_AFTER_MS", "1500"),
            ("RUST_BACKTRACE", "0"),
        ],
        80,
        24,
    );
    // "1 container" or "N containers": the header once the engine is listed.
    t.expect_text(" container", START);
    assert!(t.alternate_on());
    let code = t
        .wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|s| panic!("no exit after the panic:\n{s}"));
    assert_eq!(code, 101, "a panic exits with Rust's panic status");
    t.terminal_restored()
        .unwrap_or_else(|e| panic!("after a panic: {e}"));
    // The message lands on the normal screen, readable.
    let screen = t.capture();
    assert!(screen.contains("test panic requested"), "{screen}");
}

#[test]
fn a_panic_in_a_background_task_ends_the_console_instead_of_leaving_it_half_alive() {
    let dirs = WhDirs::new();
    let t = dirs.tmux_env(
        &[],
        &[
            ("WHEELHOUSE_TEST_TASK_PANIC_AFTER_MS", "1500"),
            ("RUST_BACKTRACE", "0"),
        ],
        80,
        24,
    );
    // "1 container" or "N containers": the header once the engine is listed.
    t.expect_text(" container", START);
    let code = t
        .wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|s| panic!("still running after a task panicked:\n{s}"));
    assert_eq!(code, 70, "an internal error");
    t.terminal_restored()
        .unwrap_or_else(|e| panic!("after a task panic: {e}"));
    let screen = t.capture();
    assert!(
        screen.contains("stopped after an internal error"),
        "{screen}"
    );
    assert!(
        screen.contains("test panic in a background task"),
        "{screen}"
    );
    // Nothing was drawn on the shell's screen after the restore.
    assert!(!screen.contains("┌ Containers"), "{screen}");
}

#[test]
fn an_allocation_failure_restores_the_terminal_before_the_abort() {
    let dirs = WhDirs::new();
    let t = dirs.tmux_env(
        &[],
        &[
            ("WHEELHOUSE_TEST_ALLOC_FAIL_AFTER_MS", "1500"),
            ("RUST_BACKTRACE", "0"),
        ],
        80,
        24,
    );
    // "1 container" or "N containers": the header once the engine is listed.
    t.expect_text(" container", START);
    assert!(t.alternate_on());
    let code = t
        .wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|s| panic!("no exit after the failed allocation:\n{s}"));
    assert_eq!(code, 128 + 6, "aborted (SIGABRT)");
    t.terminal_restored()
        .unwrap_or_else(|e| panic!("after an allocation failure: {e}"));
    let screen = t.capture();
    assert!(screen.contains("memory allocation of"), "{screen}");
}

#[test]
fn quitting_waits_for_a_change_in_flight_and_a_second_quit_records_it_abandoned() {
    let tc = TestContainers::new();
    let prefix = short(&tc);
    // httpd as pid 1 ignores SIGTERM: each stop takes the whole grace period.
    let slow = format!("{prefix}-slow");
    let id = tc.run_named(&slow, &["--stop-timeout", "4"], HTTPD_CMD);
    let dirs = WhDirs::new();
    let t = dirs.tmux(&[], 120, 30);
    t.expect_text("default ●", START);
    filter(&t, &slow);
    t.expect_text("1 shown", START);
    t.send_keys(&["Home", "s"]);
    t.expect_text(&format!("Stop {slow} on default"), Duration::from_secs(5));
    t.send_keys(&["Tab", "Enter"]);
    std::thread::sleep(Duration::from_millis(800));
    t.send_keys(&["q"]);
    t.expect_text("Quitting: finishing 1 change", Duration::from_secs(3));
    assert!(t.running(), "quit while a change was in flight");
    let code = t
        .wait_exit(Duration::from_secs(15))
        .unwrap_or_else(|s| panic!("did not leave once the stop ended:\n{s}"));
    assert_eq!(code, 0);
    t.terminal_restored().unwrap();
    assert_eq!(state(&id), "exited");
    let records = dirs.audit_records();
    let phases: Vec<(&str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["phase"].as_str().unwrap(),
                r["result"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(phases, [("intent", "-"), ("outcome", "ok")], "{records:#?}");

    // Again, but quit twice: the console leaves at once, the engine finishes the stop, and the
    // audit log says the console did not hear how it ended.
    docker(&["start", &id]);
    let dirs = WhDirs::new();
    let t = dirs.tmux(&[], 120, 30);
    t.expect_text("default ●", START);
    filter(&t, &slow);
    t.expect_text("1 shown", START);
    t.wait_for(
        |s| row_of(s, &slow).is_some_and(|r| r.contains("running")),
        START,
    )
    .unwrap_or_else(|s| panic!("{slow} not running:\n{s}"));
    t.send_keys(&["Home", "s"]);
    t.expect_text(&format!("Stop {slow} on default"), Duration::from_secs(5));
    t.send_keys(&["Tab", "Enter"]);
    std::thread::sleep(Duration::from_millis(800));
    let pressed = Instant::now();
    t.send_keys(&["q"]);
    t.expect_text("Quitting: finishing 1 change", Duration::from_secs(3));
    t.send_keys(&["q"]);
    let code = t
        .wait_exit(Duration::from_secs(5))
        .unwrap_or_else(|s| panic!("a second q did not leave:\n{s}"));
    assert_eq!(code, 0);
    assert!(pressed.elapsed() < Duration::from_secs(3), "left at once");
    t.terminal_restored().unwrap();
    let records = dirs.audit_records();
    let phases: Vec<(&str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["phase"].as_str().unwrap(),
                r["result"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        phases,
        [("intent", "-"), ("outcome", "abandoned")],
        "{records:#?}"
    );
    poll(Duration::from_secs(10), || match state(&id).as_str() {
        "exited" => Ok(()),
        s => Err(s.to_string()),
    })
    .expect("the engine finished the stop");
}

#[test]
fn strange_text_from_an_engine_is_shown_searched_and_quit_without_a_panic() {
    use support::hostile::{HostileEngine, Misbehaviour};
    let dirs = WhDirs::new();
    let sock = dirs.root().join("strange.sock");
    let _engine = HostileEngine::start(&sock, Misbehaviour::StrangeText);
    let host = format!("unix://{}", sock.display());
    let t = dirs.tmux(&["-H", &host], 120, 30);
    let screen = t.expect_text("weird", START);
    assert!(!screen.contains('\u{202e}'), "{screen}");
    // Tree mode groups by the hostile project label; the detail pane and inspect use the id.
    t.send_keys(&["t"]);
    t.expect_text("web", Duration::from_secs(5));
    t.send_keys(&["t", "d"]);
    t.expect_text("exited", Duration::from_secs(5));
    t.send_keys(&["d", "Home", "i"]);
    t.expect_text("search", Duration::from_secs(5));
    t.send_keys(&["/"]);
    t.send_literal("kabc");
    t.send_keys(&["Enter"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        t.running(),
        "searching inspect killed the console:\n{}",
        t.capture()
    );
    t.escape();
    t.quit_cleanly();
}

#[test]
fn an_endless_event_line_marks_the_endpoint_down_and_the_console_stays_small() {
    use support::hostile::{HostileEngine, Misbehaviour};
    let dirs = WhDirs::new();
    let sock = dirs.root().join("endless.sock");
    let _engine = HostileEngine::start(&sock, Misbehaviour::EndlessEventLine);
    let host = format!("unix://{}", sock.display());
    let t = dirs.tmux(&["-H", &host], 120, 30);
    t.expect_text("down", Duration::from_secs(30));
    // The reason is on the endpoints panel.
    t.send_keys(&["E"]);
    t.expect_text("stream line longer than 1 MiB", Duration::from_secs(5));
    let status = std::fs::read_to_string(format!("/proc/{}/status", t.pid())).unwrap();
    let rss_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(rss_kb < 200 * 1024, "peak resident memory {rss_kb} kB");
    t.escape();
    t.quit_cleanly();
}

#[test]
fn sigterm_restores_the_terminal() {
    signal_restores_the_terminal("TERM");
}

#[test]
fn sighup_restores_the_terminal() {
    signal_restores_the_terminal("HUP");
}

#[test]
fn outside_run_and_rm_show_up_live() {
    let tc = TestContainers::new();
    let prefix = short(&tc);
    let dirs = WhDirs::new();
    let t = dirs.tmux(&[], 80, 24);
    // "1 container" or "N containers": the header once the engine is listed.
    t.expect_text(" container", START);
    filter(&t, &prefix);
    t.expect_text("0 shown", Duration::from_secs(5));

    let name = format!("{prefix}-live");
    let id = tc.run_named(&name, &[], &[]);
    let ran = Instant::now();
    t.wait_for(
        |s| row_of(s, &name).is_some_and(|r| r.contains("running")),
        Duration::from_millis(1500),
    )
    .unwrap_or_else(|s| {
        panic!(
            "{name} not on screen {:?} after docker run:\n{s}",
            ran.elapsed()
        )
    });

    docker(&["rm", "-f", &id]);
    let removed = Instant::now();
    t.wait_for(|s| !s.contains(&name), Duration::from_millis(1500))
        .unwrap_or_else(|s| {
            panic!(
                "{name} still on screen {:?} after rm -f:\n{s}",
                removed.elapsed()
            )
        });
    t.quit_cleanly();
}

#[test]
fn tiny_terminal_shows_a_message_then_the_table_after_resize() {
    let dirs = WhDirs::new();
    let t = dirs.tmux(&[], 40, 10);
    t.expect_text("needs at least", START);
    assert!(t.running(), "the program died in a tiny terminal");
    t.tmux(&["resize-window", "-t", "wh", "-x", "80", "-y", "24"])
        .unwrap();
    let screen = t.expect_text("Containers", Duration::from_secs(5));
    assert!(!screen.contains("needs at least"), "{screen}");
    assert!(screen.contains("NAME"), "{screen}");
    t.quit_cleanly();
}

#[test]
fn an_engine_that_comes_back_fills_the_table_without_a_restart() {
    let tc = TestContainers::new();
    let name = format!("{}-back", short(&tc));
    tc.run_named(&name, &[], &[]);
    let dirs = WhDirs::new();
    // A short socket path, so the whole reason fits the header.
    let sockdir = tempfile::Builder::new()
        .prefix("w")
        .tempdir_in("/tmp")
        .unwrap();
    let sock = sockdir.path().join("p.sock");
    let host = format!("unix://{}", sock.display());
    let t = dirs.tmux(&["-H", &host], 120, 40);
    let screen = t
        .wait_for(
            |s| {
                s.lines()
                    .next()
                    .unwrap_or_default()
                    .contains("down, retry in")
            },
            Duration::from_secs(10),
        )
        .unwrap_or_else(|s| panic!("no down state with a retry in the header:\n{s}"));
    // The header keeps to the state; the body names the endpoint and why.
    assert!(screen.contains("No engine reachable"), "{screen}");
    assert!(screen.contains(&sock.display().to_string()), "{screen}");
    filter(&t, &name);

    let proxy = RecordingProxy::start(&sock);
    let back = Instant::now();
    t.wait_for(
        |s| row_of(s, &name).is_some_and(|r| r.contains("running")),
        Duration::from_secs(35),
    )
    .unwrap_or_else(|s| panic!("table never filled after {:?}:\n{s}", back.elapsed()));
    assert!(t.running());
    assert!(!proxy.requests().is_empty());
    assert!(t.capture().lines().next().is_some_and(|h| h.contains('●')));
    t.quit_cleanly();
    drop(proxy);
}

#[test]
fn logs_show_both_streams_search_highlights_and_esc_returns() {
    let tc = TestContainers::new();
    let name = format!("{}-logs", short(&tc));
    tc.run_named(
        &name,
        &[],
        &[
            "sh",
            "-c",
            "echo out-line-one; echo err-line-two >&2; printf 'bad-\\377-byte\\n'; exec sleep 3600",
        ],
    );
    let dirs = WhDirs::new();
    let t = console_on_one(&dirs, &[], &name, 80, 24);
    t.send_keys(&["Enter"]);
    let screen = t
        .wait_for(
            |s| s.contains("out-line-one") && s.contains("err-line-two") && s.contains("-byte"),
            Duration::from_secs(10),
        )
        .unwrap_or_else(|s| panic!("log lines missing:\n{s}"));
    assert!(screen.contains(&format!("Logs: {name}")), "{screen}");
    let bad = row_of(&screen, "bad-").expect("the non-UTF-8 line");
    assert!(
        bad.contains("bad-\u{fffd}-byte"),
        "the invalid byte shows as a replacement character: {bad}"
    );

    // Before a search the word sits inside one styled run; the match starts a new one.
    let styled_before = t.capture_styled();
    assert!(styled_before.contains("err-line-two"), "{styled_before:?}");
    t.send_keys(&["/"]);
    t.send_literal("line-two");
    t.send_keys(&["Enter"]);
    t.wait_for(
        |_| {
            let styled = t.capture_styled();
            // "err-", then a new style with a background colour, then the match.
            styled.split("err-\x1b[").nth(1).is_some_and(|rest| {
                let (style, text) = rest.split_at(rest.find("line-two").unwrap_or(0));
                text.starts_with("line-two") && style.contains("48;")
            })
        },
        Duration::from_secs(5),
    )
    .unwrap_or_else(|_| panic!("no highlight:\n{:?}", t.capture_styled()));

    t.escape();
    // The search prompt is accepted; one Esc leaves the logs view.
    let screen = t.expect_text("Containers", Duration::from_secs(5));
    assert!(!screen.contains("Logs:"), "{screen}");
    t.quit_cleanly();
}

#[test]
fn vim_keymap_starts() {
    let dirs = WhDirs::new();
    let t = dirs.tmux(&["--keymap", "vim"], 80, 24);
    // "1 container" or "N containers": the header once the engine is listed.
    t.expect_text(" container", START);
    t.quit_cleanly();
}

#[test]
fn broken_keymap_on_the_command_line_is_fatal_before_the_tui() {
    let dirs = WhDirs::new();
    let bad = dirs.root().join("bad.toml");
    std::fs::write(&bad, "[table]\nkeymap = [ { on = \"s\", run = \"stop\" ,\n").unwrap();
    let out = output_with_timeout(
        &mut dirs.command(&["--keymap", &bad.display().to_string()]),
        Duration::from_secs(10),
    )
    .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:2:", bad.display())),
        "names file and line: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("\x1b[?1049h"),
        "entered the TUI: {stdout:?}"
    );

    // In a terminal too: it exits without ever switching screens.
    let t = dirs.tmux(&["--keymap", &bad.display().to_string()], 120, 24);
    let code = t.wait_exit(Duration::from_secs(10)).unwrap();
    assert_ne!(code, 0);
    t.terminal_restored().unwrap();
    assert!(t.capture().contains("bad.toml:2:"), "{}", t.capture());
}

#[test]
fn broken_keymap_in_the_config_dir_warns_and_starts() {
    let dirs = WhDirs::new();
    std::fs::write(
        dirs.config_dir().join("keymap.toml"),
        "[table]\nkeymap = [ { on = \"s\", run = \"nope\" } ]\n",
    )
    .unwrap();
    let t = dirs.tmux(&[], 120, 40);
    let screen = t.expect_text("keymap.toml:2:", START);
    assert!(
        screen.lines().next().is_some_and(|h| h.contains("⚠ 1")),
        "{screen}"
    );
    assert!(t.running());
    t.quit_cleanly();
}

#[test]
fn actions_that_change_nothing_say_so_and_a_failed_kill_shows_the_engines_whole_reason() {
    let tc = TestContainers::new();
    let name = format!("{}-noop", short(&tc));
    let id = tc.run_named(&name, &["--stop-timeout", "1"], &[]);
    let dirs = WhDirs::new();
    let t = console_on_one(&dirs, &[], &name, 80, 24);

    // Start on a running container: the dialog says so, `y` confirms, the engine's 304 is
    // reported as "already running", and the audit log says unchanged.
    t.send_keys(&["u"]);
    t.expect_text(
        "is already running: the engine will change",
        Duration::from_secs(5),
    );
    t.send_keys(&["y"]);
    t.expect_text("already running, nothing to do", Duration::from_secs(10));
    let outcome = poll(Duration::from_secs(5), || {
        dirs.audit_records()
            .into_iter()
            .find(|r| r["phase"] == "outcome")
            .ok_or_else(|| "no outcome yet".to_string())
    })
    .unwrap();
    assert_eq!(outcome["result"], "unchanged", "{outcome}");
    assert_eq!(outcome["note"], "already running", "{outcome}");

    // A kill of a stopped container: warned, and the engine's reason shown whole.
    docker(&["stop", &id]);
    t.wait_for(
        |s| row_of(s, &name).is_some_and(|r| r.contains("exited")),
        Duration::from_secs(15),
    )
    .unwrap_or_else(|s| panic!("never shown exited:\n{s}"));
    t.send_keys(&["K"]);
    t.expect_text("is not running: the engine will", Duration::from_secs(5));
    t.send_keys(&["y"]);
    let screen = t.expect_text("is not running", Duration::from_secs(10));
    // Ids are shown short, as `docker ps` shows them; the log panel has the message as sent.
    let reason = format!("Container {} is not running", &id[..12]);
    let joined: String = screen
        .lines()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        joined.replace(' ', "").contains(&reason.replace(' ', "")),
        "the whole reason at the bottom:\n{screen}"
    );
    t.quit_cleanly();
}

#[test]
fn logs_follow_a_container_across_a_restart_without_repeating_lines() {
    let tc = TestContainers::new();
    let name = format!("{}-rst", short(&tc));
    let id = tc.run_named(
        &name,
        &["--stop-timeout", "1"],
        &[
            "sh",
            "-c",
            "echo run-begins; i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done",
        ],
    );
    let dirs = WhDirs::new();
    let t = console_on_one(&dirs, &[], &name, 100, 30);
    t.send_keys(&["Enter"]);
    t.expect_text("tick-3", Duration::from_secs(10));
    docker(&["restart", "-t", "1", &id]);
    // The stream said it restarted, and the new run's lines arrive under it.
    let screen = t
        .wait_for(
            |s| {
                s.lines()
                    .skip_while(|l| !l.contains("restarted at"))
                    .any(|l| l.contains("tick-2"))
            },
            Duration::from_secs(20),
        )
        .unwrap_or_else(|s| panic!("no new lines after the restart:\n{s}"));
    assert!(!screen.contains("log stream ended"), "{screen}");
    // Saved, the whole stream holds both runs once each: the first run's lines are not
    // repeated by the resumed stream.
    t.send_keys(&["S"]);
    t.expect_text("saved", Duration::from_secs(5));
    let saved = std::fs::read_dir(dirs.data_dir().join("logs"))
        .unwrap()
        .next()
        .expect("a saved file")
        .unwrap()
        .path();
    let text = std::fs::read_to_string(saved).unwrap();
    assert_eq!(
        text.lines().filter(|l| l.ends_with(" run-begins")).count(),
        2,
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.ends_with(" tick-0")).count(),
        2,
        "{text}"
    );
    assert!(text.contains(" console ── restarted at"), "{text}");
    t.quit_cleanly();
}

#[test]
fn a_shell_in_a_container_gets_a_real_tty_and_the_console_comes_back() {
    let tc = TestContainers::new();
    let name = format!("{}-sh", short(&tc));
    let id = tc.run_named(&name, &[], &[]);
    let dirs = WhDirs::new();
    let t = console_on_one(&dirs, &[], &name, 100, 30);
    support::shell::shell_round_trip(&t, &dirs, &name, &id);
    // Ctrl-P Ctrl-Q leaves a session as docker attach does; the console comes back.
    t.send_keys(&["x"]);
    t.expect_text(&format!("Open a shell in {name}"), Duration::from_secs(5));
    t.send_keys(&["y"]);
    t.expect_text("/ #", Duration::from_secs(15));
    t.send_keys(&["C-p", "C-q"]);
    t.expect_text("Containers", Duration::from_secs(10));
    let outcomes = poll(Duration::from_secs(5), || {
        let n = dirs
            .audit_records()
            .iter()
            .filter(|r| r["phase"] == "outcome" && r["action"] == "exec")
            .count();
        (n == 2).then_some(n).ok_or_else(|| format!("{n} outcomes"))
    });
    assert!(
        outcomes.is_ok(),
        "both sessions have their outcome: {outcomes:?}"
    );
    t.quit_cleanly();
}

#[test]
fn read_only_refuses_a_shell_and_audits_the_refusal() {
    let tc = TestContainers::new();
    let name = format!("{}-rosh", short(&tc));
    tc.run_named(&name, &[], &[]);
    let dirs = WhDirs::new();
    let t = console_on_one(&dirs, &["--read-only"], &name, 100, 30);
    t.send_keys(&["x"]);
    t.expect_text("read-only mode: open a shell", Duration::from_secs(5));
    let refused = poll(Duration::from_secs(5), || {
        dirs.audit_records()
            .into_iter()
            .find(|r| r["result"] == "refused")
            .ok_or_else(|| "no refusal yet".to_string())
    })
    .unwrap();
    assert_eq!(refused["action"], "exec", "{refused}");
    t.quit_cleanly();
}

#[test]
fn a_bulk_restart_runs_side_by_side_shows_rows_pending_and_reports_the_whole_set() {
    let tc = TestContainers::new();
    let prefix = format!("{}-bulk", short(&tc));
    // Each ignores SIGTERM, so each restart takes its 2 s grace period.
    let ids: Vec<String> = (1..=6)
        .map(|n| {
            tc.run_named(
                &format!("{prefix}{n}"),
                &["--stop-timeout", "2"],
                &["sh", "-c", "trap '' TERM; while true; do sleep 1; done"],
            )
        })
        .collect();
    let dirs = WhDirs::new();
    let t = dirs.tmux(&[], 100, 30);
    t.expect_text("default ●", START);
    filter(&t, &prefix);
    t.expect_text("6 shown", START);
    t.send_keys(&["C-a", "r"]);
    t.expect_text("Restart 6 containers", Duration::from_secs(5));
    t.send_keys(&["y"]);
    // While it runs, the rows say so.
    t.wait_for(|s| s.contains("restarting…"), Duration::from_secs(10))
        .unwrap_or_else(|s| panic!("no row shown restarting:\n{s}"));
    t.expect_text("restart 6 containers: done", Duration::from_secs(30));
    // Side by side: several intents were on disk before the first outcome, and no more than
    // one engine takes at once.
    let records = dirs.audit_records();
    let before_first_outcome = records
        .iter()
        .take_while(|r| r["phase"] == "intent")
        .count();
    assert!(
        (2..=4).contains(&before_first_outcome),
        "{before_first_outcome} steps started before the first ended: {records:#?}"
    );
    let outcomes: Vec<&serde_json::Value> =
        records.iter().filter(|r| r["phase"] == "outcome").collect();
    assert_eq!(outcomes.len(), 6, "{records:#?}");
    assert!(
        outcomes.iter().all(|r| r["result"] == "ok"),
        "{outcomes:#?}"
    );
    for id in &ids {
        assert!(
            outcomes.iter().any(|r| r["container_id"] == id.as_str()),
            "{id}"
        );
    }
    t.quit_cleanly();
}

#[test]
fn y_copies_the_name_and_inspect_copies_a_value_through_the_terminal() {
    let tc = TestContainers::new();
    let name = format!("{}-copy", short(&tc));
    let id = tc.run_named(&name, &[], &[]);
    let dirs = WhDirs::new();
    let t = console_on_one(&dirs, &[], &name, 100, 30);
    // tmux keeps what an application sets with OSC 52 as a paste buffer.
    t.tmux(&["set-option", "-s", "set-clipboard", "on"])
        .unwrap();
    t.send_keys(&["y"]);
    t.expect_text("copied the name", Duration::from_secs(5));
    let buffer = || t.tmux(&["show-buffer"]).unwrap_or_default();
    poll(Duration::from_secs(5), || {
        (buffer() == name).then_some(()).ok_or_else(buffer)
    })
    .unwrap();
    t.send_keys(&["Y"]);
    poll(Duration::from_secs(5), || {
        (buffer() == id).then_some(()).ok_or_else(buffer)
    })
    .unwrap();
    // In inspect: search a key, copy its value.
    t.send_keys(&["i"]);
    t.expect_text("Inspect:", Duration::from_secs(10));
    t.send_keys(&["/"]);
    t.send_literal("\"Hostname\"");
    t.send_keys(&["Enter", "y"]);
    poll(Duration::from_secs(5), || {
        (buffer() == id[..12]).then_some(()).ok_or_else(buffer)
    })
    .unwrap();
    t.quit_cleanly();
}

#[test]
fn log_colours_are_drawn_and_other_escapes_never_reach_the_terminal() {
    let tc = TestContainers::new();
    let name = format!("{}-ansi", short(&tc));
    tc.run_named(
        &name,
        &[],
        &[
            "sh",
            "-c",
            "printf '\\033[31mred-word\\033[0m plain \\033]0;pwned\\007\\033[2Jend\\n'; exec sleep 3600",
        ],
    );
    let dirs = WhDirs::new();
    let t = console_on_one(&dirs, &[], &name, 100, 30);
    t.send_keys(&["Enter"]);
    let screen = t.expect_text("red-word plain end", Duration::from_secs(10));
    assert!(
        !screen.contains("^["),
        "escapes are not shown raw: {screen}"
    );
    // Red, as the program asked: tmux reports the cell's colour as SGR 31 (or 38;5;1).
    let styled = t.capture_styled();
    let before = styled.split("red-word").next().unwrap();
    let last_sgr = before.rsplit("\x1b[").next().unwrap();
    assert!(
        last_sgr.starts_with("31") || last_sgr.contains("38;5;1m"),
        "red-word is not red: {last_sgr:?} in {styled:?}"
    );
    // The title sequence never reached the terminal.
    assert_ne!(t.display("#{pane_title}"), "pwned");
    t.quit_cleanly();
}

#[test]
fn the_detail_pane_lists_the_processes_and_the_restart_policy() {
    let tc = TestContainers::new();
    let name = format!("{}-top", short(&tc));
    tc.run_named(
        &name,
        &["--restart", "on-failure:3"],
        &["sh", "-c", "sleep 3601 & exec sleep 3602"],
    );
    let dirs = WhDirs::new();
    let t = console_on_one(&dirs, &[], &name, 120, 40);
    t.send_keys(&["d"]);
    let screen = t
        .wait_for(
            |s| s.contains("sleep 3601") && s.contains("sleep 3602"),
            Duration::from_secs(10),
        )
        .unwrap_or_else(|s| panic!("no processes in the detail pane:\n{s}"));
    assert!(screen.contains("2 processes"), "{screen}");
    assert!(screen.contains("restart on-failure:3"), "{screen}");
    t.quit_cleanly();
}

#[test]
fn merged_logs_of_a_service_tag_each_replica_and_follow_restarts_and_new_replicas() {
    let tc = TestContainers::new();
    let project = short(&tc);
    let talk = |n: usize| {
        vec![
            "sh".to_string(),
            "-c".to_string(),
            format!("i=0; while true; do echo r{n}-line-$i; i=$((i+1)); sleep 0.3; done"),
        ]
    };
    let start = |n: usize| {
        let cmd = talk(n);
        let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
        tc.compose_replica(&project, "w", n, &["--stop-timeout", "1"], &cmd)
    };
    let first = start(1);
    start(2);
    let dirs = WhDirs::new();
    let t = dirs.tmux(&[], 120, 36);
    t.expect_text("default ●", START);
    filter(&t, &project);
    t.expect_text("2 shown", START);
    // Tree mode, the service's row, Enter: both replicas in one stream, each line tagged.
    t.send_keys(&["t", "Home", "Down", "Enter"]);
    t.expect_text(&format!("Logs: {project}/w"), Duration::from_secs(5));
    let tagged = |s: &str, n: usize| {
        s.lines()
            .any(|l| l.contains(&format!("{project}-w-{n} ")) && l.contains(&format!("r{n}-line-")))
    };
    t.wait_for(|s| tagged(s, 1) && tagged(s, 2), Duration::from_secs(10))
        .unwrap_or_else(|s| panic!("both replicas, tagged:\n{s}"));
    docker(&["restart", "-t", "1", &first]);
    t.wait_for(|s| s.contains("restarted at"), Duration::from_secs(20))
        .unwrap_or_else(|s| panic!("the restart is said:\n{s}"));
    start(3);
    t.wait_for(
        |s| s.contains(&format!("{project}-w-3 joined")) || tagged(s, 3),
        Duration::from_secs(20),
    )
    .unwrap_or_else(|s| panic!("the new replica is followed:\n{s}"));
    t.wait_for(|s| tagged(s, 3), Duration::from_secs(10))
        .unwrap_or_else(|s| panic!("the new replica's lines:\n{s}"));
    t.quit_cleanly();
}

#[test]
fn the_activity_view_lists_what_this_console_did_from_the_audit_log() {
    let tc = TestContainers::new();
    let name = format!("{}-act", short(&tc));
    tc.run_named(&name, &["--stop-timeout", "1"], &[]);
    let dirs = WhDirs::new();
    let t = console_on_one(&dirs, &[], &name, 100, 30);
    t.send_keys(&["s"]);
    t.expect_text(&format!("Stop {name}"), Duration::from_secs(5));
    t.send_keys(&["y"]);
    t.send_keys(&["V"]);
    t.expect_text("Activity", Duration::from_secs(5));
    t.wait_for(
        |s| {
            s.lines()
                .any(|l| l.contains(" ok ") && l.contains(&format!("stop {name} on default")))
        },
        Duration::from_secs(20),
    )
    .unwrap_or_else(|s| panic!("the stop, done, in the activity view:\n{s}"));
    t.send_keys(&["q"]);
    t.expect_text("Containers", Duration::from_secs(5));
    t.quit_cleanly();
}

#[test]
fn images_volumes_and_networks_are_listed_with_their_users_and_removed_or_pruned_through_the_gate()
{
    let tc = TestContainers::new();
    let tag = format!("wh-dangle-{}", short(&tc));
    let volume = format!("{}-vol", short(&tc));
    let network = format!("{}-net", short(&tc));
    // A dangling image: the first of two commits under one tag loses the tag to the second.
    let source = tc.run_named(&format!("{tag}-src"), &[], &[]);
    let first = docker(&["commit", &source, &format!("{tag}:x")]);
    docker(&[
        "commit",
        "--change",
        "LABEL again=1",
        &source,
        &format!("{tag}:x"),
    ]);
    docker(&["volume", "create", &volume]);
    docker(&["network", "create", &network]);
    let tagged = format!("{tag}:x");
    let cleanup = [
        vec!["rmi", "-f", &first],
        vec!["rmi", "-f", &tagged],
        vec!["volume", "rm", "-f", &volume],
        vec!["network", "rm", &network],
    ];
    let dirs = WhDirs::new();
    let t = dirs.tmux(&[], 140, 40);
    t.expect_text("default ●", START);
    t.send_keys(&["I"]);
    let short_first = &first.trim_start_matches("sha256:")[..12];
    t.wait_for(
        |s| {
            s.lines()
                .any(|l| l.contains(short_first) && l.contains("dangling, unused"))
        },
        Duration::from_secs(10),
    )
    .unwrap_or_else(|s| panic!("the dangling image:\n{s}"));
    // Prune dangling images: confirmed, done, gone.
    t.send_keys(&["X"]);
    t.expect_text("Prune dangling images", Duration::from_secs(5));
    t.send_keys(&["y"]);
    t.expect_text("prune dangling images: done", Duration::from_secs(30));
    assert!(
        try_docker(&["image", "inspect", &first]).is_err(),
        "the dangling image is gone"
    );
    // Volumes: ours is unused; remove it.
    t.send_keys(&["Tab"]);
    t.wait_for(
        |s| {
            s.lines()
                .any(|l| l.contains(&volume) && l.contains("unused"))
        },
        Duration::from_secs(10),
    )
    .unwrap_or_else(|s| panic!("the volume:\n{s}"));
    let row = |s: &str, name: &str| s.lines().position(|l| l.contains(name));
    let screen = t.capture();
    let at = row(&screen, &volume).unwrap() - row(&screen, "NAME").unwrap() - 1;
    t.send_keys(&["g", "g"]);
    for _ in 0..at {
        t.send_keys(&["j"]);
    }
    t.send_keys(&["D"]);
    t.expect_text(&format!("Remove volume {volume}"), Duration::from_secs(5));
    t.send_keys(&["y"]);
    t.expect_text(
        &format!("remove volume {volume}: done"),
        Duration::from_secs(15),
    );
    assert!(try_docker(&["volume", "inspect", &volume]).is_err());
    // Networks: the engine's own cannot be removed (the bridge, the first row); ours can.
    t.send_keys(&["Tab"]);
    t.wait_for(|s| s.contains(&network), Duration::from_secs(10))
        .unwrap_or_else(|s| panic!("the networks:\n{s}"));
    t.send_keys(&["g", "g", "D"]);
    t.expect_text(
        "is the engine's own network: it cannot be removed",
        Duration::from_secs(5),
    );
    let screen = t.capture();
    let at = row(&screen, &network).unwrap() - row(&screen, "NAME").unwrap() - 1;
    t.send_keys(&["g", "g"]);
    for _ in 0..at {
        t.send_keys(&["j"]);
    }
    t.send_keys(&["D", "y"]);
    t.expect_text(
        &format!("remove network {network}: done"),
        Duration::from_secs(15),
    );
    assert!(try_docker(&["network", "inspect", &network]).is_err());
    let records = dirs.audit_records();
    for (target, action) in [
        ("engine", "prune"),
        ("volume", "remove_volume"),
        ("network", "remove_network"),
    ] {
        assert!(
            records.iter().any(|r| r["phase"] == "outcome"
                && r["target"] == target
                && r["action"] == action
                && r["result"] == "ok"),
            "{target} {action} audited: {records:#?}"
        );
    }
    t.quit_cleanly();
    for c in cleanup {
        let _ = try_docker(&c);
    }
}

#[test]
fn with_the_mouse_on_a_click_selects_a_row_and_the_terminal_is_given_back_without_it() {
    let tc = TestContainers::new();
    let prefix = format!("{}-mouse", short(&tc));
    for n in 1..=3 {
        tc.run_named(&format!("{prefix}{n}"), &[], &[]);
    }
    let dirs = WhDirs::new();
    std::fs::create_dir_all(dirs.config_dir()).unwrap();
    std::fs::write(dirs.config_dir().join("config.toml"), "mouse = true\n").unwrap();
    let t = dirs.tmux(&[], 100, 24);
    t.expect_text("default ●", START);
    filter(&t, &prefix);
    t.expect_text("3 shown", START);
    t.send_keys(&["d"]);
    t.expect_text(&format!("{prefix}1 ─ default"), Duration::from_secs(5));
    // An SGR mouse press and release on the third row (screen row 6, 1-based), as a terminal
    // sends them.
    t.send_literal("\x1b[<0;12;6M\x1b[<0;12;6m");
    t.expect_text(&format!("{prefix}3 ─ default"), Duration::from_secs(5));
    t.quit_cleanly();
    // Mouse reporting is off again for the shell.
    assert_eq!(t.display("#{mouse_any_flag}"), "0");
}
