//! The images, volumes and networks view (`I`): each with its size, age and what uses it;
//! dangling images and unused volumes and networks stand out.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};
use ratatui::Frame;

use super::table::human_bytes;
use super::text::{fit, fit_middle, message};
use crate::app::model::format_age;
use crate::app::resources::{rows, ResourceKind};
use crate::app::state::App;
use crate::config::theme::Slot;

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let r = &app.views.resources;
    let rows = rows(r, &app.inventory, r.kind);
    let mut title = vec![Span::raw(" ")];
    for kind in ResourceKind::ALL {
        let slot = if kind == r.kind {
            Slot::Title
        } else {
            Slot::TextDim
        };
        title.push(Span::styled(format!("{} ", kind.title()), t.style(slot)));
    }
    let unused = rows
        .iter()
        .filter(|x| x.used_by.is_empty() && !x.builtin)
        .count();
    title.push(Span::styled(
        format!("─ {} ─ {unused} unused ", rows.len()),
        t.style(Slot::TextDim),
    ));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Slot::BorderFocused))
        .title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if rows.is_empty() {
        let text = match (r.loaded, r.errors.first()) {
            (_, Some((endpoint, e))) => format!("{endpoint}: {e}"),
            (false, None) => "listing…".to_owned(),
            (true, None) => format!(
                "No {} on the attached engines.",
                r.kind.title().to_lowercase()
            ),
        };
        return message(frame, inner, &text, t.style(Slot::TextDim));
    }
    let multi = app.multi_endpoint();
    let height = inner.height.saturating_sub(1) as usize;
    let start = (r.cursor + 1).saturating_sub(height);
    let name_width = (inner.width as usize * 2 / 5).max(16);
    let body: Vec<Row> = rows
        .iter()
        .enumerate()
        .skip(start)
        .take(height)
        .map(|(i, x)| {
            let used = match x.used_by.as_slice() {
                [] if x.builtin => ("engine's own".to_owned(), Slot::TextDim),
                [] if x.dangling => ("dangling, unused".to_owned(), Slot::Warning),
                [] => ("unused".to_owned(), Slot::Warning),
                names => (names.join(", "), Slot::Text),
            };
            let mut cells = vec![Cell::from(fit_middle(&x.name, name_width))];
            if multi {
                cells.push(Cell::from(x.endpoint.clone()));
            }
            cells.push(Cell::from(match r.kind {
                ResourceKind::Images => x.size.map(human_bytes).unwrap_or_default(),
                _ => x.driver.clone(),
            }));
            cells.push(Cell::from(
                x.created
                    .map(|c| format_age((app.now - c).num_seconds().max(0)))
                    .unwrap_or_else(|| "-".into()),
            ));
            cells.push(Cell::from(Span::styled(fit(&used.0, 60), t.style(used.1))));
            let row = Row::new(cells);
            if i == r.cursor {
                row.style(t.style(Slot::TableSelected))
            } else {
                row
            }
        })
        .collect();
    let mut widths = vec![Constraint::Length(name_width as u16)];
    let mut header = vec!["NAME"];
    if multi {
        widths.push(Constraint::Length(14));
        header.push("ENDPOINT");
    }
    widths.extend([
        Constraint::Length(9),
        Constraint::Length(6),
        Constraint::Fill(1),
    ]);
    header.extend([
        match r.kind {
            ResourceKind::Images => "SIZE",
            _ => "DRIVER",
        },
        "AGE",
        "USED BY",
    ]);
    let table = Table::new(body, widths)
        .header(Row::new(header).style(t.style(Slot::TableHeader)))
        .column_spacing(1);
    frame.render_widget(table, inner);
}
