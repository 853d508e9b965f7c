//! The fake world in the Engine API's JSON shapes (API 1.41, as in `fixtures/api/`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::world::{Event, FakeContainer, RunState, World, MEM_TOTAL, NCPU};

pub const API_VERSION: &str = "1.41";
pub const ENGINE_VERSION: &str = "20.10.24+fake";
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn opt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(rfc3339).unwrap_or_else(|| ZERO_TIME.to_owned())
}

/// Go's `units.HumanDuration`, which dockerd uses in `Status`.
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    let minutes = s / 60;
    let hours = (s as f64 / 3600.0).round() as i64;
    if s < 1 {
        "Less than a second".into()
    } else if s == 1 {
        "1 second".into()
    } else if s < 60 {
        format!("{s} seconds")
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", hours / 24 / 365)
    }
}

/// The `Status` column: "Up 5 minutes (healthy)", "Exited (0) 3 hours ago", …
pub fn status_text(c: &FakeContainer, now: DateTime<Utc>) -> String {
    let since =
        |t: Option<DateTime<Utc>>| human_duration(t.map(|t| (now - t).num_seconds()).unwrap_or(0));
    match c.state {
        RunState::Created => "Created".into(),
        RunState::Running | RunState::Paused => {
            let mut s = format!("Up {}", since(c.started_at));
            if c.state == RunState::Paused {
                s.push_str(" (Paused)");
            } else if let Some(h) = c.health {
                s.push_str(&match h {
                    "starting" => " (health: starting)".to_string(),
                    other => format!(" ({other})"),
                });
            }
            s
        }
        RunState::Exited => format!("Exited ({}) {} ago", c.exit_code, since(c.finished_at)),
    }
}

fn labels(c: &FakeContainer) -> Value {
    Value::Object(
        c.labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn network_name(c: &FakeContainer) -> String {
    format!("{}_default", c.project)
}

/// A network id derived from its name: stable across runs, distinct across projects.
fn network_id(name: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(name.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn network_doc(name: &str, driver: &str, subnet: Option<&str>, project: Option<&str>) -> Value {
    let mut labels = Map::new();
    if let Some(p) = project {
        labels.insert("com.docker.compose.network".into(), json!("default"));
        labels.insert("com.docker.compose.project".into(), json!(p));
    }
    json!({
        "Name": name,
        "Id": network_id(name),
        "Created": "2026-11-22T18:00:00.000000000Z",
        "Scope": "local",
        "Driver": driver,
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": null,
            "Config": subnet.map(|s| json!([{ "Subnet": s, "Gateway": s.replace(".0/16", ".1") }])).unwrap_or(json!([]))
        },
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": { "Network": "" },
        "ConfigOnly": false,
        "Containers": {},
        "Options": {},
        "Labels": labels
    })
}

/// `GET /networks`: the engine's own three, and each project's default network.
pub fn networks(world: &World) -> Value {
    let mut out = vec![
        network_doc("bridge", "bridge", Some("172.17.0.0/16"), None),
        network_doc("host", "host", None, None),
        network_doc("none", "null", None, None),
    ];
    let mut projects: Vec<&str> = world
        .containers()
        .iter()
        .map(|c| c.project.as_str())
        .collect();
    projects.sort_unstable();
    projects.dedup();
    for (i, p) in projects.iter().enumerate() {
        let subnet = format!("172.{}.0.0/16", 18 + (i % 200));
        out.push(network_doc(
            &format!("{p}_default"),
            "bridge",
            Some(&subnet),
            Some(p),
        ));
    }
    Value::Array(out)
}

/// `GET /networks/{id}`: one of [`networks`], by name or id.
pub fn network_inspect(world: &World, id: &str) -> Option<Value> {
    let all = networks(world);
    all.as_array()?
        .iter()
        .find(|n| n["Id"] == id || n["Name"] == id)
        .cloned()
}

fn network(c: &FakeContainer, with_aliases: bool) -> Value {
    let running = c.is_running();
    let ip = if running { c.ip.as_str() } else { "" };
    json!({
        "IPAMConfig": null,
        "Links": null,
        "Aliases": if with_aliases { json!([c.service, &c.id[..12]]) } else { Value::Null },
        "NetworkID": network_id(&network_name(c)),
        "EndpointID": if running { c.id.chars().rev().collect::<String>() } else { String::new() },
        "Gateway": if running { "172.18.0.1" } else { "" },
        "IPAddress": ip,
        "IPPrefixLen": if running { 16 } else { 0 },
        "IPv6Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "MacAddress": if running { "02:42:ac:12:00:02" } else { "" },
        "DriverOpts": null
    })
}

/// One entry of `GET /containers/json`. Typed rather than built as a `Value`: listing 10 000
/// containers is the fake's hot path.
pub fn summary(c: &FakeContainer, now: DateTime<Utc>) -> Value {
    serde_json::to_value(Summary::new(c, now)).unwrap_or(Value::Null)
}

/// Writes one listing entry straight to `out`. Everything but `Status` (which moves with the
/// clock) is rendered once per run state and kept on the container, so a listing of 10 000 is
/// mostly a copy.
pub fn write_summary(out: &mut Vec<u8>, c: &mut FakeContainer, now: DateTime<Utc>) {
    let fresh = matches!(&c.summary_cache, Some((state, _)) if *state == c.state);
    if !fresh {
        let mut summary = Summary::new(c, now);
        summary.status = None;
        let mut bytes = serde_json::to_vec(&summary).unwrap_or_default();
        bytes.pop(); // the closing brace; Status goes after
        c.summary_cache = Some((c.state, bytes));
    }
    if let Some((_, bytes)) = &c.summary_cache {
        out.extend_from_slice(bytes);
        out.extend_from_slice(b",\"Status\":");
        let _ = serde_json::to_writer(&mut *out, &status_text(c, now));
        out.push(b'}');
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Summary<'a> {
    id: &'a str,
    names: [String; 1],
    image: &'a str,
    #[serde(rename = "ImageID")]
    image_id: &'a str,
    command: String,
    created: i64,
    ports: Vec<SummaryPort>,
    labels: &'a std::collections::BTreeMap<String, String>,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    host_config: SummaryHostConfig,
    network_settings: SummaryNetworks<'a>,
    mounts: [(); 0],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SummaryPort {
    #[serde(rename = "IP", skip_serializing_if = "Option::is_none")]
    ip: Option<&'static str>,
    private_port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_port: Option<u16>,
    #[serde(rename = "Type")]
    typ: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SummaryHostConfig {
    network_mode: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SummaryNetworks<'a> {
    networks: std::collections::BTreeMap<String, SummaryNetwork<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SummaryNetwork<'a> {
    #[serde(rename = "IPAMConfig")]
    ipam_config: Option<()>,
    links: Option<()>,
    aliases: Option<()>,
    #[serde(rename = "NetworkID")]
    network_id: String,
    #[serde(rename = "EndpointID")]
    endpoint_id: String,
    gateway: &'static str,
    #[serde(rename = "IPAddress")]
    ip_address: &'a str,
    #[serde(rename = "IPPrefixLen")]
    ip_prefix_len: u8,
    #[serde(rename = "IPv6Gateway")]
    ipv6_gateway: &'static str,
    #[serde(rename = "GlobalIPv6Address")]
    global_ipv6_address: &'static str,
    #[serde(rename = "GlobalIPv6PrefixLen")]
    global_ipv6_prefix_len: u8,
    mac_address: &'static str,
    driver_opts: Option<()>,
}

impl<'a> Summary<'a> {
    fn new(c: &'a FakeContainer, now: DateTime<Utc>) -> Self {
        let running = c.is_running();
        let ports = c
            .ports
            .iter()
            .flat_map(|p| match (running, p.public) {
                (true, Some(public)) => vec![
                    SummaryPort {
                        ip: Some("0.0.0.0"),
                        private_port: p.private,
                        public_port: Some(public),
                        typ: "tcp",
                    },
                    SummaryPort {
                        ip: Some("::"),
                        private_port: p.private,
                        public_port: Some(public),
                        typ: "tcp",
                    },
                ],
                _ => vec![SummaryPort {
                    ip: None,
                    private_port: p.private,
                    public_port: None,
                    typ: "tcp",
                }],
            })
            .collect();
        let network = SummaryNetwork {
            ipam_config: None,
            links: None,
            aliases: None,
            network_id: network_id(&network_name(c)),
            endpoint_id: if running {
                c.id.chars().rev().collect()
            } else {
                String::new()
            },
            gateway: if running { "172.18.0.1" } else { "" },
            ip_address: if running { c.ip.as_str() } else { "" },
            ip_prefix_len: if running { 16 } else { 0 },
            ipv6_gateway: "",
            global_ipv6_address: "",
            global_ipv6_prefix_len: 0,
            mac_address: if running { "02:42:ac:12:00:02" } else { "" },
            driver_opts: None,
        };
        let mut networks = std::collections::BTreeMap::new();
        networks.insert(network_name(c), network);
        Summary {
            id: &c.id,
            names: [format!("/{}", c.name)],
            image: &c.image,
            image_id: &c.image_id,
            command: command(c),
            created: c.created.timestamp(),
            ports,
            labels: &c.labels,
            state: c.state.as_str(),
            status: Some(status_text(c, now)),
            host_config: SummaryHostConfig {
                network_mode: network_name(c),
            },
            network_settings: SummaryNetworks { networks },
            mounts: [],
        }
    }
}

fn command(c: &FakeContainer) -> String {
    std::iter::once(c.path.as_str())
        .chain(c.args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `GET /containers/{id}/json`.
pub fn inspect(c: &FakeContainer, now: DateTime<Utc>) -> Value {
    let running = c.is_running();
    let health = c.health.map(|status| {
        let code = if status == "unhealthy" { 1 } else { 0 };
        let output = if code == 0 {
            "ok\n"
        } else {
            "probe failed: connection refused\n"
        };
        let log: Vec<Value> = (0..3)
            .map(|k| {
                let start = now - chrono::Duration::seconds(30 * (3 - k));
                json!({
                    "Start": rfc3339(start),
                    "End": rfc3339(start + chrono::Duration::milliseconds(40)),
                    "ExitCode": code,
                    "Output": output
                })
            })
            .collect();
        json!({"Status": status, "FailingStreak": c.failing_streak, "Log": log})
    });
    let mut state = json!({
        "Status": c.state.as_str(),
        "Running": running,
        "Paused": c.state == RunState::Paused,
        "Restarting": false,
        "OOMKilled": false,
        "Dead": false,
        "Pid": if running { c.pid } else { 0 },
        "ExitCode": c.exit_code,
        "Error": "",
        "StartedAt": opt_time(c.started_at),
        "FinishedAt": opt_time(c.finished_at)
    });
    if let Some(h) = health {
        state["Health"] = h;
    }
    let mut port_bindings = Map::new();
    let mut ports = Map::new();
    for p in &c.ports {
        let key = format!("{}/tcp", p.private);
        match p.public {
            Some(public) => {
                let binding = json!([{"HostIp": "", "HostPort": public.to_string()}]);
                port_bindings.insert(key.clone(), binding);
                let live = if running {
                    json!([
                        {"HostIp": "0.0.0.0", "HostPort": public.to_string()},
                        {"HostIp": "::", "HostPort": public.to_string()}
                    ])
                } else {
                    Value::Null
                };
                ports.insert(key, live);
            }
            None => {
                ports.insert(key, Value::Null);
            }
        }
    }
    let exposed: Map<String, Value> = c
        .ports
        .iter()
        .map(|p| (format!("{}/tcp", p.private), json!({})))
        .collect();
    let l = &c.limits;
    let healthcheck = c.healthcheck.as_ref().map(|test| {
        json!({
            "Test": test,
            "Interval": 30_000_000_000i64,
            "Timeout": 5_000_000_000i64,
            "Retries": 3
        })
    });
    let mut config = json!({
        "Hostname": &c.id[..12],
        "Domainname": "",
        "User": "",
        "AttachStdin": false,
        "AttachStdout": true,
        "AttachStderr": true,
        "ExposedPorts": exposed,
        "Tty": false,
        "OpenStdin": false,
        "StdinOnce": false,
        "Env": c.env,
        "Cmd": c.args,
        "Image": c.image,
        "Volumes": null,
        "WorkingDir": "",
        "Entrypoint": [c.path],
        "OnBuild": null,
        "Labels": labels(c)
    });
    if let Some(h) = healthcheck {
        config["Healthcheck"] = h;
    }
    let mut networks = Map::new();
    networks.insert(network_name(c), network(c, true));
    let host_config = json!({
        "Binds": null,
        "LogConfig": {"Type": "json-file", "Config": {}},
        "NetworkMode": network_name(c),
        "PortBindings": port_bindings,
        "RestartPolicy": {"Name": "unless-stopped", "MaximumRetryCount": 0},
        "AutoRemove": false,
        "CgroupnsMode": "private",
        "IpcMode": "private",
        "OomScoreAdj": 0,
        "Privileged": false,
        "ReadonlyRootfs": false,
        "ShmSize": 67108864,
        "Runtime": "runc",
        "CpuShares": 0,
        "Memory": l.memory,
        "NanoCpus": l.nano_cpus,
        "CgroupParent": "",
        "CpuPeriod": l.cpu_period,
        "CpuQuota": l.cpu_quota,
        "CpuRealtimePeriod": 0,
        "CpuRealtimeRuntime": 0,
        "CpusetCpus": "",
        "CpusetMems": "",
        "MemoryReservation": 0,
        "MemorySwap": if l.memory > 0 { l.memory * 2 } else { 0 },
        "MemorySwappiness": null,
        "OomKillDisable": false,
        "PidsLimit": l.pids_limit,
        "Ulimits": null
    });
    json!({
        "Id": c.id,
        "Created": rfc3339(c.created),
        "Path": c.path,
        "Args": c.args,
        "State": state,
        "Image": c.image_id,
        "ResolvConfPath": format!("/var/lib/docker/containers/{}/resolv.conf", c.id),
        "HostnamePath": format!("/var/lib/docker/containers/{}/hostname", c.id),
        "HostsPath": format!("/var/lib/docker/containers/{}/hosts", c.id),
        "LogPath": format!("/var/lib/docker/containers/{0}/{0}-json.log", c.id),
        "Name": format!("/{}", c.name),
        "RestartCount": c.restart_count,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": null,
        "HostConfig": host_config,
        "GraphDriver": {"Data": null, "Name": "overlay2"},
        "Mounts": [],
        "Config": config,
        "NetworkSettings": {
            "Bridge": "",
            "SandboxID": if running { c.id.clone() } else { String::new() },
            "HairpinMode": false,
            "LinkLocalIPv6Address": "",
            "LinkLocalIPv6PrefixLen": 0,
            "Ports": ports,
            "SandboxKey": if running { format!("/var/run/docker/netns/{}", &c.id[..12]) } else { String::new() },
            "SecondaryIPAddresses": null,
            "SecondaryIPv6Addresses": null,
            "EndpointID": "",
            "Gateway": "",
            "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "IPAddress": "",
            "IPPrefixLen": 0,
            "IPv6Gateway": "",
            "MacAddress": "",
            "Networks": networks
        }
    })
}

fn host_cpu_ns(world: &World, at: DateTime<Utc>) -> u64 {
    let secs = (at - world.boot).num_milliseconds().max(0) as f64 / 1000.0;
    (secs * 1e9 * NCPU as f64) as u64
}

fn cpu_stats(world: &World, c: &FakeContainer, at: DateTime<Utc>) -> Value {
    let total = c.cpu_total_ns(at) as u64;
    let lifetime = c.lifetime_run_secs(at);
    let period_us = if c.limits.cpu_period > 0 {
        c.limits.cpu_period
    } else {
        100_000
    };
    let limited = c.limits.cpu_cores() > 0.0;
    let periods = if limited {
        (lifetime * 1e6 / period_us as f64) as u64
    } else {
        0
    };
    let throttled = (periods as f64 * c.load.throttled_share) as u64;
    json!({
        "cpu_usage": {
            "total_usage": total,
            "usage_in_kernelmode": total / 5,
            "usage_in_usermode": total - total / 5
        },
        "system_cpu_usage": host_cpu_ns(world, at),
        "online_cpus": NCPU,
        "throttling_data": {
            "periods": periods,
            "throttled_periods": throttled,
            "throttled_time": throttled * 12_000_000
        }
    })
}

fn zero_cpu() -> Value {
    json!({
        "cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
        "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}
    })
}

/// `GET /containers/{id}/stats?stream=false` (cgroup v2 shape). With `one_shot`, as dockerd,
/// `precpu_stats` is empty; without it, dockerd samples twice a second apart — the fake
/// computes the earlier sample instead of waiting.
pub fn stats(world: &World, c: &FakeContainer, now: DateTime<Utc>, one_shot: bool) -> Value {
    let name = format!("/{}", c.name);
    if !c.is_running() {
        return json!({
            "name": name, "id": c.id,
            "read": ZERO_TIME, "preread": ZERO_TIME,
            "pids_stats": {}, "blkio_stats": {
                "io_service_bytes_recursive": null, "io_serviced_recursive": null,
                "io_queue_recursive": null, "io_service_time_recursive": null,
                "io_wait_time_recursive": null, "io_merged_recursive": null,
                "io_time_recursive": null, "sectors_recursive": null
            },
            "num_procs": 0, "storage_stats": {},
            "cpu_stats": zero_cpu(), "precpu_stats": zero_cpu(), "memory_stats": {}
        });
    }
    let prev = now - chrono::Duration::seconds(1);
    let (precpu, preread) = if one_shot {
        (zero_cpu(), ZERO_TIME.to_owned())
    } else {
        (cpu_stats(world, c, prev), rfc3339(prev))
    };
    let usage = c.mem_usage(now);
    let limit = if c.limits.memory > 0 {
        c.limits.memory as u64
    } else {
        MEM_TOTAL as u64
    };
    let inactive_file = usage / 20;
    let active_file = usage / 25;
    let lifetime = c.lifetime_run_secs(now);
    let rx = (c.load.net_rx_per_s * lifetime) as u64;
    let tx = (c.load.net_tx_per_s * lifetime) as u64;
    let read = (c.load.blk_read_per_s * lifetime) as u64;
    let write = (c.load.blk_write_per_s * lifetime) as u64;
    let mut pids = json!({"current": c.load.pids});
    if let Some(l) = c.limits.pids_limit {
        pids["limit"] = json!(l);
    }
    let mut networks = Map::new();
    networks.insert(
        "eth0".into(),
        json!({
            "rx_bytes": rx, "rx_packets": rx / 900, "rx_errors": 0, "rx_dropped": 0,
            "tx_bytes": tx, "tx_packets": tx / 700, "tx_errors": 0, "tx_dropped": 0
        }),
    );
    json!({
        "name": name,
        "id": c.id,
        "read": rfc3339(now),
        "preread": preread,
        "pids_stats": pids,
        "blkio_stats": {
            "io_service_bytes_recursive": [
                {"major": 259, "minor": 0, "op": "read", "value": read},
                {"major": 259, "minor": 0, "op": "write", "value": write}
            ],
            "io_serviced_recursive": null,
            "io_queue_recursive": null,
            "io_service_time_recursive": null,
            "io_wait_time_recursive": null,
            "io_merged_recursive": null,
            "io_time_recursive": null,
            "sectors_recursive": null
        },
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": cpu_stats(world, c, now),
        "precpu_stats": precpu,
        "memory_stats": {
            "usage": usage,
            "stats": {
                "active_anon": 0,
                "active_file": active_file,
                "anon": usage - inactive_file - active_file,
                "file": inactive_file + active_file,
                "inactive_anon": usage - inactive_file - active_file,
                "inactive_file": inactive_file,
                "kernel_stack": 16384 * c.load.pids,
                "pgfault": (lifetime * 40.0) as u64,
                "pgmajfault": 0,
                "shmem": 0,
                "sock": 0,
                "slab": usage / 100
            },
            "limit": limit
        },
        "networks": networks
    })
}

/// `GET /version`.
pub fn version() -> Value {
    json!({
        "Platform": {"Name": "wheelhouse fake engine"},
        "Components": [{
            "Name": "Engine",
            "Version": ENGINE_VERSION,
            "Details": {
                "ApiVersion": API_VERSION,
                "Arch": "amd64",
                "BuildTime": "2026-01-01T00:00:00.000000000+00:00",
                "Experimental": "false",
                "GitCommit": "fake",
                "GoVersion": "go1.19.8",
                "KernelVersion": "6.1.0-fake",
                "MinAPIVersion": "1.12",
                "Os": "linux"
            }
        }],
        "Version": ENGINE_VERSION,
        "ApiVersion": API_VERSION,
        "MinAPIVersion": "1.12",
        "GitCommit": "fake",
        "GoVersion": "go1.19.8",
        "Os": "linux",
        "Arch": "amd64",
        "KernelVersion": "6.1.0-fake",
        "BuildTime": "2026-01-01T00:00:00.000000000+00:00"
    })
}

/// `GET /info` (the fields the console reads, and the counts).
pub fn info(world: &World, now: DateTime<Utc>) -> Value {
    let cs = world.containers();
    let count = |s: RunState| cs.iter().filter(|c| c.state == s).count();
    json!({
        "ID": world.daemon_id,
        "Containers": cs.len(),
        "ContainersRunning": count(RunState::Running),
        "ContainersPaused": count(RunState::Paused),
        "ContainersStopped": count(RunState::Exited) + count(RunState::Created),
        "Images": 7,
        "Driver": "overlay2",
        "MemoryLimit": true,
        "SwapLimit": true,
        "CpuCfsPeriod": true,
        "CpuCfsQuota": true,
        "PidsLimit": true,
        "NEventsListener": 0,
        "KernelVersion": "6.1.0-fake",
        "OperatingSystem": "wheelhouse fake engine",
        "OSType": "linux",
        "Architecture": "x86_64",
        "NCPU": NCPU,
        "MemTotal": MEM_TOTAL,
        "Name": "fake-engine",
        "ServerVersion": ENGINE_VERSION,
        "CgroupDriver": "systemd",
        "CgroupVersion": "2",
        "SystemTime": rfc3339(now),
        "LoggingDriver": "json-file"
    })
}

/// One line of `GET /events`.
pub fn event_line(e: &Event) -> Vec<u8> {
    let mut v = serde_json::to_vec(&json!({
        "status": e.action,
        "id": e.id,
        "from": e.attributes.get("image"),
        "Type": e.typ,
        "Action": e.action,
        "Actor": {"ID": e.id, "Attributes": e.attributes},
        "scope": "local",
        "time": e.time_nano / 1_000_000_000,
        "timeNano": e.time_nano
    }))
    .unwrap_or_default();
    v.push(b'\n');
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_match_docker() {
        assert_eq!(human_duration(0), "Less than a second");
        assert_eq!(human_duration(4), "4 seconds");
        assert_eq!(human_duration(70), "About a minute");
        assert_eq!(human_duration(600), "10 minutes");
        assert_eq!(human_duration(3600), "About an hour");
        assert_eq!(human_duration(5 * 3600), "5 hours");
        assert_eq!(human_duration(3 * 86400), "3 days");
    }

    #[test]
    fn shapes_parse_with_bollard_types() {
        let now = Utc::now();
        let w = World::generate(40, 9, now);
        for c in w.containers() {
            let s: bollard::models::ContainerSummary =
                serde_json::from_value(summary(c, now)).unwrap();
            let mut cached = Vec::new();
            let mut copy = c.clone();
            write_summary(&mut cached, &mut copy, now);
            write_summary(&mut cached, &mut copy, now);
            let twice: Vec<bollard::models::ContainerSummary> = serde_json::from_slice(
                &[
                    b"[",
                    &cached[..cached.len() / 2],
                    b",",
                    &cached[cached.len() / 2..],
                    b"]",
                ]
                .concat(),
            )
            .unwrap();
            assert_eq!(twice[1].status, s.status);
            assert_eq!(
                serde_json::to_value(&twice[0]).unwrap(),
                serde_json::to_value(&s).unwrap()
            );
            assert_eq!(s.id.as_deref(), Some(c.id.as_str()));
            let i: bollard::models::ContainerInspectResponse =
                serde_json::from_value(inspect(c, now)).unwrap();
            assert_eq!(i.name.as_deref(), Some(format!("/{}", c.name).as_str()));
            let st: bollard::models::ContainerStatsResponse =
                serde_json::from_value(stats(&w, c, now, true)).unwrap();
            assert_eq!(st.id.as_deref(), Some(c.id.as_str()));
        }
        let _: bollard::models::SystemVersion = serde_json::from_value(version()).unwrap();
        let _: bollard::models::SystemInfo = serde_json::from_value(info(&w, now)).unwrap();
    }
}
