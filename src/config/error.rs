//! Errors in configuration files. Every message names the file, the line (and
//! column when known) and what to change, because the person reading it is
//! looking at that file in an editor.

use std::fmt;
use std::ops::Range;

/// Where in a configuration file something went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "{}:{}:{}", self.file, self.line, column),
            None => write!(f, "{}:{}", self.file, self.line),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file exists (or was named) but could not be read.
    #[error("{file}: cannot read: {reason}")]
    Unreadable { file: String, reason: String },
    /// The file was read but its content is wrong at a known place.
    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },
    /// A `--keymap`/`--theme` value that is neither a preset nor a file.
    #[error("unknown {kind} \"{name}\": not a file and not one of the presets ({})", known.join(", "))]
    UnknownPreset {
        kind: &'static str,
        name: String,
        known: Vec<&'static str>,
    },
    /// Neither the platform nor the environment says where files belong.
    #[error("cannot find a home directory for wheelhouse's files; set {variable}")]
    NoHomeDirectory { variable: &'static str },
}

impl ConfigError {
    /// The line the error points at, when it points at one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Invalid { at, .. } => Some(at.line),
            _ => None,
        }
    }
}

/// The text of one configuration file and the name to use for it in messages.
/// It turns byte spans (what the TOML parser reports) into line and column.
pub(crate) struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl<'a> Source<'a> {
    pub fn new(name: &'a str, text: &'a str) -> Self {
        Source { name, text }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    pub fn error_at(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        let (line, column) = self.position(span.start);
        ConfigError::Invalid {
            at: Location {
                file: self.name.to_owned(),
                line,
                column: Some(column),
            },
            message: message.into(),
        }
    }

    /// A TOML syntax or shape error, keeping the parser's own description.
    pub fn toml_error(&self, err: &toml::de::Error) -> ConfigError {
        let message = err.message().trim_end().to_owned();
        match err.span() {
            Some(span) => self.error_at(span, message),
            // Without a span the best we can do is point at the top of the file.
            None => ConfigError::Invalid {
                at: Location {
                    file: self.name.to_owned(),
                    line: 1,
                    column: None,
                },
                message,
            },
        }
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let source = Source::new("f.toml", "ab\nçd = 1\n");
        assert_eq!(source.position(0), (1, 1));
        assert_eq!(source.position(3), (2, 1));
        // 'ç' is two bytes but one column
        assert_eq!(source.position(6), (2, 3));
    }

    #[test]
    fn invalid_names_file_line_and_column() {
        let err = Source::new("keymaps/custom.toml", "\n\nx").error_at(2..3, "bad");
        assert_eq!(err.to_string(), "keymaps/custom.toml:3:1: bad");
        assert_eq!(err.line(), Some(3));
    }
}
