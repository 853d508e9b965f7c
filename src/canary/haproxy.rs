//! HAProxy through its runtime API (the `stats socket … level admin` of its configuration):
//! server weights set and read, per-server requests, 5xx answers and response times from
//! `show stat`.
//!
//! The rules:
//! - One connection per command line, read to the end (HAProxy closes it after answering when
//!   not in interactive mode). The weights of all servers go in one line, `;`-separated: one
//!   connection, but HAProxy still applies them one after the other (so the caller checks the
//!   servers exist first).
//! - HAProxy takes absolute weights 0–256 per server. A share of p % over n_s stable and n_c
//!   canary servers is weights p·n_s (canary) and (100−p)·n_c (stable), reduced, and scaled
//!   into range (then rounded: [`realised_percent`] says what the router really does).
//! - Success answers each command with an empty line; any text is HAProxy's own error, passed
//!   on as it is (`No such server.`, `Absolute weight can only be between 0 and 256 inclusive.`).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::config::HAPROXY_MAX_WEIGHT;

/// A runtime API that does not answer within this long is down, for this attempt.
pub const TIMEOUT: Duration = Duration::from_secs(2);
/// An answer larger than this is not HAProxy's (`show stat` of a large config is ~100 KiB).
const MAX_ANSWER: u64 = 16 * 1024 * 1024;

/// Sends one command line to the runtime API at `admin` (`host:port` or a socket path) and
/// returns its whole answer.
pub async fn command(admin: &str, line: &str) -> Result<String, String> {
    let talk = async {
        if admin.starts_with('/') {
            let stream = tokio::net::UnixStream::connect(admin).await;
            exchange(stream.map_err(|e| format!("{admin}: {e}"))?, line, admin).await
        } else {
            let stream = tokio::net::TcpStream::connect(admin).await;
            exchange(stream.map_err(|e| format!("{admin}: {e}"))?, line, admin).await
        }
    };
    tokio::time::timeout(TIMEOUT, talk)
        .await
        .map_err(|_| format!("{admin}: no answer from HAProxy's runtime API within {TIMEOUT:?}"))?
}

/// Writes the command line and reads the answer to its end, over either kind of socket.
async fn exchange<S>(mut stream: S, line: &str, admin: &str) -> Result<String, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    stream
        .write_all(format!("{line}\n").as_bytes())
        .await
        .map_err(|e| format!("{admin}: {e}"))?;
    let mut answer = Vec::new();
    stream
        .take(MAX_ANSWER)
        .read_to_end(&mut answer)
        .await
        .map_err(|e| format!("{admin}: {e}"))?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

/// Per-server weights (stable, canary) for `percent` % to the canary.
pub fn weights_for(percent: u32, n_stable: usize, n_canary: usize) -> (u32, u32) {
    let percent = percent.min(100);
    if percent == 0 {
        return (100.min(HAPROXY_MAX_WEIGHT), 0);
    }
    if percent == 100 {
        return (0, 100.min(HAPROXY_MAX_WEIGHT));
    }
    let (ns, nc) = (n_stable.max(1) as u64, n_canary.max(1) as u64);
    let mut canary = u64::from(percent) * ns;
    let mut stable = u64::from(100 - percent) * nc;
    let g = gcd(canary, stable);
    canary /= g;
    stable /= g;
    let top = canary.max(stable);
    if top > u64::from(HAPROXY_MAX_WEIGHT) {
        let scale = f64::from(HAPROXY_MAX_WEIGHT) / top as f64;
        canary = ((canary as f64 * scale).round() as u64).max(1);
        stable = ((stable as f64 * scale).round() as u64).max(1);
    }
    (stable as u32, canary as u32)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a.max(1)
    } else {
        gcd(b, a % b)
    }
}

/// The canary's share (per cent) that weights give.
pub fn realised_percent(stable_w: u32, canary_w: u32, n_stable: usize, n_canary: usize) -> f64 {
    let c = f64::from(canary_w) * n_canary as f64;
    let s = f64::from(stable_w) * n_stable as f64;
    if c + s == 0.0 {
        0.0
    } else {
        c / (c + s) * 100.0
    }
}

/// The command line that sets every server's weight for `percent`.
pub fn set_weights_line(
    backend: &str,
    stable: &[String],
    canary: &[String],
    percent: u32,
) -> String {
    let (ws, wc) = weights_for(percent, stable.len(), canary.len());
    stable
        .iter()
        .map(|s| (s, ws))
        .chain(canary.iter().map(|s| (s, wc)))
        .map(|(s, w)| format!("set weight {backend}/{s} {w}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Sets the weights; HAProxy's own words when it refuses.
pub async fn set_percent(
    admin: &str,
    backend: &str,
    stable: &[String],
    canary: &[String],
    percent: u32,
) -> Result<(), String> {
    let answer = command(admin, &set_weights_line(backend, stable, canary, percent)).await?;
    let said = answer.trim();
    if said.is_empty() {
        Ok(())
    } else {
        Err(format!("HAProxy at {admin}: {said}"))
    }
}

/// One server's line of `show stat`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerStat {
    pub name: String,
    /// Requests answered (all of `hrsp_1xx` … `hrsp_other`).
    pub responses: u64,
    pub responses_5xx: u64,
    /// Mean response time over the last 1 024 requests, in ms (HAProxy's `rtime`).
    pub rtime_ms: Option<f64>,
    /// `UP`, `DOWN`, `MAINT`, `no check`….
    pub status: String,
    pub weight: u32,
}

/// The servers of `backend` in `show stat`'s CSV (a `# pxname,svname,…` header, then a line per
/// proxy and server), by the header's column names.
pub fn parse_show_stat(csv: &str, backend: &str) -> Result<Vec<ServerStat>, String> {
    let mut lines = csv.lines();
    let header = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .ok_or_else(|| format!("not a `show stat` answer: {}", first_line(csv)))?;
    let cols: Vec<&str> = header.split(',').collect();
    let col = |name: &str| cols.iter().position(|c| *c == name);
    let (px, sv) = (
        col("pxname").ok_or("show stat has no pxname column")?,
        col("svname").ok_or("show stat has no svname column")?,
    );
    let codes: Vec<usize> = [
        "hrsp_1xx",
        "hrsp_2xx",
        "hrsp_3xx",
        "hrsp_4xx",
        "hrsp_5xx",
        "hrsp_other",
    ]
    .iter()
    .filter_map(|c| col(c))
    .collect();
    let (c5, rtime, status, weight) = (col("hrsp_5xx"), col("rtime"), col("status"), col("weight"));
    let mut out = Vec::new();
    let mut backend_seen = false;
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        if f.get(px) != Some(&backend) {
            continue;
        }
        backend_seen = true;
        let name = f.get(sv).copied().unwrap_or_default();
        if name == "FRONTEND" || name == "BACKEND" {
            continue;
        }
        let num = |i: Option<usize>| i.and_then(|i| f.get(i)).and_then(|v| v.parse::<u64>().ok());
        out.push(ServerStat {
            name: name.to_owned(),
            responses: codes.iter().filter_map(|&i| num(Some(i))).sum(),
            responses_5xx: num(c5).unwrap_or(0),
            rtime_ms: num(rtime).map(|v| v as f64),
            status: status
                .and_then(|i| f.get(i))
                .copied()
                .unwrap_or_default()
                .to_owned(),
            weight: num(weight).unwrap_or(0) as u32,
        });
    }
    if !backend_seen {
        return Err(format!("HAProxy has no backend {backend:?}"));
    }
    Ok(out)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("(nothing)")
}

/// Every server of `backend`, as `show stat` gives them now.
pub async fn server_stats(admin: &str, backend: &str) -> Result<Vec<ServerStat>, String> {
    let answer = command(admin, "show stat").await?;
    parse_show_stat(&answer, backend).map_err(|e| format!("HAProxy at {admin}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_give_the_share_asked_within_haproxys_range() {
        assert_eq!(weights_for(0, 1, 1), (100, 0));
        assert_eq!(weights_for(100, 2, 1), (0, 100));
        assert_eq!(weights_for(20, 1, 1), (4, 1));
        assert_eq!(
            weights_for(50, 3, 1),
            (1, 3),
            "one canary against three stable"
        );
        for (p, ns, nc) in [(1, 1, 1), (33, 2, 3), (95, 5, 1), (7, 4, 4), (20, 10, 1)] {
            let (ws, wc) = weights_for(p, ns, nc);
            assert!(
                ws <= HAPROXY_MAX_WEIGHT && wc <= HAPROXY_MAX_WEIGHT,
                "{p} {ns} {nc}"
            );
            let got = realised_percent(ws, wc, ns, nc);
            assert!((got - p as f64).abs() < 0.6, "{p} % over {ns}+{nc}: {got}");
        }
        // Past what weights of 1 to 256 can say, the nearest: the share reported is the real one.
        let (ws, wc) = weights_for(99, 5, 1);
        assert!((98.0..99.0).contains(&realised_percent(ws, wc, 5, 1)));
        assert_eq!(
            set_weights_line("web", &["s1".into()], &["c1".into()], 20),
            "set weight web/s1 4; set weight web/c1 1"
        );
    }

    #[test]
    fn show_stat_is_read_by_column_name_for_one_backend() {
        let csv = "# pxname,svname,qcur,status,weight,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,rtime,\n\
                   web,FRONTEND,,OPEN,,0,100,0,0,5,0,,\n\
                   web,stable1,0,UP,4,0,80,0,0,1,0,3,\n\
                   web,canary1,0,UP,1,0,15,0,0,4,0,12,\n\
                   web,BACKEND,0,UP,5,0,95,0,0,5,0,5,\n\
                   other,s9,0,UP,1,0,7,0,0,0,0,1,\n";
        let servers = parse_show_stat(csv, "web").unwrap();
        assert_eq!(servers.len(), 2);
        assert_eq!(
            servers[1],
            ServerStat {
                name: "canary1".into(),
                responses: 19,
                responses_5xx: 4,
                rtime_ms: Some(12.0),
                status: "UP".into(),
                weight: 1,
            }
        );
        assert!(parse_show_stat(csv, "nope")
            .unwrap_err()
            .contains("no backend \"nope\""));
        assert!(parse_show_stat("Unknown command.\n", "web")
            .unwrap_err()
            .contains("Unknown command"));
    }
}
