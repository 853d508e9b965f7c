//! Work the runtime must do on the reducer's behalf.

use super::model::ContainerKey;
use crate::ops::{Approval, Plan};

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// An approved plan for the gate (`ops::Gate`): read-only refusal, then for each step its
    /// intent on disk, the engine call, its outcome on disk. Progress comes back as messages.
    Submit {
        plan: Plan,
        approval: Approval,
    },
    /// Stop a running plan before its next step (it rolls back if it is that kind of plan).
    Cancel {
        plan: crate::ops::PlanId,
    },
    /// A plan refused before it reached the gate (read-only in the console): the gate records
    /// the refusal in the audit log.
    Refuse {
        plan: Plan,
        reason: String,
    },
    /// Follow a container's logs; chunks come back tagged with `session`. With `since` (unix
    /// seconds), everything from then on instead of the last `tail` lines.
    FollowLogs {
        key: ContainerKey,
        session: u64,
        tail: usize,
        since: Option<i64>,
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
    /// List a container's processes (the engine's `top`) for the detail pane.
    Processes {
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
    /// List every endpoint's images and volumes (networks are in the inventory already).
    ListStorage,
    /// Read this console's records from the audit log, for the activity view.
    ReadActivity,
    /// Put text on the operator's clipboard through the terminal (OSC 52, which works over ssh).
    Copy {
        text: String,
    },
    /// Run an advisor with `input` on its stdin; its answer comes back as `Msg::Advised`.
    Advise {
        advisor: crate::agent::advisor::Advisor,
        input: String,
    },
    /// Read the firing alerts (`Msg::AlertsRead`).
    ReadAlerts {
        url: String,
        timeout: std::time::Duration,
    },
    Quit,
}
