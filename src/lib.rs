//! wheelhouse: a terminal operations console for Docker engines.

pub mod app;
pub mod config;
pub mod ui;
