//! The confirmation dialog over a plan: its options, Cancel, and handing it to the gate.

use super::*;

pub(super) fn on_dialog_action(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    let Some(Overlay::Confirm(d)) = app.screen.overlay.as_mut() else {
        return;
    };
    match action {
        Action::Cancel => app.screen.overlay = None,
        Action::FocusNext => {
            d.focus = match d.focus {
                Button::Cancel => Button::Confirm,
                Button::Confirm => Button::Cancel,
            }
        }
        Action::OptionNext | Action::OptionPrev => {
            let forward = action == Action::OptionNext;
            match d.request.as_mut() {
                // A request with a choice (a kill's signal) cycles it…
                Some(r) if !r.choices().is_empty() => {
                    r.cycle(forward);
                    d.refresh();
                }
                // …any other dialog scrolls its list of steps.
                _ if forward => d.scroll = (d.scroll + 1).min(d.plan.steps.len().saturating_sub(1)),
                _ => d.scroll = d.scroll.saturating_sub(1),
            }
        }
        Action::ToggleOption => {
            if let Some(r) = d.request.as_mut() {
                r.toggle();
            }
            d.refresh();
        }
        // `y`: yes, whichever button has the focus (Cancel still has it at first, so Enter
        // alone never confirms).
        Action::Confirm | Action::Yes => {
            let confirmed = action == Action::Yes || d.focus == Button::Confirm;
            let plan = d.plan.clone();
            app.screen.overlay = None;
            if confirmed {
                submit(app, plan, fx);
            }
        }
        _ => {}
    }
}

/// Hands a confirmed plan to the gate and shows it as running.
pub(super) fn submit(app: &mut App, plan: crate::ops::Plan, fx: &mut Vec<Effect>) {
    submit_approved(app, plan, Approval::Operator, fx)
}

/// Hands a plan to the gate with how it was approved (the operator, or a rule they wrote),
/// and shows it as running.
pub(super) fn submit_approved(
    app: &mut App,
    plan: crate::ops::Plan,
    approval: Approval,
    fx: &mut Vec<Effect>,
) {
    // The marks were for this change; a shell, or a change to images, volumes or networks,
    // leaves them be.
    let on_marked = plan
        .steps
        .iter()
        .all(|s| s.target.container_key().is_some());
    if on_marked && !plan.is_session() {
        app.table.marked.clear();
    }
    toast(app, ToastLevel::Info, format!("{}…", plan.title));
    super::agent::submitted(app, &plan, &approval);
    app.ops.running.push(RunningPlan {
        steps: vec![StepState::Waiting; plan.steps.len()],
        plan: plan.clone(),
    });
    fx.push(Effect::Submit { plan, approval });
}

/// Read-only mode refuses a plan here, without a dialog; the gate records the refusal like one
/// of its own.
pub(super) fn refuse_read_only(app: &mut App, plan: crate::ops::Plan, fx: &mut Vec<Effect>) {
    toast(
        app,
        ToastLevel::Error,
        format!("read-only mode: {} refused", plan.title),
    );
    fx.push(Effect::Refuse {
        plan,
        reason: "refused: wheelhouse is in read-only mode".into(),
    });
}
