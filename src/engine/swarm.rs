//! Reading a Swarm from a manager: its role from `/info`, then nodes, services (with the
//! manager's task counts) and tasks, each from one listing call; afterwards only what an event
//! names is read again (one service and its tasks, or the nodes).
//!
//! The answers are read through their JSON rather than bollard's typed fields: an engine newer
//! or older than the stubs still reads, and a field it leaves out is simply absent.

use std::collections::HashMap;

use bollard::query_parameters::{
    InspectServiceOptions, ListNodesOptions, ListServicesOptionsBuilder, ListTasksOptionsBuilder,
};
use bollard::Docker;
use serde_json::Value;
use tokio::time::timeout;

use super::endpoint::{describe_error, REQUEST_TIMEOUT};
use crate::app::swarm::{
    PublishedPort, SwarmNode, SwarmRole, SwarmService, SwarmServiceKey, SwarmState, SwarmTask,
    UpdateConfig, UpdateStatus, LABEL_STACK,
};
use crate::app::usage::Limits;

/// What `/info` says the endpoint is in a Swarm: a manager when it is an active node with
/// control (a manager that lost quorum still says so, and its listings then fail).
pub fn role_from_info(info: &bollard::models::SystemInfo) -> (SwarmRole, Option<String>) {
    let Some(swarm) = info.swarm.as_ref() else {
        return (SwarmRole::None, None);
    };
    let active = swarm
        .local_node_state
        .as_ref()
        .is_some_and(|s| s.to_string() == "active");
    let role = match (active, swarm.control_available) {
        (false, _) => SwarmRole::None,
        (true, Some(true)) => SwarmRole::Manager,
        (true, _) => SwarmRole::Worker,
    };
    (role, swarm.node_id.clone().filter(|id| !id.is_empty()))
}

/// The whole picture a manager gives: three listing calls.
pub async fn snapshot(
    docker: &Docker,
    endpoint: &str,
    node_id: Option<String>,
) -> Result<SwarmState, String> {
    let nodes = nodes(docker, endpoint).await?;
    let options = ListServicesOptionsBuilder::default().status(true).build();
    let services = timeout(REQUEST_TIMEOUT, docker.list_services(Some(options)))
        .await
        .map_err(|_| format!("{endpoint}: listing Swarm services timed out"))?
        .map_err(|e| describe_error(endpoint, &e))?;
    let tasks = tasks(docker, endpoint, None).await?;
    Ok(SwarmState {
        role: SwarmRole::Manager,
        node_id,
        lost: None,
        nodes,
        services: services
            .iter()
            .filter_map(|s| service_from(endpoint, &to_value(s)))
            .collect(),
        tasks,
    })
}

pub async fn nodes(docker: &Docker, endpoint: &str) -> Result<Vec<SwarmNode>, String> {
    let nodes = timeout(REQUEST_TIMEOUT, docker.list_nodes(None::<ListNodesOptions>))
        .await
        .map_err(|_| format!("{endpoint}: listing Swarm nodes timed out"))?
        .map_err(|e| describe_error(endpoint, &e))?;
    let mut out: Vec<SwarmNode> = nodes
        .iter()
        .filter_map(|n| node_from(&to_value(n)))
        .collect();
    out.sort_by(|a, b| a.hostname.cmp(&b.hostname).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// The tasks of one service, or of all.
pub async fn tasks(
    docker: &Docker,
    endpoint: &str,
    service_id: Option<&str>,
) -> Result<Vec<SwarmTask>, String> {
    let mut filters: HashMap<&str, Vec<&str>> = HashMap::new();
    if let Some(id) = service_id {
        filters.insert("service", vec![id]);
    }
    let options = ListTasksOptionsBuilder::default().filters(&filters).build();
    let tasks = timeout(REQUEST_TIMEOUT, docker.list_tasks(Some(options)))
        .await
        .map_err(|_| format!("{endpoint}: listing Swarm tasks timed out"))?
        .map_err(|e| describe_error(endpoint, &e))?;
    Ok(tasks
        .iter()
        .filter_map(|t| task_from(&to_value(t)))
        // A service filter matches by name prefix too: keep exactly the one asked for.
        .filter(|t| service_id.is_none_or(|id| t.service_id == id))
        .collect())
}

/// One service as it is now (with its task counts), or None when it is gone.
pub async fn service(
    docker: &Docker,
    endpoint: &str,
    id: &str,
) -> Result<Option<SwarmService>, String> {
    // Inspect has no task counts; a listing filtered by id has them.
    let mut filters: HashMap<&str, Vec<&str>> = HashMap::new();
    filters.insert("id", vec![id]);
    let options = ListServicesOptionsBuilder::default()
        .filters(&filters)
        .status(true)
        .build();
    let listed = timeout(REQUEST_TIMEOUT, docker.list_services(Some(options)))
        .await
        .map_err(|_| format!("{endpoint}: reading Swarm service {id} timed out"))?
        .map_err(|e| describe_error(endpoint, &e))?;
    Ok(listed
        .iter()
        .filter_map(|s| service_from(endpoint, &to_value(s)))
        .find(|s| s.key.id == id))
}

/// A service's full record, for an update that must send the whole spec back.
pub async fn inspect_service(
    docker: &Docker,
    id: &str,
) -> Result<bollard::models::Service, bollard::errors::Error> {
    docker
        .inspect_service(id, None::<InspectServiceOptions>)
        .await
}

/// Most of a service's record the console reads (its spec has every task setting).
const MAX_SERVICE_BYTES: usize = 4 << 20;

/// A service's record exactly as the manager wrote it (see `ops::swarm` for why not typed).
/// bollard has no call that returns a body untouched except a streamed one: an export's
/// request is pointed at the service instead.
pub async fn raw_service(docker: &Docker, id: &str) -> Result<Value, bollard::errors::Error> {
    use futures_util::StreamExt;
    let (from, to) = (
        format!("/containers/{id}/export"),
        format!("/services/{id}"),
    );
    let pointed = docker.clone().with_request_modifier(move |mut req| {
        let uri = req.uri().to_string().replacen(&from, &to, 1);
        if let Ok(uri) = uri.parse() {
            *req.uri_mut() = uri;
        }
        req
    });
    let mut body = Vec::new();
    let mut chunks = std::pin::pin!(pointed.export_container(id));
    while let Some(chunk) = chunks.next().await {
        body.extend_from_slice(&chunk?);
        if body.len() > MAX_SERVICE_BYTES {
            return Err(bollard::errors::Error::IOError {
                err: std::io::Error::other(format!(
                    "service {id}: the manager's answer is over {MAX_SERVICE_BYTES} bytes"
                )),
            });
        }
    }
    serde_json::from_slice(&body).map_err(|e| bollard::errors::Error::IOError {
        err: std::io::Error::other(format!(
            "service {id}: the manager's answer is not JSON: {e}"
        )),
    })
}

/// Sends `spec` (the manager's own JSON, changed) as a service's new spec.
pub async fn update_service_raw(
    docker: &Docker,
    id: &str,
    spec: &Value,
    options: bollard::query_parameters::UpdateServiceOptions,
) -> Result<bollard::models::ServiceUpdateResponse, bollard::errors::Error> {
    let body = bytes::Bytes::from(serde_json::to_vec(spec).unwrap_or_default());
    let with_body = docker.clone().with_request_modifier(move |req| {
        let (mut parts, _) = req.into_parts();
        parts.headers.remove(hyper::header::CONTENT_LENGTH);
        hyper::Request::from_parts(parts, bollard::body_full(body.clone()))
    });
    with_body
        .update_service(id, bollard::models::ServiceSpec::default(), options, None)
        .await
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    at(v, path)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|s| crate::app::logbuf::sanitize(s.as_bytes()))
}

fn int(v: &Value, path: &[&str]) -> Option<i64> {
    at(v, path).and_then(Value::as_i64)
}

fn time(v: &Value, path: &[&str]) -> Option<chrono::DateTime<chrono::Utc>> {
    let s = at(v, path)?.as_str()?;
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    // The zero time stands for "never".
    (t.timestamp() > 0).then(|| t.with_timezone(&chrono::Utc))
}

pub fn node_from(v: &Value) -> Option<SwarmNode> {
    Some(SwarmNode {
        id: text(v, &["ID"])?,
        hostname: text(v, &["Description", "Hostname"]).unwrap_or_default(),
        role: text(v, &["Spec", "Role"]).unwrap_or_else(|| "worker".into()),
        leader: at(v, &["ManagerStatus", "Leader"])
            .and_then(Value::as_bool)
            .unwrap_or(false),
        availability: text(v, &["Spec", "Availability"]).unwrap_or_else(|| "active".into()),
        status: text(v, &["Status", "State"]).unwrap_or_else(|| "unknown".into()),
        message: text(v, &["Status", "Message"]),
        engine_version: text(v, &["Description", "Engine", "EngineVersion"]).unwrap_or_default(),
        nano_cpus: int(v, &["Description", "Resources", "NanoCPUs"]).unwrap_or(0),
        memory_bytes: int(v, &["Description", "Resources", "MemoryBytes"]).unwrap_or(0),
        addr: text(v, &["Status", "Addr"]).unwrap_or_default(),
        version: int(v, &["Version", "Index"]).unwrap_or(0) as u64,
    })
}

fn update_config(v: Option<&Value>) -> Option<UpdateConfig> {
    let v = v?;
    Some(UpdateConfig {
        parallelism: int(v, &["Parallelism"]).unwrap_or(1).max(0) as u64,
        delay_ns: int(v, &["Delay"]).unwrap_or(0),
        failure_action: text(v, &["FailureAction"]).unwrap_or_else(|| "pause".into()),
        monitor_ns: int(v, &["Monitor"]).unwrap_or(0),
        order: text(v, &["Order"]).unwrap_or_else(|| "stop-first".into()),
        max_failure_ratio: at(v, &["MaxFailureRatio"])
            .and_then(Value::as_f64)
            .unwrap_or(0.0),
    })
}

pub fn service_from(endpoint: &str, v: &Value) -> Option<SwarmService> {
    let spec = v.get("Spec")?;
    let name = text(spec, &["Name"])?;
    let labels: std::collections::BTreeMap<String, String> = spec
        .get("Labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let mode = spec.get("Mode");
    let global = mode.is_some_and(|m| m.get("Global").is_some() || m.get("GlobalJob").is_some());
    let replicas = mode
        .and_then(|m| m.get("Replicated"))
        .and_then(|r| r.get("Replicas"))
        .and_then(Value::as_u64)
        .or_else(|| {
            mode.and_then(|m| m.get("Replicated"))
                .map(|_| 1)
                .filter(|_| !global)
        });
    let resources = at(spec, &["TaskTemplate", "Resources"]);
    let limits = Limits {
        nano_cpus: resources.and_then(|r| int(r, &["Limits", "NanoCPUs"])),
        memory: resources
            .and_then(|r| int(r, &["Limits", "MemoryBytes"]))
            .map(|m| m.max(0) as u64),
        pids: resources.and_then(|r| int(r, &["Limits", "Pids"])),
        ..Limits::default()
    };
    // The ports in effect (the endpoint's), else the ones asked for.
    let ports_of = |v: Option<&Value>| -> Vec<PublishedPort> {
        v.and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| {
                        Some(PublishedPort {
                            published: int(p, &["PublishedPort"]).map(|n| n as u16),
                            target: int(p, &["TargetPort"])? as u16,
                            protocol: text(p, &["Protocol"]).unwrap_or_else(|| "tcp".into()),
                            mode: text(p, &["PublishMode"]).unwrap_or_else(|| "ingress".into()),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut ports = ports_of(at(v, &["Endpoint", "Ports"]));
    if ports.is_empty() {
        ports = ports_of(at(spec, &["EndpointSpec", "Ports"]));
    }
    let update_status = v.get("UpdateStatus").and_then(|u| {
        Some(UpdateStatus {
            state: text(u, &["State"])?,
            message: text(u, &["Message"]).unwrap_or_default(),
            started_at: time(u, &["StartedAt"]),
            completed_at: time(u, &["CompletedAt"]),
        })
    });
    let constraints = at(spec, &["TaskTemplate", "Placement", "Constraints"])
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(Value::as_str)
                .map(|s| crate::app::logbuf::sanitize(s.as_bytes()))
                .collect()
        })
        .unwrap_or_default();
    Some(SwarmService {
        key: SwarmServiceKey {
            endpoint: endpoint.to_owned(),
            id: text(v, &["ID"])?,
            name,
        },
        stack: labels.get(LABEL_STACK).cloned(),
        replicas: if global { None } else { replicas },
        global,
        running_tasks: at(v, &["ServiceStatus", "RunningTasks"]).and_then(Value::as_u64),
        desired_tasks: at(v, &["ServiceStatus", "DesiredTasks"]).and_then(Value::as_u64),
        image: text(spec, &["TaskTemplate", "ContainerSpec", "Image"])
            // A digest pinned by the CLI says nothing to a reader; the tag does.
            .map(|i| match i.split_once('@') {
                Some((tag, _)) => tag.to_owned(),
                None => i,
            })
            .unwrap_or_default(),
        ports,
        endpoint_mode: text(spec, &["EndpointSpec", "Mode"]).unwrap_or_else(|| "vip".into()),
        update_config: update_config(spec.get("UpdateConfig")),
        rollback_config: update_config(spec.get("RollbackConfig")),
        update_status,
        constraints,
        limits,
        reserved_nano_cpus: resources.and_then(|r| int(r, &["Reservations", "NanoCPUs"])),
        reserved_memory: resources.and_then(|r| int(r, &["Reservations", "MemoryBytes"])),
        version: int(v, &["Version", "Index"]).unwrap_or(0) as u64,
        labels,
        updated_at: time(v, &["UpdatedAt"]),
    })
}

pub fn task_from(v: &Value) -> Option<SwarmTask> {
    Some(SwarmTask {
        id: text(v, &["ID"])?,
        service_id: text(v, &["ServiceID"])?,
        slot: at(v, &["Slot"]).and_then(Value::as_u64),
        node_id: text(v, &["NodeID"]),
        state: text(v, &["Status", "State"]).unwrap_or_else(|| "unknown".into()),
        desired_state: text(v, &["DesiredState"]).unwrap_or_default(),
        message: text(v, &["Status", "Message"]).unwrap_or_default(),
        error: text(v, &["Status", "Err"]),
        container_id: text(v, &["Status", "ContainerStatus", "ContainerID"]),
        exit_code: int(v, &["Status", "ContainerStatus", "ExitCode"]),
        image: text(v, &["Spec", "ContainerSpec", "Image"])
            .map(|i| match i.split_once('@') {
                Some((tag, _)) => tag.to_owned(),
                None => i,
            })
            .unwrap_or_default(),
        updated_at: time(v, &["UpdatedAt"]),
    })
}

/// Follows a manager between listings: events name what changed, and only that is read again,
/// a moment later so that a burst of events (an update touching every replica) costs one read.
/// A service read after one of its containers changed is read once more shortly after: the
/// orchestrator makes the replacement task (pending, with no container yet, so no event) just
/// after the old one ends.
pub struct Watch {
    endpoint: String,
    manager: bool,
    services: HashMap<String, Reason>,
    nodes: bool,
    due: Option<tokio::time::Instant>,
    /// The last read failed as a manager's would: the next one reads everything again.
    lost: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    Event,
    FollowUp,
}

/// Events of a burst are gathered this long before reading.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(250);
/// When a service is read once more after a container of it changed.
const FOLLOW_UP: std::time::Duration = std::time::Duration::from_secs(2);

impl Watch {
    /// `lost`: the first reading failed; the watch tries again shortly.
    pub fn new(endpoint: &str, role: &SwarmRole, lost: bool) -> Watch {
        Watch {
            endpoint: endpoint.to_owned(),
            manager: *role == SwarmRole::Manager,
            services: HashMap::new(),
            nodes: false,
            due: lost.then(|| tokio::time::Instant::now() + std::time::Duration::from_secs(5)),
            lost,
        }
    }

    /// Whether the endpoint's events should include services and nodes.
    pub fn is_manager(&self) -> bool {
        self.manager
    }

    /// Notes what an event names.
    pub fn note(&mut self, ev: &bollard::models::EventMessage) {
        // While lost the next read is the full one, on its own slower clock: events must not
        // pull it forward (a failing manager would be listed several times a second).
        if !self.manager || self.lost {
            return;
        }
        let kind = ev.typ.map(|t| t.to_string()).unwrap_or_default();
        let actor = ev.actor.as_ref();
        let id = actor.and_then(|a| a.id.clone()).unwrap_or_default();
        let attribute = |k: &str| {
            actor
                .and_then(|a| a.attributes.as_ref())
                .and_then(|a| a.get(k))
                .cloned()
        };
        match kind.as_str() {
            "service" if !id.is_empty() => self.mark(id, Reason::Event, SETTLE),
            "node" => {
                self.nodes = true;
                self.arm(SETTLE);
            }
            "container" => {
                if let Some(service) = attribute(super::super::app::swarm::LABEL_SERVICE_ID) {
                    self.mark(service, Reason::Event, SETTLE);
                }
            }
            _ => {}
        }
    }

    fn mark(&mut self, service: String, reason: Reason, after: std::time::Duration) {
        let entry = self.services.entry(service).or_insert(reason);
        if reason == Reason::Event {
            *entry = Reason::Event;
        }
        self.arm(after);
    }

    fn arm(&mut self, after: std::time::Duration) {
        let at = tokio::time::Instant::now() + after;
        self.due = Some(self.due.map_or(at, |d| d.min(at)));
    }

    /// When the next read is due, if any.
    pub fn due(&self) -> Option<tokio::time::Instant> {
        self.due
    }

    /// Reads what was named and says it to the console. A failure to read is not the
    /// endpoint's end (its containers are still fine): it is said as a lost manager.
    pub async fn flush(
        &mut self,
        docker: &Docker,
        tx: &tokio::sync::mpsc::Sender<crate::app::Msg>,
    ) -> Result<(), String> {
        use crate::app::Msg;
        self.due = None;
        let endpoint = self.endpoint.clone();
        let send = |msg| async { tx.send(msg).await.map_err(|_| "console closed".to_string()) };
        if self.lost {
            self.services.clear();
            self.nodes = false;
            // Still a manager? One that left the Swarm or was demoted is said as such; its
            // containers go on as any engine's, and it is asked again now and then (one `/info`
            // every 30 s) in case it becomes a manager again.
            let info = timeout(REQUEST_TIMEOUT, docker.info())
                .await
                .ok()
                .and_then(Result::ok);
            let (role, node_id) = info.as_ref().map(role_from_info).unwrap_or_default();
            if info.is_some() && role != SwarmRole::Manager {
                self.arm(std::time::Duration::from_secs(30));
                return send(Msg::SwarmListed {
                    endpoint,
                    state: Box::new(SwarmState {
                        role,
                        node_id,
                        ..SwarmState::default()
                    }),
                })
                .await;
            }
            return match snapshot(docker, &endpoint, node_id).await {
                Ok(state) => {
                    self.lost = false;
                    send(Msg::SwarmListed {
                        endpoint,
                        state: Box::new(state),
                    })
                    .await
                }
                Err(reason) => self.lose(reason, tx).await,
            };
        }
        let named: Vec<(String, Reason)> = self.services.drain().collect();
        if std::mem::take(&mut self.nodes) {
            let read = async {
                Ok::<_, String>((
                    nodes(docker, &endpoint).await?,
                    tasks(docker, &endpoint, None).await?,
                ))
            };
            match read.await {
                Ok((nodes, tasks)) => {
                    send(Msg::SwarmNodesChanged {
                        endpoint: endpoint.clone(),
                        nodes,
                        tasks,
                    })
                    .await?
                }
                Err(reason) => return self.lose(reason, tx).await,
            }
        }
        for (id, reason) in named {
            // A service removed meanwhile has no tasks to list (the manager says 404).
            let read = async {
                match service(docker, &endpoint, &id).await? {
                    None => Ok::<_, String>((None, Vec::new())),
                    found => Ok((found, tasks(docker, &endpoint, Some(&id)).await?)),
                }
            };
            let gone = match read.await {
                Ok((found, tasks)) => {
                    let gone = found.is_none();
                    send(Msg::SwarmServiceChanged {
                        endpoint: endpoint.clone(),
                        id: id.clone(),
                        service: found.map(Box::new),
                        tasks,
                    })
                    .await?;
                    gone
                }
                Err(reason) => return self.lose(reason, tx).await,
            };
            if reason == Reason::Event && !gone {
                self.mark(id, Reason::FollowUp, FOLLOW_UP);
            }
        }
        Ok(())
    }

    async fn lose(
        &mut self,
        reason: String,
        tx: &tokio::sync::mpsc::Sender<crate::app::Msg>,
    ) -> Result<(), String> {
        log::warn!("{}: Swarm read failed: {reason}", self.endpoint);
        self.lost = true;
        // Try again a while later; meanwhile what it said last stays on screen, marked.
        self.arm(std::time::Duration::from_secs(5));
        tx.send(crate::app::Msg::SwarmLost {
            endpoint: self.endpoint.clone(),
            reason: Some(reason),
        })
        .await
        .map_err(|_| "console closed".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<Value> {
        let path = format!("{}/fixtures/swarm/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect(&path);
        serde_json::from_str(&text).expect(&path)
    }

    #[test]
    fn a_stack_service_reads_with_its_update_config_limits_and_counts() {
        let services: Vec<SwarmService> = fixture("services.json")
            .iter()
            .filter_map(|v| service_from("swarm", v))
            .collect();
        let web = services.iter().find(|s| s.key.name == "shop_web").unwrap();
        assert_eq!(web.label(), "shop/web");
        assert_eq!(web.short_name(), "web");
        assert_eq!(
            (web.replicas, web.running_tasks, web.desired_tasks),
            (Some(3), Some(3), Some(3))
        );
        assert_eq!(web.image, "wheelhouse-test:v2");
        assert_eq!(web.endpoint_mode, "dnsrr");
        assert_eq!(web.limits.nano_cpus, Some(500_000_000));
        assert_eq!(web.limits.memory, Some(64 << 20));
        assert_eq!(web.reserved_memory, Some(16 << 20));
        let u = web.update_config.as_ref().unwrap();
        assert_eq!(
            (
                u.parallelism,
                u.failure_action.as_str(),
                u.order.as_str(),
                u.delay_ns
            ),
            (1, "rollback", "start-first", 1_000_000_000)
        );
        let status = web.update_status.as_ref().unwrap();
        assert_eq!(status.state, "completed");
        assert!(!status.in_progress());
        assert_eq!(web.verdict(), "up");
    }

    #[test]
    fn tasks_link_to_their_containers_and_nodes_read_whole() {
        let tasks: Vec<SwarmTask> = fixture("tasks.json").iter().filter_map(task_from).collect();
        assert!(!tasks.is_empty());
        let running: Vec<&SwarmTask> = tasks.iter().filter(|t| t.state == "running").collect();
        assert!(running
            .iter()
            .all(|t| t.container_id.is_some() && t.is_current()));
        // The update replaced the first tag's tasks: they are kept as history, shut down.
        assert!(tasks
            .iter()
            .any(|t| t.state == "shutdown" && !t.is_current()));
        let nodes: Vec<SwarmNode> = fixture("nodes.json").iter().filter_map(node_from).collect();
        let [node] = nodes.as_slice() else {
            panic!("{nodes:?}")
        };
        assert!(node.leader);
        assert_eq!(
            (
                node.role.as_str(),
                node.availability.as_str(),
                node.status.as_str()
            ),
            ("manager", "active", "ready")
        );
        assert!(node.nano_cpus > 0 && node.memory_bytes > 0 && !node.engine_version.is_empty());
    }
}
