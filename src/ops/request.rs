//! What the operator asked for, before it is a plan: the subject of the one confirmation dialog.
//! A request has options the dialog may change (a kill's signal, whether a removal takes the
//! volumes); confirming turns it into a [`Plan`] for the gate.

use super::plan::{OnFailure, Operation, Origin, Plan, PlanId, Scope, Step, Target};
use crate::app::model::{ContainerKey, RunState};

/// Signals offered for a kill, most used first.
pub const KILL_SIGNALS: &[&str] = &[
    "SIGKILL", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2",
];

/// A container a request names, with what the dialog needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub key: ContainerKey,
    pub name: String,
    /// Running (or restarting): a removal must force it.
    pub running: bool,
    /// Its state as last seen, so the dialog can say what will change nothing.
    pub state: RunState,
}

/// The verbs that apply to containers one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerVerb {
    Start,
    Stop,
    Restart,
    Pause,
    Unpause,
    Kill,
    Remove,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// One operation on each of some containers.
    Containers {
        verb: ContainerVerb,
        subjects: Vec<Subject>,
        /// For kill: index into [`KILL_SIGNALS`].
        signal: usize,
        /// For remove: also the anonymous volumes.
        volumes: bool,
        origin: Origin,
    },
}

/// One option of a request, as the dialog shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// One of several values, changed with next/previous.
    OneOf { label: &'static str, value: String },
    /// On or off, changed with toggle.
    Toggle { label: &'static str, on: bool },
}

impl Request {
    pub fn containers(verb: ContainerVerb, subjects: Vec<Subject>, origin: Origin) -> Request {
        Request::Containers {
            verb,
            subjects,
            signal: 0,
            volumes: false,
            origin,
        }
    }

    pub fn origin(&self) -> &Origin {
        match self {
            Request::Containers { origin, .. } => origin,
        }
    }

    /// The options the dialog offers.
    pub fn choices(&self) -> Vec<Choice> {
        match self {
            Request::Containers {
                verb: ContainerVerb::Kill,
                signal,
                ..
            } => vec![Choice::OneOf {
                label: "Signal",
                value: KILL_SIGNALS[*signal].into(),
            }],
            Request::Containers {
                verb: ContainerVerb::Remove,
                volumes,
                ..
            } => vec![Choice::Toggle {
                label: "also remove anonymous volumes",
                on: *volumes,
            }],
            Request::Containers { .. } => Vec::new(),
        }
    }

    /// Moves the first one-of option to its next (or previous) value, wrapping around.
    pub fn cycle(&mut self, forward: bool) {
        if let Request::Containers {
            verb: ContainerVerb::Kill,
            signal,
            ..
        } = self
        {
            let n = KILL_SIGNALS.len();
            *signal = if forward {
                (*signal + 1) % n
            } else {
                (*signal + n - 1) % n
            };
        }
    }

    /// Flips the first toggle option.
    pub fn toggle(&mut self) {
        if let Request::Containers {
            verb: ContainerVerb::Remove,
            volumes,
            ..
        } = self
        {
            *volumes = !*volumes;
        }
    }

    /// What the operator should know before confirming.
    pub fn warnings(&self) -> Vec<String> {
        match self {
            Request::Containers {
                verb: ContainerVerb::Remove,
                subjects,
                ..
            } => {
                let running = subjects.iter().filter(|s| s.running).count();
                if running > 0 {
                    vec![format!("{running} running: they will be killed first")]
                } else {
                    Vec::new()
                }
            }
            Request::Containers { verb, subjects, .. } => {
                // Which targets are already where the verb would take them, and what the
                // engine will make of it.
                let (already, state, outcome): (fn(RunState) -> bool, &str, &str) = match verb {
                    ContainerVerb::Start => (
                        |s| matches!(s, RunState::Running | RunState::Restarting),
                        "already running",
                        "the engine will change nothing",
                    ),
                    ContainerVerb::Stop => (
                        |s| !s.is_alive(),
                        "already stopped",
                        "the engine will change nothing",
                    ),
                    ContainerVerb::Pause => (
                        |s| s == RunState::Paused,
                        "already paused",
                        "the engine will refuse",
                    ),
                    ContainerVerb::Unpause => (
                        |s| s != RunState::Paused,
                        "not paused",
                        "the engine will refuse",
                    ),
                    ContainerVerb::Kill => {
                        (|s| !s.is_alive(), "not running", "the engine will refuse")
                    }
                    ContainerVerb::Restart | ContainerVerb::Remove => return Vec::new(),
                };
                let names: Vec<&str> = subjects
                    .iter()
                    .filter(|s| already(s.state))
                    .map(|s| s.name.as_str())
                    .collect();
                match names.as_slice() {
                    [] => Vec::new(),
                    [one] => vec![format!("{one} is {state}: {outcome}")],
                    many => vec![format!(
                        "{} are {state}: {outcome} for them ({})",
                        many.len(),
                        many.join(", ")
                    )],
                }
            }
        }
    }

    /// The plan that carries the request out.
    pub fn plan(&self, id: PlanId) -> Plan {
        match self {
            Request::Containers {
                verb,
                subjects,
                signal,
                volumes,
                origin,
            } => {
                let steps: Vec<Step> = subjects
                    .iter()
                    .map(|s| {
                        Step::new(
                            Target::container(&s.key, &s.name),
                            match verb {
                                ContainerVerb::Start => Operation::Start,
                                ContainerVerb::Stop => Operation::Stop,
                                ContainerVerb::Restart => Operation::Restart,
                                ContainerVerb::Pause => Operation::Pause,
                                ContainerVerb::Unpause => Operation::Unpause,
                                ContainerVerb::Kill => Operation::Kill {
                                    signal: KILL_SIGNALS[*signal].into(),
                                },
                                ContainerVerb::Remove => Operation::Remove {
                                    volumes: *volumes,
                                    force: s.running,
                                },
                            },
                        )
                    })
                    .collect();
                let verb = steps.first().map_or("change", |s| s.op.verb());
                let title = match subjects.as_slice() {
                    [one] => format!("{verb} {}", one.name),
                    many => format!("{verb} {} containers", many.len()),
                };
                // Each container on its own, several at once: one that fails does not hold
                // up or undo the others.
                Plan {
                    id,
                    title,
                    origin: origin.clone(),
                    steps,
                    on_failure: OnFailure::EachAlone,
                    scope: Scope::Containers,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(name: &str, running: bool) -> Subject {
        Subject {
            key: ContainerKey {
                endpoint: "default".into(),
                id: format!("{name}-id"),
            },
            name: name.into(),
            running,
            state: if running {
                RunState::Running
            } else {
                RunState::Exited
            },
        }
    }

    #[test]
    fn a_removal_forces_only_the_running_and_says_so() {
        let mut r = Request::containers(
            ContainerVerb::Remove,
            vec![subject("a", true), subject("b", false)],
            Origin::Keystroke,
        );
        r.toggle();
        let plan = r.plan(PlanId("p".into()));
        assert_eq!(plan.title, "remove 2 containers");
        let ops: Vec<&Operation> = plan.steps.iter().map(|s| &s.op).collect();
        assert_eq!(
            ops,
            [
                &Operation::Remove {
                    volumes: true,
                    force: true
                },
                &Operation::Remove {
                    volumes: true,
                    force: false
                }
            ]
        );
        assert_eq!(r.warnings(), ["1 running: they will be killed first"]);
    }

    #[test]
    fn the_dialog_says_which_targets_are_already_there() {
        let start =
            |subjects| Request::containers(ContainerVerb::Start, subjects, Origin::Keystroke);
        assert_eq!(
            start(vec![subject("web", true)]).warnings(),
            ["web is already running: the engine will change nothing"]
        );
        assert_eq!(
            start(vec![
                subject("a", true),
                subject("b", false),
                subject("c", true)
            ])
            .warnings(),
            ["2 are already running: the engine will change nothing for them (a, c)"]
        );
        assert!(start(vec![subject("b", false)]).warnings().is_empty());
        let kill = Request::containers(
            ContainerVerb::Kill,
            vec![subject("b", false)],
            Origin::Keystroke,
        );
        assert_eq!(
            kill.warnings(),
            ["b is not running: the engine will refuse"]
        );
    }

    #[test]
    fn kill_signals_cycle_both_ways() {
        let mut r = Request::containers(
            ContainerVerb::Kill,
            vec![subject("a", true)],
            Origin::Palette,
        );
        r.cycle(false);
        assert_eq!(
            r.choices(),
            [Choice::OneOf {
                label: "Signal",
                value: KILL_SIGNALS.last().unwrap().to_string()
            }]
        );
        r.cycle(true);
        r.cycle(true);
        let plan = r.plan(PlanId("p".into()));
        assert_eq!(plan.title, "kill a");
        assert_eq!(
            plan.steps[0].op,
            Operation::Kill {
                signal: KILL_SIGNALS[1].into()
            }
        );
        assert_eq!(plan.origin, Origin::Palette);
    }
}
