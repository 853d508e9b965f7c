//! The canary view (`W`, `:canary`): choosing a rollout, staging a share with the arrows or a
//! digit, and applying it, the next step, a full promotion of traffic or an abort, each one a
//! plan confirmed in the usual dialog (Cancel focused) and run through the gate.

use super::*;
use crate::canary::haproxy::set_weights_line;

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
                Some(w) => propose(app, w, "apply the staged share", origin, fx),
                None => toast(
                    app,
                    ToastLevel::Info,
                    "stage a share first: ←/→ by 5 %, or a digit (3 = 30 %)".into(),
                ),
            }
        }
        Action::NextStep => {
            let Some(r) = app.views.canary.selected() else {
                return;
            };
            match r.next_weight() {
                Some(w) => propose(app, w, "the next step", origin, fx),
                None => toast(
                    app,
                    ToastLevel::Info,
                    format!(
                        "{}: no weight step above the share now; P sends all traffic to the canary",
                        r.spec.name
                    ),
                ),
            }
        }
        Action::Promote => propose(app, 100, "promote: all requests to the canary", origin, fx),
        Action::Abort => propose(app, 0, "abort: all requests back to stable", origin, fx),
        _ => {}
    }
}

fn stage(app: &mut App, arg: Option<Arg>) {
    let Some(r) = app.views.canary.selected_mut() else {
        return;
    };
    let from = r.staged.or(r.weight_now()).unwrap_or(0) as i64;
    let to = match arg {
        Some(Arg::By(d)) => from.saturating_add(d),
        Some(Arg::To(v)) => v,
        _ => from,
    };
    r.staged = Some(to.clamp(0, 100) as u32);
}

/// A plan that moves the selected rollout's share to `percent`, in the confirmation dialog; its
/// notes name the router, the command it will get and the service.
fn propose(app: &mut App, percent: u32, why: &str, origin: Origin, fx: &mut Vec<Effect>) {
    let Some(r) = app.views.canary.selected() else {
        return;
    };
    let spec = r.spec.clone();
    let id = app.next_plan_id();
    let plan = match crate::canary::weight_plan(&spec, percent, id, origin) {
        Ok(p) => p,
        Err(e) => return toast(app, ToastLevel::Error, e),
    };
    if app.options.read_only {
        return refuse_read_only(app, plan, fx);
    }
    let crate::canary::config::RouterSpec::Haproxy {
        backend,
        stable,
        canary,
        ..
    } = &spec.router;
    let notes = vec![
        format!("{}: {why}.", spec.name),
        format!("Router: {}.", spec.router.describe()),
        format!(
            "It is sent: {}",
            set_weights_line(backend, stable, canary, percent)
        ),
        format!(
            "Service {}: stable {}, canary {}.",
            spec.service,
            stable.join(", "),
            canary.join(", ")
        ),
    ];
    if let Some(r) = app.views.canary.selected_mut() {
        r.staged = None;
    }
    app.screen.overlay = Some(Overlay::Confirm(ConfirmDialog::prepared(plan, notes)));
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
