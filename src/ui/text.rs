//! Small text helpers shared by the views.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// One line of text inside `area`, indented by a space: the "nothing to show yet" state of a
/// view (waiting for output, loading, no events, an error).
pub fn message(frame: &mut Frame, area: Rect, text: &str, style: Style) {
    frame.render_widget(
        Paragraph::new(Span::styled(format!(" {text}"), style)),
        area,
    );
}

/// Cuts a string to a display width, ending with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(ch);
        used += w;
    }
    out.push('…');
    out
}

/// Cuts a string to a display width in its middle (`billing…worker-3`), keeping both ends:
/// names of replicas, endpoints and hosts differ at the end as often as at the start.
pub fn fit_middle(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_owned();
    }
    if width < 5 {
        return fit(s, width);
    }
    // The end gets the larger share: the replica number, the port, the socket's name.
    let tail_room = width / 2;
    let head_room = width - 1 - tail_room;
    let mut head = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w > head_room {
            break;
        }
        head.push(ch);
        used += w;
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for ch in s.chars().rev() {
        let w = ch.width().unwrap_or(0);
        if used + w > tail_room {
            break;
        }
        tail.push(ch);
        used += w;
    }
    tail.reverse();
    format!("{head}…{}", tail.into_iter().collect::<String>())
}

/// Drops the first `cols` display columns (horizontal scrolling).
pub fn skip_columns(s: &str, cols: usize) -> &str {
    let mut used = 0;
    for (i, ch) in s.char_indices() {
        if used >= cols {
            return &s[i..];
        }
        used += ch.width().unwrap_or(0);
    }
    // The end of `s` itself, not a literal: callers measure where a piece sits in its line.
    &s[s.len()..]
}

/// Splits a line into display rows of at most `width` columns.
pub fn wrap(s: &str, width: usize) -> Vec<&str> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut start = 0;
    let mut used = 0;
    for (i, ch) in s.char_indices() {
        let w = ch.width().unwrap_or(0);
        if used + w > width {
            rows.push(&s[start..i]);
            start = i;
            used = 0;
        }
        used += w;
    }
    rows.push(&s[start..]);
    rows
}

/// Splits text into lines of at most `width` columns at spaces (a word longer than the width
/// is cut by [`wrap`]).
pub fn wrap_words(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let needed = if line.is_empty() { 0 } else { 1 } + word.width();
        if line.width() + needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if word.width() > width {
            for piece in wrap(word, width) {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                line.push_str(piece);
            }
            continue;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Spans of `text` with every case-insensitive occurrence of `needle` in `hit`.
pub fn highlight<'a>(text: &'a str, needle: &str, base: Style, hit: Style) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    let mut pos = 0;
    for found in crate::text::find_ignore_case(text, needle) {
        if found.start > pos {
            spans.push(Span::styled(&text[pos..found.start], base));
        }
        pos = found.end;
        spans.push(Span::styled(&text[found], hit));
    }
    if pos < text.len() || spans.is_empty() {
        spans.push(Span::styled(&text[pos..], base));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_middle_keeps_both_ends() {
        assert_eq!(
            fit_middle("billing-invoice-worker-3", 16),
            "billing…worker-3"
        );
        assert_eq!(
            fit_middle("billing-invoice-worker-3", 30),
            "billing-invoice-worker-3"
        );
        assert_eq!(fit_middle("whux_web_1", 8), "whu…eb_1");
        assert_eq!(fit_middle("一二三四五六七八", 9).width(), 9);
        assert_eq!(fit_middle("abcdef", 4), "abc…");
    }

    #[test]
    fn fit_cuts_with_ellipsis_by_width() {
        assert_eq!(fit("short", 10), "short");
        assert_eq!(fit("a-very-long-name", 8), "a-very-…");
        assert_eq!(fit("日本語テキスト", 7), "日本語…");
    }

    #[test]
    fn wrap_and_skip() {
        assert_eq!(wrap("abcdefg", 3), vec!["abc", "def", "g"]);
        assert_eq!(wrap("", 3), vec![""]);
        assert_eq!(skip_columns("abcdef", 2), "cdef");
        assert_eq!(skip_columns("ab", 5), "");
    }

    #[test]
    fn words_wrap_at_spaces() {
        assert_eq!(
            wrap_words("if a step fails what ran is undone", 12),
            ["if a step", "fails what", "ran is", "undone"]
        );
        assert_eq!(wrap_words("", 5), [""]);
        assert_eq!(wrap_words("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    }

    #[test]
    fn highlight_marks_each_match() {
        let spans = highlight(
            "Error and error",
            "error",
            Style::default(),
            Style::default(),
        );
        let texts: Vec<&str> = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(texts, vec!["Error", " and ", "error"]);
        // Case folding that changes byte lengths must not slice inside a char.
        let spans = highlight("İİxKabc", "kabc", Style::default(), Style::default());
        let texts: Vec<&str> = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(texts, vec!["İİx", "Kabc"]);
    }
}
