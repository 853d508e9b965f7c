//! The one gate every change to an engine passes: read-only refusal, the record of intent, the
//! engine call, the record of its outcome. Nothing else in the program sends a mutating request.
//!
//! The rules, in the order they are checked for each step:
//!
//! 1. **Read-only refuses** every step, and each refusal is audited.
//! 2. **No change without its record.** The intent is written (and synced) before the engine is
//!    asked; if it cannot be written the step is refused with the reason, and the plan stops.
//! 3. **Steps run one at a time**, in order; the first that fails stops the plan, and the steps
//!    after it do not run. Each step's outcome is written when the engine answers. The one
//!    exception is a plan of independent steps ([`OnFailure::EachAlone`], a bulk stop): its
//!    steps run side by side, at most [`STEPS_AT_ONCE_PER_ENDPOINT`] on each engine, each with
//!    its own intent and outcome, and a failure stops none of the others.
//! 4. **Nothing half-done.** A plan that rolls back on failure (scale, limits, rollout) then
//!    undoes what ran, newest first, each undo audited as such (`undoes`). Cancelling between
//!    steps (or during a wait) is a failure like any other.
//! 5. **Quitting never loses a change.** Steps the engine has not answered yet are known; when the
//!    console must go before they finish, [`Gate::abandon_in_flight`] writes their outcome as
//!    `abandoned`, so no intent is left without an ending.
//!
//! Approval is the caller's duty and is recorded: a plan reaches [`Gate::run`] only after the
//! operator confirmed it (Cancel is the default) or passed `--yes`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use tokio::sync::watch;

use super::audit::{AuditLog, AuditRecord, Ending, Operator, StepContext};
use super::container::{self, Done};
use super::error::{ErrorKind, OpError};
use super::plan::{Approval, OnFailure, Plan, PlanId, Step};
use crate::engine::handle::EngineHandle;

/// Independent steps one engine is asked to do at once: a restart of twenty marked containers
/// takes about one grace period per four, not twenty, without crowding the engine.
pub const STEPS_AT_ONCE_PER_ENDPOINT: usize = 4;

/// For a plan nobody will cancel (tests, a headless command without a terminal).
pub fn no_cancel() -> watch::Receiver<bool> {
    watch::channel(false).1
}

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
    /// Step `index` is being undone (the plan rolls back).
    Undoing { plan: PlanId, index: usize },
    Undone {
        plan: PlanId,
        index: usize,
        result: Result<(), OpError>,
    },
}

/// How each step of a plan ended; `None` for steps that did not run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanReport {
    pub plan: PlanId,
    pub results: Vec<Option<Result<(), OpError>>>,
    /// Steps undone after the failure, newest first, and how each undo went.
    pub rolled_back: Vec<(usize, Result<(), OpError>)>,
    /// The operator cancelled it.
    pub cancelled: bool,
    /// It failed after a step it cannot take back (a removal): it stopped there, not rolled back.
    pub past_point_of_no_return: bool,
    /// Steps that succeeded with nothing to change, and why (`already running`).
    pub unchanged: Vec<(usize, String)>,
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
        !self.cancelled
            && self
                .failure()
                .is_some_and(|(_, e)| e.kind == ErrorKind::Refused)
    }

    /// Every undo worked: nothing the plan did is left.
    pub fn fully_rolled_back(&self) -> bool {
        !self.past_point_of_no_return && self.rolled_back.iter().all(|(_, r)| r.is_ok())
    }
}

/// A step whose intent is on disk and whose outcome is not yet.
struct InFlight {
    plan: Arc<Plan>,
    index: usize,
    step: Step,
    undoing: bool,
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
    /// each step starts and ends. `cancel` turning true stops it before its next step.
    pub async fn run<F, Fut>(
        &self,
        plan: Plan,
        approval: Approval,
        engines: &Engines,
        mut cancel: watch::Receiver<bool>,
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
            ..PlanReport::default()
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
        if plan.on_failure == OnFailure::EachAlone {
            self.run_side_by_side(
                &plan,
                &approval,
                engines,
                &cancel,
                &mut report,
                &on_progress,
            )
            .await;
            return report;
        }
        for index in 0..plan.steps.len() {
            if *cancel.borrow() {
                report.cancelled = true;
                break;
            }
            let Some(result) = self
                .run_step(
                    &plan,
                    index,
                    &approval,
                    engines,
                    &mut cancel,
                    &mut report,
                    &on_progress,
                )
                .await
            else {
                return report;
            };
            if result.is_err() {
                break;
            }
        }
        let stopped_early = report.cancelled || report.failure().is_some();
        report.past_point_of_no_return = plan
            .steps
            .iter()
            .zip(&report.results)
            .any(|(step, r)| step.commits && matches!(r, Some(Ok(()))));
        if stopped_early
            && plan.on_failure == OnFailure::RollBack
            && !report.past_point_of_no_return
        {
            self.roll_back(&plan, &approval, engines, &mut report, &on_progress)
                .await;
        }
        report
    }

    /// One step: its intent on disk, the engine call, its outcome on disk, progress told on
    /// the way. None when the intent could not be written: the step is refused, and a plan of
    /// ordered steps stops there (steps side by side each meet the same refusal on their own).
    #[allow(clippy::too_many_arguments)]
    async fn run_step<F, Fut>(
        &self,
        plan: &Arc<Plan>,
        index: usize,
        approval: &Approval,
        engines: &Engines,
        cancel: &mut watch::Receiver<bool>,
        report: &mut PlanReport,
        on_progress: &F,
    ) -> Option<Result<(), OpError>>
    where
        F: Fn(Progress) -> Fut,
        Fut: Future<Output = ()>,
    {
        let host = host_of(engines, plan, index).to_owned();
        let step = &plan.steps[index];
        let ctx = StepContext {
            plan,
            index,
            step,
            undoing: false,
            host: &host,
            approved: Some(approval),
            operator: &self.operator,
        };
        if let Err(error) = self.write_intent(&ctx).await {
            report.results[index] = Some(Err(error.clone()));
            on_progress(Progress::Ended {
                plan: plan.id.clone(),
                index,
                result: Err(error),
            })
            .await;
            return None;
        }
        let token = self.track(plan, index, &host, approval);
        on_progress(Progress::Running {
            plan: plan.id.clone(),
            index,
        })
        .await;
        let result = self.execute(step, engines, cancel).await;
        self.untrack(token);
        let result = self.record_outcome(&ctx, result).await.map(|done| {
            if let Some(why) = done.unchanged {
                report.unchanged.push((index, why.to_owned()));
            }
        });
        if result
            .as_ref()
            .is_err_and(|e| e.message == "cancelled by the operator")
        {
            report.cancelled = true;
        }
        report.results[index] = Some(result.clone());
        on_progress(Progress::Ended {
            plan: plan.id.clone(),
            index,
            result: result.clone(),
        })
        .await;
        Some(result)
    }

    /// Writes a step's intent. When it cannot be written the step is refused: the refusal is
    /// recorded too (likely unwritable as well; tried so that a log that recovered still says
    /// why) and returned as the step's error.
    async fn write_intent(&self, ctx: &StepContext<'_>) -> Result<(), OpError> {
        let Err(e) = self.audit.write(AuditRecord::intent(ctx, Utc::now())).await else {
            return Ok(());
        };
        let reason = format!("{e}; refused: no change is made without its audit record");
        self.record_refusal(ctx.plan, ctx.index, ctx.host, ctx.approved, &reason);
        Err(OpError::refused(reason))
    }

    /// Runs independent steps side by side, at most [`STEPS_AT_ONCE_PER_ENDPOINT`] per engine;
    /// a cancel stops the ones not started yet.
    async fn run_side_by_side<F, Fut>(
        &self,
        plan: &Arc<Plan>,
        approval: &Approval,
        engines: &Engines,
        cancel: &watch::Receiver<bool>,
        report: &mut PlanReport,
        on_progress: &F,
    ) where
        F: Fn(Progress) -> Fut,
        Fut: Future<Output = ()>,
    {
        let mut turns: HashMap<&str, Arc<tokio::sync::Semaphore>> = HashMap::new();
        for step in &plan.steps {
            turns.entry(step.target.endpoint()).or_insert_with(|| {
                Arc::new(tokio::sync::Semaphore::new(STEPS_AT_ONCE_PER_ENDPOINT))
            });
        }
        let runs = (0..plan.steps.len()).map(|index| {
            let turn = Arc::clone(&turns[plan.steps[index].target.endpoint()]);
            let mut cancel = cancel.clone();
            async move {
                let _turn = turn.acquire_owned().await.ok();
                let mut mine = PlanReport {
                    results: vec![None; plan.steps.len()],
                    ..PlanReport::default()
                };
                if *cancel.borrow() {
                    mine.cancelled = true;
                    return mine;
                }
                self.run_step(
                    plan,
                    index,
                    approval,
                    engines,
                    &mut cancel,
                    &mut mine,
                    on_progress,
                )
                .await;
                mine
            }
        });
        for mine in futures_util::future::join_all(runs).await {
            report.cancelled |= mine.cancelled;
            report.unchanged.extend(mine.unchanged);
            for (all, one) in report.results.iter_mut().zip(mine.results) {
                if one.is_some() {
                    *all = one;
                }
            }
        }
        report.unchanged.sort_by_key(|(i, _)| *i);
    }

    /// Undoes what ran, newest first. An undo that fails is reported and the others still run:
    /// each gives back what it can.
    async fn roll_back<F, Fut>(
        &self,
        plan: &Arc<Plan>,
        approval: &Approval,
        engines: &Engines,
        report: &mut PlanReport,
        on_progress: &F,
    ) where
        F: Fn(Progress) -> Fut,
        Fut: Future<Output = ()>,
    {
        // A rollback is not cancelled: it is what cancelling asked for.
        let (_keep, mut never) = watch::channel(false);
        let ran: Vec<usize> = (0..plan.steps.len())
            .filter(|i| matches!(report.results[*i], Some(Ok(()))))
            .collect();
        for index in ran.into_iter().rev() {
            let Some(undo) = plan.steps[index].undo.as_deref() else {
                continue;
            };
            let host = host_of(engines, plan, index).to_owned();
            let ctx = StepContext {
                plan,
                index,
                step: undo,
                undoing: true,
                host: &host,
                approved: Some(approval),
                operator: &self.operator,
            };
            on_progress(Progress::Undoing {
                plan: plan.id.clone(),
                index,
            })
            .await;
            let result = match self
                .audit
                .write(AuditRecord::intent(&ctx, Utc::now()))
                .await
            {
                Err(e) => Err(OpError::refused(format!(
                    "{e}; refused: no change is made without its audit record"
                ))),
                Ok(()) => {
                    let token = self.track_step(plan, index, undo, &host, approval);
                    let result = self.execute(undo, engines, &mut never).await;
                    self.untrack(token);
                    self.record_outcome(&ctx, result).await.map(drop)
                }
            };
            report.rolled_back.push((index, result.clone()));
            on_progress(Progress::Undone {
                plan: plan.id.clone(),
                index,
                result,
            })
            .await;
        }
    }

    /// Writes a step's outcome line. A change that happened but whose line cannot be written
    /// is reported as a failure: what follows could not be recorded either.
    async fn record_outcome(
        &self,
        ctx: &StepContext<'_>,
        result: Result<Done, OpError>,
    ) -> Result<Done, OpError> {
        let ending = match &result {
            Ok(Done {
                unchanged: Some(why),
                ..
            }) => Ending::Unchanged(why),
            Ok(Done {
                exit_code: Some(code),
                ..
            }) => Ending::Exited(*code),
            Ok(done) => Ending::Ok(done.created.as_deref(), done.said.as_deref()),
            Err(e) => Ending::Failed(e),
        };
        let recorded = self
            .audit
            .write(AuditRecord::outcome(ctx, ending, Utc::now()))
            .await;
        match (result, recorded) {
            (Ok(_), Err(e)) => {
                log::error!("{e}");
                Err(OpError::new(
                    ErrorKind::Other,
                    format!("done, but its outcome could not be audited: {e}"),
                ))
            }
            (result, _) => result,
        }
    }

    async fn execute(
        &self,
        step: &Step,
        engines: &Engines,
        cancel: &mut watch::Receiver<bool>,
    ) -> Result<Done, OpError> {
        // A router is no engine: its steps carry what reaching it takes.
        use super::plan::Operation;
        match &step.op {
            Operation::SetCanaryWeight { router, percent } => {
                return crate::canary::apply(router, *percent)
                    .await
                    .map(|()| Done::default())
                    .map_err(|e| OpError::new(ErrorKind::Other, e));
            }
            Operation::RecordRollout {
                state_dir,
                rollout_state,
            } => {
                return crate::canary::store::save(state_dir, rollout_state)
                    .map(|()| Done::default())
                    .map_err(|e| OpError::new(ErrorKind::Other, e));
            }
            _ => {}
        }
        let endpoint = step.target.endpoint();
        let engine = engines.get(endpoint).ok_or_else(|| {
            OpError::new(ErrorKind::Unreachable, format!("{endpoint}: not attached"))
        })?;
        let docker = engine
            .docker()
            .await
            .map_err(|e| OpError::new(ErrorKind::Unreachable, e))?;
        match step.target {
            super::plan::Target::Swarm { .. } => {
                super::swarm::apply(&docker, engine.host(), &step.target, &step.op, cancel).await
            }
            _ => container::apply(&docker, engine.host(), &step.target, &step.op, cancel).await,
        }
    }

    /// Runs a plan of one interactive step (an exec session) whose engine side is `session`,
    /// under the same rules as [`Gate::run`]: read-only refuses it (audited), its intent is on
    /// disk before the session starts, and its end (or failure) is recorded.
    pub async fn run_session<F, Fut>(
        &self,
        plan: Plan,
        approval: Approval,
        engines: &Engines,
        session: F,
    ) -> PlanReport
    where
        F: FnOnce(bollard::Docker) -> Fut,
        Fut: Future<Output = Result<Done, OpError>>,
    {
        let plan = Arc::new(plan);
        let mut report = PlanReport {
            plan: plan.id.clone(),
            results: vec![None; plan.steps.len()],
            ..PlanReport::default()
        };
        let index = 0;
        let Some(step) = plan.steps.first().filter(|_| plan.steps.len() == 1) else {
            report.results.iter_mut().for_each(|r| {
                *r = Some(Err(OpError::new(
                    ErrorKind::Other,
                    "a session is a plan of one step",
                )))
            });
            return report;
        };
        let host = host_of(engines, &plan, index).to_owned();
        if self.read_only {
            let reason = "refused: wheelhouse is in read-only mode";
            self.record_refusal(&plan, index, &host, Some(&approval), reason);
            report.results[index] = Some(Err(OpError::refused(reason)));
            return report;
        }
        let ctx = StepContext {
            plan: &plan,
            index,
            step,
            undoing: false,
            host: &host,
            approved: Some(&approval),
            operator: &self.operator,
        };
        if let Err(error) = self.write_intent(&ctx).await {
            report.results[index] = Some(Err(error));
            return report;
        }
        let token = self.track(&plan, index, &host, &approval);
        let endpoint = step.target.endpoint();
        let result = match engines.get(endpoint) {
            None => Err(OpError::new(
                ErrorKind::Unreachable,
                format!("{endpoint}: not attached"),
            )),
            Some(engine) => match engine.docker().await {
                Err(e) => Err(OpError::new(ErrorKind::Unreachable, e)),
                Ok(docker) => session(docker).await,
            },
        };
        self.untrack(token);
        report.results[index] = Some(self.record_outcome(&ctx, result).await.map(drop));
        report
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
            step: &plan.steps[index],
            undoing: false,
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
                step: &f.step,
                undoing: f.undoing,
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
        self.push_in_flight(plan, index, &plan.steps[index], false, host, approval)
    }

    fn track_step(
        &self,
        plan: &Arc<Plan>,
        index: usize,
        undo: &Step,
        host: &str,
        approval: &Approval,
    ) -> (PlanId, usize) {
        self.push_in_flight(plan, index, undo, true, host, approval)
    }

    fn push_in_flight(
        &self,
        plan: &Arc<Plan>,
        index: usize,
        step: &Step,
        undoing: bool,
        host: &str,
        approval: &Approval,
    ) -> (PlanId, usize) {
        if let Ok(mut v) = self.in_flight.lock() {
            v.push(InFlight {
                plan: Arc::clone(plan),
                index,
                step: step.clone(),
                undoing,
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
