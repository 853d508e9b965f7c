//! Plans: the changes to make, as data. A plan is shown whole before it is confirmed, then the
//! gate runs its steps one at a time, auditing each under the plan's id, so that a plan cut
//! short can be read back from the audit log step by step.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::app::model::ContainerKey;

/// A plan's id: unique within this machine's audit log (process id, start time, counter).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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

impl Scope {
    pub fn service(key: &crate::app::model::ServiceKey) -> Scope {
        Scope::ComposeService {
            endpoint: key.endpoint.clone(),
            project: key.project.clone(),
            service: key.service.clone(),
        }
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
    /// A container by id, or by name alone while it does not exist yet (a replica a step
    /// creates) or has just been renamed.
    Container {
        endpoint: String,
        #[serde(rename = "container_id")]
        id: String,
        #[serde(rename = "container_name")]
        name: String,
    },
    /// An image on an engine (checked before a rollout touches any container, or removed).
    Image { endpoint: String, image: String },
    /// A volume by name.
    Volume { endpoint: String, volume: String },
    /// A network by id.
    Network {
        endpoint: String,
        #[serde(rename = "network_id")]
        id: String,
        #[serde(rename = "network_name")]
        name: String,
    },
    /// The engine itself, for what applies to all of one kind (a prune).
    Engine { endpoint: String },
    /// A router's split of a canary rollout's traffic (`haproxy 127.0.0.1:9999 backend web`).
    /// (`rollout`, not `canary_rollout`: that is the canary origin's, flattened beside it.)
    Router { router: String, rollout: String },
    /// A Swarm service or node, changed through the manager on `endpoint`.
    Swarm {
        endpoint: String,
        #[serde(rename = "swarm_kind")]
        kind: SwarmObject,
        #[serde(rename = "swarm_id")]
        id: String,
        #[serde(rename = "swarm_name")]
        name: String,
    },
}

/// What a Swarm step changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SwarmObject {
    Service,
    Node,
}

impl Target {
    pub fn container(key: &ContainerKey, name: &str) -> Target {
        Target::Container {
            endpoint: key.endpoint.clone(),
            id: key.id.clone(),
            name: name.to_owned(),
        }
    }

    /// A container that a step creates or knows only by name.
    pub fn named(endpoint: &str, name: &str) -> Target {
        Target::Container {
            endpoint: endpoint.to_owned(),
            id: String::new(),
            name: name.to_owned(),
        }
    }

    pub fn endpoint(&self) -> &str {
        match self {
            Target::Container { endpoint, .. }
            | Target::Image { endpoint, .. }
            | Target::Volume { endpoint, .. }
            | Target::Network { endpoint, .. }
            | Target::Swarm { endpoint, .. }
            | Target::Engine { endpoint } => endpoint,
            // Not an engine: the router is what the audit line names.
            Target::Router { router, .. } => router,
        }
    }

    /// How the target is named to the operator.
    pub fn label(&self) -> &str {
        match self {
            Target::Container { name, .. }
            | Target::Network { name, .. }
            | Target::Swarm { name, .. } => name,
            Target::Image { image, .. } => image,
            Target::Volume { volume, .. } => volume,
            Target::Engine { endpoint } => endpoint,
            Target::Router { router, .. } => router,
        }
    }

    /// The container, when it is one known by id.
    pub fn container_key(&self) -> Option<ContainerKey> {
        match self {
            Target::Container { endpoint, id, .. } if !id.is_empty() => Some(ContainerKey {
                endpoint: endpoint.clone(),
                id: id.clone(),
            }),
            _ => None,
        }
    }

    /// What to name the container to the engine: its id when known, else its name.
    pub fn container_ref(&self) -> Option<&str> {
        match self {
            Target::Container { id, .. } if !id.is_empty() => Some(id),
            Target::Container { name, .. } => Some(name),
            _ => None,
        }
    }
}

/// New limits for `docker update`, as the engine takes them; `None` leaves a setting alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitUpdate {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nano_cpus: Option<i64>,
    /// For containers limited by quota and period (the engine refuses mixing the two styles).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cpu_quota: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cpu_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memory: Option<i64>,
    /// Memory plus swap; sent with `memory`, or the engine may refuse a lower memory.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memory_swap: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memory_reservation: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pids: Option<i64>,
    /// `no`, `always`, `unless-stopped`, `on-failure` or `on-failure:N` (checked by
    /// [`RestartPolicy::parse`]).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub restart: Option<String>,
}

/// A restart policy as `docker run --restart` writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestartPolicy {
    pub name: &'static str,
    pub max_retries: Option<i64>,
}

impl RestartPolicy {
    pub fn parse(text: &str) -> Result<RestartPolicy, String> {
        let (name, retries) = match text.trim().split_once(':') {
            Some((n, r)) => (n, Some(r)),
            None => (text.trim(), None),
        };
        let name = match name {
            "no" => "no",
            "always" => "always",
            "unless-stopped" => "unless-stopped",
            "on-failure" => "on-failure",
            other => {
                return Err(format!(
                    "restart policy {other:?}: one of no, always, unless-stopped, on-failure[:N]"
                ))
            }
        };
        let max_retries = match retries {
            None => None,
            Some(_) if name != "on-failure" => {
                return Err(format!(
                    "restart policy {text:?}: only on-failure takes a count"
                ))
            }
            Some(r) => Some(r.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                format!("restart policy {text:?}: the count must be a whole number")
            })?),
        };
        Ok(RestartPolicy { name, max_retries })
    }
}

impl LimitUpdate {
    /// `cpus 0.5, memory 256M (swap 512M), pids 100`.
    pub fn describe(&self) -> String {
        use crate::app::usage::human_bytes;
        let mut parts = Vec::new();
        if let Some(n) = self.nano_cpus {
            parts.push(format!("cpus {}", n as f64 / 1e9));
        }
        if let (Some(q), Some(p)) = (self.cpu_quota, self.cpu_period) {
            parts.push(format!("cpus {} (quota {q}/{p})", q as f64 / p as f64));
        }
        match (self.memory, self.memory_swap) {
            (Some(m), Some(-1)) => {
                parts.push(format!("memory {} (swap unlimited)", human_bytes(m as u64)))
            }
            (Some(m), Some(s)) if s > 0 => parts.push(format!(
                "memory {} (with swap {})",
                human_bytes(m as u64),
                human_bytes(s as u64)
            )),
            (Some(m), _) => parts.push(format!("memory {}", human_bytes(m as u64))),
            (None, _) => {}
        }
        if let Some(r) = self.memory_reservation {
            parts.push(format!("reservation {}", human_bytes(r as u64)));
        }
        if let Some(p) = self.pids {
            parts.push(format!("pids {p}"));
        }
        if let Some(r) = &self.restart {
            parts.push(format!("restart {r}"));
        }
        parts.join(", ")
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
    Kill {
        signal: String,
    },
    Remove {
        volumes: bool,
        force: bool,
    },
    /// Creates the target as a copy of replica `from` (id) as Compose would: its configuration,
    /// labels with `number`, its networks and aliases; on `image` if given.
    CreateReplica {
        from: String,
        /// The name of `from`, to say what is copied.
        copy_of: String,
        number: u32,
        /// Its name in the service, for its aliases (a replica made ahead of the one it
        /// replaces is created under a staging name and renamed later).
        replica_name: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        image: Option<String>,
    },
    Rename {
        to: String,
    },
    UpdateLimits {
        limits: LimitUpdate,
    },
    /// Waits until the target is healthy (or, without a health check, has run `settle_secs`),
    /// failing if it dies or `timeout_secs` pass.
    WaitHealthy {
        timeout_secs: u64,
        settle_secs: u64,
    },
    /// Checks that the target image is on the engine (there may be no registry to pull from).
    CheckImage,
    /// An interactive session in the target (a shell), the operator's terminal handed to it;
    /// its outcome is the session's end.
    Exec {
        command: Vec<String>,
    },
    /// Removes an image (by id or tag); `force` also untags it from stopped containers' use.
    RemoveImage {
        force: bool,
    },
    RemoveVolume,
    RemoveNetwork,
    /// Removes everything of a kind nothing uses: dangling images, unused volumes or networks.
    Prune {
        what: PruneWhat,
    },
    /// A Swarm service's replica count, set through the manager (which places the tasks).
    ScaleService {
        replicas: u64,
    },
    /// A Swarm service moved to a new image; the manager rolls it out with the service's own
    /// update settings.
    UpdateService {
        image: String,
    },
    /// Waits for the manager to report the service's update done, failing when it paused or
    /// rolled back (its message says why) or `timeout_secs` pass.
    WaitServiceUpdate {
        timeout_secs: u64,
        /// A rollback is what was asked: its completion is the success.
        rollback: bool,
    },
    /// Back to the service's previous settings, as the manager keeps them.
    RollbackService,
    /// A node's availability: `active`, `pause` (no new tasks) or `drain` (its tasks move).
    SetNodeAvailability {
        availability: String,
    },
    /// The share of requests (per cent) a router sends to a rollout's canary servers.
    SetCanaryWeight {
        /// How to reach the router (the target names it in words as `router`).
        #[serde(rename = "router_spec")]
        router: crate::canary::config::RouterSpec,
        percent: u32,
    },
    /// Where a rollout stands now, written to its state file (under its lock) once the steps
    /// before it have moved the traffic: the record a restarted console resumes from.
    RecordRollout {
        state_dir: std::path::PathBuf,
        rollout_state: crate::canary::state::RolloutState,
    },
}

/// What a prune removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PruneWhat {
    /// Images without a tag that no container uses.
    DanglingImages,
    /// Volumes no container uses.
    Volumes,
    /// Networks no container is attached to (the engine's own are kept).
    Networks,
}

impl PruneWhat {
    pub fn text(self) -> &'static str {
        match self {
            PruneWhat::DanglingImages => "dangling images",
            PruneWhat::Volumes => "unused volumes",
            PruneWhat::Networks => "unused networks",
        }
    }
}

impl Plan {
    /// A plan of one interactive session (a shell): the console runs it in its terminal.
    pub fn is_session(&self) -> bool {
        matches!(self.steps.as_slice(), [s] if matches!(s.op, Operation::Exec { .. }))
    }
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
            Operation::CreateReplica { .. } => "create",
            Operation::Rename { .. } => "rename",
            Operation::UpdateLimits { .. } => "update",
            Operation::WaitHealthy { .. } => "wait for",
            Operation::CheckImage => "check",
            Operation::Exec { .. } => "exec",
            Operation::RemoveImage { .. } | Operation::RemoveVolume | Operation::RemoveNetwork => {
                "remove"
            }
            Operation::Prune { .. } => "prune",
            Operation::ScaleService { .. } => "scale",
            Operation::UpdateService { .. } => "update",
            Operation::WaitServiceUpdate { .. } => "wait for",
            Operation::RollbackService => "roll back",
            Operation::SetNodeAvailability { availability } => match availability.as_str() {
                "drain" => "drain",
                "pause" => "pause",
                _ => "activate",
            },
            Operation::SetCanaryWeight { .. } => "set",
            Operation::RecordRollout { .. } => "record",
        }
    }

    /// The verb while it happens, for a row that is being changed: `stopping…`.
    pub fn under_way(&self) -> &'static str {
        match self {
            Operation::Start => "starting…",
            Operation::Stop => "stopping…",
            Operation::Restart => "restarting…",
            Operation::Pause => "pausing…",
            Operation::Unpause => "resuming…",
            Operation::Kill { .. } => "killing…",
            Operation::Remove { .. } => "removing…",
            Operation::CreateReplica { .. } => "creating…",
            Operation::Rename { .. } => "renaming…",
            Operation::UpdateLimits { .. } => "updating…",
            Operation::WaitHealthy { .. } => "waiting…",
            Operation::CheckImage => "checking…",
            Operation::Exec { .. } => "in a shell",
            Operation::RemoveImage { .. } | Operation::RemoveVolume | Operation::RemoveNetwork => {
                "removing…"
            }
            Operation::Prune { .. } => "pruning…",
            Operation::ScaleService { .. } => "scaling…",
            Operation::UpdateService { .. } | Operation::WaitServiceUpdate { .. } => "updating…",
            Operation::RollbackService => "rolling back…",
            Operation::SetNodeAvailability { .. } => "changing…",
            Operation::SetCanaryWeight { .. } => "moving traffic…",
            Operation::RecordRollout { .. } => "recording…",
        }
    }

    /// Whether the step changes anything (a wait or a check does not, though it is audited).
    pub fn changes(&self) -> bool {
        !matches!(
            self,
            Operation::WaitHealthy { .. }
                | Operation::CheckImage
                | Operation::WaitServiceUpdate { .. }
        )
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
            Operation::CreateReplica { copy_of, image, .. } => match image {
                Some(image) => format!(" (a copy of {copy_of} on {image})"),
                None => format!(" (a copy of {copy_of})"),
            },
            Operation::Rename { to } => format!(" to {to}"),
            Operation::UpdateLimits { limits } => format!(": {}", limits.describe()),
            Operation::WaitHealthy { timeout_secs, .. } => {
                format!(" to be healthy (at most {timeout_secs} s)")
            }
            Operation::CheckImage => " is on the engine".into(),
            Operation::Exec { command } => format!(": {}", crate::shell::command_text(command)),
            Operation::RemoveImage { force: true } => " (forced)".into(),
            Operation::Prune { what } => format!(": {}", what.text()),
            Operation::ScaleService { replicas } => format!(" to {replicas} replicas"),
            Operation::UpdateService { image } => format!(" to {image}"),
            Operation::WaitServiceUpdate { timeout_secs, .. } => {
                format!("'s update to finish (at most {timeout_secs} s)")
            }
            Operation::SetCanaryWeight { percent, .. } => {
                format!(": {percent} % of requests to the canary")
            }
            Operation::RecordRollout { rollout_state, .. } => {
                format!(
                    ": {} at step {}",
                    rollout_state.phase.word(),
                    rollout_state.step + 1
                )
            }
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
    /// The embedded agent, acting on one of its proposals under a policy the user enabled (or
    /// confirmed by the operator).
    Agent { policy: String, proposal: String },
    /// A step of a canary rollout (moving router weights, promoting, aborting).
    Canary {
        canary_rollout: String,
        canary_step: usize,
    },
}

/// What a plan as a whole is about, beyond the containers its steps touch: a compose service
/// for scale, limits and rollouts. Recorded as `scope` on every audit line of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// Containers picked one by one (the table's actions).
    #[default]
    Containers,
    ComposeService {
        endpoint: String,
        project: String,
        service: String,
    },
    /// A Swarm service, by its manager's endpoint and the service's full name.
    SwarmService { endpoint: String, service: String },
}

/// How a plan was approved; only approved plans run. Recorded as `approved`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// Confirmed by the operator: the dialog's confirm button, or `y` at a headless prompt.
    Operator,
    /// `--yes` on a headless command.
    YesFlag,
    /// A rule the operator wrote in a file allowed it without a keystroke (a rollout's timed
    /// pause, analysis, abort ramp or auto_abort): named here.
    Policy(String),
}

/// One change to one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub target: Target,
    pub op: Operation,
    /// What puts this step back when a later one fails and the plan rolls back; `None` when
    /// nothing needs undoing (a wait, a check) or nothing can (a removal: plans put those last).
    #[serde(skip)]
    pub undo: Option<Box<Step>>,
    /// Once this step has run the plan is past its point of no return (a removal): a later
    /// failure stops it there instead of rolling back.
    #[serde(skip)]
    pub commits: bool,
}

impl Step {
    pub fn new(target: Target, op: Operation) -> Step {
        Step {
            target,
            op,
            undo: None,
            commits: false,
        }
    }

    pub fn undone_by(mut self, undo: Step) -> Step {
        self.undo = Some(Box::new(undo));
        self
    }

    pub fn committing(mut self) -> Step {
        self.commits = true;
        self
    }
}

/// What the gate does when a step fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// Stop; what ran stays done.
    #[default]
    Stop,
    /// Independent steps (a bulk stop of marked containers): each runs on its own, several at
    /// once, and one that fails stops none of the others.
    EachAlone,
    /// Undo what ran, newest first, so that nothing is left half-done.
    RollBack,
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
    #[serde(default)]
    pub on_failure: OnFailure,
    #[serde(default)]
    pub scope: Scope,
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
        let step = Step::new(
            Target::container(&key, "web-1"),
            Operation::Kill {
                signal: "SIGTERM".into(),
            },
        );
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
