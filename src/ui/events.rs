//! The events pane: what the engines reported, newest at the bottom, filterable.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};
use ratatui::Frame;

use super::text::{fit, message};
use crate::app::events::EngineEvent;
use crate::app::state::App;
use crate::config::theme::Slot;

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let ev = &app.views.events;
    let visible: Vec<&EngineEvent> = ev.visible().collect();
    let mut title = vec![
        Span::styled(" Events ", t.style(Slot::Title)),
        Span::styled(
            format!(
                "─ {} shown of {} ─ probe execs {} ",
                visible.len(),
                ev.log.len(),
                if ev.show_probes { "shown" } else { "hidden" }
            ),
            t.style(Slot::TextDim),
        ),
    ];
    if !ev.filter_text.is_empty() {
        title.push(Span::styled(
            format!("─ filter: {} ", ev.filter_text),
            t.style(Slot::InputText),
        ));
    }
    if ev.cursor.is_none() {
        title.push(Span::styled("─ following ", t.style(Slot::TextDim)));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Slot::BorderFocused))
        .title(Line::from(title));
    let inner = block.inner(area);
    if visible.is_empty() {
        frame.render_widget(block, area);
        message(
            frame,
            inner,
            "No events yet. Start, stop or change a container and it shows here.",
            t.style(Slot::TextDim),
        );
        return;
    }
    let height = inner.height.saturating_sub(1) as usize;
    // The chosen event is always drawn as chosen (the newest while following): it is the one
    // Enter jumps to.
    let cursor = ev.position().unwrap_or(0);
    // Keep the cursor in view, bottom-anchored like a log.
    let start = (cursor + 1).saturating_sub(height);
    let multi = app.multi_endpoint();
    let rows: Vec<Row> = visible[start..(start + height).min(visible.len())]
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let row = event_row(app, e, multi);
            if start + i == cursor {
                row.style(t.style(Slot::TableSelected))
            } else {
                row
            }
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(12),
        Constraint::Length(9),
        Constraint::Length(26),
        Constraint::Fill(2),
        Constraint::Fill(3),
    ];
    let mut header = vec!["TIME", "TYPE", "ACTION", "NAME", "DETAIL"];
    if multi {
        widths.insert(1, Constraint::Length(12));
        header.insert(1, "ENDPOINT");
    }
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(t.style(Slot::TableHeader)))
            .column_spacing(1)
            .block(block),
        area,
    );
}

fn event_row<'a>(app: &App, e: &'a EngineEvent, multi: bool) -> Row<'a> {
    let t = &app.theme;
    use crate::app::events::EventAction as A;
    use crate::app::model::Health;
    let slot = match e.action {
        A::Die | A::Kill | A::Oom | A::Destroy | A::Health(Health::Unhealthy) => Slot::Error,
        A::NetDegraded => Slot::Warning,
        A::Start | A::Restart | A::Unpause | A::Health(Health::Healthy) => Slot::StateRunning,
        A::Exec(_) => Slot::TextDim,
        _ => Slot::Text,
    };
    let name = e.label();
    let mut cells = vec![
        Cell::from(Span::styled(
            e.time.format("%H:%M:%S%.3f").to_string(),
            t.style(Slot::LogsTimestamp),
        )),
        Cell::from(e.kind.as_str().to_owned()),
        Cell::from(Span::styled(fit(&e.action.as_text(), 26), t.style(slot))),
        Cell::from(name),
        Cell::from(Span::styled(detail(app, e), t.style(Slot::TextDim))),
    ];
    if multi {
        cells.insert(1, Cell::from(e.endpoint.clone()));
    }
    Row::new(cells)
}

/// The event's detail, with a network event's container named when we know it.
fn detail(app: &App, e: &EngineEvent) -> String {
    let known = e
        .container_id()
        .filter(|_| e.kind == crate::app::events::ObjectKind::Network)
        .and_then(|id| {
            app.inventory.by_key(&crate::app::model::ContainerKey {
                endpoint: e.endpoint.clone(),
                id: id.to_owned(),
            })
        });
    match known {
        Some(c) => format!("container {}", c.name),
        None => e.detail(),
    }
}
