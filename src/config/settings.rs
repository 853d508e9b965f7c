//! `config.toml`: the user's settings. Every field is optional; errors name
//! the file, the line and the field.

use std::collections::BTreeMap;

use toml::{Spanned, Value};

use super::error::{ConfigError, Source};
use super::suggest;
use crate::engine::metrics::SourceMode;

/// Fewer lines than this would make the log view useless for context.
pub const MIN_LOG_BUFFER_LINES: usize = 100;
/// Faster ticks would spend CPU polling the engine for little gain.
pub const MIN_TICK_MS: u64 = 50;
/// Sampling faster than this turns counter jitter into noise and costs CPU for nothing.
pub const MIN_SAMPLE_MS: u64 = 250;

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Refuse every mutation (start, stop, remove, …).
    pub read_only: bool,
    /// Lines of log kept per container.
    pub log_buffer_lines: usize,
    /// A theme preset name or a path to a theme file.
    pub theme: String,
    /// A keymap preset name or a path to a keymap file.
    pub keymap: String,
    /// How often the screen and stats refresh.
    pub tick_ms: u64,
    /// How often resource use is sampled (one history point per sample).
    pub sample_ms: u64,
    /// Use of a limit (CPU, memory, pids) at or above this percentage is drawn as near it…
    pub near_limit_percent: u64,
    /// …and at or above this one as over it.
    pub over_limit_percent: u64,
    /// The most replicas a scale may ask for (a typo of 500 for 50 is not a plan).
    pub max_replicas: u64,
    /// Clicks select and the wheel scrolls. Off by default: with it on, the terminal's own
    /// text selection needs Shift held.
    pub mouse: bool,
    /// A container's network needs a look from here: the 95th percentile of its TCP RTT, its
    /// share of retransmitted segments, and whether any drop or interface error counts.
    pub net_rtt_p95_ms: u64,
    pub net_retransmit_percent: f64,
    pub net_warn_on_drops: bool,
    /// Off-screen containers are sampled every this many intervals (1: every interval); a sort
    /// by CPU or memory keeps every container fresh.
    pub offscreen_sample_every: u64,
    /// How containers' use is read: cgroup files where possible (`auto`), files only
    /// (`cgroup`: the daemon never serves stats), or the stats API (`api`)…
    pub metrics_source: SourceMode,
    /// …and per endpoint (`[endpoints.NAME] metrics_source = "api"`), by endpoint name.
    pub endpoint_metrics: BTreeMap<String, SourceMode>,
}

impl Settings {
    /// How the endpoint `name` is to be sampled.
    pub fn metrics_source_of(&self, name: &str) -> SourceMode {
        self.endpoint_metrics
            .get(name)
            .copied()
            .unwrap_or(self.metrics_source)
    }

    /// `[endpoints.NAME]` sections that name none of `attached`: a typo there would otherwise
    /// leave the endpoint sampled the default way without a word.
    pub fn unused_endpoint_sections<'a>(
        &'a self,
        attached: &'a [&str],
    ) -> impl Iterator<Item = String> + 'a {
        self.endpoint_metrics
            .keys()
            .filter(|name| !attached.contains(&name.as_str()))
            .map(move |name| {
                let hint = match crate::config::suggest::nearest(name, attached.iter().copied()) {
                    Some(near) => format!("; did you mean [endpoints.{near}]?"),
                    None if attached.is_empty() => String::new(),
                    None => format!(" (attached: {})", attached.join(", ")),
                };
                format!("[endpoints.{name}] names no attached endpoint, so it is unused{hint}")
            })
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            read_only: false,
            log_buffer_lines: 10_000,
            theme: "dark".to_owned(),
            keymap: "default".to_owned(),
            tick_ms: 1000,
            sample_ms: 1000,
            near_limit_percent: 80,
            over_limit_percent: 95,
            max_replicas: crate::ops::service::DEFAULT_MAX_REPLICAS as u64,
            mouse: false,
            net_rtt_p95_ms: 200,
            net_retransmit_percent: 0.5,
            net_warn_on_drops: true,
            offscreen_sample_every: crate::engine::metrics::sampler::DEFAULT_OFFSCREEN_EVERY,
            metrics_source: SourceMode::Auto,
            endpoint_metrics: BTreeMap::new(),
        }
    }
}

type EndpointModes = BTreeMap<String, SourceMode>;

/// What an `[endpoints.NAME]` table may hold.
pub const ENDPOINT_KEYS: &[&str] = &["metrics_source"];

/// Every key a settings file may hold, for "unknown setting" and "did you mean".
pub const KEYS: &[&str] = &[
    "read_only",
    "log_buffer_lines",
    "theme",
    "keymap",
    "tick_ms",
    "sample_ms",
    "near_limit_percent",
    "over_limit_percent",
    "max_replicas",
    "mouse",
    "net_rtt_p95_ms",
    "net_retransmit_percent",
    "net_warn_on_drops",
    "offscreen_sample_every",
    "metrics_source",
    "endpoints",
];

/// A settings file read leniently: what could be used, and what was wrong with the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct Lenient {
    pub settings: Settings,
    /// Each wrong or unknown key, in file order; each kept its default.
    pub problems: Vec<ConfigError>,
}

impl Settings {
    /// Strict: the first problem in the file is the error (a file named on the command line
    /// must be right).
    pub fn parse(text: &str, path_for_errors: &str) -> Result<Settings, ConfigError> {
        let lenient = Settings::parse_lenient(text, path_for_errors)?;
        match lenient.problems.into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(lenient.settings),
        }
    }

    /// Keeps every valid key and reports each wrong one, which keeps its default — except
    /// `read_only`: when it is wrong, or an unknown key looks like a misspelling of it, read-only
    /// is on, because a broken file must never lower safety. Fails only when the text is not
    /// TOML at all (then nothing in it can be trusted, and the caller decides).
    pub fn parse_lenient(text: &str, path_for_errors: &str) -> Result<Lenient, ConfigError> {
        let source = Source::new(path_for_errors, text);
        let table: BTreeMap<Spanned<String>, Spanned<Value>> =
            toml::from_str(text).map_err(|e| source.toml_error(&e))?;
        let mut problems = Vec::new();
        let mut raw: BTreeMap<&str, Spanned<Value>> = BTreeMap::new();
        for (key, value) in table {
            match KEYS.iter().find(|k| **k == key.get_ref().as_str()) {
                Some(k) => {
                    raw.insert(k, value);
                }
                None => {
                    let name = key.get_ref();
                    let hint = suggest::did_you_mean(name, KEYS.iter().copied());
                    if suggest::nearest(name, KEYS.iter().copied()) == Some("read_only") {
                        // Meant read_only, whatever the value: stay on the safe side.
                        raw.insert("read_only", Spanned::new(key.span(), Value::Boolean(true)));
                    }
                    problems.push(
                        source.error_at(key.span(), format!("unknown setting \"{name}\"{hint}")),
                    );
                }
            }
        }
        let field = Field { source: &source };
        let defaults = Settings::default();
        // A wrong value is reported and its default used.
        fn take<T>(problems: &mut Vec<ConfigError>, r: Result<Option<T>, ConfigError>, d: T) -> T {
            match r {
                Ok(v) => v.unwrap_or(d),
                Err(e) => {
                    problems.push(e);
                    d
                }
            }
        }
        let read_only = match field.bool("read_only", raw.remove("read_only")) {
            Ok(v) => v.unwrap_or(defaults.read_only),
            Err(e) => {
                problems.push(e);
                true
            }
        };
        let log_buffer_lines = take(
            &mut problems,
            field.integer(
                "log_buffer_lines",
                raw.remove("log_buffer_lines"),
                MIN_LOG_BUFFER_LINES as u64,
            ),
            defaults.log_buffer_lines as u64,
        ) as usize;
        let tick_ms = take(
            &mut problems,
            field.integer("tick_ms", raw.remove("tick_ms"), MIN_TICK_MS),
            defaults.tick_ms,
        );
        let sample_ms = take(
            &mut problems,
            field.integer("sample_ms", raw.remove("sample_ms"), MIN_SAMPLE_MS),
            defaults.sample_ms,
        );
        let over_span = raw.get("over_limit_percent").map(|v| v.span());
        let mut near_limit_percent = take(
            &mut problems,
            field.integer("near_limit_percent", raw.remove("near_limit_percent"), 1),
            defaults.near_limit_percent,
        );
        let mut over_limit_percent = take(
            &mut problems,
            field.integer("over_limit_percent", raw.remove("over_limit_percent"), 1),
            defaults.over_limit_percent,
        );
        if near_limit_percent >= over_limit_percent {
            problems.push(source.error_at(
                over_span.unwrap_or(0..0),
                format!(
                    "near_limit_percent ({near_limit_percent}) must be below over_limit_percent \
                     ({over_limit_percent})"
                ),
            ));
            near_limit_percent = defaults.near_limit_percent;
            over_limit_percent = defaults.over_limit_percent;
        }
        let max_replicas = take(
            &mut problems,
            field.integer("max_replicas", raw.remove("max_replicas"), 1),
            defaults.max_replicas,
        )
        .min(u32::MAX as u64);
        let mouse = take(
            &mut problems,
            field.bool("mouse", raw.remove("mouse")),
            defaults.mouse,
        );
        let net_rtt_p95_ms = take(
            &mut problems,
            field.integer("net_rtt_p95_ms", raw.remove("net_rtt_p95_ms"), 1),
            defaults.net_rtt_p95_ms,
        );
        let net_retransmit_percent = take(
            &mut problems,
            field.percent(
                "net_retransmit_percent",
                raw.remove("net_retransmit_percent"),
            ),
            defaults.net_retransmit_percent,
        );
        let net_warn_on_drops = take(
            &mut problems,
            field.bool("net_warn_on_drops", raw.remove("net_warn_on_drops")),
            defaults.net_warn_on_drops,
        );
        let offscreen_sample_every = take(
            &mut problems,
            field.integer(
                "offscreen_sample_every",
                raw.remove("offscreen_sample_every"),
                1,
            ),
            defaults.offscreen_sample_every,
        );
        let metrics_source = take(
            &mut problems,
            field.source_mode("metrics_source", raw.remove("metrics_source")),
            defaults.metrics_source,
        );
        let endpoint_metrics = match raw.remove("endpoints") {
            None => BTreeMap::new(),
            Some(value) => field.endpoints(value, &mut problems),
        };
        let theme = take(
            &mut problems,
            field.string("theme", raw.remove("theme")),
            defaults.theme,
        );
        let keymap = take(
            &mut problems,
            field.string("keymap", raw.remove("keymap")),
            defaults.keymap,
        );
        problems.sort_by_key(|p| match p {
            ConfigError::Invalid { at, .. } => (at.line, at.column.unwrap_or(0)),
            _ => (0, 0),
        });
        Ok(Lenient {
            settings: Settings {
                read_only,
                log_buffer_lines,
                theme,
                keymap,
                tick_ms,
                sample_ms,
                near_limit_percent,
                over_limit_percent,
                max_replicas,
                mouse,
                net_rtt_p95_ms,
                net_retransmit_percent,
                net_warn_on_drops,
                offscreen_sample_every,
                metrics_source,
                endpoint_metrics,
            },
            problems,
        })
    }
}

/// Checks one field's value and reports problems at its position.
struct Field<'a> {
    source: &'a Source<'a>,
}

impl Field<'_> {
    fn bool(&self, name: &str, value: Option<Spanned<Value>>) -> Result<Option<bool>, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        match value.as_ref() {
            Value::Boolean(b) => Ok(Some(*b)),
            other => Err(self.wrong_type(name, &value, "true or false", other)),
        }
    }

    fn string(
        &self,
        name: &str,
        value: Option<Spanned<Value>>,
    ) -> Result<Option<String>, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        match value.as_ref() {
            Value::String(s) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Value::String(_) => Err(self.source.error_at(
                value.span(),
                format!("{name} is empty; give a preset name or a file path"),
            )),
            other => Err(self.wrong_type(name, &value, "a string in quotes", other)),
        }
    }

    fn integer(
        &self,
        name: &str,
        value: Option<Spanned<Value>>,
        minimum: u64,
    ) -> Result<Option<u64>, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        match value.as_ref() {
            Value::Integer(n) => match u64::try_from(*n) {
                Ok(n) if n >= minimum => Ok(Some(n)),
                _ => Err(self.source.error_at(
                    value.span(),
                    format!("{name} must be at least {minimum} (got {n})"),
                )),
            },
            other => Err(self.wrong_type(name, &value, "a whole number", other)),
        }
    }

    /// A share above 0 and at most 100, whole or not (`0.5`, `2`).
    fn percent(
        &self,
        name: &str,
        value: Option<Spanned<Value>>,
    ) -> Result<Option<f64>, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        let n = match value.as_ref() {
            Value::Float(f) => *f,
            Value::Integer(i) => *i as f64,
            other => return Err(self.wrong_type(name, &value, "a percentage such as 0.5", other)),
        };
        if n > 0.0 && n <= 100.0 {
            Ok(Some(n))
        } else {
            Err(self.source.error_at(
                value.span(),
                format!("{name} must be above 0 and at most 100 (got {n})"),
            ))
        }
    }

    fn source_mode(
        &self,
        name: &str,
        value: Option<Spanned<Value>>,
    ) -> Result<Option<SourceMode>, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        let names = SourceMode::NAMES.join("\", \"");
        match value.as_ref() {
            Value::String(s) => SourceMode::parse(s).map(Some).ok_or_else(|| {
                self.source.error_at(
                    value.span(),
                    format!("{name} must be one of \"{names}\" (got \"{s}\")"),
                )
            }),
            other => Err(self.wrong_type(name, &value, &format!("one of \"{names}\""), other)),
        }
    }

    /// `[endpoints.NAME]` tables: each wrong one is reported and left out. Read from the text
    /// again so that the fields inside keep their positions.
    fn endpoints(&self, value: Spanned<Value>, problems: &mut Vec<ConfigError>) -> EndpointModes {
        type Fields = BTreeMap<Spanned<String>, Spanned<Value>>;
        #[derive(serde::Deserialize)]
        struct Nested {
            endpoints: BTreeMap<Spanned<String>, Spanned<Fields>>,
        }
        let mut out = BTreeMap::new();
        let Ok(nested) = toml::from_str::<Nested>(self.source.text) else {
            problems.push(self.source.error_at(
                value.span(),
                "endpoints must be tables such as [endpoints.NAME] with metrics_source = \"api\""
                    .to_owned(),
            ));
            return out;
        };
        for (endpoint, fields) in nested.endpoints {
            let endpoint = endpoint.into_inner();
            for (key, v) in fields.into_inner() {
                if key.get_ref() != "metrics_source" {
                    let hint = suggest::did_you_mean(key.get_ref(), ENDPOINT_KEYS.iter().copied());
                    problems.push(self.source.error_at(
                        key.span(),
                        format!(
                            "unknown setting \"{}\" in [endpoints.{endpoint}]{hint}",
                            key.get_ref()
                        ),
                    ));
                    continue;
                }
                let name = format!("endpoints.{endpoint}.metrics_source");
                match self.source_mode(&name, Some(v)) {
                    Ok(Some(mode)) => {
                        out.insert(endpoint.clone(), mode);
                    }
                    Ok(None) => {}
                    Err(e) => problems.push(e),
                }
            }
        }
        out
    }

    fn wrong_type(
        &self,
        name: &str,
        at: &Spanned<Value>,
        expected: &str,
        got: &Value,
    ) -> ConfigError {
        self.source.error_at(
            at.span(),
            format!("{name} must be {expected}, not {} {got}", got.type_str()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(text: &str) -> String {
        Settings::parse(text, "config.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn an_empty_file_gives_the_defaults() {
        assert_eq!(
            Settings::parse("", "config.toml").unwrap(),
            Settings::default()
        );
    }

    #[test]
    fn every_field_can_be_set() {
        let settings = Settings::parse(
            "read_only = true\nlog_buffer_lines = 500\ntheme = \"light\"\nkeymap = \"vim\"\ntick_ms = 250\nsample_ms = 2000\nnear_limit_percent = 70\nover_limit_percent = 90\nmax_replicas = 20\nmouse = true\nnet_rtt_p95_ms = 50\nnet_retransmit_percent = 1.5\nnet_warn_on_drops = false\noffscreen_sample_every = 3\nmetrics_source = \"cgroup\"\n[endpoints.remote]\nmetrics_source = \"api\"\n",
            "config.toml",
        )
        .unwrap();
        assert_eq!(
            settings,
            Settings {
                read_only: true,
                log_buffer_lines: 500,
                theme: "light".into(),
                keymap: "vim".into(),
                tick_ms: 250,
                sample_ms: 2000,
                near_limit_percent: 70,
                over_limit_percent: 90,
                max_replicas: 20,
                mouse: true,
                net_rtt_p95_ms: 50,
                net_retransmit_percent: 1.5,
                net_warn_on_drops: false,
                offscreen_sample_every: 3,
                metrics_source: SourceMode::Cgroup,
                endpoint_metrics: [("remote".to_string(), SourceMode::StatsApi)].into(),
            }
        );
        assert_eq!(settings.metrics_source_of("remote"), SourceMode::StatsApi);
        assert_eq!(settings.metrics_source_of("local"), SourceMode::Cgroup);
    }

    #[test]
    fn endpoint_tables_name_their_endpoint_line_and_field() {
        let text = "sample_ms = 1000\n[endpoints.prod]\nmetrics_source = \"files\"\n[endpoints.lab]\nmetric_source = \"api\"\n";
        let lenient = Settings::parse_lenient(text, "config.toml").unwrap();
        let words: Vec<String> = lenient.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(words.len(), 2, "{words:#?}");
        assert!(
            words[0].contains("config.toml:3")
                && words[0].contains("endpoints.prod.metrics_source must be one of \"auto\", \"cgroup\", \"api\" (got \"files\")"),
            "{}",
            words[0]
        );
        assert!(
            words[1].contains("config.toml:5")
                && words[1].contains("unknown setting \"metric_source\" in [endpoints.lab]")
                && words[1].contains("metrics_source"),
            "{}",
            words[1]
        );
        assert!(lenient.settings.endpoint_metrics.is_empty());
        assert!(parse_err("metrics_source = 1\n").contains("metrics_source must be one of"));
    }

    #[test]
    fn an_endpoint_section_naming_no_attached_endpoint_is_said() {
        let text = "[endpoints.prdo]\nmetrics_source = \"api\"\n[endpoints.lab]\nmetrics_source = \"api\"\n[endpoints.local]\nmetrics_source = \"api\"\n";
        let settings = Settings::parse(text, "config.toml").unwrap();
        let unused: Vec<String> = settings
            .unused_endpoint_sections(&["local", "prod"])
            .collect();
        assert_eq!(
            unused,
            [
                "[endpoints.lab] names no attached endpoint, so it is unused (attached: local, prod)",
                "[endpoints.prdo] names no attached endpoint, so it is unused; did you mean [endpoints.prod]?",
            ]
        );
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let err = parse_err("theme = \"dark\"\nlog_buffer_lines = 5\n");
        assert_eq!(
            err,
            "config.toml:2:20: log_buffer_lines must be at least 100 (got 5)"
        );
        let err = parse_err("\nread_only = \"yes\"\n");
        assert!(
            err.starts_with("config.toml:2:13: read_only must be true or false"),
            "{err}"
        );
        let err = parse_err("tick_ms = 0\n");
        assert!(err.contains("tick_ms must be at least 50"), "{err}");
        let err = parse_err("near_limit_percent = 90\nover_limit_percent = 85\n");
        assert!(
            err.contains(":2:") && err.contains("must be below"),
            "{err}"
        );
        let err = parse_err("sample_ms = 10\n");
        assert!(err.contains("sample_ms must be at least 250"), "{err}");
        let err = parse_err("read_only = false\nthme = \"dark\"\n");
        assert!(err.starts_with("config.toml:2:1:"), "{err}");
        assert!(err.contains("thme"), "{err}");
        let err = parse_err("keymap = \n");
        assert!(err.starts_with("config.toml:1:"), "{err}");
    }
}
