//! `wheelhouse canary list|status|set-weight|next|promote|abort|retry|suspend|resume`: the
//! rollouts of `rollouts.toml` for scripts and pipelines. Reading asks the routers and the
//! state files only; every change is a plan through the same gate as the console's (read-only
//! refuses it, the audit log records it) under the rollout's lock.
//!
//! Exit status as the other change commands: 0 done, 1 failed (a weight the router would not
//! take; for `status`, gates that failed), 2 bad input (a rollouts file that does not read, an
//! unknown rollout, a move its state does not allow), 3 a router that does not answer or lacks
//! a server the rollout names, 4
//! read-only, 5 another console or command drives the rollout.

use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;

use super::config::{self, Rollout};
use super::machine::{self, Input};
use super::state::RolloutState;
use super::store::{self, Loaded, NotTaken};
use super::traffic::{evaluate, Traffic, Verdict, Window};
use crate::change::{self, Flags, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_HELD, EXIT_UNREACHABLE};
use crate::cli::{self, Common};
use crate::ops::Origin;

/// Between the two readings `status` compares.
const STATUS_WINDOW: Duration = Duration::from_secs(2);

fn rollouts(common: &Common) -> Result<Vec<Rollout>, ExitCode> {
    let loaded = cli::load(common).map_err(|e| {
        cli::say(&format!("wheelhouse: {e:#}"));
        ExitCode::from(EXIT_BAD_INPUT)
    })?;
    rollouts_of(&loaded)
}

fn rollouts_of(loaded: &crate::config::Loaded) -> Result<Vec<Rollout>, ExitCode> {
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
    /// Where it stands (its state file), and who drives it now.
    rollout_state: Option<RolloutState>,
    state_error: Option<String>,
    driven_by: Option<store::Holder>,
}

/// A rollout's state and holder as they are on disk, touching nothing.
fn on_disk(
    dir: &std::path::Path,
    name: &str,
) -> (Option<RolloutState>, Option<String>, Option<store::Holder>) {
    let (state, error) = match store::read(dir, name) {
        Ok(s) => (s, None),
        Err(e) => (None, Some(e)),
    };
    (state, error, store::held_by(dir, name))
}

fn data_dir(common: &Common) -> Option<std::path::PathBuf> {
    cli::load(common)
        .ok()
        .map(|l| store::dir(&l.paths.data_dir))
}

pub fn list(common: Common, json: bool) -> anyhow::Result<ExitCode> {
    let all = match rollouts(&common) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let dir = data_dir(&common);
    let tokio = cli::tokio_runtime()?;
    let listed: Vec<Listed> = tokio.block_on(async {
        futures_util::future::join_all(all.iter().map(|r| async {
            // A replica ratio has no router to ask: its share is the one its state set.
            let read = match &r.router {
                super::router::RouterSpec::Replicas(_) => Err(String::new()),
                router => router.read(&mut Default::default()).await,
            };
            let (rollout_state, state_error, driven_by) = dir
                .as_deref()
                .map_or((None, None, None), |d| on_disk(d, &r.name));
            let weight_percent = match &r.router {
                super::router::RouterSpec::Replicas(ratio) => rollout_state
                    .as_ref()
                    .map(|s| f64::from(super::router::Router::realisable(ratio, s.weight))),
                _ => read.as_ref().ok().map(|t| t.weight_percent),
            };
            Listed {
                rollout_state,
                state_error,
                driven_by,
                name: r.name.clone(),
                service: r.service.clone(),
                router: r.router.describe(),
                steps: r.steps.len(),
                weight_percent,
                router_error: read.err().filter(|e| !e.is_empty()),
            }
        }))
        .await
    });
    if json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
    } else if listed.is_empty() {
        println!("no rollouts (define them in rollouts.toml in the config dir)");
    } else {
        println!(
            "{:<16} {:<20} {:>7}  {:<20} ROUTER",
            "NAME", "SERVICE", "CANARY", "PHASE"
        );
        for l in &listed {
            let weight = l
                .weight_percent
                .map_or_else(|| "?".to_owned(), |w| format!("{w:.0} %"));
            let mut router = l.router.clone();
            if let Some(e) = &l.router_error {
                router.push_str(&format!(" (does not answer: {e})"));
            }
            let phase = match (&l.rollout_state, &l.state_error) {
                (_, Some(_)) => "needs review".to_owned(),
                (None, None) => "ready".to_owned(),
                (Some(s), None) => format!(
                    "{} {}/{}{}",
                    s.phase.word(),
                    (s.step + 1).min(l.steps),
                    l.steps,
                    if s.suspended { " suspended" } else { "" }
                ),
            };
            println!(
                "{:<16} {:<20} {:>7}  {phase:<20} {router}",
                l.name, l.service, weight
            );
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
    rollout_state: Option<RolloutState>,
    state_error: Option<String>,
    driven_by: Option<store::Holder>,
}

pub fn status(common: Common, name: &str, json: bool) -> anyhow::Result<ExitCode> {
    let rollout = match rollouts(&common).and_then(|all| find(all, name)) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    if let super::router::RouterSpec::Replicas(ratio) = &rollout.router {
        return replica_status(&common, &rollout, ratio, json);
    }
    let tokio = cli::tokio_runtime()?;
    let read = tokio.block_on(async {
        let mut memory = Default::default();
        let before = rollout.router.read(&mut memory).await?;
        tokio::time::sleep(STATUS_WINDOW).await;
        let after = super::read(&rollout, &mut memory).await?;
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
        .map(|(s, c)| evaluate(&rollout.gates, &c, &s, &after.queries));
    let (rollout_state, state_error, driven_by) =
        data_dir(&common).map_or((None, None, None), |d| on_disk(&d, &rollout.name));
    let status = Status {
        rollout_state,
        state_error,
        driven_by,
        name: rollout.name.clone(),
        router: rollout.router.describe(),
        traffic: after,
        stable_window: stable,
        canary_window: canary,
        window_secs: STATUS_WINDOW.as_secs_f64(),
        verdict,
    };
    // A pipeline asks `status` whether to go on: failing gates are a failure.
    let code = if matches!(status.verdict, Some(Verdict::Failed { .. })) {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
        return Ok(code);
    }
    println!("{} — {}", status.name, status.router);
    match (&status.rollout_state, &status.state_error) {
        (_, Some(e)) => println!("state: needs review: {e}"),
        (None, None) => println!("state: ready (never started)"),
        (Some(s), None) => println!(
            "state: {}{} at step {} of {}, {} % set{}",
            s.phase.word(),
            match &s.phase {
                super::state::Phase::Aborted { reason, .. } => format!(" ({reason})"),
                _ => String::new(),
            },
            (s.step + 1).min(rollout.steps.len()),
            rollout.steps.len(),
            s.weight,
            if s.suspended { ", suspended" } else { "" }
        ),
    }
    if let Some(h) = &status.driven_by {
        println!("driven by {h}");
    }
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
                    "gate {} — {}",
                    c.words(),
                    if c.passed { "passed" } else { "FAILED" }
                );
            }
        }
        None => println!("gates: no verdict (the counters went back)"),
    }
    Ok(code)
}

/// `canary status` of a replica ratio: no requests to count, the running replicas' share.
fn replica_status(
    common: &Common,
    rollout: &Rollout,
    ratio: &super::replicas::ReplicaRatio,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let (inventory, down) = change::survey_inventory(common)?;
    let Some((stable, canary)) = ratio.running(&inventory) else {
        let down: Vec<String> = down.iter().map(|(n, e)| format!("; {n}: {e}")).collect();
        cli::say(&format!(
            "wheelhouse: rollout {}: {} or {} is not running anywhere attached{}",
            rollout.name,
            ratio.stable,
            ratio.canary,
            down.concat()
        ));
        return Ok(ExitCode::from(EXIT_UNREACHABLE));
    };
    let (rollout_state, state_error, driven_by) =
        data_dir(common).map_or((None, None, None), |d| on_disk(&d, &rollout.name));
    let share = ratio.share(&inventory);
    if json {
        let value = serde_json::json!({
            "name": rollout.name,
            "router": rollout.router.describe(),
            "running": { "stable": stable, "canary": canary },
            "share_percent": share,
            "rollout_state": rollout_state,
            "state_error": state_error,
            "driven_by": driven_by,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} — {}", rollout.name, rollout.router.describe());
    match (&rollout_state, &state_error) {
        (_, Some(e)) => println!("state: needs review: {e}"),
        (None, None) => println!("state: ready (never started)"),
        (Some(s), None) => println!(
            "state: {} at step {}, {} % set",
            s.phase.word(),
            s.step + 1,
            s.weight
        ),
    }
    if let Some(h) = &driven_by {
        println!("driven by {h}");
    }
    println!(
        "canary share (running replicas, by DNS: approximate): {} — {canary} canary, {stable} stable",
        share.map_or_else(|| "-".to_owned(), |p| format!("{p:.0} %"))
    );
    println!("gates: no request counts without a router");
    Ok(ExitCode::SUCCESS)
}

/// `canary set-weight NAME PERCENT`: an operator's own share, which suspends the rollout's
/// automation (see [`Input::Override`]).
pub fn set_weight(
    common: Common,
    name: &str,
    percent: u32,
    flags: Flags,
) -> anyhow::Result<ExitCode> {
    transition(
        common,
        name,
        Input::Override(percent),
        flags,
        Origin::CommandLine,
    )
}

/// The rollout's lock, tried a few times over a fifth of a second: a watcher (`wheelhouse
/// agent`) asks who holds it by holding it shared for an instant, which must not read as a
/// driver.
fn lock_briefly_held(
    dir: &std::path::Path,
    name: &str,
    what: &str,
) -> Result<store::Lock, NotTaken> {
    let mut tries = 0;
    loop {
        match store::try_lock(dir, name, what) {
            Err(NotTaken::Held(_)) if tries < 4 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// `canary next|promote|abort|retry|suspend|resume|set-weight NAME`: takes the rollout's lock
/// (a rollout another console or command drives is not touched: exit 5, naming the holder),
/// reads its state, checks that its router answers (exit 3), and runs the transition through
/// the gate as a plan like any change. Time-driven steps (timed pauses, analyses, abort
/// ramps) are a console's: a command moves a rollout only when asked.
pub fn transition(
    common: Common,
    name: &str,
    input: Input,
    flags: Flags,
    origin: Origin,
) -> anyhow::Result<ExitCode> {
    let loaded = match cli::load(&common) {
        Ok(l) => l,
        Err(e) => {
            cli::say(&format!("wheelhouse: {e:#}"));
            return Ok(ExitCode::from(EXIT_BAD_INPUT));
        }
    };
    let rollout = match rollouts_of(&loaded).and_then(|all| find(all, name)) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let dir = store::dir(&loaded.paths.data_dir);
    let _lock = match lock_briefly_held(&dir, name, &format!("wheelhouse canary {}", input.word()))
    {
        Ok(lock) => lock,
        Err(NotTaken::Held(holder)) => {
            cli::say(&format!(
                "wheelhouse: rollout {name} is {}; nothing was changed",
                NotTaken::Held(holder)
            ));
            return Ok(ExitCode::from(EXIT_HELD));
        }
        Err(NotTaken::Failed(e)) => {
            cli::say(&format!("wheelhouse: rollout {name}: its lock: {e}"));
            return Ok(ExitCode::from(EXIT_FAILED));
        }
    };
    let now = chrono::Utc::now();
    let state = match store::load(&dir, name) {
        Loaded::Fresh => RolloutState::ready(name, now),
        Loaded::Found(s) => s,
        Loaded::SetAside { why, kept } => {
            cli::say(&format!(
                "wheelhouse: rollout {name}: its state did not read ({why}); kept at {} for \
                 review. Check the router's share (canary status {name}); the next command \
                 starts the rollout from its first step",
                kept.display()
            ));
            return Ok(ExitCode::from(EXIT_BAD_INPUT));
        }
    };
    if state.step > rollout.steps.len() {
        cli::say(&format!(
            "wheelhouse: rollout {name}: its state is at step {} but {} has {} steps now; \
             remove {} to start again",
            state.step + 1,
            rollout.file.display(),
            rollout.steps.len(),
            dir.display()
        ));
        return Ok(ExitCode::from(EXIT_BAD_INPUT));
    }
    let transition = match machine::on_input(&rollout, &state, input, now) {
        Ok(t) => t,
        Err(e) => {
            cli::say(&format!("wheelhouse: {e}"));
            return Ok(ExitCode::from(EXIT_BAD_INPUT));
        }
    };
    if transition.weight.is_some() {
        let tokio = cli::tokio_runtime()?;
        if let Err(e) = tokio.block_on(rollout.router.check()) {
            cli::say(&format!(
                "wheelhouse: rollout {name}: {}: {e}; nothing was changed",
                rollout.router.describe()
            ));
            return Ok(ExitCode::from(EXIT_UNREACHABLE));
        }
    }
    // A promotion, and a replica ratio's share, are made from what the engines have.
    let from_engines = transition.state.phase == super::state::Phase::Promoting
        || (transition.weight.is_some()
            && matches!(rollout.router, super::router::RouterSpec::Replicas(_)));
    if from_engines {
        let build = |inv: &crate::app::inventory::Inventory| {
            super::plan_for(
                &rollout,
                &state,
                &transition,
                inv,
                &dir,
                change::plan_id(),
                origin.clone(),
            )
        };
        return change::run_built(&common, &loaded, build, flags);
    }
    let plan = super::transition_plan(&rollout, &transition, &dir, change::plan_id(), origin);
    change::run_plan(&loaded, plan, flags)
}
