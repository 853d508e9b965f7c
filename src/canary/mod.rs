//! Canary rollouts: a new version's share of traffic moved through a real router, watched
//! beside the stable version's, promoted or aborted.
//!
//! - [`config`]: `rollouts.toml`, read strictly (file, line and field on every mistake).
//! - [`haproxy`]: HAProxy's runtime API: weights, and per-server answers and times.
//! - [`traffic`]: both sides' counters and the gates' verdict over a window, pure.
//! - [`headless`]: `wheelhouse canary list|status|set-weight`.
//!
//! Every weight change is a step of a plan through the operations gate (read-only refuses it,
//! the audit log records it with the router as its target); [`apply`] is what the gate calls.

pub mod config;
pub mod haproxy;
pub mod headless;
pub mod traffic;

use self::config::RouterSpec;

/// Sets the canary's share on the router: what the gate runs for a
/// [`crate::ops::Operation::SetCanaryWeight`] step.
/// The servers are checked first: HAProxy applies a line's commands one by one, so a name it
/// does not have would leave the others moved.
pub async fn apply(router: &RouterSpec, percent: u32) -> Result<(), String> {
    read_traffic(router).await?;
    match router {
        RouterSpec::Haproxy {
            admin,
            backend,
            stable,
            canary,
        } => haproxy::set_percent(admin, backend, stable, canary, percent).await,
    }
}

/// How often each rollout's router is read (the gates judge the windows between readings).
pub const POLL_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Reads every rollout's router each [`POLL_EVERY`], all at once, and sends what each said
/// (or why it could not); ends when the console goes. A router slower than the interval
/// delays the next round rather than piling reads up.
pub async fn poll(
    routers: Vec<(String, RouterSpec)>,
    tx: tokio::sync::mpsc::Sender<crate::app::Msg>,
) {
    let mut tick = tokio::time::interval(POLL_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let reads = futures_util::future::join_all(
            routers
                .iter()
                .map(|(name, spec)| async move { (name.clone(), read_traffic(spec).await) }),
        )
        .await;
        for (rollout, result) in reads {
            if tx
                .send(crate::app::Msg::CanaryRead { rollout, result })
                .await
                .is_err()
            {
                return;
            }
        }
    }
}

/// Both sides' counters now.
pub async fn read_traffic(router: &RouterSpec) -> Result<traffic::Traffic, String> {
    match router {
        RouterSpec::Haproxy { admin, backend, .. } => {
            let servers = haproxy::server_stats(admin, backend).await?;
            traffic::Traffic::from_haproxy(router, &servers)
        }
    }
}

/// The plan that sets `rollout`'s canary share to `percent` on its router: one step, through
/// the gate like any change.
pub fn weight_plan(
    rollout: &config::Rollout,
    percent: u32,
    id: crate::ops::PlanId,
    origin: crate::ops::Origin,
) -> Result<crate::ops::Plan, String> {
    use crate::ops::plan::{OnFailure, Operation, Scope, Step, Target};
    if percent > 100 {
        return Err(format!(
            "{percent} % for rollout {}: a share is 0 to 100 per cent",
            rollout.name
        ));
    }
    Ok(crate::ops::Plan {
        id,
        title: format!(
            "send {percent} % of {}'s requests to its canary",
            rollout.name
        ),
        origin,
        steps: vec![Step::new(
            Target::Router {
                router: rollout.router.describe(),
                rollout: rollout.name.clone(),
            },
            Operation::SetCanaryWeight {
                router: rollout.router.clone(),
                percent,
            },
        )],
        on_failure: OnFailure::Stop,
        scope: Scope::Containers,
    })
}
