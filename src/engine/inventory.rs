//! Listing and inspecting containers: shared by the live supervisor and the headless `ps`.

use bollard::query_parameters::{InspectContainerOptions, ListContainersOptionsBuilder};
use bollard::Docker;
use futures_util::{stream, Stream, StreamExt};
use tokio::time::timeout;

use super::convert;
use super::endpoint::{describe_error, Endpoint, REQUEST_TIMEOUT};
use crate::app::model::{Container, ContainerKey};
use crate::app::Msg;

const INSPECT_CONCURRENCY: usize = 8;

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
