//! The domain as the console sees it: containers and the endpoints they live on.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::usage::Limits;

/// A container is identified by its endpoint and its engine id: the same id may appear on two
/// engines (images restored from a save, for instance), so the id alone is not a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ContainerKey {
    pub endpoint: String,
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Running,
    Restarting,
    Paused,
    Created,
    Removing,
    Exited,
    Dead,
    Unknown,
}

impl RunState {
    pub fn parse(s: &str) -> RunState {
        match s.to_ascii_lowercase().as_str() {
            "running" => RunState::Running,
            "restarting" => RunState::Restarting,
            "paused" => RunState::Paused,
            "created" => RunState::Created,
            "removing" => RunState::Removing,
            "exited" => RunState::Exited,
            "dead" => RunState::Dead,
            _ => RunState::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Restarting => "restarting",
            RunState::Paused => "paused",
            RunState::Created => "created",
            RunState::Removing => "removing",
            RunState::Exited => "exited",
            RunState::Dead => "dead",
            RunState::Unknown => "unknown",
        }
    }

    /// Whether processes exist (for uptime and for which actions make sense).
    pub fn is_alive(self) -> bool {
        matches!(
            self,
            RunState::Running | RunState::Paused | RunState::Restarting
        )
    }
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    #[default]
    None,
    Starting,
    Healthy,
    Unhealthy,
}

impl Health {
    pub fn parse(s: &str) -> Health {
        match s.to_ascii_lowercase().as_str() {
            "starting" => Health::Starting,
            "healthy" => Health::Healthy,
            "unhealthy" => Health::Unhealthy,
            _ => Health::None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Health::None => "none",
            Health::Starting => "starting",
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortMapping {
    /// Host address the port is published on, when published.
    pub host_ip: Option<String>,
    pub host_port: Option<u16>,
    pub container_port: u16,
    pub protocol: String,
}

impl PortMapping {
    /// `0.0.0.0:8080→80/tcp`, or `80/tcp` when only exposed.
    pub fn display(&self) -> String {
        match (self.host_port, &self.host_ip) {
            (Some(hp), Some(ip)) if !ip.is_empty() => {
                format!("{ip}:{hp}→{}/{}", self.container_port, self.protocol)
            }
            (Some(hp), _) => format!("{hp}→{}/{}", self.container_port, self.protocol),
            (None, _) => format!("{}/{}", self.container_port, self.protocol),
        }
    }
}

/// A compose service on one engine: what service operations act on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ServiceKey {
    pub endpoint: String,
    pub project: String,
    pub service: String,
}

/// The project of a label group of the agent's policies (`[group.NAME]` in `agent.toml`): no
/// compose project or stack can be named so, so a group never passes for a service.
pub const GROUP_PROJECT: &str = "@group";

impl ServiceKey {
    /// A label group of the agent's, on one endpoint: `@group/NAME`.
    pub fn group(endpoint: &str, name: &str) -> ServiceKey {
        ServiceKey {
            endpoint: endpoint.to_owned(),
            project: GROUP_PROJECT.to_owned(),
            service: name.to_owned(),
        }
    }

    pub fn is_group(&self) -> bool {
        self.project == GROUP_PROJECT
    }

    /// `project/service`, as headless commands take it (a Swarm service outside a stack has
    /// no project: its name alone).
    pub fn label(&self) -> String {
        if self.project.is_empty() {
            return self.service.clone();
        }
        format!("{}/{}", self.project, self.service)
    }
}

/// A group of the table's tree. Groups live on one engine: the same project name on two
/// engines is two projects.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupId {
    Project {
        endpoint: String,
        project: String,
    },
    Service(ServiceKey),
    /// Containers of no compose project (and no Swarm service).
    Standalone {
        endpoint: String,
    },
    /// A Swarm stack as the manager on `endpoint` knows it; `""` for services of no stack.
    Stack {
        endpoint: String,
        stack: String,
    },
    /// A Swarm service: its tasks' containers may be on any attached endpoint.
    SwarmService(super::swarm::SwarmServiceKey),
}

impl GroupId {
    pub fn endpoint(&self) -> &str {
        match self {
            GroupId::Project { endpoint, .. }
            | GroupId::Standalone { endpoint }
            | GroupId::Stack { endpoint, .. } => endpoint,
            GroupId::Service(s) => &s.endpoint,
            GroupId::SwarmService(s) => &s.endpoint,
        }
    }

    /// How the group is named to the operator (a merged log's title).
    pub fn title(&self) -> String {
        match self {
            GroupId::Service(s) => s.label(),
            GroupId::Project { project, .. } => project.clone(),
            GroupId::Standalone { .. } => "(no project)".to_owned(),
            GroupId::Stack { stack, .. } if stack.is_empty() => "(no stack)".to_owned(),
            GroupId::Stack { stack, .. } => stack.clone(),
            GroupId::SwarmService(s) => s.name.clone(),
        }
    }

    /// Whether `c` belongs to the group. A Swarm group's containers run on the nodes, which
    /// may be other endpoints than the manager's.
    pub fn contains(&self, c: &Container) -> bool {
        match self {
            GroupId::SwarmService(s) => c.swarm_service_id() == Some(&s.id),
            GroupId::Stack { stack, .. } => {
                c.swarm_service_id().is_some() && c.stack().unwrap_or("") == stack
            }
            _ => {
                c.key.endpoint == self.endpoint()
                    && match self {
                        GroupId::Project { project, .. } => c.project() == Some(project),
                        GroupId::Service(s) => {
                            c.project() == Some(&s.project) && c.service() == Some(&s.service)
                        }
                        _ => c.project().is_none() && c.swarm_service_id().is_none(),
                    }
            }
        }
    }
}

/// A container's place on one network, from inspect (the listing lacks the aliases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkAttachment {
    /// The network's name, as the container's settings key it.
    pub network: String,
    pub network_id: String,
    /// `172.18.0.3/16`, when it has one.
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    /// Names other containers on the network resolve to this one (the service name for a
    /// compose replica), without the short id the engine adds by itself.
    pub aliases: Vec<String>,
}

/// A network an engine has, listed on connect and kept up to date from network events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub endpoint: String,
    pub id: String,
    pub name: String,
    /// `bridge`, `host`, `null`, `overlay`, `macvlan`, …
    pub driver: String,
    /// `local` or `swarm`.
    pub scope: String,
    /// No route out of it.
    pub internal: bool,
    /// Standalone containers may join (overlay networks).
    pub attachable: bool,
    /// Containers on it may talk to each other (a bridge's `enable_icc`, on unless turned off).
    pub icc: bool,
    pub ipv6: bool,
    pub subnets: Vec<Subnet>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    pub subnet: String,
    pub gateway: Option<String>,
}

/// Identifies a network: the same id can exist on two engines only by accident, names clash
/// readily, so both the endpoint and the engine's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NetworkKey {
    pub endpoint: String,
    pub id: String,
}

impl Network {
    pub fn key(&self) -> NetworkKey {
        NetworkKey {
            endpoint: self.endpoint.clone(),
            id: self.id.clone(),
        }
    }
}

pub const LABEL_PROJECT: &str = "com.docker.compose.project";
pub const LABEL_SERVICE: &str = "com.docker.compose.service";
pub const LABEL_NUMBER: &str = "com.docker.compose.container-number";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Container {
    pub key: ContainerKey,
    pub name: String,
    pub image: String,
    pub command: String,
    pub state: RunState,
    pub health: Health,
    /// The engine's own one-line status ("Up 3 minutes (healthy)", "Exited (137) 2 hours ago").
    pub status: String,
    pub created: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub exit_code: Option<i64>,
    /// The kernel's OOM killer ended the last run (State.OOMKilled).
    #[serde(default)]
    pub oom_killed: bool,
    pub restart_count: Option<u64>,
    pub ports: Vec<PortMapping>,
    pub labels: BTreeMap<String, String>,
    /// Main process on the engine's host, while running (finds the cgroup of a local container).
    pub pid: Option<u32>,
    /// From inspect; the listing does not carry them (defaults until inspected).
    pub limits: Limits,
    pub health_check: Option<HealthCheck>,
    pub failing_streak: Option<i64>,
    /// The engine's last probes (it keeps five), oldest first.
    pub health_log: Vec<Probe>,
    /// `HostConfig.NetworkMode`: `bridge`, `host`, `none`, `container:<id>`, or the name of
    /// the primary network.
    #[serde(default)]
    pub network_mode: String,
    /// The networks it is attached to, by name.
    #[serde(default)]
    pub networks: Vec<NetworkAttachment>,
    /// Host ports its configuration binds by number (not left to the engine): a second copy
    /// of it could not bind them.
    #[serde(default)]
    pub fixed_host_ports: Vec<u16>,
    /// What the engine does when it stops: `no`, `always`, `unless-stopped`, `on-failure:3`.
    #[serde(default)]
    pub restart_policy: Option<String>,
    /// The named volumes it mounts.
    #[serde(default)]
    pub volumes: Vec<String>,
    /// Legacy links (`--link db:database`): the names of the containers it links to.
    #[serde(default)]
    pub links: Vec<String>,
}

/// `Config.Healthcheck`; durations in nanoseconds, None where the engine default applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub test: Vec<String>,
    pub interval_ns: Option<i64>,
    pub timeout_ns: Option<i64>,
    pub retries: Option<i64>,
    pub start_period_ns: Option<i64>,
}

/// The processes of a container, as the engine's `top` lists them (titles such as UID, PID,
/// TIME, CMD, and one row of values per process), made safe to draw.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcessTable {
    pub titles: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl ProcessTable {
    /// The value of column `title` (the first of `titles` the engine used) in each row.
    pub fn column(&self, titles: &[&str]) -> Option<usize> {
        titles
            .iter()
            .find_map(|want| self.titles.iter().position(|t| t == want))
    }
}

/// An image on an engine, as its listing has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    pub endpoint: String,
    pub id: String,
    /// `repo:tag` names; none for a dangling image.
    pub tags: Vec<String>,
    pub size: u64,
    pub created: Option<DateTime<Utc>>,
}

impl ImageInfo {
    /// No name points at it: left behind by a rebuild or a pull of a newer image.
    pub fn dangling(&self) -> bool {
        self.tags.iter().all(|t| t == "<none>:<none>")
    }
}

/// A volume on an engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeInfo {
    pub endpoint: String,
    pub name: String,
    pub driver: String,
    pub created: Option<DateTime<Utc>>,
}

/// One health probe run. `output` is sanitized (no control sequences) and capped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub exit_code: Option<i64>,
    pub output: String,
}

impl Container {
    pub fn project(&self) -> Option<&str> {
        self.labels.get(LABEL_PROJECT).map(String::as_str)
    }

    pub fn service(&self) -> Option<&str> {
        self.labels.get(LABEL_SERVICE).map(String::as_str)
    }

    /// The compose service, or the Swarm service within its stack.
    pub fn service_name(&self) -> Option<&str> {
        if let Some(s) = self.service() {
            return Some(s);
        }
        let name = self.labels.get(super::swarm::LABEL_SERVICE_NAME)?;
        Some(super::swarm::name_in_stack(name, self.stack()))
    }

    /// The Swarm service it is a task of.
    pub fn swarm_service_id(&self) -> Option<&str> {
        self.labels
            .get(super::swarm::LABEL_SERVICE_ID)
            .map(String::as_str)
    }

    /// The Swarm stack it was deployed with.
    pub fn stack(&self) -> Option<&str> {
        self.labels
            .get(super::swarm::LABEL_STACK)
            .map(String::as_str)
    }

    /// The compose service the container is a replica of.
    pub fn service_key(&self) -> Option<ServiceKey> {
        Some(ServiceKey {
            endpoint: self.key.endpoint.clone(),
            project: self.project()?.to_owned(),
            service: self.service()?.to_owned(),
        })
    }

    pub fn replica_number(&self) -> Option<u32> {
        self.labels.get(LABEL_NUMBER)?.parse().ok()
    }

    pub fn short_id(&self) -> &str {
        crate::text::short_id(&self.key.id)
    }

    /// The state as the table and `ps` print it: how a container ended when that matters
    /// (`exited(137)`, `oom-killed`).
    pub fn state_text(&self) -> String {
        match (self.state, self.exit_code) {
            (RunState::Exited, _) if self.oom_killed => "oom-killed".to_owned(),
            (RunState::Exited, Some(code)) if code != 0 => format!("exited({code})"),
            (s, _) => s.as_str().to_owned(),
        }
    }

    /// Seconds since the container started, while it runs.
    pub fn uptime_secs(&self, now: DateTime<Utc>) -> Option<i64> {
        if !self.state.is_alive() {
            return None;
        }
        self.started_at.map(|t| (now - t).num_seconds().max(0))
    }

    /// A listing lacks what only inspect tells (pid, limits, health detail). After a reconnect,
    /// keep the last inspected values while the state is unchanged, so that metrics keep their
    /// limits and source until the fresh inspect arrives.
    pub fn keep_inspect_details(&mut self, inspected: &Container) {
        if self.pid.is_some() || self.state != inspected.state {
            return;
        }
        self.pid = inspected.pid;
        if self.limits == Limits::default() {
            self.limits = inspected.limits.clone();
        }
        if self.health_check.is_none() {
            self.health_check = inspected.health_check.clone();
            self.failing_streak = inspected.failing_streak;
            self.health_log = inspected.health_log.clone();
        }
        if self.fixed_host_ports.is_empty() {
            self.fixed_host_ports
                .clone_from(&inspected.fixed_host_ports);
        }
        if self.links.is_empty() {
            self.links.clone_from(&inspected.links);
        }
        // The listing's networks lack the aliases.
        for n in &mut self.networks {
            if let Some(i) = inspected
                .networks
                .iter()
                .find(|i| i.network_id == n.network_id)
            {
                n.aliases.clone_from(&i.aliases);
            }
        }
    }

    pub fn published_ports(&self) -> impl Iterator<Item = &PortMapping> {
        self.ports.iter().filter(|p| p.host_port.is_some())
    }
}

/// Compact age: `45s`, `12m`, `3h`, `5d`.
pub fn format_age(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EndpointState {
    Connecting,
    Up {
        version: String,
        api_version: String,
    },
    Down {
        reason: String,
        /// Seconds until the next attempt, when known.
        retry_in_secs: Option<u64>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointStatus {
    pub name: String,
    pub host: String,
    pub state: EndpointState,
    /// When the supervisor will try again, while down (for a live countdown).
    #[serde(skip)]
    pub retry_at: Option<DateTime<Utc>>,
    /// Round trip of the last ping, shown in the endpoints panel (not the header, where a
    /// number changing every few seconds would keep an idle screen busy).
    pub rtt_ms: Option<u32>,
    /// TLS verification is off for this endpoint (the context asked for it).
    pub insecure: bool,
    /// How its containers are measured.
    #[serde(default = "sampling_idle")]
    pub sampling: Sampling,
    /// Over ssh: the channels open through its master (connections and the batched read), and
    /// whether connections go through the engine's forwarded socket.
    #[serde(default)]
    pub ssh_channels: Option<(usize, bool)>,
}

fn sampling_idle() -> Sampling {
    Sampling::Idle
}

/// How an endpoint's containers are being measured, as its sampler last said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Sampling {
    /// Nothing sampled yet (or nothing running).
    Idle,
    /// cgroup files on this machine.
    LocalFiles,
    /// The remote host's cgroup files, one batched read per tick through ssh.
    RemoteFiles,
    /// The remote's batched read is starting.
    Starting,
    /// The engine's stats API, a few containers at a time; with why the files are not read.
    StatsApi { why: Option<String> },
    /// `metrics_source = "cgroup"` and the files cannot be read: nothing is sampled.
    Unavailable { why: String },
}

impl Sampling {
    /// A few words for the endpoints panel.
    pub fn words(&self) -> String {
        match self {
            Sampling::Idle => "-".into(),
            Sampling::LocalFiles => "cgroup files".into(),
            Sampling::RemoteFiles => "cgroup files over ssh".into(),
            Sampling::Starting => "starting the batched read".into(),
            Sampling::StatsApi { why: None } => "stats API".into(),
            Sampling::StatsApi { why: Some(why) } => format!("stats API ({why})"),
            Sampling::Unavailable { why } => format!("not sampled: {why}"),
        }
    }
}

/// A context on disk, for the endpoints panel: attachable when not attached yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailableContext {
    pub name: String,
    pub host: String,
    pub current: bool,
    /// Why it cannot be used (malformed meta.json, missing TLS files …).
    pub error: Option<String>,
}

impl EndpointStatus {
    pub fn new(name: &str, host: &str) -> Self {
        EndpointStatus {
            name: name.to_owned(),
            host: host.to_owned(),
            state: EndpointState::Connecting,
            retry_at: None,
            rtt_ms: None,
            insecure: false,
            sampling: Sampling::Idle,
            ssh_channels: None,
        }
    }

    /// Whole seconds until the next attempt, while down.
    pub fn retry_in(&self, now: DateTime<Utc>) -> Option<i64> {
        self.retry_at
            .map(|t| ((t - now).num_milliseconds().max(0) + 999) / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_compact() {
        assert_eq!(format_age(5), "5s");
        assert_eq!(format_age(125), "2m");
        assert_eq!(format_age(7200), "2h");
        assert_eq!(format_age(3 * 86_400 + 5), "3d");
    }

    #[test]
    fn a_listing_keeps_inspect_details_while_the_state_is_unchanged() {
        use crate::app::testing::container;
        let limits = Limits {
            memory: Some(1 << 25),
            ..Limits::default()
        };
        let inspected: Container = container("a", "running")
            .pid(7)
            .limits(limits.clone())
            .into();
        let mut listed: Container = container("a", "running").into();
        listed.keep_inspect_details(&inspected);
        assert_eq!((listed.pid, &listed.limits), (Some(7), &limits));
        let mut stopped: Container = container("a", "exited").into();
        stopped.keep_inspect_details(&inspected);
        assert_eq!(stopped.pid, None);
    }

    #[test]
    fn port_display_shows_published_and_exposed() {
        let p = PortMapping {
            host_ip: Some("127.0.0.1".into()),
            host_port: Some(8080),
            container_port: 80,
            protocol: "tcp".into(),
        };
        assert_eq!(p.display(), "127.0.0.1:8080→80/tcp");
        let e = PortMapping {
            host_ip: None,
            host_port: None,
            container_port: 53,
            protocol: "udp".into(),
        };
        assert_eq!(e.display(), "53/udp");
    }
}
