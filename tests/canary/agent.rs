//! The agent's canary proposals against a real HAProxy and a real Compose project: a canary
//! whose gates pass at its last step is proposed for promotion, confirmed in the panel and
//! promoted; one that starts answering 500s spends its budget and is proposed for abort,
//! confirmed, and all traffic is back on stable. Both run as the agent's plans, audited so.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::support::bin::WhDirs;
use super::support::*;
use super::{promotion_rig, send, state_file, wh};

/// The agent on for this rollout's service alone, promoting after 5 s of passing gates; gates
/// judged on few requests.
fn agent_on(dirs: &WhDirs, project: &str) {
    std::fs::write(
        dirs.config_dir().join("agent.toml"),
        format!(
            "[default]\nkinds = []\n\n[service.\"{project}/web\"]\nkinds = [\"canary\"]\npromote_after = \"5s\"\n"
        ),
    )
    .unwrap();
    let rollouts = dirs.config_dir().join("rollouts.toml");
    let mut toml = std::fs::read_to_string(&rollouts).unwrap();
    toml.push_str("\n[rollout.gates]\nmin_requests = 10\nbudget = 2\n");
    std::fs::write(rollouts, toml).unwrap();
}

/// Requests through the router until dropped.
struct Load(Arc<AtomicBool>, Option<std::thread::JoinHandle<()>>);

impl Load {
    fn start(front: u16) -> Load {
        let on = Arc::new(AtomicBool::new(true));
        let flag = on.clone();
        let handle = std::thread::spawn(move || {
            while flag.load(Ordering::Relaxed) {
                send(front, 10);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Load(on, Some(handle))
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
        if let Some(h) = self.1.take() {
            let _ = h.join();
        }
    }
}

/// The console on the agent panel once it proposes `change` of the rollout; the screen then.
fn panel_proposing(dirs: &WhDirs, change: &str) -> (super::support::bin::Tui, String) {
    let t = dirs.tmux(&[], 160, 45);
    t.expect_text(" wheelhouse ", Duration::from_secs(20));
    t.send_keys(&["A"]);
    let screen = t
        .wait_for(
            |s| {
                s.lines()
                    .any(|l| l.contains("rollout web") && l.contains(change))
            },
            Duration::from_secs(60),
        )
        .unwrap_or_else(|s| panic!("no {change} proposed:\n{s}"));
    (t, screen)
}

/// Confirms the selected proposal in its dialog (Cancel focused: `y` confirms) and waits until
/// the panel says the rollout's change worked; the screen then.
fn confirm_until_worked(t: &super::support::bin::Tui, within: Duration) -> String {
    t.send_keys(&["Enter"]);
    t.expect_text("Cancel", Duration::from_secs(5));
    t.send_keys(&["y"]);
    t.wait_for(
        |s| {
            s.lines()
                .any(|l| l.contains("worked") && l.contains("rollout web"))
        },
        within,
    )
    .unwrap_or_else(|s| panic!("never worked:\n{s}"))
}

fn agent_records(dirs: &WhDirs, proposal: &str) -> Vec<serde_json::Value> {
    dirs.audit_records()
        .into_iter()
        .filter(|r| r["origin"] == "agent" && r["proposal"] == proposal)
        .collect()
}

#[test]
fn a_canary_whose_gates_pass_at_its_last_step_is_proposed_for_promotion_and_promoted() {
    let (p, h, dirs) = promotion_rig("v2", "60s");
    agent_on(&dirs, &p.name);
    let (code, out, err) = wh(&dirs, &["canary", "next", "web", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    let _load = Load::start(h.front);
    let (t, screen) = panel_proposing(&dirs, "promote");
    assert!(screen.contains("every gate passed for"), "{screen}");
    let screen = confirm_until_worked(&t, Duration::from_secs(120));
    assert!(
        screen.contains("promoted: the stable replicas run"),
        "{screen}"
    );
    t.quit_cleanly();
    assert_eq!(state_file(&dirs)["phase"], "promoted");
    assert_eq!(h.weight("canary1"), 0);
    let records = agent_records(&dirs, "canary:default/rollout/web:promote");
    assert!(
        records
            .iter()
            .any(|r| r["policy"] == format!("{}/web", p.name).as_str()),
        "{records:#?}"
    );
}

#[test]
fn a_canary_that_spends_its_budget_is_proposed_for_abort_and_the_abort_returns_all_traffic() {
    let (p, h, dirs) = promotion_rig("v2", "60s");
    agent_on(&dirs, &p.name);
    // An advisor that keeps what it is given: the router's figures among them.
    let kept = dirs.config_dir().join("input.json");
    let advisor = format!(
        "\n[advisor.keep]\ncommand = [\"sh\", \"-c\", \"cat > {}; echo '{{\\\"proposals\\\": []}}'\"]\nevery = \"2s\"\n",
        kept.display()
    );
    let toml = dirs.config_dir().join("agent.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str(&advisor);
    std::fs::write(&toml, text).unwrap();
    let (code, out, err) = wh(&dirs, &["canary", "next", "web", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    // The canary starts answering 500s: its page replaced by a CGI that fails.
    docker(&[
        "exec",
        &p.replica_name("web-canary", 1),
        "sh",
        "-c",
        "rm -f /www/index.html && mkdir -p /www/cgi-bin && printf '#!/bin/sh\\nprintf \"Status: 500 Internal Server Error\\\\r\\\\n\\\\r\\\\nbroken\\\\n\"\\n' > /www/cgi-bin/index.cgi && chmod +x /www/cgi-bin/index.cgi",
    ]);
    let load = Load::start(h.front);
    let (t, screen) = panel_proposing(&dirs, "abort");
    assert!(screen.contains("gates failed 2 times in a row"), "{screen}");
    t.wait_for(|s| s.contains("answered"), Duration::from_secs(15))
        .unwrap_or_else(|s| panic!("the advisor never answered:\n{s}"));
    let input: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&kept).unwrap()).unwrap();
    let rollout = &input["rollouts"][0];
    assert_eq!(rollout["name"], "web", "{input:#}");
    assert!(
        rollout["canary_error_percent"].as_f64().unwrap_or(0.0) > 50.0
            && rollout["stable_error_percent"].as_f64() == Some(0.0)
            && rollout["stable_rps"].as_f64().unwrap_or(0.0) > 0.0,
        "{rollout:#}"
    );
    assert!(
        screen.contains("error rate"),
        "the failing gate named:\n{screen}"
    );
    let screen = confirm_until_worked(&t, Duration::from_secs(60));
    assert!(
        screen.contains("aborted: all traffic on stable"),
        "{screen}"
    );
    drop(load);
    t.quit_cleanly();
    assert_eq!(h.weight("canary1"), 0);
    assert_eq!(send(h.front, 100), 0, "every request reaches stable");
    assert!(!agent_records(&dirs, "canary:default/rollout/web:abort").is_empty());
}

/// Headless, the same decision from a watch that takes no lock, and `--apply` moves the
/// rollout under its lock as `canary promote` would, audited as the agent's.
#[test]
fn headless_the_promotion_is_proposed_without_taking_the_lock_and_applied_under_it() {
    let (p, h, dirs) = promotion_rig("v2", "60s");
    agent_on(&dirs, &p.name);
    let (code, out, err) = wh(&dirs, &["canary", "next", "web", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    let _load = Load::start(h.front);
    let id = "canary:default/rollout/web:promote";
    let (code, out, err) = wh(&dirs, &["agent", "--once", "--json", "--window", "15s"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}:\n{out}{err}"));
    assert!(
        report["proposals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id),
        "{report:#}"
    );
    // Nobody holds the lock after the watch: a command can take it.
    let (code, out, err) = wh(&dirs, &["agent", "--apply", id, "--yes", "--window", "15s"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(state_file(&dirs)["phase"], "promoted");
    let records = agent_records(&dirs, id);
    assert!(
        records.iter().any(|r| r["action"] == "set_canary_weight"),
        "{records:#?}"
    );
}
