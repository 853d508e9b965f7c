//! How the console reaches engines. Every kind of endpoint (unix socket, tcp, TLS, ssh) goes
//! through one client built here on hyper, plugged into bollard as a custom transport, so that
//! all of them share the same rules:
//!
//! - **Bounded.** Every answer and every stream line is capped (`limit`), so nothing at an
//!   engine's address can make the console grow without end.
//! - **Kinds of connection.** Requests that stream go to the host name `stream.docker` (followed
//!   logs, exec sessions) or `lines.docker` (events, streamed stats: JSON lines), the rest to
//!   `docker`; the connection pool keeps them apart and the dialer bounds each as what it
//!   carries. No name is looked up: the dialer always reaches the endpoint's own address.
//! - **Pinned API version.** bollard sends paths without a version, so the engine would answer
//!   at its newest API; once negotiated, the version is put in every path (`/v1.41/…`), as the
//!   docker CLI does.
//! - **Verified TLS** with the endpoint's own CA (`tls`) and **ssh** through the system client
//!   with one master connection per endpoint (`ssh`).
//! - **Answers in flight are bounded** ([`ANSWERS_IN_FLIGHT`]) per endpoint, so a burst (an event
//!   for each of fifty containers, each asking for an inspect) reuses the pooled connections
//!   instead of opening one more each: over ssh every connection is a `dial-stdio` child.

pub mod dial;
pub mod limit;
pub mod ssh;
pub mod tls;

use std::error::Error as StdError;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bollard::{BollardRequest, ClientVersion, Docker};
use hyper::Uri;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use dial::{Connector, Dial, ANSWERS_AUTHORITY, JSON_LINES_AUTHORITY, STREAM_AUTHORITY};
use limit::Carries;

/// Requests for answers (not streams) one endpoint has in flight at once; more wait for a turn.
/// The permit is held until the answer's head arrives: its body follows on the same connection
/// at once, so about this many connections serve answers.
pub const ANSWERS_IN_FLIGHT: usize = 8;
/// How long an idle pooled connection of an ssh:// endpoint is kept.
pub const SSH_POOL_IDLE: Duration = Duration::from_secs(5);

tokio::task_local! {
    static NOT_MODIFIED: std::cell::Cell<bool>;
}

/// Runs an engine call and says whether the engine answered `304 Not Modified` (a start of a
/// running container, a stop of a stopped one): bollard reports that as plain success.
pub async fn noting_not_modified<F: std::future::Future>(call: F) -> (F::Output, bool) {
    NOT_MODIFIED
        .scope(std::cell::Cell::new(false), async {
            let out = call.await;
            (out, NOT_MODIFIED.with(|seen| seen.get()))
        })
        .await
}

/// The body type of bollard's requests (bollard names it only through [`BollardRequest`]).
pub(crate) type RequestBody = <BollardRequest as HasBody>::Body;

pub(crate) trait HasBody {
    type Body;
}

impl<B> HasBody for hyper::Request<B> {
    type Body = B;
}

/// The API version every request's path carries once negotiated; shared by the client and
/// whoever negotiates. Unset (`0`), paths carry none.
#[derive(Debug, Clone, Default)]
pub struct ApiPin(Arc<AtomicU32>);

impl ApiPin {
    pub fn set(&self, version: &ClientVersion) {
        let packed =
            ((version.major_version as u32) << 16) | (version.minor_version as u32 & 0xffff);
        self.0.store(packed, Ordering::Relaxed);
    }

    fn prefix(&self) -> Option<String> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            v => Some(format!("/v{}.{}", v >> 16, v & 0xffff)),
        }
    }
}

/// Turns a failed request into words for the kind of endpoint, when there is more to say than
/// the error chain.
type Explain = Arc<dyn Fn(&hyper_util::client::legacy::Error) -> Option<String> + Send + Sync>;

/// A client for an endpoint reached by `dial`. Nothing is sent yet.
pub(crate) fn client(
    dial: Dial,
    host: &str,
    timeout: u64,
    version: &ClientVersion,
    explain: Explain,
) -> Result<(Docker, ApiPin), String> {
    // Over ssh an idle connection is a process here and a dial-stdio on the remote: a burst's
    // connections (the inspects of a first listing) close soon after it, while one used every
    // few seconds (a refreshing detail pane, pings) stays.
    let idle = match &dial {
        Dial::Ssh(_) => SSH_POOL_IDLE,
        _ => Duration::from_secs(30),
    };
    let connector = Connector {
        dial: Arc::new(dial),
        host: host.into(),
        timeout: Duration::from_secs(timeout),
    };
    let client: Client<_, RequestBody> = Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(idle)
        .build(connector);
    let client = Arc::new(client);
    let pin = ApiPin::default();
    let answers = Arc::new(tokio::sync::Semaphore::new(ANSWERS_IN_FLIGHT));
    let transport = {
        let pin = pin.clone();
        move |mut req: BollardRequest| {
            let client = Arc::clone(&client);
            let explain = Arc::clone(&explain);
            let answers = Arc::clone(&answers);
            *req.uri_mut() = routed(req.uri(), pin.prefix().as_deref());
            let is_answer = req.uri().host() == Some(ANSWERS_AUTHORITY);
            async move {
                // Never closed, so acquiring only waits.
                let _turn = match is_answer {
                    true => answers.acquire_owned().await.ok(),
                    false => None,
                };
                let answer = client.request(req).await;
                if answer
                    .as_ref()
                    .is_ok_and(|r| r.status() == hyper::StatusCode::NOT_MODIFIED)
                {
                    // bollard answers 304 as a success; whoever asked may want to know.
                    let _ = NOT_MODIFIED.try_with(|seen| seen.set(true));
                }
                answer.map_err(|e| {
                    match TransportError::find(&e)
                        .cloned()
                        .or_else(|| explain(&e).map(TransportError))
                    {
                        Some(t) => t.into_bollard(),
                        None => bollard::errors::Error::HyperLegacyError { err: e },
                    }
                })
            }
        }
    };
    let docker = Docker::connect_with_custom_transport(
        transport,
        Some(format!("http://{ANSWERS_AUTHORITY}")),
        timeout,
        version,
    )
    .map_err(|e| format!("{host}: {e}"))?;
    Ok((docker, pin))
}

/// A client for a `unix://` or plain `tcp://` endpoint.
pub(crate) fn plain_client(
    host: &str,
    timeout: u64,
    version: &ClientVersion,
) -> Result<(Docker, ApiPin), String> {
    let dial = if let Some(path) = host.strip_prefix("unix://") {
        Dial::Unix(PathBuf::from(path))
    } else {
        let addr = host
            .strip_prefix("tcp://")
            .or_else(|| host.strip_prefix("http://"))
            .ok_or_else(|| format!("{host}: not a unix:// or tcp:// endpoint"))?
            .trim_end_matches('/');
        if addr.is_empty() || addr.contains('/') {
            return Err(format!("{host}: expected tcp://host:port"));
        }
        let addr = match addr.rsplit_once(':') {
            Some((_, port)) if port.parse::<u16>().is_ok() => addr.to_owned(),
            // The docker CLI's default port for plain tcp.
            _ => format!("{addr}:2375"),
        };
        Dial::Tcp(addr)
    };
    client(dial, host, timeout, version, Arc::new(|_| None))
}

/// The request's URI as sent: to the host name of its kind of connection, with the pinned
/// version in the path.
fn routed(uri: &Uri, version: Option<&str>) -> Uri {
    let path = uri.path();
    let query = uri.query().unwrap_or("");
    let authority = match carries(path, query) {
        Carries::Stream => STREAM_AUTHORITY,
        Carries::JsonLines => JSON_LINES_AUTHORITY,
        Carries::Answers => ANSWERS_AUTHORITY,
    };
    let versioned = match version {
        Some(v) if !path.starts_with("/v1.") => format!("{v}{path}"),
        _ => path.to_owned(),
    };
    let text = if query.is_empty() {
        format!("http://{authority}{versioned}")
    } else {
        format!("http://{authority}{versioned}?{query}")
    };
    text.parse().unwrap_or_else(|_| uri.clone())
}

/// Which requests stream: their answer has no end, only lines.
fn carries(path: &str, query: &str) -> Carries {
    let param = |name: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let yes = |v: Option<String>| v.is_some_and(|v| v == "1" || v == "true");
    let no = |v: Option<String>| v.is_some_and(|v| v == "0" || v == "false");
    if path == "/events" || (path.ends_with("/stats") && !no(param("stream"))) {
        return Carries::JsonLines;
    }
    let stream = (path.ends_with("/logs") && yes(param("follow")))
        || path.ends_with("/attach")
        || (path.starts_with("/exec/") && path.ends_with("/start"))
        || path == "/images/create"
        || path == "/build";
    if stream {
        Carries::Stream
    } else {
        Carries::Answers
    }
}

/// A transport failure already phrased for an operator (it names the endpoint and the cause).
/// [`describe_error`](super::endpoint::describe_error) shows it as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError(pub String);

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for TransportError {}

impl TransportError {
    /// As a bollard error (its `IOError` carries any error type).
    pub fn into_bollard(self) -> bollard::errors::Error {
        bollard::errors::Error::IOError {
            err: std::io::Error::other(self),
        }
    }

    /// The first `TransportError` anywhere in `e`'s source chain (also inside `io::Error`s, whose
    /// `source()` skips the error they wrap).
    pub fn find<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a TransportError> {
        let mut next: Option<&(dyn StdError + 'static)> = Some(e);
        while let Some(err) = next {
            if let Some(t) = err.downcast_ref::<TransportError>() {
                return Some(t);
            }
            // bollard's IOError is `#[error(transparent)]`: its `source()` skips the io::Error too.
            let io = err.downcast_ref::<std::io::Error>().or(
                match err.downcast_ref::<bollard::errors::Error>() {
                    Some(bollard::errors::Error::IOError { err }) => Some(err),
                    _ => None,
                },
            );
            if let Some(t) = io
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<TransportError>())
            {
                return Some(t);
            }
            next = err.source();
        }
        None
    }
}

/// Every message in `e`'s source chain, outermost first, joined with ": " (hyper's own messages
/// alone say little: "client error (Connect)").
pub fn chain_text(e: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_and_answers_go_to_their_own_connections_with_the_pinned_version() {
        let route = |uri: &str, v: Option<&str>| routed(&uri.parse().unwrap(), v).to_string();
        assert_eq!(
            route("http://docker/containers/json?all=true", Some("/v1.41")),
            "http://docker/v1.41/containers/json?all=true"
        );
        assert_eq!(route("http://docker/_ping", None), "http://docker/_ping");
        assert_eq!(
            route("http://docker/events?since=1", Some("/v1.41")),
            "http://lines.docker/v1.41/events?since=1"
        );
        assert_eq!(
            route("http://docker/containers/x/logs?follow=true&tail=5", None),
            "http://stream.docker/containers/x/logs?follow=true&tail=5"
        );
        assert_eq!(
            route("http://docker/containers/x/logs?follow=false", None),
            "http://docker/containers/x/logs?follow=false"
        );
        assert_eq!(
            route(
                "http://docker/containers/x/stats?stream=false&one-shot=true",
                None
            ),
            "http://docker/containers/x/stats?stream=false&one-shot=true"
        );
        assert_eq!(
            route("http://docker/containers/x/stats", None),
            "http://lines.docker/containers/x/stats"
        );
        assert_eq!(
            route("http://docker/exec/abc/start", None),
            "http://stream.docker/exec/abc/start"
        );
        // Already versioned (a caller that pins its own) is left alone.
        assert_eq!(
            route("http://docker/v1.40/version", Some("/v1.41")),
            "http://docker/v1.40/version"
        );
        let pin = ApiPin::default();
        assert_eq!(pin.prefix(), None);
        pin.set(&ClientVersion {
            major_version: 1,
            minor_version: 41,
        });
        assert_eq!(pin.prefix().as_deref(), Some("/v1.41"));
    }

    #[test]
    fn found_inside_bollard_and_io_errors() {
        let e = TransportError("ssh://h: Permission denied (publickey).".into()).into_bollard();
        assert_eq!(
            TransportError::find(&e).map(|t| t.0.as_str()),
            Some("ssh://h: Permission denied (publickey).")
        );
        let io = std::io::Error::other(TransportError("x".into()));
        assert!(TransportError::find(&io).is_some());
        let plain = std::io::Error::other("y");
        assert!(TransportError::find(&plain).is_none());
    }
}
