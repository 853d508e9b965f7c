//! Alerts as input: firing alerts read from an Alertmanager (`[alerts] alertmanager = URL` in
//! `agent.toml`), shown in the agent panel beside what they are about, and given to the
//! advisors.
//!
//! The rules:
//! - Only active alerts that are neither silenced nor inhibited are read (Alertmanager's
//!   `/api/v2/alerts` with those filters): what the operator has muted stays muted here.
//! - An alert is mapped to a container by its `container`, `container_name` or `name` label
//!   (cAdvisor writes `name`), else to a compose service by `compose_project` and
//!   `compose_service` (or cAdvisor's `container_label_com_docker_compose_*`), or `service`
//!   as `project/service`. One it cannot map, or that names what is on several endpoints, is
//!   shown unmapped, not dropped.
//! - An Alertmanager that cannot be read is said once on the panel; the alerts last read are
//!   dropped with it (a stale alert is not shown as firing).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::perceive::Perception;
use super::policy::{human_duration, parse_duration};
use super::proposal::Subject;
use crate::config::error::{ConfigError, Source};

/// Alerts kept from one read.
const MAX_ALERTS: usize = 500;

#[derive(Debug, Clone, PartialEq)]
pub struct AlertSource {
    /// The Alertmanager's base address, `http://host:9093`.
    pub url: String,
    pub every: Duration,
    pub timeout: Duration,
}

impl AlertSource {
    /// The API query for what is firing and not muted.
    pub fn query(&self) -> String {
        format!(
            "{}/api/v2/alerts?active=true&silenced=false&inhibited=false",
            self.url.trim_end_matches('/')
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlerts {
    alertmanager: Spanned<String>,
    every: Option<Spanned<String>>,
}

/// `[alerts]`, checked.
pub(super) fn configured(raw: RawAlerts, source: &Source) -> Result<AlertSource, ConfigError> {
    let span = raw.alertmanager.span();
    let url = raw.alertmanager.into_inner();
    if let Err(e) = crate::canary::http::split_url(&url) {
        return Err(source.error_at(span, format!("alerts.alertmanager: {e}")));
    }
    let every = match raw.every {
        None => Duration::from_secs(15),
        Some(v) => parse_duration(v.get_ref())
            .filter(|d| *d >= Duration::from_secs(1))
            .ok_or_else(|| {
                source.error_at(
                    v.span(),
                    format!(
                        "alerts.every must be a duration of at least 1s such as \"15s\" (got {:?})",
                        v.get_ref()
                    ),
                )
            })?,
    };
    Ok(AlertSource {
        url,
        every,
        timeout: every.min(Duration::from_secs(5)),
    })
}

/// One firing alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Its `alertname` label.
    pub name: String,
    pub severity: Option<String>,
    /// The `summary` annotation, else `description`.
    pub summary: Option<String>,
    /// RFC 3339, as Alertmanager gives it.
    pub starts_at: String,
    pub labels: BTreeMap<String, String>,
    /// What it is about, when its labels say (see the rules above); set each pass.
    pub about: Option<Subject>,
}

impl Alert {
    /// `HighCpu (page) on shop/web: cpu high`.
    pub fn line(&self) -> String {
        let severity = self
            .severity
            .as_ref()
            .map_or_else(String::new, |s| format!(" ({s})"));
        let on = self.about.as_ref().map_or_else(
            || " (not mapped)".to_owned(),
            |s| format!(" on {}", s.label()),
        );
        let summary = self
            .summary
            .as_ref()
            .map_or_else(String::new, |s| format!(": {s}"));
        format!("{}{severity}{on}{summary}", self.name)
    }
}

#[derive(Deserialize)]
struct Wire {
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt", default)]
    starts_at: String,
}

/// Alertmanager's answer to [`AlertSource::query`].
pub fn read(body: &str) -> Result<Vec<Alert>, String> {
    let wire: Vec<Wire> = serde_json::from_str(body)
        .map_err(|e| format!("not Alertmanager's list of alerts: {e}"))?;
    let text = |s: &str| crate::text::escape_controls(s).into_owned();
    Ok(wire
        .into_iter()
        .take(MAX_ALERTS)
        .map(|w| Alert {
            name: text(
                w.labels
                    .get("alertname")
                    .map_or("(unnamed)", String::as_str),
            ),
            severity: w.labels.get("severity").map(|s| text(s)),
            summary: w
                .annotations
                .get("summary")
                .or_else(|| w.annotations.get("description"))
                .map(|s| text(s)),
            starts_at: text(&w.starts_at),
            labels: w.labels,
            about: None,
        })
        .collect())
}

/// What an alert's labels point at among what the agent sees.
pub fn about(labels: &BTreeMap<String, String>, seen: &Perception) -> Option<Subject> {
    let get = |names: &[&str]| names.iter().find_map(|n| labels.get(*n));
    if let Some(name) = get(&["container", "container_name", "name"]) {
        let name = name.trim_start_matches('/');
        let mut named = seen.containers.iter().filter(|(_, c)| c.name == name);
        // A name on two endpoints says too little to pick one.
        if let (Some((key, c)), None) = (named.next(), named.next()) {
            return Some(Subject::Container {
                key: key.clone(),
                name: c.name.clone(),
                service: c.service.clone(),
            });
        }
    }
    let project = get(&[
        "compose_project",
        "container_label_com_docker_compose_project",
    ]);
    let service = get(&[
        "compose_service",
        "container_label_com_docker_compose_service",
    ]);
    let (project, service) = match (project, service) {
        (Some(p), Some(s)) => (p.as_str(), s.as_str()),
        _ => labels.get("service")?.split_once('/')?,
    };
    let mut matching = seen
        .services
        .keys()
        .filter(|k| k.project == project && k.service == service);
    match (matching.next(), matching.next()) {
        (Some(k), None) => Some(Subject::Service(k.clone())),
        _ => None,
    }
}

/// Where the alerts stand, for the panel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Alerts {
    pub firing: Vec<Alert>,
    pub read_at: Option<f64>,
    pub asked_at: Option<f64>,
    pub asking: bool,
    pub problem: Option<String>,
}

impl Alerts {
    /// The answer to a read started at `asked_at`.
    pub fn answered(&mut self, body: Result<String, String>, now: f64) {
        self.asking = false;
        match body.and_then(|b| read(&b)) {
            Ok(firing) => {
                self.firing = firing;
                self.read_at = Some(now);
                self.problem = None;
            }
            Err(e) => {
                self.firing.clear();
                self.problem = Some(e);
            }
        }
    }

    /// Whether a read is due now; marks it started.
    pub fn due(&mut self, source: &AlertSource, now: f64) -> bool {
        if self.asking
            || self
                .asked_at
                .is_some_and(|t| now - t < source.every.as_secs_f64())
        {
            return false;
        }
        self.asking = true;
        self.asked_at = Some(now);
        true
    }

    /// Each alert mapped again to what it is about (containers come and go).
    pub fn map(&mut self, seen: &Perception) {
        for a in &mut self.firing {
            a.about = about(&a.labels, seen);
        }
    }

    /// A line for the panel's head: `2 alerts firing`, or why none could be read.
    pub fn summary(&self, source: &AlertSource, now: f64) -> String {
        if let Some(p) = &self.problem {
            return format!("alerts: {p}");
        }
        match self.read_at {
            None => format!("alerts: reading {}", source.url),
            Some(at) => format!(
                "alerts: {} firing at {} (read {} ago)",
                self.firing.len(),
                source.url,
                human_duration(Duration::from_secs_f64((now - at).max(0.0).round()))
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firing_alerts_read_with_their_names_severity_and_summary() {
        let body = r#"[{"labels":{"alertname":"HighCpu","severity":"page","name":"shop-web-1"},
            "annotations":{"summary":"cpu high"},"startsAt":"2026-12-04T01:00:00Z",
            "endsAt":"2026-12-04T02:00:00Z","fingerprint":"ab","receivers":[{"name":"x"}],
            "status":{"state":"active","silencedBy":[],"inhibitedBy":[]},"updatedAt":"x"}]"#;
        let alerts = read(body).unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].name, "HighCpu");
        assert_eq!(alerts[0].severity.as_deref(), Some("page"));
        assert_eq!(alerts[0].summary.as_deref(), Some("cpu high"));
    }

    #[test]
    fn a_body_that_is_not_a_list_of_alerts_is_an_error() {
        assert!(read("{\"status\":\"error\"}")
            .unwrap_err()
            .contains("not Alertmanager's list"));
    }

    #[test]
    fn alerts_map_by_their_labels_to_one_container_or_service_or_to_nothing() {
        use crate::agent::perceive::{ContainerSignals, ServiceSignals};
        use crate::app::model::{ContainerKey, ServiceKey};
        let web = |endpoint: &str| ServiceKey {
            endpoint: endpoint.into(),
            project: "shop".into(),
            service: "web".into(),
        };
        let mut seen = Perception::default();
        seen.services.insert(web("a"), ServiceSignals::default());
        for (endpoint, name) in [("a", "shop-web-1"), ("a", "db"), ("b", "db")] {
            seen.containers.insert(
                ContainerKey {
                    endpoint: endpoint.into(),
                    id: format!("{endpoint}{name}"),
                },
                ContainerSignals {
                    name: name.into(),
                    service: (name == "shop-web-1").then(|| web("a")),
                    ..ContainerSignals::default()
                },
            );
        }
        let labels = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let label = |pairs: &[(&str, &str)]| about(&labels(pairs), &seen).map(|s| s.label());
        assert_eq!(
            label(&[("name", "/shop-web-1")]).as_deref(),
            Some("shop-web-1")
        );
        assert_eq!(
            label(&[("compose_project", "shop"), ("compose_service", "web")]).as_deref(),
            Some("shop/web")
        );
        assert_eq!(
            label(&[("service", "shop/web")]).as_deref(),
            Some("shop/web")
        );
        assert_eq!(label(&[("container", "db")]), None, "on two endpoints");
        assert_eq!(label(&[("instance", "db1")]), None);
    }

    #[test]
    fn control_characters_in_alert_text_are_escaped() {
        let body = r#"[{"labels":{"alertname":"A\u001b[2J"},"annotations":{}}]"#;
        assert_eq!(read(body).unwrap()[0].name, "A^[[2J");
    }
}
