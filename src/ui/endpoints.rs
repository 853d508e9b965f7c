//! The endpoints panel (`E` or `:ctx`): each attached engine with its state, version, round trip
//! container count and how its containers are sampled (with the samples' median age), then the
//! contexts on disk that can be attached.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Clear, Row, Table};
use ratatui::Frame;

use super::layout::centered;
use super::text::fit_middle;
use crate::app::model::{EndpointState, Sampling};
use crate::app::state::{App, EndpointRow};
use crate::config::theme::Slot;

pub fn render(frame: &mut Frame, app: &App, body: Rect, cursor: usize) {
    let t = &app.theme;
    let mut rows = Vec::new();
    // Each row's name and address (with its style), cut to their columns below.
    let mut names: Vec<String> = Vec::new();
    let narrow = body.width.saturating_sub(4).max(60) < 100;
    // How each endpoint is sampled needs room of its own: shown on wide screens only, so that
    // the state (a down engine's reason) and the address keep theirs elsewhere.
    let with_sampling = body.width >= 160;
    let mut hosts: Vec<(String, Slot)> = Vec::new();
    for row in app.endpoints.rows(&app.inventory.swarms) {
        let ep = match row {
            EndpointRow::Attached(ep) => ep,
            EndpointRow::Node { node, .. } => {
                let leader = if node.leader { " ★" } else { "" };
                names.push(format!("  {}{leader}", node.hostname));
                hosts.push((node.addr.clone(), Slot::TextDim));
                let down = node.status != "ready";
                let mut state = format!("{} · {} · {}", node.status, node.availability, node.role);
                if let Some(m) = node.message.as_ref().filter(|_| down) {
                    state.push_str(&format!(": {m}"));
                }
                let slot = if down {
                    Slot::HeaderEndpointDown
                } else if node.availability != "active" {
                    Slot::Warning
                } else {
                    Slot::Text
                };
                rows.push(vec![
                    Cell::from(Span::styled("  node", t.style(Slot::TextDim))),
                    Cell::from(""),
                    Cell::from(""),
                    Cell::from(Span::styled(state, t.style(slot))),
                    Cell::from(format!(
                        "{} · {} CPU {}",
                        node.engine_version,
                        node.nano_cpus as f64 / 1e9,
                        crate::app::usage::human_bytes(node.memory_bytes.max(0) as u64)
                    )),
                    Cell::from(""),
                    Cell::from(""),
                    Cell::from(""),
                ]);
                continue;
            }
            EndpointRow::Context(_) => continue,
        };
        let count = app
            .inventory
            .iter()
            .filter(|(_, c)| c.key.endpoint == ep.name)
            .count();
        let (state, slot) = match &ep.state {
            EndpointState::Connecting => ("connecting".to_string(), Slot::TextDim),
            EndpointState::Up { .. } => {
                use crate::app::swarm::SwarmRole;
                match app.inventory.swarms.get(&ep.name) {
                    Some(s) if s.lost.is_some() => (
                        format!(
                            "up · Swarm manager not answering: {}",
                            s.lost.as_deref().unwrap_or_default()
                        ),
                        Slot::Warning,
                    ),
                    Some(s) if s.role == SwarmRole::Manager => (
                        format!(
                            "up · Swarm manager, {} nodes, {} services",
                            s.nodes.len(),
                            s.services.len()
                        ),
                        Slot::HeaderEndpointUp,
                    ),
                    Some(s) if s.role == SwarmRole::Worker => (
                        "up · Swarm worker (attach a manager to see services)".to_string(),
                        Slot::HeaderEndpointUp,
                    ),
                    _ => ("up".to_string(), Slot::HeaderEndpointUp),
                }
            }
            EndpointState::Down { reason, .. } => {
                let retry = ep
                    .retry_in(app.now)
                    .map(|s| format!(", retry in {s}s"))
                    .unwrap_or_default();
                (format!("down{retry}: {reason}"), Slot::HeaderEndpointDown)
            }
        };
        // Over ssh, what it holds open through its master: each channel is a process here and
        // one on the remote.
        let state = match ep.ssh_channels {
            Some((n, _)) if matches!(ep.state, EndpointState::Up { .. }) && narrow => {
                format!("{state} · ssh×{n}")
            }
            Some((n, forwarded)) if matches!(ep.state, EndpointState::Up { .. }) => {
                let s = if n == 1 { "" } else { "s" };
                let how = if forwarded { "forwarded" } else { "dial-stdio" };
                format!("{state} · {n} ssh channel{s}, {how}")
            }
            _ => state,
        };
        let version = match &ep.state {
            EndpointState::Up { version, .. } if narrow => version.clone(),
            EndpointState::Up {
                version,
                api_version,
            } => format!("{version} (API {api_version})"),
            _ => "-".into(),
        };
        let mut host = ep.host.clone();
        if ep.insecure {
            host.push_str(" ⚠ TLS unverified");
        }
        let running = app
            .inventory
            .iter()
            .filter(|(_, c)| {
                c.key.endpoint == ep.name && c.state == crate::app::model::RunState::Running
            })
            .filter_map(|(_, c)| app.usage.get(&c.key));
        let mut sampling = match ep.sampling {
            Sampling::Idle => Vec::new(),
            _ => vec![ep.sampling.words()],
        };
        if let Some(age) = crate::app::usage::median_age_secs(running, app.now) {
            sampling.push(format!("{age:.0}s old"));
        }
        let sampling = sampling.join(" · ");
        let sampling_slot = match ep.sampling {
            Sampling::Unavailable { .. } => Slot::Warning,
            Sampling::StatsApi { why: Some(_) } => Slot::Warning,
            _ => Slot::TextDim,
        };
        names.push(ep.name.clone());
        hosts.push((
            host.clone(),
            if ep.insecure {
                Slot::Warning
            } else {
                Slot::Text
            },
        ));
        rows.push(vec![
            Cell::from("● attached"),
            Cell::from(ep.name.clone()),
            Cell::from(Span::styled(
                host,
                t.style(if ep.insecure {
                    Slot::Warning
                } else {
                    Slot::Text
                }),
            )),
            Cell::from(Span::styled(state, t.style(slot))),
            Cell::from(version),
            Cell::from(
                ep.rtt_ms
                    .map(|ms| format!("{ms} ms"))
                    .unwrap_or_else(|| "-".into()),
            ),
            Cell::from(count.to_string()),
            Cell::from(Span::styled(sampling, t.style(sampling_slot))),
        ]);
    }
    for ctx in app.endpoints.attachable() {
        let (note, slot) = match &ctx.error {
            Some(e) => (format!("unusable: {e}"), Slot::Error),
            None => ("detached".to_string(), Slot::TextDim),
        };
        let name = if ctx.current {
            format!("{} *", ctx.name)
        } else {
            ctx.name.clone()
        };
        names.push(name.clone());
        hosts.push((ctx.host.clone(), Slot::Text));
        rows.push(vec![
            Cell::from(Span::styled("○ context", t.style(Slot::TextDim))),
            Cell::from(name),
            Cell::from(ctx.host.clone()),
            Cell::from(Span::styled(note, t.style(slot))),
            Cell::from(""),
            Cell::from(""),
            Cell::from(""),
            Cell::from(""),
        ]);
    }
    let height = (rows.len() as u16 + 4).min(body.height);
    let area = centered(body, body.width.saturating_sub(4).max(60), height.max(6));
    // Names as wide as the longest (within reason); names and addresses cut in the middle when
    // they must, since they differ at the end (`docker.sock`, `…:2376`).
    let longest = |f: &dyn Fn(usize) -> usize| (0..rows.len()).map(f).max().unwrap_or(0);
    let name_w = longest(&|i| names[i].chars().count()).clamp(4, 24) as u16;
    // On a narrow screen the version gives way first (`20.10.24+dfsg1` without the API).
    let version_w: u16 = if narrow { 15 } else { 26 };
    // Sampling shares the room left with the state: how, why not the files, and the median
    // age of the samples ("cgroup files over ssh · 1s old").
    let gaps = if with_sampling { 7 } else { 6 };
    let fixed = 10 + name_w + version_w + 7 + 5 + gaps + 2;
    // The address gets what it needs up to a third of the room left (half without the
    // sampling column): the rest is the state's, which holds a down engine's reason, and the
    // sampling's.
    let host_need = longest(&|i| hosts[i].0.chars().count()) as u16;
    let shares = if with_sampling { 3 } else { 2 };
    let host_w = host_need
        .min(area.width.saturating_sub(fixed) / shares)
        .max(8);
    for (row, (name, host)) in rows.iter_mut().zip(names.iter().zip(&hosts)) {
        row[1] = Cell::from(fit_middle(name, name_w as usize));
        row[2] = Cell::from(Span::styled(
            fit_middle(&host.0, host_w as usize),
            t.style(host.1),
        ));
    }
    let widths = [
        Constraint::Length(10),
        Constraint::Length(name_w),
        Constraint::Length(host_w),
        Constraint::Fill(2),
        Constraint::Length(version_w),
        Constraint::Length(7),
        Constraint::Length(5),
        Constraint::Fill(3),
    ];
    // Without the room, how each endpoint is sampled gives way (a wider terminal shows it).
    let mut titles = vec![
        "", "NAME", "ENDPOINT", "STATE", "VERSION", "RTT", "CTRS", "SAMPLING",
    ];
    let mut widths = widths.to_vec();
    if !with_sampling {
        titles.pop();
        widths.pop();
        for row in &mut rows {
            row.pop();
        }
    }
    let header = Row::new(titles).style(t.style(Slot::TableHeader));
    let table_rows: Vec<Row> = rows
        .into_iter()
        .enumerate()
        .map(|(i, cells)| {
            let r = Row::new(cells);
            if i == cursor {
                r.style(t.style(Slot::TableSelected))
            } else {
                r
            }
        })
        .collect();
    let title = format!(" Endpoints ─ {} attached ", app.endpoints.attached.len());
    frame.render_widget(Clear, area);
    frame.render_widget(
        Table::new(table_rows, widths)
            .header(header)
            .column_spacing(1)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(t.style(Slot::BorderFocused))
                    .title(Span::styled(title, t.style(Slot::Title))),
            ),
        area,
    );
}
