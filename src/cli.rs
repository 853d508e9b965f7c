//! What each command does: the console, `ps`, `contexts`, `paths`, `screenshots`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;

use crate::app::model::{ContainerKey, EndpointState, EndpointStatus, RunState};
use crate::app::state::{App, AppOptions};
use crate::app::usage::Usage;
use crate::app::watch::Watch;
use crate::app::{update, Msg};
use crate::config::{self, theme::ColorDepth, LoadOptions, Loaded};
use crate::engine::context::{self, ContextError, ContextInfo, Selection};
use crate::engine::endpoint::{Endpoint, REQUEST_TIMEOUT};
use crate::engine::inventory;
use crate::engine::metrics::{self, SourceMode};
use crate::fake::{FakeEngine, FakeOptions};
use crate::ops::audit::{AuditLog, Operator};
use crate::ops::Gate;
use crate::report::{ContainerReport, EndpointReport, PsReport, SCHEMA_VERSION};
use crate::runtime::{self, Exit, Runtime};
use crate::{scenes, term, text, ui};

/// Time between the two samples of `ps`: rates need an interval, a person waits for it.
const PS_SAMPLE_GAP: Duration = Duration::from_secs(1);
/// Whole usage measurement of one endpoint, stats API answers included.
const PS_USAGE_BUDGET: Duration = Duration::from_secs(8);

/// Options every command shares.
pub struct Common {
    /// `-c/--context`, `-H/--host`, `--all-contexts`.
    pub selection: Selection,
    pub read_only: bool,
    /// `--read-write`: writable even when the config file is broken (or says read-only).
    pub read_write: bool,
    pub keymap: Option<String>,
    pub theme: Option<String>,
    pub config: Option<PathBuf>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

pub fn load(common: &Common) -> anyhow::Result<Loaded> {
    let opts = LoadOptions {
        config_path: common.config.clone(),
        keymap: common.keymap.clone(),
        theme: common.theme.clone(),
        read_only_flag: common.read_only,
        read_write_flag: common.read_write,
    };
    Ok(config::load(&opts, env)?)
}

/// The engines a command attaches, resolved like the docker CLI (see `engine::context`).
pub struct Attached {
    pub endpoints: Vec<Endpoint>,
    /// Contexts that could not be resolved under `--all-contexts`; each is shown on its own
    /// endpoint while the others work.
    pub broken: Vec<ContextError>,
    /// For the user: DOCKER_CONTEXT ignored because DOCKER_HOST is set, and the like.
    pub warnings: Vec<String>,
}

/// Resolves the selection. A context the user named (by flag, DOCKER_CONTEXT or config.json)
/// that cannot be resolved is fatal, as it is for the docker CLI; under `--all-contexts` a
/// broken context is reported on its endpoint instead.
pub fn endpoints(common: &Common) -> anyhow::Result<Attached> {
    let res = context::resolve(&common.selection, env)?;
    let mut attached = Attached {
        endpoints: Vec::new(),
        broken: Vec::new(),
        warnings: res.warnings,
    };
    for r in res.endpoints {
        match r {
            Ok(e) => attached.endpoints.push(e),
            Err(e) => attached.broken.push(e),
        }
    }
    if res.explicit && !attached.broken.is_empty() {
        let text: Vec<String> = attached.broken.iter().map(|e| e.to_string()).collect();
        anyhow::bail!("{}", text.join("\nwheelhouse: "));
    }
    Ok(attached)
}

/// Writes a command's output; a reader that went away (`| head`) is not an error.
pub fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Headless commands print warnings to stderr.
pub fn print_warnings(warnings: &[String]) {
    for w in warnings {
        say(&format!("warning: {w}"));
    }
}

/// One message on stderr. Messages quote what engines, files and the environment said, so
/// control characters in them are shown, never acted on by the terminal.
pub fn say(message: &str) {
    let _ = writeln!(std::io::stderr(), "{}", text::for_terminal(message));
}

pub fn tokio_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    // One thread: engine I/O is light, and it keeps the console's own footprint small.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn console(common: Common) -> anyhow::Result<ExitCode> {
    let loaded = load(&common)?;
    let attached = endpoints(&common)?;
    let tokio = tokio_runtime()?;
    run_console(loaded, attached, false, tokio)
}

/// `wheelhouse --demo`: a fake engine in-process, on a socket in a private temporary
/// directory, attached as the endpoint `demo`. Nothing touches a real Docker engine.
pub fn demo(common: Common, containers: usize) -> anyhow::Result<ExitCode> {
    let mut loaded = load(&common)?;
    let dir = DemoDir::create()?;
    // Actions on synthetic containers belong to the demo, not to the operator's audit trail.
    loaded.paths.audit_log = dir.0.join("audit.jsonl");
    let socket = dir.0.join("docker.sock");
    let tokio = tokio_runtime()?;
    let options = FakeOptions {
        containers,
        ..FakeOptions::default()
    };
    let engine = tokio
        .block_on(async { FakeEngine::start(&socket, options).await })
        .with_context(|| format!("starting the demo engine on {}", socket.display()))?;
    let attached = Attached {
        endpoints: vec![Endpoint {
            name: "demo".into(),
            host: engine.host(),
            tls: None,
        }],
        broken: Vec::new(),
        warnings: Vec::new(),
    };
    // The engine's tasks live on this runtime, driven while the console runs.
    let _engine = engine;
    run_console(loaded, attached, true, tokio)
}

/// A 0700 directory under the system temp dir, removed on drop.
struct DemoDir(PathBuf);

impl DemoDir {
    fn create() -> anyhow::Result<DemoDir> {
        use std::os::unix::fs::DirBuilderExt;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("wheelhouse-demo-{}-{nanos:x}", std::process::id()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        Ok(DemoDir(path))
    }
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `wheelhouse fake-engine`: the fake engine alone, in the foreground, for benchmarks and
/// scripts. Runs until interrupted.
pub fn fake_engine(socket: &Path, options: FakeOptions) -> anyhow::Result<ExitCode> {
    let tokio = tokio_runtime()?;
    tokio.block_on(async {
        let n = options.containers;
        let engine = FakeEngine::start(socket, options)
            .await
            .with_context(|| format!("binding {}", socket.display()))?;
        say(&format!(
            "wheelhouse fake engine: {n} containers on {} (Ctrl-C to stop)",
            engine.host()
        ));
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        drop(engine);
        Ok(ExitCode::SUCCESS)
    })
}

fn run_console(
    loaded: Loaded,
    attached: Attached,
    demo: bool,
    tokio: tokio::runtime::Runtime,
) -> anyhow::Result<ExitCode> {
    let Attached {
        endpoints,
        broken,
        warnings,
    } = attached;
    crate::logging::init();
    let mut app = app_for(&loaded, &endpoints, &broken, demo);
    // The agent's policies: a file that does not read leaves the defaults (nothing applies
    // alone), said in the panel and as a warning.
    if let Some(e) = &app.agent.policy_problem {
        let text = format!("agent policies not used: {e}");
        update(&mut app, Msg::Warning(text));
    }
    // Canary rollouts: a file that does not read is said in the view and as a warning.
    let rollouts = match with_rollouts(&loaded, &mut app) {
        Ok(r) => r,
        Err(e) => {
            update(&mut app, Msg::Warning(e));
            Vec::new()
        }
    };
    let attached_names: Vec<&str> = app
        .endpoints
        .attached
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let unused_sections: Vec<String> = loaded
        .settings
        .unused_endpoint_sections(&attached_names)
        .map(|w| format!("{}: {w}", loaded.paths.config_file.display()))
        .collect();
    // The body spells out a down endpoint's reason only when every endpoint is down, so a broken
    // context's error is also raised as a warning.
    let broken_text = broken.iter().map(|e| e.to_string());
    for w in loaded
        .warnings
        .clone()
        .into_iter()
        .chain(warnings)
        .chain(unused_sections)
        .chain(broken_text)
    {
        update(&mut app, Msg::Warning(w));
    }
    let mut rt = runtime_for(&loaded, endpoints, &app);
    rt.rollouts = rollouts;
    let exit = tokio.block_on(async {
        let (guard, mut terminal) = term::enter().context("setting up the terminal")?;
        if loaded.settings.mouse {
            term::enable_mouse().context("turning the mouse on")?;
        }
        let exit = runtime::run(app, rt, &mut terminal).await;
        drop(guard);
        exit
    })?;
    // Engine tasks may be mid-request; do not wait for them.
    tokio.shutdown_background();
    match exit {
        Exit::Quit => Ok(ExitCode::SUCCESS),
        Exit::Signal(name, number) => {
            // The terminal may be gone (SSH dropped): a failed write must not panic.
            let _ = writeln!(std::io::stderr(), "wheelhouse: stopped by {name}");
            Ok(ExitCode::from(128 + number))
        }
        Exit::TerminalGone => Ok(ExitCode::from(129)),
        Exit::Panicked(message) => {
            let _ = writeln!(
                std::io::stderr(),
                "wheelhouse: stopped after an internal error: {}",
                text::for_terminal(&message)
            );
            Ok(ExitCode::from(70))
        }
    }
}

/// Starts every plan id of this process: its pid and start time, so that ids stay unique in an
/// audit log several consoles share.
/// The App the console (and a headless command that watches, `agent`) starts from: the
/// options from the settings, every endpoint (a broken context down with its reason), the
/// agent's policies.
pub fn app_for(
    loaded: &Loaded,
    endpoints: &[Endpoint],
    broken: &[crate::engine::context::ContextError],
    demo: bool,
) -> App {
    let options = AppOptions {
        read_only: loaded.settings.read_only,
        demo,
        log_buffer_lines: loaded.settings.log_buffer_lines,
        color_depth: ColorDepth::detect(env),
        near_limit_percent: loaded.settings.near_limit_percent as f64,
        over_limit_percent: loaded.settings.over_limit_percent as f64,
        sample_ms: loaded.settings.sample_ms,
        read_only_reason: loaded.read_only_reason.clone(),
        plan_prefix: plan_prefix(),
        max_replicas: loaded.settings.max_replicas as u32,
        net: crate::app::nethealth::NetThresholds {
            rtt_p95_ms: loaded.settings.net_rtt_p95_ms as f64,
            retransmit_percent: loaded.settings.net_retransmit_percent,
            drops: loaded.settings.net_warn_on_drops,
        },
    };
    let mut statuses: Vec<EndpointStatus> = endpoints.iter().map(Endpoint::status).collect();
    // A broken context has no supervisor: it stays down with the reason in its body.
    statuses.extend(broken.iter().map(|e| {
        let mut s = EndpointStatus::new(e.context(), e.host().unwrap_or_default());
        s.state = EndpointState::Down {
            reason: e.to_string(),
            retry_in_secs: None,
        };
        s
    }));
    let mut app = App::new(
        options,
        loaded.keymap.clone(),
        loaded.theme.clone(),
        statuses,
        Utc::now(),
    );
    let policies =
        crate::agent::policy::Policies::load(&loaded.paths.config_dir).map_err(|e| e.to_string());
    app.agent = crate::agent::Agent::new(policies, loaded.settings.max_replicas as u32);
    // What the agent restarted lately, whoever ran it: its limit holds across runs.
    let audit = AuditLog::new(loaded.paths.audit_log.clone());
    if let Ok(records) = audit.read_tail(AGENT_AUDIT_TAIL) {
        app.agent.remember(&records);
    }
    app
}

/// `rollouts.toml` into the canary view of `app`; the rollouts for the runtime to poll, or
/// why the file is not used (then there are none, and the view says why).
pub fn with_rollouts(
    loaded: &Loaded,
    app: &mut App,
) -> Result<Vec<crate::canary::config::Rollout>, String> {
    let rollouts = crate::canary::config::load(&loaded.paths.config_dir).map_err(|e| e.to_string());
    let problem = rollouts
        .as_ref()
        .err()
        .map(|e| format!("canary rollouts not used: {e}"));
    let canary_dir = crate::canary::store::dir(&loaded.paths.data_dir);
    app.views.canary = crate::app::canary::CanaryState::load(rollouts, canary_dir);
    match problem {
        Some(p) => Err(p),
        None => Ok(app
            .views
            .canary
            .rollouts
            .iter()
            .map(|r| r.spec.clone())
            .collect()),
    }
}

/// What the runtime needs besides the App: the gate, the endpoints, the intervals (no canary
/// rollouts: add them with [`with_rollouts`]).
pub fn runtime_for(loaded: &Loaded, endpoints: Vec<Endpoint>, app: &App) -> Runtime {
    Runtime {
        gate: Gate::new(
            loaded.settings.read_only,
            AuditLog::new(loaded.paths.audit_log.clone()),
            Operator::current(),
        ),
        endpoints,
        logs_dir: loaded.paths.logs_dir.clone(),
        tick: Duration::from_millis(loaded.settings.tick_ms.max(100)),
        sample_interval: Duration::from_millis(loaded.settings.sample_ms),
        metrics_source: loaded.settings.metrics_source,
        endpoint_metrics: loaded.settings.endpoint_metrics.clone(),
        offscreen_sample_every: loaded.settings.offscreen_sample_every,
        plan_prefix: app.options.plan_prefix.clone(),
        rollouts: Vec::new(),
        canary_dir: crate::canary::store::dir(&loaded.paths.data_dir),
    }
}

/// How much of the audit log's end the agent reads for its own restarts.
const AGENT_AUDIT_TAIL: u64 = 4 << 20;

fn plan_prefix() -> String {
    let started = Utc::now().timestamp_millis() as u64;
    crate::ops::PlanId::next(started).0
}

/// `wheelhouse ps`: `show_secrets` leaves values that look secret in clear (`--show-secrets`).
pub fn ps(common: Common, json: bool, show_secrets: bool) -> anyhow::Result<ExitCode> {
    // The same configuration as the console, judged the same way: a file the console refuses
    // is refused here too, and what it would warn about is said.
    let loaded = load(&common)?;
    print_warnings(&loaded.warnings);
    if let Some(reason) = &loaded.read_only_reason {
        print_warnings(&[format!("the config file cannot be used: {reason}")]);
    }
    let Attached {
        endpoints,
        broken,
        warnings,
    } = endpoints(&common)?;
    print_warnings(&warnings);
    let tokio = tokio_runtime()?;
    let now = Utc::now();
    let (reports, containers, usage, drivers) = tokio.block_on(async {
        let mut reports = Vec::new();
        let mut containers = Vec::new();
        let mut usage = HashMap::new();
        let mut drivers: HashMap<String, crate::report::Drivers> = HashMap::new();
        // All endpoints at once, each bounded, so a stalled engine neither hangs `ps` nor
        // adds its wait to the others'.
        let budget = REQUEST_TIMEOUT * 3;
        let answers = futures_util::future::join_all(endpoints.iter().map(|ep| async move {
            tokio::time::timeout(budget, snapshot(ep))
                .await
                .unwrap_or_else(|_| {
                    Err(format!("{}: no complete answer within {budget:?}", ep.host))
                })
        }))
        .await;
        for (ep, result) in endpoints.iter().zip(answers) {
            match result {
                Ok((version, api, mut cs, mut us, ds)) => {
                    usage.extend(us.drain());
                    drivers.insert(ep.name.clone(), ds);
                    reports.push(EndpointReport {
                        name: ep.name.clone(),
                        host: ep.host.clone(),
                        reachable: true,
                        version: Some(version),
                        api_version: Some(api),
                        error: None,
                    });
                    containers.append(&mut cs);
                }
                Err(e) => reports.push(EndpointReport {
                    name: ep.name.clone(),
                    host: ep.host.clone(),
                    reachable: false,
                    version: None,
                    api_version: None,
                    error: Some(e),
                }),
            }
        }
        (reports, containers, usage, drivers)
    });
    let mut reports = reports;
    reports.extend(broken.iter().map(|e| EndpointReport {
        name: e.context().to_owned(),
        host: e.host().unwrap_or_default().to_owned(),
        reachable: false,
        version: None,
        api_version: None,
        error: Some(e.to_string()),
    }));
    let reachable = reports.iter().filter(|r| r.reachable).count();
    let attached = reports.len();
    for r in reports.iter().filter(|r| !r.reachable) {
        let host = if r.host.is_empty() {
            String::new()
        } else {
            format!(" ({})", r.host)
        };
        say(&format!(
            "wheelhouse: endpoint {}{host} unreachable: {}",
            r.name,
            r.error.as_deref().unwrap_or("unknown error")
        ));
    }
    if json {
        let doc = PsReport {
            schema: SCHEMA_VERSION,
            generated_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            endpoints: reports,
            containers: containers
                .iter()
                .map(|c| {
                    let none = crate::report::Drivers::new();
                    let drivers = drivers.get(&c.key.endpoint).unwrap_or(&none);
                    let report = ContainerReport::new(c, now)
                        .with_drivers(drivers)
                        .with_usage(usage.get(&c.key).cloned());
                    if show_secrets {
                        report
                    } else {
                        report.masked()
                    }
                })
                .collect(),
        };
        emit(&(text::json_for_terminal(serde_json::to_string_pretty(&doc)?) + "\n"))?;
    } else {
        emit(&crate::report::text_table(&containers, now))?;
    }
    // 0: every endpoint answered; 1: none did; 3: some did.
    Ok(match reachable {
        r if r == attached => ExitCode::SUCCESS,
        0 => ExitCode::from(1),
        _ => ExitCode::from(3),
    })
}

type Snapshot = (
    String,
    String,
    Vec<crate::app::model::Container>,
    HashMap<ContainerKey, Usage>,
    crate::report::Drivers,
);

/// Version, containers and one usage measurement of the running ones.
async fn snapshot(ep: &Endpoint) -> Result<Snapshot, String> {
    let docker = ep.connect().await?;
    let version = docker
        .version()
        .await
        .map_err(|e| crate::engine::endpoint::describe_error(&ep.host, &e))?;
    let containers = inventory::snapshot(&docker, ep).await?;
    // Drivers are a detail of the networks, not of the containers: without them the report
    // is still whole, so a failed listing only leaves them null.
    let drivers = match inventory::list_networks(&docker, ep).await {
        Ok(networks) => networks.into_iter().map(|n| (n.id, n.driver)).collect(),
        Err(e) => {
            say(&format!("wheelhouse: {e} (network drivers left out)"));
            Default::default()
        }
    };
    let usage = measure_usage(ep, &docker, &containers).await;
    Ok((
        version.version.unwrap_or_default(),
        docker.client_version().to_string(),
        containers,
        usage,
        drivers,
    ))
}

/// Two samples a second apart of every running container, bounded so `ps` stays quick.
async fn measure_usage(
    ep: &Endpoint,
    docker: &bollard::Docker,
    containers: &[crate::app::model::Container],
) -> HashMap<ContainerKey, Usage> {
    let targets: Vec<Watch> = containers
        .iter()
        .filter(|c| c.state == RunState::Running)
        .map(|c| Watch::of(c, true, true))
        .collect();
    if targets.is_empty() {
        return HashMap::new();
    }
    let mode = SourceMode::from_env().unwrap_or(SourceMode::Auto);
    let pairs =
        metrics::measure_once(ep, docker, &targets, mode, PS_SAMPLE_GAP, PS_USAGE_BUDGET).await;
    containers
        .iter()
        .filter_map(|c| {
            let (a, b) = pairs.get(&c.key)?;
            // The console's usage entry, fed both samples: the same retransmission window.
            let mut entry = crate::app::usage::UsageEntry::default();
            entry.record(a.clone(), &c.limits);
            entry.record(b.clone(), &c.limits);
            Some((c.key.clone(), entry.latest?))
        })
        .collect()
}

/// `wheelhouse contexts`: like `docker context ls`, default first, `*` on the current one.
pub fn contexts(json: bool) -> anyhow::Result<ExitCode> {
    let rows = context::list_contexts(env);
    if json {
        emit(&(text::json_for_terminal(serde_json::to_string_pretty(&rows)?) + "\n"))?;
    } else {
        emit(&contexts_table(&rows))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn contexts_table(rows: &[ContextInfo]) -> String {
    let header = ["NAME", "DESCRIPTION", "DOCKER ENDPOINT", "TLS", "ERROR"];
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            let safe = |s: &str| text::escape_controls(s).into_owned();
            [
                if r.current {
                    format!("{} *", safe(&r.name))
                } else {
                    safe(&r.name)
                },
                safe(&r.description),
                safe(&r.host),
                match (r.tls, r.skip_tls_verify) {
                    (_, true) => "skip-verify".into(),
                    (true, false) => "yes".into(),
                    (false, false) => "no".into(),
                },
                safe(r.error.as_deref().unwrap_or_default()),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.len());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(unicode_width::UnicodeWidthStr::width(c.as_str()));
        }
    }
    let mut out = String::new();
    let mut line = |cols: Vec<&str>| {
        let mut l = String::new();
        for (i, (c, w)) in cols.iter().zip(widths).enumerate() {
            if i + 1 == cols.len() {
                l.push_str(c);
            } else {
                let pad = w - unicode_width::UnicodeWidthStr::width(*c);
                l.push_str(c);
                l.push_str(&" ".repeat(pad + 3));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in &cells {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

pub fn paths(common: Common) -> anyhow::Result<ExitCode> {
    let loaded = load(&common)?;
    let p = &loaded.paths;
    emit(&format!(
        "config dir:  {}\nconfig file: {}\nkeymap file: {}\ntheme file:  {}\n\
         data dir:    {}\naudit log:   {}\nsaved logs:  {}\n",
        p.config_dir.display(),
        p.config_file.display(),
        p.keymap_file.display(),
        p.theme_file.display(),
        p.data_dir.display(),
        p.audit_log.display(),
        p.logs_dir.display()
    ))?;
    print_warnings(&loaded.warnings);
    Ok(ExitCode::SUCCESS)
}

/// Sizes the README screenshots are rendered at.
const SHOT_SIZE: (u16, u16) = (120, 32);

pub fn screenshots(dir: &Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, svg) in screenshot_svgs() {
        let path = dir.join(format!("{name}.svg"));
        std::fs::write(&path, svg).with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The README's screenshots, each as a file stem and its SVG text.
pub fn screenshot_svgs() -> Vec<(&'static str, String)> {
    let (w, h) = SHOT_SIZE;
    let scenes = scenes::all(w, h);
    [
        "table",
        "tree",
        "logs",
        "inspect",
        "confirm",
        "help",
        "palette",
        "events",
        "endpoints",
        "detail",
        "topology",
        "topology_matrix",
        "topology_graph",
        "canary",
        "agent",
    ]
    .into_iter()
    .map(|name| {
        let (_, app) = scenes
            .iter()
            .find(|(n, _)| *n == name)
            .expect("scene exists");
        let buffer = render_to_buffer(app, w, h);
        let svg = ui::svg::buffer_to_svg(&buffer, &format!("wheelhouse — {name}"));
        (name, svg)
    })
    .collect()
}

/// Draws a screen off-terminal, for screenshots and snapshot tests.
pub fn render_to_buffer(app: &App, width: u16, height: u16) -> ratatui::buffer::Buffer {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height))
        .expect("test backend never fails");
    terminal
        .draw(|f| ui::render_with(f, app, false))
        .expect("test backend never fails");
    terminal.backend().buffer().clone()
}

/// How `wheelhouse topology` writes the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopologyFormat {
    Json,
    Dot,
    Mermaid,
}

/// `wheelhouse topology`: every attached endpoint's containers and networks, inspected (the
/// listing lacks aliases and a network listing its members), as JSON, dot or Mermaid. Exit 0
/// when every endpoint answered, 3 when some did not (what the others have is still printed),
/// 1 when none did, 2 when `--project` names no project.
pub fn topology(
    common: Common,
    format: TopologyFormat,
    project: Option<String>,
) -> anyhow::Result<ExitCode> {
    let loaded = load(&common)?;
    print_warnings(&loaded.warnings);
    let Attached {
        endpoints,
        broken,
        warnings,
    } = endpoints(&common)?;
    print_warnings(&warnings);
    for b in &broken {
        say(&format!("wheelhouse: {b}"));
    }
    let tokio = tokio_runtime()?;
    let (inventory, failed) = tokio.block_on(async {
        let budget = REQUEST_TIMEOUT * 3;
        let answers = futures_util::future::join_all(endpoints.iter().map(|ep| async move {
            tokio::time::timeout(budget, async {
                let docker = ep.connect().await?;
                let containers = crate::engine::inventory::snapshot(&docker, ep).await?;
                let networks = crate::engine::inventory::list_networks(&docker, ep).await?;
                Ok::<_, String>((containers, networks))
            })
            .await
            .unwrap_or_else(|_| Err(format!("{}: no complete answer within {budget:?}", ep.host)))
        }))
        .await;
        let mut inventory = crate::app::inventory::Inventory::default();
        let mut failed = 0;
        for (ep, answer) in endpoints.iter().zip(answers) {
            match answer {
                Ok((containers, networks)) => {
                    inventory.replace_endpoint(&ep.name, containers);
                    inventory.replace_endpoint_networks(&ep.name, networks);
                }
                Err(e) => {
                    failed += 1;
                    say(&format!(
                        "wheelhouse: endpoint {} unreachable: {e}",
                        ep.name
                    ));
                }
            }
        }
        (inventory, failed)
    });
    tokio.shutdown_background();
    let mut topo = crate::topology::build(&inventory);
    if let Some(p) = &project {
        let known: Vec<String> = topo
            .endpoints
            .iter()
            .flat_map(|e| e.groups.iter())
            .filter(|g| g.kind != crate::topology::model::GroupKind::Standalone)
            .map(|g| g.name.clone())
            .collect();
        if !known.contains(p) {
            let close = crate::ops::service::close_matches(p, &known);
            let hint = if close.is_empty() {
                format!(" (projects: {})", known.join(", "))
            } else {
                format!("; did you mean {}?", close.join(", "))
            };
            say(&format!(
                "wheelhouse: topology: no project or stack {p:?}{hint}"
            ));
            return Ok(ExitCode::from(2));
        }
        topo = topo.only_project(p);
    }
    let text = match format {
        TopologyFormat::Json => crate::topology::export::json(&topo),
        TopologyFormat::Dot => crate::topology::export::dot(&topo),
        TopologyFormat::Mermaid => crate::topology::export::mermaid(&topo),
    };
    emit(&text)?;
    let total = endpoints.len() + broken.len();
    Ok(match failed + broken.len() {
        0 => ExitCode::SUCCESS,
        n if n == total => ExitCode::from(1),
        _ => ExitCode::from(3),
    })
}
