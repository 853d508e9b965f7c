//! The detail pane (`d`): the selected container's limits, its use against them now and over
//! the history window, and its health check with the probes' own output.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline, Wrap};
use ratatui::Frame;

use super::table::{gauge_slot, human_bytes};
use super::text::{fit, message};
use crate::app::model::{format_age, Container, Health, RunState};
use crate::app::state::App;
use crate::app::usage::{CpuLimitKind, Ring, Usage, UsageEntry};
use crate::config::theme::{Slot, Theme};

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let Some(c) = app.selected_container() else {
        let block = pane_block(t, " Detail ".to_string());
        let inner = block.inner(area);
        frame.render_widget(block, area);
        message(
            frame,
            inner,
            "Select a container to see its resource use and health.",
            t.style(Slot::TextDim),
        );
        return;
    };
    let entry = app.usage.get(&c.key);
    let usage = entry
        .and_then(|e| e.latest.as_ref())
        .filter(|_| c.state == RunState::Running);
    let title = if app.endpoints.is_down(&c.key.endpoint) {
        format!(" {} ─ {} is down: last known ", c.name, c.key.endpoint)
    } else {
        format!(" {} ─ {} ", c.name, c.key.endpoint)
    };
    let block = pane_block(t, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Text and charts each keep to their own side, two columns apart; on a narrow pane the
    // charts go, since the text is what answers "why".
    let [text_area, charts_area] = if inner.width >= MIN_WIDTH_WITH_CHARTS {
        Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
            .spacing(2)
            .areas(inner)
    } else {
        [inner, Rect::default()]
    };
    let lines = text_lines(app, c, usage);
    // Wrapped, so nothing is cut; scrolled with `[` and `]` when it is longer than the pane.
    let total = wrapped_height(&lines, text_area.width);
    let max_scroll = total.saturating_sub(text_area.height);
    let scroll = app.views.detail_scroll_of(&c.key).min(max_scroll);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        text_area,
    );
    if scroll < max_scroll {
        more_marker(frame, app, text_area, "↓ more ( ] )");
    } else if scroll > 0 {
        more_marker(frame, app, text_area, "↑ ( [ )");
    }
    if let Some(entry) = entry.filter(|_| charts_area.width > 0) {
        render_charts(frame, app, c, entry, charts_area);
    }
}

/// Below this inner width the pane shows text only.
const MIN_WIDTH_WITH_CHARTS: u16 = 100;

/// Lines the paragraph takes once wrapped to `width` at word boundaries, as the paragraph
/// wraps them (each line at least one).
fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let width = width.max(1) as usize;
    lines
        .iter()
        .map(|l| {
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            super::text::wrap_words(&text, width).len().max(1)
        })
        .sum::<usize>()
        .min(u16::MAX as usize) as u16
}

/// Says on the pane's last line, at the right, that there is more to scroll to.
fn more_marker(frame: &mut Frame, app: &App, area: Rect, text: &str) {
    let w = (text.chars().count() as u16).min(area.width);
    if area.height == 0 || w == 0 {
        return;
    }
    let at = Rect::new(area.right() - w, area.bottom() - 1, w, 1);
    frame.render_widget(
        Paragraph::new(Span::styled(
            text.to_owned(),
            app.theme.style(Slot::TextDim),
        )),
        at,
    );
}

/// Why a container that is not running has no usage: how and when it ended.
fn stopped_text(c: &Container, now: chrono::DateTime<chrono::Utc>) -> String {
    let mut parts = vec![match (c.state, c.exit_code) {
        (RunState::Exited, Some(code)) => format!("exited with code {code}"),
        (state, _) => state.as_str().to_owned(),
    }];
    if c.oom_killed {
        parts.push("killed by the kernel's OOM killer".into());
    }
    if let Some(at) = c.finished_at.filter(|_| c.state == RunState::Exited) {
        parts.push(format!(
            "{} ago",
            format_age((now - at).num_seconds().max(0))
        ));
    }
    parts.join(" · ")
}

fn pane_block(t: &Theme, title: String) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Slot::Border))
        .title(Span::styled(title, t.style(Slot::Title)))
}

fn text_lines(app: &App, c: &Container, u: Option<&Usage>) -> Vec<Line<'static>> {
    let t = &app.theme;
    let label = |s: &str| Span::styled(format!("{s:<7}"), t.style(Slot::TextDim));
    let mut lines = Vec::new();
    match u {
        Some(u) => {
            let cpu_limit = match u.cpu_limit_kind {
                CpuLimitKind::Host => format!("{:.0} host cores (no limit)", u.cpu_limit_cpus),
                kind => format!("{} CPU ({})", trim_float(u.cpu_limit_cpus), kind_name(kind)),
            };
            let pct = u
                .cpu_percent_of_limit
                .map(|p| format!("{p:.0}% of "))
                .unwrap_or_default();
            let thr = u
                .throttled_percent
                .filter(|_| u.cpu_limit_kind != CpuLimitKind::Host)
                .map(|p| format!(" · throttled {p:.0}%"))
                .unwrap_or_default();
            let late = app
                .usage
                .get(&c.key)
                .and_then(|e| crate::app::usage::late_secs(e, app.now, app.options.sample_ms))
                .map(|secs| format!(" · sampled {} ago", format_age(secs)))
                .unwrap_or_default();
            lines.push(Line::from(vec![
                label("CPU"),
                Span::styled(format!("{pct}{cpu_limit}{thr}"), t.style(Slot::Text)),
                Span::styled(late, t.style(Slot::Warning)),
            ]));
            let mem = match (
                u.memory_working_set,
                u.memory_limit,
                u.memory_percent_of_limit,
            ) {
                (Some(ws), Some(l), Some(p)) => {
                    format!("{} of {} ({p:.0}%)", human_bytes(ws), human_bytes(l))
                }
                (Some(ws), _, _) => match u.memory_reservation {
                    Some(r) => format!(
                        "{} (no limit; {} the {} reservation)",
                        human_bytes(ws),
                        if ws > r { "above" } else { "within" },
                        human_bytes(r)
                    ),
                    None => format!("{} (no limit)", human_bytes(ws)),
                },
                _ => "-".into(),
            };
            let oom = match u.oom_kills {
                Some(n) if n > 0 => format!(" · OOM kills {n}"),
                _ => String::new(),
            };
            lines.push(Line::from(vec![
                label("MEM"),
                Span::styled(format!("{mem}{oom}"), t.style(Slot::Text)),
            ]));
            let pids = match (u.pids, u.pids_limit) {
                (Some(p), Some(l)) => format!("{p} of {l}"),
                (Some(p), None) => format!("{p} (no limit)"),
                _ => "-".into(),
            };
            lines.push(Line::from(vec![label("PIDS"), Span::raw(pids)]));
            let rate = |v: Option<f64>| v.map(|b| format!("{}/s", human_bytes(b as u64)));
            let io = format!(
                "net ↓{} ↑{} · disk r {} w {}",
                rate(u.net_rx_bytes_per_sec).unwrap_or_else(|| "-".into()),
                rate(u.net_tx_bytes_per_sec).unwrap_or_else(|| "-".into()),
                rate(u.blk_read_bytes_per_sec).unwrap_or_else(|| "-".into()),
                rate(u.blk_write_bytes_per_sec).unwrap_or_else(|| "-".into()),
            );
            lines.push(Line::from(vec![label("I/O"), Span::raw(io)]));
            lines.push(tcp_line(app, c, u));
            // Drops and errors matter once there are any; new ones since the last sample warn.
            let (drops, errors) = (u.net_drops.unwrap_or(0), u.net_errors.unwrap_or(0));
            if drops + errors > 0 {
                let new = u.net_new_drops.unwrap_or(0) + u.net_new_errors.unwrap_or(0);
                let text = format!(
                    "{drops} packets dropped, {errors} errors{}",
                    if new > 0 {
                        format!(" ({new} in the last sample)")
                    } else {
                        String::new()
                    }
                );
                let slot = if new > 0 && app.options.net.drops {
                    Slot::Warning
                } else {
                    Slot::TextDim
                };
                lines.push(Line::from(vec![
                    label("NET"),
                    Span::styled(text, t.style(slot)),
                ]));
            }
        }
        None if c.state == RunState::Running => {
            lines.push(Line::from(vec![
                label("USAGE"),
                Span::styled("measuring…", t.style(Slot::TextDim)),
            ]));
        }
        None => {
            let slot = if c.oom_killed {
                Slot::GaugeOverLimit
            } else {
                super::table::state_slot(c.state)
            };
            lines.push(Line::from(vec![
                label("STATE"),
                Span::styled(stopped_text(c, app.now), t.style(slot)),
            ]));
        }
    }
    lines.push(Line::from(vec![
        label("LIMITS"),
        Span::styled(limits_text(c), t.style(Slot::Text)),
    ]));
    if let Some(r) = app.views.detail_reach.as_ref().filter(|r| r.key == c.key) {
        let mut spans = vec![label("REACH")];
        spans.extend(super::topology::reach_spans(app, &r.reach, &r.peer_names));
        lines.push(Line::from(spans));
    }
    if let Some(policy) = &c.restart_policy {
        let restarts = match c.restart_count {
            Some(n) if n > 0 => format!(" · restarted {n} times"),
            _ => String::new(),
        };
        lines.push(Line::from(vec![
            label("POLICY"),
            Span::styled(format!("restart {policy}{restarts}"), t.style(Slot::Text)),
        ]));
    }
    lines.extend(process_lines(app, c));
    // A failing check is why the operator is looking: its probes come first, not below
    // the fold of a small pane.
    if c.health == Health::Unhealthy {
        let mut first = health_lines(app, c);
        first.append(&mut lines);
        first
    } else {
        lines.extend(health_lines(app, c));
        lines
    }
}

/// The container's processes (the engine's `top`): PID, user, CPU time and command of each.
fn process_lines(app: &App, c: &Container) -> Vec<Line<'static>> {
    let t = &app.theme;
    let label = Span::styled(format!("{:<7}", "PROCS"), t.style(Slot::TextDim));
    if c.state != RunState::Running {
        return Vec::new();
    }
    let table = match &app.views.detail_processes {
        Some((k, Ok(table))) if *k == c.key => table,
        Some((k, Err(e))) if *k == c.key => {
            return vec![Line::from(vec![
                label,
                Span::styled(e.clone(), t.style(Slot::TextDim)),
            ])]
        }
        _ => {
            return vec![Line::from(vec![
                label,
                Span::styled("listing…", t.style(Slot::TextDim)),
            ])]
        }
    };
    let pid = table.column(&["PID"]);
    let user = table.column(&["UID", "USER"]);
    let time = table.column(&["TIME"]);
    let cmd = table.column(&["CMD", "COMMAND", "ARGS"]);
    let cell = |row: &Vec<String>, i: Option<usize>| {
        i.and_then(|i| row.get(i)).cloned().unwrap_or_default()
    };
    let noun = if table.rows.len() == 1 {
        "process"
    } else {
        "processes"
    };
    let mut lines = vec![Line::from(vec![
        label,
        Span::styled(format!("{} {noun}", table.rows.len()), t.style(Slot::Text)),
        Span::styled(
            format!("  {:>7} {:<8} {:>8}  COMMAND", "PID", "USER", "TIME"),
            t.style(Slot::TextDim),
        ),
    ])];
    for row in &table.rows {
        lines.push(Line::from(Span::styled(
            format!(
                "       {:>7} {:<8} {:>8}  {}",
                cell(row, pid),
                fit(&cell(row, user), 8),
                cell(row, time),
                // A command line may carry a URL's password.
                mask(&cell(row, cmd))
            ),
            t.style(Slot::Text),
        )));
    }
    lines
}

/// The text with any URL's password masked (`crate::secrets`).
fn mask(text: &str) -> String {
    crate::secrets::mask_url_passwords(text).unwrap_or_else(|| text.to_owned())
}

fn limits_text(c: &Container) -> String {
    let l = &c.limits;
    let mut parts = Vec::new();
    if let Some(n) = l.nano_cpus {
        parts.push(format!("cpus {}", trim_float(n as f64 / 1e9)));
    }
    if let Some(q) = l.cpu_quota_us {
        parts.push(format!(
            "quota {q}/{}µs",
            l.cpu_period_us.unwrap_or(100_000)
        ));
    }
    if let Some(set) = &l.cpuset_cpus {
        parts.push(format!("cpuset {set}"));
    }
    if let Some(m) = l.memory {
        parts.push(format!("mem {}", human_bytes(m)));
    }
    if let Some(r) = l.memory_reservation {
        parts.push(format!("reserve {}", human_bytes(r)));
    }
    match l.memory_swap {
        Some(-1) => parts.push("swap unlimited".into()),
        Some(s) if s > 0 => parts.push(format!("mem+swap {}", human_bytes(s as u64))),
        _ => {}
    }
    if let Some(p) = l.pids {
        parts.push(format!("pids {p}"));
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(" · ")
    }
}

fn health_lines(app: &App, c: &Container) -> Vec<Line<'static>> {
    let t = &app.theme;
    let Some(check) = &c.health_check else {
        return vec![Line::from(vec![
            Span::styled(format!("{:<7}", "HEALTH"), t.style(Slot::TextDim)),
            Span::styled("no health check", t.style(Slot::TextDim)),
        ])];
    };
    let secs = |ns: Option<i64>, default: &str| {
        ns.map(|n| format!("{}s", trim_float(n as f64 / 1e9)))
            .unwrap_or_else(|| default.to_owned())
    };
    let slot = match c.health {
        Health::Healthy => Slot::HealthHealthy,
        Health::Unhealthy => Slot::HealthUnhealthy,
        Health::Starting => Slot::HealthStarting,
        Health::None => Slot::TextDim,
    };
    let streak = c
        .failing_streak
        .filter(|n| *n > 0)
        .map(|n| format!(" · failing {n} in a row"))
        .unwrap_or_default();
    let retries = match check.retries.unwrap_or(3) {
        1 => "1 retry".to_owned(),
        n => format!("{n} retries"),
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{:<7}", "HEALTH"), t.style(Slot::TextDim)),
            Span::styled(c.health.as_str().to_owned(), t.style(slot)),
            Span::styled(streak, t.style(Slot::Text)),
        ]),
        Line::from(Span::styled(
            format!(
                "       every {}, timeout {}, {retries}, start period {}",
                secs(check.interval_ns, "30s"),
                secs(check.timeout_ns, "30s"),
                secs(check.start_period_ns, "0s"),
            ),
            t.style(Slot::TextDim),
        )),
        Line::from(Span::styled(
            format!("       $ {}", mask(&command_text(&check.test))),
            t.style(Slot::TextDim),
        )),
    ];
    // Newest probe first: that is the one that decides what happens next.
    for p in c.health_log.iter().rev() {
        let when = p
            .start
            .map(|s| format!("{} ago", format_age((app.now - s).num_seconds().max(0))))
            .unwrap_or_default();
        let took = match (p.start, p.end) {
            (Some(s), Some(e)) => format!("{}ms", (e - s).num_milliseconds().max(0)),
            _ => String::new(),
        };
        let code = p.exit_code.unwrap_or(-1);
        let code_slot = if code == 0 {
            Slot::HealthHealthy
        } else {
            Slot::HealthUnhealthy
        };
        // The whole output, every line of it (the reason is often on the last): the first
        // beside the exit code, the rest under it.
        let mut output = p.output.trim_end().lines().map(|l| l.replace('\t', "    "));
        lines.push(Line::from(vec![
            Span::styled(format!("  {when:>8} {took:>6} "), t.style(Slot::TextDim)),
            Span::styled(format!("exit {code:<3} "), t.style(code_slot)),
            Span::styled(output.next().unwrap_or_default(), t.style(Slot::Text)),
        ]));
        for line in output {
            lines.push(Line::from(Span::styled(
                format!("{:26}{line}", ""),
                t.style(Slot::Text),
            )));
        }
    }
    lines
}

/// `["CMD-SHELL", "wget -q …"]` → `wget -q …`; `["CMD", "a", "b"]` → `a b`.
fn command_text(test: &[String]) -> String {
    match test.split_first() {
        Some((kind, rest)) if kind == "CMD-SHELL" || kind == "CMD" => rest.join(" "),
        _ => test.join(" "),
    }
}

fn kind_name(kind: CpuLimitKind) -> &'static str {
    match kind {
        CpuLimitKind::NanoCpus => "--cpus",
        CpuLimitKind::Quota => "quota/period",
        CpuLimitKind::Cpuset => "cpuset",
        CpuLimitKind::Host => "host",
    }
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// History as sparklines, newest on the right; the CPU chart's top is the limit.
fn render_charts(frame: &mut Frame, app: &App, c: &Container, entry: &UsageEntry, area: Rect) {
    let t = &app.theme;
    let h = &entry.history;
    // Each chart is coloured by where its latest value stands against the limit.
    let level = |p: Option<f64>| p.map_or(Slot::GaugeOk, |p| gauge_slot(app, p));
    let latest = entry.latest.as_ref();
    let cpu_slot = level(latest.and_then(|u| u.cpu_percent_of_limit));
    let mem_slot = level(latest.and_then(|u| u.memory_percent_of_limit));
    let mem_top = c
        .limits
        .memory_limit()
        .map(|l| l as f64)
        // Without a limit, leave headroom so a flat line does not read as "at the limit".
        .or_else(|| ring_max(&h.memory_working_set).map(|m| m * 1.25));
    let charts: Vec<(String, &Ring, Option<f64>, Slot)> = vec![
        (
            "CPU % of limit (top = limit)".into(),
            &h.cpu_percent_of_limit,
            Some(100.0),
            cpu_slot,
        ),
        (
            match c.limits.memory_limit() {
                Some(l) => format!("memory (top = limit {})", human_bytes(l)),
                None => "memory (no limit)".into(),
            },
            &h.memory_working_set,
            mem_top,
            mem_slot,
        ),
        (
            "throttled %".into(),
            &h.throttled_percent,
            Some(100.0),
            Slot::GaugeNearLimit,
        ),
        rate_chart(
            "network ↓",
            &h.net_rx_bytes_per_sec,
            latest.and_then(|u| u.net_rx_bytes_per_sec),
        ),
        rate_chart(
            "disk write",
            &h.blk_write_bytes_per_sec,
            latest.and_then(|u| u.blk_write_bytes_per_sec),
        ),
    ];
    // What the width of every chart stands for.
    let span = span_text(h.span().as_secs());
    // Each chart takes a title line and at least two rows of bars.
    let fit_count = (area.height / 3).max(1) as usize;
    let shown = &charts[..charts.len().min(fit_count)];
    let rows = Layout::vertical(shown.iter().map(|_| Constraint::Fill(1))).split(area);
    for ((title, ring, top, slot), row) in shown.iter().zip(rows.iter()) {
        let [title_area, bars_area] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(*row);
        frame.render_widget(
            Paragraph::new(Span::styled(
                fit(&format!("{title} · last {span}"), title_area.width as usize),
                t.style(Slot::TextDim),
            )),
            title_area,
        );
        // The whole window, squeezed to the pane's width, not just its last few columns.
        let points: Vec<Option<u64>> = ring
            .columns(bars_area.width as usize)
            .into_iter()
            .map(|v| v.map(|x| x.max(0.0) as u64))
            .collect();
        let max = top.map(|m| m.max(1.0) as u64).unwrap_or(1);
        frame.render_widget(
            Sparkline::default()
                .data(points)
                .max(max)
                .style(t.style(*slot)),
            bars_area,
        );
    }
}

/// The time a chart covers, to the second while that matters: "1m59s" is not "1m".
fn span_text(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

/// A rate chart: its title with its peak over the window (as the series keeps it, to a few
/// tenths of a percent), and its latest value while the container runs (`now`, exact; a
/// stopped one has no current rate); the peak is also the chart's top.
fn rate_chart<'a>(
    what: &str,
    r: &'a Ring,
    now: Option<f64>,
) -> (String, &'a Ring, Option<f64>, Slot) {
    let peak = ring_max(r);
    let title = match (now, peak) {
        (Some(now), Some(peak)) => format!(
            "{what} {}/s · peak {}/s",
            human_bytes(now as u64),
            human_bytes(peak as u64)
        ),
        (None, Some(peak)) => format!("{what} · peak {}/s", human_bytes(peak as u64)),
        _ => what.to_owned(),
    };
    (title, r, peak, Slot::Text)
}

fn ring_max(r: &Ring) -> Option<f64> {
    r.iter().flatten().map(f64::from).reduce(f64::max)
}

/// The TCP line: sockets, RTT and retransmissions where measured (local engines), or why not;
/// a value over its threshold is drawn as a warning.
fn tcp_line<'a>(app: &App, c: &Container, u: &crate::app::usage::Usage) -> Line<'a> {
    use crate::app::nethealth::millis;
    let t = &app.theme;
    let th = &app.options.net;
    let label = Span::styled(format!("{:<7}", "TCP"), t.style(Slot::TextDim));
    let warn_if = |over: bool| t.style(if over { Slot::Warning } else { Slot::Text });
    if !u.tcp_counted && u.tcp_sockets.is_none() {
        let local = app
            .endpoints
            .attached
            .iter()
            .any(|e| e.name == c.key.endpoint && e.host.starts_with("unix://"));
        let why = match &u.tcp_unreadable {
            Some(why) => why.clone(),
            // A local engine's container measured through the stats API: its cgroup could
            // not be read (or the API was asked for).
            None if local => "RTT and retransmits need its cgroup files (read through the stats \
                              API here)"
                .to_owned(),
            None => "RTT and retransmits need a local engine".to_owned(),
        };
        return Line::from(vec![label, Span::styled(why, t.style(Slot::TextDim))]);
    }
    let mut spans = vec![label];
    if let Some(n) = u
        .tcp_established
        .or(u.tcp_sockets.map(|s| u64::from(s.established)))
    {
        spans.push(Span::styled(
            format!("{n} established"),
            t.style(Slot::Text),
        ));
    }
    match (&u.tcp_sockets, &u.tcp_unreadable) {
        (Some(s), _) => {
            spans.push(Span::styled(
                format!(", {} listening", s.listening),
                t.style(Slot::Text),
            ));
            if let (Some(p50), Some(p95)) = (s.rtt_p50_us, s.rtt_p95_us) {
                let p95_ms = p95 as f64 / 1000.0;
                spans.push(Span::raw(" · rtt p50 "));
                spans.push(Span::styled(
                    millis(p50 as f64 / 1000.0),
                    t.style(Slot::Text),
                ));
                spans.push(Span::raw(" p95 "));
                spans.push(Span::styled(
                    millis(p95_ms),
                    warn_if(p95_ms > th.rtt_p95_ms),
                ));
            }
            // Dumps take turns on a busy host: an old reading says how old it is.
            if let Some(age) = u.tcp_sockets_age_secs.filter(|a| *a >= 15.0) {
                spans.push(Span::styled(
                    format!(" ({} ago)", crate::app::model::format_age(age as i64)),
                    t.style(Slot::TextDim),
                ));
            }
        }
        (None, Some(why)) => spans.push(Span::styled(format!(" · {why}"), t.style(Slot::TextDim))),
        (None, None) => spans.push(Span::styled(
            " · sockets: measuring…",
            t.style(Slot::TextDim),
        )),
    }
    spans.push(Span::raw(" · "));
    match u.tcp_retransmit_percent {
        Some(p) => spans.push(Span::styled(
            format!("retransmits {p:.2} %"),
            warn_if(p > th.retransmit_percent),
        )),
        None if u.tcp_counted => spans.push(Span::styled(
            "retransmits: too few segments sent yet",
            t.style(Slot::TextDim),
        )),
        None => spans.push(Span::styled("retransmits: -", t.style(Slot::TextDim))),
    }
    Line::from(spans)
}
