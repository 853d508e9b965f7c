//! `App`: everything the screen shows, as plain data.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::events::{EngineEvent, EventFilter, EventLog};
use super::filter::Filter;
use super::inventory::Inventory;
use super::logbuf::LogBuffer;
use super::model::{AvailableContext, ContainerKey, EndpointStatus, GroupId};
use super::rows::{Row, Sort};
use super::usage::UsageEntry;
use crate::app::action::{Action, KeyContext};
use crate::config::keymap::{KeyPress, Keymap};
use crate::config::theme::{ColorDepth, Theme};
use crate::ops::{Plan, PlanId, Request};

/// Settings the reducer needs; fixed for a session except where an action changes them.
#[derive(Debug, Clone)]
pub struct AppOptions {
    pub read_only: bool,
    pub demo: bool,
    pub log_buffer_lines: usize,
    pub color_depth: ColorDepth,
    /// Percent of a limit from which gauges warn, and from which they alarm.
    pub near_limit_percent: f64,
    pub over_limit_percent: f64,
    /// How often usage is sampled: the time one history point stands for.
    pub sample_ms: u64,
    /// Why read-only is on though nobody asked for it (a config file that could not be read),
    /// shown on screen for the whole session.
    pub read_only_reason: Option<String>,
    /// Starts every plan id of this console (process and start time), so that ids are unique
    /// in an audit log shared by several consoles.
    pub plan_prefix: String,
    /// The most replicas a scale may ask for.
    pub max_replicas: u32,
    /// Where a container's network needs a look.
    pub net: crate::app::nethealth::NetThresholds,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            read_only: false,
            demo: false,
            log_buffer_lines: 10_000,
            color_depth: ColorDepth::TrueColor,
            near_limit_percent: 80.0,
            over_limit_percent: 95.0,
            sample_ms: 1_000,
            read_only_reason: None,
            plan_prefix: "plan".into(),
            max_replicas: crate::ops::service::DEFAULT_MAX_REPLICAS,
            net: crate::app::nethealth::NetThresholds::default(),
        }
    }
}

pub use super::view::View;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selected {
    Container(ContainerKey),
    Group(GroupId),
    /// A Swarm task with no container on an attached endpoint, by its manager's endpoint.
    Task {
        endpoint: String,
        id: String,
    },
}

#[derive(Debug, Clone, Default)]
pub struct TableState {
    pub sort: Sort,
    pub tree: bool,
    pub collapsed: HashSet<GroupId>,
    pub filter_text: String,
    pub filter: Filter,
    pub marked: HashSet<ContainerKey>,
    pub selected: Option<Selected>,
    /// Index of `selected` in `rows`, kept so that a vanished selection lands on its neighbour.
    pub cursor: usize,
    /// First visible row.
    pub offset: usize,
    /// Derived from inventory, filter, sort and tree; rebuilt by the reducer when they change.
    pub rows: Vec<Row>,
    /// The inventory changed since `rows` was built (rebuilt once per batch of messages).
    pub rows_stale: bool,
    /// How wide names and states are in `rows`, for the column widths.
    pub widest: super::rows::Widest,
}

/// One container whose logs the view follows.
#[derive(Debug, Clone)]
pub struct LogSource {
    pub key: ContainerKey,
    pub name: String,
    /// Chunks of this source's stream come tagged with it.
    pub session: u64,
    /// When the run being followed started: a container whose start time moves on has been
    /// restarted, and its logs are followed again from where they stopped.
    pub run_started: Option<DateTime<Utc>>,
    /// The stream ended with the container: waiting for it to start again.
    pub awaiting_start: bool,
}

#[derive(Debug, Clone)]
pub struct LogsState {
    /// The container's name, or the group's (`shop/web`).
    pub title: String,
    pub endpoint: String,
    /// Merged logs of a project or service: members that appear are followed too, and each
    /// line says which replica wrote it.
    pub group: Option<GroupId>,
    pub sources: Vec<LogSource>,
    pub buffer: LogBuffer,
    pub follow: bool,
    pub timestamps: bool,
    pub wrap: bool,
    /// Absolute index (dropped + position) of the top visible line when not following.
    pub top: u64,
    pub hscroll: usize,
    pub query: String,
    /// Absolute index of the line holding the current match.
    pub current_match: Option<u64>,
    /// Only the lines matching the query are shown (`&`, as in less).
    pub only_matching: bool,
    pub ended: Option<String>,
}

impl LogsState {
    /// Lines are hidden unless they match: the filter is on and there is a query.
    pub fn filtering(&self) -> bool {
        self.only_matching && !self.query.is_empty()
    }

    /// The source whose stream is tagged `session`.
    pub fn source_of(&self, session: u64) -> Option<usize> {
        self.sources.iter().position(|s| s.session == session)
    }

    pub fn is_merged(&self) -> bool {
        self.group.is_some()
    }

    /// The containers followed (for the sampler's watch list).
    pub fn keys(&self) -> impl Iterator<Item = &ContainerKey> {
        self.sources.iter().map(|s| &s.key)
    }
}

#[derive(Debug, Clone)]
pub struct InspectState {
    pub key: ContainerKey,
    pub name: String,
    pub doc: Option<Value>,
    pub error: Option<String>,
    pub lines: Vec<String>,
    pub masked: usize,
    pub revealed: bool,
    pub scroll: usize,
    pub query: String,
    pub current_match: Option<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct EventsState {
    pub log: EventLog,
    pub filter_text: String,
    pub filter: EventFilter,
    /// The chosen event's sequence number ([`EventLog`]); None follows the newest, which is
    /// then the chosen one.
    pub cursor: Option<u64>,
    pub show_probes: bool,
}

impl EventsState {
    /// The events the pane shows, oldest first.
    pub fn visible(&self) -> impl DoubleEndedIterator<Item = &EngineEvent> {
        self.visible_numbered().map(|(_, e)| e)
    }

    /// The events the pane shows with their sequence numbers, oldest first.
    pub fn visible_numbered(&self) -> impl DoubleEndedIterator<Item = (u64, &EngineEvent)> {
        self.log
            .numbered()
            .filter(|(_, e)| self.show_probes || !e.is_probe_noise())
            .filter(|(_, e)| self.filter.matches(e))
    }

    /// Where the chosen event is in the visible list: the newest while following, and the next
    /// one shown when the chosen event has gone (dropped from the ring, filtered out).
    pub fn position(&self) -> Option<usize> {
        let seqs: Vec<u64> = self.visible_numbered().map(|(n, _)| n).collect();
        let last = seqs.len().checked_sub(1)?;
        Some(match self.cursor {
            None => last,
            Some(chosen) => seqs.iter().position(|&n| n >= chosen).unwrap_or(last),
        })
    }

    /// Chooses the event at `index` of the visible list; the last one means following again.
    pub fn choose(&mut self, index: usize) {
        let seqs: Vec<u64> = self.visible_numbered().map(|(n, _)| n).collect();
        self.cursor = match seqs.len().checked_sub(1) {
            Some(last) if index < last => Some(seqs[index]),
            _ => None,
        };
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputPurpose {
    Filter,
    Search,
    Palette,
}

#[derive(Debug, Clone)]
pub struct TextInput {
    pub purpose: InputPurpose,
    pub text: String,
    /// Cursor position in chars.
    pub cursor: usize,
    /// What was there before, restored on cancel.
    pub previous: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    Cancel,
    Confirm,
}

#[derive(Debug, Clone)]
pub struct ConfirmDialog {
    /// What was asked, when its options can still change (a kill's signal); `None` for a plan
    /// made from a form or a key (a scale, a rollout).
    pub request: Option<Request>,
    /// The plan as it stands, shown whole: every step, target and endpoint.
    pub plan: Plan,
    /// What the operator should know before confirming.
    pub notes: Vec<String>,
    pub focus: Button,
    /// First step listed, for plans longer than the dialog.
    pub scroll: usize,
}

impl ConfirmDialog {
    pub fn new(request: Request, id: PlanId) -> ConfirmDialog {
        let plan = request.plan(id);
        ConfirmDialog {
            notes: request.warnings(),
            request: Some(request),
            plan,
            focus: Button::Cancel,
            scroll: 0,
        }
    }

    /// A plan made elsewhere, to confirm as it is.
    pub fn prepared(plan: Plan, notes: Vec<String>) -> ConfirmDialog {
        ConfirmDialog {
            request: None,
            plan,
            notes,
            focus: Button::Cancel,
            scroll: 0,
        }
    }

    /// Rebuilds the plan after an option changed (same id: it is the same plan to confirm).
    pub fn refresh(&mut self) {
        if let Some(request) = &self.request {
            self.plan = request.plan(self.plan.id.clone());
            self.notes = request.warnings();
        }
    }
}

impl OpsState {
    /// How long an ended plan stays in the progress pane.
    pub const SHOWN_AFTER_END_SECS: i64 = 20;

    /// The plans the progress pane shows, oldest first: those of more than one step under way,
    /// and those that ended a moment ago.
    pub fn on_screen(&self, now: DateTime<Utc>) -> Vec<&RunningPlan> {
        let recent = self
            .finished
            .iter()
            .filter(|f| (now - f.at).num_seconds() < Self::SHOWN_AFTER_END_SECS)
            .map(|f| &f.run);
        recent
            .chain(self.running.iter())
            .filter(|r| r.plan.steps.len() > 1)
            .collect()
    }

    /// What is being done to a container right now, if anything: the operation of a step
    /// under way on it, so its row can say `stopping…`.
    pub fn under_way(&self, key: &ContainerKey) -> Option<&crate::ops::Operation> {
        self.running.iter().find_map(|r| {
            r.plan
                .steps
                .iter()
                .zip(&r.steps)
                .find(|(step, state)| {
                    **state == StepState::Running
                        && step.target.endpoint() == key.endpoint
                        && step.target.container_ref() == Some(key.id.as_str())
                })
                .map(|(step, _)| &step.op)
        })
    }

    /// How an ended plan on screen ended, if it has.
    pub fn ending(&self, plan: &PlanId) -> Option<&FinishedPlan> {
        self.finished.iter().find(|f| &f.run.plan.id == plan)
    }
}

/// A plan that ended, kept on screen a little while with how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedPlan {
    pub run: RunningPlan,
    /// `done`, or what failed and what was undone.
    pub summary: String,
    pub ok: bool,
    pub at: DateTime<Utc>,
}

/// A plan handed to the gate and not yet finished, with each step's state for the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningPlan {
    pub plan: Plan,
    pub steps: Vec<StepState>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepState {
    Waiting,
    Running,
    Done,
    Failed(String),
    /// Being undone: a later step failed or the plan was cancelled.
    Undoing,
    Undone,
    UndoFailed(String),
}

/// Changes this console made or is making.
#[derive(Debug, Clone, Default)]
pub struct OpsState {
    pub running: Vec<RunningPlan>,
    /// Plans of several steps that ended lately, newest last (the progress pane shows them a
    /// while).
    pub finished: VecDeque<FinishedPlan>,
    /// The operator asked to quit while changes were in flight: the console leaves when they
    /// end, or at once on a second quit.
    pub quitting: bool,
    /// Why changes cannot be recorded (and so are refused), while that is so.
    pub audit_problem: Option<String>,
    /// Plans made so far, for the next id.
    pub made: u64,
}

#[derive(Debug, Clone)]
pub enum Overlay {
    Help {
        scroll: usize,
    },
    /// Attached endpoints then unattached contexts; `cursor` indexes that combined list.
    Endpoints {
        cursor: usize,
    },
    Confirm(ConfirmDialog),
    /// Fields to fill in before a plan is made.
    Form(crate::app::form::Form),
    /// Whether to stop a running plan (and roll back what it did); `stop` has the focus when
    /// true, and it is false at first.
    StopPlan {
        plan: PlanId,
        title: String,
        stop: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastLevel {
    Info,
    Error,
}

#[derive(Debug, Clone)]
pub struct Toast {
    pub text: String,
    pub level: ToastLevel,
    pub until: DateTime<Utc>,
}

/// The endpoints attached, and the contexts on disk that could be.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    pub attached: Vec<EndpointStatus>,
    /// Contexts on disk, as last listed for the endpoints panel.
    pub on_disk: Vec<AvailableContext>,
}

impl Endpoints {
    pub fn get_mut(&mut self, name: &str) -> Option<&mut EndpointStatus> {
        self.attached.iter_mut().find(|e| e.name == name)
    }

    pub fn is_down(&self, name: &str) -> bool {
        self.attached
            .iter()
            .any(|e| e.name == name && matches!(e.state, super::model::EndpointState::Down { .. }))
    }

    /// Contexts on disk not attached yet, in the endpoints panel's order (after the attached).
    pub fn attachable(&self) -> impl Iterator<Item = &AvailableContext> {
        self.on_disk
            .iter()
            .filter(|c| !self.attached.iter().any(|e| e.name == c.name))
    }

    /// The endpoints panel's lines: each attached endpoint followed by its Swarm's nodes when
    /// it is a manager, then the contexts that can be attached.
    pub fn rows<'a>(&'a self, swarms: &'a super::swarm::Swarms) -> Vec<EndpointRow<'a>> {
        let mut rows = Vec::new();
        for ep in &self.attached {
            rows.push(EndpointRow::Attached(ep));
            if let Some(state) = swarms.get(&ep.name) {
                rows.extend(state.nodes.iter().map(|node| EndpointRow::Node {
                    endpoint: &ep.name,
                    node,
                }));
            }
        }
        rows.extend(self.attachable().map(EndpointRow::Context));
        rows
    }
}

/// One line of the endpoints panel.
#[derive(Debug, Clone, Copy)]
pub enum EndpointRow<'a> {
    Attached(&'a EndpointStatus),
    /// A node of the Swarm the endpoint above manages.
    Node {
        endpoint: &'a str,
        node: &'a super::swarm::SwarmNode,
    },
    Context(&'a AvailableContext),
}

/// What this console did, as its audit records say (its own process's lines of the log).
#[derive(Debug, Clone, Default)]
pub struct ActivityState {
    pub records: Vec<crate::ops::audit::AuditRecord>,
    /// Why the audit log could not be read.
    pub error: Option<String>,
    /// Lines scrolled up from the newest (0: the newest at the bottom).
    pub scroll: usize,
    pub loaded: bool,
}

/// Which view is shown, and the state of each view that keeps some.
#[derive(Debug, Clone)]
pub struct Views {
    pub current: View,
    pub logs: Option<LogsState>,
    pub inspect: Option<InspectState>,
    pub events: EventsState,
    pub activity: ActivityState,
    pub resources: super::resources::ResourcesState,
    pub topology: super::topology::TopologyState,
    pub canary: super::canary::CanaryState,
    /// The agent's panel: the proposal under the cursor.
    pub agent_cursor: usize,
    /// The usage and health pane under the table.
    pub show_detail: bool,
    /// When the detail pane last asked for a fresh inspect of its container.
    pub detail_refreshed_at: Option<DateTime<Utc>>,
    /// How far the detail pane's text is scrolled, for the container it was scrolled on
    /// (another container's pane starts at the top).
    pub detail_scroll: Option<(ContainerKey, u16)>,
    /// The processes of the detail pane's container, and when they were last asked for.
    pub detail_processes: Option<(ContainerKey, Result<super::model::ProcessTable, String>)>,
    pub detail_processes_at: Option<(ContainerKey, DateTime<Utc>)>,
    /// Whom the detail pane's container reaches (with the peers' names), worked out from the
    /// topology when the selection or the inventory changes, not per frame.
    pub detail_reach: Option<DetailReach>,
    pub next_log_session: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DetailReach {
    pub key: ContainerKey,
    pub reach: crate::topology::reach::Reach,
    /// `reach.peers`' names, in its order.
    pub peer_names: Vec<String>,
    /// The inventory changed since: work it out again.
    pub stale: bool,
}

impl Default for Views {
    fn default() -> Self {
        Views {
            current: View::Table,
            logs: None,
            inspect: None,
            events: EventsState::default(),
            activity: ActivityState::default(),
            resources: Default::default(),
            topology: Default::default(),
            canary: Default::default(),
            agent_cursor: 0,
            show_detail: false,
            detail_refreshed_at: None,
            detail_scroll: None,
            detail_processes: None,
            detail_processes_at: None,
            detail_reach: None,
            next_log_session: 1,
        }
    }
}

impl Views {
    /// Lines the detail pane of `key` is scrolled by.
    pub fn detail_scroll_of(&self, key: &ContainerKey) -> u16 {
        match &self.detail_scroll {
            Some((k, n)) if k == key => *n,
            _ => 0,
        }
    }
}

/// Rows the layout gives the scrolling parts of the screen. The runtime sets it from the layout
/// after every change (`ui::layout::fit`); the reducer reads it for page sizes and never asks
/// the layout itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    /// Container rows of the table (inside its border, below the column titles).
    pub table_rows: u16,
    /// Lines of the logs, inspect and events views (inside their border).
    pub body_rows: u16,
}

impl Default for Viewport {
    /// An 80×24 screen.
    fn default() -> Self {
        Viewport {
            table_rows: 19,
            body_rows: 20,
        }
    }
}

/// What sits around and over the views: the terminal's size, overlays, the text being typed,
/// notifications, keys of a binding half typed.
#[derive(Debug, Clone)]
pub struct Screen {
    pub size: (u16, u16),
    pub viewport: Viewport,
    pub overlay: Option<Overlay>,
    pub input: Option<TextInput>,
    pub toasts: VecDeque<Toast>,
    /// Keys typed so far of a multi-key binding (`g g`).
    pub pending_keys: Vec<KeyPress>,
    pub show_log_panel: bool,
    /// Warnings shown in the header until dismissed (config fallbacks).
    pub warnings: Vec<String>,
}

impl Default for Screen {
    fn default() -> Self {
        Screen {
            size: (80, 24),
            viewport: Viewport::default(),
            overlay: None,
            input: None,
            toasts: VecDeque::new(),
            pending_keys: Vec::new(),
            show_log_panel: false,
            warnings: Vec::new(),
        }
    }
}

/// Everything the screen shows, as plain data, in sub-states: each feature keeps its own.
#[derive(Debug, Clone)]
pub struct App {
    pub options: AppOptions,
    pub keymap: Keymap,
    pub theme: Theme,
    pub now: DateTime<Utc>,
    pub endpoints: Endpoints,
    pub inventory: Inventory,
    /// Resource use per container: current usage while running, bounded history kept after a
    /// stop, dropped when the container goes away.
    pub usage: HashMap<ContainerKey, UsageEntry>,
    pub table: TableState,
    pub views: Views,
    pub screen: Screen,
    pub ops: OpsState,
    /// The embedded agent: what it sees, proposes, and what became of what it proposed.
    pub agent: crate::agent::Agent,
    pub quit: bool,
}

impl App {
    pub fn new(
        options: AppOptions,
        keymap: Keymap,
        theme: Theme,
        endpoints: Vec<EndpointStatus>,
        now: DateTime<Utc>,
    ) -> App {
        App {
            options,
            keymap,
            theme,
            now,
            endpoints: Endpoints {
                attached: endpoints,
                on_disk: Vec::new(),
            },
            inventory: Inventory::default(),
            usage: HashMap::new(),
            table: TableState::default(),
            views: Views::default(),
            screen: Screen::default(),
            ops: OpsState::default(),
            agent: crate::agent::Agent::default(),
            quit: false,
        }
    }

    pub fn selected_container(&self) -> Option<&crate::app::model::Container> {
        match &self.table.selected {
            Some(Selected::Container(k)) => self.inventory.by_key(k),
            _ => None,
        }
    }

    pub fn multi_endpoint(&self) -> bool {
        self.endpoints.attached.len() > 1
    }

    /// Why changes are refused though the operator did not ask for read-only, most lasting
    /// first: shown under the header for as long as it holds.
    pub fn safety_notices(&self) -> Vec<String> {
        let mut notices = Vec::new();
        if let Some(reason) = &self.options.read_only_reason {
            notices.push(format!(
                "READ-ONLY until the config file is fixed (or wheelhouse is started with \
                 --read-write): {reason}"
            ));
        }
        if let Some(problem) = &self.ops.audit_problem {
            notices.push(problem.clone());
        }
        if self.ops.quitting {
            let n = self.ops.running.len();
            let noun = if n == 1 { "change" } else { "changes" };
            let again = self
                .keymap
                .hint(KeyContext::Global, Action::Quit)
                .unwrap_or_else(|| "quit".into());
            notices.push(format!(
                "Quitting: finishing {n} {noun}… ({again} again to quit now; they are recorded as abandoned)"
            ));
        }
        notices
    }

    /// A fresh id for the next plan.
    pub fn next_plan_id(&mut self) -> PlanId {
        self.ops.made += 1;
        PlanId(format!("{}-{}", self.options.plan_prefix, self.ops.made))
    }
}
