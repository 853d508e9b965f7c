//! Theme slots: the meanings a view can ask a style for. Views name a slot,
//! never a colour, so themes (and NO_COLOR) restyle every view at once.

use serde::{Deserialize, Serialize};

/// Declares the enum, its serde names and `Slot::ALL` from one list, so the
/// name used in theme files cannot drift from the variant.
macro_rules! slots {
    ($($variant:ident => $name:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Slot {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl Slot {
            pub const ALL: &'static [Slot] = &[$(Slot::$variant,)*];

            /// The name used in theme files, e.g. `table.selected`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Slot::$variant => $name,)*
                }
            }
        }
    };
}

slots! {
    Text => "text",
    TextDim => "text.dim",
    Title => "title",
    Border => "border",
    BorderFocused => "border.focused",
    Header => "header",
    HeaderEndpointUp => "header.endpoint_up",
    HeaderEndpointDown => "header.endpoint_down",
    HeaderReadOnly => "header.read_only",
    HeaderDemo => "header.demo",
    FooterKey => "footer.key",
    FooterDesc => "footer.desc",
    TableHeader => "table.header",
    TableSelected => "table.selected",
    TableMarked => "table.marked",
    TableGroup => "table.group",
    StateRunning => "state.running",
    StateExited => "state.exited",
    StatePaused => "state.paused",
    StateRestarting => "state.restarting",
    StateCreated => "state.created",
    StateDead => "state.dead",
    HealthHealthy => "health.healthy",
    HealthUnhealthy => "health.unhealthy",
    HealthStarting => "health.starting",
    LogsStdout => "logs.stdout",
    LogsStderr => "logs.stderr",
    LogsTimestamp => "logs.timestamp",
    LogsMatch => "logs.match",
    LogsMatchCurrent => "logs.match_current",
    InspectKey => "inspect.key",
    InspectString => "inspect.string",
    InspectNumber => "inspect.number",
    InspectSecret => "inspect.secret",
    DialogBorder => "dialog.border",
    DialogTitle => "dialog.title",
    DialogButton => "dialog.button",
    DialogButtonFocused => "dialog.button_focused",
    DialogDanger => "dialog.danger",
    ToastInfo => "toast.info",
    ToastError => "toast.error",
    InputPrompt => "input.prompt",
    InputText => "input.text",
    Warning => "warning",
    Error => "error",
    GaugeOk => "gauge.ok",
    GaugeNearLimit => "gauge.near_limit",
    GaugeOverLimit => "gauge.over_limit",
}

impl Slot {
    pub fn from_name(name: &str) -> Option<Slot> {
        Slot::ALL.iter().copied().find(|slot| slot.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde_and_round_trip() {
        assert_eq!(Slot::ALL.len(), 48);
        for slot in Slot::ALL {
            assert_eq!(Slot::from_name(slot.name()), Some(*slot));
            let serde_name = serde_json::to_value(slot).unwrap();
            assert_eq!(serde_name.as_str(), Some(slot.name()));
        }
        assert_eq!(Slot::from_name("table.selected"), Some(Slot::TableSelected));
        assert_eq!(Slot::from_name("table.selcted"), None);
    }
}
