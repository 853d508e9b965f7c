//! The canary view (`W`): every rollout in a list, and the selected one in full: the share set
//! on the router beside the share its requests really took, stable and canary side by side
//! (requests a second, errors, latency, with their recent history), each gate's value against
//! its bound, where the rollout is in its steps and its phase, and who drives it. Redrawn in
//! place on every reading. Keys are named as the active keymap binds them.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::text::{fit, message};
use crate::app::action::{Action, KeyContext};
use crate::app::canary::{Driving, RolloutView};
use crate::app::state::App;
use crate::app::usage::Ring;
use crate::canary::config::Step;
use crate::canary::state::Phase;

use crate::canary::traffic::Verdict;
use crate::config::theme::Slot;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A ring as a line of bars, each column the peak of its share, from the lowest to the highest
/// value shown (a steady rate is a flat low line, not a wall).
fn spark(ring: &Ring, width: usize) -> String {
    let cols = ring.columns(width);
    let top = cols.iter().flatten().fold(f32::MIN, |a, b| a.max(*b));
    let low = cols
        .iter()
        .flatten()
        .fold(f32::MAX, |a, b| a.min(*b))
        .min(top);
    cols.iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if top <= low => BARS[0],
            Some(v) => BARS[(((v - low) / (top - low)) * 7.0).round().clamp(0.0, 7.0) as usize],
        })
        .collect()
}

/// `[██████░░░░]` for a share of `percent`.
fn bar(percent: f64, width: usize) -> String {
    let filled = ((percent / 100.0) * width as f64)
        .round()
        .clamp(0.0, width as f64) as usize;
    format!("[{}{}]", "█".repeat(filled), "░".repeat(width - filled))
}

/// The key that runs `action` in the canary view, or `:name` when none does.
fn key(app: &App, action: Action) -> String {
    app.keymap
        .hint(KeyContext::Canary, action)
        .unwrap_or_else(|| format!(":{}", action.name()))
}

/// `paused 2/4`, `aborted`, `progressing 3/4 suspended`: a rollout's phase for the list.
fn phase_short(r: &RolloutView) -> String {
    let s = &r.state;
    let n = r.spec.steps.len();
    let mut out = match &s.phase {
        Phase::Ready | Phase::Promoted | Phase::Aborted { .. } => s.phase.word().to_owned(),
        _ => format!("{} {}/{n}", s.phase.word(), (s.step + 1).min(n)),
    };
    if s.suspended {
        out.push_str(" susp.");
    }
    if matches!(r.driving, Driving::Elsewhere(_)) {
        out.push_str(" (watch)");
    }
    out
}

fn secs_words(s: i64) -> String {
    if s >= 120 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

/// The phase in full, with what moves it next: one or two lines.
fn phase_lines(app: &App, r: &RolloutView) -> Vec<Line<'static>> {
    let t = &app.theme;
    let s = &r.state;
    let n = r.spec.steps.len();
    let label = || Span::styled("phase   ", t.style(Slot::TextDim));
    let at = |i: usize| format!("step {} of {n}", (i + 1).min(n));
    let waited = (app.now - s.step_started).num_seconds().max(0);
    let (text, slot) = match &s.phase {
        Phase::Ready => (
            format!(
                "ready: all traffic on stable; {} starts it",
                key(app, Action::NextStep)
            ),
            Slot::TextDim,
        ),
        Phase::Paused if s.step >= n => (
            format!(
                "paused after the last step: {} promotes (stable replaced with the canary's image)",
                key(app, Action::Promote)
            ),
            Slot::Warning,
        ),
        Phase::Paused => (
            format!(
                "paused at {}, until confirmed: {} goes on",
                at(s.step),
                key(app, Action::NextStep)
            ),
            Slot::Warning,
        ),
        Phase::Progressing => {
            let how = match r.spec.steps.get(s.step) {
                Some(Step::Pause(d)) => {
                    let left = d.as_secs() as i64 - waited;
                    if left > 0 {
                        format!("pause, {} left", secs_words(left))
                    } else {
                        "pause over; goes on when the gates stop failing".to_owned()
                    }
                }
                Some(Step::Analysis(d)) => {
                    let passing = r
                        .passing_since
                        .map(|p| (app.now - p.max(s.step_started)).num_seconds().max(0));
                    match passing {
                        Some(p) => format!(
                            "analysis, gates passing for {} of {}",
                            secs_words(p),
                            secs_words(d.as_secs() as i64)
                        ),
                        None => format!(
                            "analysis, waiting for passing gates ({} in a row needed)",
                            secs_words(d.as_secs() as i64)
                        ),
                    }
                }
                _ => String::new(),
            };
            (
                format!("progressing at {}: {how}", at(s.step)),
                Slot::StateRunning,
            )
        }
        Phase::Promoting => (
            format!(
                "promoting: all traffic on the canary while the stable replicas take its image \
                 ({} again if this was cut short)",
                key(app, Action::Promote)
            ),
            Slot::Warning,
        ),
        Phase::Promoted => (
            format!(
                "promoted: stable runs the canary's image and has all traffic; {} starts the next",
                key(app, Action::Retry)
            ),
            Slot::StateRunning,
        ),
        Phase::Aborted { reason, ramp } if !ramp.is_empty() => {
            let left = (r.spec.abort_hold.as_secs() as i64 - waited).max(0);
            let rest: Vec<String> = ramp.iter().map(|w| format!("{w} %")).collect();
            (
                format!(
                    "aborting ({reason}): {} % now, then {} ({} left at this share)",
                    s.weight,
                    rest.join(", "),
                    secs_words(left)
                ),
                Slot::Warning,
            )
        }
        Phase::Aborted { reason, .. } => {
            let (health, slot) = match r.stable_healthy() {
                Some(true) => ("stable healthy", Slot::StateRunning),
                Some(false) => ("stable NOT healthy", Slot::Error),
                None => ("stable's health not known yet", Slot::TextDim),
            };
            (
                format!(
                    "Aborted — {health} ({reason}); {} starts again",
                    key(app, Action::Retry)
                ),
                slot,
            )
        }
    };
    let mut first = vec![label(), Span::styled(text, t.style(slot))];
    if s.suspended {
        first.push(Span::styled(
            format!(
                "   SUSPENDED: its own steps wait ({} resumes)",
                key(app, Action::Suspend)
            ),
            t.style(Slot::Warning),
        ));
    }
    let mut out = vec![Line::from(first)];
    let note = |text: String, slot: Slot| {
        Line::from(vec![
            Span::raw("        "),
            Span::styled(text, t.style(slot)),
        ])
    };
    match &r.driving {
        Driving::Elsewhere(h) => out.push(note(
            format!(
                "driven by {}; this console watches",
                h.as_ref()
                    .map_or_else(|| "another process".to_owned(), |h| h.to_string())
            ),
            Slot::Warning,
        )),
        Driving::Failed(e) => out.push(note(
            format!("not driven from here: its lock could not be taken: {e}"),
            Slot::Error,
        )),
        Driving::Here | Driving::Unknown | Driving::Nobody => {}
    }
    if let Some(why) = &r.review {
        out.push(note(format!("state needs review: {why}"), Slot::Error));
    }
    if app.options.read_only && !s.finished() && s.phase != Phase::Ready {
        out.push(note(
            "read-only: its steps do not run from this console".to_owned(),
            Slot::TextDim,
        ));
    }
    // The router gives another share than the rollout set: it restarted (runtime weights are
    // lost on reload) or someone changed it by hand.
    if let Some(now) = r.weight_now() {
        if s.phase != Phase::Ready && now != s.weight && r.driven_here() {
            out.push(note(
                format!(
                    "the router gives {now} %, the rollout set {} % (router reloaded, or changed \
                     by hand?): stage {} % and {} to set it again",
                    s.weight,
                    s.weight,
                    key(app, Action::ApplyWeight)
                ),
                Slot::Error,
            ));
        }
    }
    out
}

fn fmt_opt(v: Option<f64>, unit: &str) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}{unit}"))
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let state = &app.views.canary;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Slot::BorderFocused))
        .title(Span::styled(" Canary rollouts ", t.style(Slot::Title)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(e) = &state.config_error {
        return message(
            frame,
            inner,
            &format!("rollouts.toml: {e}"),
            t.style(Slot::Error),
        );
    }
    if state.rollouts.is_empty() {
        return message(
            frame,
            inner,
            "No rollouts: define them in rollouts.toml in the config dir (wheelhouse paths says \
             where; README shows one).",
            t.style(Slot::TextDim),
        );
    }
    let list_height = (state.rollouts.len() as u16 + 1)
        .min(inner.height / 3)
        .max(2);
    let [list, detail] =
        Layout::vertical([Constraint::Length(list_height), Constraint::Fill(1)]).areas(inner);
    let w = inner.width as usize;
    let mut lines = vec![Line::from(Span::styled(
        fit(
            &format!(
                "{:<16} {:<18} {:>15}  {:<18} {:<10} ROUTER",
                "NAME", "SERVICE", "CANARY set/got", "PHASE", "GATES"
            ),
            w,
        ),
        t.style(Slot::TableHeader),
    ))];
    // More rollouts than rows: the list scrolls so that the cursor's row is always shown.
    let rows = usize::from(list_height.saturating_sub(1)).max(1);
    let first = list_offset(state.cursor, rows, state.rollouts.len());
    for (i, r) in state.rollouts.iter().enumerate().skip(first).take(rows) {
        let got = r
            .got_percent(&app.inventory)
            .0
            .map_or_else(|| "-".to_owned(), |p| format!("{p:.0} %"));
        let set = r
            .set_percent()
            .map_or_else(|| "?".to_owned(), |p| format!("{p:.0} %"));
        let gates = match (&r.router_error, &r.verdict) {
            (Some(_), _) => "no router",
            (None, Some(Verdict::Passed { .. })) => "passed",
            (None, Some(Verdict::Failed { .. })) if r.abort_proposed() => "ABORT?",
            (None, Some(Verdict::Failed { .. })) => "failing",
            (None, Some(Verdict::Waiting { .. })) => "waiting",
            (None, None) => "-",
        };
        let text = format!(
            "{:<16} {:<18} {:>15}  {:<18} {:<10} {}",
            fit(&r.spec.name, 16),
            fit(&r.spec.service, 18),
            format!("{set} / {got}"),
            fit(&phase_short(r), 18),
            gates,
            r.spec.router.describe()
        );
        let mut line = Line::from(fit(&text, w));
        if i == state.cursor {
            line = line.style(t.style(Slot::TableSelected));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), list);
    if let Some(r) = state.selected() {
        detail_of(frame, app, r, detail);
    }
}

/// The first rollout shown in a list of `rows` rows with the cursor at `cursor`: the top
/// until the cursor passes the last row, then so that the cursor is on the last row.
fn list_offset(cursor: usize, rows: usize, len: usize) -> usize {
    let cursor = cursor.min(len.saturating_sub(1));
    (cursor + 1).saturating_sub(rows)
}

fn detail_of(frame: &mut Frame, app: &App, r: &RolloutView, area: Rect) {
    let t = &app.theme;
    let w = area.width as usize;
    let bar_w = w.saturating_sub(40).clamp(10, 50);
    let mut lines = vec![
        Line::from(""),
        Line::from(vec![
            Span::styled(format!("{} ", r.spec.name), t.style(Slot::Title)),
            Span::styled(
                format!("— {} via {}", r.spec.service, r.spec.router.describe()),
                t.style(Slot::TextDim),
            ),
        ]),
    ];
    if let Some(e) = &r.router_error {
        lines.push(Line::from(Span::styled(
            format!("router does not answer: {e}"),
            t.style(Slot::Error),
        )));
    }
    let set = r.set_percent();
    let mut set_line = vec![
        Span::styled("set     ", t.style(Slot::TextDim)),
        Span::raw(bar(set.unwrap_or(0.0), bar_w)),
        Span::raw(format!(" {}", fmt_opt(set, " %"))),
    ];
    if let Some(staged) = r.staged {
        set_line.push(Span::styled(
            format!("   staged {staged} % (Enter applies it)"),
            t.style(Slot::Warning),
        ));
    }
    lines.push(Line::from(set_line));
    let (got, over) = r.got_percent(&app.inventory);
    lines.push(Line::from(vec![
        Span::styled("got     ", t.style(Slot::TextDim)),
        Span::raw(bar(got.unwrap_or(0.0), bar_w)),
        Span::raw(format!(" {} {over}", fmt_opt(got, " %"))),
    ]));
    lines.push(Line::from(""));
    let col = 26;
    let spark_w = w.saturating_sub(12 + 2 * col).min(30);
    let (sw, cw) = match r.window {
        Some((s, c, secs)) => (Some((s, secs)), Some((c, secs))),
        None => (None, None),
    };
    lines.push(Line::from(Span::styled(
        format!("{:<12}{:<col$}{:<col$}", "", "STABLE", "CANARY"),
        t.style(Slot::TableHeader),
    )));
    let rps = |x: Option<(crate::canary::traffic::Window, f64)>| {
        x.map(|(w, secs)| w.requests as f64 / secs.max(0.001))
    };
    let errs =
        |x: Option<(crate::canary::traffic::Window, f64)>| x.and_then(|(w, _)| w.error_percent());
    // A side that answered nothing in the window has no latency (HAProxy says 0 then).
    let lat = |x: Option<(crate::canary::traffic::Window, f64)>| {
        x.filter(|(w, _)| w.requests > 0)
            .and_then(|(w, _)| w.latency_ms)
    };
    for (label, stable, canary, s_ring, c_ring) in [
        (
            "requests/s",
            fmt_opt(rps(sw), ""),
            fmt_opt(rps(cw), ""),
            Some(&r.stable_rps),
            Some(&r.canary_rps),
        ),
        (
            "errors %",
            fmt_opt(errs(sw), " %"),
            fmt_opt(errs(cw), " %"),
            Some(&r.stable_errors),
            Some(&r.canary_errors),
        ),
        (
            "latency",
            fmt_opt(lat(sw), " ms"),
            fmt_opt(lat(cw), " ms"),
            None,
            None,
        ),
    ] {
        let with_spark = |v: String, ring: Option<&Ring>| {
            let s = ring
                .map(|r| spark(r, spark_w.min(col - 12)))
                .unwrap_or_default();
            fit(&format!("{v:<9} {s}"), col - 1)
        };
        let cell = |s: String| format!("{s:<col$}");
        lines.push(Line::from(vec![
            Span::styled(format!("{label:<12}"), t.style(Slot::TextDim)),
            Span::raw(cell(with_spark(stable, s_ring))),
            Span::raw(cell(with_spark(canary, c_ring))),
        ]));
    }
    lines.push(Line::from(""));
    // Each gate's value against its bound.
    let mut gate_line = vec![Span::styled("gates   ", t.style(Slot::TextDim))];
    match &r.verdict {
        None => gate_line.push(Span::styled("no window yet", t.style(Slot::TextDim))),
        Some(Verdict::Waiting { requests, need }) => gate_line.push(Span::styled(
            format!("waiting: {requests} canary requests of the {need} a verdict needs"),
            t.style(Slot::TextDim),
        )),
        Some(Verdict::Passed { checks } | Verdict::Failed { checks }) => {
            for c in checks {
                let slot = if c.passed {
                    Slot::StateRunning
                } else {
                    Slot::Error
                };
                gate_line.push(Span::styled(format!("{}   ", c.words()), t.style(slot)));
            }
        }
    }
    lines.push(Line::from(gate_line));
    if r.abort_proposed() && !r.state.finished() && !matches!(r.state.phase, Phase::Aborted { .. })
    {
        lines.push(Line::from(Span::styled(
            format!(
                "the gates failed {} times in a row (budget {}): abort is proposed — {} sends \
                 all requests back to stable",
                r.failed_in_a_row,
                r.spec.gates.budget,
                key(app, Action::Abort)
            ),
            t.style(Slot::Error),
        )));
    }
    // The steps, the current one marked, and what `p` does next.
    let at = r.step_index();
    let steps: Vec<String> = r
        .spec
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let text = match s {
                Step::Weight(w) => format!("{w} %"),
                Step::PauseUntilConfirmed => "pause (p)".to_owned(),
                Step::Pause(d) => format!("pause {} s", d.as_secs()),
                Step::Analysis(d) => format!("analysis {} s", d.as_secs()),
            };
            if Some(i) == at {
                format!("[{text}]")
            } else {
                text
            }
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled("steps   ", t.style(Slot::TextDim)),
        Span::raw(steps.join(" → ")),
    ]));
    lines.extend(phase_lines(app, r));
    let s = &r.state;
    let next = if s.phase == Phase::Promoted {
        format!(
            "{} starts the next canary from the first step",
            key(app, Action::Retry)
        )
    } else if s.finished() {
        format!("{} retries an aborted rollout", key(app, Action::Retry))
    } else if matches!(s.phase, Phase::Aborted { .. }) {
        format!("{} aborts now (skips the ramp)", key(app, Action::Abort))
    } else {
        let step = match s.phase {
            Phase::Ready => Some(0),
            _ => Some(s.step + 1).filter(|i| *i < r.spec.steps.len()),
        };
        let go_on = step.map(|i| {
            let w = r.spec.steps[i..].iter().map_while(|st| match st {
                Step::Weight(w) => Some(*w),
                _ => None,
            });
            match w.last() {
                Some(w) => format!("{} sends {w} %", key(app, Action::NextStep)),
                None => format!("{} goes on", key(app, Action::NextStep)),
            }
        });
        let mut parts: Vec<String> = go_on.into_iter().collect();
        parts.push(format!("{} promote", key(app, Action::Promote)));
        parts.push(format!("{} abort (all to stable)", key(app, Action::Abort)));
        parts.push(format!(
            "{} {}",
            key(app, Action::Suspend),
            if s.suspended { "resume" } else { "suspend" }
        ));
        parts.join(" · ")
    };
    lines.push(Line::from(vec![
        Span::styled("keys    ", t.style(Slot::TextDim)),
        Span::raw(next),
    ]));
    frame.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rollout_list_scrolls_to_keep_the_cursor_in_view() {
        // 3 rows for 10 rollouts.
        assert_eq!(list_offset(0, 3, 10), 0);
        assert_eq!(list_offset(2, 3, 10), 0);
        assert_eq!(list_offset(3, 3, 10), 1);
        assert_eq!(list_offset(9, 3, 10), 7);
        // All fit: never scrolled.
        assert_eq!(list_offset(4, 10, 5), 0);
    }

    #[test]
    fn bars_and_sparks_fit_their_width() {
        assert_eq!(bar(50.0, 10), "[█████░░░░░]");
        assert_eq!(bar(0.0, 4), "[░░░░]");
        assert_eq!(bar(100.0, 4), "[████]");
        let mut r = Ring::new(10);
        for v in [0.0, 5.0, 10.0] {
            r.push(Some(v));
        }
        assert_eq!(spark(&r, 3), "▁▅█");
    }
}
