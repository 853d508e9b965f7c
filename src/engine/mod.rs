//! Everything that talks to Docker engines. Tasks here share their endpoint's handle and only
//! send `Msg`s; changes go through `ops::Gate`, never from here.

pub mod context;
pub mod convert;
pub mod endpoint;
pub mod handle;
pub mod inventory;
pub mod logs;
pub mod metrics;
pub mod supervisor;
pub mod swarm;
pub mod transport;
