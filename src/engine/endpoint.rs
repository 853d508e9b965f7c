//! Which engines to attach and how to reach them.
//!
//! This covers the default endpoint as the docker CLI computes it (`-H`, `DOCKER_HOST`, the
//! local socket) and how each kind of host is reached: unix sockets and plain tcp through bollard,
//! TLS and ssh through our transports (`super::transport`).

use std::time::Duration;

use bollard::Docker;
use serde::Serialize;

use super::transport::{self, ssh, tls, ApiPin, TransportError};

pub const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";
/// Time allowed for a request to answer (not for a stream to end).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// Short name shown in the UI and written to the audit log: the context name, or
    /// `default` for the endpoint the docker CLI would use without a context.
    pub name: String,
    /// `unix:///path`, `tcp://host:port` or `ssh://[user@]host[:port]`.
    pub host: String,
    /// TLS material for tcp endpoints (from a context's tls dir, or DOCKER_CERT_PATH).
    pub tls: Option<TlsMaterial>,
}

/// Files and policy for a TLS connection, as the docker CLI finds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsMaterial {
    pub ca: Option<std::path::PathBuf>,
    pub cert: Option<std::path::PathBuf>,
    pub key: Option<std::path::PathBuf>,
    /// Only when the context (or DOCKER_TLS_VERIFY unset with TLS files) says so; the UI then
    /// warns on the endpoint.
    pub skip_verify: bool,
}

impl Endpoint {
    /// The default endpoint: an explicit host, else DOCKER_HOST, else the local socket.
    pub fn default_from(explicit: Option<&str>, docker_host_env: Option<&str>) -> Endpoint {
        let host = explicit
            .filter(|h| !h.is_empty())
            .or(docker_host_env.filter(|h| !h.is_empty()))
            .unwrap_or(DEFAULT_SOCKET)
            .to_owned();
        Endpoint {
            name: "default".into(),
            host,
            tls: None,
        }
    }

    /// The console's initial view of this endpoint: connecting, with a warning when TLS
    /// verification is off.
    pub fn status(&self) -> crate::app::model::EndpointStatus {
        let mut s = crate::app::model::EndpointStatus::new(&self.name, &self.host);
        s.insecure = self.tls.as_ref().is_some_and(|t| t.skip_verify);
        s
    }

    /// A client for this endpoint, and the pin of the API version its paths carry. Nothing is
    /// sent yet: connection errors surface on first use.
    pub fn client_pinned(&self) -> Result<(Docker, ApiPin), String> {
        let timeout = REQUEST_TIMEOUT.as_secs();
        let version = bollard::API_DEFAULT_VERSION;
        if self.host.starts_with("unix://") {
            transport::plain_client(&self.host, timeout, version)
        } else if self.host.starts_with("tcp://") || self.host.starts_with("http://") {
            match &self.tls {
                Some(material) if self.host.starts_with("tcp://") => {
                    tls::client(&self.host, material, timeout, version)
                }
                _ => transport::plain_client(&self.host, timeout, version),
            }
        } else if self.host.starts_with("ssh://") {
            ssh::client(&self.host, &ssh::SshOptions::from_env(), timeout, version)
        } else {
            Err(format!(
                "{}: unsupported endpoint scheme (expected unix://, tcp:// or ssh://)",
                self.host
            ))
        }
    }

    /// A client whose requests carry no API version (the engine answers at its newest).
    pub fn client(&self) -> Result<Docker, String> {
        self.client_pinned().map(|(docker, _)| docker)
    }

    /// Connects and agrees on an API version the engine speaks (engines as old as 1.41 are in
    /// use); every later request carries it.
    pub async fn connect(&self) -> Result<Docker, String> {
        let (docker, pin) = self.client_pinned()?;
        let negotiated = tokio::time::timeout(REQUEST_TIMEOUT, docker.negotiate_version())
            .await
            .map_err(|_| format!("{}: no answer within {:?}", self.host, REQUEST_TIMEOUT))?
            .map_err(|e| describe_error(&self.host, &e))?;
        pin.set(&negotiated.client_version());
        Ok(negotiated)
    }
}

/// An engine error in words an operator can act on.
pub fn describe_error(host: &str, e: &bollard::errors::Error) -> String {
    use bollard::errors::Error as E;
    // bollard turns a failure while reading a stream into plain text, losing the bound's own
    // error; the bound left its words behind for this (taken in any case, so never stale).
    let breach = match e {
        E::DockerResponseServerError { .. } => None,
        _ => super::transport::limit::take_breach(host),
    };
    // Our transports phrase their own failures (ssh's words must not be reworded below).
    if let Some(t) = TransportError::find(e) {
        return t.0.clone();
    }
    if let Some(breach) = breach {
        return breach;
    }
    match e {
        // Something in front of the engine (a proxy, a web server) answered with a page.
        E::DockerResponseServerError {
            status_code,
            message,
        } if message.trim_start().starts_with('<') => format!(
            "{host}: HTTP {status_code} with an HTML page instead of the engine's answer \
             (a proxy or web server at that address?)"
        ),
        E::DockerResponseServerError {
            status_code,
            message,
        } => format!("{message} (HTTP {status_code})"),
        E::RequestTimeoutError => format!("{host}: the engine did not answer in time"),
        E::SocketNotFoundError(p) => format!("no engine socket at {p} (is dockerd running?)"),
        other => {
            // hyper hides the cause ("Connection refused") in the source chain, not in Display.
            let text = super::transport::chain_text(other);
            if text.contains("No such file") || text.contains("os error 2") {
                format!("{host}: no engine socket (is dockerd running?)")
            } else if text.contains("Connection refused") || text.contains("os error 111") {
                format!("{host}: connection refused (is dockerd running?)")
            } else if text.contains("Permission denied") || text.contains("os error 13") {
                format!("{host}: permission denied (are you in the docker group?)")
            } else if text.contains("invalid HTTP") || text.contains("Parse(") {
                format!("{host}: what answers there does not speak HTTP ({text})")
            } else {
                format!("{host}: {text}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_host_beats_env_beats_socket() {
        assert_eq!(
            Endpoint::default_from(Some("tcp://a:1"), Some("tcp://b:2")).host,
            "tcp://a:1"
        );
        assert_eq!(
            Endpoint::default_from(None, Some("tcp://b:2")).host,
            "tcp://b:2"
        );
        assert_eq!(Endpoint::default_from(None, Some("")).host, DEFAULT_SOCKET);
        assert_eq!(Endpoint::default_from(None, None).host, DEFAULT_SOCKET);
    }

    #[test]
    fn unsupported_scheme_is_named() {
        let e = Endpoint::default_from(Some("ftp://x"), None)
            .client()
            .unwrap_err();
        assert!(e.contains("ftp://x") && e.contains("unsupported"), "{e}");
    }
}
