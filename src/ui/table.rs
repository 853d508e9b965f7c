//! The container table, flat or grouped by compose project and service. Only the rows in the
//! visible window are turned into widgets, so thousands of containers cost no more than a screen.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow, Table, Wrap};
use ratatui::Frame;

use unicode_width::UnicodeWidthStr;

use super::layout;
use super::text::{fit, fit_middle};
use crate::app::model::{format_age, Container, Health, RunState};
use crate::app::rows::{Aggregate, Row, SortColumn};
use crate::app::state::App;
use crate::app::usage::{CpuLimitKind, Usage};
use crate::config::theme::Slot;

/// A table column. Which ones show depends on the width: each has a priority and a minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Name,
    Endpoint,
    Project,
    Image,
    State,
    Health,
    Cpu,
    Throttle,
    Mem,
    Pids,
    Net,
    Io,
    Up,
    Ports,
    Restarts,
}

/// Left-to-right order on screen.
const ORDER: [Col; 15] = [
    Col::Name,
    Col::Endpoint,
    Col::Project,
    Col::Image,
    Col::State,
    Col::Health,
    Col::Cpu,
    Col::Throttle,
    Col::Mem,
    Col::Pids,
    Col::Net,
    Col::Io,
    Col::Up,
    Col::Ports,
    Col::Restarts,
];

struct Column {
    col: Col,
    title: &'static str,
    sort: Option<SortColumn>,
    width: Constraint,
    min: u16,
    /// Lower shows first when space is short.
    priority: u8,
}

fn column(col: Col, app: &App) -> Column {
    let (title, sort, width, min, priority) = match col {
        Col::Name => ("NAME", Some(SortColumn::Name), Constraint::Fill(3), 12, 0),
        Col::State => (
            "STATE",
            Some(SortColumn::State),
            Constraint::Length(11),
            11,
            1,
        ),
        Col::Endpoint => {
            // As wide as the longest name (within reason): names made from hosts differ only
            // at the end (`docker.sock`, `docker.sock#2`), so a cut name cannot tell them apart.
            let longest = app
                .endpoints
                .attached
                .iter()
                .map(|e| UnicodeWidthStr::width(e.name.as_str()))
                .max()
                .unwrap_or(0)
                .clamp("ENDPOINT".len(), 20) as u16;
            let w = Constraint::Length(longest);
            ("ENDPOINT", Some(SortColumn::Endpoint), w, longest, 2)
        }
        Col::Cpu => ("CPU", Some(SortColumn::Cpu), Constraint::Length(5), 5, 3),
        Col::Mem => (
            "MEM",
            Some(SortColumn::Memory),
            Constraint::Length(11),
            11,
            4,
        ),
        Col::Health => (
            "HEALTH",
            Some(SortColumn::Health),
            Constraint::Length(9),
            9,
            5,
        ),
        Col::Project => (
            "PROJECT/SERVICE",
            Some(SortColumn::Project),
            Constraint::Fill(2),
            9,
            6,
        ),
        Col::Up => ("UP", Some(SortColumn::Uptime), Constraint::Length(4), 4, 7),
        Col::Throttle => (
            "THR",
            Some(SortColumn::Throttle),
            Constraint::Length(4),
            4,
            8,
        ),
        Col::Ports => ("PORTS", Some(SortColumn::Ports), Constraint::Fill(2), 9, 9),
        Col::Image => ("IMAGE", Some(SortColumn::Image), Constraint::Fill(2), 9, 10),
        Col::Restarts => (
            "RST",
            Some(SortColumn::Restarts),
            Constraint::Length(3),
            3,
            11,
        ),
        Col::Pids => ("PIDS", Some(SortColumn::Pids), Constraint::Length(8), 8, 12),
        Col::Net => (
            "NET ↓/↑",
            Some(SortColumn::Net),
            Constraint::Length(11),
            11,
            13,
        ),
        Col::Io => (
            "IO r/w",
            Some(SortColumn::Io),
            Constraint::Length(11),
            11,
            14,
        ),
    };
    Column {
        col,
        title,
        sort,
        width,
        min,
        priority,
    }
}

/// The columns that fit `width`, most important first, shown in their usual order.
fn columns(app: &App, width: u16) -> Vec<Column> {
    let mut candidates: Vec<Column> = ORDER
        .iter()
        .filter(|&&c| c != Col::Endpoint || app.multi_endpoint())
        .map(|&c| column(c, app))
        .collect();
    // The name's need counts first when choosing what else fits: a cut name is worse than a
    // column of pids dropped.
    let cap = (width as u32 * 3 / 5) as u16;
    for c in &mut candidates {
        if c.col == Col::Name {
            c.min = (app.table.widest.name as u16).min(cap).max(12);
        }
    }
    candidates.sort_by_key(|c| c.priority);
    let mut used = 0u16;
    let mut chosen = Vec::new();
    for c in candidates {
        let need = c.min + u16::from(!chosen.is_empty());
        if used + need <= width {
            used += need;
            chosen.push(c);
        }
    }
    chosen.sort_by_key(|c| ORDER.iter().position(|&o| o == c.col));
    // Names get the room they need first (up to most of the width), STATE only what its
    // longest text needs; the other columns share what is left.
    let spacing = chosen.len().saturating_sub(1) as u16;
    let others: u16 = chosen
        .iter()
        .filter(|c| c.col != Col::Name && c.col != Col::State)
        .map(|c| c.min)
        .sum();
    // Room for `restarting…` while a change is under way, and for the `?` of a down endpoint.
    let busy = if app.ops.running.is_empty() { 0 } else { 11 };
    let down = usize::from(
        app.endpoints
            .attached
            .iter()
            .any(|e| app.endpoints.is_down(&e.name)),
    );
    let state = ((app.table.widest.state + down).max(busy) as u16).clamp(5, 12);
    for c in &mut chosen {
        if c.col == Col::State {
            c.width = Constraint::Length(state);
        }
    }
    let room = width.saturating_sub(others + spacing + state);
    let name = (app.table.widest.name as u16).min(cap).min(room).max(12);
    for c in &mut chosen {
        if c.col == Col::Name {
            c.width = Constraint::Length(name);
        }
    }
    chosen
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Slot::BorderFocused))
        .title(Line::from(title_spans(app)));
    let inner = block.inner(area);
    let cols = columns(app, inner.width);
    // The same split the table makes, so cells can be cut with an ellipsis instead of clipped.
    let widths: Vec<usize> = Layout::horizontal(cols.iter().map(|c| c.width))
        .spacing(1)
        .split(inner)
        .iter()
        .map(|r| r.width as usize)
        .collect();
    if app.table.rows.is_empty() {
        frame.render_widget(block, area);
        let msg = empty_message(app);
        frame.render_widget(
            Paragraph::new(msg)
                .style(t.style(Slot::TextDim))
                .wrap(Wrap { trim: false }),
            Rect {
                y: inner.y + 1,
                height: inner.height.saturating_sub(1),
                ..inner
            },
        );
        render_header_only(frame, app, &cols, &widths, inner);
        return;
    }
    let height = inner.height.saturating_sub(1) as usize;
    let start = app.table.offset.min(app.table.rows.len());
    let end = (start + height).min(app.table.rows.len());
    let rows: Vec<TableRow> = app.table.rows[start..end]
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let selected = start + i == app.table.cursor;
            build_row(app, row, &cols, &widths, selected)
        })
        .collect();
    let table = Table::new(rows, cols.iter().map(|c| c.width))
        .header(header_row(app, &cols, &widths))
        .block(block)
        .column_spacing(1);
    frame.render_widget(table, area);
}

fn render_header_only(
    frame: &mut Frame,
    app: &App,
    cols: &[Column],
    widths: &[usize],
    inner: Rect,
) {
    let table = Table::new(Vec::<TableRow>::new(), cols.iter().map(|c| c.width))
        .header(header_row(app, cols, widths))
        .column_spacing(1);
    frame.render_widget(table, Rect { height: 1, ..inner });
}

fn title_spans(app: &App) -> Vec<Span<'static>> {
    let t = &app.theme;
    let sort = app.table.sort;
    let arrow = if sort.descending { "▼" } else { "▲" };
    let mut spans = vec![
        Span::styled(
            if app.table.tree {
                " Containers by project "
            } else {
                " Containers "
            },
            t.style(Slot::Title),
        ),
        Span::styled(
            format!("─ sort {} {arrow} ", sort.column.name()),
            t.style(Slot::TextDim),
        ),
    ];
    if app.table.rows.len() > layout::table_body_height(app) as usize {
        spans.push(Span::styled(
            format!("─ {}/{} ", app.table.cursor + 1, app.table.rows.len()),
            t.style(Slot::TextDim),
        ));
    }
    if !app.table.filter_text.is_empty() {
        spans.push(Span::styled(
            format!("─ filter: {} ", app.table.filter_text),
            t.style(Slot::InputText),
        ));
    }
    spans
}

fn empty_message(app: &App) -> String {
    use crate::app::model::EndpointState;
    if !app.table.filter_text.is_empty() && !app.inventory.is_empty() {
        return format!(
            " No container matches \"{}\" ({} hidden). Esc clears the filter.",
            app.table.filter_text,
            app.inventory.len()
        );
    }
    let states: Vec<&EndpointState> = app.endpoints.attached.iter().map(|e| &e.state).collect();
    if states
        .iter()
        .all(|s| matches!(s, EndpointState::Connecting))
    {
        return " Connecting…".into();
    }
    if states
        .iter()
        .all(|s| matches!(s, EndpointState::Down { .. }))
    {
        // The header cuts long reasons on narrow terminals, so the body spells them out.
        let mut msg = String::from(" No engine reachable; retrying with backoff.");
        for e in &app.endpoints.attached {
            if let EndpointState::Down { reason, .. } = &e.state {
                let retry = e
                    .retry_in(app.now)
                    .map(|s| format!(" (retry in {s}s)"))
                    .unwrap_or_default();
                msg.push_str(&format!("\n {}: {reason}{retry}", e.name));
            }
        }
        return msg;
    }
    " No containers.".into()
}

/// Column titles, cut with an ellipsis to their column; the sort arrow is kept even when the
/// title has to be cut for it, so the operator always sees which column sorts.
fn header_row(app: &App, cols: &[Column], widths: &[usize]) -> TableRow<'static> {
    let t = &app.theme;
    TableRow::new(cols.iter().zip(widths).map(|(c, &w)| {
        if c.sort == Some(app.table.sort.column) {
            let arrow = if app.table.sort.descending {
                '▼'
            } else {
                '▲'
            };
            let mut title = fit(c.title, w.saturating_sub(1));
            title.push(arrow);
            Cell::from(title)
        } else {
            Cell::from(fit(c.title, w))
        }
    }))
    .style(t.style(Slot::TableHeader))
}

fn build_row(
    app: &App,
    row: &Row,
    cols: &[Column],
    widths: &[usize],
    selected: bool,
) -> TableRow<'static> {
    let t = &app.theme;
    let texts: Vec<(String, Option<Slot>)> = match row {
        Row::Container { slot, depth } => {
            let c = app.inventory.get(*slot).expect("rows refer to live slots");
            // Looked up once per row: a hash of the container's key per cell added up on
            // every frame.
            let entry = app
                .usage
                .get(&c.key)
                .filter(|_| c.state == RunState::Running);
            let usage = entry.and_then(|e| e.latest.as_ref());
            // An endpoint that is down sends nothing: its rows are what was last known, dimmed,
            // and their figures say they are not live.
            let stale = app.endpoints.is_down(&c.key.endpoint);
            // A sample that is late (a slow or remote source fell behind) says how old it is.
            let late = entry
                .filter(|e| e.latest.is_some())
                .and_then(|e| crate::app::usage::late_secs(e, app.now, app.options.sample_ms));
            cols.iter()
                .map(|col| {
                    let cell = container_cell(app, c, usage, *depth, col.col);
                    if stale {
                        (stale_text(col.col, cell.0), Some(Slot::TextDim))
                    } else if let Some(secs) = late.filter(|_| is_figure(col.col)) {
                        match col.col {
                            Col::Cpu => (
                                format!("⏱{}", crate::app::model::format_age(secs)),
                                Some(Slot::TextDim),
                            ),
                            _ => (cell.0, Some(Slot::TextDim)),
                        }
                    } else {
                        cell
                    }
                })
                .collect()
        }
        Row::Group {
            label,
            depth,
            aggregate,
            collapsed,
            swarm,
            ..
        } => cols
            .iter()
            .zip(widths)
            .map(|(col, &w)| match (swarm, col.col) {
                (Some(s), Col::Project | Col::State) => swarm_cell(s, col.col, w),
                _ => group_cell(label, *depth, aggregate, *collapsed, col.col, w),
            })
            .collect(),
        Row::Task {
            endpoint,
            id,
            depth,
        } => match app.inventory.swarms.task(endpoint, id) {
            Some((svc, task)) => cols
                .iter()
                .map(|col| task_cell(svc, task, *depth, col.col))
                .collect(),
            None => cols.iter().map(|_| (String::new(), None)).collect(),
        },
    };
    let cells = texts
        .into_iter()
        .zip(cols)
        .zip(widths)
        .map(|(((text, slot), col), &w)| {
            // Names, ports and endpoints differ at the end as often as at the start.
            let text = match col.col {
                Col::Name => fit_name(&text, w),
                Col::Ports | Col::Endpoint => fit_middle(&text, w),
                _ => fit(&text, w),
            };
            match slot {
                Some(s) => Cell::from(Span::styled(text, t.style(s))),
                None => Cell::from(text),
            }
        });
    let r = TableRow::new(cells.collect::<Vec<_>>());
    let marked = match row {
        Row::Container { slot, .. } => app
            .inventory
            .get(*slot)
            .is_some_and(|c| app.table.marked.contains(&c.key)),
        _ => false,
    };
    let mut style = Style::default();
    if marked {
        style = style.patch(t.style(Slot::TableMarked));
    }
    if selected {
        style = style.patch(t.style(Slot::TableSelected));
    }
    r.style(style)
}

/// A name cell cut in the middle of the name, keeping the tree's indentation and the mark.
fn fit_name(text: &str, width: usize) -> String {
    let name_starts = text
        .char_indices()
        .find(|(_, c)| !matches!(c, ' ' | '●' | '▸' | '▾'))
        .map_or(text.len(), |(i, _)| i);
    let (prefix, name) = text.split_at(name_starts);
    let room = width.saturating_sub(prefix.width());
    format!("{prefix}{}", fit_middle(name, room))
}

pub fn state_slot(state: RunState) -> Slot {
    match state {
        RunState::Running => Slot::StateRunning,
        RunState::Paused => Slot::StatePaused,
        RunState::Restarting => Slot::StateRestarting,
        RunState::Created => Slot::StateCreated,
        RunState::Exited | RunState::Removing => Slot::StateExited,
        RunState::Dead | RunState::Unknown => Slot::StateDead,
    }
}

pub fn health_slot(h: Health) -> Slot {
    match h {
        Health::Healthy => Slot::HealthHealthy,
        Health::Unhealthy => Slot::HealthUnhealthy,
        Health::Starting => Slot::HealthStarting,
        Health::None => Slot::TextDim,
    }
}

/// One cell of a container's row: its text and, where colour carries meaning, its style.
fn container_cell(
    app: &App,
    c: &Container,
    usage: Option<&Usage>,
    depth: u8,
    col: Col,
) -> (String, Option<Slot>) {
    let none = || ("-".to_string(), Some(Slot::TextDim));
    match col {
        Col::Name => {
            let mark = if app.table.marked.contains(&c.key) {
                "● "
            } else {
                ""
            };
            (
                format!("{}{mark}{}", "  ".repeat(depth as usize), c.name),
                None,
            )
        }
        Col::Endpoint => (c.key.endpoint.clone(), None),
        Col::Project => match (c.project(), c.service()) {
            (Some(p), Some(s)) => (format!("{p}/{s}"), None),
            (Some(p), None) => (p.to_owned(), None),
            _ => match c.labels.get(crate::app::swarm::LABEL_SERVICE_NAME) {
                // A Swarm task: its service, as `stack/service` reads.
                Some(name) => {
                    let short = crate::app::swarm::name_in_stack(name, c.stack());
                    match c.stack() {
                        Some(stack) => (format!("{stack}/{short}"), None),
                        None => (short.to_owned(), None),
                    }
                }
                None => none(),
            },
        },
        Col::Image => (short_image(&c.image), None),
        // A change under way shows as it happens, until the engine says how it went.
        Col::State => match app.ops.under_way(&c.key) {
            Some(op) => (op.under_way().to_owned(), Some(Slot::StateRestarting)),
            None => (c.state_text(), Some(state_slot(c.state))),
        },
        Col::Health => match c.health {
            Health::None => none(),
            h => (h.as_str().to_owned(), Some(health_slot(h))),
        },
        Col::Cpu => match usage.and_then(|u| u.cpu_percent_of_limit.map(|p| (u, p))) {
            // Without a limit the share is of the whole host, marked so it is not mistaken.
            Some((u, p)) if u.cpu_limit_kind == CpuLimitKind::Host => {
                (format!("{p:.0}%∞"), Some(gauge_slot(app, p)))
            }
            Some((_, p)) => (format!("{p:.0}%{}", mini_bar(p)), Some(gauge_slot(app, p))),
            None => none(),
        },
        // Only a CPU quota throttles; without one the column has nothing to say.
        Col::Throttle => match usage
            .filter(|u| !matches!(u.cpu_limit_kind, CpuLimitKind::Host | CpuLimitKind::Cpuset))
            .and_then(|u| u.throttled_percent)
        {
            Some(p) if p > 0.0 => (format!("{p:.0}%"), Some(throttle_slot(p))),
            Some(_) => ("0%".into(), Some(Slot::TextDim)),
            None => none(),
        },
        Col::Mem => match usage.and_then(|u| u.memory_working_set.map(|m| (u, m))) {
            Some((u, ws)) => {
                let limit = u
                    .memory_limit
                    .map(human_bytes)
                    .unwrap_or_else(|| "∞".into());
                let oom = match u.oom_kills {
                    Some(n) if n > 0 => format!("⚠{n}"),
                    _ => String::new(),
                };
                // Without a hard limit, a reservation is the only line drawn: above it, the
                // container is first in line for reclaim when the host runs short.
                let reservation = u.memory_reservation.filter(|_| u.memory_limit.is_none());
                let slot = match (oom.is_empty(), u.memory_percent_of_limit, reservation) {
                    (false, _, _) => Slot::GaugeOverLimit,
                    (true, Some(p), _) => gauge_slot(app, p),
                    (true, None, Some(r)) if ws > r => Slot::GaugeNearLimit,
                    (true, None, _) => Slot::Text,
                };
                let against = match reservation {
                    Some(r) => format!("r{}", human_bytes(r)),
                    None => limit,
                };
                let bar = u.memory_percent_of_limit.map(mini_bar).unwrap_or_default();
                (
                    format!("{}/{against}{bar}{oom}", human_bytes(ws)),
                    Some(slot),
                )
            }
            None => none(),
        },
        Col::Pids => match usage.and_then(|u| u.pids.map(|p| (u, p))) {
            Some((u, p)) => match (u.pids_limit, u.pids_percent_of_limit) {
                (Some(l), Some(pc)) => (
                    format!("{p}/{l}{}", mini_bar(pc)),
                    Some(gauge_slot(app, pc)),
                ),
                _ => (p.to_string(), None),
            },
            None => none(),
        },
        Col::Net => {
            let (text, slot) =
                rate_pair(usage.map(|u| (u.net_rx_bytes_per_sec, u.net_tx_bytes_per_sec)));
            // Over a network threshold (drops, retransmits, RTT): the detail pane says which.
            let troubled = usage
                .is_some_and(|u| !crate::app::nethealth::problems(u, &app.options.net).is_empty());
            (text, if troubled { Some(Slot::Warning) } else { slot })
        }
        Col::Io => rate_pair(usage.map(|u| (u.blk_read_bytes_per_sec, u.blk_write_bytes_per_sec))),
        Col::Up => match c.uptime_secs(app.now) {
            Some(s) => (format_age(s), None),
            None => none(),
        },
        Col::Ports => {
            let ports: Vec<String> = c.published_ports().map(port_short).collect();
            if ports.is_empty() {
                none()
            } else {
                (ports.join(","), None)
            }
        }
        Col::Restarts => (
            c.restart_count
                .map(|n| n.to_string())
                .unwrap_or_else(|| "·".into()),
            None,
        ),
    }
}

/// The columns of sampled figures.
fn is_figure(col: Col) -> bool {
    matches!(
        col,
        Col::Cpu | Col::Mem | Col::Pids | Col::Net | Col::Io | Col::Throttle
    )
}

/// A cell's text on a row of a down endpoint: the state and each figure marked `?` (for a
/// figure, in place of its gauge) so the last reading is not taken for a live one.
fn stale_text(col: Col, text: String) -> String {
    const BARS: &str = "▁▂▃▄▅▆▇█∞";
    match col {
        Col::State => format!("{text}?"),
        Col::Cpu | Col::Mem | Col::Pids | Col::Net | Col::Io | Col::Throttle if text != "-" => {
            let bare = text.trim_end_matches(|c| BARS.contains(c));
            format!("{bare}?")
        }
        _ => text,
    }
}

fn rate_pair(rates: Option<(Option<f64>, Option<f64>)>) -> (String, Option<Slot>) {
    match rates {
        Some((Some(a), Some(b))) => (
            format!("{}/{}", human_bytes(a as u64), human_bytes(b as u64)),
            None,
        ),
        _ => ("-".into(), Some(Slot::TextDim)),
    }
}

/// Green, amber, red by the thresholds in the settings.
pub fn gauge_slot(app: &App, percent: f64) -> Slot {
    if percent >= app.options.over_limit_percent {
        Slot::GaugeOverLimit
    } else if percent >= app.options.near_limit_percent {
        Slot::GaugeNearLimit
    } else {
        Slot::GaugeOk
    }
}

/// A one-cell gauge of how much of a limit is used: `▁` (a little) to `█` (all of it).
fn mini_bar(percent: f64) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let step = (percent / 100.0 * 8.0).ceil().clamp(1.0, 8.0) as usize;
    BARS[step - 1].to_string()
}

/// Any throttling means the CPU limit is biting; a quarter of periods is a lot.
fn throttle_slot(percent: f64) -> Slot {
    if percent >= 25.0 {
        Slot::GaugeOverLimit
    } else {
        Slot::GaugeNearLimit
    }
}

pub use crate::app::usage::human_bytes;

/// `8080→80` for the table; the bind address is in inspect.
fn port_short(p: &crate::app::model::PortMapping) -> String {
    let proto = if p.protocol == "tcp" {
        String::new()
    } else {
        format!("/{}", p.protocol)
    };
    match p.host_port {
        Some(h) if h == p.container_port => format!("{h}{proto}"),
        Some(h) => format!("{h}→{}{proto}", p.container_port),
        None => format!("{}{proto}", p.container_port),
    }
}

/// Drops a registry host from the image name: the repository and tag are what identify it.
fn short_image(image: &str) -> String {
    let without_digest = image.split('@').next().unwrap_or(image);
    match without_digest.split_once('/') {
        Some((host, rest)) if host.contains('.') || host.contains(':') => rest.to_owned(),
        _ => without_digest.to_owned(),
    }
}

/// One cell of a project or service line: counts and the aggregate verdict.
/// A task the service wants with no container here: its state, and why in the manager's words
/// where the service's name would be.
fn task_cell(
    svc: &crate::app::swarm::SwarmService,
    task: &crate::app::swarm::SwarmTask,
    depth: u8,
    col: Col,
) -> (String, Option<Slot>) {
    match col {
        Col::Name => (
            format!(
                "{}  {}",
                "  ".repeat(depth as usize),
                crate::app::rows::task_name(svc, task)
            ),
            Some(Slot::TextDim),
        ),
        Col::Project => match task.why() {
            Some(why) => (why.to_owned(), Some(Slot::Warning)),
            None => ("-".into(), Some(Slot::TextDim)),
        },
        Col::Image => (short_image(&task.image), Some(Slot::TextDim)),
        Col::State => {
            let slot = match task.state.as_str() {
                "running" => Slot::StateRunning,
                "failed" | "rejected" | "orphaned" => Slot::StateExited,
                _ => Slot::StateRestarting,
            };
            (task.state.clone(), Some(slot))
        }
        _ => (String::new(), None),
    }
}

/// A Swarm service's line: the manager's own count of running and wanted tasks, and its state
/// (an update under way or gone wrong before the counts).
fn swarm_cell(
    s: &crate::app::rows::SwarmSummary,
    col: Col,
    width: usize,
) -> (String, Option<Slot>) {
    if col == Col::Project {
        // `2/3 tasks`, or during an update `2/3 · 1/3 new`.
        let long = match s.replicas.split_once(" · ") {
            Some(_) => s.replicas.clone(),
            None => format!("{} tasks", s.replicas),
        };
        let text = if long.width() <= width {
            long
        } else {
            s.replicas
                .split(" · ")
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        return (text, Some(Slot::TextDim));
    }
    let slot = match s.verdict {
        "up" | "scaled to 0" => Slot::StateRunning,
        "down" => Slot::StateExited,
        "update paused" => Slot::HealthUnhealthy,
        "last known" => Slot::TextDim,
        _ => Slot::StateRestarting,
    };
    (s.verdict.to_owned(), Some(slot))
}

fn group_cell(
    label: &str,
    depth: u8,
    agg: &Aggregate,
    collapsed: bool,
    col: Col,
    width: usize,
) -> (String, Option<Slot>) {
    match col {
        Col::Name => {
            let arrow = if collapsed { "▸" } else { "▾" };
            let text = format!("{}{arrow} {label}", "  ".repeat(depth as usize));
            (text, Some(Slot::TableGroup))
        }
        Col::Project => {
            let long = format!("{}/{} running", agg.running, agg.total);
            let text = if long.width() <= width {
                long
            } else {
                format!("{}/{}", agg.running, agg.total)
            };
            (text, Some(Slot::TextDim))
        }
        Col::State => {
            let verdict = agg.verdict();
            let slot = match verdict {
                "up" => Slot::StateRunning,
                "degraded" => Slot::HealthUnhealthy,
                "down" => Slot::StateExited,
                _ => Slot::StateRestarting,
            };
            (verdict.to_owned(), Some(slot))
        }
        // Starting is not a failure: only unhealthy members get the unhealthy colour.
        Col::Health if agg.unhealthy > 0 => (
            format!("{} unhlth", agg.unhealthy),
            Some(Slot::HealthUnhealthy),
        ),
        Col::Health if agg.starting > 0 => (
            format!("{} start", agg.starting),
            Some(Slot::HealthStarting),
        ),
        _ => (String::new(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mini_bars_span_the_limit() {
        assert_eq!(mini_bar(0.0), "▁");
        assert_eq!(mini_bar(50.0), "▄");
        assert_eq!(mini_bar(96.0), "█");
        assert_eq!(mini_bar(250.0), "█");
    }

    #[test]
    fn image_names_lose_registry_host_and_digest() {
        assert_eq!(
            short_image("registry.example.com:5000/team/app:1.2"),
            "team/app:1.2"
        );
        assert_eq!(
            short_image("library/busybox:latest"),
            "library/busybox:latest"
        );
        assert_eq!(short_image("busybox@sha256:abc"), "busybox");
    }
}
