//! The endpoints panel: attaching and detaching contexts.

use super::*;

pub(super) fn on_endpoints_action(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    use crate::app::state::EndpointRow;
    let Some(Overlay::Endpoints { cursor }) = app.screen.overlay else {
        return;
    };
    let (attached, node, context) = {
        let rows = app.endpoints.rows(&app.inventory.swarms);
        let count = rows.len();
        let moved = match action {
            Action::Up => Some(cursor.saturating_sub(1)),
            Action::Down => Some((cursor + 1).min(count.saturating_sub(1))),
            Action::Top => Some(0),
            Action::Bottom => Some(count.saturating_sub(1)),
            _ => None,
        };
        if let Some(to) = moved {
            app.screen.overlay = Some(Overlay::Endpoints { cursor: to });
            return;
        }
        match rows.get(cursor) {
            Some(EndpointRow::Attached(e)) => (Some(e.name.clone()), None, None),
            Some(EndpointRow::Node { endpoint, node }) => {
                (None, Some((endpoint.to_string(), (*node).clone())), None)
            }
            Some(EndpointRow::Context(c)) => (None, None, Some((*c).clone())),
            None => (None, None, None),
        }
    };
    match action {
        Action::NodeDrain | Action::NodePause | Action::NodeActivate => {
            let Some((endpoint, node)) = node else {
                toast(
                    app,
                    ToastLevel::Error,
                    "select a Swarm node: the lines under a manager endpoint".into(),
                );
                return;
            };
            let availability = match action {
                Action::NodeDrain => "drain",
                Action::NodePause => "pause",
                _ => "active",
            };
            let id = app.next_plan_id();
            let made = crate::ops::swarm::node_availability(
                &endpoint,
                &node,
                availability,
                id,
                Origin::Keystroke,
            );
            confirm(app, made, fx);
        }
        Action::ToggleAttach if node.is_some() => toast(
            app,
            ToastLevel::Info,
            "a Swarm node: d drains it, p pauses it, a makes it active again".into(),
        ),
        Action::ToggleAttach => {
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
