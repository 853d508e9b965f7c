//! The agent panel (`A`): the proposals on offer, each with its action, target and endpoint,
//! the numbers behind it, the expected effect and its age; the selected one with its reasons;
//! then what the agent is waiting for or holding back, and what became of what it applied.
//! Keys are named as the active keymap binds them.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::text::fit;
use crate::agent::{Outcome, Pending};
use crate::app::action::{Action, KeyContext};
use crate::app::state::App;
use crate::config::theme::Slot;

fn key(app: &App, action: Action) -> String {
    app.keymap
        .hint(KeyContext::Agent, action)
        .unwrap_or_else(|| format!(":{}", action.name()))
}

/// `12s`, `3m`, `2h` ago.
fn age(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        _ => format!("{}h", s / 3600),
    }
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let agent = &app.agent;
    let title = match agent.badge() {
        Some(b) => format!(" Agent · {b} "),
        None => " Agent ".to_owned(),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Slot::BorderFocused))
        .title(Span::styled(title, t.style(Slot::Title)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = inner.width as usize;
    let now = agent.perception.now;
    let dim = t.style(Slot::TextDim);
    let mut lines: Vec<Line> = Vec::new();
    let policies = match &agent.policies.file {
        Some(f) => format!("policies from {f}"),
        None => "default policies (no agent.toml)".to_owned(),
    };
    let mut head = vec![Span::styled(fit(&policies, w), dim)];
    if let Some(problem) = &agent.policy_problem {
        head = vec![Span::styled(
            fit(
                &format!("agent.toml not used, defaults instead: {problem}"),
                w,
            ),
            t.style(Slot::Error),
        )];
    }
    lines.push(Line::from(head));
    if app.options.read_only {
        lines.push(Line::from(Span::styled(
            fit("read-only: proposals are shown; applying one is refused", w),
            t.style(Slot::Warning),
        )));
    } else if crate::app::update::agent::auto_on(app) {
        lines.push(Line::from(Span::styled(
            fit(
                "AUTO: some policies apply their proposals without a keystroke (auto in agent.toml)",
                w,
            ),
            t.style(Slot::Warning),
        )));
    }
    if let Some(source) = &agent.policies.alerts {
        let slot = if agent.alerts.problem.is_some() {
            Slot::Error
        } else if agent.alerts.firing.is_empty() {
            Slot::TextDim
        } else {
            Slot::Warning
        };
        lines.push(Line::from(Span::styled(
            fit(&agent.alerts.summary(source, now), w),
            t.style(slot),
        )));
        // A storm of alerts must not push the proposals off the screen.
        const ALERTS_SHOWN: usize = 5;
        for a in agent.alerts.firing.iter().take(ALERTS_SHOWN) {
            lines.push(Line::from(Span::styled(
                fit(&format!("  {}", a.line()), w),
                t.style(Slot::Warning),
            )));
        }
        let more = agent.alerts.firing.len().saturating_sub(ALERTS_SHOWN);
        if more > 0 {
            lines.push(Line::from(Span::styled(
                fit(&format!("  … {more} more (agent --json lists them all)"), w),
                t.style(Slot::TextDim),
            )));
        }
    }
    lines.push(Line::from(""));
    if agent.pending.is_empty() {
        lines.push(Line::from(Span::styled(
            fit("No proposals: nothing the policies would change now.", w),
            dim,
        )));
    } else {
        lines.push(Line::from(Span::styled(
            fit(
                &format!(
                    "{} applies (confirm first) · {} rejects · {} snoozes",
                    key(app, Action::ApplyProposal),
                    key(app, Action::RejectProposal),
                    key(app, Action::SnoozeProposal)
                ),
                w,
            ),
            dim,
        )));
    }
    let (mut selected_at, mut selected_len) = (lines.len(), 0);
    for (i, p) in agent.pending.iter().enumerate() {
        let selected = i == app.views.agent_cursor;
        let more = proposal_lines(app, p, selected, now, w);
        if selected {
            (selected_at, selected_len) = (lines.len(), more.len());
        }
        lines.extend(more);
    }
    if !agent.notes.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            fit("Waiting or held back", w),
            t.style(Slot::TableHeader),
        )));
        for n in &agent.notes {
            let text = format!(
                "{:<11} {:<24} {}",
                n.kind.name(),
                fit(&n.subject.label(), 24),
                n.text
            );
            lines.push(Line::from(Span::styled(fit(&text, w), dim)));
        }
    }
    if !agent.policies.advisors.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            fit("Advisors", w),
            t.style(Slot::TableHeader),
        )));
        for a in &agent.policies.advisors {
            let standing = agent.advisors.get(&a.name);
            let (slot, text) = advisor_line(a, standing, agent, now);
            lines.push(Line::from(Span::styled(fit(&text, w), t.style(slot))));
            for l in standing.map_or(&[][..], |s| &s.left_out) {
                lines.push(Line::from(Span::styled(
                    fit(&format!("  left out {l}"), w),
                    t.style(Slot::Warning),
                )));
            }
        }
    }
    if !agent.applied.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            fit("Applied", w),
            t.style(Slot::TableHeader),
        )));
        for a in agent.applied.iter().rev() {
            let (slot, detail) = match &a.outcome {
                Outcome::Running => (Slot::TextDim, "its plan is running".to_owned()),
                Outcome::Checking { until } => (
                    Slot::TextDim,
                    format!("measuring the effect, {} more", age(until - now)),
                ),
                Outcome::Worked(d) => (Slot::GaugeOk, d.clone()),
                Outcome::DidNotHelp(d) => (Slot::Warning, d.clone()),
                Outcome::Failed(d) => (Slot::Error, d.clone()),
            };
            let how = if a.auto { " (auto)" } else { "" };
            let text = format!(
                "{:<12} {:<24} {:<24} {}{how} · {} ago",
                a.outcome.word(),
                fit(&a.proposal.subject.label(), 24),
                fit(&a.proposal.change.words(), 24),
                detail,
                age(now - a.at)
            );
            lines.push(Line::from(Span::styled(fit(&text, w), t.style(slot))));
        }
    }
    // The selected proposal stays in sight: scroll by whole lines once it would fall below.
    let height = inner.height as usize;
    let skip = (selected_at + selected_len + 1)
        .saturating_sub(height)
        .min(selected_at);
    let shown: Vec<Line> = lines.into_iter().skip(skip).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}

/// `capacity  answered 12s ago: 2 proposals`, or why it gave none.
fn advisor_line(
    a: &crate::agent::advisor::Advisor,
    standing: Option<&crate::agent::advisor::Standing>,
    agent: &crate::agent::Agent,
    now: f64,
) -> (Slot, String) {
    let name = fit(&a.name, 16);
    let Some(s) = standing.filter(|s| s.started_at.is_some()) else {
        return (Slot::TextDim, format!("{name:<16} not asked yet"));
    };
    if let Some(p) = &s.problem {
        return (Slot::Error, format!("{name:<16} {p}"));
    }
    let shown = agent
        .pending
        .iter()
        .filter(|p| p.proposal.advisor.as_deref() == Some(&a.name))
        .count();
    let asking = if s.running { " · asking again" } else { "" };
    match s.answered_at {
        None => (Slot::TextDim, format!("{name:<16} asking…")),
        Some(at) => (
            Slot::TextDim,
            format!(
                "{name:<16} answered {} ago: {shown} proposal{} shown{asking}",
                age(now - at),
                if shown == 1 { "" } else { "s" }
            ),
        ),
    }
}

fn proposal_lines(
    app: &App,
    p: &Pending,
    selected: bool,
    now: f64,
    w: usize,
) -> Vec<Line<'static>> {
    let t = &app.theme;
    let pr = &p.proposal;
    let by = pr
        .advisor
        .as_ref()
        .map_or_else(String::new, |a| format!(" (advisor {a})"));
    // Narrow screens keep the age in sight; one endpoint needs no naming.
    let (who, what) = if w < 100 { (18, 22) } else { (24, 28) };
    let endpoint = if app.multi_endpoint() {
        format!("on {:<12} ", fit(pr.subject.endpoint(), 12))
    } else {
        String::new()
    };
    let first = format!(
        "{} {:<11} {:<who$} {endpoint}{:<what$} {} ago{by}",
        if selected { "▸" } else { " " },
        pr.kind.name(),
        fit(&pr.subject.label(), who),
        fit(&pr.change.words(), what),
        age(now - p.since)
    );
    let style = if selected {
        t.style(Slot::TableSelected)
    } else {
        t.style(Slot::Text)
    };
    let mut lines = vec![
        Line::from(Span::styled(fit(&first, w), style)),
        Line::from(Span::styled(
            fit(&format!("    {}", pr.numbers), w),
            t.style(Slot::Text),
        )),
        Line::from(Span::styled(
            fit(&format!("    expected: {}", pr.expected), w),
            t.style(Slot::TextDim),
        )),
    ];
    if selected {
        for r in &pr.reasons {
            lines.push(Line::from(Span::styled(
                fit(&format!("    why: {r}"), w),
                t.style(Slot::TextDim),
            )));
        }
    }
    lines
}
