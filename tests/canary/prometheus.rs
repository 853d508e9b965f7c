//! PromQL gates against a real Prometheus (Debian's), scraping HAProxy's built-in exporter
//! every second: a query over the canary's 5xx fails, one over stable's answers passes, one
//! with no data fails (never a pass), and a Prometheus that does not answer says so.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::support::*;
use super::{free_port, rig_with, wh, BROKEN_CANARY};

struct Prometheus {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const PROMETHEUS: &str = "/usr/bin/prometheus";

impl Prometheus {
    /// Scraping `target` (`host:port`, `/metrics`) every second.
    fn start(target: &str) -> Prometheus {
        assert!(
            std::path::Path::new(PROMETHEUS).exists(),
            "prometheus (scripts/test installs Debian's)"
        );
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("prometheus.yml");
        std::fs::write(
            &cfg,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: haproxy\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus");
        Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    /// The query's answer as Prometheus's API gives it (curl-free: one HTTP/1.0 request).
    fn query(&self, q: &str) -> String {
        use std::io::{Read, Write};
        let encoded: String = q
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        let addr = self.url.trim_start_matches("http://");
        let Ok(mut s) = std::net::TcpStream::connect(addr) else {
            return String::new();
        };
        let _ = write!(
            s,
            "GET /api/v1/query?query={encoded} HTTP/1.0\r\nHost: {addr}\r\n\r\n"
        );
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
    }
}

/// Requests to `front` until the flag drops (the router's counters move while `status`
/// watches its window).
fn load(front: u16) -> (Arc<AtomicBool>, std::thread::JoinHandle<()>) {
    let on = Arc::new(AtomicBool::new(true));
    let flag = on.clone();
    let handle = std::thread::spawn(move || {
        while flag.load(Ordering::Relaxed) {
            super::send(front, 5);
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    (on, handle)
}

#[test]
fn promql_gates_fail_on_the_canarys_5xx_and_on_no_data_pass_on_stables_answers() {
    let (_tc, h, dirs) = rig_with(Some(BROKEN_CANARY), |toml| toml);
    let p = Prometheus::start(&format!("127.0.0.1:{}", h.exporter));
    let path = dirs.config_dir().join("rollouts.toml");
    let gates = |prometheus: &str| {
        format!(
            r#"
[rollout.gates]
min_requests = 1
max_error_percent = 100.0
max_error_points_above_stable = 100.0
prometheus = "{prometheus}"

[[rollout.gates.query]]
name = "canary 5xx"
query = 'sum(haproxy_server_http_responses_total{{proxy="web",server="canary1",code="5xx"}})'
max = 0

[[rollout.gates.query]]
name = "stable 2xx"
query = 'sum(haproxy_server_http_responses_total{{proxy="web",server="stable1",code="2xx"}})'
min = 1

[[rollout.gates.query]]
name = "no such server"
query = 'haproxy_server_http_responses_total{{server="nope"}}'
max = 1
"#
        )
    };
    let base = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{base}{}", gates(&p.url))).unwrap();
    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "50", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    let (on, loader) = load(h.front);
    // Prometheus has scraped both servers' answers.
    poll(Duration::from_secs(30), || {
        let a = p.query(
            r#"sum(haproxy_server_http_responses_total{proxy="web",server="canary1",code="5xx"})"#,
        );
        let b = p.query(
            r#"sum(haproxy_server_http_responses_total{proxy="web",server="stable1",code="2xx"})"#,
        );
        (a.contains("\"value\"") && b.contains("\"value\""))
            .then_some(())
            .ok_or(format!("{a}\n{b}"))
    })
    .expect("prometheus scraped haproxy");

    let (code, out, err) = wh(&dirs, &["canary", "status", "web"]);
    assert_eq!(code, 1, "failing gates fail the status:\n{out}{err}");
    let line = |gate: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("gate {gate}")))
            .unwrap_or_else(|| panic!("no line for {gate}:\n{out}"))
            .to_owned()
    };
    assert!(
        line("canary 5xx").ends_with("FAILED") && line("canary 5xx").contains("> 0.00"),
        "{out}"
    );
    assert!(
        line("stable 2xx").ends_with("passed") && line("stable 2xx").contains("≥ 1"),
        "{out}"
    );
    assert!(
        line("no such server").contains("no data") && line("no such server").ends_with("FAILED"),
        "{out}"
    );

    // A Prometheus that does not answer: every query says so, none passes.
    let dead = format!("http://127.0.0.1:{}", free_port());
    std::fs::write(&path, format!("{base}{}", gates(&dead))).unwrap();
    let (code, out, _) = wh(&dirs, &["canary", "status", "web"]);
    assert_eq!(code, 1, "{out}");
    for gate in ["canary 5xx", "stable 2xx", "no such server"] {
        let l = out
            .lines()
            .find(|l| l.starts_with(&format!("gate {gate}")))
            .unwrap_or_else(|| panic!("no line for {gate}:\n{out}"));
        assert!(
            l.contains(&format!("Prometheus at {dead}")) && l.ends_with("FAILED"),
            "{out}"
        );
    }
    on.store(false, Ordering::Relaxed);
    loader.join().unwrap();
}
