//! Work the runtime must do on the reducer's behalf.

use serde::{Deserialize, Serialize};

use super::model::ContainerKey;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Passes the executor's gate: read-only refusal, then the engine call, then the audit log.
    Mutate(MutationRequest),
    /// Follow a container's logs; chunks come back tagged with `session`.
    FollowLogs {
        key: ContainerKey,
        session: u64,
        tail: usize,
    },
    StopLogs {
        session: u64,
    },
    Inspect {
        key: ContainerKey,
    },
    /// Re-read one container (the detail pane's health probes move without events).
    Refresh {
        key: ContainerKey,
    },
    SaveLogs {
        container_name: String,
        text: String,
    },
    /// Have every supervisor (re)subscribe with or without health probes' exec events.
    ShowProbeEvents(bool),
    /// Read the contexts on disk for the endpoints panel.
    ListContexts,
    /// Resolve a context and start supervising it.
    Attach {
        context: String,
    },
    /// Stop supervising an endpoint (its containers are already gone from the state).
    Detach {
        endpoint: String,
    },
    Quit,
}

/// One container a mutation applies to, named so the audit log and messages can say which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub key: ContainerKey,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Mutation {
    Start,
    Stop,
    Restart,
    Pause,
    Unpause,
    Kill { signal: String },
    Remove { volumes: bool, force: bool },
}

impl Mutation {
    pub fn verb(&self) -> &'static str {
        match self {
            Mutation::Start => "start",
            Mutation::Stop => "stop",
            Mutation::Restart => "restart",
            Mutation::Pause => "pause",
            Mutation::Unpause => "unpause",
            Mutation::Kill { .. } => "kill",
            Mutation::Remove { .. } => "remove",
        }
    }
}

/// Who asked: the audit log records it, and later the agent and canary steps use other origins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Keystroke,
    Palette,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MutationRequest {
    pub targets: Vec<Target>,
    pub mutation: Mutation,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MutationOutcome {
    pub target: Target,
    pub mutation: Mutation,
    pub result: Result<(), String>,
}

/// Signals offered by the kill dialog, most used first.
pub const KILL_SIGNALS: &[&str] = &[
    "SIGKILL", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2",
];
