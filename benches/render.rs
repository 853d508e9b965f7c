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

criterion_group!(benches, frame, event);
criterion_main!(benches);
