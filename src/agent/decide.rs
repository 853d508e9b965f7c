//! The rules: pure functions from signals and a policy to a verdict with its reasons.
//!
//! - **Horizontal**, Kubernetes' HPA rule: desired = ceil(running × usage / target), nothing
//!   while usage is within the tolerance of the target, within min and max; a scale is
//!   proposed only when every recommendation over the stabilisation window agrees (up to the
//!   lowest of them, down to the highest), and never during the cooldown after a change.
//! - **Predictive**: a damped Holt trend over the smoothed history, `forecast` ahead, may
//!   propose a scale-up before the target is crossed; it never proposes a scale-down.
//! - **Vertical** (the simple strategy of Kubernetes' resource recommenders): a CPU limit from
//!   the 95th percentile of use plus a margin, memory from the peak plus a margin; sooner after
//!   an OOM kill or sustained throttling; never below what is in use now. CPU is left to the
//!   horizontal rule while it can still add replicas, so the two never answer the same load.
//! - **Heal**: restart a container unhealthy for N probes in a row, at most M times within a
//!   window; then stop proposing and say why.

use std::collections::VecDeque;
use std::time::Duration;

use super::perceive::{ContainerSignals, Drive, RolloutSignals, ServiceSignals};
use super::policy::{human_duration, Kind, Policy};
use super::proposal::{Change, Note, Proposal, Subject, Verdict};
use super::signal::{quantile, Holt};
use crate::app::model::{Health, ServiceKey};
use crate::app::usage::human_bytes;

/// What the horizontal rule remembers between passes: its recommendations, timestamped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recommendations {
    points: VecDeque<(f64, u32)>,
}

impl Recommendations {
    fn push(&mut self, at: f64, desired: u32, span: Duration) {
        self.points.push_back((at, desired));
        let oldest = at - span.as_secs_f64();
        while self.points.front().is_some_and(|(t, _)| *t < oldest) {
            self.points.pop_front();
        }
    }

    /// The recommendations of the last `window`, if they reach back that far.
    fn over(&self, now: f64, window: Duration) -> Option<impl Iterator<Item = u32> + '_> {
        let since = now - window.as_secs_f64();
        let first = self.points.front()?.0;
        (first <= since + 0.5).then(|| {
            self.points
                .iter()
                .filter(move |(t, _)| *t >= since)
                .map(|(_, d)| *d)
        })
    }

    pub fn clear(&mut self) {
        self.points.clear();
    }
}

fn note(kind: Kind, subject: &Subject, text: String) -> Verdict {
    Verdict::Note(Note {
        kind,
        subject: subject.clone(),
        text,
    })
}

fn waiting(have: Duration, need: Duration) -> String {
    format!(
        "waiting for data: {} of {} so far",
        human_duration(have),
        human_duration(need)
    )
}

/// The HPA rule for one service.
pub fn horizontal(
    key: &ServiceKey,
    s: &ServiceSignals,
    memory: &mut Recommendations,
    p: &Policy,
    now: f64,
) -> Verdict {
    let kind = Kind::Horizontal;
    let subject = Subject::Service(key.clone());
    if s.running == 0 {
        return Verdict::Nothing;
    }
    if s.limits_differ {
        return note(
            kind,
            &subject,
            "its replicas have different limits: make them alike before it can be scaled by use"
                .into(),
        );
    }
    let Some(limit) = s.cpu_limit else {
        return note(
            kind,
            &subject,
            "no CPU limit: the target is a share of each replica's limit".into(),
        );
    };
    let have = s.cpu_history.covers();
    let Some(usage) = s.cpu_of_limit.value().filter(|_| have >= p.smoothing) else {
        return note(kind, &subject, waiting(have, p.smoothing));
    };
    let ratio = usage / p.target_cpu_percent;
    let current = s.running;
    let raw = if (ratio - 1.0).abs() <= p.tolerance {
        s.replicas
    } else {
        (f64::from(current) * ratio).ceil() as u32
    };
    let mut desired = raw.clamp(p.min_replicas.max(1), p.max_replicas);
    // Replicas that are down may be what keeps the use low: no scale-down until all run.
    if desired < s.replicas && s.running < s.replicas {
        desired = s.replicas;
    }
    memory.push(
        now,
        desired,
        p.scale_down_window.max(p.scale_up_window) + Duration::from_secs(1),
    );
    let (window, stabilised) = if desired > s.replicas {
        let lowest = memory.over(now, p.scale_up_window).and_then(Iterator::min);
        (p.scale_up_window, lowest.filter(|to| *to > s.replicas))
    } else if desired < s.replicas {
        let highest = memory
            .over(now, p.scale_down_window)
            .and_then(Iterator::max);
        (p.scale_down_window, highest.filter(|to| *to < s.replicas))
    } else {
        return Verdict::Nothing;
    };
    let since_change = (now - s.changed_at).max(0.0);
    let cooling = p.cooldown.as_secs_f64() - since_change;
    if cooling > 0.0 {
        return note(
            kind,
            &subject,
            format!(
                "would scale {} → {desired}, but it changed {} ago: cooling down for {} more",
                s.replicas,
                human_duration(Duration::from_secs_f64(since_change)),
                human_duration(Duration::from_secs_f64(cooling.ceil()))
            ),
        );
    }
    let Some(to) = stabilised else {
        let direction = if desired > s.replicas { "up" } else { "down" };
        let agreed = memory
            .points
            .iter()
            .rev()
            .take_while(|(_, d)| (*d > s.replicas) == (desired > s.replicas) && *d != s.replicas)
            .last()
            .map_or(0.0, |(t, _)| (now - t).max(0.0));
        return note(
            kind,
            &subject,
            format!(
                "cpu {usage:.0} % of limit: scaling {direction} to {desired} once it holds for {} ({} so far)",
                human_duration(window),
                human_duration(Duration::from_secs_f64(agreed))
            ),
        );
    };
    let change = Change::Scale {
        from: s.replicas,
        to,
    };
    let per_replica = usage * f64::from(current) / f64::from(to);
    Verdict::Propose(Proposal {
        id: Proposal::id_for(kind, &subject, &change),
        kind,
        numbers: format!(
            "cpu {usage:.0} % of limit ({limit:.2} cpus) against a {:.0} % target for {}, {} → {to} replicas",
            p.target_cpu_percent,
            human_duration(window),
            s.replicas
        ),
        reasons: vec![format!(
            "desired = ceil({current} × {usage:.0} / {:.0}) = {raw}{}",
            p.target_cpu_percent,
            if raw != desired {
                format!(", held to {}..={}", p.min_replicas, p.max_replicas)
            } else {
                String::new()
            }
        )],
        expected: format!("about {per_replica:.0} % of limit per replica"),
        policy: p.name.clone(),
        advisor: None,
        subject,
        change,
    })
}

/// Whether the service changed within its cooldown: nothing is proposed for it then.
fn cooling(s: &ServiceSignals, p: &Policy, now: f64) -> bool {
    now - s.changed_at < p.cooldown.as_secs_f64()
}

/// A scale-up ahead of a rising trend. Never proposes fewer replicas than run now.
pub fn predictive(key: &ServiceKey, s: &ServiceSignals, p: &Policy, now: f64) -> Verdict {
    let kind = Kind::Predictive;
    let subject = Subject::Service(key.clone());
    if cooling(s, p, now) {
        return Verdict::Nothing;
    }
    let (Some(_), Some(usage)) = (s.cpu_limit, s.cpu_of_limit.value()) else {
        return Verdict::Nothing;
    };
    if s.running == 0 || s.limits_differ {
        return Verdict::Nothing;
    }
    let have = s.cpu_history.covers();
    if have < p.scale_up_window || s.cpu_history.len() < 3 {
        return Verdict::Nothing;
    }
    let step = have.as_secs_f64() / (s.cpu_history.len() - 1) as f64;
    let steps = (p.forecast.as_secs_f64() / step.max(0.1)).round() as u32;
    let Some(forecast) = Holt::default().forecast(s.cpu_history.values().map(f64::from), steps)
    else {
        return Verdict::Nothing;
    };
    let high = p.target_cpu_percent * (1.0 + p.tolerance);
    // Only ahead of the target: once crossed, the horizontal rule answers.
    if usage > high || forecast <= high {
        return Verdict::Nothing;
    }
    let to = ((f64::from(s.running) * forecast / p.target_cpu_percent).ceil() as u32)
        .clamp(p.min_replicas.max(1), p.max_replicas);
    if to <= s.replicas {
        return Verdict::Nothing;
    }
    let change = Change::Scale {
        from: s.replicas,
        to,
    };
    Verdict::Propose(Proposal {
        id: Proposal::id_for(kind, &subject, &change),
        kind,
        numbers: format!(
            "cpu {usage:.0} % of limit now, {forecast:.0} % forecast in {} against a {:.0} % target, {} → {to} replicas",
            human_duration(p.forecast),
            p.target_cpu_percent,
            s.replicas
        ),
        reasons: vec![format!(
            "a damped trend over the last {} rises past the target",
            human_duration(have)
        )],
        expected: format!(
            "about {:.0} % of limit per replica when the forecast comes true",
            forecast * f64::from(s.running) / f64::from(to)
        ),
        policy: p.name.clone(),
        advisor: None,
        subject,
        change,
    })
}

/// Limits for a service's replicas from what they use.
pub fn vertical<'a>(
    key: &ServiceKey,
    s: &ServiceSignals,
    replicas: impl Iterator<Item = &'a ContainerSignals> + Clone,
    p: &Policy,
    now: f64,
) -> Verdict {
    let kind = Kind::Vertical;
    let subject = Subject::Service(key.clone());
    if s.running == 0 || s.limits_differ {
        return Verdict::Nothing;
    }
    let oom = replicas
        .clone()
        .any(|c| c.oom_recent(now, p.vertical_window));
    // An OOM kill since the last change to the limits is proof enough, cooldown or not.
    if cooling(s, p, now) && !oom {
        return Verdict::Nothing;
    }
    let throttled = replicas
        .clone()
        .filter_map(|c| c.throttled.value())
        .fold(0.0, f64::max);
    let have = replicas
        .clone()
        .map(|c| c.memory.covers())
        .max()
        .unwrap_or_default();
    let full = have >= p.vertical_window;
    let peak = replicas
        .clone()
        .flat_map(|c| c.memory.values())
        .fold(0.0, f64::max);
    let in_use = replicas
        .clone()
        .filter_map(|c| c.memory.values().last())
        .fold(0.0, f64::max);
    let p95 = quantile(
        replicas
            .clone()
            .flat_map(|c| c.cpu_cores.values().map(f64::from)),
        0.95,
    );
    let cpu_now = replicas
        .clone()
        .filter_map(|c| c.cpu_cores.values().last())
        .fold(0.0f32, f32::max) as f64;
    let mut reasons = Vec::new();
    // Memory: after an OOM kill at once (the peak is the limit, so up by the margin from it),
    // else once the window is full.
    let mut memory = None;
    if let Some(limit) = s.memory_limit {
        let limit_f = limit as f64;
        if oom {
            let to = round_mib(limit_f.max(peak) * (1.0 + p.memory_margin).max(1.25));
            memory = Some(to);
            reasons.push(format!(
                "OOM-killed within {}: memory peaked at {} of {}",
                human_duration(p.vertical_window),
                human_bytes(peak as u64),
                human_bytes(limit)
            ));
        } else if full && peak > 0.0 {
            let to = round_mib((peak * (1.0 + p.memory_margin)).max(in_use));
            let off = (to as f64 - limit_f) / limit_f;
            if off.abs() > p.tolerance.max(0.25) {
                memory = Some(to);
                reasons.push(format!(
                    "memory peaked at {} of {} over {} (+{:.0} % margin)",
                    human_bytes(peak as u64),
                    human_bytes(limit),
                    human_duration(have),
                    p.memory_margin * 100.0
                ));
            }
        }
    }
    // CPU: while more replicas can be added, the horizontal rule answers load.
    let mut cpus = None;
    let horizontal_can = p.allows(Kind::Horizontal) && s.replicas < p.max_replicas;
    if let (Some(limit), Some(p95)) = (s.cpu_limit, p95) {
        let sustained = throttled >= p.throttled_percent;
        let mut proposed = (p95 * (1.0 + p.cpu_margin)).max(cpu_now);
        if p.allows(Kind::Horizontal) {
            // Not so tight that the horizontal rule would answer the same use with replicas.
            proposed = proposed.max(p95 / (p.target_cpu_percent / 100.0));
        }
        let proposed = round_cpus(proposed);
        if sustained && !horizontal_can && proposed > limit {
            cpus = Some(proposed.max(round_cpus(limit * (1.0 + p.cpu_margin))));
            reasons.push(format!(
                "throttled in {throttled:.0} % of periods at {limit:.2} cpus{}",
                if s.replicas >= p.max_replicas {
                    format!(", already at max_replicas ({})", p.max_replicas)
                } else {
                    String::new()
                }
            ));
        } else if full
            && !sustained
            && s.replicas <= p.min_replicas.max(1)
            && proposed < limit * (1.0 - p.tolerance.max(0.25))
        {
            cpus = Some(proposed);
            reasons.push(format!(
                "95th percentile of use {p95:.2} cpus of {limit:.2} over {} (+{:.0} % margin)",
                human_duration(have),
                p.cpu_margin * 100.0
            ));
        }
    }
    if memory.is_none() && cpus.is_none() {
        if s.memory_limit.is_some() && !full && !oom {
            return note(kind, &subject, waiting(have, p.vertical_window));
        }
        return Verdict::Nothing;
    }
    let change = Change::Limits {
        cpus,
        memory,
        from_cpus: cpus.and(s.cpu_limit),
        from_memory: memory.and(s.memory_limit),
    };
    let numbers = reasons.join("; ");
    Verdict::Propose(Proposal {
        id: Proposal::id_for(kind, &subject, &change),
        kind,
        expected: if oom {
            "the replicas survive the same load without an OOM kill".into()
        } else {
            "limits that fit what the replicas use, with the margin".into()
        },
        numbers,
        reasons: vec![format!(
            "{}; never below what is in use now ({} memory, {cpu_now:.2} cpus)",
            change.words(),
            human_bytes(in_use as u64)
        )],
        policy: p.name.clone(),
        advisor: None,
        subject,
        change,
    })
}

fn round_mib(bytes: f64) -> u64 {
    let mib = 1u64 << 20;
    ((bytes / mib as f64).ceil() as u64).max(6) * mib
}

fn round_cpus(cpus: f64) -> f64 {
    ((cpus * 20.0).ceil() / 20.0).max(0.05)
}

/// The agent's own restarts of a container, timestamped.
pub type Restarts = VecDeque<f64>;

/// A restart for a container that stays unhealthy.
pub fn heal(
    key: &crate::app::model::ContainerKey,
    c: &ContainerSignals,
    restarts: &Restarts,
    p: &Policy,
    now: f64,
) -> Verdict {
    let kind = Kind::Heal;
    let streak = c.streak(now);
    if !c.running || c.health != Health::Unhealthy || streak < i64::from(p.unhealthy_probes) {
        return Verdict::Nothing;
    }
    let subject = Subject::Container {
        key: key.clone(),
        name: c.name.clone(),
        service: c.service.clone(),
    };
    let since = now - p.restart_window.as_secs_f64();
    let recent: Vec<f64> = restarts.iter().copied().filter(|t| *t >= since).collect();
    if recent.len() as u32 >= p.max_restarts {
        let again = recent
            .first()
            .map_or(0.0, |t| t + p.restart_window.as_secs_f64() - now);
        return note(
            kind,
            &subject,
            format!(
                "unhealthy again after {} restarts within {}: not proposed for {} more; its logs and health probes may say why",
                recent.len(),
                human_duration(p.restart_window),
                human_duration(Duration::from_secs_f64(again.max(1.0).ceil()))
            ),
        );
    }
    let change = Change::Restart;
    Verdict::Propose(Proposal {
        id: Proposal::id_for(kind, &subject, &change),
        kind,
        numbers: format!(
            "unhealthy: {streak} probes failed in a row (policy: {})",
            p.unhealthy_probes
        ),
        reasons: vec![format!(
            "restart {} of at most {} within {}",
            recent.len() + 1,
            p.max_restarts,
            human_duration(p.restart_window)
        )],
        expected: "healthy again after the restart".into(),
        policy: p.name.clone(),
        advisor: None,
        subject,
        change,
    })
}

/// Promote a canary waiting at its last step whose every gate has passed for
/// `promote_after`; abort one whose budget of failed checks is spent (unless its file aborts
/// by itself). A rollout another process drives is that process's to move.
pub fn canary(r: &RolloutSignals, p: &Policy, now: f64) -> Verdict {
    use crate::canary::state::Phase;
    let kind = Kind::Canary;
    let subject = Subject::Rollout {
        name: r.name.clone(),
        service: r.service.clone(),
    };
    let moving = matches!(r.phase, Phase::Progressing | Phase::Paused);
    if !moving {
        return Verdict::Nothing;
    }
    if r.driver == Drive::Elsewhere {
        return note(
            kind,
            &subject,
            "driven by another process: proposals are that one's".into(),
        );
    }
    if r.suspended {
        return note(
            kind,
            &subject,
            "suspended by an operator: nothing proposed until it is resumed".into(),
        );
    }
    let at = format!("{} % of traffic on the canary", r.weight);
    if r.failed_in_a_row >= r.budget {
        // A console driving it aborts it by its file's rule; with nobody driving, that rule
        // waits for a console, and the abort is proposed.
        if r.auto_abort && r.driver == Drive::Here {
            return Verdict::Nothing;
        }
        let failing = r.failing.clone().unwrap_or_else(|| "gates failing".into());
        let change = Change::Abort {
            reason: format!(
                "proposed by the agent: gates failed {} times in a row: {failing}",
                r.failed_in_a_row
            ),
        };
        return Verdict::Propose(Proposal {
            id: Proposal::id_for(kind, &subject, &change),
            kind,
            numbers: format!(
                "gates failed {} times in a row (budget {}): {failing}, at {at}",
                r.failed_in_a_row, r.budget
            ),
            reasons: vec!["the budget of failed checks is spent".into()],
            expected: "all traffic back on stable".into(),
            policy: p.name.clone(),
            advisor: None,
            subject,
            change,
        });
    }
    let at_end = r.phase == Phase::Paused && r.step + 1 >= r.steps;
    if !at_end {
        return Verdict::Nothing;
    }
    let Some(since) = r.passing_since else {
        let why = match &r.failing {
            Some(f) => format!("at its last step, gates failing: {f}"),
            None => "at its last step, waiting for a verdict of the gates".into(),
        };
        return note(kind, &subject, why);
    };
    let passing = Duration::from_secs_f64((now - since).max(0.0));
    if passing < p.promote_after {
        return note(
            kind,
            &subject,
            format!(
                "gates passing for {} of the {} before promotion is proposed",
                human_duration(passing),
                human_duration(p.promote_after)
            ),
        );
    }
    let change = Change::Promote;
    Verdict::Propose(Proposal {
        id: Proposal::id_for(kind, &subject, &change),
        kind,
        numbers: format!(
            "every gate passed for {} at {at}",
            human_duration(passing)
        ),
        reasons: vec![format!(
            "waiting at its last step; the policy promotes after {} of passing gates",
            human_duration(p.promote_after)
        )],
        expected: "stable replicas replaced with the canary's image, health-gated, then all traffic on them".into(),
        policy: p.name.clone(),
        advisor: None,
        subject,
        change,
    })
}

#[cfg(test)]
mod tests;
