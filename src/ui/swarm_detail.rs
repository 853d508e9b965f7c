//! The detail pane on a Swarm service's row (or one of its tasks without a container): what the
//! manager says about the service, its tasks, and their use against the service's limits.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::table::human_bytes;
use crate::app::model::{format_age, GroupId};
use crate::app::state::{App, Selected};
use crate::app::swarm::{service_use, SwarmService, SwarmState, UpdateConfig};
use crate::config::theme::Slot;

/// Draws the pane when the selection is a Swarm service or task; false otherwise.
pub fn render(frame: &mut Frame, app: &App, area: Rect) -> bool {
    let swarms = &app.inventory.swarms;
    let (svc, task_id) = match &app.table.selected {
        Some(Selected::Group(GroupId::SwarmService(key))) => match swarms.service(key) {
            Some(s) => (s, None),
            None => return false,
        },
        Some(Selected::Task { endpoint, id }) => match swarms.task(endpoint, id) {
            Some((s, t)) => (s, Some(t.id.as_str())),
            None => return false,
        },
        _ => return false,
    };
    let Some(state) = swarms.get(&svc.key.endpoint) else {
        return false;
    };
    let t = &app.theme;
    let mut title = format!(" {} ─ Swarm service on {} ", svc.label(), svc.key.endpoint);
    if state.lost.is_some() {
        title = format!(
            " {} ─ {}: manager not answering, last known ",
            svc.label(),
            svc.key.endpoint
        );
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Slot::Border))
        .title(Span::styled(title, t.style(Slot::Title)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = lines(app, state, svc, task_id);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    true
}

fn secs(ns: i64) -> String {
    let s = ns as f64 / 1e9;
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

fn how(u: &UpdateConfig) -> String {
    format!(
        "{} at a time, {}, {} apart, watched {} after each, on failure {}",
        u.parallelism.max(1),
        u.order,
        secs(u.delay_ns),
        secs(u.monitor_ns),
        u.failure_action
    )
}

fn lines(
    app: &App,
    state: &SwarmState,
    svc: &SwarmService,
    task_id: Option<&str>,
) -> Vec<Line<'static>> {
    let t = &app.theme;
    let label = |s: &str| Span::styled(format!("{s:<10}"), t.style(Slot::TextDim));
    let line = |l: &str, text: String| Line::from(vec![label(l), Span::raw(text)]);
    let mut out = Vec::new();
    let mode = if svc.global { "global" } else { "replicated" };
    out.push(line(
        "service",
        format!(
            "{mode}, {} tasks running, {}",
            svc.replica_text(),
            svc.verdict()
        ),
    ));
    out.push(line("image", svc.image.clone()));
    let ports: Vec<String> = svc.ports.iter().map(|p| p.display()).collect();
    out.push(line(
        "network",
        format!(
            "endpoint mode {}{}",
            svc.endpoint_mode,
            if ports.is_empty() {
                String::new()
            } else {
                format!(", ports {}", ports.join(", "))
            }
        ),
    ));
    if let Some(u) = &svc.update_config {
        out.push(line("update", how(u)));
    }
    if let Some(u) = &svc.rollback_config {
        out.push(line("rollback", how(u)));
    }
    if let Some(s) = &svc.update_status {
        let when = s
            .completed_at
            .or(s.started_at)
            .map(|at| format!(" {} ago", format_age((app.now - at).num_seconds().max(0))))
            .unwrap_or_default();
        let slot = match s.state.as_str() {
            "completed" => Slot::StateRunning,
            "updating" | "rollback_started" => Slot::StateRestarting,
            _ => Slot::HealthUnhealthy,
        };
        out.push(Line::from(vec![
            label("last"),
            Span::styled(s.state.replace('_', " "), t.style(slot)),
            Span::raw(format!("{when}: {}", s.message)),
        ]));
    }
    if !svc.constraints.is_empty() {
        out.push(line("placement", svc.constraints.join(", ")));
    }
    let l = &svc.limits;
    let cpus = |n: Option<i64>| n.map(|n| format!("cpus {}", n as f64 / 1e9));
    let mem = |m: Option<u64>| m.map(|m| format!("memory {}", human_bytes(m)));
    let per: Vec<String> = [cpus(l.nano_cpus), mem(l.memory)]
        .into_iter()
        .flatten()
        .collect();
    let reserved: Vec<String> = [
        cpus(svc.reserved_nano_cpus),
        mem(svc.reserved_memory.map(|m| m.max(0) as u64)),
    ]
    .into_iter()
    .flatten()
    .collect();
    out.push(line(
        "per task",
        format!(
            "limits {} · reserved {}",
            if per.is_empty() {
                "none".into()
            } else {
                per.join(", ")
            },
            if reserved.is_empty() {
                "none".into()
            } else {
                reserved.join(", ")
            }
        ),
    ));
    let used = service_use(&app.inventory, &app.usage, state, svc);
    let of = |v: Option<String>| v.unwrap_or_else(|| "no limit".into());
    out.push(line(
        "in all",
        format!(
            "cpu {:.0}% of {} · memory {} of {} (reserved {}) · {} of {} tasks measured here",
            used.cpu_percent,
            of(used.cpu_limit_cores.map(|c| format!("{:.0}%", c * 100.0))),
            human_bytes(used.memory),
            of(used.memory_limit.map(human_bytes)),
            used.memory_reserved
                .map(human_bytes)
                .unwrap_or_else(|| "none".into()),
            used.measured,
            used.current,
        ),
    ));
    out.push(Line::from(Span::styled("tasks", t.style(Slot::TextDim))));
    for task in state.tasks_of(&svc.key.id).take(24) {
        let name = crate::app::rows::task_name(svc, task);
        let node = task
            .node_id
            .as_deref()
            .map(|n| state.node_name(n))
            .unwrap_or("-");
        let age = task
            .updated_at
            .map(|at| format_age((app.now - at).num_seconds().max(0)))
            .unwrap_or_default();
        let slot = match task.state.as_str() {
            "running" => Slot::StateRunning,
            "failed" | "rejected" => Slot::StateExited,
            _ if !task.is_current() => Slot::TextDim,
            _ => Slot::StateRestarting,
        };
        let mark = if Some(task.id.as_str()) == task_id {
            "▸ "
        } else {
            "  "
        };
        let history = if task.is_current() { "" } else { "(was) " };
        // The state it is in, and where the manager wants it when that differs (`running →
        // shutdown` while it is being replaced).
        let state = if task.desired_state.is_empty() || task.desired_state == task.state {
            task.state.clone()
        } else {
            format!("{} → {}", task.state, task.desired_state)
        };
        let mut spans = vec![
            Span::raw(format!("{mark}{history}{name:<10} ")),
            Span::styled(format!("{state:<9}"), t.style(slot)),
            Span::raw(format!(" {node:<12} {:<24} {age:>4}", task.image)),
        ];
        if let Some(why) = task.why() {
            spans.push(Span::styled(format!("  {why}"), t.style(Slot::Warning)));
        }
        out.push(Line::from(spans));
    }
    out
}
