//! One key press as written in keymap files (`j`, `G`, `<C-c>`, `<S-Tab>`)
//! and as reported by the terminal, normalised so that the two compare equal.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyPress {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

/// Named keys, in the spelling used for display. Lookup ignores case.
const NAMED_KEYS: &[(&str, KeyCode)] = &[
    ("Enter", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Tab", KeyCode::Tab),
    ("BackTab", KeyCode::BackTab),
    ("Backspace", KeyCode::Backspace),
    ("Space", KeyCode::Char(' ')),
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
    ("Delete", KeyCode::Delete),
    ("Insert", KeyCode::Insert),
];

/// Other spellings people reach for out of habit (vim, readline).
const KEY_ALIASES: &[(&str, KeyCode)] = &[
    ("CR", KeyCode::Enter),
    ("Return", KeyCode::Enter),
    ("Escape", KeyCode::Esc),
    ("BS", KeyCode::Backspace),
    ("Del", KeyCode::Delete),
    ("Ins", KeyCode::Insert),
    ("PgUp", KeyCode::PageUp),
    ("PgDn", KeyCode::PageDown),
    ("lt", KeyCode::Char('<')),
    ("gt", KeyCode::Char('>')),
];

impl KeyPress {
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> KeyPress {
        normalise(code, modifiers)
    }

    /// A plain character with no modifiers, e.g. `KeyPress::char('j')`.
    pub fn char(c: char) -> KeyPress {
        KeyPress::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    pub fn from_event(event: &KeyEvent) -> KeyPress {
        KeyPress::new(event.code, event.modifiers)
    }

    /// Parses the keymap-file spelling. The error says what was wrong, without
    /// a location: the caller knows the file and line.
    pub fn parse(text: &str) -> Result<KeyPress, String> {
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (None, _) => return Err("empty key; write a key such as \"j\" or \"<Enter>\"".into()),
            (Some(c), None) => return Ok(KeyPress::char(c)),
            _ => {}
        }
        let Some(inner) = text.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
            return Err(format!(
                "unknown key \"{text}\"; a key is one character or a name in angle brackets \
                 like \"<Enter>\", and a sequence is a list like [\"g\", \"g\"]"
            ));
        };
        let (modifiers, name) = split_modifiers(inner);
        let code = parse_key_name(name).ok_or_else(|| {
            format!(
                "unknown key name \"{text}\"; known names are single characters and {}, \
                 F1 to F12, with optional C-, A- or S- modifiers",
                NAMED_KEYS
                    .iter()
                    .map(|(name, _)| format!("<{name}>"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        Ok(KeyPress::new(code, modifiers))
    }

    fn is_plain(&self) -> bool {
        self.modifiers.is_empty()
    }

    /// Whether a text input would take this key as typed text.
    pub fn is_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && !self
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    }
}

/// Peels `C-`, `A-`/`M-`, `S-` prefixes off a bracketed key name. The final
/// part is never taken as a modifier, so `<C-->` is Ctrl and `-`.
fn split_modifiers(mut inner: &str) -> (KeyModifiers, &str) {
    let mut modifiers = KeyModifiers::NONE;
    loop {
        let mut chars = inner.chars();
        let (Some(letter), Some('-'), Some(_)) = (chars.next(), chars.next(), chars.next()) else {
            return (modifiers, inner);
        };
        let modifier = match letter.to_ascii_uppercase() {
            'C' => KeyModifiers::CONTROL,
            'A' | 'M' => KeyModifiers::ALT,
            'S' => KeyModifiers::SHIFT,
            _ => return (modifiers, inner),
        };
        modifiers |= modifier;
        inner = &inner[2..];
    }
}

fn parse_key_name(name: &str) -> Option<KeyCode> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(KeyCode::Char(c));
    }
    if let Some(code) = NAMED_KEYS
        .iter()
        .chain(KEY_ALIASES)
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .map(|(_, code)| *code)
    {
        return Some(code);
    }
    let number = name.strip_prefix(['F', 'f'])?.parse::<u8>().ok()?;
    (1..=12).contains(&number).then_some(KeyCode::F(number))
}

/// One canonical form per physical key press. Terminals disagree about
/// whether Shift is reported alongside the character it produced; we keep the
/// character (`G`, `?`) and drop the Shift, and Shift+Tab is always BackTab.
fn normalise(code: KeyCode, modifiers: KeyModifiers) -> KeyPress {
    let mut modifiers =
        modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
    let code = match code {
        KeyCode::Char(c) if modifiers.contains(KeyModifiers::SHIFT) => {
            modifiers.remove(KeyModifiers::SHIFT);
            KeyCode::Char(c.to_ascii_uppercase())
        }
        KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
            modifiers.remove(KeyModifiers::SHIFT);
            KeyCode::BackTab
        }
        KeyCode::BackTab => {
            modifiers.remove(KeyModifiers::SHIFT);
            KeyCode::BackTab
        }
        other => other,
    };
    KeyPress { code, modifiers }
}

impl fmt::Display for KeyPress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) if self.is_plain() => return write!(f, "{c}"),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::BackTab => "S-Tab".to_owned(),
            KeyCode::F(n) => format!("F{n}"),
            code => NAMED_KEYS
                .iter()
                .find(|(_, known)| *known == code)
                .map_or_else(|| format!("{code:?}"), |(name, _)| (*name).to_owned()),
        };
        f.write_str("<")?;
        for (modifier, prefix) in [
            (KeyModifiers::CONTROL, "C-"),
            (KeyModifiers::ALT, "A-"),
            (KeyModifiers::SHIFT, "S-"),
        ] {
            if self.modifiers.contains(modifier) {
                f.write_str(prefix)?;
            }
        }
        write!(f, "{name}>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;

    fn parse(text: &str) -> KeyPress {
        KeyPress::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn parses_single_characters() {
        assert_eq!(parse("j"), KeyPress::char('j'));
        assert_eq!(parse("G").code, KeyCode::Char('G'));
        assert_eq!(parse("?").modifiers, KeyModifiers::NONE);
        assert_eq!(parse("<"), KeyPress::char('<'));
        assert_eq!(parse(" "), parse("<Space>"));
    }

    #[test]
    fn parses_bracketed_names_and_modifiers() {
        assert_eq!(
            parse("<C-c>"),
            KeyPress::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            parse("<A-x>"),
            KeyPress::new(KeyCode::Char('x'), KeyModifiers::ALT)
        );
        assert_eq!(parse("<S-Tab>"), parse("<BackTab>"));
        assert_eq!(parse("<enter>").code, KeyCode::Enter);
        assert_eq!(parse("<CR>").code, KeyCode::Enter);
        assert_eq!(parse("<F12>").code, KeyCode::F(12));
        assert_eq!(
            parse("<C-->"),
            KeyPress::new(KeyCode::Char('-'), KeyModifiers::CONTROL)
        );
        assert_eq!(parse("<S-a>"), parse("A"));
    }

    #[test]
    fn rejects_unknown_names_with_a_hint() {
        assert!(KeyPress::parse("<Entr>").unwrap_err().contains("<Enter>"));
        assert!(KeyPress::parse("<F13>").is_err());
        assert!(KeyPress::parse("gg")
            .unwrap_err()
            .contains("[\"g\", \"g\"]"));
        assert!(KeyPress::parse("").is_err());
    }

    #[test]
    fn shifted_characters_from_the_terminal_match_the_file_spelling() {
        let event = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(KeyPress::from_event(&event), parse("G"));
        let event = KeyEvent::new(KeyCode::Char('g'), KeyModifiers::SHIFT);
        assert_eq!(KeyPress::from_event(&event), parse("G"));
        let event = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(KeyPress::from_event(&event), parse("<S-Tab>"));
        let mut event = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        event.kind = KeyEventKind::Press;
        assert_eq!(KeyPress::from_event(&event), parse("<C-c>"));
    }

    #[test]
    fn display_round_trips_through_parse() {
        for text in [
            "j",
            "G",
            "?",
            "/",
            ":",
            "<",
            "<C-c>",
            "<A-x>",
            "<S-Tab>",
            "<Enter>",
            "<Esc>",
            "<Tab>",
            "<Backspace>",
            "<Space>",
            "<Up>",
            "<Down>",
            "<Left>",
            "<Right>",
            "<Home>",
            "<End>",
            "<PageUp>",
            "<PageDown>",
            "<Delete>",
            "<Insert>",
            "<F1>",
            "<F12>",
            "<C-A-d>",
            "<S-Up>",
        ] {
            let key = parse(text);
            assert_eq!(key.to_string(), text, "{key:?}");
            assert_eq!(parse(&key.to_string()), key);
        }
    }

    #[test]
    fn text_keys_are_plain_characters() {
        assert!(parse("j").is_text());
        assert!(parse("G").is_text());
        assert!(!parse("<C-c>").is_text());
        assert!(!parse("<Up>").is_text());
    }
}
