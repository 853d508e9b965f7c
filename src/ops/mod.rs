//! Operations: every change wheelhouse makes to an engine, and the one gate it passes.
//!
//! ```text
//!  key / palette / headless command
//!        │  Request  (what was asked; the confirmation dialog may still change its options)
//!        ▼
//!  confirmed by the operator (Cancel is the default) or --yes
//!        │  Plan     (ordered steps, each naming its target, operation and origin)
//!        ▼
//!  Gate::run: read-only? → intent on disk → engine call → outcome on disk, step by step
//! ```
//!
//! - [`request`] and [`plan`] are plain data, built and tested without engines;
//! - [`gate`] is the only code that sends a mutating request to an engine;
//! - [`audit`] writes the JSON-lines audit log (only the gate calls it);
//! - [`error`] types failures so callers can act on them;
//! - [`container`] carries out container steps, [`swarm`] makes and carries out Swarm ones.

pub mod audit;
pub mod container;
pub mod error;
pub mod gate;
pub mod plan;
pub mod request;
pub mod service;
pub mod swarm;

pub use error::{ErrorKind, OpError};
pub use gate::{no_cancel, Engines, Gate, PlanReport, Progress};
pub use plan::{
    Approval, LimitUpdate, OnFailure, Operation, Origin, Plan, PlanId, PruneWhat, Scope, Step,
    SwarmObject, Target,
};
pub use request::{Choice, ContainerVerb, Request, Subject};
