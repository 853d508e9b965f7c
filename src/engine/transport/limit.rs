//! Bounds on what an engine (or anything listening at its address) can make the console hold.
//!
//! bollard reads a JSON answer whole before decoding it and buffers a stream until the end of a
//! line (or of a log frame, whose header may claim 4 GiB), with no limit of its own. An endless
//! body would grow the console until the allocator gives up. The bound is kept here, on the
//! connection itself, where every answer passes:
//!
//! - an **answer** (a connection carrying requests with bodies) may send at most
//!   [`MAX_BODY_BYTES`] after each request is written: HTTP/1.1 answers one request at a time, so
//!   that is the answer's size, headers included;
//! - a **stream** (followed logs, exec sessions, image pulls) runs without end, but never longer
//!   than [`MAX_STREAM_LINE_BYTES`] without a line break (`\n` or `\r`);
//! - a **stream of JSON lines** (events, streamed stats) likewise, with lines of at most
//!   [`MAX_JSON_LINE_BYTES`]: bollard re-parses a JSON line from its start each time more of it
//!   arrives, so a long one costs time as well as memory.
//!
//! Going over fails the request with an error naming the endpoint and the limit.

use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::TransportError;

/// Largest answer to one request. A listing of 10 000 containers is about 14 MB.
pub const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;
/// Longest stretch of a stream without a line break.
pub const MAX_STREAM_LINE_BYTES: u64 = 16 * 1024 * 1024;
/// Longest line of a JSON-lines stream. An event is a few kilobytes (its actor's labels).
pub const MAX_JSON_LINE_BYTES: u64 = 1024 * 1024;

/// Bounds passed, by endpoint, not yet reported: bollard reports a failure inside a stream as
/// plain text ("error reading a body from connection"), so the reason is kept here for
/// `describe_error` to find.
static BREACHES: Mutex<Vec<(String, String, std::time::Instant)>> = Mutex::new(Vec::new());
/// A breach older than this is not the cause of the error at hand.
const BREACH_FRESH: std::time::Duration = std::time::Duration::from_secs(10);

/// The message of the last bound `host` passed, if recent and not reported yet.
pub fn take_breach(host: &str) -> Option<String> {
    let mut b = BREACHES.lock().ok()?;
    let at = b.iter().rposition(|(h, _, _)| h == host)?;
    let (_, message, when) = b.remove(at);
    b.retain(|(h, _, _)| h != host);
    (when.elapsed() < BREACH_FRESH).then_some(message)
}

fn record_breach(host: &str, message: &str) {
    if let Ok(mut b) = BREACHES.lock() {
        b.retain(|(_, _, when)| when.elapsed() < BREACH_FRESH);
        b.push((
            host.to_owned(),
            message.to_owned(),
            std::time::Instant::now(),
        ));
    }
}

/// What a connection carries, which decides its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carries {
    Answers,
    Stream,
    JsonLines,
}

/// An engine connection that fails once its bound is passed.
pub struct Bounded<S> {
    inner: S,
    carries: Carries,
    /// The endpoint, for the error.
    host: String,
    /// Bytes read since the last request was written (answers), or body bytes since the last
    /// line break (streams).
    run: u64,
    /// Where a stream's bytes are in HTTP's framing: chunk headers carry CRLFs of their own,
    /// which must not count as the body's line breaks.
    framing: Framing,
}

/// Just enough of HTTP/1.1's response framing to tell body bytes from the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Framing {
    /// In the status line and headers; `line` holds the current header line (bounded), and
    /// `chunked` says what the headers said so far.
    Headers {
        line: Vec<u8>,
        chunked: bool,
        upgraded: bool,
    },
    /// A body that is not chunked (or a connection upgraded to a raw stream): every byte.
    Raw,
    /// The hexadecimal size line of the next chunk.
    ChunkSize { digits: u64, in_extension: bool },
    /// Inside a chunk, `left` bytes to go.
    ChunkData { left: u64 },
    /// The CRLF after a chunk's data.
    ChunkEnd,
    /// After the last chunk: trailers until an empty line, then the next response.
    Trailers { empty: bool },
}

impl Framing {
    fn start() -> Framing {
        Framing::Headers {
            line: Vec::new(),
            chunked: false,
            upgraded: false,
        }
    }

    /// Feeds `read`, calling `body` with each run of body bytes.
    fn feed(&mut self, mut read: &[u8], mut body: impl FnMut(&[u8])) {
        while !read.is_empty() {
            match self {
                Framing::Raw => {
                    body(read);
                    return;
                }
                Framing::ChunkData { left } => {
                    let n = (*left).min(read.len() as u64) as usize;
                    body(&read[..n]);
                    read = &read[n..];
                    *left -= n as u64;
                    if *left == 0 {
                        *self = Framing::ChunkEnd;
                    }
                }
                _ => {
                    let b = read[0];
                    read = &read[1..];
                    self.step(b);
                }
            }
        }
    }

    /// One byte of framing (headers, chunk sizes, the CRLFs around chunks).
    fn step(&mut self, b: u8) {
        match self {
            Framing::Headers {
                line,
                chunked,
                upgraded,
            } => {
                if b != b'\n' {
                    if line.len() < 256 {
                        line.push(b.to_ascii_lowercase());
                    }
                    return;
                }
                let text = String::from_utf8_lossy(line).trim_end().to_owned();
                if text.is_empty() {
                    *self = match (*upgraded, *chunked) {
                        (true, _) | (false, false) => Framing::Raw,
                        (false, true) => Framing::ChunkSize {
                            digits: 0,
                            in_extension: false,
                        },
                    };
                    return;
                }
                if text.starts_with("http/1.1 101") || text.starts_with("http/1.0 101") {
                    *upgraded = true;
                } else if let Some(v) = text.strip_prefix("transfer-encoding:") {
                    *chunked |= v.contains("chunked");
                }
                line.clear();
            }
            Framing::ChunkSize {
                digits,
                in_extension,
            } => match b {
                b'\n' if *digits == 0 => *self = Framing::Trailers { empty: true },
                b'\n' => *self = Framing::ChunkData { left: *digits },
                b';' => *in_extension = true,
                _ if *in_extension => {}
                b => {
                    if let Some(d) = (b as char).to_digit(16) {
                        *digits = digits.saturating_mul(16).saturating_add(d as u64);
                    }
                }
            },
            Framing::ChunkEnd => {
                if b == b'\n' {
                    *self = Framing::ChunkSize {
                        digits: 0,
                        in_extension: false,
                    };
                }
            }
            Framing::Trailers { empty } => match b {
                b'\n' if *empty => *self = Framing::start(),
                b'\n' => *empty = true,
                b'\r' => {}
                _ => *empty = false,
            },
            Framing::Raw | Framing::ChunkData { .. } => {}
        }
    }
}

impl<S> Bounded<S> {
    pub fn new(inner: S, carries: Carries, host: &str) -> Self {
        Bounded {
            inner,
            carries,
            host: host.to_owned(),
            run: 0,
            framing: Framing::start(),
        }
    }

    fn account(&mut self, read: &[u8]) -> io::Result<()> {
        let (limit, what) = match self.carries {
            Carries::Answers => {
                self.run += read.len() as u64;
                (MAX_BODY_BYTES, "an answer larger than")
            }
            Carries::Stream | Carries::JsonLines => {
                let run = &mut self.run;
                self.framing.feed(read, |body| {
                    match body.iter().rposition(|&b| b == b'\n' || b == b'\r') {
                        Some(at) => *run = (body.len() - at - 1) as u64,
                        None => *run += body.len() as u64,
                    }
                });
                let limit = if self.carries == Carries::Stream {
                    MAX_STREAM_LINE_BYTES
                } else {
                    MAX_JSON_LINE_BYTES
                };
                (limit, "a stream line longer than")
            }
        };
        if self.run > limit {
            let message = format!(
                "{}: the engine sent {what} {} MiB; the request was abandoned",
                self.host,
                limit >> 20
            );
            record_breach(&self.host, &message);
            return Err(io::Error::other(TransportError(message)));
        }
        Ok(())
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Bounded<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let read = &buf.filled()[before..];
                Poll::Ready(this.account(read))
            }
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Bounded<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = Pin::new(&mut this.inner).poll_write(cx, data);
        if let (Poll::Ready(Ok(n)), Carries::Answers) = (&written, this.carries) {
            if *n > 0 {
                // A new request: what is read from here on is its answer.
                this.run = 0;
            }
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn read_all(b: &mut Bounded<tokio::io::DuplexStream>) -> io::Result<u64> {
        let mut total = 0;
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match b.read(&mut chunk).await? {
                0 => return Ok(total),
                n => total += n as u64,
            }
        }
    }

    #[tokio::test]
    async fn an_answer_over_the_limit_fails_and_the_next_request_starts_afresh() {
        let (client, mut server) = tokio::io::duplex(1 << 20);
        let mut b = Bounded::new(client, Carries::Answers, "unix:///x.sock");
        let writer = tokio::spawn(async move {
            let block = vec![b'a'; 1 << 20];
            for _ in 0..(MAX_BODY_BYTES >> 20) + 2 {
                if server.write_all(&block).await.is_err() {
                    break;
                }
            }
        });
        let err = read_all(&mut b).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "unix:///x.sock: the engine sent an answer larger than 64 MiB; the request was abandoned"
        );
        assert!(TransportError::find(&err).is_some());
        drop(b);
        let _ = writer.await;

        // Writing a request resets the count: many answers each under the bound are fine.
        let (client, mut server) = tokio::io::duplex(1 << 16);
        let mut b = Bounded::new(client, Carries::Answers, "h");
        b.run = MAX_BODY_BYTES - 10;
        b.write_all(b"GET /next HTTP/1.1\r\n\r\n").await.unwrap();
        server.write_all(&[b'x'; 1000]).await.unwrap();
        drop(server);
        assert_eq!(read_all(&mut b).await.unwrap(), 1000);
    }

    /// A chunk of a chunked HTTP body.
    fn chunk(data: &[u8]) -> Vec<u8> {
        [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat()
    }

    const CHUNKED: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

    #[tokio::test]
    async fn a_stream_may_run_forever_but_not_without_line_breaks() {
        let (client, mut server) = tokio::io::duplex(1 << 20);
        let mut b = Bounded::new(client, Carries::Stream, "h");
        // 80 MiB of lines: more than an answer may be, fine for a stream.
        let writer = tokio::spawn(async move {
            let line = [b"x".repeat(1023), b"\n".to_vec()].concat();
            let block = chunk(&line.repeat(1024));
            server.write_all(CHUNKED).await.unwrap();
            for _ in 0..80 {
                server.write_all(&block).await.unwrap();
            }
        });
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        while total < 80 << 20 {
            total += b.read(&mut buf).await.unwrap() as u64;
        }
        writer.await.unwrap();

        // Chunk headers end in CRLF too: they are not the body's line breaks.
        let (client, mut server) = tokio::io::duplex(1 << 20);
        let mut b = Bounded::new(client, Carries::Stream, "h");
        let writer = tokio::spawn(async move {
            let block = chunk(&vec![b'y'; 64 << 10]);
            let _ = server.write_all(CHUNKED).await;
            for _ in 0..(MAX_STREAM_LINE_BYTES >> 16) + 2 {
                if server.write_all(&block).await.is_err() {
                    break;
                }
            }
        });
        let err = read_all(&mut b).await.unwrap_err();
        assert!(
            err.to_string().contains("a stream line longer than 16 MiB"),
            "{err}"
        );
        drop(b);
        let _ = writer.await;
    }
}
