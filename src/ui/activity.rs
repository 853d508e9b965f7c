//! The activity view (`V`): what this console did and is doing, one line per step's outcome
//! (or its intent while it is under way), newest last, from its own lines of the audit log.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::text::{fit, message};
use crate::app::state::App;
use crate::config::theme::Slot;
use crate::ops::audit::{AuditRecord, Phase};

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let a = &app.views.activity;
    let rows = rows(&a.records);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Slot::BorderFocused))
        .title(Line::from(vec![
            Span::styled(" Activity ", t.style(Slot::Title)),
            Span::styled(
                match rows.len() {
                    1 => "─ 1 step by this console ".to_owned(),
                    n => format!("─ {n} steps by this console "),
                },
                t.style(Slot::TextDim),
            ),
        ]));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(e) = &a.error {
        let text = format!("the audit log cannot be read: {e}");
        return message(frame, inner, &text, t.style(Slot::TextDim));
    }
    if rows.is_empty() {
        let text = if a.loaded {
            "Nothing yet: changes this console makes are listed here, as the audit log has them."
        } else {
            "reading the audit log…"
        };
        return message(frame, inner, text, t.style(Slot::TextDim));
    }
    let height = inner.height as usize;
    // Bottom-anchored like a log: the newest last, `scroll` lines up from it.
    let end = rows.len() - a.scroll.min(rows.len().saturating_sub(height));
    let start = end.saturating_sub(height);
    let width = inner.width as usize;
    let lines: Vec<Line> = rows[start..end]
        .iter()
        .map(|r| {
            let slot = match r.result.as_str() {
                "ok" | "unchanged" => Slot::StateRunning,
                "under way" => Slot::StateRestarting,
                _ => Slot::HealthUnhealthy,
            };
            let rest = width.saturating_sub(r.time.chars().count() + 11);
            Line::from(vec![
                Span::styled(format!("{} ", r.time), t.style(Slot::LogsTimestamp)),
                Span::styled(format!("{:<9} ", r.result), t.style(slot)),
                Span::styled(fit(&r.text, rest), t.style(Slot::Text)),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// One step as the view lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRow {
    pub time: String,
    pub result: String,
    pub text: String,
}

/// A line per step: its outcome, or its intent while no outcome has come.
pub fn rows(records: &[AuditRecord]) -> Vec<ActivityRow> {
    let ended = |r: &AuditRecord| {
        records.iter().any(|o| {
            o.phase == Phase::Outcome
                && o.plan == r.plan
                && o.step == r.step
                && o.undoes == r.undoes
        })
    };
    records
        .iter()
        .filter(|r| r.phase == Phase::Outcome || !ended(r))
        .map(|r| {
            let result = match r.phase {
                Phase::Intent => "under way".to_owned(),
                Phase::Outcome => r.result.clone().unwrap_or_default(),
            };
            let undo = if r.undoes.is_some() { "undo: " } else { "" };
            let why = match (&r.error, &r.note, r.exit_code) {
                (Some(e), _, _) => format!(" — {e}"),
                (None, Some(n), _) => format!(" — {n}"),
                (None, None, Some(code)) => format!(" — exit {code}"),
                _ => String::new(),
            };
            // A step of a longer plan says which plan; a plan of one step is its own title.
            let step = if r.steps > 1 {
                format!(" (step {} of {} · {})", r.step, r.steps, r.plan_title)
            } else {
                String::new()
            };
            ActivityRow {
                // `2026-12-01T21:04:11.210Z` → `21:04:11`.
                time: r.time.get(11..19).unwrap_or(&r.time).to_owned(),
                result,
                text: format!(
                    "{undo}{} {}{} on {}{step}{why}",
                    r.op.verb(),
                    r.target.label(),
                    r.op.details(),
                    r.target.endpoint(),
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(plan: &str, step: usize, phase: &str, result: Option<&str>) -> AuditRecord {
        let mut v = serde_json::json!({
            "time": "2026-12-01T21:04:11.210Z", "plan": plan, "step": step, "steps": 2,
            "phase": phase, "host": "unix:///x", "target": "container", "endpoint": "default",
            "container_id": "abc", "container_name": "web-1", "action": "stop",
            "origin": "keystroke", "plan_title": "stop 2 containers", "operator": "a@b", "pid": 7
        });
        if let Some(r) = result {
            v["result"] = r.into();
            v["error"] = "boom".into();
        }
        serde_json::from_value(v).expect("a record")
    }

    #[test]
    fn a_step_is_one_line_under_way_until_its_outcome_replaces_it() {
        let records = vec![
            record("p-1", 1, "intent", None),
            record("p-1", 1, "outcome", Some("error")),
            record("p-1", 2, "intent", None),
        ];
        let rows = rows(&records);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].result, "error");
        assert_eq!(rows[0].time, "21:04:11");
        assert_eq!(
            rows[0].text,
            "stop web-1 on default (step 1 of 2 · stop 2 containers) — boom"
        );
        assert_eq!(rows[1].result, "under way");
    }
}
