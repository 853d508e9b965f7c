//! Read-only mode proven at the wire: the executor talks to the engine through a recording
//! proxy, and in read-only mode no mutating request reaches it while every refusal is audited.

mod support;

use std::time::Duration;

use support::bin::WhDirs;
use support::proxy::RecordingProxy;
use support::*;
use wheelhouse::app::effect::{Mutation, MutationRequest, Origin, Target};
use wheelhouse::app::model::ContainerKey;
use wheelhouse::engine::audit::AuditLog;
use wheelhouse::engine::endpoint::Endpoint;
use wheelhouse::engine::executor::Executor;

fn every_mutation() -> Vec<Mutation> {
    vec![
        Mutation::Start,
        Mutation::Stop,
        Mutation::Restart,
        Mutation::Pause,
        Mutation::Unpause,
        Mutation::Kill {
            signal: "SIGKILL".into(),
        },
        Mutation::Remove {
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
    _tc: TestContainers,
    dirs: WhDirs,
    executor_endpoint: Endpoint,
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
        .map(|(id, suffix)| Target {
            key: ContainerKey {
                endpoint: "default".into(),
                id: id.clone(),
            },
            name: tc.name(suffix),
        })
        .collect();
    Setup {
        _tc: tc,
        executor_endpoint: Endpoint {
            name: "default".into(),
            host: format!("unix://{}", sock.display()),
            tls: None,
        },
        dirs,
        proxy,
        targets,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn read_only_executor_sends_no_mutation_and_audits_every_refusal() {
    let s = setup();
    let executor = Executor::new(
        true,
        AuditLog::new(s.dirs.audit_log()),
        vec![s.executor_endpoint.clone()],
    );
    let rt = runtime();
    for mutation in every_mutation() {
        let request = MutationRequest {
            targets: s.targets.clone(),
            mutation: mutation.clone(),
            origin: Origin::Keystroke,
        };
        let outcomes = rt.block_on(executor.execute(&request));
        assert_eq!(outcomes.len(), s.targets.len());
        for o in &outcomes {
            let err = o.result.as_ref().expect_err("read-only must refuse");
            assert!(err.contains("read-only"), "{}: {err}", mutation.verb());
        }
    }
    for t in &s.targets {
        assert_eq!(state(&t.key.id), "running", "{} changed", t.name);
    }
    let mutating = s.proxy.mutating_requests();
    assert!(mutating.is_empty(), "reached the engine: {mutating:?}");

    let records = s.dirs.audit_records();
    assert_eq!(records.len(), every_mutation().len() * s.targets.len());
    for mutation in every_mutation() {
        for t in &s.targets {
            let n = records
                .iter()
                .filter(|r| {
                    r["action"] == mutation.verb()
                        && r["container_id"] == t.key.id.as_str()
                        && r["container_name"] == t.name.as_str()
                        && r["endpoint"] == "default"
                        && r["result"] == "refused"
                })
                .count();
            assert_eq!(n, 1, "{} of {}: {records:#?}", mutation.verb(), t.name);
        }
    }
    // The raw lines carry the exact field the brief promises.
    let text = std::fs::read_to_string(s.dirs.audit_log()).unwrap();
    assert_eq!(
        text.matches("\"result\":\"refused\"").count(),
        records.len()
    );
}

#[test]
fn the_proxy_sees_mutations_when_not_read_only() {
    let s = setup();
    let executor = Executor::new(
        false,
        AuditLog::new(s.dirs.audit_log()),
        vec![s.executor_endpoint.clone()],
    );
    let rt = runtime();
    let target = s.targets[0].clone();
    let id = target.key.id.clone();
    let run = |mutation: Mutation| {
        let request = MutationRequest {
            targets: vec![target.clone()],
            mutation,
            origin: Origin::Palette,
        };
        let outcomes = rt.block_on(executor.execute(&request));
        assert_eq!(outcomes.len(), 1);
        outcomes[0].result.clone().unwrap();
    };
    run(Mutation::Pause);
    assert_eq!(state(&id), "paused");
    run(Mutation::Unpause);
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
    let results: Vec<(&str, &str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap(),
                r["result"].as_str().unwrap(),
                r["origin"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        results,
        vec![("pause", "ok", "palette"), ("unpause", "ok", "palette")]
    );
}
