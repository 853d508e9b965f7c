//! The event loop: keys, engine messages, ticks and signals in; state through the reducer;
//! effects out to tasks; a redraw when something changed, at most ~30 per second.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use bollard::query_parameters::InspectContainerOptions;
use chrono::Utc;
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{interval, sleep_until, Instant, MissedTickBehavior};

use crate::app::model::AvailableContext;
use crate::app::update::update_batch;
use crate::app::watch::{watch_lists, Watch};
use crate::app::{update, App, Effect, Msg};
use crate::engine::endpoint::{describe_error, Endpoint};
use crate::engine::handle::EngineHandle;
use crate::engine::metrics::sampler::{self, SamplerConfig};
use crate::engine::metrics::SourceMode;
use crate::engine::{context, inventory, logs, supervisor};
use crate::ops::{Engines, Gate};
use crate::term::Tui;
use crate::ui;

/// The shortest time between frames drawn for engine messages: a burst of them costs at most
/// ~30 frames a second. A key is answered at once instead: people type far slower than that,
/// and a key waiting out the frame drawn for an event just before it would feel sluggish.
const FRAME: Duration = Duration::from_millis(33);
/// How long after the next sample the clock's tick is moved to, to fall in with it (see the
/// loop): later than a sampler's jitter, earlier than anyone would see an age lag.
const TICK_AFTER_SAMPLE: Duration = Duration::from_millis(100);
/// Engine messages handled before the next frame is considered, so a burst becomes one frame.
const BATCH: usize = 512;
/// How long a console stopped by a signal waits for changes in flight before recording them as
/// abandoned (a stop waits out the container's grace period, 10 s by default).
const SIGNAL_GRACE: Duration = Duration::from_secs(15);

pub struct Runtime {
    pub endpoints: Vec<Endpoint>,
    /// Every change passes it (read-only, audit log).
    pub gate: Gate,
    pub logs_dir: PathBuf,
    pub tick: Duration,
    /// How often each endpoint's sampler measures resource use…
    pub sample_interval: Duration,
    /// …and from what (config.toml's `metrics_source`, and per endpoint).
    pub metrics_source: SourceMode,
    pub endpoint_metrics: std::collections::BTreeMap<String, SourceMode>,
    /// Off-screen containers are sampled every this many intervals.
    pub offscreen_sample_every: u64,
    /// What this console's plan ids start with (its own lines of a shared audit log).
    pub plan_prefix: String,
    /// The canary rollouts: their routers (and PromQL gates) are read every second.
    pub rollouts: Vec<crate::canary::config::Rollout>,
    /// Where the rollouts' states and locks are (`data_dir/canary`).
    pub canary_dir: PathBuf,
}

/// Why the loop ended, for the exit status and message.
#[derive(Debug, PartialEq, Eq)]
pub enum Exit {
    Quit,
    /// Name and number, for the message and the conventional 128+n exit status.
    Signal(&'static str, u8),
    TerminalGone,
    /// A task panicked (the message); the terminal is already restored.
    Panicked(String),
}

pub async fn run(mut app: App, rt: Runtime, terminal: &mut Tui) -> anyhow::Result<Exit> {
    let (tx, mut rx) = mpsc::channel::<Msg>(1024);
    let mut effects = Effects::new(&rt, tx.clone());
    for ep in &rt.endpoints {
        effects.attach(ep.clone());
    }
    if !rt.rollouts.is_empty() {
        tokio::spawn(crate::canary::poll(
            rt.rollouts.clone(),
            rt.canary_dir.clone(),
            tx.clone(),
            crate::canary::Holding::Drive,
        ));
    }
    // Said at once, not at the first change: with no audit log, every change is refused.
    if let Err(e) = rt.gate.audit().check_writable() {
        let problem = format!("{e}; every change will be refused until it can be written");
        update(&mut app, Msg::AuditProblem(Some(problem)));
    }
    let mut keys = EventStream::new();
    let mut tick = interval(rt.tick);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_tick = Instant::now();
    let mut sigterm = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut sighup = signal(SignalKind::hangup()).context("SIGHUP handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("SIGINT handler")?;

    let size = terminal.size()?;
    app.now = Utc::now();
    update(
        &mut app,
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
    );
    ui::layout::fit(&mut app);
    let mut dirty = true;
    let mut key_pressed = false;
    let mut last_draw = Instant::now() - FRAME;
    // Test hook: proves that a panic inside the loop still restores the terminal.
    let test_hook = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map(|ms| Instant::now() + Duration::from_millis(ms))
    };
    let panic_at = test_hook("WHEELHOUSE_TEST_PANIC_AFTER_MS");
    // Test hooks: a panic inside a background task, and an allocation that fails.
    if let Some(at) = test_hook("WHEELHOUSE_TEST_TASK_PANIC_AFTER_MS") {
        tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            panic!("test panic in a background task (WHEELHOUSE_TEST_TASK_PANIC_AFTER_MS)");
        });
    }
    let alloc_fail_at = test_hook("WHEELHOUSE_TEST_ALLOC_FAIL_AFTER_MS");

    let exit = loop {
        // Checked before anything is drawn: after a panic the terminal is restored, and a frame
        // would land on the operator's shell.
        if let Some(message) = crate::term::panicked() {
            break Exit::Panicked(message);
        }
        if dirty && (key_pressed || last_draw.elapsed() >= FRAME) {
            if app.screen.show_log_panel {
                crate::logging::flush_to_panel();
            }
            terminal.draw(|f| ui::render(f, &app))?;
            last_draw = Instant::now();
            dirty = false;
        }
        key_pressed = false;
        let mut msgs = Vec::new();
        tokio::select! {
            ev = keys.next() => match ev {
                Some(Ok(Event::Key(k))) => msgs.push(Msg::Key(k)),
                // Only what the console acts on: motion would cost a frame each.
                Some(Ok(Event::Mouse(m))) if crate::app::update::mouse_matters(&m) => {
                    msgs.push(Msg::Mouse(m))
                }
                Some(Ok(Event::Resize(width, height))) => {
                    // ratatui resizes its buffers on the next draw; force a full repaint.
                    terminal.autoresize()?;
                    msgs.push(Msg::Resize { width, height });
                }
                Some(Ok(_)) => {}
                // Stdin closed or unreadable: the terminal is gone (an SSH connection dropped).
                Some(Err(_)) | None => break Exit::TerminalGone,
            },
            Some(msg) = rx.recv() => {
                msgs.push(msg);
                while msgs.len() < BATCH {
                    match rx.try_recv() {
                        Ok(m) => msgs.push(m),
                        Err(_) => break,
                    }
                }
            }
            _ = tick.tick() => {
                // Keep the panel's buffer moving even while it is hidden, so nothing is lost.
                crate::logging::flush_to_panel();
                msgs.push(Msg::Tick);
                last_tick = Instant::now();
            }
            _ = sleep_until(last_draw + FRAME), if dirty => {}
            _ = sigterm.recv() => break Exit::Signal("SIGTERM", 15),
            _ = sighup.recv() => break Exit::Signal("SIGHUP", 1),
            _ = sigint.recv() => break Exit::Signal("SIGINT", 2),
        }
        // The clock's tick goes with a sampler's: both change the screen (ages, usage), and
        // apart they cost two frames a second. A sample that comes while the tick is due within
        // half an interval brings it along; one that comes just after a tick moves the clock to
        // fire after the next sample, which then brings it.
        if msgs.iter().any(|m| matches!(m, Msg::Sampled { .. })) {
            if last_tick.elapsed() >= rt.tick / 2 {
                crate::logging::flush_to_panel();
                msgs.push(Msg::Tick);
                last_tick = Instant::now();
                tick.reset();
            } else {
                tick.reset_at(Instant::now() + rt.tick + TICK_AFTER_SAMPLE);
            }
        }
        if !msgs.is_empty() {
            key_pressed = msgs
                .iter()
                .any(|m| matches!(m, Msg::Key(_) | Msg::Mouse(_)));
            app.now = Utc::now();
            let applied = update_batch(&mut app, msgs);
            for fx in applied.effects {
                effects.run(fx);
            }
            if let Some((plan, approval)) = effects.session.take() {
                let ended = shell_session(
                    &rt,
                    &effects.engines,
                    terminal,
                    &mut keys,
                    &mut rx,
                    plan,
                    approval,
                )
                .await;
                app.now = Utc::now();
                // What arrived meanwhile, then how the session ended, then the screen as it is
                // now (it may have been resized during the session).
                let mut msgs = ended.meanwhile;
                msgs.push(Msg::PlanDone(ended.report));
                if let Ok(size) = terminal.size() {
                    msgs.push(Msg::Resize {
                        width: size.width,
                        height: size.height,
                    });
                }
                for fx in update_batch(&mut app, msgs).effects {
                    effects.run(fx);
                }
                dirty = true;
                if ended.terminal_gone {
                    break Exit::TerminalGone;
                }
            }
            // The change may have moved the layout (detail pane, log panel, notices, size).
            ui::layout::fit(&mut app);
            dirty |= applied.visible;
            effects.update_watches(&app);
        }
        if app.quit {
            break Exit::Quit;
        }
        if panic_at.is_some_and(|t| Instant::now() >= t) {
            panic!("test panic requested by WHEELHOUSE_TEST_PANIC_AFTER_MS");
        }
        if alloc_fail_at.is_some_and(|t| Instant::now() >= t) {
            // More than any address space: the allocator fails, as it would for an endless
            // answer without its bound.
            let layout = std::alloc::Layout::from_size_align(1 << 60, 8).expect("layout");
            // SAFETY: the pointer is only checked for null.
            let p = unsafe { std::alloc::alloc(layout) };
            if p.is_null() {
                std::alloc::handle_alloc_error(layout);
            }
        }
    };
    // Changes still with their engine: on a signal, wait a while for their answers (nobody is
    // there to press q again); then, or at once after a second quit, record them as abandoned.
    if matches!(exit, Exit::Signal(..)) && !effects.plans.is_empty() {
        let _ = tokio::time::timeout(SIGNAL_GRACE, async {
            while effects.plans.join_next().await.is_some() {}
        })
        .await;
    }
    let abandoned = rt.gate.abandon_in_flight();
    if abandoned > 0 {
        log::warn!("quit with {abandoned} change(s) unanswered; recorded as abandoned");
    }
    effects.plans.abort_all();
    let tasks = effects
        .log_tasks
        .into_values()
        .chain(effects.supervisors.into_values())
        .chain(effects.samplers.into_values().map(|(task, _)| task));
    for task in tasks {
        task.abort();
    }
    Ok(exit)
}

/// How a shell session ended, and what the engines said meanwhile.
struct SessionEnd {
    report: crate::ops::PlanReport,
    /// Messages that arrived during the session, to apply now (usage samples are left out:
    /// they are stale, and the next ones come within a second).
    meanwhile: Vec<Msg>,
    /// The operator's terminal went away during the session.
    terminal_gone: bool,
}

/// Most messages kept while a session runs; beyond them the inventory is listed afresh when
/// the endpoint reconnects, so nothing is lost for good.
const KEPT_DURING_SESSION: usize = 50_000;

/// Hands the terminal to a shell in a container through the gate, and takes it back. The
/// engines' messages are kept meanwhile (so their tasks never wait on a full channel), and
/// a terminal that cannot be set up or given back ends the console as a lost terminal, after
/// the session's outcome is on record.
async fn shell_session(
    rt: &Runtime,
    engines: &Engines,
    terminal: &mut Tui,
    keys: &mut EventStream,
    rx: &mut mpsc::Receiver<Msg>,
    plan: crate::ops::Plan,
    approval: crate::ops::Approval,
) -> SessionEnd {
    let mut end = SessionEnd {
        report: crate::ops::PlanReport::default(),
        meanwhile: Vec::new(),
        terminal_gone: false,
    };
    let step = plan.steps[0].clone();
    let (Some(id), crate::ops::Operation::Exec { command }) = (
        step.target.container_ref().map(str::to_owned),
        step.op.clone(),
    ) else {
        end.report = rt
            .gate
            .run_session(plan, approval, engines, |_| async {
                Err(crate::ops::OpError::new(
                    crate::ops::ErrorKind::Other,
                    "not a shell session",
                ))
            })
            .await;
        return end;
    };
    let size = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    if crate::term::step_aside().is_err() {
        end.terminal_gone = true;
    }
    {
        let mut out = std::io::stdout();
        let _ = write!(
            out,
            "\r\n── {} on {} (exit or Ctrl-D returns to wheelhouse; Ctrl-P Ctrl-Q detaches) ──\r\n",
            plan.title,
            step.target.endpoint()
        );
        let _ = out.flush();
    }
    let session = rt
        .gate
        .run_session(plan, approval, engines, |docker| async move {
            crate::shell::session(&docker, &id, &command, size, keys).await
        });
    tokio::pin!(session);
    let meanwhile = &mut end.meanwhile;
    end.report = loop {
        tokio::select! {
            report = &mut session => break report,
            Some(msg) = rx.recv() => {
                if !matches!(msg, Msg::Sampled { .. }) && meanwhile.len() < KEPT_DURING_SESSION {
                    meanwhile.push(msg);
                }
            }
        }
    };
    if crate::term::come_back(terminal).is_err() {
        end.terminal_gone = true;
    }
    end
}

/// Watches the endpoints of `rt` without a terminal for `window` (or until dropped): their
/// supervisors and samplers feed `app`, ticking as the console does, every container kept
/// fresh (as a sort by use would), `each` shown the App after every batch. What a headless
/// command that must watch a while sees (`agent`). It carries out no effect that changes
/// anything (changes are the caller's, through the gate); with `consult`, it runs the agent's
/// advisors and reads its alerts on their schedule.
pub async fn observe(
    mut app: App,
    rt: &Runtime,
    window: Option<Duration>,
    consult: bool,
    mut each: impl FnMut(&App),
) -> App {
    let (tx, mut rx) = mpsc::channel::<Msg>(1024);
    let mut effects = Effects::new(rt, tx.clone());
    for ep in &rt.endpoints {
        effects.attach(ep.clone());
    }
    // The rollouts' routers read as the console reads them, their locks left to whoever drives.
    let canary = (!rt.rollouts.is_empty()).then(|| {
        tokio::spawn(crate::canary::poll(
            rt.rollouts.clone(),
            rt.canary_dir.clone(),
            tx.clone(),
            crate::canary::Holding::Watch,
        ))
    });
    app.table.sort = crate::app::rows::Sort {
        column: crate::app::rows::SortColumn::Cpu,
        descending: true,
    };
    // Far enough to be never.
    let until = Instant::now() + window.unwrap_or(Duration::from_secs(86400 * 365));
    let mut tick = interval(rt.tick);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let mut msgs = Vec::new();
        tokio::select! {
            Some(msg) = rx.recv() => {
                msgs.push(msg);
                while msgs.len() < BATCH {
                    match rx.try_recv() {
                        Ok(m) => msgs.push(m),
                        Err(_) => break,
                    }
                }
            }
            _ = tick.tick() => msgs.push(Msg::Tick),
            _ = sleep_until(until) => break,
        }
        app.now = Utc::now();
        let applied = update_batch(&mut app, msgs);
        for fx in applied.effects {
            if consult && matches!(fx, Effect::Advise { .. } | Effect::ReadAlerts { .. }) {
                effects.run(fx);
            }
        }
        effects.update_watches(&app);
        each(&app);
    }
    for (_, task) in effects.supervisors.drain() {
        task.abort();
    }
    for (_, (task, _)) in effects.samplers.drain() {
        task.abort();
    }
    if let Some(task) = canary {
        task.abort();
    }
    app
}

struct Effects<'a> {
    rt: &'a Runtime,
    tx: mpsc::Sender<Msg>,
    /// Whether supervisors subscribe to health probes' exec events too.
    show_probes: watch::Sender<bool>,
    /// One handle per attached endpoint, shared by its tasks and the gate; changes as the
    /// operator attaches and detaches contexts.
    engines: Engines,
    supervisors: HashMap<String, JoinHandle<()>>,
    /// Per endpoint: the sampler and the sender of what it should watch.
    samplers: HashMap<String, (JoinHandle<()>, watch::Sender<Vec<Watch>>)>,
    log_tasks: HashMap<u64, JoinHandle<()>>,
    /// A confirmed shell session, run by the loop (it needs the terminal and the keys).
    session: Option<(crate::ops::Plan, crate::ops::Approval)>,
    /// Plans with the gate, and how to cancel each.
    plans: tokio::task::JoinSet<()>,
    cancels: HashMap<crate::ops::PlanId, watch::Sender<bool>>,
}

impl<'a> Effects<'a> {
    /// Nothing attached yet.
    fn new(rt: &'a Runtime, tx: mpsc::Sender<Msg>) -> Effects<'a> {
        let (show_probes, _) = watch::channel(false);
        Effects {
            rt,
            tx,
            show_probes,
            engines: HashMap::new(),
            supervisors: HashMap::new(),
            samplers: HashMap::new(),
            log_tasks: HashMap::new(),
            session: None,
            plans: tokio::task::JoinSet::new(),
            cancels: HashMap::new(),
        }
    }

    fn engine(&self, name: &str) -> Option<EngineHandle> {
        self.engines.get(name).cloned()
    }

    /// Sends a message from a task of its own: results of background work wait for room in the
    /// channel rather than being dropped when it is full.
    fn send_later(&self, msg: Msg) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(msg).await;
        });
    }

    fn attach(&mut self, ep: Endpoint) {
        let engine = EngineHandle::new(ep.clone());
        let (watch_tx, watch_rx) = watch::channel(Vec::new());
        let task = tokio::spawn(supervisor::supervise(
            engine.clone(),
            self.tx.clone(),
            self.show_probes.subscribe(),
            watch_rx.clone(),
        ));
        if let Some(old) = self.supervisors.insert(ep.name.clone(), task) {
            old.abort();
        }
        let config = SamplerConfig {
            interval: self.rt.sample_interval,
            // The environment overrides the file, for comparing sources on one config.
            mode: SourceMode::from_env().unwrap_or_else(|| {
                let per_endpoint = self.rt.endpoint_metrics.get(&ep.name);
                per_endpoint.copied().unwrap_or(self.rt.metrics_source)
            }),
            offscreen_every: self.rt.offscreen_sample_every,
            ..SamplerConfig::default()
        };
        let task = tokio::spawn(sampler::run(
            engine.clone(),
            config,
            watch_rx,
            self.tx.clone(),
        ));
        if let Some((old, _)) = self.samplers.insert(ep.name.clone(), (task, watch_tx)) {
            old.abort();
        }
        self.engines.insert(ep.name, engine);
    }

    /// Tells each sampler what to watch; a sampler only wakes when its list really changed.
    fn update_watches(&self, app: &App) {
        let mut lists = watch_lists(app);
        for (name, (_, sender)) in &self.samplers {
            let list = lists.remove(name).unwrap_or_default();
            sender.send_if_modified(|current| {
                if *current == list {
                    false
                } else {
                    *current = list;
                    true
                }
            });
        }
    }

    fn detach(&mut self, name: &str) {
        if let Some(task) = self.supervisors.remove(name) {
            task.abort();
        }
        if let Some((task, _)) = self.samplers.remove(name) {
            task.abort();
        }
        self.engines.remove(name);
    }

    fn run(&mut self, fx: Effect) {
        let tx = self.tx.clone();
        match fx {
            Effect::Quit => {}
            Effect::Advise { advisor, input } => {
                tokio::spawn(async move {
                    let answer = crate::agent::advisor::consult(&advisor, input).await;
                    let _ = tx
                        .send(Msg::Advised {
                            advisor: advisor.name,
                            answer,
                        })
                        .await;
                });
            }
            Effect::ReadAlerts { url, timeout } => {
                tokio::spawn(async move {
                    let body = crate::canary::http::get(&url, timeout).await;
                    let _ = tx.send(Msg::AlertsRead(body)).await;
                });
            }
            Effect::ListStorage => {
                for (name, engine) in &self.engines {
                    let (endpoint, engine, tx) = (name.clone(), engine.clone(), tx.clone());
                    tokio::spawn(async move {
                        let result = match engine.docker().await {
                            Ok(docker) => inventory::list_storage(&docker, &endpoint).await,
                            Err(e) => Err(e),
                        };
                        let _ = tx.send(Msg::StorageListed { endpoint, result }).await;
                    });
                }
            }
            Effect::ReadActivity => {
                /// Enough of the log for a long session's changes.
                const TAIL: u64 = 4 << 20;
                let audit = self.rt.gate.audit().clone();
                let prefix = self.rt.plan_prefix.clone();
                tokio::spawn(async move {
                    let pid = std::process::id();
                    let read =
                        tokio::task::spawn_blocking(move || audit.read_own(pid, &prefix, TAIL))
                            .await;
                    let result = read.unwrap_or_else(|e| Err(e.to_string()));
                    let _ = tx.send(Msg::Activity(result)).await;
                });
            }
            Effect::Copy { text } => {
                if let Err(e) = crate::term::copy_to_clipboard(&text) {
                    log::warn!("copying to the clipboard: {e}");
                }
            }
            Effect::Detach { endpoint } => self.detach(&endpoint),
            Effect::ShowProbeEvents(on) => {
                self.show_probes.send_replace(on);
            }
            Effect::ListContexts => {
                let contexts = context::list_contexts(env)
                    .into_iter()
                    .map(|c| AvailableContext {
                        name: c.name,
                        host: c.host,
                        current: c.current,
                        error: c.error,
                    })
                    .collect();
                self.send_later(Msg::ContextsListed(contexts));
            }
            Effect::Attach { context } => match resolve_one(&context) {
                Ok(ep) => {
                    let status = ep.status();
                    self.attach(ep);
                    self.send_later(Msg::EndpointAttached(status));
                }
                Err(e) => self.send_later(Msg::Warning(format!("context {context}: {e}"))),
            },
            Effect::Submit { plan, approval } if plan.is_session() => {
                self.session = Some((plan, approval));
            }
            Effect::Submit { plan, approval } => {
                let (gate, engines) = (self.rt.gate.clone(), self.engines.clone());
                let (cancel_tx, cancel) = watch::channel(false);
                self.cancels.retain(|_, c| !c.is_closed());
                self.cancels.insert(plan.id.clone(), cancel_tx);
                self.plans.spawn(async move {
                    let progress = |p| {
                        let tx = tx.clone();
                        async move {
                            let _ = tx.send(Msg::Progress(p)).await;
                        }
                    };
                    let report = gate.run(plan, approval, &engines, cancel, progress).await;
                    if report.refused() {
                        // Perhaps the audit log: say so on screen, where it stays.
                        let problem = gate.audit().check_writable().err();
                        let _ = tx.send(Msg::AuditProblem(problem)).await;
                    }
                    let _ = tx.send(Msg::PlanDone(report)).await;
                });
                // Finished plans are reaped here, as new ones come.
                while self.plans.try_join_next().is_some() {}
            }
            Effect::Cancel { plan } => {
                if let Some(cancel) = self.cancels.get(&plan) {
                    cancel.send_replace(true);
                }
            }
            Effect::Refuse { plan, reason } => {
                self.rt.gate.refuse(&plan, &self.engines, &reason);
            }
            Effect::FollowLogs {
                key,
                session,
                tail,
                since,
            } => {
                let Some(engine) = self.engine(&key.endpoint) else {
                    return;
                };
                let from = logs::FollowFrom { tail, since };
                let task = tokio::spawn(logs::follow(engine, key.id, session, from, tx));
                // Streams that ended (a restart's old session) leave only their handle.
                self.log_tasks.retain(|_, t| !t.is_finished());
                self.log_tasks.insert(session, task);
            }
            Effect::StopLogs { session } => {
                if let Some(task) = self.log_tasks.remove(&session) {
                    task.abort();
                }
            }
            Effect::Refresh { key } => {
                let Some(engine) = self.engine(&key.endpoint) else {
                    return;
                };
                tokio::spawn(async move {
                    let Ok(docker) = engine.docker().await else {
                        return;
                    };
                    if let Ok(msg) = inventory::refresh(&docker, &key.endpoint, key.id).await {
                        let _ = tx.send(msg).await;
                    }
                });
            }
            Effect::Processes { key } => {
                let Some(engine) = self.engine(&key.endpoint) else {
                    return;
                };
                tokio::spawn(async move {
                    let result = match engine.docker().await {
                        Ok(docker) => inventory::processes(&docker, &key.endpoint, &key.id).await,
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(Msg::Processes { key, result }).await;
                });
            }
            Effect::Inspect { key } => {
                let Some(engine) = self.engine(&key.endpoint) else {
                    return;
                };
                tokio::spawn(async move {
                    let result = inspect_json(&engine, &key.id).await;
                    let _ = tx.send(Msg::Inspected { key, result }).await;
                });
            }
            Effect::SaveLogs {
                container_name,
                text,
            } => {
                let dir = self.rt.logs_dir.clone();
                tokio::spawn(async move {
                    let result = save_logs(dir, &container_name, text).await;
                    let _ = tx.send(Msg::LogsSaved(result)).await;
                });
            }
        }
    }
}

async fn inspect_json(engine: &EngineHandle, id: &str) -> Result<serde_json::Value, String> {
    let docker = engine.docker().await?;
    let doc = docker
        .inspect_container(id, None::<InspectContainerOptions>)
        .await
        .map_err(|e| describe_error(engine.host(), &e))?;
    serde_json::to_value(doc).map_err(|e| e.to_string())
}

/// Writes a saved log to a new file of its own (never over an earlier save, even one made in
/// the same second), readable by the owner only: logs hold whatever secrets the logs hold.
async fn save_logs(dir: PathBuf, name: &str, text: String) -> Result<PathBuf, String> {
    let safe = name_for_file(name);
    tokio::task::spawn_blocking(move || save_logs_blocking(&dir, &safe, &text))
        .await
        .map_err(|e| e.to_string())?
}

fn name_for_file(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn save_logs_blocking(dir: &std::path::Path, safe: &str, text: &str) -> Result<PathBuf, String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    crate::ops::audit::private_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let stamp = Utc::now().format("%Y%m%d-%H%M%S");
    for n in 1..1000 {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("-{n}")
        };
        let path = dir.join(format!("{safe}-{stamp}{suffix}.log"));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path);
        match file {
            Ok(mut f) => {
                f.write_all(text.as_bytes())
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    Err(format!(
        "{}: too many saves of {safe} this second",
        dir.display()
    ))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A context by name, as `-c NAME` would give it.
fn resolve_one(name: &str) -> Result<Endpoint, String> {
    let selection = context::Selection {
        contexts: vec![name.to_owned()],
        hosts: Vec::new(),
        all_contexts: false,
    };
    let resolution = context::resolve(&selection, env).map_err(|e| e.to_string())?;
    match resolution.endpoints.into_iter().next() {
        Some(Ok(ep)) => Ok(ep),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("no endpoint".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn saves_never_overwrite_and_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        let a = save_logs_blocking(&logs, &name_for_file("web/1"), "first").unwrap();
        let b = save_logs_blocking(&logs, &name_for_file("web/1"), "second").unwrap();
        assert_ne!(a, b);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "first");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "second");
        assert!(a
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("web_1-"));
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&a), 0o600);
        assert_eq!(mode(&logs), 0o700);
    }
}
