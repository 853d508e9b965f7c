//! The ordered list of table rows, derived from inventory + filter + sort + tree mode.
//! Rebuilt only when one of those changes; views then build widgets for the visible window only.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::filter::Filter;
use super::inventory::Inventory;
use super::model::{Container, ContainerKey, GroupId, Health, RunState, ServiceKey};
use super::swarm::{SwarmService, SwarmServiceKey, SwarmTask};
use super::usage::{Usage, UsageEntry};

/// Declares the sort columns once: the enum, their names for `:sort` and keymaps, and the list
/// in the table's left-to-right order (what `>` and `<` step through), so none can be missed.
macro_rules! sort_columns {
    ($($variant:ident => $name:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum SortColumn {
            $($variant,)*
        }

        impl SortColumn {
            /// In the order the table shows them, left to right.
            pub const ALL: &'static [SortColumn] = &[$(SortColumn::$variant,)*];

            pub fn name(self) -> &'static str {
                match self {
                    $(SortColumn::$variant => $name,)*
                }
            }
        }
    };
}

sort_columns! {
    Name => "name",
    Endpoint => "endpoint",
    Project => "project",
    Image => "image",
    State => "state",
    Health => "health",
    Cpu => "cpu",
    Throttle => "throttle",
    Memory => "memory",
    Pids => "pids",
    Net => "net",
    Io => "io",
    Uptime => "uptime",
    Ports => "ports",
    Restarts => "restarts",
}

impl SortColumn {
    pub fn from_name(s: &str) -> Option<SortColumn> {
        SortColumn::ALL.iter().copied().find(|c| c.name() == s)
    }

    pub fn step(self, forward: bool) -> SortColumn {
        let all = SortColumn::ALL;
        let i = all.iter().position(|c| *c == self).unwrap_or(0);
        let n = all.len();
        all[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }

    /// Sorted by a measurement: the order moves with every sample.
    pub fn follows_usage(self) -> bool {
        matches!(
            self,
            SortColumn::Cpu
                | SortColumn::Throttle
                | SortColumn::Memory
                | SortColumn::Pids
                | SortColumn::Net
                | SortColumn::Io
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: SortColumn,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            column: SortColumn::Name,
            descending: false,
        }
    }
}

/// Counts across a group of containers, for the tree's project and service lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Aggregate {
    pub total: usize,
    pub running: usize,
    pub paused: usize,
    pub unhealthy: usize,
    pub starting: usize,
    /// Exited with a non-zero code, or dead.
    pub failed: usize,
}

impl Aggregate {
    /// A Swarm task the service wants that has no container yet (pending, or on a node not
    /// attached): it counts as not running.
    fn add_task(&mut self, task: &SwarmTask) {
        self.total += 1;
        if task.state == "running" {
            self.running += 1;
        } else if matches!(task.state.as_str(), "failed" | "rejected") {
            self.failed += 1;
        }
    }

    fn add(&mut self, c: &Container) {
        self.total += 1;
        match c.state {
            RunState::Running | RunState::Restarting => self.running += 1,
            RunState::Paused => self.paused += 1,
            RunState::Dead => self.failed += 1,
            RunState::Exited if c.exit_code.unwrap_or(0) != 0 => self.failed += 1,
            _ => {}
        }
        match c.health {
            Health::Unhealthy => self.unhealthy += 1,
            Health::Starting => self.starting += 1,
            _ => {}
        }
    }

    /// The one-word verdict shown for a group.
    pub fn verdict(&self) -> &'static str {
        if self.unhealthy > 0 || self.failed > 0 {
            "degraded"
        } else if self.running == self.total {
            "up"
        } else if self.running == 0 {
            "down"
        } else {
            "partial"
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Container {
        slot: usize,
        /// Indentation level in tree mode (0 in the flat table).
        depth: u8,
    },
    Group {
        /// Stable id, for the selection and what is folded.
        id: GroupId,
        label: String,
        depth: u8,
        aggregate: Aggregate,
        collapsed: bool,
        /// A Swarm service's own counts and state, as its manager says them.
        swarm: Option<SwarmSummary>,
    },
    /// A Swarm task the service wants whose container is on no attached endpoint (pending, or
    /// on a node the console does not reach).
    Task {
        endpoint: String,
        id: String,
        depth: u8,
    },
}

/// What a Swarm service's line shows beside its members' aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmSummary {
    /// `2/4`: running and desired tasks.
    pub replicas: String,
    /// `up`, `updating`, `rolling back`, `partial` …
    pub verdict: &'static str,
}

/// The widest name and state among the rows, in display columns: the table gives names the
/// room they need before anything else, and STATE no more than its longest text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Widest {
    /// With the tree's indentation and room for the mark.
    pub name: usize,
    pub state: usize,
}

impl Widest {
    pub fn of(rows: &[Row], inventory: &Inventory) -> Widest {
        use unicode_width::UnicodeWidthStr;
        let mut w = Widest::default();
        for row in rows {
            let (indent, name) = match row {
                Row::Container { slot, depth } => {
                    let c = inventory.get(*slot).expect("rows refer to live slots");
                    w.state = w.state.max(c.state_text().width());
                    (*depth as usize * 2, c.name.width())
                }
                Row::Group { depth, label, .. } => (*depth as usize * 2, label.width()),
                Row::Task {
                    endpoint,
                    id,
                    depth,
                } => {
                    let Some((svc, task)) = inventory.swarms.task(endpoint, id) else {
                        continue;
                    };
                    w.state = w.state.max(task.state.width());
                    (*depth as usize * 2, task_name(svc, task).width())
                }
            };
            // The mark (`● `) or the fold arrow (`▾ `) before the name.
            w.name = w.name.max(indent + 2 + name);
        }
        w
    }
}

pub struct RowInputs<'a> {
    pub inventory: &'a Inventory,
    pub filter: &'a Filter,
    pub sort: Sort,
    pub tree: bool,
    pub collapsed: &'a HashSet<GroupId>,
    /// Several endpoints attached: group labels say which one.
    pub multi_endpoint: bool,
    pub now: DateTime<Utc>,
    /// Latest resource use, for sorting by CPU or memory.
    pub usage: &'a HashMap<ContainerKey, UsageEntry>,
}

/// How a task without a container is named in the table: `web.2` by its slot, or by its node
/// for a global service.
pub fn task_name(svc: &SwarmService, task: &SwarmTask) -> String {
    match task.slot {
        Some(slot) => format!("{}.{slot}", svc.short_name()),
        None => format!(
            "{}.{}",
            svc.short_name(),
            task.node_id.as_deref().map_or("?", crate::text::short_id)
        ),
    }
}

pub fn build_rows(inp: &RowInputs) -> Vec<Row> {
    let swarms = &inp.inventory.swarms;
    let node_of = |id: &str| swarms.node_hostname(id).map(str::to_owned);
    let mut slots: Vec<usize> = inp
        .inventory
        .iter()
        .filter(|(_, c)| inp.filter.matches_in(c, &node_of))
        .map(|(slot, _)| slot)
        .collect();
    let get = |s: usize| inp.inventory.get(s).expect("slot from this inventory");
    slots.sort_by(|&a, &b| {
        let (a, b) = (get(a), get(b));
        compare(a, b, inp.sort, inp)
            // Ties read by name whichever way the column sorts; the key makes the order total,
            // so rows never jump between equal keys.
            .then_with(|| natural_cmp(&a.name, &b.name))
            .then_with(|| a.key.cmp(&b.key))
    });
    if !inp.tree {
        return slots
            .into_iter()
            .map(|slot| Row::Container { slot, depth: 0 })
            .collect();
    }
    tree_rows(inp, slots)
}

fn tree_rows(inp: &RowInputs, sorted: Vec<usize>) -> Vec<Row> {
    // (endpoint, project) → service → slots, keeping the sorted order inside each service.
    type Services<'a> = BTreeMap<&'a str, Vec<usize>>;
    let mut projects: BTreeMap<(&str, &str), Services> = BTreeMap::new();
    let mut standalone: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut stacks = swarm_buckets(inp);
    for slot in sorted {
        let c = inp.inventory.get(slot).expect("slot from this inventory");
        let endpoint = c.key.endpoint.as_str();
        if let Some(service_id) = c.swarm_service_id() {
            swarm_bucket_of(inp, &mut stacks, c, service_id)
                .slots
                .push(slot);
            continue;
        }
        match c.project() {
            Some(p) => projects
                .entry((endpoint, p))
                .or_default()
                .entry(c.service().unwrap_or("-"))
                .or_default()
                .push(slot),
            None => standalone.entry(endpoint).or_default().push(slot),
        }
    }
    let on = |label: &str, endpoint: &str| {
        if inp.multi_endpoint {
            format!("{label} on {endpoint}")
        } else {
            label.to_owned()
        }
    };
    let mut rows = Vec::new();
    for ((endpoint, project), services) in projects {
        let all = services.values().flatten().copied();
        let id = GroupId::Project {
            endpoint: endpoint.to_owned(),
            project: project.to_owned(),
        };
        if !push_group(&mut rows, inp, id, &on(project, endpoint), 0, all) {
            continue;
        }
        for (service, slots) in services {
            let id = GroupId::Service(ServiceKey {
                endpoint: endpoint.to_owned(),
                project: project.to_owned(),
                service: service.to_owned(),
            });
            if push_group(&mut rows, inp, id, service, 1, slots.iter().copied()) {
                rows.extend(
                    slots
                        .into_iter()
                        .map(|slot| Row::Container { slot, depth: 2 }),
                );
            }
        }
    }
    push_stacks(&mut rows, inp, stacks);
    // Containers outside any compose project get a heading of their own, so the tree reads the
    // same all the way down and they can be folded or acted on together.
    for (endpoint, slots) in standalone {
        let id = GroupId::Standalone {
            endpoint: endpoint.to_owned(),
        };
        let members = slots.iter().copied();
        if push_group(
            &mut rows,
            inp,
            id,
            &on("(no project)", endpoint),
            0,
            members,
        ) {
            rows.extend(
                slots
                    .into_iter()
                    .map(|slot| Row::Container { slot, depth: 1 }),
            );
        }
    }
    rows
}

/// Adds a project or service line with its members' aggregate; true when it is expanded.
fn push_group(
    rows: &mut Vec<Row>,
    inp: &RowInputs,
    id: GroupId,
    label: &str,
    depth: u8,
    members: impl Iterator<Item = usize>,
) -> bool {
    let mut aggregate = Aggregate::default();
    for slot in members {
        aggregate.add(inp.inventory.get(slot).expect("slot from this inventory"));
    }
    push_line(rows, inp, id, label, depth, aggregate, None)
}

fn push_line(
    rows: &mut Vec<Row>,
    inp: &RowInputs,
    id: GroupId,
    label: &str,
    depth: u8,
    aggregate: Aggregate,
    swarm: Option<SwarmSummary>,
) -> bool {
    let collapsed = inp.collapsed.contains(&id);
    rows.push(Row::Group {
        id,
        label: label.to_owned(),
        depth,
        aggregate,
        collapsed,
        swarm,
    });
    !collapsed
}

/// One Swarm service's place in the tree: its containers (in the table's order) and the tasks
/// it wants that have none on an attached endpoint.
struct SwarmBucket<'a> {
    key: SwarmServiceKey,
    service: Option<&'a SwarmService>,
    slots: Vec<usize>,
    tasks: Vec<&'a SwarmTask>,
}

/// (endpoint of the manager, stack or "") → service name → its bucket.
type Stacks<'a> = BTreeMap<(String, String), BTreeMap<String, SwarmBucket<'a>>>;

/// Every service the managers know (those the filter lets through), with the current tasks
/// that have no container in the inventory.
fn swarm_buckets<'a>(inp: &RowInputs<'a>) -> Stacks<'a> {
    let mut stacks: Stacks = BTreeMap::new();
    let swarms = &inp.inventory.swarms;
    if swarms.managers().next().is_none() {
        return stacks;
    }
    let known: HashSet<&str> = inp
        .inventory
        .iter()
        .map(|(_, c)| c.key.id.as_str())
        .collect();
    for (state, svc) in swarms.services() {
        if !inp.filter.is_empty() && !inp.filter.matches_swarm_service(svc) {
            continue;
        }
        let tasks = state
            .tasks_of(&svc.key.id)
            .filter(|t| t.is_current())
            .filter(|t| {
                t.container_id
                    .as_deref()
                    .is_none_or(|id| !known.contains(id))
            })
            .collect();
        let stack = svc.stack.clone().unwrap_or_default();
        stacks
            .entry((svc.key.endpoint.clone(), stack))
            .or_default()
            .insert(
                svc.key.name.clone(),
                SwarmBucket {
                    key: svc.key.clone(),
                    service: Some(svc),
                    slots: Vec::new(),
                    tasks,
                },
            );
    }
    stacks
}

/// The bucket of a task's container: its service on a manager, else (no manager attached, or
/// one that does not list it) a bucket named from the container's own labels.
fn swarm_bucket_of<'s, 'a>(
    inp: &RowInputs<'a>,
    stacks: &'s mut Stacks<'a>,
    c: &Container,
    service_id: &str,
) -> &'s mut SwarmBucket<'a> {
    let known = inp
        .inventory
        .swarms
        .services()
        .map(|(_, s)| s)
        .find(|s| s.key.id == service_id);
    let (key, stack, service) = match known {
        Some(s) => (s.key.clone(), s.stack.clone().unwrap_or_default(), Some(s)),
        None => (
            SwarmServiceKey {
                endpoint: c.key.endpoint.clone(),
                id: service_id.to_owned(),
                name: c
                    .labels
                    .get(super::swarm::LABEL_SERVICE_NAME)
                    .cloned()
                    .unwrap_or_else(|| service_id.to_owned()),
            },
            c.stack().unwrap_or("").to_owned(),
            None,
        ),
    };
    stacks
        .entry((key.endpoint.clone(), stack))
        .or_default()
        .entry(key.name.clone())
        .or_insert_with(|| SwarmBucket {
            key,
            service,
            slots: Vec::new(),
            tasks: Vec::new(),
        })
}

fn push_stacks(rows: &mut Vec<Row>, inp: &RowInputs, stacks: Stacks) {
    // Whether a container's task is one its service still wants. Swarm keeps the containers of
    // replaced tasks as history: they are listed (after the current ones) but do not count.
    // One index per rebuild: looking each container up among every task would grow as both.
    let history: HashSet<&str> = inp
        .inventory
        .swarms
        .managers()
        .flat_map(|(_, s)| s.tasks.iter())
        .filter(|t| !t.is_current())
        .filter_map(|t| t.container_id.as_deref())
        .collect();
    let is_current = |c: &Container| !history.contains(c.key.id.as_str());
    let aggregate_of = |b: &SwarmBucket| {
        let mut a = Aggregate::default();
        for &slot in &b.slots {
            let c = inp.inventory.get(slot).expect("slot from this inventory");
            if is_current(c) {
                a.add(c);
            }
        }
        b.tasks.iter().for_each(|t| a.add_task(t));
        a
    };
    for ((endpoint, stack), services) in stacks {
        let mut all = Aggregate::default();
        for b in services.values() {
            let a = aggregate_of(b);
            all.total += a.total;
            all.running += a.running;
            all.paused += a.paused;
            all.unhealthy += a.unhealthy;
            all.starting += a.starting;
            all.failed += a.failed;
        }
        let label = if stack.is_empty() {
            "(no stack)".to_owned()
        } else {
            stack.clone()
        };
        let label = if inp.multi_endpoint {
            format!("{label} on {endpoint}")
        } else {
            label
        };
        let id = GroupId::Stack {
            endpoint: endpoint.clone(),
            stack,
        };
        if !push_line(rows, inp, id, &label, 0, all, None) {
            continue;
        }
        for bucket in services.into_values() {
            let aggregate = aggregate_of(&bucket);
            let summary = bucket.service.map(|s| {
                let state = inp.inventory.swarms.get(&s.key.endpoint);
                let progress = state.and_then(|state| state.update_progress(s));
                // A manager that stops answering leaves its last picture: say it is that.
                let lost = state.is_some_and(|state| state.lost.is_some());
                SwarmSummary {
                    replicas: match progress {
                        Some(p) => format!("{} · {p}", s.replica_text()),
                        None => s.replica_text(),
                    },
                    verdict: if lost { "last known" } else { s.verdict() },
                }
            });
            let label = bucket
                .service
                .map(|s| s.short_name().to_owned())
                .unwrap_or_else(|| bucket.key.name.clone());
            let id = GroupId::SwarmService(bucket.key.clone());
            if push_line(rows, inp, id, &label, 1, aggregate, summary) {
                // What runs, then what the service waits for, then what it replaced.
                let (current, replaced): (Vec<usize>, Vec<usize>) =
                    bucket.slots.into_iter().partition(|&slot| {
                        is_current(inp.inventory.get(slot).expect("slot from this inventory"))
                    });
                let container = |slot| Row::Container { slot, depth: 2 };
                rows.extend(current.into_iter().map(container));
                rows.extend(bucket.tasks.into_iter().map(|t| Row::Task {
                    endpoint: bucket.key.endpoint.clone(),
                    id: t.id.clone(),
                    depth: 2,
                }));
                rows.extend(replaced.into_iter().map(container));
            }
        }
    }
}

/// Orders two containers by the sort column. A container without a value there (no
/// measurement, not running, no ports, no health check) sorts last both ways: what is missing
/// is never the top of a list.
fn compare(a: &Container, b: &Container, sort: Sort, inp: &RowInputs) -> Ordering {
    let now = inp.now;
    let usage = |c: &Container| {
        inp.usage
            .get(&c.key)
            .and_then(|e| e.latest.as_ref())
            .filter(|_| c.state == RunState::Running)
    };
    let measured = |f: fn(&Usage) -> Option<f64>| {
        let (x, y) = (usage(a).and_then(f), usage(b).and_then(f));
        present_first(x, y, |x, y| x.total_cmp(y), sort.descending)
    };
    let d = sort.descending;
    let name = |x: &str, y: &str| {
        let ord = natural_cmp(x, y);
        if sort.descending {
            ord.reverse()
        } else {
            ord
        }
    };
    match sort.column {
        SortColumn::Name => name(&a.name, &b.name),
        SortColumn::Endpoint => name(&a.key.endpoint, &b.key.endpoint),
        SortColumn::Image => name(&a.image, &b.image),
        SortColumn::Project => by(
            a.project().map(|p| (p, a.service(), a.replica_number())),
            b.project().map(|p| (p, b.service(), b.replica_number())),
            d,
        ),
        SortColumn::State => by(Some((a.state, a.health)), Some((b.state, b.health)), d),
        SortColumn::Health => by(health_rank(a.health), health_rank(b.health), d),
        SortColumn::Cpu => measured(|u| u.cpu_percent_of_limit),
        SortColumn::Throttle => measured(|u| u.throttled_percent),
        SortColumn::Memory => measured(|u| u.memory_working_set.map(|m| m as f64)),
        SortColumn::Pids => measured(|u| u.pids.map(|p| p as f64)),
        SortColumn::Net => measured(|u| sum(u.net_rx_bytes_per_sec, u.net_tx_bytes_per_sec)),
        SortColumn::Io => measured(|u| sum(u.blk_read_bytes_per_sec, u.blk_write_bytes_per_sec)),
        // Ascending puts what just (re)started on top.
        SortColumn::Uptime => by(a.uptime_secs(now), b.uptime_secs(now), d),
        SortColumn::Ports => by(first_port(a), first_port(b), d),
        SortColumn::Restarts => by(a.restart_count, b.restart_count, d),
    }
}

/// Compares present values (reversed when descending); a missing value comes after any present
/// one, in both directions.
fn present_first<T>(
    x: Option<T>,
    y: Option<T>,
    cmp: impl Fn(&T, &T) -> Ordering,
    descending: bool,
) -> Ordering {
    match (x, y) {
        (Some(x), Some(y)) if descending => cmp(&y, &x),
        (Some(x), Some(y)) => cmp(&x, &y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn by<T: Ord>(x: Option<T>, y: Option<T>, descending: bool) -> Ordering {
    present_first(x, y, Ord::cmp, descending)
}

/// Worst first when ascending: what needs looking at; no health check has no value.
fn health_rank(h: Health) -> Option<u8> {
    match h {
        Health::Unhealthy => Some(0),
        Health::Starting => Some(1),
        Health::Healthy => Some(2),
        Health::None => None,
    }
}

fn sum(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

/// Orders digit runs by value, so `web-2` comes before `web-10` as an operator expects.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let n = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let m = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (dx, dy) = (trim_zeros(&x[..n]), trim_zeros(&y[..m]));
                let ord = dx.len().cmp(&dy.len()).then_with(|| dx.cmp(dy));
                if ord != Ordering::Equal {
                    return ord;
                }
                x = &x[n..];
                y = &y[m..];
            }
            (Some(p), Some(q)) => {
                if p != q {
                    return p.cmp(q);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&d| d == b'0').count();
    &digits[zeros.min(digits.len().saturating_sub(1))..]
}

fn first_port(c: &Container) -> Option<u16> {
    c.published_ports().filter_map(|p| p.host_port).min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{container, epoch, group};

    fn inv(cs: Vec<Container>) -> Inventory {
        let mut inv = Inventory::default();
        for c in cs {
            inv.upsert(c);
        }
        inv
    }

    fn names(inv: &Inventory, rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| match r {
                Row::Container { slot, depth } => {
                    format!(
                        "{}{}",
                        "  ".repeat(*depth as usize),
                        inv.get(*slot).unwrap().name
                    )
                }
                Row::Group { label, depth, .. } => {
                    format!("{}[{label}]", "  ".repeat(*depth as usize))
                }
                Row::Task { id, depth, .. } => {
                    format!("{}<task {id}>", "  ".repeat(*depth as usize))
                }
            })
            .collect()
    }

    #[test]
    fn a_swarm_stack_lists_running_tasks_then_pending_then_replaced() {
        use crate::app::swarm::{SwarmRole, SwarmState, SwarmTask, LABEL_SERVICE_ID};
        let task_container = |name: &str, state: &str| -> Container {
            container(name, state)
                .label(LABEL_SERVICE_ID, "shop_web-id")
                .label(crate::app::swarm::LABEL_STACK, "shop")
                .into()
        };
        let (new, old) = (
            task_container("shop_web.1.new", "running"),
            task_container("shop_web.1.old", "exited"),
        );
        let (new_id, old_id) = (new.key.id.clone(), old.key.id.clone());
        let mut inv = inv(vec![new, old, container("lonely", "running").into()]);
        let task =
            |id: &str, slot: u64, state: &str, desired: &str, container: Option<&str>| SwarmTask {
                id: id.into(),
                service_id: "shop_web-id".into(),
                slot: Some(slot),
                node_id: None,
                state: state.into(),
                desired_state: desired.into(),
                message: String::new(),
                error: (state == "pending").then(|| "no suitable node".into()),
                container_id: container.map(str::to_owned),
                exit_code: None,
                image: "img".into(),
                updated_at: None,
            };
        let mut web = crate::app::swarm::tests::service("default", Some("shop"), "shop_web");
        web.running_tasks = Some(1);
        inv.swarms.set(
            "default",
            SwarmState {
                role: SwarmRole::Manager,
                services: vec![web],
                tasks: vec![
                    task("t1", 1, "running", "running", Some(&new_id)),
                    task("t0", 1, "shutdown", "shutdown", Some(&old_id)),
                    task("t2", 2, "pending", "running", None),
                ],
                ..SwarmState::default()
            },
        );
        let collapsed = HashSet::new();
        let rows = build_rows(&RowInputs {
            inventory: &inv,
            filter: &Filter::default(),
            sort: Sort::default(),
            tree: true,
            collapsed: &collapsed,
            now: epoch(),
            usage: &HashMap::new(),
            multi_endpoint: false,
        });
        assert_eq!(
            names(&inv, &rows),
            [
                "[shop]",
                "  [web]",
                "    shop_web.1.new",
                "    <task t2>",
                "    shop_web.1.old",
                "[(no project)]",
                "  lonely"
            ]
        );
        // The replaced task's container does not count; the pending task does, as not running.
        let Row::Group {
            aggregate, swarm, ..
        } = &rows[1]
        else {
            panic!("the service's line")
        };
        assert_eq!((aggregate.total, aggregate.running), (2, 1));
        assert_eq!(
            swarm.as_ref().map(|s| (s.replicas.as_str(), s.verdict)),
            Some(("1/2", "partial"))
        );
    }

    #[test]
    fn names_sort_naturally() {
        let mut v = vec!["web-10", "web-2", "web-1", "api", "web-02x"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["api", "web-1", "web-2", "web-02x", "web-10"]);
        assert_eq!(natural_cmp("a0", "a00"), Ordering::Equal);
    }

    #[test]
    fn sorts_both_ways_and_filters() {
        let inv = inv(vec![
            container("b", "running").restarts(3).into(),
            container("a", "exited").restarts(1).into(),
            container("c", "running").restarts(2).into(),
        ]);
        let collapsed = HashSet::new();
        let mut inp = RowInputs {
            inventory: &inv,
            filter: &Filter::default(),
            sort: Sort::default(),
            tree: false,
            collapsed: &collapsed,
            now: epoch(),
            usage: &HashMap::new(),
            multi_endpoint: false,
        };
        assert_eq!(names(&inv, &build_rows(&inp)), ["a", "b", "c"]);
        inp.sort = Sort {
            column: SortColumn::Restarts,
            descending: true,
        };
        assert_eq!(names(&inv, &build_rows(&inp)), ["b", "c", "a"]);
        let f = Filter::parse("state:running");
        inp.filter = &f;
        assert_eq!(names(&inv, &build_rows(&inp)), ["b", "c"]);
    }

    #[test]
    fn tree_groups_project_service_replicas_and_collapses() {
        let inv = inv(vec![
            container("shop-api-2", "running")
                .project("shop", "api")
                .number(2)
                .into(),
            container("shop-api-1", "running")
                .project("shop", "api")
                .number(1)
                .into(),
            container("shop-db-1", "exited")
                .project("shop", "db")
                .into(),
            container("lonely", "running").into(),
        ]);
        let collapsed = HashSet::new();
        let inp = RowInputs {
            inventory: &inv,
            filter: &Filter::default(),
            sort: Sort::default(),
            tree: true,
            collapsed: &collapsed,
            now: epoch(),
            usage: &HashMap::new(),
            multi_endpoint: false,
        };
        let rows = build_rows(&inp);
        assert_eq!(
            names(&inv, &rows),
            [
                "[shop]",
                "  [api]",
                "    shop-api-1",
                "    shop-api-2",
                "  [db]",
                "    shop-db-1",
                "[(no project)]",
                "  lonely"
            ]
        );
        match &rows[0] {
            Row::Group { aggregate, .. } => {
                assert_eq!((aggregate.total, aggregate.running), (3, 2));
                assert_eq!(aggregate.verdict(), "partial");
            }
            _ => panic!("first row is the project"),
        }
        let folded = |ids: &[&str]| {
            let collapsed: HashSet<GroupId> = ids.iter().map(|s| group(s)).collect();
            names(
                &inv,
                &build_rows(&RowInputs {
                    collapsed: &collapsed,
                    ..inp
                }),
            )
        };
        assert_eq!(
            folded(&["s:shop/api"]),
            [
                "[shop]",
                "  [api]",
                "  [db]",
                "    shop-db-1",
                "[(no project)]",
                "  lonely"
            ]
        );
        assert_eq!(
            folded(&["s:shop/api", "standalone"]),
            [
                "[shop]",
                "  [api]",
                "  [db]",
                "    shop-db-1",
                "[(no project)]"
            ]
        );
    }
}
