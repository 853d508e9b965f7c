//! Plans with the gate: their progress and how they ended.

use super::*;

pub(super) fn on_progress(app: &mut App, p: Progress) {
    let (plan, index, state) = match p {
        Progress::Running { plan, index } => (plan, index, StepState::Running),
        Progress::Ended {
            plan,
            index,
            result,
        } => (
            plan,
            index,
            match result {
                Ok(()) => StepState::Done,
                Err(e) => StepState::Failed(e.message),
            },
        ),
        Progress::Undoing { plan, index } => (plan, index, StepState::Undoing),
        Progress::Undone {
            plan,
            index,
            result,
        } => (
            plan,
            index,
            match result {
                Ok(()) => StepState::Undone,
                Err(e) => StepState::UndoFailed(e.message),
            },
        ),
    };
    if let Some(step) = app
        .ops
        .running
        .iter_mut()
        .find(|r| r.plan.id == plan)
        .and_then(|r| r.steps.get_mut(index))
    {
        *step = state;
    }
}

/// A plan ended: say how, in full (the engine's reason whole), and leave if the operator was
/// waiting for it to quit.
pub(super) fn on_plan_done(app: &mut App, report: PlanReport) {
    let Some(at) = app
        .ops
        .running
        .iter()
        .position(|r| r.plan.id == report.plan)
    else {
        return;
    };
    let running = app.ops.running.remove(at);
    let plan = &running.plan;
    match report.failure() {
        None => toast(app, ToastLevel::Info, format!("{}: done", plan.title)),
        Some((index, e)) => {
            let step = &plan.steps[index];
            let ran = report
                .results
                .iter()
                .filter(|r| matches!(r, Some(Ok(()))))
                .count();
            let context = if plan.steps.len() > 1 {
                format!(
                    " (step {} of {}; {ran} done before it)",
                    index + 1,
                    plan.steps.len()
                )
            } else {
                String::new()
            };
            toast(
                app,
                ToastLevel::Error,
                format!(
                    "{} on {} failed{context}: {e}",
                    step.describe(),
                    step.target.endpoint()
                ),
            );
        }
    }
    if app.ops.quitting && app.ops.running.is_empty() {
        app.quit = true;
    }
}
