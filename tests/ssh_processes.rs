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
