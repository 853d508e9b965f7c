//! Bad input, table-driven: broken files, wrong flags, endpoints that do not work, and small
//! hostile engines this test starts itself. Each case runs the real binary and must end with
//! the expected exit status and a message that names what is wrong, written without raw
//! control characters, within a bounded time. The count handled is printed at the end.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::bin::{binary, WhDirs};
use support::hostile::{HostileEngine, Misbehaviour, HOSTILE_LABEL, STRANGE_NAME};
use support::proxy::StalledEngine;
use support::*;

/// An extra check on (stdout, stderr).
type Check = fn(&str, &str) -> Result<(), String>;

/// What a case keeps alive while it runs (servers, files).
type Keep = Vec<Box<dyn std::any::Any>>;

struct Invocation {
    args: Vec<String>,
    env: Vec<(String, String)>,
    keep: Keep,
}

struct Case {
    name: &'static str,
    /// Builds the invocation inside the case's own directories.
    setup: fn(&Dirs) -> Invocation,
    code: i32,
    /// Each must appear in stderr (or stdout, for `in_stdout`).
    says: &'static [&'static str],
    in_stdout: bool,
    /// Extra checks on (stdout, stderr).
    check: Option<Check>,
}

struct Dirs {
    wh: WhDirs,
    /// An empty DOCKER_CONFIG, so the machine's contexts do not leak in.
    docker_config: PathBuf,
}

impl Dirs {
    fn root(&self) -> &Path {
        self.wh.root()
    }

    fn file(&self, name: &str, text: &[u8]) -> String {
        let path = self.root().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn fifo(&self, name: &str) -> String {
        let path = self.root().join(name);
        let ok = Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mkfifo");
        path.display().to_string()
    }

    fn socket(&self, name: &str) -> PathBuf {
        self.root().join(name)
    }
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn plain(a: &[&str]) -> Invocation {
    Invocation {
        args: args(a),
        env: Vec::new(),
        keep: Vec::new(),
    }
}

fn with_config(text: &[u8]) -> fn(&Dirs) -> Invocation {
    // One function per text would be verbose; the texts are few and fixed, so a match on a
    // pointer-free key keeps the table readable.
    match text {
        b"bad-toml" => |d| plain(&["--config", &d.file("bad.toml", b"theme = dark\n"), "paths"]),
        b"unknown-key" => {
            |d| plain(&["--config", &d.file("c.toml", b"thme = \"dark\"\n"), "paths"])
        }
        b"small-buffer" => |d| {
            plain(&[
                "--config",
                &d.file("c.toml", b"log_buffer_lines = 50\n"),
                "paths",
            ])
        },
        b"fast-sampling" => {
            |d| plain(&["--config", &d.file("c.toml", b"sample_ms = 100\n"), "paths"])
        }
        // `ps` judges the config as the console does (it once read none and exited 0).
        b"fast-sampling-ps" => {
            |d| plain(&["--config", &d.file("c.toml", b"sample_ms = 100\n"), "ps"])
        }
        b"thresholds" => |d| {
            plain(&[
                "--config",
                &d.file(
                    "c.toml",
                    b"near_limit_percent = 90\nover_limit_percent = 85\n",
                ),
                "paths",
            ])
        },
        b"wrong-type" => |d| {
            plain(&[
                "--config",
                &d.file("c.toml", b"read_only = \"yes\"\n"),
                "paths",
            ])
        },
        b"not-utf8" => |d| {
            plain(&[
                "--config",
                &d.file("c.toml", b"theme = \"\xff\xfe\"\n"),
                "paths",
            ])
        },
        _ => unreachable!(),
    }
}

fn hostile(d: &Dirs, how: Misbehaviour, extra: &[&str]) -> Invocation {
    let sock = d.socket("hostile.sock");
    let engine = HostileEngine::start(&sock, how);
    let mut a = vec!["-H".to_string(), format!("unix://{}", sock.display())];
    a.extend(args(extra));
    Invocation {
        args: a,
        env: Vec::new(),
        keep: vec![Box::new(engine)],
    }
}

fn no_raw_text(out: &str, err: &str) -> Result<(), String> {
    for (what, text) in [("stdout", out), ("stderr", err)] {
        if text.contains('\u{1b}') || text.contains('\u{202e}') || text.contains('\u{7}') {
            return Err(format!("raw control characters in {what}: {text:?}"));
        }
    }
    Ok(())
}

fn cases() -> Vec<Case> {
    let case = |name, setup, code, says| Case {
        name,
        setup,
        code,
        says,
        in_stdout: false,
        check: None,
    };
    vec![
        // ---- files named on the command line
        case(
            "config file missing",
            |d| {
                plain(&[
                    "--config",
                    &d.root().join("nope.toml").display().to_string(),
                    "paths",
                ])
            },
            2,
            &["nope.toml: cannot read"],
        ),
        case(
            "config is a FIFO",
            |d| plain(&["--config", &d.fifo("fifo.toml"), "paths"]),
            2,
            &["fifo.toml: cannot read: a FIFO, not a regular file"],
        ),
        case(
            "config is a directory",
            |d| plain(&["--config", &d.root().display().to_string(), "paths"]),
            2,
            &["a directory, not a regular file"],
        ),
        case(
            "config is a device",
            |_| plain(&["--config", "/dev/zero", "paths"]),
            2,
            &["/dev/zero: cannot read: a device, not a regular file"],
        ),
        case(
            "config is huge",
            |d| {
                plain(&[
                    "--config",
                    &d.file("huge.toml", &vec![b'#'; 2 << 20]),
                    "paths",
                ])
            },
            2,
            &["huge.toml: cannot read: larger than 1024 KiB"],
        ),
        case(
            "config is not UTF-8",
            with_config(b"not-utf8"),
            2,
            &["not UTF-8"],
        ),
        case(
            "config is not TOML",
            with_config(b"bad-toml"),
            2,
            &["bad.toml:1:"],
        ),
        case(
            "config has an unknown key",
            with_config(b"unknown-key"),
            2,
            &["c.toml:1:1: unknown setting \"thme\"; did you mean \"theme\"?"],
        ),
        case(
            "config has a too small buffer",
            with_config(b"small-buffer"),
            2,
            &["c.toml:1:20: log_buffer_lines must be at least 100 (got 50)"],
        ),
        case(
            "config samples too fast",
            with_config(b"fast-sampling"),
            2,
            &["sample_ms must be at least 250 (got 100)"],
        ),
        case(
            "ps refuses the config the console refuses",
            with_config(b"fast-sampling-ps"),
            2,
            &["c.toml", "sample_ms must be at least 250 (got 100)"],
        ),
        case(
            "config thresholds are crossed",
            with_config(b"thresholds"),
            2,
            &["c.toml:2:", "must be below over_limit_percent"],
        ),
        case(
            "config value has the wrong type",
            with_config(b"wrong-type"),
            2,
            &["c.toml:1:13: read_only must be true or false"],
        ),
        case(
            "keymap preset unknown",
            |_| plain(&["--keymap", "vimm", "paths"]),
            2,
            &["unknown keymap \"vimm\"", "default, vim"],
        ),
        case(
            "keymap action unknown",
            |d| {
                let f = d.file(
                    "k.toml",
                    b"[table]\nkeymap = [{ on = \"s\", run = \"stp\" }]\n",
                );
                plain(&["--keymap", &f, "paths"])
            },
            2,
            &["k.toml:2:", "did you mean \"stop\"?"],
        ),
        case(
            "keymap key unknown",
            |d| {
                let f = d.file(
                    "k.toml",
                    b"[logs]\nkeymap = [{ on = \"<Entr>\", run = \"search\" }]\n",
                );
                plain(&["--keymap", &f, "paths"])
            },
            2,
            &["k.toml:2:", "<Entr>"],
        ),
        case(
            "keymap is a FIFO",
            |d| plain(&["--keymap", &d.fifo("k.toml"), "paths"]),
            2,
            &["a FIFO, not a regular file"],
        ),
        case(
            "theme preset unknown",
            |_| plain(&["--theme", "solarised", "paths"]),
            2,
            &["unknown theme \"solarised\""],
        ),
        case(
            "theme slot unknown",
            |d| {
                let f = d.file("t.toml", b"[styles]\n\"state.runing\" = { bold = true }\n");
                plain(&["--theme", &f, "paths"])
            },
            2,
            &["t.toml:2:", "did you mean \"state.running\"?"],
        ),
        case(
            "theme colour unknown",
            |d| {
                let f = d.file(
                    "t.toml",
                    b"[styles]\n\"text\" = { fg = \"chartreuse-ish\" }\n",
                );
                plain(&["--theme", &f, "paths"])
            },
            2,
            &["t.toml:2:", "chartreuse-ish"],
        ),
        // ---- flags
        case(
            "read-only and read-write together",
            |_| plain(&["--read-only", "--read-write", "paths"]),
            2,
            &["--read-only", "--read-write"],
        ),
        case(
            "demo with a host",
            |_| plain(&["--demo", "-H", "unix:///x.sock"]),
            2,
            &["--demo", "--host"],
        ),
        case(
            "unknown subcommand",
            |_| plain(&["frobnicate"]),
            2,
            &["frobnicate"],
        ),
        case(
            "context and host together",
            |_| plain(&["-c", "default", "-H", "unix:///x.sock", "ps"]),
            2,
            &["cannot specify both --host and --context"],
        ),
        // ---- endpoints that do not work
        case(
            "unsupported endpoint scheme",
            |_| plain(&["-H", "ftp://example", "ps"]),
            2,
            &["unsupported scheme \"ftp\" in ftp://example (from -H/--host)"],
        ),
        case(
            "no socket there",
            |d| {
                plain(&[
                    "-H",
                    &format!("unix://{}/none.sock", d.root().display()),
                    "ps",
                ])
            },
            1,
            &["none.sock: no engine socket (is dockerd running?)"],
        ),
        case(
            "connection refused",
            |_| plain(&["-H", "tcp://127.0.0.1:1", "ps"]),
            1,
            &["tcp://127.0.0.1:1: connection refused"],
        ),
        case(
            "ssh host that is an option",
            |_| plain(&["-H", "ssh://-oProxyCommand=touch", "ps"]),
            1,
            &["bad host name"],
        ),
        case(
            "ssh endpoint with a path",
            |_| plain(&["-H", "ssh://host/some/path", "ps"]),
            1,
            &["an ssh endpoint has no path"],
        ),
        case(
            "unknown context",
            |_| plain(&["-c", "nosuch", "ps"]),
            2,
            &["nosuch", "default"],
        ),
        case(
            "unknown DOCKER_CONTEXT",
            |_| Invocation {
                env: vec![("DOCKER_CONTEXT".into(), "nosuch".into())],
                ..plain(&["ps"])
            },
            2,
            &["nosuch"],
        ),
        Case {
            check: Some(|_, err| {
                if err.contains("\u{1b}") {
                    return Err("raw ESC in stderr".into());
                }
                Ok(())
            }),
            ..case(
                "DOCKER_HOST with escape sequences",
                |d| Invocation {
                    env: vec![(
                        "DOCKER_HOST".into(),
                        format!("unix://{}/x\u{1b}]0;pwned\u{7}.sock", d.root().display()),
                    )],
                    ..plain(&["ps"])
                },
                1,
                &["x^[]0;pwned^G.sock"],
            )
        },
        // ---- hostile engines
        case(
            "an endless answer",
            |d| hostile(d, Misbehaviour::EndlessListing, &["ps", "--json"]),
            1,
            &["the engine sent an answer larger than 64 MiB"],
        ),
        case(
            "garbage instead of HTTP",
            |d| hostile(d, Misbehaviour::Garbage, &["ps"]),
            1,
            &["hostile.sock: what answers there does not speak HTTP"],
        ),
        case(
            "an HTML error page",
            |d| hostile(d, Misbehaviour::HtmlError, &["ps"]),
            1,
            &["hostile.sock: HTTP 502 with an HTML page instead of the engine's answer"],
        ),
        case(
            "a stalled engine",
            |d| {
                let sock = d.socket("stalled.sock");
                let engine = StalledEngine::start(&sock);
                Invocation {
                    args: args(&["-H", &format!("unix://{}", sock.display()), "ps"]),
                    env: Vec::new(),
                    keep: vec![Box::new(engine)],
                }
            },
            1,
            &["stalled.sock"],
        ),
        Case {
            in_stdout: true,
            check: Some(|out, err| {
                no_raw_text(out, err)?;
                Ok(())
            }),
            ..case(
                "non-ASCII ids and escape sequences in labels (table)",
                |d| hostile(d, Misbehaviour::StrangeText, &["ps"]),
                0,
                &["^[]0;pwned^G^[[2J/web", "weird\\u{202e}name"],
            )
        },
        Case {
            in_stdout: true,
            check: Some(|out, err| {
                no_raw_text(out, err)?;
                let doc: serde_json::Value =
                    serde_json::from_str(out).map_err(|e| format!("not JSON: {e}"))?;
                let c = &doc["containers"][0];
                if c["name"] != STRANGE_NAME {
                    return Err(format!("name changed: {}", c["name"]));
                }
                if c["labels"]["com.docker.compose.project"] != HOSTILE_LABEL {
                    return Err(format!("label changed: {}", c["labels"]));
                }
                if c["id"] != support::hostile::STRANGE_ID {
                    return Err(format!("id changed: {}", c["id"]));
                }
                Ok(())
            }),
            ..case(
                "non-ASCII ids and escape sequences in labels (JSON)",
                |d| hostile(d, Misbehaviour::StrangeText, &["ps", "--json"]),
                0,
                &["\\u202e"],
            )
        },
    ]
}

/// Runs one case; `Err` says how it went wrong.
fn run(case: &Case) -> Result<(), String> {
    let dirs = Dirs {
        wh: WhDirs::new(),
        docker_config: tempfile::tempdir().unwrap().keep(),
    };
    let inv = (case.setup)(&dirs);
    let mut cmd = Command::new(binary());
    cmd.args(&inv.args)
        .envs(dirs.wh.env())
        .env("DOCKER_CONFIG", &dirs.docker_config)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env("RUST_BACKTRACE", "0")
        .envs(inv.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let started = Instant::now();
    let out = output_with_timeout(&mut cmd, Duration::from_secs(60))?;
    let elapsed = started.elapsed();
    drop(inv.keep);
    let _ = std::fs::remove_dir_all(&dirs.docker_config);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    let shown = if case.in_stdout { &stdout } else { &stderr };
    let mut problems = Vec::new();
    if code != case.code {
        problems.push(format!("exit status {code}, expected {}", case.code));
    }
    for needle in case.says {
        if !shown.contains(needle) {
            problems.push(format!("does not say {needle:?}"));
        }
    }
    if stderr.contains("panicked") {
        problems.push("panicked".into());
    }
    if let Some(check) = case.check {
        if let Err(e) = check(&stdout, &stderr) {
            problems.push(e);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} (after {elapsed:?})\n--- stdout\n{}\n--- stderr\n{}",
            problems.join("; "),
            tail(&stdout),
            tail(&stderr)
        ))
    }
}

fn tail(s: &str) -> &str {
    let start = s.len().saturating_sub(2000);
    let start = (start..s.len())
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0);
    &s[start..]
}

#[test]
fn every_bad_input_gets_its_message_and_exit_status() {
    let cases = cases();
    let total = cases.len();
    // Independent processes: run them side by side, a few at a time.
    let results: Vec<(&'static str, Result<(), String>)> = std::thread::scope(|scope| {
        let chunks: Vec<&[Case]> = cases.chunks(total.div_ceil(6)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || chunk.iter().map(|c| (c.name, run(c))).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(name, r)| r.as_ref().err().map(|e| format!("== {name}: {e}")))
        .collect();
    eprintln!("bad inputs handled: {} of {total}", total - failed.len());
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
