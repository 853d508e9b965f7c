//! The canary view (`W`, `:canary`): choosing a rollout, staging a share with the arrows or a
//! digit, and moving the rollout — the staged share, the next step, promote, abort, retry,
//! suspend — each one a transition of its state machine, made a plan, confirmed in the usual
//! dialog (Cancel focused) and run through the gate. Time moves a rollout this console drives
//! where its file says so, as a plan approved by that rule ([`automate`]).

use super::*;
use crate::canary::machine::{self, Input, Transition};

/// How far one arrow press moves the staged share.
const STEP_PERCENT: i64 = 5;

pub(crate) fn on_action(
    app: &mut App,
    action: Action,
    arg: Option<Arg>,
    origin: Origin,
    fx: &mut Vec<Effect>,
) {
    let count = app.views.canary.rollouts.len();
    let c = &mut app.views.canary;
    match action {
        Action::Up => c.cursor = c.cursor.saturating_sub(1),
        Action::Down => c.cursor = (c.cursor + 1).min(count.saturating_sub(1)),
        Action::Left => stage(app, Some(Arg::By(-STEP_PERCENT))),
        Action::Right => stage(app, Some(Arg::By(STEP_PERCENT))),
        Action::StageWeight => stage(app, arg),
        Action::ApplyWeight => {
            let Some(r) = app.views.canary.selected() else {
                return;
            };
            match r.staged {
                Some(w) => propose(app, Input::Override(w), origin, fx),
                None => toast(
                    app,
                    ToastLevel::Info,
                    "stage a share first: ←/→ by 5 %, or a digit (3 = 30 %)".into(),
                ),
            }
        }
        Action::NextStep => propose(app, Input::Next, origin, fx),
        Action::Promote => propose(app, Input::Promote, origin, fx),
        Action::Abort => {
            let reason = app
                .views
                .canary
                .selected()
                .and_then(|r| r.failing())
                .map_or_else(
                    || "aborted by the operator".to_owned(),
                    |f| format!("aborted by the operator: {f}"),
                );
            propose(app, Input::Abort { reason }, origin, fx)
        }
        Action::Retry => propose(app, Input::Retry, origin, fx),
        Action::Suspend => {
            let suspended = app
                .views
                .canary
                .selected()
                .is_some_and(|r| r.state.suspended);
            let input = if suspended {
                Input::Resume
            } else {
                Input::Suspend
            };
            propose(app, input, origin, fx)
        }
        _ => {}
    }
}

fn stage(app: &mut App, arg: Option<Arg>) {
    let Some(r) = app.views.canary.selected_mut() else {
        return;
    };
    let from = r.staged.or(r.weight_now()).unwrap_or(r.state.weight) as i64;
    // The slider snaps to the shares the router can give; an arrow goes on to the next one
    // (a replica ratio of 4 moves by 25 %).
    let router = &r.spec.router;
    let snap = |p: i64| i64::from(router.realisable(p.clamp(0, 100) as u32));
    let to = match arg {
        Some(Arg::By(d)) => {
            let mut to = from.saturating_add(d).clamp(0, 100);
            while snap(to) == snap(from) && (1..100).contains(&to) {
                to += d.signum();
            }
            snap(to)
        }
        Some(Arg::To(v)) => snap(v),
        _ => snap(from),
    };
    r.staged = Some(to as u32);
}

/// Why this console may not move the selected rollout now, if it may not.
fn not_here(r: &crate::app::canary::RolloutView) -> Option<String> {
    use crate::app::canary::Driving;
    let name = &r.spec.name;
    match &r.driving {
        Driving::Here => None,
        Driving::Unknown => Some(format!("{name}: its lock is being taken; try again")),
        Driving::Elsewhere(Some(h)) => {
            Some(format!("{name} is driven by {h}; this console watches"))
        }
        Driving::Elsewhere(None) => Some(format!(
            "{name} is driven by another process; this console watches"
        )),
        Driving::Failed(e) => Some(format!("{name}: its lock could not be taken: {e}")),
        Driving::Nobody => Some(format!(
            "{name}: nobody drives it; this process only watches"
        )),
    }
}

/// A plan carrying out `input` on the selected rollout, in the confirmation dialog; its notes
/// name the router, the command it will get and the service.
fn propose(app: &mut App, input: Input, origin: Origin, fx: &mut Vec<Effect>) {
    let Some(name) = app.views.canary.selected().map(|r| r.spec.name.clone()) else {
        return;
    };
    let (plan, notes) = match transition_plan(app, &name, input, origin) {
        Ok(made) => made,
        Err((level, e)) => return toast(app, level, e),
    };
    if app.options.read_only {
        return refuse_read_only(app, plan, fx);
    }
    if let Some(r) = app.views.canary.selected_mut() {
        r.staged = None;
    }
    app.screen.overlay = Some(Overlay::Confirm(ConfirmDialog::prepared(plan, notes)));
}

/// The plan carrying out `input` on `rollout` from where it stands, with the notes its dialog
/// shows; or why not now (another process drives it, a change is under way, the state machine
/// says no), with how loudly to say it. The operator's keys and the agent's proposals both
/// come here.
pub(super) fn transition_plan(
    app: &mut App,
    rollout: &str,
    input: Input,
    origin: Origin,
) -> Result<(crate::ops::Plan, Vec<String>), (ToastLevel, String)> {
    let Some(r) = app.views.canary.by_name(rollout) else {
        return Err((ToastLevel::Error, format!("no rollout {rollout}")));
    };
    if let Some(why) = not_here(r) {
        return Err((ToastLevel::Error, why));
    }
    if in_flight(app, rollout) {
        let text = format!("{rollout}: a change is under way; wait for it");
        return Err((ToastLevel::Info, text));
    }
    let transition =
        machine::on_input(&r.spec, &r.state, input, app.now).map_err(|e| (ToastLevel::Info, e))?;
    let mut notes = notes(r, &transition);
    let plan = plan(app, &transition, origin).map_err(|e| (ToastLevel::Error, e))?;
    if transition.state.phase == crate::canary::state::Phase::Promoting {
        notes.push(format!(
            "{} steps, health-gated; a replica that fails rolls everything back.",
            plan.steps.len()
        ));
    }
    Ok((plan, notes))
}

/// The plan of `t`; a promotion's is made from the inventory and may not be possible (no
/// replica on a track, canaries on two images): why, then.
fn plan(app: &mut App, t: &Transition, origin: Origin) -> Result<crate::ops::Plan, String> {
    let name = t.state.rollout.clone();
    let id = app.next_plan_id();
    let r = app
        .views
        .canary
        .by_name(&name)
        .expect("a transition of a rollout the view has");
    crate::canary::plan_for(
        &r.spec,
        &r.state,
        t,
        &app.inventory,
        &app.views.canary.state_dir,
        id,
        origin,
    )
}

fn notes(r: &crate::app::canary::RolloutView, t: &Transition) -> Vec<String> {
    let spec = &r.spec;
    // The dialog's title says what happens; the notes say how.
    let mut notes = Vec::new();
    if let Some(percent) = t.weight {
        notes.push(format!("Router: {}.", spec.router.describe()));
        notes.extend(spec.router.preview(percent));
        let canary = spec.canary_service.as_deref().unwrap_or(&spec.service);
        notes.push(format!(
            "Service {} (stable), {canary} (canary), by label {}.",
            spec.service, spec.track_label
        ));
    } else {
        notes.push("The router is not touched; the rollout's state is recorded.".into());
    }
    notes
}

/// A plan of this rollout's is running, or waits in the confirmation dialog (a second one would
/// race it, or the one confirmed would start from a state that is gone).
fn in_flight(app: &App, rollout: &str) -> bool {
    let asked = matches!(&app.screen.overlay,
        Some(Overlay::Confirm(d)) if rollout_of(&d.plan) == Some(rollout));
    asked
        || app
            .ops
            .running
            .iter()
            .any(|p| rollout_of(&p.plan) == Some(rollout))
}

/// The rollout a plan records the state of.
fn rollout_of(plan: &crate::ops::Plan) -> Option<&str> {
    plan.steps.iter().find_map(|s| match &s.op {
        crate::ops::Operation::RecordRollout { rollout_state, .. } => {
            Some(rollout_state.rollout.as_str())
        }
        _ => None,
    })
}

/// A plan ended: the rollout stands where the last state it recorded that was not taken back
/// says (a promotion that failed past its point of no return stays promoting, one rolled back
/// stands where it stood); a plan that recorded nothing leaves it as it was.
pub(super) fn on_plan_done(app: &mut App, plan: &crate::ops::Plan, report: &PlanReport) {
    let undone = |i: usize| report.rolled_back.iter().any(|(u, r)| *u == i && r.is_ok());
    let Some(state) = plan
        .steps
        .iter()
        .enumerate()
        .rev()
        .filter(|(i, _)| matches!(report.results.get(*i), Some(Some(Ok(())))) && !undone(*i))
        .find_map(|(_, s)| match &s.op {
            crate::ops::Operation::RecordRollout { rollout_state, .. } => Some(rollout_state),
            _ => None,
        })
    else {
        return;
    };
    if let Some(r) = app.views.canary.by_name_mut(&state.rollout) {
        r.state = state.clone();
        r.review = None;
    }
}

/// What time and the gates do by themselves to a rollout this console drives, after a new
/// reading: a plan approved by the rollout's own rule (named in the audit log), or nothing.
/// Read-only runs none (the view says the steps wait); one plan per rollout at a time.
pub(super) fn automate(app: &mut App, rollout: &str, fx: &mut Vec<Effect>) {
    let Some(r) = app.views.canary.by_name(rollout) else {
        return;
    };
    if !r.driven_here() || app.options.read_only || in_flight(app, rollout) {
        return;
    }
    let Some((t, rule)) = machine::automatic(&r.spec, &r.state, &r.facts(), app.now) else {
        return;
    };
    let origin = Origin::Canary {
        canary_rollout: rollout.to_owned(),
        canary_step: r.state.step + 1,
    };
    let plan = match plan(app, &t, origin) {
        Ok(p) => p,
        Err(e) => return toast(app, ToastLevel::Error, e),
    };
    super::confirm::submit_approved(app, plan, crate::ops::Approval::Policy(rule), fx);
}

/// `W`: opens the view, or goes back to the table.
pub(super) fn toggle(app: &mut App, fx: &mut Vec<Effect>) {
    if app.views.current == View::Canary {
        app.views.current = View::Table;
        return;
    }
    back_to_table(app, fx);
    app.views.current = View::Canary;
}
