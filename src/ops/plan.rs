//! Plans: the changes to make, as data. A plan is shown whole before it is confirmed, then the
//! gate runs its steps one at a time, auditing each under the plan's id, so that a plan cut
//! short can be read back from the audit log step by step.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::app::model::ContainerKey;

/// A plan's id: unique within this machine's audit log (process id, start time, counter).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PlanId(pub String);

impl PlanId {
    /// A fresh id. `salt` is the time (any value that differs between runs of the process).
    pub fn next(salt: u64) -> PlanId {
        static COUNTER: AtomicU64 = AtomicU64::new(1);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        PlanId(format!(
            "{:x}-{:x}-{n}",
            std::process::id(),
            salt & 0xff_ffff_ffff
        ))
    }
}

impl fmt::Display for PlanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a step changes. Flattened into the audit record: `target` names the kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum Target {
    Container {
        endpoint: String,
        #[serde(rename = "container_id")]
        id: String,
        #[serde(rename = "container_name")]
        name: String,
    },
}

impl Target {
    pub fn container(key: &ContainerKey, name: &str) -> Target {
        Target::Container {
            endpoint: key.endpoint.clone(),
            id: key.id.clone(),
            name: name.to_owned(),
        }
    }

    pub fn endpoint(&self) -> &str {
        match self {
            Target::Container { endpoint, .. } => endpoint,
        }
    }

    /// How the target is named to the operator.
    pub fn label(&self) -> &str {
        match self {
            Target::Container { name, .. } => name,
        }
    }

    pub fn container_key(&self) -> Option<ContainerKey> {
        match self {
            Target::Container { endpoint, id, .. } => Some(ContainerKey {
                endpoint: endpoint.clone(),
                id: id.clone(),
            }),
        }
    }
}

/// What a step does, with its parameters. Flattened into the audit record: `action` is the
/// verb, the parameters sit beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Operation {
    Start,
    Stop,
    Restart,
    Pause,
    Unpause,
    Kill { signal: String },
    Remove { volumes: bool, force: bool },
}

impl Operation {
    pub fn verb(&self) -> &'static str {
        match self {
            Operation::Start => "start",
            Operation::Stop => "stop",
            Operation::Restart => "restart",
            Operation::Pause => "pause",
            Operation::Unpause => "unpause",
            Operation::Kill { .. } => "kill",
            Operation::Remove { .. } => "remove",
        }
    }

    /// The parameters in words, to follow the target: ` with SIGTERM`, or nothing.
    pub fn details(&self) -> String {
        match self {
            Operation::Kill { signal } => format!(" with {signal}"),
            Operation::Remove { volumes, force } => match (force, volumes) {
                (true, true) => " (forced, with its anonymous volumes)".into(),
                (true, false) => " (forced)".into(),
                (false, true) => " with its anonymous volumes".into(),
                (false, false) => String::new(),
            },
            _ => String::new(),
        }
    }
}

/// Who asked. Flattened into the audit record as `origin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "origin", rename_all = "snake_case")]
pub enum Origin {
    /// A key in the console.
    Keystroke,
    /// The console's command palette.
    Palette,
    /// A headless command (`wheelhouse scale …`).
    CommandLine,
}

/// How a plan was approved; only approved plans run. Recorded as `approved`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// Confirmed by the operator: the dialog's confirm button, or `y` at a headless prompt.
    Operator,
    /// `--yes` on a headless command.
    YesFlag,
}

/// One change to one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub target: Target,
    pub op: Operation,
}

impl Step {
    /// `kill web-1 with SIGTERM`, as lists show a step.
    pub fn describe(&self) -> String {
        format!(
            "{} {}{}",
            self.op.verb(),
            self.target.label(),
            self.op.details()
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: PlanId,
    /// One line for the dialog title and the progress panel: `stop 3 containers`.
    pub title: String,
    pub origin: Origin,
    pub steps: Vec<Step>,
}

impl Plan {
    /// The endpoints the plan touches, sorted, each once.
    pub fn endpoints(&self) -> Vec<&str> {
        let mut e: Vec<&str> = self.steps.iter().map(|s| s.target.endpoint()).collect();
        e.sort_unstable();
        e.dedup();
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_within_a_process() {
        assert_ne!(PlanId::next(7), PlanId::next(7));
    }

    #[test]
    fn steps_describe_their_parameters() {
        let key = ContainerKey {
            endpoint: "prod".into(),
            id: "abc".into(),
        };
        let step = Step {
            target: Target::container(&key, "web-1"),
            op: Operation::Kill {
                signal: "SIGTERM".into(),
            },
        };
        assert_eq!(step.describe(), "kill web-1 with SIGTERM");
        let remove = Step {
            op: Operation::Remove {
                volumes: true,
                force: true,
            },
            ..step
        };
        assert_eq!(
            remove.describe(),
            "remove web-1 (forced, with its anonymous volumes)"
        );
    }
}
