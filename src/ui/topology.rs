//! The topology view (`T`): the tree (engine → project → service → container, with state,
//! networks and ports in aligned columns) or the network matrix (containers × networks), and
//! under either what the selected container reaches.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::text::{fit, fit_middle, message};

/// `text` cut to `width` columns and padded to it, so the columns line up.
fn cell(text: &str, width: usize) -> String {
    let cut = fit(text, width);
    let pad = width.saturating_sub(cut.width());
    format!("{cut}{}", " ".repeat(pad))
}

fn cell_middle(text: &str, width: usize) -> String {
    cell(&fit_middle(text, width), width)
}
use crate::app::state::App;
use crate::app::topology::{networks_text, LineKind, TopologyTab};
use crate::config::theme::Slot;
use crate::topology::model::{NetworkMode, Topology};
use crate::topology::reach::Reach;

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let state = &app.views.topology;
    let tabs: Vec<Span> = TopologyTab::ALL
        .iter()
        .flat_map(|tab| {
            let slot = if *tab == state.tab {
                Slot::Title
            } else {
                Slot::TextDim
            };
            [
                Span::styled(format!(" {} ", tab.title()), t.style(slot)),
                Span::raw("│"),
            ]
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Slot::BorderFocused))
        .title(Line::from(
            [
                vec![Span::styled(" Topology ─", t.style(Slot::Title))],
                tabs,
                if app.table.filter_text.is_empty() {
                    Vec::new()
                } else {
                    vec![Span::styled(
                        format!(" filter: {} ", app.table.filter_text),
                        t.style(Slot::TextDim),
                    )]
                },
            ]
            .concat(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(topo) = state.model.as_ref() else {
        return message(
            frame,
            inner,
            "Building the topology…",
            t.style(Slot::TextDim),
        );
    };
    if topo.containers.is_empty() {
        return message(
            frame,
            inner,
            "No containers on the attached endpoints.",
            t.style(Slot::TextDim),
        );
    }
    let reach = state.reach.as_ref();
    let panel_height = if inner.height >= 14 { 4 } else { 2 };
    let [main, panel] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(panel_height)]).areas(inner);
    match state.tab {
        TopologyTab::Tree => tree(frame, app, topo, reach, main),
        TopologyTab::Matrix => matrix(frame, app, topo, reach, main),
        TopologyTab::Graph => graph(frame, app, topo, reach, main),
    }
    reach_panel(frame, app, topo, reach, panel);
}

/// A container's name is coloured by what needs looking at: unhealthy first, then use near or
/// over its CPU or memory limit (the table's thresholds), then a raised network alarm; nothing
/// when all is well.
fn condition_slot(app: &App, c: &crate::topology::model::ContainerNode) -> Option<Slot> {
    if c.health == "unhealthy" {
        return Some(Slot::HealthUnhealthy);
    }
    let u = app.usage.get(&c.key())?.latest.as_ref()?;
    let worst = [u.cpu_percent_of_limit, u.memory_percent_of_limit]
        .into_iter()
        .flatten()
        .filter(|_| c.state == "running")
        .fold(0.0_f64, f64::max);
    match super::table::gauge_slot(app, worst) {
        Slot::GaugeOk
            if c.state == "running"
                && app.usage.get(&c.key()).is_some_and(|e| e.net_alarm.raised) =>
        {
            Some(Slot::Warning)
        }
        Slot::GaugeOk => None,
        slot => Some(slot),
    }
}

/// The mark before a container's name while another is selected: it reaches it, or not.
fn peer_mark(reach: Option<&(usize, Reach)>, i: usize) -> Option<&'static str> {
    let (me, r) = reach?;
    if *me == i {
        return Some(if r.isolated { "⊘ " } else { "◆ " });
    }
    r.peers.iter().any(|(p, _)| *p == i).then_some("↔ ")
}

fn tree(frame: &mut Frame, app: &App, topo: &Topology, reach: Option<&(usize, Reach)>, area: Rect) {
    let t = &app.theme;
    let state = &app.views.topology;
    let lines = &state.lines;
    let w = area.width as usize;
    // NAME as wide as the longest (with its indent and mark), NETWORKS what it needs, PORTS
    // the rest; on a narrow screen PORTS goes first, then NETWORKS, and NAME is cut.
    let state_w = 12;
    let longest = state.widest_line.max(10);
    let ports_w = if w >= 110 {
        28
    } else if w >= 90 {
        18
    } else {
        0
    };
    let nets_need = state.widest_networks.max(8);
    let nets_w = if w >= 70 { nets_need.min(w / 3) } else { 0 };
    let room = w.saturating_sub(state_w + ports_w + nets_w + 3).max(10);
    let name_w = longest.min(room);
    let ports_w = if ports_w > 0 {
        ports_w + (room - name_w)
    } else {
        0
    };
    let header = format!(
        "{}{}{}{}",
        cell("NAME", name_w + 1),
        cell("STATE", state_w + 1),
        if nets_w > 0 {
            cell("NETWORKS", nets_w + 1)
        } else {
            String::new()
        },
        if ports_w > 0 {
            cell("PORTS", ports_w)
        } else {
            String::new()
        },
    );
    let mut out = vec![Line::from(Span::styled(header, t.style(Slot::TableHeader)))];
    let height = area.height.saturating_sub(1) as usize;
    for (n, line) in lines.iter().enumerate().skip(state.offset).take(height) {
        let indent = "  ".repeat(line.depth as usize);
        let selected = n == state.cursor;
        let mut spans = Vec::new();
        match line.kind {
            LineKind::Container(i) => {
                let c = &topo.containers[i];
                let mark = peer_mark(reach, i).unwrap_or("  ");
                let name = cell_middle(&format!("{indent}{mark}{}", c.name), name_w);
                let slot = match c.state.as_str() {
                    "running" => Slot::StateRunning,
                    "paused" | "restarting" => Slot::StateRestarting,
                    _ => Slot::StateExited,
                };
                let name = format!("{} ", cell(&name, name_w));
                spans.push(match condition_slot(app, c) {
                    Some(slot) => Span::styled(name, t.style(slot)),
                    None => Span::raw(name),
                });
                spans.push(Span::styled(
                    format!("{} ", cell(&c.state, state_w)),
                    t.style(slot),
                ));
                if nets_w > 0 {
                    let nets = networks_text(topo, i);
                    let slot = match &c.network_mode {
                        NetworkMode::Networks => Slot::Text,
                        NetworkMode::Container {
                            target_missing: true,
                            ..
                        } => Slot::Warning,
                        _ => Slot::TextDim,
                    };
                    spans.push(Span::styled(
                        format!("{} ", cell(&nets, nets_w)),
                        t.style(slot),
                    ));
                }
                if ports_w > 0 {
                    let ports: Vec<String> = c
                        .ports
                        .iter()
                        .filter(|p| p.host_port.is_some())
                        .map(|p| p.display())
                        .collect();
                    spans.push(Span::raw(cell(&ports.join(", "), ports_w)));
                }
            }
            _ => {
                let arrow = if line.collapsed { "▸ " } else { "▾ " };
                let text = cell(&format!("{indent}{arrow}{}", line.label), w);
                spans.push(Span::styled(text, t.style(Slot::TableGroup)));
            }
        }
        let mut l = Line::from(spans);
        if selected {
            l = l.style(t.style(Slot::TableSelected));
        }
        out.push(l);
    }
    frame.render_widget(Paragraph::new(out), area);
}

/// The worst condition among a service's containers, for its box's border.
fn service_slot(app: &App, topo: &Topology, containers: &[usize]) -> Option<Slot> {
    let rank = |s: &Slot| match s {
        Slot::HealthUnhealthy => 4,
        Slot::GaugeOverLimit => 3,
        Slot::GaugeNearLimit => 2,
        _ => 1,
    };
    containers
        .iter()
        .filter_map(|&i| condition_slot(app, &topo.containers[i]))
        .max_by_key(rank)
}

/// The service graph of one project: ascii-dag's picture (edges), with each service's box
/// painted over its place in the theme's colours.
fn graph(
    frame: &mut Frame,
    app: &App,
    topo: &Topology,
    reach: Option<&(usize, Reach)>,
    area: Rect,
) {
    use crate::topology::graph::GraphLayout;
    let t = &app.theme;
    let state = &app.views.topology;
    let projects = crate::topology::graph::projects(topo);
    let Some(key) = state.project.as_ref() else {
        return message(
            frame,
            area,
            "No compose project or stack here: the tree shows the standalone containers (Tab).",
            t.style(Slot::TextDim),
        );
    };
    let (endpoint, project) = (&key.endpoint, &key.name);
    let at = projects.iter().position(|p| p == key).map_or(0, |i| i + 1);
    let head = format!(
        "{project} on {endpoint} ({at} of {}) · ←/→ another project · Enter: to the table",
        projects.len()
    );
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(
            fit(&head, area.width as usize),
            t.style(Slot::TextDim),
        ))),
        Rect { height: 1, ..area },
    );
    let body = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    let fits = |g: &crate::topology::graph::ServiceGraph| {
        g.width <= body.width as usize && g.height <= body.height as usize
    };
    let g = match &state.graph {
        Some(GraphLayout::Drawn { down, across }) => match (fits(down), fits(across)) {
            (false, true) => across,
            _ => down,
        },
        Some(GraphLayout::TooMany { project, services }) => {
            return message(
                frame,
                body,
                &format!(
                    "{project} has {services} services: more than a graph can show. Tab: the tree \
                     lists them."
                ),
                t.style(Slot::Warning),
            )
        }
        None => return message(frame, body, "Laying out…", t.style(Slot::TextDim)),
    };
    if !fits(g) {
        return message(
            frame,
            body,
            &format!(
                "The graph of {project} needs {}×{} and the view has {}×{}: Tab shows the tree, \
                 or widen the terminal.",
                g.width, g.height, body.width, body.height
            ),
            t.style(Slot::Warning),
        );
    }
    // Centred across, from the top.
    let x0 = body.x + (body.width - g.width as u16) / 2;
    let y0 = body.y;
    let buf = frame.buffer_mut();
    let edge_style = t.style(Slot::TextDim);
    for (row, line) in g.canvas.iter().enumerate() {
        buf.set_stringn(x0, y0 + row as u16, line, g.width, edge_style);
    }
    for (n, b) in g.boxes.iter().enumerate() {
        let selected = n == state.cursor;
        let peer = reach.is_some_and(|(me, r)| {
            !b.containers.contains(me)
                && b.containers
                    .iter()
                    .any(|c| r.peers.iter().any(|(p, _)| p == c))
        });
        let border = if selected {
            t.style(Slot::BorderFocused)
        } else {
            t.style(service_slot(app, topo, &b.containers).unwrap_or(Slot::Border))
        };
        let rect = Rect {
            x: x0 + b.x as u16,
            y: y0 + b.y as u16,
            width: b.width as u16,
            height: b.height as u16,
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(border)
            .padding(ratatui::widgets::Padding::horizontal(1));
        let inner = block.inner(rect);
        frame.render_widget(ratatui::widgets::Clear, rect);
        frame.render_widget(block, rect);
        let name_style = if selected {
            t.style(Slot::TableSelected)
        } else {
            t.style(Slot::Title)
        };
        let state_slot = if b.state.starts_with("running") {
            Slot::StateRunning
        } else {
            Slot::StateExited
        };
        let mark = if peer { "↔ " } else { "" };
        let mut lines = vec![
            Line::from(Span::styled(format!("{mark}{}", b.label), name_style)),
            Line::from(Span::styled(b.state.clone(), t.style(state_slot))),
        ];
        if !b.ports.is_empty() {
            lines.push(Line::from(Span::styled(
                b.ports.clone(),
                t.style(Slot::Text),
            )));
        }
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

fn matrix(
    frame: &mut Frame,
    app: &App,
    topo: &Topology,
    reach: Option<&(usize, Reach)>,
    area: Rect,
) {
    let t = &app.theme;
    let state = &app.views.topology;
    let w = area.width as usize;
    let name_w = (state.widest_name + 2).clamp(10, (w / 3).max(10));
    let col_w = |n: usize| -> usize {
        if state.addresses {
            18
        } else {
            topo.networks[n].name.width().clamp(5, 14)
        }
    };
    // The networks that fit from the first shown one.
    let first = state.column.min(topo.networks.len().saturating_sub(1));
    let mut shown = Vec::new();
    let mut used = name_w + 1;
    for n in first..topo.networks.len() {
        let cw = col_w(n) + 1;
        if used + cw > w {
            break;
        }
        used += cw;
        shown.push(n);
    }
    let more_left = first > 0;
    let more_right = shown.last().is_some_and(|l| l + 1 < topo.networks.len());
    let mut names = vec![Span::styled(
        format!(
            "{} ",
            cell(
                if more_left {
                    "◂ CONTAINER"
                } else {
                    "CONTAINER"
                },
                name_w
            )
        ),
        t.style(Slot::TableHeader),
    )];
    let mut flags = vec![Span::raw(format!(
        "{} ",
        cell(if more_right { "NETWORK ▸" } else { "" }, name_w)
    ))];
    for &n in &shown {
        let net = &topo.networks[n];
        names.push(Span::styled(
            format!("{} ", cell_middle(&net.name, col_w(n))),
            t.style(Slot::TableHeader),
        ));
        // The flags first: on a narrow column they are what must not be cut.
        let mut f = String::new();
        if net.internal {
            f.push_str("int ");
        }
        if !net.icc {
            f.push_str("!icc ");
        }
        f.push_str(&net.driver);
        let slot = if net.internal || !net.icc {
            Slot::Warning
        } else {
            Slot::TextDim
        };
        flags.push(Span::styled(
            format!("{} ", cell(&f, col_w(n))),
            t.style(slot),
        ));
    }
    // Rows straight into the buffer: a matrix is many small cells, and building lines of
    // spans for each frame cost more than the rest of the frame.
    let buf = frame.buffer_mut();
    buf.set_line(area.x, area.y, &Line::from(names), area.width);
    buf.set_line(area.x, area.y + 1, &Line::from(flags), area.width);
    let mut columns = Vec::with_capacity(shown.len());
    let mut x = area.x + name_w as u16 + 1;
    for &n in &shown {
        columns.push((n, x, col_w(n)));
        x += col_w(n) as u16 + 1;
    }
    let height = area.height.saturating_sub(3) as usize;
    let rows = topo
        .containers
        .iter()
        .enumerate()
        .skip(state.offset)
        .take(height);
    for (row, (i, c)) in rows.enumerate() {
        let y = area.y + 2 + row as u16;
        let mark = peer_mark(reach, i).unwrap_or("  ");
        let name = fit_middle(&format!("{mark}{}", c.name), name_w);
        let style =
            condition_slot(app, c).map_or_else(ratatui::style::Style::default, |s| t.style(s));
        buf.set_stringn(area.x, y, &name, name_w, style);
        let mode = match &c.network_mode {
            NetworkMode::Host => Some("host"),
            NetworkMode::None => Some("none"),
            NetworkMode::Container { .. } => Some("ctr:"),
            NetworkMode::Networks => None,
        };
        for (col, &(n, x, w)) in columns.iter().enumerate() {
            let m = c.networks.iter().find(|m| m.network == Some(n));
            let (text, slot) = match (m, mode) {
                (Some(m), _) if state.addresses => (m.ipv4.as_deref().unwrap_or("●"), Slot::Text),
                (Some(_), _) => ("●", Slot::StateRunning),
                // A mode is said once, in the first column; the rest stay empty.
                (None, Some(mode)) if col == 0 => (mode, Slot::TextDim),
                (None, Some(_)) => ("", Slot::TextDim),
                (None, None) => ("·", Slot::TextDim),
            };
            buf.set_stringn(x, y, text, w, t.style(slot));
        }
        if i == state.cursor {
            buf.set_style(
                Rect::new(area.x, y, area.width, 1),
                t.style(Slot::TableSelected),
            );
        }
    }
    if area.height > 2 {
        buf.set_stringn(
            area.x,
            area.y + area.height - 1,
            "● on it  · not  host/none/ctr: mode  int: internal  !icc: members cannot talk  a: addresses",
            area.width as usize,
            t.style(Slot::TextDim),
        );
    }
}

fn reach_panel(
    frame: &mut Frame,
    app: &App,
    topo: &Topology,
    reach: Option<&(usize, Reach)>,
    area: Rect,
) {
    let t = &app.theme;
    let Some((i, r)) = reach else {
        let text = "Select a container to see whom it reaches (↔) and who reaches it.";
        frame.render_widget(
            Paragraph::new(Span::styled(text, t.style(Slot::TextDim))),
            area,
        );
        return;
    };
    let c = &topo.containers[*i];
    let names: Vec<String> = r
        .peers
        .iter()
        .map(|(p, _)| topo.containers[*p].name.clone())
        .collect();
    let mut spans = vec![Span::styled(format!("{} ", c.name), t.style(Slot::Title))];
    spans.extend(reach_spans(app, r, &names));
    frame.render_widget(
        Paragraph::new(Line::from(spans)).wrap(Wrap { trim: true }),
        area,
    );
}

/// What a container reaches, in words: for the topology's panel and the detail pane.
/// `peer_names` are `r.peers`' names, in its order.
pub fn reach_spans(app: &App, r: &Reach, peer_names: &[String]) -> Vec<Span<'static>> {
    let t = &app.theme;
    let mut spans = Vec::new();
    if r.isolated {
        spans.push(Span::styled(
            "isolated: no peer, no published port. ",
            t.style(Slot::Warning),
        ));
    }
    if r.no_route_out {
        spans.push(Span::styled(
            "internal networks only: no route out. ",
            t.style(Slot::Warning),
        ));
    }
    if !r.peers.is_empty() {
        // As many as the panel can hold; the marks in the list show every one.
        const SHOWN: usize = 12;
        let mut peers: Vec<String> = r
            .peers
            .iter()
            .zip(peer_names)
            .take(SHOWN)
            .map(|((_, via), name)| format!("{name} ({})", via.join(", ")))
            .collect();
        if r.peers.len() > SHOWN {
            peers.push(format!("and {} more", r.peers.len() - SHOWN));
        }
        spans.push(Span::raw(format!("↔ {}. ", peers.join(", "))));
    }
    if !r.published.is_empty() {
        spans.push(Span::raw(format!("host → {}. ", r.published.join(", "))));
    }
    for note in &r.notes {
        spans.push(Span::styled(format!("{note}. "), t.style(Slot::TextDim)));
    }
    if spans.is_empty() {
        spans.push(Span::styled("no peers.", t.style(Slot::TextDim)));
    }
    spans
}
