//! Synthetic container logs in the Engine API's multiplexed stream format: each frame is an
//! 8-byte header (stream: 1 stdout, 2 stderr; three zero bytes; big-endian u32 length) and the
//! payload, as dockerd sends for containers without a TTY.

use chrono::{DateTime, SecondsFormat, Utc};

use super::rng::Rng;

pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;

/// One frame of the multiplexed stream.
pub fn frame(stream: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + payload.len());
    out.push(stream);
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Lines that look like what the service would print.
pub struct LineMaker {
    rng: Rng,
    service: String,
    seq: u64,
}

const PATHS: &[&str] = &[
    "/",
    "/api/orders",
    "/api/cart",
    "/healthz",
    "/static/app.js",
    "/login",
];

impl LineMaker {
    pub fn new(id: &str, service: &str) -> Self {
        let seed = u64::from_str_radix(&id[..id.len().min(15)], 16).unwrap_or(1);
        LineMaker {
            rng: Rng::new(seed),
            service: service.to_owned(),
            seq: 0,
        }
    }

    /// (stream, line without newline)
    pub fn next_line(&mut self) -> (u8, String) {
        self.seq += 1;
        let r = &mut self.rng;
        if r.chance(0.08) {
            let msg = match self.service.as_str() {
                "db" => "WARNING:  could not receive data from client: Connection reset by peer",
                "cache" => "# WARNING: overcommit_memory is set to 0!",
                _ => "level=warn msg=\"upstream slow\" latency_ms=812",
            };
            return (STDERR, msg.to_owned());
        }
        let line = match self.service.as_str() {
            "web" => format!(
                "172.18.0.{} - - \"GET {} HTTP/1.1\" {} {} \"-\" \"curl/8.5.0\"",
                2 + r.below(200),
                r.pick(PATHS),
                *r.pick(&[200, 200, 200, 304, 404, 502]),
                100 + r.below(9000)
            ),
            "db" => format!(
                "LOG:  duration: {}.{:03} ms  statement: SELECT * FROM orders WHERE id = {}",
                r.below(40),
                r.below(1000),
                r.below(100_000)
            ),
            "cache" => format!(
                "1:M * {} changes in 60 seconds. Saving...",
                1 + r.below(500)
            ),
            "worker" | "queue" => format!(
                "level=info msg=\"job done\" job={} queue=default took_ms={}",
                self.seq,
                r.below(2000)
            ),
            _ => format!(
                "level=info msg=\"request\" method=GET path={} status=200 took_ms={}",
                r.pick(PATHS),
                r.below(300)
            ),
        };
        (STDOUT, line)
    }
}

/// A frame for one line, with dockerd's timestamp prefix when asked.
pub fn line_frame(stream: u8, line: &str, at: DateTime<Utc>, timestamps: bool) -> Vec<u8> {
    let text = if timestamps {
        format!(
            "{} {line}\n",
            at.to_rfc3339_opts(SecondsFormat::Nanos, true)
        )
    } else {
        format!("{line}\n")
    };
    frame(stream, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_stream_then_big_endian_length() {
        let f = frame(STDERR, b"abc");
        assert_eq!(&f[..8], &[2, 0, 0, 0, 0, 0, 0, 3]);
        assert_eq!(&f[8..], b"abc");
    }
}
