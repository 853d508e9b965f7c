//! Notifications, on the bottom line where they cover nothing: the newest one replaces the key
//! hints while it lasts. Every notification is also in the console log panel (`L`), whole.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::text::fit;
use crate::app::action::{Action, KeyContext};
use crate::app::state::{App, ToastLevel};
use crate::config::theme::Slot;

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
    let text = format!(" {label} {} ", toast.text);
    let width = area.width as usize;
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
