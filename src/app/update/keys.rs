//! Keys: which keymap section is active, multi-key bindings, and editing a text input.

use super::*;

/// Which keymap section is active, from the innermost thing on screen outwards.
pub fn key_context(app: &App) -> KeyContext {
    if app.screen.input.is_some() || matches!(app.screen.overlay, Some(Overlay::Form(_))) {
        return KeyContext::Input;
    }
    match &app.screen.overlay {
        Some(Overlay::Confirm(_) | Overlay::StopPlan { .. }) => return KeyContext::Confirm,
        Some(Overlay::Help { .. }) => return KeyContext::Help,
        Some(Overlay::Endpoints { .. }) => return KeyContext::Endpoints,
        Some(Overlay::Form(_)) | None => {}
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
        let in_form = matches!(app.screen.overlay, Some(Overlay::Form(_)));
        if let Lookup::Action(a) = app.keymap.lookup(ctx, &[press]) {
            // In a form the arrows (never typed as text) also move between fields.
            let form_move = in_form && matches!(a.action, Action::Up | Action::Down);
            if form_move
                || matches!(
                    a.action,
                    Action::InputAccept
                        | Action::InputCancel
                        | Action::InputComplete
                        | Action::Quit
                )
            {
                return on_action(app, a, Origin::Keystroke, fx);
            }
        }
        if in_form && key.code == KeyCode::BackTab {
            if let Some(Overlay::Form(form)) = app.screen.overlay.as_mut() {
                form.next_field(false);
            }
            return;
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
    if let Some(Overlay::Form(form)) = app.screen.overlay.as_mut() {
        let field = &mut form.fields[form.focus];
        if edit_text(&mut field.text, &mut field.cursor, key) {
            form.error = None;
        }
        return;
    }
    let Some(input) = app.screen.input.as_mut() else {
        return;
    };
    if edit_text(&mut input.text, &mut input.cursor, key) {
        input_changed(app);
    }
}

/// Edits a line of text at `cursor` (in chars) as a key asks; false when the key is not an
/// edit.
pub(super) fn edit_text(text: &mut String, cursor: &mut usize, key: KeyEvent) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('u') if ctrl => {
            text.clear();
            *cursor = 0;
        }
        KeyCode::Char('w') if ctrl => {
            let mut start = *cursor;
            while start > 0 && chars[start - 1] == ' ' {
                start -= 1;
            }
            while start > 0 && chars[start - 1] != ' ' {
                start -= 1;
            }
            *text = chars[..start].iter().chain(&chars[*cursor..]).collect();
            *cursor = start;
        }
        KeyCode::Char(c) if !ctrl => {
            let mut v = chars;
            v.insert(*cursor, c);
            *text = v.into_iter().collect();
            *cursor += 1;
        }
        KeyCode::Backspace if *cursor > 0 => {
            let mut v = chars;
            v.remove(*cursor - 1);
            *text = v.into_iter().collect();
            *cursor -= 1;
        }
        KeyCode::Delete if *cursor < chars.len() => {
            let mut v = chars;
            v.remove(*cursor);
            *text = v.into_iter().collect();
        }
        KeyCode::Left => *cursor = cursor.saturating_sub(1),
        KeyCode::Right => *cursor = (*cursor + 1).min(chars.len()),
        KeyCode::Home => *cursor = 0,
        KeyCode::End => *cursor = chars.len(),
        _ => return false,
    }
    true
}
