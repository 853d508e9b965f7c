//! What the engines say about their Swarms, folded into the inventory; an update that ends (or
//! turns into a rollback) and a manager that stops answering as one are said in a toast too.

use super::*;
use crate::app::swarm::{SwarmRole, SwarmService};

pub(super) fn on_swarm(app: &mut App, msg: Msg) {
    match msg {
        Msg::SwarmListed { endpoint, state } => {
            let was = app.inventory.swarms.get(&endpoint).map(|s| s.role.clone());
            if was.as_ref() == Some(&SwarmRole::Manager) && state.role != SwarmRole::Manager {
                toast(
                    app,
                    ToastLevel::Error,
                    format!("{endpoint} is no longer a Swarm manager: its services are not shown"),
                );
            }
            app.inventory.swarms.set(&endpoint, *state);
        }
        Msg::SwarmServiceChanged {
            endpoint,
            id,
            service,
            tasks,
        } => {
            let Some(swarm) = app.inventory.swarms.get_mut(&endpoint) else {
                return;
            };
            swarm.lost = None;
            let before = swarm.service(&id).cloned();
            match service {
                Some(fresh) => match swarm.services.iter_mut().find(|s| s.key.id == id) {
                    Some(slot) => *slot = *fresh,
                    None => swarm.services.push(*fresh),
                },
                None => swarm.services.retain(|s| s.key.id != id),
            }
            swarm.services.sort_by(|a, b| a.key.name.cmp(&b.key.name));
            swarm.replace_tasks_of(&id, tasks);
            let after = swarm.service(&id).cloned();
            if let (Some(before), Some(after)) = (before, after) {
                say_update_outcome(app, &before, &after);
            }
        }
        Msg::SwarmNodesChanged {
            endpoint,
            nodes,
            tasks,
        } => {
            if let Some(swarm) = app.inventory.swarms.get_mut(&endpoint) {
                swarm.lost = None;
                swarm.nodes = nodes;
                swarm.tasks = tasks;
            }
        }
        Msg::SwarmLost { endpoint, reason } => {
            let Some(swarm) = app.inventory.swarms.get_mut(&endpoint) else {
                return;
            };
            let newly = swarm.lost.is_none() && reason.is_some();
            swarm.lost.clone_from(&reason);
            if let (true, Some(reason)) = (newly, reason) {
                toast(
                    app,
                    ToastLevel::Error,
                    format!("{endpoint}: Swarm manager not answering ({reason}); showing what it said last"),
                );
            }
        }
        _ => return,
    }
    inventory_changed(app);
}

/// An update that finished, paused or turned back since the last reading, in the manager's
/// words.
fn say_update_outcome(app: &mut App, before: &SwarmService, after: &SwarmService) {
    let state = |s: &SwarmService| s.update_status.as_ref().map(|u| u.state.clone());
    let (was, now) = (state(before), state(after));
    if was == now {
        return;
    }
    let Some(status) = after.update_status.as_ref() else {
        return;
    };
    let name = after.label();
    let (level, text) = match status.state.as_str() {
        "completed" => (ToastLevel::Info, format!("{name}: update completed")),
        "rollback_started" => (
            ToastLevel::Error,
            format!("{name}: update failed, rolling back: {}", status.message),
        ),
        "rollback_completed" => (
            ToastLevel::Error,
            format!("{name}: rolled back: {}", status.message),
        ),
        "paused" | "rollback_paused" => (
            ToastLevel::Error,
            format!("{name}: update paused: {}", status.message),
        ),
        _ => return,
    };
    toast(app, level, text);
}
