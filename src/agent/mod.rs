//! The embedded agent: it watches what the console measures and proposes what a careful
//! operator would do, each proposal with its numbers and reasons, for the operator to confirm
//! or reject by keystroke.
//!
//! ```text
//!  App state ──observe──▶ Perception ──rules (decide)──▶ proposals and notes
//!                                                           │ confirm (Cancel focused), or a
//!                                                           ▼ policy's `auto`
//!                        plan through the operations gate (origin agent, policy, proposal id)
//!                                                           │
//!                        outcome checked on later passes: worked / did not help / failed
//! ```
//!
//! The rules:
//! - Perception and decisions are pure, over the App's state: no engine calls of their own.
//! - Nothing runs without a keystroke unless the proposal's policy lists its kind in `auto`;
//!   read-only shows proposals and refuses them.
//! - A rejected proposal (its kind and subject) is not made again for `reject_for`; a snoozed
//!   one is hidden for `snooze_for`.
//! - Every pass the book is rebuilt from the rules, so a proposal whose cause went away
//!   disappears by itself; its id (kind, subject, change) keeps its age across passes.

pub mod advisor;
pub mod alerts;
pub mod decide;
pub mod headless;
pub mod perceive;
pub mod policy;
pub mod proposal;
pub mod signal;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::model::{Container, ContainerKey, ServiceKey};
use crate::app::usage::UsageEntry;
use crate::ops::PlanId;
use decide::{Recommendations, Restarts};
use perceive::Perception;
use policy::{Kind, Policies};
use proposal::{Change, Note, Proposal, Subject, Verdict};

/// A proposal on offer, since when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pending {
    #[serde(flatten)]
    pub proposal: Proposal,
    /// Seconds since the epoch when it was first made.
    pub since: f64,
}

/// What became of a proposal that was applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", content = "detail", rename_all = "snake_case")]
pub enum Outcome {
    /// Its plan is running.
    Running,
    /// The plan is done; the effect is measured until `until`.
    Checking {
        until: f64,
    },
    Worked(String),
    DidNotHelp(String),
    Failed(String),
}

impl Outcome {
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Running => "running",
            Outcome::Checking { .. } => "checking",
            Outcome::Worked(_) => "worked",
            Outcome::DidNotHelp(_) => "did not help",
            Outcome::Failed(_) => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applied {
    pub proposal: Proposal,
    pub plan: PlanId,
    pub at: f64,
    /// Applied by its policy, without a keystroke.
    pub auto: bool,
    pub outcome: Outcome,
}

/// Why a kind of proposal for a subject is held back, and until when.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Hold {
    Rejected { until: f64 },
    Snoozed { until: f64 },
}

/// Applied proposals kept for the panel.
const APPLIED_KEPT: usize = 50;

#[derive(Debug, Clone, Default)]
pub struct Agent {
    pub policies: Policies,
    /// Why `agent.toml` is not used (then the defaults are), for the panel.
    pub policy_problem: Option<String>,
    pub perception: Perception,
    pub pending: Vec<Pending>,
    pub notes: Vec<Note>,
    pub applied: Vec<Applied>,
    /// By kind, subject and advisor (None: the built-in rules), so that rejecting an advisor's
    /// proposal does not silence the rules, nor the other way round.
    holds: HashMap<(Kind, Subject, Option<String>), Hold>,
    /// Each configured advisor's standing, by name.
    pub advisors: std::collections::BTreeMap<String, advisor::Standing>,
    pub alerts: alerts::Alerts,
    /// The first pass, from which the first advisor run is timed.
    first_pass: Option<f64>,
    recommendations: HashMap<ServiceKey, Recommendations>,
    restarts: HashMap<ContainerKey, Restarts>,
    /// The vertical rule's latest verdict per service, with the OOM kill it saw.
    vertical: HashMap<ServiceKey, (f64, Verdict)>,
    passes: u64,
    /// The proposal whose confirmation dialog is open: a plan confirmed after the book moved
    /// on is still the agent's.
    pub asking: Option<Proposal>,
}

/// Passes between two readings of a service's limits by the vertical rule.
const VERTICAL_EVERY: u64 = 10;

/// A service's turn among the passes, so that services spread over them.
fn slot(key: &ServiceKey) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish() % VERTICAL_EVERY
}

impl Agent {
    /// With `max_replicas` from config.toml, which bounds every scale.
    pub fn new(policies: Result<Policies, String>, max_replicas: u32) -> Agent {
        let (mut policies, policy_problem) = match policies {
            Ok(p) => (p, None),
            Err(e) => (Policies::default(), Some(e)),
        };
        policies.cap_replicas(max_replicas);
        Agent {
            policies,
            policy_problem,
            ..Agent::default()
        }
    }

    /// One pass: perceive, decide, rebuild the book, check what was applied.
    pub fn pass<'a>(
        &mut self,
        containers: impl Iterator<Item = &'a Container>,
        usage: &HashMap<ContainerKey, UsageEntry>,
        swarms: &crate::app::swarm::Swarms,
        rollouts: Vec<perceive::RolloutSignals>,
        now: DateTime<Utc>,
    ) {
        self.perception
            .observe(containers, usage, swarms, &self.policies, now);
        self.perception.rollouts = rollouts.into_iter().map(|r| (r.name.clone(), r)).collect();
        let now_s = self.perception.now;
        self.holds.retain(|_, h| match h {
            Hold::Rejected { until } | Hold::Snoozed { until } => *until > now_s,
        });
        let mut verdicts = Vec::new();
        let mut by_service: HashMap<&ServiceKey, Vec<&perceive::ContainerSignals>> = HashMap::new();
        for c in self.perception.containers.values() {
            if let Some(k) = &c.service {
                if c.running {
                    by_service.entry(k).or_default().push(c);
                }
            }
        }
        self.passes += 1;
        self.recommendations
            .retain(|k, _| self.perception.services.contains_key(k));
        self.vertical
            .retain(|k, _| self.perception.services.contains_key(k));
        for (key, s) in &self.perception.services {
            let p = self.policies.of(&key.project, &key.service);
            let memory = self.recommendations.entry(key.clone()).or_default();
            if s.changed_at == now_s {
                memory.clear();
            }
            let mut scaling = false;
            // A label group has no replicas to add: its containers are sized, not counted.
            let countable = !key.is_group();
            if p.allows(Kind::Horizontal) && countable {
                let v = decide::horizontal(key, s, memory, p, now_s);
                scaling = matches!(v, Verdict::Propose(_));
                verdicts.push(v);
            }
            if p.allows(Kind::Predictive) && countable && !scaling {
                verdicts.push(decide::predictive(key, s, p, now_s));
            }
            // A Swarm service's limits are its spec's, changed by a service update: not the
            // live update the vertical rule's plans are.
            if p.allows(Kind::Vertical) && s.swarm.is_none() {
                let replicas = by_service.get(key).map(Vec::as_slice).unwrap_or(&[]);
                // Its window moves slowly: read again every few passes, or at once when an
                // OOM kill is new.
                let oom = replicas
                    .iter()
                    .filter_map(|c| c.oom_seen_at)
                    .fold(0.0, f64::max);
                let due = self.passes % VERTICAL_EVERY == slot(key)
                    || self.vertical.get(key).is_none_or(|(seen, _)| *seen != oom);
                if due {
                    let v = decide::vertical(key, s, replicas.iter().copied(), p, now_s);
                    self.vertical.insert(key.clone(), (oom, v));
                }
                if let Some((_, v)) = self.vertical.get(key) {
                    verdicts.push(v.clone());
                }
            }
        }
        self.restarts
            .retain(|k, _| self.perception.containers.contains_key(k));
        let none = Restarts::new();
        for (key, c) in &self.perception.containers {
            let p = match &c.service {
                Some(s) => self.policies.of(&s.project, &s.service),
                None => &self.policies.default,
            };
            if p.allows(Kind::Heal) {
                let restarts = self.restarts.get(key).unwrap_or(&none);
                verdicts.push(decide::heal(key, c, restarts, p, now_s));
            }
        }
        for r in self.perception.rollouts.values() {
            let p = self.policies.of(&r.service.project, &r.service.service);
            if p.allows(Kind::Canary) {
                verdicts.push(decide::canary(r, p, now_s));
            }
        }
        self.alerts.map(&self.perception);
        for (name, standing) in &mut self.advisors {
            standing.left_out.clear();
            for (i, a) in standing.answer.iter().enumerate() {
                match advisor::check(name, a, &self.perception, &self.policies) {
                    Ok(p) => verdicts.push(Verdict::Propose(p)),
                    Err(why) => standing.left_out.push(format!("proposals[{i}]: {why}")),
                }
            }
        }
        self.first_pass.get_or_insert(now_s);
        self.rebuild(verdicts, now_s);
        self.check_outcomes(now_s);
    }

    /// The advisors whose run is due now, each with its input; each is marked running until
    /// its answer comes (`advised`).
    pub fn due_advisors(&mut self) -> Vec<(advisor::Advisor, String)> {
        let now = self.perception.now;
        let Some(first) = self.first_pass else {
            return Vec::new();
        };
        let mut due = Vec::new();
        for a in &self.policies.advisors {
            let standing = self.advisors.entry(a.name.clone()).or_default();
            let next = match standing.started_at {
                None => first + advisor::FIRST_RUN_AFTER.as_secs_f64(),
                Some(at) => at + a.every.as_secs_f64(),
            };
            if standing.running || now < next {
                continue;
            }
            standing.running = true;
            standing.started_at = Some(now);
            due.push(a.clone());
        }
        due.into_iter()
            .map(|a| {
                let input = self.advisor_input(&a.name);
                (a, input)
            })
            .collect()
    }

    /// What an advisor reads on stdin (the schema in README).
    pub fn advisor_input(&self, name: &str) -> String {
        let at = chrono::DateTime::from_timestamp_millis((self.perception.now * 1000.0) as i64)
            .unwrap_or_default();
        let input = advisor::Input {
            version: advisor::INPUT_VERSION,
            advisor: name,
            at: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            services: self.perception.snapshot(),
            containers: self.perception.containers_snapshot(),
            rollouts: self.perception.rollouts.values().collect(),
            proposals: self
                .pending
                .iter()
                .filter(|p| p.proposal.advisor.is_none())
                .collect(),
            alerts: &self.alerts.firing,
        };
        serde_json::to_string(&input).unwrap_or_default()
    }

    /// An advisor's run ended: its answer is read now, checked against the book every pass.
    pub fn advised(&mut self, name: &str, answer: Result<String, String>) {
        let now = self.perception.now;
        let standing = self.advisors.entry(name.to_owned()).or_default();
        standing.running = false;
        match answer.and_then(|out| advisor::read_answer(&out)) {
            Ok(answer) => {
                standing.answer = answer;
                standing.answered_at = Some(now);
                standing.problem = None;
            }
            Err(e) => {
                log::warn!("advisor {name}: {e}");
                standing.answer.clear();
                standing.problem = Some(e);
            }
        }
    }

    /// Whether the alerts are due for a read now (marks it started).
    pub fn alerts_due(&mut self) -> Option<&alerts::AlertSource> {
        let source = self.policies.alerts.as_ref()?;
        self.first_pass?;
        self.alerts
            .due(source, self.perception.now)
            .then_some(source)
    }

    pub fn alerts_read(&mut self, body: Result<String, String>) {
        let now = self.perception.now;
        self.alerts.answered(body, now);
        self.alerts.map(&self.perception);
    }

    /// The book from this pass's verdicts: proposals keep their age, held ones stay out, and a
    /// subject with a plan of the agent's in flight gets nothing new until it is checked.
    fn rebuild(&mut self, verdicts: Vec<Verdict>, now: f64) {
        let since: HashMap<String, f64> = self
            .pending
            .iter()
            .map(|p| (p.proposal.id.clone(), p.since))
            .collect();
        let busy: Vec<&Subject> = self
            .applied
            .iter()
            .filter(|a| matches!(a.outcome, Outcome::Running | Outcome::Checking { .. }))
            .map(|a| &a.proposal.subject)
            .collect();
        let mut pending = Vec::new();
        let mut notes = Vec::new();
        for v in verdicts {
            match v {
                Verdict::Propose(p) => {
                    if busy.contains(&&p.subject) {
                        continue;
                    }
                    let held = (p.kind, p.subject.clone(), p.advisor.clone());
                    if let Some(hold) = self.holds.get(&held) {
                        if let Hold::Rejected { until } = hold {
                            notes.push(Note {
                                kind: p.kind,
                                subject: p.subject.clone(),
                                text: format!(
                                    "{} rejected: not proposed for {} more",
                                    p.change.words(),
                                    policy::human_duration(Duration::from_secs_f64(
                                        (until - now).max(1.0).ceil()
                                    ))
                                ),
                            });
                        }
                        continue;
                    }
                    let since = since.get(&p.id).copied().unwrap_or(now);
                    pending.push(Pending { proposal: p, since });
                }
                Verdict::Note(n) => notes.push(n),
                Verdict::Nothing => {}
            }
        }
        pending.sort_by(|a, b| {
            a.since
                .total_cmp(&b.since)
                .then(a.proposal.id.cmp(&b.proposal.id))
        });
        notes.sort_by(|a, b| (&a.subject, a.kind).cmp(&(&b.subject, b.kind)));
        self.pending = pending;
        self.notes = notes;
    }

    pub fn find(&self, id: &str) -> Option<&Pending> {
        self.pending.iter().find(|p| p.proposal.id == id)
    }

    /// The operator said no: not proposed again for the policy's `reject_for`.
    pub fn reject(&mut self, id: &str) -> Option<Proposal> {
        self.hold(id, |p, now| Hold::Rejected {
            until: now + p.reject_for.as_secs_f64(),
        })
    }

    /// Not now: hidden for the policy's `snooze_for`.
    pub fn snooze(&mut self, id: &str) -> Option<Proposal> {
        self.hold(id, |p, now| Hold::Snoozed {
            until: now + p.snooze_for.as_secs_f64(),
        })
    }

    fn hold(&mut self, id: &str, how: impl Fn(&policy::Policy, f64) -> Hold) -> Option<Proposal> {
        let at = self.pending.iter().position(|p| p.proposal.id == id)?;
        let proposal = self.pending.remove(at).proposal;
        let policy = self.policy_of(&proposal.subject);
        let hold = how(policy, self.perception.now);
        let held = (
            proposal.kind,
            proposal.subject.clone(),
            proposal.advisor.clone(),
        );
        self.holds.insert(held, hold);
        Some(proposal)
    }

    pub fn policy_of(&self, subject: &Subject) -> &policy::Policy {
        match subject.service() {
            Some(s) => self.policies.of(&s.project, &s.service),
            None => &self.policies.default,
        }
    }

    /// The agent's restarts the audit log records (an earlier console's, a headless run's), so
    /// that `max_restarts` holds across runs.
    pub fn remember(&mut self, records: &[crate::ops::audit::AuditRecord]) {
        use crate::ops::{Operation, Origin};
        for r in records {
            let ours = matches!(r.origin, Origin::Agent { .. })
                && r.op == Operation::Restart
                && r.phase == crate::ops::audit::Phase::Outcome
                && r.result.as_deref() == Some("ok");
            let (Some(key), Ok(at)) = (
                r.target.container_key(),
                chrono::DateTime::parse_from_rfc3339(&r.time),
            ) else {
                continue;
            };
            if ours {
                let at = perceive::secs(at.with_timezone(&Utc));
                self.restarts.entry(key).or_default().push_back(at);
            }
        }
    }

    /// A proposal went to the gate as `plan`.
    pub fn applied(&mut self, proposal: Proposal, plan: PlanId, auto: bool) {
        let now = self.perception.now;
        if let (Change::Restart, Subject::Container { key, .. }) =
            (&proposal.change, &proposal.subject)
        {
            self.restarts.entry(key.clone()).or_default().push_back(now);
        }
        self.pending.retain(|p| p.proposal.id != proposal.id);
        self.applied.push(Applied {
            proposal,
            plan,
            at: now,
            auto,
            outcome: Outcome::Running,
        });
        if self.applied.len() > APPLIED_KEPT {
            self.applied.remove(0);
        }
    }

    /// The gate finished `plan`: measured from now on if it went through.
    pub fn plan_done(&mut self, plan: &PlanId, ok: bool, summary: &str) {
        let now = self.perception.now;
        for a in self.applied.iter_mut().filter(|a| a.plan == *plan) {
            a.outcome = if ok {
                let settle = settle_time(&a.proposal, &self.policies);
                Outcome::Checking {
                    until: now + settle.as_secs_f64(),
                }
            } else {
                Outcome::Failed(summary.to_owned())
            };
        }
    }

    fn check_outcomes(&mut self, now: f64) {
        for i in 0..self.applied.len() {
            let a = &self.applied[i];
            let Outcome::Checking { until } = a.outcome else {
                continue;
            };
            let verdict = outcome(&a.proposal, &self.perception, &self.policies, a.at, now);
            let outcome = match verdict {
                Some(Ok(text)) => Outcome::Worked(text),
                Some(Err(text)) if now >= until => Outcome::DidNotHelp(text),
                // Not yet: a good sign ends the check early, a bad one waits for the settle.
                _ if now >= until => Outcome::DidNotHelp("no measurement to judge it by".into()),
                _ => continue,
            };
            self.applied[i].outcome = outcome;
        }
    }

    /// `2 proposals`, for the header; None when there are none.
    pub fn badge(&self) -> Option<String> {
        match self.pending.len() {
            0 => None,
            1 => Some("1 proposal".into()),
            n => Some(format!("{n} proposals")),
        }
    }
}

/// How long after its plan a proposal's effect is given to show.
fn settle_time(p: &Proposal, policies: &Policies) -> Duration {
    let policy = match p.subject.service() {
        Some(s) => policies.of(&s.project, &s.service),
        None => &policies.default,
    };
    match p.change {
        Change::Scale { .. } => (policy.smoothing * 3).max(Duration::from_secs(30)),
        Change::Limits { .. } => Duration::from_secs(60),
        Change::Restart => Duration::from_secs(120),
        // A promotion replaces every stable replica, each health-gated.
        Change::Promote => Duration::from_secs(600),
        Change::Abort { .. } => Duration::from_secs(60),
    }
}

/// Whether an applied proposal did what it said, from the perception now: Ok with the numbers
/// when it did, Err with them when not (yet), None without anything to judge by.
fn outcome(
    p: &Proposal,
    seen: &Perception,
    policies: &Policies,
    applied_at: f64,
    now: f64,
) -> Option<Result<String, String>> {
    match (&p.subject, &p.change) {
        (Subject::Service(key), Change::Scale { to, .. }) => {
            let s = seen.services.get(key)?;
            let policy = policies.of(&key.project, &key.service);
            if s.running != *to {
                return Some(Err(format!("{} of {to} replicas running", s.running)));
            }
            let usage = s.cpu_of_limit.value()?;
            let high = policy.target_cpu_percent * (1.0 + policy.tolerance);
            let words = format!(
                "{to} replicas running, cpu {usage:.0} % of limit (target {:.0} %)",
                policy.target_cpu_percent
            );
            if usage <= high {
                Some(Ok(words))
            } else {
                Some(Err(format!("{words}: still above the target")))
            }
        }
        (Subject::Service(key), Change::Limits { memory, .. }) => {
            let replicas: Vec<&perceive::ContainerSignals> = seen
                .containers
                .values()
                .filter(|c| c.service.as_ref() == Some(key) && c.running)
                .collect();
            if replicas.is_empty() {
                return Some(Err("no replica running".into()));
            }
            if replicas
                .iter()
                .any(|c| c.oom_seen_at.is_some_and(|t| t > applied_at))
            {
                return Some(Err("OOM-killed again since".into()));
            }
            if memory.is_some() && replicas.iter().any(|c| c.memory_limit != *memory) {
                return Some(Err("the new limit is not on every replica".into()));
            }
            let peak = replicas
                .iter()
                .flat_map(|c| c.memory.since(applied_at))
                .fold(0.0, f64::max);
            let peak = crate::app::usage::human_bytes(peak as u64);
            // Surviving the whole settle time is the success.
            if now >= applied_at + settle_time(p, policies).as_secs_f64() {
                Some(Ok(format!("no OOM kill since; memory peaked at {peak}")))
            } else {
                Some(Err(format!("no OOM kill so far; memory peaked at {peak}")))
            }
        }
        (Subject::Container { key, .. }, Change::Restart) => {
            let c = seen.containers.get(key)?;
            match c.health {
                crate::app::model::Health::Healthy => Some(Ok(format!(
                    "healthy again {}s after the restart",
                    (now - applied_at).round()
                ))),
                h => Some(Err(format!("{} after the restart", health_word(h)))),
            }
        }
        (Subject::Rollout { name, .. }, Change::Promote | Change::Abort { .. }) => {
            use crate::canary::state::Phase;
            let r = seen.rollouts.get(name)?;
            let want_promoted = p.change == Change::Promote;
            match (&r.phase, want_promoted) {
                (Phase::Promoted, true) => Some(Ok(
                    "promoted: the stable replicas run the canary's image".into(),
                )),
                (Phase::Aborted { ramp, .. }, false) if ramp.is_empty() && r.weight == 0 => {
                    Some(Ok("aborted: all traffic on stable".into()))
                }
                (phase, _) => Some(Err(format!(
                    "the rollout is {} at {} %",
                    phase.word(),
                    r.weight
                ))),
            }
        }
        _ => None,
    }
}

fn health_word(h: crate::app::model::Health) -> &'static str {
    match h {
        crate::app::model::Health::None => "no health check",
        crate::app::model::Health::Starting => "still starting",
        crate::app::model::Health::Healthy => "healthy",
        crate::app::model::Health::Unhealthy => "still unhealthy",
    }
}
