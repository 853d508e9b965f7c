//! Advisors as untrusted input: their configuration, their answers read strictly, each
//! proposal checked against what the agent sees, and real processes that answer, fail, hang
//! or flood.

use super::*;
use crate::agent::perceive::{ContainerSignals, ServiceSignals};
use crate::app::model::{ContainerKey, ServiceKey};

fn parse(toml: &str) -> Result<Policies, String> {
    Policies::parse(toml, "agent.toml").map_err(|e| e.to_string())
}

fn web() -> ServiceKey {
    ServiceKey {
        endpoint: "local".into(),
        project: "shop".into(),
        service: "web".into(),
    }
}

/// shop/web with two running replicas at 1 cpu and 64 MiB, one of which used 50 MiB.
fn seen() -> Perception {
    let mut p = Perception::default();
    p.services.insert(
        web(),
        ServiceSignals {
            replicas: 2,
            running: 2,
            cpu_limit: Some(1.0),
            memory_limit: Some(64 << 20),
            ..ServiceSignals::default()
        },
    );
    for (i, used) in [(1, 50u64 << 20), (2, 20 << 20)] {
        let mut c = ContainerSignals {
            name: format!("shop-web-{i}"),
            service: Some(web()),
            running: true,
            memory_limit: Some(64 << 20),
            ..ContainerSignals::default()
        };
        c.memory
            .push(1000.0, used as f64, std::time::Duration::from_secs(60));
        p.containers.insert(
            ContainerKey {
                endpoint: "local".into(),
                id: format!("id{i}"),
            },
            c,
        );
    }
    p
}

fn advised(json: &str) -> Advised {
    serde_json::from_str(json).unwrap()
}

fn checked(json: &str) -> Result<Proposal, String> {
    check("capacity", &advised(json), &seen(), &Policies::default())
}

#[test]
fn an_advisor_table_reads_with_its_defaults() {
    let p =
        parse("[advisor.capacity]\ncommand = [\"/usr/local/bin/advise\", \"--fast\"]\n").unwrap();
    assert_eq!(
        p.advisors,
        vec![Advisor {
            name: "capacity".into(),
            command: vec!["/usr/local/bin/advise".into(), "--fast".into()],
            every: DEFAULT_EVERY,
            timeout: DEFAULT_TIMEOUT,
        }]
    );
}

#[test]
fn bad_advisor_tables_name_the_file_line_and_field() {
    let e = parse("[advisor.capacity]\ncommand = []\n").unwrap_err();
    assert!(
        e.contains("agent.toml:2") && e.contains("advisor.capacity.command"),
        "{e}"
    );
    let e = parse("[advisor.capacity]\ncommand = [\"x\"]\nevery = \"5s\"\ntimeout = \"1m\"\n")
        .unwrap_err();
    assert!(e.contains("agent.toml:4") && e.contains("pile up"), "{e}");
    let e = parse("[advisor.capacity]\ncommand = [\"x\"]\ntimeuot = \"1s\"\n").unwrap_err();
    assert!(e.contains("agent.toml:3") && e.contains("timeuot"), "{e}");
    let e = parse("[advisor.capacity]\ncommand = [\"x\"]\nevery = \"0s\"\n").unwrap_err();
    assert!(e.contains("advisor.capacity.every"), "{e}");
}

#[test]
fn an_answer_that_is_not_the_schema_is_refused_whole() {
    let e = read_answer("hello").unwrap_err();
    assert!(e.contains("is not {\"proposals\""), "{e}");
    assert!(e.contains("\"hello\""), "says what it got: {e}");
    let e = read_answer(
        r#"{"proposals": [{"service": "shop/web", "action": "scale", "replicas": 3},
        {"service": "shop/web", "action": "scale", "replica": 3}]}"#,
    )
    .unwrap_err();
    assert!(
        e.starts_with("proposals[1]: unknown field `replica`"),
        "{e}"
    );
    let e =
        read_answer(r#"{"proposals": [{"service": "shop/web", "action": "grow"}]}"#).unwrap_err();
    assert!(e.contains("unknown variant `grow`"), "{e}");
    let many = format!(
        "{{\"proposals\": [{}]}}",
        vec![r#"{"container": "x", "action": "restart"}"#; 101].join(",")
    );
    assert!(read_answer(&many).unwrap_err().contains("at most 100"));
    assert_eq!(read_answer(r#"{"proposals": []}"#).unwrap(), vec![]);
}

#[test]
fn a_scale_within_the_policy_becomes_a_proposal_under_the_advisor_s_name() {
    let p = checked(
        r#"{"service": "shop/web", "action": "scale", "replicas": 4,
            "numbers": "queue depth 1200", "reasons": ["backlog grows"], "expected": "drains in 5m"}"#,
    )
    .unwrap();
    assert_eq!(p.id, "capacity/horizontal:local/shop/web:4");
    assert_eq!(p.change, Change::Scale { from: 2, to: 4 });
    assert_eq!(p.advisor.as_deref(), Some("capacity"));
    assert_eq!(p.numbers, "queue depth 1200");
    assert_eq!(p.reasons, vec!["backlog grows".to_owned()]);
    assert_eq!(p.policy, "default");
}

#[test]
fn proposals_the_agent_cannot_stand_behind_are_left_out_with_the_reason() {
    let cases = [
        (
            r#"{"service": "shop/wbe", "action": "scale", "replicas": 3}"#,
            "no service shop/wbe; did you mean \"shop/web\"?",
        ),
        (
            r#"{"service": "shop/web", "endpoint": "far", "action": "scale", "replicas": 3}"#,
            "no service shop/web on far",
        ),
        (
            r#"{"service": "shop/web", "action": "scale", "replicas": 11}"#,
            "outside the policy's 1..=10",
        ),
        (
            r#"{"service": "shop/web", "action": "scale", "replicas": 2}"#,
            "has 2 replicas already",
        ),
        (
            r#"{"service": "shop/web", "action": "scale"}"#,
            "scale without replicas",
        ),
        (
            r#"{"service": "shop/web", "action": "limits", "memory": "40m"}"#,
            "below what a replica used (50M)",
        ),
        (
            r#"{"service": "shop/web", "action": "limits", "memory": 1024}"#,
            "below the engine's least",
        ),
        (
            r#"{"service": "shop/web", "action": "limits", "cpus": -1}"#,
            "not a number of cores",
        ),
        (
            r#"{"service": "shop/web", "action": "limits"}"#,
            "without cpus or memory",
        ),
        (
            r#"{"service": "shop/web", "action": "restart"}"#,
            "restart names a container",
        ),
        (
            r#"{"container": "shop-web-1", "action": "scale", "replicas": 3}"#,
            "scale names a service",
        ),
        (
            r#"{"action": "restart"}"#,
            "neither a service nor a container",
        ),
    ];
    for (json, why) in cases {
        let e = checked(json).unwrap_err();
        assert!(e.contains(why), "{json}: {e}");
    }
}

#[test]
fn limits_and_restarts_check_out_and_text_is_made_safe() {
    let p = checked(r#"{"service": "shop/web", "action": "limits", "memory": "96m", "cpus": 1.5}"#)
        .unwrap();
    assert_eq!(
        p.change,
        Change::Limits {
            cpus: Some(1.5),
            memory: Some(96 << 20),
            from_cpus: Some(1.0),
            from_memory: Some(64 << 20)
        }
    );
    assert_eq!(p.numbers, "advised by capacity");
    let p = checked(&format!(
        r#"{{"container": "shop-web-2", "action": "restart", "reasons": ["\u001b[2Jstuck", "{}"]}}"#,
        "x".repeat(500)
    ))
    .unwrap();
    assert_eq!(p.id, "capacity/heal:local/shop-web-2:restart");
    assert_eq!(p.reasons[0], "^[[2Jstuck");
    assert_eq!(p.reasons[1].chars().count(), MAX_TEXT);
}

#[test]
fn a_kind_the_policy_has_off_is_left_out() {
    let policies = parse("[default]\nkinds = [\"heal\"]\n").unwrap();
    let a = advised(r#"{"service": "shop/web", "action": "scale", "replicas": 3}"#);
    let e = check("capacity", &a, &seen(), &policies).unwrap_err();
    assert!(e.contains("has horizontal proposals off"), "{e}");
}

fn script(name: &str, body: &str, timeout_ms: u64) -> Advisor {
    Advisor {
        name: name.into(),
        command: vec!["/bin/sh".into(), "-c".into(), body.into()],
        every: Duration::from_secs(30),
        timeout: Duration::from_millis(timeout_ms),
    }
}

#[tokio::test]
async fn an_advisor_reads_its_input_and_its_answer_comes_back() {
    // It echoes what it read, so the input is seen to arrive whole.
    let a = script("echo", "cat", 5000);
    let input = format!("{{\"x\": \"{}\"}}", "y".repeat(200_000));
    assert_eq!(consult(&a, input.clone()).await.unwrap(), input);
}

#[tokio::test]
async fn an_advisor_that_hangs_is_stopped_with_what_it_started() {
    let a = script("slow", "sleep 417.25 & wait", 300);
    let started = std::time::Instant::now();
    let e = consult(&a, "{}".into()).await.unwrap_err();
    assert!(e.contains("no answer within"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(3));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let left = std::process::Command::new("pgrep")
        .args(["-f", "sleep 417.25"])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "its child is gone too: {:?}",
        String::from_utf8_lossy(&left.stdout)
    );
}

#[tokio::test]
async fn a_failing_flooding_or_missing_advisor_is_reported_in_words() {
    let e = consult(
        &script("x", "echo 'no model loaded' >&2; exit 3", 5000),
        "{}".into(),
    )
    .await
    .unwrap_err();
    assert_eq!(e, "exited with status 3: no model loaded");
    let e = consult(&script("x", "head -c 2000000 /dev/zero", 5000), "{}".into())
        .await
        .unwrap_err();
    assert!(e.contains("answered more than 1.0M"), "{e}");
    let e = consult(&script("x", "printf '\\377\\376'", 5000), "{}".into())
        .await
        .unwrap_err();
    assert!(e.contains("not UTF-8"), "{e}");
    let missing = Advisor {
        command: vec!["/nonexistent/advise".into()],
        ..script("x", "", 1000)
    };
    let e = consult(&missing, "{}".into()).await.unwrap_err();
    assert!(e.starts_with("/nonexistent/advise could not start"), "{e}");
}

#[tokio::test]
async fn what_an_advisor_leaves_behind_goes_with_it_and_a_flood_is_refused_unread_input_or_not() {
    let a = script(
        "x",
        "sleep 33.25 >/dev/null 2>&1 & echo '{\"proposals\": []}'",
        5000,
    );
    assert_eq!(
        consult(&a, "{}".into()).await.unwrap().trim(),
        "{\"proposals\": []}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let left = std::process::Command::new("pgrep")
        .args(["-f", "sleep 33.25"])
        .output()
        .unwrap();
    assert!(left.stdout.is_empty(), "its background child is gone");
    // It floods without reading a large input: refused as too large, not as a timeout.
    let a = script("x", "exec head -c 2000000 /dev/zero", 5000);
    let e = consult(&a, "x".repeat(4 << 20)).await.unwrap_err();
    assert!(e.contains("answered more than"), "{e}");
}
