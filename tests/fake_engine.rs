//! The fake engine (src/fake) against bollard, through wheelhouse's own `Endpoint`, and the
//! `wheelhouse` binary against the fake. These check that the fake speaks the API the console
//! uses; they say nothing about real engines (the real-engine tests do that).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bollard::container::LogOutput;
use bollard::query_parameters::{
    EventsOptionsBuilder, InspectContainerOptions, ListContainersOptionsBuilder,
    LogsOptionsBuilder, StatsOptionsBuilder,
};
use bollard::Docker;
use futures_util::StreamExt;
use wheelhouse::engine::endpoint::Endpoint;
use wheelhouse::engine::handle::EngineHandle;
use wheelhouse::fake::world::RunState;
use wheelhouse::fake::{FakeEngine, FakeOptions, FakeWorld};
use wheelhouse::ops::audit::{AuditLog, Operator};
use wheelhouse::ops::{
    no_cancel, Approval, Engines, Gate, OnFailure, Operation, Origin, Plan, PlanId, Step, Target,
};

struct Fixture {
    _dir: tempfile::TempDir,
    engine: FakeEngine,
    endpoint: Endpoint,
}

/// A fake engine that keeps still (no random changes), so tests decide what happens.
async fn fake(n: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("docker.sock");
    let options = FakeOptions {
        containers: n,
        seed: 7,
        churn_every: None,
        stall_after: None,
    };
    let engine = FakeEngine::start_with(&socket, FakeWorld::new(n, 7), options).unwrap();
    let endpoint = Endpoint {
        name: "fake".into(),
        host: engine.host(),
        tls: None,
    };
    Fixture {
        _dir: dir,
        engine,
        endpoint,
    }
}

fn running_id(world: &FakeWorld, healthcheck: bool) -> String {
    world.with(|w| {
        w.containers()
            .iter()
            .find(|c| c.state == RunState::Running && c.healthcheck.is_some() == healthcheck)
            .map(|c| c.id.clone())
            .expect("a running container")
    })
}

async fn list_all(docker: &Docker) -> Vec<bollard::models::ContainerSummary> {
    let opts = ListContainersOptionsBuilder::default().all(true).build();
    docker.list_containers(Some(opts)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn negotiates_lists_and_inspects() {
    let f = fake(40).await;
    let docker = f.endpoint.connect().await.unwrap();
    assert_eq!(docker.client_version().to_string(), "1.41");
    docker.ping().await.unwrap();
    let version = docker.version().await.unwrap();
    assert_eq!(version.api_version.as_deref(), Some("1.41"));
    let info = docker.info().await.unwrap();
    assert!(info.system_time.is_some() && info.ncpu == Some(8) && info.mem_total.is_some());

    let all = list_all(&docker).await;
    assert_eq!(all.len(), 40);
    let running = docker
        .list_containers(None::<bollard::query_parameters::ListContainersOptions>)
        .await
        .unwrap();
    assert!(
        running.len() < all.len(),
        "the default listing leaves stopped ones out"
    );
    let web = all
        .iter()
        .find(|c| c.labels.as_ref().unwrap()["com.docker.compose.service"] == "web")
        .unwrap();
    assert!(web
        .labels
        .as_ref()
        .unwrap()
        .contains_key("com.docker.compose.project"));
    assert!(web.status.is_some() && web.state.is_some() && web.ports.is_some());

    // Inspect: by id, by name; health, limits, healthcheck, restart count.
    let mut saw_limits = false;
    let mut saw_health = false;
    for s in &all {
        let id = s.id.as_deref().unwrap();
        let i = docker
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
            .unwrap();
        let hc = i.host_config.as_ref().unwrap();
        saw_limits |= hc.memory.unwrap_or(0) > 0
            && (hc.nano_cpus.unwrap_or(0) > 0 || hc.cpu_quota.unwrap_or(0) > 0);
        let config = i.config.as_ref().unwrap();
        if config.healthcheck.is_some() && i.state.as_ref().unwrap().running == Some(true) {
            saw_health |= i.state.as_ref().unwrap().health.is_some();
        }
        assert!(config.labels.is_some() && config.env.is_some());
        assert!(i.restart_count.is_some() && i.name.is_some());
    }
    assert!(saw_limits && saw_health);
    let name = all[0].names.as_ref().unwrap()[0]
        .trim_start_matches('/')
        .to_string();
    let by_name = docker
        .inspect_container(&name, None::<InspectContainerOptions>)
        .await
        .unwrap();
    assert_eq!(by_name.id, all[0].id);

    // Unknown ids: 404 with the engine's message, as the console expects.
    match docker
        .inspect_container("nope", None::<InspectContainerOptions>)
        .await
    {
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code,
            message,
        }) => {
            assert_eq!(status_code, 404);
            assert_eq!(message, "No such container: nope");
        }
        other => panic!("expected 404, got {other:?}"),
    }
    // The console's own listing and details path works end to end.
    let snapshot = wheelhouse::engine::inventory::snapshot(&docker, &f.endpoint)
        .await
        .unwrap();
    assert_eq!(snapshot.len(), 40);
    assert!(snapshot.iter().any(|c| c.project() == Some("shop")));
}

#[tokio::test(flavor = "multi_thread")]
async fn events_replay_since_with_filters_and_never_exec() {
    let f = fake(30).await;
    let docker = f.endpoint.connect().await.unwrap();
    let world = f.engine.world().clone();
    let start = chrono::Utc::now().timestamp() - 1;
    let plain = running_id(&world, false);
    let checked = running_id(&world, true);
    world.with(|w| {
        w.act(&plain, &wheelhouse::fake::world::Action::Stop)
            .unwrap();
        w.act(&plain, &wheelhouse::fake::world::Action::Start)
            .unwrap();
        w.probe_health(&checked, Some("unhealthy")).unwrap();
        w.probe_health(&checked, None).unwrap();
    });
    let mut filters = HashMap::new();
    filters.insert("type", vec!["container"]);
    filters.insert(
        "event",
        wheelhouse::engine::supervisor::WATCHED_EVENTS.to_vec(),
    );
    let since = start.to_string();
    let until = (chrono::Utc::now().timestamp() + 2).to_string();
    let opts = EventsOptionsBuilder::default()
        .since(&since)
        .until(&until)
        .filters(&filters)
        .build();
    let events: Vec<_> = tokio::time::timeout(
        Duration::from_secs(10),
        docker.events(Some(opts)).collect::<Vec<_>>(),
    )
    .await
    .expect("the stream ends at until");
    let actions: Vec<(String, String)> = events
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| (e.actor.unwrap().id.unwrap(), e.action.unwrap()))
        .collect();
    let of = |id: &str| -> Vec<&str> {
        actions
            .iter()
            .filter(|(i, _)| i == id)
            .map(|(_, a)| a.as_str())
            .collect()
    };
    assert_eq!(of(&plain), ["kill", "die", "stop", "start"]);
    assert_eq!(of(&checked), ["health_status: unhealthy"]);
    assert!(
        actions.iter().all(|(_, a)| !a.starts_with("exec_")),
        "{actions:?}"
    );

    // Without filters the probes' exec events are there: the filter is what keeps them out.
    let since = start.to_string();
    let until = (chrono::Utc::now().timestamp() + 1).to_string();
    let opts = EventsOptionsBuilder::default()
        .since(&since)
        .until(&until)
        .build();
    let all: Vec<_> = docker.events(Some(opts)).collect().await;
    assert!(all.iter().any(|e| e
        .as_ref()
        .unwrap()
        .action
        .as_deref()
        .unwrap()
        .starts_with("exec_create")));
}

#[tokio::test(flavor = "multi_thread")]
async fn stats_one_shot_parses_with_bollard_types() {
    let f = fake(60).await;
    let docker = f.endpoint.connect().await.unwrap();
    let world = f.engine.world().clone();
    let (plain, throttled) = world.with(|w| {
        let cs = w.containers();
        let plain = cs
            .iter()
            .find(|c| c.state == RunState::Running)
            .unwrap()
            .id
            .clone();
        let hot = cs
            .iter()
            .find(|c| c.state == RunState::Running && c.load.throttled_share > 0.0)
            .map(|c| c.id.clone());
        (plain, hot)
    });
    let one = |id: String| {
        let docker = docker.clone();
        async move {
            let opts = StatsOptionsBuilder::default()
                .stream(false)
                .one_shot(true)
                .build();
            docker.stats(&id, Some(opts)).next().await.unwrap().unwrap()
        }
    };
    let a = one(plain.clone()).await;
    let cpu = a.cpu_stats.as_ref().unwrap();
    assert!(cpu.cpu_usage.as_ref().unwrap().total_usage.unwrap() > 0);
    assert!(cpu.system_cpu_usage.unwrap() > 0);
    assert_eq!(cpu.online_cpus, Some(8));
    let mem = a.memory_stats.as_ref().unwrap();
    assert!(mem.usage.unwrap() > 0 && mem.limit.unwrap() >= mem.usage.unwrap());
    assert!(mem.stats.as_ref().unwrap().contains_key("inactive_file"));
    assert!(a.pids_stats.as_ref().unwrap().current.unwrap() > 0);
    assert!(a.networks.as_ref().unwrap().contains_key("eth0"));
    assert!(a
        .blkio_stats
        .as_ref()
        .unwrap()
        .io_service_bytes_recursive
        .is_some());
    // Counters are cumulative: a later sample is never lower.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let b = one(plain).await;
    let total = |s: &bollard::models::ContainerStatsResponse| {
        s.cpu_stats
            .as_ref()
            .unwrap()
            .cpu_usage
            .as_ref()
            .unwrap()
            .total_usage
            .unwrap()
    };
    assert!(total(&b) > total(&a));
    if let Some(id) = throttled {
        let s = one(id).await;
        let t = s.cpu_stats.unwrap().throttling_data.unwrap();
        assert!(t.throttled_periods.unwrap() > 0);
        let m = s.memory_stats.unwrap();
        assert!(m.usage.unwrap() as f64 > 0.8 * m.limit.unwrap() as f64);
    } else {
        panic!("seed 7 with 60 containers has a container near its limits");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_are_multiplexed_and_follow_keeps_going() {
    let f = fake(20).await;
    let docker = f.endpoint.connect().await.unwrap();
    let id = running_id(f.engine.world(), false);
    let opts = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .timestamps(true)
        .tail("10")
        .build();
    let frames: Vec<LogOutput> = docker
        .logs(&id, Some(opts))
        .map(|r| r.unwrap())
        .collect()
        .await;
    assert_eq!(frames.len(), 10);
    for f in &frames {
        let (LogOutput::StdOut { message } | LogOutput::StdErr { message }) = f else {
            panic!("demuxed into stdout/stderr, got {f:?}");
        };
        let text = String::from_utf8_lossy(message);
        let stamp = text.split(' ').next().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(stamp).is_ok(),
            "{text}"
        );
        assert!(text.ends_with('\n'));
    }
    let opts = LogsOptionsBuilder::default()
        .follow(true)
        .stdout(true)
        .stderr(true)
        .tail("2")
        .build();
    let mut follow = docker.logs(&id, Some(opts));
    let mut n = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while n < 5 && Instant::now() < deadline {
        if let Ok(Some(item)) = tokio::time::timeout(Duration::from_secs(3), follow.next()).await {
            item.unwrap();
            n += 1;
        }
    }
    assert_eq!(n, 5, "follow emits lines after the tail");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_action_changes_state_and_emits_events() {
    let f = fake(20).await;
    let docker = f.endpoint.connect().await.unwrap();
    let id = running_id(f.engine.world(), false);
    let dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(
        false,
        AuditLog::new(dir.path().join("audit.jsonl")),
        Operator::current(),
    );
    let engines: Engines = [("fake".to_string(), EngineHandle::new(f.endpoint.clone()))].into();
    let run = |op: Operation| {
        let plan = Plan {
            id: PlanId::next(0),
            title: op.verb().into(),
            origin: Origin::Keystroke,
            steps: vec![Step::new(
                Target::Container {
                    endpoint: "fake".into(),
                    id: id.clone(),
                    name: "x".into(),
                },
                op,
            )],
            on_failure: OnFailure::Stop,
            scope: Default::default(),
        };
        gate.run(plan, Approval::Operator, &engines, no_cancel(), |_| async {
        })
    };
    // bollard sends the request on first poll: `since` replays what happened before that.
    let since = (chrono::Utc::now().timestamp() - 1).to_string();
    let mut events = docker.events(Some(EventsOptionsBuilder::default().since(&since).build()));
    let steps: Vec<(Operation, &str, &[&str])> = vec![
        (Operation::Pause, "paused", &["pause"]),
        (Operation::Unpause, "running", &["unpause"]),
        (Operation::Stop, "exited", &["kill", "die", "stop"]),
        (Operation::Start, "running", &["start"]),
        (
            Operation::Restart,
            "running",
            &["kill", "die", "stop", "start", "restart"],
        ),
        (
            Operation::Kill {
                signal: "SIGKILL".into(),
            },
            "exited",
            &["kill", "die"],
        ),
        (
            Operation::Remove {
                volumes: false,
                force: false,
            },
            "gone",
            &["destroy"],
        ),
    ];
    for (mutation, state, expected) in steps {
        let report = run(mutation.clone()).await;
        assert_eq!(report.results, [Some(Ok(()))], "{mutation:?}");
        let inspected = docker
            .inspect_container(&id, None::<InspectContainerOptions>)
            .await;
        match inspected {
            Ok(i) => assert_eq!(
                i.state.unwrap().status.unwrap().to_string(),
                state,
                "{mutation:?}"
            ),
            Err(e) => assert_eq!(state, "gone", "{mutation:?}: {e}"),
        }
        for want in expected {
            let ev = tokio::time::timeout(Duration::from_secs(5), events.next())
                .await
                .expect("event in time")
                .unwrap()
                .unwrap();
            assert_eq!(ev.action.as_deref(), Some(*want), "{mutation:?}");
            assert_eq!(ev.actor.unwrap().id.as_deref(), Some(id.as_str()));
        }
    }
    // The engine's refusals come back as errors the console shows.
    let gone = run(Operation::Start).await;
    let (_, e) = gone.failure().expect("a failure");
    assert_eq!(e.kind, wheelhouse::ops::ErrorKind::NotFound);
    assert!(e.message.contains("No such container"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn scales_to_ten_thousand() {
    for n in [1_000usize, 10_000] {
        let f = fake(n).await;
        let docker = f.endpoint.connect().await.unwrap();
        // The engine's side: request to last byte, no parsing.
        let started = Instant::now();
        let raw = raw_get(f.engine.socket(), "/v1.41/containers/json?all=1").await;
        let served = started.elapsed();
        assert!(raw.starts_with(b"HTTP/1.0 200") || raw.starts_with(b"HTTP/1.1 200"));
        // And through bollard, parsing included (debug builds parse slowly).
        let started = Instant::now();
        let all = list_all(&docker).await;
        let took = started.elapsed();
        assert_eq!(all.len(), n);
        eprintln!("list of {n}: served in {served:?}, through bollard {took:?}");
        assert!(
            served < Duration::from_secs(1),
            "serving a list of {n} took {served:?}"
        );
        assert!(took < Duration::from_secs(3), "list of {n} took {took:?}");
    }
}

/// One HTTP/1.0 request on a fresh connection, read to the end.
async fn raw_get(socket: &std::path::Path, path: &str) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::UnixStream::connect(socket).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: fake\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    out
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_wheelhouse"))
}

/// The binary with an empty docker config, so the user's contexts never leak in.
fn wheelhouse(config: &std::path::Path) -> Command {
    let mut c = Command::new(bin());
    c.env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env("XDG_CONFIG_HOME", config)
        .env("XDG_DATA_HOME", config)
        .stdin(Stdio::null());
    c
}

#[test]
fn ps_json_lists_every_container_of_the_fake_engine_binary() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("fake.sock");
    let mut engine = wheelhouse(dir.path())
        .args(["fake-engine", "--containers", "25", "--socket"])
        .arg(&socket)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !socket.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = wheelhouse(dir.path())
        .args(["ps", "--json", "-H"])
        .arg(format!("unix://{}", socket.display()))
        .output()
        .unwrap();
    let _ = engine.kill();
    let _ = engine.wait();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["containers"].as_array().unwrap().len(), 25);
    assert_eq!(doc["endpoints"][0]["reachable"], true);
    assert_eq!(doc["endpoints"][0]["api_version"], "1.41");
}

#[test]
fn a_stalled_engine_makes_ps_fail_in_bounded_time() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("stalled.sock");
    let engine = rt.block_on(async {
        FakeEngine::start(
            &socket,
            FakeOptions {
                containers: 5,
                churn_every: None,
                ..FakeOptions::default()
            },
        )
        .await
        .unwrap()
    });
    engine.set_stalled(true);
    let started = Instant::now();
    let out = wheelhouse(dir.path())
        .args(["ps", "-H", &engine.host()])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(!out.status.success());
    assert!(took < Duration::from_secs(40), "ps took {took:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unreachable"), "{stderr}");
    // And it answers again once resumed.
    engine.set_stalled(false);
    let out = wheelhouse(dir.path())
        .args(["ps", "-H", &engine.host()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(engine);
}
