//! Headless changes for scripts and pipelines: `scale`, `limits`, `rollout`,
//! `restart-unhealthy`, and for Swarm `rollback` and `node`. Each builds the same plan the
//! console would (`ops::service`, `ops::swarm`), prints
//! it, asks on a terminal (or takes `--yes`), and runs it through the same gate: read-only,
//! intent and outcome in the audit log, rollback on failure.
//!
//! Exit status: 0 done (or nothing to do, or declined at the prompt), 1 a step failed, 2 bad
//! input, 3 an endpoint could not be reached, 4 refused by read-only.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use serde::Serialize;

use crate::app::inventory::Inventory;
use crate::app::model::{Container, ContainerKey, RunState};
use crate::app::usage::{Usage, UsageEntry};
use crate::app::watch::Watch;
use crate::cli::{self, Common};
use crate::engine::endpoint::REQUEST_TIMEOUT;
use crate::engine::handle::EngineHandle;
use crate::engine::{inventory, metrics, swarm};
use crate::ops::audit::{AuditLog, Operator};
use crate::ops::service::{self, LimitChange, RolloutSpec};
use crate::ops::swarm as ops_swarm;
use crate::ops::{Approval, Engines, Gate, Origin, Plan, PlanId, PlanReport, Progress, Scope};

pub const EXIT_FAILED: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;
pub const EXIT_UNREACHABLE: u8 = 3;
pub const EXIT_READ_ONLY: u8 = 4;
/// Another process holds what it would change (a rollout another console drives).
pub const EXIT_HELD: u8 = 5;

/// How a change command runs, whatever it changes.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// Apply without asking.
    pub yes: bool,
    /// Print the plan and stop.
    pub dry_run: bool,
    pub json: bool,
}

/// What to change.
#[derive(Debug, Clone)]
pub enum Change {
    Scale {
        service: String,
        replicas: u32,
    },
    Limits {
        target: String,
        change: LimitChange,
    },
    Rollout {
        service: String,
        spec: RolloutSpec,
    },
    RestartUnhealthy {
        service: String,
        timeout_secs: u64,
    },
    /// A Swarm service back to its previous spec.
    Rollback {
        service: String,
    },
    /// A Swarm node's availability: active, pause or drain.
    Node {
        node: String,
        availability: String,
    },
}

/// The gate of a headless command, as the config says (a read-only it had to fall back to is
/// said on stderr).
fn gate_for(loaded: &crate::config::Loaded) -> Gate {
    if let Some(reason) = &loaded.read_only_reason {
        cli::say(&format!(
            "warning: read-only until the config file is fixed (or --read-write): {reason}"
        ));
    }
    Gate::new(
        loaded.settings.read_only,
        AuditLog::new(loaded.paths.audit_log.clone()),
        Operator::current(),
    )
}

/// Runs `plan`, whose steps reach no engine (a router's, a rollout's record), the way every
/// change command does: printed, asked on a terminal or taken with `--yes`, then the gate.
pub fn run_plan(
    loaded: &crate::config::Loaded,
    plan: Plan,
    flags: Flags,
) -> anyhow::Result<ExitCode> {
    let gate = gate_for(loaded);
    let tokio = cli::tokio_runtime()?;
    let outcome = tokio.block_on(apply(&gate, plan, &Engines::default(), &flags));
    Ok(exit_code(outcome))
}

/// Runs `plan`, made from what was just observed (an agent's proposal), on the attached
/// engines, the way every change command does.
pub fn run_plan_on(
    common: &Common,
    loaded: &crate::config::Loaded,
    plan: Plan,
    flags: Flags,
) -> anyhow::Result<ExitCode> {
    let engines = attached_engines(common)?;
    let gate = gate_for(loaded);
    let tokio = cli::tokio_runtime()?;
    let outcome = tokio.block_on(apply(&gate, plan, &engines, &flags));
    tokio.shutdown_background();
    Ok(exit_code(outcome))
}

/// Runs the plan `build` makes from what the attached engines have now (a canary's promotion,
/// which replaces replicas it finds there), the way every change command does. `build`'s error
/// is bad input (exit 2), said with what was unreachable.
pub fn run_built(
    common: &Common,
    loaded: &crate::config::Loaded,
    build: impl FnOnce(&Inventory) -> Result<Plan, String>,
    flags: Flags,
) -> anyhow::Result<ExitCode> {
    let engines = attached_engines(common)?;
    let gate = gate_for(loaded);
    let tokio = cli::tokio_runtime()?;
    let outcome = tokio.block_on(async {
        let seen = survey(&engines).await;
        let plan = build(&seen.inventory).map_err(|e| {
            let down: Vec<String> = seen
                .down
                .iter()
                .map(|(n, e)| format!("; endpoint {n} unreachable: {e}"))
                .collect();
            Exit(EXIT_BAD_INPUT, format!("{e}{}", down.concat()))
        })?;
        apply(&gate, plan, &engines, &flags).await
    });
    tokio.shutdown_background();
    Ok(exit_code(outcome))
}

/// The containers of every attached endpoint now, and the endpoints that did not answer.
pub fn survey_inventory(common: &Common) -> anyhow::Result<(Inventory, Vec<(String, String)>)> {
    let engines = attached_engines(common)?;
    let tokio = cli::tokio_runtime()?;
    let seen = tokio.block_on(async { survey(&engines).await });
    tokio.shutdown_background();
    Ok((seen.inventory, seen.down))
}

/// A failure with its exit status.
struct Exit(u8, String);

/// The exit status of a command's outcome, a failure said on stderr.
fn exit_code(outcome: Result<ExitCode, Exit>) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(Exit(code, message)) => {
            cli::say(&format!("wheelhouse: {message}"));
            ExitCode::from(code)
        }
    }
}

/// A handle on every endpoint the command attaches (its warnings said).
fn attached_engines(common: &Common) -> anyhow::Result<Engines> {
    let attached = cli::endpoints(common)?;
    cli::print_warnings(&attached.warnings);
    Ok(attached
        .endpoints
        .iter()
        .map(|ep| (ep.name.clone(), EngineHandle::new(ep.clone())))
        .collect())
}

pub fn run(common: Common, change: Change, flags: Flags) -> anyhow::Result<ExitCode> {
    let loaded = cli::load(&common)?;
    let engines = attached_engines(&common)?;
    let gate = gate_for(&loaded);
    let max_replicas = loaded.settings.max_replicas as u32;
    let tokio = cli::tokio_runtime()?;
    let outcome = tokio.block_on(async {
        let seen = survey(&engines).await;
        let plan = plan_for(&change, &seen, max_replicas, &engines).await?;
        apply(&gate, plan, &engines, &flags).await
    });
    // Engine tasks may be mid-request; do not wait for them.
    tokio.shutdown_background();
    Ok(exit_code(outcome))
}

/// What every endpoint has: its containers (inspected), or why it could not say.
struct Seen {
    inventory: Inventory,
    down: Vec<(String, String)>,
}

async fn survey(engines: &Engines) -> Seen {
    let budget = REQUEST_TIMEOUT * 3;
    let answers = futures_util::future::join_all(engines.values().map(|engine| async move {
        let result = tokio::time::timeout(budget, async {
            let docker = engine.docker().await?;
            let containers = inventory::snapshot(&docker, engine.endpoint()).await?;
            // A Swarm manager also says what its services and nodes are.
            let info = docker.info().await.ok();
            let (role, node) = info.as_ref().map(swarm::role_from_info).unwrap_or_default();
            let state = match role {
                // A manager that cannot answer for its Swarm still has its containers: a
                // compose change there goes on, a Swarm one finds no service and says so.
                crate::app::swarm::SwarmRole::Manager => {
                    match swarm::snapshot(&docker, engine.name(), node).await {
                        Ok(state) => state,
                        Err(reason) => crate::app::swarm::SwarmState {
                            role: crate::app::swarm::SwarmRole::Manager,
                            lost: Some(reason),
                            ..Default::default()
                        },
                    }
                }
                role => crate::app::swarm::SwarmState {
                    role,
                    ..Default::default()
                },
            };
            Ok((containers, state))
        })
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "{}: no complete answer within {budget:?}",
                engine.host()
            ))
        });
        (engine.name().to_owned(), result)
    }))
    .await;
    let mut seen = Seen {
        inventory: Inventory::default(),
        down: Vec::new(),
    };
    for (name, result) in answers {
        match result {
            Ok((containers, state)) => {
                seen.inventory.replace_endpoint(&name, containers);
                seen.inventory.swarms.set(&name, state);
            }
            Err(e) => seen.down.push((name, e)),
        }
    }
    seen
}

/// A service by name: compose or Swarm.
enum Either {
    Compose(crate::app::model::ServiceKey),
    Swarm(crate::app::swarm::SwarmServiceKey),
}

/// A plan id for this process: unique within an audit log shared with consoles.
/// A fresh plan id for a headless command.
pub fn plan_id() -> PlanId {
    PlanId::next(Utc::now().timestamp_millis() as u64)
}

async fn plan_for(
    change: &Change,
    seen: &Seen,
    max_replicas: u32,
    engines: &Engines,
) -> Result<Plan, Exit> {
    let inv = &seen.inventory;
    let unreachable = |what: &str| -> Exit {
        let down: Vec<String> = seen
            .down
            .iter()
            .map(|(n, e)| format!("endpoint {n} unreachable: {e}"))
            .collect();
        Exit(EXIT_UNREACHABLE, format!("{what}; {}", down.join("; ")))
    };
    let mut looked: Vec<&str> = engines.keys().map(String::as_str).collect();
    looked.sort_unstable();
    let looked = looked.join(", ");
    let find = |name: &str| {
        service::find_service(inv, name, None).map_err(|e| {
            if seen.down.is_empty() {
                Exit(EXIT_BAD_INPUT, format!("{} (looked on {looked})", e.0))
            } else {
                unreachable(&e.0)
            }
        })
    };
    let bad = |e: service::PlanError| Exit(EXIT_BAD_INPUT, e.0);
    let origin = Origin::CommandLine;
    // A compose service or a Swarm service, whichever the name is; both is a question back.
    let find_either = |name: &str| -> Result<Either, Exit> {
        let compose = service::find_service(inv, name, None);
        let swarm = inv.swarms.find(name, None);
        match (compose, swarm) {
            (Ok(c), Ok(s)) => Err(Exit(
                EXIT_BAD_INPUT,
                format!(
                    "{name:?} names compose service {} on {} and Swarm service {} on {}; pick the endpoint with -c or -H",
                    c.label(),
                    c.endpoint,
                    s.name,
                    s.endpoint
                ),
            )),
            (Ok(c), Err(_)) => Ok(Either::Compose(c)),
            (Err(_), Ok(s)) => Ok(Either::Swarm(s)),
            (Err(e), Err(s)) if inv.swarms.managers().next().is_some() => {
                Err(Exit(EXIT_BAD_INPUT, format!("{}; {s} (looked on {looked})", e.0)))
            }
            (Err(_), Err(_)) => find(name).map(Either::Compose),
        }
    };
    match change {
        Change::Scale { service, replicas } => match find_either(service)? {
            Either::Compose(key) => {
                service::scale(inv, &key, *replicas, max_replicas, plan_id(), origin).map_err(bad)
            }
            Either::Swarm(key) => ops_swarm::scale(
                &inv.swarms,
                &key,
                *replicas as u64,
                max_replicas as u64,
                plan_id(),
                origin,
            )
            .map_err(bad),
        },
        Change::Rollout { service, spec } => match find_either(service)? {
            Either::Compose(key) => {
                service::rollout(inv, &key, spec, plan_id(), origin).map_err(bad)
            }
            Either::Swarm(key) => {
                let Some(image) = spec.image.as_deref() else {
                    return Err(Exit(
                        EXIT_BAD_INPUT,
                        format!("rollout {service}: a Swarm service needs --image (the manager rolls it out with the service's own update settings)"),
                    ));
                };
                ops_swarm::update(
                    &inv.swarms,
                    &key,
                    image,
                    ops_swarm::DEFAULT_UPDATE_TIMEOUT_SECS,
                    plan_id(),
                    origin,
                )
                .map_err(bad)
            }
        },
        Change::Rollback { service } => {
            let key = inv
                .swarms
                .find(service, None)
                .map_err(|e| Exit(EXIT_BAD_INPUT, format!("{e} (looked on {looked})")))?;
            ops_swarm::rollback(
                &inv.swarms,
                &key,
                ops_swarm::DEFAULT_UPDATE_TIMEOUT_SECS,
                plan_id(),
                origin,
            )
            .map_err(bad)
        }
        Change::Node { node, availability } => {
            let (endpoint, node) = inv
                .swarms
                .find_node(node, None)
                .map_err(|e| Exit(EXIT_BAD_INPUT, format!("{e} (looked on {looked})")))?;
            ops_swarm::node_availability(&endpoint, &node, availability, plan_id(), origin)
                .map_err(bad)
        }
        Change::RestartUnhealthy {
            service,
            timeout_secs,
        } => {
            let key = find(service)?;
            service::restart_unhealthy(inv, &key, *timeout_secs, plan_id(), origin).map_err(bad)
        }
        Change::Limits { target, change } => {
            // A container by name first (names are what operators type), else a service.
            let by_name: Vec<&Container> = inv
                .iter()
                .map(|(_, c)| c)
                .filter(|c| c.name == *target)
                .collect();
            let (targets, subject, scope): (Vec<&Container>, String, Scope) = match by_name
                .as_slice()
            {
                [one] => (
                    vec![*one],
                    format!("{} on {}", one.name, one.key.endpoint),
                    Scope::Containers,
                ),
                [] => {
                    let key = service::find_service(inv, target, None).map_err(|e| {
                        let names: Vec<String> = inv.iter().map(|(_, c)| c.name.clone()).collect();
                        let close = service::close_matches(target, &names);
                        let also = if close.is_empty() {
                            String::new()
                        } else {
                            format!(" (containers named like it: {})", close.join(", "))
                        };
                        if seen.down.is_empty() {
                            Exit(EXIT_BAD_INPUT, format!("no container or {}{also}", e.0))
                        } else {
                            unreachable(&e.0)
                        }
                    })?;
                    let subject = format!("{} on {}", key.label(), key.endpoint);
                    (service::replicas(inv, &key), subject, Scope::service(&key))
                }
                many => {
                    let places: Vec<&str> = many.iter().map(|c| c.key.endpoint.as_str()).collect();
                    return Err(Exit(
                        EXIT_BAD_INPUT,
                        format!(
                            "{target:?} names a container on several endpoints ({}); pick one with -c or -H",
                            places.join(", ")
                        ),
                    ));
                }
            };
            // What they use now, so a limit below it is refused before anything changes.
            let usage = if change.memory.is_some() || change.pids.is_some() {
                measure(&targets, engines).await
            } else {
                HashMap::new()
            };
            service::limits(&targets, &usage, change, &subject, scope, plan_id(), origin)
                .map_err(bad)
        }
    }
}

/// One usage measurement of the running targets (about a second).
async fn measure(targets: &[&Container], engines: &Engines) -> HashMap<ContainerKey, UsageEntry> {
    let mut out = HashMap::new();
    for engine in engines.values() {
        let mine: Vec<&&Container> = targets
            .iter()
            .filter(|c| c.key.endpoint == engine.name() && c.state == RunState::Running)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let Ok(docker) = engine.docker().await else {
            continue;
        };
        let watch: Vec<Watch> = mine.iter().map(|c| Watch::of(c, true, true)).collect();
        let pairs = metrics::measure_once(
            engine.endpoint(),
            &docker,
            &watch,
            metrics::SourceMode::from_env().unwrap_or(metrics::SourceMode::Auto),
            Duration::from_secs(1),
            Duration::from_secs(8),
        )
        .await;
        for c in mine {
            if let Some((a, b)) = pairs.get(&c.key) {
                let entry = UsageEntry {
                    latest: Some(Usage::derive(Some(a), b, &c.limits)),
                    ..UsageEntry::default()
                };
                out.insert(c.key.clone(), entry);
            }
        }
    }
    out
}

#[derive(Serialize)]
struct ResultJson<'a> {
    plan: &'a crate::ops::PlanId,
    title: &'a str,
    /// `done`, `failed`, `refused`, `nothing to do`, `dry run` or `declined`.
    result: &'a str,
    steps: Vec<StepJson>,
    rolled_back: Vec<StepJson>,
}

#[derive(Serialize)]
struct StepJson {
    step: usize,
    description: String,
    /// `ok`, an error, or `not run`.
    result: String,
}

async fn apply(
    gate: &Gate,
    plan: Plan,
    engines: &Engines,
    flags: &Flags,
) -> Result<ExitCode, Exit> {
    let lines: Vec<String> = plan.steps.iter().map(|s| s.describe()).collect();
    let finish = |result: &str, report: Option<&PlanReport>| -> ExitCode {
        if flags.json {
            let steps = lines
                .iter()
                .enumerate()
                .map(|(i, d)| StepJson {
                    step: i + 1,
                    description: d.clone(),
                    result: match report.and_then(|r| r.results[i].as_ref()) {
                        Some(Ok(())) => "ok".into(),
                        Some(Err(e)) => e.message.clone(),
                        None => "not run".into(),
                    },
                })
                .collect();
            let rolled_back = report
                .map(|r| {
                    r.rolled_back
                        .iter()
                        .map(|(i, res)| StepJson {
                            step: i + 1,
                            description: format!("undo: {}", lines[*i]),
                            result: match res {
                                Ok(()) => "ok".into(),
                                Err(e) => e.message.clone(),
                            },
                        })
                        .collect()
                })
                .unwrap_or_default();
            let doc = ResultJson {
                plan: &plan.id,
                title: &plan.title,
                result,
                steps,
                rolled_back,
            };
            let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            let _ = cli::emit(&(crate::text::json_for_terminal(text) + "\n"));
        }
        ExitCode::SUCCESS
    };
    if !flags.json {
        let mut text = format!("plan {}: {}\n", plan.id, plan.title);
        for (i, l) in lines.iter().enumerate() {
            text.push_str(&format!("  {:>2}. {l}\n", i + 1));
        }
        let _ = cli::emit(&crate::text::for_terminal(&text));
    }
    if plan.steps.is_empty() {
        if !flags.json {
            let _ = cli::emit("nothing to do\n");
        }
        return Ok(finish("nothing to do", None));
    }
    if flags.dry_run {
        return Ok(finish("dry run", None));
    }
    if gate.read_only() {
        let reason = "refused: wheelhouse is in read-only mode";
        gate.refuse(&plan, engines, reason);
        finish("refused", None);
        return Err(Exit(EXIT_READ_ONLY, format!("{}: {reason}", plan.title)));
    }
    let approval = if flags.yes {
        Approval::YesFlag
    } else if std::io::stdin().is_terminal() {
        if !ask(&format!("Apply these {} steps? [y/N] ", plan.steps.len())) {
            if !flags.json {
                let _ = cli::emit("not applied\n");
            }
            return Ok(finish("declined", None));
        }
        Approval::Operator
    } else {
        return Err(Exit(
            EXIT_BAD_INPUT,
            "not applied: stdin is not a terminal to confirm on; pass --yes to apply (or --dry-run to only print the plan)".into(),
        ));
    };
    // Ctrl-C stops the plan before its next step and rolls back what ran.
    let (cancel_tx, cancel) = tokio::sync::watch::channel(false);
    let cancelling = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel_tx.send_replace(true);
            // Hold the sender: the plan keeps its receiver alive.
            std::future::pending::<()>().await;
        }
    });
    let json = flags.json;
    let titles = lines.clone();
    let report = gate
        .run(plan.clone(), approval, engines, cancel, |p| {
            let line = progress_line(&p, &titles);
            async move {
                if let (false, Some(line)) = (json, line) {
                    let _ = writeln!(std::io::stderr(), "{}", crate::text::for_terminal(&line));
                }
            }
        })
        .await;
    cancelling.abort();
    if report.succeeded() {
        if !flags.json {
            let _ = cli::emit(&format!("done: {}\n", plan.title));
        }
        return Ok(finish("done", Some(&report)));
    }
    if report.refused() {
        finish("refused", Some(&report));
        let (_, e) = report.failure().expect("a refusal");
        return Err(Exit(EXIT_READ_ONLY, e.message.clone()));
    }
    finish("failed", Some(&report));
    let what = match report.failure() {
        Some((i, e)) => format!("step {} ({}) failed: {}", i + 1, lines[i], e.message),
        None => "cancelled".into(),
    };
    let undone = if report.past_point_of_no_return {
        "; it had passed its point of no return, so what ran stays done (see the audit log)".into()
    } else if report.rolled_back.is_empty() {
        match report.failure() {
            Some((0, _)) => "; nothing had been changed".into(),
            Some(_) if plan.on_failure == crate::ops::OnFailure::Stop => {
                "; the steps before it stay done".into()
            }
            Some(_) => "; nothing before it needed undoing".into(),
            None => String::new(),
        }
    } else if report.fully_rolled_back() {
        "; everything it did was undone".into()
    } else {
        "; some of what it did could not be undone (see the audit log)".into()
    };
    Err(Exit(
        EXIT_FAILED,
        format!("{}: {what}{undone} (plan {})", plan.title, plan.id),
    ))
}

fn progress_line(p: &Progress, lines: &[String]) -> Option<String> {
    let n = lines.len();
    Some(match p {
        Progress::Running { index, .. } => format!("[{}/{n}] {} …", index + 1, lines[*index]),
        Progress::Ended { index, result, .. } => match result {
            Ok(()) => format!("[{}/{n}] {}: ok", index + 1, lines[*index]),
            Err(e) => format!("[{}/{n}] {}: {}", index + 1, lines[*index], e.message),
        },
        Progress::Undoing { index, .. } => {
            format!("undoing step {}: {} …", index + 1, lines[*index])
        }
        Progress::Undone { index, result, .. } => match result {
            Ok(()) => format!("undone step {}", index + 1),
            Err(e) => format!("could not undo step {}: {}", index + 1, e.message),
        },
    })
}

/// Asks on the terminal; anything but `y` or `yes` is no.
fn ask(question: &str) -> bool {
    let mut err = std::io::stderr();
    let _ = write!(err, "{question}");
    let _ = err.flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}
