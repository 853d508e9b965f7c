//! Rollout state on disk, and the lock that lets one process at a time drive a rollout.
//!
//! Under `data_dir/canary/`, per rollout: `<name>.json`, the last [`RolloutState`] (written to
//! a temporary file and renamed over, so a crash leaves the old state or the new, never half),
//! and `<name>.lock`, held with `flock` by the console or command driving it and holding who
//! that is. The kernel lets the lock go when its holder dies, so a killed console never
//! strands a rollout; a second console finds it held, watches, and names the holder.
//!
//! A state file that does not read (corrupted, another version, another rollout's) is renamed
//! aside to `<name>.json.bad-<time>` and the rollout is marked for review: it is never guessed at.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::state::{RolloutState, STATE_VERSION};

/// `data_dir/canary`.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("canary")
}

/// A rollout's name as a file name: letters, digits, `.`, `_`, `-` kept, the rest as `%XX`.
fn file_stem(rollout: &str) -> String {
    let mut out = String::new();
    for b in rollout.bytes() {
        if b.is_ascii_alphanumeric() || b"._-".contains(&b) && !(out.is_empty() && b == b'.') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn state_path(dir: &Path, rollout: &str) -> PathBuf {
    dir.join(format!("{}.json", file_stem(rollout)))
}

fn lock_path(dir: &Path, rollout: &str) -> PathBuf {
    dir.join(format!("{}.lock", file_stem(rollout)))
}

/// What reading a rollout's state found.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    /// No state yet: the rollout was never started here.
    Fresh,
    Found(RolloutState),
    /// The file did not read; it was moved to `kept` and the rollout needs a look.
    SetAside {
        why: String,
        kept: PathBuf,
    },
}

/// A rollout's state, moving a file that does not read aside (see the module's doc).
pub fn load(dir: &Path, rollout: &str) -> Loaded {
    match read(dir, rollout) {
        Ok(None) => Loaded::Fresh,
        Ok(Some(s)) => Loaded::Found(s),
        Err(why) => set_aside(&state_path(dir, rollout), why),
    }
}

/// A rollout's state as it is on disk, touching nothing: for those who only look.
pub fn read(dir: &Path, rollout: &str) -> Result<Option<RolloutState>, String> {
    let path = state_path(dir, rollout);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    match serde_json::from_str::<serde_json::Value>(&text) {
        Err(e) => Err(format!("{}: not JSON ({e})", path.display())),
        Ok(v) if v["version"].as_u64() != Some(u64::from(STATE_VERSION)) => Err(format!(
            "{}: state version {} where this console writes {STATE_VERSION}",
            path.display(),
            v["version"]
        )),
        Ok(v) => match serde_json::from_value::<RolloutState>(v) {
            Ok(s) if s.rollout == rollout => Ok(Some(s)),
            Ok(s) => Err(format!(
                "{}: holds rollout {:?}, not {rollout:?}",
                path.display(),
                s.rollout
            )),
            Err(e) => Err(format!("{}: {e}", path.display())),
        },
    }
}

fn set_aside(path: &Path, why: String) -> Loaded {
    let kept = path.with_extension(format!("json.bad-{}", Utc::now().format("%Y%m%dT%H%M%S")));
    match std::fs::rename(path, &kept) {
        Ok(()) => Loaded::SetAside { why, kept },
        // It stays where it is; the next start says the same.
        Err(e) => Loaded::SetAside {
            why: format!("{why}; could not be moved aside: {e}"),
            kept: path.to_owned(),
        },
    }
}

/// Writes `state` as its rollout's state, whole or not at all. Only the process holding the
/// rollout's lock may: anyone else is refused, naming the holder.
pub fn save(dir: &Path, state: &RolloutState) -> Result<(), String> {
    match holder(dir, &state.rollout) {
        Some(h) if h.pid == std::process::id() => {}
        Some(h) => return Err(format!("rollout {} is driven by {h}", state.rollout)),
        None => {
            return Err(format!(
                "rollout {}: this process does not hold its lock",
                state.rollout
            ))
        }
    }
    let path = state_path(dir, &state.rollout);
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_vec_pretty(state).map_err(|e| e.to_string())?;
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(&text)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| format!("{}: {e}", path.display()))
}

/// Who holds a rollout's lock, as they wrote it when they took it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub user: String,
    pub host: String,
    pub since: DateTime<Utc>,
    /// `console` or the headless command.
    pub what: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (pid {}, {}@{}) since {}",
            self.what,
            self.pid,
            self.user,
            self.host,
            self.since.format("%H:%M:%S")
        )
    }
}

/// The holder written in a rollout's lock file; `None` when nobody ever took it.
pub fn holder(dir: &Path, rollout: &str) -> Option<Holder> {
    let text = std::fs::read_to_string(lock_path(dir, rollout)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Who drives a rollout now: the holder of its lock while it is held; `None` when nobody
/// holds it. Touches nothing (the lock is tried shared, for an instant, never written).
pub fn held_by(dir: &Path, rollout: &str) -> Option<Holder> {
    let mut file = File::open(lock_path(dir, rollout)).ok()?;
    // SAFETY: flock on a descriptor this function owns.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) } == 0 {
        return None;
    }
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// A rollout's lock, held until dropped (or the process ends).
#[derive(Debug)]
pub struct Lock {
    _file: File,
    pub rollout: String,
}

/// Why the lock was not taken.
#[derive(Debug, PartialEq)]
pub enum NotTaken {
    /// Someone drives it now.
    Held(Option<Holder>),
    /// The lock file could not be made or locked.
    Failed(String),
}

impl std::fmt::Display for NotTaken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotTaken::Held(Some(h)) => write!(f, "driven by {h}"),
            NotTaken::Held(None) => write!(f, "driven by another process"),
            NotTaken::Failed(e) => write!(f, "{e}"),
        }
    }
}

/// Takes `rollout`'s lock for this process, naming it `what`; never waits.
pub fn try_lock(dir: &Path, rollout: &str, what: &str) -> Result<Lock, NotTaken> {
    let path = lock_path(dir, rollout);
    let failed = |e: std::io::Error| NotTaken::Failed(format!("{}: {e}", path.display()));
    std::fs::create_dir_all(dir).map_err(failed)?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(failed)?;
    // SAFETY: flock on a descriptor this function owns; no memory is shared with the kernel.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            return Err(NotTaken::Held(serde_json::from_str(&text).ok()));
        }
        return Err(failed(e));
    }
    let me = Holder {
        pid: std::process::id(),
        user: std::env::var("USER").unwrap_or_else(|_| "?".into()),
        host: crate::ops::audit::hostname(),
        since: Utc::now(),
        what: what.to_owned(),
    };
    let text = serde_json::to_vec(&me).map_err(|e| NotTaken::Failed(e.to_string()))?;
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(&text))
        .and_then(|()| file.sync_all())
        .map_err(failed)?;
    Ok(Lock {
        _file: file,
        rollout: rollout.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_safe_file_names() {
        assert_eq!(file_stem("web-2.a_b"), "web-2.a_b");
        assert_eq!(file_stem("../x y"), "%2E.%2Fx%20y");
    }

    #[test]
    fn a_state_is_saved_only_under_the_lock_and_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = dir(tmp.path());
        let state = RolloutState::ready("web", Utc::now());
        assert!(
            save(&dir, &state).unwrap_err().contains("does not hold"),
            "no lock, no write"
        );
        let lock = try_lock(&dir, "web", "console").unwrap();
        // A second taker (another open of the file) is refused and told who holds it.
        match try_lock(&dir, "web", "canary next") {
            Err(NotTaken::Held(Some(h))) => {
                assert_eq!((h.pid, h.what.as_str()), (std::process::id(), "console"))
            }
            other => panic!("{other:?}"),
        }
        save(&dir, &state).unwrap();
        assert_eq!(load(&dir, "web"), Loaded::Found(state));
        assert_eq!(held_by(&dir, "web").map(|h| h.what), Some("console".into()));
        drop(lock);
        assert_eq!(held_by(&dir, "web"), None, "let go on drop");
        assert!(try_lock(&dir, "web", "console").is_ok());
        assert_eq!(load(&dir, "api"), Loaded::Fresh);
    }

    #[test]
    fn a_state_that_does_not_read_is_set_aside_for_review() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = dir(tmp.path());
        std::fs::create_dir_all(&dir).unwrap();
        for (text, says) in [
            ("{\"version\": 1, \"rollout\": \"web\"", "not JSON"),
            ("{\"version\": 0, \"rollout\": \"web\"}", "state version 0"),
            ("{\"version\": 1, \"rollout\": \"web\"}", "missing field"),
        ] {
            std::fs::write(state_path(&dir, "web"), text).unwrap();
            match load(&dir, "web") {
                Loaded::SetAside { why, kept } => {
                    assert!(why.contains(says), "{why}");
                    assert_eq!(std::fs::read_to_string(&kept).unwrap(), text, "kept whole");
                    std::fs::remove_file(kept).unwrap();
                }
                other => panic!("{text}: {other:?}"),
            }
            assert_eq!(load(&dir, "web"), Loaded::Fresh, "moved out of the way");
        }
    }
}
