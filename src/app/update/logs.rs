//! The logs view: following, scrolling, searching, saving.

use super::*;

pub(super) fn open_logs(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(c) = app.selected_container() else {
        return;
    };
    let (key, name) = (c.key.clone(), c.name.clone());
    let session = app.views.next_log_session;
    app.views.next_log_session += 1;
    app.views.logs = Some(LogsState {
        key: key.clone(),
        name,
        session,
        buffer: LogBuffer::new(app.options.log_buffer_lines),
        follow: true,
        timestamps: false,
        wrap: false,
        top: 0,
        hscroll: 0,
        query: String::new(),
        current_match: None,
        ended: None,
    });
    app.views.current = View::Logs;
    fx.push(Effect::FollowLogs {
        key,
        session,
        tail: LOG_TAIL.min(app.options.log_buffer_lines),
    });
}

pub(crate) fn on_action(
    app: &mut App,
    action: Action,
    _arg: Option<Arg>,
    _origin: Origin,
    fx: &mut Vec<Effect>,
) {
    let page = app.screen.viewport.body_rows.max(1) as u64;
    let Some(l) = app.views.logs.as_mut() else {
        return;
    };
    let first = l.buffer.dropped();
    let len = l.buffer.len() as u64;
    let last_top = first + len.saturating_sub(page);
    // Scrolling starts from where the view is, which is the tail while following.
    let top = if l.follow { last_top } else { l.top.max(first) };
    let scroll_to = |l: &mut LogsState, to: u64| {
        l.top = to.clamp(first, last_top.max(first));
        l.follow = l.top >= last_top;
    };
    match action {
        Action::Up => scroll_to(l, top.saturating_sub(1)),
        Action::Down => scroll_to(l, top + 1),
        Action::PageUp => scroll_to(l, top.saturating_sub(page)),
        Action::PageDown => scroll_to(l, top + page),
        Action::Top => scroll_to(l, first),
        Action::Bottom => scroll_to(l, last_top),
        Action::Left => l.hscroll = l.hscroll.saturating_sub(8),
        Action::Right => l.hscroll += 8,
        Action::ToggleFollow => {
            l.follow = !l.follow;
            l.top = top;
        }
        Action::ToggleTimestamps => l.timestamps = !l.timestamps,
        Action::ToggleWrap => {
            l.wrap = !l.wrap;
            l.hscroll = 0;
        }
        Action::Search => open_input(app, InputPurpose::Search),
        Action::NextMatch | Action::PrevMatch => {
            let forward = action == Action::NextMatch;
            jump_to_match(app, forward, false);
        }
        Action::SaveLogs => {
            let title = format!(
                "logs of {} ({} on {}), saved {}",
                l.name,
                crate::text::short_id(&l.key.id),
                l.key.endpoint,
                app.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            let text = l.buffer.to_file_text(&title);
            fx.push(Effect::SaveLogs {
                container_name: l.name.clone(),
                text,
            });
        }
        _ => {}
    }
}

/// Moves to the next (or previous) line containing the query, wrapping around.
pub(super) fn jump_to_match(app: &mut App, forward: bool, from_edge: bool) {
    let page = app.screen.viewport.body_rows.max(1) as u64;
    let Some(l) = app.views.logs.as_mut() else {
        return;
    };
    let hits = l.buffer.find_all(&l.query);
    if hits.is_empty() {
        l.current_match = None;
        return;
    }
    let first = l.buffer.dropped();
    let hits: Vec<u64> = hits.into_iter().map(|i| first + i as u64).collect();
    let at = match (from_edge, l.current_match) {
        (false, Some(m)) => Some(m),
        _ => None,
    };
    let next = pick(&hits, at, forward);
    l.current_match = Some(next);
    l.follow = false;
    let len = l.buffer.len() as u64;
    let last_top = first + len.saturating_sub(page);
    l.top = next
        .saturating_sub(page / 2)
        .clamp(first, last_top.max(first));
}

/// The match after (or before) `at`, wrapping around; the first (or last) without one.
pub(super) fn pick(hits: &[u64], at: Option<u64>, forward: bool) -> u64 {
    match (at, forward) {
        (None, true) => hits[0],
        (None, false) => *hits.last().expect("non-empty"),
        (Some(a), true) => *hits.iter().find(|&&h| h > a).unwrap_or(&hits[0]),
        (Some(a), false) => *hits
            .iter()
            .rev()
            .find(|&&h| h < a)
            .unwrap_or_else(|| hits.last().expect("non-empty")),
    }
}
