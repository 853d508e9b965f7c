//! The events pane.

use super::*;

pub(crate) fn on_action(
    app: &mut App,
    action: Action,
    _arg: Option<Arg>,
    _origin: Origin,
    fx: &mut Vec<Effect>,
) {
    let len = app.views.events.visible().count();
    let page = app.screen.viewport.body_rows.saturating_sub(1).max(1) as usize;
    let last = len.saturating_sub(1);
    let at = app.views.events.cursor.unwrap_or(last);
    let to = |i: usize| if i >= last { None } else { Some(i) };
    match action {
        Action::Up => app.views.events.cursor = Some(at.saturating_sub(1)),
        Action::Down => app.views.events.cursor = to(at + 1),
        Action::PageUp => app.views.events.cursor = Some(at.saturating_sub(page)),
        Action::PageDown => app.views.events.cursor = to(at + page),
        Action::Top => app.views.events.cursor = Some(0),
        Action::Bottom => app.views.events.cursor = None,
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
    app.views.current = View::Table;
    if !app
        .inventory
        .by_key(&key)
        .is_some_and(|c| app.table.filter.matches(c))
    {
        set_filter(app, "");
    }
    app.table.selected = Some(Selected::Container(key));
    rebuild_rows(app);
}
