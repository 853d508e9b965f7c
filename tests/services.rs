//! Service operations against projects the real Compose brought up (v1 and v2): scale in the
//! console and headless, after which Compose lists what wheelhouse made, a later `up -d` keeps
//! it and the service's name resolves to every replica; limits changed live; rollouts between
//! two tags of the test image, one of which fails its health check and is rolled back; restart
//! of the unhealthy replica; read-only proven at the wire; the same through a tcp+TLS context on
//! the second engine. (Over ssh, where processes are counted: `ssh_processes.rs`.)

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use support::bin::WhDirs;
use support::compose::{Compose, ComposeProject};
use support::proxy::RecordingProxy;
use support::services::*;
use support::*;

/// What Compose does with the project's `web` at `n` replicas: it must neither create nor
/// recreate anything wheelhouse made (Compose 1 without `--scale` would go back to the file's
/// count, as it does for replicas it made itself).
fn compose_keeps(p: &ComposeProject, n: usize) {
    let before = ids(p, &p.running("web"));
    let scale = format!("web={n}");
    let out = p
        .run(&["up", "-d", "--scale", &scale])
        .unwrap_or_else(|e| panic!("{e}"));
    for word in ["Recreat", "Creating", "Created", "Starting"] {
        assert!(
            !out.contains(word),
            "Compose changed the service ({word}):\n{out}"
        );
    }
    assert_eq!(
        ids(p, &p.running("web")),
        before,
        "up -d replaced replicas:\n{out}"
    );
}

/// The client resolves `web` to exactly the replicas' addresses on the default network, and
/// every replica is on `back` under the alias `web` as well.
fn resolves_to_every_replica(p: &ComposeProject) {
    let client = p.running("client");
    let client = client.first().expect("the client runs");
    let replicas = p.running("web");
    let mut want: Vec<String> = replicas.iter().map(|r| p.address(r, "default")).collect();
    want.sort();
    // The embedded DNS learns a new container at once; allow it a moment all the same.
    let got = poll(Duration::from_secs(10), || {
        let got = p.resolve(client, "web");
        if got == want {
            Ok(got)
        } else {
            Err(format!("{got:?} (want {want:?})"))
        }
    });
    assert!(got.is_ok(), "web resolves to every replica: {got:?}");
    for r in &replicas {
        let back = format!("{}_back", p.name);
        let aliases = inspect(
            p,
            &format!("{{{{json (index .NetworkSettings.Networks \"{back}\").Aliases}}}}"),
            r,
        );
        assert!(aliases.contains("\"web\""), "{r} on back: {aliases}");
    }
}

/// The table row for `name` (names may be cut short: match the start).
fn row_with<'a>(screen: &'a str, needle: &str) -> Vec<&'a str> {
    screen.lines().filter(|l| l.contains(needle)).collect()
}

/// Audit outcome lines of the plan with `title` words, as (action, container, result).
fn outcomes(dirs: &WhDirs) -> Vec<(String, String, String)> {
    dirs.audit_records()
        .iter()
        .filter(|r| r["phase"] == "outcome")
        .map(|r| {
            (
                r["action"].as_str().unwrap_or("").to_string(),
                r["container_name"].as_str().unwrap_or("").to_string(),
                r["result"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

// ---- scale -----------------------------------------------------------------------------

#[test]
fn compose_v1_web_scaled_from_2_to_4_in_the_console_and_to_1_headless() {
    let p = up(Compose::V1);
    let dirs = WhDirs::new();
    let t = console_on_web(&dirs, &[], &p);
    t.send_keys(&["="]);
    t.expect_text(&format!("Scale {} on default", p.service("web")), START);
    t.send_keys(&["C-u", "4", "Enter"]);
    let dialog = t.expect_text("Confirm scale", Duration::from_secs(5));
    for n in [3, 4] {
        assert!(
            dialog.contains(&p.replica_name("web", n)),
            "the plan names replica {n}:\n{dialog}"
        );
    }
    // Cancel has the focus: Tab to the plan's own verb.
    assert!(
        dialog.contains("Cancel") && dialog.contains("Scale"),
        "{dialog}"
    );
    t.send_keys(&["Tab", "Enter"]);
    wait_healthy(&p, 4);
    t.wait_for(|s| s.contains("4/4"), START)
        .unwrap_or_else(|s| panic!("the tree never counted 4 of 4:\n{s}"));
    t.quit_cleanly();

    let want: Vec<String> = (1..=4).map(|n| p.replica_name("web", n)).collect();
    assert_eq!(
        p.compose_ps("web"),
        want,
        "docker-compose ps lists what wheelhouse made"
    );
    for n in [3, 4] {
        let labels = inspect(&p, "{{json .Config.Labels}}", &p.replica_name("web", n));
        let labels: serde_json::Value = serde_json::from_str(&labels).unwrap();
        assert_eq!(labels["com.docker.compose.container-number"], n.to_string());
        assert_eq!(labels["com.docker.compose.oneoff"], "False");
        for key in [
            "com.docker.compose.config-hash",
            "com.docker.compose.version",
        ] {
            assert!(labels[key].is_string(), "{key} copied: {labels}");
        }
    }
    resolves_to_every_replica(&p);
    compose_keeps(&p, 4);

    let out = expect_exit(&dirs, &["scale", &p.service("web"), "1", "--yes"], 0);
    assert!(out.contains("done: scale"), "{out}");
    assert_eq!(p.compose_ps("web"), vec![p.replica_name("web", 1)], "{out}");
    assert_eq!(p.running("web"), vec![p.replica_name("web", 1)]);
    compose_keeps(&p, 1);

    // Every step of both plans is in the audit log, the console's from a keystroke.
    let records = dirs.audit_records();
    let origins: BTreeSet<&str> = records
        .iter()
        .filter_map(|r| r["origin"].as_str())
        .collect();
    assert_eq!(origins, ["command_line", "keystroke"].into());
    let scope = &records[0]["scope"];
    assert_eq!(scope["kind"], "compose_service");
    assert_eq!(scope["project"], p.name.as_str());
    assert_eq!(scope["service"], "web");
    let removed: Vec<String> = outcomes(&dirs)
        .into_iter()
        .filter(|(a, _, r)| a == "remove" && r == "ok")
        .map(|(_, c, _)| c)
        .collect();
    // The highest numbers go first.
    assert_eq!(
        removed,
        [4, 3, 2].map(|n| p.replica_name("web", n)).to_vec(),
        "{records:#?}"
    );
}

#[test]
fn compose_v2_web_scaled_up_and_down_headless_as_compose_2_names_them() {
    let p = up(Compose::V2);
    let dirs = WhDirs::new();
    let svc = p.service("web");

    let plan = expect_exit(&dirs, &["scale", &svc, "4", "--dry-run"], 0);
    assert!(plan.contains(&p.replica_name("web", 3)), "{plan}");
    assert_eq!(p.running("web").len(), 2, "a dry run changes nothing");
    assert!(dirs.audit_records().is_empty());

    let out = wheelhouse(&dirs, &["scale", &svc, "4", "--yes", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["result"], "done");
    assert!(doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["result"] == "ok"));
    wait_healthy(&p, 4);
    let want: Vec<String> = (1..=4).map(|n| p.replica_name("web", n)).collect();
    assert_eq!(p.compose_ps("web"), want, "docker compose ps lists them");
    resolves_to_every_replica(&p);
    compose_keeps(&p, 4);

    expect_exit(&dirs, &["scale", &svc, "1", "-y"], 0);
    assert_eq!(p.compose_ps("web"), vec![p.replica_name("web", 1)]);
    compose_keeps(&p, 1);
    // Scaling to the count it has is nothing to do.
    let same = expect_exit(&dirs, &["scale", &svc, "1", "-y"], 0);
    assert!(same.contains("nothing to do"), "{same}");
}

#[test]
fn scale_bad_input_names_the_service_and_changes_nothing() {
    let p = up(Compose::V2);
    let dirs = WhDirs::new();
    let before = ids(&p, &p.running("web"));
    let typo = format!("{}/wbe", p.name);
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![typo.clone(), "3".into()], "web"),
        (vec![p.service("web"), "51".into()], "max_replicas"),
        (vec![p.service("web"), "-1".into()], "-1"),
        (vec!["nosuch/thing".into(), "2".into()], "nosuch/thing"),
    ];
    for (args, needle) in &cases {
        let mut argv = vec!["scale"];
        argv.extend(args.iter().map(String::as_str));
        argv.push("--yes");
        let out = wheelhouse(&dirs, &argv);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{argv:?}:\n{t}");
        assert!(t.contains(needle), "{argv:?} mentions {needle:?}:\n{t}");
    }
    assert_eq!(ids(&p, &p.running("web")), before);
    assert!(
        dirs.audit_records().is_empty(),
        "bad input never reaches the gate"
    );
}

#[test]
fn two_scales_of_one_service_at_once_end_with_the_count_asked_and_nothing_half_made() {
    let p = up(Compose::V2);
    let a = WhDirs::new();
    let b = WhDirs::new();
    let svc = p.service("web");
    // Started together, both plan replicas 3 and 4: the engine lets only one create each name.
    let mut first = a.command(&["scale", &svc, "4", "--yes"]);
    let mut second = b.command(&["scale", &svc, "4", "--yes"]);
    let one = std::thread::spawn(move || output_with_timeout(&mut first, CHANGE).unwrap());
    let two = output_with_timeout(&mut second, CHANGE).unwrap();
    let one = one.join().unwrap();
    let codes = (one.status.code(), two.status.code());
    for out in [&one, &two] {
        match out.status.code() {
            Some(0) => {}
            Some(1) => {
                let t = text(out);
                assert!(
                    t.contains("meanwhile"),
                    "a conflict says what happened:\n{t}"
                );
                assert!(
                    t.contains("nothing had been changed") || t.contains("was undone"),
                    "says what became of the rest:\n{t}"
                );
            }
            other => panic!("exit {other:?}:\n{}", text(out)),
        }
    }
    assert!(
        codes.0 == Some(0) || codes.1 == Some(0),
        "one of them scaled"
    );
    wait_healthy(&p, 4);
    let want: Vec<String> = (1..=4).map(|n| p.replica_name("web", n)).collect();
    assert_eq!(p.compose_ps("web"), want);
    let all: Vec<String> = p.containers().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        all.len(),
        5,
        "web 1-4 and the client, nothing else: {all:?}"
    );
}

#[test]
fn an_engine_that_dies_mid_plan_leaves_its_progress_in_the_audit_log_and_says_which_steps_ran() {
    let p = up(Compose::V2);
    let dirs = WhDirs::new();
    let sock = dirs.root().join("engine.sock");
    // The engine goes after two changes: replica 3 is made, and the plan meets its death.
    let proxy = RecordingProxy::dying_after(&sock, 2);
    let host = format!("unix://{}", sock.display());
    let out = wheelhouse(
        &dirs,
        &[
            "-H",
            &host,
            "scale",
            &p.service("web"),
            "4",
            "--yes",
            "--json",
        ],
    );
    assert!(proxy.dead(), "the plan got as far as the engine's death");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("could not be undone"),
        "says the rollback failed too:\n{t}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let results: Vec<&str> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["result"].as_str().unwrap())
        .collect();
    // Where it died depends on which request the engine went with; the shape does not.
    let failed = results
        .iter()
        .position(|r| *r != "ok")
        .unwrap_or_else(|| panic!("a step failed: {doc:#}"));
    assert!(failed >= 1, "replica 3 was made first: {doc:#}");
    assert!(
        results[failed].contains(&host),
        "names the endpoint: {doc:#}"
    );
    assert!(
        results[failed + 1..].iter().all(|r| *r == "not run"),
        "{doc:#}"
    );
    let undone: Vec<u64> = doc["rolled_back"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["step"].as_u64().unwrap())
        .collect();
    assert!(
        !undone.is_empty() && undone.windows(2).all(|w| w[0] > w[1]),
        "newest first: {doc:#}"
    );
    assert!(
        doc["rolled_back"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["result"] != "ok"),
        "the engine is gone: no undo can have worked: {doc:#}"
    );
    // The audit log reads back step by step: what ran, what failed, what could not be undone.
    let lines: Vec<(u64, String, String, bool)> = dirs
        .audit_records()
        .iter()
        .map(|r| {
            (
                r["step"].as_u64().unwrap(),
                r["phase"].as_str().unwrap().to_string(),
                r["result"].as_str().unwrap_or("-").to_string(),
                r["undoes"].is_u64(),
            )
        })
        .collect();
    let line = |step: usize, phase: &str, result: &str, undo: bool| {
        (step as u64, phase.to_string(), result.to_string(), undo)
    };
    let mut want = Vec::new();
    for step in 1..=failed {
        want.push(line(step, "intent", "-", false));
        want.push(line(step, "outcome", "ok", false));
    }
    want.push(line(failed + 1, "intent", "-", false));
    want.push(line(failed + 1, "outcome", "error", false));
    for step in &undone {
        want.push(line(*step as usize, "intent", "-", true));
        want.push(line(*step as usize, "outcome", "error", true));
    }
    assert_eq!(lines, want);
    // Replica 3 was made before the engine went: it is there for the operator to see.
    assert!(p
        .containers()
        .iter()
        .any(|(n, _)| *n == p.replica_name("web", 3)));
}

// ---- limits ----------------------------------------------------------------------------

#[test]
fn limits_change_live_in_the_console_and_headless_and_docker_inspect_agrees() {
    let p = up(Compose::V2);
    let dirs = WhDirs::new();
    let replicas = p.running("web");
    let before = ids(&p, &replicas);

    // The console: C on the service row, memory 64m for both replicas.
    let t = console_on_web(&dirs, &[], &p);
    t.send_keys(&["C"]);
    t.expect_text("memory reservation", START);
    t.send_keys(&["Tab", "C-u"]);
    t.send_literal("64m");
    t.send_keys(&["Enter"]);
    let dialog = t.expect_text("Confirm", Duration::from_secs(5));
    assert!(dialog.contains("64"), "{dialog}");
    t.send_keys(&["Tab", "Enter"]);
    // Both replica rows show the new limit without waiting for a refresh.
    t.wait_for(|s| row_with(s, "/64M").len() == 2, Duration::from_secs(10))
        .unwrap_or_else(|s| panic!("the table never showed the new limit:\n{s}"));
    t.quit_cleanly();
    for r in &replicas {
        let got = inspect(&p, "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}", r);
        assert_eq!(got, "67108864 134217728", "{r}: memory and swap in step");
    }

    // Headless: cpus, reservation and pids of the service, then memory of one container.
    expect_exit(
        &dirs,
        &[
            "limits",
            &p.service("web"),
            "--cpus",
            "0.5",
            "--memory-reservation",
            "32m",
            "--pids",
            "100",
            "--yes",
        ],
        0,
    );
    for r in &replicas {
        let got = inspect(
            &p,
            "{{.HostConfig.NanoCpus}} {{.HostConfig.MemoryReservation}} {{.HostConfig.PidsLimit}}",
            r,
        );
        assert_eq!(got, "500000000 33554432 100", "{r}");
    }
    expect_exit(
        &dirs,
        &["limits", &replicas[0], "--memory", "128m", "--yes"],
        0,
    );
    let got = docker(&["inspect", "-f", "{{.HostConfig.Memory}}", &replicas[0]]);
    assert_eq!(got, "134217728");
    let other = docker(&["inspect", "-f", "{{.HostConfig.Memory}}", &replicas[1]]);
    assert_eq!(other, "67108864", "only the named container changed");

    // Below what it uses, and a bad unit: refused, naming the container or the field.
    let low = expect_exit(
        &dirs,
        &["limits", &replicas[0], "--memory", "8k", "--yes"],
        2,
    );
    assert!(low.contains("below what it uses"), "{low}");
    assert!(low.contains(&replicas[0]), "names the container: {low}");
    let unit = wheelhouse(&dirs, &["limits", &replicas[0], "--memory", "12parsecs"]);
    assert_eq!(unit.status.code(), Some(2), "{}", text(&unit));
    assert!(text(&unit).contains("--memory"), "{}", text(&unit));
    let got = docker(&["inspect", "-f", "{{.HostConfig.Memory}}", &replicas[0]]);
    assert_eq!(got, "134217728", "nothing changed");
    assert_eq!(ids(&p, &p.running("web")), before, "limits never recreate");
}

// ---- rollouts --------------------------------------------------------------------------

fn images(p: &ComposeProject) -> Vec<(String, String)> {
    p.containers()
        .into_iter()
        .filter(|(n, _)| n.contains("web"))
        .collect()
}

/// The page the service serves now, fetched by the client through the service name.
fn page(p: &ComposeProject) -> String {
    let client = p.running("client");
    try_docker(&[
        "exec",
        &client[0],
        "wget",
        "-q",
        "-O",
        "-",
        "http://web:8080/",
    ])
    .unwrap_or_else(|e| e)
}

#[test]
fn rollout_to_a_new_tag_then_a_failing_tag_rolls_every_replica_back() {
    let p = up(Compose::V1);
    let dirs = WhDirs::new();
    let svc = p.service("web");
    let base = test_image();
    let repo = base.rsplit_once(':').map(|(r, _)| r).unwrap_or(&base);
    let (v2, broken) = (format!("{repo}:v2"), format!("{repo}:broken"));
    for tag in [&v2, &broken] {
        try_docker(&["image", "inspect", "-f", "{{.Id}}", tag])
            .unwrap_or_else(|e| panic!("{tag} is missing (scripts/test builds it): {e}"));
    }
    let names: Vec<String> = (1..=2).map(|n| p.replica_name("web", n)).collect();

    // An image the engine does not have: said before any container is touched.
    let before = ids(&p, &names);
    let missing = expect_exit(
        &dirs,
        &["rollout", &svc, "--image", "wheelhouse-test:nope", "--yes"],
        1,
    );
    assert!(missing.contains("not on default"), "{missing}");
    assert_eq!(ids(&p, &names), before);

    let out = expect_exit(
        &dirs,
        &[
            "rollout",
            &svc,
            "--image",
            &v2,
            "--health-timeout",
            "60",
            "--yes",
        ],
        0,
    );
    assert!(out.contains("done: replace"), "{out}");
    let want: Vec<(String, String)> = names.iter().map(|n| (n.clone(), v2.clone())).collect();
    assert_eq!(images(&p), want, "all on {v2}, no staging or retired left");
    assert!(
        page(&p).contains("v2"),
        "the service serves v2: {}",
        page(&p)
    );
    assert_eq!(p.compose_ps("web"), names);
    assert!(
        ids(&p, &names).iter().all(|id| !before.contains(id)),
        "replaced"
    );

    let on_v2 = ids(&p, &names);
    let out = expect_exit(
        &dirs,
        &[
            "rollout",
            &svc,
            "--image",
            &broken,
            "--health-timeout",
            "8",
            "--yes",
        ],
        1,
    );
    assert!(
        out.contains("healthy"),
        "says the health gate failed:\n{out}"
    );
    assert_eq!(
        images(&p),
        want,
        "every replica back on {v2}, nothing left over"
    );
    assert_eq!(ids(&p, &names), on_v2, "the very same containers are back");
    wait_healthy(&p, 2);
    assert!(page(&p).contains("v2"));
    // The rollback is in the audit log, each undo naming the step it undoes.
    let undo = dirs
        .audit_records()
        .into_iter()
        .filter(|r| r["undoes"].is_u64())
        .count();
    assert!(undo > 0, "rollback audited");

    // Afresh on the same image, for a service without a health check: each new replica must
    // keep running for the settle time.
    let client = p.running("client");
    let old_client = ids(&p, &client);
    let started = Instant::now();
    let out = expect_exit(
        &dirs,
        &["rollout", &p.service("client"), "--settle", "3", "--yes"],
        0,
    );
    assert!(out.contains("afresh"), "{out}");
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "it waited to settle"
    );
    assert_eq!(p.running("client"), client, "same name");
    assert_ne!(ids(&p, &client), old_client, "a new container");
}

#[test]
fn restart_unhealthy_restarts_only_the_sick_replica_until_it_is_healthy() {
    let p = up(Compose::V2);
    let dirs = WhDirs::new();
    let names = p.running("web");
    let sick = &names[0];
    docker(&["exec", sick, "rm", "/tmp/ok"]);
    poll(START, || {
        match inspect(&p, "{{.State.Health.Status}}", sick).as_str() {
            "unhealthy" => Ok(()),
            s => Err(s.to_string()),
        }
    })
    .unwrap();
    let started = |n: &str| inspect(&p, "{{.State.StartedAt}}", n);
    let well_started = started(&names[1]);
    let out = expect_exit(&dirs, &["restart-unhealthy", &p.service("web"), "--yes"], 0);
    assert!(out.contains(sick.as_str()), "{out}");
    assert!(
        !out.contains(names[1].as_str()),
        "the healthy one is left alone: {out}"
    );
    wait_healthy(&p, 2);
    assert_eq!(started(&names[1]), well_started);
    let restarted: Vec<(String, String, String)> = outcomes(&dirs)
        .into_iter()
        .filter(|(a, _, _)| a == "restart")
        .collect();
    assert_eq!(
        restarted,
        vec![("restart".into(), sick.clone(), "ok".into())]
    );
    let again = expect_exit(&dirs, &["restart-unhealthy", &p.service("web"), "-y"], 0);
    assert!(again.contains("nothing to do"), "{again}");
}

// ---- read-only -------------------------------------------------------------------------

#[test]
fn read_only_sends_no_mutating_request_for_any_service_change_headless_or_in_the_console() {
    let p = up(Compose::V2);
    let names = p.running("web");
    // One sick replica, so that restart-unhealthy has something to refuse.
    docker(&["exec", &names[0], "rm", "/tmp/ok"]);
    poll(START, || {
        match docker(&["inspect", "-f", "{{.State.Health.Status}}", &names[0]]).as_str() {
            "unhealthy" => Ok(()),
            s => Err(s.to_string()),
        }
    })
    .unwrap();
    let dirs = WhDirs::new();
    let sock = dirs.root().join("engine.sock");
    let proxy = RecordingProxy::start(&sock);
    let host = format!("unix://{}", sock.display());
    let svc = p.service("web");
    let base = test_image();
    let commands: Vec<Vec<&str>> = vec![
        vec!["scale", &svc, "3"],
        vec!["scale", &svc, "1"],
        vec!["limits", &svc, "--cpus", "0.5", "--memory", "64m"],
        vec!["rollout", &svc, "--image", &base],
        vec!["restart-unhealthy", &svc],
    ];
    for c in &commands {
        let mut argv = vec!["-H", host.as_str(), "--read-only"];
        argv.extend(c);
        argv.push("--yes");
        let out = expect_exit(&dirs, &argv, 4);
        assert!(out.contains("read-only"), "{out}");
    }
    let refused = dirs
        .audit_records()
        .into_iter()
        .filter(|r| r["result"] == "refused")
        .count();
    assert!(refused >= commands.len(), "each refusal audited");

    // The console: + on the service row is refused without a dialog.
    let t = console_on_web(&dirs, &["-H", &host, "--read-only"], &p);
    t.send_keys(&["+"]);
    t.expect_text("read-only", Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(500));
    assert!(!t.capture().contains("Confirm"), "{}", t.capture());
    t.quit_cleanly();

    let mutating = proxy.mutating_requests();
    assert!(mutating.is_empty(), "reached the engine: {mutating:#?}");
    assert!(
        proxy.requests().len() > commands.len(),
        "the commands did talk to the engine through the proxy"
    );
    assert_eq!(
        ids(&p, &p.running("web")),
        ids(&p, &names),
        "nothing changed"
    );
    let memory = docker(&["inspect", "-f", "{{.HostConfig.Memory}}", &names[1]]);
    assert_eq!(memory, "0");
}

// ---- tcp + TLS -------------------------------------------------------------------------

#[test]
fn scale_and_limits_through_a_verified_tls_context_on_the_second_engine() {
    let p = ComposeProject::up_on(Compose::V2, Some(&engine2_sock()), PROJECT);
    wait_healthy(&p, 2);
    let dirs = WhDirs::new();
    // A context with the test CA, as `docker context create` writes it.
    let config = dirs.root().join("docker-config");
    std::fs::create_dir_all(&config).unwrap();
    let tls = tls_dir();
    let spec = format!(
        "host={},ca={},cert={},key={}",
        tls_addr(),
        tls.join("ca.pem").display(),
        tls.join("cert.pem").display(),
        tls.join("key.pem").display()
    );
    let made = output_with_timeout(
        std::process::Command::new("docker")
            .env("DOCKER_CONFIG", &config)
            .args(["context", "create", "tls2", "--docker", &spec]),
        Duration::from_secs(30),
    )
    .unwrap();
    assert!(made.status.success(), "{}", text(&made));
    let run = |args: &[&str], code: i32| {
        let mut argv = vec!["-c", "tls2"];
        argv.extend_from_slice(args);
        let out = output_with_timeout(
            dirs.command(&argv).env("DOCKER_CONFIG", &config),
            Duration::from_secs(180),
        )
        .unwrap();
        assert_eq!(out.status.code(), Some(code), "{argv:?}:\n{}", text(&out));
    };
    let svc = p.service("web");
    run(&["scale", &svc, "3", "--yes"], 0);
    wait_healthy(&p, 3);
    let want: Vec<String> = (1..=3).map(|n| p.replica_name("web", n)).collect();
    assert_eq!(p.compose_ps("web"), want);
    run(&["limits", &svc, "--cpus", "0.25", "--yes"], 0);
    for r in &want {
        let cpus = inspect(&p, "{{.HostConfig.NanoCpus}}", r);
        assert_eq!(cpus, "250000000", "{r}");
    }
    let records = dirs.audit_records();
    assert!(
        records
            .iter()
            .all(|r| r["host"] == tls_addr().as_str() && r["endpoint"] == "tls2"),
        "{records:#?}"
    );
}

#[test]
fn a_restart_policy_changes_through_the_gate_headless_and_a_wrong_one_is_named() {
    let tc = TestContainers::new();
    let name = tc.name("policy");
    let id = tc.run_named(&name, &[], &[]);
    let dirs = WhDirs::new();
    let policy = || {
        docker(&[
            "inspect",
            "-f",
            "{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}",
            &id,
        ])
    };
    assert_eq!(policy(), "no:0");
    expect_exit(
        &dirs,
        &["limits", &name, "--restart", "on-failure:2", "--yes"],
        0,
    );
    assert_eq!(policy(), "on-failure:2");
    let outcome = dirs
        .audit_records()
        .into_iter()
        .find(|r| r["phase"] == "outcome")
        .expect("audited");
    assert_eq!(outcome["action"], "update_limits", "{outcome}");
    assert_eq!(outcome["limits"]["restart"], "on-failure:2", "{outcome}");
    let said = expect_exit(
        &dirs,
        &["limits", &name, "--restart", "sometimes", "--yes"],
        2,
    );
    assert!(
        said.contains("\"sometimes\"") && said.contains("unless-stopped"),
        "{said}"
    );
    assert_eq!(policy(), "on-failure:2", "nothing changed");
}
