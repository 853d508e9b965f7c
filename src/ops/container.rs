//! Steps as engine calls. Only the gate calls these.
//!
//! A replica is created as Compose creates one (checked against Compose 1.29 and 2.40): the
//! configuration and host configuration of an existing replica, its `com.docker.compose.*`
//! labels with the new container number (Compose 1 refuses to run at all beside a container
//! that lacks its `version` label, and Compose 2 recreates one whose `config-hash` or `image`
//! label differs), created on the primary network and connected to the others before it starts,
//! each with the same aliases but the replica's own name. The engine then gives the container
//! its short id as an alias and its id as its hostname, as for any container.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, ContainerUpdateBody, EndpointSettings, NetworkConnectRequest,
    NetworkingConfig,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, EventsOptionsBuilder, InspectContainerOptions,
    KillContainerOptionsBuilder, PruneImagesOptionsBuilder, PruneNetworksOptions,
    PruneVolumesOptions, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
    RemoveVolumeOptions, RenameContainerOptionsBuilder, RestartContainerOptions,
    StartContainerOptions, StopContainerOptions,
};
use bollard::Docker;
use futures_util::StreamExt;
use tokio::sync::watch;

use super::error::{ErrorKind, OpError};
use super::plan::{LimitUpdate, Operation, PruneWhat, Target};
use crate::app::model::LABEL_NUMBER;
use crate::engine::transport::noting_not_modified;

/// Time allowed for one container step: stop and restart answer only after the container's
/// grace period (10 s by default, longer when the container asks for it).
pub const STEP_TIMEOUT: Duration = Duration::from_secs(90);

/// Labels a copy must not carry over: Compose 2 writes `replace` on a container that replaced
/// another, which a new replica did not.
const NOT_COPIED: &[&str] = &["com.docker.compose.replace"];
const LABEL_IMAGE: &str = "com.docker.compose.image";

/// What a step left behind that later steps or the audit log need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Done {
    /// The id of a container the step created.
    pub created: Option<String>,
    /// The engine changed nothing, and why: `already running` (its 304).
    pub unchanged: Option<&'static str>,
    /// How an exec session ended.
    pub exit_code: Option<i64>,
    /// What the engine said it did, for the audit log (`3 removed, 12.0M reclaimed`).
    pub said: Option<String>,
}

/// Carries out one step. `cancel` turning true ends a wait early (nothing else is interrupted:
/// an engine call, once sent, runs to its answer).
pub async fn apply(
    docker: &Docker,
    host: &str,
    target: &Target,
    op: &Operation,
    cancel: &mut watch::Receiver<bool>,
) -> Result<Done, OpError> {
    let docker = docker.clone().with_timeout(STEP_TIMEOUT);
    let engine = |e: bollard::errors::Error| OpError::from_engine(host, &e);
    let not_for = |what: &str| {
        Err(OpError::new(
            ErrorKind::Other,
            format!("{} does not apply to {what}", op.verb()),
        ))
    };
    match target {
        Target::Container { .. } => {}
        Target::Image { image, endpoint } => {
            return match op {
                Operation::CheckImage => check_image(&docker, host, endpoint, image).await,
                Operation::RemoveImage { force } => {
                    let opts = RemoveImageOptionsBuilder::default().force(*force).build();
                    docker
                        .remove_image(image, Some(opts), None)
                        .await
                        .map_err(engine)?;
                    Ok(Done::default())
                }
                _ => not_for("an image"),
            };
        }
        Target::Volume { volume, .. } => {
            return match op {
                Operation::RemoveVolume => {
                    docker
                        .remove_volume(volume, None::<RemoveVolumeOptions>)
                        .await
                        .map_err(engine)?;
                    Ok(Done::default())
                }
                _ => not_for("a volume"),
            };
        }
        Target::Network { id, .. } => {
            return match op {
                Operation::RemoveNetwork => {
                    docker.remove_network(id).await.map_err(engine)?;
                    Ok(Done::default())
                }
                _ => not_for("a network"),
            };
        }
        Target::Engine { .. } => {
            return match op {
                Operation::Prune { what } => prune(&docker, *what).await.map_err(engine),
                _ => not_for("an engine"),
            };
        }
        Target::Swarm { .. } => return not_for("a Swarm object here (the gate sends it on)"),
        Target::Router { .. } => return not_for("a router here (the gate sends it on)"),
    }
    let id = target.container_ref().unwrap_or_default();
    let mut done = Done::default();
    match op {
        Operation::Start => {
            let (answer, not_modified) =
                noting_not_modified(docker.start_container(id, None::<StartContainerOptions>))
                    .await;
            answer.map_err(engine)?;
            done.unchanged = not_modified.then_some("already running");
        }
        Operation::Stop => {
            let (answer, not_modified) =
                noting_not_modified(docker.stop_container(id, None::<StopContainerOptions>)).await;
            answer.map_err(engine)?;
            done.unchanged = not_modified.then_some("already stopped");
        }
        Operation::Restart => docker
            .restart_container(id, None::<RestartContainerOptions>)
            .await
            .map_err(engine)?,
        Operation::Pause => docker.pause_container(id).await.map_err(engine)?,
        Operation::Unpause => docker.unpause_container(id).await.map_err(engine)?,
        Operation::Kill { signal } => {
            let opts = KillContainerOptionsBuilder::default()
                .signal(signal)
                .build();
            docker
                .kill_container(id, Some(opts))
                .await
                .map_err(engine)?
        }
        Operation::Remove { volumes, force } => {
            let opts = RemoveContainerOptionsBuilder::default()
                .v(*volumes)
                .force(*force)
                .build();
            docker
                .remove_container(id, Some(opts))
                .await
                .map_err(engine)?
        }
        Operation::Rename { to } => {
            let opts = RenameContainerOptionsBuilder::default().name(to).build();
            docker.rename_container(id, opts).await.map_err(engine)?
        }
        Operation::UpdateLimits { limits } => docker
            .update_container(id, update_body(limits))
            .await
            .map_err(engine)?,
        Operation::CreateReplica {
            from,
            number,
            replica_name,
            image,
            ..
        } => {
            let made = Made {
                name: target.label(),
                replica_name,
                number: *number,
                image: image.as_deref(),
            };
            let created = create_replica(&docker, host, from, &made).await?;
            return Ok(Done {
                created: Some(created),
                ..Done::default()
            });
        }
        // Images, volumes, networks and engines are not containers (handled above).
        Operation::RemoveImage { .. }
        | Operation::RemoveVolume
        | Operation::RemoveNetwork
        | Operation::Prune { .. }
        | Operation::ScaleService { .. }
        | Operation::UpdateService { .. }
        | Operation::WaitServiceUpdate { .. }
        | Operation::RollbackService
        | Operation::SetNodeAvailability { .. }
        | Operation::SetCanaryWeight { .. }
        | Operation::RecordRollout { .. } => return not_for("a container"),
        // The session needs the operator's terminal: the console runs it through
        // `Gate::run_session`, never as a step of a plan.
        Operation::Exec { .. } => {
            return Err(OpError::new(
                ErrorKind::Other,
                "an exec session runs only in the console's terminal",
            ))
        }
        Operation::WaitHealthy {
            timeout_secs,
            settle_secs,
        } => {
            wait_healthy(
                &docker,
                host,
                id,
                target.label(),
                Duration::from_secs(*timeout_secs),
                Duration::from_secs(*settle_secs),
                cancel,
            )
            .await?
        }
        Operation::CheckImage => {
            return Err(OpError::new(
                ErrorKind::Other,
                "check applies to an image, not a container",
            ))
        }
    }
    Ok(done)
}

fn update_body(l: &LimitUpdate) -> ContainerUpdateBody {
    use bollard::models::{RestartPolicy, RestartPolicyNameEnum as Name};
    let restart_policy = l
        .restart
        .as_deref()
        .and_then(|t| super::plan::RestartPolicy::parse(t).ok())
        .map(|p| RestartPolicy {
            name: Some(match p.name {
                "always" => Name::ALWAYS,
                "unless-stopped" => Name::UNLESS_STOPPED,
                "on-failure" => Name::ON_FAILURE,
                _ => Name::NO,
            }),
            maximum_retry_count: p.max_retries,
        });
    ContainerUpdateBody {
        restart_policy,
        nano_cpus: l.nano_cpus,
        cpu_quota: l.cpu_quota,
        cpu_period: l.cpu_period,
        memory: l.memory,
        memory_swap: l.memory_swap,
        memory_reservation: l.memory_reservation,
        pids_limit: l.pids,
        ..Default::default()
    }
}

/// Prunes one kind, and says what went.
async fn prune(docker: &Docker, what: PruneWhat) -> Result<Done, bollard::errors::Error> {
    use crate::app::usage::human_bytes;
    let (removed, reclaimed) = match what {
        PruneWhat::DanglingImages => {
            let mut filters = HashMap::new();
            filters.insert("dangling".to_owned(), vec!["true".to_owned()]);
            let opts = PruneImagesOptionsBuilder::default()
                .filters(&filters)
                .build();
            let r = docker.prune_images(Some(opts)).await?;
            (
                r.images_deleted.map_or(0, |d| d.len()),
                r.space_reclaimed.map(|b| b.max(0) as u64),
            )
        }
        PruneWhat::Volumes => {
            let r = docker.prune_volumes(None::<PruneVolumesOptions>).await?;
            (
                r.volumes_deleted.map_or(0, |d| d.len()),
                r.space_reclaimed.map(|b| b.max(0) as u64),
            )
        }
        PruneWhat::Networks => {
            let r = docker.prune_networks(None::<PruneNetworksOptions>).await?;
            (r.networks_deleted.map_or(0, |d| d.len()), None)
        }
    };
    let said = match reclaimed {
        Some(b) => format!("{removed} removed, {} reclaimed", human_bytes(b)),
        None => format!("{removed} removed"),
    };
    Ok(Done {
        said: Some(said),
        ..Done::default()
    })
}

async fn check_image(
    docker: &Docker,
    host: &str,
    endpoint: &str,
    image: &str,
) -> Result<Done, OpError> {
    match docker.inspect_image(image).await {
        Ok(_) => Ok(Done::default()),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Err(OpError::new(
            ErrorKind::NotFound,
            format!(
                "image {image} is not on {endpoint}: nothing is pulled from a registry; \
                 build or load it there first"
            ),
        )),
        Err(e) => Err(OpError::from_engine(host, &e)),
    }
}

/// The replica a create step makes.
struct Made<'a> {
    /// Its name now.
    name: &'a str,
    /// Its name in the service (the same, unless it is made under a staging name).
    replica_name: &'a str,
    number: u32,
    image: Option<&'a str>,
}

/// Creates `made` as a copy of replica `from`; returns the new container's id.
async fn create_replica(
    docker: &Docker,
    host: &str,
    from: &str,
    made: &Made<'_>,
) -> Result<String, OpError> {
    let (name, number, image) = (made.name, made.number, made.image);
    let engine = |e: bollard::errors::Error| OpError::from_engine(host, &e);
    let source = docker
        .inspect_container(from, None::<InspectContainerOptions>)
        .await
        .map_err(engine)?;
    let source_id = source.id.clone().unwrap_or_default();
    let source_name = source
        .name
        .as_deref()
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_owned();
    let config = source.config.clone().unwrap_or_default();
    // The two shapes have the same fields (the create body adds host and networking config).
    let mut body: ContainerCreateBody = serde_json::to_value(&config)
        .and_then(serde_json::from_value)
        .map_err(|e| OpError::new(ErrorKind::Other, format!("copying {source_name}: {e}")))?;
    let mut labels = config.labels.clone().unwrap_or_default();
    labels.retain(|k, _| !NOT_COPIED.contains(&k.as_str()));
    labels.insert(LABEL_NUMBER.into(), number.to_string());
    if let Some(image) = image {
        body.image = Some(image.to_owned());
        // Compose 2 keeps the id of the image a container was made from.
        if labels.contains_key(LABEL_IMAGE) {
            let id = docker
                .inspect_image(image)
                .await
                .map_err(engine)?
                .id
                .unwrap_or_default();
            labels.insert(LABEL_IMAGE.into(), id);
        }
    }
    body.labels = Some(labels);
    // The engine named the source's host after its id; the copy gets its own.
    let short = crate::text::short_id(&source_id);
    if body.hostname.as_deref() == Some(short) {
        body.hostname = None;
    }
    let host_config = source.host_config.clone().unwrap_or_default();
    let mode = host_config.network_mode.clone().unwrap_or_default();
    body.host_config = Some(host_config);

    let networks: HashMap<String, EndpointSettings> = source
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.clone())
        .unwrap_or_default();
    // Container, host and none modes share or have no network: nothing to attach.
    let attaches = !(mode.starts_with("container:") || mode == "host" || mode == "none");
    let primary = match mode.as_str() {
        "default" | "" => "bridge".to_owned(),
        m => m.to_owned(),
    };
    let endpoint_for = |settings: &EndpointSettings| EndpointSettings {
        aliases: settings.aliases.as_ref().map(|aliases| {
            aliases
                .iter()
                .filter(|a| a.as_str() != short)
                .map(|a| {
                    if *a == source_name {
                        made.replica_name.to_owned()
                    } else {
                        a.clone()
                    }
                })
                .collect()
        }),
        links: settings.links.clone(),
        driver_opts: settings.driver_opts.clone(),
        ..Default::default()
    };
    if attaches {
        if let Some(settings) = networks.get(&primary) {
            body.networking_config = Some(NetworkingConfig {
                endpoints_config: Some([(primary.clone(), endpoint_for(settings))].into()),
            });
        }
    }
    let opts = CreateContainerOptionsBuilder::default().name(name).build();
    let created = docker
        .create_container(Some(opts), body)
        .await
        .map_err(|e| match e {
            bollard::errors::Error::DockerResponseServerError {
                status_code: 409,
                message,
            } => OpError::new(
                ErrorKind::Conflict,
                format!("{name}: {message} (another console or Compose made it meanwhile?)"),
            ),
            e => engine(e),
        })?;
    if attaches {
        let mut others: Vec<(&String, &EndpointSettings)> =
            networks.iter().filter(|(n, _)| **n != primary).collect();
        others.sort_by(|a, b| a.0.cmp(b.0));
        for (network, settings) in others {
            let request = NetworkConnectRequest {
                container: created.id.clone(),
                endpoint_config: Some(endpoint_for(settings)),
            };
            if let Err(e) = docker.connect_network(network, request).await {
                // Half-made: take the copy away again before reporting.
                let opts = RemoveContainerOptionsBuilder::default()
                    .force(true)
                    .v(true)
                    .build();
                let _ = docker.remove_container(&created.id, Some(opts)).await;
                return Err(OpError::from_engine(host, &e));
            }
        }
    }
    Ok(created.id)
}

/// Until `id` is healthy (or up `settle` without a health check). Follows its events, and
/// looks again every second, which also counts the settling time.
async fn wait_healthy(
    docker: &Docker,
    host: &str,
    id: &str,
    name: &str,
    timeout: Duration,
    settle: Duration,
    cancel: &mut watch::Receiver<bool>,
) -> Result<(), OpError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let filters: HashMap<&str, Vec<&str>> = [
        ("container", vec![id]),
        ("type", vec!["container"]),
        ("event", vec!["health_status", "die", "start", "destroy"]),
    ]
    .into();
    let since = (chrono::Utc::now().timestamp() - 1).to_string();
    let opts = EventsOptionsBuilder::default()
        .since(&since)
        .filters(&filters)
        .build();
    let mut events = docker.events(Some(opts));
    loop {
        let inspected = docker
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
            .map_err(|e| OpError::from_engine(host, &e))?;
        let state = inspected.state.unwrap_or_default();
        let status = state.status.map(|s| s.to_string()).unwrap_or_default();
        if status != "running" && status != "restarting" {
            return Err(OpError::new(
                ErrorKind::Other,
                format!(
                    "{name} is {status} (exit code {}) instead of healthy",
                    state.exit_code.unwrap_or_default()
                ),
            ));
        }
        match state.health.as_ref().and_then(|h| h.status) {
            Some(h) if h.to_string() == "healthy" => return Ok(()),
            Some(h) if h.to_string() == "unhealthy" => {
                let said = state
                    .health
                    .as_ref()
                    .and_then(|h| h.log.as_ref())
                    .and_then(|log| log.last())
                    .and_then(|p| p.output.clone())
                    .unwrap_or_default();
                return Err(OpError::new(
                    ErrorKind::Other,
                    format!(
                        "{name} is unhealthy: {}",
                        crate::engine::convert::sanitize_output(&said, 200)
                    ),
                ));
            }
            Some(h) if h.to_string() != "none" => {}
            _ => {
                let up = state
                    .started_at
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| chrono::Utc::now() - t.with_timezone(&chrono::Utc));
                if up.is_some_and(|u| u.to_std().unwrap_or_default() >= settle) {
                    return Ok(());
                }
            }
        }
        tokio::select! {
            _ = events.next() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = tokio::time::sleep_until(deadline) => {
                return Err(OpError::new(
                    ErrorKind::Timeout,
                    format!("{name} was not healthy within {} s", timeout.as_secs()),
                ));
            }
            _ = cancelled(cancel) => {
                return Err(OpError::new(ErrorKind::Refused, "cancelled by the operator"));
            }
        }
    }
}

/// Resolves when the operator cancels; never, if nobody can any more.
pub async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    loop {
        if *cancel.borrow_and_update() {
            return;
        }
        if cancel.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
