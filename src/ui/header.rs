//! The top line: endpoints and their state, counts, and the modes that change what keys do.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::text::fit_middle;
use crate::app::model::EndpointState;
use crate::app::state::App;
use crate::config::theme::Slot;

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let counts = counts_text(app);
    // Modes last, right-aligned in a second paragraph so they are never pushed off screen.
    let mut modes = Vec::new();
    if app.options.demo {
        modes.push(Span::styled(" DEMO ", t.style(Slot::HeaderDemo)));
        modes.push(Span::raw(" "));
    }
    if let Some(badge) = app.agent.badge() {
        modes.push(Span::styled(format!(" ⚑ {badge} "), t.style(Slot::Warning)));
        modes.push(Span::raw(" "));
    }
    if crate::app::update::agent::auto_on(app) {
        modes.push(Span::styled(" AUTO ", t.style(Slot::HeaderDemo)));
        modes.push(Span::raw(" "));
    }
    if app.options.read_only {
        modes.push(Span::styled(" READ-ONLY ", t.style(Slot::HeaderReadOnly)));
    }
    if !app.screen.warnings.is_empty() {
        modes.push(Span::styled(
            format!(" ⚠ {} ", app.screen.warnings.len()),
            t.style(Slot::Warning),
        ));
    }
    let modes_width: u16 = modes.iter().map(|s| s.width() as u16).sum();
    let left = Rect {
        width: area.width.saturating_sub(modes_width),
        ..area
    };
    // The most detail that fits; healthy endpoints give way first, down ones last.
    let room = left.width as usize;
    let spans = Detail::ALL
        .iter()
        .map(|&d| endpoint_spans(app, d, &counts))
        .find(|spans| spans.iter().map(Span::width).sum::<usize>() <= room)
        .unwrap_or_else(|| endpoint_spans(app, Detail::Least, &counts));
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(t.style(Slot::Header)),
        left,
    );
    let right = Rect {
        x: area.x + left.width,
        width: modes_width.min(area.width),
        ..area
    };
    frame.render_widget(Paragraph::new(Line::from(modes)), right);
}

/// How much the header says of each endpoint, most first (later is less).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Detail {
    /// `name ● 27.5.1`, `name ✖ down, retry in 4s`, and the counts.
    All,
    /// Up endpoints without their version.
    NoVersions,
    /// Every name cut in the middle (a down one too: both ends still tell it apart).
    ShortNames,
    /// Up endpoints as one `3 up ●`; down ones each by name (cut in the middle), without the
    /// retry.
    UpCounted,
    /// As above, without the container counts, down names cut too.
    Least,
}

impl Detail {
    const ALL: [Detail; 5] = [
        Detail::All,
        Detail::NoVersions,
        Detail::ShortNames,
        Detail::UpCounted,
        Detail::Least,
    ];
}

/// Longest endpoint name the header keeps when names must be short.
const SHORT_NAME: usize = 14;

fn endpoint_spans(app: &App, detail: Detail, counts: &str) -> Vec<Span<'static>> {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" wheelhouse ", t.style(Slot::Title))];
    let short = |name: &str| fit_middle(name, SHORT_NAME);
    let up = app
        .endpoints
        .attached
        .iter()
        .filter(|e| matches!(e.state, EndpointState::Up { .. }))
        .count();
    if detail >= Detail::UpCounted && up > 0 {
        spans.push(Span::styled("│ ", t.style(Slot::TextDim)));
        spans.push(Span::styled(
            format!("{up} up ●"),
            t.style(Slot::HeaderEndpointUp),
        ));
        spans.push(Span::raw(" "));
    }
    for ep in &app.endpoints.attached {
        let is_up = matches!(ep.state, EndpointState::Up { .. });
        if is_up && detail >= Detail::UpCounted {
            continue;
        }
        let name = match detail {
            Detail::All | Detail::NoVersions => ep.name.clone(),
            _ => short(&ep.name),
        };
        spans.push(Span::styled("│ ", t.style(Slot::TextDim)));
        let (text, slot) = match &ep.state {
            EndpointState::Connecting => (format!("{name} connecting…"), Slot::TextDim),
            EndpointState::Up { version, .. } if detail == Detail::All => {
                (format!("{name} ● {version}"), Slot::HeaderEndpointUp)
            }
            EndpointState::Up { .. } => (format!("{name} ●"), Slot::HeaderEndpointUp),
            // The reason is long; the body shows it. The header keeps to the state.
            EndpointState::Down { .. } => (
                match ep.retry_in(app.now) {
                    _ if detail >= Detail::UpCounted => format!("{name} ✖ down"),
                    Some(s) if s > 0 => format!("{name} ✖ down, retry in {s}s"),
                    Some(_) => format!("{name} ✖ down, retrying"),
                    None => format!("{name} ✖ down"),
                },
                Slot::HeaderEndpointDown,
            ),
        };
        spans.push(Span::styled(text, t.style(slot)));
        if ep.insecure {
            let warning = if detail == Detail::All {
                " ⚠ TLS unverified"
            } else {
                " ⚠"
            };
            spans.push(Span::styled(warning, t.style(Slot::Warning)));
        }
        spans.push(Span::raw(" "));
    }
    if detail != Detail::Least {
        spans.push(Span::styled(counts.to_owned(), t.style(Slot::Header)));
    }
    spans
}

fn counts_text(app: &App) -> String {
    let total = app.inventory.len();
    let shown = app
        .table
        .rows
        .iter()
        .filter(|r| matches!(r, crate::app::rows::Row::Container { .. }))
        .count();
    let noun = if total == 1 {
        "container"
    } else {
        "containers"
    };
    let mut counts = format!("│ {total} {noun}");
    if shown != total || !app.table.filter_text.is_empty() {
        counts.push_str(&format!(", {shown} shown"));
    }
    if !app.table.marked.is_empty() {
        counts.push_str(&format!(", {} marked", app.table.marked.len()));
    }
    counts
}
