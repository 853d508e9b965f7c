//! Engine API objects → the console's `Container`. Both the listing (cheap, for the first
//! paint) and inspect (complete: start time, restarts, health) map here.

use std::collections::BTreeMap;

use bollard::models::{ContainerInspectResponse, ContainerSummary, PortMap};
use chrono::{DateTime, TimeZone, Utc};

use crate::app::events::EngineEvent;
use crate::app::model::{Container, ContainerKey, Health, PortMapping, RunState};

pub fn from_summary(endpoint: &str, s: &ContainerSummary) -> Option<Container> {
    let id = s.id.clone()?;
    let name = s
        .names
        .as_ref()
        .and_then(|n| n.first())
        .map(|n| n.trim_start_matches('/').to_owned())
        .unwrap_or_else(|| id[..id.len().min(12)].to_owned());
    let state = s
        .state
        .map(|st| RunState::parse(st.as_ref()))
        .unwrap_or(RunState::Unknown);
    let status = s.status.clone().unwrap_or_default();
    let mut ports: Vec<PortMapping> = s
        .ports
        .iter()
        .flatten()
        .map(|p| PortMapping {
            host_ip: p.ip.clone(),
            host_port: p.public_port,
            container_port: p.private_port,
            protocol: p.typ.map(|t| t.to_string()).unwrap_or_else(|| "tcp".into()),
        })
        .collect();
    normalize_ports(&mut ports);
    Some(Container {
        key: ContainerKey {
            endpoint: endpoint.to_owned(),
            id,
        },
        name,
        image: s.image.clone().unwrap_or_default(),
        command: s.command.clone().unwrap_or_default(),
        state,
        health: health_from_status_text(&status),
        status,
        created: s.created.and_then(|t| Utc.timestamp_opt(t, 0).single()),
        started_at: None,
        finished_at: None,
        exit_code: None,
        restart_count: None,
        ports,
        labels: to_btree(s.labels.as_ref()),
    })
}

pub fn from_inspect(endpoint: &str, i: &ContainerInspectResponse) -> Option<Container> {
    let id = i.id.clone()?;
    let st = i.state.as_ref();
    let state = st
        .and_then(|s| s.status)
        .map(|s| RunState::parse(s.as_ref()))
        .unwrap_or(RunState::Unknown);
    let health = st
        .and_then(|s| s.health.as_ref())
        .and_then(|h| h.status)
        .map(|h| Health::parse(h.as_ref()))
        .unwrap_or(Health::None);
    let config = i.config.as_ref();
    let started_at = st.and_then(|s| parse_time(s.started_at.as_deref()));
    let finished_at = st.and_then(|s| parse_time(s.finished_at.as_deref()));
    let exit_code = st.and_then(|s| s.exit_code);
    let mut ports = i
        .network_settings
        .as_ref()
        .and_then(|n| n.ports.as_ref())
        .map(ports_from_map)
        .unwrap_or_default();
    normalize_ports(&mut ports);
    let command = match (i.path.as_deref(), i.args.as_ref()) {
        (Some(p), Some(args)) if !args.is_empty() => format!("{p} {}", args.join(" ")),
        (Some(p), _) => p.to_owned(),
        _ => String::new(),
    };
    Some(Container {
        key: ContainerKey {
            endpoint: endpoint.to_owned(),
            id,
        },
        name: i
            .name
            .as_deref()
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_owned(),
        image: config
            .and_then(|c| c.image.clone())
            .or_else(|| i.image.clone())
            .unwrap_or_default(),
        command,
        state,
        health,
        status: status_text(state, health, exit_code),
        created: parse_time(i.created.as_deref()),
        started_at,
        finished_at,
        exit_code,
        restart_count: i.restart_count.map(|n| n.max(0) as u64),
        ports,
        labels: to_btree(config.and_then(|c| c.labels.as_ref())),
    })
}

/// An engine event as the events pane shows it; None for events without an actor.
pub fn event(endpoint: &str, ev: &bollard::models::EventMessage) -> Option<EngineEvent> {
    let actor = ev.actor.as_ref()?;
    let id = actor.id.clone()?;
    let attributes: BTreeMap<String, String> = actor
        .attributes
        .as_ref()
        .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let kind = ev.typ.map(|t| t.to_string()).unwrap_or_default();
    let container_id = match kind.as_str() {
        "container" => Some(id.clone()),
        _ => attributes.get("container").cloned(),
    };
    let time = match (ev.time_nano, ev.time) {
        (Some(n), _) if n > 0 => Utc.timestamp_nanos(n),
        (_, Some(s)) => Utc.timestamp_opt(s, 0).single().unwrap_or_default(),
        _ => Utc::now(),
    };
    Some(EngineEvent {
        endpoint: endpoint.to_owned(),
        time,
        kind,
        action: ev.action.clone().unwrap_or_default(),
        name: attributes.get("name").cloned().unwrap_or_default(),
        id,
        container_id,
        attributes,
    })
}

fn ports_from_map(map: &PortMap) -> Vec<PortMapping> {
    let mut out = Vec::new();
    for (spec, bindings) in map {
        let (port, proto) = spec.split_once('/').unwrap_or((spec.as_str(), "tcp"));
        let Ok(container_port) = port.parse::<u16>() else {
            continue;
        };
        match bindings {
            Some(bs) if !bs.is_empty() => {
                for b in bs {
                    out.push(PortMapping {
                        host_ip: b.host_ip.clone(),
                        host_port: b.host_port.as_deref().and_then(|p| p.parse().ok()),
                        container_port,
                        protocol: proto.to_owned(),
                    });
                }
            }
            _ => out.push(PortMapping {
                host_ip: None,
                host_port: None,
                container_port,
                protocol: proto.to_owned(),
            }),
        }
    }
    out
}

/// Stable order; IPv6 duplicates of an IPv4 binding dropped (the engine lists both).
fn normalize_ports(ports: &mut Vec<PortMapping>) {
    ports.sort_by(|a, b| {
        (a.container_port, &a.protocol, a.host_port, &a.host_ip).cmp(&(
            b.container_port,
            &b.protocol,
            b.host_port,
            &b.host_ip,
        ))
    });
    let v4: Vec<(u16, String, Option<u16>)> = ports
        .iter()
        .filter(|p| !p.host_ip.as_deref().unwrap_or("").contains(':'))
        .map(|p| (p.container_port, p.protocol.clone(), p.host_port))
        .collect();
    ports.retain(|p| {
        !p.host_ip.as_deref().unwrap_or("").contains(':')
            || !v4.contains(&(p.container_port, p.protocol.clone(), p.host_port))
    });
    ports.dedup();
}

fn to_btree(
    labels: Option<&std::collections::HashMap<String, String>>,
) -> BTreeMap<String, String> {
    labels
        .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// The engine writes "0001-01-01T00:00:00Z" for never.
fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(s?).ok()?.with_timezone(&Utc);
    (t.timestamp() > 0).then_some(t)
}

fn health_from_status_text(status: &str) -> Health {
    if status.contains("(healthy)") {
        Health::Healthy
    } else if status.contains("(unhealthy)") {
        Health::Unhealthy
    } else if status.contains("(health: starting)") {
        Health::Starting
    } else {
        Health::None
    }
}

fn status_text(state: RunState, health: Health, exit_code: Option<i64>) -> String {
    let mut s = match (state, exit_code) {
        (RunState::Exited, Some(code)) => format!("exited ({code})"),
        (st, _) => st.as_str().to_owned(),
    };
    if health != Health::None {
        s.push_str(&format!(" ({})", health.as_str()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
        let path = format!("{}/fixtures/api/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn listing_maps_names_states_ports_and_compose_labels() {
        let list: Vec<ContainerSummary> = fixture("containers.json");
        let cs: Vec<Container> = list
            .iter()
            .filter_map(|s| from_summary("local", s))
            .collect();
        assert_eq!(cs.len(), list.len());
        let web = cs
            .iter()
            .find(|c| c.name == "demo-web-1")
            .expect("demo-web-1 in fixture");
        assert_eq!(web.project(), Some("demo"));
        assert_eq!(web.service(), Some("web"));
        assert_eq!(web.state, RunState::Running);
        assert!(web.published_ports().any(|p| p.host_port == Some(18080)));
        assert_eq!(web.key.endpoint, "local");
        let stopped = cs
            .iter()
            .find(|c| c.name == "fx-stopped")
            .expect("fx-stopped");
        assert_eq!(stopped.state, RunState::Exited);
    }

    #[test]
    fn inspect_maps_health_start_time_restarts_and_exit_code() {
        let sick: ContainerInspectResponse = fixture("inspect-unhealthy.json");
        let c = from_inspect("local", &sick).unwrap();
        assert_eq!(c.health, Health::Unhealthy);
        assert_eq!(c.name, "fx-unhealthy");
        assert!(c.started_at.is_some());
        assert_eq!(c.restart_count, Some(0));
        let stopped: ContainerInspectResponse = fixture("inspect-stopped.json");
        let c = from_inspect("local", &stopped).unwrap();
        assert_eq!(c.state, RunState::Exited);
        assert_eq!(c.exit_code, Some(3));
        assert!(c.finished_at.is_some());
        assert_eq!(c.uptime_secs(Utc::now()), None);
    }

    #[test]
    fn never_is_not_a_time() {
        assert_eq!(parse_time(Some("0001-01-01T00:00:00Z")), None);
        assert!(parse_time(Some("2026-11-22T18:00:00.5Z")).is_some());
    }
}
