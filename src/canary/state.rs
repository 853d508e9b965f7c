//! Where a rollout stands: its phase, the step it waits at, the share it set. Plain data,
//! written to the data dir after every transition (see [`super::store`]) so that a console
//! started again resumes where the last one was.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The layout of the state file; a file of another version is set aside, not guessed at.
pub const STATE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutState {
    pub version: u32,
    pub rollout: String,
    #[serde(flatten)]
    pub phase: Phase,
    /// The step the rollout waits at (a pause or an analysis); `steps.len()` once every step
    /// has run. Weight steps never wait: a transition runs through them to the next wait.
    pub step: usize,
    /// When it reached that step: a timed pause and an analysis count from here.
    pub step_started: DateTime<Utc>,
    /// The canary's share (per cent) the rollout last set on its router.
    pub weight: u32,
    /// An operator took over: nothing moves by itself until they resume.
    pub suspended: bool,
    pub updated: DateTime<Utc>,
}

/// The phases an operator reads in the view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Not started: all traffic on stable, the first step next.
    Ready,
    /// At a timed pause or an analysis: it goes on by itself when that ends.
    Progressing,
    /// At a `pause = "confirm"` step, or after the last step: waiting for an operator.
    Paused,
    /// All traffic on the canary while the stable replicas are replaced with its image.
    Promoting,
    /// The stable replicas run what the canary ran and have all traffic; the canary is gone.
    Promoted,
    /// Traffic going (`ramp` not empty) or gone back to stable, and why.
    Aborted {
        reason: String,
        /// Shares still to pass through on the way to 0 %, highest first.
        #[serde(default)]
        ramp: Vec<u32>,
    },
}

impl RolloutState {
    /// A rollout nobody has started.
    pub fn ready(rollout: &str, now: DateTime<Utc>) -> RolloutState {
        RolloutState {
            version: STATE_VERSION,
            rollout: rollout.to_owned(),
            phase: Phase::Ready,
            step: 0,
            step_started: now,
            weight: 0,
            suspended: false,
            updated: now,
        }
    }

    /// It is over: nothing more happens without `retry`.
    pub fn finished(&self) -> bool {
        matches!(self.phase, Phase::Promoted)
            || matches!(&self.phase, Phase::Aborted { ramp, .. } if ramp.is_empty())
    }
}

impl Phase {
    /// One word for lists and `canary status`.
    pub fn word(&self) -> &'static str {
        match self {
            Phase::Ready => "ready",
            Phase::Progressing => "progressing",
            Phase::Paused => "paused",
            Phase::Promoting => "promoting",
            Phase::Promoted => "promoted",
            Phase::Aborted { ramp, .. } if !ramp.is_empty() => "aborting",
            Phase::Aborted { .. } => "aborted",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_reads_back_as_it_was_written() {
        let now = Utc::now();
        let mut s = RolloutState::ready("web", now);
        s.phase = Phase::Aborted {
            reason: "error rate 12 % over 1 %".into(),
            ramp: vec![10],
        };
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains(r#""phase":"aborted""#), "{text}");
        assert_eq!(serde_json::from_str::<RolloutState>(&text).unwrap(), s);
        assert_eq!(s.phase.word(), "aborting");
        assert!(!s.finished(), "still ramping");
    }
}
