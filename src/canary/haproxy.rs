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

use serde::{Deserialize, Serialize};

use super::router::{realised_percent, weights_for, Memory, Router};
use super::traffic::{Side, Traffic};

/// The highest weight HAProxy takes for one server.
pub const HAPROXY_MAX_WEIGHT: u32 = 256;

/// A backend of HAProxy's, its servers split into stable and canary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Haproxy {
    /// `host:port`, or a path to a unix socket.
    pub admin: String,
    pub backend: String,
    pub stable: Vec<String>,
    pub canary: Vec<String>,
}

impl Router for Haproxy {
    fn describe(&self) -> String {
        format!("haproxy {} backend {}", self.admin, self.backend)
    }

    fn realisable(&self, percent: u32) -> u32 {
        let (ws, wc) = weights_for(
            percent,
            self.stable.len(),
            self.canary.len(),
            HAPROXY_MAX_WEIGHT,
        );
        realised_percent(ws, wc, self.stable.len(), self.canary.len()).round() as u32
    }

    fn preview(&self, percent: u32) -> Vec<String> {
        vec![format!(
            "It is sent: {}",
            set_weights_line(&self.backend, &self.stable, &self.canary, percent)
        )]
    }

    async fn check(&self) -> Result<(), String> {
        let servers = server_stats(&self.admin, &self.backend).await?;
        self.traffic(&servers).map(|_| ())
    }

    /// The servers are checked first: HAProxy applies a line's commands one by one, so a name
    /// it does not have would leave the others moved. No share goes to a side whose every
    /// server HAProxy's checks find down.
    ///
    /// A side that was just (re)started may still be down to HAProxy until its checks pass
    /// (`rise` of them): that is waited for, up to [`UP_WITHIN`].
    async fn apply(&self, percent: u32) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + UP_WITHIN;
        loop {
            let servers = server_stats(&self.admin, &self.backend).await?;
            let traffic = self.traffic(&servers)?;
            let down = [
                ("canary", &self.canary, &traffic.canary, percent > 0),
                ("stable", &self.stable, &traffic.stable, percent < 100),
            ]
            .into_iter()
            .find(|(_, _, s, gets)| *gets && s.servers_up == 0);
            let Some((side, names, _, _)) = down else {
                break;
            };
            if tokio::time::Instant::now() >= deadline {
                let said: Vec<String> = servers
                    .iter()
                    .filter(|x| names.contains(&x.name))
                    .map(|x| format!("{} {}", x.name, x.status))
                    .collect();
                return Err(format!(
                    "backend {}: every {side} server is down ({}) after {UP_WITHIN:?}; no weight moved",
                    self.backend,
                    said.join(", ")
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        set_percent(
            &self.admin,
            &self.backend,
            &self.stable,
            &self.canary,
            percent,
        )
        .await
    }

    async fn read(&self, _: &mut Memory) -> Result<Traffic, String> {
        let servers = server_stats(&self.admin, &self.backend).await?;
        self.traffic(&servers)
    }
}

impl Haproxy {
    /// Both sides from the backend's servers; a server the rollout names that the backend
    /// does not have is an error naming it.
    pub fn traffic(&self, servers: &[ServerStat]) -> Result<Traffic, String> {
        let side = |names: &[String]| -> Result<(Side, u32), String> {
            let mut s = Side {
                servers: names.len(),
                ..Side::default()
            };
            let (mut weighted, mut weight_sum, mut weight) = (0.0, 0u64, 0u32);
            for name in names {
                let found = servers.iter().find(|x| &x.name == name).ok_or_else(|| {
                    let known: Vec<&str> = servers.iter().map(|x| x.name.as_str()).collect();
                    format!(
                        "backend {} has no server {name:?} (it has {})",
                        self.backend,
                        known.join(", ")
                    )
                })?;
                s.requests += found.responses;
                s.errors += found.responses_5xx;
                if found.status.starts_with("UP") || found.status == "no check" {
                    s.servers_up += 1;
                }
                if let Some(ms) = found.rtime_ms {
                    weighted += ms * found.responses.max(1) as f64;
                    weight_sum += found.responses.max(1);
                }
                weight = weight.max(found.weight);
            }
            s.latency_ms = (weight_sum > 0).then(|| weighted / weight_sum as f64);
            Ok((s, weight))
        };
        let (stable, ws) = side(&self.stable)?;
        let (canary, wc) = side(&self.canary)?;
        Ok(Traffic {
            queries: Vec::new(),
            stable,
            canary,
            weight_percent: realised_percent(ws, wc, self.stable.len(), self.canary.len()),
        })
    }
}

/// How long a share waits for the side it sends requests to to be up in HAProxy's checks.
pub const UP_WITHIN: Duration = Duration::from_secs(10);
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

/// The command line that sets every server's weight for `percent`.
pub fn set_weights_line(
    backend: &str,
    stable: &[String],
    canary: &[String],
    percent: u32,
) -> String {
    let (ws, wc) = weights_for(percent, stable.len(), canary.len(), HAPROXY_MAX_WEIGHT);
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
    /// Requests it was sent: answered (`hrsp_1xx` … `hrsp_other`) or failed (`econ`, `eresp`).
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
    // A server that refused the connection or broke off its answer answered nothing, so no
    // hrsp_ counts it: those are failed requests too (HAProxy told the client 502/503).
    let (econ, eresp) = (col("econ"), col("eresp"));
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
        let failed = num(econ).unwrap_or(0) + num(eresp).unwrap_or(0);
        out.push(ServerStat {
            name: name.to_owned(),
            responses: codes.iter().filter_map(|&i| num(Some(i))).sum::<u64>() + failed,
            responses_5xx: num(c5).unwrap_or(0) + failed,
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
    fn one_line_sets_every_servers_weight() {
        assert_eq!(
            set_weights_line("web", &["s1".into()], &["c1".into()], 20),
            "set weight web/s1 4; set weight web/c1 1"
        );
    }

    #[test]
    fn show_stat_is_read_by_column_name_for_one_backend() {
        let csv = "# pxname,svname,qcur,status,weight,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,rtime,econ,eresp,\n\
                   web,FRONTEND,,OPEN,,0,100,0,0,5,0,,,,\n\
                   web,stable1,0,UP,4,0,80,0,0,1,0,3,0,0,\n\
                   web,canary1,0,UP,1,0,15,0,0,4,0,12,2,1,\n\
                   web,BACKEND,0,UP,5,0,95,0,0,5,0,5,2,1,\n\
                   other,s9,0,UP,1,0,7,0,0,0,0,1,0,0,\n";
        let servers = parse_show_stat(csv, "web").unwrap();
        assert_eq!(servers.len(), 2);
        // 19 answers, 4 of them 5xx, and 3 requests it failed (2 refused, 1 broken off).
        assert_eq!(
            servers[1],
            ServerStat {
                name: "canary1".into(),
                responses: 22,
                responses_5xx: 7,
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
