//! The container table, flat or grouped by compose project and service. Only the rows in the
//! visible window are turned into widgets, so thousands of containers cost no more than a screen.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow, Table, Wrap};
use ratatui::Frame;

use unicode_width::UnicodeWidthStr;

use super::layout;
use super::text::fit;
use crate::app::model::{format_age, Container, Health, RunState};
use crate::app::rows::{Aggregate, Row, SortColumn};
use crate::app::state::App;
use crate::config::theme::{Slot, Theme};

struct Column {
    title: &'static str,
    sort: Option<SortColumn>,
    width: Constraint,
}

fn columns(app: &App) -> Vec<Column> {
    let mut cols = vec![
        Column {
            title: "NAME",
            sort: Some(SortColumn::Name),
            width: Constraint::Fill(3),
        },
        Column {
            title: "PROJECT/SERVICE",
            sort: Some(SortColumn::Project),
            width: Constraint::Fill(2),
        },
        Column {
            title: "IMAGE",
            sort: Some(SortColumn::Image),
            width: Constraint::Fill(2),
        },
        Column {
            title: "STATE",
            sort: Some(SortColumn::State),
            width: Constraint::Length(11),
        },
        Column {
            title: "HEALTH",
            sort: None,
            width: Constraint::Length(9),
        },
        Column {
            title: "UP",
            sort: Some(SortColumn::Uptime),
            width: Constraint::Length(4),
        },
        Column {
            title: "PORTS",
            sort: Some(SortColumn::Ports),
            width: Constraint::Fill(2),
        },
        Column {
            title: "RST",
            sort: Some(SortColumn::Restarts),
            width: Constraint::Length(3),
        },
    ];
    if app.multi_endpoint() {
        // As wide as the longest name (within reason): names made from hosts differ only at the
        // end (`docker.sock`, `docker.sock#2`), so a cut name cannot tell engines apart.
        let longest = app
            .endpoints
            .iter()
            .map(|e| UnicodeWidthStr::width(e.name.as_str()))
            .max()
            .unwrap_or(0);
        cols.insert(
            1,
            Column {
                title: "ENDPOINT",
                sort: Some(SortColumn::Endpoint),
                width: Constraint::Length(longest.clamp("ENDPOINT".len(), 20) as u16),
            },
        );
    }
    cols
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Slot::BorderFocused))
        .title(Line::from(title_spans(app)));
    let cols = columns(app);
    let inner = block.inner(area);
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
            build_row(app, row, &widths, selected)
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
    let states: Vec<&EndpointState> = app.endpoints.iter().map(|e| &e.state).collect();
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
        for e in &app.endpoints {
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

fn build_row(app: &App, row: &Row, widths: &[usize], selected: bool) -> TableRow<'static> {
    let t = &app.theme;
    let r = match row {
        Row::Container { slot, depth } => {
            let c = app.inventory.get(*slot).expect("rows refer to live slots");
            container_row(app, c, *depth, widths)
        }
        Row::Group {
            label,
            depth,
            aggregate,
            collapsed,
            ..
        } => group_row(
            t,
            label,
            *depth,
            aggregate,
            *collapsed,
            widths,
            app.multi_endpoint(),
        ),
    };
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

fn container_row(app: &App, c: &Container, depth: u8, widths: &[usize]) -> TableRow<'static> {
    let t = &app.theme;
    let mark = if app.table.marked.contains(&c.key) {
        "● "
    } else {
        ""
    };
    let name = format!("{}{mark}{}", "  ".repeat(depth as usize), c.name);
    let project = match (c.project(), c.service()) {
        (Some(p), Some(s)) => format!("{p}/{s}"),
        (Some(p), None) => p.to_owned(),
        _ => "-".into(),
    };
    let state = match (c.state, c.exit_code) {
        (RunState::Exited, Some(code)) if code != 0 => format!("exited({code})"),
        (s, _) => s.as_str().to_owned(),
    };
    let health = match c.health {
        Health::None => "-".to_owned(),
        h => h.as_str().to_owned(),
    };
    let uptime = c
        .uptime_secs(app.now)
        .map(format_age)
        .unwrap_or_else(|| "-".into());
    let ports: Vec<String> = c.published_ports().map(port_short).collect();
    let restarts = c
        .restart_count
        .map(|n| n.to_string())
        .unwrap_or_else(|| "·".into());
    let ports = if ports.is_empty() {
        "-".into()
    } else {
        ports.join(",")
    };
    let mut texts = vec![
        name,
        project,
        short_image(&c.image),
        state,
        health,
        uptime,
        ports,
        restarts,
    ];
    let state_col = if app.multi_endpoint() { 4 } else { 3 };
    if app.multi_endpoint() {
        texts.insert(1, c.key.endpoint.clone());
    }
    let cells = texts
        .into_iter()
        .zip(widths)
        .enumerate()
        .map(|(i, (text, &w))| {
            let text = fit(&text, w);
            match i {
                i if i == state_col => Cell::from(Span::styled(text, t.style(state_slot(c.state)))),
                i if i == state_col + 1 => {
                    Cell::from(Span::styled(text, t.style(health_slot(c.health))))
                }
                _ => Cell::from(text),
            }
        });
    TableRow::new(cells.collect::<Vec<_>>())
}

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

fn group_row(
    t: &Theme,
    label: &str,
    depth: u8,
    agg: &Aggregate,
    collapsed: bool,
    widths: &[usize],
    multi_endpoint: bool,
) -> TableRow<'static> {
    let ncols = widths.len();
    let offset = usize::from(multi_endpoint);
    // Columns this row writes into: name, project, (image), state, health.
    let w = |i: usize| {
        let i = if i == 0 { 0 } else { i + offset };
        widths.get(i).copied().unwrap_or(0)
    };
    let arrow = if collapsed { "▸" } else { "▾" };
    let name = fit(
        &format!("{}{arrow} {label}", "  ".repeat(depth as usize)),
        w(0),
    );
    let verdict = agg.verdict();
    let verdict_slot = match verdict {
        "up" => Slot::StateRunning,
        "degraded" => Slot::HealthUnhealthy,
        "down" => Slot::StateExited,
        _ => Slot::StateRestarting,
    };
    // Starting is not a failure: only unhealthy members get the unhealthy colour.
    let (health, health_slot) = if agg.unhealthy > 0 {
        (format!("{} unhlth", agg.unhealthy), Slot::HealthUnhealthy)
    } else if agg.starting > 0 {
        (format!("{} start", agg.starting), Slot::HealthStarting)
    } else {
        (String::new(), Slot::TextDim)
    };
    let mut cells = vec![
        Cell::from(Span::styled(name, t.style(Slot::TableGroup))),
        Cell::from(Span::styled(
            {
                let long = format!("{}/{} running", agg.running, agg.total);
                if long.width() <= w(1) {
                    long
                } else {
                    fit(&format!("{}/{}", agg.running, agg.total), w(1))
                }
            },
            t.style(Slot::TextDim),
        )),
        Cell::from(""),
        Cell::from(Span::styled(fit(verdict, w(3)), t.style(verdict_slot))),
        Cell::from(Span::styled(fit(&health, w(4)), t.style(health_slot))),
    ];
    while cells.len() + offset < ncols {
        cells.push(Cell::from(""));
    }
    if multi_endpoint {
        cells.insert(1, Cell::from(""));
    }
    TableRow::new(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

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
