//! Render a ratatui [`Buffer`] (e.g. from a `TestBackend`) as a standalone SVG picture of a
//! terminal: for documentation screenshots and for looking at test output.
//!
//! Cells sit on a fixed grid (9×18 px at a 15 px monospace font); each run of same-styled cells
//! becomes one `<text>` spaced to its exact cell width (`textLength`), so the grid holds whatever
//! monospace font the viewer has. Background runs become one `<rect>` each.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ratatui::buffer::{Buffer, CellDiffOption};
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

const CELL_W: u32 = 9;
const CELL_H: u32 = 18;
const FONT_SIZE: u32 = 15;
/// Baseline offset within a cell.
const BASELINE: u32 = 14;
const PAD: u32 = 12;
const TITLE_H: u32 = 28;

/// Window background, also the colour of `Color::Reset` backgrounds.
pub const DEFAULT_BG: &str = "#1e1e1e";
/// Colour of `Color::Reset` foregrounds.
pub const DEFAULT_FG: &str = "#d4d4d4";
const TITLE_BAR: &str = "#2d2d2d";
const TITLE_FG: &str = "#a0a0a0";

/// The 16 ANSI colours (VS Code's terminal palette).
const ANSI: [&str; 16] = [
    "#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
];

/// Hex colour of a ratatui colour; `None` for `Reset` (the default of the context).
pub fn color_hex(color: Color) -> Option<String> {
    let ansi = |i: usize| Some(ANSI[i].to_string());
    match color {
        Color::Reset => None,
        Color::Black => ansi(0),
        Color::Red => ansi(1),
        Color::Green => ansi(2),
        Color::Yellow => ansi(3),
        Color::Blue => ansi(4),
        Color::Magenta => ansi(5),
        Color::Cyan => ansi(6),
        Color::Gray => ansi(7),
        Color::DarkGray => ansi(8),
        Color::LightRed => ansi(9),
        Color::LightGreen => ansi(10),
        Color::LightYellow => ansi(11),
        Color::LightBlue => ansi(12),
        Color::LightMagenta => ansi(13),
        Color::LightCyan => ansi(14),
        Color::White => ansi(15),
        Color::Rgb(r, g, b) => Some(format!("#{r:02x}{g:02x}{b:02x}")),
        Color::Indexed(i) => Some(indexed_hex(i)),
    }
}

/// xterm's 256-colour palette.
fn indexed_hex(i: u8) -> String {
    match i {
        0..=15 => ANSI[i as usize].to_string(),
        16..=231 => {
            const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
            let n = i - 16;
            let (r, g, b) = (n / 36, (n / 6) % 6, n % 6);
            format!(
                "#{:02x}{:02x}{:02x}",
                LEVELS[r as usize], LEVELS[g as usize], LEVELS[b as usize]
            )
        }
        232..=255 => {
            let v = 8 + 10 * (i - 232);
            format!("#{v:02x}{v:02x}{v:02x}")
        }
    }
}

/// How a run of text is drawn; equal keys merge into one `<text>`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct TextStyle {
    fill: String,
    bold: bool,
    italic: bool,
    dim: bool,
    underline: bool,
    strike: bool,
}

impl TextStyle {
    fn css(&self) -> String {
        let mut css = format!("fill:{}", self.fill);
        if self.bold {
            css.push_str(";font-weight:bold");
        }
        if self.italic {
            css.push_str(";font-style:italic");
        }
        if self.dim {
            css.push_str(";opacity:0.6");
        }
        match (self.underline, self.strike) {
            (true, true) => css.push_str(";text-decoration:underline line-through"),
            (true, false) => css.push_str(";text-decoration:underline"),
            (false, true) => css.push_str(";text-decoration:line-through"),
            (false, false) => {}
        }
        css
    }

    /// Spaces draw nothing unless a line goes through or under them.
    fn blank_is_invisible(&self) -> bool {
        !self.underline && !self.strike
    }
}

/// One grid cell as drawn: what it shows, how wide, and its resolved colours.
struct Drawn<'a> {
    x: u32,
    width: u32,
    symbol: &'a str,
    /// `None`: the window background shows through.
    bg: Option<String>,
    text: Option<TextStyle>,
}

fn resolve(cell: &ratatui::buffer::Cell) -> (Option<String>, Option<TextStyle>) {
    let m = cell.modifier;
    let mut fg = color_hex(cell.fg).unwrap_or_else(|| DEFAULT_FG.to_string());
    let mut bg = color_hex(cell.bg);
    if m.contains(Modifier::REVERSED) {
        let old_fg = fg;
        fg = bg.unwrap_or_else(|| DEFAULT_BG.to_string());
        bg = Some(old_fg);
    }
    let text = (!m.contains(Modifier::HIDDEN)).then(|| TextStyle {
        fill: fg,
        bold: m.contains(Modifier::BOLD),
        italic: m.contains(Modifier::ITALIC),
        dim: m.contains(Modifier::DIM),
        underline: m.contains(Modifier::UNDERLINED),
        strike: m.contains(Modifier::CROSSED_OUT),
    });
    (bg, text)
}

/// The cells of row `y`, wide characters taking their width and hiding the cells they cover.
fn row_cells(buf: &Buffer, y: u16) -> Vec<Drawn<'_>> {
    let area = buf.area;
    let mut out = Vec::new();
    let mut x = area.x;
    let right = area.x + area.width;
    while x < right {
        let cell = &buf[(x, y)];
        let (symbol, width) = match cell.diff_option {
            // Drawn over by something else (e.g. graphics): show it blank.
            CellDiffOption::Skip => (" ", 1),
            CellDiffOption::ForcedWidth(w) => (cell.symbol(), w.get().min(right - x)),
            _ if cell.symbol().is_empty() => (" ", 1),
            _ => {
                let w = cell.symbol().width().max(1) as u16;
                (cell.symbol(), w.min(right - x))
            }
        };
        let (bg, text) = resolve(cell);
        out.push(Drawn {
            x: u32::from(x - area.x),
            width: u32::from(width),
            symbol,
            bg,
            text,
        });
        x += width;
    }
    out
}

/// Escapes text for XML content and attribute values; drops characters XML 1.0 forbids.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Renders `buf` as a standalone SVG image of a terminal window titled `title`.
pub fn buffer_to_svg(buf: &Buffer, title: &str) -> String {
    let cols = u32::from(buf.area.width);
    let rows = u32::from(buf.area.height);
    let width = cols * CELL_W + 2 * PAD;
    let height = rows * CELL_H + 2 * PAD + TITLE_H;
    let title = xml_escape(title);

    // Text styles get CSS classes: s0, s1, … in order of first use.
    let mut classes: BTreeMap<TextStyle, usize> = BTreeMap::new();
    let mut class_order: Vec<TextStyle> = Vec::new();
    let mut backgrounds = String::new();
    let mut texts = String::new();

    for row in 0..rows {
        let cells = row_cells(buf, buf.area.y + row as u16);
        let y = row * CELL_H;

        // Background runs: consecutive cells with the same explicit background.
        let mut i = 0;
        while i < cells.len() {
            let Some(bg) = &cells[i].bg else {
                i += 1;
                continue;
            };
            let start = cells[i].x;
            let mut end = start + cells[i].width;
            let mut j = i + 1;
            while j < cells.len() && cells[j].bg.as_ref() == Some(bg) {
                end = cells[j].x + cells[j].width;
                j += 1;
            }
            let _ = writeln!(
                backgrounds,
                r#"<rect x="{}" y="{y}" width="{}" height="{CELL_H}" fill="{bg}"/>"#,
                start * CELL_W,
                (end - start) * CELL_W,
            );
            i = j;
        }

        // Text runs: consecutive cells with the same text style.
        let mut i = 0;
        while i < cells.len() {
            let Some(style) = &cells[i].text else {
                i += 1;
                continue;
            };
            let start = cells[i].x;
            let mut end = start + cells[i].width;
            let mut content = String::from(cells[i].symbol);
            let mut j = i + 1;
            while j < cells.len() && cells[j].text.as_ref() == Some(style) {
                content.push_str(cells[j].symbol);
                end = cells[j].x + cells[j].width;
                j += 1;
            }
            i = j;
            if style.blank_is_invisible() && content.trim().is_empty() {
                continue;
            }
            // Trailing blanks draw nothing: trim them (and their cells) for smaller files.
            if style.blank_is_invisible() {
                let trimmed = content.trim_end_matches(' ');
                end -= (content.len() - trimmed.len()) as u32;
                content.truncate(trimmed.len());
            }
            let class = *classes.entry(style.clone()).or_insert_with(|| {
                class_order.push(style.clone());
                class_order.len() - 1
            });
            let _ = writeln!(
                texts,
                r#"<text x="{}" y="{}" textLength="{}" class="s{class}">{}</text>"#,
                start * CELL_W,
                y + BASELINE,
                (end - start) * CELL_W,
                xml_escape(&content),
            );
        }
    }

    let mut css = String::from(
        "text{white-space:pre;font-kerning:none;font-variant-ligatures:none}\
         .title{fill:",
    );
    let _ = write!(css, "{TITLE_FG};font-size:13px}}");
    for (n, style) in class_order.iter().enumerate() {
        let _ = write!(css, "\n.s{n}{{{}}}", style.css());
    }

    let mut svg = String::with_capacity(backgrounds.len() + texts.len() + 1024);
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xml:space="preserve" font-family="'DejaVu Sans Mono','Menlo','Consolas','Liberation Mono',monospace" font-size="{FONT_SIZE}">"#
    );
    let _ = writeln!(svg, "<title>{title}</title>");
    let _ = writeln!(svg, "<style>{css}</style>");
    let _ = writeln!(
        svg,
        r#"<rect width="{width}" height="{height}" rx="8" fill="{DEFAULT_BG}"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<path d="M0 8a8 8 0 0 1 8-8h{}a8 8 0 0 1 8 8v{}h-{width}z" fill="{TITLE_BAR}"/>"#,
        width - 16,
        TITLE_H - 8,
    );
    for (n, colour) in ["#ff5f56", "#ffbd2e", "#27c93f"].iter().enumerate() {
        let _ = writeln!(
            svg,
            r#"<circle cx="{}" cy="{}" r="6" fill="{colour}"/>"#,
            PAD + 6 + n as u32 * 20,
            TITLE_H / 2,
        );
    }
    let _ = writeln!(
        svg,
        r#"<text class="title" x="{}" y="{}" text-anchor="middle">{title}</text>"#,
        width / 2,
        TITLE_H / 2 + 5,
    );
    let _ = writeln!(svg, r#"<g transform="translate({PAD} {})">"#, TITLE_H + PAD);
    let _ = writeln!(svg, "<g>\n{backgrounds}</g>");
    let _ = writeln!(svg, "<g>");
    svg.push_str(&texts);
    svg.push_str("</g>\n</g>\n</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;
    use ratatui::text::{Line, Span};
    use ratatui::widgets::{Block, Paragraph, Widget};

    /// Checks that tags balance and that text and attributes hold no raw `<` or stray `&`.
    fn assert_well_formed(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        let check_text = |t: &str| {
            let mut s = t;
            while let Some(i) = s.find('&') {
                let after = &s[i..];
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                        .iter()
                        .any(|e| after.starts_with(e)),
                    "bare & in {t:?}"
                );
                s = &s[i + 1..];
            }
        };
        while let Some(open) = rest.find('<') {
            check_text(&rest[..open]);
            let close = rest[open..].find('>').expect("unclosed tag") + open;
            let tag = &rest[open + 1..close];
            assert!(!tag.contains('<'), "raw < inside tag {tag:?}");
            check_text(tag);
            // Attribute values are quoted: an even number of quotes.
            assert_eq!(
                tag.matches('"').count() % 2,
                0,
                "unbalanced quotes in {tag:?}"
            );
            if let Some(name) = tag.strip_prefix('/') {
                let top = stack.pop().unwrap_or_else(|| panic!("stray </{name}>"));
                assert_eq!(top, name, "mismatched close tag");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().expect("tag name");
                stack.push(name.to_string());
            }
            rest = &rest[close + 1..];
        }
        check_text(rest);
        assert!(stack.is_empty(), "unclosed: {stack:?}");
    }

    fn render(width: u16, height: u16, widget: impl Widget) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, width, height));
        widget.render(buf.area, &mut buf);
        buf
    }

    #[test]
    fn renders_text_colours_and_styles() {
        let para = Paragraph::new(vec![
            Line::from(vec![
                Span::styled("err", Style::new().fg(Color::Red).bold()),
                Span::raw(" "),
                Span::styled("idx", Style::new().fg(Color::Indexed(196))),
                Span::raw(" "),
                Span::styled("rgb", Style::new().fg(Color::Rgb(1, 2, 3)).bg(Color::Blue)),
            ]),
            Line::from(vec![
                Span::styled("rev", Style::new().reversed()),
                Span::styled("it", Style::new().italic().underlined()),
                Span::styled("dim", Style::new().dim()),
            ]),
        ])
        .block(Block::bordered().title("box"));
        let buf = render(20, 4, para);
        let svg = buffer_to_svg(&buf, "demo <1> & \"two\"");
        assert_well_formed(&svg);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains(r#"xml:space="preserve""#));
        assert!(svg.contains("<title>demo &lt;1&gt; &amp; &quot;two&quot;</title>"));
        for text in [">err<", ">idx<", ">rgb<", ">rev<", ">it<", ">dim<", "box"] {
            assert!(svg.contains(text), "{text} missing:\n{svg}");
        }
        assert!(svg.contains("┌box"), "border and title in one run:\n{svg}");
        assert!(svg.contains("fill:#cd3131;font-weight:bold"), "{svg}");
        assert!(svg.contains("fill:#ff0000"), "indexed 196 is #ff0000");
        assert!(svg.contains("fill:#010203"));
        assert!(svg.contains(r##"fill="#2472c8""##), "blue background rect");
        // Reversed default colours: default fg as background, default bg as text.
        assert!(svg.contains(&format!(r#"fill="{DEFAULT_FG}""#)));
        assert!(svg.contains(&format!("fill:{DEFAULT_BG}")));
        assert!(svg.contains("font-style:italic;text-decoration:underline"));
        assert!(svg.contains("opacity:0.6"));
    }

    #[test]
    fn merges_runs_and_backgrounds() {
        let para = Paragraph::new(Line::from(vec![
            Span::styled("ab", Style::new().fg(Color::Green).bg(Color::Black)),
            Span::styled("cd", Style::new().fg(Color::Green).bg(Color::Black)),
        ]));
        let buf = render(10, 1, para);
        let svg = buffer_to_svg(&buf, "t");
        assert_well_formed(&svg);
        assert!(svg.contains(">abcd</text>"), "{svg}");
        assert_eq!(svg.matches("<text x=").count(), 1, "{svg}");
        assert!(
            svg.contains(r##"<rect x="0" y="0" width="36" height="18" fill="#000000"/>"##),
            "{svg}"
        );
        assert!(svg.contains(r#"textLength="36""#));
    }

    #[test]
    fn wide_characters_take_two_cells_and_text_is_escaped() {
        let para = Paragraph::new(Line::from(vec![
            Span::styled("日本", Style::new().fg(Color::Yellow)),
            Span::styled("<&>", Style::new().fg(Color::Cyan)),
        ]));
        let buf = render(10, 1, para);
        let svg = buffer_to_svg(&buf, "wide");
        assert_well_formed(&svg);
        assert!(
            svg.contains(r#"textLength="36" class="s0">日本</text>"#),
            "{svg}"
        );
        // The escaped run starts after the 4 cells of the two wide characters.
        assert!(
            svg.contains(r#"<text x="36" y="14" textLength="27" class="s1">&lt;&amp;&gt;</text>"#),
            "{svg}"
        );
    }

    #[test]
    fn indexed_and_named_palette() {
        assert_eq!(color_hex(Color::Reset), None);
        assert_eq!(color_hex(Color::White).as_deref(), Some("#ffffff"));
        assert_eq!(color_hex(Color::Indexed(1)).as_deref(), Some("#cd3131"));
        assert_eq!(color_hex(Color::Indexed(16)).as_deref(), Some("#000000"));
        assert_eq!(color_hex(Color::Indexed(231)).as_deref(), Some("#ffffff"));
        assert_eq!(color_hex(Color::Indexed(67)).as_deref(), Some("#5f87af"));
        assert_eq!(color_hex(Color::Indexed(232)).as_deref(), Some("#080808"));
        assert_eq!(color_hex(Color::Indexed(255)).as_deref(), Some("#eeeeee"));
    }

    #[test]
    fn hidden_text_and_blank_lines_draw_nothing() {
        let para = Paragraph::new(Line::from(Span::styled(
            "secret",
            Style::new().add_modifier(Modifier::HIDDEN),
        )));
        let buf = render(10, 3, para);
        let svg = buffer_to_svg(&buf, "h");
        assert_well_formed(&svg);
        assert!(!svg.contains("secret"));
        assert_eq!(svg.matches("<text x=").count(), 0, "{svg}");
    }
}
