//! The service graph of one project (or Swarm stack): services as boxes with their state,
//! replica count and published ports, `depends_on` as arrows from a service to what it needs,
//! laid out in layers by ascii-dag (a Sugiyama layout: fewest crossings, edges routed round
//! the boxes).
//!
//! The rules:
//! - ascii-dag places the boxes and draws the edges; the boxes are left blank in its picture
//!   and painted by the view, so their colours come from the theme (health, pressure).
//! - Dependants sit above what they depend on (a web service above its database); a dependency
//!   cycle, which Compose refuses but labels could still say, is drawn with a dashed back edge.
//! - A project of more than [`MAX_GRAPH_SERVICES`] is not laid out: no screen holds it, and the
//!   tree shows the same services in less room.

use ascii_dag::{CustomNode, Direction, Graph, RenderOptions};
use unicode_width::UnicodeWidthStr;

use super::model::{GroupKind, NetworkMode, Topology};
use crate::ui::text::fit;

/// More services than this and the graph says it does not fit, without laying anything out.
pub const MAX_GRAPH_SERVICES: usize = 60;
/// A box's longest line (ports may be many).
const MAX_BOX_TEXT: usize = 28;

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceGraph {
    pub endpoint: String,
    pub project: String,
    /// The picture, one string per row: edges drawn, boxes' areas blank.
    pub canvas: Vec<String>,
    /// Ordered top to bottom, left to right (the cursor's order).
    pub boxes: Vec<ServiceBox>,
    pub width: usize,
    pub height: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceBox {
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
    pub service: String,
    /// The name as the box shows it (cut to fit).
    pub label: String,
    /// Indices into the topology's containers.
    pub containers: Vec<usize>,
    /// `running 2/2`, `exited 0/1`, with `· 1 unhealthy` when any is.
    pub state: String,
    /// Published ports, `8080→80`, comma-separated; or the network mode when it is not
    /// networks (`host network`, `no network`, `in web-1's stack`); empty otherwise.
    pub ports: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GraphLayout {
    /// Laid out both ways: top down (what reads best, and what a deep chain needs) and left to
    /// right (for many independent services, which make one wide row top down). The view
    /// shows the first that fits. Both list their boxes in the same order.
    Drawn {
        down: ServiceGraph,
        across: ServiceGraph,
    },
    TooMany {
        project: String,
        services: usize,
    },
}

/// A project or stack: its endpoint, kind and name (a Compose project and a Swarm stack may
/// share a name on one engine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectKey {
    pub endpoint: String,
    pub kind: GroupKind,
    pub name: String,
}

/// The projects and stacks a graph can be drawn for, in the tree's order.
pub fn projects(topo: &Topology) -> Vec<ProjectKey> {
    topo.endpoints
        .iter()
        .flat_map(|e| {
            e.groups
                .iter()
                .filter(|g| g.kind != GroupKind::Standalone)
                .map(|g| ProjectKey {
                    endpoint: e.name.clone(),
                    kind: g.kind,
                    name: g.name.clone(),
                })
        })
        .collect()
}

fn box_text(topo: &Topology, containers: &[usize]) -> (String, String) {
    let running = containers
        .iter()
        .filter(|&&i| topo.containers[i].state == "running")
        .count();
    let lead = if running > 0 {
        "running".to_owned()
    } else {
        containers
            .first()
            .map_or_else(String::new, |&i| topo.containers[i].state.clone())
    };
    let unhealthy = containers
        .iter()
        .filter(|&&i| topo.containers[i].health == "unhealthy")
        .count();
    let mut state = format!("{lead} {running}/{}", containers.len());
    if unhealthy > 0 {
        state.push_str(&format!(" · {unhealthy} unhealthy"));
    }
    let mut ports: Vec<String> = Vec::new();
    for &i in containers {
        for p in &topo.containers[i].ports {
            let Some(public) = p.host_port else {
                continue;
            };
            let text = match p.protocol.as_str() {
                "tcp" | "" => format!("{public}→{}", p.container_port),
                proto => format!("{public}→{}/{proto}", p.container_port),
            };
            if !ports.contains(&text) {
                ports.push(text);
            }
        }
    }
    // No port to show: a network mode other than networks says more than nothing.
    let third = match containers
        .first()
        .map(|&i| &topo.containers[i].network_mode)
    {
        _ if !ports.is_empty() => ports.join(","),
        Some(NetworkMode::Host) => "host network".to_owned(),
        Some(NetworkMode::None) => "no network".to_owned(),
        Some(NetworkMode::Container { target, .. }) => format!("in {target}'s stack"),
        _ => String::new(),
    };
    (state, fit(&third, MAX_BOX_TEXT))
}

/// Lays out the graph of `key`; None when the topology has no such project.
pub fn layout(topo: &Topology, key: &ProjectKey) -> Option<GraphLayout> {
    let (endpoint, project) = (key.endpoint.as_str(), key.name.as_str());
    let group = topo
        .endpoints
        .iter()
        .find(|e| e.name == endpoint)?
        .groups
        .iter()
        .find(|g| g.kind == key.kind && g.name == project)?;
    if group.services.len() > MAX_GRAPH_SERVICES {
        return Some(GraphLayout::TooMany {
            project: project.to_owned(),
            services: group.services.len(),
        });
    }
    let texts: Vec<(String, String)> = group
        .services
        .iter()
        .map(|s| box_text(topo, &s.containers))
        .collect();
    let names: Vec<String> = group
        .services
        .iter()
        .map(|s| fit(&s.name, MAX_BOX_TEXT))
        .collect();
    let size = |i: usize| -> (usize, usize) {
        let (state, ports) = &texts[i];
        // Two more for the `↔ ` the view puts before a peer's name.
        let widest = [names[i].width() + 2, state.width(), ports.width()]
            .into_iter()
            .max()
            .unwrap_or(0);
        let rows = if ports.is_empty() { 2 } else { 3 };
        (widest + 4, rows + 2)
    };
    let draw = |direction: Direction| {
        let mut g = Graph::new();
        g.set_direction(direction);
        for (i, name) in names.iter().enumerate() {
            let (width, height) = size(i);
            g.add_node(
                i,
                CustomNode {
                    label: name.as_str(),
                    width,
                    height,
                    painter: None,
                    payload: "",
                },
            );
        }
        for (i, s) in group.services.iter().enumerate() {
            for d in &s.depends_on {
                let Some(j) = group.services.iter().position(|o| o.name == d.service) else {
                    continue;
                };
                let label = match d.condition.as_str() {
                    "service_healthy" => Some("healthy"),
                    "service_completed_successfully" => Some("completed"),
                    _ => None,
                };
                g.add_edge(i, j, label);
            }
        }
        let ir = g.compute_layout();
        let canvas: Vec<String> = ir
            .render_string(&RenderOptions::plain())
            .lines()
            // Edge labels come quoted; the arrow beside them says enough.
            .map(|l| l.replace('"', " ").trim_end().to_owned())
            .collect();
        let mut boxes: Vec<ServiceBox> = ir
            .nodes()
            .iter()
            .filter_map(|n| {
                let s = group.services.get(n.id)?;
                let (state, ports) = texts[n.id].clone();
                Some(ServiceBox {
                    x: n.x,
                    y: n.y,
                    width: n.width,
                    height: n.height,
                    service: s.name.clone(),
                    label: names[n.id].clone(),
                    containers: s.containers.clone(),
                    state,
                    ports,
                })
            })
            .collect();
        boxes.sort_by_key(|b| (b.y, b.x));
        let width = canvas.iter().map(|l| l.width()).max().unwrap_or(0);
        let width = boxes.iter().map(|b| b.x + b.width).fold(width, usize::max);
        let height = boxes
            .iter()
            .map(|b| b.y + b.height)
            .fold(canvas.len(), usize::max);
        ServiceGraph {
            endpoint: endpoint.to_owned(),
            project: project.to_owned(),
            canvas,
            boxes,
            width,
            height,
        }
    };
    let down = draw(Direction::TopDown);
    let mut across = draw(Direction::LeftRight);
    let order: Vec<&str> = down.boxes.iter().map(|b| b.service.as_str()).collect();
    across
        .boxes
        .sort_by_key(|b| order.iter().position(|s| *s == b.service));
    Some(GraphLayout::Drawn { down, across })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::inventory::Inventory;
    use crate::app::testing::container;

    fn shop(extra_services: usize) -> Topology {
        let mut inv = Inventory::default();
        let on = |c: crate::app::testing::ContainerBuilder, deps: &str| {
            c.label("com.docker.compose.depends_on", deps)
        };
        for c in [
            on(
                container("shop-web-1", "running").project("shop", "web"),
                "api:service_started:false",
            )
            .port(8080, 80),
            on(
                container("shop-api-1", "running").project("shop", "api"),
                "db:service_healthy:false",
            ),
            container("shop-db-1", "exited").project("shop", "db"),
        ] {
            inv.upsert(c.into());
        }
        for i in 0..extra_services {
            inv.upsert(
                container(&format!("big-s{i}-1"), "running")
                    .project("big", &format!("s{i}"))
                    .into(),
            );
        }
        crate::topology::build(&inv)
    }

    fn key(project: &str) -> ProjectKey {
        ProjectKey {
            endpoint: "default".into(),
            kind: GroupKind::Compose,
            name: project.into(),
        }
    }

    fn drawn(topo: &Topology, project: &str) -> ServiceGraph {
        match layout(topo, &key(project)) {
            Some(GraphLayout::Drawn { down, .. }) => down,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_chain_of_dependencies_is_drawn_top_down_with_each_box_saying_its_state() {
        let g = drawn(&shop(0), "shop");
        let order: Vec<&str> = g.boxes.iter().map(|b| b.service.as_str()).collect();
        assert_eq!(
            order,
            ["web", "api", "db"],
            "dependants above what they need"
        );
        let web = &g.boxes[0];
        assert_eq!(
            (web.state.as_str(), web.ports.as_str()),
            ("running 1/1", "8080→80")
        );
        assert_eq!(g.boxes[2].state, "exited 0/1");
        // The picture leaves the boxes blank for the view to paint, and draws the arrows
        // between them, with the condition that is not the default.
        let picture = g.canvas.join("\n");
        assert!(picture.contains('↓'), "{picture}");
        assert!(
            picture.contains("healthy") && !picture.contains('"'),
            "{picture}"
        );
        for b in &g.boxes {
            let row = &g.canvas[b.y + 1];
            let inside: String = row.chars().skip(b.x + 1).take(b.width - 2).collect();
            assert!(
                inside.trim().is_empty(),
                "box {} painted over: {row:?}",
                b.service
            );
        }
        assert!(g.width >= g.boxes.iter().map(|b| b.x + b.width).max().unwrap());
    }

    #[test]
    fn a_project_of_hundreds_of_services_is_not_laid_out() {
        let topo = shop(300);
        assert_eq!(
            layout(&topo, &key("big")),
            Some(GraphLayout::TooMany {
                project: "big".into(),
                services: 300
            })
        );
        assert_eq!(layout(&topo, &key("nowhere")), None);
        assert_eq!(projects(&topo), [key("big"), key("shop")]);
    }
}
