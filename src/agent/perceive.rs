//! What the agent sees: per service (compose, or a replicated Swarm service) and per
//! container, the signals its decisions read, smoothed and windowed. Built from the App's
//! state alone (inventory, usage, the managers' Swarm state), one pass per
//! tick and only over samples that are new since the last pass: no engine calls, and a tick
//! costs the same whether a container was sampled once or not at all since.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::policy::{Policies, Policy};
use super::signal::{Ewma, Window};
use crate::app::model::{Container, ContainerKey, Health, RunState, ServiceKey};
use crate::app::swarm::{SwarmService, SwarmServiceKey, Swarms};
use crate::app::usage::UsageEntry;

/// A container's CPU and memory windows keep one point, the peak, per this long: minutes of
/// history in about a kilobyte a container.
const BUCKET: Duration = Duration::from_secs(5);

/// How long a container's windows keep points for a policy window of `span`: a bucket or two
/// more, so that the window can be seen whole (points are a bucket apart, not a second).
pub(crate) fn kept_for(span: Duration) -> Duration {
    span + 2 * BUCKET
}

/// The engine's health-check interval when the check does not set one.
const DEFAULT_PROBE_INTERVAL_SECS: f64 = 30.0;

/// Seconds since the epoch, as the windows count time.
pub fn secs(at: DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64 / 1000.0
}

/// One container's signals.
#[derive(Debug, Clone, Default)]
pub struct ContainerSignals {
    pub name: String,
    pub service: Option<ServiceKey>,
    pub running: bool,
    /// Cores in use, and the working set in bytes, over the longest window a policy needs: the
    /// peak of each [`BUCKET`].
    pub cpu_cores: Window<f32>,
    pub memory: Window<f64>,
    pub throttled: Ewma,
    pub cpu_limit: Option<f64>,
    pub memory_limit: Option<u64>,
    /// OOM kills: the kernel's count (cgroup v2's memory.events, or v1's oom_control) at the
    /// first sample and now, and whether the engine says the last run ended in one.
    pub oom_kills_first: Option<u64>,
    pub oom_kills: Option<u64>,
    pub oom_killed: bool,
    /// When an OOM kill was last seen (a count that went up, or the engine's flag).
    pub oom_seen_at: Option<f64>,
    pub restarts: Option<u64>,
    /// The network as last measured: retransmitted share of sent segments, the established
    /// sockets' RTT p95, and drops and interface errors new since the sample before.
    pub retransmit_percent: Option<f64>,
    pub rtt_p95_ms: Option<f64>,
    pub new_drops: Option<u64>,
    pub health: Health,
    /// Probes failed in a row as last inspected, and since when it has been unhealthy: probes
    /// raise no events, so the streak goes on by the check's interval while it stays so.
    pub failing_streak: Option<i64>,
    pub unhealthy_since: Option<f64>,
    pub probe_interval_secs: f64,
    /// The latest sample's time, so that one sample counts once.
    pub(crate) last_sample: Option<DateTime<Utc>>,
}

impl ContainerSignals {
    /// Probes failed in a row by now: as inspected, plus one an interval while unhealthy.
    pub fn streak(&self, now: f64) -> i64 {
        let seen = self.failing_streak.unwrap_or(0);
        match (self.health, self.unhealthy_since) {
            (Health::Unhealthy, Some(since)) if self.probe_interval_secs > 0.0 => {
                let more = ((now - since) / self.probe_interval_secs).floor().max(0.0) as i64;
                seen.max(0) + more
            }
            _ => seen,
        }
    }

    /// Whether an OOM kill happened within `within` of `now`.
    pub fn oom_recent(&self, now: f64, within: Duration) -> bool {
        self.oom_seen_at
            .is_some_and(|at| now - at <= within.as_secs_f64())
    }
}

/// One compose service's signals.
#[derive(Debug, Clone, Default)]
pub struct ServiceSignals {
    /// Every replica, running or not (what a scale counts), and the running ones.
    pub replicas: u32,
    pub running: u32,
    /// The replicas' CPU and memory limits when they agree; `limits_differ` when they do not.
    pub cpu_limit: Option<f64>,
    pub memory_limit: Option<u64>,
    pub limits_differ: bool,
    /// The running replicas' mean CPU in per cent of their limit: smoothed, and the smoothed
    /// value per pass over the window (what stabilisation and the trend read).
    pub cpu_of_limit: Ewma,
    pub cpu_history: Window<f32>,
    /// When the replica count or the limits last changed (the cooldown runs from there).
    pub changed_at: f64,
    pub first_seen: f64,
    /// The Swarm service it is (scaled through its manager), or None for a compose service.
    pub swarm: Option<SwarmServiceKey>,
    /// Replicas in the last pass, to notice a change.
    pub(crate) seen_shape: (u32, Option<u64>, Option<u64>),
}

/// A service's signals in the JSON an advisor or `agent --json` reads.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServiceSnapshot {
    pub endpoint: String,
    pub project: String,
    pub service: String,
    pub replicas: u32,
    pub running: u32,
    pub cpu_limit: Option<f64>,
    pub memory_limit: Option<u64>,
    pub cpu_percent_of_limit: Option<f64>,
    pub history_secs: f64,
}

/// A container's signals in the JSON an advisor reads: the newest point of its windows (the
/// peak of the last few seconds) and what the engine records.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ContainerSnapshot {
    pub endpoint: String,
    pub id: String,
    pub name: String,
    /// `project/service` when it is a compose replica.
    pub service: Option<String>,
    pub running: bool,
    pub health: Health,
    pub failing_streak: i64,
    pub cpu_cores: Option<f32>,
    pub cpu_limit: Option<f64>,
    pub memory_bytes: Option<u64>,
    pub memory_limit: Option<u64>,
    /// Smoothed share of CFS periods throttled, in per cent.
    pub throttled_percent: Option<f64>,
    pub oom_kills: Option<u64>,
    pub oom_killed: bool,
    pub restarts: Option<u64>,
    pub retransmit_percent: Option<f64>,
    pub rtt_p95_ms: Option<f64>,
    /// Packets dropped and interface errors since the sample before.
    pub new_drops: Option<u64>,
}

/// A canary rollout's standing, as the canary view has it: where the state machine is, and
/// what its gates said.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolloutSignals {
    pub name: String,
    pub service: ServiceKey,
    #[serde(flatten)]
    pub phase: crate::canary::state::Phase,
    /// The step it waits at, of how many.
    pub step: usize,
    pub steps: usize,
    pub weight: u32,
    pub suspended: bool,
    /// Who moves it: this console (it holds the lock), nobody (a headless watch: a change is
    /// made under the lock later), or another process.
    pub driver: Drive,
    /// Its file aborts by itself when the budget is spent: then there is nothing to propose.
    pub auto_abort: bool,
    /// Since when every verdict has passed (seconds since the epoch).
    pub passing_since: Option<f64>,
    pub failed_in_a_row: u32,
    pub budget: u32,
    /// The failing checks of the last verdict, in words.
    pub failing: Option<String>,
    /// Through its router over the last verdict's span: requests a second on each side, and
    /// the share of them that failed.
    pub stable_rps: Option<f64>,
    pub canary_rps: Option<f64>,
    pub stable_error_percent: Option<f64>,
    pub canary_error_percent: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Drive {
    Here,
    Nobody,
    Elsewhere,
}

impl RolloutSignals {
    /// From the canary view's rollout; None while its service is not in the inventory.
    pub fn of(
        view: &crate::app::canary::RolloutView,
        inventory: &crate::app::inventory::Inventory,
    ) -> Option<RolloutSignals> {
        let service =
            crate::ops::service::find_service(inventory, &view.spec.service, None).ok()?;
        type Sides = (
            crate::canary::traffic::Window,
            crate::canary::traffic::Window,
        );
        let rate = |side: fn(&Sides) -> u64| {
            let (s, c, secs) = view.window?;
            (secs > 0.0).then(|| side(&(s, c)) as f64 / secs)
        };
        Some(RolloutSignals {
            name: view.spec.name.clone(),
            service,
            phase: view.state.phase.clone(),
            step: view.state.step,
            steps: view.spec.steps.len(),
            weight: view.state.weight,
            suspended: view.state.suspended,
            driver: match view.driving {
                crate::app::canary::Driving::Here => Drive::Here,
                crate::app::canary::Driving::Nobody => Drive::Nobody,
                _ => Drive::Elsewhere,
            },
            auto_abort: view.spec.auto_abort,
            passing_since: view.passing_since.map(secs),
            failed_in_a_row: view.failed_in_a_row,
            budget: view.spec.gates.budget,
            failing: view.failing(),
            stable_rps: rate(|(s, _)| s.requests),
            canary_rps: rate(|(_, c)| c.requests),
            stable_error_percent: view.window.and_then(|(s, _, _)| s.error_percent()),
            canary_error_percent: view.window.and_then(|(_, c, _)| c.error_percent()),
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct Perception {
    pub services: BTreeMap<ServiceKey, ServiceSignals>,
    pub containers: HashMap<ContainerKey, ContainerSignals>,
    /// The canary rollouts, by name.
    pub rollouts: BTreeMap<String, RolloutSignals>,
    /// Time of the last pass.
    pub now: f64,
}

impl Perception {
    /// One pass over the inventory and the samples new since the last one.
    pub fn observe<'a>(
        &mut self,
        containers: impl Iterator<Item = &'a Container>,
        usage: &HashMap<ContainerKey, UsageEntry>,
        swarms: &Swarms,
        policies: &Policies,
        now: DateTime<Utc>,
    ) {
        // Replicated Swarm services by id, as their managers know them: a task's container is a
        // replica of its service, counted and scaled through the manager.
        let swarm: HashMap<&str, (ServiceKey, &SwarmService)> = swarms
            .services()
            .filter(|(_, svc)| !svc.global)
            .map(|(_, svc)| (svc.key.id.as_str(), (swarm_service_key(svc), svc)))
            .collect();
        let swarm_by_key: HashMap<&ServiceKey, &SwarmService> =
            swarm.values().map(|(k, svc)| (k, *svc)).collect();
        let now_s = secs(now);
        self.now = now_s;
        let span = longest_span(policies);
        let mut present: HashSet<&ContainerKey> = HashSet::new();
        // Per service: replicas, running, sum of % of limit and how many had one, limits.
        struct Tally {
            replicas: u32,
            running: u32,
            cpu_sum: f64,
            cpu_n: u32,
            newest: Option<DateTime<Utc>>,
            /// The latest a replica started: a service first seen was last changed then.
            started: Option<DateTime<Utc>>,
            cpu_limits: Vec<Option<f64>>,
            mem_limits: Vec<Option<u64>>,
        }
        let mut tallies: BTreeMap<ServiceKey, Tally> = BTreeMap::new();
        for c in containers {
            if c.labels
                .get("com.docker.compose.oneoff")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            {
                continue;
            }
            present.insert(&c.key);
            let s = self.containers.entry(c.key.clone()).or_default();
            if s.name != c.name {
                s.name.clone_from(&c.name);
            }
            if s.service.is_none() {
                s.service = c
                    .service_key()
                    .or_else(|| {
                        let (key, _) = swarm.get(c.swarm_service_id()?)?;
                        Some(key.clone())
                    })
                    .or_else(|| {
                        // Outside any service, a label group may gather it; a Swarm task is
                        // its service's even before its manager has said what that is.
                        if c.swarm_service_id().is_some() {
                            return None;
                        }
                        let g = policies
                            .groups
                            .iter()
                            .find(|g| g.selector.matches(&c.labels))?;
                        Some(ServiceKey::group(&c.key.endpoint, &g.name))
                    });
            }
            s.running = c.state == RunState::Running;
            if c.health != Health::Unhealthy {
                s.unhealthy_since = None;
            } else if s.unhealthy_since.is_none() || c.failing_streak != s.failing_streak {
                // Counted on from the latest inspect's streak.
                s.unhealthy_since = Some(now_s);
            }
            s.health = c.health;
            s.failing_streak = c.failing_streak;
            s.probe_interval_secs = c
                .health_check
                .as_ref()
                .and_then(|h| h.interval_ns)
                .filter(|n| *n > 0)
                .map_or(DEFAULT_PROBE_INTERVAL_SECS, |n| n as f64 / 1e9);
            s.restarts = c.restart_count;
            if c.oom_killed && !s.oom_killed {
                s.oom_seen_at = Some(now_s);
            }
            s.oom_killed = c.oom_killed;
            let entry = usage.get(&c.key);
            let latest = entry.and_then(|e| e.latest.as_ref());
            let fresh = entry
                .and_then(|e| e.sampled_at)
                .filter(|at| Some(*at) != s.last_sample);
            if let (Some(at), Some(u)) = (fresh, latest) {
                s.last_sample = Some(at);
                let t = secs(at);
                let kept = kept_for(span);
                if let Some(p) = u.cpu_percent {
                    s.cpu_cores.push_peak(t, (p / 100.0) as f32, kept, BUCKET);
                }
                if let Some(ws) = u.memory_working_set {
                    s.memory.push_peak(t, ws as f64, kept, BUCKET);
                }
                s.retransmit_percent = u.tcp_retransmit_percent;
                s.rtt_p95_ms = u
                    .tcp_sockets
                    .as_ref()
                    .and_then(|t| t.rtt_p95_us)
                    .map(|us| f64::from(us) / 1000.0);
                s.new_drops = match (u.net_new_drops, u.net_new_errors) {
                    (None, None) => None,
                    (d, e) => Some(d.unwrap_or(0) + e.unwrap_or(0)),
                };
                if let Some(th) = u.throttled_percent {
                    s.throttled.add(th, t, smoothing(policies, &s.service));
                }
                if let Some(k) = u.oom_kills {
                    match s.oom_kills {
                        Some(before) if k > before => s.oom_seen_at = Some(t),
                        // Killed before we looked, in this run: no later than now, no sooner
                        // than its start.
                        None if k > 0 && s.oom_seen_at.is_none() => {
                            s.oom_seen_at = Some(c.started_at.map_or(t, secs));
                        }
                        _ => {}
                    }
                    s.oom_kills_first.get_or_insert(k);
                    s.oom_kills = Some(k);
                }
            }
            s.cpu_limit = latest
                .filter(|u| u.cpu_limit_kind != crate::app::usage::CpuLimitKind::Host)
                .map(|u| u.cpu_limit_cpus)
                .or_else(|| {
                    c.limits
                        .nano_cpus
                        .filter(|n| *n > 0)
                        .map(|n| n as f64 / 1e9)
                });
            s.memory_limit = c.limits.memory_limit();
            let Some(key) = &s.service else { continue };
            let tally = tallies.entry(key.clone()).or_insert(Tally {
                replicas: 0,
                running: 0,
                cpu_sum: 0.0,
                cpu_n: 0,
                newest: None,
                started: None,
                cpu_limits: Vec::new(),
                mem_limits: Vec::new(),
            });
            tally.replicas += 1;
            tally.started = tally.started.max(c.started_at.or(c.created));
            if s.running {
                tally.running += 1;
                tally.cpu_limits.push(s.cpu_limit);
                tally.mem_limits.push(s.memory_limit);
                if let (Some(u), Some(_)) = (latest, s.cpu_limit) {
                    if let Some(p) = u.cpu_percent_of_limit {
                        tally.cpu_sum += p;
                        tally.cpu_n += 1;
                    }
                }
                if let Some(at) = fresh {
                    tally.newest = tally.newest.max(Some(at));
                }
            }
        }
        self.containers.retain(|k, _| present.contains(k));
        self.services.retain(|k, _| tallies.contains_key(k));
        let mut reshaped: Vec<ServiceKey> = Vec::new();
        for (key, t) in tallies {
            let policy = policies.of(&key.project, &key.service);
            let s = self
                .services
                .entry(key.clone())
                .or_insert_with(|| ServiceSignals {
                    // The console starting is no change to the service: its replicas starting is.
                    changed_at: t.started.map_or(now_s, secs).min(now_s),
                    first_seen: now_s,
                    ..ServiceSignals::default()
                });
            s.replicas = t.replicas;
            s.running = t.running;
            // A Swarm service's replicas are the manager's count: its tasks may run on nodes
            // that are not attached, and its ended tasks' containers linger.
            s.swarm = None;
            if let Some(svc) = swarm_by_key.get(&key) {
                s.swarm = Some(svc.key.clone());
                s.replicas = svc.replicas.unwrap_or(0) as u32;
                s.running = svc.running_tasks.map_or(t.running, |r| r as u32);
            }
            let (cpu, cpu_differ) = agreed(&t.cpu_limits);
            let (mem, mem_differ) = agreed(&t.mem_limits);
            s.cpu_limit = cpu;
            s.memory_limit = mem;
            s.limits_differ = cpu_differ || mem_differ;
            let shape = (s.replicas, cpu.map(|c| (c * 1000.0) as u64), mem);
            if shape != s.seen_shape {
                if s.seen_shape != (0, None, None) {
                    // A new shape starts the cooldown, and what was measured before no longer
                    // says how the service behaves now.
                    s.changed_at = now_s;
                    s.cpu_history.clear();
                    s.cpu_of_limit = Ewma::default();
                    if shape.2 != s.seen_shape.2 {
                        reshaped.push(key.clone());
                    }
                }
                s.seen_shape = shape;
            }
            if let (Some(at), true) = (t.newest, t.cpu_n > 0) {
                let mean = t.cpu_sum / f64::from(t.cpu_n);
                let at = secs(at);
                s.cpu_of_limit.add(mean, at, policy.smoothing);
                if let Some(v) = s.cpu_of_limit.value() {
                    s.cpu_history.push(at, v as f32, span);
                }
            }
        }
        // A new memory limit answers the OOM kills before it: only later ones count against them.
        if !reshaped.is_empty() {
            for c in self.containers.values_mut() {
                if c.service.as_ref().is_some_and(|k| reshaped.contains(k)) {
                    c.oom_seen_at = None;
                }
            }
        }
    }

    /// The services as an advisor or `agent --json` reads them.
    pub fn snapshot(&self) -> Vec<ServiceSnapshot> {
        self.services
            .iter()
            .map(|(k, s)| ServiceSnapshot {
                endpoint: k.endpoint.clone(),
                project: k.project.clone(),
                service: k.service.clone(),
                replicas: s.replicas,
                running: s.running,
                cpu_limit: s.cpu_limit,
                memory_limit: s.memory_limit,
                cpu_percent_of_limit: s.cpu_of_limit.value(),
                history_secs: s.cpu_history.covers().as_secs_f64(),
            })
            .collect()
    }

    /// The containers as an advisor reads them, by endpoint and name.
    pub fn containers_snapshot(&self) -> Vec<ContainerSnapshot> {
        let now = self.now;
        let mut out: Vec<ContainerSnapshot> = self
            .containers
            .iter()
            .map(|(k, c)| ContainerSnapshot {
                endpoint: k.endpoint.clone(),
                id: k.id.clone(),
                name: c.name.clone(),
                service: c.service.as_ref().map(ServiceKey::label),
                running: c.running,
                health: c.health,
                failing_streak: c.streak(now),
                cpu_cores: c.cpu_cores.latest(),
                cpu_limit: c.cpu_limit,
                memory_bytes: c.memory.latest().map(|m| m as u64),
                memory_limit: c.memory_limit,
                throttled_percent: c.throttled.value(),
                oom_kills: c.oom_kills,
                oom_killed: c.oom_killed,
                restarts: c.restarts,
                retransmit_percent: c.retransmit_percent,
                rtt_p95_ms: c.rtt_p95_ms,
                new_drops: c.new_drops,
            })
            .collect();
        out.sort_by(|a, b| (&a.endpoint, &a.name).cmp(&(&b.endpoint, &b.name)));
        out
    }
}

/// A Swarm service as the agent names it: its manager's endpoint, its stack (empty without
/// one) and its name within the stack, so that policies name it `stack/service`.
fn swarm_service_key(svc: &SwarmService) -> ServiceKey {
    ServiceKey {
        endpoint: svc.key.endpoint.clone(),
        project: svc.stack.clone().unwrap_or_default(),
        service: svc.short_name().to_owned(),
    }
}

/// The one value all agree on, or None and whether they differ.
fn agreed<T: PartialEq + Copy>(values: &[Option<T>]) -> (Option<T>, bool) {
    let Some(first) = values.first().copied() else {
        return (None, false);
    };
    if values.iter().all(|v| *v == first) {
        (first, false)
    } else {
        (None, true)
    }
}

fn smoothing(policies: &Policies, service: &Option<ServiceKey>) -> Duration {
    match service {
        Some(k) => policies.of(&k.project, &k.service).smoothing,
        None => policies.default.smoothing,
    }
}

/// The longest history any policy reads.
fn longest_span(policies: &Policies) -> Duration {
    let of = |p: &Policy| {
        p.scale_down_window
            .max(p.scale_up_window)
            .max(p.vertical_window)
    };
    policies.all().map(of).max().unwrap_or_default()
}
