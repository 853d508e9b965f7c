//! Canned screens built from captured engine JSON (fixtures/api), for README screenshots and
//! view snapshot tests. Real data shapes, fixed clock: the same scene always draws the same.

use bollard::models::{ContainerInspectResponse, ContainerSummary};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::model::{Container, EndpointState, EndpointStatus, Health};
use crate::app::state::{App, AppOptions};
use crate::app::testing::container;
use crate::app::{update, Msg};
use crate::config::keymap::Keymap;
use crate::config::theme::{ColorDepth, Theme};
use crate::engine::convert;

const LIST: &str = include_str!("../fixtures/api/containers.json");
const INSPECT_SECRETS: &str = include_str!("../fixtures/api/inspect-secrets.json");
const INSPECT_UNHEALTHY: &str = include_str!("../fixtures/api/inspect-unhealthy.json");
const INSPECT_STOPPED: &str = include_str!("../fixtures/api/inspect-stopped.json");
const INSPECT_LIMITED: &str = include_str!("../fixtures/api/inspect-limited.json");

/// The scenes' clock: a little after the fixtures were captured.
pub fn scene_now() -> DateTime<Utc> {
    crate::app::testing::epoch()
}

pub fn base_app(width: u16, height: u16) -> App {
    let keymap = Keymap::preset("default").expect("embedded keymap parses");
    let theme = Theme::preset("dark")
        .expect("embedded theme parses")
        .degraded(ColorDepth::TrueColor);
    let endpoint = EndpointStatus::new("default", "unix:///var/run/docker.sock");
    let mut app = App::new(
        AppOptions::default(),
        keymap,
        theme,
        vec![endpoint],
        scene_now(),
    );
    update(&mut app, Msg::Resize { width, height });
    crate::ui::layout::fit(&mut app);
    app
}

fn up(app: &mut App) {
    update(
        app,
        Msg::EndpointState {
            endpoint: "default".into(),
            state: EndpointState::Up {
                version: "20.10.24+dfsg1".into(),
                api_version: "1.41".into(),
            },
        },
    );
}

/// The captured containers, enriched by their captured inspect documents where we have them.
pub fn fixture_containers() -> Vec<Container> {
    let list: Vec<ContainerSummary> = serde_json::from_str(LIST).expect("fixture list parses");
    let mut out: Vec<Container> = list
        .iter()
        .filter_map(|s| convert::from_summary("default", s))
        .collect();
    for doc in [
        INSPECT_SECRETS,
        INSPECT_UNHEALTHY,
        INSPECT_STOPPED,
        INSPECT_LIMITED,
    ] {
        let i: ContainerInspectResponse =
            serde_json::from_str(doc).expect("fixture inspect parses");
        if let Some(c) = convert::from_inspect("default", &i) {
            match out.iter_mut().find(|o| o.key == c.key) {
                Some(slot) => *slot = c,
                None => out.push(c),
            }
        }
    }
    out
}

fn with_fixtures(width: u16, height: u16) -> App {
    let mut app = base_app(width, height);
    up(&mut app);
    let mut containers = fixture_containers();
    // A second compose project and a few more, so grouping and sorting have something to show.
    containers.push(
        container("shop-api-1", "running")
            .project("shop", "api")
            .number(1)
            .port(8081, 8080)
            .uptime_minutes(95)
            // A soft limit only: the memory column measures against the reservation.
            .limits(crate::app::usage::Limits {
                memory_reservation: Some(64 << 20),
                ..Default::default()
            })
            .into(),
    );
    containers.push(
        container("shop-api-2", "running")
            .project("shop", "api")
            .number(2)
            .health(Health::Starting)
            .uptime_minutes(1)
            .restarts(2)
            .into(),
    );
    containers.push(
        container("shop-worker-1", "exited")
            .project("shop", "worker")
            .number(1)
            .into(),
    );
    let now = scene_now();
    for c in &mut containers {
        if c.key.endpoint == "default" && c.started_at.is_some_and(|t| t > now) {
            c.started_at = Some(now - chrono::Duration::minutes(3));
        }
    }
    update(
        &mut app,
        Msg::Listed {
            endpoint: "default".into(),
            containers,
        },
    );
    simulate_usage(&mut app, 120);
    app
}

/// Feeds `points` one-second samples of plausible, deterministic resource use to every running
/// container: a busy one near its CPU limit and throttled, one close to its memory limit.
fn simulate_usage(app: &mut App, points: u64) {
    use crate::app::usage::{Sample, SampleSource};
    let running: Vec<(crate::app::model::ContainerKey, String)> = app
        .inventory
        .iter()
        .filter(|(_, c)| c.state == crate::app::model::RunState::Running)
        .map(|(_, c)| (c.key.clone(), c.name.clone()))
        .collect();
    let mut counters: Vec<Sample> = running
        .iter()
        .map(|_| Sample::empty(SampleSource::Cgroup, std::time::Duration::ZERO))
        .collect();
    for step in 1..=points {
        let at = std::time::Duration::from_secs(step);
        let mut samples = Vec::new();
        for ((key, name), prev) in running.iter().zip(counters.iter_mut()) {
            // (cores busy, throttled share, working set MiB, net KiB/s)
            let wave = ((step as f64) / 9.0).sin().abs();
            let (cores, thr, mem_mib, net_kib) = match name.as_str() {
                "demo-db-1" => (0.46 + 0.03 * wave, 0.4, 28.0 + 2.0 * wave, 40.0),
                "demo-web-1" => (0.05 + 0.1 * wave, 0.0, 6.0, 300.0 * wave),
                "shop-api-1" => (0.3 * wave, 0.0, 120.0, 80.0),
                _ => (0.01, 0.0, 1.5, 0.5),
            };
            let mut s = Sample::empty(SampleSource::Cgroup, at);
            s.cpu_usage_ns = Some(prev.cpu_usage_ns.unwrap_or(0) + (cores * 1e9) as u64);
            s.nr_periods = Some(prev.nr_periods.unwrap_or(0) + 10);
            s.nr_throttled = Some(prev.nr_throttled.unwrap_or(0) + (thr * 10.0) as u64);
            s.memory_usage = Some((mem_mib * 1024.0 * 1024.0) as u64);
            s.pids_current = Some(3);
            s.oom_kills = Some(0);
            s.net_rx_bytes = Some(prev.net_rx_bytes.unwrap_or(0) + (net_kib * 1024.0) as u64);
            s.net_tx_bytes = Some(prev.net_tx_bytes.unwrap_or(0) + (net_kib * 300.0) as u64);
            s.blk_read_bytes = Some(0);
            s.blk_write_bytes = Some(prev.blk_write_bytes.unwrap_or(0) + 4096);
            s.online_cpus = Some(2);
            *prev = s.clone();
            samples.push((key.clone(), s));
        }
        update(
            app,
            Msg::Sampled {
                endpoint: "default".into(),
                samples,
            },
        );
    }
}

fn key(app: &mut App, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn chars(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// Every scene by name, at one size.
pub fn all(width: u16, height: u16) -> Vec<(&'static str, App)> {
    vec![
        ("table", table(width, height)),
        ("tree", tree(width, height)),
        ("filter", filter(width, height)),
        ("logs", logs(width, height)),
        ("inspect", inspect(width, height)),
        ("confirm", confirm(width, height)),
        ("help", help(width, height)),
        ("palette", palette(width, height)),
        ("events", events(width, height)),
        ("detail", detail(width, height)),
        ("health", health(width, height)),
        ("endpoints", endpoints(width, height)),
        ("empty", empty(width, height)),
        ("connecting", base_app(width, height)),
        ("engine_error", engine_error(width, height)),
        ("read_only", read_only(width, height)),
        ("many", many(width, height)),
        ("long_names", long_names(width, height)),
        ("topology", topology(width, height)),
        ("topology_matrix", topology_matrix(width, height)),
        ("topology_graph", topology_graph(width, height)),
        ("canary", canary(width, height)),
        ("agent", agent(width, height)),
    ]
}

/// A small shop on networks of its own: a public front, an internal back with icc on, and a
/// metrics network with icc off; plus a host-mode agent and a sidecar in the api's stack.
fn with_networks(w: u16, h: u16) -> App {
    let mut app = base_app(w, h);
    up(&mut app);
    use crate::app::testing::network;
    let networks = vec![
        network("shop_front", false, true),
        network("shop_back", true, true),
        network("metrics", false, false),
        crate::app::model::Network {
            driver: "host".into(),
            ..network("host", false, true)
        },
    ];
    update(
        &mut app,
        Msg::NetworksListed {
            endpoint: "default".into(),
            networks,
        },
    );
    let dep = |c: crate::app::testing::ContainerBuilder, on: &str| {
        c.label("com.docker.compose.depends_on", on)
    };
    let api = container("shop-api-1", "running")
        .project("shop", "api")
        .network("shop_front", "172.20.0.3/16")
        .network("shop_back", "172.21.0.3/16");
    let api_id = api.key.id.clone();
    let containers: Vec<Container> = vec![
        dep(
            container("shop-web-1", "running")
                .project("shop", "web")
                .network("shop_front", "172.20.0.2/16")
                .port(8080, 80),
            "api:service_started:false",
        )
        .into(),
        dep(api, "db:service_healthy:false,cache:service_started:false").into(),
        container("shop-db-1", "running")
            .project("shop", "db")
            .health(crate::app::model::Health::Healthy)
            .network("shop_back", "172.21.0.2/16")
            .network("metrics", "172.22.0.2/16")
            .into(),
        container("shop-cache-1", "running")
            .project("shop", "cache")
            .network("shop_back", "172.21.0.4/16")
            .into(),
        container("shop-api-sidecar-1", "running")
            .project("shop", "api-sidecar")
            .network_mode(&format!("container:{api_id}"))
            .into(),
        container("node-exporter", "running")
            .network_mode("host")
            .into(),
        container("scraper", "exited")
            .exit_code(1)
            .network("metrics", "172.22.0.3/16")
            .into(),
    ];
    update(
        &mut app,
        Msg::Listed {
            endpoint: "default".into(),
            containers,
        },
    );
    app
}

pub fn topology(w: u16, h: u16) -> App {
    let mut app = with_networks(w, h);
    update_action(&mut app, crate::app::Action::Topology);
    // The api's line: whom it reaches is marked.
    for _ in 0..5 {
        key(&mut app, KeyCode::Down);
    }
    app
}

pub fn topology_matrix(w: u16, h: u16) -> App {
    let mut app = topology(w, h);
    update_action(&mut app, crate::app::Action::ToggleTopologyTab);
    app
}

/// The shop's services as a graph, the api's box selected: what it depends on below it.
pub fn topology_graph(w: u16, h: u16) -> App {
    let mut app = topology_matrix(w, h);
    update_action(&mut app, crate::app::Action::ToggleTopologyTab);
    app
}

/// A rollout at its first step, 20 % to the canary, a minute of readings: the canary takes
/// about its share and errs a little more than stable, within the gates.
/// The agent panel: a scale-up and a restart on offer (the first selected, with its reasons),
/// a rule waiting for data, and a scale it applied that worked.
pub fn agent(w: u16, h: u16) -> App {
    use crate::agent::policy::Kind;
    use crate::agent::proposal::{Change, Note, Proposal, Subject};
    use crate::agent::{Applied, Outcome, Pending};
    let mut app = with_fixtures(w, h);
    let now = crate::agent::perceive::secs(scene_now());
    let service = |name: &str| crate::app::model::ServiceKey {
        endpoint: "local".into(),
        project: "shop".into(),
        service: name.into(),
    };
    let proposal =
        |kind, subject: Subject, change: Change, numbers: &str, expected: &str| Proposal {
            id: Proposal::id_for(kind, &subject, &change),
            kind,
            subject,
            change,
            numbers: numbers.into(),
            reasons: vec!["desired = ceil(2 × 131 / 70) = 4".into()],
            expected: expected.into(),
            policy: "shop/web".into(),
            advisor: None,
        };
    let agent = &mut app.agent;
    agent.perception.now = now;
    agent.pending = vec![
        Pending {
            proposal: proposal(
                Kind::Horizontal,
                Subject::Service(service("web")),
                Change::Scale { from: 2, to: 4 },
                "cpu 131 % of limit (0.50 cpus) against a 70 % target for 30s, 2 → 4 replicas",
                "about 66 % of limit per replica",
            ),
            since: now - 75.0,
        },
        Pending {
            proposal: proposal(
                Kind::Heal,
                Subject::Container {
                    key: crate::app::model::ContainerKey {
                        endpoint: "local".into(),
                        id: "c3".into(),
                    },
                    name: "shop-api-1".into(),
                    service: Some(service("api")),
                },
                Change::Restart,
                "unhealthy: 4 probes failed in a row (policy: 3)",
                "healthy again after the restart",
            ),
            since: now - 12.0,
        },
        Pending {
            proposal: Proposal {
                id: "capacity/vertical:local/shop/db:m1024".into(),
                advisor: Some("capacity".into()),
                reasons: vec!["HighLatency is firing on shop/db".into()],
                ..proposal(
                    Kind::Vertical,
                    Subject::Service(service("db")),
                    Change::Limits {
                        cpus: None,
                        memory: Some(1 << 30),
                        from_cpus: None,
                        from_memory: Some(512 << 20),
                    },
                    "buffer cache hit ratio 71 % over 1h",
                    "hit ratio above 95 %",
                )
            },
            since: now - 40.0,
        },
    ];
    agent.policies.advisors = vec![crate::agent::advisor::Advisor {
        name: "capacity".into(),
        command: vec!["/usr/local/bin/capacity".into()],
        every: std::time::Duration::from_secs(30),
        timeout: std::time::Duration::from_secs(10),
    }];
    agent.advisors.insert(
        "capacity".into(),
        crate::agent::advisor::Standing {
            started_at: Some(now - 8.0),
            answered_at: Some(now - 7.0),
            ..Default::default()
        },
    );
    let alerts = crate::agent::alerts::AlertSource {
        url: "http://alertmanager:9093".into(),
        every: std::time::Duration::from_secs(15),
        timeout: std::time::Duration::from_secs(5),
    };
    agent.policies.alerts = Some(alerts);
    agent.alerts.read_at = Some(now - 4.0);
    agent.alerts.firing = vec![crate::agent::alerts::Alert {
        name: "HighLatency".into(),
        severity: Some("page".into()),
        summary: Some("p99 above 2s for 5m".into()),
        starts_at: "2026-03-14T09:20:00Z".into(),
        labels: Default::default(),
        about: Some(Subject::Service(service("db"))),
    }];
    agent.notes = vec![Note {
        kind: Kind::Vertical,
        subject: Subject::Service(service("web")),
        text: "waiting for data: 1m15s of 5m so far".into(),
    }];
    agent.applied = vec![Applied {
        proposal: proposal(
            Kind::Horizontal,
            Subject::Service(service("worker")),
            Change::Scale { from: 1, to: 2 },
            "cpu 99 % of limit (0.50 cpus) against a 70 % target for 30s, 1 → 2 replicas",
            "about 50 % of limit per replica",
        ),
        plan: crate::ops::PlanId("scene-1".into()),
        at: now - 300.0,
        auto: false,
        outcome: Outcome::Worked("2 replicas running, cpu 58 % of limit (target 70 %)".into()),
    }];
    app.views.current = crate::app::state::View::Agent;
    app
}

pub fn canary(w: u16, h: u16) -> App {
    let mut app = with_fixtures(w, h);
    let rollouts = crate::canary::config::parse(
        r#"
[[rollout]]
name = "web"
service = "shop/web"
[rollout.router]
kind = "haproxy"
admin = "127.0.0.1:9999"
backend = "web"
stable = ["stable1", "stable2"]
canary = ["canary1"]
[[rollout.step]]
weight = 20
[[rollout.step]]
pause = "confirm"
[[rollout.step]]
weight = 50
[[rollout.step]]
pause = "5m"
[rollout.gates]
max_error_percent = 1.0
max_latency_ms = 250
"#,
        "rollouts.toml",
    )
    .map_err(|e| e.to_string());
    app.views.canary =
        crate::app::canary::CanaryState::load(rollouts, std::path::PathBuf::from("/nonexistent"));
    update_action(&mut app, crate::app::Action::Canary);
    // Started an hour ago and waiting at its confirmation, driven by this console.
    if let Some(r) = app.views.canary.rollouts.first_mut() {
        let started = app.now - chrono::Duration::hours(1);
        r.driving = crate::app::canary::Driving::Here;
        r.state = crate::canary::state::RolloutState {
            phase: crate::canary::state::Phase::Paused,
            step: 1,
            weight: 20,
            ..crate::canary::state::RolloutState::ready("web", started)
        };
    }
    use crate::canary::traffic::{Side, Traffic};
    let start = app.now - chrono::Duration::seconds(60);
    let (mut stable_total, mut canary_total) = (0u64, 0u64);
    for s in 0..=60u64 {
        // A little wave in the load, so that the histories say something.
        let wave = [0, 3, 6, 8, 6, 3][(s % 6) as usize];
        stable_total += 80 + wave * 4;
        canary_total += 20 + wave;
        let side = |requests: u64, errors: u64, latency: f64, servers: usize| Side {
            requests,
            errors,
            latency_ms: Some(latency),
            latency_total_ms: None,
            servers_up: servers,
            servers,
        };
        let traffic = Traffic {
            queries: Vec::new(),
            stable: side(stable_total, s / 12, 41.0, 2),
            canary: side(canary_total, s / 45, 48.0, 1),
            weight_percent: 20.0,
        };
        app.now = start + chrono::Duration::seconds(s as i64);
        update(
            &mut app,
            Msg::CanaryRead {
                rollout: "web".into(),
                result: Ok(traffic),
            },
        );
    }
    app
}

pub fn table(w: u16, h: u16) -> App {
    let mut app = with_fixtures(w, h);
    key(&mut app, KeyCode::Down);
    app
}

pub fn tree(w: u16, h: u16) -> App {
    let mut app = with_fixtures(w, h);
    update_action(&mut app, crate::app::Action::ToggleTree);
    app
}

pub fn filter(w: u16, h: u16) -> App {
    let mut app = with_fixtures(w, h);
    update_action(&mut app, crate::app::Action::Filter);
    chars(&mut app, "state:running demo");
    app
}

pub fn logs(w: u16, h: u16) -> App {
    let mut app = with_fixtures(w, h);
    update_action(&mut app, crate::app::Action::Logs);
    let session = app
        .views
        .logs
        .as_ref()
        .and_then(|l| l.sources.first())
        .map(|s| s.session)
        .unwrap_or(0);
    let lines: &[(&str, bool)] = &[
        ("starting httpd on :8080", false),
        ("GET / 200 12ms", false),
        ("GET /health 200 1ms", false),
        ("warning: slow upstream db:5432 (812ms)", true),
        ("GET /api/orders 200 40ms", false),
        ("error: connection reset by peer", true),
        ("GET /api/orders 500 3ms", false),
        ("binary junk: \u{1b}[31m not a colour \u{7}", false),
    ];
    for (n, (text, err)) in lines.iter().enumerate() {
        let line = format!(
            "2026-11-22T19:19:{:02}.{:09}Z {text}\n",
            10 + n,
            n * 1_000_000
        );
        update(
            &mut app,
            Msg::LogChunk {
                session,
                stream: if *err {
                    crate::app::logbuf::Stream::Stderr
                } else {
                    crate::app::logbuf::Stream::Stdout
                },
                bytes: line.into_bytes(),
            },
        );
    }
    update_action(&mut app, crate::app::Action::ToggleTimestamps);
    update_action(&mut app, crate::app::Action::Search);
    chars(&mut app, "error");
    key(&mut app, KeyCode::Enter);
    app
}

pub fn inspect(w: u16, h: u16) -> App {
    let mut app = with_fixtures(w, h);
    let doc: serde_json::Value = serde_json::from_str(INSPECT_SECRETS).expect("fixture");
    let i: ContainerInspectResponse = serde_json::from_value(doc.clone()).expect("fixture");
    let c = convert::from_inspect("default", &i).expect("fixture container");
    select(&mut app, &c.name);
    update_action(&mut app, crate::app::Action::Inspect);
    update(
        &mut app,
        Msg::Inspected {
            key: c.key.clone(),
            result: Ok(doc),
        },
    );
    update_action(&mut app, crate::app::Action::Search);
    chars(&mut app, "PASSWORD");
    key(&mut app, KeyCode::Enter);
    app
}

pub fn confirm(w: u16, h: u16) -> App {
    let mut app = with_fixtures(w, h);
    select(&mut app, "demo-web-1");
    update_action(&mut app, crate::app::Action::Kill);
    app
}

/// The detail pane on a container running against its CPU and memory limits.
pub fn detail(w: u16, h: u16) -> App {
    detail_of(w, h, "demo-db-1")
}

/// The detail pane on a container whose health check fails, its newest probe saying why on
/// its second line (the pane once showed only the first).
pub fn health(w: u16, h: u16) -> App {
    let mut app = detail_of(w, h, "fx-unhealthy");
    let mut c = app.selected_container().expect("selected").clone();
    if let Some(newest) = c.health_log.last_mut() {
        newest.output =
            "probe says no\ncat: can't open '/nonexistent': No such file or directory".into();
    }
    crate::app::update(&mut app, Msg::ContainerChanged(Box::new(c)));
    app
}

/// The detail pane on the named fixture container.
pub fn detail_of(w: u16, h: u16, name: &str) -> App {
    let mut app = with_fixtures(w, h);
    select(&mut app, name);
    update_action(&mut app, crate::app::Action::ToggleDetail);
    app
}

pub fn help(w: u16, h: u16) -> App {
    let mut app = with_fixtures(w, h);
    update_action(&mut app, crate::app::Action::Help);
    app
}

pub fn palette(w: u16, h: u16) -> App {
    let mut app = with_fixtures(w, h);
    update_action(&mut app, crate::app::Action::Palette);
    chars(&mut app, "to");
    app
}

pub fn events(w: u16, h: u16) -> App {
    use crate::app::events::EngineEvent;
    let mut app = with_fixtures(w, h);
    let at = |s: i64| scene_now() - chrono::Duration::seconds(s);
    let ev = |secs: i64, kind: &str, action: &str, name: &str, attrs: &[(&str, &str)]| {
        Msg::EngineEvent(EngineEvent {
            endpoint: "default".into(),
            time: at(secs),
            kind: crate::app::events::ObjectKind::parse(kind),
            action: crate::app::events::EventAction::parse(action),
            id: format!("{name}-id"),
            attributes: [("name", name)]
                .iter()
                .chain(attrs)
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
    };
    for msg in [
        ev(
            60,
            "container",
            "create",
            "shop-api-2",
            &[("image", "busybox:latest")],
        ),
        ev(59, "network", "connect", "bridge", &[]),
        ev(
            59,
            "container",
            "start",
            "shop-api-2",
            &[("image", "busybox:latest")],
        ),
        ev(
            30,
            "container",
            "kill",
            "shop-worker-1",
            &[("signal", "15")],
        ),
        ev(
            29,
            "container",
            "die",
            "shop-worker-1",
            &[("exitCode", "137")],
        ),
        ev(
            12,
            "container",
            "health_status: unhealthy",
            "fx-unhealthy",
            &[],
        ),
        ev(3, "container", "oom", "demo-db-1", &[]),
    ] {
        update(&mut app, msg);
    }
    app.screen.toasts.clear();
    update_action(&mut app, crate::app::Action::Events);
    app
}

pub fn endpoints(w: u16, h: u16) -> App {
    let mut app = with_fixtures(w, h);
    let mut remote = EndpointStatus::new("staging", "ssh://ops@staging.example:2222");
    remote.rtt_ms = Some(38);
    update(&mut app, Msg::EndpointAttached(remote));
    update(
        &mut app,
        Msg::EndpointState {
            endpoint: "staging".into(),
            state: EndpointState::Up {
                version: "27.3.1".into(),
                api_version: "1.47".into(),
            },
        },
    );
    update(
        &mut app,
        Msg::EndpointPing {
            endpoint: "default".into(),
            rtt_ms: 1,
        },
    );
    update(
        &mut app,
        Msg::SshChannels {
            endpoint: "staging".into(),
            open: 3,
            forwarded: true,
        },
    );
    for (endpoint, sampling) in [
        ("default", crate::app::model::Sampling::LocalFiles),
        ("staging", crate::app::model::Sampling::RemoteFiles),
    ] {
        update(
            &mut app,
            Msg::Sampling {
                endpoint: endpoint.into(),
                sampling,
            },
        );
    }
    update(
        &mut app,
        Msg::ContextsListed(vec![crate::app::model::AvailableContext {
            name: "lab".into(),
            host: "tcp://10.0.0.7:2376".into(),
            current: false,
            error: None,
        }]),
    );
    app.screen.toasts.clear();
    let mut fx = Vec::new();
    crate::app::update::on_action(
        &mut app,
        crate::app::Action::Endpoints,
        crate::ops::Origin::Keystroke,
        &mut fx,
    );
    app
}

pub fn empty(w: u16, h: u16) -> App {
    let mut app = base_app(w, h);
    up(&mut app);
    update(
        &mut app,
        Msg::Listed {
            endpoint: "default".into(),
            containers: vec![],
        },
    );
    app
}

pub fn engine_error(w: u16, h: u16) -> App {
    let mut app = base_app(w, h);
    update(
        &mut app,
        Msg::EndpointState {
            endpoint: "default".into(),
            state: EndpointState::Down {
                reason: "unix:///var/run/docker.sock: connection refused (is dockerd running?)"
                    .into(),
                retry_in_secs: Some(4),
            },
        },
    );
    app
}

pub fn read_only(w: u16, h: u16) -> App {
    let mut app = with_fixtures(w, h);
    app.options.read_only = true;
    update_action(&mut app, crate::app::Action::Stop);
    app
}

pub fn many(w: u16, h: u16) -> App {
    let mut app = base_app(w, h);
    up(&mut app);
    update(
        &mut app,
        Msg::Listed {
            endpoint: "default".into(),
            containers: synthetic(1000),
        },
    );
    update_action(&mut app, crate::app::Action::PageDown);
    app
}

/// `n` containers across 20 projects of 5 services, for scale tests and benchmarks.
pub fn synthetic(n: usize) -> Vec<Container> {
    (0..n)
        .map(|i| {
            let project = format!("proj{:02}", i % 20);
            let service = format!("svc{}", (i / 20) % 5);
            let state = if i % 17 == 0 { "exited" } else { "running" };
            let health = match i % 11 {
                0 => Health::Unhealthy,
                1 | 2 => Health::Healthy,
                _ => Health::None,
            };
            container(
                &format!("{project}-{service}-{}", i / 100 + 1 + i % 7),
                state,
            )
            .project(&project, &service)
            .number((i / 100 + 1) as u32)
            .health(health)
            .uptime_minutes((i * 7 % 5000) as i64)
            .port(20000 + i as u16, 8080)
            .into()
        })
        .collect::<Vec<Container>>()
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            // Unique ids even where names repeat.
            c.key.id = format!("{i:064x}");
            c
        })
        .collect()
}

pub fn long_names(w: u16, h: u16) -> App {
    let mut app = base_app(w, h);
    up(&mut app);
    let long = "a-container-with-an-exceptionally-long-name-that-keeps-going-and-going";
    let containers =
        vec![
        container(long, "running")
            .project("a-project-whose-name-is-also-far-too-long", "and-a-long-service")
            .image("registry.example.com:5000/team/very/deep/path/image-name:2026.11.22-build.1234")
            .port(65535, 65535)
            .port(8443, 443)
            .into(),
        container("日本語のコンテナ名前", "paused").into(),
        container("x", "dead").into(),
    ];
    update(
        &mut app,
        Msg::Listed {
            endpoint: "default".into(),
            containers,
        },
    );
    app
}

fn update_action(app: &mut App, action: crate::app::Action) {
    let mut fx = Vec::new();
    crate::app::update::on_action(app, action, crate::ops::Origin::Keystroke, &mut fx);
    crate::ui::layout::fit(app);
}

fn select(app: &mut App, name: &str) {
    update_action(app, crate::app::Action::Top);
    for _ in 0..app.table.rows.len() {
        if app.selected_container().is_some_and(|c| c.name == name) {
            return;
        }
        update_action(app, crate::app::Action::Down);
    }
}
