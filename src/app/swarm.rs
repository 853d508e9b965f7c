//! A Swarm as the console sees it: what each manager endpoint says about its nodes, services and
//! tasks. Kept per endpoint beside the containers, replaced whole on (re)connect and then piece by
//! piece as service and node events name what changed.
//!
//! The rules:
//! - Only a manager can answer for the cluster. A worker endpoint says it is one and shows its
//!   containers as any engine does; a manager that loses its quorum (or is demoted) keeps what it
//!   last said, marked with the manager's own words, until it answers again.
//! - A task links to its container by the container id the task reports; the container may be on
//!   any attached endpoint (the node's own engine), or on none.
//! - Services are named as operators type them: `stack/service` when the service belongs to a
//!   stack (`com.docker.stack.namespace`), else the service's own name.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::usage::Limits;

pub const LABEL_STACK: &str = "com.docker.stack.namespace";
/// On a task's container: the service it runs for.
pub const LABEL_SERVICE_ID: &str = "com.docker.swarm.service.id";
pub const LABEL_SERVICE_NAME: &str = "com.docker.swarm.service.name";
pub const LABEL_TASK_ID: &str = "com.docker.swarm.task.id";
pub const LABEL_NODE_ID: &str = "com.docker.swarm.node.id";

/// A Swarm service as the manager on `endpoint` knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SwarmServiceKey {
    pub endpoint: String,
    pub id: String,
    /// The service's full name (`shop_web` for service `web` of stack `shop`).
    pub name: String,
}

/// What an endpoint is in a Swarm.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SwarmRole {
    /// Not part of a Swarm (or not yet known).
    #[default]
    None,
    /// A worker: it runs tasks but cannot say what the cluster does.
    Worker,
    Manager,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmNode {
    pub id: String,
    pub hostname: String,
    /// `manager` or `worker`.
    pub role: String,
    pub leader: bool,
    /// `active`, `pause` or `drain`.
    pub availability: String,
    /// `ready`, `down`, `disconnected`, `unknown`.
    pub status: String,
    /// Why it is in that state, when the manager says.
    pub message: Option<String>,
    pub engine_version: String,
    pub nano_cpus: i64,
    pub memory_bytes: i64,
    pub addr: String,
    /// The node's version index (an update must name it).
    pub version: u64,
}

/// Rolling update (or rollback) settings of a service.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UpdateConfig {
    pub parallelism: u64,
    pub delay_ns: i64,
    /// `pause`, `continue` or `rollback`.
    pub failure_action: String,
    pub monitor_ns: i64,
    /// `stop-first` or `start-first`.
    pub order: String,
    pub max_failure_ratio: f64,
}

/// The outcome (or progress) of a service's last update, as the manager reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateStatus {
    /// `updating`, `paused`, `completed`, `rollback_started`, `rollback_paused`,
    /// `rollback_completed`.
    pub state: String,
    pub message: String,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl UpdateStatus {
    /// Still moving: the console keeps showing progress.
    pub fn in_progress(&self) -> bool {
        matches!(self.state.as_str(), "updating" | "rollback_started")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPort {
    pub published: Option<u16>,
    pub target: u16,
    pub protocol: String,
    /// `ingress` (the routing mesh) or `host`.
    pub mode: String,
}

impl PublishedPort {
    /// `8080→80/tcp (host)`.
    pub fn display(&self) -> String {
        match self.published {
            Some(p) => format!("{p}→{}/{} ({})", self.target, self.protocol, self.mode),
            None => format!("{}/{} ({})", self.target, self.protocol, self.mode),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SwarmService {
    pub key: SwarmServiceKey,
    pub stack: Option<String>,
    /// Replicas asked for; `None` for a global service (one per eligible node).
    pub replicas: Option<u64>,
    pub global: bool,
    /// Tasks running and wanted, as the manager counts them (`status=true`).
    pub running_tasks: Option<u64>,
    pub desired_tasks: Option<u64>,
    pub image: String,
    pub ports: Vec<PublishedPort>,
    /// `vip` or `dnsrr`.
    pub endpoint_mode: String,
    pub update_config: Option<UpdateConfig>,
    pub rollback_config: Option<UpdateConfig>,
    pub update_status: Option<UpdateStatus>,
    pub constraints: Vec<String>,
    /// Per task, from the spec.
    pub limits: Limits,
    /// Reserved per task (what the scheduler sets aside): CPUs in nano-CPUs and memory in bytes.
    pub reserved_nano_cpus: Option<i64>,
    pub reserved_memory: Option<i64>,
    /// The service's version index: an update must name it.
    pub version: u64,
    pub labels: BTreeMap<String, String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A service's name within its stack (`web` for `shop_web` of stack `shop`); the whole name
/// when it has no stack or does not start with the stack's.
pub fn name_in_stack<'a>(name: &'a str, stack: Option<&str>) -> &'a str {
    stack
        .and_then(|s| name.strip_prefix(s))
        .and_then(|n| n.strip_prefix('_'))
        .unwrap_or(name)
}

impl SwarmService {
    /// As operators type it: `shop/web` for a stack's service, else its name.
    pub fn label(&self) -> String {
        match &self.stack {
            Some(stack) => format!("{stack}/{}", self.short_name()),
            None => self.key.name.clone(),
        }
    }

    /// The name within its stack (`web`), or the whole name.
    pub fn short_name(&self) -> &str {
        name_in_stack(&self.key.name, self.stack.as_deref())
    }

    /// `running/desired`, counting as the manager does.
    pub fn replica_text(&self) -> String {
        let desired = self.desired_tasks.or(self.replicas);
        match (self.running_tasks, desired) {
            (Some(r), Some(d)) => format!("{r}/{d}"),
            (None, Some(d)) => format!("?/{d}"),
            _ => "-".into(),
        }
    }

    /// The one-word state of the service: an update in progress or gone wrong first, then
    /// whether every wanted task runs.
    pub fn verdict(&self) -> &'static str {
        if let Some(u) = &self.update_status {
            match u.state.as_str() {
                "updating" => return "updating",
                "rollback_started" => return "rollback",
                "paused" | "rollback_paused" => return "update paused",
                _ => {}
            }
        }
        match (self.running_tasks, self.desired_tasks.or(self.replicas)) {
            (_, Some(0)) => "scaled to 0",
            (Some(r), Some(d)) if r >= d => "up",
            (Some(0), Some(_)) => "down",
            (Some(_), Some(_)) => "partial",
            _ => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmTask {
    pub id: String,
    pub service_id: String,
    /// For a replicated service; a global service's tasks are told apart by node.
    pub slot: Option<u64>,
    pub node_id: Option<String>,
    /// `new`, `pending`, `assigned`, `preparing`, `starting`, `running`, `complete`,
    /// `shutdown`, `failed`, `rejected`, `orphaned`, …
    pub state: String,
    pub desired_state: String,
    /// Why it is where it is: `no suitable node (…)`, the exit of its container.
    pub message: String,
    pub error: Option<String>,
    pub container_id: Option<String>,
    pub exit_code: Option<i64>,
    pub image: String,
    pub updated_at: Option<DateTime<Utc>>,
}

impl SwarmTask {
    /// A task the service still wants (not one kept as history after it ended).
    pub fn is_current(&self) -> bool {
        matches!(
            self.desired_state.as_str(),
            "running" | "ready" | "accepted" | "new" | "pending" | "assigned"
        )
    }

    /// Why a task is not running, in the manager's words: the error, else the message when
    /// it says more than the state does.
    pub fn why(&self) -> Option<&str> {
        self.error.as_deref().filter(|e| !e.is_empty()).or_else(|| {
            let m = self.message.as_str();
            (!m.is_empty() && !m.eq_ignore_ascii_case(&self.state) && self.state != "running")
                .then_some(m)
        })
    }
}

/// Everything one endpoint says about its Swarm.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SwarmState {
    pub role: SwarmRole,
    /// The node this endpoint's engine is.
    pub node_id: Option<String>,
    /// Set while the endpoint no longer answers as a manager (quorum lost, demoted): what is
    /// shown is what it said last.
    pub lost: Option<String>,
    pub nodes: Vec<SwarmNode>,
    pub services: Vec<SwarmService>,
    pub tasks: Vec<SwarmTask>,
}

impl SwarmState {
    pub fn service(&self, id: &str) -> Option<&SwarmService> {
        self.services.iter().find(|s| s.key.id == id)
    }

    pub fn node(&self, id: &str) -> Option<&SwarmNode> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The tasks of a service, current ones first, then by slot and newest first.
    pub fn tasks_of<'a>(&'a self, service_id: &'a str) -> impl Iterator<Item = &'a SwarmTask> {
        let mut tasks: Vec<&SwarmTask> = self
            .tasks
            .iter()
            .filter(|t| t.service_id == service_id)
            .collect();
        tasks.sort_by(|a, b| {
            b.is_current()
                .cmp(&a.is_current())
                .then(a.slot.cmp(&b.slot))
                .then(a.node_id.cmp(&b.node_id))
                .then(b.updated_at.cmp(&a.updated_at))
        });
        tasks.into_iter()
    }

    /// The hostname of a node, or its short id when the manager does not list it.
    pub fn node_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.node(id)
            .map(|n| n.hostname.as_str())
            .unwrap_or_else(|| crate::text::short_id(id))
    }

    /// While an update (or rollback) of `svc` runs: how many of its running tasks are on the
    /// image it is moving to, of how many it wants (`1/3 new`).
    pub fn update_progress(&self, svc: &SwarmService) -> Option<String> {
        svc.update_status.as_ref().filter(|u| u.in_progress())?;
        let new = self
            .tasks
            .iter()
            .filter(|t| t.service_id == svc.key.id && t.is_current() && t.state == "running")
            .filter(|t| t.image == svc.image)
            .count();
        let wanted = svc.desired_tasks.or(svc.replicas).unwrap_or(0);
        Some(format!("{new}/{wanted} new"))
    }

    /// Replaces the tasks of one service with a fresh list.
    pub fn replace_tasks_of(&mut self, service_id: &str, fresh: Vec<SwarmTask>) {
        self.tasks.retain(|t| t.service_id != service_id);
        self.tasks.extend(fresh);
    }
}

/// A service's use against its limits, summed over the containers of its current tasks on the
/// attached endpoints (read locally from cgroups where the node is the local engine).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceUse {
    /// Tasks the service wants now, and how many of them have a measured container here.
    pub current: usize,
    pub measured: usize,
    /// Percent of one core, summed (as `docker stats` adds them).
    pub cpu_percent: f64,
    pub memory: u64,
    /// The limits of every current task added up; None when a task has none.
    pub cpu_limit_cores: Option<f64>,
    pub memory_limit: Option<u64>,
    pub memory_reserved: Option<u64>,
}

pub fn service_use(
    inventory: &super::inventory::Inventory,
    usage: &std::collections::HashMap<super::model::ContainerKey, super::usage::UsageEntry>,
    state: &SwarmState,
    svc: &SwarmService,
) -> ServiceUse {
    let current: Vec<&SwarmTask> = state
        .tasks_of(&svc.key.id)
        .filter(|t| t.is_current())
        .collect();
    let n = current.len();
    let mut out = ServiceUse {
        current: n,
        cpu_limit_cores: svc.limits.nano_cpus.map(|c| c as f64 / 1e9 * n as f64),
        memory_limit: svc.limits.memory.map(|m| m * n as u64),
        memory_reserved: svc.reserved_memory.map(|m| m.max(0) as u64 * n as u64),
        ..ServiceUse::default()
    };
    let endpoints: std::collections::BTreeSet<&str> =
        usage.keys().map(|k| k.endpoint.as_str()).collect();
    for task in current {
        let Some(id) = task.container_id.as_deref() else {
            continue;
        };
        // The container is on the node's engine, which may be any attached endpoint: a look-up
        // per endpoint, not a walk through every container (this runs on every frame).
        let latest = endpoints
            .iter()
            .find_map(|endpoint| {
                let key = super::model::ContainerKey {
                    endpoint: (*endpoint).to_owned(),
                    id: id.to_owned(),
                };
                inventory.by_key(&key).and(usage.get(&key))
            })
            .and_then(|e| e.latest.as_ref());
        if let Some(u) = latest {
            out.measured += 1;
            out.cpu_percent += u.cpu_percent.unwrap_or(0.0);
            out.memory += u.memory_working_set.unwrap_or(0);
        }
    }
    out
}

/// Every endpoint's Swarm, by endpoint name.
#[derive(Debug, Clone, Default)]
pub struct Swarms {
    by_endpoint: BTreeMap<String, SwarmState>,
}

impl Swarms {
    pub fn get(&self, endpoint: &str) -> Option<&SwarmState> {
        self.by_endpoint.get(endpoint)
    }

    pub fn get_mut(&mut self, endpoint: &str) -> Option<&mut SwarmState> {
        self.by_endpoint.get_mut(endpoint)
    }

    pub fn set(&mut self, endpoint: &str, state: SwarmState) {
        if state.role == SwarmRole::None {
            self.by_endpoint.remove(endpoint);
        } else {
            self.by_endpoint.insert(endpoint.to_owned(), state);
        }
    }

    pub fn remove(&mut self, endpoint: &str) {
        self.by_endpoint.remove(endpoint);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &SwarmState)> {
        self.by_endpoint.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The managers' states: only they know services.
    pub fn managers(&self) -> impl Iterator<Item = (&str, &SwarmState)> {
        self.iter().filter(|(_, s)| s.role == SwarmRole::Manager)
    }

    pub fn service(&self, key: &SwarmServiceKey) -> Option<&SwarmService> {
        self.get(&key.endpoint)?.service(&key.id)
    }

    /// A task the manager on `endpoint` knows, with its service.
    pub fn task(&self, endpoint: &str, id: &str) -> Option<(&SwarmService, &SwarmTask)> {
        let state = self.get(endpoint)?;
        let task = state.tasks.iter().find(|t| t.id == id)?;
        Some((state.service(&task.service_id)?, task))
    }

    /// A node's hostname, from whichever manager lists it.
    pub fn node_hostname(&self, id: &str) -> Option<&str> {
        self.managers()
            .find_map(|(_, s)| s.node(id))
            .map(|n| n.hostname.as_str())
    }

    /// Every service on every manager endpoint, with its endpoint's state.
    pub fn services(&self) -> impl Iterator<Item = (&SwarmState, &SwarmService)> {
        self.managers()
            .flat_map(|(_, s)| s.services.iter().map(move |svc| (s, svc)))
    }

    /// A service by `stack/service`, by its full name, or by its name within a stack when only
    /// one stack has it; optionally on one endpoint. The error says what is close.
    pub fn find(&self, name: &str, endpoint: Option<&str>) -> Result<SwarmServiceKey, String> {
        let all: Vec<&SwarmService> = self
            .services()
            .map(|(_, s)| s)
            .filter(|s| endpoint.is_none_or(|e| s.key.endpoint == e))
            .collect();
        let matches: Vec<&&SwarmService> = all
            .iter()
            .filter(|s| s.label() == name || s.key.name == name)
            .collect();
        let matches = if matches.is_empty() && !name.contains('/') {
            all.iter().filter(|s| s.short_name() == name).collect()
        } else {
            matches
        };
        match matches.as_slice() {
            [one] => Ok(one.key.clone()),
            [] => {
                let labels: Vec<String> = all.iter().map(|s| s.label()).collect();
                let close = crate::ops::service::close_matches(name, &labels);
                let where_ = endpoint.map(|e| format!(" on {e}")).unwrap_or_default();
                let hint = if close.is_empty() {
                    String::new()
                } else {
                    format!("; did you mean {}?", close.join(", "))
                };
                Err(format!("no Swarm service {name:?}{where_}{hint}"))
            }
            many => {
                let places: Vec<String> = many
                    .iter()
                    .map(|s| format!("{} on {}", s.label(), s.key.endpoint))
                    .collect();
                Err(format!(
                    "{name:?} names several Swarm services: {}; say stack/service, and pick the endpoint with -c or -H",
                    places.join(", ")
                ))
            }
        }
    }

    /// A node by hostname or id (a prefix of the id will do), on the managers.
    pub fn find_node(
        &self,
        name: &str,
        endpoint: Option<&str>,
    ) -> Result<(String, SwarmNode), String> {
        let found: Vec<(String, SwarmNode)> = self
            .managers()
            .filter(|(e, _)| endpoint.is_none_or(|want| *e == want))
            .flat_map(|(e, s)| s.nodes.iter().map(move |n| (e.to_owned(), n.clone())))
            .filter(|(_, n)| n.hostname == name || n.id == name || n.id.starts_with(name))
            .collect();
        match found.len() {
            1 => Ok(found.into_iter().next().expect("one")),
            0 => {
                let known: Vec<String> = self
                    .managers()
                    .flat_map(|(_, s)| s.nodes.iter().map(|n| n.hostname.clone()))
                    .collect();
                if known.is_empty() {
                    Err(format!(
                        "no Swarm node {name:?}: no attached endpoint is a Swarm manager"
                    ))
                } else {
                    Err(format!(
                        "no Swarm node {name:?} (nodes: {})",
                        known.join(", ")
                    ))
                }
            }
            _ => Err(format!(
                "{name:?} names several Swarm nodes; give the node id, and pick the endpoint with -c or -H"
            )),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn service(endpoint: &str, stack: Option<&str>, name: &str) -> SwarmService {
        SwarmService {
            key: SwarmServiceKey {
                endpoint: endpoint.into(),
                id: format!("{name}-id"),
                name: name.into(),
            },
            stack: stack.map(Into::into),
            replicas: Some(2),
            global: false,
            running_tasks: Some(2),
            desired_tasks: Some(2),
            image: "img:1".into(),
            ports: Vec::new(),
            endpoint_mode: "dnsrr".into(),
            update_config: None,
            rollback_config: None,
            update_status: None,
            constraints: Vec::new(),
            limits: Limits::default(),
            reserved_nano_cpus: None,
            reserved_memory: None,
            version: 1,
            labels: BTreeMap::new(),
            updated_at: None,
        }
    }

    fn swarms(services: Vec<SwarmService>) -> Swarms {
        let mut all = Swarms::default();
        let mut by: BTreeMap<String, Vec<SwarmService>> = BTreeMap::new();
        for s in services {
            by.entry(s.key.endpoint.clone()).or_default().push(s);
        }
        for (e, services) in by {
            all.set(
                &e,
                SwarmState {
                    role: SwarmRole::Manager,
                    services,
                    ..SwarmState::default()
                },
            );
        }
        all
    }

    #[test]
    fn services_are_found_as_operators_name_them() {
        let all = swarms(vec![
            service("m", Some("shop"), "shop_web"),
            service("m", Some("shop"), "shop_worker"),
            service("m", None, "proxy"),
        ]);
        let id = |r: Result<SwarmServiceKey, String>| r.map(|k| k.id);
        assert_eq!(id(all.find("shop/web", None)), Ok("shop_web-id".into()));
        assert_eq!(id(all.find("shop_web", None)), Ok("shop_web-id".into()));
        assert_eq!(id(all.find("worker", None)), Ok("shop_worker-id".into()));
        assert_eq!(id(all.find("proxy", None)), Ok("proxy-id".into()));
        assert_eq!(
            all.find("shop/wbe", None),
            Err("no Swarm service \"shop/wbe\"; did you mean shop/web?".into())
        );
    }

    #[test]
    fn a_name_on_two_managers_asks_for_the_endpoint() {
        let all = swarms(vec![
            service("a", Some("shop"), "shop_web"),
            service("b", Some("shop"), "shop_web"),
        ]);
        let e = all.find("shop/web", None).unwrap_err();
        assert!(e.contains("shop/web on a, shop/web on b"), "{e}");
        assert_eq!(all.find("shop/web", Some("b")).unwrap().endpoint, "b");
    }

    #[test]
    fn the_verdict_puts_an_update_before_the_counts() {
        let mut s = service("m", None, "web");
        assert_eq!((s.verdict(), s.replica_text().as_str()), ("up", "2/2"));
        s.running_tasks = Some(1);
        assert_eq!(s.verdict(), "partial");
        s.update_status = Some(UpdateStatus {
            state: "rollback_started".into(),
            message: "update rolled back due to failure".into(),
            started_at: None,
            completed_at: None,
        });
        assert_eq!(s.verdict(), "rollback");
        s.update_status = None;
        s.desired_tasks = Some(0);
        s.replicas = Some(0);
        assert_eq!(s.verdict(), "scaled to 0");
    }

    #[test]
    fn a_pending_task_says_why_and_a_running_one_says_nothing() {
        let task = |state: &str, message: &str, error: Option<&str>| SwarmTask {
            id: "t".into(),
            service_id: "s".into(),
            slot: Some(1),
            node_id: None,
            state: state.into(),
            desired_state: "running".into(),
            message: message.into(),
            error: error.map(Into::into),
            container_id: None,
            exit_code: None,
            image: "i".into(),
            updated_at: None,
        };
        let pending = task(
            "pending",
            "pending task scheduling",
            Some("no suitable node (1 node not available for new tasks)"),
        );
        assert_eq!(
            pending.why(),
            Some("no suitable node (1 node not available for new tasks)")
        );
        assert_eq!(task("running", "started", None).why(), None);
        assert_eq!(
            task("failed", "task: non-zero exit (1)", None).why(),
            Some("task: non-zero exit (1)")
        );
    }
}
