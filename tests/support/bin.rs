//! Running the real `wheelhouse` binary with its own config and data directories, so a test
//! never touches the user's files and can read the audit log it produced.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{unique_id, Tmux};

/// The binary cargo built for this test run.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_wheelhouse")
}

/// A private config dir and data dir (removed on drop) for one run of the binary.
pub struct WhDirs {
    root: tempfile::TempDir,
}

impl WhDirs {
    pub fn new() -> WhDirs {
        let root = tempfile::Builder::new()
            .prefix("wh-e2e-")
            .tempdir()
            .expect("tempdir");
        std::fs::create_dir_all(root.path().join("config")).unwrap();
        std::fs::create_dir_all(root.path().join("data")).unwrap();
        WhDirs { root }
    }

    /// A scratch directory for the test's own files (sockets, bad keymaps).
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn config_dir(&self) -> PathBuf {
        self.root.path().join("config")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    pub fn audit_log(&self) -> PathBuf {
        self.data_dir().join("audit.jsonl")
    }

    /// Every record of the audit log (none if it does not exist yet).
    pub fn audit_records(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.audit_log())
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line {l:?}: {e}")))
            .collect()
    }

    /// The environment pointing the binary at these directories.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "WHEELHOUSE_CONFIG_DIR".into(),
                self.config_dir().display().to_string(),
            ),
            (
                "WHEELHOUSE_DATA_DIR".into(),
                self.data_dir().display().to_string(),
            ),
        ]
    }

    /// `wheelhouse <args>` as a Command with these directories.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(binary());
        cmd.args(args).envs(self.env());
        cmd
    }

    /// Starts `wheelhouse <args>` in a fresh tmux pane of `width`×`height`. A unique
    /// `WH_E2E_TAG` in the environment lets the test find the process.
    pub fn tmux(&self, args: &[&str], width: u16, height: u16) -> Tui {
        self.tmux_env(args, &[], width, height)
    }

    /// [`tmux`](Self::tmux) with `extra` added to the environment (e.g. `DOCKER_CONFIG`).
    pub fn tmux_env(&self, args: &[&str], extra: &[(&str, &str)], width: u16, height: u16) -> Tui {
        let tag = format!("wh-e2e-{}", unique_id());
        let mut line = String::from("exec ");
        line.push_str(&shell_quote(binary()));
        for a in args {
            line.push(' ');
            line.push_str(&shell_quote(a));
        }
        let mut env = self.env();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env.push(("WH_E2E_TAG".into(), tag.clone()));
        let env_refs: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let tmux = Tmux::start("wh", width, height, &line, &env_refs);
        Tui { tmux, tag }
    }
}

impl Default for WhDirs {
    fn default() -> Self {
        Self::new()
    }
}

/// The binary running in tmux.
pub struct Tui {
    pub tmux: Tmux,
    tag: String,
}

impl std::ops::Deref for Tui {
    type Target = Tmux;
    fn deref(&self) -> &Tmux {
        &self.tmux
    }
}

impl Tui {
    /// The pid of the wheelhouse process (found by its unique environment tag).
    pub fn pid(&self) -> u32 {
        super::poll(Duration::from_secs(5), || {
            for entry in std::fs::read_dir("/proc").map_err(|e| e.to_string())? {
                let Ok(entry) = entry else { continue };
                let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
                    continue;
                };
                let exe = std::fs::read_link(entry.path().join("exe")).unwrap_or_default();
                let wanted = format!("WH_E2E_TAG={}", self.tag);
                let tagged = environ.split(|&b| b == 0).any(|kv| kv == wanted.as_bytes());
                if tagged && exe.file_name().is_some_and(|n| n == "wheelhouse") {
                    return Ok(pid);
                }
            }
            Err("no wheelhouse process with the tag".into())
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Sends Escape alone and gives the program time to read it as its own key (a following
    /// key in the same read would turn it into Alt-<key>).
    pub fn escape(&self) {
        self.send_keys(&["Escape"]);
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Waits for `needle` or panics with the screen.
    pub fn expect_text(&self, needle: &str, timeout: Duration) -> String {
        self.wait_for_text(needle, timeout)
            .unwrap_or_else(|screen| panic!("waited {timeout:?} for {needle:?}; screen:\n{screen}"))
    }

    /// Waits until `needle` is gone or panics with the screen.
    pub fn expect_gone(&self, needle: &str, timeout: Duration) -> String {
        self.wait_for(|s| !s.contains(needle), timeout)
            .unwrap_or_else(|screen| {
                panic!("waited {timeout:?} for {needle:?} to go; screen:\n{screen}")
            })
    }

    /// `q` (again from a sub-view, where `q` goes back to the table), then expects exit
    /// status 0 and a restored terminal.
    pub fn quit_cleanly(&self) {
        for _ in 0..2 {
            if self.exit_status().is_some() {
                break;
            }
            self.send_keys(&["q"]);
            let _ = self.wait_exit(Duration::from_millis(700));
        }
        if self.exit_status().is_none() {
            self.send_keys(&["q"]);
        }
        let code = self
            .wait_exit(Duration::from_secs(10))
            .unwrap_or_else(|s| panic!("did not exit after q; screen:\n{s}"));
        assert_eq!(code, 0, "exit status after q; screen:\n{}", self.capture());
        self.terminal_restored().unwrap();
    }
}

/// Single-quotes `s` for sh.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
