//! The topology view's state and its lines, derived from the topology model: a tree (engine →
//! project → service → container, foldable) and a matrix (containers × networks). The model is
//! rebuilt only when containers or networks change, and only while the view is open.

use std::collections::HashSet;

use crate::topology::graph::{self, GraphLayout, ProjectKey};
use crate::topology::model::{GroupKind, NetworkMode, Topology};
use crate::topology::reach::{reach, Reach};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TopologyTab {
    #[default]
    Tree,
    Matrix,
    Graph,
}

impl TopologyTab {
    /// In the order `Tab` goes through them.
    pub const ALL: [TopologyTab; 3] = [TopologyTab::Tree, TopologyTab::Matrix, TopologyTab::Graph];

    pub fn title(self) -> &'static str {
        match self {
            TopologyTab::Tree => "Tree",
            TopologyTab::Matrix => "Networks",
            TopologyTab::Graph => "Services",
        }
    }

    pub fn next(self) -> TopologyTab {
        let at = TopologyTab::ALL
            .iter()
            .position(|t| *t == self)
            .unwrap_or(0);
        TopologyTab::ALL[(at + 1) % TopologyTab::ALL.len()]
    }
}

#[derive(Debug, Clone, Default)]
pub struct TopologyState {
    pub tab: TopologyTab,
    pub model: Option<Topology>,
    /// Containers or networks changed since the model was built.
    pub stale: bool,
    pub cursor: usize,
    pub offset: usize,
    /// First network column shown in the matrix.
    pub column: usize,
    /// The matrix shows addresses instead of marks.
    pub addresses: bool,
    /// Folded tree lines, by [`TreeLine::id`].
    pub collapsed: HashSet<String>,
    /// Derived by [`TopologyState::derive`] after every change, so a frame only draws.
    pub lines: Vec<TreeLine>,
    pub reach: Option<(usize, Reach)>,
    /// Display widths the columns need: the longest tree line (indent and mark included), the
    /// longest networks text, the longest container name.
    pub widest_line: usize,
    pub widest_networks: usize,
    pub widest_name: usize,
    /// The project (or stack) the service graph shows, and its layout, made when the graph tab
    /// first needs it after the model or the project changed.
    pub project: Option<ProjectKey>,
    pub graph: Option<GraphLayout>,
}

/// What a tree line stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    Endpoint,
    Group(GroupKind),
    Service,
    /// Index into the model's containers.
    Container(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeLine {
    /// Stable across rebuilds (for folding): `e/<endpoint>`, `g/<endpoint>/<group>`, ….
    pub id: String,
    pub depth: u8,
    pub kind: LineKind,
    pub label: String,
    pub collapsed: bool,
}

/// The tree's lines, folded lines' children left out.
pub fn tree_lines(topo: &Topology, collapsed: &HashSet<String>) -> Vec<TreeLine> {
    let mut out = Vec::new();
    for e in &topo.endpoints {
        let id = format!("e/{}", e.name);
        let folded = collapsed.contains(&id);
        out.push(TreeLine {
            id: id.clone(),
            depth: 0,
            kind: LineKind::Endpoint,
            label: e.name.clone(),
            collapsed: folded,
        });
        if folded {
            continue;
        }
        for g in &e.groups {
            // A compose project and a stack may share a name: the kind keeps their folds apart.
            let gid = format!("{id}/{:?}/{}", g.kind, g.name);
            let folded = collapsed.contains(&gid);
            let label = match g.kind {
                GroupKind::Standalone => "(no project)".to_owned(),
                GroupKind::Stack => format!("{} (stack)", g.name),
                GroupKind::Compose => g.name.clone(),
            };
            out.push(TreeLine {
                id: gid.clone(),
                depth: 1,
                kind: LineKind::Group(g.kind),
                label,
                collapsed: folded,
            });
            if folded {
                continue;
            }
            for s in &g.services {
                // Standalone containers have no service line of their own.
                let depth = if s.name.is_empty() {
                    2
                } else {
                    let sid = format!("{gid}/{}", s.name);
                    let folded = collapsed.contains(&sid);
                    let deps: Vec<&str> = s.depends_on.iter().map(|d| d.service.as_str()).collect();
                    out.push(TreeLine {
                        id: sid,
                        depth: 2,
                        kind: LineKind::Service,
                        label: if deps.is_empty() {
                            s.name.clone()
                        } else {
                            format!("{} → {}", s.name, deps.join(", "))
                        },
                        collapsed: folded,
                    });
                    if folded {
                        continue;
                    }
                    3
                };
                for &i in &s.containers {
                    let c = &topo.containers[i];
                    out.push(TreeLine {
                        id: format!("c/{}/{}", c.endpoint, c.id),
                        depth,
                        kind: LineKind::Container(i),
                        label: c.name.clone(),
                        collapsed: false,
                    });
                }
            }
        }
    }
    out
}

/// A container's networks as the tree's column shows them: its networks, or its mode.
pub fn networks_text(topo: &Topology, i: usize) -> String {
    let c = &topo.containers[i];
    match &c.network_mode {
        NetworkMode::Host => "host".into(),
        NetworkMode::None => "none".into(),
        NetworkMode::Container {
            target,
            target_missing,
        } => format!(
            "container:{target}{}",
            if *target_missing { " (gone)" } else { "" }
        ),
        NetworkMode::Networks => c
            .networks
            .iter()
            .map(|m| m.network_name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

impl TopologyState {
    /// A new model (or none, when the view closes): the graph is laid out again when shown.
    pub fn set_model(&mut self, model: Option<Topology>) {
        self.model = model;
        self.graph = None;
    }

    /// Shows `project`'s graph (laid out by the next [`TopologyState::derive`]).
    pub fn show_project(&mut self, project: Option<ProjectKey>) {
        if self.project != project {
            self.project = project;
            self.graph = None;
        }
    }

    /// The project before or after the shown one (`step` -1 or 1), wrapping round.
    pub fn step_project(&mut self, step: isize) {
        let Some(topo) = self.model.as_ref() else {
            return;
        };
        let all = graph::projects(topo);
        if all.is_empty() {
            return;
        }
        let at = self
            .project
            .as_ref()
            .and_then(|p| all.iter().position(|q| q == p))
            .unwrap_or(0) as isize;
        let next = (at + step).rem_euclid(all.len() as isize) as usize;
        self.show_project(Some(all[next].clone()));
        self.cursor = 0;
    }

    /// The project of container `i`, or the first one there is.
    pub fn project_of(&self, i: Option<usize>) -> Option<ProjectKey> {
        let topo = self.model.as_ref()?;
        let own = i.and_then(|i| {
            topo.endpoints.iter().find_map(|e| {
                e.groups
                    .iter()
                    .filter(|g| g.kind != GroupKind::Standalone)
                    .find(|g| g.services.iter().any(|s| s.containers.contains(&i)))
                    .map(|g| ProjectKey {
                        endpoint: e.name.clone(),
                        kind: g.kind,
                        name: g.name.clone(),
                    })
            })
        });
        own.or_else(|| graph::projects(topo).into_iter().next())
    }

    /// The graph's boxes (none when it is not drawn).
    pub fn graph_boxes(&self) -> &[graph::ServiceBox] {
        match &self.graph {
            Some(GraphLayout::Drawn { down, .. }) => &down.boxes,
            _ => &[],
        }
    }

    /// Works out the lines, the widths and the selected container's reach again: after the
    /// model, the folding, the tab or the cursor changed.
    pub fn derive(&mut self) {
        use unicode_width::UnicodeWidthStr;
        let Some(topo) = self.model.as_ref() else {
            self.lines.clear();
            self.reach = None;
            return;
        };
        self.lines = tree_lines(topo, &self.collapsed);
        self.widest_line = self
            .lines
            .iter()
            .map(|l| l.depth as usize * 2 + 2 + l.label.width())
            .max()
            .unwrap_or(0);
        self.widest_networks = (0..topo.containers.len())
            .map(|i| networks_text(topo, i).width())
            .max()
            .unwrap_or(0);
        self.widest_name = topo
            .containers
            .iter()
            .map(|c| c.name.width())
            .max()
            .unwrap_or(0);
        if self.tab == TopologyTab::Graph {
            // None chosen yet, or the one shown is gone: the first there is.
            let gone = self
                .project
                .as_ref()
                .is_none_or(|p| !graph::projects(topo).contains(p));
            if gone {
                let first = self.project_of(None);
                self.show_project(first);
            }
            if self.graph.is_none() {
                let topo = self.model.as_ref().expect("checked above");
                self.graph = self.project.as_ref().and_then(|p| graph::layout(topo, p));
            }
        }
        self.cursor = self.cursor.min(self.line_count().saturating_sub(1));
        // After lines went (a fold, containers removed) the window must still hold the cursor.
        self.offset = self.offset.min(self.cursor);
        self.reach = self
            .selected_container()
            .map(|i| (i, reach(self.model.as_ref().expect("checked above"), i)));
    }

    /// The container under the cursor (tree: its line; matrix: its row).
    pub fn selected_container(&self) -> Option<usize> {
        let topo = self.model.as_ref()?;
        match self.tab {
            TopologyTab::Tree => match self.lines.get(self.cursor)?.kind {
                LineKind::Container(i) => Some(i),
                _ => None,
            },
            TopologyTab::Matrix => (self.cursor < topo.containers.len()).then_some(self.cursor),
            TopologyTab::Graph => self
                .graph_boxes()
                .get(self.cursor)?
                .containers
                .first()
                .copied(),
        }
    }

    pub fn line_count(&self) -> usize {
        match (&self.model, self.tab) {
            (None, _) => 0,
            (Some(_), TopologyTab::Tree) => self.lines.len(),
            (Some(t), TopologyTab::Matrix) => t.containers.len(),
            (Some(_), TopologyTab::Graph) => self.graph_boxes().len(),
        }
    }
}
