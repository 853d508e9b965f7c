//! Reducer tests: feed Msgs and keys through the default keymap, check App and Effects.

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

use super::effect::Effect;
use super::logbuf::Stream;
use super::model::{Container, ContainerKey, Health};
use super::rows::{Row, SortColumn};
use super::state::*;
use super::testing::{container, group, group_short};
use super::{update, Action, Msg};
use crate::ops::request::KILL_SIGNALS;
use crate::ops::{Approval, Operation, Origin, Plan};
use crate::scenes;

// ---------------------------------------------------------------------------------------------
// Helpers

fn app_with(containers: Vec<Container>) -> App {
    let mut app = scenes::base_app(80, 24);
    update(
        &mut app,
        Msg::Listed {
            endpoint: "default".into(),
            containers,
        },
    );
    app
}

fn abc() -> App {
    app_with(vec![
        container("alpha", "running").uptime_minutes(10).into(),
        container("bravo", "running").uptime_minutes(30).into(),
        container("charlie", "exited").into(),
    ])
}

/// Two compose projects and a standalone container.
fn projects() -> App {
    app_with(vec![
        container("demo-db-1", "running")
            .project("demo", "db")
            .into(),
        container("demo-web-1", "running")
            .project("demo", "web")
            .into(),
        container("demo-web-2", "exited")
            .project("demo", "web")
            .into(),
        container("shop-api-1", "running")
            .project("shop", "api")
            .into(),
        container("lonely", "running").into(),
    ])
}

/// A key, then the layout's page sizes put back in the state, as the runtime does.
fn press_mod(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    let fx = update(app, Msg::Key(KeyEvent::new(code, mods)));
    crate::ui::layout::fit(app);
    fx
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    press_mod(app, code, KeyModifiers::NONE)
}

fn ch(app: &mut App, c: char) -> Vec<Effect> {
    press(app, KeyCode::Char(c))
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| ch(app, c)).collect()
}

fn act(app: &mut App, a: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    super::update::on_action(app, a, Origin::Keystroke, &mut fx);
    crate::ui::layout::fit(app);
    fx
}

fn selected_name(app: &App) -> Option<String> {
    app.selected_container().map(|c| c.name.clone())
}

fn key_of(app: &App, name: &str) -> ContainerKey {
    app.inventory
        .iter()
        .find(|(_, c)| c.name == name)
        .map(|(_, c)| c.key.clone())
        .unwrap_or_else(|| panic!("no container {name}"))
}

fn select(app: &mut App, name: &str) {
    act(app, Action::Top);
    for _ in 0..app.table.rows.len() {
        if selected_name(app).as_deref() == Some(name) {
            return;
        }
        act(app, Action::Down);
    }
    panic!("{name} not in the table");
}

fn select_group(app: &mut App, short: &str) {
    let id = group(short);
    let i = app
        .table
        .rows
        .iter()
        .position(|r| matches!(r, Row::Group { id: g, .. } if *g == id))
        .unwrap_or_else(|| panic!("no group {short}"));
    act(app, Action::Top);
    for _ in 0..i {
        act(app, Action::Down);
    }
    assert_eq!(app.table.selected, Some(Selected::Group(id)));
}

fn row_names(app: &App) -> Vec<String> {
    app.table
        .rows
        .iter()
        .map(|r| match r {
            Row::Container { slot, .. } => app.inventory.get(*slot).unwrap().name.clone(),
            Row::Group { id, .. } => group_short(id),
            Row::Task { id, .. } => format!("task:{id}"),
        })
        .collect()
}

fn dialog(app: &App) -> &ConfirmDialog {
    match &app.screen.overlay {
        Some(Overlay::Confirm(d)) => d,
        other => panic!("no confirm dialog: {other:?}"),
    }
}

fn target_names(d: &ConfirmDialog) -> Vec<&str> {
    d.plan.steps.iter().map(|s| s.target.label()).collect()
}

/// The operation of the dialog's plan (every step has the same one in these tests).
fn dialog_op(app: &App) -> Operation {
    dialog(app).plan.steps[0].op.clone()
}

/// Plans handed to the gate, each approved by the operator.
fn mutations(fx: &[Effect]) -> Vec<&Plan> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Submit { plan, approval } => {
                assert_eq!(*approval, Approval::Operator);
                Some(plan)
            }
            _ => None,
        })
        .collect()
}

fn errors(app: &App) -> Vec<&str> {
    app.screen
        .toasts
        .iter()
        .filter(|t| t.level == ToastLevel::Error)
        .map(|t| t.text.as_str())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Selection

#[test]
fn selection_follows_the_container_when_rows_are_resorted() {
    let mut app = abc();
    select(&mut app, "alpha");
    assert_eq!(app.table.cursor, 0);
    ch(&mut app, 'O'); // reverse the sort
    assert!(app.table.sort.descending);
    assert_eq!(row_names(&app), ["charlie", "bravo", "alpha"]);
    assert_eq!(selected_name(&app).as_deref(), Some("alpha"));
    assert_eq!(app.table.cursor, 2);
    ch(&mut app, '>'); // next column
    assert_eq!(selected_name(&app).as_deref(), Some("alpha"));
}

#[test]
fn selection_stays_when_containers_are_added_before_it() {
    let mut app = abc();
    select(&mut app, "bravo");
    assert_eq!(app.table.cursor, 1);
    update(
        &mut app,
        Msg::ContainerChanged(Box::new(container("aardvark", "running").into())),
    );
    update(
        &mut app,
        Msg::ContainerChanged(Box::new(container("abacus", "running").into())),
    );
    assert_eq!(selected_name(&app).as_deref(), Some("bravo"));
    assert_eq!(app.table.cursor, 3);
}

#[test]
fn selection_stays_when_the_container_changes_state() {
    let mut app = abc();
    select(&mut app, "bravo");
    act(&mut app, Action::SortNext); // project
    act(&mut app, Action::SortNext); // image
    act(&mut app, Action::SortNext); // state: exited sorts apart from running
    assert_eq!(app.table.sort.column, SortColumn::State);
    update(
        &mut app,
        Msg::ContainerChanged(Box::new(container("bravo", "exited").into())),
    );
    assert_eq!(selected_name(&app).as_deref(), Some("bravo"));
    assert_eq!(
        app.selected_container().unwrap().state,
        super::model::RunState::Exited
    );
    assert_eq!(
        row_names(&app)[app.table.cursor],
        "bravo",
        "cursor index follows the row"
    );
}

#[test]
fn removed_selection_lands_on_a_neighbour() {
    let mut app = abc();
    select(&mut app, "bravo");
    let k = key_of(&app, "bravo");
    update(&mut app, Msg::ContainerRemoved(k));
    assert_eq!(selected_name(&app).as_deref(), Some("charlie"));
    assert_eq!(app.table.cursor, 1);
    // The last row goes: the cursor moves up to the new last row.
    let k = key_of(&app, "charlie");
    update(&mut app, Msg::ContainerRemoved(k));
    assert_eq!(selected_name(&app).as_deref(), Some("alpha"));
    // And the table empties.
    let k = key_of(&app, "alpha");
    update(&mut app, Msg::ContainerRemoved(k));
    assert_eq!(app.table.selected, None);
    assert!(app.table.rows.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Confirm dialog

#[test]
fn mutation_key_opens_a_dialog_naming_the_selected_container_and_endpoint() {
    let mut app = abc();
    select(&mut app, "bravo");
    let fx = ch(&mut app, 's');
    assert!(fx.is_empty());
    let d = dialog(&app);
    assert_eq!(target_names(d), ["bravo"]);
    assert_eq!(d.plan.endpoints(), ["default"]);
    assert_eq!(dialog_op(&app), Operation::Stop);
    assert_eq!(dialog(&app).focus, Button::Cancel);
}

#[test]
fn dialog_names_every_marked_container_and_every_endpoint() {
    let mut app = app_with(vec![
        container("alpha", "running").into(),
        container("bravo", "running").endpoint("prod").into(),
        container("charlie", "running").into(),
    ]);
    // Mark moves down, so marking twice from the top marks alpha and bravo.
    select(&mut app, "alpha");
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(app.table.marked.len(), 2);
    assert_eq!(selected_name(&app).as_deref(), Some("charlie"));
    ch(&mut app, 'r');
    let d = dialog(&app);
    assert_eq!(
        target_names(d),
        ["alpha", "bravo"],
        "marks win over the selection"
    );
    assert_eq!(d.plan.endpoints(), ["default", "prod"]);
    assert_eq!(dialog_op(&app), Operation::Restart);
}

#[test]
fn dialog_on_a_tree_group_names_its_members() {
    let mut app = projects();
    ch(&mut app, 't');
    select_group(&mut app, "p:demo");
    ch(&mut app, 's');
    assert_eq!(
        target_names(dialog(&app)),
        ["demo-db-1", "demo-web-1", "demo-web-2"]
    );
    press(&mut app, KeyCode::Esc);
    assert!(app.screen.overlay.is_none());
    select_group(&mut app, "s:demo/web");
    ch(&mut app, 's');
    assert_eq!(target_names(dialog(&app)), ["demo-web-1", "demo-web-2"]);
    press(&mut app, KeyCode::Esc);
    select_group(&mut app, "standalone");
    ch(&mut app, 's');
    assert_eq!(target_names(dialog(&app)), ["lonely"]);
}

#[test]
fn enter_with_the_default_focus_cancels() {
    let mut app = abc();
    select(&mut app, "alpha");
    ch(&mut app, 'D');
    let fx = press(&mut app, KeyCode::Enter);
    assert!(fx.is_empty(), "{fx:?}");
    assert!(app.screen.overlay.is_none());
}

#[test]
fn focus_next_then_confirm_emits_exactly_one_mutation() {
    let mut app = abc();
    select(&mut app, "alpha");
    ch(&mut app, 'r');
    press(&mut app, KeyCode::Tab);
    assert_eq!(dialog(&app).focus, Button::Confirm);
    let fx = press(&mut app, KeyCode::Enter);
    let m = mutations(&fx);
    assert_eq!(m.len(), 1, "{fx:?}");
    assert_eq!(fx.len(), 1, "{fx:?}");
    assert_eq!(m[0].origin, Origin::Keystroke);
    assert_eq!(m[0].steps.len(), 1);
    assert_eq!(m[0].steps[0].op, Operation::Restart);
    assert_eq!(m[0].steps[0].target.label(), "alpha");
    assert_eq!(
        m[0].steps[0].target.container_key(),
        Some(key_of(&app, "alpha"))
    );
    assert!(app.screen.overlay.is_none());
    // Shown as running until the gate reports back.
    assert_eq!(app.ops.running.len(), 1);
}

#[test]
fn kill_option_next_cycles_signals() {
    let mut app = abc();
    select(&mut app, "alpha");
    ch(&mut app, 'K');
    let signal = |app: &App| match dialog_op(app) {
        Operation::Kill { signal } => signal,
        m => panic!("{m:?}"),
    };
    assert_eq!(signal(&app), KILL_SIGNALS[0]);
    press(&mut app, KeyCode::Down);
    assert_eq!(signal(&app), KILL_SIGNALS[1]);
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Up);
    assert_eq!(signal(&app), *KILL_SIGNALS.last().unwrap(), "wraps around");
    for _ in 0..KILL_SIGNALS.len() {
        press(&mut app, KeyCode::Down);
    }
    assert_eq!(signal(&app), *KILL_SIGNALS.last().unwrap());
    press(&mut app, KeyCode::Tab);
    let fx = press(&mut app, KeyCode::Enter);
    assert_eq!(
        mutations(&fx)[0].steps[0].op,
        Operation::Kill {
            signal: KILL_SIGNALS.last().unwrap().to_string()
        }
    );
}

#[test]
fn remove_toggles_volumes_and_forces_running_targets() {
    let mut app = abc();
    select(&mut app, "alpha"); // running
    ch(&mut app, 'D');
    assert_eq!(dialog(&app).notes, ["1 running: they will be killed first"]);
    ch(&mut app, 'v');
    assert_eq!(
        dialog_op(&app),
        Operation::Remove {
            volumes: true,
            force: true
        }
    );
    ch(&mut app, 'v');
    ch(&mut app, 'v');
    press(&mut app, KeyCode::Tab);
    let fx = press(&mut app, KeyCode::Enter);
    assert_eq!(
        mutations(&fx)[0].steps[0].op,
        Operation::Remove {
            volumes: true,
            force: true
        }
    );

    // A stopped target is not forced.
    select(&mut app, "charlie");
    ch(&mut app, 'D');
    assert!(dialog(&app).notes.is_empty());
    press(&mut app, KeyCode::Tab);
    let fx = press(&mut app, KeyCode::Enter);
    assert_eq!(
        mutations(&fx)[0].steps[0].op,
        Operation::Remove {
            volumes: false,
            force: false
        }
    );
}

#[test]
fn read_only_refuses_mutations_with_an_error_toast_and_an_audited_refusal() {
    let mut app = abc();
    app.options.read_only = true;
    select(&mut app, "alpha");
    for c in ['u', 's', 'r', 'p', 'P', 'K', 'D'] {
        let fx = ch(&mut app, c);
        assert!(app.screen.overlay.is_none(), "{c} opened a dialog");
        // Nothing for the gate to run; a refusal for it to record.
        match fx.as_slice() {
            [Effect::Refuse { plan, reason }] => {
                assert_eq!(plan.steps.len(), 1);
                assert_eq!(plan.steps[0].target.label(), "alpha");
                assert!(reason.contains("read-only"), "{reason}");
            }
            other => panic!("{c}: {other:?}"),
        }
    }
    let errs = errors(&app);
    assert!(!errs.is_empty());
    assert!(errs.iter().all(|e| e.contains("read-only")), "{errs:?}");
}

/// Confirms a restart of `name` and returns the plan handed to the gate.
fn confirm_restart(app: &mut App, name: &str) -> Plan {
    select(app, name);
    ch(app, 'r');
    press(app, KeyCode::Tab);
    let fx = press(app, KeyCode::Enter);
    mutations(&fx)[0].clone()
}

fn ended(plan: &Plan, index: usize, result: Result<(), crate::ops::OpError>) -> Msg {
    Msg::Progress(crate::ops::Progress::Ended {
        plan: plan.id.clone(),
        index,
        result,
    })
}

#[test]
fn progress_marks_steps_and_a_failure_is_reported_with_the_engines_whole_reason() {
    let mut app = abc();
    let plan = confirm_restart(&mut app, "alpha");
    update(
        &mut app,
        Msg::Progress(crate::ops::Progress::Running {
            plan: plan.id.clone(),
            index: 0,
        }),
    );
    assert_eq!(app.ops.running[0].steps, [StepState::Running]);
    let reason = "Cannot restart container 34a1: tried to kill container, but did not receive an exit event (HTTP 500)";
    let error = crate::ops::OpError::new(crate::ops::ErrorKind::Other, reason);
    update(&mut app, ended(&plan, 0, Err(error.clone())));
    assert_eq!(app.ops.running[0].steps, [StepState::Failed(reason.into())]);
    update(
        &mut app,
        Msg::PlanDone(crate::ops::PlanReport {
            plan: plan.id.clone(),
            results: vec![Some(Err(error))],
            ..Default::default()
        }),
    );
    assert!(app.ops.running.is_empty());
    let errs = errors(&app);
    assert!(
        errs.iter()
            .any(|e| e.contains("restart alpha on default failed") && e.ends_with(reason)),
        "{errs:?}"
    );
}

#[test]
fn quitting_waits_for_changes_in_flight_and_a_second_quit_leaves_at_once() {
    let mut app = abc();
    let plan = confirm_restart(&mut app, "alpha");
    let fx = ch(&mut app, 'q');
    assert!(!app.quit && fx.is_empty(), "{fx:?}");
    assert!(app.ops.quitting);
    let notices = app.safety_notices();
    assert!(
        notices
            .iter()
            .any(|n| n.starts_with("Quitting: finishing 1 change… (q again")),
        "{notices:?}"
    );
    // The change ends: the console leaves by itself.
    update(
        &mut app,
        Msg::PlanDone(crate::ops::PlanReport {
            plan: plan.id.clone(),
            results: vec![Some(Ok(()))],
            ..Default::default()
        }),
    );
    assert!(app.quit);

    let mut app = abc();
    confirm_restart(&mut app, "alpha");
    ch(&mut app, 'q');
    let fx = ch(&mut app, 'q');
    assert!(app.quit);
    assert_eq!(fx, [Effect::Quit]);
}

#[test]
fn plan_ids_are_unique_and_carry_the_consoles_prefix() {
    let mut app = abc();
    let a = confirm_restart(&mut app, "alpha");
    let b = confirm_restart(&mut app, "bravo");
    assert_ne!(a.id, b.id);
    assert!(a.id.0.starts_with(&app.options.plan_prefix), "{}", a.id);
}

// ---------------------------------------------------------------------------------------------
// Filter

#[test]
fn filter_narrows_rows_as_typed_and_esc_restores_the_previous_one() {
    let mut app = abc();
    ch(&mut app, '/');
    typed(&mut app, "br");
    assert_eq!(row_names(&app), ["bravo"], "live, before Enter");
    press(&mut app, KeyCode::Enter);
    assert!(app.screen.input.is_none());
    assert_eq!(app.table.filter_text, "br");

    ch(&mut app, '/');
    assert_eq!(app.screen.input.as_ref().unwrap().text, "br");
    typed(&mut app, "x");
    assert!(app.table.rows.is_empty());
    press(&mut app, KeyCode::Esc);
    assert!(app.screen.input.is_none());
    assert_eq!(app.table.filter_text, "br");
    assert_eq!(row_names(&app), ["bravo"]);
}

#[test]
fn ctrl_u_clears_the_filter_input_instead_of_paging() {
    let mut app = abc();
    act(&mut app, Action::Bottom);
    ch(&mut app, '/');
    typed(&mut app, "alpha");
    assert_eq!(row_names(&app), ["alpha"]);
    press_mod(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    let input = app.screen.input.as_ref().expect("input stays open");
    assert_eq!(input.text, "");
    assert_eq!(input.cursor, 0);
    assert_eq!(row_names(&app).len(), 3, "cleared filter shows everything");
    // Typed characters are text, not actions: `q` does not quit, `j` does not move.
    typed(&mut app, "qj");
    assert!(!app.quit);
    assert_eq!(app.screen.input.as_ref().unwrap().text, "qj");
}

// ---------------------------------------------------------------------------------------------
// Tree mode

#[test]
fn collapsing_a_group_hides_its_rows() {
    let mut app = projects();
    ch(&mut app, 't');
    assert!(app.table.tree);
    let all = row_names(&app);
    assert!(all.contains(&"demo-db-1".to_string()));
    select_group(&mut app, "p:demo");
    ch(&mut app, 'z');
    let folded = row_names(&app);
    assert!(folded.contains(&"p:demo".to_string()));
    for hidden in ["s:demo/db", "s:demo/web", "demo-db-1", "demo-web-1"] {
        assert!(!folded.contains(&hidden.to_string()), "{hidden} shown");
    }
    assert!(folded.contains(&"shop-api-1".to_string()));
    assert_eq!(app.table.selected, Some(Selected::Group(group("p:demo"))));
    ch(&mut app, 'z');
    assert_eq!(row_names(&app), all);
}

#[test]
fn marking_a_group_marks_all_its_members() {
    let mut app = projects();
    ch(&mut app, 't');
    select_group(&mut app, "s:demo/web");
    press(&mut app, KeyCode::Char(' '));
    let mut marked: Vec<String> = app
        .table
        .marked
        .iter()
        .map(|k| app.inventory.by_key(k).unwrap().name.clone())
        .collect();
    marked.sort();
    assert_eq!(marked, ["demo-web-1", "demo-web-2"]);
    // Marking it again unmarks them.
    select_group(&mut app, "s:demo/web");
    press(&mut app, KeyCode::Char(' '));
    assert!(app.table.marked.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Logs

fn chunk(app: &mut App, session: u64, stream: Stream, lines: &[String]) {
    let mut bytes = Vec::new();
    for l in lines {
        bytes.extend_from_slice(format!("2026-11-22T19:19:00.000000000Z {l}\n").as_bytes());
    }
    update(
        app,
        Msg::LogChunk {
            session,
            stream,
            bytes,
        },
    );
}

fn numbered(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("line {i}")).collect()
}

#[test]
fn logs_sessions_start_stop_and_ignore_stale_chunks() {
    let mut app = abc();
    select(&mut app, "alpha");
    let fx = press(&mut app, KeyCode::Enter);
    let first = app.views.logs.as_ref().unwrap().sources[0].session;
    assert_eq!(app.views.current, View::Logs);
    assert_eq!(
        fx,
        [Effect::FollowLogs {
            key: key_of(&app, "alpha"),
            session: first,
            tail: 1000,
            since: None,
        }]
    );
    let fx = press(&mut app, KeyCode::Esc);
    assert_eq!(fx, [Effect::StopLogs { session: first }]);
    assert_eq!(app.views.current, View::Table);
    assert!(app.views.logs.is_none());

    select(&mut app, "bravo");
    let fx = press(&mut app, KeyCode::Enter);
    let second = app.views.logs.as_ref().unwrap().sources[0].session;
    assert_ne!(first, second, "a new session");
    assert!(matches!(fx[..], [Effect::FollowLogs { session, .. }] if session == second));
    chunk(&mut app, first, Stream::Stdout, &["stale".into()]);
    assert!(app.views.logs.as_ref().unwrap().buffer.is_empty());
    update(
        &mut app,
        Msg::LogEnded {
            session: first,
            error: None,
        },
    );
    assert!(app.views.logs.as_ref().unwrap().ended.is_none());
    chunk(&mut app, second, Stream::Stdout, &["fresh".into()]);
    assert_eq!(app.views.logs.as_ref().unwrap().buffer.len(), 1);
}

#[test]
fn log_search_jumps_to_the_newest_match_and_n_moves_between_matches() {
    let mut app = abc();
    select(&mut app, "alpha");
    press(&mut app, KeyCode::Enter);
    let s = app.views.logs.as_ref().unwrap().sources[0].session;
    let mut lines = numbered(100);
    lines[10] = "error one".into();
    lines[50] = "ERROR two".into();
    lines[90] = "error three".into();
    chunk(&mut app, s, Stream::Stdout, &lines);
    ch(&mut app, '/');
    typed(&mut app, "error");
    press(&mut app, KeyCode::Enter);
    let l = app.views.logs.as_ref().unwrap();
    assert_eq!(l.current_match, Some(90), "newest first");
    assert!(!l.follow);
    ch(&mut app, 'n');
    assert_eq!(
        app.views.logs.as_ref().unwrap().current_match,
        Some(10),
        "wraps forward"
    );
    ch(&mut app, 'n');
    assert_eq!(app.views.logs.as_ref().unwrap().current_match, Some(50));
    ch(&mut app, 'N');
    assert_eq!(app.views.logs.as_ref().unwrap().current_match, Some(10));
    ch(&mut app, 'N');
    assert_eq!(
        app.views.logs.as_ref().unwrap().current_match,
        Some(90),
        "wraps back"
    );
    // The match is on screen.
    let l = app.views.logs.as_ref().unwrap();
    let page = crate::ui::layout::logs_body_height(&app) as u64;
    assert!(
        l.top <= 90 && 90 < l.top + page,
        "top {} page {page}",
        l.top
    );
}

#[test]
fn scrolling_up_stops_following_and_bottom_resumes() {
    let mut app = abc();
    select(&mut app, "alpha");
    press(&mut app, KeyCode::Enter);
    let s = app.views.logs.as_ref().unwrap().sources[0].session;
    chunk(&mut app, s, Stream::Stdout, &numbered(200));
    assert!(app.views.logs.as_ref().unwrap().follow);
    ch(&mut app, 'k');
    let l = app.views.logs.as_ref().unwrap();
    assert!(!l.follow);
    let page = crate::ui::layout::logs_body_height(&app) as u64;
    assert_eq!(l.top, 200 - page - 1);
    ch(&mut app, 'G');
    assert!(app.views.logs.as_ref().unwrap().follow);
    press_mod(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert!(
        !app.views.logs.as_ref().unwrap().follow,
        "Ctrl-U pages up here"
    );
    ch(&mut app, 'f');
    assert!(app.views.logs.as_ref().unwrap().follow);
}

#[test]
fn save_logs_emits_the_buffer_text() {
    let mut app = abc();
    select(&mut app, "alpha");
    press(&mut app, KeyCode::Enter);
    let s = app.views.logs.as_ref().unwrap().sources[0].session;
    chunk(&mut app, s, Stream::Stdout, &["hello".into()]);
    chunk(&mut app, s, Stream::Stderr, &["oops".into()]);
    let fx = ch(&mut app, 'S');
    let [Effect::SaveLogs {
        container_name,
        text,
    }] = fx.as_slice()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(container_name, "alpha");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("# logs of alpha ("), "{text}");
    assert_eq!(
        &lines[2..],
        [
            "2026-11-22T19:19:00.000000000Z stdout hello",
            "2026-11-22T19:19:00.000000000Z stderr oops"
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Inspect

#[test]
fn inspected_masks_secrets_and_reveal_toggles() {
    let mut app = abc();
    select(&mut app, "alpha");
    let fx = ch(&mut app, 'i');
    let key = key_of(&app, "alpha");
    assert_eq!(fx, [Effect::Inspect { key: key.clone() }]);
    assert_eq!(app.views.current, View::Inspect);
    // A late answer for another container is ignored.
    let other = key_of(&app, "bravo");
    update(
        &mut app,
        Msg::Inspected {
            key: other,
            result: Ok(json!({"Name": "bravo"})),
        },
    );
    assert!(app.views.inspect.as_ref().unwrap().lines.is_empty());
    let doc = json!({
        "Name": "/alpha",
        "Config": {"Env": ["DB_PASSWORD=hunter2", "API_TOKEN=abc", "PATH=/bin", "EMPTY_SECRET="]}
    });
    update(
        &mut app,
        Msg::Inspected {
            key,
            result: Ok(doc),
        },
    );
    let text = |app: &App| app.views.inspect.as_ref().unwrap().lines.join("\n");
    let i = app.views.inspect.as_ref().unwrap();
    assert_eq!(i.masked, 2);
    assert!(!text(&app).contains("hunter2"));
    assert!(!text(&app).contains("abc\""));
    assert!(text(&app).contains(&format!("DB_PASSWORD={}", super::inspect::MASK)));
    assert!(text(&app).contains("PATH=/bin"));
    ch(&mut app, 'x');
    assert!(app.views.inspect.as_ref().unwrap().revealed);
    assert!(text(&app).contains("DB_PASSWORD=hunter2"));
    ch(&mut app, 'x');
    assert!(!text(&app).contains("hunter2"));
}

// ---------------------------------------------------------------------------------------------
// Palette and keys

#[test]
fn palette_switches_theme() {
    let mut app = abc();
    assert_eq!(app.theme.name(), "dark");
    ch(&mut app, ':');
    typed(&mut app, "theme light");
    press(&mut app, KeyCode::Enter);
    assert!(app.screen.input.is_none());
    assert_eq!(app.theme.name(), "light");
    assert!(errors(&app).is_empty());
}

#[test]
fn palette_sorts() {
    let mut app = abc();
    ch(&mut app, ':');
    typed(&mut app, "sort uptime desc");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.table.sort.column, SortColumn::Uptime);
    assert!(app.table.sort.descending);
    // Descending uptime: the longest running first; stopped (no uptime) last either way.
    assert_eq!(row_names(&app), ["bravo", "alpha", "charlie"]);
}

#[test]
fn palette_unknown_command_is_an_error_toast() {
    let mut app = abc();
    ch(&mut app, ':');
    typed(&mut app, "frobnicate");
    let fx = press(&mut app, KeyCode::Enter);
    assert!(fx.is_empty());
    let errs = errors(&app);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].contains("frobnicate"), "{errs:?}");
}

#[test]
fn g_g_goes_to_top_and_g_then_j_still_moves_down() {
    let mut app = abc();
    act(&mut app, Action::Bottom);
    assert_eq!(app.table.cursor, 2);
    ch(&mut app, 'g');
    assert_eq!(app.table.cursor, 2, "waits for the second key");
    ch(&mut app, 'g');
    assert_eq!(app.table.cursor, 0);
    assert!(app.screen.pending_keys.is_empty());
    ch(&mut app, 'g');
    ch(&mut app, 'j');
    assert_eq!(app.table.cursor, 1);
    assert!(app.screen.pending_keys.is_empty());
}

#[test]
fn tick_expires_toasts_by_app_now() {
    let mut app = abc();
    super::update::toast(&mut app, ToastLevel::Info, "info".into());
    super::update::toast(&mut app, ToastLevel::Error, "error".into());
    update(&mut app, Msg::Tick);
    assert_eq!(app.screen.toasts.len(), 2);
    app.now += Duration::seconds(5);
    update(&mut app, Msg::Tick);
    let left: Vec<&str> = app.screen.toasts.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(left, ["error"], "errors stay longer");
    app.now += Duration::seconds(5);
    update(&mut app, Msg::Tick);
    assert!(app.screen.toasts.is_empty());
}

#[test]
fn health_changes_keep_the_selection() {
    let mut app = abc();
    select(&mut app, "charlie");
    update(
        &mut app,
        Msg::ContainerChanged(Box::new(
            container("alpha", "running")
                .health(Health::Unhealthy)
                .into(),
        )),
    );
    assert_eq!(selected_name(&app).as_deref(), Some("charlie"));
}

// ---------------------------------------------------------------------------------------------
// Resource use

fn mem_sample(at_secs: u64, cpu_ns: u64, mem: u64) -> super::usage::Sample {
    let mut s = super::usage::Sample::empty(
        super::usage::SampleSource::Cgroup,
        std::time::Duration::from_secs(at_secs),
    );
    s.cpu_usage_ns = Some(cpu_ns);
    s.memory_usage = Some(mem);
    s.online_cpus = Some(2);
    s
}

fn sampled(app: &mut App, samples: Vec<(ContainerKey, super::usage::Sample)>) {
    update(
        app,
        Msg::Sampled {
            endpoint: "default".into(),
            samples,
        },
    );
}

#[test]
fn samples_become_usage_against_the_containers_limits() {
    const MIB: u64 = 1024 * 1024;
    let limits = super::usage::Limits {
        nano_cpus: Some(500_000_000),
        memory: Some(32 * MIB),
        ..Default::default()
    };
    let mut app = app_with(vec![
        container("alpha", "running").limits(limits).pid(42).into(),
        container("charlie", "exited").into(),
    ]);
    let alpha = key_of(&app, "alpha");
    let charlie = key_of(&app, "charlie");
    let ghost = ContainerKey {
        endpoint: "default".into(),
        id: "ghost".into(),
    };
    sampled(
        &mut app,
        vec![
            (alpha.clone(), mem_sample(1, 0, 8 * MIB)),
            (charlie.clone(), mem_sample(1, 0, MIB)),
            (ghost.clone(), mem_sample(1, 0, MIB)),
        ],
    );
    assert!(!app.usage.contains_key(&charlie), "not running");
    assert!(!app.usage.contains_key(&ghost), "not in the inventory");
    sampled(
        &mut app,
        vec![(alpha.clone(), mem_sample(2, 500_000_000, 16 * MIB))],
    );
    let entry = &app.usage[&alpha];
    let u = entry.latest.as_ref().unwrap();
    assert_eq!(u.cpu_percent_of_limit, Some(100.0));
    assert_eq!(u.memory_percent_of_limit, Some(50.0));
    assert_eq!(entry.history.len(), 2);
    // The watch list carries the pid of running containers only.
    let lists = super::watch::watch_lists(&app);
    let list = &lists["default"];
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].pid, list[0].visible), (Some(42), true));
}

#[test]
fn a_stopped_container_keeps_history_and_a_removed_one_loses_it() {
    let mut app = abc();
    let alpha = key_of(&app, "alpha");
    sampled(&mut app, vec![(alpha.clone(), mem_sample(1, 0, 1024))]);
    assert!(app.usage[&alpha].latest.is_some());
    update(
        &mut app,
        Msg::ContainerChanged(Box::new(container("alpha", "exited").into())),
    );
    let entry = &app.usage[&alpha];
    assert!(entry.latest.is_none());
    assert_eq!(entry.history.len(), 1);
    assert!(!super::watch::watch_lists(&app)["default"]
        .iter()
        .any(|w| w.key == alpha));
    update(&mut app, Msg::ContainerRemoved(alpha.clone()));
    assert!(!app.usage.contains_key(&alpha));
}

/// Reports a new state for the named container, as an inspect after an event would.
fn set_state(app: &mut App, name: &str, state: &str) {
    update(
        app,
        Msg::ContainerChanged(Box::new(container(name, state).into())),
    );
}

/// `alpha` with one sample of history, then stopped.
fn alpha_sampled_then_stopped(app: &mut App) -> ContainerKey {
    let alpha = key_of(app, "alpha");
    sampled(app, vec![(alpha.clone(), mem_sample(1, 0, 1024))]);
    set_state(app, "alpha", "exited");
    alpha
}

#[test]
fn a_stopped_containers_history_goes_after_the_history_window() {
    let mut app = abc();
    let alpha = alpha_sampled_then_stopped(&mut app);
    // Histories are pruned when the inventory changes.
    let kept = super::usage::stopped_history_kept(app.options.sample_ms);
    app.now += kept - chrono::TimeDelta::seconds(1);
    set_state(&mut app, "bravo", "paused");
    assert!(app.usage.contains_key(&alpha), "still within the window");
    app.now += chrono::TimeDelta::seconds(1);
    set_state(&mut app, "bravo", "running");
    assert!(
        !app.usage.contains_key(&alpha),
        "stopped for the whole window"
    );
}

#[test]
fn a_quiet_host_expires_stopped_histories_on_the_tick() {
    let mut app = abc();
    let alpha = alpha_sampled_then_stopped(&mut app);
    app.now += super::usage::stopped_history_kept(app.options.sample_ms);
    update(&mut app, Msg::Tick);
    assert!(!app.usage.contains_key(&alpha));
}

#[test]
fn a_restarted_container_keeps_its_history_before_its_first_new_sample() {
    let mut app = abc();
    let alpha = alpha_sampled_then_stopped(&mut app);
    app.now += chrono::TimeDelta::minutes(5);
    set_state(&mut app, "alpha", "running");
    // Not sampled again yet, and long past the window since the stop.
    app.now += chrono::TimeDelta::hours(1);
    update(&mut app, Msg::Tick);
    assert_eq!(app.usage[&alpha].history.len(), 1);
}

#[test]
fn lifecycle_events_change_the_state_before_the_inspect_arrives() {
    let mut app = abc();
    let key = key_of(&app, "bravo");
    let event = |action: &str, attrs: &[(&str, &str)]| {
        Msg::EngineEvent(super::events::EngineEvent {
            endpoint: key.endpoint.clone(),
            time: app_time(),
            kind: super::events::ObjectKind::Container,
            action: super::events::EventAction::parse(action),
            id: key.id.clone(),
            attributes: [("name", "bravo")]
                .iter()
                .chain(attrs)
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
    };
    update(&mut app, event("die", &[("exitCode", "137")]));
    let c = app.inventory.by_key(&key).unwrap();
    assert_eq!(c.state, super::model::RunState::Exited);
    assert_eq!(c.exit_code, Some(137));
    update(&mut app, event("start", &[]));
    assert_eq!(
        app.inventory.by_key(&key).unwrap().state,
        super::model::RunState::Running
    );
    update(&mut app, event("pause", &[]));
    assert_eq!(
        app.inventory.by_key(&key).unwrap().state,
        super::model::RunState::Paused
    );
    // An event about a container we have not listed yet changes nothing.
    let before = app.inventory.len();
    update(
        &mut app,
        Msg::EngineEvent(super::events::EngineEvent {
            id: "unknown".into(),
            ..match event("die", &[]) {
                Msg::EngineEvent(e) => e,
                _ => unreachable!(),
            }
        }),
    );
    assert_eq!(app.inventory.len(), before);
}

fn app_time() -> chrono::DateTime<chrono::Utc> {
    super::testing::epoch()
}

#[test]
fn only_messages_that_change_the_screen_ask_for_a_frame() {
    let names: Vec<String> = (0..40).map(|i| format!("c{i:02}")).collect();
    let mut app = app_with(
        names
            .iter()
            .map(|n| container(n, "running").into())
            .collect(),
    );
    crate::ui::layout::fit(&mut app);
    let on_screen = key_of(&app, "c00");
    let off_screen = key_of(&app, "c39");
    let sample = |key: &ContainerKey| Msg::Sampled {
        endpoint: "default".into(),
        samples: vec![(key.clone(), mem_sample(1, 0, 1 << 20))],
    };
    let visible = |app: &mut App, msg: Msg| super::update::update_batch(app, [msg]).visible;
    assert!(visible(&mut app, sample(&on_screen)));
    assert!(
        !visible(&mut app, sample(&off_screen)),
        "a row below the window"
    );
    let ping = || Msg::EndpointPing {
        endpoint: "default".into(),
        rtt_ms: 3,
    };
    assert!(
        !visible(&mut app, ping()),
        "the round trip shows only in the endpoints panel"
    );
    act(&mut app, Action::Endpoints);
    assert!(visible(&mut app, ping()));
    act(&mut app, Action::Endpoints);
    // Sorted by CPU, any sample may reorder the rows.
    app.table.sort.column = SortColumn::Cpu;
    assert!(visible(&mut app, sample(&off_screen)));
    let chunk = Msg::LogChunk {
        session: 99,
        stream: Stream::Stdout,
        bytes: b"x\n".to_vec(),
    };
    assert!(!visible(&mut app, chunk), "no logs view open");
}

#[test]
fn a_project_of_the_same_name_on_two_engines_is_two_groups_each_acting_on_its_own() {
    let mut app = app_with(vec![container("shop-web-1", "running")
        .project("shop", "web")
        .into()]);
    update(
        &mut app,
        Msg::EndpointAttached(super::model::EndpointStatus::new("prod", "tcp://prod:2376")),
    );
    update(
        &mut app,
        Msg::Listed {
            endpoint: "prod".into(),
            containers: vec![container("shop-web-1", "running")
                .project("shop", "web")
                .endpoint("prod")
                .into()],
        },
    );
    ch(&mut app, 't');
    let labels: Vec<String> = app
        .table
        .rows
        .iter()
        .filter_map(|r| match r {
            Row::Group {
                label, depth: 0, ..
            } => Some(label.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(labels, ["shop on default", "shop on prod"]);
    let prod = super::model::GroupId::Project {
        endpoint: "prod".into(),
        project: "shop".into(),
    };
    let at = app
        .table
        .rows
        .iter()
        .position(|r| matches!(r, Row::Group { id, .. } if *id == prod))
        .unwrap();
    act(&mut app, Action::Top);
    for _ in 0..at {
        act(&mut app, Action::Down);
    }
    ch(&mut app, 's');
    let d = dialog(&app);
    assert_eq!(
        d.plan.endpoints(),
        ["prod"],
        "only the prod project's container"
    );
}

// ---------------------------------------------------------------------------------------------
// Compose services

fn plan_lines(app: &App) -> Vec<String> {
    dialog(app)
        .plan
        .steps
        .iter()
        .map(|s| s.describe())
        .collect()
}

#[test]
fn plus_on_a_service_row_asks_to_scale_up_by_one_and_confirming_submits_the_plan() {
    let mut app = projects();
    ch(&mut app, 't');
    select_group(&mut app, "s:demo/web");
    ch(&mut app, '+');
    let d = dialog(&app);
    assert_eq!(d.plan.title, "scale demo/web on default from 2 to 3");
    assert_eq!(d.focus, Button::Cancel);
    assert_eq!(
        plan_lines(&app),
        [
            "create demo-web-3 (a copy of demo-web-1)",
            "start demo-web-3"
        ]
    );
    assert!(d.notes[0].contains("what ran is undone"), "{:?}", d.notes);
    press(&mut app, KeyCode::Tab);
    let fx = press(&mut app, KeyCode::Enter);
    let plans = mutations(&fx);
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].on_failure, crate::ops::OnFailure::RollBack);

    // `-` from a replica's own row works on its service too.
    let mut app = projects();
    select(&mut app, "demo-web-1");
    ch(&mut app, '-');
    assert_eq!(
        dialog(&app).plan.title,
        "scale demo/web on default from 2 to 1"
    );
    // A container of no service says what to select.
    press(&mut app, KeyCode::Esc);
    select(&mut app, "lonely");
    ch(&mut app, '+');
    assert!(app.screen.overlay.is_none());
    assert!(errors(&app)
        .iter()
        .any(|e| e.contains("select a compose service")));
}

#[test]
fn equals_opens_a_form_whose_wrong_field_is_named_before_any_plan() {
    let mut app = projects();
    ch(&mut app, 't');
    select_group(&mut app, "s:demo/web");
    ch(&mut app, '=');
    assert!(matches!(app.screen.overlay, Some(Overlay::Form(_))));
    // The field holds the current count; typing goes into it.
    press_mod(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    typed(&mut app, "lots");
    press(&mut app, KeyCode::Enter);
    match &app.screen.overlay {
        Some(Overlay::Form(f)) => assert_eq!(
            f.error.as_deref(),
            Some("replicas: \"lots\" is not a whole number of replicas (0 or more)")
        ),
        other => panic!("{other:?}"),
    }
    press_mod(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    typed(&mut app, "60");
    press(&mut app, KeyCode::Enter);
    match &app.screen.overlay {
        Some(Overlay::Form(f)) => assert!(
            f.error
                .as_deref()
                .is_some_and(|e| e.contains("above max_replicas (50)")),
            "{f:?}"
        ),
        other => panic!("{other:?}"),
    }
    press_mod(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    typed(&mut app, "4");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        dialog(&app).plan.title,
        "scale demo/web on default from 2 to 4"
    );
}

#[test]
fn limits_of_a_container_change_only_the_edited_field() {
    let mut app = app_with(vec![container("web-1", "running")
        .limits(super::usage::Limits {
            memory: Some(64 << 20),
            memory_swap: Some(128 << 20),
            ..Default::default()
        })
        .into()]);
    select(&mut app, "web-1");
    ch(&mut app, 'C');
    // cpus, then memory.
    press(&mut app, KeyCode::Tab);
    press_mod(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    typed(&mut app, "256m");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        plan_lines(&app),
        ["update web-1: memory 256M (with swap 512M)"]
    );
}

#[test]
fn the_footer_on_a_service_row_offers_what_can_be_done_to_the_service() {
    let mut app = projects();
    ch(&mut app, 't');
    select_group(&mut app, "s:demo/web");
    let hints = crate::ui::footer::hints(&app, crate::app::update::key_context(&app));
    let shown: Vec<(&str, &str)> = hints
        .iter()
        .take(4)
        .map(|(_, k, d)| (k.as_str(), d.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("+/-/=", "Scale"),
            ("C", "Limits (cpus, memory, pids)"),
            ("R", "Replace replicas (rollout)"),
            ("H", "Restart unhealthy replicas"),
        ]
    );
    // On a replica's row the container's own actions come first.
    select(&mut app, "demo-web-1");
    let hints = crate::ui::footer::hints(&app, crate::app::update::key_context(&app));
    assert_eq!(hints[0].2, "Filter");
}

#[test]
fn a_forms_fields_are_walked_with_tab_the_arrows_and_shift_tab_and_k_is_typed() {
    let mut app = app_with(vec![container("web-1", "running").into()]);
    select(&mut app, "web-1");
    ch(&mut app, 'C');
    let focus = |app: &App| match &app.screen.overlay {
        Some(Overlay::Form(f)) => (f.fields[f.focus].label, f.fields[f.focus].text.clone()),
        other => panic!("{other:?}"),
    };
    assert_eq!(focus(&app).0, "cpus");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Down);
    assert_eq!(focus(&app).0, "memory + swap");
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::BackTab);
    assert_eq!(focus(&app).0, "cpus");
    // Letters bound elsewhere (k is up in the table) are text here.
    typed(&mut app, "k");
    assert_eq!(focus(&app), ("cpus", "k".to_owned()));
}

#[test]
fn a_rollout_form_makes_a_health_gated_plan_and_esc_offers_to_stop_it() {
    let mut app = projects();
    ch(&mut app, 't');
    select_group(&mut app, "s:demo/web");
    ch(&mut app, 'R');
    press_mod(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    typed(&mut app, "busybox:v2");
    press(&mut app, KeyCode::Enter);
    let lines = plan_lines(&app);
    assert_eq!(lines[0], "check busybox:v2 is on the engine");
    assert!(
        lines.iter().any(|l| l.starts_with("wait for ")),
        "{lines:#?}"
    );
    press(&mut app, KeyCode::Tab);
    let fx = press(&mut app, KeyCode::Enter);
    let plan = mutations(&fx)[0].clone();
    // While it runs, Esc asks first; "Keep going" has the focus.
    press(&mut app, KeyCode::Esc);
    match &app.screen.overlay {
        Some(Overlay::StopPlan { stop, .. }) => assert!(!stop),
        other => panic!("{other:?}"),
    }
    let fx = press(&mut app, KeyCode::Enter);
    assert!(
        fx.is_empty() && app.screen.overlay.is_none(),
        "Enter keeps it going"
    );
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Tab);
    let fx = press(&mut app, KeyCode::Enter);
    assert_eq!(
        fx,
        [Effect::Cancel {
            plan: plan.id.clone()
        }]
    );
}

#[test]
fn read_only_refuses_service_changes_without_a_dialog_and_audits_them() {
    let mut app = projects();
    app.options.read_only = true;
    ch(&mut app, 't');
    select_group(&mut app, "s:demo/web");
    let fx = ch(&mut app, '+');
    assert!(app.screen.overlay.is_none());
    assert!(
        matches!(fx.as_slice(), [Effect::Refuse { plan, .. }] if plan.title.starts_with("scale demo/web"))
    );
}

#[test]
fn the_progress_pane_shows_a_plan_of_several_steps_until_a_while_after_it_ends() {
    let mut app = projects();
    ch(&mut app, 't');
    select_group(&mut app, "s:demo/web");
    ch(&mut app, '+');
    press(&mut app, KeyCode::Tab);
    let fx = press(&mut app, KeyCode::Enter);
    let plan = mutations(&fx)[0].clone();
    assert_eq!(app.ops.on_screen(app.now).len(), 1);
    update(
        &mut app,
        Msg::PlanDone(crate::ops::PlanReport {
            plan: plan.id.clone(),
            results: vec![Some(Ok(())), Some(Ok(()))],
            ..Default::default()
        }),
    );
    assert!(app.ops.ending(&plan.id).is_some_and(|f| f.ok));
    assert_eq!(
        app.ops.on_screen(app.now).len(),
        1,
        "still shown just after"
    );
    app.now += Duration::seconds(30);
    assert!(app.ops.on_screen(app.now).is_empty());
}

mod agent;
mod events_pane;
mod frictions;
mod logs_restart;
mod resources;
mod sorting;
mod swarm;

/// Rows on screen are sampled every interval; the rest in turn, except when what is shown
/// needs every container's use (a sort by CPU, the topology).
#[test]
fn only_what_is_shown_is_kept_fresh_unless_a_sort_or_the_topology_needs_all() {
    let containers: Vec<Container> = (0..40)
        .map(|i| {
            container(&format!("c{i:02}"), "running")
                .pid(100 + i)
                .into()
        })
        .collect();
    let mut app = app_with(containers);
    let fresh = |app: &App| -> (usize, usize) {
        let list = &super::watch::watch_lists(app)["default"];
        let n = list.iter().filter(|w| w.keep_fresh).count();
        assert!(list.iter().all(|w| w.keep_fresh || !w.visible));
        (n, list.len())
    };
    let (n, all) = fresh(&app);
    assert_eq!(all, 40);
    assert!(
        n > 0 && n < 40,
        "an 80×24 table shows some of 40 rows: {n} fresh"
    );
    app.table.sort.column = SortColumn::Cpu;
    assert_eq!(fresh(&app), (40, 40), "sorted by CPU");
    app.table.sort.column = SortColumn::Name;
    act(&mut app, Action::Topology);
    assert_eq!(fresh(&app), (40, 40), "the topology colours every name");
}

/// A timed pause that has run out moves the rollout on by itself (a plan approved by the
/// rollout's rule), except while the operator has one of its plans in the confirmation dialog:
/// the plan confirmed there must start from the state it was made from.
#[test]
fn no_automation_runs_while_a_plan_of_the_rollout_waits_for_confirmation() {
    use crate::canary::state::Phase;
    use crate::canary::traffic::{Side, Traffic};
    let mut app = scenes::canary(200, 50);
    let at_timed_pause = |app: &mut App| {
        let r = app.views.canary.rollouts.first_mut().unwrap();
        r.state.phase = Phase::Progressing;
        r.state.step = 3;
        r.state.weight = 50;
        r.state.step_started = app.now - chrono::Duration::minutes(10);
    };
    let read = |app: &mut App| {
        let side = |requests: u64| Side {
            requests,
            errors: 0,
            latency_ms: Some(40.0),
            latency_total_ms: None,
            servers_up: 1,
            servers: 1,
        };
        app.now += chrono::Duration::seconds(1);
        update(
            app,
            Msg::CanaryRead {
                rollout: "web".into(),
                result: Ok(Traffic {
                    queries: Vec::new(),
                    stable: side(100_000),
                    canary: side(100_000),
                    weight_percent: 50.0,
                }),
            },
        )
    };
    let submitted = |fx: &[Effect]| {
        fx.iter()
            .filter(|e| matches!(e, Effect::Submit { .. }))
            .count()
    };
    // The operator opened a weight change of this rollout: nothing by itself meanwhile.
    at_timed_pause(&mut app);
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Enter);
    assert!(
        matches!(app.screen.overlay, Some(Overlay::Confirm(_))),
        "a confirmation is open"
    );
    let fx = read(&mut app);
    assert_eq!(
        submitted(&fx),
        0,
        "automation waited for the dialog: {fx:?}"
    );
    // Cancelled: the next reading moves the rollout on.
    press(&mut app, KeyCode::Esc);
    assert!(app.screen.overlay.is_none());
    let fx = read(&mut app);
    assert_eq!(submitted(&fx), 1, "the timed pause ran out: {fx:?}");
}
