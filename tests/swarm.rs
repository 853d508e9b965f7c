//! Swarm against a real single-node Swarm (its own engine, `scripts/test` sets it up): a stack
//! deployed with `docker stack deploy` is listed with its services and tasks; a service is scaled
//! in the console and back headless, the manager agreeing and no task restarted by it; a rolling
//! update to a second tag completes; one to a tag whose health check fails is rolled back by
//! Swarm, and the console says so; the node drained from the endpoints panel leaves its tasks
//! pending with the manager's reason in the table. Bad input changes nothing.

mod support;

use std::time::{Duration, Instant};

use support::bin::WhDirs;
use support::*;

const START: Duration = Duration::from_secs(20);

/// A stack of the test run, removed when dropped.
struct Stack {
    name: String,
    host: String,
}

impl Stack {
    fn deploy(web_replicas: u32) -> Stack {
        let host = swarm_sock();
        let name = format!("whs{}x{}", std::process::id(), unique_id());
        let image = test_image();
        let file = std::env::temp_dir().join(format!("{name}.yml"));
        let yaml = format!(
            r#"version: "3.8"
services:
  web:
    image: {image}
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 2
    deploy:
      replicas: {web_replicas}
      endpoint_mode: dnsrr
      resources:
        limits: {{cpus: "0.5", memory: 64M}}
        reservations: {{memory: 16M}}
      update_config: {{parallelism: 1, delay: 1s, failure_action: rollback, monitor: 4s, order: start-first}}
      rollback_config: {{parallelism: 2, monitor: 1s}}
  agent:
    image: {image}
    command: ["sleep", "100000"]
    deploy:
      mode: global
      endpoint_mode: dnsrr
"#
        );
        std::fs::write(&file, yaml).unwrap();
        let path = file.to_string_lossy().to_string();
        docker_on(
            Some(&host),
            &["stack", "deploy", "--detach=true", "-c", &path, &name],
        );
        let stack = Stack { name, host };
        stack.wait_running("web", web_replicas as usize);
        stack.wait_running("agent", 1);
        stack
    }

    fn service(&self, short: &str) -> String {
        format!("{}_{short}", self.name)
    }

    fn label(&self, short: &str) -> String {
        format!("{}/{short}", self.name)
    }

    fn docker(&self, args: &[&str]) -> String {
        docker_on(Some(&self.host), args)
    }

    fn inspect(&self, short: &str, format: &str) -> String {
        self.docker(&["service", "inspect", "-f", format, &self.service(short)])
            .trim()
            .to_string()
    }

    /// Containers of the service's current tasks, running and healthy (or without a check).
    fn running(&self, short: &str) -> Vec<String> {
        let out = self.docker(&[
            "ps",
            "-q",
            "--filter",
            &format!(
                "label=com.docker.swarm.service.name={}",
                self.service(short)
            ),
            "--filter",
            "status=running",
        ]);
        out.split_whitespace().map(str::to_owned).collect()
    }

    fn wait_running(&self, short: &str, n: usize) {
        poll(Duration::from_secs(90), || {
            let running = self.running(short);
            let healthy = running.iter().all(|id| {
                let h = self.docker(&[
                    "inspect",
                    "-f",
                    "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}",
                    id,
                ]);
                matches!(h.trim(), "healthy" | "none")
            });
            if running.len() == n && healthy {
                return Ok(());
            }
            // Each look is a few docker calls: no need to ask twenty times a second.
            std::thread::sleep(Duration::from_millis(300));
            Err(format!("{} running, all healthy: {healthy}", running.len()))
        })
        .unwrap_or_else(|e| panic!("{} never had {n} healthy tasks: {e}", self.service(short)));
    }

    fn wait_update(&self, short: &str, state: &str) {
        poll(Duration::from_secs(120), || {
            let now = self.inspect(short, "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}");
            if now == state {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(300));
            Err(format!("update state {now:?}"))
        })
        .unwrap_or_else(|e| panic!("{}: update never {state}: {e}", self.service(short)));
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = try_docker_on(Some(&self.host), &["stack", "rm", &self.name]);
    }
}

fn wheelhouse(dirs: &WhDirs, host: &str, args: &[&str]) -> (i32, String) {
    let mut all = vec!["-H", host];
    all.extend_from_slice(args);
    let out = output_with_timeout(&mut dirs.command(&all), Duration::from_secs(300))
        .unwrap_or_else(|e| panic!("wheelhouse {args:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The console on the stack in tree mode, the cursor on its `web` service's row.
fn console_on_web(dirs: &WhDirs, stack: &Stack) -> support::bin::Tui {
    let t = dirs.tmux(&["-H", &stack.host], 150, 45);
    t.expect_text(" wheelhouse ", START);
    t.send_keys(&["/"]);
    t.send_literal(&format!("stack:{}", stack.name));
    t.send_keys(&["Enter"]);
    t.send_keys(&["t"]);
    t.expect_text("▾ web", START);
    // The stack's row, then its services by name: agent, web.
    t.wait_for(|s| s.contains("▾ agent"), START)
        .unwrap_or_else(|s| panic!("no agent service row:\n{s}"));
    t.send_keys(&["Home"]);
    std::thread::sleep(Duration::from_millis(200));
    let screen = t.capture();
    let lines: Vec<&str> = screen.lines().collect();
    let first = lines
        .iter()
        .position(|l| l.contains("NAME"))
        .expect("header")
        + 1;
    let web_at = lines
        .iter()
        .position(|l| l.contains("▾ web"))
        .expect("web row")
        - first;
    for _ in 0..web_at {
        t.send_keys(&["Down"]);
    }
    std::thread::sleep(Duration::from_millis(200));
    t
}

#[test]
fn a_stack_is_listed_scaled_in_the_console_and_back_headless_updated_rolled_back_and_drained() {
    let stack = Stack::deploy(2);
    let first_two = {
        let mut ids = stack.running("web");
        ids.sort();
        ids
    };
    let dirs = WhDirs::new();
    let t = console_on_web(&dirs, &stack);
    let screen = t.capture();
    assert!(screen.contains("2/2 tasks"), "{screen}");
    assert!(screen.contains("1/1 tasks"), "the global agent:\n{screen}");
    // The detail pane of the service: the manager's settings.
    t.send_keys(&["d"]);
    let detail = t.expect_text("reserved memory 16M", Duration::from_secs(5));
    for needle in [
        "replicated, 2/2 tasks running",
        "1 at a time, start-first",
        "on failure rollback",
        "limits cpus 0.5, memory 64M",
        "reserved memory 16M",
        "endpoint mode dnsrr",
    ] {
        assert!(
            detail.contains(needle),
            "detail lacks {needle:?}:\n{detail}"
        );
    }

    // Scale 2 → 4 in the console, through the one confirmation.
    t.send_keys(&["="]);
    t.expect_text(
        &format!("Scale Swarm service {}", stack.label("web")),
        Duration::from_secs(5),
    );
    t.send_keys(&["C-u", "4", "Enter"]);
    let dialog = t.expect_text("Confirm scale", Duration::from_secs(5));
    assert!(
        dialog.contains(&format!("scale {} to 4 replicas", stack.service("web"))),
        "{dialog}"
    );
    t.send_keys(&["Tab", "Enter"]);
    stack.wait_running("web", 4);
    t.wait_for(|s| s.contains("4/4 tasks"), START)
        .unwrap_or_else(|s| panic!("the tree never counted 4 of 4:\n{s}"));
    assert_eq!(
        stack.inspect("web", "{{.Spec.Mode.Replicated.Replicas}}"),
        "4"
    );
    // A scale changes the count only: the first two tasks still run and the spec keeps its
    // health check (a spec sent back through bollard's types would lose it and restart all).
    let now: Vec<String> = stack.running("web");
    assert!(
        first_two.iter().all(|id| now.contains(id)),
        "{first_two:?} → {now:?}"
    );
    assert!(
        stack
            .inspect(
                "web",
                "{{json .Spec.TaskTemplate.ContainerSpec.Healthcheck}}"
            )
            .contains("wget"),
        "the health check is kept"
    );

    // The stack's overlay network is in the model with its scope and flags.
    let (code, out) = wheelhouse(&dirs, &stack.host, &["topology", "--project", &stack.name]);
    assert_eq!(code, 0, "{out}");
    let json = &out[out.find('{').unwrap()..];
    // stdout first; whatever stderr said comes after the document.
    let topo: serde_json::Value = serde_json::Deserializer::from_str(json)
        .into_iter()
        .next()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("no JSON document: {out}"));
    let overlay = topo["networks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == format!("{}_default", stack.name).as_str())
        .unwrap_or_else(|| panic!("no overlay network: {topo:#}"));
    assert_eq!(
        (overlay["driver"].as_str(), overlay["scope"].as_str()),
        (Some("overlay"), Some("swarm"))
    );
    assert_eq!(overlay["attachable"], false);

    // Back to 2 headless.
    let (code, out) = wheelhouse(
        &dirs,
        &stack.host,
        &["scale", &stack.label("web"), "2", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        stack.inspect("web", "{{.Spec.Mode.Replicated.Replicas}}"),
        "2"
    );
    stack.wait_running("web", 2);

    // A rolling update to the second tag completes; headless waits for it.
    let v2 = format!("{}:v2", test_image().rsplit_once(':').unwrap().0);
    let (code, out) = wheelhouse(
        &dirs,
        &stack.host,
        &["rollout", &stack.label("web"), "--image", &v2, "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        stack.inspect("web", "{{.UpdateStatus.State}}"),
        "completed",
        "{out}"
    );

    // One to the tag whose health check fails: Swarm rolls it back, and the console says so.
    let broken = format!("{}:broken", test_image().rsplit_once(':').unwrap().0);
    t.send_keys(&["R"]);
    t.expect_text("Update Swarm service", Duration::from_secs(5));
    t.send_keys(&["C-u"]);
    t.send_literal(&broken);
    t.send_keys(&["Enter"]);
    let dialog = t.expect_text("Confirm update", Duration::from_secs(5));
    assert!(dialog.contains("on failure: rollback"), "{dialog}");
    t.send_keys(&["y"]);
    stack.wait_update("web", "rollback_completed");
    let screen = t.expect_text("rolled back", START);
    assert!(screen.contains("failed"), "the plan's failure:\n{screen}");
    assert!(stack
        .inspect("web", "{{.Spec.TaskTemplate.ContainerSpec.Image}}")
        .starts_with(&v2));

    // Drain the node from the endpoints panel: on a single node the tasks go pending, and the
    // table says why in the manager's words.
    let node = stack.docker(&["node", "ls", "--format", "{{.Hostname}}"]);
    let node = node.trim();
    t.send_keys(&["E"]);
    let panel = t.expect_text("Swarm manager", Duration::from_secs(5));
    assert!(panel.contains("ready · active · manager"), "{panel}");
    t.send_keys(&["Down", "d"]);
    let dialog = t.expect_text("Confirm drain", Duration::from_secs(5));
    assert!(dialog.contains("no other node takes tasks"), "{dialog}");
    assert!(dialog.contains(&format!("Drain node {node}")), "{dialog}");
    t.send_keys(&["Tab", "Enter"]);
    t.wait_for(|s| s.contains("no suitable node"), Duration::from_secs(30))
        .unwrap_or_else(|s| panic!("pending tasks never said why:\n{s}"));
    t.send_keys(&["E"]);
    t.expect_text("drain · manager", Duration::from_secs(5));
    t.send_keys(&["E"]);
    let (code, out) = wheelhouse(&dirs, &stack.host, &["node", "activate", node, "--yes"]);
    assert_eq!(code, 0, "{out}");
    stack.wait_running("web", 2);
    t.quit_cleanly();

    // Every change is in the audit log as a Swarm target, from a keystroke or the command line.
    let records = dirs.audit_records();
    let outcomes: Vec<(String, String, String)> = records
        .iter()
        .filter(|r| r["phase"] == "outcome")
        .map(|r| {
            (
                r["action"].as_str().unwrap_or("").to_owned(),
                r["origin"].as_str().unwrap_or("").to_owned(),
                r["result"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(
        records.iter().all(|r| r["target"] == "swarm"),
        "{records:#?}"
    );
    for want in [
        ("scale_service", "keystroke", "ok"),
        ("scale_service", "command_line", "ok"),
        ("update_service", "command_line", "ok"),
        ("update_service", "keystroke", "ok"),
        ("wait_service_update", "keystroke", "error"),
        ("set_node_availability", "keystroke", "ok"),
        ("set_node_availability", "command_line", "ok"),
    ] {
        let want = (want.0.to_owned(), want.1.to_owned(), want.2.to_owned());
        assert!(outcomes.contains(&want), "{want:?} not in {outcomes:#?}");
    }
}

#[test]
fn bad_input_names_the_service_and_changes_nothing() {
    let stack = Stack::deploy(1);
    let dirs = WhDirs::new();
    let started = Instant::now();
    let cases: [(&[&str], &str); 4] = [
        (
            &["scale", &stack.label("agent"), "3", "--yes"],
            "is a global service",
        ),
        (
            &["scale", &format!("{}/nope", stack.name), "3", "--yes"],
            "no Swarm service",
        ),
        (
            &["node", "drain", "no-such-node", "--yes"],
            "no Swarm node \"no-such-node\"",
        ),
        (
            &["rollout", &stack.label("web"), "--yes"],
            "a Swarm service needs --image",
        ),
    ];
    for (args, says) in cases {
        let (code, out) = wheelhouse(&dirs, &stack.host, args);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(out.contains(says), "{args:?} should say {says:?}: {out}");
    }
    assert_eq!(
        stack.inspect("web", "{{.Spec.Mode.Replicated.Replicas}}"),
        "1"
    );
    assert!(dirs.audit_records().is_empty(), "nothing reached the gate");
    assert!(started.elapsed() < Duration::from_secs(120));
    // An update the manager refuses: its words, with the service's name; the failure audited.
    let bad = format!("{}@sha256:zzz", test_image());
    let (code, out) = wheelhouse(
        &dirs,
        &stack.host,
        &["rollout", &stack.label("web"), "--image", &bad, "--yes"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("{}: ", stack.service("web")))
            && out.contains("is not a valid repository/tag"),
        "{out}"
    );
    let outcomes: Vec<String> = dirs
        .audit_records()
        .iter()
        .filter(|r| r["phase"] == "outcome")
        .map(|r| r["result"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(outcomes, ["error"]);
}

/// The agent's horizontal rule on a Swarm service: a task kept busy at its 0.5-cpu limit gets
/// a scale-up proposal, headless, which applied goes through the manager (the spec's replicas
/// change, a second task runs) and is audited as the agent's.
#[test]
fn a_busy_swarm_service_gets_a_scale_up_that_its_manager_carries_out() {
    let stack = Stack::deploy(1);
    let dirs = WhDirs::new();
    std::fs::write(
        dirs.config_dir().join("agent.toml"),
        format!(
            "[default]\nkinds = []\n\n[service.\"{}\"]\nkinds = [\"horizontal\"]\nsmoothing = \"5s\"\n\
             scale_up_window = \"10s\"\ncooldown = \"5s\"\nmax_replicas = 3\n",
            stack.label("web")
        ),
    )
    .unwrap();
    let task = stack.running("web").remove(0);
    stack.docker(&["exec", "-d", &task, "sh", "-c", "while :; do :; done"]);
    let (code, out) = wheelhouse(
        &dirs,
        &stack.host,
        &["agent", "--once", "--json", "--window", "25s"],
    );
    assert_eq!(code, 0, "{out}");
    let json = &out[..out.rfind('}').map_or(0, |i| i + 1)];
    let report: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}:\n{out}"));
    let suffix = format!("/{}:2", stack.label("web"));
    let id = report["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_str())
        .find(|id| id.starts_with("horizontal:") && id.ends_with(&suffix))
        .unwrap_or_else(|| panic!("no scale-up of web:\n{report:#}"))
        .to_owned();
    let (code, out) = wheelhouse(
        &dirs,
        &stack.host,
        &["agent", "--apply", &id, "--yes", "--window", "25s"],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        stack.inspect("web", "{{.Spec.Mode.Replicated.Replicas}}"),
        "2"
    );
    stack.wait_running("web", 2);
    let records = dirs.audit_records();
    assert!(
        records
            .iter()
            .any(|r| r["origin"] == "agent" && r["proposal"] == id.as_str() && r["result"] == "ok"),
        "{records:#?}"
    );
}
