//! One frame of the container table with many containers, and the row rebuild an engine event
//! causes. Views build widgets for the visible rows only, so frame time should not grow with n.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use wheelhouse::app::{update, Msg};
use wheelhouse::scenes;

fn app_with(n: usize, tree: bool) -> wheelhouse::app::App {
    let mut app = scenes::base_app(200, 50);
    update(
        &mut app,
        Msg::Listed {
            endpoint: "default".into(),
            containers: scenes::synthetic(n),
        },
    );
    if tree {
        let mut fx = Vec::new();
        wheelhouse::app::update::on_action(
            &mut app,
            wheelhouse::app::Action::ToggleTree,
            wheelhouse::ops::Origin::Keystroke,
            &mut fx,
        );
    }
    app
}

fn frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame_200x50");
    for n in [100usize, 1_000, 10_000] {
        for tree in [false, true] {
            let app = app_with(n, tree);
            let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
            let id = BenchmarkId::new(if tree { "tree" } else { "flat" }, n);
            group.bench_with_input(id, &app, |b, app| {
                b.iter(|| {
                    term.draw(|f| wheelhouse::ui::render_with(f, app, false))
                        .unwrap();
                })
            });
        }
    }
    group.finish();
}

fn event(c: &mut Criterion) {
    let mut group = c.benchmark_group("container_event");
    for n in [1_000usize, 10_000] {
        let mut app = app_with(n, false);
        let mut changed = scenes::synthetic(n).remove(n / 2);
        let mut flip = false;
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                flip = !flip;
                changed.restart_count = Some(flip as u64);
                update(&mut app, Msg::ContainerChanged(Box::new(changed.clone())));
            })
        });
    }
    group.finish();
}

/// 1 000 containers on 50 networks, each on one to three of them.
fn networked(n: usize, networks: usize) -> wheelhouse::app::App {
    let mut app = scenes::base_app(200, 50);
    let nets: Vec<wheelhouse::app::model::Network> = (0..networks)
        .map(|i| wheelhouse::app::testing::network(&format!("net{i}"), i % 7 == 0, i % 11 != 0))
        .collect();
    update(
        &mut app,
        Msg::NetworksListed {
            endpoint: "default".into(),
            networks: nets,
        },
    );
    let containers = scenes::synthetic(n)
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            for k in 0..(1 + i % 3) {
                let net = format!("net{}", (i * 7 + k * 13) % networks);
                c.networks.push(wheelhouse::app::model::NetworkAttachment {
                    network_id: format!("{net}-id"),
                    network: net,
                    ipv4: Some(format!("10.{}.{}.{}/16", k, i / 250, i % 250)),
                    ipv6: None,
                    aliases: vec![c.name.clone()],
                });
            }
            c
        })
        .collect();
    update(
        &mut app,
        Msg::Listed {
            endpoint: "default".into(),
            containers,
        },
    );
    app
}

fn topology(c: &mut Criterion) {
    let mut group = c.benchmark_group("topology_1000x50");
    let app = networked(1_000, 50);
    group.bench_function("build", |b| {
        b.iter(|| wheelhouse::topology::build(&app.inventory))
    });
    for tab in ["tree", "matrix", "graph"] {
        let mut app = networked(1_000, 50);
        let mut fx = Vec::new();
        let mut act = |app: &mut wheelhouse::app::App, a| {
            wheelhouse::app::update::on_action(app, a, wheelhouse::ops::Origin::Keystroke, &mut fx)
        };
        act(&mut app, wheelhouse::app::Action::Topology);
        let tabs = match tab {
            "matrix" => 1,
            "graph" => 2,
            _ => 0,
        };
        for _ in 0..tabs {
            act(&mut app, wheelhouse::app::Action::ToggleTopologyTab);
        }
        // A container selected, so that its reach is worked out each frame too.
        for _ in 0..5 {
            act(&mut app, wheelhouse::app::Action::Down);
        }
        let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
        group.bench_function(format!("frame_{tab}"), |b| {
            b.iter(|| {
                term.draw(|f| wheelhouse::ui::render_with(f, &app, false))
                    .unwrap();
            })
        });
    }
    group.finish();
}

/// A project of 40 services, two replicas each, each depending on one or two earlier ones: the
/// service graph laid out both ways (when the view opens on it, or the project changes).
fn service_graph(c: &mut Criterion) {
    use wheelhouse::app::testing::container;
    let mut inv = wheelhouse::app::inventory::Inventory::default();
    for s in 0..40 {
        let deps: Vec<String> = [s / 2, s / 3]
            .into_iter()
            .filter(|d| *d < s)
            .map(|d| format!("s{d}:service_started:false"))
            .collect();
        for r in 1..=2 {
            let c = container(&format!("big-s{s}-{r}"), "running")
                .project("big", &format!("s{s}"))
                .label("com.docker.compose.depends_on", &deps.join(","));
            inv.upsert(c.into());
        }
    }
    let topo = wheelhouse::topology::build(&inv);
    let key = wheelhouse::topology::graph::ProjectKey {
        endpoint: "default".into(),
        kind: wheelhouse::topology::model::GroupKind::Compose,
        name: "big".into(),
    };
    c.bench_function("service_graph_40_services_layout", |b| {
        b.iter(|| wheelhouse::topology::graph::layout(&topo, &key))
    });
}

criterion_group!(benches, frame, event, topology, service_graph);
criterion_main!(benches);
