//! `wheelhouse ps` against the real engine and against endpoints that are missing, refuse, or
//! stall: the JSON document's contents, the exit status and the time it takes.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::bin::WhDirs;
use support::proxy::StalledEngine;
use support::*;

fn ps_json(dirs: &WhDirs, extra: &[&str], timeout: Duration) -> (i32, Value, String, Duration) {
    let mut args = vec!["ps", "--json"];
    args.extend_from_slice(extra);
    let started = Instant::now();
    let out = output_with_timeout(&mut dirs.command(&args), timeout)
        .unwrap_or_else(|e| panic!("wheelhouse {args:?}: {e}"));
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("ps --json printed no JSON ({e}):\n{stdout}"));
    (
        out.status.code().unwrap_or(-1),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        took,
    )
}

#[test]
fn ps_json_describes_every_container() {
    let tc = TestContainers::new();
    let project = tc.project("psj");
    let web = tc.compose_group(&project, "web", 2);
    // A published port on loopback; the host port is the engine's choice (ephemeral range).
    let ported = tc.run("ported", &["-p", "127.0.0.1::8080"], HTTPD_CMD);
    let healthy = tc.healthy("good");
    let unhealthy = tc.unhealthy("bad");
    let stopped = tc.run("stopped", &[], &["sh", "-c", "exit 3"]);
    tc.wait_health(&healthy, "healthy", Duration::from_secs(20))
        .unwrap();
    tc.wait_health(&unhealthy, "unhealthy", Duration::from_secs(20))
        .unwrap();
    poll(Duration::from_secs(10), || {
        match try_docker(&["inspect", "-f", "{{.State.Status}}", &stopped])?.as_str() {
            "exited" => Ok(()),
            s => Err(s.to_string()),
        }
    })
    .unwrap();
    let host_port: u16 = docker(&["port", &ported, "8080/tcp"])
        .lines()
        .next()
        .and_then(|l| l.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .expect("published port");

    let dirs = WhDirs::new();
    let (code, doc, stderr, _) = ps_json(&dirs, &[], Duration::from_secs(40));
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(doc["schema"], 1);
    let ep = &doc["endpoints"][0];
    assert_eq!(ep["name"], "default");
    assert_eq!(ep["reachable"], true);
    assert_eq!(ep["version"], engine_required().server_version.as_str());
    assert!(
        ep["api_version"].as_str().is_some_and(|v| !v.is_empty()),
        "{ep}"
    );
    assert!(ep["error"].is_null(), "{ep}");

    let mine: HashMap<String, &Value> = doc["containers"]
        .as_array()
        .expect("containers array")
        .iter()
        .filter(|c| c["labels"][RUN_LABEL] == tc.run_id())
        .map(|c| (c["id"].as_str().unwrap().to_string(), c))
        .collect();
    assert_eq!(mine.len(), 6, "{mine:#?}");
    for c in mine.values() {
        assert_eq!(c["endpoint"], "default");
        assert_eq!(c["image"], tc.image());
    }

    for (n, id) in web.iter().enumerate() {
        let c = mine[id];
        assert_eq!(c["name"], format!("{project}-web-{}", n + 1));
        assert_eq!(c["state"], "running");
        assert_eq!(c["health"], "none");
        assert_eq!(c["project"], project.as_str());
        assert_eq!(c["service"], "web");
        assert_eq!(c["replica"], n as u64 + 1);
        assert_eq!(c["labels"]["com.docker.compose.service"], "web");
        assert_eq!(c["restart_count"], 0);
        assert!(c["exit_code"].is_null() || c["exit_code"] == 0, "{c}");
        let started = c["started_at"].as_str().expect("started_at");
        chrono::DateTime::parse_from_rfc3339(started).expect("RFC 3339 started_at");
        assert!(c["uptime_seconds"].as_i64().is_some(), "{c}");
    }

    let p = mine[&ported];
    assert_eq!(p["project"], Value::Null);
    let ports = p["ports"].as_array().unwrap();
    assert!(
        ports.iter().any(|port| port["host_ip"] == "127.0.0.1"
            && port["host_port"] == host_port
            && port["container_port"] == 8080
            && port["protocol"] == "tcp"),
        "{ports:?} lacks 127.0.0.1:{host_port}->8080/tcp"
    );

    assert_eq!(mine[&healthy]["health"], "healthy");
    assert_eq!(mine[&healthy]["state"], "running");
    assert_eq!(mine[&unhealthy]["health"], "unhealthy");
    let s = mine[&stopped];
    assert_eq!(s["state"], "exited");
    assert_eq!(s["exit_code"], 3);
    assert!(s["uptime_seconds"].is_null(), "{s}");
    assert!(s["finished_at"].as_str().is_some(), "{s}");
    assert_eq!(s["oom_killed"], false, "{s}");
    assert_eq!(s["name"], tc.name("stopped"));
    // Every fact the detail pane shows, networks included.
    let r = mine[&ported];
    assert_eq!(r["network_mode"], "default", "{r}");
    let nets = r["networks"].as_array().expect("networks");
    assert!(
        nets.iter().any(|n| n["network"] == "bridge"
            && n["driver"] == "bridge"
            && n["network_id"].as_str().is_some_and(|id| id.len() == 64)
            && n["ipv4"].as_str().is_some_and(|ip| ip.contains('/'))),
        "{nets:?}"
    );

    // The text table names them too.
    let out = output_with_timeout(&mut dirs.command(&["ps"]), Duration::from_secs(40)).unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("ENDPOINT"), "{text}");
    for name in [
        format!("{project}-web-1"),
        format!("{project}-web-2"),
        tc.name("stopped"),
        tc.name("bad"),
    ] {
        let row = text
            .lines()
            .find(|l| l.contains(&name))
            .unwrap_or_else(|| panic!("{name} missing from:\n{text}"));
        if name.ends_with("stopped") {
            assert!(
                row.contains("exited(3)"),
                "the code, as the console shows: {row}"
            );
        }
        if name.ends_with("bad") {
            assert!(row.contains("unhealthy"), "{row}");
        }
    }
}

#[test]
fn ps_json_masks_labels_and_url_passwords_unless_asked_to_show_them() {
    let tc = TestContainers::new();
    let id = tc.run(
        "secretive",
        &[
            "--label",
            "db.password=hunter2",
            "--label",
            "tier=web",
            "--restart",
            "on-failure:3",
        ],
        &["sh", "-c", "sleep 3600 # postgres://app:hunter2@db/app"],
    );
    let dirs = WhDirs::new();
    let mine = |extra: &[&str]| {
        let (code, doc, stderr, _) = ps_json(&dirs, extra, Duration::from_secs(40));
        assert_eq!(code, 0, "stderr: {stderr}");
        doc["containers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id.as_str())
            .cloned()
            .expect("the container is listed")
    };
    let c = mine(&[]);
    assert_eq!(c["restart_policy"], "on-failure:3", "{c}");
    assert_eq!(c["labels"]["db.password"], "••••••••", "{c}");
    assert_eq!(c["labels"]["tier"], "web");
    let command = c["command"].as_str().unwrap();
    assert!(
        command.contains("postgres://app:••••••••@db/app"),
        "{command}"
    );
    assert!(!c.to_string().contains("hunter2"), "{c}");
    let c = mine(&["--show-secrets"]);
    assert_eq!(c["labels"]["db.password"], "hunter2");
    assert!(c["command"].as_str().unwrap().contains("app:hunter2@db"));
}

fn assert_unreachable(host: &str, needle: &str, within: Duration) {
    let dirs = WhDirs::new();
    let (code, doc, stderr, took) = ps_json(&dirs, &["-H", host], within + Duration::from_secs(5));
    assert_eq!(code, 1, "exit status for {host}; stderr: {stderr}");
    assert!(took < within, "{host}: ps took {took:?}");
    assert_eq!(doc["schema"], 1);
    let ep = &doc["endpoints"][0];
    assert_eq!(ep["host"], host);
    assert_eq!(ep["reachable"], false);
    assert!(ep["version"].is_null());
    let err = ep["error"].as_str().expect("error text");
    assert!(err.contains(needle), "error {err:?} should name {needle:?}");
    assert_eq!(doc["containers"].as_array().map(Vec::len), Some(0));
    assert!(
        stderr.contains("unreachable") && stderr.contains(host),
        "stderr should say which endpoint is unreachable: {stderr}"
    );
}

#[test]
fn ps_on_a_missing_socket_fails_fast_and_says_why() {
    assert_unreachable(
        "unix:///nonexistent.sock",
        "/nonexistent.sock",
        Duration::from_secs(5),
    );
}

#[test]
fn ps_on_a_refused_tcp_port_fails_fast_and_says_why() {
    assert_unreachable("tcp://127.0.0.1:1", "refused", Duration::from_secs(5));
}

#[test]
fn ps_on_a_stalled_engine_gives_up_in_bounded_time() {
    let dirs = WhDirs::new();
    let sock = dirs.root().join("stalled.sock");
    let stalled = StalledEngine::start(&sock);
    let host = format!("unix://{}", sock.display());
    let (code, doc, stderr, took) = ps_json(&dirs, &["-H", &host], Duration::from_secs(60));
    assert_ne!(code, 0, "stderr: {stderr}");
    assert!(
        took < Duration::from_secs(35),
        "ps took {took:?} on a stalled engine"
    );
    assert!(stalled.connections() >= 1, "ps never connected");
    assert_eq!(doc["endpoints"][0]["reachable"], false);
    assert!(
        doc["endpoints"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains(&sock.display().to_string())),
        "{doc}"
    );
    assert!(stderr.contains("unreachable"), "{stderr}");
}
