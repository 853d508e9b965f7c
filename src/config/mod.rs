//! Settings, paths, keymaps and themes: loading and validation.
//!
//! What the user names on the command line must work, so a broken file given
//! there is fatal. Files found in the config directory are the user's
//! standing preferences; a broken one falls back to the built-in default and
//! is reported as a warning, so wheelhouse still starts.

mod color;
pub mod error;
pub mod file;
pub mod keymap;
mod keypress;
pub mod paths;
pub mod settings;
mod slot;
pub(crate) mod suggest;
pub mod theme;

use std::io;
use std::path::{Path, PathBuf};

pub use error::ConfigError;
pub use keymap::{Binding, KeyPress, Keymap, Lookup};
pub use paths::Paths;
pub use settings::Settings;
pub use theme::{ColorDepth, Slot, Theme};

/// What the command line says about configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// `--config`: use this file instead of `config.toml` in the config dir.
    pub config_path: Option<PathBuf>,
    /// `--keymap`: a preset name or a path to a keymap file.
    pub keymap: Option<String>,
    /// `--theme`: a preset name or a path to a theme file.
    pub theme: Option<String>,
    /// `--read-only`: adds to (never removes) `read_only` from the config.
    pub read_only_flag: bool,
    /// `--read-write`: the operator says, explicitly, that changes are allowed, whatever the
    /// config file says or fails to say.
    pub read_write_flag: bool,
}

/// Everything loaded, plus the problems that were survivable.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub paths: Paths,
    /// With the command line applied (`keymap`/`theme` as chosen; if a choice
    /// was unusable, `warnings` says so and the default preset is in use).
    pub settings: Settings,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Broken files that were skipped, each naming file and line; show these.
    pub warnings: Vec<String>,
    /// Why read-only is on though nobody asked for it: the config file could not be read or
    /// parsed (this is that problem), so whether it asks for read-only is unknown. Shown on
    /// screen for the session.
    pub read_only_reason: Option<String>,
}

/// Loads settings, keymap and theme. `env` looks up environment variables
/// (WHEELHOUSE_CONFIG_DIR, WHEELHOUSE_DATA_DIR, NO_COLOR, TERM, COLORTERM).
///
/// The keymap is the chosen preset (or file, laid over `default`) with the
/// user's `keymap.toml` merged over it; likewise the theme over `dark` with
/// `theme.toml`. When the terminal gets no colour (NO_COLOR, TERM=dumb) the
/// mono theme is used instead, because colour-only distinctions in other
/// themes would vanish; otherwise the theme is fitted to the colour depth.
pub fn load(
    options: &LoadOptions,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Loaded, ConfigError> {
    let paths = Paths::resolve(&env)?;
    let mut warnings = Vec::new();

    let (mut settings, origin, mut read_only_reason) =
        load_settings(options, &paths, &mut warnings)?;
    settings.read_only |= options.read_only_flag;
    if options.read_write_flag {
        settings.read_only = false;
        read_only_reason = None;
    }
    let keymap_choice = Choice::new(options.keymap.as_ref(), &settings.keymap, &origin);
    let theme_choice = Choice::new(options.theme.as_ref(), &settings.theme, &origin);
    settings.keymap = keymap_choice.spec.clone();
    settings.theme = theme_choice.spec.clone();

    let keymap: Keymap = load_layered(&keymap_choice, &paths.keymap_file, &mut warnings)?;
    let theme: Theme = load_layered(&theme_choice, &paths.theme_file, &mut warnings)?;
    let depth = ColorDepth::detect(&env);
    let theme = if depth == ColorDepth::Mono {
        Theme::preset("mono")?
    } else {
        theme.degraded(depth)
    };

    Ok(Loaded {
        paths,
        settings,
        keymap,
        theme,
        warnings,
        read_only_reason,
    })
}

/// Where the settings came from, which decides how names in them are taken.
struct SettingsOrigin {
    named_on_cli: bool,
    /// Relative file names in the settings are relative to this directory.
    dir: PathBuf,
}

/// The settings, where they came from, and why read-only was forced, if it was.
///
/// A file named with `--config` must be right: any problem is fatal. The file in the config
/// dir is the user's standing choice, and it fails closed: a wrong key keeps its default (a
/// wrong `read_only` means read-only), and a file that cannot be read or is not TOML at all
/// means read-only, because it may well have said so.
fn load_settings(
    options: &LoadOptions,
    paths: &Paths,
    warnings: &mut Vec<String>,
) -> Result<(Settings, SettingsOrigin, Option<String>), ConfigError> {
    if let Some(path) = &options.config_path {
        let text = read(path)?;
        let settings = Settings::parse(&text, &path.display().to_string())?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let origin = SettingsOrigin {
            named_on_cli: true,
            dir,
        };
        return Ok((settings, origin, None));
    }
    let origin = SettingsOrigin {
        named_on_cli: false,
        dir: paths.config_dir.clone(),
    };
    let name = paths.config_file.display().to_string();
    let parsed = read_if_present(&paths.config_file).and_then(|text| match text {
        Some(text) => Settings::parse_lenient(&text, &name).map(Some),
        None => Ok(None),
    });
    match parsed {
        Ok(None) => Ok((Settings::default(), origin, None)),
        Ok(Some(lenient)) => {
            for problem in lenient.problems {
                let tail = if problem.to_string().contains("read_only") {
                    "read-only stays on until it is fixed"
                } else {
                    "using the default for it"
                };
                warnings.push(format!("{problem}; {tail}"));
            }
            Ok((lenient.settings, origin, None))
        }
        Err(err) => {
            warnings.push(format!(
                "{err}; whether it asks for read-only is unknown, so wheelhouse is read-only \
                 until the file is fixed (or started with --read-write)"
            ));
            let reason = err.to_string();
            let settings = Settings {
                read_only: true,
                ..Settings::default()
            };
            Ok((settings, origin, Some(reason)))
        }
    }
}

/// A keymap or theme choice and whether a failure in it is fatal.
struct Choice {
    /// As the user wrote it: a preset name or a file name.
    spec: String,
    /// Where a relative file name is looked for; the working directory if `None`.
    relative_to: Option<PathBuf>,
    named_on_cli: bool,
}

impl Choice {
    /// The command-line flag wins over the settings file. A file named in
    /// the settings is looked for next to the settings file, as people expect.
    fn new(flag: Option<&String>, from_settings: &str, origin: &SettingsOrigin) -> Choice {
        match flag {
            Some(spec) => Choice {
                spec: spec.clone(),
                relative_to: None,
                named_on_cli: true,
            },
            None => Choice {
                spec: from_settings.to_owned(),
                relative_to: Some(origin.dir.clone()),
                named_on_cli: origin.named_on_cli,
            },
        }
    }

    fn path(&self) -> PathBuf {
        match &self.relative_to {
            Some(dir) => dir.join(&self.spec),
            None => PathBuf::from(&self.spec),
        }
    }
}

/// Keymaps and themes load the same way: a preset or a file over the
/// default preset, then the user's file from the config dir over that.
trait Layered: Sized {
    const KIND: &'static str;
    const DEFAULT_PRESET: &'static str;
    fn preset_names() -> Vec<&'static str>;
    fn preset(name: &str) -> Result<Self, ConfigError>;
    fn parse(text: &str, path_for_errors: &str) -> Result<Self, ConfigError>;
    fn merged_over(self, base: Self) -> Self;
}

impl Layered for Keymap {
    const KIND: &'static str = "keymap";
    const DEFAULT_PRESET: &'static str = "default";
    fn preset_names() -> Vec<&'static str> {
        Keymap::preset_names().collect()
    }
    fn preset(name: &str) -> Result<Self, ConfigError> {
        Keymap::preset(name)
    }
    fn parse(text: &str, path_for_errors: &str) -> Result<Self, ConfigError> {
        Keymap::parse(text, path_for_errors)
    }
    fn merged_over(self, base: Self) -> Self {
        Keymap::merged_over(self, base)
    }
}

impl Layered for Theme {
    const KIND: &'static str = "theme";
    const DEFAULT_PRESET: &'static str = "dark";
    fn preset_names() -> Vec<&'static str> {
        Theme::preset_names().collect()
    }
    fn preset(name: &str) -> Result<Self, ConfigError> {
        Theme::preset(name)
    }
    fn parse(text: &str, path_for_errors: &str) -> Result<Self, ConfigError> {
        Theme::parse(text, path_for_errors)
    }
    fn merged_over(self, base: Self) -> Self {
        Theme::merged_over(self, base)
    }
}

fn load_layered<T: Layered>(
    choice: &Choice,
    user_file: &Path,
    warnings: &mut Vec<String>,
) -> Result<T, ConfigError> {
    let base = match resolve::<T>(choice) {
        Ok(base) => base,
        Err(err) if !choice.named_on_cli => {
            warnings.push(format!(
                "{err}; using the {} {}",
                T::DEFAULT_PRESET,
                T::KIND
            ));
            T::preset(T::DEFAULT_PRESET)?
        }
        Err(err) => return Err(err),
    };
    let overlay = read_if_present(user_file).and_then(|text| {
        text.map(|text| T::parse(&text, &user_file.display().to_string()))
            .transpose()
    });
    match overlay {
        Ok(Some(overlay)) => Ok(overlay.merged_over(base)),
        Ok(None) => Ok(base),
        Err(err) => {
            warnings.push(format!("{err}; ignoring this file"));
            Ok(base)
        }
    }
}

/// A preset by name, or a file laid over the default preset so that a
/// partial file still leaves every action bound and every slot styled.
fn resolve<T: Layered>(choice: &Choice) -> Result<T, ConfigError> {
    let spec = choice.spec.as_str();
    if T::preset_names().contains(&spec) {
        return T::preset(spec);
    }
    let path = choice.path();
    let text = match file::read_text(&path, file::MAX_CONFIG_BYTES) {
        Err(err) if err.kind() == io::ErrorKind::NotFound && looks_like_a_name(spec) => {
            return Err(ConfigError::UnknownPreset {
                kind: T::KIND,
                name: spec.to_owned(),
                known: T::preset_names(),
            });
        }
        other => other.map_err(|err| unreadable(&path, &err))?,
    };
    let parsed = T::parse(&text, &path.display().to_string())?;
    Ok(parsed.merged_over(T::preset(T::DEFAULT_PRESET)?))
}

/// `vimm` was meant as a preset; `./my.toml` as a file.
fn looks_like_a_name(spec: &str) -> bool {
    !spec.contains(std::path::MAIN_SEPARATOR) && !spec.contains('/') && !spec.contains('.')
}

fn read(path: &Path) -> Result<String, ConfigError> {
    file::read_text(path, file::MAX_CONFIG_BYTES).map_err(|err| unreadable(path, &err))
}

/// The file's text, or `None` when it does not exist (which is normal).
fn read_if_present(path: &Path) -> Result<Option<String>, ConfigError> {
    match file::read_text(path, file::MAX_CONFIG_BYTES) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(unreadable(path, &err)),
    }
}

fn unreadable(path: &Path, err: &io::Error) -> ConfigError {
    ConfigError::Unreadable {
        file: path.display().to_string(),
        reason: err.to_string(),
    }
}

#[cfg(test)]
mod tests;
