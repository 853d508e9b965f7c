//! Compose services from the table: scale (`+`, `-`, `=`), limits, rollout and restart of the
//! unhealthy replicas. Each makes its plan with `ops::service` (a form first where the operator
//! has something to fill in) and opens the one confirmation dialog over it; read-only refuses
//! here and the refusal is audited like one at the gate.

use super::*;
use crate::app::form::{Form, FormPurpose, LimitsSubject};
use crate::app::model::{GroupId, ServiceKey};
use crate::app::swarm::SwarmServiceKey;
use crate::ops::{service, swarm, Scope};

pub(super) fn on_service_action(
    app: &mut App,
    action: Action,
    arg: Option<Arg>,
    origin: Origin,
    fx: &mut Vec<Effect>,
) {
    if let Some(key) = selected_swarm_service(app) {
        return on_swarm_service_action(app, key, action, arg, origin, fx);
    }
    match action {
        Action::Rollback => {
            toast(
                app,
                ToastLevel::Error,
                "rollback: select a Swarm service (a service row in tree mode, t) or one of its tasks; a compose rollout rolls back by itself".into(),
            );
        }
        Action::Scale => {
            let Some(svc) = selected_service(app, "scale") else {
                return;
            };
            let current = service::replicas(&app.inventory, &svc).len();
            match arg {
                // Parsing gives a scale a count or nothing.
                None | Some(Arg::Column(_)) => open_form(app, Form::scale(svc, current)),
                Some(Arg::To(n)) => scale_to(app, svc, n, origin, fx),
                Some(Arg::By(d)) => scale_to(app, svc, current as i64 + d, origin, fx),
            }
        }
        Action::Rollout => {
            let Some(svc) = selected_service(app, "replace") else {
                return;
            };
            let image = service::replicas(&app.inventory, &svc)
                .first()
                .map(|c| c.image.clone())
                .unwrap_or_default();
            open_form(app, Form::rollout(svc, &image));
        }
        Action::RestartUnhealthy => {
            let Some(svc) = selected_service(app, "restart the unhealthy replicas of") else {
                return;
            };
            let id = app.next_plan_id();
            let timeout = service::DEFAULT_HEALTH_TIMEOUT_SECS;
            let made = service::restart_unhealthy(&app.inventory, &svc, timeout, id, origin);
            confirm(app, made, fx);
        }
        Action::Limits => {
            let subject = match &app.table.selected {
                Some(Selected::Group(GroupId::Service(svc))) => LimitsSubject::Service(svc.clone()),
                Some(Selected::Container(key)) => LimitsSubject::Container(key.clone()),
                _ => {
                    toast(
                        app,
                        ToastLevel::Error,
                        "limits: select a container, or a service row in tree mode (t)".into(),
                    );
                    return;
                }
            };
            let (title, like) = match &subject {
                LimitsSubject::Container(key) => match app.inventory.by_key(key) {
                    Some(c) => (format!("Limits of {} on {}", c.name, key.endpoint), c),
                    None => return,
                },
                LimitsSubject::Service(svc) => {
                    let Some(first) = service::replicas(&app.inventory, svc).first().copied()
                    else {
                        return;
                    };
                    (
                        format!(
                            "Limits of every replica of {} on {}",
                            svc.label(),
                            svc.endpoint
                        ),
                        first,
                    )
                }
            };
            let form = Form::limits(subject, title, like);
            open_form(app, form);
        }
        _ => {}
    }
}

/// The Swarm service the selection stands for: its row, a task's row, or a task's container.
fn selected_swarm_service(app: &App) -> Option<SwarmServiceKey> {
    let swarms = &app.inventory.swarms;
    match &app.table.selected {
        Some(Selected::Group(GroupId::SwarmService(key))) => Some(key.clone()),
        Some(Selected::Task { endpoint, id }) => {
            swarms.task(endpoint, id).map(|(s, _)| s.key.clone())
        }
        Some(Selected::Container(_)) => {
            let c = app.selected_container()?;
            let id = c.swarm_service_id()?;
            swarms
                .services()
                .map(|(_, s)| s)
                .find(|s| s.key.id == id)
                .map(|s| s.key.clone())
        }
        _ => None,
    }
}

/// Scale, update and rollback of a Swarm service: plans for its manager.
fn on_swarm_service_action(
    app: &mut App,
    key: SwarmServiceKey,
    action: Action,
    arg: Option<Arg>,
    origin: Origin,
    fx: &mut Vec<Effect>,
) {
    let Some(svc) = app.inventory.swarms.service(&key).cloned() else {
        return;
    };
    let id = app.next_plan_id();
    let max = app.options.max_replicas as u64;
    let swarms = &app.inventory.swarms;
    let made = match action {
        Action::Scale => {
            let current = svc.replicas.unwrap_or(0) as i64;
            let to = match arg {
                None | Some(Arg::Column(_)) => {
                    return open_form(app, Form::swarm_scale(&svc));
                }
                Some(Arg::To(n)) => n,
                Some(Arg::By(d)) => current + d,
            };
            if to < 0 {
                toast(
                    app,
                    ToastLevel::Error,
                    format!("scale {}: cannot go below 0 replicas", svc.label()),
                );
                return;
            }
            swarm::scale(swarms, &key, to as u64, max, id, origin)
        }
        Action::Rollout => return open_form(app, Form::swarm_update(&svc)),
        Action::Rollback => {
            swarm::rollback(swarms, &key, swarm::DEFAULT_UPDATE_TIMEOUT_SECS, id, origin)
        }
        Action::Limits | Action::RestartUnhealthy => {
            let what = if action == Action::Limits {
                "limits of a Swarm service are part of its spec: change them with `docker service update --limit-cpu/--limit-memory` (not yet from here)"
            } else {
                "Swarm restarts a task that fails its health check by itself"
            };
            toast(app, ToastLevel::Info, format!("{}: {what}", svc.label()));
            return;
        }
        _ => return,
    };
    confirm(app, made, fx);
}

/// The service the selection stands for: a service row, or a replica's row.
fn selected_service(app: &mut App, doing: &str) -> Option<ServiceKey> {
    let found = match &app.table.selected {
        Some(Selected::Group(GroupId::Service(svc))) => Some(svc.clone()),
        Some(Selected::Container(_)) => app.selected_container().and_then(|c| c.service_key()),
        _ => None,
    };
    if found.is_none() {
        toast(
            app,
            ToastLevel::Error,
            format!("{doing}: select a compose service (a service row in tree mode, t) or one of its replicas"),
        );
    }
    found
}

fn open_form(app: &mut App, form: Form) {
    app.screen.overlay = Some(Overlay::Form(form));
}

fn scale_to(app: &mut App, svc: ServiceKey, n: i64, origin: Origin, fx: &mut Vec<Effect>) {
    if n < 0 {
        toast(
            app,
            ToastLevel::Error,
            format!("scale {}: cannot go below 0 replicas", svc.label()),
        );
        return;
    }
    let id = app.next_plan_id();
    let max = app.options.max_replicas;
    let made = service::scale(&app.inventory, &svc, n as u32, max, id, origin);
    confirm(app, made, fx);
}

/// Opens the confirmation dialog over a plan just made, or says why it could not be made (or
/// that there is nothing to do). Read-only refuses it here, audited.
pub(super) fn confirm(
    app: &mut App,
    made: Result<crate::ops::Plan, service::PlanError>,
    fx: &mut Vec<Effect>,
) {
    confirm_noting(app, made, Vec::new(), fx);
}

/// [`confirm`] with `lead` notes first in the dialog (what proposed it, and why); whether the
/// dialog opened.
pub(super) fn confirm_noting(
    app: &mut App,
    made: Result<crate::ops::Plan, service::PlanError>,
    lead: Vec<String>,
    fx: &mut Vec<Effect>,
) -> bool {
    let plan = match made {
        Ok(plan) => plan,
        Err(e) => {
            toast(app, ToastLevel::Error, e.0);
            return false;
        }
    };
    if plan.steps.is_empty() {
        toast(
            app,
            ToastLevel::Info,
            format!("{}: nothing to do", plan.title),
        );
        return false;
    }
    if app.options.read_only {
        refuse_read_only(app, plan, fx);
        return false;
    }
    let mut notes = lead;
    if plan.on_failure == crate::ops::OnFailure::RollBack {
        notes.push("If a step fails (or you stop it with Esc), what ran is undone.".into());
    }
    notes.extend(swarm::notes(&plan, &app.inventory.swarms));
    app.screen.overlay = Some(Overlay::Confirm(ConfirmDialog::prepared(plan, notes)));
    true
}

/// Up and Down move between a form's fields.
pub(super) fn on_form_action(app: &mut App, action: Action) {
    if let Some(Overlay::Form(form)) = app.screen.overlay.as_mut() {
        match action {
            Action::Up => form.next_field(false),
            Action::Down => form.next_field(true),
            _ => {}
        }
    }
}

/// The form's fields become a plan (or the form stays open, saying which field is wrong).
pub(super) fn submit_form(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(Overlay::Form(form)) = app.screen.overlay.clone() else {
        return;
    };
    let id = app.next_plan_id();
    let origin = Origin::Keystroke;
    let made = match &form.purpose {
        FormPurpose::Scale(svc) => form
            .replicas()
            .map(|n| service::scale(&app.inventory, svc, n, app.options.max_replicas, id, origin)),
        FormPurpose::Rollout(svc) => form
            .rollout_spec()
            .map(|spec| service::rollout(&app.inventory, svc, &spec, id, origin)),
        FormPurpose::SwarmScale(key) => form.replicas().map(|n| {
            let max = app.options.max_replicas as u64;
            swarm::scale(&app.inventory.swarms, key, n as u64, max, id, origin)
        }),
        FormPurpose::SwarmUpdate(key) => {
            let image = form.text("image").to_owned();
            Ok(swarm::update(
                &app.inventory.swarms,
                key,
                &image,
                swarm::DEFAULT_UPDATE_TIMEOUT_SECS,
                id,
                origin,
            ))
        }
        FormPurpose::Limits(subject) => form.limit_change().map(|change| {
            let (targets, label, scope) = match subject {
                LimitsSubject::Container(key) => match app.inventory.by_key(key) {
                    Some(c) => (
                        vec![c],
                        format!("{} on {}", c.name, key.endpoint),
                        Scope::Containers,
                    ),
                    None => (Vec::new(), key.id.clone(), Scope::Containers),
                },
                LimitsSubject::Service(svc) => (
                    service::replicas(&app.inventory, svc),
                    format!("{} on {}", svc.label(), svc.endpoint),
                    Scope::service(svc),
                ),
            };
            service::limits(&targets, &app.usage, &change, &label, scope, id, origin)
        }),
    };
    match made {
        Err(field_error) => set_form_error(app, field_error),
        Ok(Err(plan_error)) => set_form_error(app, plan_error.0),
        Ok(Ok(plan)) => {
            app.screen.overlay = None;
            confirm(app, Ok(plan), fx);
        }
    }
}

fn set_form_error(app: &mut App, error: String) {
    if let Some(Overlay::Form(form)) = app.screen.overlay.as_mut() {
        form.error = Some(error);
    }
}

/// Esc on the table while a plan that rolls back is running: ask whether to stop it.
pub(super) fn ask_to_stop(app: &mut App) -> bool {
    let Some(run) = app
        .ops
        .running
        .iter()
        .rev()
        .find(|r| r.plan.on_failure == crate::ops::OnFailure::RollBack)
    else {
        return false;
    };
    app.screen.overlay = Some(Overlay::StopPlan {
        plan: run.plan.id.clone(),
        title: run.plan.title.clone(),
        stop: false,
    });
    true
}

/// The stop dialog: "Keep going" has the focus; stopping rolls back what ran.
pub(super) fn on_stop_plan_action(app: &mut App, action: Action, fx: &mut Vec<Effect>) {
    let Some(Overlay::StopPlan { plan, stop, .. }) = app.screen.overlay.as_mut() else {
        return;
    };
    match action {
        Action::FocusNext => *stop = !*stop,
        Action::Cancel => app.screen.overlay = None,
        Action::Confirm | Action::Yes => {
            if *stop || action == Action::Yes {
                fx.push(Effect::Cancel { plan: plan.clone() });
                let text = "stopping: what ran is being undone…".to_owned();
                app.screen.overlay = None;
                toast(app, ToastLevel::Info, text);
            } else {
                app.screen.overlay = None;
            }
        }
        _ => {}
    }
}
