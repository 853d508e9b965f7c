//! `load`: which file wins, and which failures are fatal or only warnings.

use std::fs;

use ratatui::style::Color;
use tempfile::TempDir;

use super::*;
use crate::app::action::{Action, KeyContext};

/// A throwaway config dir and data dir, plus extra environment variables.
struct Setup {
    config: TempDir,
    data: TempDir,
    vars: Vec<(&'static str, String)>,
}

impl Setup {
    fn new() -> Setup {
        Setup {
            config: TempDir::new().unwrap(),
            data: TempDir::new().unwrap(),
            vars: vec![("COLORTERM", "truecolor".into())],
        }
    }

    fn write(&self, name: &str, text: &str) -> &Self {
        fs::write(self.config.path().join(name), text).unwrap();
        self
    }

    fn var(mut self, name: &'static str, value: &str) -> Self {
        self.vars.retain(|(n, _)| *n != name);
        self.vars.push((name, value.into()));
        self
    }

    fn load(&self, options: &LoadOptions) -> Result<Loaded, ConfigError> {
        let config_dir = self.config.path().display().to_string();
        let data_dir = self.data.path().display().to_string();
        load(options, |name| match name {
            paths::CONFIG_DIR_VAR => Some(config_dir.clone()),
            paths::DATA_DIR_VAR => Some(data_dir.clone()),
            _ => self
                .vars
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone()),
        })
    }

    fn load_ok(&self, options: &LoadOptions) -> Loaded {
        self.load(options).unwrap_or_else(|e| panic!("{e}"))
    }
}

fn key(text: &str) -> Vec<KeyPress> {
    vec![KeyPress::parse(text).unwrap()]
}

fn is_rgb(color: Option<Color>) -> bool {
    matches!(color, Some(Color::Rgb(..)))
}

#[test]
fn with_no_files_everything_is_default() {
    let setup = Setup::new();
    let loaded = setup.load_ok(&LoadOptions::default());
    assert_eq!(loaded.settings, Settings::default());
    assert_eq!(loaded.keymap, Keymap::preset("default").unwrap());
    assert_eq!(loaded.theme, Theme::preset("dark").unwrap());
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.paths.config_dir, setup.config.path());
    assert_eq!(
        loaded.paths.audit_log,
        setup.data.path().join("audit.jsonl")
    );
}

#[test]
fn command_line_wins_over_config_file() {
    let setup = Setup::new();
    setup.write(
        "config.toml",
        "keymap = \"default\"\ntheme = \"light\"\nread_only = false\n",
    );
    let loaded = setup.load_ok(&LoadOptions {
        keymap: Some("vim".into()),
        read_only_flag: true,
        ..LoadOptions::default()
    });
    assert!(loaded.settings.read_only);
    assert_eq!(loaded.settings.keymap, "vim");
    assert_eq!(loaded.settings.theme, "light");
    assert_eq!(loaded.keymap, Keymap::preset("vim").unwrap());
    assert_eq!(loaded.theme.name(), "light");
}

#[test]
fn user_files_merge_over_the_chosen_presets() {
    let setup = Setup::new();
    setup
        .write("config.toml", "keymap = \"vim\"\n")
        .write(
            "keymap.toml",
            "[table]\nkeymap = [\n  { on = \"K\", run = \"none\" },\n  { on = \"X\", run = \"kill\", desc = \"Kill\" },\n]\n",
        )
        .write("theme.toml", "[styles]\ntitle = { fg = \"#102030\" }\n");
    let loaded = setup.load_ok(&LoadOptions::default());
    let table = KeyContext::Table;
    assert_eq!(loaded.keymap.lookup(table, &key("K")), Lookup::Unbound);
    assert_eq!(
        loaded.keymap.lookup(table, &key("X")),
        Lookup::Action(Action::Kill.into())
    );
    // vim's `dd` is still there underneath the user's file.
    assert_eq!(
        loaded.keymap.hint(table, Action::Remove).as_deref(),
        Some("d d")
    );
    assert_eq!(
        loaded.theme.style(Slot::Title).fg,
        Some(Color::Rgb(16, 32, 48))
    );
    assert_eq!(loaded.theme.name(), "dark");
}

#[test]
fn broken_files_in_the_config_dir_fall_back_with_a_warning() {
    let setup = Setup::new();
    setup
        .write("config.toml", "theme = \"light\"\nlog_buffer_lines = 3\n")
        .write(
            "keymap.toml",
            "[table]\nkeymap = [{ on = \"s\", run = \"stp\" }]\n",
        )
        .write(
            "theme.toml",
            "[styles]\n\"state.runing\" = { bold = true }\n",
        );
    let loaded = setup.load_ok(&LoadOptions::default());
    // The valid key of the broken config file is kept; the wrong one keeps its default.
    assert_eq!(
        loaded.settings,
        Settings {
            theme: "light".into(),
            ..Settings::default()
        }
    );
    assert_eq!(loaded.read_only_reason, None);
    assert_eq!(loaded.keymap, Keymap::preset("default").unwrap());
    assert_eq!(loaded.theme, Theme::preset("light").unwrap());
    let expected = [
        ("config.toml:2:", "log_buffer_lines must be at least 100"),
        ("keymap.toml:2:", "did you mean \"stop\"?"),
        ("theme.toml:2:", "did you mean \"state.running\"?"),
    ];
    assert_eq!(
        loaded.warnings.len(),
        expected.len(),
        "{:?}",
        loaded.warnings
    );
    for (warning, (location, hint)) in loaded.warnings.iter().zip(expected) {
        assert!(warning.contains(location), "{warning}");
        assert!(warning.contains(hint), "{warning}");
    }
}

#[test]
fn a_broken_config_file_never_lowers_safety() {
    let read_only = |text: &str| {
        let setup = Setup::new();
        setup.write("config.toml", text);
        let loaded = setup.load_ok(&LoadOptions::default());
        (
            loaded.settings.read_only,
            loaded.read_only_reason,
            loaded.warnings,
        )
    };
    // A valid read_only beside a wrong key is kept.
    let (on, reason, warnings) = read_only("read_only = true\nlog_buffer_lines = 50\n");
    assert!(on && reason.is_none());
    assert!(warnings[0].contains("config.toml:2:"), "{warnings:?}");
    // A wrong read_only, or a key that looks like one, means read-only.
    let (on, _, warnings) = read_only("read_only = \"yes\"\n");
    assert!(on, "{warnings:?}");
    assert!(warnings[0].contains("read-only stays on"), "{warnings:?}");
    let (on, _, warnings) = read_only("read_olny = false\n");
    assert!(on, "{warnings:?}");
    assert!(
        warnings[0].contains("did you mean \"read_only\""),
        "{warnings:?}"
    );
    // A file that is not TOML at all may have said read_only = true: read-only, with the reason.
    let (on, reason, warnings) = read_only("read_only = true\ntheme = dark\n");
    assert!(on);
    let reason = reason.expect("a reason to show");
    assert!(reason.contains("config.toml:2:"), "{reason}");
    assert!(warnings[0].contains("--read-write"), "{warnings:?}");
    // Nothing broken: writable as before.
    let (on, reason, warnings) = read_only("theme = \"light\"\n");
    assert!(!on && reason.is_none() && warnings.is_empty());
}

#[test]
fn an_unreadable_config_file_means_read_only_unless_read_write_is_given() {
    let setup = Setup::new();
    // A directory where the file should be: it exists, and cannot be read.
    fs::create_dir(setup.config.path().join("config.toml")).unwrap();
    let loaded = setup.load_ok(&LoadOptions::default());
    assert!(loaded.settings.read_only);
    let reason = loaded.read_only_reason.expect("reason");
    assert!(
        reason.contains("a directory, not a regular file"),
        "{reason}"
    );

    let loaded = setup.load_ok(&LoadOptions {
        read_write_flag: true,
        ..LoadOptions::default()
    });
    assert!(!loaded.settings.read_only);
    assert_eq!(loaded.read_only_reason, None);
}

#[test]
fn an_unknown_preset_named_in_the_config_file_is_a_warning() {
    let setup = Setup::new();
    setup.write("config.toml", "keymap = \"vimm\"\n");
    let loaded = setup.load_ok(&LoadOptions::default());
    assert_eq!(loaded.keymap, Keymap::preset("default").unwrap());
    assert_eq!(loaded.warnings.len(), 1);
    assert!(
        loaded.warnings[0].contains("unknown keymap \"vimm\""),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn broken_files_named_on_the_command_line_are_fatal() {
    let setup = Setup::new();
    let keymap = setup.config.path().join("mine.toml");
    fs::write(
        &keymap,
        "[logs]\nkeymap = [\n  { on = \"<Entr>\", run = \"search\" },\n]\n",
    )
    .unwrap();
    let err = setup
        .load(&LoadOptions {
            keymap: Some(keymap.display().to_string()),
            ..LoadOptions::default()
        })
        .unwrap_err();
    assert_eq!(err.line(), Some(3));
    assert!(err.to_string().contains("mine.toml:3:"), "{err}");

    let err = setup
        .load(&LoadOptions {
            theme: Some("solarised".into()),
            ..LoadOptions::default()
        })
        .unwrap_err();
    assert!(
        err.to_string().contains("unknown theme \"solarised\""),
        "{err}"
    );

    let missing = setup.config.path().join("nope.toml");
    let err = setup
        .load(&LoadOptions {
            config_path: Some(missing.clone()),
            ..LoadOptions::default()
        })
        .unwrap_err();
    assert!(matches!(err, ConfigError::Unreadable { .. }), "{err}");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
}

#[test]
fn a_keymap_file_fills_gaps_from_the_default_preset() {
    let setup = Setup::new();
    let mine = setup.config.path().join("mine.toml");
    fs::write(
        &mine,
        "[table]\nkeymap = [{ on = \"x\", run = \"stop\", desc = \"Stop\" }]\n",
    )
    .unwrap();
    let loaded = setup.load_ok(&LoadOptions {
        keymap: Some(mine.display().to_string()),
        ..LoadOptions::default()
    });
    let table = KeyContext::Table;
    assert_eq!(
        loaded.keymap.lookup(table, &key("x")),
        Lookup::Action(Action::Stop.into())
    );
    assert_eq!(
        loaded.keymap.lookup(table, &key("q")),
        Lookup::Action(Action::Quit.into())
    );
}

#[test]
fn files_named_in_config_toml_are_found_next_to_it() {
    let setup = Setup::new();
    setup
        .write("config.toml", "theme = \"ocean.toml\"\n")
        .write(
            "ocean.toml",
            "name = \"ocean\"\n[styles]\ntitle = { fg = \"#000080\" }\n",
        );
    let loaded = setup.load_ok(&LoadOptions::default());
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.theme.name(), "ocean");
    assert_eq!(
        loaded.theme.style(Slot::Title).fg,
        Some(Color::Rgb(0, 0, 128))
    );
    // Slots the file leaves out come from the default preset.
    let dark = Theme::preset("dark").unwrap();
    assert_eq!(loaded.theme.style(Slot::Border), dark.style(Slot::Border));
}

#[test]
fn no_color_gives_the_mono_theme() {
    let setup = Setup::new().var("NO_COLOR", "1");
    setup.write("config.toml", "theme = \"light\"\n");
    let loaded = setup.load_ok(&LoadOptions::default());
    assert_eq!(loaded.theme.name(), "mono");
    for slot in Slot::ALL {
        let style = loaded.theme.style(*slot);
        assert_eq!((style.fg, style.bg), (None, None), "{}", slot.name());
    }
}

#[test]
fn the_theme_is_fitted_to_the_colour_depth() {
    let truecolor = Setup::new().load_ok(&LoadOptions::default()).theme;
    assert!(is_rgb(truecolor.style(Slot::StateRunning).fg));

    let ansi16 = Setup::new()
        .var("COLORTERM", "")
        .var("TERM", "xterm")
        .load_ok(&LoadOptions::default())
        .theme;
    for slot in Slot::ALL {
        let style = ansi16.style(*slot);
        for color in [style.fg, style.bg].into_iter().flatten() {
            assert!(
                !matches!(color, Color::Rgb(..) | Color::Indexed(_)),
                "{}",
                slot.name()
            );
        }
    }
}
