//! The events pane.

use super::*;

pub(crate) fn on_action(
    app: &mut App,
    action: Action,
    _arg: Option<Arg>,
    _origin: Origin,
    fx: &mut Vec<Effect>,
) {
    let page = app.screen.viewport.body_rows.saturating_sub(1).max(1) as usize;
    let ev = &mut app.views.events;
    let at = ev.position().unwrap_or(0);
    match action {
        Action::Up => ev.choose(at.saturating_sub(1)),
        Action::Down => ev.choose(at + 1),
        Action::PageUp => ev.choose(at.saturating_sub(page)),
        Action::PageDown => ev.choose(at + page),
        Action::Top => ev.choose(0),
        Action::Bottom => ev.cursor = None,
        Action::Filter => open_input(app, InputPurpose::Filter),
        Action::ToggleProbeEvents => {
            app.views.events.show_probes = !app.views.events.show_probes;
            app.views.events.cursor = None;
            fx.push(Effect::ShowProbeEvents(app.views.events.show_probes));
        }
        Action::JumpToContainer => jump_to_event_container(app, at),
        _ => {}
    }
}

/// Selects, in the table, the container the event at `index` is about.
pub(super) fn jump_to_event_container(app: &mut App, index: usize) {
    let Some(e) = app.views.events.visible().nth(index) else {
        return;
    };
    let key = ContainerKey {
        endpoint: e.endpoint.clone(),
        id: e.container_id().unwrap_or(&e.id).to_owned(),
    };
    let name = e.label();
    if app.inventory.by_key(&key).is_none() {
        toast(app, ToastLevel::Error, format!("{name} is no longer there"));
        return;
    }
    show_in_table(app, key);
}
