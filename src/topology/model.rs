//! The topology model: what the views draw and `wheelhouse topology --format json` prints (its
//! schema is this module's types, documented in README; `version` changes when they do).
//!
//! The rules:
//! - Groups live on one endpoint, as in the table: a compose project, a Swarm stack, or the
//!   containers of neither (`standalone`). Services keep the table's order (by name), and so do
//!   their containers.
//! - A container's network mode is a mode, not an edge: `host` and `none` join no network;
//!   `container:<id>` shares another container's stack, named by that container's name when it is
//!   known (`target_missing` when it is not: removed meanwhile).
//! - `depends_on` comes from Compose v2's label (`svc:condition:restart`, comma-separated;
//!   Compose v1 writes none); legacy links from inspect. Both are edges between services of
//!   one project (links: between containers).
//! - A network lists its members from the containers' side (a network listing carries none), so
//!   a member that vanished simply is not there.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::app::inventory::Inventory;
use crate::app::model::{Container, ContainerKey, Network, PortMapping};

/// Bumped when the JSON changes shape.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Topology {
    pub version: u32,
    pub endpoints: Vec<EndpointNode>,
    pub networks: Vec<NetworkNode>,
    pub containers: Vec<ContainerNode>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndpointNode {
    pub name: String,
    pub groups: Vec<GroupNode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    Compose,
    Stack,
    Standalone,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupNode {
    pub kind: GroupKind,
    /// The project or stack; empty for standalone containers.
    pub name: String,
    pub services: Vec<ServiceNode>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceNode {
    /// Empty for standalone containers (one service line holding them all).
    pub name: String,
    /// Indices into [`Topology::containers`].
    pub containers: Vec<usize>,
    pub depends_on: Vec<Dependency>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    pub service: String,
    /// `service_started`, `service_healthy`, `service_completed_successfully`.
    pub condition: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum NetworkMode {
    /// On its networks (bridge, user-defined, overlay, macvlan …).
    Networks,
    /// The host's own network stack.
    Host,
    /// No network at all.
    None,
    /// Another container's network stack.
    Container {
        target: String,
        /// The target is no container the console knows (removed meanwhile).
        target_missing: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Membership {
    /// Index into [`Topology::networks`]; `None` when the engine named a network it no longer
    /// lists.
    pub network: Option<usize>,
    pub network_name: String,
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerNode {
    pub endpoint: String,
    pub id: String,
    pub name: String,
    pub state: String,
    pub health: String,
    pub project: Option<String>,
    pub service: Option<String>,
    pub network_mode: NetworkMode,
    pub networks: Vec<Membership>,
    pub ports: Vec<PortMapping>,
    /// Legacy links: names of containers it links to.
    pub links: Vec<String>,
}

impl ContainerNode {
    pub fn key(&self) -> ContainerKey {
        ContainerKey {
            endpoint: self.endpoint.clone(),
            id: self.id.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkNode {
    pub endpoint: String,
    pub id: String,
    pub name: String,
    pub driver: String,
    pub scope: String,
    pub internal: bool,
    pub attachable: bool,
    /// Members may talk to each other (`enable_icc`).
    pub icc: bool,
    pub subnets: Vec<crate::app::model::Subnet>,
    /// Indices into [`Topology::containers`].
    pub members: Vec<usize>,
}

impl Topology {
    /// Only what one project (or stack) has, and the networks its containers are on.
    pub fn only_project(&self, project: &str) -> Topology {
        self.only(|c| c.project.as_deref() == Some(project))
    }

    /// Only the containers `keep` keeps, their groups and services, and the networks they are
    /// on.
    pub fn only(&self, keep: impl Fn(&ContainerNode) -> bool) -> Topology {
        let keep: Vec<bool> = self.containers.iter().map(keep).collect();
        let mut index = HashMap::new();
        let containers: Vec<ContainerNode> = self
            .containers
            .iter()
            .enumerate()
            .filter(|(i, _)| keep[*i])
            .map(|(i, c)| {
                index.insert(i, index.len());
                c.clone()
            })
            .collect();
        let mut net_index = HashMap::new();
        let networks: Vec<NetworkNode> = self
            .networks
            .iter()
            .enumerate()
            .filter(|(_, n)| n.members.iter().any(|m| keep[*m]))
            .map(|(i, n)| {
                net_index.insert(i, net_index.len());
                NetworkNode {
                    members: n
                        .members
                        .iter()
                        .filter_map(|m| index.get(m).copied())
                        .collect(),
                    ..n.clone()
                }
            })
            .collect();
        let containers = containers
            .into_iter()
            .map(|mut c| {
                for m in &mut c.networks {
                    m.network = m.network.and_then(|n| net_index.get(&n).copied());
                }
                c
            })
            .collect();
        let endpoints = self
            .endpoints
            .iter()
            .map(|e| EndpointNode {
                name: e.name.clone(),
                groups: e
                    .groups
                    .iter()
                    .map(|g| GroupNode {
                        services: g
                            .services
                            .iter()
                            .map(|s| ServiceNode {
                                containers: s
                                    .containers
                                    .iter()
                                    .filter_map(|c| index.get(c).copied())
                                    .collect(),
                                ..s.clone()
                            })
                            .filter(|s| !s.containers.is_empty())
                            .collect(),
                        ..g.clone()
                    })
                    .filter(|g| !g.services.is_empty())
                    .collect(),
            })
            .filter(|e| !e.groups.is_empty())
            .collect();
        Topology {
            version: self.version,
            endpoints,
            networks,
            containers,
        }
    }
}

/// `db:service_healthy:false,cache:service_started:false` (Compose v2's label).
pub fn parse_depends_on(label: &str) -> Vec<Dependency> {
    label
        .split(',')
        .filter_map(|part| {
            let mut fields = part.trim().split(':');
            let service = fields.next()?.trim();
            (!service.is_empty()).then(|| Dependency {
                service: service.to_owned(),
                condition: fields.next().unwrap_or("service_started").to_owned(),
            })
        })
        .collect()
}

const LABEL_DEPENDS_ON: &str = "com.docker.compose.depends_on";

fn network_mode(c: &Container, by_id: &HashMap<&str, &Container>) -> NetworkMode {
    let mode = c.network_mode.as_str();
    match mode {
        "host" => NetworkMode::Host,
        "none" => NetworkMode::None,
        m if m.starts_with("container:") => {
            let target = &m["container:".len()..];
            // The engine writes the id; a person wrote a name or a short id.
            let found = by_id.get(target).copied().or_else(|| {
                by_id
                    .values()
                    .find(|o| o.name == target || o.key.id.starts_with(target))
                    .copied()
            });
            NetworkMode::Container {
                target: found.map_or_else(|| target.to_owned(), |t| t.name.clone()),
                target_missing: found.is_none(),
            }
        }
        _ => NetworkMode::Networks,
    }
}

/// The topology of everything the inventory knows.
pub fn build(inv: &Inventory) -> Topology {
    let mut all: Vec<&Container> = inv.iter().map(|(_, c)| c).collect();
    all.sort_by(|a, b| {
        (
            a.key.endpoint.as_str(),
            group_of(a),
            a.service_name(),
            &a.name,
        )
            .cmp(&(
                b.key.endpoint.as_str(),
                group_of(b),
                b.service_name(),
                &b.name,
            ))
    });
    let mut networks: Vec<&Network> = inv.networks().collect();
    networks.sort_by(|a, b| (&a.endpoint, &a.name).cmp(&(&b.endpoint, &b.name)));
    let net_index: HashMap<(&str, &str), usize> = networks
        .iter()
        .enumerate()
        .map(|(i, n)| ((n.endpoint.as_str(), n.id.as_str()), i))
        .collect();
    let by_id: HashMap<&str, &Container> = all.iter().map(|c| (c.key.id.as_str(), *c)).collect();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); networks.len()];
    let containers: Vec<ContainerNode> = all
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mode = network_mode(c, &by_id);
            // The engine lists a host- or none-mode container on its `host` or `none` network:
            // that is its mode, said once, not a membership.
            let memberships = c
                .networks
                .iter()
                .filter(|a| {
                    mode == NetworkMode::Networks || !matches!(a.network.as_str(), "host" | "none")
                })
                .map(|a| {
                    let network = net_index
                        .get(&(c.key.endpoint.as_str(), a.network_id.as_str()))
                        .copied()
                        .or_else(|| {
                            networks
                                .iter()
                                .position(|n| n.endpoint == c.key.endpoint && n.name == a.network)
                        });
                    if let Some(n) = network {
                        members[n].push(i);
                    }
                    Membership {
                        network,
                        network_name: a.network.clone(),
                        ipv4: a.ipv4.clone(),
                        ipv6: a.ipv6.clone(),
                        aliases: a.aliases.clone(),
                    }
                })
                .collect();
            ContainerNode {
                endpoint: c.key.endpoint.clone(),
                id: c.key.id.clone(),
                name: c.name.clone(),
                state: c.state_text(),
                health: c.health.as_str().to_owned(),
                project: c.project().or(c.stack()).map(str::to_owned),
                service: c.service_name().map(str::to_owned),
                network_mode: mode,
                networks: memberships,
                ports: c.ports.clone(),
                links: c.links.clone(),
            }
        })
        .collect();
    // endpoint → (kind, group) → service → containers, in the containers' order.
    type Services = BTreeMap<String, (Vec<usize>, Vec<Dependency>)>;
    type Groups = BTreeMap<(u8, String), (GroupKind, Services)>;
    let mut tree: BTreeMap<&str, Groups> = BTreeMap::new();
    for (i, c) in all.iter().enumerate() {
        let (kind, group) = group_of(c);
        let kind = match kind {
            0 => GroupKind::Compose,
            1 => GroupKind::Stack,
            _ => GroupKind::Standalone,
        };
        let entry = tree
            .entry(c.key.endpoint.as_str())
            .or_default()
            .entry((group_of(c).0, group.to_owned()))
            .or_insert_with(|| (kind, BTreeMap::new()));
        let service = entry
            .1
            .entry(c.service_name().unwrap_or("").to_owned())
            .or_default();
        service.0.push(i);
        if service.1.is_empty() {
            if let Some(label) = c.labels.get(LABEL_DEPENDS_ON) {
                service.1 = parse_depends_on(label);
            }
        }
    }
    let endpoints = tree
        .into_iter()
        .map(|(name, groups)| EndpointNode {
            name: name.to_owned(),
            groups: groups
                .into_iter()
                .map(|((_, group), (kind, services))| GroupNode {
                    kind,
                    name: group,
                    services: services
                        .into_iter()
                        .map(|(name, (containers, depends_on))| ServiceNode {
                            name,
                            containers,
                            depends_on,
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let networks = networks
        .iter()
        .zip(members)
        .map(|(n, members)| NetworkNode {
            endpoint: n.endpoint.clone(),
            id: n.id.clone(),
            name: n.name.clone(),
            driver: n.driver.clone(),
            scope: n.scope.clone(),
            internal: n.internal,
            attachable: n.attachable,
            icc: n.icc,
            subnets: n.subnets.clone(),
            members,
        })
        .collect();
    Topology {
        version: SCHEMA_VERSION,
        endpoints,
        networks,
        containers,
    }
}

/// (0 compose, 1 stack, 2 neither; its name): the order groups are listed in.
fn group_of(c: &Container) -> (u8, &str) {
    match (c.project(), c.stack()) {
        (Some(p), _) => (0, p),
        (None, Some(s)) => (1, s),
        _ => (2, ""),
    }
}
