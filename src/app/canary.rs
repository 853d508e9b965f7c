//! The canary view's state: each rollout of `rollouts.toml` with where it stands (its state,
//! and whether this console drives it), what its router said last, the rates between the last
//! two readings as short histories, the gates' verdict, and the weight an operator has staged
//! but not applied.

use chrono::{DateTime, Utc};

use super::usage::Ring;
use crate::canary::config::Rollout;
use crate::canary::machine::Facts;
use crate::canary::state::{Phase, RolloutState};
use crate::canary::store::{Holder, Loaded};
use crate::canary::traffic::{evaluate, Traffic, Verdict, Window};
use crate::canary::Driver;

/// Points of history per rollout: two minutes at one reading a second.
pub const CANARY_HISTORY: usize = 120;

#[derive(Debug, Clone, Default)]
pub struct CanaryState {
    pub rollouts: Vec<RolloutView>,
    pub cursor: usize,
    /// Why `rollouts.toml` could not be used (then there are no rollouts).
    pub config_error: Option<String>,
    /// Where the rollouts' states and locks are.
    pub state_dir: std::path::PathBuf,
}

/// Who drives a rollout, as the view knows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Driving {
    /// Not known yet (the first round of locks has not come back).
    #[default]
    Unknown,
    /// This console: its keys move the rollout, and time does where its file says.
    Here,
    /// Another console or command: this one watches.
    Elsewhere(Option<Holder>),
    /// Its lock could not be tried: nobody drives it from here.
    Failed(String),
    /// Nobody holds its lock, and this process only watches (`wheelhouse agent`).
    Nobody,
}

#[derive(Debug, Clone)]
pub struct RolloutView {
    pub spec: Rollout,
    /// Where it stands: from its state file, then as this console's plans move it (or, when
    /// another process drives it, as its file says).
    pub state: RolloutState,
    pub driving: Driving,
    /// Its state file did not read and was set aside: why, and where it is kept.
    pub review: Option<String>,
    /// Since when every verdict has passed (an analysis step needs a run of them).
    pub passing_since: Option<DateTime<Utc>>,
    /// The share the operator moved the slider to, not applied yet.
    pub staged: Option<u32>,
    pub last: Option<(DateTime<Utc>, Traffic)>,
    /// Recent readings, oldest first (at most [`CANARY_HISTORY`]): a verdict looks back as far
    /// as it must to see `min_requests` canary requests.
    readings: std::collections::VecDeque<(DateTime<Utc>, Traffic)>,
    pub router_error: Option<String>,
    /// The span the last verdict was made over: stable, canary and its length in seconds.
    pub window: Option<(Window, Window, f64)>,
    pub verdict: Option<Verdict>,
    /// Failed verdicts in a row (the gates' budget counts these), each over requests the one
    /// before had not seen.
    pub failed_in_a_row: u32,
    /// The canary's request count where the last counted verdict's span ended: a verdict over
    /// the same requests is shown but not counted again.
    counted_through: u64,
    pub stable_rps: Ring,
    pub canary_rps: Ring,
    pub stable_errors: Ring,
    pub canary_errors: Ring,
}

impl RolloutView {
    pub fn new(spec: Rollout) -> RolloutView {
        RolloutView {
            state: RolloutState::ready(&spec.name, DateTime::UNIX_EPOCH),
            driving: Driving::Unknown,
            review: None,
            passing_since: None,
            spec,
            staged: None,
            last: None,
            readings: std::collections::VecDeque::new(),
            router_error: None,
            window: None,
            verdict: None,
            failed_in_a_row: 0,
            counted_through: 0,
            stable_rps: Ring::new(CANARY_HISTORY),
            canary_rps: Ring::new(CANARY_HISTORY),
            stable_errors: Ring::new(CANARY_HISTORY),
            canary_errors: Ring::new(CANARY_HISTORY),
        }
    }

    /// The share set on the router (a replica ratio: the one its replicas were scaled to).
    pub fn set_percent(&self) -> Option<f64> {
        match &self.spec.router {
            crate::canary::router::RouterSpec::Replicas(r) => Some(f64::from(
                crate::canary::router::Router::realisable(r, self.state.weight),
            )),
            _ => self.last.as_ref().map(|(_, t)| t.weight_percent),
        }
    }

    /// The share requests really took over the last window, with what it is measured over;
    /// a replica ratio has no requests to count: the share of its running replicas.
    pub fn got_percent(
        &self,
        inventory: &crate::app::inventory::Inventory,
    ) -> (Option<f64>, String) {
        if let crate::canary::router::RouterSpec::Replicas(r) = &self.spec.router {
            let words = match r.running(inventory) {
                Some((s, c)) => {
                    format!("of the running replicas ({c} canary, {s} stable; by DNS, approximate)")
                }
                None => "of the running replicas (services not found)".to_owned(),
            };
            return (r.share(inventory), words);
        }
        let secs = self.window.map_or(0.0, |(_, _, s)| s);
        let got = self.window.and_then(|(s, c, _)| {
            let all = s.requests + c.requests;
            (all > 0).then(|| c.requests as f64 / all as f64 * 100.0)
        });
        (got, format!("of the requests of the last {secs:.0} s"))
    }

    /// The share the router gives now, rounded to a whole per cent.
    pub fn weight_now(&self) -> Option<u32> {
        self.last
            .as_ref()
            .map(|(_, t)| t.weight_percent.round() as u32)
    }

    /// A reading of the router at `at`: the rates since the last reading, for the histories;
    /// and the verdict over the shortest recent span holding `min_requests` canary requests
    /// (a quiet canary is judged over a longer span, never on a handful of requests).
    pub fn read(&mut self, at: DateTime<Utc>, result: Result<Traffic, String>) {
        let traffic = match result {
            Ok(t) => t,
            Err(e) => {
                self.router_error = Some(e);
                return;
            }
        };
        self.router_error = None;
        // The router restarted: its counters start again, and so do the readings.
        let went_back = self.readings.back().is_some_and(|(_, before)| {
            Window::between(&before.stable, &traffic.stable).is_none()
                || Window::between(&before.canary, &traffic.canary).is_none()
        });
        // A new share (or a router that started again) is a new experiment: what was judged
        // before says nothing about it.
        let moved = self.readings.back().is_some_and(|(_, before)| {
            (before.weight_percent - traffic.weight_percent).abs() > 0.05
        });
        if went_back || moved {
            self.readings.clear();
            self.window = None;
            self.verdict = None;
            self.failed_in_a_row = 0;
            self.counted_through = 0;
            self.passing_since = None;
        }
        if let Some((then, before)) = self.readings.back() {
            let secs = (at - *then).num_milliseconds() as f64 / 1000.0;
            if let (Some(s), Some(c)) = (
                Window::between(&before.stable, &traffic.stable),
                Window::between(&before.canary, &traffic.canary),
            ) {
                if secs > 0.0 {
                    self.stable_rps.push(Some(s.requests as f64 / secs));
                    self.canary_rps.push(Some(c.requests as f64 / secs));
                    self.stable_errors.push(s.error_percent());
                    self.canary_errors.push(c.error_percent());
                }
            }
        }
        let need = self.spec.gates.min_requests.max(1);
        let span = self.readings.iter().rev().find(|(_, before)| {
            traffic
                .canary
                .requests
                .saturating_sub(before.canary.requests)
                >= need
        });
        if let Some((then, before)) = span.or(self.readings.front()) {
            let secs = (at - *then).num_milliseconds() as f64 / 1000.0;
            let pair = Window::between(&before.stable, &traffic.stable)
                .zip(Window::between(&before.canary, &traffic.canary));
            if let Some((s, c)) = pair.filter(|_| secs > 0.0) {
                let verdict = evaluate(&self.spec.gates, &c, &s, &traffic.queries);
                // Counted once per span of requests not counted before.
                let start = traffic.canary.requests - c.requests;
                let fresh = start >= self.counted_through;
                match verdict {
                    Verdict::Failed { .. } if fresh => {
                        self.failed_in_a_row += 1;
                        self.counted_through = traffic.canary.requests;
                    }
                    Verdict::Passed { .. } if fresh => {
                        self.failed_in_a_row = 0;
                        self.counted_through = traffic.canary.requests;
                    }
                    _ => {}
                }
                match verdict {
                    Verdict::Passed { .. } => {
                        self.passing_since.get_or_insert(at);
                    }
                    _ => self.passing_since = None,
                }
                self.verdict = Some(verdict);
                self.window = Some((s, c, secs));
            }
        }
        if self.readings.len() == CANARY_HISTORY {
            self.readings.pop_front();
        }
        self.readings.push_back((at, traffic.clone()));
        self.last = Some((at, traffic));
    }

    /// The gates failed as often in a row as the budget allows: abort is what they propose.
    pub fn abort_proposed(&self) -> bool {
        self.failed_in_a_row >= self.spec.gates.budget
    }

    /// The failing checks of the last verdict, in words: `error rate % 40.00 > 1.00`.
    pub fn failing(&self) -> Option<String> {
        let Some(Verdict::Failed { checks }) = &self.verdict else {
            return None;
        };
        let words: Vec<String> = checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.words())
            .collect();
        Some(words.join(", "))
    }

    /// What the gates and the clock tell the state machine.
    pub fn facts(&self) -> Facts {
        Facts {
            budget_spent: self.abort_proposed().then(|| {
                format!(
                    "gates failed {} times in a row: {}",
                    self.failed_in_a_row,
                    self.failing().unwrap_or_default()
                )
            }),
            failing: matches!(self.verdict, Some(Verdict::Failed { .. })),
            passing_since: self.passing_since,
        }
    }

    /// An aborted rollout whose stable side answers well: "Aborted — stable healthy", not a
    /// degraded rollout. `None` while that is not known (no reading, or no stable requests).
    pub fn stable_healthy(&self) -> Option<bool> {
        let (_, t) = self.last.as_ref()?;
        if t.stable.servers_up < t.stable.servers {
            return Some(false);
        }
        let (s, _, _) = self.window.as_ref()?;
        let bound = self.spec.gates.max_error_percent.unwrap_or(1.0);
        s.error_percent().map(|e| e <= bound)
    }

    /// The step the rollout waits at (a pause or an analysis), for the view's marker.
    pub fn step_index(&self) -> Option<usize> {
        (self.state.phase != Phase::Ready).then_some(self.state.step)
    }

    /// This console drives it.
    pub fn driven_here(&self) -> bool {
        self.driving == Driving::Here
    }

    /// What [`crate::canary::poll`] found about who drives it.
    pub fn driver(&mut self, driver: Driver, now: DateTime<Utc>) {
        self.driving = match driver {
            Driver::Me(loaded) => {
                self.state = match loaded {
                    Loaded::Fresh => RolloutState::ready(&self.spec.name, now),
                    Loaded::Found(s) if s.step > self.spec.steps.len() => {
                        self.review = Some(format!(
                            "its state is at step {} but {} has {} steps now; started again",
                            s.step + 1,
                            self.spec.file.display(),
                            self.spec.steps.len()
                        ));
                        RolloutState::ready(&self.spec.name, now)
                    }
                    Loaded::Found(s) => s,
                    Loaded::SetAside { why, kept } => {
                        self.review = Some(format!(
                            "{why}; kept at {} — check the router's share",
                            kept.display()
                        ));
                        RolloutState::ready(&self.spec.name, now)
                    }
                };
                Driving::Here
            }
            Driver::Other(h) => Driving::Elsewhere(h),
            Driver::Failed(e) => Driving::Failed(e),
            Driver::Free(state) => {
                self.state = state.unwrap_or_else(|| RolloutState::ready(&self.spec.name, now));
                Driving::Nobody
            }
        };
    }

    /// Another process's rollout, as its file says now.
    pub fn watched(&mut self, state: Result<Option<RolloutState>, String>) {
        if self.driven_here() {
            return;
        }
        match state {
            Ok(Some(s)) => {
                self.state = s;
                self.review = None;
            }
            Ok(None) => self.state = RolloutState::ready(&self.spec.name, self.state.updated),
            Err(e) => self.review = Some(e),
        }
    }
}

impl CanaryState {
    pub fn load(
        result: Result<Vec<Rollout>, String>,
        state_dir: std::path::PathBuf,
    ) -> CanaryState {
        match result {
            Ok(all) => CanaryState {
                rollouts: all.into_iter().map(RolloutView::new).collect(),
                state_dir,
                ..CanaryState::default()
            },
            Err(e) => CanaryState {
                config_error: Some(e),
                state_dir,
                ..CanaryState::default()
            },
        }
    }

    pub fn by_name(&self, name: &str) -> Option<&RolloutView> {
        self.rollouts.iter().find(|r| r.spec.name == name)
    }

    pub fn by_name_mut(&mut self, name: &str) -> Option<&mut RolloutView> {
        self.rollouts.iter_mut().find(|r| r.spec.name == name)
    }

    pub fn selected(&self) -> Option<&RolloutView> {
        self.rollouts.get(self.cursor)
    }

    pub fn selected_mut(&mut self) -> Option<&mut RolloutView> {
        self.rollouts.get_mut(self.cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canary::traffic::Side;

    fn spec() -> Rollout {
        crate::canary::config::test_rollout(
            "",
            r#"
[[rollout.step]]
weight = 10
[[rollout.step]]
pause = "confirm"
[[rollout.step]]
weight = 50
[rollout.gates]
min_requests = 10
budget = 2
"#,
        )
    }

    fn traffic(stable: (u64, u64), canary: (u64, u64), weight: f64) -> Traffic {
        let side = |(requests, errors)| Side {
            requests,
            errors,
            ..Side::default()
        };
        Traffic {
            stable: side(stable),
            canary: side(canary),
            weight_percent: weight,
            queries: Vec::new(),
        }
    }

    #[test]
    fn readings_become_rates_a_verdict_and_a_count_of_failures_in_a_row() {
        let mut r = RolloutView::new(spec());
        let t0 = Utc::now();
        let at = |s: i64| t0 + chrono::Duration::seconds(s);
        r.read(at(0), Ok(traffic((0, 0), (0, 0), 10.0)));
        assert_eq!(r.verdict, None, "one reading says no rate");
        r.read(at(1), Ok(traffic((45, 0), (5, 5), 10.0)));
        assert_eq!(
            r.verdict,
            Some(Verdict::Waiting {
                requests: 5,
                need: 10
            }),
            "five canary requests are not enough to judge"
        );
        r.read(at(2), Ok(traffic((90, 0), (10, 5), 10.0)));
        assert!(
            matches!(r.verdict, Some(Verdict::Failed { .. })),
            "judged over 2 s"
        );
        assert_eq!(r.window.unwrap().2, 2.0);
        assert_eq!(r.canary_rps.last(), Some(5.0));
        assert!(!r.abort_proposed());
        r.read(at(3), Ok(traffic((180, 0), (20, 10), 10.0)));
        assert_eq!(r.window.unwrap().2, 1.0, "enough in the last second alone");
        assert!(
            r.abort_proposed(),
            "two failures in a row spend a budget of 2"
        );
        r.read(at(4), Ok(traffic((270, 0), (30, 10), 10.0)));
        assert_eq!(r.failed_in_a_row, 0, "a pass starts the count again");
        // The router restarted: no window across it.
        r.read(at(5), Ok(traffic((5, 0), (1, 0), 10.0)));
        assert_eq!(r.window, None);
        r.read(at(6), Err("down".into()));
        assert_eq!(r.router_error.as_deref(), Some("down"));
    }

    #[test]
    fn a_failure_is_counted_once_per_new_requests_and_forgotten_when_the_share_moves() {
        let mut r = RolloutView::new(spec());
        let t0 = Utc::now();
        let at = |s: i64| t0 + chrono::Duration::seconds(s);
        r.read(at(0), Ok(traffic((0, 0), (0, 0), 10.0)));
        r.read(at(1), Ok(traffic((90, 0), (10, 5), 10.0)));
        assert_eq!(r.failed_in_a_row, 1);
        // The canary gets nothing more (it crashed, or was drained): the same failing span is
        // judged again and again, but it is one piece of evidence, not a budget's worth.
        for s in 2..10 {
            r.read(at(s), Ok(traffic((90 + 90 * s as u64, 0), (10, 5), 10.0)));
        }
        assert_eq!(r.failed_in_a_row, 1);
        assert!(!r.abort_proposed());
        // A new share: the verdicts before it are about another experiment.
        r.read(at(10), Ok(traffic((1000, 0), (20, 10), 0.0)));
        assert_eq!((r.failed_in_a_row, r.verdict.clone()), (0, None));
    }

    #[test]
    fn the_machine_is_told_since_when_the_gates_pass_and_why_the_budget_is_spent() {
        let mut r = RolloutView::new(spec());
        let t0 = Utc::now();
        let at = |s: i64| t0 + chrono::Duration::seconds(s);
        r.read(at(0), Ok(traffic((0, 0), (0, 0), 10.0)));
        r.read(at(1), Ok(traffic((90, 0), (10, 0), 10.0)));
        r.read(at(2), Ok(traffic((180, 0), (20, 0), 10.0)));
        assert_eq!(
            r.facts().passing_since,
            Some(at(1)),
            "the first pass of the run"
        );
        r.read(at(3), Ok(traffic((270, 0), (30, 10), 10.0)));
        r.read(at(4), Ok(traffic((360, 0), (40, 20), 10.0)));
        let facts = r.facts();
        assert_eq!((facts.passing_since, facts.failing), (None, true));
        let why = facts
            .budget_spent
            .expect("two failures spend a budget of 2");
        assert!(
            why.contains("2 times") && why.contains("error rate"),
            "{why}"
        );
        assert_eq!(
            r.stable_healthy(),
            Some(true),
            "stable answers without errors"
        );
    }
}
