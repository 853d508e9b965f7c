//! The live inventory follows the engine: the supervisor's messages, fed through the real
//! reducer, reflect changes made behind the console's back with the docker CLI within a second.

mod support;

use std::time::{Duration, Instant};

use support::*;
use tokio::sync::mpsc;
use wheelhouse::app::model::{Container, EndpointState, Health, RunState};
use wheelhouse::app::{update, App, Msg};
use wheelhouse::engine::endpoint::Endpoint;
use wheelhouse::engine::supervisor;

/// How fast an outside change must show.
const LIVE: Duration = Duration::from_secs(1);

struct Live {
    app: App,
    rx: mpsc::Receiver<Msg>,
    run_id: String,
    _rt: tokio::runtime::Runtime,
}

impl Live {
    fn start(run_id: &str) -> Live {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (tx, rx) = mpsc::channel(1024);
        let endpoint = Endpoint::default_from(None, std::env::var("DOCKER_HOST").ok().as_deref());
        let (_, probes) = tokio::sync::watch::channel(false);
        let (_, shown) = tokio::sync::watch::channel(Vec::new());
        rt.spawn(supervisor::supervise(
            wheelhouse::engine::handle::EngineHandle::new(endpoint),
            tx,
            probes,
            shown,
        ));
        let mut live = Live {
            app: wheelhouse::scenes::base_app(120, 40),
            rx,
            run_id: run_id.to_string(),
            _rt: rt,
        };
        live.wait("the endpoint up and listed", Duration::from_secs(15), |l| {
            matches!(l.app.endpoints.attached[0].state, EndpointState::Up { .. })
        });
        live
    }

    /// Applies every message that has arrived.
    fn pump(&mut self) {
        while let Ok(msg) = self.rx.try_recv() {
            update(&mut self.app, msg);
        }
    }

    /// Our containers (by the test run label) as the app sees them.
    fn mine(&self) -> Vec<&Container> {
        self.app
            .inventory
            .iter()
            .map(|(_, c)| c)
            .filter(|c| c.labels.get(RUN_LABEL).map(String::as_str) == Some(&self.run_id))
            .collect()
    }

    fn get(&self, id: &str) -> Option<&Container> {
        self.mine().into_iter().find(|c| c.key.id == id)
    }

    fn wait(&mut self, what: &str, timeout: Duration, pred: impl Fn(&Live) -> bool) {
        let started = Instant::now();
        loop {
            self.pump();
            if pred(self) {
                return;
            }
            if started.elapsed() >= timeout {
                let seen: Vec<String> = self
                    .mine()
                    .iter()
                    .map(|c| format!("{} {} {:?} {:?}", c.name, c.key.id, c.state, c.health))
                    .collect();
                panic!(
                    "{what}: not seen within {timeout:?}; endpoint {:?}; ours: {seen:#?}",
                    self.app.endpoints.attached[0].state
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[test]
fn outside_changes_reach_the_app_within_a_second() {
    let tc = TestContainers::new();
    let before = tc.run("before", &[], &[]);
    let mut live = Live::start(tc.run_id());
    live.wait("a container that existed at start", LIVE, |l| {
        l.get(&before)
            .is_some_and(|c| c.state == RunState::Running && c.started_at.is_some())
    });

    let a = tc.run("a", &["--stop-timeout", "1"], &[]);
    live.wait("docker run", LIVE, |l| {
        l.get(&a).is_some_and(|c| c.state == RunState::Running)
    });

    docker(&["pause", &a]);
    live.wait("docker pause", LIVE, |l| {
        l.get(&a).is_some_and(|c| c.state == RunState::Paused)
    });
    docker(&["unpause", &a]);
    live.wait("docker unpause", LIVE, |l| {
        l.get(&a).is_some_and(|c| c.state == RunState::Running)
    });

    let renamed = tc.name("renamed");
    docker(&["rename", &a, &renamed]);
    live.wait("docker rename", LIVE, |l| {
        l.get(&a).is_some_and(|c| c.name == renamed)
    });

    // busybox sleep as pid 1 ignores SIGTERM: stop waits the 1 s timeout, then kills.
    docker(&["stop", "-t", "1", &a]);
    live.wait("docker stop", LIVE, |l| {
        l.get(&a).is_some_and(|c| c.state == RunState::Exited)
    });

    let b = tc.run("b", &[], &[]);
    live.wait("second docker run", LIVE, |l| {
        l.get(&b).is_some_and(|c| c.state == RunState::Running)
    });
    docker(&["kill", &b]);
    live.wait("docker kill", LIVE, |l| {
        l.get(&b)
            .is_some_and(|c| c.state == RunState::Exited && c.exit_code == Some(137))
    });

    docker(&["rm", &a]);
    live.wait("docker rm", LIVE, |l| l.get(&a).is_none());
    docker(&["rm", "-f", &b]);
    live.wait("docker rm -f", LIVE, |l| l.get(&b).is_none());
    assert!(
        live.get(&before).is_some(),
        "an untouched container vanished"
    );
}

#[test]
fn health_turning_unhealthy_reaches_the_app() {
    let tc = TestContainers::new();
    let mut live = Live::start(tc.run_id());
    // Healthy while /tmp/ok exists; removing it turns the next probe (every second) unhealthy.
    let id = tc.run(
        "flip",
        &[
            "--health-cmd",
            "test -e /tmp/ok",
            "--health-interval",
            "1s",
            "--health-timeout",
            "1s",
            "--health-retries",
            "1",
        ],
        &["sh", "-c", "touch /tmp/ok; exec sleep 3600"],
    );
    tc.wait_health(&id, "healthy", Duration::from_secs(20))
        .unwrap();
    live.wait("health healthy", LIVE, |l| {
        l.get(&id).is_some_and(|c| c.health == Health::Healthy)
    });
    docker(&["exec", &id, "rm", "/tmp/ok"]);
    tc.wait_health(&id, "unhealthy", Duration::from_secs(20))
        .unwrap();
    live.wait("health unhealthy", LIVE, |l| {
        l.get(&id).is_some_and(|c| c.health == Health::Unhealthy)
    });
}

/// Removes a network when dropped (also when the test panics).
struct NetworkGuard(String);

impl Drop for NetworkGuard {
    fn drop(&mut self) {
        let _ = try_docker(&["network", "rm", &self.0]);
    }
}

#[test]
fn networks_and_memberships_follow_the_engine() {
    let tc = TestContainers::new();
    let mut live = Live::start(tc.run_id());
    let name = tc.name("net");
    let _guard = NetworkGuard(name.clone());
    let net_id = docker(&[
        "network",
        "create",
        "--internal",
        "--subnet",
        "10.231.7.0/24",
        "-o",
        "com.docker.network.bridge.enable_icc=false",
        &name,
    ]);
    live.wait("docker network create", LIVE, |l| {
        l.app.inventory.network_named("default", &name).is_some()
    });
    let n = live.app.inventory.network_named("default", &name).unwrap();
    assert_eq!(n.id, net_id);
    assert_eq!(n.driver, "bridge");
    assert!(n.internal, "--internal");
    assert!(!n.icc, "inter-container communication off");
    assert_eq!(n.subnets[0].subnet, "10.231.7.0/24");

    let id = tc.run("member", &[], &[]);
    docker(&["network", "connect", "--alias", "web-alias", &name, &id]);
    live.wait("docker network connect", LIVE, |l| {
        l.get(&id)
            .is_some_and(|c| c.networks.iter().any(|a| a.network == name))
    });
    let c = live.get(&id).unwrap();
    let a = c.networks.iter().find(|a| a.network == name).unwrap();
    assert_eq!(a.network_id, net_id);
    assert!(
        a.ipv4
            .as_deref()
            .is_some_and(|ip| ip.starts_with("10.231.7.")),
        "{a:?}"
    );
    assert!(a.aliases.contains(&"web-alias".to_string()), "{a:?}");
    assert!(
        !a.aliases.iter().any(|al| id.starts_with(al.as_str())),
        "the engine's own short-id alias is left out: {a:?}"
    );
    assert!(c.networks.iter().any(|a| a.network == "bridge"));
    assert_eq!(c.network_mode, "default");

    docker(&["network", "disconnect", &name, &id]);
    live.wait("docker network disconnect", LIVE, |l| {
        l.get(&id)
            .is_some_and(|c| !c.networks.iter().any(|a| a.network == name))
    });
    docker(&["network", "rm", &name]);
    live.wait("docker network rm", LIVE, |l| {
        l.app.inventory.network_named("default", &name).is_none()
    });
}
