//! Engine API objects → the console's `Container`. Both the listing (cheap, for the first
//! paint) and inspect (complete: start time, restarts, health) map here.

use std::collections::BTreeMap;

use bollard::models::{
    ContainerInspectResponse, ContainerSummary, EndpointSettings, HealthConfig, HealthcheckResult,
    HostConfig, PortMap,
};
use chrono::{DateTime, TimeZone, Utc};

use crate::app::events::{Attributes, EngineEvent, EventAction, ObjectKind};
use crate::app::model::{
    Container, ContainerKey, Health, HealthCheck, ImageInfo, Network, NetworkAttachment,
    PortMapping, Probe, RunState, Subnet, VolumeInfo,
};
use crate::app::usage::Limits;

/// Probe output kept per probe: enough to read an error, bounded for many containers.
pub const PROBE_OUTPUT_CAP: usize = 1024;

pub fn from_summary(endpoint: &str, s: &ContainerSummary) -> Option<Container> {
    let id = s.id.clone()?;
    let name = s
        .names
        .as_ref()
        .and_then(|n| n.first())
        .map(|n| n.trim_start_matches('/').to_owned())
        .unwrap_or_else(|| crate::text::short_id(&id).to_owned());
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
        oom_killed: false,
        restart_count: None,
        ports,
        labels: to_btree(s.labels.as_ref()),
        pid: None,
        limits: Limits::default(),
        health_check: None,
        failing_streak: None,
        health_log: Vec::new(),
        network_mode: s
            .host_config
            .as_ref()
            .and_then(|h| h.network_mode.clone())
            .unwrap_or_default(),
        networks: s
            .network_settings
            .as_ref()
            .and_then(|n| n.networks.as_ref())
            .map(|n| attachments(n, s.id.as_deref().unwrap_or_default()))
            .unwrap_or_default(),
        fixed_host_ports: Vec::new(),
        restart_policy: None,
        volumes: Vec::new(),
        links: Vec::new(),
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
        oom_killed: st.and_then(|s| s.oom_killed).unwrap_or(false),
        restart_count: i.restart_count.map(|n| n.max(0) as u64),
        ports,
        labels: to_btree(config.and_then(|c| c.labels.as_ref())),
        // The engine reports 0 for a container that is not running.
        pid: st
            .and_then(|s| s.pid)
            .filter(|p| *p > 0)
            .and_then(|p| u32::try_from(p).ok()),
        limits: i.host_config.as_ref().map(limits_from).unwrap_or_default(),
        health_check: config
            .and_then(|c| c.healthcheck.as_ref())
            .and_then(health_check_from),
        failing_streak: st
            .and_then(|s| s.health.as_ref())
            .and_then(|h| h.failing_streak),
        health_log: st
            .and_then(|s| s.health.as_ref())
            .and_then(|h| h.log.as_ref())
            .map(|log| log.iter().map(probe_from).collect())
            .unwrap_or_default(),
        network_mode: i
            .host_config
            .as_ref()
            .and_then(|h| h.network_mode.clone())
            .unwrap_or_default(),
        networks: i
            .network_settings
            .as_ref()
            .and_then(|n| n.networks.as_ref())
            .map(|n| attachments(n, i.id.as_deref().unwrap_or_default()))
            .unwrap_or_default(),
        fixed_host_ports: i
            .host_config
            .as_ref()
            .and_then(|h| h.port_bindings.as_ref())
            .map(fixed_host_ports)
            .unwrap_or_default(),
        restart_policy: i
            .host_config
            .as_ref()
            .and_then(|h| h.restart_policy.as_ref())
            .and_then(restart_policy_text),
        volumes: i
            .mounts
            .iter()
            .flatten()
            .filter(|m| m.typ.as_deref() == Some("volume"))
            .filter_map(|m| m.name.clone())
            .collect(),
        // `/db:/web/database`: the linked container's name comes first.
        links: i
            .host_config
            .as_ref()
            .and_then(|h| h.links.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|l| l.split(':').next())
            .map(|n| n.trim_start_matches('/').to_owned())
            .filter(|n| !n.is_empty())
            .collect(),
    })
}

/// An image of an engine's listing.
pub fn image(endpoint: &str, i: &bollard::models::ImageSummary) -> ImageInfo {
    ImageInfo {
        endpoint: endpoint.to_owned(),
        id: i.id.clone(),
        tags: i.repo_tags.clone(),
        size: i.size.max(0) as u64,
        created: chrono::DateTime::from_timestamp(i.created, 0),
    }
}

/// A volume of an engine's listing.
pub fn volume(endpoint: &str, v: &bollard::models::Volume) -> VolumeInfo {
    VolumeInfo {
        endpoint: endpoint.to_owned(),
        name: v.name.clone(),
        driver: v.driver.clone(),
        created: parse_time(v.created_at.as_ref().map(|d| d.to_string()).as_deref()),
    }
}

/// `on-failure:3`, `unless-stopped`, `no` (the engine's empty name is `no`, as docker says).
fn restart_policy_text(p: &bollard::models::RestartPolicy) -> Option<String> {
    use bollard::models::RestartPolicyNameEnum as Name;
    let name = match p.name? {
        Name::EMPTY | Name::NO => "no",
        Name::ALWAYS => "always",
        Name::UNLESS_STOPPED => "unless-stopped",
        Name::ON_FAILURE => "on-failure",
    };
    Some(match p.maximum_retry_count {
        Some(n) if n > 0 && name == "on-failure" => format!("{name}:{n}"),
        _ => name.to_owned(),
    })
}

/// Host ports bound by number (`-p 8080:80`), not left to the engine (`-p 80`, `-p ::80`).
fn fixed_host_ports(bindings: &PortMap) -> Vec<u16> {
    let mut ports: Vec<u16> = bindings
        .values()
        .flatten()
        .flatten()
        .filter_map(|b| b.host_port.as_deref()?.parse().ok())
        .filter(|p| *p != 0)
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// A container's networks, sorted by name. The engine adds the container's short id to its
/// aliases by itself (before API 1.45); that one is left out: it is not the operator's.
fn attachments(
    networks: &std::collections::HashMap<String, EndpointSettings>,
    container_id: &str,
) -> Vec<NetworkAttachment> {
    let short = crate::text::short_id(container_id);
    let with_prefix = |ip: Option<&String>, len: Option<i64>| {
        ip.filter(|a| !a.is_empty()).map(|a| match len {
            Some(l) if l > 0 => format!("{a}/{l}"),
            _ => a.clone(),
        })
    };
    let mut out: Vec<NetworkAttachment> = networks
        .iter()
        .map(|(name, e)| NetworkAttachment {
            network: name.clone(),
            network_id: e.network_id.clone().unwrap_or_default(),
            ipv4: with_prefix(e.ip_address.as_ref(), e.ip_prefix_len),
            ipv6: with_prefix(e.global_ipv6_address.as_ref(), e.global_ipv6_prefix_len),
            aliases: e
                .aliases
                .iter()
                .flatten()
                .filter(|a| a.as_str() != short)
                .cloned()
                .collect(),
        })
        .collect();
    out.sort_by(|a, b| a.network.cmp(&b.network));
    out
}

/// A network as the engine lists or inspects it (both answer the same shape here).
pub fn network(endpoint: &str, n: &bollard::models::Network) -> Option<Network> {
    let options = n.options.as_ref();
    Some(Network {
        endpoint: endpoint.to_owned(),
        id: n.id.clone()?,
        name: n.name.clone().unwrap_or_default(),
        driver: n.driver.clone().unwrap_or_default(),
        scope: n.scope.clone().unwrap_or_default(),
        internal: n.internal.unwrap_or(false),
        attachable: n.attachable.unwrap_or(false),
        icc: options
            .and_then(|o| o.get("com.docker.network.bridge.enable_icc"))
            .is_none_or(|v| v != "false"),
        ipv6: n.enable_ipv6.unwrap_or(false),
        subnets: n
            .ipam
            .as_ref()
            .and_then(|i| i.config.as_ref())
            .map(|configs| {
                configs
                    .iter()
                    .filter_map(|c| {
                        Some(Subnet {
                            subnet: c.subnet.clone()?,
                            gateway: c.gateway.clone(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
        labels: to_btree(n.labels.as_ref()),
    })
}

/// An engine event as the events pane shows it; None for events without an actor.
pub fn event(endpoint: &str, ev: &bollard::models::EventMessage) -> Option<EngineEvent> {
    let actor = ev.actor.as_ref()?;
    let id = actor.id.clone()?;
    // Container events carry every label as an attribute; the pane keeps only what it shows,
    // so the remembered events stay small.
    const KEPT: &[&str] = &["name", "image", "exitCode", "signal", "container", "type"];
    let attributes: Attributes = actor
        .attributes
        .as_ref()
        .map(|a| {
            a.iter()
                .filter(|(k, _)| KEPT.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let kind = ObjectKind::parse(&ev.typ.map(|t| t.to_string()).unwrap_or_default());
    let time = match (ev.time_nano, ev.time) {
        (Some(n), _) if n > 0 => Utc.timestamp_nanos(n),
        (_, Some(s)) => Utc.timestamp_opt(s, 0).single().unwrap_or_default(),
        _ => Utc::now(),
    };
    Some(EngineEvent {
        endpoint: endpoint.to_owned(),
        time,
        kind,
        action: EventAction::parse(ev.action.as_deref().unwrap_or_default()),
        id,
        attributes,
    })
}

/// The engine writes 0 for "not set"; keep only real settings.
fn limits_from(h: &HostConfig) -> Limits {
    let set = |v: Option<i64>| v.filter(|n| *n != 0);
    Limits {
        nano_cpus: set(h.nano_cpus),
        cpu_quota_us: set(h.cpu_quota).filter(|q| *q > 0),
        cpu_period_us: set(h.cpu_period),
        cpuset_cpus: h.cpuset_cpus.clone().filter(|s| !s.trim().is_empty()),
        memory: set(h.memory).and_then(|m| u64::try_from(m).ok()),
        memory_reservation: set(h.memory_reservation).and_then(|m| u64::try_from(m).ok()),
        memory_swap: set(h.memory_swap),
        pids: set(h.pids_limit).filter(|p| *p > 0),
    }
}

/// `["NONE"]` disables a check inherited from the image: no check.
fn health_check_from(h: &HealthConfig) -> Option<HealthCheck> {
    let test = h.test.clone().unwrap_or_default();
    if test.is_empty() || test.first().is_some_and(|t| t == "NONE") {
        return None;
    }
    let set = |v: Option<i64>| v.filter(|n| *n > 0);
    Some(HealthCheck {
        test,
        interval_ns: set(h.interval),
        timeout_ns: set(h.timeout),
        retries: set(h.retries),
        start_period_ns: set(h.start_period),
    })
}

fn probe_from(r: &HealthcheckResult) -> Probe {
    Probe {
        start: parse_time(r.start.as_deref()),
        end: parse_time(r.end.as_deref()),
        exit_code: r.exit_code,
        output: sanitize_output(r.output.as_deref().unwrap_or_default(), PROBE_OUTPUT_CAP),
    }
}

/// Probe output comes from inside the container: drop control characters (a stray escape
/// sequence must not reach the terminal) and cap it at `cap` bytes on a char boundary.
pub fn sanitize_output(raw: &str, cap: usize) -> String {
    let mut out = String::new();
    for c in raw.trim_end().chars() {
        let c = match c {
            '\n' | '\t' => c,
            c if c.is_control() => continue,
            c => c,
        };
        if out.len() + c.len_utf8() > cap {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out
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
        assert_eq!(c.pid, None, "Pid 0 means not running");
    }

    #[test]
    fn inspect_maps_limits() {
        let limited: ContainerInspectResponse = fixture("inspect-limited.json");
        let c = from_inspect("local", &limited).unwrap();
        assert_eq!(
            c.limits,
            Limits {
                nano_cpus: Some(500_000_000),
                memory: Some(32 * 1024 * 1024),
                memory_swap: Some(64 * 1024 * 1024),
                ..Limits::default()
            }
        );
        assert_eq!(
            c.limits.effective_cpus(2),
            (0.5, crate::app::usage::CpuLimitKind::NanoCpus)
        );
        assert_eq!(c.pid, Some(20775));
        assert!(c.health_check.is_none() && c.health_log.is_empty());
        let sick: ContainerInspectResponse = fixture("inspect-unhealthy.json");
        let c = from_inspect("local", &sick).unwrap();
        assert_eq!(c.limits, Limits::default());
        assert_eq!(
            c.limits.effective_cpus(2),
            (2.0, crate::app::usage::CpuLimitKind::Host)
        );
    }

    #[test]
    fn inspect_maps_health_check_streak_and_probes() {
        let sick: ContainerInspectResponse = fixture("inspect-unhealthy.json");
        let c = from_inspect("local", &sick).unwrap();
        let check = c.health_check.expect("health check");
        assert_eq!(check.test, vec!["CMD-SHELL", "echo probe-failed; exit 1"]);
        assert_eq!(check.interval_ns, Some(1_000_000_000));
        assert_eq!(check.retries, Some(1));
        assert_eq!(check.timeout_ns, None, "engine default");
        assert_eq!(c.failing_streak, Some(4));
        assert_eq!(c.health_log.len(), 4);
        let last = c.health_log.last().unwrap();
        assert_eq!(last.exit_code, Some(1));
        assert_eq!(last.output, "probe-failed");
        assert!(last.start.is_some() && last.end > last.start);
    }

    #[test]
    fn probe_output_is_sanitized_and_capped() {
        assert_eq!(sanitize_output("ok\x1b[2J\r\nnext\n", 100), "ok[2J\nnext");
        let long = "é".repeat(100);
        let capped = sanitize_output(&long, 11);
        assert_eq!(capped, format!("{}…", "é".repeat(5)));
    }

    #[test]
    fn never_is_not_a_time() {
        assert_eq!(parse_time(Some("0001-01-01T00:00:00Z")), None);
        assert!(parse_time(Some("2026-11-22T18:00:00.5Z")).is_some());
    }
}
