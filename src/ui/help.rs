//! The `?` overlay: every binding of the current context and the global ones, from the keymap.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::layout::centered;
use crate::app::action::KeyContext;
use crate::app::state::App;
use crate::config::theme::Slot;

/// How to write a filter and a palette line, under the keys.
const FILTER_AND_PALETTE: &[&str] = &[
    "Filter (/): terms separated by spaces, all must match",
    "  web               name, image or project contains \"web\" (any case)",
    "  state:running     also exited, paused, restarting, created, dead",
    "  health:unhealthy  also healthy, starting, none",
    "  name:api  image:nginx  project:shop  service:web  endpoint:prod",
    "  tier=web          label with that value; label:tier has the label at all",
    "  !state:running    a leading ! negates any term",
    "Palette (:): any action name above (Tab completes), and",
    "  sort <column> [asc|desc] · theme dark|light|mono · filter <terms> · ctx · q",
];

/// The box the help takes in `body`: the whole body on a narrow screen (a box inside it would
/// only add a second frame).
fn area_in(body: Rect) -> Rect {
    if body.width < 90 {
        body
    } else {
        centered(body, 84, body.height.saturating_sub(2))
    }
}

/// How far the help can scroll in `body`: the layout keeps the offset within it, so `G` then
/// `k` moves at once.
pub fn max_scroll(app: &App, body: Rect) -> usize {
    let inner_height = area_in(body).height.saturating_sub(2) as usize;
    lines(app).len().saturating_sub(inner_height)
}

pub fn render(frame: &mut Frame, app: &App, body: Rect, scroll: usize) {
    let t = &app.theme;
    let lines = lines(app);
    let area = area_in(body);
    let inner_height = area.height.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(inner_height));
    // Say when the list goes on below the box; otherwise nothing hints that it scrolls.
    let title = if lines.len() > inner_height {
        format!(
            " Keys {}–{} of {} ",
            scroll + 1,
            (scroll + inner_height).min(lines.len()),
            lines.len()
        )
    } else {
        " Keys ".to_string()
    };
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).scroll((scroll as u16, 0)).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.style(Slot::BorderFocused))
                .title(Span::styled(title, t.style(Slot::Title))),
        ),
        area,
    );
}

/// Every line of the help: the bindings of the view, the global ones and the dialog's, then
/// the filter and palette syntax.
fn lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let ctx = app.views.current.key_context();
    let mut lines = Vec::new();
    for (title, ctx) in [
        (format!("{ctx:?}"), ctx),
        ("Everywhere".to_string(), KeyContext::Global),
        ("Confirmation dialog".to_string(), KeyContext::Confirm),
    ] {
        lines.push(Line::from(Span::styled(title, t.style(Slot::Title))));
        for b in app.keymap.bindings(ctx) {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<12}", b.keys_display()),
                    t.style(Slot::FooterKey),
                ),
                Span::styled(b.desc.clone(), t.style(Slot::Text)),
                Span::styled(format!("  ({})", b.invocation()), t.style(Slot::TextDim)),
            ]));
        }
        lines.push(Line::from(""));
    }
    for (i, text) in FILTER_AND_PALETTE.iter().enumerate() {
        let slot = if i == 0 || text.starts_with("Palette") {
            Slot::Title
        } else {
            Slot::Text
        };
        lines.push(Line::from(Span::styled(*text, t.style(slot))));
    }
    lines
}
