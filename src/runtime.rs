//! The event loop: keys, engine messages, ticks and signals in; state through the reducer;
//! effects out to tasks; a redraw when something changed, at most ~30 per second.

use std::collections::HashMap;
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
use crate::engine::audit::AuditLog;
use crate::engine::endpoint::{describe_error, Endpoint};
use crate::engine::executor::Executor;
use crate::engine::metrics::sampler::{self, SamplerConfig};
use crate::engine::metrics::SourceMode;
use crate::engine::{context, inventory, logs, supervisor};
use crate::term::Tui;
use crate::ui;

const FRAME: Duration = Duration::from_millis(33);
/// Engine messages handled before the next frame is considered, so a burst becomes one frame.
const BATCH: usize = 512;

pub struct Runtime {
    pub endpoints: Vec<Endpoint>,
    pub read_only: bool,
    pub audit: AuditLog,
    pub logs_dir: PathBuf,
    pub tick: Duration,
    /// How often each endpoint's sampler measures resource use.
    pub sample_interval: Duration,
}

/// Why the loop ended, for the exit status and message.
#[derive(Debug, PartialEq, Eq)]
pub enum Exit {
    Quit,
    /// Name and number, for the message and the conventional 128+n exit status.
    Signal(&'static str, u8),
    TerminalGone,
}

pub async fn run(mut app: App, rt: Runtime, terminal: &mut Tui) -> anyhow::Result<Exit> {
    let (tx, mut rx) = mpsc::channel::<Msg>(1024);
    let (show_probes, _) = watch::channel(false);
    let mut effects = Effects {
        rt: &rt,
        tx: tx.clone(),
        show_probes,
        endpoints: Vec::new(),
        supervisors: HashMap::new(),
        samplers: HashMap::new(),
        log_tasks: HashMap::new(),
    };
    for ep in &rt.endpoints {
        effects.attach(ep.clone());
    }
    let mut keys = EventStream::new();
    let mut tick = interval(rt.tick);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
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
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    // Test hook: proves that a panic inside the loop still restores the terminal.
    let panic_at = std::env::var("WHEELHOUSE_TEST_PANIC_AFTER_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map(|ms| Instant::now() + Duration::from_millis(ms));

    let exit = loop {
        if dirty && last_draw.elapsed() >= FRAME {
            if app.show_log_panel {
                crate::logging::flush_to_panel();
            }
            terminal.draw(|f| ui::render(f, &app))?;
            last_draw = Instant::now();
            dirty = false;
        }
        let mut msgs = Vec::new();
        tokio::select! {
            ev = keys.next() => match ev {
                Some(Ok(Event::Key(k))) => msgs.push(Msg::Key(k)),
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
            }
            _ = sleep_until(last_draw + FRAME), if dirty => {}
            _ = sigterm.recv() => break Exit::Signal("SIGTERM", 15),
            _ = sighup.recv() => break Exit::Signal("SIGHUP", 1),
            _ = sigint.recv() => break Exit::Signal("SIGINT", 2),
        }
        if !msgs.is_empty() {
            app.now = Utc::now();
            for fx in update_batch(&mut app, msgs) {
                effects.run(fx);
            }
            dirty = true;
            effects.update_watches(&app);
        }
        if app.quit {
            break Exit::Quit;
        }
        if panic_at.is_some_and(|t| Instant::now() >= t) {
            panic!("test panic requested by WHEELHOUSE_TEST_PANIC_AFTER_MS");
        }
    };
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

struct Effects<'a> {
    rt: &'a Runtime,
    tx: mpsc::Sender<Msg>,
    /// Whether supervisors subscribe to health probes' exec events too.
    show_probes: watch::Sender<bool>,
    /// Attached endpoints; changes as the operator attaches and detaches contexts.
    endpoints: Vec<Endpoint>,
    supervisors: HashMap<String, JoinHandle<()>>,
    /// Per endpoint: the sampler and the sender of what it should watch.
    samplers: HashMap<String, (JoinHandle<()>, watch::Sender<Vec<Watch>>)>,
    log_tasks: HashMap<u64, JoinHandle<()>>,
}

impl Effects<'_> {
    fn endpoint(&self, name: &str) -> Option<Endpoint> {
        self.endpoints.iter().find(|e| e.name == name).cloned()
    }

    fn attach(&mut self, ep: Endpoint) {
        let task = tokio::spawn(supervisor::supervise(
            ep.clone(),
            self.tx.clone(),
            self.show_probes.subscribe(),
        ));
        if let Some(old) = self.supervisors.insert(ep.name.clone(), task) {
            old.abort();
        }
        let (watch_tx, watch_rx) = watch::channel(Vec::new());
        let config = SamplerConfig {
            interval: self.rt.sample_interval,
            mode: SourceMode::from_env(),
            ..SamplerConfig::default()
        };
        let task = tokio::spawn(sampler::run(ep.clone(), config, watch_rx, self.tx.clone()));
        if let Some((old, _)) = self.samplers.insert(ep.name.clone(), (task, watch_tx)) {
            old.abort();
        }
        self.endpoints.retain(|e| e.name != ep.name);
        self.endpoints.push(ep);
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
        self.endpoints.retain(|e| e.name != name);
    }

    fn run(&mut self, fx: Effect) {
        let tx = self.tx.clone();
        match fx {
            Effect::Quit => {}
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
                let _ = self.tx.try_send(Msg::ContextsListed(contexts));
            }
            Effect::Attach { context } => match resolve_one(&context) {
                Ok(ep) => {
                    let status = ep.status();
                    self.attach(ep);
                    let _ = self.tx.try_send(Msg::EndpointAttached(status));
                }
                Err(e) => {
                    let _ = self
                        .tx
                        .try_send(Msg::Warning(format!("context {context}: {e}")));
                }
            },
            Effect::Mutate(request) => {
                let executor = Executor::new(
                    self.rt.read_only,
                    self.rt.audit.clone(),
                    self.endpoints.clone(),
                );
                tokio::spawn(async move {
                    for outcome in executor.execute(&request).await {
                        let _ = tx.send(Msg::MutationDone(outcome)).await;
                    }
                });
            }
            Effect::FollowLogs { key, session, tail } => {
                let Some(ep) = self.endpoint(&key.endpoint) else {
                    return;
                };
                let task = tokio::spawn(logs::follow(ep, key.id, session, tail, tx));
                self.log_tasks.insert(session, task);
            }
            Effect::StopLogs { session } => {
                if let Some(task) = self.log_tasks.remove(&session) {
                    task.abort();
                }
            }
            Effect::Refresh { key } => {
                let Some(ep) = self.endpoint(&key.endpoint) else {
                    return;
                };
                tokio::spawn(async move {
                    let Ok(docker) = ep.connect().await else {
                        return;
                    };
                    if let Ok(msg) = inventory::refresh(&docker, &key.endpoint, key.id).await {
                        let _ = tx.send(msg).await;
                    }
                });
            }
            Effect::Inspect { key } => {
                let Some(ep) = self.endpoint(&key.endpoint) else {
                    return;
                };
                tokio::spawn(async move {
                    let result = inspect_json(&ep, &key.id).await;
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

async fn inspect_json(ep: &Endpoint, id: &str) -> Result<serde_json::Value, String> {
    let docker = ep.connect().await?;
    let doc = docker
        .inspect_container(id, None::<InspectContainerOptions>)
        .await
        .map_err(|e| describe_error(&ep.host, &e))?;
    serde_json::to_value(doc).map_err(|e| e.to_string())
}

async fn save_logs(dir: PathBuf, name: &str, text: String) -> Result<PathBuf, String> {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{safe}-{}.log", Utc::now().format("%Y%m%d-%H%M%S")));
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    tokio::fs::write(&path, text)
        .await
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
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
