//! Each rule against synthetic series, one pass a second, as the console feeds them.

use super::*;
use crate::agent::signal::Ewma;
use crate::app::model::ContainerKey;

fn key() -> ServiceKey {
    ServiceKey {
        endpoint: "local".into(),
        project: "shop".into(),
        service: "web".into(),
    }
}

fn policy() -> Policy {
    Policy {
        smoothing: Duration::from_secs(5),
        scale_up_window: Duration::from_secs(30),
        scale_down_window: Duration::from_secs(120),
        cooldown: Duration::from_secs(60),
        ..Policy::default()
    }
}

/// A service of `replicas` replicas with a 1-cpu limit fed `series` (per cent of limit), one
/// point a second from t = 1000; the verdicts of each pass.
fn run(rule: &str, replicas: u32, series: &[f64], p: &Policy) -> Vec<Verdict> {
    let mut s = ServiceSignals {
        replicas,
        running: replicas,
        cpu_limit: Some(1.0),
        changed_at: 0.0,
        ..ServiceSignals::default()
    };
    let mut memory = Recommendations::default();
    let mut out = Vec::new();
    for (i, x) in series.iter().enumerate() {
        let t = 1000.0 + i as f64;
        s.cpu_of_limit.add(*x, t, p.smoothing);
        s.cpu_history.push(
            t,
            s.cpu_of_limit.value().unwrap() as f32,
            Duration::from_secs(300),
        );
        out.push(match rule {
            "horizontal" => horizontal(&key(), &s, &mut memory, p, t),
            _ => predictive(&key(), &s, p, t),
        });
    }
    out
}

fn first_proposal(verdicts: &[Verdict]) -> Option<(usize, &Proposal)> {
    verdicts.iter().enumerate().find_map(|(i, v)| match v {
        Verdict::Propose(p) => Some((i, p)),
        _ => None,
    })
}

fn scale_to(p: &Proposal) -> u32 {
    match p.change {
        Change::Scale { to, .. } => to,
        _ => panic!("not a scale: {p:?}"),
    }
}

#[test]
fn steady_load_at_the_target_proposes_nothing_and_says_nothing_is_waiting() {
    let verdicts = run("horizontal", 2, &[70.0; 200], &policy());
    assert!(first_proposal(&verdicts).is_none());
    // Within tolerance (75 % against 70 % is 7 % off): no change either.
    let verdicts = run("horizontal", 2, &[75.0; 200], &policy());
    assert!(first_proposal(&verdicts).is_none());
    assert!(matches!(verdicts.last(), Some(Verdict::Nothing)));
}

#[test]
fn too_little_history_says_it_is_waiting_and_for_how_long() {
    let verdicts = run("horizontal", 2, &[90.0; 3], &policy());
    let Verdict::Note(n) = &verdicts[2] else {
        panic!("{:?}", verdicts[2])
    };
    assert_eq!(n.text, "waiting for data: 2s of 5s so far");
}

#[test]
fn a_step_up_is_proposed_once_it_has_held_for_the_up_window_and_follows_the_hpa_rule() {
    let mut series = vec![70.0; 60];
    series.extend([140.0; 120]);
    let verdicts = run("horizontal", 2, &series, &policy());
    let (at, p) = first_proposal(&verdicts).expect("a scale-up");
    // The step came at 60; smoothing (5 s) then the 30 s window pass first.
    assert!((90..=100).contains(&at), "proposed at {at}");
    // The lowest recommendation of the window: the smoothing was still on its way up then.
    assert_eq!(scale_to(p), 3);
    // Once the whole window says so: ceil(2 × 140 / 70) = 4.
    let Some(Verdict::Propose(last)) = verdicts.last() else {
        panic!("{:?}", verdicts.last())
    };
    assert_eq!(scale_to(last), 4);
    assert!(
        last.numbers
            .starts_with("cpu 140 % of limit (1.00 cpus) against a 70 % target for 30s, 2 → 4"),
        "{}",
        last.numbers
    );
    assert_eq!(last.id, "horizontal:local/shop/web:4");
    // Before it: what it waits for.
    let Verdict::Note(n) = &verdicts[80] else {
        panic!("{:?}", verdicts[80])
    };
    assert!(
        n.text.contains("scaling up to 4 once it holds for 30s"),
        "{}",
        n.text
    );
}

#[test]
fn a_spike_shorter_than_the_up_window_is_not_proposed() {
    let mut series = vec![70.0; 60];
    series.extend([300.0; 10]);
    series.extend([70.0; 100]);
    let verdicts = run("horizontal", 2, &series, &policy());
    assert!(first_proposal(&verdicts).is_none());
}

#[test]
fn a_step_down_waits_for_the_whole_down_window_and_takes_its_highest_recommendation() {
    let mut series = vec![70.0; 150];
    series.extend([20.0; 200]);
    let verdicts = run("horizontal", 4, &series, &policy());
    let (at, p) = first_proposal(&verdicts).expect("a scale-down");
    assert!(
        at >= 150 + 120,
        "proposed at {at}, before the 120 s down window"
    );
    assert!(scale_to(p) < 4);
    // Once the whole window says so: ceil(4 × 20 / 70) = 2.
    let Some(Verdict::Propose(last)) = verdicts.last() else {
        panic!("{:?}", verdicts.last())
    };
    assert_eq!(scale_to(last), 2);
}

#[test]
fn flapping_load_never_scales_down_and_up_in_turn() {
    // 30 s high, 30 s low: up needs 30 s of agreement (the smoothing keeps it short of that),
    // down needs 120 s.
    let series: Vec<f64> = (0..600)
        .map(|i| if (i / 30) % 2 == 0 { 120.0 } else { 30.0 })
        .collect();
    let verdicts = run("horizontal", 3, &series, &policy());
    let downs = verdicts
        .iter()
        .filter(|v| matches!(v, Verdict::Propose(p) if scale_to(p) < 3))
        .count();
    assert_eq!(downs, 0);
}

#[test]
fn min_max_and_the_cooldown_hold() {
    let p = Policy {
        max_replicas: 3,
        ..policy()
    };
    let verdicts = run("horizontal", 2, &[300.0; 100], &p);
    let (_, proposal) = first_proposal(&verdicts).unwrap();
    assert_eq!(scale_to(proposal), 3);
    assert!(
        proposal.reasons[0].contains("held to 1..=3"),
        "{:?}",
        proposal.reasons
    );

    // Changed just now: the same load is noted as cooling down, not proposed.
    let mut s = ServiceSignals {
        replicas: 2,
        running: 2,
        cpu_limit: Some(1.0),
        changed_at: 1090.0,
        ..ServiceSignals::default()
    };
    let mut memory = Recommendations::default();
    let mut last = Verdict::Nothing;
    for i in 0..100 {
        let t = 1000.0 + f64::from(i);
        s.cpu_of_limit.add(300.0, t, p.smoothing);
        s.cpu_history.push(t, 300.0, Duration::from_secs(300));
        last = horizontal(&key(), &s, &mut memory, &p, t);
    }
    let Verdict::Note(n) = last else {
        panic!("{last:?}")
    };
    assert!(n.text.contains("cooling down for 51s more"), "{}", n.text);
}

#[test]
fn a_ramp_is_forecast_before_it_crosses_the_target_and_a_forecast_never_scales_down() {
    // From 30 % up 0.5 a second: at 60 % after a minute, crossing 77 % (70 + 10 %) later.
    let ramp: Vec<f64> = (0..80).map(|i| 30.0 + 0.5 * i as f64).collect();
    let verdicts = run("predictive", 2, &ramp, &policy());
    let (at, p) = first_proposal(&verdicts).expect("a forecast scale-up");
    let smoothed_then = ramp[at];
    assert!(smoothed_then < 77.0, "proposed only at {smoothed_then} %");
    assert!(scale_to(p) > 2);
    assert!(p.numbers.contains("forecast in 1m"), "{}", p.numbers);

    // Falling: the forecast is low, and nothing is proposed at all.
    let fall: Vec<f64> = (0..200).map(|i| 90.0 - 0.4 * i as f64).collect();
    assert!(first_proposal(&run("predictive", 4, &fall, &policy())).is_none());
    let steady = run("predictive", 4, &[20.0; 200], &policy());
    assert!(first_proposal(&steady).is_none());
}

fn replica(memory: &[f64], cores: &[f32], limit: u64) -> ContainerSignals {
    let mut c = ContainerSignals {
        name: "shop-web-1".into(),
        running: true,
        memory_limit: Some(limit),
        cpu_limit: Some(1.0),
        ..ContainerSignals::default()
    };
    for (i, m) in memory.iter().enumerate() {
        c.memory
            .push(1000.0 + i as f64, *m, Duration::from_secs(600));
    }
    for (i, x) in cores.iter().enumerate() {
        c.cpu_cores
            .push(1000.0 + i as f64, *x, Duration::from_secs(600));
    }
    c
}

fn service(replicas: u32, memory_limit: u64) -> ServiceSignals {
    ServiceSignals {
        replicas,
        running: replicas,
        cpu_limit: Some(1.0),
        memory_limit: Some(memory_limit),
        ..ServiceSignals::default()
    }
}

const MIB: u64 = 1 << 20;

#[test]
fn an_oom_kill_raises_memory_at_once_above_the_limit() {
    let mut c = replica(&[60.0 * MIB as f64; 10], &[0.1; 10], 64 * MIB);
    c.oom_seen_at = Some(1005.0);
    let v = vertical(
        &key(),
        &service(1, 64 * MIB),
        [&c].into_iter(),
        &policy(),
        1010.0,
    );
    let Verdict::Propose(p) = v else {
        panic!("{v:?}")
    };
    let Change::Limits { memory, cpus, .. } = p.change else {
        panic!()
    };
    // 64 MiB × 1.25 (the least raise after a kill) = 80 MiB.
    assert_eq!(memory, Some(80 * MIB));
    assert_eq!(cpus, None);
    assert!(
        p.numbers
            .starts_with("OOM-killed within 5m: memory peaked at"),
        "{}",
        p.numbers
    );
}

#[test]
fn a_window_kept_as_perception_keeps_it_is_seen_whole_at_sample_times_off_the_second() {
    use crate::agent::perceive::kept_for;
    let p = Policy::default();
    let kept = kept_for(p.vertical_window);
    let mut c = replica(&[], &[], 256 * MIB);
    let start = 1000.37;
    for i in 0..330 {
        let t = start + i as f64 * 1.003;
        c.memory
            .push_peak(t, 20.0 * MIB as f64, kept, Duration::from_secs(5));
        c.cpu_cores.push_peak(t, 0.1, kept, Duration::from_secs(5));
    }
    let v = vertical(
        &key(),
        &service(1, 256 * MIB),
        [&c].into_iter(),
        &p,
        start + 330.0,
    );
    assert!(
        matches!(&v, Verdict::Propose(_)),
        "5 minutes of history sizes memory: {v:?}"
    );
}

#[test]
fn without_a_kill_memory_waits_for_the_window_then_fits_the_peak() {
    let p = policy();
    let short = replica(&[20.0 * MIB as f64; 60], &[0.1; 60], 256 * MIB);
    let v = vertical(
        &key(),
        &service(1, 256 * MIB),
        [&short].into_iter(),
        &p,
        1060.0,
    );
    assert!(
        matches!(&v, Verdict::Note(n) if n.text.starts_with("waiting for data: 59s of 5m")),
        "{v:?}"
    );
    let mut series = vec![20.0 * MIB as f64; 400];
    series[200] = 50.0 * MIB as f64;
    let full = replica(&series, &[0.1; 400], 256 * MIB);
    let Verdict::Propose(prop) = vertical(
        &key(),
        &service(1, 256 * MIB),
        [&full].into_iter(),
        &p,
        1400.0,
    ) else {
        panic!()
    };
    let Change::Limits { memory, .. } = prop.change else {
        panic!()
    };
    // The peak (50 MiB) plus 20 %, never the 20 MiB in use now.
    assert_eq!(memory, Some(60 * MIB));
}

#[test]
fn sustained_throttling_raises_cpu_only_when_replicas_cannot_be_added() {
    let p = Policy {
        max_replicas: 2,
        ..policy()
    };
    let mut c = replica(&[20.0 * MIB as f64; 30], &[1.0; 30], 256 * MIB);
    let mut th = Ewma::default();
    th.add(60.0, 1029.0, p.smoothing);
    c.throttled = th;
    let Verdict::Propose(prop) =
        vertical(&key(), &service(2, 256 * MIB), [&c].into_iter(), &p, 1030.0)
    else {
        panic!()
    };
    let Change::Limits { cpus, .. } = prop.change else {
        panic!()
    };
    // Its use (1 cpu) at the 70 % target: 1.43, up to the next 0.05.
    assert_eq!(cpus, Some(1.45));
    assert!(
        prop.numbers.contains("already at max_replicas (2)"),
        "{}",
        prop.numbers
    );
    // With room for replicas, the horizontal rule answers the load instead.
    let roomy = vertical(&key(), &service(1, 256 * MIB), [&c].into_iter(), &p, 1030.0);
    assert!(!matches!(roomy, Verdict::Propose(_)), "{roomy:?}");
}

#[test]
fn a_scale_down_waits_while_replicas_are_down_and_the_cooldown_quiets_every_rule() {
    // 4 replicas, 2 running at the target: the two down ones may be why it looks fine.
    let p = policy();
    let mut s = ServiceSignals {
        replicas: 4,
        running: 2,
        cpu_limit: Some(1.0),
        ..ServiceSignals::default()
    };
    let mut memory = Recommendations::default();
    let mut last = Verdict::Nothing;
    for i in 0..300 {
        let t = 1000.0 + f64::from(i);
        s.cpu_of_limit.add(20.0, t, p.smoothing);
        s.cpu_history.push(t, 20.0, Duration::from_secs(300));
        last = horizontal(&key(), &s, &mut memory, &p, t);
    }
    assert_eq!(last, Verdict::Nothing);
    // Changed a moment ago: a rising trend is not forecast yet either.
    let mut rising = ServiceSignals {
        replicas: 2,
        running: 2,
        cpu_limit: Some(1.0),
        changed_at: 1070.0,
        ..ServiceSignals::default()
    };
    for i in 0..80 {
        let t = 1000.0 + f64::from(i);
        rising
            .cpu_of_limit
            .add(30.0 + 0.5 * f64::from(i), t, p.smoothing);
        rising.cpu_history.push(
            t,
            rising.cpu_of_limit.value().unwrap() as f32,
            Duration::from_secs(300),
        );
    }
    assert_eq!(predictive(&key(), &rising, &p, 1079.0), Verdict::Nothing);
}

#[test]
fn heal_restarts_at_most_max_restarts_times_then_says_why_it_stopped() {
    let p = policy();
    let key = ContainerKey {
        endpoint: "local".into(),
        id: "abc".into(),
    };
    let mut c = replica(&[], &[], 64 * MIB);
    c.health = Health::Unhealthy;
    c.failing_streak = Some(2);
    assert_eq!(
        heal(&key, &c, &Restarts::new(), &p, 5000.0),
        Verdict::Nothing
    );
    c.failing_streak = Some(3);
    let Verdict::Propose(prop) = heal(&key, &c, &Restarts::new(), &p, 5000.0) else {
        panic!()
    };
    assert_eq!(prop.change, Change::Restart);
    assert_eq!(
        prop.numbers,
        "unhealthy: 3 probes failed in a row (policy: 3)"
    );
    let restarts: Restarts = [4000.0, 4500.0, 4900.0].into();
    let Verdict::Note(n) = heal(&key, &c, &restarts, &p, 5000.0) else {
        panic!()
    };
    assert!(
        n.text.starts_with(
            "unhealthy again after 3 restarts within 30m: not proposed for 13m20s more"
        ),
        "{}",
        n.text
    );
}

fn rollout(phase: crate::canary::state::Phase, step: usize) -> RolloutSignals {
    RolloutSignals {
        name: "web".into(),
        service: key(),
        phase,
        step,
        steps: 2,
        weight: 20,
        suspended: false,
        driver: crate::agent::perceive::Drive::Here,
        auto_abort: false,
        passing_since: None,
        failed_in_a_row: 0,
        budget: 3,
        failing: None,
        stable_rps: None,
        canary_rps: None,
        stable_error_percent: None,
        canary_error_percent: None,
    }
}

fn canary_at(r: &RolloutSignals, now: f64) -> Verdict {
    canary(r, &policy_with_promote_after(60), now)
}

fn policy_with_promote_after(secs: u64) -> Policy {
    Policy {
        promote_after: Duration::from_secs(secs),
        ..policy()
    }
}

#[test]
fn a_canary_at_its_last_step_is_promoted_once_its_gates_passed_for_the_policy_s_while() {
    use crate::canary::state::Phase;
    let mut r = rollout(Phase::Paused, 1);
    r.passing_since = Some(1000.0);
    let Verdict::Note(n) = canary_at(&r, 1030.0) else {
        panic!("a note while it waits")
    };
    assert_eq!(
        n.text,
        "gates passing for 30s of the 1m before promotion is proposed"
    );
    let Verdict::Propose(p) = canary_at(&r, 1060.0) else {
        panic!("promote after a minute")
    };
    assert_eq!(p.change, Change::Promote);
    assert_eq!(p.id, "canary:local/rollout/web:promote");
    assert_eq!(
        p.numbers,
        "every gate passed for 1m at 20 % of traffic on the canary"
    );
    // Not before its last step, nor once it has gone on, nor without passing gates.
    assert_eq!(
        canary_at(&rollout(Phase::Paused, 0), 5000.0),
        Verdict::Nothing
    );
    for phase in [Phase::Ready, Phase::Promoting, Phase::Promoted] {
        let mut r = rollout(phase, 1);
        r.passing_since = Some(0.0);
        assert_eq!(canary_at(&r, 5000.0), Verdict::Nothing);
    }
    let mut r = rollout(Phase::Paused, 1);
    r.failing = Some("error rate % 3.00 > 1.00".into());
    let Verdict::Note(n) = canary_at(&r, 5000.0) else {
        panic!("failing gates are said")
    };
    assert!(n.text.contains("gates failing: error rate"), "{}", n.text);
}

#[test]
fn a_spent_budget_proposes_an_abort_unless_the_rollout_aborts_by_itself() {
    use crate::canary::state::Phase;
    let mut r = rollout(Phase::Paused, 1);
    r.failed_in_a_row = 3;
    r.failing = Some("error rate % 40.00 > 1.00".into());
    let Verdict::Propose(p) = canary_at(&r, 1000.0) else {
        panic!("abort proposed")
    };
    assert_eq!(p.id, "canary:local/rollout/web:abort");
    assert!(
        p.numbers
            .starts_with("gates failed 3 times in a row (budget 3): error rate % 40.00 > 1.00"),
        "{}",
        p.numbers
    );
    assert_eq!(p.expected, "all traffic back on stable");
    r.auto_abort = true;
    assert_eq!(
        canary_at(&r, 1000.0),
        Verdict::Nothing,
        "the console aborts it itself"
    );
    r.driver = crate::agent::perceive::Drive::Nobody;
    assert!(
        matches!(canary_at(&r, 1000.0), Verdict::Propose(_)),
        "nobody drives it: proposed"
    );
    r.driver = crate::agent::perceive::Drive::Here;
    r.auto_abort = false;
    r.failed_in_a_row = 2;
    assert!(!matches!(canary_at(&r, 1000.0), Verdict::Propose(_)));
}

#[test]
fn a_rollout_another_process_drives_gets_nothing_but_a_note() {
    use crate::canary::state::Phase;
    let mut r = rollout(Phase::Paused, 1);
    r.failed_in_a_row = 5;
    r.driver = crate::agent::perceive::Drive::Elsewhere;
    let Verdict::Note(n) = canary_at(&r, 1000.0) else {
        panic!("a note")
    };
    assert!(
        n.text.starts_with("driven by another process"),
        "{}",
        n.text
    );
}
