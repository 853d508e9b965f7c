//! What the user asks for. Keymaps bind keys to these by their serde names,
//! and the command palette offers the same names, so one list serves both.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // Anywhere
    Quit,
    Help,
    Palette,
    ToggleLogPanel,
    Endpoints,
    Events,
    Back,
    // Movement, in whichever view has focus
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Left,
    Right,
    // Container table
    Filter,
    ClearFilter,
    SortNext,
    SortPrev,
    SortReverse,
    ToggleTree,
    ToggleCollapse,
    ToggleDetail,
    Mark,
    MarkAll,
    ClearMarks,
    Start,
    Stop,
    Restart,
    Pause,
    Unpause,
    Kill,
    Remove,
    Logs,
    Inspect,
    // Logs and inspect
    Search,
    NextMatch,
    PrevMatch,
    ToggleTimestamps,
    ToggleWrap,
    ToggleFollow,
    SaveLogs,
    RevealSecrets,
    // Endpoints panel
    ToggleAttach,
    // Events pane
    JumpToContainer,
    ToggleProbeEvents,
    // Confirmation dialog
    Confirm,
    Cancel,
    FocusNext,
    OptionNext,
    OptionPrev,
    ToggleOption,
    // Text inputs (filter, search, palette)
    InputAccept,
    InputCancel,
    InputComplete,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::Quit,
        Action::Help,
        Action::Palette,
        Action::ToggleLogPanel,
        Action::Endpoints,
        Action::Events,
        Action::Back,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Left,
        Action::Right,
        Action::Filter,
        Action::ClearFilter,
        Action::SortNext,
        Action::SortPrev,
        Action::SortReverse,
        Action::ToggleTree,
        Action::ToggleCollapse,
        Action::ToggleDetail,
        Action::Mark,
        Action::MarkAll,
        Action::ClearMarks,
        Action::Start,
        Action::Stop,
        Action::Restart,
        Action::Pause,
        Action::Unpause,
        Action::Kill,
        Action::Remove,
        Action::Logs,
        Action::Inspect,
        Action::Search,
        Action::NextMatch,
        Action::PrevMatch,
        Action::ToggleTimestamps,
        Action::ToggleWrap,
        Action::ToggleFollow,
        Action::SaveLogs,
        Action::RevealSecrets,
        Action::ToggleAttach,
        Action::JumpToContainer,
        Action::ToggleProbeEvents,
        Action::Confirm,
        Action::Cancel,
        Action::FocusNext,
        Action::OptionNext,
        Action::OptionPrev,
        Action::ToggleOption,
        Action::InputAccept,
        Action::InputCancel,
        Action::InputComplete,
    ];

    /// The name used in keymap files and the command palette.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub fn from_name(name: &str) -> Option<Action> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }

    /// Whether this action changes a container on the engine.
    pub fn is_mutation(self) -> bool {
        matches!(
            self,
            Action::Start
                | Action::Stop
                | Action::Restart
                | Action::Pause
                | Action::Unpause
                | Action::Kill
                | Action::Remove
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_all_is_complete() {
        for a in Action::ALL {
            assert_eq!(Action::from_name(&a.name()), Some(*a), "{a:?}");
        }
        assert_eq!(
            Action::from_name("toggle_log_panel"),
            Some(Action::ToggleLogPanel)
        );
        assert_eq!(Action::from_name("no_such_thing"), None);
    }
}

/// Which part of the screen has the keyboard; keymap files have one section per context.
/// A key not bound in the active context falls through to `global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyContext {
    Global,
    Table,
    Logs,
    Inspect,
    Events,
    Confirm,
    Help,
    Endpoints,
    Input,
}

impl KeyContext {
    pub const ALL: &'static [KeyContext] = &[
        KeyContext::Global,
        KeyContext::Table,
        KeyContext::Logs,
        KeyContext::Inspect,
        KeyContext::Events,
        KeyContext::Confirm,
        KeyContext::Help,
        KeyContext::Endpoints,
        KeyContext::Input,
    ];
}
