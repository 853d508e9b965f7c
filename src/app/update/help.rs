//! The help overlay.

use super::*;

pub(super) fn on_help_action(app: &mut App, action: Action) {
    if let Some(Overlay::Help { scroll }) = app.screen.overlay.as_mut() {
        match action {
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::Down => *scroll += 1,
            Action::PageUp => *scroll = scroll.saturating_sub(10),
            Action::PageDown => *scroll += 10,
            Action::Top => *scroll = 0,
            // The view keeps it within the text.
            Action::Bottom => *scroll = usize::MAX / 2,
            _ => {}
        }
    }
}
