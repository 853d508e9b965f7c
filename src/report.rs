//! The `ps --json` document: a stable, versioned schema for scripts (documented in README).

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::app::model::{Container, HealthCheck, NetworkAttachment, PortMapping, Probe};

/// Network drivers by network id, from the endpoint's network listing.
pub type Drivers = std::collections::HashMap<String, String>;
use crate::app::usage::{Limits, Usage};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct PsReport {
    pub schema: u32,
    pub generated_at: String,
    pub endpoints: Vec<EndpointReport>,
    pub containers: Vec<ContainerReport>,
}

#[derive(Debug, Serialize)]
pub struct EndpointReport {
    pub name: String,
    pub host: String,
    pub reachable: bool,
    pub version: Option<String>,
    pub api_version: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ContainerReport {
    pub endpoint: String,
    pub id: String,
    pub name: String,
    pub image: String,
    pub command: String,
    pub state: &'static str,
    pub health: &'static str,
    pub exit_code: Option<i64>,
    /// The last run was ended by the kernel's OOM killer.
    pub oom_killed: bool,
    pub created: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub uptime_seconds: Option<i64>,
    pub restart_count: Option<u64>,
    /// `no`, `always`, `unless-stopped`, `on-failure:N`.
    pub restart_policy: Option<String>,
    pub project: Option<String>,
    pub service: Option<String>,
    pub replica: Option<u32>,
    pub ports: Vec<PortReport>,
    pub labels: BTreeMap<String, String>,
    /// `bridge`, `host`, `none`, `container:<id>`, or the primary network's name.
    pub network_mode: String,
    pub networks: Vec<NetworkReport>,
    /// What the container was given (HostConfig); absent fields are not set.
    pub limits: Limits,
    /// One measurement over about a second, for running containers whose counters could be read.
    pub usage: Option<Usage>,
    /// The health check and its recent probes, when the container has one.
    pub health_detail: Option<HealthReport>,
}

/// One network a container is attached to.
#[derive(Debug, Serialize)]
pub struct NetworkReport {
    #[serde(flatten)]
    pub attachment: NetworkAttachment,
    /// The network's driver (`bridge`, `overlay`, …); null when the listing of networks failed.
    pub driver: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct HealthReport {
    pub check: Option<HealthCheck>,
    pub failing_streak: Option<i64>,
    /// Oldest first, as the engine keeps them (its last five).
    pub log: Vec<ProbeReport>,
}

#[derive(Debug, Serialize)]
pub struct ProbeReport {
    pub start: Option<String>,
    pub end: Option<String>,
    pub exit_code: Option<i64>,
    pub output: String,
}

impl ProbeReport {
    fn new(p: &Probe) -> Self {
        ProbeReport {
            start: time_ms(p.start),
            end: time_ms(p.end),
            exit_code: p.exit_code,
            output: p.output.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PortReport {
    pub host_ip: Option<String>,
    pub host_port: Option<u16>,
    pub container_port: u16,
    pub protocol: String,
}

fn time(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Probes run every few seconds or faster; whole seconds would hide their duration.
fn time_ms(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

impl ContainerReport {
    pub fn new(c: &Container, now: DateTime<Utc>) -> Self {
        ContainerReport {
            endpoint: c.key.endpoint.clone(),
            id: c.key.id.clone(),
            name: c.name.clone(),
            image: c.image.clone(),
            command: c.command.clone(),
            state: c.state.as_str(),
            health: c.health.as_str(),
            exit_code: c.exit_code,
            oom_killed: c.oom_killed,
            created: time(c.created),
            started_at: time(c.started_at),
            finished_at: time(c.finished_at),
            uptime_seconds: c.uptime_secs(now),
            restart_count: c.restart_count,
            restart_policy: c.restart_policy.clone(),
            project: c.project().map(str::to_owned),
            service: c.service().map(str::to_owned),
            replica: c.replica_number(),
            ports: c.ports.iter().map(PortReport::new).collect(),
            labels: c.labels.clone(),
            network_mode: c.network_mode.clone(),
            networks: c
                .networks
                .iter()
                .map(|a| NetworkReport {
                    attachment: a.clone(),
                    driver: None,
                })
                .collect(),
            limits: c.limits.clone(),
            usage: None,
            health_detail: (c.health_check.is_some() || !c.health_log.is_empty()).then(|| {
                HealthReport {
                    check: c.health_check.clone(),
                    failing_streak: c.failing_streak,
                    log: c.health_log.iter().map(ProbeReport::new).collect(),
                }
            }),
        }
    }

    /// Fills in each network's driver.
    pub fn with_drivers(mut self, drivers: &Drivers) -> Self {
        for n in &mut self.networks {
            n.driver = drivers.get(&n.attachment.network_id).cloned();
        }
        self
    }

    /// Masks what looks secret (`crate::secrets`): labels, and URL passwords in the command.
    pub fn masked(mut self) -> Self {
        crate::secrets::mask_labels(&mut self.labels);
        if let Some(m) = crate::secrets::mask_url_passwords(&self.command) {
            self.command = m;
        }
        let check = self.health_detail.as_mut().and_then(|h| h.check.as_mut());
        for word in check.into_iter().flat_map(|c| c.test.iter_mut()) {
            if let Some(m) = crate::secrets::mask_url_passwords(word) {
                *word = m;
            }
        }
        self
    }

    pub fn with_usage(mut self, usage: Option<Usage>) -> Self {
        self.usage = usage;
        self
    }
}

impl PortReport {
    fn new(p: &PortMapping) -> Self {
        PortReport {
            host_ip: p.host_ip.clone(),
            host_port: p.host_port,
            container_port: p.container_port,
            protocol: p.protocol.clone(),
        }
    }
}

/// A plain table for people, like `docker ps -a`.
pub fn text_table(containers: &[Container], now: DateTime<Utc>) -> String {
    use crate::app::model::format_age;
    use unicode_width::UnicodeWidthStr;
    let mut rows = vec![[
        "ENDPOINT".to_string(),
        "NAME".into(),
        "PROJECT/SERVICE".into(),
        "IMAGE".into(),
        "STATE".into(),
        "HEALTH".into(),
        "UP".into(),
        "PORTS".into(),
        "RESTARTS".into(),
    ]];
    for c in containers {
        rows.push([
            c.key.endpoint.clone(),
            c.name.clone(),
            match (c.project(), c.service()) {
                (Some(p), Some(s)) => format!("{p}/{s}"),
                _ => "-".into(),
            },
            c.image.clone(),
            c.state_text(),
            c.health.as_str().into(),
            c.uptime_secs(now)
                .map(format_age)
                .unwrap_or_else(|| "-".into()),
            c.published_ports()
                .map(|p| p.display())
                .collect::<Vec<_>>()
                .join(","),
            c.restart_count.map(|n| n.to_string()).unwrap_or_default(),
        ]);
    }
    // Cells as they will be printed: anything a terminal would act on escaped, so that whoever
    // named a container cannot retitle or clear the terminal of whoever lists it.
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|cell| crate::text::escape_controls(cell).into_owned())
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..9)
        .map(|i| rows.iter().map(|r| r[i].width()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - cell.width())))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{container, epoch};

    #[test]
    fn the_text_table_says_how_a_container_ended_as_the_console_does() {
        let cs: Vec<Container> = vec![
            container("crashed", "exited").exit_code(3).into(),
            container("done", "exited").into(),
            container("hog", "exited")
                .exit_code(137)
                .oom_killed()
                .into(),
        ];
        let text = text_table(&cs, epoch());
        let state_of = |name: &str| {
            let line = text.lines().find(|l| l.contains(name)).unwrap();
            line.split_whitespace().nth(4).unwrap().to_owned()
        };
        assert_eq!(state_of("crashed"), "exited(3)");
        assert_eq!(state_of("done"), "exited");
        assert_eq!(state_of("hog"), "oom-killed");
    }
}
