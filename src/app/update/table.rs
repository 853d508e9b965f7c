//! The container table: rows and selection, movement, marks, and the actions on containers.

use super::*;

/// Rebuilds the derived rows and puts the cursor back on the same container.
pub fn rebuild_rows(app: &mut App) {
    let rows = build_rows(&RowInputs {
        inventory: &app.inventory,
        filter: &app.table.filter,
        sort: app.table.sort,
        tree: app.table.tree,
        collapsed: &app.table.collapsed,
        multi_endpoint: app.multi_endpoint(),
        now: app.now,
        usage: &app.usage,
    });
    app.table.widest = crate::app::rows::Widest::of(&rows, &app.inventory);
    app.table.rows = rows;
    let found = app
        .table
        .selected
        .as_ref()
        .and_then(|sel| app.table.rows.iter().position(|r| row_is(app, r, sel)));
    let cursor = match found {
        Some(i) => i,
        None => app.table.cursor.min(app.table.rows.len().saturating_sub(1)),
    };
    select_index(app, cursor);
}

pub(super) fn row_is(app: &App, row: &Row, sel: &Selected) -> bool {
    match (row, sel) {
        (Row::Container { slot, .. }, Selected::Container(k)) => {
            app.inventory.get(*slot).is_some_and(|c| &c.key == k)
        }
        (Row::Group { id, .. }, Selected::Group(g)) => id == g,
        (
            Row::Task { endpoint, id, .. },
            Selected::Task {
                endpoint: e,
                id: want,
            },
        ) => endpoint == e && id == want,
        _ => false,
    }
}

/// The table, with the cursor on `key`; the filter is cleared if it hides the container.
pub(super) fn show_in_table(app: &mut App, key: ContainerKey) {
    app.views.current = View::Table;
    if !app
        .inventory
        .by_key(&key)
        .is_some_and(|c| app.table.filter.matches(c))
    {
        set_filter(app, "");
    }
    app.table.selected = Some(Selected::Container(key));
    rebuild_rows(app);
}

pub(super) fn select_index(app: &mut App, index: usize) {
    let t = &mut app.table;
    if t.rows.is_empty() {
        t.cursor = 0;
        t.selected = None;
        t.offset = 0;
        return;
    }
    let index = index.min(t.rows.len() - 1);
    t.cursor = index;
    t.selected = Some(match &t.rows[index] {
        Row::Container { slot, .. } => Selected::Container(
            app.inventory
                .get(*slot)
                .expect("rows refer to live slots")
                .key
                .clone(),
        ),
        Row::Group { id, .. } => Selected::Group(id.clone()),
        Row::Task { endpoint, id, .. } => Selected::Task {
            endpoint: endpoint.clone(),
            id: id.clone(),
        },
    });
    keep_cursor_visible(app);
}

pub fn keep_cursor_visible(app: &mut App) {
    let height = app.screen.viewport.table_rows.max(1) as usize;
    let t = &mut app.table;
    if t.cursor < t.offset {
        t.offset = t.cursor;
    } else if t.cursor >= t.offset + height {
        t.offset = t.cursor + 1 - height;
    }
    let max_offset = t.rows.len().saturating_sub(height);
    t.offset = t.offset.min(max_offset);
}

/// The containers an action applies to: the marked ones, else the selected container, else
/// every container of the selected group.
pub fn action_targets(app: &App) -> Vec<Subject> {
    let target = |k: &ContainerKey| {
        app.inventory.by_key(k).map(|c| Subject {
            key: c.key.clone(),
            name: c.name.clone(),
            running: matches!(c.state, RunState::Running | RunState::Restarting),
            state: c.state,
        })
    };
    if !app.table.marked.is_empty() {
        let mut t: Vec<Subject> = app.table.marked.iter().filter_map(target).collect();
        t.sort_by(|a, b| a.name.cmp(&b.name));
        return t;
    }
    match &app.table.selected {
        Some(Selected::Container(k)) => target(k).into_iter().collect(),
        Some(Selected::Group(_)) => group_members(app).iter().filter_map(target).collect(),
        Some(Selected::Task { .. }) | None => Vec::new(),
    }
}

pub(super) fn group_members(app: &App) -> Vec<ContainerKey> {
    let Some(Selected::Group(id)) = &app.table.selected else {
        return Vec::new();
    };
    let swarms = &app.inventory.swarms;
    let node_of = |id: &str| swarms.node_hostname(id).map(str::to_owned);
    // The containers Swarm keeps of replaced tasks are history: a verb on the service's line
    // (or a merged log) is about the tasks it runs now.
    let replaced: std::collections::HashSet<&str> = swarms
        .managers()
        .flat_map(|(_, s)| s.tasks.iter())
        .filter(|t| !t.is_current())
        .filter_map(|t| t.container_id.as_deref())
        .collect();
    let mut keys: Vec<(String, ContainerKey)> = app
        .inventory
        .iter()
        .filter(|(_, c)| id.contains(c))
        .filter(|(_, c)| app.table.filter.matches_in(c, &node_of))
        .filter(|(_, c)| !replaced.contains(c.key.id.as_str()))
        .map(|(_, c)| (c.name.clone(), c.key.clone()))
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

pub(super) fn move_cursor(app: &mut App, action: Action) -> bool {
    let page = app.screen.viewport.table_rows.max(1) as usize;
    let last = app.table.rows.len().saturating_sub(1);
    let c = app.table.cursor;
    let to = match action {
        Action::Up => c.saturating_sub(1),
        Action::Down => (c + 1).min(last),
        Action::PageUp => c.saturating_sub(page),
        Action::PageDown => (c + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return false,
    };
    select_index(app, to);
    true
}

pub(crate) fn on_action(
    app: &mut App,
    action: Action,
    arg: Option<Arg>,
    origin: Origin,
    fx: &mut Vec<Effect>,
) {
    if move_cursor(app, action) {
        return;
    }
    match action {
        Action::Filter => open_input(app, InputPurpose::Filter),
        Action::ClearFilter => set_filter(app, ""),
        Action::SortNext | Action::SortPrev => {
            app.table.sort.column = app.table.sort.column.step(action == Action::SortNext);
            if app.table.sort.column == SortColumn::Endpoint && !app.multi_endpoint() {
                app.table.sort.column = app.table.sort.column.step(action == Action::SortNext);
            }
            rebuild_rows(app);
        }
        Action::SortReverse => {
            app.table.sort.descending = !app.table.sort.descending;
            rebuild_rows(app);
        }
        // A direct key: the column, biggest first for measurements; again, the other way.
        Action::SortBy => {
            if let Some(Arg::Column(column)) = arg {
                app.table.sort = if app.table.sort.column == column {
                    Sort {
                        column,
                        descending: !app.table.sort.descending,
                    }
                } else {
                    Sort {
                        column,
                        descending: column.follows_usage() || column == SortColumn::Restarts,
                    }
                };
                rebuild_rows(app);
            }
        }
        // `detail_scroll +3`: the detail pane's text, opened if it was not; the pane keeps
        // the offset within what it has to show.
        Action::DetailScroll => {
            let Some(key) = app.selected_container().map(|c| c.key.clone()) else {
                return;
            };
            if !app.views.show_detail {
                app.views.show_detail = true;
                keep_cursor_visible(app);
                refresh_detail(app, fx);
            }
            let now = app.views.detail_scroll_of(&key) as i64;
            let to = match arg {
                Some(Arg::By(d)) => now + d,
                Some(Arg::To(n)) => n,
                _ => now + 1,
            };
            app.views.detail_scroll = Some((key, to.clamp(0, u16::MAX as i64) as u16));
        }
        Action::ToggleDetail => {
            app.views.show_detail = !app.views.show_detail;
            keep_cursor_visible(app);
            refresh_detail(app, fx);
        }
        Action::ToggleTree => {
            app.table.tree = !app.table.tree;
            rebuild_rows(app);
        }
        Action::ToggleCollapse => {
            if let Some(Selected::Group(id)) = app.table.selected.clone() {
                if !app.table.collapsed.remove(&id) {
                    app.table.collapsed.insert(id);
                }
                rebuild_rows(app);
            }
        }
        Action::Mark => {
            match app.table.selected.clone() {
                Some(Selected::Container(k)) if !app.table.marked.remove(&k) => {
                    app.table.marked.insert(k);
                }
                Some(Selected::Container(_)) => {}
                Some(Selected::Group(_)) => {
                    let members = group_members(app);
                    let all_marked = members.iter().all(|k| app.table.marked.contains(k));
                    for k in members {
                        if all_marked {
                            app.table.marked.remove(&k);
                        } else {
                            app.table.marked.insert(k);
                        }
                    }
                }
                Some(Selected::Task { .. }) | None => {}
            }
            move_cursor(app, Action::Down);
        }
        Action::MarkAll => {
            let keys: Vec<ContainerKey> = app
                .table
                .rows
                .iter()
                .filter_map(|r| match r {
                    Row::Container { slot, .. } => app.inventory.get(*slot).map(|c| c.key.clone()),
                    Row::Group { .. } | Row::Task { .. } => None,
                })
                .collect();
            app.table.marked.extend(keys);
        }
        Action::ClearMarks => app.table.marked.clear(),
        Action::Logs => open_logs(app, fx),
        Action::Inspect => open_inspect(app, fx),
        a if a.is_mutation() => ask_to_mutate(app, a, origin, fx),
        Action::Shell => ask_for_shell(app, origin, fx),
        Action::CopyId | Action::CopyName => {
            let Some(c) = app.selected_container() else {
                return;
            };
            let (what, text) = match action {
                Action::CopyId => ("id", c.key.id.clone()),
                _ => ("name", c.name.clone()),
            };
            copy(app, what, text, fx);
        }
        Action::Scale
        | Action::Limits
        | Action::Rollout
        | Action::RestartUnhealthy
        | Action::Rollback => on_service_action(app, action, arg, origin, fx),
        _ => {}
    }
}

/// `x`: a shell in the selected container, confirmed like any change (read-only refuses it).
pub(super) fn ask_for_shell(app: &mut App, origin: Origin, fx: &mut Vec<Effect>) {
    let Some(c) = app.selected_container() else {
        return;
    };
    if c.state != RunState::Running {
        let text = format!(
            "{} is {}: a shell needs it running",
            c.name,
            c.state.as_str()
        );
        return toast(app, ToastLevel::Error, text);
    }
    let step = crate::ops::Step::new(
        crate::ops::Target::container(&c.key, &c.name),
        crate::ops::Operation::Exec {
            command: crate::shell::default_command(),
        },
    );
    let title = format!("open a shell in {}", c.name);
    let plan = crate::ops::Plan {
        id: app.next_plan_id(),
        title,
        origin,
        steps: vec![step],
        on_failure: crate::ops::OnFailure::Stop,
        scope: crate::ops::Scope::Containers,
    };
    if app.options.read_only {
        return refuse_read_only(app, plan, fx);
    }
    let notes = vec![
        "The console steps aside until the shell ends (exit or Ctrl-D); the session is audited."
            .to_owned(),
    ];
    app.screen.overlay = Some(Overlay::Confirm(ConfirmDialog::prepared(plan, notes)));
}

pub(super) fn ask_to_mutate(app: &mut App, action: Action, origin: Origin, fx: &mut Vec<Effect>) {
    let subjects = action_targets(app);
    if subjects.is_empty() {
        return;
    }
    let verb = match action {
        Action::Start => ContainerVerb::Start,
        Action::Stop => ContainerVerb::Stop,
        Action::Restart => ContainerVerb::Restart,
        Action::Pause => ContainerVerb::Pause,
        Action::Unpause => ContainerVerb::Unpause,
        Action::Kill => ContainerVerb::Kill,
        Action::Remove => ContainerVerb::Remove,
        _ => return,
    };
    let request = Request::containers(verb, subjects, origin);
    let id = app.next_plan_id();
    if app.options.read_only {
        return refuse_read_only(app, request.plan(id), fx);
    }
    app.screen.overlay = Some(Overlay::Confirm(ConfirmDialog::new(request, id)));
}

/// The containers on screen now: the table's visible window, and the detail pane's.
pub(super) fn visible_keys(app: &App) -> std::collections::HashSet<&ContainerKey> {
    let t = &app.table;
    let height = app.screen.viewport.table_rows.max(1) as usize;
    let mut keys: std::collections::HashSet<&ContainerKey> = t
        .rows
        .iter()
        .skip(t.offset)
        .take(height)
        .filter_map(|r| match r {
            Row::Container { slot, .. } => app.inventory.get(*slot).map(|c| &c.key),
            Row::Group { .. } | Row::Task { .. } => None,
        })
        .collect();
    if app.views.show_detail {
        keys.extend(app.selected_container().map(|c| &c.key));
    }
    keys
}

/// Copies through the terminal, and says what was copied (the terminal may not allow it:
/// tmux needs `set-clipboard on`).
pub(super) fn copy(app: &mut App, what: &str, text: String, fx: &mut Vec<Effect>) {
    let shown = crate::ui::text::fit_middle(&text, 40);
    toast(
        app,
        ToastLevel::Info,
        format!("copied the {what}: {shown} (through the terminal, OSC 52)"),
    );
    fx.push(Effect::Copy { text });
}
