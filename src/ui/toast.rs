//! Short-lived notices in the bottom-right corner of the body.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::text::fit;
use crate::app::state::{App, ToastLevel};
use crate::config::theme::Slot;

pub fn render(frame: &mut Frame, app: &App, body: Rect) {
    let width = body.width.min(64);
    let mut bottom = body.bottom().saturating_sub(1);
    for toast in app.screen.toasts.iter().rev() {
        let slot = match toast.level {
            ToastLevel::Info => Slot::ToastInfo,
            ToastLevel::Error => Slot::ToastError,
        };
        let line_width = (width as usize).saturating_sub(2).max(1);
        // A word as well as a colour, for mono themes and colour-blind eyes.
        let label = match toast.level {
            ToastLevel::Info => "",
            ToastLevel::Error => "✖ ",
        };
        let text = fit(&format!("{label}{}", toast.text), line_width * 3);
        let lines = super::text::wrap(&text, line_width).len() as u16;
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
            Paragraph::new(
                super::text::wrap(&text, line_width)
                    .into_iter()
                    .map(|l| Line::from(Span::styled(l.to_owned(), app.theme.style(slot))))
                    .collect::<Vec<_>>(),
            )
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
