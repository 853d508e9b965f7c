//! nginx: the upstream's `server` lines in a file of their own that nginx.conf includes inside
//! the `upstream` block, rewritten for each share, checked with the configured test command
//! (`nginx -t`) and applied with the reload command (`nginx -s reload`); counts from a JSON
//! access log ([`super::access_log`]).
//!
//! The rules:
//! - The file is wheelhouse's: it is rewritten whole (atomically, by rename), so the operator
//!   keeps everything else of the upstream (`keepalive`, balancing) in nginx.conf.
//! - nginx takes weights of 1 or more; a side at 0 % is written `down`.
//! - A test or reload that fails puts the old file back (nginx's own words are said): a failed
//!   reload leaves nginx on its old configuration, and the file agrees with it again.
//! - The share read back is the one the file gives: it is what nginx runs once reloaded.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::access_log::Tail;
use super::router::{realised_percent, weights_for, write_atomically, Memory, Router};
use super::traffic::Traffic;

/// Weights above this buy no precision a share in whole per cent needs.
const MAX_WEIGHT: u32 = 1000;
/// A test or reload that takes longer has hung.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nginx {
    /// The upstream's name in nginx.conf (for messages).
    pub upstream: String,
    /// The file of `server` lines wheelhouse writes.
    pub include: PathBuf,
    /// Server addresses as nginx logs them (`$upstream_addr`): `127.0.0.1:8081`.
    pub stable: Vec<String>,
    pub canary: Vec<String>,
    /// Checks the whole configuration with the new file: `["nginx", "-t"]`.
    pub test: Vec<String>,
    /// Applies it: `["nginx", "-s", "reload"]`.
    pub reload: Vec<String>,
    /// Its JSON access log.
    pub access_log: PathBuf,
}

impl Router for Nginx {
    fn describe(&self) -> String {
        format!(
            "nginx upstream {} ({})",
            self.upstream,
            self.include.display()
        )
    }

    fn realisable(&self, percent: u32) -> u32 {
        let (ws, wc) = self.weights(percent);
        realised_percent(ws, wc, self.stable.len(), self.canary.len()).round() as u32
    }

    fn preview(&self, percent: u32) -> Vec<String> {
        let lines: Vec<String> = self
            .render(percent)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        vec![
            format!("It writes {}: {}", self.include.display(), lines.join(" ")),
            format!(
                "then runs `{}` and `{}`.",
                self.test.join(" "),
                self.reload.join(" ")
            ),
        ]
    }

    async fn check(&self) -> Result<(), String> {
        self.written().map(|_| ())
    }

    async fn apply(&self, percent: u32) -> Result<(), String> {
        let shown = self.include.display();
        let old = std::fs::read(&self.include).map_err(|e| format!("{shown}: {e}"))?;
        write_atomically(&self.include, self.render(percent).as_bytes())?;
        let restore = |why: String| -> String {
            match write_atomically(&self.include, &old) {
                Ok(()) => format!("{why}; {shown} is as it was, nginx keeps the old weights"),
                Err(e) => format!("{why}; and putting {shown} back failed: {e}"),
            }
        };
        if let Err(e) = run(&self.test).await {
            return Err(restore(e));
        }
        if let Err(e) = run(&self.reload).await {
            return Err(restore(e));
        }
        Ok(())
    }

    async fn read(&self, memory: &mut Memory) -> Result<Traffic, String> {
        let weight_percent = self.written()?;
        let tail = memory
            .log
            .get_or_insert_with(|| Tail::new(&self.access_log));
        if tail.path != self.access_log {
            *tail = Tail::new(&self.access_log);
        }
        tail.read(|addr| {
            if self.canary.iter().any(|c| c == addr) {
                Some(true)
            } else {
                self.stable.iter().any(|s| s == addr).then_some(false)
            }
        })?;
        Ok(Traffic {
            queries: Vec::new(),
            stable: tail.stable.side(self.stable.len()),
            canary: tail.canary.side(self.canary.len()),
            weight_percent,
        })
    }
}

impl Nginx {
    fn weights(&self, percent: u32) -> (u32, u32) {
        weights_for(percent, self.stable.len(), self.canary.len(), MAX_WEIGHT)
    }

    /// The file for `percent`.
    pub fn render(&self, percent: u32) -> String {
        let (ws, wc) = self.weights(percent);
        let mut out = format!(
            "# Written by wheelhouse for upstream {}: {percent} % to the canary. It is rewritten \
             on every change of share.\n",
            self.upstream
        );
        for (servers, w) in [(&self.stable, ws), (&self.canary, wc)] {
            for s in servers {
                if w == 0 {
                    out.push_str(&format!("server {s} down;\n"));
                } else {
                    out.push_str(&format!("server {s} weight={w};\n"));
                }
            }
        }
        out
    }

    /// The canary's share the file gives now; an error when it is missing or lists a server
    /// the rollout does not name (or leaves one out).
    fn written(&self) -> Result<f64, String> {
        let shown = self.include.display();
        let text = std::fs::read_to_string(&self.include).map_err(|e| {
            format!("{shown}: {e} (nginx.conf includes it inside upstream {}; create it with the servers' lines)", self.upstream)
        })?;
        let servers = parse_servers(&text);
        let mut found = Vec::new();
        let (mut stable, mut canary) = (0u32, 0u32);
        for (addr, weight) in &servers {
            let on_canary = self.canary.contains(addr);
            if !on_canary && !self.stable.contains(addr) {
                return Err(format!(
                    "{shown} lists server {addr}, which the rollout names on neither side ({} / {})",
                    self.stable.join(", "),
                    self.canary.join(", ")
                ));
            }
            found.push(addr.as_str());
            if on_canary {
                canary = canary.max(*weight);
            } else {
                stable = stable.max(*weight);
            }
        }
        if let Some(missing) = self
            .stable
            .iter()
            .chain(&self.canary)
            .find(|s| !found.contains(&s.as_str()))
        {
            return Err(format!(
                "upstream {} has no server {missing} in {shown}",
                self.upstream
            ));
        }
        Ok(realised_percent(
            stable,
            canary,
            self.stable.len(),
            self.canary.len(),
        ))
    }
}

/// `server ADDR weight=N;` lines as (address, weight); `down` is weight 0, no weight is 1.
fn parse_servers(text: &str) -> Vec<(String, u32)> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter_map(|l| l.strip_prefix("server "))
        .map(|l| {
            let mut words = l.trim_end_matches(';').split_whitespace();
            let addr = words.next().unwrap_or_default().to_owned();
            let mut weight = 1;
            for w in words {
                if w == "down" {
                    weight = 0;
                    break;
                }
                if let Some(n) = w.strip_prefix("weight=").and_then(|n| n.parse().ok()) {
                    weight = n;
                }
            }
            (addr, weight)
        })
        .collect()
}

/// Runs `argv`; its own words (stderr, else stdout) when it fails.
async fn run(argv: &[String]) -> Result<(), String> {
    let shown = argv.join(" ");
    let (program, args) = argv.split_first().ok_or("an empty command")?;
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(COMMAND_TIMEOUT, child)
        .await
        .map_err(|_| format!("`{shown}` did not finish within {COMMAND_TIMEOUT:?}"))?
        .map_err(|e| format!("`{shown}`: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(if out.stderr.is_empty() {
        &out.stdout
    } else {
        &out.stderr
    })
    .trim()
    .to_owned();
    Err(format!("`{shown}` failed ({}): {said}", out.status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nginx(dir: &std::path::Path) -> Nginx {
        Nginx {
            upstream: "web".into(),
            include: dir.join("web.conf"),
            stable: vec!["127.0.0.1:8081".into()],
            canary: vec!["127.0.0.1:8082".into()],
            test: vec!["true".into()],
            reload: vec!["true".into()],
            access_log: dir.join("access.json"),
        }
    }

    #[test]
    fn the_file_gives_the_share_and_zero_is_down() {
        let dir = tempfile::tempdir().unwrap();
        let n = nginx(dir.path());
        let text = n.render(20);
        assert!(
            text.ends_with("server 127.0.0.1:8081 weight=4;\nserver 127.0.0.1:8082 weight=1;\n"),
            "{text}"
        );
        assert!(n.render(0).contains("server 127.0.0.1:8082 down;"));
        assert!(n.render(100).contains("server 127.0.0.1:8081 down;"));
        std::fs::write(&n.include, n.render(20)).unwrap();
        assert_eq!(n.written().unwrap(), 20.0);
        std::fs::write(&n.include, "server 127.0.0.1:8081;\nserver 10.0.0.9:80;\n").unwrap();
        let e = n.written().unwrap_err();
        assert!(e.contains("10.0.0.9:80"), "{e}");
        std::fs::write(&n.include, "server 127.0.0.1:8081;\n").unwrap();
        let e = n.written().unwrap_err();
        assert!(e.contains("no server 127.0.0.1:8082"), "{e}");
    }

    #[tokio::test]
    async fn a_test_that_fails_puts_the_old_file_back_with_its_words() {
        let dir = tempfile::tempdir().unwrap();
        let mut n = nginx(dir.path());
        std::fs::write(&n.include, n.render(0)).unwrap();
        n.test = vec![
            "sh".into(),
            "-c".into(),
            "echo 'bad weight' >&2; exit 1".into(),
        ];
        let e = n.apply(30).await.unwrap_err();
        assert!(e.contains("bad weight") && e.contains("as it was"), "{e}");
        assert_eq!(std::fs::read_to_string(&n.include).unwrap(), n.render(0));
        n.test = vec!["true".into()];
        n.apply(30).await.unwrap();
        assert_eq!(n.written().unwrap(), 30.0);
    }
}
