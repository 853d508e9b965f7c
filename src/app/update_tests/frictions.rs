//! The small things that got in an operator's way: q in sub-views, filters and searches that
//! say what they did not understand or find, hints that only offer what works.

use super::*;

fn toasts(app: &App) -> Vec<String> {
    app.screen.toasts.iter().map(|t| t.text.clone()).collect()
}

#[test]
fn q_goes_back_from_logs_inspect_and_events_and_quits_from_the_table() {
    let mut app = abc();
    select(&mut app, "alpha");
    for open in [KeyCode::Enter, KeyCode::Char('i'), KeyCode::Char('e')] {
        press(&mut app, open);
        assert_ne!(app.views.current, View::Table, "{open:?} opened a view");
        ch(&mut app, 'q');
        assert_eq!(app.views.current, View::Table, "q after {open:?}");
        assert!(!app.quit);
    }
    let fx = ch(&mut app, 'q');
    assert!(app.quit || fx.contains(&Effect::Quit), "{fx:?}");
}

#[test]
fn a_filter_typo_is_named_and_a_filter_matching_nothing_says_so() {
    let mut app = abc();
    ch(&mut app, '/');
    typed(&mut app, "state:runing");
    press(&mut app, KeyCode::Enter);
    let said = toasts(&app).join("\n");
    assert!(said.contains("no state \"runing\""), "{said}");
    ch(&mut app, '/');
    press_mod(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    typed(&mut app, "zebra");
    press(&mut app, KeyCode::Enter);
    let said = toasts(&app).join("\n");
    assert!(
        said.contains("no container of 3 matches \"zebra\""),
        "{said}"
    );
}

#[test]
fn a_log_search_without_a_match_says_so() {
    let mut app = abc();
    select(&mut app, "alpha");
    press(&mut app, KeyCode::Enter);
    let session = app.views.logs.as_ref().unwrap().sources[0].session;
    chunk(&mut app, session, Stream::Stdout, &numbered(5));
    ch(&mut app, '/');
    typed(&mut app, "absent");
    press(&mut app, KeyCode::Enter);
    assert!(
        toasts(&app)
            .iter()
            .any(|t| t == "no line matches \"absent\""),
        "{:?}",
        toasts(&app)
    );
}

#[test]
fn read_only_hints_leave_out_what_it_refuses() {
    let mut app = abc();
    let keys = |app: &App| -> Vec<Action> {
        crate::ui::footer::hints(app, crate::app::action::KeyContext::Table)
            .into_iter()
            .map(|(a, _, _)| a)
            .collect()
    };
    assert!(keys(&app).contains(&Action::Stop));
    app.options.read_only = true;
    let hinted = keys(&app);
    assert!(
        hinted.iter().all(|a| !a.changes_engine()),
        "read-only hints offer {hinted:?}"
    );
    assert!(hinted.contains(&Action::Logs));
}

#[test]
fn the_palette_says_what_each_command_does() {
    let keymap = crate::config::keymap::Keymap::preset("default").unwrap();
    assert_eq!(crate::app::palette::describe("restart", &keymap), "Restart");
    assert!(crate::app::palette::describe("sort", &keymap).starts_with("Sort by a column"));
    for name in crate::app::palette::command_names() {
        assert!(
            !crate::app::palette::describe(&name, &keymap).is_empty(),
            "{name} has no description"
        );
    }
}

#[test]
fn a_copied_inspect_line_is_its_value() {
    use crate::app::update::inspect::line_value;
    assert_eq!(
        line_value(r#"    "IPAddress": "172.17.0.2","#),
        "172.17.0.2"
    );
    assert_eq!(line_value(r#"    "RestartCount": 0,"#), "0");
    assert_eq!(line_value(r#"      "say \"hi\"","#), r#"say "hi""#);
    assert_eq!(line_value(r#"  "Config": {"#), "{");
}

#[test]
fn with_only_matching_lines_shown_scrolling_moves_by_matching_lines() {
    let mut app = abc();
    select(&mut app, "alpha");
    press(&mut app, KeyCode::Enter);
    let session = app.views.logs.as_ref().unwrap().sources[0].session;
    let lines: Vec<String> = (0..300)
        .map(|i| format!("{} {i}", if i % 2 == 0 { "even" } else { "odd" }))
        .collect();
    chunk(&mut app, session, Stream::Stdout, &lines);
    ch(&mut app, '/');
    typed(&mut app, "even");
    press(&mut app, KeyCode::Enter);
    ch(&mut app, '&');
    let l = app.views.logs.as_ref().unwrap();
    assert!(l.filtering() && l.follow);
    act(&mut app, Action::Up);
    let l = app.views.logs.as_ref().unwrap();
    assert!(!l.follow);
    let top = l.buffer.get(l.top as usize).unwrap();
    assert!(
        top.text.starts_with("even"),
        "the top is a matching line: {}",
        top.text
    );
    act(&mut app, Action::Bottom);
    assert!(app.views.logs.as_ref().unwrap().follow);
}

#[test]
fn tail_and_since_start_the_logs_over_from_there() {
    let mut app = abc();
    select(&mut app, "alpha");
    press(&mut app, KeyCode::Enter);
    let first = app.views.logs.as_ref().unwrap().sources[0].session;
    ch(&mut app, ':');
    typed(&mut app, "tail 50");
    let fx = press(&mut app, KeyCode::Enter);
    assert!(fx.contains(&Effect::StopLogs { session: first }), "{fx:?}");
    assert!(
        fx.iter().any(|f| matches!(
            f,
            Effect::FollowLogs {
                tail: 50,
                since: None,
                ..
            }
        )),
        "{fx:?}"
    );
    ch(&mut app, ':');
    typed(&mut app, "since 15m");
    let fx = press(&mut app, KeyCode::Enter);
    let want = (app.now - chrono::Duration::minutes(15)).timestamp();
    assert!(
        fx.iter()
            .any(|f| matches!(f, Effect::FollowLogs { since: Some(s), .. } if *s == want)),
        "{fx:?}"
    );
    ch(&mut app, ':');
    typed(&mut app, "since 100000000d");
    press(&mut app, KeyCode::Enter);
    assert!(
        toasts(&app).iter().any(|t| t.contains("is not a duration")),
        "a duration past any date is refused, not a panic: {:?}",
        toasts(&app)
    );
    ch(&mut app, ':');
    typed(&mut app, "since soon");
    press(&mut app, KeyCode::Enter);
    assert!(
        toasts(&app).iter().any(|t| t.contains("is not a duration")),
        "{:?}",
        toasts(&app)
    );
}

#[test]
fn a_click_selects_a_table_row_and_the_wheel_scrolls() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = abc();
    let at = |kind, row| {
        Msg::Mouse(MouseEvent {
            kind,
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Header line, table border, column titles: the first container row is screen row 3.
    update(&mut app, at(MouseEventKind::Down(MouseButton::Left), 5));
    assert_eq!(selected_name(&app).as_deref(), Some("charlie"));
    update(&mut app, at(MouseEventKind::Down(MouseButton::Left), 3));
    assert_eq!(selected_name(&app).as_deref(), Some("alpha"));
    // Below the rows, or on the border: nothing changes.
    update(&mut app, at(MouseEventKind::Down(MouseButton::Left), 15));
    assert_eq!(selected_name(&app).as_deref(), Some("alpha"));
    update(&mut app, at(MouseEventKind::ScrollDown, 10));
    assert_eq!(selected_name(&app).as_deref(), Some("charlie"));
}
