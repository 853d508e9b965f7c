//! The rollout state machine: an operator's input, or the passing of time and the gates'
//! verdicts, in; the next [`RolloutState`] and the share to set on the router, out. Pure: the
//! caller turns a [`Transition`] into a plan for the gate, and the state is written only when
//! that plan has set the share.
//!
//! The rules:
//! - A rollout waits only at pauses and analyses. Advancing runs every weight step up to the
//!   next wait (or the end) and sets the last share among them, so one confirmation is one
//!   router change.
//! - Time moves a rollout on only where its file says so: a timed pause that has run out (and
//!   gates not failing), an analysis whose gates passed for its whole duration, the next share
//!   of an abort's ramp, and abort itself when the budget is spent and `auto_abort = true`.
//!   That is the policy the operator enabled; everything else waits for a keystroke.
//! - Suspended, nothing moves by itself; an operator's input still does.
//! - Abort passes through the configured ramp's shares below the current one, each held for
//!   `abort_hold`, then 0 %.

use chrono::{DateTime, Utc};

use super::config::{Rollout, Step};
use super::state::{Phase, RolloutState};

/// What an operator (a key or a headless command) asks of a rollout.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Past the current pause, to the next one: `p`, `canary next`.
    Next,
    /// All traffic to the canary, the stable replicas replaced with its image, then all traffic
    /// to them and the canary removed: `P`, `canary promote`.
    Promote,
    /// Traffic back to stable: `a`, `canary abort`.
    Abort { reason: String },
    /// An aborted rollout from its first step again, or a promoted one for its next canary:
    /// `r`, `canary retry`.
    Retry,
    /// Nothing moves by itself until resumed: `s`.
    Suspend,
    /// `s` again, `canary resume`.
    Resume,
    /// An operator's own share (the slider, `canary set-weight`): set, and the rollout
    /// suspended so that time does not move it away from what they chose.
    Override(u32),
}

impl Input {
    pub fn word(&self) -> &'static str {
        match self {
            Input::Next => "next step",
            Input::Promote => "promote",
            Input::Abort { .. } => "abort",
            Input::Retry => "retry",
            Input::Suspend => "suspend",
            Input::Resume => "resume",
            Input::Override(_) => "set weight",
        }
    }
}

/// A move from one state to the next.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The share to set first; `None` when only the state changes.
    pub weight: Option<u32>,
    pub state: RolloutState,
    /// What happens, in words: the plan's title.
    pub what: String,
}

/// What the gates and the clock say, for [`automatic`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Facts {
    /// The budget of failed checks is spent; why, in words.
    pub budget_spent: Option<String>,
    /// The last verdict failed.
    pub failing: bool,
    /// Since when every verdict has passed (none: the last did not).
    pub passing_since: Option<DateTime<Utc>>,
}

fn moved(
    from: &RolloutState,
    phase: Phase,
    step: usize,
    weight: Option<u32>,
    now: DateTime<Utc>,
    what: String,
) -> Transition {
    Transition {
        weight,
        state: RolloutState {
            phase,
            step,
            step_started: now,
            weight: weight.unwrap_or(from.weight),
            updated: now,
            ..from.clone()
        },
        what,
    }
}

/// Runs the steps from `first` through its weights to the next wait or the end.
fn run_from(spec: &Rollout, from: &RolloutState, first: usize, now: DateTime<Utc>) -> Transition {
    let mut weight = None;
    let mut at = first;
    while let Some(Step::Weight(w)) = spec.steps.get(at) {
        weight = Some(*w);
        at += 1;
    }
    let phase = match spec.steps.get(at) {
        Some(Step::Pause(_) | Step::Analysis(_)) => Phase::Progressing,
        Some(Step::PauseUntilConfirmed) | None => Phase::Paused,
        Some(Step::Weight(_)) => unreachable!("weights are run through above"),
    };
    let share = weight.unwrap_or(from.weight);
    let then = match spec.steps.get(at) {
        Some(Step::PauseUntilConfirmed) => "then wait for a confirmation".to_owned(),
        Some(Step::Pause(d)) => format!("then wait {}", words(*d)),
        Some(Step::Analysis(d)) => format!("then analyse for {}", words(*d)),
        _ => "the last step: then promote".to_owned(),
    };
    moved(
        from,
        phase,
        at,
        weight,
        now,
        format!("shift {}: {share} % to the canary, {then}", spec.name),
    )
}

fn words(d: std::time::Duration) -> String {
    let s = d.as_secs();
    if s.is_multiple_of(3600) {
        format!("{} h", s / 3600)
    } else if s.is_multiple_of(60) {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

fn abort(spec: &Rollout, from: &RolloutState, reason: String, now: DateTime<Utc>) -> Transition {
    let mut ramp: Vec<u32> = spec
        .abort_ramp
        .iter()
        .copied()
        .filter(|w| *w < from.weight && *w > 0)
        .collect();
    ramp.push(0);
    let first = ramp.remove(0);
    let what = if ramp.is_empty() {
        format!("abort {}: all traffic back to stable ({reason})", spec.name)
    } else {
        format!(
            "abort {}: {first} % to the canary, then {} % ({reason})",
            spec.name,
            ramp.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(" %, ")
        )
    };
    let mut t = moved(
        from,
        Phase::Aborted {
            reason: reason.clone(),
            ramp,
        },
        from.step,
        Some(first),
        now,
        what,
    );
    // An operator's abort ends a suspension: nothing is left to override.
    t.state.suspended = false;
    t
}

/// What `input` does to a rollout in `from`, or why it cannot.
pub fn on_input(
    spec: &Rollout,
    from: &RolloutState,
    input: Input,
    now: DateTime<Utc>,
) -> Result<Transition, String> {
    let name = &spec.name;
    let over = |verb: &str| match &from.phase {
        Phase::Promoted => Err(format!("{name} is promoted: nothing to {verb}")),
        Phase::Aborted { ramp, .. } if ramp.is_empty() => Err(format!(
            "{name} is aborted: nothing to {verb} (retry starts it again)"
        )),
        Phase::Promoting if verb != "promote" => Err(format!(
            "{name} is being promoted: wait for it (or promote again if it was cut short)"
        )),
        _ => Ok(()),
    };
    match input {
        Input::Next => {
            over("advance")?;
            if matches!(from.phase, Phase::Aborted { .. }) {
                return Err(format!("{name} is aborting: let the ramp finish"));
            }
            let first = match from.phase {
                Phase::Ready => 0,
                _ => from.step + 1,
            };
            if first > spec.steps.len() {
                return Err(format!(
                    "{name} has run every step: promote sends all traffic to the canary"
                ));
            }
            Ok(run_from(spec, from, first, now))
        }
        Input::Promote => {
            // A promotion cut short (the console went mid-way) may be run again.
            over("promote")?;
            Ok(moved(
                from,
                Phase::Promoting,
                spec.steps.len(),
                Some(100),
                now,
                format!(
                    "promote {name}: all traffic to the canary, the stable replicas replaced \
                     with its image, then all traffic to them and the canary removed"
                ),
            ))
        }
        Input::Abort { reason } => {
            if let Phase::Aborted { ramp, .. } = &from.phase {
                if ramp.is_empty() {
                    return Err(format!("{name} is aborted already"));
                }
                // Aborting again skips what is left of the ramp.
                let mut t = moved(
                    from,
                    Phase::Aborted {
                        reason,
                        ramp: Vec::new(),
                    },
                    from.step,
                    Some(0),
                    now,
                    format!("abort {name} now: all traffic back to stable"),
                );
                t.state.suspended = false;
                return Ok(t);
            }
            Ok(abort(spec, from, reason, now))
        }
        // An aborted rollout again, or the next canary once the last one is the stable.
        Input::Retry if from.finished() => {
            let fresh = RolloutState {
                suspended: false,
                ..from.clone()
            };
            let mut t = run_from(spec, &fresh, 0, now);
            t.what = t.what.replacen(
                &format!("shift {name}:"),
                &format!("retry {name} from the first step:"),
                1,
            );
            Ok(t)
        }
        Input::Retry => Err(format!(
            "{name} is not aborted: only an aborted or promoted rollout starts again"
        )),
        Input::Override(percent) => {
            if percent > 100 {
                return Err(format!(
                    "{percent} % for rollout {name}: a share is 0 to 100 per cent"
                ));
            }
            let mut state = from.clone();
            state.weight = percent;
            state.updated = now;
            // Automation would move it away from the operator's choice: held until resumed.
            state.suspended = !from.finished() && from.phase != Phase::Ready;
            Ok(Transition {
                weight: Some(percent),
                what: format!(
                    "shift {name}: {percent} % of requests to the canary{}",
                    if state.suspended && !from.suspended {
                        ", automation suspended"
                    } else {
                        ""
                    }
                ),
                state,
            })
        }
        Input::Suspend | Input::Resume => {
            let suspend = input == Input::Suspend;
            if from.suspended == suspend {
                return Err(format!(
                    "{name} is {} already",
                    if suspend {
                        "suspended"
                    } else {
                        "not suspended"
                    }
                ));
            }
            let mut state = from.clone();
            state.suspended = suspend;
            state.updated = now;
            Ok(Transition {
                weight: None,
                state,
                what: if suspend {
                    format!("suspend {name}: nothing moves by itself until resumed")
                } else {
                    format!("resume {name}: its automation runs again")
                },
            })
        }
    }
}

/// What time and the gates do to a rollout by themselves now, under the rules above; `None`:
/// nothing yet. The second value names the rule, for the audit log's approval.
pub fn automatic(
    spec: &Rollout,
    state: &RolloutState,
    facts: &Facts,
    now: DateTime<Utc>,
) -> Option<(Transition, String)> {
    // A promotion is one plan, run to its end or rolled back: time has no part in it.
    if state.suspended || state.finished() || state.phase == Phase::Promoting {
        return None;
    }
    let waited = (now - state.step_started).to_std().unwrap_or_default();
    if let Phase::Aborted { reason, ramp } = &state.phase {
        if waited < spec.abort_hold {
            return None;
        }
        let (first, rest) = ramp.split_first()?;
        let t = moved(
            state,
            Phase::Aborted {
                reason: reason.clone(),
                ramp: rest.to_vec(),
            },
            state.step,
            Some(*first),
            now,
            format!(
                "shift {}: {first} % to the canary, the abort's next share",
                spec.name
            ),
        );
        return Some((t, format!("abort_ramp of rollout {}", spec.name)));
    }
    if let Some(why) = &facts.budget_spent {
        if spec.auto_abort && state.phase != Phase::Ready && state.weight > 0 {
            let t = abort(spec, state, why.clone(), now);
            return Some((t, format!("auto_abort of rollout {}", spec.name)));
        }
        return None;
    }
    if state.phase != Phase::Progressing {
        return None;
    }
    let go_on = match spec.steps.get(state.step)? {
        Step::Pause(d) => !facts.failing && waited >= *d,
        Step::Analysis(d) => facts.passing_since.is_some_and(|since| {
            let from = since.max(state.step_started);
            (now - from).to_std().unwrap_or_default() >= *d
        }),
        _ => false,
    };
    if !go_on {
        return None;
    }
    let rule = match spec.steps[state.step] {
        Step::Pause(d) => format!("pause {} of rollout {}", words(d), spec.name),
        _ => format!("analysis of rollout {}", spec.name),
    };
    Some((run_from(spec, state, state.step + 1, now), rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(extra: &str, steps: &str) -> Rollout {
        crate::canary::config::test_rollout(extra, steps)
    }

    const STEPS: &str = r#"
[[rollout.step]]
weight = 10
[[rollout.step]]
pause = "confirm"
[[rollout.step]]
weight = 30
[[rollout.step]]
weight = 50
[[rollout.step]]
pause = "1m"
[[rollout.step]]
analysis = "30s"
"#;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z")
            .unwrap()
            .into()
    }

    fn at(s: i64) -> DateTime<Utc> {
        t0() + chrono::Duration::seconds(s)
    }

    #[test]
    fn next_runs_the_weights_to_the_next_wait_and_time_moves_only_where_the_file_says() {
        let spec = spec("", STEPS);
        let ready = RolloutState::ready("web", t0());
        let quiet = Facts::default();
        assert_eq!(
            automatic(&spec, &ready, &quiet, at(999)),
            None,
            "ready waits"
        );

        let t = on_input(&spec, &ready, Input::Next, at(0)).unwrap();
        assert_eq!(
            (t.weight, t.state.step, &t.state.phase),
            (Some(10), 1, &Phase::Paused)
        );
        assert!(
            t.what.contains("10 %") && t.what.contains("confirmation"),
            "{}",
            t.what
        );
        assert_eq!(
            automatic(&spec, &t.state, &quiet, at(999)),
            None,
            "confirm waits"
        );

        // 30 and 50 in one move: only the last share is set.
        let t = on_input(&spec, &t.state, Input::Next, at(10)).unwrap();
        assert_eq!(
            (t.weight, t.state.step, &t.state.phase),
            (Some(50), 4, &Phase::Progressing)
        );
        let paused = t.state;
        assert_eq!(
            automatic(&spec, &paused, &quiet, at(69)),
            None,
            "59 s of 60"
        );
        let failing = Facts {
            failing: true,
            ..Facts::default()
        };
        assert_eq!(
            automatic(&spec, &paused, &failing, at(80)),
            None,
            "failing gates hold a pause"
        );
        let (t, rule) = automatic(&spec, &paused, &quiet, at(70)).unwrap();
        assert!(rule.contains("pause 1 min"), "{rule}");
        assert_eq!(
            (t.weight, t.state.step, &t.state.phase),
            (None, 5, &Phase::Progressing)
        );

        // The analysis needs 30 s of passing verdicts since it began.
        let analysing = t.state;
        let passing = |s| Facts {
            passing_since: Some(at(s)),
            ..Facts::default()
        };
        assert_eq!(
            automatic(&spec, &analysing, &quiet, at(200)),
            None,
            "no verdict, no pass"
        );
        assert_eq!(automatic(&spec, &analysing, &passing(90), at(110)), None);
        let (t, _) = automatic(&spec, &analysing, &passing(0), at(100)).unwrap();
        assert_eq!(
            (t.state.step, &t.state.phase),
            (6, &Phase::Paused),
            "then promote"
        );
        let e = on_input(&spec, &t.state, Input::Next, at(101)).unwrap_err();
        assert!(e.contains("promote"), "{e}");
        let t = on_input(&spec, &t.state, Input::Promote, at(102)).unwrap();
        assert_eq!((t.weight, &t.state.phase), (Some(100), &Phase::Promoting));
        assert!(
            !t.state.finished(),
            "until the stable replicas are replaced"
        );
        assert_eq!(
            automatic(&spec, &t.state, &passing(0), at(999)),
            None,
            "time has no part in a promotion"
        );
        let e = on_input(&spec, &t.state, Input::Next, at(103)).unwrap_err();
        assert!(e.contains("being promoted"), "{e}");
        assert!(
            on_input(&spec, &t.state, Input::Promote, at(104)).is_ok(),
            "a promotion cut short runs again"
        );
        let mut promoted = t.state.clone();
        promoted.phase = Phase::Promoted;
        assert!(promoted.finished());
        let again = on_input(&spec, &promoted, Input::Retry, at(105)).unwrap();
        assert_eq!(
            (again.weight, again.state.step, &again.state.phase),
            (Some(10), 1, &Phase::Paused),
            "the next canary starts from the first step"
        );
    }

    #[test]
    fn suspended_nothing_moves_by_itself_but_an_operator_still_can() {
        let spec = spec("", STEPS);
        let ready = RolloutState::ready("web", t0());
        let mut s = on_input(&spec, &ready, Input::Next, at(0)).unwrap().state;
        s = on_input(&spec, &s, Input::Next, at(0)).unwrap().state;
        let t = on_input(&spec, &s, Input::Suspend, at(1)).unwrap();
        assert_eq!(t.weight, None);
        assert_eq!(automatic(&spec, &t.state, &Facts::default(), at(999)), None);
        assert!(on_input(&spec, &t.state, Input::Suspend, at(2)).is_err());
        let resumed = on_input(&spec, &t.state, Input::Resume, at(3))
            .unwrap()
            .state;
        assert!(automatic(&spec, &resumed, &Facts::default(), at(999)).is_some());
    }

    #[test]
    fn a_spent_budget_aborts_only_under_auto_abort_and_the_ramp_steps_down() {
        let spent = Facts {
            budget_spent: Some("error rate 40 % over 1 %".into()),
            failing: true,
            ..Facts::default()
        };
        let manual = spec("", STEPS);
        let ready = RolloutState::ready("web", t0());
        let mut at50 = on_input(&manual, &ready, Input::Next, at(0)).unwrap().state;
        at50 = on_input(&manual, &at50, Input::Next, at(0)).unwrap().state;
        assert_eq!(
            automatic(&manual, &at50, &spent, at(5)),
            None,
            "proposed, not done"
        );

        let auto = spec(
            "auto_abort = true\nabort_ramp = [20, 5]\nabort_hold = \"10s\"",
            STEPS,
        );
        let (t, rule) = automatic(&auto, &at50, &spent, at(5)).unwrap();
        assert!(rule.contains("auto_abort"), "{rule}");
        assert_eq!(t.weight, Some(20));
        assert_eq!(t.state.phase.word(), "aborting");
        assert!(t.what.contains("then 5 %, 0 %"), "{}", t.what);
        assert_eq!(
            automatic(&auto, &t.state, &spent, at(14)),
            None,
            "held 10 s"
        );
        let (t, _) = automatic(&auto, &t.state, &spent, at(15)).unwrap();
        assert_eq!(t.weight, Some(5));
        let (t, _) = automatic(&auto, &t.state, &spent, at(25)).unwrap();
        assert_eq!((t.weight, t.state.phase.word()), (Some(0), "aborted"));
        assert!(t.state.finished());
        assert_eq!(automatic(&auto, &t.state, &spent, at(99)), None);

        // Retry starts again from the first step.
        let r = on_input(&auto, &t.state, Input::Retry, at(100)).unwrap();
        assert_eq!(
            (r.weight, r.state.step, &r.state.phase),
            (Some(10), 1, &Phase::Paused)
        );
        assert!(on_input(&auto, &r.state, Input::Retry, at(101)).is_err());
    }

    #[test]
    fn abort_skips_ramp_shares_at_or_above_the_share_now_and_a_second_abort_goes_straight_to_zero()
    {
        let auto = spec("abort_ramp = [20, 5]", STEPS);
        let ready = RolloutState::ready("web", t0());
        let at10 = on_input(&auto, &ready, Input::Next, at(0)).unwrap().state;
        let t = on_input(
            &auto,
            &at10,
            Input::Abort {
                reason: "operator".into(),
            },
            at(1),
        )
        .unwrap();
        assert_eq!(t.weight, Some(5), "20 is above 10");
        let t = on_input(
            &auto,
            &t.state,
            Input::Abort {
                reason: "now".into(),
            },
            at(2),
        )
        .unwrap();
        assert_eq!((t.weight, t.state.phase.word()), (Some(0), "aborted"));
    }
}
