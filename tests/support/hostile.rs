//! Small hostile "engines" on unix sockets, started by the tests themselves: each answers the
//! version handshake like an engine, then misbehaves in one way (an endless answer, a
//! non-ASCII id, control sequences in labels, garbage instead of HTTP).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;
use std::thread;

use super::proxy::Acceptor;

/// How the engine misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// The container listing is a chunked answer that never ends.
    EndlessListing,
    /// The event stream sends one line that never ends (the listing is empty).
    EndlessEventLine,
    /// One container whose id and name are not ASCII and whose labels hold escape sequences
    /// and a bidirectional override.
    StrangeText,
    /// Anything but HTTP after the handshake.
    Garbage,
    /// An HTML error page for every request after the handshake.
    HtmlError,
}

/// The id [`Misbehaviour::StrangeText`] uses: twelve two-byte chars first, so a byte slice at
/// 12 cuts one in half.
pub const STRANGE_ID: &str = "éééééééééééééé0123456789";
/// Its name and a label value.
pub const STRANGE_NAME: &str = "weird\u{202e}name";
pub const HOSTILE_LABEL: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J";
/// A label value whose case folding changes byte lengths.
pub const SEARCH_TRAP: &str = "İİxKabc";

pub struct HostileEngine {
    _acceptor: Acceptor,
}

impl HostileEngine {
    pub fn start(path: &Path, how: Misbehaviour) -> HostileEngine {
        let how = Arc::new(how);
        let acceptor = Acceptor::start(path, move |conn| {
            let how = *how;
            thread::spawn(move || serve(conn, how));
        });
        HostileEngine {
            _acceptor: acceptor,
        }
    }
}

fn serve(conn: UnixStream, how: Misbehaviour) {
    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
    let mut out = conn;
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request).unwrap_or(0) == 0 {
            return;
        }
        // Skip the headers (no request here has a body worth reading).
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
        }
        let path = request.split(' ').nth(1).unwrap_or("/").to_owned();
        let path = strip_version(&path);
        if path.starts_with("/_ping") {
            answer(&mut out, "text/plain", "OK");
            continue;
        }
        if path.starts_with("/version") {
            answer(
                &mut out,
                "application/json",
                r#"{"Version":"20.10.0-hostile","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64"}"#,
            );
            continue;
        }
        if path.starts_with("/info") {
            answer(&mut out, "application/json", r#"{"ID":"hostile"}"#);
            continue;
        }
        match how {
            Misbehaviour::EndlessListing if path.starts_with("/containers/json") => {
                endless(
                    &mut out,
                    b"[{\"Id\":\"x\",\"Names\":[\"/padding",
                    b"aaaaaaaaaaaaaaaa",
                );
                return;
            }
            Misbehaviour::EndlessEventLine if path.starts_with("/events") => {
                endless(
                    &mut out,
                    b"{\"Type\":\"container\",\"Action\":\"",
                    b"aaaaaaaaaaaaaaaa",
                );
                return;
            }
            Misbehaviour::EndlessEventLine if path.starts_with("/containers/json") => {
                answer(&mut out, "application/json", "[]");
            }
            Misbehaviour::StrangeText if path.starts_with("/events") => {
                // A quiet engine: the stream stays open with nothing to say.
                let _ = write!(
                    out,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                );
                let mut probe = [0u8; 1];
                let _ = std::io::Read::read(&mut reader, &mut probe);
                return;
            }
            Misbehaviour::StrangeText if path.starts_with("/containers/json") => {
                answer(&mut out, "application/json", &strange_listing());
            }
            Misbehaviour::StrangeText if path.starts_with("/containers/") => {
                answer(&mut out, "application/json", &strange_inspect());
            }
            Misbehaviour::Garbage => {
                let _ = out.write_all(b"\x00\x01\x02 not http at all \xff\xfe\r\n\r\n");
                return;
            }
            Misbehaviour::HtmlError => {
                let body = "<html><body><h1>502 Bad Gateway</h1></body></html>";
                let _ = write!(
                    out,
                    "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
            }
            _ => {
                let body = r#"{"message":"not here"}"#;
                let _ = write!(
                    out,
                    "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
            }
        }
    }
}

fn strip_version(path: &str) -> &str {
    match path.strip_prefix("/v1.") {
        Some(rest) => rest.find('/').map_or(path, |i| &rest[i..]),
        None => path,
    }
}

fn answer(out: &mut UnixStream, kind: &str, body: &str) {
    let _ = write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
}

/// A chunked answer: `head`, then `filler` forever, until the client goes away.
fn endless(out: &mut UnixStream, head: &[u8], filler: &[u8]) {
    let _ = write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let chunk = |data: &[u8]| {
        let mut c = format!("{:x}\r\n", data.len()).into_bytes();
        c.extend_from_slice(data);
        c.extend_from_slice(b"\r\n");
        c
    };
    if out.write_all(&chunk(head)).is_err() {
        return;
    }
    let block = chunk(&filler.repeat(4096));
    while out.write_all(&block).is_ok() {}
}

fn labels_json() -> String {
    serde_json::json!({
        "com.docker.compose.project": HOSTILE_LABEL,
        "com.docker.compose.service": "web",
        "note": format!("bidi {}", "\u{202e}reversed"),
        // Lowercasing changes these chars' byte lengths (and the lengths cancel out).
        "search": SEARCH_TRAP,
    })
    .to_string()
}

fn strange_listing() -> String {
    format!(
        r#"[{{"Id":"{STRANGE_ID}","Names":["/{}"],"Image":"img","Command":"sh","Created":1700000000,"State":"exited","Status":"Exited (0) 1 minute ago","Ports":[],"Labels":{}}}]"#,
        json_str(STRANGE_NAME),
        labels_json()
    )
}

fn strange_inspect() -> String {
    format!(
        r#"{{"Id":"{STRANGE_ID}","Name":"/{}","Created":"2026-11-22T18:00:00Z","Path":"sh","Args":[],"State":{{"Status":"exited","ExitCode":0,"StartedAt":"2026-11-22T18:00:01Z","FinishedAt":"2026-11-22T18:01:00Z","OOMKilled":false,"Pid":0}},"Config":{{"Image":"img","Labels":{}}},"HostConfig":{{}},"NetworkSettings":{{"Ports":{{}}}},"RestartCount":0}}"#,
        json_str(STRANGE_NAME),
        labels_json()
    )
}

fn json_str(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap();
    quoted[1..quoted.len() - 1].to_owned()
}
