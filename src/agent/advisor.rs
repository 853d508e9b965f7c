//! External advisors: a command named in `agent.toml` reads what the agent perceives as JSON on
//! stdin and answers with proposals as JSON on stdout (the schema is in README). Its proposals
//! are shown beside the built-in ones, under its name.
//!
//! The rules, because an advisor is never trusted:
//! - One run per advisor at a time, every `every`; a run that outlasts `timeout` is killed
//!   (its whole process group) and reported, and the next run waits for `every` again.
//! - A non-zero exit, an answer that is not the schema, or more than [`MAX_ANSWER`] bytes: the
//!   whole answer is refused and reported with the advisor's name, and its earlier proposals go
//!   with it (a stale answer is not kept as if it were fresh).
//! - Each proposal must name a service or container the agent sees, a change within the
//!   policy (replicas within `min_replicas..=max_replicas`, memory not below the replicas'
//!   peak) and a kind the policy has on; one that does not is left out, with the reason shown.
//! - An advisor's proposal never applies without a keystroke, whatever `auto` says; it goes
//!   through the same confirmation and gate as the agent's own.
//! - Its text is shown as text: control characters are escaped, lengths are capped.

use std::ops::Range;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::perceive::{ContainerSnapshot, Perception, ServiceSnapshot};
use super::policy::{human_duration, parse_duration, Kind, Policies};
use super::proposal::{Change, Proposal, Subject};
use crate::config::error::{ConfigError, Source};

/// The most an answer may be; more is refused, not cut.
pub const MAX_ANSWER: usize = 1 << 20;
/// Proposals taken from one answer.
const MAX_PROPOSALS: usize = 100;
/// Characters kept of a line of an advisor's text, and lines of reasons.
const MAX_TEXT: usize = 200;
const MAX_REASONS: usize = 10;
/// What the engine accepts as the smallest memory limit.
const MIN_MEMORY: u64 = 6 << 20;

/// One advisor as configured: `[advisor.NAME]` with `command = ["prog", "arg"]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Advisor {
    pub name: String,
    /// The program and its arguments, run without a shell.
    pub command: Vec<String>,
    pub every: Duration,
    pub timeout: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAdvisor {
    command: Spanned<Vec<String>>,
    every: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
}

/// The first run waits this long after the agent's first pass, for samples to arrive.
pub const FIRST_RUN_AFTER: Duration = Duration::from_secs(5);
const DEFAULT_EVERY: Duration = Duration::from_secs(30);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// `[advisor.NAME]`, checked: a command to run, durations that read, a timeout within `every`.
pub(super) fn configured(
    name: &str,
    raw: RawAdvisor,
    span: Range<usize>,
    source: &Source,
) -> Result<Advisor, ConfigError> {
    let field = |span: Range<usize>, field: &str, message: String| {
        source.error_at(span, format!("advisor.{name}.{field} {message}"))
    };
    if name.is_empty() || name.chars().any(|c| c.is_control() || c == '/') {
        return Err(source.error_at(
            span,
            format!("[advisor.{name:?}]: a name without '/' or control characters"),
        ));
    }
    let command_span = raw.command.span();
    let command = raw.command.into_inner();
    if command.first().is_none_or(|p| p.trim().is_empty()) {
        return Err(field(
            command_span,
            "command",
            "must name a program: command = [\"/usr/local/bin/advise\", \"--flag\"]".into(),
        ));
    }
    let duration = |v: Option<Spanned<String>>, which: &str, default: Duration| match v {
        None => Ok(default),
        Some(v) => parse_duration(v.get_ref())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                field(
                    v.span(),
                    which,
                    format!(
                        "must be a duration above zero such as \"30s\" or \"5m\" (got {:?})",
                        v.get_ref()
                    ),
                )
            }),
    };
    let timeout_span = raw.timeout.as_ref().map(Spanned::span);
    let every = duration(raw.every, "every", DEFAULT_EVERY)?;
    let timeout = duration(raw.timeout, "timeout", DEFAULT_TIMEOUT.min(every))?;
    if timeout > every {
        return Err(field(
            timeout_span.unwrap_or(span),
            "timeout",
            format!(
                "({}) is longer than every ({}): runs would pile up",
                human_duration(timeout),
                human_duration(every)
            ),
        ));
    }
    Ok(Advisor {
        name: name.to_owned(),
        command,
        every,
        timeout,
    })
}

/// What an advisor reads on stdin.
#[derive(Serialize)]
pub struct Input<'a> {
    /// The schema's version: fields are added, never changed, within one.
    pub version: u32,
    pub advisor: &'a str,
    /// RFC 3339.
    pub at: String,
    pub services: Vec<ServiceSnapshot>,
    pub containers: Vec<ContainerSnapshot>,
    /// The canary rollouts, with their routers' request rates and error shares.
    pub rollouts: Vec<&'a super::perceive::RolloutSignals>,
    /// The built-in rules' proposals now, as `agent --json` prints them.
    pub proposals: Vec<&'a super::Pending>,
    pub alerts: &'a [super::alerts::Alert],
}

pub const INPUT_VERSION: u32 = 1;

/// What an advisor answers: `{"proposals": [...]}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    proposals: Vec<serde_json::Value>,
}

/// One proposal of an answer, as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advised {
    /// The endpoint; may be left out when the subject's name is on one endpoint only.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// `project/service`, for `scale` and `limits`.
    #[serde(default)]
    pub service: Option<String>,
    /// A container's name, for `restart`.
    #[serde(default)]
    pub container: Option<String>,
    pub action: Action,
    #[serde(default)]
    pub replicas: Option<u32>,
    #[serde(default)]
    pub cpus: Option<f64>,
    /// Bytes, or a size as docker takes it (`"96m"`).
    #[serde(default)]
    pub memory: Option<Size>,
    #[serde(default)]
    pub numbers: Option<String>,
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub expected: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Scale,
    Limits,
    Restart,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Size {
    Bytes(u64),
    Text(String),
}

/// An answer read: its proposals as written, or why none of it is taken.
pub fn read_answer(stdout: &str) -> Result<Vec<Advised>, String> {
    let answer: Answer = serde_json::from_str(stdout).map_err(|e| {
        let start: String = stdout.trim().chars().take(60).collect();
        format!(
            "the answer is not {{\"proposals\": [...]}}: {e} (it began {:?})",
            start
        )
    })?;
    if answer.proposals.len() > MAX_PROPOSALS {
        return Err(format!(
            "{} proposals in one answer; at most {MAX_PROPOSALS} are read",
            answer.proposals.len()
        ));
    }
    answer
        .proposals
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::from_value::<Advised>(v).map_err(|e| format!("proposals[{i}]: {e}"))
        })
        .collect()
}

/// A proposal as written, checked against what the agent sees and the policies: the proposal
/// to show, or why it is left out.
pub fn check(
    advisor: &str,
    a: &Advised,
    seen: &Perception,
    policies: &Policies,
) -> Result<Proposal, String> {
    let (subject, service) = match (&a.service, &a.container) {
        (Some(s), None) => {
            let key = find_service(seen, s, a.endpoint.as_deref())?;
            (Subject::Service(key.clone()), Some(key.clone()))
        }
        (None, Some(c)) => {
            let (key, signals) = find_container(seen, c, a.endpoint.as_deref())?;
            (
                Subject::Container {
                    key: key.clone(),
                    name: signals.name.clone(),
                    service: signals.service.clone(),
                },
                signals.service.clone(),
            )
        }
        (Some(_), Some(_)) => return Err("names both a service and a container".into()),
        (None, None) => return Err("names neither a service nor a container".into()),
    };
    let policy = match &service {
        Some(k) => policies.of(&k.project, &k.service),
        None => &policies.default,
    };
    let (kind, change) = match a.action {
        Action::Scale => {
            let Subject::Service(key) = &subject else {
                return Err("scale names a service, not a container".into());
            };
            if key.is_group() {
                return Err(format!(
                    "{} is a label group: it is not scaled",
                    key.label()
                ));
            }
            let to = a.replicas.ok_or("scale without replicas")?;
            let s = &seen.services[key];
            if !(policy.min_replicas..=policy.max_replicas).contains(&to) {
                return Err(format!(
                    "{to} replicas is outside the policy's {}..={}",
                    policy.min_replicas, policy.max_replicas
                ));
            }
            if to == s.replicas {
                return Err(format!("{} has {to} replicas already", key.label()));
            }
            (
                Kind::Horizontal,
                Change::Scale {
                    from: s.replicas,
                    to,
                },
            )
        }
        Action::Limits => {
            let Subject::Service(key) = &subject else {
                return Err("limits name a service, not a container".into());
            };
            if seen.services[key].swarm.is_some() {
                return Err(format!(
                    "{} is a Swarm service: its limits are its spec's, changed by a service update",
                    key.label()
                ));
            }
            let memory = match &a.memory {
                None => None,
                Some(Size::Bytes(b)) => Some(*b),
                Some(Size::Text(t)) => Some(crate::app::usage::parse_size(t)?),
            };
            if let Some(c) = a.cpus {
                if !(c.is_finite() && c > 0.0 && c <= 1024.0) {
                    return Err(format!("cpus {c} is not a number of cores above 0"));
                }
            }
            if a.cpus.is_none() && memory.is_none() {
                return Err("limits without cpus or memory".into());
            }
            if let Some(m) = memory {
                if m < MIN_MEMORY {
                    return Err(format!(
                        "memory {} is below the engine's least ({})",
                        crate::app::usage::human_bytes(m),
                        crate::app::usage::human_bytes(MIN_MEMORY)
                    ));
                }
                let peak = seen
                    .containers
                    .values()
                    .filter(|c| c.service.as_ref() == Some(key) && c.running)
                    .flat_map(|c| c.memory.values())
                    .fold(0.0, f64::max);
                if (m as f64) < peak {
                    return Err(format!(
                        "memory {} is below what a replica used ({})",
                        crate::app::usage::human_bytes(m),
                        crate::app::usage::human_bytes(peak as u64)
                    ));
                }
            }
            let s = &seen.services[key];
            (
                Kind::Vertical,
                Change::Limits {
                    cpus: a.cpus,
                    memory,
                    from_cpus: s.cpu_limit,
                    from_memory: s.memory_limit,
                },
            )
        }
        Action::Restart => {
            if !matches!(subject, Subject::Container { .. }) {
                return Err("restart names a container, not a service".into());
            }
            (Kind::Heal, Change::Restart)
        }
    };
    if !policy.allows(kind) {
        return Err(format!(
            "the {} policy has {} proposals off",
            policy.name,
            kind.name()
        ));
    }
    let text = |s: &str| {
        let s: String = s.chars().take(MAX_TEXT).collect();
        crate::text::escape_controls(&s).into_owned()
    };
    Ok(Proposal {
        id: format!("{advisor}/{}", Proposal::id_for(kind, &subject, &change)),
        kind,
        numbers: a
            .numbers
            .as_deref()
            .map_or_else(|| format!("advised by {advisor}"), text),
        reasons: a
            .reasons
            .iter()
            .take(MAX_REASONS)
            .map(|r| text(r))
            .collect(),
        expected: a.expected.as_deref().map_or_else(String::new, text),
        policy: policy.name.clone(),
        advisor: Some(advisor.to_owned()),
        subject,
        change,
    })
}

/// The one subject a name (and maybe an endpoint) points at among `candidates`.
fn one_of<'a, K>(
    what: &str,
    name: &str,
    endpoint: Option<&str>,
    candidates: impl Iterator<Item = (&'a str, &'a str, K)> + Clone,
) -> Result<K, String> {
    let mut matching = candidates
        .clone()
        .filter(|(ep, n, _)| *n == name && endpoint.is_none_or(|e| e == *ep));
    match (matching.next(), matching.next()) {
        (Some((_, _, k)), None) => Ok(k),
        (Some((a, _, _)), Some((b, _, _))) => Err(format!(
            "{what} {name} is on {a} and {b}: give its endpoint"
        )),
        (None, _) => {
            let names: Vec<&str> = candidates.map(|(_, n, _)| n).collect();
            let on = endpoint.map_or_else(String::new, |e| format!(" on {e}"));
            Err(format!(
                "no {what} {name}{on}{}",
                crate::config::suggest::did_you_mean(name, names)
            ))
        }
    }
}

fn find_service<'a>(
    seen: &'a Perception,
    label: &str,
    endpoint: Option<&str>,
) -> Result<&'a crate::app::model::ServiceKey, String> {
    let labels: Vec<(String, &crate::app::model::ServiceKey)> =
        seen.services.keys().map(|k| (k.label(), k)).collect();
    one_of(
        "service",
        label,
        endpoint,
        labels
            .iter()
            .map(|(l, k)| (k.endpoint.as_str(), l.as_str(), *k)),
    )
}

fn find_container<'a>(
    seen: &'a Perception,
    name: &str,
    endpoint: Option<&str>,
) -> Result<
    (
        &'a crate::app::model::ContainerKey,
        &'a super::perceive::ContainerSignals,
    ),
    String,
> {
    one_of(
        "container",
        name,
        endpoint,
        seen.containers
            .iter()
            .map(|(k, c)| (k.endpoint.as_str(), c.name.as_str(), (k, c))),
    )
}

/// Runs an advisor once: `input` on its stdin, its stdout back, within its timeout. Errors
/// say what went wrong in words for the panel.
pub async fn consult(advisor: &Advisor, input: String) -> Result<String, String> {
    use std::process::Stdio;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut command = tokio::process::Command::new(&advisor.command[0]);
    command
        .args(&advisor.command[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so that a timeout kills what it started too.
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .map_err(|e| format!("{} could not start: {e}", advisor.command[0]))?;
    let pid = child.id();
    let kill_group = || {
        if let Some(pid) = pid {
            // SAFETY: a plain signal to the process group the advisor leads.
            unsafe {
                libc::kill(-(pid as i32), libc::SIGKILL);
            }
        }
    };
    let stdin = child.stdin.take();
    let mut stdout = child.stdout.take();
    // Its stderr is drained on the side, the start kept: a chatty advisor must not block on
    // a full pipe while its answer is read.
    let stderr = child.stderr.take().map(|mut s| {
        tokio::spawn(async move {
            let mut start = Vec::new();
            let _ = (&mut s).take(4096).read_to_end(&mut start).await;
            let _ = tokio::io::copy(&mut s, &mut tokio::io::sink()).await;
            start
        })
    });
    // Its input on the side too: one that answers without reading it is its own business.
    let feeder = stdin.map(|mut s| {
        tokio::spawn(async move {
            let _ = s.write_all(input.as_bytes()).await;
        })
    });
    let run = async {
        let mut out = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.take(MAX_ANSWER as u64 + 1).read_to_end(&mut out).await;
        }
        if out.len() > MAX_ANSWER {
            return Err(format!(
                "answered more than {}: refused",
                crate::app::usage::human_bytes(MAX_ANSWER as u64)
            ));
        }
        Ok((child.wait().await, out))
    };
    let ran = tokio::time::timeout(advisor.timeout, run).await;
    // Whatever it started goes with it, however it ended: a process it left behind holding a
    // pipe would outlive every run.
    kill_group();
    if let Some(f) = feeder {
        f.abort();
    }
    let (status, out) = match ran {
        Ok(Ok(done)) => done,
        Ok(Err(flood)) => return Err(flood),
        Err(_) => {
            return Err(format!(
                "no answer within {}: stopped",
                human_duration(advisor.timeout)
            ));
        }
    };
    let err = match stderr {
        Some(task) => {
            let abort = task.abort_handle();
            let start = tokio::time::timeout(Duration::from_millis(100), task).await;
            abort.abort();
            start.ok().and_then(Result::ok).unwrap_or_default()
        }
        None => Vec::new(),
    };
    let status = status.map_err(|e| format!("could not be waited for: {e}"))?;
    if !status.success() {
        let err = String::from_utf8_lossy(&err);
        let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let how = match status.code() {
            Some(c) => format!("exited with status {c}"),
            None => "was killed by a signal".to_owned(),
        };
        return Err(if first.is_empty() {
            how
        } else {
            format!("{how}: {}", crate::text::escape_controls(first))
        });
    }
    String::from_utf8(out).map_err(|_| "answered bytes that are not UTF-8".to_owned())
}

/// An advisor's standing, for the panel and the agent's book.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Standing {
    /// When a run last started, and whether it is still out.
    pub started_at: Option<f64>,
    pub running: bool,
    /// When the last answer came, and what it said, as written.
    pub answered_at: Option<f64>,
    pub answer: Vec<Advised>,
    /// Why the last run gave nothing (a timeout, an exit status, a malformed answer).
    pub problem: Option<String>,
    /// This pass: the proposals left out, with why.
    pub left_out: Vec<String>,
}

#[cfg(test)]
mod tests;
