//! The confirmation dialog: names every target and its endpoint; Cancel has the focus.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::layout::centered;
use super::text::fit;
use crate::app::action::{Action, KeyContext};
use crate::app::effect::Mutation;
use crate::app::state::{App, Button, ConfirmDialog};
use crate::config::theme::Slot;

const MAX_LISTED: usize = 8;

pub fn render(frame: &mut Frame, app: &App, screen: Rect, d: &ConfirmDialog) {
    let t = &app.theme;
    let verb = d.request.mutation.verb();
    let n = d.request.targets.len();
    let noun = if n == 1 { "container" } else { "containers" };
    let width = 60.min(screen.width.saturating_sub(2));
    let inner_w = width.saturating_sub(4) as usize;
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{} {n} {noun}", capitalize(verb)),
            t.style(Slot::DialogDanger),
        ),
        Span::styled(
            format!(" on {}", d.endpoints.join(", ")),
            t.style(Slot::Text),
        ),
    ])];
    for target in d.request.targets.iter().take(MAX_LISTED) {
        let line = format!(
            "  {} ({})",
            target.name,
            crate::text::short_id(&target.key.id)
        );
        lines.push(Line::from(Span::styled(
            fit(&line, inner_w),
            t.style(Slot::Text),
        )));
    }
    if n > MAX_LISTED {
        lines.push(Line::from(Span::styled(
            format!("  … and {} more", n - MAX_LISTED),
            t.style(Slot::TextDim),
        )));
    }
    lines.push(Line::from(""));
    let key = |a: Action| app.keymap.hint(KeyContext::Confirm, a).unwrap_or_default();
    match &d.request.mutation {
        Mutation::Kill { signal } => lines.push(Line::from(vec![
            Span::styled("Signal: ", t.style(Slot::Text)),
            Span::styled(format!("◂ {signal} ▸"), t.style(Slot::InputText)),
            Span::styled(
                format!(
                    "  ({}/{} to change)",
                    key(Action::OptionPrev),
                    key(Action::OptionNext)
                ),
                t.style(Slot::TextDim),
            ),
        ])),
        Mutation::Remove { volumes, .. } => {
            let check = if *volumes { "[x]" } else { "[ ]" };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{check} also remove anonymous volumes"),
                    t.style(Slot::Text),
                ),
                Span::styled(
                    format!("  ({})", key(Action::ToggleOption)),
                    t.style(Slot::TextDim),
                ),
            ]));
            if d.running_targets > 0 {
                lines.push(Line::from(Span::styled(
                    format!("{} running: they will be killed first", d.running_targets),
                    t.style(Slot::Warning),
                )));
            }
        }
        _ => {}
    }
    lines.push(Line::from(""));
    let button = |label: &str, b: Button| {
        let slot = if d.focus == b {
            Slot::DialogButtonFocused
        } else {
            Slot::DialogButton
        };
        Span::styled(format!("  {label}  "), t.style(slot))
    };
    lines.push(Line::from(vec![
        Span::raw("   "),
        button("Cancel", Button::Cancel),
        Span::raw("   "),
        button(&capitalize(verb), Button::Confirm),
    ]));
    lines.push(Line::from(Span::styled(
        format!(
            "{} switch  {} choose  {} cancel",
            key(Action::FocusNext),
            key(Action::Confirm),
            key(Action::Cancel)
        ),
        t.style(Slot::TextDim),
    )));
    let height = lines.len() as u16 + 2;
    let area = centered(screen, width, height);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.style(Slot::DialogBorder))
                .title(Span::styled(
                    format!(" Confirm {verb} "),
                    t.style(Slot::DialogTitle),
                )),
        ),
        area,
    );
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
