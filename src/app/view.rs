//! The views, in one list: for each, its keymap section and the reducer module that handles
//! its actions. A new view is its own files (`app/update/<view>.rs` with an `on_action`,
//! `ui/<view>.rs`) plus a line here; `ui::render` matches on [`View`], so the compiler holds the
//! drawing side to this list, and a test holds the keymaps to it.

use super::action::{Action, Arg, KeyContext};
use super::effect::Effect;
use super::state::App;
use crate::ops::Origin;

macro_rules! views {
    ($($variant:ident => $context:ident, $module:ident;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum View {
            $($variant,)*
        }

        impl View {
            pub const ALL: &'static [View] = &[$(View::$variant,)*];

            /// The keymap section that is active while the view has the keyboard.
            pub fn key_context(self) -> KeyContext {
                match self {
                    $(View::$variant => KeyContext::$context,)*
                }
            }
        }

        /// Hands an action to the view that has the keyboard.
        pub(crate) fn on_view_action(
            app: &mut App,
            action: Action,
            arg: Option<Arg>,
            origin: Origin,
            fx: &mut Vec<Effect>,
        ) {
            match app.views.current {
                $(View::$variant => super::update::$module::on_action(app, action, arg, origin, fx),)*
            }
        }
    };
}

views! {
    Table => Table, table;
    Logs => Logs, logs;
    Inspect => Inspect, inspect;
    Events => Events, events;
    Activity => Activity, activity;
    Resources => Resources, resources;
    Topology => Topology, topology;
    Canary => Canary, canary;
    Agent => Agent, agent;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::keymap::Keymap;

    #[test]
    fn every_view_has_its_keymap_section_with_bindings() {
        let keymap = Keymap::preset("default").unwrap();
        for view in View::ALL {
            let context = view.key_context();
            assert!(KeyContext::ALL.contains(&context), "{view:?}");
            assert!(
                !keymap.bindings(context).is_empty(),
                "{view:?}: no bindings in [{context:?}] of the default keymap"
            );
        }
    }
}
