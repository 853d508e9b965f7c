//! The agent panel (`A`, `:agent`) and the agent's pass each tick: proposals confirmed in the
//! usual dialog (Cancel focused), rejected or snoozed by key; a proposal whose policy lists
//! its kind in `auto` goes to the gate approved by that policy. Either way it is a plan with
//! origin `agent` (policy and proposal id in the audit line), made by the same builders as the
//! operator's own scale, limits and restart.

use super::*;
use crate::agent::proposal::{Change, Proposal, Subject as About};
use crate::ops::service::{self, LimitChange, PlanError};

pub(crate) fn on_action(
    app: &mut App,
    action: Action,
    _arg: Option<Arg>,
    // The plan's origin is the agent's, whichever key confirmed it.
    _origin: Origin,
    fx: &mut Vec<Effect>,
) {
    let count = app.agent.pending.len();
    let cursor = &mut app.views.agent_cursor;
    match action {
        Action::Up => *cursor = cursor.saturating_sub(1),
        Action::Down => *cursor = (*cursor + 1).min(count.saturating_sub(1)),
        Action::Top => *cursor = 0,
        Action::Bottom => *cursor = count.saturating_sub(1),
        Action::ApplyProposal | Action::Confirm => {
            if let Some(p) = selected(app) {
                ask(app, p, fx);
            }
        }
        Action::RejectProposal => {
            if let Some(p) = selected(app) {
                if let Some(p) = app.agent.reject(&p.id) {
                    let policy = app.agent.policy_of(&p.subject);
                    let text = format!(
                        "rejected: {} of {}; not proposed again for {}",
                        p.change.words(),
                        p.subject.label(),
                        crate::agent::policy::human_duration(policy.reject_for)
                    );
                    toast(app, ToastLevel::Info, text);
                }
            }
        }
        Action::SnoozeProposal => {
            if let Some(p) = selected(app) {
                if let Some(p) = app.agent.snooze(&p.id) {
                    let policy = app.agent.policy_of(&p.subject);
                    let text = format!(
                        "snoozed: {} of {} for {}",
                        p.change.words(),
                        p.subject.label(),
                        crate::agent::policy::human_duration(policy.snooze_for)
                    );
                    toast(app, ToastLevel::Info, text);
                }
            }
        }
        _ => {}
    }
    clamp_cursor(app);
}

fn selected(app: &App) -> Option<Proposal> {
    app.agent
        .pending
        .get(app.views.agent_cursor)
        .map(|p| p.proposal.clone())
}

fn clamp_cursor(app: &mut App) {
    let n = app.agent.pending.len();
    app.views.agent_cursor = app.views.agent_cursor.min(n.saturating_sub(1));
}

pub(super) fn toggle(app: &mut App, fx: &mut Vec<Effect>) {
    if app.views.current == View::Agent {
        app.views.current = View::Table;
        return;
    }
    back_to_table(app, fx);
    app.views.current = View::Agent;
}

/// The agent's pass over the App's state as it is now.
pub(crate) fn decide(app: &mut App) {
    let rollouts = app
        .views
        .canary
        .rollouts
        .iter()
        .filter_map(|r| crate::agent::perceive::RolloutSignals::of(r, &app.inventory))
        .collect();
    let containers = app.inventory.iter().map(|(_, c)| c);
    app.agent.pass(
        containers,
        &app.usage,
        &app.inventory.swarms,
        rollouts,
        app.now,
    );
}

/// The agent's pass of this tick, then what its policies let it apply alone.
pub(super) fn pass(app: &mut App, fx: &mut Vec<Effect>) {
    decide(app);
    clamp_cursor(app);
    // Advice and alerts are read-only: asked for in read-only too.
    for (advisor, input) in app.agent.due_advisors() {
        fx.push(Effect::Advise { advisor, input });
    }
    if let Some(source) = app.agent.alerts_due() {
        fx.push(Effect::ReadAlerts {
            url: source.query(),
            timeout: source.timeout,
        });
    }
    // Read-only applies nothing (the panel shows what would have been); a change already in
    // flight waits, so that one plan's effect is measured before the next.
    if app.options.read_only || !app.ops.running.is_empty() || app.screen.overlay.is_some() {
        return;
    }
    // An advisor's proposal always waits for a keystroke.
    let auto = app.agent.pending.iter().find(|p| {
        p.proposal.advisor.is_none()
            && app
                .agent
                .policy_of(&p.proposal.subject)
                .applies_alone(p.proposal.kind)
    });
    let Some(p) = auto.map(|p| p.proposal.clone()) else {
        return;
    };
    match plan_for(app, &p) {
        Ok(plan) if !plan.steps.is_empty() => {
            let approval =
                Approval::Policy(format!("agent policy {}: auto {}", p.policy, p.kind.name()));
            submit_approved(app, plan, approval, fx);
        }
        Ok(_) => {
            // Nothing to do after all: held back, so that others get their turn.
            app.agent.snooze(&p.id);
        }
        Err(e) => {
            // Said once: the same proposal is dropped from the book until it changes.
            toast(app, ToastLevel::Error, format!("agent: {}: {e}", p.id));
            app.agent.snooze(&p.id);
        }
    }
}

/// The confirmation dialog over the plan a proposal makes, its numbers and reasons as notes.
/// Read-only refuses it here, audited.
pub(super) fn ask(app: &mut App, p: Proposal, fx: &mut Vec<Effect>) {
    let made = plan_for(app, &p);
    let by = match &p.advisor {
        Some(a) => format!("advisor {a}"),
        None => "the agent".to_owned(),
    };
    let mut notes = vec![format!(
        "Proposed by {by} ({} policy): {}",
        p.policy, p.numbers
    )];
    notes.extend(p.reasons.iter().cloned());
    if !p.expected.is_empty() {
        notes.push(format!("Expected: {}.", p.expected.trim_end_matches('.')));
    }
    if confirm_noting(app, made, notes, fx) {
        app.agent.asking = Some(p);
    }
}

/// The plan a proposal makes, by the builders the operator's own keys use.
pub(crate) fn plan_for(app: &mut App, p: &Proposal) -> Result<crate::ops::Plan, PlanError> {
    let origin = Origin::Agent {
        policy: p.policy.clone(),
        proposal: p.id.clone(),
    };
    let id = app.next_plan_id();
    // A Swarm service scales through its manager.
    if let (About::Service(key), Change::Scale { to, .. }) = (&p.subject, &p.change) {
        let swarm = app.agent.perception.services.get(key);
        if let Some(swarm) = swarm.and_then(|s| s.swarm.clone()) {
            return crate::ops::swarm::scale(
                &app.inventory.swarms,
                &swarm,
                u64::from(*to),
                u64::from(app.options.max_replicas),
                id,
                origin,
            );
        }
    }
    match (&p.subject, &p.change) {
        (About::Service(key), Change::Scale { to, .. }) => service::scale(
            &app.inventory,
            key,
            *to,
            app.options.max_replicas,
            id,
            origin,
        ),
        (About::Service(key), Change::Limits { cpus, memory, .. }) => {
            let replicas = if key.is_group() {
                // A label group's containers are those the agent gathered into it.
                let mut members: Vec<&crate::app::model::Container> = app
                    .agent
                    .perception
                    .containers
                    .iter()
                    .filter(|(_, c)| c.service.as_ref() == Some(key))
                    .filter_map(|(k, _)| app.inventory.by_key(k))
                    .collect();
                members.sort_by(|a, b| a.name.cmp(&b.name));
                members
            } else {
                service::replicas(&app.inventory, key)
            };
            let change = LimitChange {
                cpus: *cpus,
                memory: *memory,
                ..LimitChange::default()
            };
            service::limits(
                &replicas,
                &app.usage,
                &change,
                &format!("{} on {}", key.label(), key.endpoint),
                // A label group is containers picked by a label, not a service.
                if key.is_group() {
                    crate::ops::Scope::Containers
                } else {
                    crate::ops::Scope::service(key)
                },
                id,
                origin,
            )
        }
        (About::Container { key, .. }, Change::Restart) => {
            let Some(c) = app.inventory.by_key(key) else {
                return Err(PlanError(format!(
                    "{}: the container is gone",
                    p.subject.label()
                )));
            };
            let subject = Subject {
                key: c.key.clone(),
                name: c.name.clone(),
                running: matches!(c.state, RunState::Running | RunState::Restarting),
                state: c.state,
            };
            Ok(Request::containers(ContainerVerb::Restart, vec![subject], origin).plan(id))
        }
        (About::Rollout { name, .. }, Change::Promote | Change::Abort { .. }) => {
            let input = match &p.change {
                Change::Abort { reason } => crate::canary::machine::Input::Abort {
                    reason: reason.clone(),
                },
                _ => crate::canary::machine::Input::Promote,
            };
            super::canary::transition_plan(app, name, input, origin)
                .map(|(plan, _)| plan)
                .map_err(|(_, e)| PlanError(e))
        }
        (about, change) => Err(PlanError(format!(
            "{}: the agent cannot {} it",
            about.label(),
            change.words()
        ))),
    }
}

/// A plan went to the gate: if the agent proposed it, the book says so and checks it later.
pub(super) fn submitted(app: &mut App, plan: &crate::ops::Plan, approval: &Approval) {
    let Origin::Agent { proposal, .. } = &plan.origin else {
        return;
    };
    // The book may have moved on while the dialog was open: the proposal confirmed is the one
    // asked about.
    let asked = app.agent.asking.take().filter(|p| p.id == *proposal);
    let Some(p) = asked.or_else(|| app.agent.find(proposal).map(|p| p.proposal.clone())) else {
        return;
    };
    let auto = matches!(approval, Approval::Policy(_));
    app.agent.applied(p, plan.id.clone(), auto);
}

/// Whether any policy lets a kind apply without a keystroke (the header says AUTO).
pub fn auto_on(app: &App) -> bool {
    !app.options.read_only && app.agent.policies.any_auto()
}
