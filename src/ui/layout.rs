//! Where things go on screen. Pure arithmetic used by the views; the reducer gets the page sizes
//! it needs as data ([`fit`] puts them in the state), so both always agree.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::state::{App, Overlay, Viewport};

/// Below this the console shows a message instead of a squeezed layout.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

pub struct Areas {
    pub header: Rect,
    /// Safety notices (why read-only is forced, an unwritable audit log), when there are any.
    pub notices: Option<Rect>,
    pub body: Rect,
    pub log_panel: Option<Rect>,
    pub footer: Rect,
}

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

pub fn areas(area: Rect, app: &App) -> Areas {
    let show_log_panel = app.screen.show_log_panel;
    let panel = if show_log_panel {
        (area.height / 3).max(6)
    } else {
        0
    };
    // At most two lines of notices: the body keeps its room on small screens.
    let notices = app.safety_notices().len().min(2) as u16;
    let footer = super::toast::footer_height(app, area.width);
    let [header, notice, body, log_panel, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(notices),
        Constraint::Min(3),
        Constraint::Length(panel),
        Constraint::Length(footer),
    ])
    .areas(area);
    Areas {
        header,
        notices: (notices > 0).then_some(notice),
        body,
        log_panel: show_log_panel.then_some(log_panel),
        footer,
    }
}

/// The body of the screen as it is now (below the header and notices, above the footer).
pub fn body_area(app: &App) -> Rect {
    body_of(app)
}

fn body_of(app: &App) -> Rect {
    let (w, h) = app.screen.size;
    areas(Rect::new(0, 0, w, h), app).body
}

/// The table view's body: the table, the progress of plans under way (or just ended) below
/// it, then the detail pane when shown.
pub struct TablePanes {
    pub table: Rect,
    pub plans: Option<Rect>,
    pub detail: Option<Rect>,
}

/// Most step lines the progress pane shows at once.
pub const PLAN_PANE_STEPS: u16 = 6;

pub fn table_panes(body: Rect, app: &App) -> TablePanes {
    let plans = app
        .ops
        .on_screen(app.now)
        .last()
        .map_or(0, |p| (p.plan.steps.len() as u16).min(PLAN_PANE_STEPS) + 2);
    let detail = if app.views.show_detail {
        (body.height / 2).clamp(6, 16)
    } else {
        0
    };
    let [table, plans_area, detail_area] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(plans),
        Constraint::Length(detail),
    ])
    .areas(body);
    TablePanes {
        table,
        plans: (plans > 0).then_some(plans_area),
        detail: (detail > 0).then_some(detail_area),
    }
}

/// Rows of containers visible in the table (inside the border, below the column titles).
pub fn table_body_height(app: &App) -> u16 {
    let table = table_panes(body_of(app), app).table;
    table.height.saturating_sub(3)
}

/// Lines visible in the logs or inspect view (inside the border).
pub fn logs_body_height(app: &App) -> u16 {
    body_of(app).height.saturating_sub(2)
}

/// The rows the scrolling views get now.
pub fn viewport(app: &App) -> Viewport {
    Viewport {
        table_rows: table_body_height(app),
        body_rows: logs_body_height(app),
    }
}

/// Puts the current page sizes into the state and keeps the cursor in view: run after every
/// change, since a change (the detail pane, the log panel, a notice, a resize) may move them.
pub fn fit(app: &mut App) {
    let viewport = viewport(app);
    if app.screen.viewport != viewport {
        app.screen.viewport = viewport;
        crate::app::update::keep_in_view(app);
    }
    // Scroll offsets within what there is to scroll, so a key back moves at once.
    if let Some(Overlay::Help { scroll }) = &app.screen.overlay {
        let max = super::help::max_scroll(app, body_of(app));
        if *scroll > max {
            app.screen.overlay = Some(Overlay::Help { scroll: max });
        }
    }
}

/// A rectangle of at most the given size, centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}
