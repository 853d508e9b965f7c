//! `wheelhouse canary list|status|set-weight`: the rollouts of `rollouts.toml` for scripts and
//! pipelines. Reading asks the routers only; `set-weight` is a plan through the same gate as
//! every change (read-only refuses it, the audit log records it).
//!
//! Exit status as the other change commands: 0 done, 1 failed (a weight the router would not
//! take, or a router that did not answer a change), 2 bad input (a rollouts file that does not
//! read, an unknown rollout), 3 a router that does not answer `status`, 4 read-only.

use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;

use super::config::{self, Rollout};
use super::traffic::{evaluate, Traffic, Verdict, Window};
use crate::change::{self, Change, Flags, EXIT_BAD_INPUT, EXIT_UNREACHABLE};
use crate::cli::{self, Common};

/// Between the two readings `status` compares.
const STATUS_WINDOW: Duration = Duration::from_secs(2);

fn rollouts(common: &Common) -> Result<Vec<Rollout>, ExitCode> {
    let loaded = cli::load(common).map_err(|e| {
        cli::say(&format!("wheelhouse: {e:#}"));
        ExitCode::from(EXIT_BAD_INPUT)
    })?;
    config::load(&loaded.paths.config_dir).map_err(|e| {
        cli::say(&format!("wheelhouse: {e}"));
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

fn find(all: Vec<Rollout>, name: &str) -> Result<Rollout, ExitCode> {
    let known: Vec<String> = all.iter().map(|r| r.name.clone()).collect();
    all.into_iter().find(|r| r.name == name).ok_or_else(|| {
        cli::say(&format!(
            "wheelhouse: no rollout {name:?} in rollouts.toml ({})",
            if known.is_empty() {
                "it defines none".to_owned()
            } else {
                format!("it has {}", known.join(", "))
            }
        ));
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

#[derive(Serialize)]
struct Listed {
    name: String,
    service: String,
    router: String,
    steps: usize,
    /// The canary's share the router's weights give now.
    weight_percent: Option<f64>,
    /// Why the router could not say.
    router_error: Option<String>,
}

pub fn list(common: Common, json: bool) -> anyhow::Result<ExitCode> {
    let all = match rollouts(&common) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let tokio = cli::tokio_runtime()?;
    let listed: Vec<Listed> = tokio.block_on(async {
        futures_util::future::join_all(all.iter().map(|r| async move {
            let read = super::read_traffic(&r.router).await;
            Listed {
                name: r.name.clone(),
                service: r.service.clone(),
                router: r.router.describe(),
                steps: r.steps.len(),
                weight_percent: read.as_ref().ok().map(|t| t.weight_percent),
                router_error: read.err(),
            }
        }))
        .await
    });
    if json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
    } else if listed.is_empty() {
        println!("no rollouts (define them in rollouts.toml in the config dir)");
    } else {
        println!("{:<16} {:<20} {:>7}  ROUTER", "NAME", "SERVICE", "CANARY");
        for l in &listed {
            let weight = l
                .weight_percent
                .map_or_else(|| "?".to_owned(), |w| format!("{w:.0} %"));
            let mut router = l.router.clone();
            if let Some(e) = &l.router_error {
                router.push_str(&format!(" (does not answer: {e})"));
            }
            println!("{:<16} {:<20} {:>7}  {router}", l.name, l.service, weight);
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct Status {
    name: String,
    router: String,
    traffic: Traffic,
    /// What each side answered over the window.
    stable_window: Option<Window>,
    canary_window: Option<Window>,
    window_secs: f64,
    verdict: Option<Verdict>,
}

pub fn status(common: Common, name: &str, json: bool) -> anyhow::Result<ExitCode> {
    let rollout = match rollouts(&common).and_then(|all| find(all, name)) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let tokio = cli::tokio_runtime()?;
    let read = tokio.block_on(async {
        let before = super::read_traffic(&rollout.router).await?;
        tokio::time::sleep(STATUS_WINDOW).await;
        let after = super::read_traffic(&rollout.router).await?;
        Ok::<_, String>((before, after))
    });
    let (before, after) = match read {
        Ok(pair) => pair,
        Err(e) => {
            cli::say(&format!("wheelhouse: rollout {name}: {e}"));
            return Ok(ExitCode::from(EXIT_UNREACHABLE));
        }
    };
    let stable = Window::between(&before.stable, &after.stable);
    let canary = Window::between(&before.canary, &after.canary);
    let verdict = stable
        .zip(canary)
        .map(|(s, c)| evaluate(&rollout.gates, &c, &s));
    let status = Status {
        name: rollout.name.clone(),
        router: rollout.router.describe(),
        traffic: after,
        stable_window: stable,
        canary_window: canary,
        window_secs: STATUS_WINDOW.as_secs_f64(),
        verdict,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} — {}", status.name, status.router);
    println!(
        "canary share (router weights): {:.1} %",
        status.traffic.weight_percent
    );
    for (label, side, window) in [
        ("stable", &status.traffic.stable, &status.stable_window),
        ("canary", &status.traffic.canary, &status.canary_window),
    ] {
        let rate = window.map_or_else(
            || "counters went back (router restarted?)".to_owned(),
            |w| {
                format!(
                    "{:.1} req/s, {} errors in {:.0} s",
                    w.requests as f64 / status.window_secs,
                    w.errors,
                    status.window_secs
                )
            },
        );
        println!(
            "{label}: {}/{} servers up · {} requests, {} 5xx in all · mean {} · {rate}",
            side.servers_up,
            side.servers,
            side.requests,
            side.errors,
            side.latency_ms
                .map_or_else(|| "-".to_owned(), |ms| format!("{ms:.0} ms")),
        );
    }
    match &status.verdict {
        Some(Verdict::Waiting { requests, need }) => {
            println!("gates: waiting ({requests} canary requests of the {need} a verdict needs)")
        }
        Some(Verdict::Passed { checks } | Verdict::Failed { checks }) => {
            for c in checks {
                println!(
                    "gate {}: {:.2} against {:.2} — {}",
                    c.gate,
                    c.value,
                    c.bound,
                    if c.passed { "passed" } else { "FAILED" }
                );
            }
        }
        None => println!("gates: no verdict (the counters went back)"),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn set_weight(
    common: Common,
    name: &str,
    percent: u32,
    flags: Flags,
) -> anyhow::Result<ExitCode> {
    let rollout = match rollouts(&common).and_then(|all| find(all, name)) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    change::run(
        common,
        Change::CanaryWeight {
            rollout: Box::new(rollout),
            percent,
        },
        flags,
    )
}
