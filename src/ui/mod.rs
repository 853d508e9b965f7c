//! Views: pure functions of `App` drawing into a ratatui frame. One file per view.

pub mod activity;
pub mod agent;
pub mod canary;
pub mod detail;
pub mod dialog;
pub mod endpoints;
pub mod events;
pub mod footer;
pub mod form;
pub mod header;
pub mod help;
pub mod inspect;
pub mod layout;
pub mod logs;
pub mod plans;
pub mod resources;
pub mod svg;
pub mod swarm_detail;
pub mod table;
pub mod text;
pub mod toast;
pub mod topology;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::state::{App, Overlay, View};
use crate::config::theme::Slot;

/// Draws the whole screen. `with_log_panel` is false where the process-wide logger must not
/// appear (snapshots, screenshots).
pub fn render(frame: &mut Frame, app: &App) {
    render_with(frame, app, true)
}

pub fn render_with(frame: &mut Frame, app: &App, with_log_panel: bool) {
    let area = frame.area();
    if layout::too_small(area) {
        render_too_small(frame, app, area);
        return;
    }
    let a = layout::areas(area, app);
    header::render(frame, app, a.header);
    if let Some(notices) = a.notices {
        render_notices(frame, app, notices);
    }
    match app.views.current {
        View::Table => {
            let panes = layout::table_panes(a.body, app);
            table::render(frame, app, panes.table);
            if let Some(area) = panes.plans {
                plans::render(frame, app, area);
            }
            if let Some(area) = panes.detail {
                if !swarm_detail::render(frame, app, area) {
                    detail::render(frame, app, area);
                }
            }
        }
        View::Logs => logs::render(frame, app, a.body),
        View::Inspect => inspect::render(frame, app, a.body),
        View::Events => events::render(frame, app, a.body),
        View::Activity => activity::render(frame, app, a.body),
        View::Resources => resources::render(frame, app, a.body),
        View::Topology => topology::render(frame, app, a.body),
        View::Canary => canary::render(frame, app, a.body),
        View::Agent => agent::render(frame, app, a.body),
    }
    if let Some(panel) = a.log_panel {
        render_log_panel(frame, app, panel, with_log_panel);
    }
    footer::render(frame, app, a.footer);
    match &app.screen.overlay {
        Some(Overlay::Help { scroll }) => help::render(frame, app, a.body, *scroll),
        Some(Overlay::Endpoints { cursor }) => endpoints::render(frame, app, a.body, *cursor),
        Some(Overlay::Confirm(d)) => dialog::render(frame, app, area, d),
        Some(Overlay::Form(f)) => form::render(frame, app, area, f),
        Some(Overlay::StopPlan { title, stop, .. }) => {
            dialog::render_stop(frame, app, area, title, *stop)
        }
        None => {}
    }
    footer::render_suggestions(frame, app, a.footer);
}

/// What keeps the console from changing anything, in words, one line each, for as long as it
/// lasts: the operator must not have to guess why every change is refused.
fn render_notices(frame: &mut Frame, app: &App, area: Rect) {
    let lines: Vec<Line> = app
        .safety_notices()
        .into_iter()
        .map(|n| {
            Line::from(Span::styled(
                format!(" ⚠ {n}"),
                app.theme.style(Slot::Warning),
            ))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

fn render_too_small(frame: &mut Frame, app: &App, area: Rect) {
    let msg = format!(
        "wheelhouse needs at least {}×{}\nthis terminal is {}×{}",
        layout::MIN_WIDTH,
        layout::MIN_HEIGHT,
        area.width,
        area.height
    );
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(msg)
            .style(app.theme.style(Slot::Warning))
            .wrap(Wrap { trim: true }),
        area,
    );
}

fn render_log_panel(frame: &mut Frame, app: &App, area: Rect, live: bool) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.style(Slot::Border))
        .title(" Console log ")
        .title_style(app.theme.style(Slot::Title));
    if !live {
        frame.render_widget(block, area);
        return;
    }
    let widget = tui_logger::TuiLoggerWidget::default()
        .block(block)
        .style(app.theme.style(Slot::Text))
        .style_error(app.theme.style(Slot::Error))
        .style_warn(app.theme.style(Slot::Warning))
        .style_info(app.theme.style(Slot::Text))
        .style_debug(app.theme.style(Slot::TextDim))
        .output_separator(' ')
        .output_timestamp(Some("%H:%M:%S".into()))
        .output_level(Some(tui_logger::TuiLoggerLevelOutput::Abbreviated))
        .output_target(false)
        .output_file(false)
        .output_line(false);
    frame.render_widget(widget, area);
}
