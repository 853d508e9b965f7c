//! Snapshot tests of every canned scene, and style checks where colour carries meaning.
//!
//! Regenerate with `INSTA_UPDATE=always cargo test --test views` and read the diff: a snapshot
//! is only worth keeping if an operator would be happy with what it shows.

use ratatui::buffer::{Buffer, Cell};
use ratatui::style::Style;
use unicode_width::UnicodeWidthStr;

use wheelhouse::app::logbuf::Stream;
use wheelhouse::app::model::Health;
use wheelhouse::app::state::{App, Overlay};
use wheelhouse::app::testing::container;
use wheelhouse::app::{update, Action, Msg};
use wheelhouse::cli::render_to_buffer;
use wheelhouse::config::theme::Slot;
use wheelhouse::scenes;

/// The screen as text: one line per row, wide characters counted once.
fn buffer_text(buf: &Buffer) -> String {
    (0..buf.area.height)
        .map(|y| {
            visible_cells(buf, y)
                .into_iter()
                .map(|(_, s)| s)
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The cells of one row that show something, with their x; the cells a wide character
/// covers are skipped, as a terminal would.
fn visible_cells(buf: &Buffer, y: u16) -> Vec<(u16, String)> {
    let mut out = Vec::new();
    let mut skip = 0usize;
    for x in 0..buf.area.width {
        let sym = buf[(x, y)].symbol();
        if skip == 0 {
            out.push((x, sym.to_owned()));
        }
        skip = sym.width().max(skip).saturating_sub(1);
    }
    out
}

/// Every (x, y) where `needle` starts on screen.
fn find_all(buf: &Buffer, needle: &str) -> Vec<(u16, u16)> {
    let want: Vec<String> = needle.chars().map(String::from).collect();
    let mut hits = Vec::new();
    for y in 0..buf.area.height {
        let cells = visible_cells(buf, y);
        for start in 0..cells.len() {
            if cells.len() - start >= want.len()
                && cells[start..start + want.len()]
                    .iter()
                    .zip(&want)
                    .all(|((_, s), w)| s == w)
            {
                hits.push((cells[start].0, y));
            }
        }
    }
    hits
}

fn find(buf: &Buffer, needle: &str) -> (u16, u16) {
    let hits = find_all(buf, needle);
    assert!(
        !hits.is_empty(),
        "{needle:?} not on screen:\n{}",
        buffer_text(buf)
    );
    hits[0]
}

/// The cell carries the style: every colour and modifier the style sets is on the cell.
fn has_style(cell: &Cell, style: Style) -> bool {
    style.fg.is_none_or(|c| cell.fg == c)
        && style.bg.is_none_or(|c| cell.bg == c)
        && cell.modifier.contains(style.add_modifier)
}

fn assert_styled(buf: &Buffer, needle: &str, style: Style, what: &str) {
    let (x, y) = find(buf, needle);
    for dx in 0..needle.width() as u16 {
        let cell = &buf[(x + dx, y)];
        assert!(
            has_style(cell, style),
            "{what}: {needle:?} at ({x},{y}) cell {dx} is {cell:?}, want {style:?}\n{}",
            buffer_text(buf)
        );
    }
}

fn snapshot_all(w: u16, h: u16) {
    for (name, app) in scenes::all(w, h) {
        let text = buffer_text(&render_to_buffer(&app, w, h));
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

#[test]
fn scenes_at_80x24() {
    snapshot_all(80, 24);
}

#[test]
fn scenes_at_200x50() {
    snapshot_all(200, 50);
}

#[test]
fn too_small_terminal_says_what_it_needs() {
    let app = scenes::table(40, 10);
    let buf = render_to_buffer(&app, 40, 10);
    let text = buffer_text(&buf);
    assert!(text.contains("needs at least"), "{text}");
    insta::assert_snapshot!("too_small_40x10", text);
}

fn action(app: &mut App, a: Action) -> Vec<wheelhouse::app::Effect> {
    let mut fx = Vec::new();
    wheelhouse::app::update::on_action(app, a, wheelhouse::ops::Origin::Keystroke, &mut fx);
    fx
}

fn select_name(app: &mut App, name: &str) {
    action(app, Action::Top);
    for _ in 0..app.table.rows.len() {
        if app.selected_container().is_some_and(|c| c.name == name) {
            return;
        }
        action(app, Action::Down);
    }
    panic!("{name} is not in the table");
}

/// A small table whose colours matter: an unhealthy and an exited container.
fn coloured_app() -> App {
    let mut app = scenes::base_app(120, 20);
    update(
        &mut app,
        Msg::Listed {
            endpoint: "default".into(),
            containers: vec![
                container("alpha", "running").into(),
                container("bravo", "running")
                    .health(Health::Unhealthy)
                    .into(),
                container("charlie", "exited").into(),
            ],
        },
    );
    app
}

#[test]
fn selected_row_uses_table_selected() {
    let mut app = coloured_app();
    select_name(&mut app, "alpha");
    let buf = render_to_buffer(&app, 120, 20);
    let style = app.theme.style(Slot::TableSelected);
    assert_styled(&buf, "alpha", style, "selected row");
    // The whole width of the row, gaps between columns included.
    let (_, y) = find(&buf, "alpha");
    for x in 1..buf.area.width - 1 {
        let cell = &buf[(x, y)];
        assert_eq!(
            cell.bg,
            style.bg.unwrap_or(cell.bg),
            "selected row background at x={x}"
        );
    }
    // Another row is not selected-looking.
    let (x, y) = find(&buf, "charlie");
    assert!(!has_style(&buf[(x, y)], style), "charlie looks selected");
}

#[test]
fn unhealthy_health_cell_uses_health_unhealthy() {
    let mut app = coloured_app();
    select_name(&mut app, "alpha");
    let buf = render_to_buffer(&app, 120, 20);
    assert_styled(
        &buf,
        "unhealthy",
        app.theme.style(Slot::HealthUnhealthy),
        "health cell",
    );
}

#[test]
fn exited_state_cell_uses_state_exited() {
    let mut app = coloured_app();
    select_name(&mut app, "alpha");
    let buf = render_to_buffer(&app, 120, 20);
    assert_styled(
        &buf,
        "exited",
        app.theme.style(Slot::StateExited),
        "state cell",
    );
    assert_styled(
        &buf,
        "running",
        app.theme.style(Slot::StateRunning),
        "state cell",
    );
}

#[test]
fn confirm_dialog_focuses_cancel_with_the_focused_style() {
    let mut app = scenes::confirm(80, 24);
    let buf = render_to_buffer(&app, 80, 24);
    let focused = app.theme.style(Slot::DialogButtonFocused);
    let plain = app.theme.style(Slot::DialogButton);
    assert_styled(&buf, "  Cancel  ", focused, "default focus");
    assert_styled(&buf, "  Kill  ", plain, "unfocused button");
    assert_ne!(focused, plain, "the theme must tell the buttons apart");

    action(&mut app, Action::FocusNext);
    assert!(matches!(app.screen.overlay, Some(Overlay::Confirm(_))));
    let buf = render_to_buffer(&app, 80, 24);
    assert_styled(&buf, "  Kill  ", focused, "focus moved");
    assert_styled(&buf, "  Cancel  ", plain, "focus moved away");
}

#[test]
fn read_only_badge_uses_header_read_only() {
    let app = scenes::read_only(80, 24);
    let buf = render_to_buffer(&app, 80, 24);
    assert_styled(
        &buf,
        " READ-ONLY ",
        app.theme.style(Slot::HeaderReadOnly),
        "badge",
    );
}

#[test]
fn why_changes_are_refused_is_on_screen_in_warning_style_under_the_header() {
    let mut app = scenes::read_only(100, 24);
    app.options.read_only_reason = Some("config.toml:2:9: invalid string".into());
    update(
        &mut app,
        Msg::AuditProblem(Some(
            "audit log /data/audit.jsonl: Permission denied".into(),
        )),
    );
    let buf = render_to_buffer(&app, 100, 24);
    let text = buffer_text(&buf);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[1].starts_with(" ⚠ READ-ONLY until the config file is fixed (or wheelhouse is started with --read-write): config"),
        "{text}"
    );
    assert!(
        lines[2].starts_with(" ⚠ audit log /data/audit.jsonl: Permission denied"),
        "{text}"
    );
    assert!(
        lines[3].starts_with('┌'),
        "the table starts below the notices:\n{text}"
    );
    assert_styled(
        &buf,
        "READ-ONLY until",
        app.theme.style(Slot::Warning),
        "notice",
    );
}

#[test]
fn stderr_log_lines_use_logs_stderr() {
    let mut app = scenes::base_app(100, 20);
    update(
        &mut app,
        Msg::Listed {
            endpoint: "default".into(),
            containers: vec![container("alpha", "running").into()],
        },
    );
    action(&mut app, Action::Logs);
    let session = app.views.logs.as_ref().expect("logs open").sources[0].session;
    for (stream, text) in [
        (Stream::Stdout, "all is well"),
        (Stream::Stderr, "something broke"),
    ] {
        update(
            &mut app,
            Msg::LogChunk {
                session,
                stream,
                bytes: format!("2026-11-22T19:19:00.000000000Z {text}\n").into_bytes(),
            },
        );
    }
    let buf = render_to_buffer(&app, 100, 20);
    let stderr = app.theme.style(Slot::LogsStderr);
    assert_styled(&buf, "something broke", stderr, "stderr line");
    let (x, y) = find(&buf, "all is well");
    assert!(
        !has_style(&buf[(x, y)], stderr) || app.theme.style(Slot::LogsStdout) == stderr,
        "stdout line looks like stderr"
    );
}

#[test]
fn tree_group_health_uses_starting_not_unhealthy() {
    let app = scenes::tree(80, 24);
    let buf = render_to_buffer(&app, 80, 24);
    assert_styled(
        &buf,
        "1 start",
        app.theme.style(Slot::HealthStarting),
        "group health",
    );
}

#[test]
fn sort_arrow_survives_a_narrow_column() {
    let mut app = scenes::table(80, 24);
    update(
        &mut app,
        Msg::Key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('>'),
            crossterm::event::KeyModifiers::NONE,
        )),
    );
    let text = buffer_text(&render_to_buffer(&app, 80, 24));
    let header = text.lines().nth(2).unwrap();
    assert!(
        header.contains("PROJECT") && header.contains("…▲"),
        "{text}"
    );
}

/// The README shows these files; a change to a view must regenerate them
/// (`cargo run -- screenshots`), or the README shows a console that no longer exists.
#[test]
fn committed_screenshots_match_the_current_rendering() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    for (name, svg) in wheelhouse::cli::screenshot_svgs() {
        let path = dir.join(format!("{name}.svg"));
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        assert!(
            committed == svg,
            "{} is stale: run `cargo run -- screenshots`",
            path.display()
        );
    }
}

#[test]
fn memory_without_a_hard_limit_is_measured_against_its_reservation() {
    let app = scenes::table(80, 24);
    let buf = render_to_buffer(&app, 80, 24);
    assert_styled(
        &buf,
        "120M/r64M",
        app.theme.style(Slot::GaugeNearLimit),
        "working set above the reservation",
    );
}

#[test]
fn detail_of_a_stopped_container_says_how_and_when_it_ended() {
    let app = scenes::detail_of(120, 32, "fx-stopped");
    let text = buffer_text(&render_to_buffer(&app, 120, 32));
    let line = text
        .lines()
        .find(|l| l.contains("exited with code 3"))
        .unwrap_or_else(|| panic!("no exit code in the detail pane:\n{text}"));
    assert!(line.contains("STATE"), "{line}");
    assert!(line.contains(" ago"), "{line}");
}

#[test]
fn header_counts_one_container_in_the_singular() {
    let mut app = scenes::base_app(120, 20);
    let listed = |names: &[&str]| Msg::Listed {
        endpoint: "default".into(),
        containers: names
            .iter()
            .map(|n| container(n, "running").into())
            .collect(),
    };
    update(&mut app, listed(&["alpha"]));
    let text = buffer_text(&render_to_buffer(&app, 120, 20));
    assert!(
        text.contains("│ 1 container") && !text.contains("1 containers"),
        "{text}"
    );
    update(&mut app, listed(&["alpha", "bravo"]));
    let text = buffer_text(&render_to_buffer(&app, 120, 20));
    assert!(text.contains("│ 2 containers"), "{text}");
}

#[test]
fn detail_measures_memory_against_a_reservation_when_there_is_no_limit() {
    let app = scenes::detail_of(120, 32, "shop-api-1");
    let text = buffer_text(&render_to_buffer(&app, 120, 32));
    assert!(
        text.contains("120M (no limit; above the 64M reservation)"),
        "{text}"
    );
}

#[test]
fn a_probes_whole_output_is_in_the_detail_pane_and_it_scrolls_to_the_rest() {
    // The scene's newest probe says why on its second line; the pane once showed only the first.
    let mut app = scenes::health(80, 24);
    let text = buffer_text(&render_to_buffer(&app, 80, 24));
    find(&render_to_buffer(&app, 80, 24), "probe says no");
    assert!(
        text.contains("cat: can't open '/nonexistent'"),
        "both lines of the newest probe:\n{text}"
    );
    // Failing, so the probes come before the usage figures; those are a scroll away.
    assert!(text.contains("↓ more"), "{text}");
    assert!(!text.contains("LIMITS"), "{text}");
    for _ in 0..12 {
        action(&mut app, Action::DetailScroll);
    }
    let scrolled = render_to_buffer(&app, 80, 24);
    let text = buffer_text(&scrolled);
    assert!(text.contains("LIMITS none"), "{text}");
    assert!(find_all(&scrolled, "probe says no").is_empty(), "{text}");
    assert!(
        text.contains("↑ ( [ )"),
        "at the end, it says the way back: {text}"
    );
}

#[test]
fn detail_text_and_charts_keep_apart_at_every_width() {
    for (w, h) in [(80, 24), (120, 40), (200, 50)] {
        let app = scenes::detail(w, h);
        let text = buffer_text(&render_to_buffer(&app, w, h));
        for line in text.lines() {
            // A text line ran into the chart titles and bars beside it.
            assert!(
                !line.contains("w 4.0K/smemory") && !line.contains("throttled CPU %"),
                "{w}x{h}: {line}"
            );
            if let Some(at) = line.find("memory (top") {
                let before = &line[..at];
                assert!(
                    before.ends_with("  "),
                    "{w}x{h}: no gap before a chart: {line}"
                );
            }
        }
    }
}

#[test]
fn rows_of_a_down_endpoint_are_dimmed_and_their_figures_marked_not_live() {
    let mut app = scenes::detail(120, 40);
    let live = render_to_buffer(&app, 120, 40);
    let (x, y) = find(&live, "96%█");
    assert!(!has_style(&live[(x, y)], app.theme.style(Slot::TextDim)));
    update(
        &mut app,
        Msg::EndpointState {
            endpoint: "default".into(),
            state: wheelhouse::app::model::EndpointState::Down {
                reason: "connection refused".into(),
                retry_in_secs: Some(4),
            },
        },
    );
    let down = render_to_buffer(&app, 120, 40);
    let text = buffer_text(&down);
    assert!(find_all(&down, "96%█").is_empty(), "{text}");
    let row = text.lines().find(|l| l.contains("demo-db-1 ")).unwrap();
    assert!(row.contains("running?") && row.contains("96%?"), "{row}");
    assert_styled(
        &down,
        "96%?",
        app.theme.style(Slot::TextDim),
        "a stale figure",
    );
    assert_styled(
        &down,
        "running?",
        app.theme.style(Slot::TextDim),
        "a stale state",
    );
    assert!(text.contains("default is down: last known"), "{text}");
}

#[test]
fn a_down_endpoint_stays_in_the_header_at_80_columns_with_four_endpoints() {
    use wheelhouse::app::model::{EndpointState, EndpointStatus};
    let mut app = scenes::base_app(80, 24);
    let up = |version: &str| EndpointState::Up {
        version: version.into(),
        api_version: "1.47".into(),
    };
    for (name, host) in [
        ("prod-eu-west-1", "ssh://ops@10.0.0.5"),
        ("staging-engine", "tcp://10.0.0.6:2376"),
        ("db-primary", "tcp://10.0.0.7:2376"),
    ] {
        update(
            &mut app,
            Msg::EndpointAttached(EndpointStatus::new(name, host)),
        );
    }
    for (name, state) in [
        ("default", up("27.5.1")),
        ("prod-eu-west-1", up("27.5.1")),
        ("staging-engine", up("24.0.7")),
        (
            "db-primary",
            EndpointState::Down {
                reason: "connection refused".into(),
                retry_in_secs: Some(8),
            },
        ),
    ] {
        update(
            &mut app,
            Msg::EndpointState {
                endpoint: name.into(),
                state,
            },
        );
    }
    let header = buffer_text(&render_to_buffer(&app, 80, 24))
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert!(header.contains("db-primary ✖ down"), "{header}");
    assert!(
        header.contains("3 up ●"),
        "the healthy ones made room: {header}"
    );
    // With room, each is named with its version.
    let wide = buffer_text(&render_to_buffer(&app, 200, 50));
    let header = wide.lines().next().unwrap();
    assert!(
        header.contains("prod-eu-west-1 ● 27.5.1")
            && header.contains("db-primary ✖ down, retry in"),
        "{header}"
    );
}

#[test]
fn replica_names_get_their_room_and_are_cut_in_the_middle_when_they_must() {
    let mut app = scenes::base_app(120, 24);
    let names = [
        "billing-invoice-reconciliation-worker-1",
        "billing-invoice-reconciliation-worker-2",
        "billing-invoice-reconciliation-worker-3",
    ];
    update(
        &mut app,
        Msg::Listed {
            endpoint: "default".into(),
            containers: names
                .iter()
                .map(|n| {
                    container(n, "running")
                        .project("billing", "invoice-reconciliation-worker")
                        .into()
                })
                .collect(),
        },
    );
    let wide = buffer_text(&render_to_buffer(&app, 120, 24));
    for n in names {
        assert!(wide.contains(n), "whole at 120 columns:\n{wide}");
    }
    // At 60 columns the names are cut, but each keeps its end: the replicas stay apart.
    let narrow = buffer_text(&render_to_buffer(&app, 60, 24));
    for n in ["worker-1 ", "worker-2 ", "worker-3 "] {
        let row = narrow
            .lines()
            .find(|l| l.contains(n))
            .unwrap_or_else(|| panic!("{narrow}"));
        assert!(row.contains("billing-") && row.contains('…'), "{row}");
    }
}

#[test]
fn logs_scrolled_right_past_the_end_of_their_lines_still_draw() {
    let mut app = scenes::logs(80, 24);
    for _ in 0..40 {
        action(&mut app, Action::Right);
    }
    // Scrolled past every line's end: nothing of the lines, and no panic.
    let text = buffer_text(&render_to_buffer(&app, 80, 24));
    assert!(text.contains("Logs:"), "{text}");
}

#[test]
fn only_matching_lines_show_when_the_filter_is_on() {
    let mut app = scenes::logs(100, 30);
    let all = buffer_text(&render_to_buffer(&app, 100, 30));
    assert!(all.contains("GET /health"), "{all}");
    if app.views.logs.as_ref().unwrap().query.is_empty() {
        app.views.logs.as_mut().unwrap().query = "error".into();
    }
    action(&mut app, Action::ToggleOnlyMatching);
    let text = buffer_text(&render_to_buffer(&app, 100, 30));
    assert!(text.contains("only matching"), "{text}");
    let body: Vec<&str> = text
        .lines()
        .skip(2)
        .filter(|l| l.starts_with('│') && l.trim_matches(['│', ' ']).len() > 1)
        .collect();
    assert!(!body.is_empty(), "{text}");
    assert!(
        body.iter().all(|l| l.to_lowercase().contains("error")),
        "only lines with the query: {text}"
    );
    action(&mut app, Action::ToggleOnlyMatching);
    assert!(buffer_text(&render_to_buffer(&app, 100, 30)).contains("GET /health"));
}
