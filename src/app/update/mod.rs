//! The reducer: `update(app, msg)` changes state and returns the work the runtime must do.
//! Time arrives through `Msg::Tick` and `App::now` (set by the caller), never from a clock here.

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, Arg, Invocation, KeyContext};
use super::effect::Effect;
use super::events::EngineEvent;
use super::filter::Filter;
use super::inspect as inspect_doc;
use super::logbuf::LogBuffer;
use super::model::{ContainerKey, EndpointState, RunState};
use super::msg::Msg;
use super::palette;
use super::rows::{build_rows, Row, RowInputs, Sort, SortColumn};
use super::state::*;
use super::usage::stopped_history_kept;
use crate::config::keymap::{KeyPress, Lookup};
use crate::ops::{Approval, ContainerVerb, Origin, PlanReport, Progress, Request, Subject};

const TOAST_SECS: i64 = 4;
const ERROR_TOAST_SECS: i64 = 8;
const MAX_TOASTS: usize = 4;
const LOG_TAIL: usize = 1000;

pub(crate) mod activity;
pub(crate) mod agent;
pub(crate) mod canary;
mod confirm;
mod endpoints;
mod engine;
pub(crate) mod events;
mod help;
mod input;
pub(crate) mod inspect;
mod keys;
pub(crate) mod logs;
mod ops;
pub(crate) mod resources;
mod service;
mod swarm;
pub(crate) mod table;
pub(crate) mod topology;

use confirm::*;
use endpoints::*;
pub use keys::key_context;
pub use table::{action_targets, rebuild_rows};

use engine::*;
use help::*;
use input::*;
use inspect::*;
use keys::*;
use logs::*;
use ops::*;
use service::*;
use table::*;

/// Keeps the table's cursor inside the viewport after the viewport changed.
pub fn keep_in_view(app: &mut App) {
    keep_cursor_visible(app);
}

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    update_batch(app, std::iter::once(msg)).effects
}

/// What a batch of messages did.
#[derive(Debug, Default)]
pub struct Applied {
    pub effects: Vec<Effect>,
    /// Something on screen may have changed: only then is a frame drawn.
    pub visible: bool,
}

/// Applies several messages, then brings derived state up to date once: a burst of engine
/// messages (thousands of inspects after connecting) costs one row rebuild, not one each.
pub fn update_batch(app: &mut App, msgs: impl IntoIterator<Item = Msg>) -> Applied {
    let mut applied = Applied::default();
    for msg in msgs {
        applied.visible |= shows(app, &msg);
        apply(app, msg, &mut applied.effects);
    }
    settle(app);
    // A followed container that started again: its logs go on.
    follow_restart(app, &mut applied.effects);
    applied
}

/// Whether a message can change what is on screen, judged before it is applied. Erring on
/// "yes" costs a frame; the common messages that change nothing visible (pings, samples of
/// rows off screen, chunks of a log not shown) say "no".
fn shows(app: &App, msg: &Msg) -> bool {
    let endpoints_open = matches!(app.screen.overlay, Some(Overlay::Endpoints { .. }));
    match msg {
        Msg::EndpointPing { .. } | Msg::ContextsListed(_) => endpoints_open,
        Msg::LogChunk { session, .. } | Msg::LogEnded { session, .. } => {
            app.views.current == View::Logs
                && app
                    .views
                    .logs
                    .as_ref()
                    .is_some_and(|l| l.source_of(*session).is_some())
        }
        Msg::Inspected { key, .. } => app.views.inspect.as_ref().is_some_and(|i| &i.key == key),
        Msg::CanaryRead { .. } | Msg::CanaryDriver { .. } | Msg::CanaryWatched { .. } => {
            app.views.current == View::Canary
        }
        Msg::Advised { .. } | Msg::AlertsRead(_) => app.views.current == View::Agent,
        Msg::Sampled { samples, .. } => {
            // The topology colours names by their use against limits.
            if app.views.current == View::Topology {
                return true;
            }
            if app.views.current != View::Table {
                return false;
            }
            if app.table.sort.column.follows_usage() {
                return true;
            }
            let shown = table::visible_keys(app);
            samples.iter().any(|(key, _)| shown.contains(key))
        }
        _ => true,
    }
}

/// Rebuilds rows (and drops usage of vanished containers) if the inventory changed.
pub fn settle(app: &mut App) {
    if std::mem::take(&mut app.table.rows_stale) {
        rebuild_rows(app);
        prune_usage(app);
    }
    topology::refresh(app);
    refresh_detail_reach(app);
}

fn apply(app: &mut App, msg: Msg, fx: &mut Vec<Effect>) {
    match msg {
        Msg::Key(key) => {
            // Keys act on rows: bring them up to date first.
            settle(app);
            on_key(app, key, fx)
        }
        Msg::Resize { width, height } => {
            app.screen.size = (width, height);
            keep_cursor_visible(app);
        }
        Msg::Tick => {
            let now = app.now;
            app.screen.toasts.retain(|t| t.until > now);
            expire_stopped_histories(app);
            refresh_detail(app, fx);
            agent::pass(app, fx);
        }
        Msg::EndpointState { endpoint, state } => {
            let now = app.now;
            if let Some(e) = app
                .endpoints
                .attached
                .iter_mut()
                .find(|e| e.name == endpoint)
            {
                e.retry_at = match &state {
                    EndpointState::Down {
                        retry_in_secs: Some(s),
                        ..
                    } => Some(now + Duration::seconds(*s as i64)),
                    _ => None,
                };
                e.state = state;
            }
        }
        Msg::EndpointPing { endpoint, rtt_ms } => {
            if let Some(e) = app
                .endpoints
                .attached
                .iter_mut()
                .find(|e| e.name == endpoint)
            {
                e.rtt_ms = Some(rtt_ms);
            }
        }
        Msg::ContextsListed(contexts) => app.endpoints.on_disk = contexts,
        Msg::EngineEvent(event) => on_engine_event(app, event),
        Msg::EndpointAttached(status) => {
            if !app.endpoints.attached.iter().any(|e| e.name == status.name) {
                toast(app, ToastLevel::Info, format!("attached {}", status.name));
                app.endpoints.attached.push(status);
                rebuild_rows(app);
            }
        }
        Msg::Listed {
            endpoint,
            containers,
        } => {
            if app.inventory.replace_endpoint(&endpoint, containers) {
                inventory_changed(app);
            }
        }
        Msg::ContainerChanged(c) => {
            if app.inventory.upsert(*c) {
                inventory_changed(app);
            }
        }
        Msg::ContainerRemoved(key) => {
            if app.inventory.remove(&key).is_some() {
                app.table.marked.remove(&key);
                inventory_changed(app);
            }
        }
        Msg::NetworksListed { endpoint, networks } => {
            app.views.topology.stale |=
                app.inventory.replace_endpoint_networks(&endpoint, networks);
        }
        Msg::NetworkChanged(network) => {
            app.views.topology.stale |= app.inventory.upsert_network(network);
        }
        Msg::NetworkRemoved(key) => {
            app.views.topology.stale |= app.inventory.remove_network(&key);
        }
        Msg::SwarmListed { .. }
        | Msg::SwarmServiceChanged { .. }
        | Msg::SwarmNodesChanged { .. }
        | Msg::SwarmLost { .. } => swarm::on_swarm(app, msg),
        Msg::LogChunk {
            session,
            stream,
            bytes,
        } => {
            on_log_chunk(app, session, stream, &bytes);
        }
        Msg::LogEnded { session, error } => on_log_ended(app, session, error, fx),
        Msg::StorageListed { endpoint, result } => {
            resources::on_listed(app, endpoint, result);
        }
        Msg::Mouse(m) => on_mouse(app, m, fx),
        Msg::Activity(result) => {
            let a = &mut app.views.activity;
            a.loaded = true;
            match result {
                Ok(records) => {
                    a.records = records;
                    a.error = None;
                }
                Err(e) => a.error = Some(e),
            }
        }
        Msg::Processes { key, result } => {
            if app.selected_container().is_some_and(|c| c.key == key) {
                app.views.detail_processes = Some((key, result));
            }
        }
        Msg::Inspected { key, result } => {
            if let Some(ins) = app.views.inspect.as_mut().filter(|i| i.key == key) {
                match result {
                    Ok(doc) => {
                        ins.doc = Some(doc);
                        refresh_inspect_lines(ins);
                    }
                    Err(e) => ins.error = Some(e),
                }
            }
        }
        Msg::Sampled {
            endpoint: _,
            samples,
        } => on_sampled(app, samples),
        Msg::SshChannels {
            endpoint,
            open,
            forwarded,
        } => {
            if let Some(ep) = app.endpoints.get_mut(&endpoint) {
                ep.ssh_channels = Some((open, forwarded));
            }
        }
        Msg::Sampling { endpoint, sampling } => {
            if let Some(ep) = app.endpoints.get_mut(&endpoint) {
                ep.sampling = sampling;
            }
        }
        Msg::Progress(p) => {
            on_progress(app, p);
            activity::reread(app, fx);
        }
        Msg::PlanDone(report) => {
            on_plan_done(app, report);
            activity::reread(app, fx);
            resources::relist(app, fx);
        }
        Msg::AuditProblem(problem) => {
            if let Some(p) = &problem {
                if app.ops.audit_problem.as_ref() != Some(p) {
                    toast(app, ToastLevel::Error, p.clone());
                }
            }
            app.ops.audit_problem = problem;
        }
        Msg::LogsSaved(result) => match result {
            Ok(path) => toast(
                app,
                ToastLevel::Info,
                format!("logs saved to {}", path.display()),
            ),
            Err(e) => toast(app, ToastLevel::Error, format!("could not save logs: {e}")),
        },
        Msg::CanaryRead { rollout, result } => {
            let now = app.now;
            if let Some(r) = app.views.canary.by_name_mut(&rollout) {
                let was = r.abort_proposed();
                r.read(now, result);
                if r.abort_proposed() && !was && !r.state.finished() {
                    let text = if r.spec.auto_abort && r.driven_here() {
                        format!(
                            "{}: the gates failed {} times in a row; aborting (auto_abort)",
                            r.spec.name, r.failed_in_a_row
                        )
                    } else {
                        format!(
                            "{}: the gates failed {} times in a row; abort is proposed (a in the canary view)",
                            r.spec.name, r.failed_in_a_row
                        )
                    };
                    toast(app, ToastLevel::Error, text);
                }
            }
            canary::automate(app, &rollout, fx);
        }
        Msg::CanaryDriver { rollout, driver } => {
            let now = app.now;
            if let Some(r) = app.views.canary.by_name_mut(&rollout) {
                r.driver(driver, now);
                if let Some(why) = r.review.clone() {
                    let text = format!("rollout {rollout}: state needs review: {why}");
                    toast(app, ToastLevel::Error, text);
                }
            }
        }
        Msg::CanaryWatched { rollout, state } => {
            if let Some(r) = app.views.canary.by_name_mut(&rollout) {
                r.watched(state);
            }
        }
        Msg::Advised { advisor, answer } => app.agent.advised(&advisor, answer),
        Msg::AlertsRead(body) => app.agent.alerts_read(body),
        Msg::Warning(w) => {
            toast(app, ToastLevel::Error, w.clone());
            app.screen.warnings.push(w);
        }
    }
}

pub fn toast(app: &mut App, level: ToastLevel, text: String) {
    let secs = match level {
        ToastLevel::Info => TOAST_SECS,
        ToastLevel::Error => ERROR_TOAST_SECS,
    };
    match level {
        ToastLevel::Info => log::info!("{text}"),
        ToastLevel::Error => log::error!("{text}"),
    }
    app.screen.toasts.push_back(Toast {
        text,
        level,
        until: app.now + Duration::seconds(secs),
    });
    while app.screen.toasts.len() > MAX_TOASTS {
        app.screen.toasts.pop_front();
    }
}

/// Runs an action (with its argument, if it takes one) from a key, the palette or a test.
pub fn on_action(app: &mut App, run: impl Into<Invocation>, origin: Origin, fx: &mut Vec<Effect>) {
    let Invocation { action, arg } = run.into();
    match action {
        Action::Quit => quit(app, fx),
        Action::Help => {
            app.screen.overlay = match app.screen.overlay {
                Some(Overlay::Help { .. }) => None,
                _ => Some(Overlay::Help { scroll: 0 }),
            }
        }
        Action::Palette => open_input(app, InputPurpose::Palette),
        Action::ToggleLogPanel => {
            app.screen.show_log_panel = !app.screen.show_log_panel;
            keep_cursor_visible(app);
        }
        Action::Back => back(app, fx),
        Action::Topology => topology::toggle(app, fx),
        Action::Canary => canary::toggle(app, fx),
        Action::Agent => agent::toggle(app, fx),
        Action::Resources => {
            if app.views.current == View::Resources {
                app.views.current = View::Table;
            } else {
                back_to_table(app, fx);
                app.views.current = View::Resources;
                fx.push(Effect::ListStorage);
            }
        }
        Action::Activity => {
            if app.views.current == View::Activity {
                app.views.current = View::Table;
            } else {
                back_to_table(app, fx);
                app.views.current = View::Activity;
                fx.push(Effect::ReadActivity);
            }
        }
        Action::Events => {
            if app.views.current == View::Events {
                app.views.current = View::Table;
            } else {
                back_to_table(app, fx);
                app.views.current = View::Events;
            }
        }
        Action::Endpoints => {
            app.screen.overlay = match app.screen.overlay {
                Some(Overlay::Endpoints { .. }) => None,
                _ => {
                    fx.push(Effect::ListContexts);
                    Some(Overlay::Endpoints { cursor: 0 })
                }
            }
        }
        Action::InputAccept if matches!(app.screen.overlay, Some(Overlay::Form(_))) => {
            submit_form(app, fx)
        }
        Action::InputCancel if matches!(app.screen.overlay, Some(Overlay::Form(_))) => {
            app.screen.overlay = None
        }
        Action::InputComplete if matches!(app.screen.overlay, Some(Overlay::Form(_))) => {
            on_form_action(app, Action::Down)
        }
        Action::InputAccept => accept_input(app, fx),
        Action::InputCancel => cancel_input(app),
        Action::InputComplete => {
            if let Some(input) = app
                .screen
                .input
                .as_mut()
                .filter(|i| i.purpose == InputPurpose::Palette)
            {
                if let Some(done) = palette::complete(&input.text) {
                    input.cursor = done.chars().count();
                    input.text = done;
                }
            }
        }
        Action::Confirm
        | Action::Yes
        | Action::Cancel
        | Action::FocusNext
        | Action::OptionNext
        | Action::OptionPrev
        | Action::ToggleOption => match app.screen.overlay {
            Some(Overlay::StopPlan { .. }) => on_stop_plan_action(app, action, fx),
            _ => on_dialog_action(app, action, fx),
        },
        _ => match &app.screen.overlay {
            Some(Overlay::Help { .. }) => on_help_action(app, action),
            Some(Overlay::Endpoints { .. }) => on_endpoints_action(app, action, fx),
            Some(Overlay::Form(_)) => on_form_action(app, action),
            Some(Overlay::Confirm(_) | Overlay::StopPlan { .. }) => {}
            None => super::view::on_view_action(app, action, arg, origin, fx),
        },
    }
}

/// Quits, unless changes are in flight: then the console waits for them (a second quit leaves
/// at once, and the gate records them as abandoned).
fn quit(app: &mut App, fx: &mut Vec<Effect>) {
    if !app.ops.running.is_empty() && !app.ops.quitting {
        // Said under the header for as long as it lasts (`App::safety_notices`).
        app.ops.quitting = true;
        return;
    }
    app.quit = true;
    fx.push(Effect::Quit);
}

fn back(app: &mut App, fx: &mut Vec<Effect>) {
    app.screen.pending_keys.clear();
    if app.screen.overlay.is_some() {
        app.screen.overlay = None;
        return;
    }
    match app.views.current {
        View::Logs
        | View::Inspect
        | View::Events
        | View::Activity
        | View::Resources
        | View::Topology
        | View::Canary
        | View::Agent => back_to_table(app, fx),
        View::Table => {
            if ask_to_stop(app) {
                return;
            }
            if !app.table.marked.is_empty() {
                app.table.marked.clear();
            } else if !app.table.filter_text.is_empty() {
                set_filter(app, "");
            }
        }
    }
}

/// A mouse event the console acts on (a wheel notch, a left click): the runtime drops the rest.
pub fn mouse_matters(m: &crossterm::event::MouseEvent) -> bool {
    use crossterm::event::{MouseButton, MouseEventKind};
    matches!(
        m.kind,
        MouseEventKind::ScrollUp
            | MouseEventKind::ScrollDown
            | MouseEventKind::Down(MouseButton::Left)
    )
}

/// The wheel scrolls whatever has the keyboard, three lines a notch; a click on a table row
/// selects it. Nothing a click does changes an engine: that still takes a key and a dialog.
fn on_mouse(app: &mut App, m: crossterm::event::MouseEvent, fx: &mut Vec<Effect>) {
    use crossterm::event::{MouseButton, MouseEventKind};
    let scroll = |app: &mut App, action: Action, fx: &mut Vec<Effect>| {
        for _ in 0..3 {
            on_action(app, action, Origin::Keystroke, fx);
        }
    };
    match m.kind {
        MouseEventKind::ScrollDown => scroll(app, Action::Down, fx),
        MouseEventKind::ScrollUp => scroll(app, Action::Up, fx),
        MouseEventKind::Down(MouseButton::Left)
            if app.views.current == View::Table && app.screen.overlay.is_none() =>
        {
            let table =
                crate::ui::layout::table_panes(crate::ui::layout::body_area(app), app).table;
            // Inside the border, below the column titles.
            let first_row = table.y + 2;
            let inside = m.row >= first_row
                && m.row < table.bottom().saturating_sub(1)
                && m.column > table.x
                && m.column < table.right().saturating_sub(1);
            if inside {
                let index = app.table.offset + (m.row - first_row) as usize;
                if index < app.table.rows.len() {
                    select_index(app, index);
                    refresh_detail(app, fx);
                }
            }
        }
        _ => {}
    }
}

fn back_to_table(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(l) = app.views.logs.take() {
        for s in l.sources {
            fx.push(Effect::StopLogs { session: s.session });
        }
    }
    app.views.inspect = None;
    app.views.current = View::Table;
}
