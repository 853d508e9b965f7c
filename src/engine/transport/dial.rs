//! Opening one connection to an engine: a unix socket, a TCP port, TLS over TCP, or an ssh
//! `dial-stdio` child. Every kind yields the same thing, a byte stream carrying HTTP/1.1, which
//! [`super::client`] wraps in its bounds and hands to hyper.

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};

use super::limit::{Bounded, Carries};
use super::ssh::Dialer;

/// Any engine connection, whatever carries it.
pub trait IoStream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> IoStream for T {}

/// How an endpoint is reached. The address is fixed per endpoint: the request URI only says
/// which kind of connection (answers or stream) is wanted.
pub enum Dial {
    Unix(PathBuf),
    /// `host:port`.
    Tcp(String),
    Tls {
        addr: String,
        server_name: ServerName<'static>,
        config: Arc<rustls::ClientConfig>,
    },
    Ssh(Arc<Dialer>),
}

impl Dial {
    /// One connection; `long_lived` for a stream (events, logs) that will hold it.
    pub async fn connect(
        &self,
        timeout: Duration,
        long_lived: bool,
    ) -> io::Result<Box<dyn IoStream>> {
        match self {
            Dial::Unix(path) => Ok(Box::new(tokio::net::UnixStream::connect(path).await?)),
            Dial::Tcp(addr) => Ok(Box::new(tcp(addr, timeout).await?)),
            Dial::Tls {
                addr,
                server_name,
                config,
            } => {
                let tcp = tcp(addr, timeout).await?;
                let tls = tokio_rustls::TlsConnector::from(Arc::clone(config))
                    .connect(server_name.clone(), tcp)
                    .await?;
                Ok(Box::new(tls))
            }
            Dial::Ssh(dialer) => dialer.connect(long_lived).await,
        }
    }
}

async fn tcp(addr: &str, timeout: Duration) -> io::Result<tokio::net::TcpStream> {
    let stream = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("connecting to {addr} timed out"),
            )
        })??;
    // Requests are small and answered at once: do not wait to fill a segment.
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// The host names that ask for a stream connection (see [`super::client`]).
pub const STREAM_AUTHORITY: &str = "stream.docker";
pub const JSON_LINES_AUTHORITY: &str = "lines.docker";
/// The host name of connections carrying ordinary answers.
pub const ANSWERS_AUTHORITY: &str = "docker";

/// hyper's connector: dials the endpoint, bounded by what the connection will carry.
#[derive(Clone)]
pub struct Connector {
    pub dial: Arc<Dial>,
    /// The endpoint, for errors.
    pub host: Arc<str>,
    pub timeout: Duration,
}

impl tower_service::Service<Uri> for Connector {
    type Response = TokioIo<Bounded<Box<dyn IoStream>>>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let carries = match dst.host() {
            Some(STREAM_AUTHORITY) => Carries::Stream,
            Some(JSON_LINES_AUTHORITY) => Carries::JsonLines,
            _ => Carries::Answers,
        };
        let (dial, host, timeout) = (Arc::clone(&self.dial), Arc::clone(&self.host), self.timeout);
        Box::pin(async move {
            let io = dial.connect(timeout, carries != Carries::Answers).await?;
            Ok(TokioIo::new(Bounded::new(io, carries, &host)))
        })
    }
}

impl<S> Connection for Bounded<S> {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}
