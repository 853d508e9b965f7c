//! The ordered list of table rows, derived from inventory + filter + sort + tree mode.
//! Rebuilt only when one of those changes; views then build widgets for the visible window only.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::filter::Filter;
use super::inventory::Inventory;
use super::model::{Container, ContainerKey, GroupId, Health, RunState, ServiceKey};
use super::usage::{Usage, UsageEntry};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortColumn {
    Name,
    Project,
    Image,
    State,
    Uptime,
    Ports,
    Restarts,
    Endpoint,
    Cpu,
    Memory,
}

impl SortColumn {
    pub const ALL: &'static [SortColumn] = &[
        SortColumn::Name,
        SortColumn::Project,
        SortColumn::Image,
        SortColumn::State,
        SortColumn::Uptime,
        SortColumn::Ports,
        SortColumn::Restarts,
        SortColumn::Endpoint,
        SortColumn::Cpu,
        SortColumn::Memory,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SortColumn::Name => "name",
            SortColumn::Project => "project",
            SortColumn::Image => "image",
            SortColumn::State => "state",
            SortColumn::Uptime => "uptime",
            SortColumn::Ports => "ports",
            SortColumn::Restarts => "restarts",
            SortColumn::Endpoint => "endpoint",
            SortColumn::Cpu => "cpu",
            SortColumn::Memory => "memory",
        }
    }

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
    },
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

pub fn build_rows(inp: &RowInputs) -> Vec<Row> {
    let mut slots: Vec<usize> = inp
        .inventory
        .iter()
        .filter(|(_, c)| inp.filter.matches(c))
        .map(|(slot, _)| slot)
        .collect();
    let get = |s: usize| inp.inventory.get(s).expect("slot from this inventory");
    slots.sort_by(|&a, &b| {
        let ord = compare(get(a), get(b), inp.sort.column, inp);
        let ord = if inp.sort.descending {
            ord.reverse()
        } else {
            ord
        };
        // A total order keeps rows from jumping between equal keys.
        ord.then_with(|| get(a).key.cmp(&get(b).key))
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
    for slot in sorted {
        let c = inp.inventory.get(slot).expect("slot from this inventory");
        let endpoint = c.key.endpoint.as_str();
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
    let collapsed = inp.collapsed.contains(&id);
    rows.push(Row::Group {
        id,
        label: label.to_owned(),
        depth,
        aggregate,
        collapsed,
    });
    !collapsed
}

fn compare(a: &Container, b: &Container, col: SortColumn, inp: &RowInputs) -> Ordering {
    let now = inp.now;
    // Containers without a measurement sort as zero.
    let usage = |c: &Container, f: fn(&Usage) -> Option<f64>| {
        inp.usage
            .get(&c.key)
            .and_then(|e| e.latest.as_ref())
            .and_then(f)
            .unwrap_or(0.0)
    };
    match col {
        SortColumn::Cpu => {
            usage(a, |u| u.cpu_percent_of_limit).total_cmp(&usage(b, |u| u.cpu_percent_of_limit))
        }
        SortColumn::Memory => usage(a, |u| u.memory_working_set.map(|m| m as f64))
            .total_cmp(&usage(b, |u| u.memory_working_set.map(|m| m as f64))),
        SortColumn::Name => natural_cmp(&a.name, &b.name),
        SortColumn::Project => (a.project(), a.service(), a.replica_number())
            .cmp(&(b.project(), b.service(), b.replica_number()))
            .then_with(|| natural_cmp(&a.name, &b.name)),
        SortColumn::Image => natural_cmp(&a.image, &b.image),
        SortColumn::State => (a.state, a.health).cmp(&(b.state, b.health)),
        // Ascending puts what just (re)started on top; stopped containers sort last.
        SortColumn::Uptime => a
            .uptime_secs(now)
            .unwrap_or(i64::MAX)
            .cmp(&b.uptime_secs(now).unwrap_or(i64::MAX)),
        SortColumn::Ports => first_port(a).cmp(&first_port(b)),
        SortColumn::Restarts => a.restart_count.cmp(&b.restart_count),
        SortColumn::Endpoint => a.key.endpoint.cmp(&b.key.endpoint),
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
            })
            .collect()
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
