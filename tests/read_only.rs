//! Read-only mode proven at the wire: the executor talks to the engine through a recording
//! proxy, and in read-only mode no mutating request reaches it while every refusal is audited.

mod support;

use std::time::Duration;

use support::bin::WhDirs;
use support::proxy::RecordingProxy;
use support::*;
use wheelhouse::engine::endpoint::Endpoint;
use wheelhouse::engine::handle::EngineHandle;
use wheelhouse::ops::audit::{AuditLog, Operator};
use wheelhouse::ops::{
    no_cancel, Approval, Engines, Gate, Operation, Origin, Plan, PlanId, Step, Target,
};

fn every_mutation() -> Vec<Operation> {
    vec![
        Operation::Start,
        Operation::Stop,
        Operation::Restart,
        Operation::Pause,
        Operation::Unpause,
        Operation::Kill {
            signal: "SIGKILL".into(),
        },
        Operation::Remove {
            volumes: true,
            force: true,
        },
    ]
}

fn state(id: &str) -> String {
    docker(&["inspect", "-f", "{{.State.Status}}", id])
}

struct Setup {
    proxy: RecordingProxy,
    tc: TestContainers,
    dirs: WhDirs,
    engines: Engines,
    targets: Vec<Target>,
}

fn setup() -> Setup {
    let tc = TestContainers::new();
    let ids = [tc.run("ro-a", &[], &[]), tc.run("ro-b", &[], &[])];
    let dirs = WhDirs::new();
    let sock = dirs.root().join("engine.sock");
    let proxy = RecordingProxy::start(&sock);
    let targets = ids
        .iter()
        .zip(["ro-a", "ro-b"])
        .map(|(id, suffix)| Target::Container {
            endpoint: "default".into(),
            id: id.clone(),
            name: tc.name(suffix),
        })
        .collect();
    let endpoint = Endpoint {
        name: "default".into(),
        host: format!("unix://{}", sock.display()),
        tls: None,
    };
    let engines = [("default".to_string(), EngineHandle::new(endpoint))].into();
    Setup {
        tc,
        engines,
        dirs,
        proxy,
        targets,
    }
}

fn plan(targets: &[Target], op: Operation, origin: Origin) -> Plan {
    Plan {
        id: PlanId::next(0),
        title: format!("{} {} containers", op.verb(), targets.len()),
        origin,
        steps: targets
            .iter()
            .map(|t| Step::new(t.clone(), op.clone()))
            .collect(),
        on_failure: Default::default(),
        scope: Default::default(),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn gate(read_only: bool, log: std::path::PathBuf) -> Gate {
    Gate::new(read_only, AuditLog::new(log), Operator::current())
}

#[test]
fn read_only_gate_sends_no_mutation_and_audits_every_refusal() {
    let s = setup();
    let gate = gate(true, s.dirs.audit_log());
    let rt = runtime();
    for op in every_mutation() {
        let report = rt.block_on(gate.run(
            plan(&s.targets, op.clone(), Origin::Keystroke),
            Approval::Operator,
            &s.engines,
            no_cancel(),
            |_| async {},
        ));
        assert_eq!(report.results.len(), s.targets.len());
        for r in &report.results {
            let err = r.clone().unwrap().expect_err("read-only must refuse");
            assert!(err.message.contains("read-only"), "{}: {err}", op.verb());
        }
    }
    for t in &s.targets {
        let key = t.container_key().unwrap();
        assert_eq!(state(&key.id), "running", "{} changed", t.label());
    }
    let mutating = s.proxy.mutating_requests();
    assert!(mutating.is_empty(), "reached the engine: {mutating:?}");

    let records = s.dirs.audit_records();
    assert_eq!(records.len(), every_mutation().len() * s.targets.len());
    for op in every_mutation() {
        for t in &s.targets {
            let key = t.container_key().unwrap();
            let n = records
                .iter()
                .filter(|r| {
                    r["action"] == op.verb()
                        && r["container_id"] == key.id.as_str()
                        && r["container_name"] == t.label()
                        && r["endpoint"] == "default"
                        && r["phase"] == "outcome"
                        && r["result"] == "refused"
                })
                .count();
            assert_eq!(n, 1, "{} of {}: {records:#?}", op.verb(), t.label());
        }
    }
}

#[test]
fn the_proxy_sees_mutations_when_not_read_only_each_between_its_intent_and_outcome() {
    let s = setup();
    let gate = gate(false, s.dirs.audit_log());
    let rt = runtime();
    let target = s.targets[0].clone();
    let id = target.container_key().unwrap().id;
    let run = |op: Operation| {
        let report = rt.block_on(gate.run(
            plan(std::slice::from_ref(&target), op, Origin::Palette),
            Approval::Operator,
            &s.engines,
            no_cancel(),
            |_| async {},
        ));
        assert!(report.succeeded(), "{report:?}");
    };
    run(Operation::Pause);
    assert_eq!(state(&id), "paused");
    run(Operation::Unpause);
    poll(Duration::from_secs(5), || match state(&id).as_str() {
        "running" => Ok(()),
        s => Err(s.to_string()),
    })
    .unwrap();

    let mutating = s.proxy.mutating_requests();
    let pause = format!("/containers/{id}/pause");
    let unpause = format!("/containers/{id}/unpause");
    assert!(
        mutating
            .iter()
            .any(|r| r.starts_with("POST ") && r.ends_with(&pause)),
        "{mutating:?}"
    );
    assert!(
        mutating
            .iter()
            .any(|r| r.starts_with("POST ") && r.ends_with(&unpause)),
        "{mutating:?}"
    );
    assert_eq!(mutating.len(), 2, "{mutating:?}");

    let records = s.dirs.audit_records();
    let lines: Vec<(&str, &str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap(),
                r["phase"].as_str().unwrap(),
                r["result"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("pause", "intent", "-"),
            ("pause", "outcome", "ok"),
            ("unpause", "intent", "-"),
            ("unpause", "outcome", "ok")
        ]
    );
    assert!(records.iter().all(|r| r["origin"] == "palette"));
}

#[test]
fn no_change_reaches_the_engine_when_its_intent_cannot_be_recorded() {
    let s = setup();
    // The data directory is a file: the audit log cannot be created under it.
    let blocker = s.dirs.root().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let gate = gate(false, blocker.join("audit.jsonl"));
    let err = gate.audit().check_writable().unwrap_err();
    assert!(err.contains("not-a-dir"), "{err}");
    let rt = runtime();
    let report = rt.block_on(gate.run(
        plan(&s.targets, Operation::Stop, Origin::Keystroke),
        Approval::Operator,
        &s.engines,
        no_cancel(),
        |_| async {},
    ));
    assert!(report.refused(), "{report:?}");
    let (index, e) = report.failure().unwrap();
    assert_eq!(index, 0);
    assert!(
        e.message
            .contains("no change is made without its audit record"),
        "{e}"
    );
    assert_eq!(
        report.results[1], None,
        "the plan stops at the first refusal"
    );
    for t in &s.targets {
        assert_eq!(state(&t.container_key().unwrap().id), "running");
    }
    let mutating = s.proxy.mutating_requests();
    assert!(mutating.is_empty(), "reached the engine: {mutating:?}");
}

#[test]
fn the_intent_is_on_disk_while_the_engine_works_and_abandoning_records_the_ending() {
    let s = setup();
    // httpd as pid 1 ignores SIGTERM: a stop takes the whole grace period.
    let slow = s.tc.run("ro-slow", &["--stop-timeout", "4"], HTTPD_CMD);
    let target = Target::Container {
        endpoint: "default".into(),
        id: slow.clone(),
        name: s.tc.name("ro-slow"),
    };
    let gate = gate(false, s.dirs.audit_log());
    let rt = runtime();
    let running = {
        let (gate, engines) = (gate.clone(), s.engines.clone());
        let plan = plan(&[target], Operation::Stop, Origin::Keystroke);
        rt.spawn(async move {
            gate.run(plan, Approval::Operator, &engines, no_cancel(), |_| async {
            })
            .await
        })
    };
    poll(Duration::from_secs(5), || {
        if s.proxy.mutating_requests().is_empty() {
            Err("the stop has not reached the engine yet".into())
        } else {
            Ok(())
        }
    })
    .unwrap();
    let records = s.dirs.audit_records();
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["phase"], "intent");
    assert_eq!(gate.in_flight(), 1);
    // The console goes before the engine answers.
    assert_eq!(gate.abandon_in_flight(), 1);
    let records = s.dirs.audit_records();
    assert_eq!(records[1]["result"], "abandoned", "{records:#?}");
    assert_eq!(records[1]["plan"], records[0]["plan"]);
    // The engine finishes the stop anyway.
    let report = rt.block_on(running).unwrap();
    assert!(report.succeeded(), "{report:?}");
    assert_eq!(state(&slow), "exited");
}
