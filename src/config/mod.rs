//! Settings, paths, keymaps and themes: loading and validation.

pub mod error;
pub mod keymap;
mod keypress;
mod suggest;
