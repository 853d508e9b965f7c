//! ssh:// endpoints start no ssh process per request: a scale headless and in the console uses
//! one master and the connections it already has, and the detail pane open for a while starts
//! none. In a test binary of its own, so that no other test's containers (and their events)
//! make the console busier than the steps it is counting.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use support::bin::WhDirs;
use support::compose::Compose;
use support::services::*;
use support::*;
use wheelhouse::engine::transport::ssh;

/// A copy of the test ssh config in `dir`, and the start of the ControlPath wheelhouse derives
/// from it: the path hashes the config file, so only this test's ssh master and dial-stdio
/// children carry it in their command lines.
fn own_ssh_config(dir: &Path) -> (String, String) {
    let text = std::fs::read_to_string(ssh_config()).expect("the test ssh config");
    let path = dir.join("ssh-config");
    std::fs::write(&path, text).unwrap();
    let url = ssh_host();
    let target = ssh::SshTarget::parse(&url).unwrap();
    let options = ssh::SshOptions::with_config(Some(path.clone()));
    let dialer = ssh::Dialer::new(&url, &target, &options).unwrap();
    let marker = dialer
        .control_path()
        .display()
        .to_string()
        .trim_end_matches("%C")
        .to_string();
    (path.display().to_string(), marker)
}

/// Every distinct ssh process (master and dial-stdio clients) with `marker` in its command
/// line, sampled every 10 ms while `run` runs.
fn ssh_processes_during<T>(marker: &str, run: impl FnOnce() -> T) -> (T, BTreeSet<(u32, String)>) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (stop2, marker2) = (stop.clone(), marker.to_string());
    let sampler = std::thread::spawn(move || {
        let mut seen = BTreeSet::new();
        while !stop2.load(std::sync::atomic::Ordering::SeqCst) {
            seen.extend(
                processes_with(&marker2)
                    .into_iter()
                    .map(|(pid, args, _)| (pid, args)),
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        seen
    });
    let out = run();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    (out, sampler.join().unwrap())
}

#[test]
fn scale_over_ssh_uses_one_master_and_no_ssh_process_per_request() {
    let _alone = alone();
    let p = up(Compose::V1);
    let dirs = WhDirs::new();
    let (config, marker) = own_ssh_config(dirs.root());
    let host = ssh_host();
    let svc = p.service("web");

    // Headless, 2 → 4: the survey inspects every container, a few at once, and the plan's
    // requests (inspect, create, connect, start for each new replica) reuse those connections.
    let mut cmd = dirs.command(&["-H", &host, "scale", &svc, "4", "--yes"]);
    cmd.env("WHEELHOUSE_SSH_CONFIG", &config);
    let (out, procs) = ssh_processes_during(&marker, || {
        output_with_timeout(&mut cmd, Duration::from_secs(180)).unwrap()
    });
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    wait_healthy(&p, 4);
    let want: Vec<String> = (1..=4).map(|n| p.replica_name("web", n)).collect();
    assert_eq!(p.compose_ps("web"), want);
    let records = dirs.audit_records();
    assert!(
        records.iter().all(|r| r["host"] == host.as_str()),
        "audited against the ssh endpoint: {records:#?}"
    );
    // The first dial-stdio child becomes the master (its title turns into `[mux]`).
    let masters: BTreeSet<u32> = procs
        .iter()
        .filter(|(_, a)| a.ends_with("[mux]"))
        .map(|(pid, _)| *pid)
        .collect();
    let children: BTreeSet<u32> = procs
        .iter()
        .map(|(pid, _)| *pid)
        .filter(|pid| !masters.contains(pid))
        .collect();
    assert_eq!(masters.len(), 1, "one ssh master: {procs:#?}");
    assert!(
        children.len() <= wheelhouse::engine::transport::ANSWERS_IN_FLIGHT + 1,
        "no more children than answers in flight (+ `ssh -G`): {procs:#?}"
    );

    // The console on the same master, 4 → 3 → 2 with `-`: once it has connected, its plans
    // start no ssh process at all.
    let t = console_on_web_with(
        &dirs,
        &["-H", &host],
        &[("WHEELHOUSE_SSH_CONFIG", &config)],
        &p,
        4,
    );
    std::thread::sleep(Duration::from_secs(3));
    let settled: BTreeSet<u32> = processes_with(&marker)
        .into_iter()
        .map(|(p, _, _)| p)
        .collect();
    let ((), during) = ssh_processes_during(&marker, || {
        for n in [3, 2] {
            t.send_keys(&["-"]);
            t.expect_text("Confirm scale", Duration::from_secs(10));
            t.send_keys(&["Tab", "Enter"]);
            poll(CHANGE, || match p.running("web").len() {
                m if m == n => Ok(()),
                m => Err(format!("{m} running")),
            })
            .unwrap();
            t.wait_for(|s| s.contains(&format!("{n}/{n}")), START)
                .unwrap_or_else(|s| panic!("the tree never counted {n}:\n{s}"));
        }
    });
    t.quit_cleanly();
    let new: Vec<&(u32, String)> = during
        .iter()
        .filter(|(pid, _)| !settled.contains(pid))
        .collect();
    assert!(
        new.is_empty(),
        "ssh processes started by the plans: {new:#?}"
    );
    assert_eq!(p.compose_ps("web"), want[..2].to_vec());
    // The master lingers for ControlPersist; stop it.
    for (pid, _, _) in processes_with(&marker) {
        let _ = std::process::Command::new("kill")
            .arg(pid.to_string())
            .status();
    }
}

#[test]
fn the_detail_pane_over_ssh_spawns_no_process_while_it_stays_open() {
    let _alone = alone();
    let p = up(Compose::V1);
    let dirs = WhDirs::new();
    let (config, marker) = own_ssh_config(dirs.root());
    let host = ssh_host();
    let t = dirs.tmux_env(
        &["-H", &host],
        &[("WHEELHOUSE_SSH_CONFIG", &config)],
        140,
        40,
    );
    t.expect_text(" wheelhouse ", START);
    t.send_keys(&["/"]);
    t.send_literal(&p.replica_name("web", 1));
    t.send_keys(&["Enter"]);
    t.expect_text("1 shown", START);
    t.send_keys(&["d"]);
    t.expect_text("HEALTH", Duration::from_secs(10));
    // Let the first connections settle, then watch for 12 s (the pane refreshes every 2 s).
    std::thread::sleep(Duration::from_secs(3));
    let at_start: BTreeSet<u32> = processes_with(&marker)
        .into_iter()
        .map(|(p, _, _)| p)
        .collect();
    let ((), during) =
        ssh_processes_during(&marker, || std::thread::sleep(Duration::from_secs(12)));
    let new: Vec<&(u32, String)> = during
        .iter()
        .filter(|(pid, _)| !at_start.contains(pid))
        .collect();
    assert!(
        new.is_empty(),
        "new ssh processes while the pane was open: {new:#?}"
    );
    assert!(
        !at_start.is_empty(),
        "the console does reach the engine over ssh"
    );
    let still = t.capture();
    assert!(still.contains("HEALTH"), "{still}");
    let begun = Instant::now();
    t.quit_cleanly();
    assert!(begun.elapsed() < Duration::from_secs(10));
    for (pid, _, _) in processes_with(&marker) {
        let _ = std::process::Command::new("kill")
            .arg(pid.to_string())
            .status();
    }
}

/// Tests here count processes on the whole machine (the remote's side has no marker): one at
/// a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// A copy of the test ssh config that logs in with the key authorized only for
/// `docker system dial-stdio` (a forced command, as locked-down hosts have), and its marker.
fn dial_only_ssh_config(dir: &Path) -> (String, String) {
    let (path, marker) = own_ssh_config(dir);
    let text = std::fs::read_to_string(&path).unwrap();
    let key = ssh_dir().join("id_ed25519").display().to_string();
    let dial_only = ssh_dir().join("id_dial_only").display().to_string();
    assert!(text.contains(&key), "{text}");
    std::fs::write(&path, text.replace(&key, &dial_only)).unwrap();
    (path, marker)
}

fn kill_processes_with(marker: &str) {
    for (pid, _, _) in processes_with(marker) {
        let _ = std::process::Command::new("kill")
            .arg(pid.to_string())
            .status();
    }
}

/// Where the remote allows nothing but dial-stdio, the batched read of cgroup files is refused:
/// usage still arrives (through the stats API) and the endpoints panel says why.
#[test]
fn a_remote_that_only_allows_dial_stdio_is_sampled_through_the_stats_api_and_says_so() {
    let _alone = alone();
    let tc = TestContainers::new();
    let id = tc.run("dialonly", &[], &[]);
    let name = docker(&["inspect", "-f", "{{.Name}}", &id]);
    let name = name.trim_start_matches('/');
    let dirs = WhDirs::new();
    let (config, marker) = dial_only_ssh_config(dirs.root());
    let t = dirs.tmux_env(
        &["-H", &ssh_host()],
        &[("WHEELHOUSE_SSH_CONFIG", &config)],
        200,
        40,
    );
    t.expect_text(name, START);
    // Its memory figure: sampled all the same.
    t.wait_for(
        |s| {
            s.lines()
                .find(|l| l.contains(name))
                .is_some_and(|l| l.contains("/∞"))
        },
        Duration::from_secs(20),
    )
    .unwrap_or_else(|s| panic!("no usage for {name}:\n{s}"));
    t.send_keys(&["E"]);
    t.wait_for(
        |s| {
            s.contains("SAMPLING")
                && s.contains("stats API (batched read refused (a forced command?)")
        },
        Duration::from_secs(10),
    )
    .unwrap_or_else(|s| panic!("the endpoint does not say why:\n{s}"));
    t.quit_cleanly();
    kill_processes_with(&marker);
}

/// The documented bound on an ssh:// endpoint's processes with the console attached and idle:
/// the master, the batched read of cgroup files, and, where the remote does not allow the
/// engine's socket to be forwarded, one dial-stdio child per connection (the event stream's,
/// and pooled ones, which close a few seconds after their last use). On the remote, one
/// `dial-stdio` per such connection and one shell for the batched read. The first listing's
/// inspects may open up to `ANSWERS_IN_FLIGHT` connections for a moment.
const SSH_PROCESSES_IDLE: usize = 5;
const SSH_PROCESSES_BURST: usize = 3 + wheelhouse::engine::transport::ANSWERS_IN_FLIGHT;
/// When the first listing's burst is over and its connections have closed.
const SETTLED_AFTER: Duration = Duration::from_secs(15);

#[test]
fn an_idle_console_over_ssh_for_60_s_keeps_within_the_documented_processes() {
    let _alone = alone();
    let tc = TestContainers::new();
    for i in 0..5 {
        tc.run(&format!("idle{i}"), &[], &[]);
    }
    let dirs = WhDirs::new();
    let (config, marker) = own_ssh_config(dirs.root());
    let t = dirs.tmux_env(
        &["-H", &ssh_host()],
        &[("WHEELHOUSE_SSH_CONFIG", &config)],
        200,
        40,
    );
    t.expect_text(" wheelhouse ", START);
    t.send_keys(&["E"]);
    t.wait_for(
        |s| s.contains("cgroup files over ssh"),
        Duration::from_secs(20),
    )
    .unwrap_or_else(|s| panic!("the endpoint is not read through its files:\n{s}"));
    t.send_keys(&["Escape"]);
    let (mut most_local, mut most_remote) = (0, 0);
    let (mut settled_local, mut settled_remote) = (0, 0);
    let mut settled_dial_stdio = 0;
    let begun = Instant::now();
    while begun.elapsed() < Duration::from_secs(60) {
        let local = processes_with(&marker).len();
        // The remote is this machine: its side of each connection is a dial-stdio under an
        // sshd session, and the batched read's shell.
        let dial_stdio = processes_with("docker system dial-stdio")
            .into_iter()
            .filter(|(_, args, _)| !args.starts_with("ssh ") && !args.contains("sshd"))
            .count();
        let remote = dial_stdio
            + processes_with("wheelhouse-files 1")
                .into_iter()
                .filter(|(_, args, _)| args.starts_with("sh -c"))
                .count();
        most_local = most_local.max(local);
        most_remote = most_remote.max(remote);
        if begun.elapsed() > SETTLED_AFTER {
            settled_local = settled_local.max(local);
            settled_remote = settled_remote.max(remote);
            settled_dial_stdio = settled_dial_stdio.max(dial_stdio);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!(
        "ssh processes here: at most {most_local}, {settled_local} once settled; on the \
         remote: at most {most_remote}, {settled_remote} once settled"
    );
    for (what, n, bound) in [
        ("local ssh processes", most_local, SSH_PROCESSES_BURST),
        ("remote processes", most_remote, SSH_PROCESSES_BURST),
        (
            "local ssh processes once settled",
            settled_local,
            SSH_PROCESSES_IDLE,
        ),
        (
            "remote processes once settled",
            settled_remote,
            SSH_PROCESSES_IDLE,
        ),
    ] {
        assert!(n <= bound, "{n} {what} (bound {bound})");
    }
    assert!(
        settled_local > 0,
        "the console does reach the engine over ssh"
    );
    // The test sshd allows stream-local forwarding: the first connection sets it up, and every
    // connection, the first included, goes through the forwarded engine socket.
    assert!(
        settled_dial_stdio == 0,
        "{settled_dial_stdio} dial-stdio processes once settled, with the engine's socket \
         forwarded"
    );
    // The endpoints panel counts the channels open through the master: the event stream, the
    // batched read, and the pooled connections still open.
    t.send_keys(&["E"]);
    let screen = t
        .wait_for(
            |s| s.contains(" ssh channels, forwarded"),
            Duration::from_secs(10),
        )
        .unwrap_or_else(|s| panic!("no channel count:\n{s}"));
    let open: usize = screen
        .split(" ssh channels")
        .next()
        .and_then(|before| before.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count before \"ssh channels\":\n{screen}"));
    assert!(
        (2..=SSH_PROCESSES_IDLE).contains(&open),
        "{open} channels: the events, the batched read, and within the bound in all"
    );
    t.quit_cleanly();
    kill_processes_with(&marker);
}
