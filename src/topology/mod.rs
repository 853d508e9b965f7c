//! Who runs where and who can reach whom, derived from the inventory like the table's rows:
//! pure, rebuilt only when containers or networks change (never on a usage sample), and the
//! same for the console's views and `wheelhouse topology`.
//!
//! - [`model`]: endpoints → projects (compose) or stacks (Swarm) → services → containers;
//!   networks and each container's memberships; network modes; published ports; `depends_on`.
//! - [`reach`]: whom a container can reach and who can reach it, and why not.
//! - [`graph`]: one project's services laid out in layers, `depends_on` as edges.
//! - [`export`]: the model as JSON (documented in README), Graphviz dot and Mermaid.

pub mod export;
pub mod graph;
pub mod model;
pub mod reach;

pub use model::{build, Topology};
