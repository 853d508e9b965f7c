//! Where wheelhouse keeps its files: the platform's usual directories,
//! unless WHEELHOUSE_CONFIG_DIR / WHEELHOUSE_DATA_DIR say otherwise (tests
//! and portable setups use these).

use std::path::PathBuf;

use directories::ProjectDirs;

use super::error::ConfigError;

pub const CONFIG_DIR_VAR: &str = "WHEELHOUSE_CONFIG_DIR";
pub const DATA_DIR_VAR: &str = "WHEELHOUSE_DATA_DIR";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    /// `config_dir/config.toml`
    pub config_file: PathBuf,
    /// `config_dir/keymap.toml`, merged over the chosen keymap preset.
    pub keymap_file: PathBuf,
    /// `config_dir/theme.toml`, merged over the chosen theme preset.
    pub theme_file: PathBuf,
    /// `data_dir/audit.jsonl`
    pub audit_log: PathBuf,
    /// `data_dir/logs`, where saved container logs go.
    pub logs_dir: PathBuf,
}

impl Paths {
    /// `env` looks up environment variables, so tests need not set them on the process.
    pub fn resolve(env: impl Fn(&str) -> Option<String>) -> Result<Paths, ConfigError> {
        let from_env = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let platform = || ProjectDirs::from("", "", "wheelhouse");
        let config_dir = from_env(CONFIG_DIR_VAR)
            .or_else(|| platform().map(|dirs| dirs.config_dir().to_path_buf()))
            .ok_or(ConfigError::NoHomeDirectory {
                variable: CONFIG_DIR_VAR,
            })?;
        let data_dir = from_env(DATA_DIR_VAR)
            .or_else(|| platform().map(|dirs| dirs.data_dir().to_path_buf()))
            .ok_or(ConfigError::NoHomeDirectory {
                variable: DATA_DIR_VAR,
            })?;
        Ok(Paths::under(config_dir, data_dir))
    }

    /// The file layout under the two given directories.
    pub fn under(config_dir: PathBuf, data_dir: PathBuf) -> Paths {
        Paths {
            config_file: config_dir.join("config.toml"),
            keymap_file: config_dir.join("keymap.toml"),
            theme_file: config_dir.join("theme.toml"),
            audit_log: data_dir.join("audit.jsonl"),
            logs_dir: data_dir.join("logs"),
            config_dir,
            data_dir,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_the_platform_directories() {
        let paths = Paths::resolve(|name| match name {
            CONFIG_DIR_VAR => Some("/tmp/wh-config".into()),
            DATA_DIR_VAR => Some("/tmp/wh-data".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            paths.config_file,
            PathBuf::from("/tmp/wh-config/config.toml")
        );
        assert_eq!(
            paths.keymap_file,
            PathBuf::from("/tmp/wh-config/keymap.toml")
        );
        assert_eq!(paths.theme_file, PathBuf::from("/tmp/wh-config/theme.toml"));
        assert_eq!(paths.audit_log, PathBuf::from("/tmp/wh-data/audit.jsonl"));
        assert_eq!(paths.logs_dir, PathBuf::from("/tmp/wh-data/logs"));
    }

    #[test]
    fn without_overrides_the_platform_directories_are_used() {
        // Only meaningful where the platform has a home directory.
        if let Some(dirs) = ProjectDirs::from("", "", "wheelhouse") {
            let paths = Paths::resolve(|_| None).unwrap();
            assert_eq!(paths.config_dir, dirs.config_dir());
            assert_eq!(paths.data_dir, dirs.data_dir());
        }
    }
}
