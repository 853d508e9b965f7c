//! Settings, paths, keymaps and themes: loading and validation.

mod color;
pub mod error;
pub mod keymap;
mod keypress;
pub mod settings;
mod slot;
mod suggest;
pub mod theme;
