//! One handle per endpoint: one client (one connection pool, and over ssh one master connection
//! whose `dial-stdio` children are kept alive between requests), negotiated once and shared by
//! everything that talks to the endpoint — supervisor, sampler, logs, inspects, the gate.
//!
//! Building a client per request, as the console once did, cost a version round trip each time
//! and, over ssh, a new child process every few seconds while the detail pane was open.

use std::sync::Arc;

use bollard::Docker;
use tokio::sync::Mutex;

use super::endpoint::{describe_error, Endpoint, REQUEST_TIMEOUT};
use super::transport::ApiPin;

#[derive(Clone)]
pub struct EngineHandle(Arc<Inner>);

struct Inner {
    endpoint: Endpoint,
    /// Built once; an endpoint whose client cannot even be built (a bad URL, unreadable TLS
    /// files) keeps its error, reported on every use.
    client: Result<(Docker, ApiPin), String>,
    /// The negotiated client, once an engine answered. Held while negotiating, so concurrent
    /// first users wait for one negotiation instead of each making their own.
    negotiated: Mutex<Option<Docker>>,
}

impl EngineHandle {
    /// Nothing is sent yet.
    pub fn new(endpoint: Endpoint) -> EngineHandle {
        let client = endpoint.client_pinned();
        EngineHandle(Arc::new(Inner {
            endpoint,
            client,
            negotiated: Mutex::new(None),
        }))
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.0.endpoint
    }

    pub fn name(&self) -> &str {
        &self.0.endpoint.name
    }

    pub fn host(&self) -> &str {
        &self.0.endpoint.host
    }

    /// The shared client, negotiating the API version first if no engine has answered yet.
    pub async fn docker(&self) -> Result<Docker, String> {
        let mut negotiated = self.0.negotiated.lock().await;
        if let Some(docker) = negotiated.as_ref() {
            return Ok(docker.clone());
        }
        let docker = self.negotiate().await?;
        *negotiated = Some(docker.clone());
        Ok(docker)
    }

    /// Negotiates again (after the engine went away: it may have been upgraded or replaced).
    pub async fn renegotiate(&self) -> Result<Docker, String> {
        let mut negotiated = self.0.negotiated.lock().await;
        *negotiated = None;
        let docker = self.negotiate().await?;
        *negotiated = Some(docker.clone());
        Ok(docker)
    }

    async fn negotiate(&self) -> Result<Docker, String> {
        let (docker, pin) = self.0.client.as_ref().map_err(Clone::clone)?;
        let host = &self.0.endpoint.host;
        let negotiated = tokio::time::timeout(REQUEST_TIMEOUT, docker.clone().negotiate_version())
            .await
            .map_err(|_| format!("{host}: no answer within {REQUEST_TIMEOUT:?}"))?
            .map_err(|e| describe_error(host, &e))?;
        pin.set(&negotiated.client_version());
        Ok(negotiated)
    }
}

impl std::fmt::Debug for EngineHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("EngineHandle")
            .field(&self.0.endpoint.name)
            .finish()
    }
}
