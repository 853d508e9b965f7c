//! The endpoints panel: attaching and detaching contexts.

use super::*;

pub(super) fn on_endpoints_action(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    let rows = app.endpoints.attached.len() + app.endpoints.attachable().count();
    let Some(Overlay::Endpoints { cursor }) = app.screen.overlay.as_mut() else {
        return;
    };
    match action {
        Action::Up => *cursor = cursor.saturating_sub(1),
        Action::Down => *cursor = (*cursor + 1).min(rows.saturating_sub(1)),
        Action::Top => *cursor = 0,
        Action::Bottom => *cursor = rows.saturating_sub(1),
        Action::ToggleAttach => {
            let at = *cursor;
            let attached = app.endpoints.attached.get(at).map(|e| e.name.clone());
            let context = at
                .checked_sub(app.endpoints.attached.len())
                .and_then(|i| app.endpoints.attachable().nth(i).cloned());
            if let Some(name) = attached {
                detach(app, &name, fx);
            } else if let Some(ctx) = context {
                match ctx.error {
                    Some(e) => toast(app, ToastLevel::Error, format!("context {}: {e}", ctx.name)),
                    None => {
                        toast(app, ToastLevel::Info, format!("attaching {}…", ctx.name));
                        fx.push(Effect::Attach { context: ctx.name });
                    }
                }
            }
        }
        _ => {}
    }
}

/// Forgets an endpoint and everything seen on it; the runtime stops its supervisor.
pub(super) fn detach(app: &mut App, name: &str, fx: &mut Vec<Effect>) {
    app.endpoints.attached.retain(|e| e.name != name);
    app.views.events.log.drop_endpoint(name);
    for key in app.inventory.drop_endpoint(name) {
        app.table.marked.remove(&key);
    }
    if app.views.logs.as_ref().is_some_and(|l| l.endpoint == name) {
        back_to_table(app, fx);
    }
    if app
        .views
        .inspect
        .as_ref()
        .is_some_and(|i| i.key.endpoint == name)
    {
        back_to_table(app, fx);
    }
    if let Some(Overlay::Endpoints { cursor }) = app.screen.overlay.as_mut() {
        *cursor = cursor.saturating_sub(1);
    }
    rebuild_rows(app);
    fx.push(Effect::Detach {
        endpoint: name.to_owned(),
    });
    toast(app, ToastLevel::Info, format!("detached {name}"));
}
