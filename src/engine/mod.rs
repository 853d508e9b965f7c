//! Everything that talks to Docker engines. Tasks here own their clients and only send `Msg`s.

pub mod audit;
pub mod context;
pub mod convert;
pub mod endpoint;
pub mod executor;
pub mod inventory;
pub mod logs;
pub mod metrics;
pub mod supervisor;
pub mod transport;
