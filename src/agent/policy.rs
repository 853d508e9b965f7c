//! The agent's policies, from `agent.toml` in the config directory: a `[default]` table and
//! `[service."project/service"]` tables that override it field by field. Without the file the
//! agent proposes with the defaults below and applies nothing on its own.
//!
//! The rules:
//! - Every field is checked where it is written: unknown fields, impossible bounds (min above
//!   max, a target of 0) and bad durations name the file, the line and the field.
//! - `auto` lists the kinds that may apply without a keystroke; it is empty unless written, in
//!   the default and in every service.
//! - A service table names a compose service as `project/service`; one naming a service that
//!   is not running is kept (it may start later). A canary rollout follows the policy of the
//!   service it rolls out.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::config::error::{ConfigError, Source};

/// Declares the kinds of proposal, their names in files and `ALL` from one list.
macro_rules! kinds {
    ($($variant:ident => $name:literal, $what:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind {
            $($variant,)*
        }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$(Kind::$variant,)*];

            /// The name in `agent.toml` (`kinds`, `auto`) and in proposal ids.
            pub fn name(self) -> &'static str {
                match self {
                    $(Kind::$variant => $name,)*
                }
            }

            /// What it proposes, for the panel's help line.
            pub fn what(self) -> &'static str {
                match self {
                    $(Kind::$variant => $what,)*
                }
            }

            pub fn from_name(name: &str) -> Option<Kind> {
                match name {
                    $($name => Some(Kind::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

kinds! {
    Horizontal => "horizontal", "replicas from CPU against its target";
    Predictive => "predictive", "replicas ahead of a rising trend";
    Vertical => "vertical", "limits from what the replicas use";
    Heal => "heal", "restart a container that stays unhealthy";
    Canary => "canary", "promote a canary whose gates pass, abort one whose budget is spent";
}

/// One service's policy, defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// `default`, or the `project/service` of its table: the audit log names it.
    pub name: String,
    /// CPU use per replica the horizontal rule aims at, in per cent of the replica's limit.
    pub target_cpu_percent: f64,
    pub min_replicas: u32,
    pub max_replicas: u32,
    /// No change while usage is within this share of the target (0.1 = 10 %).
    pub tolerance: f64,
    /// The time constant of the smoothing (an EWMA) applied to each signal.
    pub smoothing: Duration,
    /// A scale is proposed only when every recommendation over its window agrees: up to the
    /// lowest, down to the highest of them.
    pub scale_up_window: Duration,
    pub scale_down_window: Duration,
    /// Nothing is proposed for a service this long after any change to it (but for memory after
    /// an OOM kill since).
    pub cooldown: Duration,
    /// How far ahead the trend looks for a predictive scale-up.
    pub forecast: Duration,
    /// History the vertical rule needs before proposing (less after an OOM kill).
    pub vertical_window: Duration,
    /// Headroom over the 95th percentile of CPU and the peak of memory.
    pub cpu_margin: f64,
    pub memory_margin: f64,
    /// Throttled in this share of CFS periods (per cent), smoothed, is sustained throttling.
    pub throttled_percent: f64,
    /// Probes failed in a row before a restart is proposed.
    pub unhealthy_probes: u32,
    /// A canary waiting at its last step with every gate passing this long is proposed for
    /// promotion.
    pub promote_after: Duration,
    /// Restarts proposed per container within `restart_window` before the agent stops and
    /// says why.
    pub max_restarts: u32,
    pub restart_window: Duration,
    /// How long a rejected proposal is not made again, and a snoozed one hidden.
    pub reject_for: Duration,
    pub snooze_for: Duration,
    pub kinds: Vec<Kind>,
    /// Kinds applied without a keystroke (through the gate, approved by this policy).
    pub auto: Vec<Kind>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            name: "default".into(),
            target_cpu_percent: 70.0,
            min_replicas: 1,
            max_replicas: 10,
            tolerance: 0.10,
            smoothing: Duration::from_secs(20),
            scale_up_window: Duration::from_secs(30),
            scale_down_window: Duration::from_secs(300),
            cooldown: Duration::from_secs(120),
            forecast: Duration::from_secs(60),
            vertical_window: Duration::from_secs(300),
            cpu_margin: 0.20,
            memory_margin: 0.20,
            throttled_percent: 20.0,
            unhealthy_probes: 3,
            promote_after: Duration::from_secs(120),
            max_restarts: 3,
            restart_window: Duration::from_secs(1800),
            reject_for: Duration::from_secs(1800),
            snooze_for: Duration::from_secs(600),
            kinds: Kind::ALL.to_vec(),
            auto: Vec::new(),
        }
    }
}

impl Policy {
    pub fn allows(&self, kind: Kind) -> bool {
        self.kinds.contains(&kind)
    }

    pub fn applies_alone(&self, kind: Kind) -> bool {
        self.auto.contains(&kind) && self.allows(kind)
    }
}

/// Which containers a label group gathers: those with `key` (set to `value`, when given).
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub key: String,
    pub value: Option<String>,
}

impl Selector {
    /// `key=value`, or `key` for any value.
    fn parse(text: &str) -> Option<Selector> {
        let (key, value) = match text.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim().to_owned())),
            None => (text.trim(), None),
        };
        (!key.is_empty()).then(|| Selector {
            key: key.to_owned(),
            value,
        })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        labels
            .get(&self.key)
            .is_some_and(|v| self.value.as_ref().is_none_or(|want| want == v))
    }
}

/// A label group: containers outside any compose or Swarm service, gathered by a label, with
/// a policy of their own.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub selector: Selector,
    pub policy: Policy,
}

/// The default policy and the services' own.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policies {
    pub default: Policy,
    /// By `project/service`.
    pub services: BTreeMap<String, Policy>,
    /// `[group.NAME]`, by name: a container two groups select is the first one's.
    pub groups: Vec<Group>,
    /// The file they came from, for messages (None: no file, defaults).
    pub file: Option<String>,
    /// `[advisor.NAME]`: external commands that propose too.
    pub advisors: Vec<super::advisor::Advisor>,
    /// `[alerts]`: where firing alerts are read.
    pub alerts: Option<super::alerts::AlertSource>,
}

impl Policies {
    /// The policy of a compose service.
    pub fn of(&self, project: &str, service: &str) -> &Policy {
        if project == crate::app::model::GROUP_PROJECT {
            return self
                .groups
                .iter()
                .find(|g| g.name == service)
                .map_or(&self.default, |g| &g.policy);
        }
        // Called per container per pass: matched in place rather than by a built key.
        self.services
            .iter()
            .find(|(name, _)| {
                name.len() == project.len() + 1 + service.len()
                    && name.starts_with(project)
                    && name[project.len()..].starts_with('/')
                    && name.ends_with(service)
            })
            .map_or(&self.default, |(_, p)| p)
    }

    /// Holds every policy's replica bounds to config.toml's `max_replicas`, which every scale
    /// obeys: a rule aiming above it would propose what cannot be applied.
    pub fn cap_replicas(&mut self, max: u32) {
        let groups = self.groups.iter_mut().map(|g| &mut g.policy);
        for p in std::iter::once(&mut self.default)
            .chain(self.services.values_mut())
            .chain(groups)
        {
            p.max_replicas = p.max_replicas.min(max).max(1);
            p.min_replicas = p.min_replicas.min(p.max_replicas);
        }
    }

    /// Whether any policy lets some kind apply alone (the header says AUTO).
    pub fn any_auto(&self) -> bool {
        self.all().any(|p| !p.auto.is_empty())
    }

    /// Every policy: the default, the services', the groups'.
    pub fn all(&self) -> impl Iterator<Item = &Policy> {
        std::iter::once(&self.default)
            .chain(self.services.values())
            .chain(self.groups.iter().map(|g| &g.policy))
    }

    /// `agent.toml` in `config_dir`; its absence is the defaults.
    pub fn load(config_dir: &Path) -> Result<Policies, ConfigError> {
        let path = config_dir.join("agent.toml");
        if !path.exists() {
            return Ok(Policies::default());
        }
        let shown = path.display().to_string();
        let text = crate::config::file::read_text(&path, crate::config::file::MAX_CONFIG_BYTES)
            .map_err(|e| ConfigError::Unreadable {
                file: shown.clone(),
                reason: e.to_string(),
            })?;
        Policies::parse(&text, &shown)
    }

    pub fn parse(text: &str, file: &str) -> Result<Policies, ConfigError> {
        let source = Source::new(file, text);
        let raw: RawFile = toml::from_str(text).map_err(|e| source.toml_error(&e))?;
        let mut base = Policy::default();
        if let Some(table) = raw.default {
            if let Some(l) = &table.label {
                return Err(source.error_at(
                    l.span(),
                    "default.label: a label selects the containers of a [group.NAME] table",
                ));
            }
            base = apply(base, table, "default", &source)?;
        }
        let mut groups = Vec::new();
        for (name, table) in raw.group {
            let span = table.span();
            let mut table = table.into_inner();
            let Some(label) = table.label.take() else {
                return Err(source.error_at(
                    span,
                    format!(
                        "[group.{name}]: say which containers it gathers: label = \"key=value\""
                    ),
                ));
            };
            let selector = Selector::parse(label.get_ref()).ok_or_else(|| {
                source.error_at(
                    label.span(),
                    format!(
                        "group.{name}.label must be \"key=value\" or \"key\" (got {:?})",
                        label.get_ref()
                    ),
                )
            })?;
            let table_name = format!("group.{name}");
            let mut policy = apply(base.clone(), table, &table_name, &source)?;
            policy.name = format!("{}/{name}", crate::app::model::GROUP_PROJECT);
            groups.push(Group {
                name,
                selector,
                policy,
            });
        }
        let mut services = BTreeMap::new();
        for (name, table) in raw.service {
            let span = table.span();
            if !name.contains('/') || name.starts_with('/') || name.ends_with('/') {
                return Err(source.error_at(
                    span,
                    format!("[service.\"{name}\"]: name a compose service as \"project/service\""),
                ));
            }
            let table = table.into_inner();
            if let Some(l) = &table.label {
                return Err(source.error_at(
                    l.span(),
                    format!("{name}.label: a compose or Swarm service is its own group; a label selects the containers of a [group.NAME] table"),
                ));
            }
            let mut own = apply(base.clone(), table, &name, &source)?;
            // A service does not inherit the default's opt-ins: it writes its own `auto`.
            own.name = name.clone();
            services.insert(name, own);
        }
        let mut advisors = Vec::new();
        for (name, table) in raw.advisor {
            let span = table.span();
            advisors.push(super::advisor::configured(
                &name,
                table.into_inner(),
                span,
                &source,
            )?);
        }
        let alerts = raw
            .alerts
            .map(|a| super::alerts::configured(a, &source))
            .transpose()?;
        Ok(Policies {
            default: base,
            services,
            groups,
            file: Some(file.to_owned()),
            advisors,
            alerts,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    default: Option<RawPolicy>,
    #[serde(default)]
    service: BTreeMap<String, Spanned<RawPolicy>>,
    #[serde(default)]
    advisor: BTreeMap<String, Spanned<super::advisor::RawAdvisor>>,
    #[serde(default)]
    group: BTreeMap<String, Spanned<RawPolicy>>,
    alerts: Option<super::alerts::RawAlerts>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    /// Only in `[group.NAME]`: the containers it gathers.
    label: Option<Spanned<String>>,
    target_cpu_percent: Option<Spanned<f64>>,
    min_replicas: Option<Spanned<i64>>,
    max_replicas: Option<Spanned<i64>>,
    tolerance_percent: Option<Spanned<f64>>,
    smoothing: Option<Spanned<String>>,
    scale_up_window: Option<Spanned<String>>,
    scale_down_window: Option<Spanned<String>>,
    cooldown: Option<Spanned<String>>,
    forecast: Option<Spanned<String>>,
    vertical_window: Option<Spanned<String>>,
    cpu_margin_percent: Option<Spanned<f64>>,
    memory_margin_percent: Option<Spanned<f64>>,
    throttled_percent: Option<Spanned<f64>>,
    unhealthy_probes: Option<Spanned<i64>>,
    promote_after: Option<Spanned<String>>,
    max_restarts: Option<Spanned<i64>>,
    restart_window: Option<Spanned<String>>,
    reject_for: Option<Spanned<String>>,
    snooze_for: Option<Spanned<String>>,
    kinds: Option<Spanned<Vec<Spanned<String>>>>,
    auto: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `raw` over `base`, each field checked; `table` names the table in messages.
fn apply(
    mut p: Policy,
    raw: RawPolicy,
    table: &str,
    source: &Source,
) -> Result<Policy, ConfigError> {
    let at = |span: Range<usize>, field: &str, message: String| {
        source.error_at(span, format!("{table}.{field} {message}"))
    };
    let number = |v: Option<Spanned<f64>>,
                  field: &str,
                  low: Low,
                  high: f64,
                  now: f64|
     -> Result<f64, ConfigError> {
        match v {
            None => Ok(now),
            Some(v) => {
                let n = *v.get_ref();
                let (fits, low_words) = match low {
                    Low::Above(l) => (n > l, format!("above {l}")),
                    Low::AtLeast(l) => (n >= l, format!("at least {l}")),
                };
                if n.is_finite() && fits && n <= high {
                    Ok(n)
                } else {
                    Err(at(
                        v.span(),
                        field,
                        format!("must be {low_words} and at most {high} (got {n})"),
                    ))
                }
            }
        }
    };
    let count =
        |v: Option<Spanned<i64>>, field: &str, low: i64, now: u32| -> Result<u32, ConfigError> {
            match v {
                None => Ok(now),
                Some(v) => {
                    let n = *v.get_ref();
                    u32::try_from(n)
                        .ok()
                        .filter(|n| i64::from(*n) >= low)
                        .ok_or_else(|| {
                            at(
                                v.span(),
                                field,
                                format!("must be a whole number of at least {low} (got {n})"),
                            )
                        })
                }
            }
        };
    let duration =
        |v: Option<Spanned<String>>, field: &str, now: Duration| -> Result<Duration, ConfigError> {
            match v {
                None => Ok(now),
                Some(v) => parse_duration(v.get_ref()).ok_or_else(|| {
                    at(
                        v.span(),
                        field,
                        format!(
                            "must be a duration such as \"30s\", \"5m\" or \"1h\" (got {:?})",
                            v.get_ref()
                        ),
                    )
                }),
            }
        };
    let kinds = |v: Option<Spanned<Vec<Spanned<String>>>>,
                 field: &str,
                 now: Vec<Kind>|
     -> Result<Vec<Kind>, ConfigError> {
        let Some(list) = v else { return Ok(now) };
        let mut out = Vec::new();
        for name in list.into_inner() {
            let kind = Kind::from_name(name.get_ref()).ok_or_else(|| {
                let known: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                at(
                    name.span(),
                    field,
                    format!(
                        "names no kind of proposal: {:?}{} (kinds: {})",
                        name.get_ref(),
                        crate::config::suggest::did_you_mean(name.get_ref(), known.iter().copied()),
                        known.join(", ")
                    ),
                )
            })?;
            if !out.contains(&kind) {
                out.push(kind);
            }
        }
        Ok(out)
    };
    p.target_cpu_percent = number(
        raw.target_cpu_percent,
        "target_cpu_percent",
        Low::Above(0.0),
        100.0,
        p.target_cpu_percent,
    )?;
    let min_span = raw.min_replicas.as_ref().map(Spanned::span);
    let max_span = raw.max_replicas.as_ref().map(Spanned::span);
    p.min_replicas = count(raw.min_replicas, "min_replicas", 0, p.min_replicas)?;
    p.max_replicas = count(raw.max_replicas, "max_replicas", 1, p.max_replicas)?;
    if p.min_replicas > p.max_replicas {
        let span = min_span.or(max_span).unwrap_or(0..0);
        return Err(at(
            span,
            "min_replicas",
            format!(
                "({}) is above max_replicas ({})",
                p.min_replicas, p.max_replicas
            ),
        ));
    }
    p.tolerance = number(
        raw.tolerance_percent,
        "tolerance_percent",
        Low::AtLeast(0.0),
        100.0,
        p.tolerance * 100.0,
    )? / 100.0;
    p.smoothing = duration(raw.smoothing, "smoothing", p.smoothing)?;
    p.scale_up_window = duration(raw.scale_up_window, "scale_up_window", p.scale_up_window)?;
    p.scale_down_window = duration(
        raw.scale_down_window,
        "scale_down_window",
        p.scale_down_window,
    )?;
    p.cooldown = duration(raw.cooldown, "cooldown", p.cooldown)?;
    p.forecast = duration(raw.forecast, "forecast", p.forecast)?;
    p.vertical_window = duration(raw.vertical_window, "vertical_window", p.vertical_window)?;
    p.cpu_margin = number(
        raw.cpu_margin_percent,
        "cpu_margin_percent",
        Low::AtLeast(0.0),
        1000.0,
        p.cpu_margin * 100.0,
    )? / 100.0;
    p.memory_margin = number(
        raw.memory_margin_percent,
        "memory_margin_percent",
        Low::AtLeast(0.0),
        1000.0,
        p.memory_margin * 100.0,
    )? / 100.0;
    p.throttled_percent = number(
        raw.throttled_percent,
        "throttled_percent",
        Low::Above(0.0),
        100.0,
        p.throttled_percent,
    )?;
    p.unhealthy_probes = count(
        raw.unhealthy_probes,
        "unhealthy_probes",
        1,
        p.unhealthy_probes,
    )?;
    p.promote_after = duration(raw.promote_after, "promote_after", p.promote_after)?;
    p.max_restarts = count(raw.max_restarts, "max_restarts", 0, p.max_restarts)?;
    p.restart_window = duration(raw.restart_window, "restart_window", p.restart_window)?;
    p.reject_for = duration(raw.reject_for, "reject_for", p.reject_for)?;
    p.snooze_for = duration(raw.snooze_for, "snooze_for", p.snooze_for)?;
    p.kinds = kinds(raw.kinds, "kinds", p.kinds)?;
    // `auto` is never inherited: every table that lets something apply alone says so itself.
    p.auto = kinds(raw.auto, "auto", Vec::new())?;
    Ok(p)
}

/// The lower bound of a number: a target of 0 is impossible, a margin of 0 is none.
#[derive(Clone, Copy)]
enum Low {
    Above(f64),
    AtLeast(f64),
}

/// `30s`, `5m`, `1h`, or a combination written largest first (`1m30s`).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut rest = text.trim();
    let mut secs: u64 = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        let unit = rest[digits..].chars().next()?;
        let scale = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return None,
        };
        secs = secs.checked_add(n.checked_mul(scale)?)?;
        rest = &rest[digits + 1..];
    }
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// `45s`, `5m`, `1h30m`: how durations read on screen.
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 if s.is_multiple_of(60) => format!("{}m", s / 60),
        60..3600 => format!("{}m{}s", s / 60, s % 60),
        _ if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        _ => format!("{}h{}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Policies::parse(text, "agent.toml").unwrap_err().to_string()
    }

    #[test]
    fn a_service_table_overrides_the_default_field_by_field_and_never_inherits_auto() {
        let p = Policies::parse(
            "[default]\ntarget_cpu_percent = 60\nmax_replicas = 8\nauto = [\"heal\"]\n\
             [service.\"shop/web\"]\nmax_replicas = 4\nscale_down_window = \"2m\"\n",
            "agent.toml",
        )
        .unwrap();
        assert_eq!(p.default.target_cpu_percent, 60.0);
        assert_eq!(p.default.auto, [Kind::Heal]);
        let web = p.of("shop", "web");
        assert_eq!(web.name, "shop/web");
        assert_eq!(web.target_cpu_percent, 60.0);
        assert_eq!(web.max_replicas, 4);
        assert_eq!(web.scale_down_window, Duration::from_secs(120));
        assert!(web.auto.is_empty());
        assert_eq!(p.of("shop", "db").name, "default");
        assert!(p.any_auto());
    }

    #[test]
    fn a_label_group_gathers_by_its_label_with_a_policy_over_the_default() {
        let p = Policies::parse(
            "[default]\nmemory_margin_percent = 30\n\
             [group.batch]\nlabel = \"tier=batch\"\nkinds = [\"vertical\"]\n\
             [group.any-cache]\nlabel = \"cache\"\n",
            "agent.toml",
        )
        .unwrap();
        let batch = p.of(crate::app::model::GROUP_PROJECT, "batch");
        assert_eq!(batch.name, "@group/batch");
        assert_eq!(batch.kinds, [Kind::Vertical]);
        assert_eq!(batch.memory_margin, 0.30);
        let labels = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let [cache, batch] = &p.groups[..] else {
            panic!("{:?}", p.groups)
        };
        assert_eq!(cache.name, "any-cache");
        assert!(batch.selector.matches(&labels(&[("tier", "batch")])));
        assert!(!batch.selector.matches(&labels(&[("tier", "web")])));
        assert!(cache.selector.matches(&labels(&[("cache", "")])));
        // A compose project can never be named so: a group is no service's.
        assert_eq!(p.of("shop", "batch").name, "default");
    }

    #[test]
    fn a_group_without_a_label_or_a_label_elsewhere_is_named() {
        assert!(err("[group.batch]\nkinds = []\n")
            .contains("[group.batch]: say which containers it gathers"));
        assert!(err("[group.batch]\nlabel = \"=x\"\n")
            .starts_with("agent.toml:2:9: group.batch.label must be"));
        assert!(err("[default]\nlabel = \"a=b\"\n").starts_with("agent.toml:2:9: default.label"));
        assert!(err("[service.\"shop/web\"]\nlabel = \"a=b\"\n").contains("shop/web.label"));
        assert!(
            err("[group.batch]\nlabel = \"a=b\"\nmin_replicas = 3\nmax_replicas = 1\n")
                .contains("group.batch.min_replicas (3) is above")
        );
    }

    #[test]
    fn without_a_file_nothing_applies_alone() {
        let p = Policies::default();
        assert!(!p.any_auto());
        assert!(Kind::ALL.iter().all(|k| !p.default.applies_alone(*k)));
        assert_eq!(p.default.scale_down_window, Duration::from_secs(300));
        assert_eq!(p.default.tolerance, 0.10);
    }

    #[test]
    fn bad_fields_name_file_line_and_field() {
        assert_eq!(
            err("[default]\nmin_replicas = 5\nmax_replicas = 2\n"),
            "agent.toml:2:16: default.min_replicas (5) is above max_replicas (2)"
        );
        assert!(err("[default]\ntarget_cpu_percent = 0\n")
            .starts_with("agent.toml:2:22: default.target_cpu_percent must be above 0"));
        let unknown = err("[service.\"shop/web\"]\ntarget_cpu = 50\n");
        assert!(
            unknown.starts_with("agent.toml:2:1: unknown field `target_cpu`"),
            "{unknown}"
        );
        let kind = err("[default]\nauto = [\"horizontl\"]\n");
        assert!(
            kind.contains("agent.toml:2:9: default.auto names no kind of proposal: \"horizontl\"; did you mean \"horizontal\"?"),
            "{kind}"
        );
        assert!(err("[default]\ncooldown = \"soon\"\n")
            .contains("agent.toml:2:12: default.cooldown must be a duration"));
        assert!(err("[service.web]\n").contains("name a compose service as \"project/service\""));
    }

    #[test]
    fn durations_read_and_print_alike() {
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("0s"), None);
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(human_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(human_duration(Duration::from_secs(300)), "5m");
        assert_eq!(human_duration(Duration::from_secs(45)), "45s");
    }
}
