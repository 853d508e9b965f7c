//! Swarm services and nodes, changed through the manager so that Swarm's own scheduler does the
//! work: plans built from what the console knows (pure, tested without an engine), and the
//! steps that carry them out (reached only through the gate).
//!
//! The rules, and where they differ from the docker CLI on purpose:
//! - **Scale** sets the replica count of a replicated service; the manager places the tasks. A
//!   global service runs one task per eligible node and is refused with that said.
//! - **Update** moves a service to a new image with the service's own update settings
//!   (parallelism, delay, failure action, order); the plan then waits for the manager to report
//!   the update done. An update the manager rolled back or paused is a failure of the plan, in
//!   the manager's words. The console never undoes a Swarm step itself: the service's failure
//!   action is the operator's choice, and Swarm carries it out.
//! - **Rollback** returns the service to the previous settings the manager keeps.
//! - **Node availability**: `drain` moves a node's tasks elsewhere (on a single node they wait,
//!   pending, and the table says why), `pause` takes no new tasks, `active` takes them again.
//! - Every update names the version the console read just before it; if someone else changed
//!   the object meanwhile ("update out of sequence") it is read again and tried once more.
//! - A service's spec travels as the manager's own JSON, changed in the one field the step is
//!   about. bollard's typed spec spells the health check `HealthCheck` where the engine writes
//!   `Healthcheck`, so a spec read and sent back through those types loses the check, and Swarm,
//!   seeing a new task template, replaces every task: a scale became a rolling restart (seen).

use std::collections::HashMap;
use std::time::Duration;

use bollard::query_parameters::{EventsOptionsBuilder, UpdateNodeOptionsBuilder};
use bollard::Docker;
use futures_util::StreamExt;
use tokio::sync::watch;

use super::container::Done;
use super::error::{ErrorKind, OpError};
use super::plan::{OnFailure, Operation, Origin, Plan, PlanId, Scope, Step, SwarmObject, Target};
use super::service::PlanError;
use crate::app::swarm::{SwarmNode, SwarmService, SwarmServiceKey, Swarms};

/// How long an update may take before the plan gives up waiting (the update goes on).
pub const DEFAULT_UPDATE_TIMEOUT_SECS: u64 = 600;

fn err<T>(message: impl Into<String>) -> Result<T, PlanError> {
    Err(PlanError(message.into()))
}

fn service_target(key: &SwarmServiceKey) -> Target {
    Target::Swarm {
        endpoint: key.endpoint.clone(),
        kind: SwarmObject::Service,
        id: key.id.clone(),
        name: key.name.clone(),
    }
}

fn scope(key: &SwarmServiceKey) -> Scope {
    Scope::SwarmService {
        endpoint: key.endpoint.clone(),
        service: key.name.clone(),
    }
}

fn plan(
    id: PlanId,
    title: String,
    origin: Origin,
    key: &SwarmServiceKey,
    steps: Vec<Step>,
) -> Plan {
    Plan {
        id,
        title,
        origin,
        steps,
        on_failure: OnFailure::Stop,
        scope: scope(key),
    }
}

/// The service as the console last saw it, or why there is none.
fn known<'a>(swarms: &'a Swarms, key: &SwarmServiceKey) -> Result<&'a SwarmService, PlanError> {
    swarms.service(key).ok_or_else(|| {
        PlanError(format!(
            "no Swarm service {} on {} (removed meanwhile?)",
            key.name, key.endpoint
        ))
    })
}

/// Scales a replicated service to `replicas`.
pub fn scale(
    swarms: &Swarms,
    key: &SwarmServiceKey,
    replicas: u64,
    max: u64,
    id: PlanId,
    origin: Origin,
) -> Result<Plan, PlanError> {
    let svc = known(swarms, key)?;
    let name = svc.label();
    if svc.global {
        return err(format!(
            "{name} on {} is a global service: it runs one task on every eligible node and cannot be scaled",
            key.endpoint
        ));
    }
    if replicas > max {
        return err(format!(
            "scale {name}: {replicas} replicas is more than the limit of {max} (max_replicas in the config file)"
        ));
    }
    let title = format!("scale {name} to {replicas} replicas");
    let steps = if svc.replicas == Some(replicas) {
        Vec::new()
    } else {
        vec![Step::new(
            service_target(key),
            Operation::ScaleService { replicas },
        )]
    };
    Ok(plan(id, title, origin, key, steps))
}

/// Rolls a service out to `image` with its own update settings, then waits for the manager to
/// say it is done.
pub fn update(
    swarms: &Swarms,
    key: &SwarmServiceKey,
    image: &str,
    timeout_secs: u64,
    id: PlanId,
    origin: Origin,
) -> Result<Plan, PlanError> {
    let svc = known(swarms, key)?;
    let name = svc.label();
    let image = image.trim();
    if image.is_empty() {
        return err(format!("update {name}: image: give the image to move to"));
    }
    if image.chars().any(char::is_whitespace) {
        return err(format!("update {name}: image {image:?} has a space in it"));
    }
    let title = format!("update {name} to {image}");
    let steps = if svc.image == image {
        Vec::new()
    } else {
        vec![
            Step::new(
                service_target(key),
                Operation::UpdateService {
                    image: image.to_owned(),
                },
            ),
            Step::new(
                service_target(key),
                Operation::WaitServiceUpdate {
                    timeout_secs,
                    rollback: false,
                },
            ),
        ]
    };
    Ok(plan(id, title, origin, key, steps))
}

/// Returns a service to its previous settings, and waits for the manager to finish.
pub fn rollback(
    swarms: &Swarms,
    key: &SwarmServiceKey,
    timeout_secs: u64,
    id: PlanId,
    origin: Origin,
) -> Result<Plan, PlanError> {
    let svc = known(swarms, key)?;
    let title = format!("roll back {}", svc.label());
    let steps = vec![
        Step::new(service_target(key), Operation::RollbackService),
        Step::new(
            service_target(key),
            Operation::WaitServiceUpdate {
                timeout_secs,
                rollback: true,
            },
        ),
    ];
    Ok(plan(id, title, origin, key, steps))
}

/// Sets a node's availability (`active`, `pause`, `drain`).
pub fn node_availability(
    endpoint: &str,
    node: &SwarmNode,
    availability: &str,
    id: PlanId,
    origin: Origin,
) -> Result<Plan, PlanError> {
    if !matches!(availability, "active" | "pause" | "drain") {
        return err(format!(
            "node {}: availability {availability:?}: one of active, pause, drain",
            node.hostname
        ));
    }
    let op = Operation::SetNodeAvailability {
        availability: availability.to_owned(),
    };
    let title = format!("{} node {}", op.verb(), node.hostname);
    let steps = if node.availability == availability {
        Vec::new()
    } else {
        vec![Step::new(
            Target::Swarm {
                endpoint: endpoint.to_owned(),
                kind: SwarmObject::Node,
                id: node.id.clone(),
                name: node.hostname.clone(),
            },
            op,
        )]
    };
    Ok(Plan {
        id,
        title,
        origin,
        steps,
        on_failure: OnFailure::Stop,
        scope: Scope::Containers,
    })
}

/// What the confirmation says beside the steps: how the manager will roll an update out, and
/// where a drain sends the tasks.
pub fn notes(plan: &Plan, swarms: &Swarms) -> Vec<String> {
    let mut out = Vec::new();
    for step in &plan.steps {
        let Target::Swarm {
            endpoint,
            id,
            kind: SwarmObject::Service,
            ..
        } = &step.target
        else {
            continue;
        };
        let Some(svc) = swarms.get(endpoint).and_then(|s| s.service(id)) else {
            continue;
        };
        match &step.op {
            Operation::UpdateService { .. } => out.push(match &svc.update_config {
                Some(u) => format!(
                    "Swarm rolls it out {} task(s) at a time ({}, {} s apart); on failure: {}.",
                    u.parallelism.max(1),
                    u.order,
                    u.delay_ns / 1_000_000_000,
                    u.failure_action
                ),
                None => "Swarm rolls it out with its default settings (one at a time, pause on failure).".into(),
            }),
            Operation::RollbackService => out.push(
                "Swarm returns the service to its previous spec (image, replicas, settings).".into(),
            ),
            _ => {}
        }
    }
    out.extend(warnings(plan, swarms));
    out
}

/// Where a drain sends the tasks.
pub fn warnings(plan: &Plan, swarms: &Swarms) -> Vec<String> {
    let mut out = Vec::new();
    for step in &plan.steps {
        if let (
            Target::Swarm {
                endpoint, id, kind, ..
            },
            Operation::SetNodeAvailability { availability },
        ) = (&step.target, &step.op)
        {
            let Some(state) = swarms.get(endpoint) else {
                continue;
            };
            let others = state
                .nodes
                .iter()
                .filter(|n| &n.id != id && n.availability == "active" && n.status == "ready")
                .count();
            let here = state
                .tasks
                .iter()
                .filter(|t| t.node_id.as_deref() == Some(id) && t.is_current())
                .count();
            if *kind == SwarmObject::Node && availability == "drain" && here > 0 {
                out.push(if others == 0 {
                    format!("{here} tasks run there and no other node takes tasks: they will wait, pending")
                } else {
                    format!("{here} tasks move to the other {others} active nodes")
                });
            }
        }
    }
    out
}

/// Carries out one Swarm step through the manager.
pub async fn apply(
    docker: &Docker,
    host: &str,
    target: &Target,
    op: &Operation,
    cancel: &mut watch::Receiver<bool>,
) -> Result<Done, OpError> {
    let Target::Swarm { id, name, kind, .. } = target else {
        return Err(OpError::new(
            ErrorKind::Other,
            format!("{} is not a Swarm step", op.verb()),
        ));
    };
    // The manager's words, with the name of what it refused.
    let said = |e: bollard::errors::Error| {
        let mut error = OpError::from_engine(host, &e);
        error.message = format!("{name}: {}", error.message);
        error
    };
    match (kind, op) {
        (SwarmObject::Service, Operation::ScaleService { replicas }) => {
            let replicas = *replicas as i64;
            update_service(docker, id, name, None, said, |spec| {
                let replicated = spec
                    .pointer_mut("/Mode/Replicated")
                    .and_then(serde_json::Value::as_object_mut)
                    .ok_or_else(|| {
                        format!("{name} is not a replicated service: it cannot be scaled")
                    })?;
                replicated.insert("Replicas".into(), replicas.into());
                Ok(())
            })
            .await
        }
        (SwarmObject::Service, Operation::UpdateService { image }) => {
            update_service(docker, id, name, None, said, |spec| {
                let container = spec
                    .pointer_mut("/TaskTemplate/ContainerSpec")
                    .and_then(serde_json::Value::as_object_mut)
                    .ok_or_else(|| format!("{name} has no container spec to update"))?;
                container.insert("Image".into(), image.clone().into());
                Ok(())
            })
            .await
        }
        (SwarmObject::Service, Operation::RollbackService) => {
            update_service(docker, id, name, Some("previous"), said, |_| Ok(())).await
        }
        (
            SwarmObject::Service,
            Operation::WaitServiceUpdate {
                timeout_secs,
                rollback,
            },
        ) => {
            wait_update(
                docker,
                id,
                name,
                *rollback,
                Duration::from_secs(*timeout_secs),
                cancel,
                said,
            )
            .await
        }
        (SwarmObject::Node, Operation::SetNodeAvailability { availability }) => {
            set_availability(docker, id, availability, said).await
        }
        _ => Err(OpError::new(
            ErrorKind::Other,
            format!("{} does not apply to a Swarm {kind:?}", op.verb()),
        )),
    }
}

/// Reads the service, changes its spec, and sends it back under the version read; once more
/// if it changed in between.
async fn update_service(
    docker: &Docker,
    id: &str,
    name: &str,
    rollback: Option<&str>,
    said: impl Fn(bollard::errors::Error) -> OpError,
    change: impl Fn(&mut serde_json::Value) -> Result<(), String>,
) -> Result<Done, OpError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let current = crate::engine::swarm::raw_service(docker, id)
            .await
            .map_err(&said)?;
        let version = current
            .pointer("/Version/Index")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| {
                OpError::new(
                    ErrorKind::Other,
                    format!("{name}: the manager gave no version"),
                )
            })?;
        let mut spec = current.get("Spec").cloned().ok_or_else(|| {
            OpError::new(
                ErrorKind::Other,
                format!("{name}: the manager gave no spec"),
            )
        })?;
        change(&mut spec).map_err(|m| OpError::new(ErrorKind::Other, m))?;
        let options = bollard::query_parameters::UpdateServiceOptions {
            version: version as i32,
            rollback: rollback.map(str::to_owned),
            ..Default::default()
        };
        match crate::engine::swarm::update_service_raw(docker, id, &spec, options).await {
            Ok(answer) => {
                let warnings: Vec<String> = answer
                    .warnings
                    .unwrap_or_default()
                    .into_iter()
                    .map(|w| crate::app::logbuf::sanitize(w.as_bytes()))
                    .collect();
                return Ok(Done {
                    said: (!warnings.is_empty()).then(|| warnings.join("; ")),
                    ..Done::default()
                });
            }
            Err(e) if attempt == 1 && e.to_string().contains("update out of sequence") => {
                log::info!("{name}: changed meanwhile; reading it again");
                continue;
            }
            Err(e) => return Err(said(e)),
        }
    }
}

/// Follows the service's events until the manager reports its update done (or rolled back,
/// when that is what was asked), reading the service on each event and every few seconds in
/// case an event was missed.
async fn wait_update(
    docker: &Docker,
    id: &str,
    name: &str,
    rollback: bool,
    timeout: Duration,
    cancel: &mut watch::Receiver<bool>,
    said: impl Fn(bollard::errors::Error) -> OpError,
) -> Result<Done, OpError> {
    // On the manager's clock, which the update's StartedAt is written on (a remote engine's
    // clock may be off from this machine's).
    let engine_now = docker
        .info()
        .await
        .ok()
        .and_then(|i| i.system_time)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(chrono::Utc::now);
    let started = engine_now - chrono::Duration::seconds(2);
    let deadline = tokio::time::Instant::now() + timeout;
    let filters: HashMap<&str, Vec<&str>> =
        [("type", vec!["service"]), ("service", vec![id])].into();
    let since = started.timestamp().to_string();
    let options = EventsOptionsBuilder::default()
        .since(&since)
        .filters(&filters)
        .build();
    let mut events = docker.events(Some(options));
    let mut events_open = true;
    let mut quiet_reads = 0;
    loop {
        let svc = crate::engine::swarm::inspect_service(docker, id)
            .await
            .map_err(&said)?;
        let status = svc.update_status.as_ref();
        let state = status
            .and_then(|s| s.state)
            .map(|s| s.to_string())
            .unwrap_or_default();
        let message = status
            .and_then(|s| s.message.clone())
            .map(|m| crate::app::logbuf::sanitize(m.as_bytes()))
            .unwrap_or_default();
        // A status from before this plan says nothing about it.
        let fresh = status
            .and_then(|s| s.started_at.as_deref())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .is_some_and(|t| t >= started);
        if fresh {
            match (state.as_str(), rollback) {
                ("completed", false) | ("rollback_completed", true) => return Ok(Done::default()),
                ("rollback_completed", false) | ("rollback_started", false) => {
                    return Err(OpError::new(
                        ErrorKind::Other,
                        format!("{name}: the update failed and Swarm rolled it back: {message}"),
                    ))
                }
                ("paused", _) | ("rollback_paused", _) => {
                    return Err(OpError::new(
                        ErrorKind::Other,
                        format!("{name}: the manager paused the update: {message}"),
                    ))
                }
                _ => {}
            }
        } else {
            // No update started: the change needed none (the tasks already match).
            quiet_reads += 1;
            if quiet_reads >= 3 {
                return Ok(Done {
                    said: Some("the manager started no update".into()),
                    ..Done::default()
                });
            }
        }
        let backstop = tokio::time::sleep(Duration::from_secs(if fresh { 5 } else { 1 }));
        tokio::select! {
            // An event stream that ended is left alone: the timed re-check goes on.
            ev = events.next(), if events_open => events_open = ev.is_some(),
            _ = backstop => {}
            _ = tokio::time::sleep_until(deadline) => {
                return Err(OpError::new(
                    ErrorKind::Timeout,
                    format!("{name}: the update did not finish within {} s (it goes on; the table follows it)", timeout.as_secs()),
                ));
            }
            changed = cancel.changed() => {
                if changed.is_ok() && *cancel.borrow() {
                    return Err(OpError::new(ErrorKind::Other, "cancelled by the operator"));
                }
            }
        }
    }
}

async fn set_availability(
    docker: &Docker,
    id: &str,
    availability: &str,
    said: impl Fn(bollard::errors::Error) -> OpError,
) -> Result<Done, OpError> {
    use bollard::models::NodeSpecAvailabilityEnum as A;
    let wanted = match availability {
        "drain" => A::DRAIN,
        "pause" => A::PAUSE,
        _ => A::ACTIVE,
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let node = docker.inspect_node(id).await.map_err(&said)?;
        let version = node.version.as_ref().and_then(|v| v.index).unwrap_or(0);
        let mut spec = node.spec.clone().unwrap_or_default();
        if spec.availability == Some(wanted) {
            return Ok(Done {
                unchanged: Some("already so"),
                ..Done::default()
            });
        }
        spec.availability = Some(wanted);
        let options = UpdateNodeOptionsBuilder::default()
            .version(version as i64)
            .build();
        match docker.update_node(id, spec, options).await {
            Ok(()) => return Ok(Done::default()),
            Err(e) if attempt == 1 && e.to_string().contains("update out of sequence") => continue,
            Err(e) => return Err(said(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::swarm::{SwarmRole, SwarmState, SwarmTask};

    fn swarm() -> (Swarms, SwarmServiceKey) {
        let mut web = crate::app::swarm::tests::service("m", Some("shop"), "shop_web");
        web.replicas = Some(2);
        let mut agent = crate::app::swarm::tests::service("m", Some("shop"), "shop_agent");
        agent.global = true;
        agent.replicas = None;
        let node = SwarmNode {
            id: "n1".into(),
            hostname: "vm".into(),
            role: "manager".into(),
            leader: true,
            availability: "active".into(),
            status: "ready".into(),
            message: None,
            engine_version: "28".into(),
            nano_cpus: 2_000_000_000,
            memory_bytes: 1 << 30,
            addr: "127.0.0.1".into(),
            version: 9,
        };
        let task = SwarmTask {
            id: "t1".into(),
            service_id: web.key.id.clone(),
            slot: Some(1),
            node_id: Some("n1".into()),
            state: "running".into(),
            desired_state: "running".into(),
            message: "started".into(),
            error: None,
            container_id: Some("c1".into()),
            exit_code: None,
            image: "img:1".into(),
            updated_at: None,
        };
        let key = web.key.clone();
        let mut all = Swarms::default();
        all.set(
            "m",
            SwarmState {
                role: SwarmRole::Manager,
                nodes: vec![node],
                services: vec![web, agent],
                tasks: vec![task],
                ..SwarmState::default()
            },
        );
        (all, key)
    }

    fn pid() -> PlanId {
        PlanId("p".into())
    }

    #[test]
    fn scale_is_one_manager_update_and_refuses_a_global_service() {
        let (all, key) = swarm();
        let plan = scale(&all, &key, 4, 50, pid(), Origin::Keystroke).unwrap();
        assert_eq!(plan.title, "scale shop/web to 4 replicas");
        assert_eq!(plan.steps[0].op, Operation::ScaleService { replicas: 4 });
        assert_eq!(plan.steps[0].describe(), "scale shop_web to 4 replicas");
        assert!(scale(&all, &key, 2, 50, pid(), Origin::Keystroke)
            .unwrap()
            .steps
            .is_empty());
        let agent = all.find("shop/agent", None).unwrap();
        let e = scale(&all, &agent, 3, 50, pid(), Origin::Keystroke).unwrap_err();
        assert_eq!(
            e.0,
            "shop/agent on m is a global service: it runs one task on every eligible node and cannot be scaled"
        );
        let e = scale(&all, &key, 51, 50, pid(), Origin::Keystroke).unwrap_err();
        assert!(e.0.contains("more than the limit of 50"), "{e}");
    }

    #[test]
    fn an_update_waits_for_the_manager_and_a_drain_says_where_tasks_go() {
        let (all, key) = swarm();
        let plan = update(&all, &key, "img:2", 60, pid(), Origin::CommandLine).unwrap();
        let ops: Vec<&Operation> = plan.steps.iter().map(|s| &s.op).collect();
        assert_eq!(
            ops,
            [
                &Operation::UpdateService {
                    image: "img:2".into()
                },
                &Operation::WaitServiceUpdate {
                    timeout_secs: 60,
                    rollback: false
                }
            ]
        );
        assert!(update(&all, &key, "img:1", 60, pid(), Origin::CommandLine)
            .unwrap()
            .steps
            .is_empty());
        let node = all.get("m").unwrap().nodes[0].clone();
        let drain = node_availability("m", &node, "drain", pid(), Origin::Keystroke).unwrap();
        assert_eq!(drain.title, "drain node vm");
        assert_eq!(
            warnings(&drain, &all),
            ["1 tasks run there and no other node takes tasks: they will wait, pending"]
        );
        assert!(node_availability("m", &node, "sideways", pid(), Origin::Keystroke).is_err());
        let gone = SwarmServiceKey {
            endpoint: "m".into(),
            id: "x".into(),
            name: "shop_gone".into(),
        };
        assert!(rollback(&all, &gone, 60, pid(), Origin::Keystroke).is_err());
    }
}
