//! The inspect view: the document, its secrets, scrolling and search.

use super::*;

pub(super) fn open_inspect(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(c) = app.selected_container() else {
        return;
    };
    let key = c.key.clone();
    app.views.inspect = Some(InspectState {
        key: key.clone(),
        name: c.name.clone(),
        doc: None,
        error: None,
        lines: Vec::new(),
        masked: 0,
        revealed: false,
        scroll: 0,
        query: String::new(),
        current_match: None,
    });
    app.views.current = View::Inspect;
    fx.push(Effect::Inspect { key });
}

pub(super) fn refresh_inspect_lines(ins: &mut InspectState) {
    if let Some(doc) = &ins.doc {
        let (lines, masked) = inspect_doc::render_lines(doc, ins.revealed);
        ins.lines = lines;
        ins.masked = masked;
    }
}

pub(crate) fn on_action(
    app: &mut App,
    action: Action,
    _arg: Option<Arg>,
    _origin: Origin,
    _fx: &mut Vec<Effect>,
) {
    let page = app.screen.viewport.body_rows.max(1) as usize;
    let Some(i) = app.views.inspect.as_mut() else {
        return;
    };
    let max = i.lines.len().saturating_sub(page);
    match action {
        Action::Up => i.scroll = i.scroll.saturating_sub(1),
        Action::Down => i.scroll = (i.scroll + 1).min(max),
        Action::PageUp => i.scroll = i.scroll.saturating_sub(page),
        Action::PageDown => i.scroll = (i.scroll + page).min(max),
        Action::Top => i.scroll = 0,
        Action::Bottom => i.scroll = max,
        Action::RevealSecrets => {
            i.revealed = !i.revealed;
            refresh_inspect_lines(i);
        }
        Action::Search => open_input(app, InputPurpose::Search),
        Action::NextMatch | Action::PrevMatch => {
            jump_to_match(app, action == Action::NextMatch, false)
        }
        // The value on the current match's line, or on the top line.
        Action::CopyValue => {
            let at = i.current_match.unwrap_or(i.scroll);
            if let Some(line) = i.lines.get(at) {
                let value = line_value(line);
                copy(app, "value", value, _fx);
            }
        }
        _ => {}
    }
}

/// The value a line of pretty JSON holds: `"IPAddress": "172.17.0.2",` → `172.17.0.2`.
pub(crate) fn line_value(line: &str) -> String {
    let line = line.trim().trim_end_matches(',');
    let value = match line.split_once("\": ") {
        Some((key, value)) if key.starts_with('"') => value,
        _ => line,
    };
    let value = value.trim();
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => value.to_owned(),
    }
}

/// Moves to the next (or previous) line containing the query, wrapping around.
pub(super) fn jump_to_match(app: &mut App, forward: bool, from_edge: bool) {
    let page = app.screen.viewport.body_rows.max(1) as usize;
    let Some(i) = app.views.inspect.as_mut() else {
        return;
    };
    if i.query.is_empty() {
        return;
    }
    let hits: Vec<u64> = i
        .lines
        .iter()
        .enumerate()
        .filter(|(_, l)| crate::text::contains_ignore_case(l, &i.query))
        .map(|(n, _)| n as u64)
        .collect();
    if hits.is_empty() {
        i.current_match = None;
        return;
    }
    let at = if from_edge {
        None
    } else {
        i.current_match.map(|m| m as u64)
    };
    let next = logs::pick(&hits, at, forward) as usize;
    i.current_match = Some(next);
    i.scroll = next.saturating_sub(page / 2);
}
