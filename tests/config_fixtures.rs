//! Configuration files under fixtures/config: valid ones load, and every
//! invalid one is reported with its file name, the right line and a hint.

use std::path::PathBuf;

use wheelhouse::app::action::{Action, KeyContext};
use wheelhouse::config::{ConfigError, KeyPress, Keymap, Lookup, Settings, Slot, Theme};

fn fixture(name: &str) -> (String, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/config")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path.display().to_string(), text)
}

/// Asserts the message starts with `path:line:` and contains `hint`.
fn assert_reported(err: ConfigError, path: &str, line: usize, hint: &str) {
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("{path}:{line}:")),
        "wrong place: {message}"
    );
    assert!(message.contains(hint), "no hint {hint:?}: {message}");
    assert_eq!(err.line(), Some(line));
}

fn keys(texts: &[&str]) -> Vec<KeyPress> {
    texts.iter().map(|t| KeyPress::parse(t).unwrap()).collect()
}

#[test]
fn invalid_keymaps_are_reported_where_they_are_wrong() {
    let cases = [
        ("keymap/bad_toml.toml", 3, "missing comma"),
        (
            "keymap/unknown_action.toml",
            6,
            "unknown action \"stp\" in [table]; did you mean \"stop\"?",
        ),
        (
            "keymap/unknown_key.toml",
            4,
            "unknown key name \"<Ctrl-s>\"",
        ),
        (
            "keymap/duplicate_key.toml",
            5,
            "\"s\" is bound twice in [table] (first on line 3)",
        ),
        ("keymap/ambiguous_prefix.toml", 4, "ambiguous in [table]"),
        ("keymap/missing_on.toml", 4, "no \"on\""),
        (
            "keymap/unknown_section.toml",
            4,
            "unknown section [logz]; sections are",
        ),
    ];
    for (name, line, hint) in cases {
        let (path, text) = fixture(name);
        let err = Keymap::parse(&text, &path).expect_err(name);
        assert_reported(err, &path, line, hint);
    }
}

#[test]
fn a_valid_keymap_overlay_rebinds_unbinds_and_adds() {
    let (path, text) = fixture("keymap/valid_overlay.toml");
    let keymap = Keymap::parse(&text, &path)
        .unwrap()
        .merged_over(Keymap::preset("default").unwrap());
    let table = KeyContext::Table;
    assert_eq!(
        keymap.lookup(table, &keys(&["x"])),
        Lookup::Action(Action::Stop.into())
    );
    assert_eq!(keymap.lookup(table, &keys(&["s"])), Lookup::Unbound);
    assert_eq!(keymap.lookup(table, &keys(&["c"])), Lookup::Prefix);
    assert_eq!(
        keymap.lookup(table, &keys(&["c", "c"])),
        Lookup::Action(Action::ClearMarks.into())
    );
    assert_eq!(keymap.hint(table, Action::Stop).as_deref(), Some("x"));
    assert_eq!(
        keymap.hint(KeyContext::Logs, Action::SaveLogs).as_deref(),
        Some("S")
    );
    assert_eq!(
        keymap.lookup(KeyContext::Logs, &keys(&["<C-s>"])),
        Lookup::Action(Action::SaveLogs.into())
    );
}

#[test]
fn invalid_themes_are_reported_where_they_are_wrong() {
    let cases = [
        ("theme/bad_toml.toml", 2, "string values must be quoted"),
        (
            "theme/unknown_colour.toml",
            6,
            "unknown colour \"acent\" for fg of \"border\"",
        ),
        (
            "theme/bad_palette_colour.toml",
            3,
            "[palette] danger: \"#e06c6\" is not a colour",
        ),
        (
            "theme/unknown_slot.toml",
            3,
            "did you mean \"state.running\"?",
        ),
        ("theme/unknown_field.toml", 2, "blink"),
    ];
    for (name, line, hint) in cases {
        let (path, text) = fixture(name);
        let err = Theme::parse(&text, &path).expect_err(name);
        assert_reported(err, &path, line, hint);
    }
}

#[test]
fn a_valid_theme_overlay_keeps_the_preset_for_other_slots() {
    let (path, text) = fixture("theme/valid_overlay.toml");
    let dark = Theme::preset("dark").unwrap();
    let theme = Theme::parse(&text, &path)
        .unwrap()
        .merged_over(dark.clone());
    assert_ne!(theme.style(Slot::Title), dark.style(Slot::Title));
    assert_eq!(
        theme.style(Slot::StateRunning),
        dark.style(Slot::StateRunning)
    );
}

#[test]
fn invalid_settings_are_reported_where_they_are_wrong() {
    let cases = [
        ("settings/bad_toml.toml", 2, "string values must be quoted"),
        (
            "settings/unknown_field.toml",
            3,
            "unknown setting \"colour_theme\"",
        ),
        (
            "settings/log_buffer_too_small.toml",
            2,
            "log_buffer_lines must be at least 100 (got 10)",
        ),
        (
            "settings/wrong_type.toml",
            2,
            "read_only must be true or false",
        ),
    ];
    for (name, line, hint) in cases {
        let (path, text) = fixture(name);
        let err = Settings::parse(&text, &path).expect_err(name);
        assert_reported(err, &path, line, hint);
    }
}

#[test]
fn valid_settings_load() {
    let (path, text) = fixture("settings/valid.toml");
    let settings = Settings::parse(&text, &path).unwrap();
    assert!(settings.read_only);
    assert_eq!(settings.log_buffer_lines, 2000);
    assert_eq!(settings.keymap, "vim");
}
