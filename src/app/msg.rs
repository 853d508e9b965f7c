//! Facts: what happened. Engine tasks, the terminal and timers send these; only the reducer reads them.

use std::path::PathBuf;

use crossterm::event::KeyEvent;
use serde_json::Value;

use super::events::EngineEvent;
use super::logbuf::Stream;
use super::model::{
    AvailableContext, Container, ContainerKey, EndpointState, EndpointStatus, Network, NetworkKey,
};
use super::usage::Sample;

#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    /// A click or a turn of the wheel (only with `mouse = true`).
    Mouse(crossterm::event::MouseEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// The clock moved on (ages, toast expiry).
    Tick,
    EndpointState {
        endpoint: String,
        state: EndpointState,
    },
    /// Something the engine reported, for the events pane (and health toasts).
    EngineEvent(EngineEvent),
    /// Round trip of a liveness ping.
    EndpointPing {
        endpoint: String,
        rtt_ms: u32,
    },
    /// The contexts on disk, for the endpoints panel.
    ContextsListed(Vec<AvailableContext>),
    /// A context was resolved and its supervisor started.
    EndpointAttached(EndpointStatus),
    /// A complete listing of one endpoint, after (re)connecting.
    Listed {
        endpoint: String,
        containers: Vec<Container>,
    },
    /// Boxed: a container is large and most messages are small.
    ContainerChanged(Box<Container>),
    ContainerRemoved(ContainerKey),
    /// Every network of one endpoint, after (re)connecting.
    NetworksListed {
        endpoint: String,
        networks: Vec<Network>,
    },
    NetworkChanged(Network),
    /// What an endpoint is in a Swarm and, for a manager, all it knows, after (re)connecting.
    SwarmListed {
        endpoint: String,
        state: Box<crate::app::swarm::SwarmState>,
    },
    /// One service read again after an event named it (None: it is gone), with its tasks.
    SwarmServiceChanged {
        endpoint: String,
        id: String,
        service: Option<Box<crate::app::swarm::SwarmService>>,
        tasks: Vec<crate::app::swarm::SwarmTask>,
    },
    /// The nodes read again after a node event, with every task (a node's change moves them).
    SwarmNodesChanged {
        endpoint: String,
        nodes: Vec<crate::app::swarm::SwarmNode>,
        tasks: Vec<crate::app::swarm::SwarmTask>,
    },
    /// The endpoint stopped answering as a manager (Some, in its words) or answers again (None).
    SwarmLost {
        endpoint: String,
        reason: Option<String>,
    },
    NetworkRemoved(NetworkKey),
    LogChunk {
        session: u64,
        stream: Stream,
        bytes: Vec<u8>,
    },
    LogEnded {
        session: u64,
        error: Option<String>,
    },
    Inspected {
        key: ContainerKey,
        result: Result<Value, String>,
    },
    /// The processes of the detail pane's container.
    Processes {
        key: ContainerKey,
        result: Result<super::model::ProcessTable, String>,
    },
    /// One sampler tick of an endpoint: raw counters of the containers it could read.
    Sampled {
        endpoint: String,
        samples: Vec<(ContainerKey, Sample)>,
    },
    /// An endpoint's sampler changed how it measures (cgroup files, over ssh, the stats API).
    Sampling {
        endpoint: String,
        sampling: crate::app::model::Sampling,
    },
    /// The ssh channels open through an ssh:// endpoint's master changed.
    SshChannels {
        endpoint: String,
        open: usize,
        /// Through the engine's forwarded socket (else dial-stdio children).
        forwarded: bool,
    },
    /// A step of a submitted plan started or ended.
    Progress(crate::ops::Progress),
    /// A submitted plan ended (every step done, or the first failure).
    PlanDone(crate::ops::PlanReport),
    /// Whether the audit log can be written: checked at start-up and after each failed write.
    /// While it cannot, every change is refused.
    AuditProblem(Option<String>),
    LogsSaved(Result<PathBuf, String>),
    /// One endpoint's images and volumes, for their view.
    StorageListed {
        endpoint: String,
        result: Result<(Vec<super::model::ImageInfo>, Vec<super::model::VolumeInfo>), String>,
    },
    /// This console's lines of the audit log, for the activity view.
    Activity(Result<Vec<crate::ops::audit::AuditRecord>, String>),
    /// Something the operator should see that is not tied to an action (config fallbacks).
    Warning(String),
    /// A canary rollout's router, read (or why it could not be).
    CanaryRead {
        rollout: String,
        result: Result<crate::canary::traffic::Traffic, String>,
    },
    /// Whether this console drives a rollout (holds its lock, with the state it resumes from)
    /// or another process does.
    CanaryDriver {
        rollout: String,
        driver: crate::canary::Driver,
    },
    /// A rollout another process drives, as its state file says now.
    CanaryWatched {
        rollout: String,
        state: Result<Option<crate::canary::state::RolloutState>, String>,
    },
    /// An advisor's run ended: its stdout, or why there is none.
    Advised {
        advisor: String,
        answer: Result<String, String>,
    },
    /// The Alertmanager's answer (its body), or why it could not be read.
    AlertsRead(Result<String, String>),
}
