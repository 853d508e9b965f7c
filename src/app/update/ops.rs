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
/// `done`, or what the engine said needed no change: `already running`, or `done; 1 of 3
/// was already running`.
fn done_text(report: &PlanReport) -> String {
    let steps = report.results.len();
    match report.unchanged.as_slice() {
        [] => "done".into(),
        [(_, why), ..] if report.unchanged.len() == steps => {
            format!("{why}, nothing to do")
        }
        [(_, why), ..] => format!(
            "done; {} of {steps} {} {why}",
            report.unchanged.len(),
            if report.unchanged.len() == 1 {
                "was"
            } else {
                "were"
            }
        ),
    }
}

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
    super::canary::on_plan_done(app, plan, &report);
    let undone = if report.past_point_of_no_return {
        "; past its point of no return, what ran stays done".to_owned()
    } else if report.rolled_back.is_empty() {
        String::new()
    } else if report.fully_rolled_back() {
        "; what ran was undone".to_owned()
    } else {
        "; some of what ran could not be undone (see the audit log)".to_owned()
    };
    // Independent steps: how many went which way, and each failure by name.
    let each_alone = plan.on_failure == crate::ops::OnFailure::EachAlone && plan.steps.len() > 1;
    let failures: Vec<String> = report
        .results
        .iter()
        .zip(&plan.steps)
        .filter_map(|(r, step)| match r {
            Some(Err(e)) => Some(format!("{}: {e}", step.target.label())),
            _ => None,
        })
        .collect();
    let (summary, ok) = match report.failure() {
        Some(_) if each_alone && !report.cancelled => {
            let done = report
                .results
                .iter()
                .filter(|r| matches!(r, Some(Ok(()))))
                .count();
            (
                format!(
                    "{}: {done} done, {} failed ({})",
                    plan.title,
                    failures.len(),
                    failures.join("; ")
                ),
                false,
            )
        }
        None if report.cancelled => (format!("{}: stopped{undone}", plan.title), false),
        None => (format!("{}: {}", plan.title, done_text(&report)), true),
        Some((index, e)) => {
            let step = &plan.steps[index];
            let ran = report
                .results
                .iter()
                .filter(|r| matches!(r, Some(Ok(()))))
                .count();
            let context = if plan.steps.len() > 1 {
                format!(
                    " (step {} of {}; {ran} done before it{undone})",
                    index + 1,
                    plan.steps.len()
                )
            } else {
                String::new()
            };
            let why = if report.cancelled {
                "stopped by the operator".to_owned()
            } else {
                e.to_string()
            };
            (
                format!(
                    "{} on {} failed{context}: {why}",
                    step.describe(),
                    step.target.endpoint()
                ),
                false,
            )
        }
    };
    let level = if ok {
        ToastLevel::Info
    } else {
        ToastLevel::Error
    };
    toast(app, level, summary.clone());
    app.agent.plan_done(&plan.id, ok, &summary);
    if plan.steps.len() > 1 {
        app.ops.finished.push_back(FinishedPlan {
            run: running.clone(),
            summary,
            ok,
            at: app.now,
        });
        while app.ops.finished.len() > 4 {
            app.ops.finished.pop_front();
        }
    }
    if app.ops.quitting && app.ops.running.is_empty() {
        app.quit = true;
    }
}
