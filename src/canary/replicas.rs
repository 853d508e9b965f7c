//! The replica ratio: no router, the share is the canary's part of the replicas behind one DNS
//! name (both services carry the same network alias; clients pick among the addresses Docker's
//! DNS gives). A share is set by the operations core's scale plans, so it is approximate and
//! realisable only in steps of 1/N of the `replicas` in all.
//!
//! The rules:
//! - `p` % is `round(p·N/100)` canary replicas and the rest stable; the side that grows goes
//!   first, so the service never has fewer than N replicas on the way.
//! - A side at 0 is stopped, not removed: a stopped replica leaves DNS but stays the template
//!   the next scale-up copies (a service with no container left cannot be scaled up).
//! - Going up from stopped, its replicas start again before any is added.
//! - There are no request counts: the view shows the running replicas' share, and the gates
//!   that need requests wait (an analysis step waits for an operator).

use serde::{Deserialize, Serialize};

use super::router::{Memory, Router};
use super::traffic::Traffic;
use crate::app::inventory::Inventory;
use crate::app::model::RunState;
use crate::ops::plan::{Operation, Origin, PlanId, Step, Target};
use crate::ops::service;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaRatio {
    /// `project/service` of each side.
    pub stable: String,
    pub canary: String,
    /// Replicas of both sides together.
    pub replicas: u32,
}

impl Router for ReplicaRatio {
    fn describe(&self) -> String {
        format!(
            "replicas of {} and {} ({} in all)",
            self.stable, self.canary, self.replicas
        )
    }

    fn realisable(&self, percent: u32) -> u32 {
        self.canary_replicas(percent) * 100 / self.replicas.max(1)
    }

    fn preview(&self, percent: u32) -> Vec<String> {
        let k = self.canary_replicas(percent);
        vec![
            format!(
                "It scales {} to {k} and {} to {} replicas (a side at 0 is stopped, kept to \
                 start again).",
                self.canary,
                self.stable,
                self.replicas - k
            ),
            format!(
                "Clients pick by DNS: about {} % of requests, in steps of {} %.",
                self.realisable(percent),
                100 / self.replicas.max(1)
            ),
        ]
    }

    async fn check(&self) -> Result<(), String> {
        Ok(())
    }

    async fn apply(&self, _: u32) -> Result<(), String> {
        Err(format!(
            "{}: a replica ratio is set by scale steps, which the plan carries",
            self.describe()
        ))
    }

    async fn read(&self, _: &mut Memory) -> Result<Traffic, String> {
        Err(format!(
            "{}: no router to count requests; the share is the running replicas'",
            self.describe()
        ))
    }
}

impl ReplicaRatio {
    /// Canary replicas for `percent`.
    pub fn canary_replicas(&self, percent: u32) -> u32 {
        ((f64::from(percent.min(100)) * f64::from(self.replicas) / 100.0).round() as u32)
            .min(self.replicas)
    }

    /// Running replicas (stable, canary) now.
    pub fn running(&self, inv: &Inventory) -> Option<(usize, usize)> {
        let count = |name: &str| {
            let key = service::find_service(inv, name, None).ok()?;
            Some(
                service::replicas(inv, &key)
                    .iter()
                    .filter(|c| c.state == RunState::Running)
                    .count(),
            )
        };
        Some((count(&self.stable)?, count(&self.canary)?))
    }

    /// The running replicas' canary share, per cent.
    pub fn share(&self, inv: &Inventory) -> Option<f64> {
        let (s, c) = self.running(inv)?;
        (s + c > 0).then(|| c as f64 / (s + c) as f64 * 100.0)
    }

    /// The steps that take both sides to `percent` (see the module's rules).
    pub fn steps(
        &self,
        percent: u32,
        inv: &Inventory,
        id: &PlanId,
        origin: &Origin,
    ) -> Result<Vec<Step>, String> {
        let k = self.canary_replicas(percent);
        let canary = self.side(&self.canary, k, inv, id, origin)?;
        let stable = self.side(&self.stable, self.replicas - k, inv, id, origin)?;
        let (_, running_canary) = self.running(inv).unwrap_or_default();
        // The side that grows first: never fewer than N replicas on the way.
        Ok(if k as usize >= running_canary {
            canary.into_iter().chain(stable).collect()
        } else {
            stable.into_iter().chain(canary).collect()
        })
    }

    /// One side to `to` running replicas.
    fn side(
        &self,
        name: &str,
        to: u32,
        inv: &Inventory,
        id: &PlanId,
        origin: &Origin,
    ) -> Result<Vec<Step>, String> {
        let key = service::find_service(inv, name, None).map_err(|e| e.to_string())?;
        let all = service::replicas(inv, &key);
        if all.is_empty() {
            return Err(format!(
                "service {name} on {} has no replica (start one with compose first)",
                key.endpoint
            ));
        }
        let target = |c: &crate::app::model::Container| Target::container(&c.key, &c.name);
        if to == 0 {
            return Ok(all
                .iter()
                .filter(|c| c.state == RunState::Running)
                .map(|c| {
                    Step::new(target(c), Operation::Stop)
                        .undone_by(Step::new(target(c), Operation::Start))
                })
                .collect());
        }
        let mut steps: Vec<Step> = all
            .iter()
            .filter(|c| c.state != RunState::Running)
            .map(|c| {
                Step::new(target(c), Operation::Start)
                    .undone_by(Step::new(target(c), Operation::Stop))
            })
            .collect();
        if all.len() as u32 != to {
            let plan = service::scale(
                inv,
                &key,
                to,
                service::DEFAULT_MAX_REPLICAS,
                id.clone(),
                origin.clone(),
            )
            .map_err(|e| e.to_string())?;
            steps.extend(plan.steps);
        }
        Ok(steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_snap_to_steps_of_one_replica() {
        let r = ReplicaRatio {
            stable: "shop/web".into(),
            canary: "shop/web-canary".into(),
            replicas: 4,
        };
        assert_eq!(
            [0, 10, 13, 20, 40, 50, 90, 100].map(|p| r.realisable(p)),
            [0, 0, 25, 25, 50, 50, 100, 100]
        );
        assert_eq!(r.canary_replicas(60), 2);
    }
}
