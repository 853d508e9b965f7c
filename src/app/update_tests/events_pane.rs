//! The events pane's cursor: always on a drawn row, on the same event as new ones arrive.

use super::*;
use crate::app::events::{EngineEvent, EventAction, ObjectKind, EVENT_CAPACITY};

fn event(app: &App, name: &str, action: &str) -> Msg {
    let key = key_of(app, name);
    Msg::EngineEvent(EngineEvent {
        endpoint: key.endpoint.clone(),
        time: app_time(),
        kind: ObjectKind::Container,
        action: EventAction::parse(action),
        id: key.id.clone(),
        attributes: [("name".to_string(), name.to_string())]
            .into_iter()
            .collect(),
    })
}

fn chosen_name(app: &App) -> String {
    let ev = &app.views.events;
    let at = ev.position().expect("an event is chosen");
    ev.visible().nth(at).unwrap().name().to_owned()
}

/// 60 events: alpha, bravo and charlie taking turns.
fn with_events() -> App {
    let mut app = abc();
    for i in 0..60 {
        let name = ["alpha", "bravo", "charlie"][i % 3];
        let msg = event(&app, name, "update");
        update(&mut app, msg);
    }
    act(&mut app, Action::Events);
    app
}

#[test]
fn bottom_then_paging_keeps_a_chosen_row_and_enter_jumps_to_it() {
    let mut app = with_events();
    let page = app.screen.viewport.body_rows as usize - 1;
    act(&mut app, Action::Bottom);
    assert_eq!(
        app.views.events.position(),
        Some(59),
        "following: the newest"
    );
    act(&mut app, Action::PageUp);
    assert_eq!(app.views.events.position(), Some(59 - page));
    act(&mut app, Action::PageDown);
    assert_eq!(
        app.views.events.position(),
        Some(59),
        "one page down, not one line"
    );
    act(&mut app, Action::PageUp);
    act(&mut app, Action::PageUp);
    act(&mut app, Action::PageDown);
    assert_eq!(app.views.events.position(), Some(59 - page));
    let chosen = chosen_name(&app);
    act(&mut app, Action::JumpToContainer);
    assert_eq!(app.views.current, View::Table);
    assert_eq!(selected_name(&app), Some(chosen));
}

#[test]
fn the_chosen_event_stays_chosen_as_new_ones_arrive_and_the_ring_turns() {
    let mut app = with_events();
    act(&mut app, Action::Top);
    act(&mut app, Action::Down);
    act(&mut app, Action::Down);
    act(&mut app, Action::Down);
    let chosen = app.views.events.cursor;
    assert_eq!(chosen_name(&app), "alpha");
    // Enough new events to push the first 50 out of the ring; the chosen one (the 4th) goes
    // too, and the cursor lands on the oldest that is left, not on a random one.
    for _ in 0..10 {
        let msg = event(&app, "bravo", "update");
        update(&mut app, msg);
    }
    assert_eq!(app.views.events.cursor, chosen, "new events do not move it");
    assert_eq!(chosen_name(&app), "alpha");
    for _ in 0..EVENT_CAPACITY {
        let msg = event(&app, "charlie", "update");
        update(&mut app, msg);
    }
    assert_eq!(app.views.events.position(), Some(0));
    act(&mut app, Action::Down);
    assert_eq!(app.views.events.position(), Some(1));
}
