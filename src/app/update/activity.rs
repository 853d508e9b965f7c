//! The activity view: what this console did and is doing, from its own lines of the audit log.

use super::*;

pub(crate) fn on_action(
    app: &mut App,
    action: Action,
    _arg: Option<Arg>,
    _origin: Origin,
    _fx: &mut Vec<Effect>,
) {
    let page = app.screen.viewport.body_rows.max(1) as usize;
    // `scroll` counts lines up from the newest, which is at the bottom when it is 0.
    let a = &mut app.views.activity;
    // As far as the view can go: its lines (an intent and its outcome are one), less a page.
    let most = crate::ui::activity::rows(&a.records)
        .len()
        .saturating_sub(page);
    a.scroll = match action {
        Action::Up => (a.scroll + 1).min(most),
        Action::Down => a.scroll.saturating_sub(1),
        Action::PageUp => (a.scroll + page).min(most),
        Action::PageDown => a.scroll.saturating_sub(page),
        Action::Top => most,
        Action::Bottom => 0,
        _ => a.scroll,
    };
}

/// A step moved while the view is shown: read the records again (they are on disk before the
/// screen hears of them).
pub(crate) fn reread(app: &App, fx: &mut Vec<Effect>) {
    if app.views.current == View::Activity {
        fx.push(Effect::ReadActivity);
    }
}
