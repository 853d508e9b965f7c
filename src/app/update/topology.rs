//! The topology view (`T`): tree, network matrix and service graph, moving, folding, choosing
//! the graph's project (`←`/`→`), and `Enter` to the
//! container in the table. The model is built when the view opens and again when containers or
//! networks change while it is open.

use super::*;
use crate::app::topology::{LineKind, TopologyTab};

pub(crate) fn on_action(
    app: &mut App,
    action: Action,
    _arg: Option<Arg>,
    _origin: Origin,
    _fx: &mut Vec<Effect>,
) {
    let page = app.screen.viewport.body_rows.max(1) as usize;
    let last = app.views.topology.line_count().saturating_sub(1);
    let t = &mut app.views.topology;
    match action {
        Action::Right if t.tab == TopologyTab::Matrix => {
            let networks = t.model.as_ref().map_or(0, |m| m.networks.len());
            t.column = (t.column + 1).min(networks.saturating_sub(1));
        }
        Action::Left if t.tab == TopologyTab::Matrix && t.column > 0 => t.column -= 1,
        Action::Right if t.tab == TopologyTab::Graph => t.step_project(1),
        Action::Left if t.tab == TopologyTab::Graph => t.step_project(-1),
        Action::ToggleTopologyTab | Action::Right | Action::Left => {
            // Keep the same container selected across the switch.
            let selected = t.selected_container();
            t.tab = t.tab.next();
            t.cursor = 0;
            if t.tab == TopologyTab::Graph {
                let project = t.project_of(selected);
                t.show_project(project);
                t.derive();
            }
            if let Some(i) = selected {
                t.cursor = match t.tab {
                    TopologyTab::Matrix => i,
                    TopologyTab::Tree => t
                        .lines
                        .iter()
                        .position(|l| l.kind == LineKind::Container(i))
                        .unwrap_or(0),
                    TopologyTab::Graph => t
                        .graph_boxes()
                        .iter()
                        .position(|b| b.containers.contains(&i))
                        .unwrap_or(0),
                };
            }
        }
        Action::Up => t.cursor = t.cursor.saturating_sub(1),
        Action::Down => t.cursor = (t.cursor + 1).min(last),
        Action::PageUp => t.cursor = t.cursor.saturating_sub(page),
        Action::PageDown => t.cursor = (t.cursor + page).min(last),
        Action::Top => t.cursor = 0,
        Action::Bottom => t.cursor = last,
        Action::ToggleAddresses => t.addresses = !t.addresses,
        Action::ToggleCollapse => {
            if let Some(line) = t.lines.get(t.cursor).cloned() {
                if !matches!(line.kind, LineKind::Container(_)) && !t.collapsed.remove(&line.id) {
                    t.collapsed.insert(line.id);
                }
                // The folded lines go at once, so the cursor's bounds are the new ones.
                t.derive();
            }
        }
        Action::Logs | Action::JumpToContainer => return jump_to_table(app),
        _ => {}
    }
    let t = &mut app.views.topology;
    t.derive();
    t.cursor = t.cursor.min(t.line_count().saturating_sub(1));
    // The rows the view shows: the body less its border, the header lines, the legend and the
    // reach panel (the matrix has the most of these; the tree scrolls a little early).
    let height = page.saturating_sub(9).max(1);
    if t.cursor < t.offset {
        t.offset = t.cursor;
    } else if t.cursor >= t.offset + height {
        t.offset = t.cursor + 1 - height;
    }
}

/// `T`: opens the view (building its model), or goes back to the table.
pub(super) fn toggle(app: &mut App, fx: &mut Vec<Effect>) {
    if app.views.current == View::Topology {
        app.views.current = View::Table;
        app.views.topology.set_model(None);
        return;
    }
    back_to_table(app, fx);
    app.views.current = View::Topology;
    let fresh = model(app);
    app.views.topology.set_model(Some(fresh));
    app.views.topology.stale = false;
    app.views.topology.derive();
}

/// The topology of what the table's filter lets through (all of it without a filter).
fn model(app: &App) -> crate::topology::Topology {
    let all = crate::topology::build(&app.inventory);
    if app.table.filter.is_empty() {
        return all;
    }
    let swarms = &app.inventory.swarms;
    let node_of = |id: &str| swarms.node_hostname(id).map(str::to_owned);
    all.only(|c| {
        app.inventory
            .by_key(&c.key())
            .is_some_and(|c| app.table.filter.matches_in(c, &node_of))
    })
}

/// After containers or networks changed: the open view's model is built again.
pub(super) fn refresh(app: &mut App) {
    let t = &mut app.views.topology;
    if app.views.current == View::Topology && std::mem::take(&mut t.stale) {
        let fresh = model(app);
        let t = &mut app.views.topology;
        t.set_model(Some(fresh));
        t.derive();
    }
}

/// `Enter` on a container: the table, with the cursor on it.
fn jump_to_table(app: &mut App) {
    let t = &app.views.topology;
    let Some(key) = t
        .selected_container()
        .and_then(|i| t.model.as_ref().map(|m| m.containers[i].key()))
    else {
        return;
    };
    if app.inventory.by_key(&key).is_none() {
        return toast(app, ToastLevel::Error, "that container is gone".into());
    }
    app.views.topology.set_model(None);
    show_in_table(app, key);
}
