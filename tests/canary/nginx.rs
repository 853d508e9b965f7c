//! The same rollout through a real nginx (Debian's): the upstream's server lines in a file
//! wheelhouse rewrites, `nginx -t` before `nginx -s reload`, counts from its JSON access log.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::support::bin::WhDirs;
use super::support::*;
use super::{canary_answers, free_port, web_pair_with, wh};

/// One nginx on a prefix of its own, stopped when dropped.
struct Nginx {
    child: Child,
    front: u16,
    dir: tempfile::TempDir,
}

impl Drop for Nginx {
    /// SIGTERM, so that the master takes its workers with it (SIGKILL would leave them).
    fn drop(&mut self) {
        // SAFETY: a signal to a process this test started.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

const NGINX: &str = "/usr/sbin/nginx";

impl Nginx {
    /// Upstream `web` of the stable and canary ports, the canary `down` to begin with.
    fn start(stable: u16, canary: u16) -> Nginx {
        assert!(
            std::path::Path::new(NGINX).exists(),
            "nginx (scripts/test installs Debian's nginx-light)"
        );
        let front = free_port();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        std::fs::write(
            dir.path().join("web.conf"),
            format!("server 127.0.0.1:{stable} weight=1;\nserver 127.0.0.1:{canary} down;\n"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("nginx.conf"),
            format!(
                "daemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\n\
                 http {{\n\
                 \x20 log_format wh escape=json '{{\"upstream_addr\":\"$upstream_addr\",\"status\":\"$status\",\"upstream_status\":\"$upstream_status\",\"upstream_response_time\":\"$upstream_response_time\"}}';\n\
                 \x20 access_log {d}/access.json wh;\n\
                 \x20 client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
                 \x20 upstream web {{ include {d}/web.conf; }}\n\
                 \x20 server {{ listen 127.0.0.1:{front}; location / {{ proxy_pass http://web; }} }}\n\
                 }}\n"
            ),
        )
        .unwrap();
        let child = Command::new(NGINX)
            .args(["-p", &d, "-c", &format!("{d}/nginx.conf")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let n = Nginx { child, front, dir };
        poll(Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", front)).map_err(|e| e.to_string())
        })
        .expect("nginx listening");
        n
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn servers_file(&self) -> String {
        std::fs::read_to_string(self.path("web.conf")).unwrap()
    }

    fn rollouts_toml(&self, stable: u16, canary: u16) -> String {
        let d = self.dir.path().display();
        format!(
            r#"
[[rollout]]
name = "web"
service = "shop/web"

[rollout.router]
kind = "nginx"
upstream = "web"
include = "{d}/web.conf"
access_log = "{d}/access.json"
test = ["{NGINX}", "-t", "-p", "{d}", "-c", "{d}/nginx.conf"]
reload = ["{NGINX}", "-s", "reload", "-p", "{d}", "-c", "{d}/nginx.conf"]
stable = ["127.0.0.1:{stable}"]
canary = ["127.0.0.1:{canary}"]

[[rollout.step]]
weight = 20
"#
        )
    }
}

/// nginx applies a reload by starting new workers: requests made before they took over may
/// still go the old way. Waits until a request goes the new way.
fn settled(front: u16, to_canary: bool) {
    poll(Duration::from_secs(10), || {
        let got = canary_answers(front, 20);
        (to_canary == (got > 0))
            .then_some(())
            .ok_or(format!("{got} of 20 to the canary"))
    })
    .expect("nginx took the new weights");
}

#[test]
fn twenty_per_cent_through_nginx_reaches_the_canary_and_a_refused_reload_keeps_the_old_weights() {
    let tc = TestContainers::new();
    let (stable, canary) = web_pair_with(&tc, None);
    let n = Nginx::start(stable, canary);
    let dirs = WhDirs::new();
    let path = dirs.config_dir().join("rollouts.toml");
    std::fs::write(&path, n.rollouts_toml(stable, canary)).unwrap();

    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "20", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        n.servers_file().contains(&format!(
            "server 127.0.0.1:{stable} weight=4;\nserver 127.0.0.1:{canary} weight=1;"
        )),
        "{}",
        n.servers_file()
    );
    settled(n.front, true);
    // Of 1 000 requests, 20 ± 3 % reach the canary.
    let to_canary = canary_answers(n.front, 1000);
    assert!((170..=230).contains(&to_canary), "{to_canary} of 1000");
    // The access log's counts are what `status` reports.
    let (code, out, err) = wh(&dirs, &["canary", "status", "web", "--json"]);
    assert_eq!(code, 0, "{err}");
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["traffic"]["weight_percent"], 20.0, "{status:#}");
    let counted = status["traffic"]["canary"]["requests"].as_u64().unwrap();
    assert!((170..=250).contains(&counted), "{status:#}");

    // nginx -t refuses the configuration (someone broke nginx.conf): its words are said, the
    // file is put back and nginx keeps 20 %.
    let conf = n.path("nginx.conf");
    let good = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(&conf, format!("{good}wheelhouse_no_such_directive on;\n")).unwrap();
    let before = n.servers_file();
    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "50", "--yes"]);
    assert_eq!(code, 1, "{out}{err}");
    let said = format!("{out}{err}");
    assert!(
        said.contains("unknown directive \"wheelhouse_no_such_directive\""),
        "{said}"
    );
    assert!(said.contains("nginx keeps the old weights"), "{said}");
    assert_eq!(n.servers_file(), before);

    // A reload that fails (nginx is not running): its words, and the file as it was.
    std::fs::write(&conf, &good).unwrap();
    let _ = std::fs::remove_file(n.path("nginx.pid"));
    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "50", "--yes"]);
    assert_eq!(code, 1, "{out}{err}");
    let said = format!("{out}{err}");
    assert!(said.contains("nginx.pid"), "{said}");
    assert_eq!(n.servers_file(), before);
    let to_canary = canary_answers(n.front, 200);
    assert!(
        (20..=60).contains(&to_canary),
        "still 20 %: {to_canary} of 200"
    );
}

#[test]
fn back_to_zero_through_nginx_all_requests_reach_stable() {
    let tc = TestContainers::new();
    let (stable, canary) = web_pair_with(&tc, None);
    let n = Nginx::start(stable, canary);
    let dirs = WhDirs::new();
    std::fs::write(
        dirs.config_dir().join("rollouts.toml"),
        n.rollouts_toml(stable, canary),
    )
    .unwrap();
    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "50", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    settled(n.front, true);
    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "0", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(n
        .servers_file()
        .contains(&format!("server 127.0.0.1:{canary} down;")));
    settled(n.front, false);
    assert_eq!(canary_answers(n.front, 200), 0);
}
