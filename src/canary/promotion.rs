//! Full promotion: the canary's image becomes the stable one. One plan through the gate, built
//! from what the inventory knows, so that the console and `canary promote` make the same one.
//!
//! The order, and why:
//! 1. All traffic to the canary (it has been serving a share already, so it can take it), and
//!    the rollout recorded as promoting.
//! 2. The stable replicas (the service's containers labelled `track_label=stable`) replaced
//!    with the canary's image by the operations core's rolling replacement, each new replica
//!    health-gated. With a fixed published host port a replica is replaced in place (no
//!    surge: the new one needs the port the old one holds), otherwise a new one starts first.
//!    The router must reach the stable replicas by that port or by their name (Docker's DNS):
//!    both survive a replacement; an address does not.
//! 3. All traffic back to the stable side, which now runs the new version.
//! 4. Only then, past the point of no return: the replaced containers and the canary's are
//!    removed, and the rollout recorded as promoted.
//!
//! A replica that does not become healthy rolls the whole plan back, newest first: the old
//! stable replicas return as they were, the share returns to what it was, and so does the
//! rollout's state. Stable keeps serving throughout.

use std::path::Path;

use super::config::Rollout;
use super::machine::Transition;
use super::state::{Phase, RolloutState};
use crate::app::inventory::Inventory;
use crate::app::model::{Container, ServiceKey};
use crate::ops::plan::{OnFailure, Operation, Origin, Plan, PlanId, Scope, Step, Target};
use crate::ops::service::{self, RolloutSpec};

/// The containers of one side of a rollout.
pub struct Tracks<'a> {
    pub service: ServiceKey,
    pub stable: Vec<&'a Container>,
    pub canary: Vec<&'a Container>,
}

/// The stable and canary containers of `rollout` as the inventory has them; an error names
/// the service, the label and what is missing.
pub fn tracks<'a>(rollout: &Rollout, inv: &'a Inventory) -> Result<Tracks<'a>, String> {
    let label = &rollout.track_label;
    let service = service::find_service(inv, &rollout.service, None)
        .map_err(|e| format!("rollout {}: {e}", rollout.name))?;
    let canary_service = match &rollout.canary_service {
        Some(name) => service::find_service(inv, name, Some(&service.endpoint))
            .map_err(|e| format!("rollout {}: canary_service: {e}", rollout.name))?,
        None => service.clone(),
    };
    let on_track = |key: &ServiceKey, track: &str| -> Vec<&'a Container> {
        service::replicas(inv, key)
            .into_iter()
            .filter(|c| c.labels.get(label).map(String::as_str) == Some(track))
            .collect()
    };
    let stable = on_track(&service, "stable");
    let canary = on_track(&canary_service, "canary");
    if stable.is_empty() {
        return Err(format!(
            "rollout {}: service {} on {} has no replica labelled {label}=stable",
            rollout.name,
            service.label(),
            service.endpoint
        ));
    }
    if canary.is_empty() {
        return Err(format!(
            "rollout {}: service {} on {} has no replica labelled {label}=canary",
            rollout.name,
            canary_service.label(),
            canary_service.endpoint
        ));
    }
    Ok(Tracks {
        service,
        stable,
        canary,
    })
}

/// The plan that carries out a promotion `transition` (see the module's order) from `from`.
pub fn plan(
    rollout: &Rollout,
    from: &RolloutState,
    transition: &Transition,
    inv: &Inventory,
    state_dir: &Path,
    id: PlanId,
    origin: Origin,
) -> Result<Plan, String> {
    let tracks = tracks(rollout, inv)?;
    let images: Vec<&str> = {
        let mut i: Vec<&str> = tracks.canary.iter().map(|c| c.image.as_str()).collect();
        i.sort_unstable();
        i.dedup();
        i
    };
    let [image] = images.as_slice() else {
        return Err(format!(
            "rollout {}: its canary replicas run different images ({}); promote one of them",
            rollout.name,
            images.join(", ")
        ));
    };
    let in_place = tracks.stable.iter().any(|c| !c.fixed_host_ports.is_empty());
    let spec = RolloutSpec {
        image: Some((*image).to_owned()),
        max_surge: u32::from(!in_place),
        max_unavailable: u32::from(in_place),
        health_timeout_secs: rollout.promotion_timeout.as_secs(),
        ..RolloutSpec::default()
    };
    let replacement = service::replace(
        &tracks.service,
        &tracks.stable,
        &spec,
        id.clone(),
        origin.clone(),
    )
    .map_err(|e| format!("rollout {}: {e}", rollout.name))?;
    let router = Target::Router {
        router: rollout.router.describe(),
        rollout: rollout.name.clone(),
    };
    let weight = |percent: u32| Operation::SetCanaryWeight {
        router: rollout.router.clone(),
        percent,
    };
    let record = |state: &RolloutState| Operation::RecordRollout {
        state_dir: state_dir.to_owned(),
        rollout_state: state.clone(),
    };
    // A replica ratio has no weights: its stable replicas are replaced where they are and
    // serve alone once the canary's are gone.
    let weighted = !matches!(rollout.router, super::router::RouterSpec::Replicas(_));
    let mut steps = Vec::new();
    if weighted {
        steps.push(
            Step::new(router.clone(), weight(100))
                .undone_by(Step::new(router.clone(), weight(from.weight))),
        );
    }
    steps.push(
        Step::new(router.clone(), record(&transition.state))
            .undone_by(Step::new(router.clone(), record(from))),
    );
    let (replace, remove_old): (Vec<Step>, Vec<Step>) =
        replacement.steps.into_iter().partition(|s| !s.commits);
    steps.extend(replace);
    if weighted {
        steps.push(
            Step::new(router.clone(), weight(0)).undone_by(Step::new(router.clone(), weight(100))),
        );
    }
    steps.extend(remove_old);
    for c in &tracks.canary {
        steps.push(
            Step::new(
                Target::container(&c.key, &c.name),
                Operation::Remove {
                    volumes: false,
                    force: true,
                },
            )
            .committing(),
        );
    }
    let mut promoted = transition.state.clone();
    promoted.phase = Phase::Promoted;
    promoted.weight = 0;
    steps.push(Step::new(router, record(&promoted)));
    Ok(Plan {
        id,
        title: format!(
            "promote {}: {} of {} to {image}, then the canary removed",
            rollout.name,
            match tracks.stable.len() {
                1 => "the stable replica".to_owned(),
                n => format!("the {n} stable replicas"),
            },
            tracks.service.label()
        ),
        origin,
        steps,
        on_failure: OnFailure::RollBack,
        scope: Scope::service(&tracks.service),
    })
}
