//! The inspect view: the container's inspect JSON, pretty, scrollable, with secrets masked.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::text::{highlight, message};
use crate::app::inspect::MASK;
use crate::app::state::App;
use crate::config::theme::{Slot, Theme};

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let Some(i) = &app.views.inspect else { return };
    let t = &app.theme;
    let mut title = vec![
        Span::styled(format!(" Inspect: {} ", i.name), t.style(Slot::Title)),
        Span::styled(format!("({}) ", i.key.endpoint), t.style(Slot::TextDim)),
    ];
    if i.masked > 0 {
        title.push(Span::styled(
            format!("─ {} secret values masked ", i.masked),
            t.style(Slot::InspectSecret),
        ));
    } else if i.revealed {
        title.push(Span::styled("─ secrets revealed ", t.style(Slot::Warning)));
    }
    if !i.query.is_empty() {
        title.push(Span::styled(
            format!("─ /{} ", i.query),
            t.style(Slot::InputText),
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Slot::BorderFocused))
        .title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(e) = &i.error {
        message(frame, inner, e, t.style(Slot::Error));
        return;
    }
    if i.doc.is_none() {
        message(frame, inner, "loading…", t.style(Slot::TextDim));
        return;
    }
    let lines: Vec<Line> = i
        .lines
        .iter()
        .enumerate()
        .skip(i.scroll)
        .take(inner.height as usize)
        .map(|(n, line)| json_line(t, line, &i.query, i.current_match == Some(n)))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Light syntax colouring of one pretty-printed JSON line: key, then value by kind.
fn json_line<'a>(t: &Theme, line: &'a str, query: &str, current: bool) -> Line<'a> {
    let hit = if current {
        t.style(Slot::LogsMatchCurrent)
    } else {
        t.style(Slot::LogsMatch)
    };
    let (key, value) = match line.find("\": ") {
        Some(pos) if line.trim_start().starts_with('"') => line.split_at(pos + 3),
        _ => ("", line),
    };
    let trimmed = value.trim_start().trim_end_matches(',');
    let value_slot = if value.contains(MASK) {
        Slot::InspectSecret
    } else if trimmed.starts_with('"') {
        Slot::InspectString
    } else if trimmed.parse::<f64>().is_ok() || matches!(trimmed, "true" | "false" | "null") {
        Slot::InspectNumber
    } else {
        Slot::Text
    };
    let mut spans = highlight(key, query, t.style(Slot::InspectKey), hit);
    spans.extend(highlight(value, query, t.style(value_slot), hit));
    Line::from(spans)
}
