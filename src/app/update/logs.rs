//! The logs view: following, scrolling, searching, saving.

use super::*;
use crate::app::logbuf::Stream;
use crate::app::model::GroupId;
use chrono::{DateTime, Utc};

/// Enter: the selected container's logs, or on a project or service row the merged logs of
/// its containers.
pub(super) fn open_logs(app: &mut App, fx: &mut Vec<Effect>) {
    let (title, endpoint, group, members): (String, String, Option<GroupId>, Vec<ContainerKey>) =
        match &app.table.selected {
            Some(Selected::Container(_)) => {
                let Some(c) = app.selected_container() else {
                    return;
                };
                (
                    c.name.clone(),
                    c.key.endpoint.clone(),
                    None,
                    vec![c.key.clone()],
                )
            }
            Some(Selected::Group(id)) => {
                let title = id.title();
                let (id, members) = (id.clone(), group_members(app));
                (title, id.endpoint().to_owned(), Some(id), members)
            }
            // A task with no container here has no logs to show.
            Some(Selected::Task { .. }) | None => return,
        };
    if members.is_empty() {
        return;
    }
    let capacity = app.options.log_buffer_lines;
    // Each member's backlog shares the buffer: the last lines of each, merged by time.
    let tail = (LOG_TAIL / members.len())
        .max(MERGED_TAIL_MIN)
        .min(capacity);
    let buffer = if group.is_some() {
        LogBuffer::merged(capacity)
    } else {
        LogBuffer::new(capacity)
    };
    app.views.logs = Some(LogsState {
        title,
        endpoint,
        group,
        sources: Vec::new(),
        buffer,
        follow: true,
        timestamps: false,
        wrap: false,
        top: 0,
        hscroll: 0,
        query: String::new(),
        current_match: None,
        only_matching: false,
        ended: None,
    });
    for key in members {
        add_source(app, key, tail, None, fx);
    }
    app.views.current = View::Logs;
}

/// `:tail N` / `:since 15m`: the logs view starts over from there, for every container it
/// follows.
pub(super) fn start_over(app: &mut App, from: crate::app::palette::LogsFrom, fx: &mut Vec<Effect>) {
    use crate::app::palette::LogsFrom;
    let now = app.now;
    let capacity = app.options.log_buffer_lines;
    let Some(logs) = app
        .views
        .logs
        .as_mut()
        .filter(|_| app.views.current == View::Logs)
    else {
        return toast(
            app,
            ToastLevel::Error,
            "tail and since apply to the logs view".into(),
        );
    };
    let keys: Vec<ContainerKey> = logs.sources.iter().map(|s| s.key.clone()).collect();
    for s in logs.sources.drain(..) {
        fx.push(Effect::StopLogs { session: s.session });
    }
    logs.buffer = if logs.is_merged() {
        LogBuffer::merged(capacity)
    } else {
        LogBuffer::new(capacity)
    };
    logs.follow = true;
    logs.current_match = None;
    logs.ended = None;
    let (tail, since, said) = match from {
        LogsFrom::Tail(n) => (n.min(capacity), None, format!("the last {n} lines")),
        LogsFrom::SinceSecs(s) => (
            LOG_TAIL,
            Some((now - chrono::Duration::seconds(s)).timestamp()),
            format!("since {}", crate::app::model::format_age(s)),
        ),
    };
    let per_source = (tail / keys.len().max(1)).max(1);
    for key in keys {
        add_source(app, key, per_source, since, fx);
    }
    toast(app, ToastLevel::Info, format!("logs from {said}"));
}

/// Fewest lines of backlog each member of merged logs gets.
const MERGED_TAIL_MIN: usize = 100;

/// Follows one more container in the logs view, from `since` or its last `tail` lines.
fn add_source(
    app: &mut App,
    key: ContainerKey,
    tail: usize,
    since: Option<i64>,
    fx: &mut Vec<Effect>,
) {
    let Some(c) = app.inventory.by_key(&key) else {
        return;
    };
    let (name, run_started) = (c.name.clone(), c.started_at);
    let session = app.views.next_log_session;
    app.views.next_log_session += 1;
    let Some(logs) = app.views.logs.as_mut() else {
        return;
    };
    logs.sources.push(LogSource {
        key: key.clone(),
        name,
        session,
        run_started,
        awaiting_start: false,
    });
    fx.push(Effect::FollowLogs {
        key,
        session,
        tail,
        since,
    });
}

/// A chunk of one source's stream.
pub(super) fn on_log_chunk(app: &mut App, session: u64, stream: Stream, bytes: &[u8]) {
    if let Some(logs) = app.views.logs.as_mut() {
        if let Some(source) = logs.source_of(session) {
            logs.buffer
                .push_chunk_from(source as u16, stream, bytes, true);
        }
    }
}

/// A followed stream ended. An error ends that source's following; a container that stopped
/// is followed again when it starts (at once if it already has: a restart's stop and start
/// may both arrive before the stream's end).
pub(super) fn on_log_ended(
    app: &mut App,
    session: u64,
    error: Option<String>,
    fx: &mut Vec<Effect>,
) {
    let Some(logs) = app.views.logs.as_mut() else {
        return;
    };
    let Some(at) = logs.source_of(session) else {
        return;
    };
    let merged = logs.is_merged();
    let name = logs.sources[at].name.clone();
    let gone = app.inventory.by_key(&logs.sources[at].key).is_none();
    match (error, gone) {
        (Some(e), _) => {
            logs.ended = Some(if merged { format!("{name}: {e}") } else { e });
        }
        (None, true) => {
            if merged {
                logs.buffer.note(at as u16, format!("── {name} is gone ──"));
            } else {
                logs.ended = Some("log stream ended: the container is gone".into());
            }
        }
        (None, false) => {
            logs.sources[at].awaiting_start = true;
            logs.buffer.note(at as u16, "── stopped ──".into());
            if !merged {
                logs.ended = Some("stopped: following again when it starts".into());
            }
        }
    }
    follow_restart(app, fx);
}

/// Keeps the logs view on its containers: one that runs again (a new start time) is
/// reattached after the last line seen, with a line saying it restarted; in merged logs, a
/// member that appears (a new replica) is followed too.
pub(super) fn follow_restart(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(logs) = app.views.logs.as_ref() else {
        return;
    };
    let restarted: Vec<(usize, Option<DateTime<Utc>>)> = logs
        .sources
        .iter()
        .enumerate()
        .filter(|(_, s)| s.awaiting_start)
        .filter_map(|(i, s)| {
            let c = app.inventory.by_key(&s.key)?;
            (c.state == RunState::Running && c.started_at != s.run_started)
                .then_some((i, c.started_at))
        })
        .collect();
    let joined: Vec<ContainerKey> = match &logs.group {
        Some(group) => app
            .inventory
            .iter()
            .filter(|(_, c)| group.contains(c) && c.state == RunState::Running)
            .filter(|(_, c)| !logs.sources.iter().any(|s| s.key == c.key))
            .map(|(_, c)| c.key.clone())
            .collect(),
        None => Vec::new(),
    };
    for (at, started) in restarted {
        let session = app.views.next_log_session;
        app.views.next_log_session += 1;
        let now = app.now;
        let Some(logs) = app.views.logs.as_mut() else {
            return;
        };
        let source = at as u16;
        let last = logs.buffer.last_timestamp(source).map(str::to_owned);
        // The engine takes whole seconds; the lines of that second already here are skipped.
        let since = last
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp());
        let when = started.unwrap_or(now).format("%H:%M:%S");
        logs.buffer
            .note(source, format!("── restarted at {when} UTC ──"));
        logs.buffer.skip_through(source, last);
        let s = &mut logs.sources[at];
        s.session = session;
        s.run_started = started;
        s.awaiting_start = false;
        if !logs.is_merged() {
            logs.ended = None;
        }
        fx.push(Effect::FollowLogs {
            key: logs.sources[at].key.clone(),
            session,
            tail: LOG_TAIL,
            since,
        });
    }
    for key in joined {
        add_source(app, key, MERGED_TAIL_MIN, None, fx);
        if let Some(logs) = app.views.logs.as_mut() {
            let at = logs.sources.len() - 1;
            let name = logs.sources[at].name.clone();
            logs.buffer.note(at as u16, format!("── {name} joined ──"));
        }
    }
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
    if l.filtering() && scroll_matching(l, action, page as usize) {
        return;
    }
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
        Action::ToggleOnlyMatching => {
            l.only_matching = !l.only_matching;
            l.follow = true;
            if l.only_matching && l.query.is_empty() {
                open_input(app, InputPurpose::Search);
            }
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
            let ids: Vec<String> = l
                .sources
                .iter()
                .map(|s| crate::text::short_id(&s.key.id).to_owned())
                .collect();
            let title = format!(
                "logs of {} ({} on {}), saved {}",
                l.title,
                ids.join(", "),
                l.endpoint,
                app.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            let names: Vec<&str> = l.sources.iter().map(|s| s.name.as_str()).collect();
            let text = l
                .buffer
                .to_file_text(&title, l.is_merged().then_some(&names[..]));
            fx.push(Effect::SaveLogs {
                container_name: l.title.replace('/', "-"),
                text,
            });
        }
        _ => {}
    }
}

/// Scrolling while only matching lines show: by matching lines, not by the lines hidden
/// between them. False for an action that is not a scroll.
fn scroll_matching(l: &mut LogsState, action: Action, page: usize) -> bool {
    let first = l.buffer.dropped();
    let hits: Vec<u64> = l
        .buffer
        .find_all(&l.query)
        .into_iter()
        .map(|i| first + i as u64)
        .collect();
    let last_top = hits.len().saturating_sub(page);
    let top = match l.follow {
        true => last_top,
        false => hits.iter().position(|&h| h >= l.top).unwrap_or(last_top),
    };
    let to = match action {
        Action::Up => top.saturating_sub(1),
        Action::Down => top + 1,
        Action::PageUp => top.saturating_sub(page),
        Action::PageDown => top + page,
        Action::Top => 0,
        Action::Bottom => last_top,
        _ => return false,
    }
    .min(last_top);
    l.follow = to >= last_top;
    l.top = hits.get(to).copied().unwrap_or(first);
    true
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
