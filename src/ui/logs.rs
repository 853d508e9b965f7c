//! The logs view: the selected container's output, stderr told apart, search highlighted.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::text::{highlight, message, skip_columns, wrap};
use ratatui::style::{Color, Modifier, Style};

use crate::app::logbuf::{LogLine, Stream};
use crate::app::sgr::{Colour, Sgr};
use crate::app::state::{App, LogsState};
use crate::config::theme::{Slot, Theme};

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let Some(l) = &app.views.logs else { return };
    let t = &app.theme;
    // The lines matching the search, found once a frame for the title's count and the filter.
    let hits = l.buffer.find_all(&l.query);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Slot::BorderFocused))
        .title(Line::from(title(app, l, &hits)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    let width = inner.width as usize;
    if l.buffer.is_empty() {
        let msg = l.ended.as_deref().unwrap_or("waiting for output…");
        message(frame, inner, msg, t.style(Slot::TextDim));
        return;
    }
    let colour = app.options.color_depth != crate::config::theme::ColorDepth::Mono;
    let rows = visible_rows(l, t, colour, &hits, width, height);
    frame.render_widget(Paragraph::new(rows), inner);
}

fn title(app: &App, l: &LogsState, hits: &[usize]) -> Vec<Span<'static>> {
    let t = &app.theme;
    let mut flags = vec![if l.follow { "following" } else { "paused" }];
    if l.filtering() {
        flags.push("only matching");
    }
    if l.wrap {
        flags.push("wrap");
    }
    if l.timestamps {
        flags.push("timestamps");
    }
    let mut spans = vec![
        Span::styled(format!(" Logs: {} ", l.title), t.style(Slot::Title)),
        Span::styled(
            format!(
                "({}) ─ {} ─ {} lines ",
                l.endpoint,
                flags.join(", "),
                l.buffer.len()
            ),
            t.style(Slot::TextDim),
        ),
    ];
    if !l.query.is_empty() {
        // How many lines match, and which one the view is on: a search that finds nothing
        // says so.
        let at = l.current_match.and_then(|m| {
            let index = m.checked_sub(l.buffer.dropped())? as usize;
            hits.iter().position(|&h| h == index)
        });
        let count = match (hits.len(), at) {
            (0, _) => "no match".to_owned(),
            (n, Some(i)) => format!("{} of {n}", i + 1),
            (1, None) => "1 match".to_owned(),
            (n, None) => format!("{n} matches"),
        };
        spans.push(Span::styled(
            format!("─ /{} ({count}) ", l.query),
            t.style(Slot::InputText),
        ));
    }
    if let Some(e) = &l.ended {
        spans.push(Span::styled(format!("─ {e} "), t.style(Slot::Warning)));
    }
    spans
}

/// The rows on screen: from `top` down, or, when following, the tail of the buffer.
fn visible_rows<'a>(
    l: &'a LogsState,
    t: &Theme,
    colour: bool,
    hits: &[usize],
    width: usize,
    height: usize,
) -> Vec<Line<'a>> {
    let first = l.buffer.dropped();
    let len = l.buffer.len();
    // Only matching lines, when that filter is on; else every line.
    let shown: Vec<usize> = if l.filtering() {
        hits.to_vec()
    } else {
        (0..len).collect()
    };
    let mut out: Vec<Line> = Vec::with_capacity(height);
    if l.follow {
        // Walk backwards from the newest line until the screen is full.
        let mut rows_rev: Vec<Line> = Vec::new();
        for &i in shown.iter().rev() {
            let abs = first + i as u64;
            let mut lines = line_rows(
                l,
                t,
                colour,
                l.buffer.get(i).expect("index in range"),
                abs,
                width,
            );
            while let Some(r) = lines.pop() {
                rows_rev.push(r);
                if rows_rev.len() == height {
                    break;
                }
            }
            if rows_rev.len() == height {
                break;
            }
        }
        rows_rev.reverse();
        return rows_rev;
    }
    let start = l.top.saturating_sub(first) as usize;
    for &i in shown.iter().filter(|&&i| i >= start) {
        let abs = first + i as u64;
        for r in line_rows(
            l,
            t,
            colour,
            l.buffer.get(i).expect("index in range"),
            abs,
            width,
        ) {
            if out.len() == height {
                return out;
            }
            out.push(r);
        }
    }
    out
}

fn line_rows<'a>(
    l: &'a LogsState,
    t: &Theme,
    colour: bool,
    line: &'a LogLine,
    abs: u64,
    width: usize,
) -> Vec<Line<'a>> {
    let base = match line.stream {
        Stream::Stdout => t.style(Slot::LogsStdout),
        Stream::Stderr => t.style(Slot::LogsStderr),
        Stream::Note => t.style(Slot::TextDim),
    };
    let hit = if l.current_match == Some(abs) {
        t.style(Slot::LogsMatchCurrent)
    } else {
        t.style(Slot::LogsMatch)
    };
    let stamp = match (&line.timestamp, l.timestamps) {
        (Some(ts), true) => Some(short_time(ts)),
        _ => None,
    };
    // Merged logs: which replica wrote the line, in a column of its own.
    let tag = l.is_merged().then(|| {
        let width = l
            .sources
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(0)
            .min(MAX_TAG);
        let name = l
            .sources
            .get(line.source as usize)
            .map_or("?", |s| s.name.as_str());
        format!("{:<width$} ", super::text::fit_middle(name, width))
    });
    let stamp_width =
        stamp.as_ref().map_or(0, |s| s.len() + 1) + tag.as_ref().map_or(0, |t| t.chars().count());
    let text_width = width.saturating_sub(stamp_width).max(1);
    let pieces: Vec<&str> = if l.wrap {
        wrap(&line.text, text_width)
    } else {
        vec![skip_columns(&line.text, l.hscroll)]
    };
    pieces
        .into_iter()
        .enumerate()
        .map(|(n, piece)| {
            let mut spans = Vec::new();
            if let Some(s) = &stamp {
                let shown = if n == 0 {
                    s.clone()
                } else {
                    " ".repeat(s.len())
                };
                spans.push(Span::styled(
                    format!("{shown} "),
                    t.style(Slot::LogsTimestamp),
                ));
            }
            if let Some(tag) = &tag {
                let shown = if n == 0 {
                    tag.clone()
                } else {
                    " ".repeat(tag.chars().count())
                };
                spans.push(Span::styled(shown, t.style(Slot::TableGroup)));
            }
            // The program's colours over the stream's, then the search's over both.
            let offset = piece.as_ptr() as usize - line.text.as_ptr() as usize;
            for (segment, style) in styled_segments(piece, offset, &line.styles, base, colour) {
                spans.extend(highlight(segment, &l.query, style, hit));
            }
            Line::from(spans)
        })
        .collect()
}

/// Widest replica name merged logs give a column to.
const MAX_TAG: usize = 24;

/// Cuts `piece` (at byte `offset` of its line) where the line's colours change, each part with
/// its style laid over `base`. Without colour (mono), only bold, underline and the like stay.
fn styled_segments<'a>(
    piece: &'a str,
    offset: usize,
    styles: &[(u32, Sgr)],
    base: Style,
    colour: bool,
) -> Vec<(&'a str, Style)> {
    if styles.is_empty() {
        return vec![(piece, base)];
    }
    let style_at = |pos: usize| {
        styles
            .iter()
            .rev()
            .find(|(at, _)| *at as usize <= pos)
            .map_or(base, |(_, sgr)| base.patch(sgr_style(sgr, colour)))
    };
    let end = offset + piece.len();
    let mut cuts: Vec<usize> = styles
        .iter()
        .map(|(at, _)| *at as usize)
        .filter(|&at| at > offset && at < end && piece.is_char_boundary(at - offset))
        .collect();
    cuts.dedup();
    let mut out = Vec::new();
    let mut from = offset;
    for cut in cuts.into_iter().chain(std::iter::once(end)) {
        if cut > from {
            out.push((&piece[from - offset..cut - offset], style_at(from)));
        }
        from = cut;
    }
    if out.is_empty() {
        out.push((piece, style_at(offset)));
    }
    out
}

fn sgr_style(s: &Sgr, colour: bool) -> Style {
    let to = |c: Colour| match c {
        Colour::Indexed(n) => Color::Indexed(n),
        Colour::Rgb(r, g, b) => Color::Rgb(r, g, b),
    };
    let mut style = Style::default();
    if colour {
        if let Some(fg) = s.fg {
            style = style.fg(to(fg));
        }
        if let Some(bg) = s.bg {
            style = style.bg(to(bg));
        }
    }
    for (on, m) in [
        (s.bold, Modifier::BOLD),
        (s.dim, Modifier::DIM),
        (s.italic, Modifier::ITALIC),
        (s.underline, Modifier::UNDERLINED),
        (s.reverse, Modifier::REVERSED),
    ] {
        if on {
            style = style.add_modifier(m);
        }
    }
    style
}

/// `2026-11-22T18:00:00.123456789Z` → `18:00:00.123`: the date rarely matters while following.
fn short_time(ts: &str) -> String {
    match ts.split_once('T') {
        Some((_, time)) => time.chars().take(12).collect(),
        None => ts.to_owned(),
    }
}
