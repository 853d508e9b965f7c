//! The logs view: following, scrolling, searching, saving.

use super::*;

pub(super) fn open_logs(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(c) = app.selected_container() else {
        return;
    };
    let (key, name, run_started) = (c.key.clone(), c.name.clone(), c.started_at);
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
        run_started,
        awaiting_start: false,
    });
    app.views.current = View::Logs;
    fx.push(Effect::FollowLogs {
        key,
        session,
        tail: LOG_TAIL.min(app.options.log_buffer_lines),
        since: None,
    });
}

/// The followed stream ended. An error ends the view's following; a container that stopped
/// is followed again when it starts (at once if it already has: a restart's stop and start
/// may both arrive before the stream's end).
pub(super) fn on_log_ended(
    app: &mut App,
    session: u64,
    error: Option<String>,
    fx: &mut Vec<Effect>,
) {
    let Some(logs) = app.views.logs.as_mut().filter(|l| l.session == session) else {
        return;
    };
    if let Some(e) = error {
        logs.ended = Some(e);
        return;
    }
    if app.inventory.by_key(&logs.key).is_none() {
        logs.ended = Some("log stream ended: the container is gone".into());
        return;
    }
    logs.awaiting_start = true;
    logs.buffer.note("── stopped ──".into());
    logs.ended = Some("stopped: following again when it starts".into());
    follow_restart(app, fx);
}

/// Reattaches the logs view to its container once it runs again (a new start time), resuming
/// after the last line seen, with a line saying it restarted.
pub(super) fn follow_restart(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(logs) = app.views.logs.as_ref().filter(|l| l.awaiting_start) else {
        return;
    };
    let Some(c) = app.inventory.by_key(&logs.key) else {
        return;
    };
    let restarted = c.state == RunState::Running && c.started_at != logs.run_started;
    if !restarted {
        return;
    }
    let started = c.started_at;
    let session = app.views.next_log_session;
    app.views.next_log_session += 1;
    let now = app.now;
    let Some(logs) = app.views.logs.as_mut() else {
        return;
    };
    let last = logs.buffer.last_timestamp().map(str::to_owned);
    // The engine takes whole seconds; the lines of that second already here are skipped.
    let since = last
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp());
    let at = started.unwrap_or(now).format("%H:%M:%S");
    logs.buffer.note(format!("── restarted at {at} UTC ──"));
    logs.buffer.skip_through(last);
    logs.session = session;
    logs.run_started = started;
    logs.awaiting_start = false;
    logs.ended = None;
    fx.push(Effect::FollowLogs {
        key: logs.key.clone(),
        session,
        tail: LOG_TAIL,
        since,
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
