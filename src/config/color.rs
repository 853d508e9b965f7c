//! Colours as written in theme files, and fitting them to what the terminal
//! can show: 24-bit, the xterm 256-colour palette, the 16 ANSI colours, or none.

use ratatui::style::Color;

/// How many colours the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColorDepth {
    TrueColor,
    Ansi256,
    Ansi16,
    Mono,
}

impl ColorDepth {
    /// Reads the usual environment conventions. `env` is a lookup so tests
    /// need not touch the process environment.
    pub fn detect(env: impl Fn(&str) -> Option<String>) -> ColorDepth {
        let set = |name: &str| env(name).filter(|value| !value.is_empty());
        // https://no-color.org: any non-empty value turns colour off.
        if set("NO_COLOR").is_some() {
            return ColorDepth::Mono;
        }
        let term = set("TERM").unwrap_or_default();
        if term == "dumb" {
            return ColorDepth::Mono;
        }
        let colorterm = set("COLORTERM").unwrap_or_default().to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" {
            ColorDepth::TrueColor
        } else if term.contains("256color") {
            ColorDepth::Ansi256
        } else {
            ColorDepth::Ansi16
        }
    }
}

/// The 16 ANSI colours, in index order, with the names theme files use.
const ANSI: [(&str, Color); 16] = [
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("white", Color::Gray),
    ("bright_black", Color::DarkGray),
    ("bright_red", Color::LightRed),
    ("bright_green", Color::LightGreen),
    ("bright_yellow", Color::LightYellow),
    ("bright_blue", Color::LightBlue),
    ("bright_magenta", Color::LightMagenta),
    ("bright_cyan", Color::LightCyan),
    ("bright_white", Color::White),
];

/// xterm's default RGB for the 16 ANSI colours; terminals vary, but these are
/// a fair reference for picking the nearest one.
const ANSI_RGB: [(u8, u8, u8); 16] = [
    (0, 0, 0),
    (205, 0, 0),
    (0, 205, 0),
    (205, 205, 0),
    (0, 0, 238),
    (205, 0, 205),
    (0, 205, 205),
    (229, 229, 229),
    (127, 127, 127),
    (255, 0, 0),
    (0, 255, 0),
    (255, 255, 0),
    (92, 92, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
];

/// Channel levels of the 6x6x6 colour cube at xterm indices 16..=231.
const CUBE_LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];

pub const COLOR_SYNTAX: &str =
    "\"#rrggbb\", \"idx:0\"..\"idx:255\", \"reset\" or an ANSI name such as red or bright_black";

/// Parses `#rrggbb`, `idx:N`, `reset` or an ANSI colour name.
pub fn parse_color(text: &str) -> Result<Color, String> {
    let invalid = || format!("\"{text}\" is not a colour; use {COLOR_SYNTAX}");
    if let Some(hex) = text.strip_prefix('#') {
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| invalid());
        return Ok(Color::Rgb(channel(0)?, channel(2)?, channel(4)?));
    }
    if let Some(index) = text.strip_prefix("idx:") {
        return index
            .parse::<u8>()
            .map(Color::Indexed)
            .map_err(|_| invalid());
    }
    if text == "reset" {
        return Ok(Color::Reset);
    }
    ANSI.iter()
        .find(|(name, _)| *name == text)
        .map(|(_, color)| *color)
        .ok_or_else(invalid)
}

/// The colour to use at `depth`, or `None` when the terminal should get no
/// colour at all.
pub fn degrade(color: Color, depth: ColorDepth) -> Option<Color> {
    match (depth, color) {
        (ColorDepth::Mono, _) => None,
        (ColorDepth::TrueColor, color) => Some(color),
        (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => {
            Some(Color::Indexed(nearest_xterm256(r, g, b)))
        }
        (ColorDepth::Ansi256, color) => Some(color),
        (ColorDepth::Ansi16, Color::Rgb(r, g, b)) => Some(nearest_ansi16(r, g, b)),
        (ColorDepth::Ansi16, Color::Indexed(index)) => {
            let (r, g, b) = xterm256_rgb(index);
            Some(nearest_ansi16(r, g, b))
        }
        (ColorDepth::Ansi16, color) => Some(color),
    }
}

/// The nearest entry of the xterm 256-colour palette, choosing from the
/// colour cube and the grey ramp only: indices 0..16 are redefined by most
/// terminal themes, so their actual colour is unknown.
pub fn nearest_xterm256(r: u8, g: u8, b: u8) -> u8 {
    let level = |channel: u8| {
        (0..CUBE_LEVELS.len())
            .min_by_key(|&i| CUBE_LEVELS[i].abs_diff(channel))
            .unwrap_or(0)
    };
    let (ri, gi, bi) = (level(r), level(g), level(b));
    let cube_index = 16 + 36 * ri + 6 * gi + bi;
    let cube_rgb = (CUBE_LEVELS[ri], CUBE_LEVELS[gi], CUBE_LEVELS[bi]);

    // Grey ramp 232..=255 runs from 8 to 238 in steps of 10.
    let average = (u16::from(r) + u16::from(g) + u16::from(b)) / 3;
    let grey_step = (average.saturating_sub(3) / 10).min(23);
    let grey_level = (8 + 10 * grey_step) as u8;
    let grey_index = 232 + grey_step as usize;

    let target = (r, g, b);
    let to_cube = distance(target, cube_rgb);
    let to_grey = distance(target, (grey_level, grey_level, grey_level));
    let index = if to_grey < to_cube {
        grey_index
    } else {
        cube_index
    };
    index as u8
}

/// The nearest of the 16 ANSI colours.
pub fn nearest_ansi16(r: u8, g: u8, b: u8) -> Color {
    let nearest = (0..ANSI_RGB.len())
        .min_by_key(|&i| distance((r, g, b), ANSI_RGB[i]))
        .unwrap_or(0);
    ANSI[nearest].1
}

/// The RGB an xterm palette index stands for.
fn xterm256_rgb(index: u8) -> (u8, u8, u8) {
    match index {
        0..=15 => ANSI_RGB[usize::from(index)],
        16..=231 => {
            let cube = usize::from(index - 16);
            (
                CUBE_LEVELS[cube / 36],
                CUBE_LEVELS[(cube / 6) % 6],
                CUBE_LEVELS[cube % 6],
            )
        }
        232..=255 => {
            let level = 8 + 10 * (index - 232);
            (level, level, level)
        }
    }
}

/// Squared distance weighted by how sensitive the eye is to each channel
/// ("redmean"), which picks better matches than plain RGB distance.
fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let red_mean = (u32::from(a.0) + u32::from(b.0)) / 2;
    let dr = i32::from(a.0) - i32::from(b.0);
    let dg = i32::from(a.1) - i32::from(b.1);
    let db = i32::from(a.2) - i32::from(b.2);
    let (dr2, dg2, db2) = ((dr * dr) as u32, (dg * dg) as u32, (db * db) as u32);
    (((512 + red_mean) * dr2) >> 8) + 4 * dg2 + (((767 - red_mean) * db2) >> 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn detects_depth_from_the_environment() {
        let detect = |vars: &[(&str, &str)]| ColorDepth::detect(env(vars));
        assert_eq!(
            detect(&[("NO_COLOR", "1"), ("COLORTERM", "truecolor")]),
            ColorDepth::Mono
        );
        assert_eq!(
            detect(&[("NO_COLOR", ""), ("COLORTERM", "truecolor")]),
            ColorDepth::TrueColor
        );
        assert_eq!(
            detect(&[("COLORTERM", "24bit"), ("TERM", "xterm")]),
            ColorDepth::TrueColor
        );
        assert_eq!(detect(&[("TERM", "xterm-256color")]), ColorDepth::Ansi256);
        assert_eq!(detect(&[("TERM", "xterm")]), ColorDepth::Ansi16);
        assert_eq!(detect(&[]), ColorDepth::Ansi16);
        assert_eq!(detect(&[("TERM", "dumb")]), ColorDepth::Mono);
    }

    #[test]
    fn parses_every_colour_syntax() {
        assert_eq!(parse_color("#ff8000"), Ok(Color::Rgb(255, 128, 0)));
        assert_eq!(parse_color("idx:123"), Ok(Color::Indexed(123)));
        assert_eq!(parse_color("bright_black"), Ok(Color::DarkGray));
        assert_eq!(parse_color("white"), Ok(Color::Gray));
        assert_eq!(parse_color("reset"), Ok(Color::Reset));
        for bad in ["#ff80", "#gg0000", "idx:256", "purple", ""] {
            assert!(parse_color(bad).unwrap_err().contains("#rrggbb"), "{bad}");
        }
    }

    #[test]
    fn exact_palette_colours_map_to_their_own_index() {
        assert_eq!(nearest_xterm256(0, 0, 0), 16);
        assert_eq!(nearest_xterm256(255, 255, 255), 231);
        assert_eq!(nearest_xterm256(255, 0, 0), 196);
        assert_eq!(nearest_xterm256(95, 135, 175), 16 + 36 + 2 * 6 + 3);
        assert_eq!(nearest_xterm256(128, 128, 128), 244);
        for index in 16..=255u8 {
            let (r, g, b) = xterm256_rgb(index);
            assert_eq!(
                xterm256_rgb(nearest_xterm256(r, g, b)),
                (r, g, b),
                "{index}"
            );
        }
    }

    #[test]
    fn near_colours_pick_the_closest_palette_entry() {
        // A dark grey is closer to the grey ramp than to any cube colour.
        assert_eq!(nearest_xterm256(30, 30, 30), 234);
        // A slightly-off orange still lands on the cube's orange.
        assert_eq!(nearest_xterm256(250, 130, 10), 16 + 36 * 5 + 6 * 2);
    }

    #[test]
    fn sixteen_colour_fallback_keeps_the_hue() {
        assert_eq!(nearest_ansi16(0, 0, 0), Color::Black);
        assert_eq!(nearest_ansi16(255, 0, 0), Color::LightRed);
        assert_eq!(nearest_ansi16(190, 20, 20), Color::Red);
        assert_eq!(nearest_ansi16(30, 200, 40), Color::Green);
        assert_eq!(nearest_ansi16(120, 120, 130), Color::DarkGray);
        assert_eq!(nearest_ansi16(250, 250, 250), Color::White);
        assert_eq!(nearest_ansi16(20, 20, 200), Color::Blue);
    }

    #[test]
    fn degrade_follows_the_depth() {
        let orange = Color::Rgb(255, 135, 0);
        assert_eq!(degrade(orange, ColorDepth::TrueColor), Some(orange));
        assert_eq!(
            degrade(orange, ColorDepth::Ansi256),
            Some(Color::Indexed(208))
        );
        assert_eq!(
            degrade(Color::Indexed(196), ColorDepth::Ansi16),
            Some(Color::LightRed)
        );
        assert_eq!(
            degrade(Color::Indexed(1), ColorDepth::Ansi16),
            Some(Color::Red)
        );
        assert_eq!(degrade(Color::Red, ColorDepth::Ansi16), Some(Color::Red));
        assert_eq!(degrade(Color::Red, ColorDepth::Mono), None);
    }
}
