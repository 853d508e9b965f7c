//! Builders for containers in unit tests and view snapshots.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};

use super::model::{
    Container, ContainerKey, GroupId, Health, PortMapping, RunState, ServiceKey, LABEL_NUMBER,
    LABEL_PROJECT, LABEL_SERVICE,
};

/// A tree group on the `default` endpoint, written short: `p:shop`, `s:shop/api`, `standalone`.
pub fn group(short: &str) -> GroupId {
    let endpoint = "default".to_owned();
    match short.split_once(':') {
        Some(("p", project)) => GroupId::Project {
            endpoint,
            project: project.into(),
        },
        Some(("s", ps)) => {
            let (project, service) = ps.split_once('/').expect("s:<project>/<service>");
            GroupId::Service(ServiceKey {
                endpoint,
                project: project.into(),
                service: service.into(),
            })
        }
        Some(("stack", stack)) => GroupId::Stack {
            endpoint,
            stack: stack.into(),
        },
        Some(("swarm", name)) => GroupId::SwarmService(crate::app::swarm::SwarmServiceKey {
            endpoint,
            id: format!("{name}-id"),
            name: name.into(),
        }),
        _ if short == "standalone" => GroupId::Standalone { endpoint },
        _ => panic!("group {short:?}: write p:<project>, s:<project>/<service> or standalone"),
    }
}

/// The short form [`group`] reads, for assertions.
pub fn group_short(id: &GroupId) -> String {
    match id {
        GroupId::Project { project, .. } => format!("p:{project}"),
        GroupId::Service(s) => format!("s:{}/{}", s.project, s.service),
        GroupId::Standalone { .. } => "standalone".into(),
        GroupId::Stack { stack, .. } => format!("stack:{stack}"),
        GroupId::SwarmService(s) => format!("swarm:{}", s.name),
    }
}

/// A fixed instant so that ages in snapshots never change (the scenes' clock).
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 19, 20, 0).unwrap()
}

pub struct ContainerBuilder(Container);

pub fn container(name: &str, state: &str) -> ContainerBuilder {
    let id = format!("{:0<64}", hex_of(name));
    let state = RunState::parse(state);
    ContainerBuilder(Container {
        key: ContainerKey {
            endpoint: "default".into(),
            id,
        },
        name: name.into(),
        image: "busybox:latest".into(),
        command: "sleep 3600".into(),
        state,
        health: Health::None,
        status: String::new(),
        created: Some(epoch() - chrono::Duration::hours(3)),
        started_at: state
            .is_alive()
            .then(|| epoch() - chrono::Duration::minutes(42)),
        finished_at: None,
        exit_code: (state == RunState::Exited).then_some(0),
        oom_killed: false,
        restart_count: Some(0),
        ports: vec![],
        labels: BTreeMap::new(),
        pid: None,
        limits: Default::default(),
        health_check: None,
        failing_streak: None,
        health_log: Vec::new(),
        network_mode: "bridge".into(),
        networks: Vec::new(),
        fixed_host_ports: Vec::new(),
        restart_policy: None,
        volumes: Vec::new(),
        links: Vec::new(),
    })
}

fn hex_of(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

impl ContainerBuilder {
    pub fn project(mut self, project: &str, service: &str) -> Self {
        self.0.labels.insert(LABEL_PROJECT.into(), project.into());
        self.0.labels.insert(LABEL_SERVICE.into(), service.into());
        self
    }
    pub fn number(mut self, n: u32) -> Self {
        self.0.labels.insert(LABEL_NUMBER.into(), n.to_string());
        self
    }
    pub fn label(mut self, k: &str, v: &str) -> Self {
        self.0.labels.insert(k.into(), v.into());
        self
    }
    pub fn image(mut self, image: &str) -> Self {
        self.0.image = image.into();
        self
    }
    pub fn limits(mut self, limits: crate::app::usage::Limits) -> Self {
        self.0.limits = limits;
        self
    }
    pub fn pid(mut self, pid: u32) -> Self {
        self.0.pid = Some(pid);
        self
    }
    pub fn health(mut self, h: Health) -> Self {
        self.0.health = h;
        self
    }
    pub fn endpoint(mut self, e: &str) -> Self {
        self.0.key.endpoint = e.into();
        self
    }
    pub fn exit_code(mut self, code: i64) -> Self {
        self.0.exit_code = Some(code);
        self
    }
    pub fn oom_killed(mut self) -> Self {
        self.0.oom_killed = true;
        self
    }
    pub fn restarts(mut self, n: u64) -> Self {
        self.0.restart_count = Some(n);
        self
    }
    pub fn uptime_minutes(mut self, m: i64) -> Self {
        self.0.started_at = Some(epoch() - chrono::Duration::minutes(m));
        self
    }
    pub fn port(mut self, host: u16, container: u16) -> Self {
        self.0.ports.push(PortMapping {
            host_ip: Some("0.0.0.0".into()),
            host_port: Some(host),
            container_port: container,
            protocol: "tcp".into(),
        });
        self
    }

    /// Attached to network `name` (id `<name>-id`) at `ip`.
    pub fn network(mut self, name: &str, ip: &str) -> Self {
        self.0.networks.push(crate::app::model::NetworkAttachment {
            network: name.into(),
            network_id: format!("{name}-id"),
            ipv4: Some(ip.into()),
            ipv6: None,
            aliases: Vec::new(),
        });
        self
    }

    /// `host`, `none` or `container:<id>`.
    pub fn network_mode(mut self, mode: &str) -> Self {
        self.0.network_mode = mode.into();
        self
    }
}

/// A network of the `default` endpoint with id `<name>-id`.
pub fn network(name: &str, internal: bool, icc: bool) -> crate::app::model::Network {
    crate::app::model::Network {
        endpoint: "default".into(),
        id: format!("{name}-id"),
        name: name.into(),
        driver: "bridge".into(),
        scope: "local".into(),
        internal,
        attachable: false,
        icc,
        ipv6: false,
        subnets: Vec::new(),
        labels: BTreeMap::new(),
    }
}

impl std::ops::Deref for ContainerBuilder {
    type Target = Container;
    fn deref(&self) -> &Container {
        &self.0
    }
}

impl From<ContainerBuilder> for Container {
    fn from(b: ContainerBuilder) -> Container {
        b.0
    }
}
