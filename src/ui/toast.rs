//! Notifications, on the bottom line where they cover nothing: the newest one replaces the key
//! hints while it lasts. An error too long for the line takes up to [`MAX_ERROR_LINES`] lines
//! (the body gives them up while it lasts): the engine's reason is the point of it. Every
//! notification is also in the console log panel (`L`), whole.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::text::fit;
use crate::app::action::{Action, KeyContext};
use crate::app::state::{App, ToastLevel};
use crate::config::theme::Slot;

/// Most lines an error notification takes at the bottom.
pub const MAX_ERROR_LINES: u16 = 3;

/// Lines the bottom of the screen needs now: one, or more for a long error.
pub fn footer_height(app: &App, width: u16) -> u16 {
    if app.screen.input.is_some() {
        return 1;
    }
    match app.screen.toasts.back() {
        Some(t) if t.level == ToastLevel::Error => {
            let text = format!("✖ {}", crate::text::short_ids(&t.text));
            let lines =
                super::text::wrap_words(&text, (width as usize).saturating_sub(2)).len() as u16;
            lines.clamp(1, MAX_ERROR_LINES)
        }
        _ => 1,
    }
}

/// Draws the newest notification on `area`; false when there is none to show.
pub fn render_line(frame: &mut Frame, app: &App, area: Rect) -> bool {
    let Some(toast) = app.screen.toasts.back() else {
        return false;
    };
    let slot = match toast.level {
        ToastLevel::Info => Slot::ToastInfo,
        ToastLevel::Error => Slot::ToastError,
    };
    // A word as well as a colour, for mono themes and colour-blind eyes.
    let label = match toast.level {
        ToastLevel::Info => "ℹ",
        ToastLevel::Error => "✖",
    };
    // Ids cut short here only; the log panel keeps the message as the engine said it.
    let text = format!(" {label} {} ", crate::text::short_ids(&toast.text));
    let width = area.width as usize;
    if area.height > 1 {
        // A column of margin each side, as on the one-line form.
        let mut lines = super::text::wrap_words(text.trim(), width.saturating_sub(2));
        let all = lines.len();
        lines.truncate(area.height as usize);
        if all > lines.len() {
            if let Some(last) = lines.last_mut() {
                *last = fit(&format!("{last}…"), width);
            }
        }
        let lines: Vec<Line> = lines
            .into_iter()
            .map(|l| {
                Line::from(Span::styled(
                    format!(" {l:w$} ", w = width.saturating_sub(2)),
                    app.theme.style(slot),
                ))
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), area);
        return true;
    }
    let line = if text.width() <= width {
        Line::from(Span::styled(text, app.theme.style(slot)))
    } else {
        // Cut, saying where the whole of it is.
        let more = app
            .keymap
            .hint(KeyContext::Global, Action::ToggleLogPanel)
            .map(|k| format!(" {k}: all of it "))
            .unwrap_or_default();
        Line::from(vec![
            Span::styled(
                fit(&text, width.saturating_sub(more.width())),
                app.theme.style(slot),
            ),
            Span::styled(more, app.theme.style(Slot::FooterKey)),
        ])
    };
    frame.render_widget(Paragraph::new(line), area);
    true
}
