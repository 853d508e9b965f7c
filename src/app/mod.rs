//! The pure core: state, facts (Msg), intents (Action), work to do (Effect), and the reducer.
//! Nothing here touches a terminal, a socket or the clock.

pub mod action;
pub mod canary;
pub mod effect;
pub mod events;
pub mod filter;
pub mod form;
pub mod inspect;
pub mod inventory;
pub mod logbuf;
pub mod model;
pub mod msg;
pub mod nethealth;
pub mod palette;
pub mod resources;
pub mod rows;
pub mod sgr;
pub mod state;
pub mod swarm;
#[doc(hidden)]
pub mod testing;
pub mod topology;
pub mod update;
#[cfg(test)]
mod update_tests;
pub mod usage;
pub mod view;
pub mod watch;

pub use action::{Action, KeyContext};
pub use effect::Effect;
pub use msg::Msg;
pub use state::App;
pub use update::update;
