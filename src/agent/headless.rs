//! `wheelhouse agent`: the agent's proposals for cron jobs and pipelines, from the same
//! perception and rules as the panel. `--once` watches the endpoints for a short window (what
//! the engine records itself, such as OOM kills, restart counts and health, needs none), then
//! prints what is proposed and why; without it, each new proposal is printed as it appears.
//! `--apply ID` applies one through the same gate as every change (read-only refuses it, the
//! audit log records it with origin `agent`, its policy and the proposal's id).
//!
//! With `--once`, the alerts are read and each advisor asked once, at the end of the window;
//! without it, on their own schedule. Canary rollouts are watched without taking their locks
//! (a proposal is made for one nobody drives), and `--apply` of a canary proposal moves the
//! rollout under its lock, as `canary promote|abort` do (exit 5 when another process holds it).
//!
//! Exit status as the change commands: 0 done (or printed), 1 the plan failed, 2 bad input
//! (an unknown proposal id, a policy file that does not read), 3 no endpoint could be reached,
//! 4 refused by read-only.

use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;

use super::proposal::Note;
use super::Pending;
use crate::change::{self, Flags, EXIT_BAD_INPUT, EXIT_UNREACHABLE};
use crate::cli::{self, Common};

/// What `agent` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Watch for `window`, print, stop (`None`: the longest up window of the policies).
    pub once: bool,
    pub window: Option<Duration>,
    pub json: bool,
    /// Apply the proposal with this id (after the window).
    pub apply: Option<String>,
    pub flags: Flags,
}

#[derive(Serialize)]
struct Report<'a> {
    proposals: &'a [Pending],
    notes: &'a [Note],
    services: Vec<super::perceive::ServiceSnapshot>,
    advisors: Vec<AdvisorReport<'a>>,
    alerts: &'a [super::alerts::Alert],
    /// Why the alerts could not be read.
    alerts_problem: Option<&'a str>,
    /// How long the endpoints were watched, in seconds.
    watched_secs: f64,
}

/// How an advisor's run went.
#[derive(Serialize)]
struct AdvisorReport<'a> {
    name: &'a str,
    /// Why its answer was refused (then none of it is used).
    problem: Option<&'a str>,
    /// Its proposals left out, each with why.
    left_out: &'a [String],
}

fn advisor_reports(agent: &super::Agent) -> Vec<AdvisorReport<'_>> {
    agent
        .advisors
        .iter()
        .map(|(name, s)| AdvisorReport {
            name,
            problem: s.problem.as_deref(),
            left_out: &s.left_out,
        })
        .collect()
}

pub fn run(common: Common, options: Options) -> anyhow::Result<ExitCode> {
    let loaded = cli::load(&common)?;
    cli::print_warnings(&loaded.warnings);
    let attached = cli::endpoints(&common)?;
    cli::print_warnings(&attached.warnings);
    for b in &attached.broken {
        cli::say(&format!("wheelhouse: {b}"));
    }
    if attached.endpoints.is_empty() {
        cli::say("wheelhouse: agent: no endpoint to watch");
        return Ok(ExitCode::from(EXIT_UNREACHABLE));
    }
    // The observation changes nothing: read-only while it watches, whatever the policies allow
    // alone. A change is `--apply`'s, through the gate below.
    let mut app = cli::app_for(&loaded, &attached.endpoints, &attached.broken, false);
    if let Some(problem) = &app.agent.policy_problem {
        cli::say(&format!("wheelhouse: agent: {problem}"));
        return Ok(ExitCode::from(EXIT_BAD_INPUT));
    }
    let read_only = app.options.read_only;
    app.options.read_only = true;
    // The rollouts, watched for canary proposals (their locks left to whoever drives them).
    let rollouts = cli::with_rollouts(&loaded, &mut app).unwrap_or_else(|e| {
        cli::say(&format!("wheelhouse: agent: {e}"));
        Vec::new()
    });
    let mut rt = cli::runtime_for(&loaded, attached.endpoints.clone(), &app);
    rt.rollouts = rollouts;
    let window = options
        .window
        .unwrap_or_else(|| default_window(&app.agent.policies, !rt.rollouts.is_empty()));
    let tokio = cli::tokio_runtime()?;
    if !options.once && options.apply.is_none() {
        let code = tokio.block_on(follow(app, &rt, options.json));
        tokio.shutdown_background();
        return code;
    }
    let mut app = tokio.block_on(async {
        let app = crate::runtime::observe(app, &rt, Some(window), false, |_| {}).await;
        consult_once(app).await
    });
    tokio.shutdown_background();
    let Some(id) = options.apply else {
        print(&app, window, options.json)?;
        return Ok(ExitCode::SUCCESS);
    };
    let Some(p) = app.agent.find(&id).map(|p| p.proposal.clone()) else {
        let known: Vec<&str> = app
            .agent
            .pending
            .iter()
            .map(|p| p.proposal.id.as_str())
            .collect();
        cli::say(&format!(
            "wheelhouse: agent: no proposal {id:?} after watching {} ({})",
            super::policy::human_duration(window),
            if known.is_empty() {
                "nothing is proposed now".to_owned()
            } else {
                format!("proposed now: {}", known.join(", "))
            }
        ));
        return Ok(ExitCode::from(EXIT_BAD_INPUT));
    };
    if !options.json {
        cli::say(&format!("{}: {}", p.id, p.numbers));
    }
    // A rollout is moved under its lock, as `canary promote|abort` moves it.
    if let (super::proposal::Subject::Rollout { name, .. }, change) = (&p.subject, &p.change) {
        let input = match change {
            super::proposal::Change::Abort { reason } => crate::canary::machine::Input::Abort {
                reason: reason.clone(),
            },
            _ => crate::canary::machine::Input::Promote,
        };
        let origin = crate::ops::Origin::Agent {
            policy: p.policy.clone(),
            proposal: p.id.clone(),
        };
        return crate::canary::headless::transition(common, name, input, options.flags, origin);
    }
    app.options.read_only = read_only;
    let plan = match crate::app::update::agent::plan_for(&mut app, &p) {
        Ok(plan) => plan,
        Err(e) => {
            cli::say(&format!("wheelhouse: agent: {e}"));
            return Ok(ExitCode::from(EXIT_BAD_INPUT));
        }
    };
    change::run_plan_on(&common, &loaded, plan, options.flags)
}

/// After the window: the alerts read, then each advisor asked once on what was perceived, and
/// the book made again with their answers.
async fn consult_once(mut app: crate::app::state::App) -> crate::app::state::App {
    if let Some(source) = app.agent.policies.alerts.clone() {
        let body = crate::canary::http::get(&source.query(), source.timeout).await;
        app.agent.alerts_read(body);
    }
    for advisor in app.agent.policies.advisors.clone() {
        let input = app.agent.advisor_input(&advisor.name);
        let answer = super::advisor::consult(&advisor, input).await;
        app.agent.advised(&advisor.name, answer);
    }
    if app.agent.policies.alerts.is_some() || !app.agent.policies.advisors.is_empty() {
        crate::app::update::agent::decide(&mut app);
    }
    app
}

/// Listing, inspecting and the two samples a first rate needs.
const STARTUP: Duration = Duration::from_secs(5);

/// Long enough for the horizontal rule to propose: the smoothing to settle, then the up window
/// to agree, for the slowest policy; with rollouts, long enough for gates to pass for
/// `promote_after` too.
fn default_window(policies: &super::policy::Policies, rollouts: bool) -> Duration {
    policies
        .all()
        .map(|p| {
            let scale = p.smoothing + p.scale_up_window;
            if rollouts {
                scale.max(p.promote_after)
            } else {
                scale
            }
        })
        .max()
        .unwrap_or_default()
        + STARTUP
}

fn print(app: &crate::app::state::App, window: Duration, json: bool) -> anyhow::Result<()> {
    let agent = &app.agent;
    if json {
        let report = Report {
            proposals: &agent.pending,
            notes: &agent.notes,
            services: agent.perception.snapshot(),
            advisors: advisor_reports(agent),
            alerts: &agent.alerts.firing,
            alerts_problem: agent.alerts.problem.as_deref(),
            watched_secs: window.as_secs_f64(),
        };
        warn_consulted(agent);
        return cli::emit(&(serde_json::to_string_pretty(&report)? + "\n"));
    }
    warn_consulted(agent);
    let mut out = String::new();
    if agent.pending.is_empty() {
        out.push_str("no proposals\n");
    }
    for p in &agent.pending {
        out.push_str(&proposal_text(p));
    }
    for n in &agent.notes {
        out.push_str(&format!(
            "note {} {}: {}\n",
            n.kind.name(),
            n.subject.label(),
            n.text
        ));
    }
    for a in &agent.alerts.firing {
        out.push_str(&format!("alert {}\n", a.line()));
    }
    cli::emit(&out)
}

/// What went wrong with an advisor or the alerts, on stderr: the proposals printed are the
/// built-in rules' alone then.
fn warn_consulted(agent: &super::Agent) {
    for (name, s) in &agent.advisors {
        if let Some(p) = &s.problem {
            cli::say(&format!("wheelhouse: agent: advisor {name}: {p}"));
        }
        for l in &s.left_out {
            cli::say(&format!("wheelhouse: agent: advisor {name}: left out {l}"));
        }
    }
    if let Some(p) = &agent.alerts.problem {
        cli::say(&format!("wheelhouse: agent: alerts: {p}"));
    }
}

fn proposal_text(p: &Pending) -> String {
    let pr = &p.proposal;
    let mut out = format!(
        "{}\n  {} {} on {}\n  {}\n  expected: {}\n",
        pr.id,
        pr.change.words(),
        pr.subject.label(),
        pr.subject.endpoint(),
        pr.numbers,
        pr.expected
    );
    for r in &pr.reasons {
        out.push_str(&format!("  why: {r}\n"));
    }
    out
}

/// Without `--once`: each proposal once, as it appears, until interrupted (or stdout closes).
async fn follow(
    app: crate::app::state::App,
    rt: &crate::runtime::Runtime,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut said: std::collections::HashSet<String> = std::collections::HashSet::new();
    let (closed_tx, mut closed_rx) = tokio::sync::mpsc::channel::<()>(1);
    let each = |app: &crate::app::state::App| {
        for p in &app.agent.pending {
            if !said.insert(p.proposal.id.clone()) {
                continue;
            }
            let text = if json {
                serde_json::to_string(p).unwrap_or_default() + "\n"
            } else {
                proposal_text(p)
            };
            if cli::emit(&text).is_err() {
                let _ = closed_tx.try_send(());
            }
        }
    };
    tokio::select! {
        _ = crate::runtime::observe(app, rt, None, true, each) => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = closed_rx.recv() => {}
    }
    Ok(ExitCode::SUCCESS)
}
