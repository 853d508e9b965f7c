//! Listing and inspecting containers: shared by the live supervisor and the headless `ps`.

use bollard::query_parameters::{
    InspectContainerOptions, InspectNetworkOptions, ListContainersOptionsBuilder,
    ListNetworksOptions,
};
use bollard::Docker;
use futures_util::{stream, Stream, StreamExt};
use tokio::time::timeout;

use super::convert;
use super::endpoint::{describe_error, Endpoint, REQUEST_TIMEOUT};
use crate::app::model::{Container, ContainerKey, Network, NetworkKey};
use crate::app::watch::Watch;
use crate::app::Msg;

/// Inspects in flight at once per endpoint: as many as the transport lets through.
pub const INSPECT_CONCURRENCY: usize = super::transport::ANSWERS_IN_FLIGHT;

/// Every container, running or not, from one listing call (no per-container requests).
pub async fn list(docker: &Docker, endpoint: &Endpoint) -> Result<Vec<Container>, String> {
    let options = ListContainersOptionsBuilder::default().all(true).build();
    let summaries = timeout(REQUEST_TIMEOUT, docker.list_containers(Some(options)))
        .await
        .map_err(|_| format!("{}: listing containers timed out", endpoint.host))?
        .map_err(|e| describe_error(&endpoint.host, &e))?;
    Ok(summaries
        .iter()
        .filter_map(|s| convert::from_summary(&endpoint.name, s))
        .collect())
}

/// Every network of the endpoint, from one listing call.
pub async fn list_networks(docker: &Docker, endpoint: &Endpoint) -> Result<Vec<Network>, String> {
    let answer = timeout(
        REQUEST_TIMEOUT,
        docker.list_networks(None::<ListNetworksOptions>),
    )
    .await
    .map_err(|_| format!("{}: listing networks timed out", endpoint.host))?
    .map_err(|e| describe_error(&endpoint.host, &e))?;
    Ok(answer
        .iter()
        .filter_map(|n| convert::network(&endpoint.name, n))
        .collect())
}

/// Every image and volume of one endpoint, for the images, volumes and networks view.
pub async fn list_storage(
    docker: &Docker,
    endpoint: &str,
) -> Result<
    (
        Vec<crate::app::model::ImageInfo>,
        Vec<crate::app::model::VolumeInfo>,
    ),
    String,
> {
    let images = timeout(
        REQUEST_TIMEOUT,
        docker.list_images(None::<bollard::query_parameters::ListImagesOptions>),
    )
    .await
    .map_err(|_| format!("{endpoint}: listing images timed out"))?
    .map_err(|e| describe_error(endpoint, &e))?;
    let volumes = timeout(
        REQUEST_TIMEOUT,
        docker.list_volumes(None::<bollard::query_parameters::ListVolumesOptions>),
    )
    .await
    .map_err(|_| format!("{endpoint}: listing volumes timed out"))?
    .map_err(|e| describe_error(endpoint, &e))?;
    Ok((
        images.iter().map(|i| convert::image(endpoint, i)).collect(),
        volumes
            .volumes
            .iter()
            .flatten()
            .map(|v| convert::volume(endpoint, v))
            .collect(),
    ))
}

/// Inspects one network: its current settings, or its removal if it is gone.
pub async fn refresh_network(docker: &Docker, endpoint: &str, id: String) -> Result<Msg, String> {
    let key = NetworkKey {
        endpoint: endpoint.to_owned(),
        id,
    };
    let answer = timeout(
        REQUEST_TIMEOUT,
        docker.inspect_network(&key.id, None::<InspectNetworkOptions>),
    )
    .await;
    match answer {
        Err(_) => Err(format!(
            "{endpoint}: inspect of network {} timed out",
            key.id
        )),
        Ok(Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        })) => Ok(Msg::NetworkRemoved(key)),
        Ok(Err(e)) => Err(describe_error(endpoint, &e)),
        Ok(Ok(doc)) => {
            // The inspect answer has the listing's fields and more: read it as a listing.
            let as_listed: Option<bollard::models::Network> = serde_json::to_value(&doc)
                .ok()
                .and_then(|v| serde_json::from_value(v).ok());
            Ok(as_listed
                .and_then(|n| convert::network(endpoint, &n))
                .map(Msg::NetworkChanged)
                .unwrap_or(Msg::NetworkRemoved(key)))
        }
    }
}

/// A container's processes as the engine's `top` lists them, every value made safe to draw
/// (a process may be named anything).
pub async fn processes(
    docker: &Docker,
    endpoint: &str,
    id: &str,
) -> Result<crate::app::model::ProcessTable, String> {
    let answer = timeout(
        REQUEST_TIMEOUT,
        docker.top_processes(id, None::<bollard::query_parameters::TopOptions>),
    )
    .await
    .map_err(|_| format!("{endpoint}: listing the processes timed out"))?
    .map_err(|e| describe_error(endpoint, &e))?;
    let safe = |v: String| crate::app::logbuf::sanitize(v.as_bytes());
    Ok(crate::app::model::ProcessTable {
        titles: answer
            .titles
            .unwrap_or_default()
            .into_iter()
            .map(safe)
            .collect(),
        rows: answer
            .processes
            .unwrap_or_default()
            .into_iter()
            .map(|row| row.into_iter().map(safe).collect())
            .collect(),
    })
}

/// Inspects one container: its current state, or its removal if it is already gone.
pub async fn refresh(docker: &Docker, endpoint: &str, id: String) -> Result<Msg, String> {
    let key = ContainerKey {
        endpoint: endpoint.to_owned(),
        id,
    };
    let answer = timeout(
        REQUEST_TIMEOUT,
        docker.inspect_container(&key.id, None::<InspectContainerOptions>),
    )
    .await;
    match answer {
        Err(_) => Err(format!("{endpoint}: inspect of {} timed out", key.id)),
        Ok(Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        })) => Ok(Msg::ContainerRemoved(key)),
        Ok(Err(e)) => Err(describe_error(endpoint, &e)),
        Ok(Ok(doc)) => Ok(convert::from_inspect(endpoint, &doc)
            .map(|c| Msg::ContainerChanged(Box::new(c)))
            .unwrap_or(Msg::ContainerRemoved(key))),
    }
}

/// The details a listing lacks (start time, restart count, health), a few requests at a time.
pub fn details<'a>(
    docker: &'a Docker,
    endpoint: &'a str,
    ids: Vec<String>,
) -> impl Stream<Item = Result<Msg, String>> + 'a {
    stream::iter(ids)
        .map(move |id| refresh(docker, endpoint, id))
        .buffer_unordered(INSPECT_CONCURRENCY)
}

/// `ids` with those of rows on screen first, each part in its own order, so that what the
/// operator sees fills in before the rest.
pub fn visible_first(mut ids: Vec<String>, shown: &[Watch]) -> Vec<String> {
    let visible: std::collections::HashSet<&str> = shown
        .iter()
        .filter(|w| w.visible)
        .map(|w| w.key.id.as_str())
        .collect();
    // Stable: false (visible) sorts before true.
    ids.sort_by_key(|id| !visible.contains(id.as_str()));
    ids
}

/// A complete inventory of one endpoint: listing plus details. Used by `ps`.
pub async fn snapshot(docker: &Docker, endpoint: &Endpoint) -> Result<Vec<Container>, String> {
    let listed = list(docker, endpoint).await?;
    let ids = listed.iter().map(|c| c.key.id.clone()).collect();
    let mut out = Vec::with_capacity(listed.len());
    let mut stream = std::pin::pin!(details(docker, &endpoint.name, ids));
    while let Some(msg) = stream.next().await {
        if let Msg::ContainerChanged(c) = msg? {
            out.push(*c);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_on_screen_are_inspected_first_the_rest_in_listing_order() {
        let watch = |id: &str, visible: bool| Watch {
            key: ContainerKey {
                endpoint: "local".into(),
                id: id.into(),
            },
            pid: None,
            visible,
            keep_fresh: visible,
            cpu_capped: false,
        };
        let shown = [watch("b", false), watch("d", true), watch("c", true)];
        let ids = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        assert_eq!(visible_first(ids, &shown), ["c", "d", "a", "b", "e"]);
    }
}
