//! The pure core: state, facts (Msg), intents (Action), work to do (Effect), and the reducer.
//! Nothing here touches a terminal, a socket or the clock.

pub mod action;
