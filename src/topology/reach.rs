//! Whom a container can reach and who can reach it: the same set, since a shared network is
//! symmetric, plus the host through the ports it publishes.
//!
//! The rules:
//! - Two containers reach each other when they share a network whose inter-container
//!   communication is on; a network with it off joins nobody (it is said, so an operator sees why).
//! - `none` reaches nothing; `host` shares the host's stack: it reaches, and is reached by,
//!   the other host-mode containers and whatever listens on the host; `container:<x>` is x's
//!   reach, whatever x is.
//! - A container on internal networks only has no route out; a container with no peer and no
//!   published port is isolated.
//! - Stopped containers count as members (a start brings them back); the views show their state.

use super::model::{ContainerNode, NetworkMode, Topology};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reach {
    /// Containers it can reach, with the networks that join them (or `host`).
    pub peers: Vec<(usize, Vec<String>)>,
    /// `0.0.0.0:8080→80/tcp`: how the host (and beyond) reaches it.
    pub published: Vec<String>,
    /// No peer and no published port.
    pub isolated: bool,
    /// Only on internal networks: nothing outside the engine.
    pub no_route_out: bool,
    /// Why some expected peers are not there (`icc off on back`, `network none`).
    pub notes: Vec<String>,
}

/// The container whose network stack `i` uses (itself, or its `container:` target).
fn stack_of(topo: &Topology, i: usize) -> usize {
    let mut at = i;
    // A chain of container: modes ends within as many steps as there are containers.
    for _ in 0..topo.containers.len() {
        let NetworkMode::Container {
            target,
            target_missing: false,
        } = &topo.containers[at].network_mode
        else {
            break;
        };
        let endpoint = &topo.containers[at].endpoint;
        match topo
            .containers
            .iter()
            .position(|c| &c.name == target && &c.endpoint == endpoint)
        {
            Some(next) if next != at => at = next,
            _ => break,
        }
    }
    at
}

pub fn reach(topo: &Topology, i: usize) -> Reach {
    let mut out = Reach::default();
    let me = stack_of(topo, i);
    let c: &ContainerNode = &topo.containers[me];
    if me != i {
        out.notes
            .push(format!("shares the network stack of {}", c.name));
    }
    if let NetworkMode::Container {
        target,
        target_missing: true,
    } = &topo.containers[i].network_mode
    {
        out.notes.push(format!(
            "its network is container {target}'s, which is gone"
        ));
        out.isolated = true;
        return out;
    }
    // Containers sharing my stack (those in container: mode on me, and me) reach each other
    // over loopback.
    let sharing: Vec<usize> = (0..topo.containers.len())
        .filter(|&j| j != i)
        .filter(|&j| {
            j == me
                || matches!(
                    topo.containers[j].network_mode,
                    NetworkMode::Container { .. }
                ) && stack_of(topo, j) == me
        })
        .collect();
    for j in sharing {
        out.peers.push((j, vec!["loopback".into()]));
    }
    match &c.network_mode {
        NetworkMode::None => out
            .notes
            .push("network none: no interface but loopback".into()),
        NetworkMode::Host => {
            for (j, o) in topo.containers.iter().enumerate() {
                if j != i
                    && j != me
                    && o.endpoint == c.endpoint
                    && o.network_mode == NetworkMode::Host
                {
                    out.peers.push((j, vec!["host".into()]));
                }
            }
            out.published
                .push("every port it listens on (host network)".into());
        }
        NetworkMode::Container { .. } | NetworkMode::Networks => {
            let mut internal_only = !c.networks.is_empty();
            for m in &c.networks {
                let Some(n) = m.network.map(|n| &topo.networks[n]) else {
                    internal_only = false;
                    continue;
                };
                internal_only &= n.internal;
                if !n.icc {
                    out.notes.push(format!(
                        "inter-container communication is off on {}",
                        n.name
                    ));
                    continue;
                }
                for &j in &n.members {
                    if j == me || j == i {
                        continue;
                    }
                    match out.peers.iter_mut().find(|(p, _)| *p == j) {
                        Some((_, via)) => via.push(n.name.clone()),
                        None => out.peers.push((j, vec![n.name.clone()])),
                    }
                }
            }
            out.no_route_out = internal_only;
            out.published = c
                .ports
                .iter()
                .filter(|p| p.host_port.is_some())
                .map(|p| p.display())
                .collect();
        }
    }
    // A peer's stack is shared by the containers in container: mode on it: they are reached
    // too. Found in one pass over the container-mode ones (most containers are not).
    let mut sharers = Vec::new();
    for (j, o) in topo.containers.iter().enumerate() {
        if j == i || !matches!(o.network_mode, NetworkMode::Container { .. }) {
            continue;
        }
        let stack = stack_of(topo, j);
        if let Some((_, via)) = out.peers.iter().find(|(p, _)| *p == stack && *p != j) {
            if !out.peers.iter().any(|(q, _)| *q == j) {
                sharers.push((j, via.clone()));
            }
        }
    }
    out.peers.extend(sharers);
    out.peers
        .sort_by(|a, b| topo.containers[a.0].name.cmp(&topo.containers[b.0].name));
    out.isolated = out.peers.is_empty() && out.published.is_empty();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::inventory::Inventory;
    use crate::app::testing::{container, network};

    /// front: web; back (internal): web, db; quiet (icc off): db, job; plus host, none and a
    /// sidecar in web's stack.
    fn topo() -> Topology {
        let mut inv = Inventory::default();
        for n in [
            network("front", false, true),
            network("back", true, true),
            network("quiet", false, false),
        ] {
            inv.upsert_network(n);
        }
        let web = container("web", "running")
            .network("front", "10.0.1.2/24")
            .network("back", "10.0.2.2/24")
            .port(8080, 80);
        let web_id = web.key.id.clone();
        for c in [
            web,
            container("db", "running")
                .network("back", "10.0.2.3/24")
                .network("quiet", "10.0.3.2/24"),
            container("job", "exited").network("quiet", "10.0.3.3/24"),
            container("side", "running").network_mode(&format!("container:{web_id}")),
            container("hostly", "running").network_mode("host"),
            container("hermit", "running").network_mode("none"),
            container("orphan", "running").network_mode("container:0123456789ab"),
        ] {
            inv.upsert(c.into());
        }
        crate::topology::build(&inv)
    }

    fn names(topo: &Topology, r: &Reach) -> Vec<String> {
        r.peers
            .iter()
            .map(|(p, via)| format!("{} via {}", topo.containers[*p].name, via.join("+")))
            .collect()
    }

    fn of(topo: &Topology, name: &str) -> Reach {
        reach(
            topo,
            topo.containers.iter().position(|c| c.name == name).unwrap(),
        )
    }

    #[test]
    fn shared_networks_join_and_icc_off_does_not() {
        let t = topo();
        let db = of(&t, "db");
        assert_eq!(names(&t, &db), ["side via back", "web via back"]);
        assert_eq!(db.notes, ["inter-container communication is off on quiet"]);
        assert!(db.published.is_empty() && !db.isolated && !db.no_route_out);
        let job = of(&t, "job");
        assert!(job.isolated, "{job:?}");
        let web = of(&t, "web");
        assert_eq!(names(&t, &web), ["db via back", "side via loopback"]);
        assert_eq!(web.published, ["0.0.0.0:8080→80/tcp"]);
    }

    #[test]
    fn modes_reach_as_their_stack_does() {
        let t = topo();
        let side = of(&t, "side");
        assert_eq!(names(&t, &side), ["db via back", "web via loopback"]);
        assert_eq!(side.published, ["0.0.0.0:8080→80/tcp"]);
        assert!(of(&t, "hermit").isolated);
        let hostly = of(&t, "hostly");
        assert_eq!(
            hostly.published,
            ["every port it listens on (host network)"]
        );
        let orphan = of(&t, "orphan");
        assert!(orphan.isolated);
        assert_eq!(
            orphan.notes,
            ["its network is container 0123456789ab's, which is gone"]
        );
    }

    #[test]
    fn the_model_lists_memberships_from_the_containers_and_modes_apart() {
        let t = topo();
        let back = t.networks.iter().find(|n| n.name == "back").unwrap();
        let members: Vec<&str> = back
            .members
            .iter()
            .map(|&m| t.containers[m].name.as_str())
            .collect();
        assert_eq!(members, ["db", "web"]);
        assert!(back.internal);
        let side = t.containers.iter().find(|c| c.name == "side").unwrap();
        assert_eq!(
            side.network_mode,
            NetworkMode::Container {
                target: "web".into(),
                target_missing: false
            }
        );
        assert!(side.networks.is_empty());
        assert_eq!(
            crate::topology::model::parse_depends_on(
                "db:service_healthy:false,cache:service_started:true"
            ),
            vec![
                crate::topology::model::Dependency {
                    service: "db".into(),
                    condition: "service_healthy".into()
                },
                crate::topology::model::Dependency {
                    service: "cache".into(),
                    condition: "service_started".into()
                },
            ]
        );
    }
}
