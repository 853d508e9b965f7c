//! Colours in container output: the SGR escape sequences programs write (`\x1b[31m` red,
//! `\x1b[1m` bold, `\x1b[0m` reset) are read into styles kept beside the text, so logs show in
//! colour; every other escape sequence (cursor moves, titles, clears) is dropped. Nothing a
//! container writes ever reaches the terminal as a sequence: the text kept has no escapes, and
//! the view draws the styles itself.

/// A colour as a program asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// 0–15 the basic and bright colours, 16–255 the 256-colour palette.
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// The text style in force from some point of a line on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sgr {
    pub fg: Option<Colour>,
    pub bg: Option<Colour>,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underline: bool,
    pub reverse: bool,
}

impl Sgr {
    /// Applies the parameters of one `CSI … m`.
    pub fn apply(&mut self, params: &str) {
        if params.is_empty() {
            *self = Sgr::default();
            return;
        }
        // A colon joins sub-parameters into one parameter (`38:2::r:g:b`, `4:3`): it is read
        // as a whole, and the semicolon-separated rest as usual.
        let mut codes: Vec<u16> = Vec::new();
        for group in params.split(';') {
            if group.contains(':') {
                self.apply_colon_group(group);
            } else {
                codes.push(group.parse().unwrap_or(0));
            }
        }
        if codes.is_empty() {
            return;
        }
        let mut i = 0;
        while i < codes.len() {
            match codes[i] {
                0 => *self = Sgr::default(),
                1 => self.bold = true,
                2 => self.dim = true,
                3 => self.italic = true,
                4 => self.underline = true,
                7 => self.reverse = true,
                22 => (self.bold, self.dim) = (false, false),
                23 => self.italic = false,
                24 => self.underline = false,
                27 => self.reverse = false,
                c @ 30..=37 => self.fg = Some(Colour::Indexed((c - 30) as u8)),
                c @ 90..=97 => self.fg = Some(Colour::Indexed((c - 90 + 8) as u8)),
                39 => self.fg = None,
                c @ 40..=47 => self.bg = Some(Colour::Indexed((c - 40) as u8)),
                c @ 100..=107 => self.bg = Some(Colour::Indexed((c - 100 + 8) as u8)),
                49 => self.bg = None,
                c @ (38 | 48) => {
                    let (colour, used) = extended(&codes[i + 1..]);
                    if c == 38 {
                        self.fg = colour;
                    } else {
                        self.bg = colour;
                    }
                    i += used;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl Sgr {
    /// One colon-joined parameter: `38:5:n`, `38:2::r:g:b` (the colour space may be empty),
    /// `48:…`, or an underline style `4:n` (any style but 0 is underlined).
    fn apply_colon_group(&mut self, group: &str) {
        let parts: Vec<Option<u16>> = group.split(':').map(|p| p.parse().ok()).collect();
        match parts.as_slice() {
            [Some(4), style, ..] => self.underline = style.unwrap_or(1) != 0,
            [Some(c @ (38 | 48)), Some(5), Some(n), ..] => {
                self.set(*c, Some(Colour::Indexed((*n).min(255) as u8)))
            }
            [Some(c @ (38 | 48)), Some(2), rest @ ..] => {
                // With a colour-space id first (`38:2:0:r:g:b` or `38:2::r:g:b`), or without.
                let rgb: Vec<u16> = match rest.len() {
                    4 => rest[1..].iter().map(|v| v.unwrap_or(0)).collect(),
                    _ => rest.iter().take(3).map(|v| v.unwrap_or(0)).collect(),
                };
                if let [r, g, b] = rgb[..] {
                    let c8 = |v: u16| v.min(255) as u8;
                    self.set(*c, Some(Colour::Rgb(c8(r), c8(g), c8(b))));
                }
            }
            _ => {}
        }
    }

    fn set(&mut self, which: u16, colour: Option<Colour>) {
        if which == 38 {
            self.fg = colour;
        } else {
            self.bg = colour;
        }
    }
}

/// `5;n` (palette) or `2;r;g;b` after a 38 or 48: the colour and how many codes it took.
fn extended(rest: &[u16]) -> (Option<Colour>, usize) {
    match rest {
        [5, n, ..] => (Some(Colour::Indexed((*n).min(255) as u8)), 2),
        [2, r, g, b, ..] => (
            Some(Colour::Rgb(
                (*r).min(255) as u8,
                (*g).min(255) as u8,
                (*b).min(255) as u8,
            )),
            4,
        ),
        _ => (None, rest.len()),
    }
}

/// What follows an ESC in `text` from `at` (the byte after the ESC): the length of the
/// sequence, and the SGR parameters when it is one.
pub fn sequence(text: &str, at: usize) -> (usize, Option<&str>) {
    let bytes = text.as_bytes();
    match bytes.get(at) {
        // CSI: parameters and intermediates, then one final byte in @..~.
        Some(b'[') => {
            let start = at + 1;
            let mut end = start;
            while end < bytes.len() && !(0x40..=0x7e).contains(&bytes[end]) {
                end += 1;
            }
            if end >= bytes.len() {
                return (bytes.len() - at, None);
            }
            let params = &text[start..end];
            let sgr = (bytes[end] == b'm').then_some(params);
            (end + 1 - at, sgr)
        }
        // OSC (a title, a hyperlink), and the DCS, SOS, PM and APC strings: up to BEL or ST.
        Some(b']' | b'P' | b'X' | b'^' | b'_') => {
            let mut end = at + 1;
            while end < bytes.len() {
                if bytes[end] == 0x07 {
                    return (end + 1 - at, None);
                }
                if bytes[end] == 0x1b && bytes.get(end + 1) == Some(&b'\\') {
                    return (end + 2 - at, None);
                }
                end += 1;
            }
            (bytes.len() - at, None)
        }
        // Intermediate bytes, then a final one: `ESC ( B` (what `tput sgr0` sends first),
        // `ESC # 8`; or a two-byte escape (`ESC c`, `ESC 7`).
        Some(b) if (0x20..=0x2f).contains(b) => {
            let mut end = at;
            while end < bytes.len() && (0x20..=0x2f).contains(&bytes[end]) {
                end += 1;
            }
            ((end + 1).min(bytes.len()) - at, None)
        }
        Some(b) if b.is_ascii() => (1, None),
        _ => (0, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgr_codes_change_the_style() {
        let mut s = Sgr::default();
        s.apply("1;31");
        assert_eq!((s.bold, s.fg), (true, Some(Colour::Indexed(1))));
        s.apply("38;5;208");
        assert_eq!(s.fg, Some(Colour::Indexed(208)));
        s.apply("48;2;10;20;30");
        assert_eq!(s.bg, Some(Colour::Rgb(10, 20, 30)));
        s.apply("92");
        assert_eq!(s.fg, Some(Colour::Indexed(10)));
        s.apply("");
        assert_eq!(s, Sgr::default());
        s.apply("38;5");
        assert_eq!(s.fg, None, "a cut extended colour is no colour");
        s.apply("38:2::10:20:30");
        assert_eq!(s.fg, Some(Colour::Rgb(10, 20, 30)));
        s.apply("4:3");
        assert!(s.underline && !s.italic, "an underline style is not italic");
        s.apply("48:5:17");
        assert_eq!(s.bg, Some(Colour::Indexed(17)));
    }

    #[test]
    fn sequences_are_measured_whole() {
        assert_eq!(sequence("\x1b[31mred", 1), (4, Some("31")));
        assert_eq!(sequence("\x1b[2Jx", 1), (3, None));
        assert_eq!(sequence("\x1b]0;title\x07x", 1), (9, None));
        assert_eq!(sequence("\x1b]8;;http://x\x1b\\link", 1), (14, None));
        assert_eq!(
            sequence("\x1b[31", 1),
            (3, None),
            "cut at the end of the line"
        );
        assert_eq!(sequence("\x1bc", 1), (1, None));
        assert_eq!(sequence("\x1b(Bx", 1), (2, None), "a charset choice, whole");
        assert_eq!(
            sequence("\x1bPq#0\x1b\\x", 1),
            (6, None),
            "a DCS string, whole"
        );
    }
}
