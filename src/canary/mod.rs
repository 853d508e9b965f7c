//! Canary rollouts: a new version's share of traffic moved through a real router, watched
//! beside the stable version's, promoted or aborted.
//!
//! - [`config`]: `rollouts.toml`, read strictly (file, line and field on every mistake).
//! - [`router`]: what every router does, behind one trait; [`haproxy`] (its runtime API),
//!   [`nginx`] (an included file, test and reload; counts from [`access_log`]), [`traefik`]
//!   (a weighted service in its file provider; counts from its metrics, over [`http`]),
//!   [`replicas`] (no router: the share of replicas behind one DNS name, by scale plans).
//! - [`promql`]: gates asked of a Prometheus, each one number against its bound.
//! - [`traffic`]: both sides' counters and the gates' verdict over a window, pure.
//! - [`state`], [`machine`]: where a rollout stands, and how input and time move it, pure.
//! - [`promotion`]: the canary's image made the stable one, through rolling replacement.
//! - [`store`]: that state on disk, and the lock that lets one process drive a rollout.
//! - [`headless`]: `wheelhouse canary list|status|set-weight`.
//!
//! Every weight change is a step of a plan through the operations gate (read-only refuses it,
//! the audit log records it with the router as its target); [`apply`] is what the gate calls.

pub mod access_log;
pub mod config;
pub mod haproxy;
pub mod headless;
pub mod http;
pub mod machine;
pub mod nginx;
pub mod promotion;
pub mod promql;
pub mod replicas;
pub mod router;
pub mod state;
pub mod store;
pub mod traefik;
pub mod traffic;

use std::collections::HashMap;

use self::config::RouterSpec;

/// Sets the canary's share on the router: what the gate runs for a
/// [`crate::ops::Operation::SetCanaryWeight`] step.
pub async fn apply(router: &RouterSpec, percent: u32) -> Result<(), String> {
    router.apply(percent).await
}

/// How often each rollout's router is read (the gates judge the windows between readings).
pub const POLL_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Who drives a rollout, as the console found it.
#[derive(Debug, Clone, PartialEq)]
pub enum Driver {
    /// This console holds its lock; the state it resumes from.
    Me(store::Loaded),
    /// Another console or command does (as its lock file names it).
    Other(Option<store::Holder>),
    /// The lock could not be tried (the data dir is not writable, say): nobody drives it here.
    Failed(String),
    /// Nobody holds the lock, and this process only watches (`wheelhouse agent`): the state
    /// on disk, as read without setting anything aside.
    Free(Option<state::RolloutState>),
}

/// Whether [`poll`] keeps the locks it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holding {
    /// The console: it drives what it can lock.
    Drive,
    /// `wheelhouse agent`: it watches without locking or writing anything, and tells a rollout
    /// nobody drives (a change to it is made later under the lock, as `canary` commands make
    /// theirs).
    Watch,
}

/// Reads every rollout's router each [`POLL_EVERY`], all at once, and sends what each said
/// (or why it could not); ends when the console goes. A router slower than the interval
/// delays the next round rather than piling reads up.
///
/// It also owns the rollouts' locks: each round it tries those it does not hold (so a console
/// takes over when the one driving a rollout quits), says when it takes one and with what
/// state, and for those another process drives, sends their state when the file changes.
pub async fn poll(
    rollouts: Vec<config::Rollout>,
    state_dir: std::path::PathBuf,
    tx: tokio::sync::mpsc::Sender<crate::app::Msg>,
    hold: Holding,
) {
    use crate::app::Msg;
    let mut held: HashMap<String, store::Lock> = HashMap::new();
    let mut drivers: HashMap<String, Driver> = HashMap::new();
    type OnDisk = Result<Option<state::RolloutState>, String>;
    let mut watched: HashMap<String, OnDisk> = HashMap::new();
    let mut memories: Vec<router::Memory> =
        rollouts.iter().map(|_| router::Memory::default()).collect();
    let mut tick = tokio::time::interval(POLL_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let mut news = Vec::new();
        for name in rollouts.iter().map(|r| &r.name) {
            if held.contains_key(name) {
                continue;
            }
            let driver = match hold {
                // A watcher writes nothing and takes no lock: it asks who holds it, and reads.
                Holding::Watch => match store::held_by(&state_dir, name) {
                    Some(h) => Driver::Other(Some(h)),
                    None => match store::read(&state_dir, name) {
                        Ok(state) => Driver::Free(state),
                        Err(e) => Driver::Failed(format!("its state does not read: {e}")),
                    },
                },
                Holding::Drive => match store::try_lock(&state_dir, name, "console") {
                    Ok(lock) => {
                        held.insert(name.clone(), lock);
                        Driver::Me(store::load(&state_dir, name))
                    }
                    Err(store::NotTaken::Held(h)) => {
                        let state = store::read(&state_dir, name);
                        if watched.get(name) != Some(&state) {
                            watched.insert(name.clone(), state.clone());
                            news.push(Msg::CanaryWatched {
                                rollout: name.clone(),
                                state,
                            });
                        }
                        Driver::Other(h)
                    }
                    Err(store::NotTaken::Failed(e)) => Driver::Failed(e),
                },
            };
            if drivers.get(name) != Some(&driver) {
                drivers.insert(name.clone(), driver.clone());
                news.insert(
                    0,
                    Msg::CanaryDriver {
                        rollout: name.clone(),
                        driver,
                    },
                );
            }
        }
        // A replica ratio has no router to read: the view counts its replicas.
        let reads = futures_util::future::join_all(
            rollouts
                .iter()
                .zip(memories.iter_mut())
                .filter(|(r, _)| !matches!(r.router, RouterSpec::Replicas(_)))
                .map(|(r, memory)| async move { (r.name.clone(), read(r, memory).await) }),
        )
        .await;
        news.extend(
            reads
                .into_iter()
                .map(|(rollout, result)| Msg::CanaryRead { rollout, result }),
        );
        for msg in news {
            if tx.send(msg).await.is_err() {
                return;
            }
        }
    }
}

/// What `rollout`'s router says now, with its PromQL gates' answers (asked once the router
/// answered: a reading is of one moment).
pub async fn read(
    rollout: &config::Rollout,
    memory: &mut router::Memory,
) -> Result<traffic::Traffic, String> {
    let mut traffic = rollout.router.read(memory).await?;
    if let Some(base) = &rollout.gates.prometheus {
        traffic.queries = promql::ask_all(base, &rollout.gates.queries).await;
    }
    Ok(traffic)
}

/// The plan that carries out `transition` of `rollout` from `from`: a promotion's
/// ([`promotion`], which needs the inventory to find the replicas) or any other move's
/// ([`transition_plan`]).
pub fn plan_for(
    rollout: &config::Rollout,
    from: &state::RolloutState,
    transition: &machine::Transition,
    inventory: &crate::app::inventory::Inventory,
    state_dir: &std::path::Path,
    id: crate::ops::PlanId,
    origin: crate::ops::Origin,
) -> Result<crate::ops::Plan, String> {
    if transition.state.phase == state::Phase::Promoting {
        return promotion::plan(rollout, from, transition, inventory, state_dir, id, origin);
    }
    let mut plan = transition_plan(rollout, transition, state_dir, id, origin);
    // A replica ratio's share is scale steps in place of the router's.
    if let (RouterSpec::Replicas(r), Some(percent)) = (&rollout.router, transition.weight) {
        let mut steps = r.steps(percent, inventory, &plan.id, &plan.origin)?;
        plan.steps
            .retain(|s| !matches!(s.op, crate::ops::Operation::SetCanaryWeight { .. }));
        steps.append(&mut plan.steps);
        plan.steps = steps;
        plan.on_failure = crate::ops::plan::OnFailure::RollBack;
    }
    Ok(plan)
}

/// The plan that carries out `transition` of `rollout`: the share on the router first (when it
/// moves), then the new state written under `state_dir` ([`store`]), both through the gate;
/// a share the router refused leaves the state as it was.
pub fn transition_plan(
    rollout: &config::Rollout,
    transition: &machine::Transition,
    state_dir: &std::path::Path,
    id: crate::ops::PlanId,
    origin: crate::ops::Origin,
) -> crate::ops::Plan {
    use crate::ops::plan::{OnFailure, Operation, Scope, Step, Target};
    let target = Target::Router {
        router: rollout.router.describe(),
        rollout: rollout.name.clone(),
    };
    let mut steps = Vec::new();
    if let Some(percent) = transition.weight {
        steps.push(Step::new(
            target.clone(),
            Operation::SetCanaryWeight {
                router: rollout.router.clone(),
                percent,
            },
        ));
    }
    steps.push(Step::new(
        target,
        Operation::RecordRollout {
            state_dir: state_dir.to_owned(),
            rollout_state: transition.state.clone(),
        },
    ));
    crate::ops::Plan {
        id,
        title: transition.what.clone(),
        origin,
        steps,
        on_failure: OnFailure::Stop,
        scope: Scope::Containers,
    }
}
