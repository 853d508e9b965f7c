//! What the router says about each side of a rollout, and what the gates make of it. Pure.
//!
//! The rules:
//! - Counters are cumulative (HAProxy's since its start); a verdict is about what happened
//!   between two readings, so it is made from their difference. A counter that went backwards
//!   (the router restarted) gives no verdict rather than a wrong one.
//! - Fewer canary requests than `min_requests` in the window is no verdict ("waiting"), never a
//!   pass.
//! - The error rate is 5xx answers over all answers; latency is the window's own mean where the
//!   router counts every request's time (a log, a metric), else the router's recent mean.

use serde::Serialize;

use super::config::Gates;

/// One side (stable or canary) at one reading.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Side {
    pub requests: u64,
    pub errors: u64,
    /// Mean response time in ms, weighted by the servers' requests (None: no server said).
    pub latency_ms: Option<f64>,
    /// Every request's time added up, in ms, where the router counts it (a log, a metric):
    /// then a window's mean is exactly its own requests'.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_total_ms: Option<f64>,
    pub servers_up: usize,
    pub servers: usize,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Traffic {
    pub stable: Side,
    pub canary: Side,
    /// The canary's share the router's weights give now, per cent.
    pub weight_percent: f64,
    /// What the rollout's PromQL gates gave at the same reading.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queries: Vec<super::promql::Answer>,
}

/// What happened on one side between two readings.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Window {
    pub requests: u64,
    pub errors: u64,
    pub latency_ms: Option<f64>,
    /// Its servers the router's checks find up at the window's end, of how many.
    pub servers_up: usize,
    pub servers: usize,
}

impl Window {
    pub fn between(before: &Side, after: &Side) -> Option<Window> {
        let requests = after.requests.checked_sub(before.requests)?;
        let latency_ms = match (before.latency_total_ms, after.latency_total_ms) {
            (Some(b), Some(a)) if requests > 0 => Some((a - b).max(0.0) / requests as f64),
            (Some(_), Some(_)) => None,
            _ => after.latency_ms,
        };
        Some(Window {
            requests,
            errors: after.errors.checked_sub(before.errors)?,
            latency_ms,
            servers_up: after.servers_up,
            servers: after.servers,
        })
    }

    pub fn error_percent(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.errors as f64 / self.requests as f64 * 100.0)
    }
}

/// One gate's value against its bound.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub gate: String,
    pub value: f64,
    pub bound: f64,
    pub passed: bool,
    /// Why there is no value (a query with no data, a Prometheus that did not answer): failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// The bound is a floor (a query's `min`): the value must not fall below it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub floor: bool,
}

impl Check {
    fn of(gate: &str, value: f64, bound: f64, passed: bool) -> Check {
        Check {
            gate: gate.to_owned(),
            value,
            bound,
            passed,
            why: None,
            floor: false,
        }
    }

    /// `error rate % 40.00 > 1.00`, or the gate and why it has no value.
    pub fn words(&self) -> String {
        let op = match (self.floor, self.passed) {
            (false, true) => "≤",
            (false, false) => ">",
            (true, true) => "≥",
            (true, false) => "<",
        };
        // Counts read as counts: `canary servers up 1 ≥ 1`, not `1.00`.
        let whole = self.value.fract() == 0.0 && self.bound.fract() == 0.0 && self.floor;
        match &self.why {
            Some(why) => format!("{}: {why}", self.gate),
            None if whole => format!("{} {} {op} {}", self.gate, self.value, self.bound),
            None => format!("{} {:.2} {op} {:.2}", self.gate, self.value, self.bound),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Too few canary requests to say.
    Waiting {
        requests: u64,
        need: u64,
    },
    Passed {
        checks: Vec<Check>,
    },
    Failed {
        checks: Vec<Check>,
    },
}

/// The gates over one window of each side, and the PromQL gates' `answers` at its end.
pub fn evaluate(
    gates: &Gates,
    canary: &Window,
    stable: &Window,
    answers: &[super::promql::Answer],
) -> Verdict {
    if canary.requests < gates.min_requests.max(1) {
        return Verdict::Waiting {
            requests: canary.requests,
            need: gates.min_requests.max(1),
        };
    }
    let mut checks = Vec::new();
    // Canary healthy: every canary server up, where the router checks them (HAProxy's
    // health checks; a router that does not check counts them all up).
    if canary.servers > 0 {
        checks.push(Check {
            floor: true,
            ..Check::of(
                "canary servers up",
                canary.servers_up as f64,
                canary.servers as f64,
                canary.servers_up >= canary.servers,
            )
        });
    }
    if let (Some(bound), Some(value)) = (gates.max_error_percent, canary.error_percent()) {
        checks.push(Check::of("error rate %", value, bound, value <= bound));
    }
    // Erring more than stable does fails too, even within the absolute bound.
    if let (Some(bound), Some(value), Some(s)) = (
        gates.max_error_points_above_stable,
        canary.error_percent(),
        stable.error_percent(),
    ) {
        checks.push(Check::of(
            "error rate above stable's, points",
            value - s,
            bound,
            value - s <= bound,
        ));
    }
    if let (Some(bound), Some(value)) = (gates.max_latency_ms, canary.latency_ms) {
        checks.push(Check::of("mean latency ms", value, bound, value <= bound));
    }
    for q in &gates.queries {
        let answer = answers.iter().find(|a| a.name == q.name);
        let check = match answer.map(|a| &a.value) {
            Some(Ok(v)) => {
                let over = q.max.is_some_and(|m| *v > m);
                let under = q.min.is_some_and(|m| *v < m);
                // The bound shown is the one broken, else the ceiling if there is one.
                let floor = under || (q.max.is_none() && q.min.is_some());
                let bound = if floor { q.min } else { q.max };
                Check {
                    floor,
                    ..Check::of(&q.name, *v, bound.unwrap_or_default(), !over && !under)
                }
            }
            Some(Err(why)) => Check {
                why: Some(why.clone()),
                ..Check::of(
                    &q.name,
                    f64::NAN,
                    q.max.or(q.min).unwrap_or_default(),
                    false,
                )
            },
            None => Check {
                why: Some("not asked yet".into()),
                ..Check::of(
                    &q.name,
                    f64::NAN,
                    q.max.or(q.min).unwrap_or_default(),
                    false,
                )
            },
        };
        checks.push(check);
    }
    if checks.iter().all(|c| c.passed) {
        Verdict::Passed { checks }
    } else {
        Verdict::Failed { checks }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(requests: u64, errors: u64, latency: f64) -> Window {
        Window {
            requests,
            errors,
            latency_ms: Some(latency),
            ..Window::default()
        }
    }

    #[test]
    fn too_few_requests_is_waiting_never_a_pass() {
        let g = Gates::default();
        assert_eq!(
            evaluate(&g, &window(10, 0, 1.0), &window(100, 0, 1.0), &[]),
            Verdict::Waiting {
                requests: 10,
                need: 50
            }
        );
    }

    #[test]
    fn errors_fail_against_the_bound_and_against_stable() {
        let g = Gates {
            max_latency_ms: Some(100.0),
            ..Gates::default()
        };
        assert!(matches!(
            evaluate(&g, &window(200, 1, 20.0), &window(800, 4, 20.0), &[]),
            Verdict::Passed { .. }
        ));
        let Verdict::Failed { checks } =
            evaluate(&g, &window(200, 40, 20.0), &window(800, 0, 20.0), &[])
        else {
            panic!("500s must fail")
        };
        assert!(checks
            .iter()
            .any(|c| c.gate == "error rate %" && !c.passed && c.value == 20.0));
        // Within the absolute bound, but far above a stable that does not err at all.
        let g2 = Gates {
            max_error_percent: Some(5.0),
            ..g.clone()
        };
        let Verdict::Failed { checks } =
            evaluate(&g2, &window(200, 6, 20.0), &window(800, 0, 20.0), &[])
        else {
            panic!("3 % against stable's 0 % must fail")
        };
        assert!(checks
            .iter()
            .any(|c| c.gate == "error rate above stable's, points" && !c.passed));
        assert!(checks.iter().any(|c| c.gate == "error rate %" && c.passed));
        let Verdict::Failed { checks } =
            evaluate(&g, &window(200, 0, 250.0), &window(800, 0, 20.0), &[])
        else {
            panic!("slow must fail")
        };
        assert!(checks
            .iter()
            .any(|c| c.gate == "mean latency ms" && !c.passed));
    }

    #[test]
    fn a_counter_that_went_back_gives_no_window() {
        let a = Side {
            requests: 100,
            ..Side::default()
        };
        let b = Side {
            requests: 5,
            ..Side::default()
        };
        assert_eq!(Window::between(&a, &b), None);
        assert_eq!(Window::between(&b, &a).unwrap().requests, 95);
    }
}
