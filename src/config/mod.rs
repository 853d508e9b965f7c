//! Settings, paths, keymaps and themes: loading and validation.
