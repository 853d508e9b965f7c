//! Short-lived notices in the bottom-right corner of the body.

use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::text::fit;
use crate::app::state::{App, ToastLevel};
use crate::config::theme::Slot;

pub fn render(frame: &mut Frame, app: &App, body: Rect) {
    let width = body.width.min(64);
    let mut bottom = body.bottom().saturating_sub(1);
    for toast in app.toasts.iter().rev() {
        let slot = match toast.level {
            ToastLevel::Info => Slot::ToastInfo,
            ToastLevel::Error => Slot::ToastError,
        };
        let text = fit(&toast.text, (width as usize - 4) * 2);
        let lines = if text.chars().count() > width as usize - 4 {
            2
        } else {
            1
        };
        let height = lines + 2;
        if bottom < body.y + height {
            break;
        }
        let area = Rect {
            x: body.right().saturating_sub(width + 1),
            y: bottom - height,
            width,
            height,
        };
        frame.render_widget(Clear, area);
        frame.render_widget(
            Paragraph::new(Span::styled(text, app.theme.style(slot)))
                .wrap(Wrap { trim: true })
                .block(
                    Block::default()
                        .borders(Borders::ALL)
                        .border_style(app.theme.style(slot)),
                ),
            area,
        );
        bottom -= height;
    }
}
