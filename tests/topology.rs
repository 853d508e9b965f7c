//! Topology against a project the real Compose v2 brought up: a public front network and an
//! internal back one, a service that depends on another, and containers in host, none and
//! `service:` (container) network modes. The JSON export agrees with `docker inspect`, dot
//! renders with Graphviz, the console's view shows the tree, reachability, the network matrix and
//! the service graph, and a network connected while it is open shows up without a key pressed.
//! Network health is measured on real TCP traffic, with packets dropped by iptables.

mod support;

use std::process::Command;
use std::time::Duration;

use support::bin::WhDirs;
use support::compose::{Compose, ComposeProject};
use support::*;

const START: Duration = Duration::from_secs(20);

const YAML: &str = r#"
services:
  web:
    image: __IMAGE__
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    labels: __LABELS__
    networks: [front, back]
    ports: ["127.0.0.1::8080"]
    depends_on:
      db: {condition: service_started}
  db:
    image: __IMAGE__
    command: ["sleep", "100000"]
    labels: __LABELS__
    networks:
      back:
        aliases: ["database"]
  side:
    image: __IMAGE__
    command: ["sleep", "100000"]
    labels: __LABELS__
    network_mode: "service:web"
    depends_on: [web]
  agent:
    image: __IMAGE__
    command: ["sleep", "100000"]
    labels: __LABELS__
    network_mode: host
  hermit:
    image: __IMAGE__
    command: ["sleep", "100000"]
    labels: __LABELS__
    network_mode: none
networks:
  front: {}
  back: {internal: true}
"#;

fn topology(dirs: &WhDirs, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["topology"];
    all.extend_from_slice(args);
    let out = output_with_timeout(&mut dirs.command(&all), Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("wheelhouse topology {args:?}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn container<'a>(t: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    t["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container {name} in {t:#}"))
}

#[test]
fn the_export_agrees_with_docker_and_dot_renders_it() {
    let p = ComposeProject::up(Compose::V2, YAML);
    let dirs = WhDirs::new();
    let (code, out, err) = topology(&dirs, &["--project", &p.name]);
    assert_eq!(code, 0, "{err}");
    let t: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(t["version"], 1);
    let (front, back) = (format!("{}_front", p.name), format!("{}_back", p.name));
    let net = |name: &str| {
        t["networks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == name)
            .unwrap_or_else(|| panic!("no network {name}: {t:#}"))
            .clone()
    };
    assert_eq!(net(&front)["internal"], false);
    assert_eq!(net(&back)["internal"], true);
    let web = p.replica_name("web", 1);
    let db = p.replica_name("db", 1);
    // Members from the containers' side, as `docker network inspect` lists them.
    let members = |name: &str| -> Vec<String> {
        let mut m: Vec<String> = net(name)["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                t["containers"][i.as_u64().unwrap() as usize]["name"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        m.sort();
        m
    };
    let inspected = |name: &str| -> Vec<String> {
        let out = docker(&[
            "network",
            "inspect",
            "-f",
            "{{range .Containers}}{{.Name}} {{end}}",
            name,
        ]);
        let mut m: Vec<String> = out.split_whitespace().map(str::to_owned).collect();
        m.sort();
        m
    };
    assert_eq!(members(&back), inspected(&back));
    assert_eq!(members(&front), inspected(&front));
    assert_eq!(members(&back), {
        let mut v = vec![db.clone(), web.clone()];
        v.sort();
        v
    });
    // Addresses and aliases as inspect has them.
    for m in container(&t, &web)["networks"].as_array().unwrap() {
        let name = m["network_name"].as_str().unwrap();
        assert_eq!(
            m["ipv4"].as_str().unwrap().split('/').next().unwrap(),
            p.address(&web, name.strip_prefix(&format!("{}_", p.name)).unwrap()),
            "{name}"
        );
    }
    let db_back = &container(&t, &db)["networks"][0];
    assert!(
        db_back["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "database"),
        "{db_back}"
    );
    // Modes, not edges.
    assert_eq!(
        container(&t, &p.replica_name("agent", 1))["network_mode"]["mode"],
        "host"
    );
    assert_eq!(
        container(&t, &p.replica_name("hermit", 1))["network_mode"]["mode"],
        "none"
    );
    let side = &container(&t, &p.replica_name("side", 1))["network_mode"];
    assert_eq!(
        (side["mode"].as_str(), side["target"].as_str()),
        (Some("container"), Some(web.as_str()))
    );
    for quiet in ["agent", "hermit", "side"] {
        assert_eq!(
            container(&t, &p.replica_name(quiet, 1))["networks"],
            serde_json::json!([]),
            "{quiet}"
        );
    }
    // depends_on, from Compose v2's label.
    let services = &t["endpoints"][0]["groups"][0]["services"];
    let web_service = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "web")
        .unwrap();
    assert_eq!(web_service["depends_on"][0]["service"], "db");
    assert_eq!(web_service["depends_on"][0]["condition"], "service_started");
    // The published port, with its host address.
    let port = &container(&t, &web)["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| !p["host_port"].is_null())
        .cloned()
        .unwrap();
    assert_eq!(port["host_ip"], "127.0.0.1");

    // dot renders; Mermaid is a flowchart with every container.
    let (code, dot, err) = topology(&dirs, &["--format", "dot", "--project", &p.name]);
    assert_eq!(code, 0, "{err}");
    let file = std::env::temp_dir().join(format!("wh-topology-{}.dot", unique_id()));
    std::fs::write(&file, &dot).unwrap();
    let rendered = Command::new("dot")
        .args(["-Tsvg", "-o", "/dev/null"])
        .arg(&file)
        .output()
        .expect("Graphviz's dot (scripts/test installs graphviz)");
    let _ = std::fs::remove_file(&file);
    assert!(
        rendered.status.success(),
        "{}\n{dot}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let (code, mermaid, _) = topology(&dirs, &["--format", "mermaid", "--project", &p.name]);
    assert_eq!(code, 0);
    assert!(mermaid.starts_with("flowchart LR"), "{mermaid}");
    assert!(mermaid.contains(&web) && mermaid.contains(&db), "{mermaid}");

    // A project that is not there is named, with what is.
    let (code, _, err) = topology(&dirs, &["--project", &format!("{}x", p.name)]);
    assert_eq!(code, 2);
    assert!(err.contains("no project or stack"), "{err}");
}

#[test]
fn the_view_shows_the_tree_reach_and_matrix_and_follows_a_connect() {
    let p = ComposeProject::up(Compose::V2, YAML);
    let dirs = WhDirs::new();
    let t = dirs.tmux(&[], 160, 40);
    t.expect_text(" wheelhouse ", START);
    t.send_keys(&["/"]);
    t.send_literal(&format!("project:{}", p.name));
    t.send_keys(&["Enter"]);
    t.expect_text("5 shown", START);
    t.send_keys(&["T"]);
    let screen = t.expect_text("web → db", START);
    let db = p.replica_name("db", 1);
    let web = p.replica_name("web", 1);
    assert!(
        screen.contains("container:") && screen.contains("host") && screen.contains("none"),
        "{screen}"
    );
    // Down to the db's line: the reach panel names the web on the internal back network.
    let lines: Vec<&str> = screen.lines().collect();
    let first = lines.iter().position(|l| l.contains("NAME")).unwrap() + 1;
    let at = lines.iter().position(|l| l.contains(&db)).unwrap() - first;
    for _ in 0..at {
        t.send_keys(&["Down"]);
    }
    let back = format!("{}_back", p.name);
    let screen = t.expect_text(&format!("{web} ({back})"), Duration::from_secs(5));
    assert!(
        screen.contains("internal networks only: no route out"),
        "{screen}"
    );

    // The matrix: db on back only; connecting it to front shows without a key.
    t.send_keys(&["Tab"]);
    t.expect_text("CONTAINER", Duration::from_secs(5));
    let front = format!("{}_front", p.name);
    docker(&["network", "connect", &front, &db]);
    // The service graph: web above db, which it depends on; the modes said in the boxes.
    t.send_keys(&["Tab"]);
    let screen = t.expect_text(&format!("{} on ", p.name), Duration::from_secs(5));
    // A box's name line: `│ web   │`, or `│ ↔ web │` when it reaches the selected db.
    let row_of = |service: &str| {
        screen
            .lines()
            .position(|l| {
                !l.contains(&p.name)
                    && l.split('│')
                        .any(|cell| cell.trim().trim_start_matches("↔ ") == service)
            })
            .unwrap_or_else(|| panic!("no box {service:?} in the graph:\n{screen}"))
    };
    assert!(row_of("web") < row_of("db"), "{screen}");
    for said in ["host network", "no network", "running 1/1", "→8080"] {
        assert!(screen.contains(said), "{said:?} missing:\n{screen}");
    }
    t.send_keys(&["Tab"]);
    t.wait_for(
        |s| {
            s.lines()
                .any(|l| l.contains(&db) && l.contains(&front) && l.contains(&back))
        },
        Duration::from_secs(5),
    )
    .unwrap_or_else(|s| panic!("the connect never showed:\n{s}"));
    // Enter goes to the container in the table.
    t.send_keys(&["Enter"]);
    let screen = t.expect_text("Containers", Duration::from_secs(5));
    assert!(screen.contains(&db), "{screen}");
    t.quit_cleanly();
}

/// Removes a network when dropped (also when the test panics); declared before the containers'
/// guard, so that it drops after the containers are gone.
struct NetworkGuard(String);

impl Drop for NetworkGuard {
    fn drop(&mut self) {
        let _ = try_docker(&["network", "rm", &self.0]);
    }
}

/// Real TCP traffic between two containers: the client's detail pane shows its sockets, a
/// non-zero RTT and no retransmits; then the server's namespace drops a share of what the client
/// sends (iptables' `statistic` match), the client retransmits, and the warning appears (a toast
/// and an event), in the words the console uses: retransmits, not loss.
#[test]
fn network_health_on_real_traffic_rtt_then_retransmits_past_the_threshold() {
    let net = NetworkGuard(format!("wh-nh-{}", unique_id()));
    docker(&["network", "create", &net.0]);
    let tc = support::TestContainers::new();
    let server = tc.name("nh-server");
    // busybox nc reads its stdin too: a pipe that never closes keeps the server listening.
    tc.run(
        "nh-server",
        &["--network", &net.0],
        &[
            "sh",
            "-c",
            "while true; do sleep 100000 | nc -l -p 9000 > /dev/null; done",
        ],
    );
    // About a megabyte a second over one long connection, reconnecting if it drops.
    let stream = format!(
        "while true; do while dd if=/dev/zero bs=1k count=100 2>/dev/null; do sleep 0.1; done \
         | nc {server} 9000; sleep 1; done"
    );
    tc.run("nh-client", &["--network", &net.0], &["sh", "-c", &stream]);
    let client = tc.name("nh-client");
    let dirs = WhDirs::new();
    let t = dirs.tmux(&[], 160, 45);
    t.expect_text(" wheelhouse ", START);
    t.send_keys(&["/"]);
    t.send_literal(&client);
    t.send_keys(&["Enter"]);
    t.expect_text("1 shown", START);
    t.send_keys(&["d"]);
    let screen = t
        .wait_for(
            |s| s.contains("1 established") && s.contains("retransmits 0.0"),
            Duration::from_secs(20),
        )
        .unwrap_or_else(|s| panic!("no sockets, RTT and retransmits:\n{s}"));
    let tcp = screen.lines().find(|l| l.contains("TCP ")).unwrap();
    let p50: f64 = tcp
        .split("rtt p50 ")
        .nth(1)
        .and_then(|r| r.split(" ms").next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no RTT in {tcp:?}"));
    assert!(p50 > 0.0, "{tcp}");
    assert!(!screen.contains("loss"), "{screen}");

    // Drop 5 % of what arrives at the server: the client must send it again.
    let server_pid = docker(&["inspect", "-f", "{{.State.Pid}}", &server]);
    let drop_rule = [
        "-t",
        server_pid.trim(),
        "-n",
        "iptables",
        "-A",
        "INPUT",
        "-p",
        "tcp",
        "--dport",
        "9000",
        "-m",
        "statistic",
        "--mode",
        "random",
        "--probability",
        "0.05",
        "-j",
        "DROP",
    ];
    let out = Command::new("nsenter")
        .args(drop_rule)
        .output()
        .expect("nsenter");
    assert!(
        out.status.success(),
        "iptables in the server's namespace: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let screen = t
        .wait_for(
            |s| s.contains(&format!("{client} on ")) && s.contains("% over 0.5 %"),
            Duration::from_secs(20),
        )
        .unwrap_or_else(|s| panic!("no retransmit warning:\n{s}"));
    assert!(screen.contains("retransmits "), "{screen}");
    t.send_keys(&["e"]);
    t.expect_text("net_degraded", Duration::from_secs(5));
    t.quit_cleanly();
}
