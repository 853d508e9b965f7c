//! Themes: a style per semantic slot, built from a named palette in TOML.
//! A user's theme file merges over a preset slot by slot, and the result is
//! fitted to the terminal's colour depth before any view sees it.

use std::collections::BTreeMap;

use ratatui::style::{Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use super::color::{degrade, parse_color, COLOR_SYNTAX};
use super::error::{ConfigError, Source};
use super::suggest::did_you_mean;

pub use super::color::ColorDepth;
pub use super::slot::Slot;

/// Theme presets compiled into the binary, by name.
const PRESETS: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Theme {
    /// From the file's `name = "…"`; a file without one takes its base's name.
    name: Option<String>,
    styles: BTreeMap<Slot, Style>,
}

impl Theme {
    pub fn preset_names() -> impl Iterator<Item = &'static str> {
        PRESETS.iter().map(|(name, _)| *name)
    }

    pub fn preset(name: &str) -> Result<Theme, ConfigError> {
        let (name, text) = PRESETS
            .iter()
            .find(|(preset, _)| *preset == name)
            .ok_or_else(|| ConfigError::UnknownPreset {
                kind: "theme",
                name: name.to_owned(),
                known: Theme::preset_names().collect(),
            })?;
        Theme::parse(text, &format!("<embedded themes/{name}.toml>"))
    }

    pub fn parse(text: &str, path_for_errors: &str) -> Result<Theme, ConfigError> {
        let source = Source::new(path_for_errors, text);
        let raw: RawTheme = toml::from_str(text).map_err(|e| source.toml_error(&e))?;

        let mut palette = BTreeMap::new();
        for (name, value) in raw.palette {
            let color = parse_color(value.as_ref()).map_err(|message| {
                source.error_at(
                    value.span(),
                    format!("[palette] {}: {message}", name.as_ref()),
                )
            })?;
            palette.insert(name.into_inner(), color);
        }

        let mut entries: Vec<_> = raw.styles.into_iter().collect();
        entries.sort_by_key(|(name, _)| name.span().start);
        let mut styles = BTreeMap::new();
        for (name, spec) in entries {
            let slot = Slot::from_name(name.as_ref()).ok_or_else(|| {
                source.error_at(
                    name.span(),
                    format!(
                        "unknown style slot \"{}\" in [styles]{}",
                        name.as_ref(),
                        did_you_mean(name.as_ref(), Slot::ALL.iter().map(|s| s.name()))
                    ),
                )
            })?;
            let style = spec.into_inner().resolve(&source, slot, &palette)?;
            styles.insert(slot, style);
        }
        Ok(Theme {
            name: raw.name,
            styles,
        })
    }

    /// This theme's slots over `base`: a slot this theme does not style keeps
    /// the base's style.
    pub fn merged_over(self, base: Theme) -> Theme {
        let mut styles = base.styles;
        styles.extend(self.styles);
        Theme {
            name: self.name.or(base.name),
            styles,
        }
    }

    /// Fits every colour to what the terminal can show; at `Mono` only the
    /// modifiers (bold, reversed, …) remain.
    pub fn degraded(self, depth: ColorDepth) -> Theme {
        let styles = self
            .styles
            .into_iter()
            .map(|(slot, mut style)| {
                style.fg = style.fg.and_then(|c| degrade(c, depth));
                style.bg = style.bg.and_then(|c| degrade(c, depth));
                (slot, style)
            })
            .collect();
        Theme {
            name: self.name,
            styles,
        }
    }

    pub fn style(&self, slot: Slot) -> Style {
        self.styles.get(&slot).copied().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("custom")
    }

    /// Slots this theme styles (a preset styles all of them).
    pub fn has(&self, slot: Slot) -> bool {
        self.styles.contains_key(&slot)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    name: Option<String>,
    #[serde(default)]
    palette: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    styles: BTreeMap<Spanned<String>, Spanned<RawStyle>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    fg: Option<Spanned<String>>,
    bg: Option<Spanned<String>>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reversed: bool,
    #[serde(default)]
    dim: bool,
}

impl RawStyle {
    fn resolve(
        self,
        source: &Source,
        slot: Slot,
        palette: &BTreeMap<String, ratatui::style::Color>,
    ) -> Result<Style, ConfigError> {
        // A colour is a palette name first, so palettes may use any names.
        let color = |value: &Spanned<String>, field: &str| {
            let text = value.as_ref();
            palette
                .get(text)
                .copied()
                .or_else(|| parse_color(text).ok())
                .ok_or_else(|| {
                    source.error_at(
                        value.span(),
                        format!(
                            "unknown colour \"{text}\" for {field} of \"{}\": not in [palette] \
                             and not a colour ({COLOR_SYNTAX}){}",
                            slot.name(),
                            did_you_mean(text, palette.keys().map(String::as_str))
                        ),
                    )
                })
        };
        let mut style = Style::default();
        if let Some(fg) = &self.fg {
            style = style.fg(color(fg, "fg")?);
        }
        if let Some(bg) = &self.bg {
            style = style.bg(color(bg, "bg")?);
        }
        for (wanted, modifier) in [
            (self.bold, Modifier::BOLD),
            (self.italic, Modifier::ITALIC),
            (self.underline, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
            (self.dim, Modifier::DIM),
        ] {
            if wanted {
                style = style.add_modifier(modifier);
            }
        }
        Ok(style)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Color;

    fn parse(text: &str) -> Theme {
        Theme::parse(text, "theme.toml").unwrap_or_else(|e| panic!("{e}"))
    }

    fn parse_err(text: &str) -> String {
        Theme::parse(text, "theme.toml").unwrap_err().to_string()
    }

    #[test]
    fn every_preset_parses_and_styles_every_slot() {
        for name in Theme::preset_names() {
            let theme = Theme::preset(name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(theme.name(), name);
            for slot in Slot::ALL {
                assert!(theme.has(*slot), "{name} has no style for {}", slot.name());
            }
        }
        assert!(matches!(
            Theme::preset("solarized"),
            Err(ConfigError::UnknownPreset { .. })
        ));
    }

    #[test]
    fn mono_has_no_colour_yet_keeps_states_and_selection_apart() {
        let mono = Theme::preset("mono").unwrap();
        for slot in Slot::ALL {
            let style = mono.style(*slot);
            assert_eq!((style.fg, style.bg), (None, None), "{}", slot.name());
        }
        let distinct = |slots: &[Slot]| {
            for (i, a) in slots.iter().enumerate() {
                for b in &slots[i + 1..] {
                    assert_ne!(
                        mono.style(*a),
                        mono.style(*b),
                        "{} vs {}",
                        a.name(),
                        b.name()
                    );
                }
            }
        };
        distinct(&[
            Slot::StateRunning,
            Slot::StateExited,
            Slot::StatePaused,
            Slot::StateRestarting,
            Slot::StateCreated,
            Slot::StateDead,
        ]);
        distinct(&[
            Slot::HealthHealthy,
            Slot::HealthUnhealthy,
            Slot::HealthStarting,
        ]);
        distinct(&[Slot::Text, Slot::TableSelected, Slot::TableMarked]);
        distinct(&[Slot::DialogButton, Slot::DialogButtonFocused]);
        distinct(&[Slot::LogsMatch, Slot::LogsMatchCurrent]);
    }

    #[test]
    fn styles_resolve_palette_names_and_literal_colours() {
        let theme = parse(
            r##"name = "ocean"
                [palette]
                sea = "#0080ff"
                [styles]
                title = { fg = "sea", bold = true }
                "table.selected" = { fg = "black", bg = "idx:24", reversed = true }
            "##,
        );
        assert_eq!(theme.name(), "ocean");
        assert_eq!(
            theme.style(Slot::Title),
            Style::default()
                .fg(Color::Rgb(0, 128, 255))
                .add_modifier(Modifier::BOLD)
        );
        let selected = theme.style(Slot::TableSelected);
        assert_eq!(selected.bg, Some(Color::Indexed(24)));
        assert!(selected.add_modifier.contains(Modifier::REVERSED));
        assert_eq!(theme.style(Slot::Text), Style::default());
    }

    #[test]
    fn user_slots_merge_over_the_preset() {
        let dark = Theme::preset("dark").unwrap();
        let user = parse("[styles]\ntitle = { fg = \"red\" }\n");
        let merged = user.merged_over(dark.clone());
        assert_eq!(merged.name(), "dark");
        assert_eq!(merged.style(Slot::Title), Style::default().fg(Color::Red));
        assert_eq!(merged.style(Slot::Border), dark.style(Slot::Border));
    }

    #[test]
    fn degrading_fits_colours_to_the_terminal() {
        let theme =
            parse("[styles]\ntitle = { fg = \"#ff0000\", bg = \"idx:196\", bold = true }\n");
        let at = |depth| theme.clone().degraded(depth).style(Slot::Title);
        assert_eq!(at(ColorDepth::TrueColor).fg, Some(Color::Rgb(255, 0, 0)));
        assert_eq!(at(ColorDepth::Ansi256).fg, Some(Color::Indexed(196)));
        assert_eq!(at(ColorDepth::Ansi16).bg, Some(Color::LightRed));
        let mono = at(ColorDepth::Mono);
        assert_eq!((mono.fg, mono.bg), (None, None));
        assert!(mono.add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn errors_name_the_line_and_the_fix() {
        let err = parse_err("[palette]\nsea = \"#0080ff\"\n[styles]\ntitle = { fg = \"saa\" }\n");
        assert!(
            err.starts_with("theme.toml:4:16: unknown colour \"saa\""),
            "{err}"
        );
        assert!(err.contains("did you mean \"sea\"?"), "{err}");
        let err = parse_err("[styles]\n\"table.selcted\" = { bold = true }\n");
        assert!(
            err.starts_with("theme.toml:2:1: unknown style slot"),
            "{err}"
        );
        assert!(err.contains("did you mean \"table.selected\"?"), "{err}");
        let err = parse_err("[palette]\nsea = \"#0080f\"\n");
        assert!(err.starts_with("theme.toml:2:7: [palette] sea:"), "{err}");
        let err = parse_err("[styles]\ntitle = { fg = \"red\", blink = true }\n");
        assert!(err.starts_with("theme.toml:2:"), "{err}");
        assert!(err.contains("blink"), "{err}");
        let err = parse_err("[styles\n");
        assert!(err.starts_with("theme.toml:1:"), "{err}");
    }
}
