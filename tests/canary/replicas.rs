//! A replica ratio through real Compose services: no router, the share is the canary's part of
//! the replicas behind one network alias, set by scale plans through the gate, and measured by
//! requests from a client container that resolves the alias with Docker's DNS.

use std::time::Duration;

use super::support::bin::WhDirs;
use super::support::compose::{Compose, ComposeProject};
use super::support::*;
use super::wh;

const PROJECT: &str = r#"
x-labels: &labels __LABELS__
x-web: &web
  command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
  stop_grace_period: 1s
  networks:
    default:
      aliases: [app]
services:
  web:
    <<: *web
    image: __IMAGE__
    labels:
      <<: *labels
      wheelhouse.track: stable
    deploy:
      replicas: 4
  web-canary:
    <<: *web
    image: __CANARY__
    labels:
      <<: *labels
      wheelhouse.track: canary
  client:
    image: __IMAGE__
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    labels: *labels
networks:
  default:
    labels: *labels
"#;

/// `n` requests from the client to the alias; how many the canary answered.
fn canary_answers(p: &ComposeProject, n: usize) -> usize {
    let client = p.running("client");
    let script =
        format!("for i in $(seq {n}); do wget -q -O - http://app:8080/ || echo FAILED; done");
    let out = docker(&["exec", &client[0], "sh", "-c", &script]);
    assert!(!out.contains("FAILED"), "every request answered:\n{out}");
    assert_eq!(out.lines().count(), n, "{out}");
    out.lines().filter(|l| l.contains("page v2")).count()
}

fn running(p: &ComposeProject) -> (usize, usize) {
    (p.running("web").len(), p.running("web-canary").len())
}

#[test]
fn twenty_per_cent_as_one_canary_replica_of_five_and_back_to_zero_stops_it() {
    let base = test_image();
    let repo = base.rsplit_once(':').map_or(base.as_str(), |(r, _)| r);
    let p = ComposeProject::up(
        Compose::V2,
        &PROJECT.replace("__CANARY__", &format!("{repo}:v2")),
    );
    let dirs = WhDirs::new();
    std::fs::write(
        dirs.config_dir().join("rollouts.toml"),
        format!(
            r#"
[[rollout]]
name = "web"
service = "{}"
canary_service = "{}"

[rollout.router]
kind = "replicas"
replicas = 5

[[rollout.step]]
weight = 20
"#,
            p.service("web"),
            p.service("web-canary")
        ),
    )
    .unwrap();
    poll(Duration::from_secs(30), || {
        (running(&p) == (4, 1))
            .then_some(())
            .ok_or(format!("{:?}", running(&p)))
    })
    .expect("the project is up");

    // 0 %: the canary is stopped (kept, to start again) and stable has all five.
    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "0", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(running(&p), (5, 0));
    assert_eq!(
        p.compose_ps("web").len(),
        5,
        "Compose lists the new replica"
    );
    let canary_containers = p
        .containers()
        .into_iter()
        .filter(|(n, _)| n.contains("web-canary"))
        .count();
    assert_eq!(canary_containers, 1, "stopped, not removed");
    assert_eq!(canary_answers(&p, 100), 0);

    // 20 %: one canary of five. Of 3 000 requests by DNS, 20 ± 3 % reach it (clients pick at
    // random: over 1 000 the ± 3 % is only 2.4 standard deviations, over 3 000 it is 4).
    let (code, out, err) = wh(&dirs, &["canary", "set-weight", "web", "20", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(running(&p), (4, 1));
    let to_canary = canary_answers(&p, 3000);
    assert!((510..=690).contains(&to_canary), "{to_canary} of 3000");

    // The share is what the replicas give, and said to be approximate.
    let (code, out, err) = wh(&dirs, &["canary", "status", "web"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("20 % — 1 canary, 4 stable") && out.contains("approximate"),
        "{out}"
    );
    // Each scale step is in the audit log under the rollout's plan.
    let records = dirs.audit_records();
    assert!(
        records
            .iter()
            .any(|r| r["action"] == "stop" && r["phase"] == "outcome" && r["result"] == "ok"),
        "{records:#?}"
    );
}
