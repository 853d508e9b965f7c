//! Text inputs: the filter, searches and the command palette, applied as the operator types.

use super::*;

/// Filter and search apply as the operator types.
pub(super) fn input_changed(app: &mut App) {
    let Some(input) = &app.screen.input else {
        return;
    };
    let text = input.text.clone();
    match input.purpose {
        InputPurpose::Filter => set_filter(app, &text),
        InputPurpose::Search => set_search(app, &text, true),
        InputPurpose::Palette => {}
    }
}

pub(super) fn set_filter(app: &mut App, text: &str) {
    if app.views.current == View::Events {
        app.views.events.filter_text = text.to_owned();
        app.views.events.filter = crate::app::events::EventFilter::parse(text);
        app.views.events.cursor = None;
        return;
    }
    app.table.filter_text = text.to_owned();
    app.table.filter = Filter::parse(text);
    rebuild_rows(app);
}

pub(super) fn open_input(app: &mut App, purpose: InputPurpose) {
    let previous = match purpose {
        InputPurpose::Filter if app.views.current == View::Events => {
            app.views.events.filter_text.clone()
        }
        InputPurpose::Filter => app.table.filter_text.clone(),
        InputPurpose::Search => match app.views.current {
            View::Logs => app
                .views
                .logs
                .as_ref()
                .map(|l| l.query.clone())
                .unwrap_or_default(),
            View::Inspect => app
                .views
                .inspect
                .as_ref()
                .map(|i| i.query.clone())
                .unwrap_or_default(),
            View::Table
            | View::Events
            | View::Activity
            | View::Resources
            | View::Topology
            | View::Canary
            | View::Agent => String::new(),
        },
        InputPurpose::Palette => String::new(),
    };
    let text = previous.clone();
    app.screen.input = Some(TextInput {
        purpose,
        cursor: text.chars().count(),
        text,
        previous,
    });
}

pub(super) fn accept_input(app: &mut App, fx: &mut Vec<Effect>) {
    let Some(input) = app.screen.input.take() else {
        return;
    };
    match input.purpose {
        InputPurpose::Filter => {
            set_filter(app, &input.text);
            say_what_matched(app, &input.text);
        }
        InputPurpose::Search => {
            set_search(app, &input.text, true);
            say_search_misses(app, &input.text);
        }
        InputPurpose::Palette => run_palette(app, &input.text, fx),
    }
}

/// A filter that was not understood, or matches nothing, says so: a typo must not read as
/// "no such containers".
fn say_what_matched(app: &mut App, text: &str) {
    if app.views.current != View::Table || text.trim().is_empty() {
        return;
    }
    let problems = Filter::problems(text);
    // Counted over the inventory: in tree mode a folded group shows no container rows.
    let shown = app
        .inventory
        .iter()
        .filter(|(_, c)| app.table.filter.matches(c))
        .count();
    if !problems.is_empty() {
        toast(app, ToastLevel::Error, problems.join("; "));
    } else if shown == 0 {
        let total = app.inventory.len();
        toast(
            app,
            ToastLevel::Info,
            format!("no container of {total} matches \"{text}\""),
        );
    }
}

/// A search that finds nothing says so.
fn say_search_misses(app: &mut App, query: &str) {
    if query.is_empty() {
        return;
    }
    let misses = match app.views.current {
        View::Logs => app
            .views
            .logs
            .as_ref()
            .is_some_and(|l| l.buffer.find_all(query).is_empty()),
        View::Inspect => app.views.inspect.as_ref().is_some_and(|i| {
            !i.lines
                .iter()
                .any(|l| crate::text::contains_ignore_case(l, query))
        }),
        View::Table
        | View::Events
        | View::Activity
        | View::Resources
        | View::Topology
        | View::Canary
        | View::Agent => false,
    };
    if misses {
        toast(
            app,
            ToastLevel::Info,
            format!("no line matches \"{query}\""),
        );
    }
}

pub(super) fn cancel_input(app: &mut App) {
    let Some(input) = app.screen.input.take() else {
        return;
    };
    match input.purpose {
        InputPurpose::Filter => set_filter(app, &input.previous),
        InputPurpose::Search => {
            set_search(app, &input.previous, false);
            // `&` asked for a search that never came: nothing to show only matches of.
            if let Some(l) = app.views.logs.as_mut().filter(|l| l.query.is_empty()) {
                l.only_matching = false;
            }
        }
        InputPurpose::Palette => {}
    }
}

pub(super) fn run_palette(app: &mut App, line: &str, fx: &mut Vec<Effect>) {
    match palette::parse(line) {
        Ok(palette::Command::Action(a)) => on_action(app, a, Origin::Palette, fx),
        Ok(palette::Command::Theme(name)) => match crate::config::theme::Theme::preset(&name) {
            Ok(t) => {
                app.theme = t.degraded(app.options.color_depth);
                toast(app, ToastLevel::Info, format!("theme: {name}"));
            }
            Err(e) => toast(app, ToastLevel::Error, e.to_string()),
        },
        Ok(palette::Command::Sort(col, descending)) => {
            app.table.sort.column = col;
            if let Some(d) = descending {
                app.table.sort.descending = d;
            }
            rebuild_rows(app);
        }
        Ok(palette::Command::Filter(text)) => set_filter(app, &text),
        Ok(palette::Command::LogsFrom(from)) => logs::start_over(app, from, fx),
        Ok(palette::Command::Nothing) => {}
        Err(e) => toast(app, ToastLevel::Error, e),
    }
}

pub(super) fn set_search(app: &mut App, query: &str, jump: bool) {
    match app.views.current {
        View::Logs => {
            if let Some(l) = app.views.logs.as_mut() {
                l.query = query.to_owned();
                l.current_match = None;
            }
            if jump && !query.is_empty() {
                // Search backwards from the bottom: the newest match is the likely target.
                logs::jump_to_match(app, false, true);
            }
        }
        View::Inspect => {
            if let Some(i) = app.views.inspect.as_mut() {
                i.query = query.to_owned();
                i.current_match = None;
            }
            if jump && !query.is_empty() {
                inspect::jump_to_match(app, true, true);
            }
        }
        View::Table
        | View::Events
        | View::Activity
        | View::Resources
        | View::Topology
        | View::Canary
        | View::Agent => {}
    }
}
