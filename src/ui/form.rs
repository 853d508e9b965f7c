//! A form over the screen: labelled fields, the focused one with the cursor, the error of the
//! last try, and the keys.

use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::text::fit;
use crate::app::action::{Action, KeyContext};
use crate::app::form::Form;
use crate::app::state::App;
use crate::config::theme::Slot;

pub fn render(frame: &mut Frame, app: &App, screen: Rect, form: &Form) {
    let t = &app.theme;
    let width = 72.min(screen.width.saturating_sub(2));
    let inner = width.saturating_sub(2) as usize;
    let label_w = form
        .fields
        .iter()
        .map(|f| f.label.width())
        .max()
        .unwrap_or(0)
        + 2;
    // Room for the longest value and some typing, leaving the hints a little.
    let longest = form
        .fields
        .iter()
        .map(|f| f.text.width())
        .max()
        .unwrap_or(0);
    let value_w = (longest + 4).clamp(12, inner.saturating_sub(label_w + 14).max(12));
    let mut lines = Vec::new();
    let mut cursor = None;
    for (i, f) in form.fields.iter().enumerate() {
        let focused = i == form.focus;
        let marker = if focused { "▸ " } else { "  " };
        let label = format!("{marker}{:<label_w$}", f.label);
        let shown = fit(&f.text, value_w);
        let value = format!("{shown:<value_w$}");
        if focused {
            let before: String = f.text.chars().take(f.cursor).collect();
            let x = 1 + label.width() + before.width().min(value_w);
            cursor = Some((x as u16, lines.len() as u16 + 1));
        }
        lines.push(Line::from(vec![
            Span::styled(label, t.style(Slot::Text)),
            Span::styled(
                value,
                t.style(if focused { Slot::InputText } else { Slot::Text }),
            ),
            Span::styled(
                fit(
                    &format!(" {}", f.hint),
                    inner.saturating_sub(label_w + value_w + 2),
                ),
                t.style(Slot::TextDim),
            ),
        ]));
    }
    lines.push(Line::from(""));
    if let Some(e) = &form.error {
        lines.push(Line::from(Span::styled(
            fit(e, inner),
            t.style(Slot::Error),
        )));
    }
    let key = |a: Action| app.keymap.hint(KeyContext::Input, a).unwrap_or_default();
    lines.push(super::dialog::key_line(
        t,
        &[
            (key(Action::InputComplete), "next field"),
            (key(Action::InputAccept), "make the plan"),
            (key(Action::InputCancel), "cancel"),
        ],
    ));
    let area = super::dialog::popup(frame, t, screen, width, &form.title, lines);
    if let Some((x, y)) = cursor {
        frame.set_cursor_position(Position::new(area.x + x, area.y + y));
    }
}
