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
//! - a **stream** (events, followed logs, streamed stats, exec sessions) runs without end, but
//!   never longer than [`MAX_STREAM_LINE_BYTES`] without a line break (`\n` or `\r`).
//!
//! Going over fails the request with an error naming the endpoint and the limit.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::TransportError;

/// Largest answer to one request. A listing of 10 000 containers is about 14 MB.
pub const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;
/// Longest stretch of a stream without a line break.
pub const MAX_STREAM_LINE_BYTES: u64 = 16 * 1024 * 1024;

/// What a connection carries, which decides its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carries {
    Answers,
    Stream,
}

/// An engine connection that fails once its bound is passed.
pub struct Bounded<S> {
    inner: S,
    carries: Carries,
    /// The endpoint, for the error.
    host: String,
    /// Bytes read since the last request was written (answers), or since the last line break
    /// (streams).
    run: u64,
}

impl<S> Bounded<S> {
    pub fn new(inner: S, carries: Carries, host: &str) -> Self {
        Bounded {
            inner,
            carries,
            host: host.to_owned(),
            run: 0,
        }
    }

    fn account(&mut self, read: &[u8]) -> io::Result<()> {
        let (limit, what) = match self.carries {
            Carries::Answers => {
                self.run += read.len() as u64;
                (MAX_BODY_BYTES, "an answer larger than")
            }
            Carries::Stream => {
                match read.iter().rposition(|&b| b == b'\n' || b == b'\r') {
                    Some(at) => self.run = (read.len() - at - 1) as u64,
                    None => self.run += read.len() as u64,
                }
                (MAX_STREAM_LINE_BYTES, "a stream line longer than")
            }
        };
        if self.run > limit {
            return Err(io::Error::other(TransportError(format!(
                "{}: the engine sent {what} {} MiB; the request was abandoned",
                self.host,
                limit / (1024 * 1024)
            ))));
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

    #[tokio::test]
    async fn a_stream_may_run_forever_but_not_without_line_breaks() {
        let (client, mut server) = tokio::io::duplex(1 << 20);
        let mut b = Bounded::new(client, Carries::Stream, "h");
        // 80 MiB of lines: more than an answer may be, fine for a stream.
        let writer = tokio::spawn(async move {
            let line = [b"x".repeat(1023), b"\n".to_vec()].concat();
            let block = line.repeat(1024);
            for _ in 0..80 {
                server.write_all(&block).await.unwrap();
            }
        });
        let mut chunk = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        while total < 80 << 20 {
            total += b.read(&mut chunk).await.unwrap() as u64;
        }
        writer.await.unwrap();

        let (client, mut server) = tokio::io::duplex(1 << 20);
        let mut b = Bounded::new(client, Carries::Stream, "h");
        let writer = tokio::spawn(async move {
            let block = vec![b'y'; 1 << 20];
            for _ in 0..(MAX_STREAM_LINE_BYTES >> 20) + 2 {
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
