//! The reducer: `update(app, msg)` changes state and returns the work the runtime must do.
//! Time arrives through `Msg::Tick` and `App::now` (set by the caller), never from a clock here.

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, KeyContext};
use super::effect::Effect;
use super::events::EngineEvent;
use super::filter::Filter;
use super::inspect;
use super::logbuf::LogBuffer;
use super::model::{ContainerKey, EndpointState, RunState};
use super::palette;
use super::rows::{build_rows, Row, RowInputs, SortColumn, STANDALONE_GROUP};
use super::state::*;
use super::usage::stopped_history_kept;
use crate::config::keymap::{KeyPress, Lookup};
use crate::ops::{Approval, ContainerVerb, Origin, PlanReport, Progress, Request, Subject};
use crate::ui::layout;

const TOAST_SECS: i64 = 4;
const ERROR_TOAST_SECS: i64 = 8;
const MAX_TOASTS: usize = 4;
const LOG_TAIL: usize = 1000;

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    update_batch(app, std::iter::once(msg))
}

/// Applies several messages, then brings derived state up to date once: a burst of engine
/// messages (thousands of inspects after connecting) costs one row rebuild, not one each.
pub fn update_batch(app: &mut App, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    let mut fx = Vec::new();
    for msg in msgs {
        apply(app, msg, &mut fx);
    }
    settle(app);
    fx
}

/// Rebuilds rows (and drops usage of vanished containers) if the inventory changed.
pub fn settle(app: &mut App) {
    if std::mem::take(&mut app.table.rows_stale) {
        rebuild_rows(app);
        prune_usage(app);
    }
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
        Msg::LogChunk {
            session,
            stream,
            bytes,
        } => {
            if let Some(logs) = app.views.logs.as_mut().filter(|l| l.session == session) {
                logs.buffer.push_chunk(stream, &bytes, true);
            }
        }
        Msg::LogEnded { session, error } => {
            if let Some(logs) = app.views.logs.as_mut().filter(|l| l.session == session) {
                logs.ended = Some(error.unwrap_or_else(|| "log stream ended".into()));
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
        Msg::Progress(p) => on_progress(app, p),
        Msg::PlanDone(report) => on_plan_done(app, report),
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
        Msg::Warning(w) => {
            toast(app, ToastLevel::Error, w.clone());
            app.screen.warnings.push(w);
        }
    }
}

use super::msg::Msg;

/// Records an event; the ones an operator must not miss also raise a toast.
fn on_engine_event(app: &mut App, e: EngineEvent) {
    let name = e.label();
    match e.action.as_str() {
        "health_status: unhealthy" => toast(
            app,
            ToastLevel::Error,
            format!("{name} on {} is unhealthy", e.endpoint),
        ),
        "health_status: healthy" => toast(
            app,
            ToastLevel::Info,
            format!("{name} on {} is healthy", e.endpoint),
        ),
        "oom" => toast(
            app,
            ToastLevel::Error,
            format!("{name} on {} ran out of memory (OOM kill)", e.endpoint),
        ),
        _ => {}
    }
    apply_state_hint(app, &e);
    let following = app.views.events.cursor.is_none();
    app.views.events.log.push(e);
    if !following {
        // Keep the cursor on the same event as the ring turns and new ones arrive below.
        let len = app.views.events.visible().count();
        if let Some(c) = app.views.events.cursor.as_mut() {
            *c = (*c).min(len.saturating_sub(1));
        }
    }
}

/// Lifecycle events say the new state themselves: show it now, before the inspect that
/// follows them arrives with the rest (start time, restart count, health).
fn apply_state_hint(app: &mut App, e: &EngineEvent) {
    if e.kind != "container" {
        return;
    }
    let key = ContainerKey {
        endpoint: e.endpoint.clone(),
        id: e.id.clone(),
    };
    let Some(mut c) = app.inventory.by_key(&key).cloned() else {
        return;
    };
    match e.action.as_str() {
        "die" => {
            c.state = RunState::Exited;
            c.exit_code = e.attributes.get("exitCode").and_then(|x| x.parse().ok());
            c.finished_at = Some(e.time);
        }
        "start" => {
            c.state = RunState::Running;
            c.started_at = Some(e.time);
        }
        "pause" => c.state = RunState::Paused,
        "unpause" => c.state = RunState::Running,
        _ => return,
    }
    if app.inventory.upsert(c) {
        inventory_changed(app);
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

fn on_progress(app: &mut App, p: Progress) {
    let (plan, index, state) = match p {
        Progress::Running { plan, index } => (plan, index, StepState::Running),
        Progress::Ended {
            plan,
            index,
            result,
        } => (
            plan,
            index,
            match result {
                Ok(()) => StepState::Done,
                Err(e) => StepState::Failed(e.message),
            },
        ),
    };
    if let Some(step) = app
        .ops
        .running
        .iter_mut()
        .find(|r| r.plan.id == plan)
        .and_then(|r| r.steps.get_mut(index))
    {
        *step = state;
    }
}

/// A plan ended: say how, in full (the engine's reason whole), and leave if the operator was
/// waiting for it to quit.
fn on_plan_done(app: &mut App, report: PlanReport) {
    let Some(at) = app
        .ops
        .running
        .iter()
        .position(|r| r.plan.id == report.plan)
    else {
        return;
    };
    let running = app.ops.running.remove(at);
    let plan = &running.plan;
    match report.failure() {
        None => toast(app, ToastLevel::Info, format!("{}: done", plan.title)),
        Some((index, e)) => {
            let step = &plan.steps[index];
            let ran = report
                .results
                .iter()
                .filter(|r| matches!(r, Some(Ok(()))))
                .count();
            let context = if plan.steps.len() > 1 {
                format!(
                    " (step {} of {}; {ran} done before it)",
                    index + 1,
                    plan.steps.len()
                )
            } else {
                String::new()
            };
            toast(
                app,
                ToastLevel::Error,
                format!(
                    "{} on {} failed{context}: {e}",
                    step.describe(),
                    step.target.endpoint()
                ),
            );
        }
    }
    if app.ops.quitting && app.ops.running.is_empty() {
        app.quit = true;
    }
}

// ---------------------------------------------------------------------------------------------
// Rows and selection

/// Rebuilds the derived rows and puts the cursor back on the same container.
pub fn rebuild_rows(app: &mut App) {
    let rows = build_rows(&RowInputs {
        inventory: &app.inventory,
        filter: &app.table.filter,
        sort: app.table.sort,
        tree: app.table.tree,
        collapsed: &app.table.collapsed,
        now: app.now,
        usage: &app.usage,
    });
    app.table.rows = rows;
    let found = app
        .table
        .selected
        .as_ref()
        .and_then(|sel| app.table.rows.iter().position(|r| row_is(app, r, sel)));
    let cursor = match found {
        Some(i) => i,
        None => app.table.cursor.min(app.table.rows.len().saturating_sub(1)),
    };
    select_index(app, cursor);
}

fn inventory_changed(app: &mut App) {
    app.table.rows_stale = true;
}

/// Derives usage from each new sample against the container's limits. Samples of containers
/// that are gone or no longer running (a late answer) are ignored.
fn on_sampled(app: &mut App, samples: Vec<(ContainerKey, crate::app::usage::Sample)>) {
    for (key, sample) in samples {
        let Some(c) = app.inventory.by_key(&key) else {
            continue;
        };
        if c.state != RunState::Running {
            continue;
        }
        app.usage.entry(key).or_default().record(sample, &c.limits);
    }
    if matches!(app.table.sort.column, SortColumn::Cpu | SortColumn::Memory) {
        app.table.rows_stale = true;
    }
}

/// Drops usage of removed containers; a stopped one loses its current usage at once and its
/// history once it has been stopped for the history window.
fn prune_usage(app: &mut App) {
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
fn expire_stopped_histories(app: &mut App) {
    let (now, kept) = (app.now, stopped_history_kept(app.options.sample_ms));
    app.usage.retain(|_, entry| entry.worth_keeping(now, kept));
}

fn row_is(app: &App, row: &Row, sel: &Selected) -> bool {
    match (row, sel) {
        (Row::Container { slot, .. }, Selected::Container(k)) => {
            app.inventory.get(*slot).is_some_and(|c| &c.key == k)
        }
        (Row::Group { id, .. }, Selected::Group(g)) => id == g,
        _ => false,
    }
}

fn select_index(app: &mut App, index: usize) {
    let t = &mut app.table;
    if t.rows.is_empty() {
        t.cursor = 0;
        t.selected = None;
        t.offset = 0;
        return;
    }
    let index = index.min(t.rows.len() - 1);
    t.cursor = index;
    t.selected = Some(match &t.rows[index] {
        Row::Container { slot, .. } => Selected::Container(
            app.inventory
                .get(*slot)
                .expect("rows refer to live slots")
                .key
                .clone(),
        ),
        Row::Group { id, .. } => Selected::Group(id.clone()),
    });
    keep_cursor_visible(app);
}

fn keep_cursor_visible(app: &mut App) {
    let height = layout::table_body_height(app).max(1) as usize;
    let t = &mut app.table;
    if t.cursor < t.offset {
        t.offset = t.cursor;
    } else if t.cursor >= t.offset + height {
        t.offset = t.cursor + 1 - height;
    }
    let max_offset = t.rows.len().saturating_sub(height);
    t.offset = t.offset.min(max_offset);
}

/// The containers an action applies to: the marked ones, else the selected container, else
/// every container of the selected group.
pub fn action_targets(app: &App) -> Vec<Subject> {
    let target = |k: &ContainerKey| {
        app.inventory.by_key(k).map(|c| Subject {
            key: c.key.clone(),
            name: c.name.clone(),
            running: matches!(c.state, RunState::Running | RunState::Restarting),
        })
    };
    if !app.table.marked.is_empty() {
        let mut t: Vec<Subject> = app.table.marked.iter().filter_map(target).collect();
        t.sort_by(|a, b| a.name.cmp(&b.name));
        return t;
    }
    match &app.table.selected {
        Some(Selected::Container(k)) => target(k).into_iter().collect(),
        Some(Selected::Group(_)) => group_members(app).iter().filter_map(target).collect(),
        None => Vec::new(),
    }
}

fn group_members(app: &App) -> Vec<ContainerKey> {
    let Some(Selected::Group(id)) = &app.table.selected else {
        return Vec::new();
    };
    // Group ids come from `rows::tree_rows`: `p:<project>`, `s:<project>/<service>`, or the
    // standalone heading.
    let (project, service) = match id.split_once(':') {
        _ if id == STANDALONE_GROUP => (None, None),
        Some(("p", p)) => (Some(p.to_owned()), None),
        Some(("s", ps)) => match ps.split_once('/') {
            Some((p, s)) => (Some(p.to_owned()), Some(s.to_owned())),
            None => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    let mut keys: Vec<(String, ContainerKey)> = app
        .inventory
        .iter()
        .filter(|(_, c)| c.project() == project.as_deref())
        .filter(|(_, c)| service.as_deref().is_none_or(|s| c.service() == Some(s)))
        .filter(|(_, c)| app.table.filter.matches(c))
        .map(|(_, c)| (c.name.clone(), c.key.clone()))
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

// ---------------------------------------------------------------------------------------------
// Keys

/// Which keymap section is active, from the innermost thing on screen outwards.
pub fn key_context(app: &App) -> KeyContext {
    if app.screen.input.is_some() {
        return KeyContext::Input;
    }
    match &app.screen.overlay {
        Some(Overlay::Confirm(_)) => return KeyContext::Confirm,
        Some(Overlay::Help { .. }) => return KeyContext::Help,
        Some(Overlay::Endpoints { .. }) => return KeyContext::Endpoints,
        None => {}
    }
    match app.views.current {
        View::Table => KeyContext::Table,
        View::Logs => KeyContext::Logs,
        View::Inspect => KeyContext::Inspect,
        View::Events => KeyContext::Events,
    }
}

fn on_key(app: &mut App, key: KeyEvent, fx: &mut Vec<Effect>) {
    if key.kind == KeyEventKind::Release {
        return;
    }
    let ctx = key_context(app);
    let press = KeyPress::from_event(&key);
    if ctx == KeyContext::Input {
        // While typing, only the input's own actions (and quit) are keys; everything else,
        // Ctrl-U and Ctrl-W included, edits the text.
        if let Lookup::Action(a) = app.keymap.lookup(ctx, &[press]) {
            if matches!(
                a,
                Action::InputAccept | Action::InputCancel | Action::InputComplete | Action::Quit
            ) {
                return on_action(app, a, Origin::Keystroke, fx);
            }
        }
        edit_input(app, key);
        return;
    }
    app.screen.pending_keys.push(press);
    match app.keymap.lookup(ctx, &app.screen.pending_keys) {
        Lookup::Action(a) => {
            app.screen.pending_keys.clear();
            on_action(app, a, Origin::Keystroke, fx);
        }
        Lookup::Prefix => {}
        Lookup::Unbound => {
            // A failed sequence: try the last key on its own (`g` then `j` still moves down).
            let retry = app.screen.pending_keys.len() > 1;
            app.screen.pending_keys.clear();
            if retry {
                if let Lookup::Action(a) = app.keymap.lookup(ctx, &[press]) {
                    on_action(app, a, Origin::Keystroke, fx);
                }
            }
        }
    }
}

fn edit_input(app: &mut App, key: KeyEvent) {
    let Some(input) = app.screen.input.as_mut() else {
        return;
    };
    let chars: Vec<char> = input.text.chars().collect();
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('u') if ctrl => {
            input.text.clear();
            input.cursor = 0;
        }
        KeyCode::Char('w') if ctrl => {
            let mut start = input.cursor;
            while start > 0 && chars[start - 1] == ' ' {
                start -= 1;
            }
            while start > 0 && chars[start - 1] != ' ' {
                start -= 1;
            }
            input.text = chars[..start]
                .iter()
                .chain(&chars[input.cursor..])
                .collect();
            input.cursor = start;
        }
        KeyCode::Char(c) if !ctrl => {
            let mut v = chars;
            v.insert(input.cursor, c);
            input.text = v.into_iter().collect();
            input.cursor += 1;
        }
        KeyCode::Backspace if input.cursor > 0 => {
            let mut v = chars;
            v.remove(input.cursor - 1);
            input.text = v.into_iter().collect();
            input.cursor -= 1;
        }
        KeyCode::Delete if input.cursor < chars.len() => {
            let mut v = chars;
            v.remove(input.cursor);
            input.text = v.into_iter().collect();
        }
        KeyCode::Left => input.cursor = input.cursor.saturating_sub(1),
        KeyCode::Right => input.cursor = (input.cursor + 1).min(chars.len()),
        KeyCode::Home => input.cursor = 0,
        KeyCode::End => input.cursor = chars.len(),
        _ => return,
    }
    input_changed(app);
}

/// Filter and search apply as the operator types.
fn input_changed(app: &mut App) {
    let Some(input) = &app.screen.input else {
        return;
    };
    let text = input.text.clone();
    match input.purpose {
        InputPurpose::Filter => set_filter(app, &text),
        InputPurpose::Search => set_search(app, &text, true),
        InputPurpose::Palette => {}
    }
}

fn set_filter(app: &mut App, text: &str) {
    if app.views.current == View::Events {
        app.views.events.filter_text = text.to_owned();
        app.views.events.filter = crate::app::events::EventFilter::parse(text);
        app.views.events.cursor = None;
        return;
    }
    app.table.filter_text = text.to_owned();
    app.table.filter = Filter::parse(text);
    rebuild_rows(app);
}

fn open_input(app: &mut App, purpose: InputPurpose) {
    let previous = match purpose {
        InputPurpose::Filter if app.views.current == View::Events => {
            app.views.events.filter_text.clone()
        }
        InputPurpose::Filter => app.table.filter_text.clone(),
        InputPurpose::Search => match app.views.current {
            View::Logs => app
                .views
                .logs
                .as_ref()
                .map(|l| l.query.clone())
                .unwrap_or_default(),
            View::Inspect => app
                .views
                .inspect
                .as_ref()
                .map(|i| i.query.clone())
                .unwrap_or_default(),
            View::Table | View::Events => String::new(),
        },
        InputPurpose::Palette => String::new(),
    };
    let text = previous.clone();
    app.screen.input = Some(TextInput {
        purpose,
        cursor: text.chars().count(),
        text,
        previous,
    });
}

// ---------------------------------------------------------------------------------------------
// Actions

pub fn on_action(app: &mut App, action: Action, origin: Origin, fx: &mut Vec<Effect>) {
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
        | Action::Cancel
        | Action::FocusNext
        | Action::OptionNext
        | Action::OptionPrev
        | Action::ToggleOption => on_dialog_action(app, action, fx),
        _ => match app.views.current {
            _ if matches!(app.screen.overlay, Some(Overlay::Help { .. })) => {
                on_help_action(app, action)
            }
            _ if matches!(app.screen.overlay, Some(Overlay::Endpoints { .. })) => {
                on_endpoints_action(app, action, fx)
            }
            View::Table => on_table_action(app, action, origin, fx),
            View::Logs => on_logs_action(app, action, fx),
            View::Inspect => on_inspect_action(app, action),
            View::Events => on_events_action(app, action, fx),
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
        View::Logs | View::Inspect | View::Events => back_to_table(app, fx),
        View::Table => {
            if !app.table.marked.is_empty() {
                app.table.marked.clear();
            } else if !app.table.filter_text.is_empty() {
                set_filter(app, "");
            }
        }
    }
}

fn accept_input(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(input) = app.screen.input.take() else {
        return;
    };
    match input.purpose {
        InputPurpose::Filter => set_filter(app, &input.text),
        InputPurpose::Search => set_search(app, &input.text, true),
        InputPurpose::Palette => run_palette(app, &input.text, fx),
    }
}

fn cancel_input(app: &mut App) {
    let Some(input) = app.screen.input.take() else {
        return;
    };
    match input.purpose {
        InputPurpose::Filter => set_filter(app, &input.previous),
        InputPurpose::Search => set_search(app, &input.previous, false),
        InputPurpose::Palette => {}
    }
}

fn run_palette(app: &mut App, line: &str, fx: &mut Vec<Effect>) {
    match palette::parse(line) {
        Ok(palette::Command::Action(a)) => on_action(app, a, Origin::Palette, fx),
        Ok(palette::Command::Theme(name)) => match crate::config::theme::Theme::preset(&name) {
            Ok(t) => {
                app.theme = t.degraded(app.options.color_depth);
                toast(app, ToastLevel::Info, format!("theme: {name}"));
            }
            Err(e) => toast(app, ToastLevel::Error, e.to_string()),
        },
        Ok(palette::Command::Sort(col, descending)) => {
            app.table.sort.column = col;
            if let Some(d) = descending {
                app.table.sort.descending = d;
            }
            rebuild_rows(app);
        }
        Ok(palette::Command::Filter(text)) => set_filter(app, &text),
        Ok(palette::Command::Nothing) => {}
        Err(e) => toast(app, ToastLevel::Error, e),
    }
}

fn on_help_action(app: &mut App, action: Action) {
    if let Some(Overlay::Help { scroll }) = app.screen.overlay.as_mut() {
        match action {
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::Down => *scroll += 1,
            Action::PageUp => *scroll = scroll.saturating_sub(10),
            Action::PageDown => *scroll += 10,
            Action::Top => *scroll = 0,
            _ => {}
        }
    }
}

fn on_events_action(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    let len = app.views.events.visible().count();
    let page = layout::logs_body_height(app).saturating_sub(1).max(1) as usize;
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
fn jump_to_event_container(app: &mut App, index: usize) {
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

/// Health probes change a container without any event; while the detail pane shows a
/// health-checked container, it is re-read every couple of seconds (one inspect, one container).
fn refresh_detail(app: &mut App, fx: &mut Vec<Effect>) {
    const EVERY: i64 = 2;
    if !app.views.show_detail || app.views.current != View::Table {
        return;
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

fn on_endpoints_action(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
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
fn detach(app: &mut App, name: &str, fx: &mut Vec<Effect>) {
    app.endpoints.attached.retain(|e| e.name != name);
    app.views.events.log.drop_endpoint(name);
    let gone: Vec<ContainerKey> = app
        .inventory
        .iter()
        .filter(|(_, c)| c.key.endpoint == name)
        .map(|(_, c)| c.key.clone())
        .collect();
    for key in &gone {
        app.inventory.remove(key);
        app.table.marked.remove(key);
    }
    if app
        .views
        .logs
        .as_ref()
        .is_some_and(|l| l.key.endpoint == name)
    {
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

fn back_to_table(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(l) = app.views.logs.take() {
        fx.push(Effect::StopLogs { session: l.session });
    }
    app.views.inspect = None;
    app.views.current = View::Table;
}

fn move_cursor(app: &mut App, action: Action) -> bool {
    let page = layout::table_body_height(app).max(1) as usize;
    let last = app.table.rows.len().saturating_sub(1);
    let c = app.table.cursor;
    let to = match action {
        Action::Up => c.saturating_sub(1),
        Action::Down => (c + 1).min(last),
        Action::PageUp => c.saturating_sub(page),
        Action::PageDown => (c + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return false,
    };
    select_index(app, to);
    true
}

fn on_table_action(app: &mut App, action: Action, origin: Origin, fx: &mut Vec<Effect>) {
    if move_cursor(app, action) {
        return;
    }
    match action {
        Action::Filter => open_input(app, InputPurpose::Filter),
        Action::ClearFilter => set_filter(app, ""),
        Action::SortNext | Action::SortPrev => {
            app.table.sort.column = app.table.sort.column.step(action == Action::SortNext);
            if app.table.sort.column == SortColumn::Endpoint && !app.multi_endpoint() {
                app.table.sort.column = app.table.sort.column.step(action == Action::SortNext);
            }
            rebuild_rows(app);
        }
        Action::SortReverse => {
            app.table.sort.descending = !app.table.sort.descending;
            rebuild_rows(app);
        }
        Action::ToggleDetail => {
            app.views.show_detail = !app.views.show_detail;
            keep_cursor_visible(app);
            refresh_detail(app, fx);
        }
        Action::ToggleTree => {
            app.table.tree = !app.table.tree;
            rebuild_rows(app);
        }
        Action::ToggleCollapse => {
            if let Some(Selected::Group(id)) = app.table.selected.clone() {
                if !app.table.collapsed.remove(&id) {
                    app.table.collapsed.insert(id);
                }
                rebuild_rows(app);
            }
        }
        Action::Mark => {
            match app.table.selected.clone() {
                Some(Selected::Container(k)) if !app.table.marked.remove(&k) => {
                    app.table.marked.insert(k);
                }
                Some(Selected::Container(_)) => {}
                Some(Selected::Group(_)) => {
                    let members = group_members(app);
                    let all_marked = members.iter().all(|k| app.table.marked.contains(k));
                    for k in members {
                        if all_marked {
                            app.table.marked.remove(&k);
                        } else {
                            app.table.marked.insert(k);
                        }
                    }
                }
                None => {}
            }
            move_cursor(app, Action::Down);
        }
        Action::MarkAll => {
            let keys: Vec<ContainerKey> = app
                .table
                .rows
                .iter()
                .filter_map(|r| match r {
                    Row::Container { slot, .. } => app.inventory.get(*slot).map(|c| c.key.clone()),
                    Row::Group { .. } => None,
                })
                .collect();
            app.table.marked.extend(keys);
        }
        Action::ClearMarks => app.table.marked.clear(),
        Action::Logs => open_logs(app, fx),
        Action::Inspect => open_inspect(app, fx),
        a if a.is_mutation() => ask_to_mutate(app, a, origin, fx),
        _ => {}
    }
}

fn ask_to_mutate(app: &mut App, action: Action, origin: Origin, fx: &mut Vec<Effect>) {
    let subjects = action_targets(app);
    if subjects.is_empty() {
        return;
    }
    let verb = match action {
        Action::Start => ContainerVerb::Start,
        Action::Stop => ContainerVerb::Stop,
        Action::Restart => ContainerVerb::Restart,
        Action::Pause => ContainerVerb::Pause,
        Action::Unpause => ContainerVerb::Unpause,
        Action::Kill => ContainerVerb::Kill,
        Action::Remove => ContainerVerb::Remove,
        _ => return,
    };
    let request = Request::containers(verb, subjects, origin);
    let id = app.next_plan_id();
    if app.options.read_only {
        // Refused here, and recorded by the gate like a refusal there.
        let plan = request.plan(id);
        toast(
            app,
            ToastLevel::Error,
            format!("read-only mode: {} refused", plan.title),
        );
        fx.push(Effect::Refuse {
            plan,
            reason: "refused: wheelhouse is in read-only mode".into(),
        });
        return;
    }
    app.screen.overlay = Some(Overlay::Confirm(ConfirmDialog::new(request, id)));
}

fn on_dialog_action(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    let Some(Overlay::Confirm(d)) = app.screen.overlay.as_mut() else {
        return;
    };
    match action {
        Action::Cancel => app.screen.overlay = None,
        Action::FocusNext => {
            d.focus = match d.focus {
                Button::Cancel => Button::Confirm,
                Button::Confirm => Button::Cancel,
            }
        }
        Action::OptionNext | Action::OptionPrev => {
            d.request.cycle(action == Action::OptionNext);
            d.refresh();
        }
        Action::ToggleOption => {
            d.request.toggle();
            d.refresh();
        }
        Action::Confirm => {
            let confirmed = d.focus == Button::Confirm;
            let plan = d.plan.clone();
            app.screen.overlay = None;
            if confirmed {
                submit(app, plan, fx);
            }
        }
        _ => {}
    }
}

/// Hands a confirmed plan to the gate and shows it as running.
fn submit(app: &mut App, plan: crate::ops::Plan, fx: &mut Vec<Effect>) {
    app.table.marked.clear();
    toast(app, ToastLevel::Info, format!("{}…", plan.title));
    app.ops.running.push(RunningPlan {
        steps: vec![StepState::Waiting; plan.steps.len()],
        plan: plan.clone(),
    });
    fx.push(Effect::Submit {
        plan,
        approval: Approval::Operator,
    });
}

// ---------------------------------------------------------------------------------------------
// Logs

fn open_logs(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(c) = app.selected_container() else {
        return;
    };
    let (key, name) = (c.key.clone(), c.name.clone());
    let session = app.views.next_log_session;
    app.views.next_log_session += 1;
    app.views.logs = Some(LogsState {
        key: key.clone(),
        name,
        session,
        buffer: LogBuffer::new(app.options.log_buffer_lines),
        follow: true,
        timestamps: false,
        wrap: false,
        top: 0,
        hscroll: 0,
        query: String::new(),
        current_match: None,
        ended: None,
    });
    app.views.current = View::Logs;
    fx.push(Effect::FollowLogs {
        key,
        session,
        tail: LOG_TAIL.min(app.options.log_buffer_lines),
    });
}

fn on_logs_action(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    let page = layout::logs_body_height(app).max(1) as u64;
    let Some(l) = app.views.logs.as_mut() else {
        return;
    };
    let first = l.buffer.dropped();
    let len = l.buffer.len() as u64;
    let last_top = first + len.saturating_sub(page);
    // Scrolling starts from where the view is, which is the tail while following.
    let top = if l.follow { last_top } else { l.top.max(first) };
    let scroll_to = |l: &mut LogsState, to: u64| {
        l.top = to.clamp(first, last_top.max(first));
        l.follow = l.top >= last_top;
    };
    match action {
        Action::Up => scroll_to(l, top.saturating_sub(1)),
        Action::Down => scroll_to(l, top + 1),
        Action::PageUp => scroll_to(l, top.saturating_sub(page)),
        Action::PageDown => scroll_to(l, top + page),
        Action::Top => scroll_to(l, first),
        Action::Bottom => scroll_to(l, last_top),
        Action::Left => l.hscroll = l.hscroll.saturating_sub(8),
        Action::Right => l.hscroll += 8,
        Action::ToggleFollow => {
            l.follow = !l.follow;
            l.top = top;
        }
        Action::ToggleTimestamps => l.timestamps = !l.timestamps,
        Action::ToggleWrap => {
            l.wrap = !l.wrap;
            l.hscroll = 0;
        }
        Action::Search => open_input(app, InputPurpose::Search),
        Action::NextMatch | Action::PrevMatch => {
            let forward = action == Action::NextMatch;
            jump_to_match(app, forward, false);
        }
        Action::SaveLogs => {
            let title = format!(
                "logs of {} ({} on {}), saved {}",
                l.name,
                crate::text::short_id(&l.key.id),
                l.key.endpoint,
                app.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            let text = l.buffer.to_file_text(&title);
            fx.push(Effect::SaveLogs {
                container_name: l.name.clone(),
                text,
            });
        }
        _ => {}
    }
}

fn set_search(app: &mut App, query: &str, jump: bool) {
    match app.views.current {
        View::Logs => {
            if let Some(l) = app.views.logs.as_mut() {
                l.query = query.to_owned();
                l.current_match = None;
            }
            if jump && !query.is_empty() {
                // Search backwards from the bottom: the newest match is the likely target.
                jump_to_match(app, false, true);
            }
        }
        View::Inspect => {
            if let Some(i) = app.views.inspect.as_mut() {
                i.query = query.to_owned();
                i.current_match = None;
            }
            if jump && !query.is_empty() {
                jump_to_match(app, true, true);
            }
        }
        View::Table | View::Events => {}
    }
}

/// Moves to the next (or previous) line containing the query, wrapping around.
fn jump_to_match(app: &mut App, forward: bool, from_edge: bool) {
    match app.views.current {
        View::Logs => {
            let page = layout::logs_body_height(app).max(1) as u64;
            let Some(l) = app.views.logs.as_mut() else {
                return;
            };
            let hits = l.buffer.find_all(&l.query);
            if hits.is_empty() {
                l.current_match = None;
                return;
            }
            let first = l.buffer.dropped();
            let hits: Vec<u64> = hits.into_iter().map(|i| first + i as u64).collect();
            let at = match (from_edge, l.current_match) {
                (false, Some(m)) => Some(m),
                _ => None,
            };
            let next = pick(&hits, at, forward);
            l.current_match = Some(next);
            l.follow = false;
            let len = l.buffer.len() as u64;
            let last_top = first + len.saturating_sub(page);
            l.top = next
                .saturating_sub(page / 2)
                .clamp(first, last_top.max(first));
        }
        View::Inspect => {
            let page = layout::logs_body_height(app).max(1);
            let Some(i) = app.views.inspect.as_mut() else {
                return;
            };
            if i.query.is_empty() {
                return;
            }
            let hits: Vec<u64> = i
                .lines
                .iter()
                .enumerate()
                .filter(|(_, l)| crate::text::contains_ignore_case(l, &i.query))
                .map(|(n, _)| n as u64)
                .collect();
            if hits.is_empty() {
                i.current_match = None;
                return;
            }
            let at = if from_edge {
                None
            } else {
                i.current_match.map(|m| m as u64)
            };
            let next = pick(&hits, at, forward) as usize;
            i.current_match = Some(next);
            i.scroll = next.saturating_sub(page as usize / 2);
        }
        View::Table | View::Events => {}
    }
}

fn pick(hits: &[u64], at: Option<u64>, forward: bool) -> u64 {
    match (at, forward) {
        (None, true) => hits[0],
        (None, false) => *hits.last().expect("non-empty"),
        (Some(a), true) => *hits.iter().find(|&&h| h > a).unwrap_or(&hits[0]),
        (Some(a), false) => *hits
            .iter()
            .rev()
            .find(|&&h| h < a)
            .unwrap_or_else(|| hits.last().expect("non-empty")),
    }
}

// ---------------------------------------------------------------------------------------------
// Inspect

fn open_inspect(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(c) = app.selected_container() else {
        return;
    };
    let key = c.key.clone();
    app.views.inspect = Some(InspectState {
        key: key.clone(),
        name: c.name.clone(),
        doc: None,
        error: None,
        lines: Vec::new(),
        masked: 0,
        revealed: false,
        scroll: 0,
        query: String::new(),
        current_match: None,
    });
    app.views.current = View::Inspect;
    fx.push(Effect::Inspect { key });
}

fn refresh_inspect_lines(ins: &mut InspectState) {
    if let Some(doc) = &ins.doc {
        let (lines, masked) = inspect::render_lines(doc, ins.revealed);
        ins.lines = lines;
        ins.masked = masked;
    }
}

fn on_inspect_action(app: &mut App, action: Action) {
    let page = layout::logs_body_height(app).max(1) as usize;
    let Some(i) = app.views.inspect.as_mut() else {
        return;
    };
    let max = i.lines.len().saturating_sub(page);
    match action {
        Action::Up => i.scroll = i.scroll.saturating_sub(1),
        Action::Down => i.scroll = (i.scroll + 1).min(max),
        Action::PageUp => i.scroll = i.scroll.saturating_sub(page),
        Action::PageDown => i.scroll = (i.scroll + page).min(max),
        Action::Top => i.scroll = 0,
        Action::Bottom => i.scroll = max,
        Action::RevealSecrets => {
            i.revealed = !i.revealed;
            refresh_inspect_lines(i);
        }
        Action::Search => open_input(app, InputPurpose::Search),
        Action::NextMatch | Action::PrevMatch => {
            jump_to_match(app, action == Action::NextMatch, false)
        }
        _ => {}
    }
}
