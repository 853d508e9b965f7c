//! `rollouts.toml` (or `rollouts/*.toml` in the config dir): the canary rollouts an operator
//! drives. Read strictly: an unknown field, an impossible step or a router without what it
//! needs is an error naming the file, the line and the field, and no rollout of that file is
//! used (half a rollout definition is not a rollout).
//!
//! ```toml
//! [[rollout]]
//! name = "web"
//! service = "shop/web"            # compose project/service the stable and canary replicas are in
//! track_label = "wheelhouse.track" # stable|canary on each container (the default)
//!
//! [rollout.router]
//! kind = "haproxy"
//! admin = "127.0.0.1:9999"        # the runtime API: host:port or a unix socket path
//! backend = "web"
//! stable = ["stable1"]            # server names in the backend
//! canary = ["canary1"]
//!
//! [[rollout.step]]
//! weight = 10                     # per cent of requests to the canary
//! [[rollout.step]]
//! pause = "confirm"               # until an operator advances it
//! [[rollout.step]]
//! weight = 50
//! [[rollout.step]]
//! pause = "2m"                    # then on by itself (gates not failing)
//! [[rollout.step]]
//! analysis = "1m"                 # on once every verdict passed for a minute
//!
//! [rollout.gates]
//! min_requests = 50               # no verdict on fewer
//! max_error_percent = 1.0
//! max_latency_ms = 500
//! budget = 3                      # failed checks in a row before abort is proposed
//! prometheus = "http://127.0.0.1:9090"  # optional: PromQL gates, each one number
//!
//! [[rollout.gates.query]]
//! name = "canary 5xx ratio"
//! query = 'sum(rate(haproxy_server_http_responses_total{proxy="web",server="canary1",code="5xx"}[1m]))'
//! max = 0.5                       # and/or min
//! ```
//!
//! Beside `name`: `auto_abort = true` aborts when the budget is spent instead of proposing it;
//! `abort_ramp = [20, 5]` passes through those shares on the way back to 0 %, each held for
//! `abort_hold` (default `"10s"`), so stable is not handed all traffic cold at once.
//! `canary_service = "shop/web-canary"` when the canary's containers are a compose service of
//! their own; `promotion_timeout` (default `"2m"`) is how long a promotion waits for each new
//! stable replica to be healthy.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::config::error::{ConfigError, Source};

pub use super::router::RouterSpec;
use super::{haproxy::Haproxy, nginx::Nginx, replicas::ReplicaRatio, traefik::Traefik};

#[derive(Debug, Clone, PartialEq)]
pub struct Rollout {
    pub name: String,
    /// `project/service`: the stable replicas are its containers labelled `track_label=stable`
    /// (a promotion replaces them with the canary's image).
    pub service: String,
    /// `project/service` of the canary's containers (labelled `track_label=canary`), when they
    /// are a service of their own; by default they are in `service` beside the stable ones.
    pub canary_service: Option<String>,
    pub track_label: String,
    pub router: RouterSpec,
    pub steps: Vec<Step>,
    pub gates: Gates,
    /// Abort by itself when the gates' budget is spent (otherwise it is proposed).
    pub auto_abort: bool,
    /// Shares passed through on the way back to 0 % on abort, highest first.
    pub abort_ramp: Vec<u32>,
    /// How long each share of the ramp is held.
    pub abort_hold: Duration,
    /// How long a promotion waits for each new stable replica to be healthy.
    pub promotion_timeout: Duration,
    /// The file it came from, for messages.
    pub file: PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Send this share of requests (per cent) to the canary.
    Weight(u32),
    /// Wait for an operator to advance.
    PauseUntilConfirmed,
    /// Wait this long, then go on (unless the gates are failing).
    Pause(Duration),
    /// Go on once every verdict has passed for this long.
    Analysis(Duration),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gates {
    pub min_requests: u64,
    pub max_error_percent: Option<f64>,
    /// How many points the canary's error rate may stand above stable's (the canary fails when
    /// it errs more than stable does, even within the absolute bound).
    pub max_error_points_above_stable: Option<f64>,
    pub max_latency_ms: Option<f64>,
    /// Failed checks in a row before abort is proposed.
    pub budget: u32,
    /// The Prometheus the queries are asked of: `http://127.0.0.1:9090`.
    pub prometheus: Option<String>,
    pub queries: Vec<super::promql::Query>,
}

impl Default for Gates {
    fn default() -> Self {
        Gates {
            min_requests: 50,
            max_error_percent: Some(1.0),
            max_error_points_above_stable: Some(0.5),
            max_latency_ms: None,
            budget: 3,
            prometheus: None,
            queries: Vec::new(),
        }
    }
}

// What the file holds, before it is checked.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rollout: Vec<Spanned<RawRollout>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRollout {
    name: Spanned<String>,
    service: Spanned<String>,
    canary_service: Option<Spanned<String>>,
    track_label: Option<String>,
    router: Spanned<RawRouter>,
    #[serde(default)]
    step: Vec<Spanned<RawStep>>,
    gates: Option<RawGates>,
    #[serde(default)]
    auto_abort: bool,
    abort_ramp: Option<Spanned<Vec<i64>>>,
    abort_hold: Option<Spanned<String>>,
    promotion_timeout: Option<Spanned<String>>,
}

/// One struct for every kind: a tagged enum would lose the fields' positions (serde buffers it).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRouter {
    kind: Spanned<String>,
    stable: Option<Spanned<Vec<String>>>,
    canary: Option<Spanned<Vec<String>>>,
    // haproxy
    admin: Option<Spanned<String>>,
    backend: Option<Spanned<String>>,
    // nginx
    upstream: Option<Spanned<String>>,
    include: Option<Spanned<String>>,
    test: Option<Spanned<Vec<String>>>,
    reload: Option<Spanned<Vec<String>>>,
    access_log: Option<Spanned<String>>,
    // traefik
    file: Option<Spanned<String>>,
    service: Option<Spanned<String>>,
    metrics: Option<Spanned<String>>,
    api: Option<Spanned<String>>,
    // replicas
    replicas: Option<Spanned<i64>>,
}

/// The fields each kind takes (beside `kind`, `stable` and `canary`): any other is an error.
fn kind_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "haproxy" => &["admin", "backend"],
        "nginx" => &["upstream", "include", "test", "reload", "access_log"],
        "traefik" => &["file", "service", "metrics", "api"],
        "replicas" => &["replicas"],
        _ => &[],
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    weight: Option<Spanned<i64>>,
    pause: Option<Spanned<String>>,
    analysis: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGates {
    min_requests: Option<u64>,
    max_error_percent: Option<Spanned<f64>>,
    max_error_points_above_stable: Option<Spanned<f64>>,
    max_latency_ms: Option<Spanned<f64>>,
    budget: Option<Spanned<u32>>,
    prometheus: Option<Spanned<String>>,
    #[serde(default)]
    query: Vec<Spanned<RawQuery>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuery {
    name: Spanned<String>,
    query: Spanned<String>,
    max: Option<f64>,
    min: Option<f64>,
}

/// `30s`, `2m`, `1h`.
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(split);
    let n: u64 = n.parse().ok()?;
    let secs = match unit {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        _ => return None,
    };
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// Names that go into a router's command line or configuration: nothing that could end a
/// command or a directive there.
fn plain(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:-[]/@".contains(c))
}

/// The router of rollout `rname`, checked for its kind; `services` are the rollout's stable
/// and canary services (a replica ratio scales them).
fn router(
    raw: RawRouter,
    span: Range<usize>,
    rname: &str,
    services: (&str, Option<&str>),
    source: &Source,
) -> Result<RouterSpec, ConfigError> {
    let err = |span: Range<usize>, msg: String| source.error_at(span, msg);
    let kind = raw.kind.get_ref().clone();
    if !super::router::KINDS.contains(&kind.as_str()) {
        return Err(err(
            raw.kind.span(),
            format!(
                "router kind {kind:?} of rollout {rname:?}: this version drives {}",
                super::router::KINDS.join(", ")
            ),
        ));
    }
    let given: [(&str, Option<Range<usize>>); 14] = [
        ("admin", raw.admin.as_ref().map(Spanned::span)),
        ("backend", raw.backend.as_ref().map(Spanned::span)),
        ("upstream", raw.upstream.as_ref().map(Spanned::span)),
        ("include", raw.include.as_ref().map(Spanned::span)),
        ("test", raw.test.as_ref().map(Spanned::span)),
        ("reload", raw.reload.as_ref().map(Spanned::span)),
        ("access_log", raw.access_log.as_ref().map(Spanned::span)),
        ("file", raw.file.as_ref().map(Spanned::span)),
        ("service", raw.service.as_ref().map(Spanned::span)),
        ("metrics", raw.metrics.as_ref().map(Spanned::span)),
        ("api", raw.api.as_ref().map(Spanned::span)),
        ("replicas", raw.replicas.as_ref().map(Spanned::span)),
        (
            "stable",
            raw.stable
                .as_ref()
                .map(Spanned::span)
                .filter(|_| kind == "replicas"),
        ),
        (
            "canary",
            raw.canary
                .as_ref()
                .map(Spanned::span)
                .filter(|_| kind == "replicas"),
        ),
    ];
    if let Some((field, Some(at))) = given
        .iter()
        .find(|(f, at)| at.is_some() && !kind_fields(&kind).contains(f))
    {
        return Err(err(
            at.clone(),
            format!(
                "router.{field} of rollout {rname:?} is not for a {kind} router (it takes {})",
                kind_fields(&kind).join(", ")
            ),
        ));
    }
    let need = |field: &str, v: Option<Spanned<String>>| {
        let v = v.ok_or_else(|| {
            err(
                span.clone(),
                format!("router of rollout {rname:?} needs {field}"),
            )
        })?;
        if v.get_ref().trim().is_empty() {
            return Err(err(
                v.span(),
                format!("router.{field} of rollout {rname:?} is empty"),
            ));
        }
        Ok(v)
    };
    let need_list = |field: &str, v: Option<Spanned<Vec<String>>>| {
        let list = v.ok_or_else(|| {
            err(
                span.clone(),
                format!("router of rollout {rname:?} needs {field} = [\"server\", …]"),
            )
        })?;
        let names = list.get_ref();
        if names.iter().all(|s| s.trim().is_empty()) {
            return Err(err(
                list.span(),
                format!("router.{field} of rollout {rname:?} names no server"),
            ));
        }
        if let Some(bad) = names.iter().find(|n| !plain(n)) {
            return Err(err(
                list.span(),
                format!("router.{field} of rollout {rname:?}: server {bad:?} may hold letters, digits and . _ : - [ ] / only"),
            ));
        }
        if let Some((_, twice)) = names
            .iter()
            .enumerate()
            .find(|(i, n)| names[..*i].contains(n))
        {
            return Err(err(
                list.span(),
                format!("router.{field} of rollout {rname:?} names {twice:?} twice"),
            ));
        }
        Ok(list)
    };
    if kind == "replicas" {
        let Some(canary) = services.1 else {
            return Err(err(
                span,
                format!("a replica ratio of rollout {rname:?} needs canary_service: the canary's replicas are a compose service of their own, beside {:?}", services.0),
            ));
        };
        let n = raw.replicas.ok_or_else(|| {
            err(span.clone(), format!("router of rollout {rname:?} needs replicas = N: stable and canary replicas in all"))
        })?;
        let max = i64::from(crate::ops::service::DEFAULT_MAX_REPLICAS);
        if !(2..=max).contains(n.get_ref()) {
            return Err(err(
                n.span(),
                format!("router.replicas of rollout {rname:?} must be 2 to {max}: with fewer no share lies between 0 and 100 %"),
            ));
        }
        return Ok(RouterSpec::Replicas(ReplicaRatio {
            stable: services.0.to_owned(),
            canary: canary.to_owned(),
            replicas: *n.get_ref() as u32,
        }));
    }
    let stable = need_list("stable", raw.stable)?;
    let canary = need_list("canary", raw.canary)?;
    if let Some(both) = stable
        .get_ref()
        .iter()
        .find(|s| canary.get_ref().contains(s))
    {
        return Err(err(
            canary.span(),
            format!(
                "server {both:?} is in both router.stable and router.canary of rollout {rname:?}"
            ),
        ));
    }
    let (stable, canary) = (stable.into_inner(), canary.into_inner());
    let absolute = |field: &str, v: Spanned<String>| {
        if Path::new(v.get_ref()).is_absolute() {
            Ok(PathBuf::from(v.into_inner()))
        } else {
            Err(err(
                v.span(),
                format!(
                    "router.{field} of rollout {rname:?}: give an absolute path, not {:?}",
                    v.get_ref()
                ),
            ))
        }
    };
    let command = |field: &str, v: Option<Spanned<Vec<String>>>, default: &[&str]| {
        match v {
        None => Ok(default.iter().map(|s| (*s).to_owned()).collect()),
        Some(c) if c.get_ref().first().is_none_or(|p| p.trim().is_empty()) => Err(err(
            c.span(),
            format!("router.{field} of rollout {rname:?}: give the program and its arguments, such as {default:?}"),
        )),
        Some(c) => Ok(c.into_inner()),
    }
    };
    Ok(match kind.as_str() {
        "haproxy" => {
            let admin = need("admin", raw.admin)?;
            let backend = need("backend", raw.backend)?;
            if !plain(backend.get_ref()) {
                return Err(err(
                    backend.span(),
                    format!("router.backend of rollout {rname:?} may hold letters, digits and . _ : - only"),
                ));
            }
            let a = admin.get_ref();
            if !a.starts_with('/') && !a.contains(':') {
                return Err(err(
                    admin.span(),
                    format!("router.admin of rollout {rname:?}: give host:port or an absolute socket path, not {a:?}"),
                ));
            }
            // They go into `set weight backend/server`: no separator of HAProxy's in them.
            if let Some(bad) = stable
                .iter()
                .chain(&canary)
                .find(|n| n.contains(['/', '@', '[', ']']))
            {
                return Err(err(
                    span.clone(),
                    format!("router of rollout {rname:?}: HAProxy server {bad:?} may hold letters, digits and . _ : - only"),
                ));
            }
            RouterSpec::Haproxy(Haproxy {
                admin: admin.into_inner(),
                backend: backend.into_inner(),
                stable,
                canary,
            })
        }
        "nginx" => RouterSpec::Nginx(Nginx {
            upstream: need("upstream", raw.upstream)?.into_inner(),
            include: absolute("include", need("include", raw.include)?)?,
            access_log: absolute("access_log", need("access_log", raw.access_log)?)?,
            test: command("test", raw.test, &["nginx", "-t"])?,
            reload: command("reload", raw.reload, &["nginx", "-s", "reload"])?,
            stable,
            canary,
        }),
        "traefik" => {
            let url = |field: &str, v: Spanned<String>| match super::http::split_url(v.get_ref()) {
                Ok(_) => Ok(v.into_inner()),
                Err(e) => Err(err(
                    v.span(),
                    format!("router.{field} of rollout {rname:?}: {e}"),
                )),
            };
            let service = need("service", raw.service)?;
            if !plain(service.get_ref()) {
                return Err(err(
                    service.span(),
                    format!("router.service of rollout {rname:?} may hold letters, digits and . _ : - @ only"),
                ));
            }
            RouterSpec::Traefik(Traefik {
                file: absolute("file", need("file", raw.file)?)?,
                service: service.into_inner(),
                metrics: url("metrics", need("metrics", raw.metrics)?)?,
                api: raw.api.map(|a| url("api", a)).transpose()?,
                stable,
                canary,
            })
        }
        other => unreachable!("{other} is in KINDS but not parsed"),
    })
}

/// The rollouts of one file's text, all checked; `name` is how messages call the file.
pub fn parse(text: &str, name: &str) -> Result<Vec<Rollout>, ConfigError> {
    let source = Source::new(name, text);
    let file: File = toml::from_str(text).map_err(|e| source.toml_error(&e))?;
    let err = |span: Range<usize>, msg: String| source.error_at(span, msg);
    let mut out: Vec<Rollout> = Vec::new();
    for raw in file.rollout {
        let span = raw.span();
        let raw = raw.into_inner();
        let rname = raw.name.get_ref().trim().to_owned();
        if rname.is_empty() {
            return Err(err(raw.name.span(), "rollout name is empty".into()));
        }
        if out.iter().any(|r| r.name == rname) {
            return Err(err(
                raw.name.span(),
                format!("a second rollout named {rname:?}; names must differ"),
            ));
        }
        for (field, v) in [
            ("service", Some(&raw.service)),
            ("canary_service", raw.canary_service.as_ref()),
        ] {
            let Some(v) = v else { continue };
            let service = v.get_ref().trim();
            if service.split('/').filter(|p| !p.is_empty()).count() != 2 {
                return Err(err(
                    v.span(),
                    format!("{field} {service:?} of rollout {rname:?} must be project/service"),
                ));
            }
        }
        let router_span = raw.router.span();
        let canary_service = raw
            .canary_service
            .as_ref()
            .map(|c| c.get_ref().trim().to_owned())
            .filter(|c| *c != raw.service.get_ref().trim());
        let router = router(
            raw.router.into_inner(),
            router_span,
            &rname,
            (raw.service.get_ref().trim(), canary_service.as_deref()),
            &source,
        )?;
        let mut steps = Vec::new();
        for step in raw.step {
            let step_span = step.span();
            let step = step.into_inner();
            let duration = |p: &Spanned<String>, what: &str| {
                parse_duration(p.get_ref()).ok_or_else(|| {
                    err(
                        p.span(),
                        format!("{what} {:?} of rollout {rname:?}: give a duration such as \"30s\", \"2m\"", p.get_ref()),
                    )
                })
            };
            let given = [
                step.weight.is_some(),
                step.pause.is_some(),
                step.analysis.is_some(),
            ];
            if given.iter().filter(|g| **g).count() > 1 {
                return Err(err(
                    step_span,
                    format!("a step of rollout {rname:?} says more than one of weight, pause and analysis; make them separate steps"),
                ));
            }
            if let Some(a) = &step.analysis {
                steps.push(Step::Analysis(duration(a, "analysis")?));
                continue;
            }
            steps.push(match (step.weight, step.pause) {
                (Some(w), None) => {
                    let v = *w.get_ref();
                    if !(0..=100).contains(&v) {
                        return Err(err(
                            w.span(),
                            format!("weight {v} of rollout {rname:?} is not a share: 0 to 100 per cent"),
                        ));
                    }
                    Step::Weight(v as u32)
                }
                (None, Some(p)) => match p.get_ref().as_str() {
                    "confirm" => Step::PauseUntilConfirmed,
                    other => Step::Pause(parse_duration(other).ok_or_else(|| {
                        err(
                            p.span(),
                            format!("pause {other:?} of rollout {rname:?}: give \"confirm\" or a duration such as \"30s\", \"2m\""),
                        )
                    })?),
                },
                (Some(_), Some(_)) => unreachable!("refused above"),
                (None, None) => {
                    return Err(err(
                        step_span,
                        format!("a step of rollout {rname:?} says none of weight, pause and analysis"),
                    ))
                }
            });
        }
        if !steps.iter().any(|s| matches!(s, Step::Weight(_))) {
            return Err(err(
                span,
                format!("rollout {rname:?} has no weight step: [[rollout.step]] weight = 10, …"),
            ));
        }
        let defaults = Gates::default();
        let gates = match raw.gates {
            None => defaults,
            Some(g) => {
                if let Some(b) = g.budget.as_ref().filter(|b| *b.get_ref() == 0) {
                    return Err(err(
                        b.span(),
                        format!("gates.budget of rollout {rname:?} must be at least 1"),
                    ));
                }
                for (field, v) in [
                    ("max_error_percent", &g.max_error_percent),
                    (
                        "max_error_points_above_stable",
                        &g.max_error_points_above_stable,
                    ),
                    ("max_latency_ms", &g.max_latency_ms),
                ] {
                    if let Some(v) = v
                        .as_ref()
                        .filter(|v| v.get_ref().is_nan() || *v.get_ref() < 0.0)
                    {
                        return Err(err(
                            v.span(),
                            format!("gates.{field} of rollout {rname:?} must be 0 or more"),
                        ));
                    }
                }
                let prometheus = match g.prometheus {
                    None => None,
                    Some(p) => match super::http::split_url(p.get_ref()) {
                        Ok(_) => Some(p.into_inner()),
                        Err(e) => {
                            return Err(err(
                                p.span(),
                                format!("gates.prometheus of rollout {rname:?}: {e}"),
                            ))
                        }
                    },
                };
                let mut queries: Vec<super::promql::Query> = Vec::new();
                for q in g.query {
                    let q_span = q.span();
                    let q = q.into_inner();
                    let qname = q.name.get_ref().trim().to_owned();
                    if qname.is_empty() || queries.iter().any(|o| o.name == qname) {
                        return Err(err(
                            q.name.span(),
                            format!("a query of rollout {rname:?} needs a name of its own"),
                        ));
                    }
                    if prometheus.is_none() {
                        return Err(err(
                            q_span,
                            format!("query {qname:?} of rollout {rname:?}: say where Prometheus is (gates.prometheus = \"http://127.0.0.1:9090\")"),
                        ));
                    }
                    if q.query.get_ref().trim().is_empty() {
                        return Err(err(
                            q.query.span(),
                            format!("query {qname:?} of rollout {rname:?} is empty"),
                        ));
                    }
                    if q.max.is_none() && q.min.is_none() {
                        return Err(err(
                            q_span,
                            format!("query {qname:?} of rollout {rname:?} needs max or min: the bound it is held to"),
                        ));
                    }
                    queries.push(super::promql::Query {
                        name: qname,
                        query: q.query.into_inner(),
                        max: q.max,
                        min: q.min,
                    });
                }
                let value =
                    |v: Option<Spanned<f64>>, d: Option<f64>| v.map(Spanned::into_inner).or(d);
                Gates {
                    min_requests: g.min_requests.unwrap_or(defaults.min_requests),
                    max_error_percent: value(g.max_error_percent, defaults.max_error_percent),
                    max_error_points_above_stable: value(
                        g.max_error_points_above_stable,
                        defaults.max_error_points_above_stable,
                    ),
                    max_latency_ms: value(g.max_latency_ms, defaults.max_latency_ms),
                    budget: g.budget.map_or(defaults.budget, |b| b.into_inner()),
                    prometheus,
                    queries,
                }
            }
        };
        let abort_ramp = match raw.abort_ramp {
            None => Vec::new(),
            Some(r) => {
                let shares = r.get_ref();
                if shares.iter().any(|w| !(1..=99).contains(w))
                    || shares.windows(2).any(|p| p[0] <= p[1])
                {
                    return Err(err(
                        r.span(),
                        format!("abort_ramp of rollout {rname:?}: shares between 1 and 99 per cent, highest first, such as [20, 5]"),
                    ));
                }
                shares.iter().map(|w| *w as u32).collect()
            }
        };
        let abort_hold = match &raw.abort_hold {
            None => Duration::from_secs(10),
            Some(h) => parse_duration(h.get_ref()).ok_or_else(|| {
                err(
                    h.span(),
                    format!(
                        "abort_hold {:?} of rollout {rname:?}: give a duration such as \"10s\"",
                        h.get_ref()
                    ),
                )
            })?,
        };
        let promotion_timeout = match &raw.promotion_timeout {
            None => Duration::from_secs(crate::ops::service::DEFAULT_HEALTH_TIMEOUT_SECS),
            Some(h) => parse_duration(h.get_ref()).ok_or_else(|| {
                err(
                    h.span(),
                    format!(
                        "promotion_timeout {:?} of rollout {rname:?}: give a duration such as \"2m\"",
                        h.get_ref()
                    ),
                )
            })?,
        };
        out.push(Rollout {
            name: rname,
            promotion_timeout,
            auto_abort: raw.auto_abort,
            abort_ramp,
            abort_hold,
            service: raw.service.get_ref().trim().to_owned(),
            canary_service,
            track_label: raw
                .track_label
                .unwrap_or_else(|| "wheelhouse.track".to_owned()),
            router,
            steps,
            gates,
            file: PathBuf::from(name),
        });
    }
    Ok(out)
}

/// Every rollout of `config_dir/rollouts.toml` and `config_dir/rollouts/*.toml` (in name
/// order). No file: no rollouts. Names must differ across files too.
pub fn load(config_dir: &Path) -> Result<Vec<Rollout>, ConfigError> {
    let mut files = Vec::new();
    let single = config_dir.join("rollouts.toml");
    if single.is_file() {
        files.push(single);
    }
    if let Ok(dir) = std::fs::read_dir(config_dir.join("rollouts")) {
        let mut more: Vec<PathBuf> = dir
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        more.sort();
        files.extend(more);
    }
    let mut all: Vec<Rollout> = Vec::new();
    for path in files {
        let shown = path.display().to_string();
        let text = crate::config::file::read_text(&path, crate::config::file::MAX_CONFIG_BYTES)
            .map_err(|e| ConfigError::Unreadable {
                file: shown.clone(),
                reason: e.to_string(),
            })?;
        for r in parse(&text, &shown)? {
            if let Some(first) = all.iter().find(|o| o.name == r.name) {
                return Err(ConfigError::Unreadable {
                    file: shown,
                    reason: format!(
                        "rollout {:?} is also defined in {}",
                        r.name,
                        first.file.display()
                    ),
                });
            }
            all.push(r);
        }
    }
    Ok(all)
}

/// A rollout `web` of `shop/web` behind an HAProxy nobody runs, with `extra` beside its name
/// and `rest` after its router (steps, gates): for tests of what reads a rollout.
#[cfg(test)]
pub(crate) fn test_rollout(extra: &str, rest: &str) -> Rollout {
    let text = format!(
        "[[rollout]]\nname = \"web\"\nservice = \"shop/web\"\n{extra}\n[rollout.router]\n\
         kind = \"haproxy\"\nadmin = \"127.0.0.1:1\"\nbackend = \"web\"\n\
         stable = [\"s\"]\ncanary = [\"c\"]\n{rest}\n"
    );
    parse(&text, "rollouts.toml").unwrap().remove(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[rollout]]
name = "web"
service = "shop/web"

[rollout.router]
kind = "haproxy"
admin = "127.0.0.1:9999"
backend = "web"
stable = ["stable1"]
canary = ["canary1"]

[[rollout.step]]
weight = 10
[[rollout.step]]
pause = "confirm"
[[rollout.step]]
weight = 50
[[rollout.step]]
pause = "2m"

[rollout.gates]
max_latency_ms = 500
budget = 2
"#;

    #[test]
    fn a_rollout_reads_with_its_steps_router_and_gates() {
        let r = &parse(GOOD, "rollouts.toml").unwrap()[0];
        assert_eq!(r.name, "web");
        assert_eq!(r.track_label, "wheelhouse.track");
        assert_eq!(
            r.steps,
            [
                Step::Weight(10),
                Step::PauseUntilConfirmed,
                Step::Weight(50),
                Step::Pause(Duration::from_secs(120))
            ]
        );
        assert_eq!(r.gates.budget, 2);
        assert_eq!(r.gates.max_latency_ms, Some(500.0));
        assert_eq!(r.gates.max_error_percent, Some(1.0), "the default kept");
        assert_eq!(r.router.describe(), "haproxy 127.0.0.1:9999 backend web");
    }

    fn error(text: &str) -> String {
        parse(text, "rollouts.toml").unwrap_err().to_string()
    }

    #[test]
    fn mistakes_name_the_file_line_and_field() {
        let cases = [
            (
                "weight = 10",
                "weight = 140",
                "rollouts.toml:14:",
                "weight 140",
            ),
            (
                "pause = \"2m\"",
                "pause = \"soon\"",
                "rollouts.toml:20:",
                "pause \"soon\"",
            ),
            (
                "budget = 2",
                "budget = 0",
                "rollouts.toml:24:",
                "gates.budget",
            ),
            (
                "budget = 2",
                "budgett = 2",
                "rollouts.toml:24:",
                "unknown field `budgett`",
            ),
            (
                "canary = [\"canary1\"]",
                "canary = [\"stable1\"]",
                "rollouts.toml:11:",
                "in both",
            ),
            (
                "service = \"shop/web\"",
                "service = \"web\"",
                "rollouts.toml:4:",
                "project/service",
            ),
            (
                "kind = \"haproxy\"",
                "kind = \"envoy\"",
                "rollouts.toml:7:",
                "\"envoy\"",
            ),
            (
                "backend = \"web\"\n",
                "",
                "rollouts.toml:6:",
                "needs backend",
            ),
            (
                "canary = [\"canary1\"]",
                "canary = [\"c1; shutdown sessions\"]",
                "rollouts.toml:11:",
                "letters, digits",
            ),
            (
                "stable = [\"stable1\"]",
                "stable = [\"s1\", \"s1\"]",
                "rollouts.toml:10:",
                "twice",
            ),
            (
                "admin = \"127.0.0.1:9999\"",
                "admin = \"run/admin.sock\"",
                "rollouts.toml:8:",
                "absolute socket path",
            ),
            (
                "max_latency_ms = 500",
                "max_latency_ms = -5.0",
                "rollouts.toml:23:",
                "0 or more",
            ),
            (
                "pause = \"2m\"",
                "analysis = \"soon\"",
                "rollouts.toml:20:",
                "analysis \"soon\"",
            ),
            (
                "pause = \"2m\"",
                "pause = \"2m\"\nanalysis = \"1m\"",
                "rollouts.toml:19:",
                "more than one",
            ),
            (
                "service = \"shop/web\"",
                "service = \"shop/web\"\nabort_ramp = [5, 20]",
                "rollouts.toml:5:",
                "highest first",
            ),
            (
                "service = \"shop/web\"",
                "service = \"shop/web\"\nabort_hold = \"a while\"",
                "rollouts.toml:5:",
                "abort_hold \"a while\"",
            ),
        ];
        for (from, to, at, says) in cases {
            assert!(GOOD.contains(from), "{from}");
            let text = GOOD.replacen(from, to, 1);
            let e = error(&text);
            assert!(e.starts_with(at), "{to}: {e}");
            assert!(e.contains(says), "{to}: {e}");
        }
        // Each router kind's own fields, and none of another's.
        let router = |body: &str| {
            GOOD.replacen(
                "kind = \"haproxy\"\nadmin = \"127.0.0.1:9999\"\nbackend = \"web\"\n",
                body,
                1,
            )
        };
        for (body, at, says) in [
            ("kind = \"nginx\"\nupstream = \"web\"\naccess_log = \"/var/log/a.json\"\n", "rollouts.toml:6:", "needs include"),
            ("kind = \"nginx\"\nupstream = \"web\"\ninclude = \"web.conf\"\naccess_log = \"/a.json\"\n", "rollouts.toml:9:", "absolute path"),
            ("kind = \"nginx\"\nupstream = \"web\"\ninclude = \"/w.conf\"\naccess_log = \"/a.json\"\nreload = []\n", "rollouts.toml:11:", "the program and its arguments"),
            ("kind = \"nginx\"\nbackend = \"web\"\n", "rollouts.toml:8:", "router.backend of rollout \"web\" is not for a nginx router"),
            ("kind = \"traefik\"\nfile = \"/t/web.toml\"\nservice = \"web\"\nmetrics = \"https://t:8082/metrics\"\n", "rollouts.toml:10:", "http://"),
            ("kind = \"replicas\"\nreplicas = 4\n", "rollouts.toml:9:", "router.stable of rollout \"web\" is not for a replicas router"),
        ] {
            let e = error(&router(body));
            assert!(e.starts_with(at) && e.contains(says), "{body}: {e}");
        }
        let ratio = GOOD.replacen(
            "kind = \"haproxy\"\nadmin = \"127.0.0.1:9999\"\nbackend = \"web\"\nstable = [\"stable1\"]\ncanary = [\"canary1\"]\n",
            "kind = \"replicas\"\nreplicas = 4\n",
            1,
        );
        assert!(
            error(&ratio).contains("needs canary_service"),
            "{}",
            error(&ratio)
        );
        let ratio = ratio.replacen(
            "service = \"shop/web\"",
            "service = \"shop/web\"\ncanary_service = \"shop/web-canary\"",
            1,
        );
        assert!(parse(&ratio, "rollouts.toml").is_ok());
        assert!(error(&ratio.replace("replicas = 4", "replicas = 1")).contains("2 to 50"));
        let no_weights = GOOD
            .replace("weight = 10", "pause = \"1m\"")
            .replace("weight = 50", "pause = \"1m\"");
        assert!(error(&no_weights).contains("no weight step"));
    }

    #[test]
    fn durations_read_like_an_operator_writes_them() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0s"), None);
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("m"), None);
    }
}
