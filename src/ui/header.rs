//! The top line: endpoints and their state, counts, and the modes that change what keys do.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::model::EndpointState;
use crate::app::state::App;
use crate::config::theme::Slot;

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" wheelhouse ", t.style(Slot::Title))];
    for ep in &app.endpoints.attached {
        spans.push(Span::styled("│ ", t.style(Slot::TextDim)));
        let (text, slot) = match &ep.state {
            EndpointState::Connecting => (format!("{} connecting…", ep.name), Slot::TextDim),
            EndpointState::Up { version, .. } => {
                (format!("{} ● {version}", ep.name), Slot::HeaderEndpointUp)
            }
            // The reason is long; the body shows it. The header keeps to the state.
            EndpointState::Down { .. } => (
                match ep.retry_in(app.now) {
                    Some(s) if s > 0 => format!("{} ✖ down, retry in {s}s", ep.name),
                    Some(_) => format!("{} ✖ down, retrying", ep.name),
                    None => format!("{} ✖ down", ep.name),
                },
                Slot::HeaderEndpointDown,
            ),
        };
        spans.push(Span::styled(text, t.style(slot)));
        if ep.insecure {
            spans.push(Span::styled(" ⚠ TLS unverified", t.style(Slot::Warning)));
        }
        spans.push(Span::raw(" "));
    }
    let total = app.inventory.len();
    let shown = app
        .table
        .rows
        .iter()
        .filter(|r| matches!(r, crate::app::rows::Row::Container { .. }))
        .count();
    let noun = if total == 1 {
        "container"
    } else {
        "containers"
    };
    let mut counts = format!("│ {total} {noun}");
    if shown != total || !app.table.filter_text.is_empty() {
        counts.push_str(&format!(", {shown} shown"));
    }
    if !app.table.marked.is_empty() {
        counts.push_str(&format!(", {} marked", app.table.marked.len()));
    }
    spans.push(Span::styled(counts, t.style(Slot::Header)));
    // Modes last, right-aligned in a second paragraph so they are never pushed off screen.
    let mut modes = Vec::new();
    if app.options.demo {
        modes.push(Span::styled(" DEMO ", t.style(Slot::HeaderDemo)));
        modes.push(Span::raw(" "));
    }
    if app.options.read_only {
        modes.push(Span::styled(" READ-ONLY ", t.style(Slot::HeaderReadOnly)));
    }
    if !app.screen.warnings.is_empty() {
        modes.push(Span::styled(
            format!(" ⚠ {} ", app.screen.warnings.len()),
            t.style(Slot::Warning),
        ));
    }
    let modes_width: u16 = modes.iter().map(|s| s.width() as u16).sum();
    let left = Rect {
        width: area.width.saturating_sub(modes_width),
        ..area
    };
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(t.style(Slot::Header)),
        left,
    );
    let right = Rect {
        x: area.x + left.width,
        width: modes_width.min(area.width),
        ..area
    };
    frame.render_widget(Paragraph::new(Line::from(modes)), right);
}
