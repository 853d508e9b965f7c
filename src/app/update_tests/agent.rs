//! The agent in the reducer: a proposal on a tick, confirmed only through the dialog (Cancel
//! focused), rejected and held back, refused under read-only, and applied alone only when its
//! policy says `auto`.

use super::*;
use crate::agent::policy::Policies;
use crate::agent::Agent;

fn sick_web(policies: &str) -> App {
    let mut c: Container = container("shop-web-1", "running")
        .project("shop", "web")
        .number(1)
        .health(Health::Unhealthy)
        .into();
    c.failing_streak = Some(5);
    let mut app = app_with(vec![c]);
    app.agent = Agent::new(
        Policies::parse(policies, "agent.toml").map_err(|e| e.to_string()),
        50,
    );
    app
}

fn tick(app: &mut App) -> Vec<Effect> {
    app.now += Duration::seconds(1);
    update(app, Msg::Tick)
}

fn submitted(fx: &[Effect]) -> Vec<(&Plan, &Approval)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Submit { plan, approval } => Some((plan, approval)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_proposal_runs_only_once_confirmed_with_the_agent_as_its_origin() {
    let mut app = sick_web("");
    assert!(
        submitted(&tick(&mut app)).is_empty(),
        "nothing runs by itself"
    );
    assert_eq!(app.agent.badge().as_deref(), Some("1 proposal"));
    press(&mut app, KeyCode::Char('A'));
    assert_eq!(app.views.current, View::Agent);
    press(&mut app, KeyCode::Enter);
    let Some(Overlay::Confirm(d)) = &app.screen.overlay else {
        panic!("no dialog: {:?}", app.screen.overlay)
    };
    assert_eq!(d.focus, Button::Cancel);
    assert!(
        d.notes[0].starts_with("Proposed by the agent (default policy): unhealthy"),
        "{:?}",
        d.notes
    );
    // Enter on the focused Cancel: nothing.
    assert!(submitted(&press(&mut app, KeyCode::Enter)).is_empty());
    press(&mut app, KeyCode::Enter);
    let fx = press(&mut app, KeyCode::Char('y'));
    let runs = submitted(&fx);
    assert_eq!(runs.len(), 1);
    let (plan, approval) = runs[0];
    assert_eq!(approval, &Approval::Operator);
    assert_eq!(
        plan.origin,
        Origin::Agent {
            policy: "default".into(),
            proposal: "heal:default/shop-web-1:restart".into()
        }
    );
    assert_eq!(plan.steps[0].op, Operation::Restart);
    assert_eq!(app.agent.applied.len(), 1);
    // Its plan in flight: not proposed again meanwhile.
    tick(&mut app);
    assert!(app.agent.pending.is_empty());
}

#[test]
fn a_rejected_proposal_is_held_back_and_said_so() {
    let mut app = sick_web("");
    tick(&mut app);
    press(&mut app, KeyCode::Char('A'));
    press(&mut app, KeyCode::Char('r'));
    for _ in 0..5 {
        tick(&mut app);
    }
    assert!(app.agent.pending.is_empty());
    assert!(
        app.agent.notes.iter().any(|n| n
            .text
            .starts_with("restart rejected: not proposed for 29m55s more")),
        "{:?}",
        app.agent.notes
    );
}

#[test]
fn a_snoozed_proposal_is_hidden_for_its_policy_s_while() {
    let mut app = sick_web("[default]\nsnooze_for = \"10s\"\n");
    tick(&mut app);
    press(&mut app, KeyCode::Char('A'));
    press(&mut app, KeyCode::Char('s'));
    for _ in 0..9 {
        tick(&mut app);
        assert!(app.agent.pending.is_empty());
    }
    assert!(
        app.agent
            .notes
            .iter()
            .all(|n| n.kind != crate::agent::policy::Kind::Heal),
        "a snooze says nothing: {:?}",
        app.agent.notes
    );
    tick(&mut app);
    tick(&mut app);
    assert_eq!(app.agent.pending.len(), 1, "back after 10 s");
}

#[test]
fn read_only_shows_proposals_and_refuses_them_even_with_auto() {
    let mut app = sick_web("[default]\nauto = [\"heal\"]\n");
    app.options.read_only = true;
    assert!(submitted(&tick(&mut app)).is_empty());
    assert_eq!(app.agent.pending.len(), 1);
    press(&mut app, KeyCode::Char('A'));
    let fx = press(&mut app, KeyCode::Enter);
    assert!(app.screen.overlay.is_none());
    assert!(
        fx.iter().any(|e| matches!(e, Effect::Refuse { .. })),
        "refused, and audited as refused: {fx:?}"
    );
}

#[test]
fn auto_applies_only_the_kinds_its_policy_names_approved_by_that_policy() {
    let mut app = sick_web("[default]\nauto = [\"horizontal\"]\n");
    assert!(submitted(&tick(&mut app)).is_empty(), "heal is not in auto");
    let mut app = sick_web("[default]\nauto = [\"heal\"]\n");
    let fx = tick(&mut app);
    let runs = submitted(&fx);
    assert_eq!(runs.len(), 1);
    assert_eq!(
        runs[0].1,
        &Approval::Policy("agent policy default: auto heal".into())
    );
    assert!(app.agent.applied[0].auto);
}

fn advice(fx: &[Effect]) -> Vec<&str> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Advise { advisor, input } => {
                assert!(input.contains("\"version\":1"), "{input}");
                Some(advisor.name.as_str())
            }
            _ => None,
        })
        .collect()
}

const ADVISED: &str = "[default]\nauto = [\"heal\"]\nunhealthy_probes = 100\n\
    [advisor.ext]\ncommand = [\"advise\"]\nevery = \"10s\"\n";

#[test]
fn an_advisor_is_asked_on_its_schedule_one_run_at_a_time_in_read_only_too() {
    let mut app = sick_web(ADVISED);
    app.options.read_only = true;
    let mut asked = Vec::new();
    for i in 0..30 {
        for name in advice(&tick(&mut app)) {
            asked.push((i, name.to_owned()));
        }
    }
    // 5 s after the first pass, then never again while the first run is out.
    assert_eq!(asked, vec![(5, "ext".to_owned())]);
    update(
        &mut app,
        Msg::Advised {
            advisor: "ext".into(),
            answer: Err("no answer within 10s: stopped".into()),
        },
    );
    let again: usize = (0..10).map(|_| advice(&tick(&mut app)).len()).sum();
    assert_eq!(again, 1, "every 10 s from the last start");
    assert_eq!(
        app.agent.advisors["ext"].problem.as_deref(),
        Some("no answer within 10s: stopped")
    );
}

#[test]
fn an_advisor_s_proposal_waits_for_a_keystroke_even_under_auto_and_runs_as_the_agent_s() {
    let mut app = sick_web(ADVISED);
    tick(&mut app);
    let answer = r#"{"proposals": [{"container": "shop-web-1", "action": "restart",
        "numbers": "error rate 12 %", "reasons": ["5xx since 01:00"]},
        {"service": "shop/nope", "action": "scale", "replicas": 2}]}"#;
    update(
        &mut app,
        Msg::Advised {
            advisor: "ext".into(),
            answer: Ok(answer.into()),
        },
    );
    assert!(
        submitted(&tick(&mut app)).is_empty(),
        "auto heal is the rules' only"
    );
    let ids: Vec<&str> = app
        .agent
        .pending
        .iter()
        .map(|p| p.proposal.id.as_str())
        .collect();
    assert_eq!(ids, vec!["ext/heal:default/shop-web-1:restart"]);
    assert_eq!(
        app.agent.advisors["ext"].left_out,
        vec!["proposals[1]: no service shop/nope".to_owned()]
    );
    press(&mut app, KeyCode::Char('A'));
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Tab);
    let fx = press(&mut app, KeyCode::Char('y'));
    let runs = submitted(&fx);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].1, &Approval::Operator);
    assert_eq!(
        runs[0].0.origin,
        Origin::Agent {
            policy: "default".into(),
            proposal: "ext/heal:default/shop-web-1:restart".into()
        }
    );
}

#[test]
fn a_refused_answer_takes_the_advisor_s_earlier_proposals_with_it() {
    let mut app = sick_web(ADVISED);
    tick(&mut app);
    let ok = r#"{"proposals": [{"container": "shop-web-1", "action": "restart"}]}"#;
    update(
        &mut app,
        Msg::Advised {
            advisor: "ext".into(),
            answer: Ok(ok.into()),
        },
    );
    tick(&mut app);
    assert_eq!(app.agent.pending.len(), 1);
    update(
        &mut app,
        Msg::Advised {
            advisor: "ext".into(),
            answer: Ok("Traceback (most recent call last):".into()),
        },
    );
    tick(&mut app);
    assert!(app.agent.pending.is_empty());
    let problem = app.agent.advisors["ext"].problem.clone().unwrap();
    assert!(problem.contains("the answer is not"), "{problem}");
}
