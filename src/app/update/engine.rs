//! What engines report: endpoint states, listings, container changes, events, usage samples.

use super::*;
use crate::app::events::{EventAction, ObjectKind};
use crate::app::model::Health;
use crate::app::nethealth;

/// Records an event; the ones an operator must not miss also raise a toast.
pub(super) fn on_engine_event(app: &mut App, e: EngineEvent) {
    let name = e.label();
    match e.action {
        EventAction::Health(Health::Unhealthy) => toast(
            app,
            ToastLevel::Error,
            format!("{name} on {} is unhealthy", e.endpoint),
        ),
        EventAction::Health(Health::Healthy) => toast(
            app,
            ToastLevel::Info,
            format!("{name} on {} is healthy", e.endpoint),
        ),
        EventAction::Oom => toast(
            app,
            ToastLevel::Error,
            format!("{name} on {} ran out of memory (OOM kill)", e.endpoint),
        ),
        _ => {}
    }
    apply_state_hint(app, &e);
    // The cursor holds an event's number, so it stays on that event as new ones arrive.
    app.views.events.log.push(e);
}

/// Lifecycle events say the new state themselves: show it now, before the inspect that
/// follows them arrives with the rest (start time, restart count, health).
pub(super) fn apply_state_hint(app: &mut App, e: &EngineEvent) {
    if e.kind != ObjectKind::Container {
        return;
    }
    let key = ContainerKey {
        endpoint: e.endpoint.clone(),
        id: e.id.clone(),
    };
    let Some(mut c) = app.inventory.by_key(&key).cloned() else {
        return;
    };
    match e.action {
        EventAction::Die => {
            c.state = RunState::Exited;
            c.exit_code = e.attributes.get("exitCode").and_then(|x| x.parse().ok());
            c.finished_at = Some(e.time);
        }
        EventAction::Start => {
            c.state = RunState::Running;
            c.started_at = Some(e.time);
        }
        EventAction::Pause => c.state = RunState::Paused,
        EventAction::Unpause => c.state = RunState::Running,
        _ => return,
    }
    if app.inventory.upsert(c) {
        inventory_changed(app);
    }
}

pub(super) fn inventory_changed(app: &mut App) {
    app.table.rows_stale = true;
    app.views.topology.stale = true;
    if let Some(r) = app.views.detail_reach.as_mut() {
        r.stale = true;
    }
}

/// The detail pane's reach: worked out again when it shows another container or the inventory
/// changed (a topology build, a few milliseconds at a thousand containers), never per frame.
pub(super) fn refresh_detail_reach(app: &mut App) {
    if !app.views.show_detail || app.views.current != View::Table {
        return;
    }
    let Some(key) = app.selected_container().map(|c| c.key.clone()) else {
        app.views.detail_reach = None;
        return;
    };
    if app
        .views
        .detail_reach
        .as_ref()
        .is_some_and(|r| r.key == key && !r.stale)
    {
        return;
    }
    let topo = crate::topology::build(&app.inventory);
    app.views.detail_reach = topo
        .containers
        .iter()
        .position(|c| c.endpoint == key.endpoint && c.id == key.id)
        .map(|i| {
            let reach = crate::topology::reach::reach(&topo, i);
            let peer_names = reach
                .peers
                .iter()
                .map(|(p, _)| topo.containers[*p].name.clone())
                .collect();
            crate::app::state::DetailReach {
                key,
                reach,
                peer_names,
                stale: false,
            }
        });
}

/// Derives usage from each new sample against the container's limits. Samples of containers
/// that are gone or no longer running (a late answer) are ignored.
pub(super) fn on_sampled(app: &mut App, samples: Vec<(ContainerKey, crate::app::usage::Sample)>) {
    for (key, sample) in samples {
        let Some(c) = app.inventory.by_key(&key) else {
            continue;
        };
        if c.state != RunState::Running {
            continue;
        }
        let name = c.name.clone();
        let entry = app.usage.entry(key.clone()).or_default();
        entry.record(sample, &c.limits);
        entry.sampled_at = Some(app.now);
        let found = entry
            .latest
            .as_ref()
            .map(|u| nethealth::problems(u, &app.options.net))
            .unwrap_or_default();
        if let Some(change) = entry.net_alarm.observe(&found) {
            net_alarm_changed(app, &key, name, change);
        }
    }
    if app.table.sort.column.follows_usage() {
        app.table.rows_stale = true;
    }
}

/// A container's network crossed a threshold, or came back under them: an event in the events
/// pane (said by the console, so filterable like the engine's), and a toast when it crossed.
fn net_alarm_changed(
    app: &mut App,
    key: &ContainerKey,
    name: String,
    change: nethealth::AlarmChange,
) {
    let (action, reason) = match change {
        nethealth::AlarmChange::Raised(why) => {
            toast(
                app,
                ToastLevel::Error,
                format!("{name} on {}: {why}", key.endpoint),
            );
            (EventAction::NetDegraded, why)
        }
        nethealth::AlarmChange::Cleared => (
            EventAction::NetRecovered,
            "network back under its thresholds".to_owned(),
        ),
    };
    app.views.events.log.push(EngineEvent {
        endpoint: key.endpoint.clone(),
        time: app.now,
        kind: ObjectKind::Container,
        action,
        id: key.id.clone(),
        attributes: [("name".to_owned(), name), ("reason".to_owned(), reason)]
            .into_iter()
            .collect(),
    });
}

/// Drops usage of removed containers; a stopped one loses its current usage at once and its
/// history once it has been stopped for the history window.
pub(super) fn prune_usage(app: &mut App) {
    let (inventory, now) = (&app.inventory, app.now);
    let kept = stopped_history_kept(app.options.sample_ms);
    app.usage.retain(|key, entry| match inventory.by_key(key) {
        None => false,
        Some(c) => {
            if c.state == RunState::Running {
                // Started again, perhaps not sampled yet: its history is current again.
                entry.stopped_at = None;
            } else {
                entry.stopped(now);
            }
            entry.worth_keeping(now, kept)
        }
    });
}

/// Lets stopped containers' histories expire on a quiet host too, where no inventory change
/// comes to prune them.
pub(super) fn expire_stopped_histories(app: &mut App) {
    let (now, kept) = (app.now, stopped_history_kept(app.options.sample_ms));
    app.usage.retain(|_, entry| entry.worth_keeping(now, kept));
}

/// Health probes change a container without any event; while the detail pane shows a
/// health-checked container, it is re-read every couple of seconds (one inspect, one container).
pub(super) fn refresh_detail(app: &mut App, fx: &mut Vec<Effect>) {
    const EVERY: i64 = 2;
    // Processes have no events: asked for while the pane shows them, for its one container.
    const PROCESSES_EVERY: i64 = 3;
    if !app.views.show_detail || app.views.current != View::Table {
        return;
    }
    let Some(c) = app.selected_container() else {
        return;
    };
    if c.state == RunState::Running {
        // Asked once per interval for this container, answered or not: a slow `top` is not
        // asked again on every tick.
        let due = match &app.views.detail_processes_at {
            Some((k, t)) if *k == c.key => (app.now - *t).num_seconds() >= PROCESSES_EVERY,
            _ => true,
        };
        if due {
            let key = c.key.clone();
            app.views.detail_processes_at = Some((key.clone(), app.now));
            fx.push(Effect::Processes { key });
        }
    }
    let Some(c) = app.selected_container() else {
        return;
    };
    if c.health_check.is_none() || c.state != RunState::Running {
        return;
    }
    let due = app
        .views
        .detail_refreshed_at
        .is_none_or(|t| (app.now - t).num_seconds() >= EVERY);
    if due {
        let key = c.key.clone();
        app.views.detail_refreshed_at = Some(app.now);
        fx.push(Effect::Refresh { key });
    }
}
