//! Keys: which keymap section is active, multi-key bindings, and editing a text input.

use super::*;

/// Which keymap section is active, from the innermost thing on screen outwards.
pub fn key_context(app: &App) -> KeyContext {
    if app.screen.input.is_some() {
        return KeyContext::Input;
    }
    match &app.screen.overlay {
        Some(Overlay::Confirm(_)) => return KeyContext::Confirm,
        Some(Overlay::Help { .. }) => return KeyContext::Help,
        Some(Overlay::Endpoints { .. }) => return KeyContext::Endpoints,
        None => {}
    }
    app.views.current.key_context()
}

pub(super) fn on_key(app: &mut App, key: KeyEvent, fx: &mut Vec<Effect>) {
    if key.kind == KeyEventKind::Release {
        return;
    }
    let ctx = key_context(app);
    let press = KeyPress::from_event(&key);
    if ctx == KeyContext::Input {
        // While typing, only the input's own actions (and quit) are keys; everything else,
        // Ctrl-U and Ctrl-W included, edits the text.
        if let Lookup::Action(a) = app.keymap.lookup(ctx, &[press]) {
            if matches!(
                a.action,
                Action::InputAccept | Action::InputCancel | Action::InputComplete | Action::Quit
            ) {
                return on_action(app, a, Origin::Keystroke, fx);
            }
        }
        edit_input(app, key);
        return;
    }
    app.screen.pending_keys.push(press);
    match app.keymap.lookup(ctx, &app.screen.pending_keys) {
        Lookup::Action(a) => {
            app.screen.pending_keys.clear();
            on_action(app, a, Origin::Keystroke, fx);
        }
        Lookup::Prefix => {}
        Lookup::Unbound => {
            // A failed sequence: try the last key on its own (`g` then `j` still moves down).
            let retry = app.screen.pending_keys.len() > 1;
            app.screen.pending_keys.clear();
            if retry {
                if let Lookup::Action(a) = app.keymap.lookup(ctx, &[press]) {
                    on_action(app, a, Origin::Keystroke, fx);
                }
            }
        }
    }
}

pub(super) fn edit_input(app: &mut App, key: KeyEvent) {
    let Some(input) = app.screen.input.as_mut() else {
        return;
    };
    let chars: Vec<char> = input.text.chars().collect();
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('u') if ctrl => {
            input.text.clear();
            input.cursor = 0;
        }
        KeyCode::Char('w') if ctrl => {
            let mut start = input.cursor;
            while start > 0 && chars[start - 1] == ' ' {
                start -= 1;
            }
            while start > 0 && chars[start - 1] != ' ' {
                start -= 1;
            }
            input.text = chars[..start]
                .iter()
                .chain(&chars[input.cursor..])
                .collect();
            input.cursor = start;
        }
        KeyCode::Char(c) if !ctrl => {
            let mut v = chars;
            v.insert(input.cursor, c);
            input.text = v.into_iter().collect();
            input.cursor += 1;
        }
        KeyCode::Backspace if input.cursor > 0 => {
            let mut v = chars;
            v.remove(input.cursor - 1);
            input.text = v.into_iter().collect();
            input.cursor -= 1;
        }
        KeyCode::Delete if input.cursor < chars.len() => {
            let mut v = chars;
            v.remove(input.cursor);
            input.text = v.into_iter().collect();
        }
        KeyCode::Left => input.cursor = input.cursor.saturating_sub(1),
        KeyCode::Right => input.cursor = (input.cursor + 1).min(chars.len()),
        KeyCode::Home => input.cursor = 0,
        KeyCode::End => input.cursor = chars.len(),
        _ => return,
    }
    input_changed(app);
}
