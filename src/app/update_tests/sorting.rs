//! Sorting: ties by name, missing values last both ways, columns in screen order, direct keys.

use super::*;
use crate::app::rows::Sort;

fn sort(app: &mut App, line: &str) {
    act(app, Action::Palette);
    typed(app, line);
    press(app, KeyCode::Enter);
}

/// Names in row order, without the group lines.
fn names(app: &App) -> Vec<String> {
    row_names(app)
}

fn mixed() -> App {
    app_with(vec![
        container("web-2", "running").uptime_minutes(5).into(),
        container("db", "exited").into(),
        container("web-10", "running").uptime_minutes(5).into(),
        container("api", "exited").into(),
        container("web-1", "running").uptime_minutes(50).into(),
    ])
}

#[test]
fn ties_read_by_name_and_stopped_containers_have_no_uptime_either_way() {
    let mut app = mixed();
    sort(&mut app, "sort state");
    assert_eq!(names(&app), ["web-1", "web-2", "web-10", "api", "db"]);
    sort(&mut app, "sort uptime");
    assert_eq!(names(&app), ["web-2", "web-10", "web-1", "api", "db"]);
    sort(&mut app, "sort uptime desc");
    assert_eq!(
        names(&app),
        ["web-1", "web-2", "web-10", "api", "db"],
        "an exited container is not the longest up"
    );
}

#[test]
fn next_column_follows_the_screen_and_every_measured_column_sorts() {
    let mut app = mixed();
    let mut seen = vec![app.table.sort.column];
    for _ in 1..SortColumn::ALL.len() {
        act(&mut app, Action::SortNext);
        seen.push(app.table.sort.column);
    }
    let expected: Vec<SortColumn> = SortColumn::ALL
        .iter()
        .copied()
        .filter(|c| *c != SortColumn::Endpoint)
        .collect();
    assert_eq!(seen[..expected.len()], expected[..]);
    for name in ["health", "throttle", "pids", "net", "io"] {
        sort(&mut app, &format!("sort {name}"));
        assert_eq!(app.table.sort.column.name(), name, "{:?}", errors(&app));
        assert!(errors(&app).is_empty(), "{:?}", errors(&app));
    }
}

#[test]
fn o_c_sorts_by_cpu_biggest_first_and_again_reverses() {
    let mut app = mixed();
    typed(&mut app, "oc");
    assert_eq!(
        app.table.sort,
        Sort {
            column: SortColumn::Cpu,
            descending: true
        }
    );
    typed(&mut app, "oc");
    assert!(!app.table.sort.descending);
    typed(&mut app, "on");
    assert_eq!(app.table.sort.column, SortColumn::Name);
    assert!(!app.table.sort.descending);
}

#[test]
fn sort_completes_column_names() {
    assert_eq!(
        crate::app::palette::complete("sort thr").as_deref(),
        Some("sort throttle")
    );
    assert_eq!(
        crate::app::palette::complete("sort he").as_deref(),
        Some("sort health")
    );
}
