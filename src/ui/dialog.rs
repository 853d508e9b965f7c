//! The confirmation dialog, one for every plan: names every step, target and endpoint, and the
//! request's options; Cancel has the focus.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::layout::centered;
use super::text::fit;
use crate::app::action::{Action, KeyContext};
use crate::app::state::{App, Button, ConfirmDialog};
use crate::config::theme::Slot;
use crate::config::Theme;
use crate::ops::Choice;

/// Steps listed even on a small screen.
const MIN_LISTED: usize = 5;

/// One dialog for every plan: what will happen, step by step, with each target and its
/// endpoint; the request's options; then Cancel (focused) and the verb.
pub fn render(frame: &mut Frame, app: &App, screen: Rect, d: &ConfirmDialog) {
    let t = &app.theme;
    let plan = &d.plan;
    // The plan's own verb (scale, replace, stop…): its title starts with it.
    let verb = plan.title.split_whitespace().next().unwrap_or("confirm");
    let endpoints = plan.endpoints();
    let several_endpoints = endpoints.len() > 1;
    let width = 64.min(screen.width.saturating_sub(2));
    let inner_w = width.saturating_sub(4) as usize;
    let on = if endpoints
        .iter()
        .all(|e| plan.title.contains(&format!(" on {e}")))
    {
        String::new()
    } else {
        format!(" on {}", endpoints.join(", "))
    };
    let mut lines: Vec<Line> =
        super::text::wrap_words(&format!("{}{on}", capitalize(&plan.title)), inner_w)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, t.style(Slot::DialogDanger))))
            .collect();
    let n = plan.steps.len();
    // As many steps as the screen allows; the rest by scrolling (every step can be read
    // before confirming).
    let room = (screen.height as usize).saturating_sub(14).max(MIN_LISTED);
    let first = d.scroll.min(n.saturating_sub(room));
    if first > 0 {
        lines.push(Line::from(Span::styled(
            format!("  … {first} steps before"),
            t.style(Slot::TextDim),
        )));
    }
    for (i, step) in plan.steps.iter().enumerate().skip(first).take(room) {
        let id = step
            .target
            .container_key()
            .map(|k| format!(" ({})", crate::text::short_id(&k.id)))
            .unwrap_or_default();
        let number = if n > 1 {
            format!("{:>2}. ", i + 1)
        } else {
            String::new()
        };
        let mut line = format!(
            "  {number}{} {}{id}{}",
            step.op.verb(),
            step.target.label(),
            step.op.details()
        );
        if several_endpoints {
            line.push_str(&format!(" on {}", step.target.endpoint()));
        }
        lines.push(Line::from(Span::styled(
            fit(&line, inner_w),
            t.style(Slot::Text),
        )));
    }
    let key = |a: Action| app.keymap.hint(KeyContext::Confirm, a).unwrap_or_default();
    if first + room < n {
        lines.push(Line::from(Span::styled(
            format!(
                "  … and {} more ({}/{} to scroll)",
                n - first - room,
                key(Action::OptionPrev),
                key(Action::OptionNext)
            ),
            t.style(Slot::TextDim),
        )));
    }
    lines.push(Line::from(""));
    for choice in d.request.iter().flat_map(|r| r.choices()) {
        lines.push(match choice {
            Choice::OneOf { label, value } => Line::from(vec![
                Span::styled(format!("{label}: "), t.style(Slot::Text)),
                Span::styled(format!("◂ {value} ▸"), t.style(Slot::InputText)),
                Span::styled(
                    format!(
                        "  ({}/{} to change)",
                        key(Action::OptionPrev),
                        key(Action::OptionNext)
                    ),
                    t.style(Slot::TextDim),
                ),
            ]),
            Choice::Toggle { label, on } => Line::from(vec![
                Span::styled(
                    format!("{} {label}", if on { "[x]" } else { "[ ]" }),
                    t.style(Slot::Text),
                ),
                Span::styled(
                    format!("  ({})", key(Action::ToggleOption)),
                    t.style(Slot::TextDim),
                ),
            ]),
        });
    }
    for note in &d.notes {
        for piece in super::text::wrap_words(note, inner_w) {
            lines.push(Line::from(Span::styled(piece, t.style(Slot::Warning))));
        }
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
    lines.push(key_line(
        t,
        &[
            (key(Action::Yes), "yes"),
            (key(Action::FocusNext), "switch"),
            (key(Action::Confirm), "choose"),
            (key(Action::Cancel), "cancel"),
        ],
    ));
    popup(frame, t, screen, width, &format!("Confirm {verb}"), lines);
}

/// A line of key hints under a popup's content: `<Tab> switch  <Enter> choose`.
pub fn key_line(t: &Theme, keys: &[(String, &str)]) -> Line<'static> {
    let text: Vec<String> = keys.iter().map(|(k, what)| format!("{k} {what}")).collect();
    Line::from(Span::styled(text.join("  "), t.style(Slot::TextDim)))
}

/// Draws `lines` in a bordered popup titled `title`, `width` wide, centred on `screen`;
/// returns its area.
pub fn popup(
    frame: &mut Frame,
    t: &Theme,
    screen: Rect,
    width: u16,
    title: &str,
    lines: Vec<Line<'static>>,
) -> Rect {
    let area = centered(screen, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.style(Slot::DialogBorder))
                .title(Span::styled(
                    format!(" {title} "),
                    t.style(Slot::DialogTitle),
                )),
        ),
        area,
    );
    area
}

/// Whether to stop a running plan: "Keep going" has the focus.
pub fn render_stop(frame: &mut Frame, app: &App, screen: Rect, title: &str, stop: bool) {
    let t = &app.theme;
    let width = 64.min(screen.width.saturating_sub(2));
    let inner = width.saturating_sub(4) as usize;
    let key = |a: Action| app.keymap.hint(KeyContext::Confirm, a).unwrap_or_default();
    let button = |label: &str, focused: bool| {
        let slot = if focused {
            Slot::DialogButtonFocused
        } else {
            Slot::DialogButton
        };
        Span::styled(format!("  {label}  "), t.style(slot))
    };
    let lines = vec![
        Line::from(Span::styled(fit(title, inner), t.style(Slot::Text))),
        Line::from(Span::styled(
            fit(
                "Stopping waits for the step under way, then undoes what ran.",
                inner,
            ),
            t.style(Slot::TextDim),
        )),
        Line::from(""),
        Line::from(vec![
            Span::raw("   "),
            button("Keep going", !stop),
            Span::raw("   "),
            button("Stop and roll back", stop),
        ]),
        key_line(
            t,
            &[
                (key(Action::Yes), "stop it"),
                (key(Action::FocusNext), "switch"),
                (key(Action::Confirm), "choose"),
                (key(Action::Cancel), "close"),
            ],
        ),
    ];
    popup(frame, t, screen, width, "Stop this plan?", lines);
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
