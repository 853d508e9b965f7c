//! What each endpoint's sampler should measure: its running containers, with the rows on screen
//! flagged so that a slow source (the stats API) serves them first.

use std::collections::{BTreeMap, HashSet};

use super::model::{Container, ContainerKey, RunState};
use super::rows::Row;
use super::state::{App, View};
use crate::ui::layout;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    pub key: ContainerKey,
    /// Main process on the engine's host (to find its cgroup); None until inspected.
    pub pid: Option<u32>,
    pub visible: bool,
    /// Sampled every interval: on screen, or needed by what is shown (a sort by CPU or memory
    /// orders every row by its use; the topology colours every name by it). The others are
    /// sampled every few intervals, so a tick costs what is shown, not the inventory.
    pub keep_fresh: bool,
    /// Its CPU has a quota (`--cpus`, `--cpu-quota`), so the kernel may throttle it. Only then
    /// is a v1 `cpu.stat` read (throttling is all it holds there): one file fewer a tick for
    /// most containers. v2's `cpu.stat` holds the usage too and is always read.
    pub cpu_capped: bool,
}

impl Watch {
    /// `c`, measured every interval when `keep_fresh`.
    pub fn of(c: &Container, visible: bool, keep_fresh: bool) -> Watch {
        Watch {
            key: c.key.clone(),
            pid: c.pid,
            visible,
            keep_fresh,
            cpu_capped: c.limits.cpu_capped(),
        }
    }
}

/// Per endpoint, in inventory order. Endpoints with nothing running are absent.
pub fn watch_lists(app: &App) -> BTreeMap<String, Vec<Watch>> {
    let visible = visible_keys(app);
    let all_fresh = app.table.sort.column.follows_usage() || app.views.current == View::Topology;
    let mut out: BTreeMap<String, Vec<Watch>> = BTreeMap::new();
    for (_, c) in app.inventory.iter() {
        if c.state != RunState::Running {
            continue;
        }
        let visible = visible.contains(&c.key);
        out.entry(c.key.endpoint.clone())
            .or_default()
            .push(Watch::of(c, visible, visible || all_fresh));
    }
    out
}

/// Containers on screen: the table's visible rows, or the container whose logs or inspect
/// document is open.
fn visible_keys(app: &App) -> HashSet<ContainerKey> {
    let mut keys = HashSet::new();
    match app.views.current {
        View::Table => {
            let height = layout::table_body_height(app) as usize;
            let rows = app.table.rows.iter().skip(app.table.offset).take(height);
            for row in rows {
                if let Row::Container { slot, .. } = row {
                    if let Some(c) = app.inventory.get(*slot) {
                        keys.insert(c.key.clone());
                    }
                }
            }
        }
        View::Logs => keys.extend(app.views.logs.iter().flat_map(|l| l.keys().cloned())),
        View::Inspect => keys.extend(app.views.inspect.as_ref().map(|i| i.key.clone())),
        View::Events
        | View::Activity
        | View::Resources
        | View::Topology
        | View::Canary
        | View::Agent => {}
    }
    keys
}
