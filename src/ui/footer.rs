//! The bottom line: the text being typed (filter, search, command), or key hints generated
//! from the active keymap so they are right whatever the operator has rebound.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::app::action::{Action, KeyContext};
use crate::app::model::GroupId;
use crate::app::palette;
use crate::app::state::{App, InputPurpose, Overlay, Selected};
use crate::app::update::key_context;
use crate::config::theme::Slot;

/// On a compose service's row in tree mode: what can be done to the service.
const SERVICE_ROW: &[Action] = &[
    Action::Scale,
    Action::Limits,
    Action::Rollout,
    Action::RestartUnhealthy,
    Action::Filter,
    Action::ToggleCollapse,
    Action::ToggleTree,
    Action::Stop,
    Action::Restart,
];

/// On a Swarm service's row: what the manager can be asked to do.
const SWARM_SERVICE_ROW: &[Action] = &[
    Action::Scale,
    Action::Rollout,
    Action::Rollback,
    Action::Logs,
    Action::Filter,
    Action::ToggleCollapse,
    Action::ToggleTree,
];

/// On a Swarm node's line of the endpoints panel.
const NODE_ROW: &[Action] = &[
    Action::NodeDrain,
    Action::NodePause,
    Action::NodeActivate,
    Action::Back,
];

/// The actions worth a hint in each context, most useful first; what does not fit is dropped.
fn hinted_here(app: &App, ctx: KeyContext) -> &'static [Action] {
    if let (KeyContext::Endpoints, Some(Overlay::Endpoints { cursor })) = (ctx, &app.screen.overlay)
    {
        let rows = app.endpoints.rows(&app.inventory.swarms);
        if matches!(
            rows.get(*cursor),
            Some(crate::app::state::EndpointRow::Node { .. })
        ) {
            return NODE_ROW;
        }
    }
    if ctx == KeyContext::Table {
        match app.table.selected {
            Some(Selected::Group(GroupId::Service(_))) => return SERVICE_ROW,
            Some(Selected::Group(GroupId::SwarmService(_))) => return SWARM_SERVICE_ROW,
            _ => {}
        }
    }
    hinted(ctx)
}

fn hinted(ctx: KeyContext) -> &'static [Action] {
    match ctx {
        KeyContext::Table => &[
            Action::Filter,
            Action::Logs,
            Action::Inspect,
            Action::Stop,
            Action::Restart,
            Action::Start,
            Action::Kill,
            Action::Remove,
            Action::Mark,
            Action::ToggleTree,
            Action::SortNext,
            Action::SortReverse,
        ],
        KeyContext::Logs => &[
            Action::Back,
            Action::Search,
            Action::NextMatch,
            Action::ToggleFollow,
            Action::ToggleWrap,
            Action::ToggleTimestamps,
            Action::SaveLogs,
        ],
        KeyContext::Inspect => &[
            Action::Back,
            Action::Search,
            Action::NextMatch,
            Action::RevealSecrets,
        ],
        KeyContext::Confirm => &[
            Action::Yes,
            Action::FocusNext,
            Action::Confirm,
            Action::Cancel,
            Action::OptionNext,
            Action::ToggleOption,
        ],
        KeyContext::Help => &[Action::Back, Action::Down, Action::Up],
        KeyContext::Activity => &[Action::Back, Action::Up, Action::Down, Action::Bottom],
        KeyContext::Resources => &[Action::Right, Action::Remove, Action::Prune, Action::Back],
        KeyContext::Topology => &[
            Action::ToggleTopologyTab,
            Action::JumpToContainer,
            Action::ToggleCollapse,
            Action::ToggleAddresses,
            Action::Back,
        ],
        KeyContext::Canary => &[
            Action::StageWeight,
            Action::ApplyWeight,
            Action::NextStep,
            Action::Promote,
            Action::Abort,
            Action::Suspend,
            Action::Back,
        ],
        KeyContext::Agent => &[
            Action::ApplyProposal,
            Action::RejectProposal,
            Action::SnoozeProposal,
            Action::Up,
            Action::Down,
            Action::Back,
        ],
        KeyContext::Endpoints => &[Action::ToggleAttach, Action::Back],
        KeyContext::Events => &[
            Action::Back,
            Action::Filter,
            Action::JumpToContainer,
            Action::ToggleProbeEvents,
        ],
        KeyContext::Input => &[
            Action::InputAccept,
            Action::InputCancel,
            Action::InputComplete,
        ],
        KeyContext::Global => &[],
    }
}

/// `(action, keys, description)` for the footer of a context, from the keymap.
pub fn hints(app: &App, ctx: KeyContext) -> Vec<(Action, String, String)> {
    hinted_here(app, ctx)
        .iter()
        // Read-only refuses them: hints for what works instead.
        .filter(|a| !(app.options.read_only && a.changes_engine()))
        .filter_map(|&a| {
            // Scale has a key per argument (+1, -1, ask): one hint for all of them.
            if a == Action::Scale {
                let keys: Vec<String> = app
                    .keymap
                    .bindings(ctx)
                    .iter()
                    .filter(|b| b.action == a)
                    .map(|b| b.keys_display())
                    .collect();
                return (!keys.is_empty()).then(|| (a, keys.join("/"), "Scale".to_owned()));
            }
            let keys = app
                .keymap
                .hint(ctx, a)
                .or_else(|| app.keymap.hint(KeyContext::Global, a))?;
            let desc = app
                .keymap
                .bindings(ctx)
                .iter()
                .chain(app.keymap.bindings(KeyContext::Global))
                .find(|b| b.action == a)
                .map(|b| b.desc.clone())
                .unwrap_or_else(|| a.name().to_owned());
            Some((a, keys, desc))
        })
        .collect()
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    if let Some(input) = &app.screen.input {
        let prompt = match input.purpose {
            InputPurpose::Filter => "filter /",
            InputPurpose::Search => "search /",
            InputPurpose::Palette => ":",
        };
        let line = Line::from(vec![
            Span::styled(format!(" {prompt}"), t.style(Slot::InputPrompt)),
            Span::styled(input.text.clone(), t.style(Slot::InputText)),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        let prompt_width = prompt.chars().count() as u16 + 1;
        let x = area.x + prompt_width + input.cursor as u16;
        frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
        return;
    }
    if super::toast::render_line(frame, app, area) {
        return;
    }
    let ctx = key_context(app);
    let mut spans = Vec::new();
    let mut used = 0usize;
    let help = app
        .keymap
        .hint(KeyContext::Global, Action::Help)
        .map(|k| format!("{k} help "))
        .unwrap_or_default();
    let budget = (area.width as usize).saturating_sub(help.chars().count() + 1);
    let in_form = matches!(app.screen.overlay, Some(Overlay::Form(_)));
    for (action, keys, desc) in hints(app, ctx) {
        // A form reuses the input keys; say what they do there.
        let desc = match action {
            Action::InputAccept if in_form => "Make the plan".into(),
            Action::InputComplete if in_form => "Next field".into(),
            _ => desc,
        };
        let w = keys.chars().count() + desc.chars().count() + 3;
        if used + w > budget {
            break;
        }
        used += w;
        spans.push(Span::styled(format!(" {keys}"), t.style(Slot::FooterKey)));
        spans.push(Span::styled(format!(" {desc} "), t.style(Slot::FooterDesc)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    let help_area = Rect {
        x: area.right().saturating_sub(help.chars().count() as u16),
        width: help.chars().count() as u16,
        ..area
    };
    frame.render_widget(
        Paragraph::new(Span::styled(help, t.style(Slot::FooterKey))),
        help_area,
    );
}

/// Completion candidates above the palette line.
pub fn render_suggestions(frame: &mut Frame, app: &App, footer: Rect) {
    let Some(input) = app
        .screen
        .input
        .as_ref()
        .filter(|i| i.purpose == InputPurpose::Palette)
    else {
        return;
    };
    let list = palette::suggestions(&input.text);
    if list.is_empty() {
        return;
    }
    // Each name with what it does, aligned.
    let name_width = list.iter().map(|s| s.len()).max().unwrap_or(0);
    let list: Vec<String> = list
        .iter()
        .map(|name| {
            let desc = palette::describe(name, &app.keymap);
            format!("{name:name_width$}  {desc}").trim_end().to_owned()
        })
        .collect();
    let shown = list.len().min(8);
    let width = list.iter().map(|s| s.chars().count()).max().unwrap_or(0) as u16 + 4;
    let height = shown as u16 + 2;
    // Inside the pane above, one cell in from its left and bottom borders, so the pane's
    // frame stays whole around the popup.
    let area = Rect {
        x: footer.x + 1,
        y: footer.y.saturating_sub(height + 1),
        width: width.min(footer.width.saturating_sub(2)),
        height: height.min(footer.y.saturating_sub(1)),
    };
    let mut lines: Vec<Line> = list
        .iter()
        .take(shown)
        .map(|s| Line::from(Span::styled(format!(" {s}"), app.theme.style(Slot::Text))))
        .collect();
    if list.len() > shown {
        lines[shown - 1] = Line::from(Span::styled(
            format!(" … {} more", list.len() - shown + 1),
            app.theme.style(Slot::TextDim),
        ));
    }
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(app.theme.style(Slot::Border)),
        ),
        area,
    );
}
