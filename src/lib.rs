//! wheelhouse: a terminal operations console for Docker engines.
//!
//! `app` is the pure core, `engine` talks to Docker, `ops` is every change and its one gate,
//! `topology` derives who runs where and who reaches whom,
//! `ui` draws, `config` loads settings, keymaps and themes, `runtime` ties them together in one
//! event loop, `term` owns the terminal, `text` keeps engine text safe.

pub mod agent;
pub mod app;
pub mod canary;
pub mod change;
pub mod cli;
pub mod config;
pub mod engine;
pub mod fake;
pub mod logging;
pub mod ops;
pub mod report;
pub mod runtime;
pub mod scenes;
pub mod secrets;
pub mod shell;
pub mod term;
pub mod text;
pub mod topology;
pub mod ui;
