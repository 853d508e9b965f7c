//! `config.toml`: the user's settings. Every field is optional; errors name
//! the file, the line and the field.

use serde::Deserialize;
use toml::{Spanned, Value};

use super::error::{ConfigError, Source};

/// Fewer lines than this would make the log view useless for context.
pub const MIN_LOG_BUFFER_LINES: usize = 100;
/// Faster ticks would spend CPU polling the engine for little gain.
pub const MIN_TICK_MS: u64 = 50;
/// Sampling faster than this turns counter jitter into noise and costs CPU for nothing.
pub const MIN_SAMPLE_MS: u64 = 250;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Refuse every mutation (start, stop, remove, …).
    pub read_only: bool,
    /// Lines of log kept per container.
    pub log_buffer_lines: usize,
    /// A theme preset name or a path to a theme file.
    pub theme: String,
    /// A keymap preset name or a path to a keymap file.
    pub keymap: String,
    /// How often the screen and stats refresh.
    pub tick_ms: u64,
    /// How often resource use is sampled (one history point per sample).
    pub sample_ms: u64,
    /// Use of a limit (CPU, memory, pids) at or above this percentage is drawn as near it…
    pub near_limit_percent: u64,
    /// …and at or above this one as over it.
    pub over_limit_percent: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            read_only: false,
            log_buffer_lines: 10_000,
            theme: "dark".to_owned(),
            keymap: "default".to_owned(),
            tick_ms: 1000,
            sample_ms: 1000,
            near_limit_percent: 80,
            over_limit_percent: 95,
        }
    }
}

/// Values are kept as raw TOML so that a wrong type can be reported with the
/// field's name; serde's own message would not name it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    read_only: Option<Spanned<Value>>,
    log_buffer_lines: Option<Spanned<Value>>,
    theme: Option<Spanned<Value>>,
    keymap: Option<Spanned<Value>>,
    tick_ms: Option<Spanned<Value>>,
    sample_ms: Option<Spanned<Value>>,
    near_limit_percent: Option<Spanned<Value>>,
    over_limit_percent: Option<Spanned<Value>>,
}

impl Settings {
    pub fn parse(text: &str, path_for_errors: &str) -> Result<Settings, ConfigError> {
        let source = Source::new(path_for_errors, text);
        let raw: RawSettings = toml::from_str(text).map_err(|e| source.toml_error(&e))?;
        let field = Field { source: &source };
        let defaults = Settings::default();
        let over_span = raw.over_limit_percent.as_ref().map(|v| v.span());
        let settings = Settings {
            read_only: field
                .bool("read_only", raw.read_only)?
                .unwrap_or(defaults.read_only),
            log_buffer_lines: field
                .integer(
                    "log_buffer_lines",
                    raw.log_buffer_lines,
                    MIN_LOG_BUFFER_LINES as u64,
                )?
                .map_or(defaults.log_buffer_lines, |n| n as usize),
            theme: field.string("theme", raw.theme)?.unwrap_or(defaults.theme),
            keymap: field
                .string("keymap", raw.keymap)?
                .unwrap_or(defaults.keymap),
            tick_ms: field
                .integer("tick_ms", raw.tick_ms, MIN_TICK_MS)?
                .unwrap_or(defaults.tick_ms),
            sample_ms: field
                .integer("sample_ms", raw.sample_ms, MIN_SAMPLE_MS)?
                .unwrap_or(defaults.sample_ms),
            near_limit_percent: field
                .integer("near_limit_percent", raw.near_limit_percent, 1)?
                .unwrap_or(defaults.near_limit_percent),
            over_limit_percent: field
                .integer("over_limit_percent", raw.over_limit_percent, 1)?
                .unwrap_or(defaults.over_limit_percent),
        };
        if settings.near_limit_percent >= settings.over_limit_percent {
            let message = format!(
                "near_limit_percent ({}) must be below over_limit_percent ({})",
                settings.near_limit_percent, settings.over_limit_percent
            );
            return Err(source.error_at(over_span.unwrap_or(0..0), message));
        }
        Ok(settings)
    }
}

/// Checks one field's value and reports problems at its position.
struct Field<'a> {
    source: &'a Source<'a>,
}

impl Field<'_> {
    fn bool(&self, name: &str, value: Option<Spanned<Value>>) -> Result<Option<bool>, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        match value.as_ref() {
            Value::Boolean(b) => Ok(Some(*b)),
            other => Err(self.wrong_type(name, &value, "true or false", other)),
        }
    }

    fn string(
        &self,
        name: &str,
        value: Option<Spanned<Value>>,
    ) -> Result<Option<String>, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        match value.as_ref() {
            Value::String(s) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Value::String(_) => Err(self.source.error_at(
                value.span(),
                format!("{name} is empty; give a preset name or a file path"),
            )),
            other => Err(self.wrong_type(name, &value, "a string in quotes", other)),
        }
    }

    fn integer(
        &self,
        name: &str,
        value: Option<Spanned<Value>>,
        minimum: u64,
    ) -> Result<Option<u64>, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        match value.as_ref() {
            Value::Integer(n) => match u64::try_from(*n) {
                Ok(n) if n >= minimum => Ok(Some(n)),
                _ => Err(self.source.error_at(
                    value.span(),
                    format!("{name} must be at least {minimum} (got {n})"),
                )),
            },
            other => Err(self.wrong_type(name, &value, "a whole number", other)),
        }
    }

    fn wrong_type(
        &self,
        name: &str,
        at: &Spanned<Value>,
        expected: &str,
        got: &Value,
    ) -> ConfigError {
        self.source.error_at(
            at.span(),
            format!("{name} must be {expected}, not {} {got}", got.type_str()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(text: &str) -> String {
        Settings::parse(text, "config.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn an_empty_file_gives_the_defaults() {
        assert_eq!(
            Settings::parse("", "config.toml").unwrap(),
            Settings::default()
        );
    }

    #[test]
    fn every_field_can_be_set() {
        let settings = Settings::parse(
            "read_only = true\nlog_buffer_lines = 500\ntheme = \"light\"\nkeymap = \"vim\"\ntick_ms = 250\nsample_ms = 2000\nnear_limit_percent = 70\nover_limit_percent = 90\n",
            "config.toml",
        )
        .unwrap();
        assert_eq!(
            settings,
            Settings {
                read_only: true,
                log_buffer_lines: 500,
                theme: "light".into(),
                keymap: "vim".into(),
                tick_ms: 250,
                sample_ms: 2000,
                near_limit_percent: 70,
                over_limit_percent: 90,
            }
        );
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let err = parse_err("theme = \"dark\"\nlog_buffer_lines = 5\n");
        assert_eq!(
            err,
            "config.toml:2:20: log_buffer_lines must be at least 100 (got 5)"
        );
        let err = parse_err("\nread_only = \"yes\"\n");
        assert!(
            err.starts_with("config.toml:2:13: read_only must be true or false"),
            "{err}"
        );
        let err = parse_err("tick_ms = 0\n");
        assert!(err.contains("tick_ms must be at least 50"), "{err}");
        let err = parse_err("near_limit_percent = 90\nover_limit_percent = 85\n");
        assert!(
            err.contains(":2:") && err.contains("must be below"),
            "{err}"
        );
        let err = parse_err("sample_ms = 10\n");
        assert!(err.contains("sample_ms must be at least 250"), "{err}");
        let err = parse_err("read_only = false\nthme = \"dark\"\n");
        assert!(err.starts_with("config.toml:2:1:"), "{err}");
        assert!(err.contains("thme"), "{err}");
        let err = parse_err("keymap = \n");
        assert!(err.starts_with("config.toml:1:"), "{err}");
    }
}
