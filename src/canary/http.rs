//! One plain-HTTP GET, for what rollouts read over HTTP: Traefik's metrics and API, and
//! Prometheus's query API. One connection per request (they are a second apart), a timeout on
//! the whole exchange, and an answer other than 2xx is an error with the start of its body
//! (Prometheus says what was wrong with a query there).

use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;

/// The largest answer read (a metrics page of a large Traefik is a few MiB).
const MAX_ANSWER: usize = 32 * 1024 * 1024;

/// `http://host:port/path?query` split into the address to connect to and the request target.
pub fn split_url(url: &str) -> Result<(String, String), String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        format!("{url}: give an http:// address (https is not read here; reach it over loopback)")
    })?;
    let (authority, target) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(format!("{url}: no host"));
    }
    let addr = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((addr, target.to_owned()))
}

/// The body of `GET url`, as text.
pub async fn get(url: &str, timeout: Duration) -> Result<String, String> {
    let (addr, target) = split_url(url)?;
    let exchange = async {
        let stream = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        tokio::spawn(conn);
        let request = hyper::Request::get(target)
            .header(hyper::header::HOST, addr.as_str())
            .body(Empty::<bytes::Bytes>::new())
            .map_err(|e| format!("{url}: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        let body = http_body_util::Limited::new(response.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| format!("{url}: {e}"))?
            .to_bytes();
        let text = String::from_utf8_lossy(&body).into_owned();
        if status.is_success() {
            Ok(text)
        } else {
            let start: String = text.chars().take(300).collect();
            Err(format!("{url}: {status}: {}", start.trim()))
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| format!("{url}: no answer within {timeout:?}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_address_and_target() {
        assert_eq!(
            split_url("http://127.0.0.1:8082/metrics").unwrap(),
            ("127.0.0.1:8082".into(), "/metrics".into())
        );
        assert_eq!(
            split_url("http://prom/api/v1/query?query=up").unwrap(),
            ("prom:80".into(), "/api/v1/query?query=up".into())
        );
        assert!(split_url("https://x/").unwrap_err().contains("http://"));
    }
}
