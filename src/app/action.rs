//! What the user asks for. Keymaps bind keys to these by name, and the command palette offers
//! the same names, so one list serves both. An action may take an argument (`scale +1`,
//! `scale 4`): keymaps write it in `run`, the palette after the name.

use serde::{Deserialize, Serialize};

/// Declares the enum, its names, `ALL` and what argument each takes from one list, so the
/// name used in keymap files cannot drift from the variant.
macro_rules! actions {
    ($($variant:ident => $name:literal $(, $takes:ident)?;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($variant,)*
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The name used in keymap files and the command palette.
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }

            /// What argument the action takes, if any.
            pub fn takes(self) -> Takes {
                match self {
                    $(Action::$variant => actions!(@takes $($takes)?),)*
                }
            }
        }
    };
    (@takes) => { Takes::Nothing };
    (@takes $takes:ident) => { Takes::$takes };
}

actions! {
    // Anywhere
    Quit => "quit";
    Help => "help";
    Palette => "palette";
    ToggleLogPanel => "toggle_log_panel";
    Endpoints => "endpoints";
    Events => "events";
    Activity => "activity";
    Resources => "resources";
    Topology => "topology";
    Canary => "canary";
    Agent => "agent";
    Back => "back";
    // Movement, in whichever view has focus
    Up => "up";
    Down => "down";
    PageUp => "page_up";
    PageDown => "page_down";
    Top => "top";
    Bottom => "bottom";
    Left => "left";
    Right => "right";
    // Container table
    Filter => "filter";
    ClearFilter => "clear_filter";
    SortNext => "sort_next";
    SortPrev => "sort_prev";
    SortReverse => "sort_reverse";
    SortBy => "sort_by", Column;
    ToggleTree => "toggle_tree";
    ToggleCollapse => "toggle_collapse";
    ToggleDetail => "toggle_detail";
    DetailScroll => "detail_scroll", Count;
    Mark => "mark";
    MarkAll => "mark_all";
    ClearMarks => "clear_marks";
    Start => "start";
    Stop => "stop";
    Restart => "restart";
    Pause => "pause";
    Unpause => "unpause";
    Kill => "kill";
    Remove => "remove";
    Logs => "logs";
    Inspect => "inspect";
    Shell => "shell";
    CopyId => "copy_id";
    CopyName => "copy_name";
    // Compose services (from a service row, or a replica's row)
    Scale => "scale", Count;
    Limits => "limits";
    Rollout => "rollout";
    RestartUnhealthy => "restart_unhealthy";
    // Swarm services (a service row, or a task's row) and nodes (the endpoints panel)
    Rollback => "rollback";
    NodeDrain => "node_drain";
    NodePause => "node_pause";
    NodeActivate => "node_activate";
    // Logs and inspect
    Search => "search";
    NextMatch => "next_match";
    PrevMatch => "prev_match";
    ToggleTimestamps => "toggle_timestamps";
    ToggleWrap => "toggle_wrap";
    ToggleFollow => "toggle_follow";
    ToggleOnlyMatching => "toggle_only_matching";
    SaveLogs => "save_logs";
    RevealSecrets => "reveal_secrets";
    CopyValue => "copy_value";
    // Endpoints panel
    ToggleAttach => "toggle_attach";
    // Images, volumes and networks
    Prune => "prune";
    // Topology view
    ToggleTopologyTab => "toggle_topology_tab";
    ToggleAddresses => "toggle_addresses";
    // Canary view
    StageWeight => "stage_weight", Count;
    ApplyWeight => "apply_weight";
    NextStep => "next_step";
    Promote => "promote";
    Abort => "abort";
    Retry => "retry";
    Suspend => "suspend";
    // Agent panel
    ApplyProposal => "apply_proposal";
    RejectProposal => "reject_proposal";
    SnoozeProposal => "snooze_proposal";
    // Events pane
    JumpToContainer => "jump_to_container";
    ToggleProbeEvents => "toggle_probe_events";
    // Confirmation dialog
    Confirm => "confirm";
    Yes => "yes";
    Cancel => "cancel";
    FocusNext => "focus_next";
    OptionNext => "option_next";
    OptionPrev => "option_prev";
    ToggleOption => "toggle_option";
    // Text inputs (filter, search, palette)
    InputAccept => "input_accept";
    InputCancel => "input_cancel";
    InputComplete => "input_complete";
}

/// What argument an action takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    Nothing,
    /// A count: `+2` and `-1` change the current one, `4` sets it. Optional: without one the
    /// action asks.
    Count,
    /// A table column by its sort name (`cpu`, `memory`, …). Required.
    Column,
}

/// An action's argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Arg {
    /// `+2`, `-1`: a change of the current value.
    By(i64),
    /// `4`: the value itself.
    To(i64),
    /// `cpu`: a table column.
    Column(crate::app::rows::SortColumn),
}

/// An action with its argument, as a keymap's `run` or the palette says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invocation {
    pub action: Action,
    pub arg: Option<Arg>,
}

impl std::fmt::Display for Invocation {
    /// As a keymap's `run` says it: `scale +1`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.action.name())?;
        match self.arg {
            None => Ok(()),
            Some(Arg::By(n)) if n >= 0 => write!(f, " +{n}"),
            Some(Arg::By(n)) | Some(Arg::To(n)) => write!(f, " {n}"),
            Some(Arg::Column(c)) => write!(f, " {}", c.name()),
        }
    }
}

impl From<Action> for Invocation {
    fn from(action: Action) -> Self {
        Invocation { action, arg: None }
    }
}

impl Action {
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// Whether this action changes something on an engine (a container or a service): what
    /// read-only refuses, and so what its key hints leave out.
    pub fn changes_engine(self) -> bool {
        self.is_mutation()
            || matches!(
                self,
                Action::Scale
                    | Action::Limits
                    | Action::Rollout
                    | Action::RestartUnhealthy
                    | Action::Rollback
                    | Action::NodeDrain
                    | Action::NodePause
                    | Action::NodeActivate
                    | Action::Shell
                    | Action::Prune
            )
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

impl Invocation {
    /// `name` or `name ARG`: what a keymap's `run` and a palette line say. The error says what
    /// the action takes.
    pub fn parse(text: &str) -> Result<Invocation, InvocationError> {
        let mut words = text.split_whitespace();
        let name = words.next().unwrap_or_default();
        let action = Action::from_name(name).ok_or(InvocationError::UnknownAction)?;
        let arg = words.next();
        if words.next().is_some() {
            return Err(InvocationError::Usage(usage(action)));
        }
        let arg = match (action.takes(), arg) {
            (Takes::Column, None) => return Err(InvocationError::Usage(usage(action))),
            (_, None) => None,
            (Takes::Nothing, Some(_)) => return Err(InvocationError::Usage(usage(action))),
            (Takes::Count, Some(word)) => {
                Some(parse_count(word).ok_or_else(|| InvocationError::Usage(usage(action)))?)
            }
            (Takes::Column, Some(word)) => Some(Arg::Column(
                crate::app::rows::SortColumn::from_name(word)
                    .ok_or_else(|| InvocationError::Usage(usage(action)))?,
            )),
        };
        Ok(Invocation { action, arg })
    }
}

/// Why a `run` or palette line is not an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvocationError {
    UnknownAction,
    /// The argument is wrong: how to say it.
    Usage(String),
}

fn usage(action: Action) -> String {
    match action.takes() {
        Takes::Nothing => format!("{} takes no argument", action.name()),
        Takes::Count => format!("usage: {} [N | +N | -N]", action.name()),
        Takes::Column => {
            let names: Vec<&str> = crate::app::rows::SortColumn::ALL
                .iter()
                .map(|c| c.name())
                .collect();
            format!("usage: {} <{}>", action.name(), names.join("|"))
        }
    }
}

fn parse_count(word: &str) -> Option<Arg> {
    if let Some(n) = word.strip_prefix('+') {
        return n.parse().ok().map(Arg::By);
    }
    if let Some(n) = word.strip_prefix('-') {
        return n.parse::<i64>().ok().map(|n| Arg::By(-n));
    }
    word.parse().ok().map(Arg::To)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(*a), "{a:?}");
        }
        let mut names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len(), "two actions share a name");
        assert_eq!(
            Action::from_name("toggle_log_panel"),
            Some(Action::ToggleLogPanel)
        );
        assert_eq!(Action::from_name("no_such_thing"), None);
    }

    #[test]
    fn arguments_are_parsed_and_checked() {
        assert_eq!(
            Invocation::parse("stop"),
            Ok(Invocation {
                action: Action::Stop,
                arg: None
            })
        );
        assert_eq!(
            Invocation::parse("stop now"),
            Err(InvocationError::Usage("stop takes no argument".into()))
        );
        assert_eq!(
            Invocation::parse("stp"),
            Err(InvocationError::UnknownAction)
        );
        assert_eq!(parse_count("+2"), Some(Arg::By(2)));
        assert_eq!(parse_count("-1"), Some(Arg::By(-1)));
        assert_eq!(parse_count("4"), Some(Arg::To(4)));
        assert_eq!(parse_count("four"), None);
        assert_eq!(
            Invocation::parse("sort_by cpu").map(|i| i.arg),
            Ok(Some(Arg::Column(crate::app::rows::SortColumn::Cpu)))
        );
        assert!(matches!(
            Invocation::parse("sort_by"),
            Err(InvocationError::Usage(u)) if u.starts_with("usage: sort_by <name|endpoint|")
        ));
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
    Activity,
    Resources,
    Topology,
    Canary,
    Agent,
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
        KeyContext::Activity,
        KeyContext::Resources,
        KeyContext::Topology,
        KeyContext::Canary,
        KeyContext::Agent,
        KeyContext::Confirm,
        KeyContext::Help,
        KeyContext::Endpoints,
        KeyContext::Input,
    ];
}
