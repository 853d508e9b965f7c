//! The progress pane: the newest plan of several steps, each step with how it stands, under
//! way or ended a moment ago.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::layout::PLAN_PANE_STEPS;
use super::text::fit;
use crate::app::state::{App, StepState};
use crate::config::theme::Slot;

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let shown = app.ops.on_screen(app.now);
    let Some(run) = shown.last() else {
        return;
    };
    let ending = app.ops.ending(&run.plan.id);
    let more = match shown.len() {
        1 => String::new(),
        n => format!(" (+{} more)", n - 1),
    };
    let status = match ending {
        Some(f) if f.ok => " ─ done ".to_owned(),
        Some(_) => " ─ failed ".to_owned(),
        None => {
            let done = run.steps.iter().filter(|s| **s == StepState::Done).count();
            format!(" ─ {done} of {} ", run.steps.len())
        }
    };
    let title = format!(" {}{more}{status}", run.plan.title);
    // A window of steps around the one under way (or the last that moved).
    let current = run
        .steps
        .iter()
        .rposition(|s| *s != StepState::Waiting)
        .unwrap_or(0);
    let height = PLAN_PANE_STEPS as usize;
    let start = current
        .saturating_sub(height / 2)
        .min(run.steps.len().saturating_sub(height));
    let width = area.width.saturating_sub(4) as usize;
    let mut lines: Vec<Line> = run
        .plan
        .steps
        .iter()
        .zip(&run.steps)
        .enumerate()
        .skip(start)
        .take(height)
        .map(|(i, (step, state))| {
            let (mark, slot, why) = match state {
                StepState::Waiting => ("·", Slot::TextDim, None),
                StepState::Running => ("▸", Slot::StateRunning, None),
                StepState::Done => ("✓", Slot::Text, None),
                StepState::Failed(e) => ("✗", Slot::Error, Some(e.as_str())),
                StepState::Undoing => ("↺", Slot::Warning, None),
                StepState::Undone => ("↺", Slot::TextDim, Some("undone")),
                StepState::UndoFailed(e) => ("!", Slot::Error, Some(e.as_str())),
            };
            let mut text = format!("{mark} {:>2}. {}", i + 1, step.describe());
            if let Some(why) = why {
                text.push_str(": ");
                text.push_str(why);
            }
            Line::from(Span::styled(fit(&text, width), t.style(slot)))
        })
        .collect();
    if let Some(f) = ending.filter(|f| !f.ok) {
        if let Some(last) = lines.last_mut() {
            *last = Line::from(Span::styled(fit(&f.summary, width), t.style(Slot::Error)));
        }
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.style(Slot::Border))
                .title(Span::styled(fit(&title, width), t.style(Slot::Title))),
        ),
        area,
    );
}
