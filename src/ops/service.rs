//! Plans for compose services, built from what the inventory knows: scale to N, change limits,
//! replace the replicas with a new image (or afresh) in batches, restart the unhealthy ones.
//! Pure: the same plan whether the console or a headless command asks, and tested without an
//! engine. Each plan is checked before it is shown, so bad input is refused with a message that
//! names the service, the endpoint and the field, before anything is touched.
//!
//! The rules, and where they differ from Compose on purpose:
//! - **Scale** counts every replica, running or not, as Compose does. Up: new replicas copy the
//!   lowest-numbered one and take the numbers after the highest, named in the convention the
//!   service's replicas already use (`shop-web-3` or `shop_web_3`); they are created, then
//!   started. Down: the highest numbers go first, stopped (with their own grace period) before
//!   any is removed, so that a failure leaves every replica as it was. A later `compose up -d`
//!   keeps them with `--scale web=N`; without it Compose returns the service to the file's count.
//! - **Limits** go live through the engine's update call, on one container or every replica.
//!   Memory is checked against what each container uses now; swap keeps its relation to memory
//!   (twice, none, unlimited, or as given), since the engine refuses memory above the swap limit.
//! - **Rolling replacement** goes batch by batch. With surge, a new replica (named
//!   `<shortid>_<name>` meanwhile, as Compose names one it recreates) starts and must be healthy
//!   before the old one stops; without, the old one stops first. The old containers are kept,
//!   stopped and renamed, until every batch has passed its health gate, then removed: until
//!   then a failure or a cancel puts every old replica back exactly as it was.
//! - **Restart unhealthy** restarts one at a time, each waiting to be healthy again before the
//!   next, so the service never loses two at once.

use std::collections::HashMap;

use super::plan::{LimitUpdate, OnFailure, Operation, Origin, Plan, PlanId, Scope, Step, Target};
use crate::app::inventory::Inventory;
use crate::app::model::{Container, ContainerKey, Health, RunState, ServiceKey};
use crate::app::usage::{human_bytes, UsageEntry};

/// Replicas a scale may reach unless the configuration says otherwise.
pub const DEFAULT_MAX_REPLICAS: u32 = 50;
/// How long a new replica may take to become healthy.
pub const DEFAULT_HEALTH_TIMEOUT_SECS: u64 = 120;
/// How long a replica without a health check must stay up to count as healthy.
pub const DEFAULT_SETTLE_SECS: u64 = 5;

/// Why a plan cannot be made. The message names the service (or container), the endpoint and
/// the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError(pub String);

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlanError {}

fn err<T>(message: impl Into<String>) -> Result<T, PlanError> {
    Err(PlanError(message.into()))
}

/// The replicas of a service (not one-off `compose run` containers), by container number.
pub fn replicas<'a>(inv: &'a Inventory, service: &ServiceKey) -> Vec<&'a Container> {
    let mut out: Vec<&Container> = inv
        .iter()
        .map(|(_, c)| c)
        .filter(|c| c.key.endpoint == service.endpoint)
        .filter(|c| c.project() == Some(&service.project) && c.service() == Some(&service.service))
        .filter(|c| {
            c.labels
                .get("com.docker.compose.oneoff")
                .is_none_or(|v| !v.eq_ignore_ascii_case("true"))
        })
        .collect();
    out.sort_by_key(|c| (c.replica_number().unwrap_or(u32::MAX), c.name.clone()));
    out
}

/// Every compose service the inventory knows, sorted.
pub fn services(inv: &Inventory) -> Vec<ServiceKey> {
    let mut all: Vec<ServiceKey> = inv.iter().filter_map(|(_, c)| c.service_key()).collect();
    all.sort();
    all.dedup();
    all
}

/// A service by `project/service` (or a service name alone, when only one project has it),
/// optionally on one endpoint. The error lists close matches.
pub fn find_service(
    inv: &Inventory,
    name: &str,
    endpoint: Option<&str>,
) -> Result<ServiceKey, PlanError> {
    let all: Vec<ServiceKey> = services(inv)
        .into_iter()
        .filter(|s| endpoint.is_none_or(|e| s.endpoint == e))
        .collect();
    let matches: Vec<&ServiceKey> = match name.split_once('/') {
        Some((p, s)) => all
            .iter()
            .filter(|k| k.project == p && k.service == s)
            .collect(),
        None => all.iter().filter(|k| k.service == name).collect(),
    };
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let labels: Vec<String> = all.iter().map(ServiceKey::label).collect();
            let close = close_matches(name, &labels);
            let hint = if close.is_empty() {
                if labels.is_empty() {
                    " (no compose service is running there)".to_owned()
                } else {
                    String::new()
                }
            } else {
                format!("; did you mean {}?", close.join(", "))
            };
            let where_ = endpoint.map(|e| format!(" on {e}")).unwrap_or_default();
            err(format!("no compose service {name:?}{where_}{hint}"))
        }
        many => {
            let places: Vec<String> = many
                .iter()
                .map(|k| format!("{} on {}", k.label(), k.endpoint))
                .collect();
            err(format!(
                "{name:?} names several services: {}; say project/service, and pick the endpoint with -c or -H",
                places.join(", ")
            ))
        }
    }
}

/// Names within a small edit distance (or containing what was typed), best first.
pub fn close_matches(wrong: &str, candidates: &[String]) -> Vec<String> {
    let mut scored: Vec<(usize, &String)> = candidates
        .iter()
        .filter_map(|c| {
            let d = distance(wrong, c);
            let contains = c.contains(wrong) || wrong.contains(c.as_str());
            (d <= (wrong.chars().count() / 3).max(2) || contains).then_some((d, c))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, c)| c.clone()).collect()
}

fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// How the service's replicas are named: `project-service-N` (Compose 2) or
/// `project_service_N` (Compose 1); a service with neither gets Compose 2's.
fn replica_name(service: &ServiceKey, existing: &[&Container], number: u32) -> String {
    let v1 = existing.iter().any(|c| {
        c.replica_number()
            .is_some_and(|n| c.name == format!("{}_{}_{n}", service.project, service.service))
    });
    let sep = if v1 { '_' } else { '-' };
    format!("{}{sep}{}{sep}{number}", service.project, service.service)
}

fn on(service: &ServiceKey) -> String {
    format!("{} on {}", service.label(), service.endpoint)
}

fn target(c: &Container) -> Target {
    Target::container(&c.key, &c.name)
}

/// Scales `service` to `to` replicas.
pub fn scale(
    inv: &Inventory,
    service: &ServiceKey,
    to: u32,
    max_replicas: u32,
    id: PlanId,
    origin: Origin,
) -> Result<Plan, PlanError> {
    let current = replicas(inv, service);
    let from = current.len() as u32;
    if to > max_replicas {
        return err(format!(
            "{}: {to} replicas is above max_replicas ({max_replicas}); raise it in config.toml to go higher",
            on(service)
        ));
    }
    let mut steps = Vec::new();
    if to > from {
        let Some(template) = current
            .iter()
            .find(|c| c.state == RunState::Running)
            .or(current.first())
        else {
            return err(format!(
                "{}: no replica to copy from (start one with compose first)",
                on(service)
            ));
        };
        if let Some(port) = template.fixed_host_ports.first() {
            return err(format!(
                "{}: {} publishes host port {port}, which a second replica cannot bind; \
                 publish it without a host port (\"{port}\" → \"::{port}\") to scale",
                on(service),
                template.name
            ));
        }
        // After the highest number in use, by label or by name (a replica whose labels lack
        // the number still holds its name), and never a name another container has.
        let trailing = |c: &&Container| c.name.rsplit(['-', '_']).next()?.parse::<u32>().ok();
        let highest = current
            .iter()
            .filter_map(|c| c.replica_number().max(trailing(c)))
            .max()
            .unwrap_or(0);
        let taken = |name: &str| {
            inv.iter()
                .any(|(_, c)| c.key.endpoint == service.endpoint && c.name == name)
        };
        let mut new: Vec<(u32, String)> = Vec::new();
        let mut n = highest;
        while new.len() < (to - from) as usize {
            n += 1;
            let name = replica_name(service, &current, n);
            if !taken(&name) {
                new.push((n, name));
            }
        }
        for (number, name) in &new {
            let made = Target::named(&service.endpoint, name);
            steps.push(
                Step::new(
                    made.clone(),
                    Operation::CreateReplica {
                        from: template.key.id.clone(),
                        copy_of: template.name.clone(),
                        number: *number,
                        replica_name: name.clone(),
                        image: None,
                    },
                )
                .undone_by(Step::new(
                    made,
                    Operation::Remove {
                        volumes: true,
                        force: true,
                    },
                )),
            );
        }
        for (_, name) in &new {
            steps.push(Step::new(
                Target::named(&service.endpoint, name),
                Operation::Start,
            ));
        }
    } else if to < from {
        // Highest numbers first; stopped before any is removed, so a failure can start them
        // again and nothing is lost.
        let mut victims: Vec<&Container> = current.clone();
        victims.sort_by_key(|c| std::cmp::Reverse(c.replica_number().unwrap_or(0)));
        victims.truncate((from - to) as usize);
        for c in &victims {
            if c.state.is_alive() {
                steps.push(
                    Step::new(target(c), Operation::Stop)
                        .undone_by(Step::new(target(c), Operation::Start)),
                );
            }
        }
        for c in &victims {
            steps.push(
                Step::new(
                    target(c),
                    Operation::Remove {
                        volumes: false,
                        force: false,
                    },
                )
                .committing(),
            );
        }
    }
    Ok(Plan {
        id,
        title: format!("scale {} from {from} to {to}", on(service)),
        origin,
        steps,
        on_failure: OnFailure::RollBack,
        scope: Scope::service(service),
    })
}

/// What the operator asks of the limits; `None` leaves a limit as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LimitChange {
    pub cpus: Option<f64>,
    pub memory: Option<u64>,
    /// Memory plus swap: a size, or `-1` for unlimited swap; derived when not given.
    pub memory_swap: Option<i64>,
    pub memory_reservation: Option<u64>,
    pub pids: Option<i64>,
    /// A restart policy (`unless-stopped`, `on-failure:3`), changed with the limits.
    pub restart: Option<String>,
}

impl LimitChange {
    pub fn is_empty(&self) -> bool {
        *self == LimitChange::default()
    }
}

/// Changes the limits of `targets` (one container, or a service's replicas), live.
pub fn limits(
    targets: &[&Container],
    usage: &HashMap<ContainerKey, UsageEntry>,
    change: &LimitChange,
    subject: &str,
    scope: Scope,
    id: PlanId,
    origin: Origin,
) -> Result<Plan, PlanError> {
    if change.is_empty() {
        return err(format!(
            "{subject}: nothing to change; give --cpus, --memory, --memory-reservation, --pids or --restart"
        ));
    }
    if targets.is_empty() {
        return err(format!("{subject}: no container to change"));
    }
    if let Some(c) = change.cpus {
        if !(c.is_finite() && c > 0.0) {
            return err(format!("{subject}: cpus must be above 0 (got {c})"));
        }
    }
    if let Some(r) = &change.restart {
        crate::ops::plan::RestartPolicy::parse(r)
            .map_err(|e| PlanError(format!("{subject}: {e}")))?;
    }
    if let Some(p) = change.pids {
        if p == 0 || p < -1 {
            return err(format!(
                "{subject}: pids must be a positive count, or -1 for no limit (got {p})"
            ));
        }
    }
    let mut steps = Vec::new();
    for c in targets {
        let (update, undo) = limit_update(c, usage.get(&c.key), change)?;
        let mut step = Step::new(target(c), Operation::UpdateLimits { limits: update });
        if let Some(undo) = undo {
            step = step.undone_by(Step::new(
                target(c),
                Operation::UpdateLimits { limits: undo },
            ));
        }
        steps.push(step);
    }
    let what = LimitUpdate {
        nano_cpus: change.cpus.map(|c| (c * 1e9).round() as i64),
        memory: change.memory.map(|m| m as i64),
        memory_reservation: change.memory_reservation.map(|m| m as i64),
        pids: change.pids,
        restart: change.restart.clone(),
        ..LimitUpdate::default()
    }
    .describe();
    Ok(Plan {
        id,
        title: format!("set limits of {subject}: {what}"),
        origin,
        steps,
        on_failure: OnFailure::RollBack,
        scope,
    })
}

/// One container's update, checked against what it uses now, and the update that puts back
/// what it had (where the engine can: a limit that was unset cannot be unset again).
fn limit_update(
    c: &Container,
    usage: Option<&UsageEntry>,
    change: &LimitChange,
) -> Result<(LimitUpdate, Option<LimitUpdate>), PlanError> {
    let l = &c.limits;
    let name = format!("{} on {}", c.name, c.key.endpoint);
    let latest = usage.and_then(|u| u.latest.as_ref());
    let mut up = LimitUpdate::default();
    let mut undo = LimitUpdate::default();
    let mut undoable = true;
    if let Some(cpus) = change.cpus {
        // A container limited by quota and period keeps that style: the engine refuses a mix.
        match (l.cpu_quota_us, l.nano_cpus) {
            (Some(q), None) => {
                let period = l.cpu_period_us.unwrap_or(100_000);
                up.cpu_quota = Some((cpus * period as f64).round() as i64);
                up.cpu_period = Some(period);
                undo.cpu_quota = Some(q);
                undo.cpu_period = Some(period);
            }
            (_, previous) => {
                up.nano_cpus = Some((cpus * 1e9).round() as i64);
                match previous {
                    Some(n) => undo.nano_cpus = Some(n),
                    None => undoable = false,
                }
            }
        }
    }
    let memory = change.memory.or(l.memory);
    if let Some(m) = change.memory {
        if let Some(ws) = latest.and_then(|u| u.memory_working_set) {
            if m <= ws {
                return err(format!(
                    "{name}: memory {} is below what it uses now ({})",
                    human_bytes(m),
                    human_bytes(ws)
                ));
            }
        }
        up.memory = Some(m as i64);
        let swap = match (change.memory_swap, l.memory_swap, l.memory) {
            (Some(s), _, _) => s,
            (None, Some(-1), _) => -1,
            // Twice the memory is what the engine gives a container made with -m alone.
            (None, Some(s), Some(old)) if s == 2 * old as i64 => 2 * m as i64,
            // No swap at all (`--memory-swap` equal to `-m`) stays so.
            (None, Some(s), Some(old)) if s == old as i64 => m as i64,
            (None, Some(s), _) if s >= m as i64 => s,
            (None, Some(s), _) => {
                return err(format!(
                "{name}: memory {} is above its swap limit {}; give the swap too (--memory-swap)",
                human_bytes(m),
                human_bytes(s as u64)
            ))
            }
            (None, None, _) => 2 * m as i64,
        };
        if swap != -1 && swap < m as i64 {
            return err(format!(
                "{name}: swap {} must be at least the memory {}",
                human_bytes(swap as u64),
                human_bytes(m)
            ));
        }
        up.memory_swap = Some(swap);
        match (l.memory, l.memory_swap) {
            (Some(old), Some(old_swap)) => {
                undo.memory = Some(old as i64);
                undo.memory_swap = Some(old_swap);
            }
            _ => undoable = false,
        }
    }
    if let Some(r) = change.memory_reservation {
        if let Some(m) = memory {
            if r > m {
                return err(format!(
                    "{name}: memory reservation {} is above the memory limit {}",
                    human_bytes(r),
                    human_bytes(m)
                ));
            }
        }
        up.memory_reservation = Some(r as i64);
        match l.memory_reservation {
            Some(old) => undo.memory_reservation = Some(old as i64),
            None => undoable = false,
        }
    }
    if let Some(p) = change.pids {
        if let Some(now) = latest.and_then(|u| u.pids) {
            if p > 0 && (p as u64) < now {
                return err(format!(
                    "{name}: pids {p} is below the {now} processes it runs now"
                ));
            }
        }
        up.pids = Some(p);
        undo.pids = Some(l.pids.unwrap_or(-1));
    }
    if let Some(r) = &change.restart {
        up.restart = Some(r.trim().to_owned());
        undo.restart = Some(c.restart_policy.clone().unwrap_or_else(|| "no".into()));
    }
    Ok((up, undoable.then_some(undo)))
}

/// How a rolling replacement goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutSpec {
    /// The new image; `None` re-creates the replicas on the image they run.
    pub image: Option<String>,
    /// New replicas started ahead of the old ones going (per batch).
    pub max_surge: u32,
    /// Replicas that may be down at once when there is no surge.
    pub max_unavailable: u32,
    pub health_timeout_secs: u64,
    pub settle_secs: u64,
}

impl Default for RolloutSpec {
    fn default() -> Self {
        RolloutSpec {
            image: None,
            max_surge: 1,
            max_unavailable: 0,
            health_timeout_secs: DEFAULT_HEALTH_TIMEOUT_SECS,
            settle_secs: DEFAULT_SETTLE_SECS,
        }
    }
}

/// Replaces every replica of `service`, batch by batch (see the module's rules).
pub fn rollout(
    inv: &Inventory,
    service: &ServiceKey,
    spec: &RolloutSpec,
    id: PlanId,
    origin: Origin,
) -> Result<Plan, PlanError> {
    replace(service, &replicas(inv, service), spec, id, origin)
}

/// Replaces `current`, some or all replicas of `service` (a canary's promotion replaces the
/// stable ones only), batch by batch: the plan [`rollout`] makes.
pub fn replace(
    service: &ServiceKey,
    current: &[&Container],
    spec: &RolloutSpec,
    id: PlanId,
    origin: Origin,
) -> Result<Plan, PlanError> {
    if current.is_empty() {
        return err(format!("{}: no replica to replace", on(service)));
    }
    if spec.max_surge == 0 && spec.max_unavailable == 0 {
        return err(format!(
            "{}: max surge and max unavailable cannot both be 0: nothing could ever be replaced",
            on(service)
        ));
    }
    if spec.image.as_deref().is_some_and(|i| i.trim().is_empty()) {
        return err(format!("{}: the image is empty", on(service)));
    }
    if spec.max_surge > 0 {
        if let Some((c, port)) = current
            .iter()
            .find_map(|c| c.fixed_host_ports.first().map(|p| (c, p)))
        {
            return err(format!(
                "{}: {} publishes host port {port}, which a new replica cannot bind while the old \
                 one runs; use max surge 0 (with max unavailable 1 or more)",
                on(service),
                c.name
            ));
        }
    }
    let image = spec.image.clone();
    let endpoint = service.endpoint.as_str();
    let gate = Operation::WaitHealthy {
        timeout_secs: spec.health_timeout_secs,
        settle_secs: spec.settle_secs,
    };
    let seq = id.0.rsplit('-').next().unwrap_or("0").to_owned();
    let mut steps = Vec::new();
    if let Some(image) = &image {
        steps.push(Step::new(
            Target::Image {
                endpoint: endpoint.to_owned(),
                image: image.clone(),
            },
            Operation::CheckImage,
        ));
    }
    let batch = if spec.max_surge > 0 {
        spec.max_surge
    } else {
        spec.max_unavailable
    } as usize;
    let mut retired = Vec::new();
    for chunk in current.chunks(batch.max(1)) {
        let parts: Vec<Parts> = chunk
            .iter()
            .map(|c| Parts {
                old: target(c),
                name: c.name.clone(),
                from: c.key.id.clone(),
                number: c.replica_number().unwrap_or(0),
                alive: c.state.is_alive(),
                staging: format!("{}_{}", crate::text::short_id(&c.key.id), c.name),
                retired: format!("{}_replaced_{seq}", c.name),
            })
            .collect();
        if spec.max_surge > 0 {
            for p in &parts {
                steps.push(create(endpoint, &p.staging, p, &image));
            }
            for p in &parts {
                steps.push(Step::new(
                    Target::named(endpoint, &p.staging),
                    Operation::Start,
                ));
            }
            for p in &parts {
                steps.push(Step::new(Target::named(endpoint, &p.staging), gate.clone()));
            }
            for p in &parts {
                steps.extend(retire(p));
            }
            for p in &parts {
                steps.push(
                    Step::new(
                        Target::named(endpoint, &p.staging),
                        Operation::Rename { to: p.name.clone() },
                    )
                    .undone_by(Step::new(
                        Target::named(endpoint, &p.name),
                        Operation::Rename {
                            to: p.staging.clone(),
                        },
                    )),
                );
            }
        } else {
            for p in &parts {
                steps.extend(retire(p));
            }
            for p in &parts {
                steps.push(create(endpoint, &p.name, p, &image));
            }
            for p in &parts {
                steps.push(Step::new(
                    Target::named(endpoint, &p.name),
                    Operation::Start,
                ));
            }
            for p in &parts {
                steps.push(Step::new(Target::named(endpoint, &p.name), gate.clone()));
            }
        }
        retired.extend(parts);
    }
    // Every batch passed: the old containers go, and only now (nothing to put back after this).
    for p in &retired {
        steps.push(
            Step::new(
                p.retired_target(),
                Operation::Remove {
                    volumes: false,
                    force: true,
                },
            )
            .committing(),
        );
    }
    let what = match &image {
        Some(i) => format!("to {i}"),
        None => "afresh".into(),
    };
    Ok(Plan {
        id,
        title: format!(
            "replace the {} replicas of {} {what} (surge {}, unavailable {})",
            current.len(),
            on(service),
            spec.max_surge,
            spec.max_unavailable
        ),
        origin,
        steps,
        on_failure: OnFailure::RollBack,
        scope: Scope::service(service),
    })
}

/// One old replica in a rollout, and the names it passes through.
struct Parts {
    old: Target,
    name: String,
    from: String,
    number: u32,
    alive: bool,
    /// The new replica's name while the old one still has the real one.
    staging: String,
    /// The old replica's name once replaced, until it is removed.
    retired: String,
}

fn create(endpoint: &str, name: &str, p: &Parts, image: &Option<String>) -> Step {
    let made = Target::named(endpoint, name);
    Step::new(
        made.clone(),
        Operation::CreateReplica {
            from: p.from.clone(),
            copy_of: p.name.clone(),
            number: p.number,
            replica_name: p.name.clone(),
            image: image.clone(),
        },
    )
    .undone_by(Step::new(
        made,
        Operation::Remove {
            volumes: true,
            force: true,
        },
    ))
}

/// Stops the old replica (if it runs) and moves it out of the way of its successor's name.
fn retire(p: &Parts) -> Vec<Step> {
    let mut steps = Vec::new();
    if p.alive {
        steps.push(
            Step::new(p.old.clone(), Operation::Stop)
                .undone_by(Step::new(p.old.clone(), Operation::Start)),
        );
    }
    steps.push(
        Step::new(
            p.old.clone(),
            Operation::Rename {
                to: p.retired.clone(),
            },
        )
        .undone_by(Step::new(
            p.retired_target(),
            Operation::Rename { to: p.name.clone() },
        )),
    );
    steps
}

impl Parts {
    /// The old replica under its retired name (the engine is told its id either way).
    fn retired_target(&self) -> Target {
        match &self.old {
            Target::Container { endpoint, id, .. } => Target::Container {
                endpoint: endpoint.clone(),
                id: id.clone(),
                name: self.retired.clone(),
            },
            other => other.clone(),
        }
    }
}

/// Restarts the unhealthy replicas of `service` one at a time, each healthy again before the
/// next.
pub fn restart_unhealthy(
    inv: &Inventory,
    service: &ServiceKey,
    health_timeout_secs: u64,
    id: PlanId,
    origin: Origin,
) -> Result<Plan, PlanError> {
    let current = replicas(inv, service);
    if current.is_empty() {
        return err(format!("{}: no replica", on(service)));
    }
    let sick: Vec<&Container> = current
        .into_iter()
        .filter(|c| c.health == Health::Unhealthy)
        .collect();
    let mut steps = Vec::new();
    for c in &sick {
        steps.push(Step::new(target(c), Operation::Restart));
        steps.push(Step::new(
            target(c),
            Operation::WaitHealthy {
                timeout_secs: health_timeout_secs,
                settle_secs: DEFAULT_SETTLE_SECS,
            },
        ));
    }
    Ok(Plan {
        id,
        title: format!(
            "restart the {} unhealthy replicas of {}",
            sick.len(),
            on(service)
        ),
        origin,
        steps,
        on_failure: OnFailure::Stop,
        scope: Scope::service(service),
    })
}

#[cfg(test)]
mod tests;
