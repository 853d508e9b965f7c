//! What each command does: the console, `ps`, `paths`, `screenshots`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;

use crate::app::model::EndpointStatus;
use crate::app::state::{App, AppOptions};
use crate::app::{update, Msg};
use crate::config::{self, theme::ColorDepth, LoadOptions, Loaded};
use crate::engine::audit::AuditLog;
use crate::engine::endpoint::{Endpoint, REQUEST_TIMEOUT};
use crate::engine::executor::Executor;
use crate::engine::inventory;
use crate::report::{ContainerReport, EndpointReport, PsReport, SCHEMA_VERSION};
use crate::runtime::{self, Exit, Runtime};
use crate::{scenes, term, ui};

/// Options every command shares.
pub struct Common {
    pub host: Option<String>,
    pub read_only: bool,
    pub keymap: Option<String>,
    pub theme: Option<String>,
    pub config: Option<PathBuf>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn load(common: &Common) -> anyhow::Result<Loaded> {
    let opts = LoadOptions {
        config_path: common.config.clone(),
        keymap: common.keymap.clone(),
        theme: common.theme.clone(),
        read_only_flag: common.read_only,
    };
    Ok(config::load(&opts, env)?)
}

fn endpoints(common: &Common) -> Vec<Endpoint> {
    vec![Endpoint::default_from(
        common.host.as_deref(),
        env("DOCKER_HOST").as_deref(),
    )]
}

fn tokio_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    // One thread: engine I/O is light, and it keeps the console's own footprint small.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn console(common: Common) -> anyhow::Result<ExitCode> {
    let loaded = load(&common)?;
    let endpoints = endpoints(&common);
    init_logging();
    let options = AppOptions {
        read_only: loaded.settings.read_only,
        demo: false,
        log_buffer_lines: loaded.settings.log_buffer_lines,
        color_depth: ColorDepth::detect(env),
    };
    let statuses = endpoints
        .iter()
        .map(|e| EndpointStatus::new(&e.name, &e.host))
        .collect();
    let mut app = App::new(options, loaded.keymap, loaded.theme, statuses, Utc::now());
    for w in loaded.warnings {
        update(&mut app, Msg::Warning(w));
    }
    let rt = Runtime {
        executor: Executor::new(
            loaded.settings.read_only,
            AuditLog::new(loaded.paths.audit_log.clone()),
            endpoints.clone(),
        ),
        endpoints,
        logs_dir: loaded.paths.logs_dir.clone(),
        tick: Duration::from_millis(loaded.settings.tick_ms.max(100)),
    };
    let tokio = tokio_runtime()?;
    let exit = tokio.block_on(async {
        let (guard, mut terminal) = term::enter().context("setting up the terminal")?;
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
    }
}

fn init_logging() {
    // Everything logged goes to the in-app log panel, never to the terminal behind the UI.
    if tui_logger::init_logger(log::LevelFilter::Debug).is_ok() {
        tui_logger::set_default_level(log::LevelFilter::Info);
        // The HTTP stack is chatty at debug level; keep its warnings only.
        for target in ["bollard", "hyper", "hyper_util", "mio", "tokio_util"] {
            tui_logger::set_level_for_target(target, log::LevelFilter::Warn);
        }
    }
}

pub fn ps(common: Common, json: bool) -> anyhow::Result<ExitCode> {
    let endpoints = endpoints(&common);
    let tokio = tokio_runtime()?;
    let now = Utc::now();
    let (reports, containers) = tokio.block_on(async {
        let mut reports = Vec::new();
        let mut containers = Vec::new();
        for ep in &endpoints {
            // Bounded overall so a stalled engine cannot make `ps` hang.
            let budget = REQUEST_TIMEOUT * 3;
            let result = tokio::time::timeout(budget, snapshot(ep))
                .await
                .unwrap_or_else(|_| {
                    Err(format!("{}: no complete answer within {budget:?}", ep.host))
                });
            match result {
                Ok((version, api, mut cs)) => {
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
        (reports, containers)
    });
    let reachable = reports.iter().filter(|r| r.reachable).count();
    for r in reports.iter().filter(|r| !r.reachable) {
        eprintln!(
            "wheelhouse: endpoint {} ({}) unreachable: {}",
            r.name,
            r.host,
            r.error.as_deref().unwrap_or("unknown error")
        );
    }
    if json {
        let doc = PsReport {
            schema: SCHEMA_VERSION,
            generated_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            endpoints: reports,
            containers: containers
                .iter()
                .map(|c| ContainerReport::new(c, now))
                .collect(),
        };
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!("{}", crate::report::text_table(&containers, now));
    }
    // 0: every endpoint answered; 1: none did; 3: some did.
    Ok(match reachable {
        r if r == endpoints.len() => ExitCode::SUCCESS,
        0 => ExitCode::from(1),
        _ => ExitCode::from(3),
    })
}

async fn snapshot(
    ep: &Endpoint,
) -> Result<(String, String, Vec<crate::app::model::Container>), String> {
    let docker = ep.connect().await?;
    let version = docker
        .version()
        .await
        .map_err(|e| crate::engine::endpoint::describe_error(&ep.host, &e))?;
    let containers = inventory::snapshot(&docker, ep).await?;
    Ok((
        version.version.unwrap_or_default(),
        docker.client_version().to_string(),
        containers,
    ))
}

pub fn paths(common: Common) -> anyhow::Result<ExitCode> {
    let loaded = load(&common)?;
    let p = &loaded.paths;
    println!("config dir:  {}", p.config_dir.display());
    println!("config file: {}", p.config_file.display());
    println!("keymap file: {}", p.keymap_file.display());
    println!("theme file:  {}", p.theme_file.display());
    println!("data dir:    {}", p.data_dir.display());
    println!("audit log:   {}", p.audit_log.display());
    println!("saved logs:  {}", p.logs_dir.display());
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Sizes the README screenshots are rendered at.
const SHOT_SIZE: (u16, u16) = (120, 32);

pub fn screenshots(dir: &Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (w, h) = SHOT_SIZE;
    for name in [
        "table", "tree", "logs", "inspect", "confirm", "help", "palette",
    ] {
        let (_, app) = scenes::all(w, h)
            .into_iter()
            .find(|(n, _)| *n == name)
            .expect("scene exists");
        let buffer = render_to_buffer(&app, w, h);
        let path = dir.join(format!("{name}.svg"));
        std::fs::write(
            &path,
            ui::svg::buffer_to_svg(&buffer, &format!("wheelhouse — {name}")),
        )
        .with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
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
