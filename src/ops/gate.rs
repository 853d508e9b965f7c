//! The one gate every change to an engine passes: read-only refusal, the record of intent, the
//! engine call, the record of its outcome. Nothing else in the program sends a mutating request.
//!
//! The rules, in the order they are checked for each step:
//!
//! 1. **Read-only refuses** every step, and each refusal is audited.
//! 2. **No change without its record.** The intent is written (and synced) before the engine is
//!    asked; if it cannot be written the step is refused with the reason, and the plan stops.
//! 3. **Steps run one at a time**, in order; the first that fails stops the plan, and the steps
//!    after it do not run. Each step's outcome is written when the engine answers.
//! 4. **Quitting never loses a change.** Steps the engine has not answered yet are known; when the
//!    console must go before they finish, [`Gate::abandon_in_flight`] writes their outcome as
//!    `abandoned`, so no intent is left without an ending.
//!
//! Approval is the caller's duty and is recorded: a plan reaches [`Gate::run`] only after the
//! operator confirmed it (Cancel is the default) or passed `--yes`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::Utc;

use super::audit::{AuditLog, AuditRecord, Ending, Operator, StepContext};
use super::container;
use super::error::{ErrorKind, OpError};
use super::plan::{Approval, Plan, PlanId, Target};
use crate::engine::handle::EngineHandle;

/// The engines a plan may reach, by endpoint name.
pub type Engines = HashMap<String, EngineHandle>;

/// What the gate tells the caller while a plan runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Step `index` (0-based) was recorded and sent to its engine.
    Running { plan: PlanId, index: usize },
    /// Step `index` ended.
    Ended {
        plan: PlanId,
        index: usize,
        result: Result<(), OpError>,
    },
}

/// How each step of a plan ended; `None` for steps that did not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanReport {
    pub plan: PlanId,
    pub results: Vec<Option<Result<(), OpError>>>,
}

impl PlanReport {
    pub fn succeeded(&self) -> bool {
        self.results.iter().all(|r| matches!(r, Some(Ok(()))))
    }

    /// The first failure, if any.
    pub fn failure(&self) -> Option<(usize, &OpError)> {
        self.results.iter().enumerate().find_map(|(i, r)| match r {
            Some(Err(e)) => Some((i, e)),
            _ => None,
        })
    }

    pub fn refused(&self) -> bool {
        self.failure()
            .is_some_and(|(_, e)| e.kind == ErrorKind::Refused)
    }
}

/// A step whose intent is on disk and whose outcome is not yet.
struct InFlight {
    plan: Arc<Plan>,
    index: usize,
    host: String,
    approval: Approval,
}

/// Cheap to clone: each plan runs in its own task, so a slow stop never holds up the next one.
#[derive(Clone)]
pub struct Gate {
    read_only: bool,
    audit: AuditLog,
    operator: Operator,
    in_flight: Arc<Mutex<Vec<InFlight>>>,
}

impl Gate {
    pub fn new(read_only: bool, audit: AuditLog, operator: Operator) -> Gate {
        Gate {
            read_only,
            audit,
            operator,
            in_flight: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// Runs an approved plan step by step (see the module's rules), telling `on_progress` as
    /// each step starts and ends.
    pub async fn run<F, Fut>(
        &self,
        plan: Plan,
        approval: Approval,
        engines: &Engines,
        on_progress: F,
    ) -> PlanReport
    where
        F: Fn(Progress) -> Fut,
        Fut: Future<Output = ()>,
    {
        let plan = Arc::new(plan);
        let mut report = PlanReport {
            plan: plan.id.clone(),
            results: vec![None; plan.steps.len()],
        };
        if self.read_only {
            let reason = "refused: wheelhouse is in read-only mode";
            let error = OpError::refused(reason);
            for (index, result) in report.results.iter_mut().enumerate() {
                self.record_refusal(
                    &plan,
                    index,
                    host_of(engines, &plan, index),
                    Some(&approval),
                    reason,
                );
                *result = Some(Err(error.clone()));
                on_progress(Progress::Ended {
                    plan: plan.id.clone(),
                    index,
                    result: Err(error.clone()),
                })
                .await;
            }
            return report;
        }
        for index in 0..plan.steps.len() {
            let host = host_of(engines, &plan, index).to_owned();
            let ctx = StepContext {
                plan: &plan,
                index,
                host: &host,
                approved: Some(&approval),
                operator: &self.operator,
            };
            if let Err(e) = self.audit.append(&AuditRecord::intent(&ctx, Utc::now())) {
                let reason = format!("{e}; refused: no change is made without its audit record");
                // Likely unwritable too; tried so that a log that recovered still says why.
                self.record_refusal(&plan, index, &host, Some(&approval), &reason);
                let error = OpError::refused(reason);
                report.results[index] = Some(Err(error.clone()));
                on_progress(Progress::Ended {
                    plan: plan.id.clone(),
                    index,
                    result: Err(error),
                })
                .await;
                return report;
            }
            let token = self.track(&plan, index, &host, &approval);
            on_progress(Progress::Running {
                plan: plan.id.clone(),
                index,
            })
            .await;
            let result = self.execute(&plan, index, engines).await;
            self.untrack(token);
            let ending = match &result {
                Ok(()) => Ending::Ok,
                Err(e) => Ending::Failed(e),
            };
            let recorded = self
                .audit
                .append(&AuditRecord::outcome(&ctx, ending, Utc::now()));
            let result = match (result, recorded) {
                (Ok(()), Err(e)) => {
                    // The change happened; its outcome line is missing. Stop here: what follows
                    // could not be recorded either.
                    log::error!("{e}");
                    Err(OpError::new(
                        ErrorKind::Other,
                        format!("done, but its outcome could not be audited: {e}"),
                    ))
                }
                (result, _) => result,
            };
            let failed = result.is_err();
            report.results[index] = Some(result.clone());
            on_progress(Progress::Ended {
                plan: plan.id.clone(),
                index,
                result,
            })
            .await;
            if failed {
                break;
            }
        }
        report
    }

    async fn execute(&self, plan: &Plan, index: usize, engines: &Engines) -> Result<(), OpError> {
        let step = &plan.steps[index];
        let endpoint = step.target.endpoint();
        let engine = engines.get(endpoint).ok_or_else(|| {
            OpError::new(ErrorKind::Unreachable, format!("{endpoint}: not attached"))
        })?;
        let docker = engine
            .docker()
            .await
            .map_err(|e| OpError::new(ErrorKind::Unreachable, e))?;
        match &step.target {
            Target::Container { id, .. } => {
                container::apply(&docker, engine.host(), id, &step.op).await
            }
        }
    }

    /// Records that a plan was refused before it reached an engine (read-only in the console,
    /// or here): one `refused` line per step.
    pub fn refuse(&self, plan: &Plan, engines: &Engines, reason: &str) {
        for index in 0..plan.steps.len() {
            self.record_refusal(plan, index, host_of(engines, plan, index), None, reason);
        }
    }

    fn record_refusal(
        &self,
        plan: &Plan,
        index: usize,
        host: &str,
        approval: Option<&Approval>,
        reason: &str,
    ) {
        let ctx = StepContext {
            plan,
            index,
            host,
            approved: approval,
            operator: &self.operator,
        };
        let record = AuditRecord::outcome(&ctx, Ending::Refused(reason), Utc::now());
        if let Err(e) = self.audit.append(&record) {
            log::error!("{e} (recording a refusal: {reason})");
        }
    }

    /// How many steps are with their engine now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.lock().map(|v| v.len()).unwrap_or(0)
    }

    /// Writes `abandoned` as the outcome of every step still with its engine (the console is
    /// going and will not hear the answer). Returns how many there were.
    pub fn abandon_in_flight(&self) -> usize {
        let pending: Vec<InFlight> = match self.in_flight.lock() {
            Ok(mut v) => std::mem::take(&mut *v),
            Err(_) => return 0,
        };
        for f in &pending {
            let ctx = StepContext {
                plan: &f.plan,
                index: f.index,
                host: &f.host,
                approved: Some(&f.approval),
                operator: &self.operator,
            };
            if let Err(e) =
                self.audit
                    .append(&AuditRecord::outcome(&ctx, Ending::Abandoned, Utc::now()))
            {
                log::error!("{e}");
            }
        }
        pending.len()
    }

    fn track(
        &self,
        plan: &Arc<Plan>,
        index: usize,
        host: &str,
        approval: &Approval,
    ) -> (PlanId, usize) {
        if let Ok(mut v) = self.in_flight.lock() {
            v.push(InFlight {
                plan: Arc::clone(plan),
                index,
                host: host.to_owned(),
                approval: approval.clone(),
            });
        }
        (plan.id.clone(), index)
    }

    /// Forgets a step that ended. One abandoned meanwhile is already recorded as such: its
    /// late outcome is still written, and the log then says both.
    fn untrack(&self, (plan, index): (PlanId, usize)) {
        if let Ok(mut v) = self.in_flight.lock() {
            v.retain(|f| !(f.plan.id == plan && f.index == index));
        }
    }
}

fn host_of<'a>(engines: &'a Engines, plan: &Plan, index: usize) -> &'a str {
    engines
        .get(plan.steps[index].target.endpoint())
        .map_or("", |e| e.host())
}
