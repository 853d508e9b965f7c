//! The agent against real Compose projects on the real engine: a CPU-limited worker service
//! whose replicas share a work queue gets a scale-up (headless first, then confirmed in the
//! panel), which Compose recognises and which lowers the load per replica; a service whose
//! process is OOM-killed gets a memory proposal that, applied headless, lets it survive the same
//! load; unhealthy replicas get restart proposals that reject and snooze hold back. Policies
//! single out each test's own service, so services of tests running beside it stay silent.

mod support;

use std::time::Duration;

use support::bin::WhDirs;
use support::compose::{Compose, ComposeProject};
use support::services::*;
use support::*;

/// `feeder` keeps about 20 jobs a second in a shared queue (at most 40 waiting); each `worker`
/// replica takes jobs one by one and burns 30 ms of its own CPU time on each (counted in its
/// /proc stat, so the same on any CPU): about 0.6 of a core in all, so one replica limited to
/// half a core is saturated and two take about 60 % of their limit each.
const QUEUE: &str = r#"
version: "3.7"
services:
  feeder:
    image: __IMAGE__
    labels: __LABELS__
    stop_grace_period: 1s
    command: ["sh", "-c", "mkdir -p /q/new /q/work; n=0; while true; do c=$$(ls /q/new | wc -l); if [ $$c -lt 40 ]; then i=0; while [ $$i -lt 20 ]; do n=$$((n+1)); : > /q/new/job.$$n; i=$$((i+1)); done; fi; sleep 1; done"]
    volumes:
      - {type: volume, source: q, target: /q}
  worker:
    image: __IMAGE__
    labels: __LABELS__
    stop_grace_period: 1s
    cpus: 0.5
    command: ["sh", "-c", "mkdir -p /q/new /q/work; while true; do got=0; for f in $$(ls /q/new 2>/dev/null); do if mv /q/new/$$f /q/work/$$f.$$HOSTNAME 2>/dev/null; then got=1; read -r _ _ _ _ _ _ _ _ _ _ _ _ _ u k _ < /proc/$$$$/stat; t0=$$((u + k)); t=$$t0; while [ $$((t - t0)) -lt 3 ]; do read -r _ _ _ _ _ _ _ _ _ _ _ _ _ u k _ < /proc/$$$$/stat; t=$$((u + k)); done; rm -f /q/work/$$f.$$HOSTNAME; fi; done; [ $$got = 1 ] || sleep 0.2; done"]
    volumes:
      - {type: volume, source: q, target: /q}
networks:
  default:
    labels: __LABELS__
volumes:
  q:
    labels: __LABELS__
"#;

/// Policies that speak of `service` of `p` alone, with short windows.
fn policies(dirs: &WhDirs, p: &ComposeProject, service: &str, kinds: &str) {
    let text = format!(
        "[default]\nkinds = []\n\n[service.\"{}/{service}\"]\nkinds = [{kinds}]\nsmoothing = \"5s\"\n\
         scale_up_window = \"10s\"\ncooldown = \"30s\"\nmax_replicas = 4\nunhealthy_probes = 3\n",
        p.name
    );
    std::fs::write(dirs.config_dir().join("agent.toml"), text).unwrap();
}

fn agent_records(dirs: &WhDirs) -> Vec<serde_json::Value> {
    dirs.audit_records()
        .into_iter()
        .filter(|r| r["origin"] == "agent")
        .collect()
}

#[test]
fn a_saturated_queue_worker_is_scaled_up_on_confirmation_and_the_load_per_replica_falls() {
    let p = ComposeProject::up(Compose::V2, QUEUE);
    let dirs = WhDirs::new();
    policies(&dirs, &p, "worker", "\"horizontal\"");
    let id = format!("horizontal:default/{}/worker:2", p.name);

    // Headless: the same rule, after its window.
    let out = wheelhouse(&dirs, &["agent", "--once", "--json", "--window", "40s"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {t}"));
    let proposals = report["proposals"].as_array().unwrap();
    let mine: Vec<&serde_json::Value> = proposals
        .iter()
        .filter(|p| p["id"] == id.as_str())
        .collect();
    assert_eq!(mine.len(), 1, "{t}");
    assert_eq!(mine[0]["kind"], "horizontal");
    assert_eq!(mine[0]["change"]["action"], "scale");
    assert_eq!(mine[0]["change"]["to"], 2);
    assert!(
        mine[0]["numbers"]
            .as_str()
            .unwrap()
            .contains("against a 70 % target"),
        "{t}"
    );
    // Nothing of another test's services: the default policy proposes nothing.
    assert!(proposals.iter().all(|p| p["policy"] != "default"), "{t}");
    assert!(agent_records(&dirs).is_empty(), "printing changes nothing");

    // The console: the proposal in the panel, confirmed in the usual dialog.
    let t = dirs.tmux(&[], 160, 45);
    t.expect_text(" wheelhouse ", START);
    t.send_keys(&["A"]);
    t.expect_text(&format!("{}/worker", p.name), Duration::from_secs(60));
    let screen = t.expect_text("scale 1 → 2", Duration::from_secs(60));
    assert!(
        screen.contains("1 proposal"),
        "the header counts it:\n{screen}"
    );
    t.send_keys(&["Enter"]);
    let dialog = t.expect_text("Confirm scale", Duration::from_secs(5));
    assert!(dialog.contains("Proposed by the agent"), "{dialog}");
    // Enter alone would cancel: `y` says yes.
    t.send_keys(&["y"]);
    poll(CHANGE, || match p.compose_ps("worker").len() {
        2 => Ok(()),
        n => Err(format!("{n} workers")),
    })
    .unwrap_or_else(|e| panic!("Compose never listed two workers: {e}"));
    assert_eq!(
        p.compose_ps("worker"),
        [p.replica_name("worker", 1), p.replica_name("worker", 2)],
        "Compose lists the replica the agent made"
    );
    let screen = t
        .wait_for(
            |s| s.contains("worked") || s.contains("did not help"),
            Duration::from_secs(120),
        )
        .unwrap_or_else(|s| panic!("no outcome:\n{s}"));
    let line = screen
        .lines()
        .find(|l| l.contains("worked") || l.contains("did not help"))
        .unwrap();
    assert!(line.contains("worked"), "{line}");
    // "2 replicas running, cpu N % of limit (target 70 %)": under the target's tolerance.
    let n: f64 = line
        .split("cpu ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(n <= 77.0, "per-replica load after the scale: {line}");
    // And the proposal is gone.
    let screen = t.capture();
    assert!(!screen.contains("⚑"), "{screen}");
    t.quit_cleanly();

    let records = agent_records(&dirs);
    assert!(!records.is_empty());
    for r in &records {
        assert_eq!(r["proposal"], id.as_str(), "{r}");
        assert_eq!(r["policy"], format!("{}/worker", p.name), "{r}");
    }
}

/// `hog` copies 36 MiB in one block (dd holds the whole block in memory) under a 32 MiB
/// limit, every two seconds: the kernel kills dd each time, the shell lives on and says
/// `survived` when a copy gets through.
const HOG: &str = r#"
version: "3.7"
services:
  hog:
    image: __IMAGE__
    labels: __LABELS__
    stop_grace_period: 1s
    mem_limit: 32m
    memswap_limit: 32m
    command: ["sh", "-c", "while true; do dd if=/dev/zero of=/dev/null bs=36M count=1 2>/dev/null && echo survived; sleep 2; done"]
networks:
  default:
    labels: __LABELS__
"#;

#[test]
fn an_oom_killed_service_gets_a_memory_proposal_and_survives_the_same_load_once_applied() {
    let p = ComposeProject::up(Compose::V2, HOG);
    let dirs = WhDirs::new();
    policies(&dirs, &p, "hog", "\"vertical\"");
    let hog = p.replica_name("hog", 1);
    assert!(!docker(&["logs", &hog]).contains("survived"));
    // 32 MiB × 1.25, the least raise after a kill.
    let id = format!("vertical:default/{}/hog:m40", p.name);
    let out = expect_exit(
        &dirs,
        &["agent", "--apply", &id, "--yes", "--window", "12s"],
        0,
    );
    assert!(out.contains("OOM-killed within"), "{out}");
    assert!(out.contains("done: "), "{out}");
    assert_eq!(
        inspect(&p, "{{.HostConfig.Memory}}", &hog),
        (40u64 << 20).to_string()
    );
    poll(Duration::from_secs(20), || {
        if docker(&["logs", &hog]).contains("survived") {
            Ok(())
        } else {
            Err("still killed".to_string())
        }
    })
    .unwrap_or_else(|e| panic!("the same load under the new limit: {e}"));
    let records = agent_records(&dirs);
    assert!(
        records
            .iter()
            .any(|r| r["action"] == "update_limits" && r["proposal"] == id.as_str()),
        "{records:#?}"
    );
}

/// Three replicas, healthy while `/tmp/ok` exists (made on every start).
const SICK: &str = r#"
version: "3.7"
services:
  web:
    image: __IMAGE__
    labels: __LABELS__
    stop_grace_period: 1s
    command: ["sh", "-c", "touch /tmp/ok; exec sleep 3600"]
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ok"]
      interval: 1s
      timeout: 2s
      retries: 2
    deploy:
      replicas: 3
networks:
  default:
    labels: __LABELS__
"#;

#[test]
fn unhealthy_replicas_get_restarts_and_reject_and_snooze_hold_theirs_back() {
    let p = ComposeProject::up(Compose::V2, SICK);
    let dirs = WhDirs::new();
    policies(&dirs, &p, "web", "\"heal\"");
    let names: Vec<String> = (1..=3).map(|n| p.replica_name("web", n)).collect();
    for n in &names {
        docker(&["exec", n, "rm", "/tmp/ok"]);
    }
    let t = dirs.tmux(&[], 160, 45);
    t.expect_text(" wheelhouse ", START);
    t.send_keys(&["A"]);
    t.wait_for(|s| s.contains("3 proposals"), Duration::from_secs(60))
        .unwrap_or_else(|s| panic!("three restarts proposed:\n{s}"));
    // The first is rejected, the next snoozed, the last applied.
    let first = |s: &str| {
        names
            .iter()
            .find(|n| s.lines().any(|l| l.contains('▸') && l.contains(n.as_str())))
            .cloned()
            .unwrap_or_else(|| panic!("no selected proposal:\n{s}"))
    };
    let rejected = first(&t.capture());
    t.send_keys(&["r"]);
    t.expect_text("2 proposals", Duration::from_secs(5));
    let snoozed = first(&t.capture());
    t.send_keys(&["s"]);
    t.expect_text("1 proposal", Duration::from_secs(5));
    let applied = first(&t.capture());
    t.send_keys(&["Enter"]);
    t.expect_text("Confirm restart", Duration::from_secs(5));
    t.send_keys(&["y"]);
    let screen = t
        .wait_for(
            |s| {
                s.lines()
                    .any(|l| l.contains("worked") && l.contains(applied.as_str()))
            },
            Duration::from_secs(90),
        )
        .unwrap_or_else(|s| panic!("the restart never worked:\n{s}"));
    assert!(screen.contains("healthy again"), "{screen}");
    // Still unhealthy, the other two stay held back: one said rejected, the other hidden.
    std::thread::sleep(Duration::from_secs(3));
    let screen = t.capture();
    let held: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("restart rejected"))
        .collect();
    assert_eq!(held.len(), 1, "{screen}");
    assert!(held[0].contains(rejected.as_str()), "{screen}");
    assert!(!screen.contains("⚑"), "nothing on offer again:\n{screen}");
    assert_eq!(
        inspect(&p, "{{.State.Health.Status}}", &snoozed),
        "unhealthy"
    );
    assert_eq!(inspect(&p, "{{.State.Health.Status}}", &applied), "healthy");
    t.quit_cleanly();
    let restarted: Vec<String> = agent_records(&dirs)
        .iter()
        .filter(|r| r["action"] == "restart" && r["phase"] == "outcome")
        .map(|r| r["container_name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(restarted, [applied]);
}

/// One web replica that does nothing: whatever is proposed for it comes from the advisor.
const QUIET: &str = r#"
version: "3.7"
services:
  web:
    image: __IMAGE__
    labels: __LABELS__
    stop_grace_period: 1s
    command: ["sleep", "3600"]
networks:
  default:
    labels: __LABELS__
"#;

/// An advisor that keeps what it read and proposes one more web replica of `project`, naming
/// the alerts firing on it.
const FIT: &str = r#"import json, sys
state = json.load(sys.stdin)
project, keep = sys.argv[1], sys.argv[2]
open(keep, "w").write(json.dumps(state))
firing = [a["name"] for a in state["alerts"]
          if a["about"] and a["about"].get("project") == project]
out = [{"service": project + "/web", "endpoint": s["endpoint"], "action": "scale",
        "replicas": s["replicas"] + 1, "numbers": "alerts firing: " + ",".join(firing),
        "reasons": ["the advisor's own model"], "expected": "latency back under 1s"}
       for s in state["services"] if s["project"] == project and s["service"] == "web"]
print(json.dumps({"proposals": out}))
"#;

/// A real Alertmanager on loopback, stopped when dropped.
struct Alertmanager {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Alertmanager {
    const BIN: &str = "/usr/bin/prometheus-alertmanager";

    fn start() -> Alertmanager {
        assert!(
            std::path::Path::new(Self::BIN).exists(),
            "prometheus-alertmanager (scripts/test installs Debian's)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("alertmanager.yml");
        std::fs::write(
            &cfg,
            "route:\n  receiver: none\nreceivers:\n  - name: none\n",
        )
        .unwrap();
        let child = std::process::Command::new(Self::BIN)
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.path={}", dir.path().display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start alertmanager");
        let am = Alertmanager {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        poll(Duration::from_secs(20), || {
            am.amtool(&["alert", "query"]).map(drop)
        })
        .unwrap_or_else(|e| panic!("alertmanager never answered: {e}"));
        am
    }

    fn amtool(&self, args: &[&str]) -> Result<String, String> {
        let out = std::process::Command::new("/usr/bin/amtool")
            .args(args)
            .arg(format!("--alertmanager.url={}", self.url))
            .output()
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            Ok(text)
        } else {
            Err(text)
        }
    }
}

#[test]
fn an_advisor_s_proposal_is_shown_and_applied_a_hanging_one_is_cut_off_and_alerts_reach_both() {
    let p = ComposeProject::up(Compose::V2, QUIET);
    let dirs = WhDirs::new();
    let am = Alertmanager::start();
    let service = [
        format!("compose_project={}", p.name),
        "compose_service=web".to_owned(),
    ];
    let add = |name: &str, extra: &[&str]| {
        let mut args = vec!["alert", "add", name];
        args.extend(service.iter().map(String::as_str));
        args.extend(extra);
        am.amtool(&args).unwrap_or_else(|e| panic!("amtool: {e}"));
    };
    add(
        "HighLatency",
        &["severity=page", "--annotation=summary=p99 above 2s"],
    );
    add("Muted", &[]);
    am.amtool(&["silence", "add", "alertname=Muted", "--comment=test"])
        .unwrap();
    poll(Duration::from_secs(10), || {
        let firing = am.amtool(&["alert", "query", "--silenced"])?;
        firing.contains("Muted").then_some(()).ok_or(firing)
    })
    .unwrap_or_else(|e| panic!("the silence never took: {e}"));

    let script = dirs.config_dir().join("fit.py");
    std::fs::write(&script, FIT).unwrap();
    let kept = dirs.config_dir().join("input.json");
    policies(&dirs, &p, "web", "\"horizontal\"");
    let mut toml = std::fs::read_to_string(dirs.config_dir().join("agent.toml")).unwrap();
    toml.push_str(&format!(
        "\n[advisor.fit]\ncommand = [\"python3\", \"{}\", \"{}\", \"{}\"]\nevery = \"5s\"\n\n\
         [advisor.slow]\ncommand = [\"sh\", \"-c\", \"sleep 61.75\"]\nevery = \"10s\"\ntimeout = \"2s\"\n\n\
         [alerts]\nalertmanager = \"{}\"\nevery = \"2s\"\n",
        script.display(),
        p.name,
        kept.display(),
        am.url
    ));
    std::fs::write(dirs.config_dir().join("agent.toml"), toml).unwrap();

    let out = wheelhouse(&dirs, &["agent", "--once", "--json", "--window", "6s"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", text(&out)));
    let id = format!("fit/horizontal:default/{}/web:2", p.name);
    let proposal = report["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id.as_str())
        .unwrap_or_else(|| panic!("no {id}:\n{report:#}"));
    assert_eq!(proposal["advisor"], "fit");
    assert_eq!(proposal["numbers"], "alerts firing: HighLatency");
    let alerts: Vec<&str> = report["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["about"]["project"] == p.name.as_str())
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        alerts,
        ["HighLatency"],
        "the silenced one stays muted:\n{report:#}"
    );
    let slow = &report["advisors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "slow")
        .unwrap()["problem"];
    assert_eq!(slow, "no answer within 2s: stopped", "{report:#}");
    assert!(
        text(&out).contains("advisor slow: no answer within 2s"),
        "said on stderr too"
    );
    // What the advisor read: the replica among the containers, the alert among the alerts.
    let input: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&kept).unwrap()).unwrap();
    assert_eq!(input["version"], 1);
    let replica = p.replica_name("web", 1);
    assert!(
        input["containers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == replica.as_str() && c["running"] == true),
        "{input:#}"
    );
    let left = std::process::Command::new("pgrep")
        .args(["-f", "sleep 61.75"])
        .output()
        .unwrap();
    assert!(left.stdout.is_empty(), "the hanging advisor is gone");

    // Applied through the gate like the agent's own, and Compose counts the new replica.
    let out = expect_exit(
        &dirs,
        &["agent", "--apply", &id, "--yes", "--window", "6s"],
        0,
    );
    assert!(out.contains("done: "), "{out}");
    assert_eq!(p.compose_ps("web").len(), 2);
    assert!(
        agent_records(&dirs)
            .iter()
            .any(|r| r["action"] == "create_replica" && r["proposal"] == id.as_str()),
        "{:#?}",
        agent_records(&dirs)
    );

    // The panel: the advisor's proposal under its name, the cut-off one said, the alert shown.
    let t = dirs.tmux(&[], 160, 45);
    t.expect_text(" wheelhouse ", START);
    t.send_keys(&["A"]);
    let screen = t
        .wait_for(
            |s| s.contains("(advisor fit)") && s.contains("no answer within 2s"),
            Duration::from_secs(30),
        )
        .unwrap_or_else(|s| panic!("the advisors in the panel:\n{s}"));
    assert!(
        screen.contains(&format!(
            "HighLatency (page) on {}/web: p99 above 2s",
            p.name
        )),
        "{screen}"
    );
    assert!(!screen.contains("Muted"), "{screen}");
    t.quit_cleanly();
}

/// A label group of plain `docker run` containers, both OOM-killed under 32 MiB: one memory
/// proposal for the group, applied headless to each member, after which both survive.
#[test]
fn a_label_group_of_plain_containers_gets_one_memory_proposal_applied_to_every_member() {
    let tc = TestContainers::new();
    let selector = format!("wh.test.group={}", tc.run_id());
    let hog = [
        "sh",
        "-c",
        "while true; do dd if=/dev/zero of=/dev/null bs=36M count=1 2>/dev/null && echo survived; sleep 2; done",
    ];
    let limits = [
        "--label",
        &selector,
        "--memory",
        "32m",
        "--memory-swap",
        "32m",
    ];
    let ids: Vec<String> = (1..=2)
        .map(|i| tc.run(&format!("hog{i}"), &limits, &hog))
        .collect();
    let dirs = WhDirs::new();
    std::fs::write(
        dirs.config_dir().join("agent.toml"),
        format!("[default]\nkinds = []\n\n[group.hogs]\nlabel = \"{selector}\"\nkinds = [\"vertical\"]\n"),
    )
    .unwrap();
    let id = "vertical:default/@group/hogs:m40";
    let out = expect_exit(
        &dirs,
        &["agent", "--apply", id, "--yes", "--window", "12s"],
        0,
    );
    assert!(out.contains("OOM-killed within"), "{out}");
    for c in &ids {
        assert_eq!(
            docker(&["inspect", "-f", "{{.HostConfig.Memory}}", c]),
            (40u64 << 20).to_string()
        );
    }
    poll(Duration::from_secs(20), || {
        let all = ids
            .iter()
            .all(|c| docker(&["logs", c]).contains("survived"));
        all.then_some(()).ok_or_else(|| "still killed".to_string())
    })
    .unwrap_or_else(|e| panic!("every member under the new limit: {e}"));
    let records = agent_records(&dirs);
    let updated = records
        .iter()
        .filter(|r| {
            r["action"] == "update_limits" && r["proposal"] == id && r["phase"] == "outcome"
        })
        .count();
    assert_eq!(updated, 2, "{records:#?}");
    assert!(
        records.iter().all(|r| r["policy"] == "@group/hogs"),
        "{records:#?}"
    );
}
