//! A router's JSON access log, one object per line, read from where the last reading stopped:
//! per-side request, 5xx and latency counters that only grow.
//!
//! The rules:
//! - Only whole lines count; a line still being written is read next time.
//! - A log that was rotated (another file at the path, or one shorter than where reading
//!   stopped) is read from its start; the counters carry on from where they were.
//! - The first reading starts at most [`FIRST_READ`] bytes from the end: a long history costs
//!   nothing, and counts from before a rollout say little about it.
//! - A line that is not JSON, or has no upstream address the rollout names, is skipped and
//!   counted (a log shared with other upstreams is fine).
//! - Fields: the upstream address (`upstream_addr`; after retries the last of a comma list),
//!   the status (`upstream_status`, else `status`; number or string) and the time in seconds
//!   (`upstream_response_time`, else `request_time`): what nginx's `log_format … escape=json`
//!   gives with those variables.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::traffic::Side;

/// How far from the end the first reading starts.
pub const FIRST_READ: u64 = 8 * 1024 * 1024;
/// The most one reading takes in; the rest waits for the next (a burst never stalls a tick).
const MAX_READ: u64 = 32 * 1024 * 1024;

/// Where reading stopped, and what was counted so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tail {
    pub path: PathBuf,
    offset: u64,
    inode: u64,
    pub stable: Counted,
    pub canary: Counted,
    /// Lines that were not JSON or named no server of the rollout.
    pub skipped: u64,
}

/// One side's counts since the first reading.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counted {
    pub requests: u64,
    pub errors: u64,
    pub latency_total_ms: f64,
    /// Mean latency of the lines the last reading took in (`None`: it took in none).
    pub recent_latency_ms: Option<f64>,
}

impl Counted {
    pub fn side(&self, servers: usize) -> Side {
        Side {
            requests: self.requests,
            errors: self.errors,
            latency_ms: self.recent_latency_ms,
            latency_total_ms: Some(self.latency_total_ms),
            // An access log knows nothing of health: every server counts as up.
            servers_up: servers,
            servers,
        }
    }
}

impl Tail {
    pub fn new(path: &Path) -> Tail {
        Tail {
            path: path.to_owned(),
            ..Tail::default()
        }
    }

    /// Takes in what was appended since the last reading; `side_of` says which side an
    /// upstream address is on (`Some(true)`: canary).
    pub fn read(&mut self, side_of: impl Fn(&str) -> Option<bool>) -> Result<(), String> {
        let shown = self.path.display();
        let mut file = std::fs::File::open(&self.path).map_err(|e| format!("{shown}: {e}"))?;
        let meta = file.metadata().map_err(|e| format!("{shown}: {e}"))?;
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        let len = meta.len();
        let first = self.inode == 0;
        if first {
            self.offset = len.saturating_sub(FIRST_READ);
        } else if inode != self.inode || len < self.offset {
            self.offset = 0;
        }
        self.inode = inode;
        let want = (len - self.offset.min(len)).min(MAX_READ);
        file.seek(SeekFrom::Start(self.offset))
            .map_err(|e| format!("{shown}: {e}"))?;
        let mut bytes = Vec::with_capacity(want as usize);
        file.take(want)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{shown}: {e}"))?;
        let mut text = &bytes[..];
        // Started mid-file: the first line is a piece of one.
        if first && self.offset > 0 {
            let cut = text
                .iter()
                .position(|b| *b == b'\n')
                .map_or(text.len(), |i| i + 1);
            self.offset += cut as u64;
            text = &text[cut..];
        }
        let whole = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        self.offset += whole as u64;
        let mut recent = [(0.0f64, 0u64); 2];
        for line in text[..whole].split(|b| *b == b'\n') {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let Some((addr, status, secs)) = parse_line(line) else {
                self.skipped += 1;
                continue;
            };
            let Some(canary) = side_of(addr.as_str()) else {
                self.skipped += 1;
                continue;
            };
            let counted = if canary {
                &mut self.canary
            } else {
                &mut self.stable
            };
            counted.requests += 1;
            if (500..600).contains(&status) {
                counted.errors += 1;
            }
            if let Some(s) = secs {
                counted.latency_total_ms += s * 1000.0;
                let r = &mut recent[usize::from(canary)];
                r.0 += s * 1000.0;
                r.1 += 1;
            }
        }
        for (counted, (total, n)) in [&mut self.stable, &mut self.canary].into_iter().zip(recent) {
            if n > 0 {
                counted.recent_latency_ms = Some(total / n as f64);
            }
        }
        Ok(())
    }
}

/// The address, status and seconds of one line; `None` when it is not a JSON object with an
/// address and a status.
fn parse_line(line: &[u8]) -> Option<(String, u16, Option<f64>)> {
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    // After retries nginx lists every try (`a, b`; `a : b` across an internal redirect): the
    // last one answered.
    let last = |field: &str| -> Option<String> {
        let text = match v.get(field)? {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return None,
        };
        let last = text.rsplit(',').next()?.rsplit(" : ").next()?.trim();
        (!last.is_empty() && last != "-").then(|| last.to_owned())
    };
    let addr = last("upstream_addr")?;
    let status = last("upstream_status")
        .or_else(|| last("status"))?
        .parse()
        .ok()?;
    let secs = last("upstream_response_time")
        .or_else(|| last("request_time"))
        .and_then(|s| s.parse().ok());
    Some((addr, status, secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn side_of(addr: &str) -> Option<bool> {
        match addr {
            "10.0.0.1:80" => Some(false),
            "10.0.0.2:80" => Some(true),
            _ => None,
        }
    }

    #[test]
    fn counts_whole_lines_by_side_and_carries_on_over_a_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.json");
        let mut f = std::fs::File::create(&path).unwrap();
        writeln!(
            f,
            r#"{{"upstream_addr":"10.0.0.1:80","status":"200","upstream_response_time":"0.010"}}"#
        )
        .unwrap();
        writeln!(
            f,
            r#"{{"upstream_addr":"10.0.0.2:80","status":502,"upstream_response_time":"0.030"}}"#
        )
        .unwrap();
        writeln!(f, r#"{{"upstream_addr":"10.0.0.9:80","status":"200"}}"#).unwrap();
        writeln!(f, "not json").unwrap();
        write!(f, r#"{{"upstream_addr":"10.0.0.1:80","#).unwrap();
        f.flush().unwrap();
        let mut tail = Tail::new(&path);
        tail.read(side_of).unwrap();
        assert_eq!((tail.stable.requests, tail.stable.errors), (1, 0));
        assert_eq!((tail.canary.requests, tail.canary.errors), (1, 1));
        assert_eq!(tail.canary.recent_latency_ms, Some(30.0));
        assert_eq!(
            tail.skipped, 2,
            "another upstream and a line that is not JSON"
        );

        // The half-written line is finished: it counts now, once.
        writeln!(f, r#""upstream_status":"200, 503","request_time":"0.5"}}"#).unwrap();
        tail.read(side_of).unwrap();
        assert_eq!(
            (tail.stable.requests, tail.stable.errors),
            (2, 1),
            "the last status of a retried request"
        );
        assert!((tail.stable.latency_total_ms - 510.0).abs() < 1e-6);

        // Rotated: a new, shorter file at the path is read from its start.
        std::fs::rename(&path, dir.path().join("access.json.1")).unwrap();
        std::fs::write(
            &path,
            "{\"upstream_addr\":\"10.0.0.1:80, 10.0.0.2:80\",\"status\":\"200\"}\n",
        )
        .unwrap();
        tail.read(side_of).unwrap();
        assert_eq!(
            tail.canary.requests, 2,
            "a retried request counts where it ended"
        );
        assert_eq!(tail.stable.requests, 2, "the counts carry on");
    }

    #[test]
    fn a_long_history_is_not_read_and_a_missing_log_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.json");
        let line = "{\"upstream_addr\":\"10.0.0.1:80\",\"status\":\"200\"}\n";
        std::fs::write(
            &path,
            line.repeat((FIRST_READ as usize / line.len()) + 1000),
        )
        .unwrap();
        let mut tail = Tail::new(&path);
        tail.read(side_of).unwrap();
        let most = FIRST_READ / line.len() as u64;
        assert!(tail.stable.requests <= most && tail.stable.requests > most - 2);
        assert_eq!(
            tail.skipped, 0,
            "the piece of a line it started in is not read"
        );
        let err = Tail::new(&dir.path().join("nope.json"))
            .read(side_of)
            .unwrap_err();
        assert!(err.contains("nope.json"), "{err}");
    }
}
