//! Unix-socket stand-ins for an engine: a forwarding proxy that records the requests it passes
//! on, and a listener that accepts connections and never answers.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// The engine socket the proxy forwards to.
pub const ENGINE_SOCKET: &str = "/var/run/docker.sock";

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"];

/// Accepts on `path` in a thread until dropped; `handle` gets every connection.
pub struct Acceptor {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Acceptor {
    pub fn start(path: &Path, handle: impl Fn(UnixStream) + Send + 'static) -> Acceptor {
        let _ = std::fs::remove_file(path);
        let listener =
            UnixListener::bind(path).unwrap_or_else(|e| panic!("bind {}: {e}", path.display()));
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        // Non-blocking accept polled against the stop flag: stopping must not depend on the
        // socket file still being there (its tempdir may already be gone).
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let thread = thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let _ = conn.set_nonblocking(false);
                        handle(conn);
                    }
                    Err(_) => thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
        });
        Acceptor {
            path: path.to_path_buf(),
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A unix socket that forwards every connection to the engine socket, byte for byte, and
/// records the request lines (`METHOD /path`) the client sent. Dropping it stops accepting
/// and shuts down the open connections.
pub struct RecordingProxy {
    requests: Arc<Mutex<Vec<String>>>,
    conns: Arc<Mutex<Vec<UnixStream>>>,
    dead: Arc<AtomicBool>,
    acceptor: Option<Acceptor>,
}

impl RecordingProxy {
    /// Listens on `path` (replacing a stale socket file) and forwards to [`ENGINE_SOCKET`].
    pub fn start(path: &Path) -> RecordingProxy {
        RecordingProxy::dying_after(path, usize::MAX)
    }

    /// Like [`start`](Self::start), but the engine "dies" when a client sends more than
    /// `mutations` mutating requests: that request is not passed on, every connection is cut,
    /// and later ones are closed at once, as if the daemon had gone.
    pub fn dying_after(path: &Path, mutations: usize) -> RecordingProxy {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let conns: Arc<Mutex<Vec<UnixStream>>> = Arc::new(Mutex::new(Vec::new()));
        let dead = Arc::new(AtomicBool::new(false));
        let (req2, conns2, dead2) = (requests.clone(), conns.clone(), dead.clone());
        let acceptor = Acceptor::start(path, move |client| {
            if dead2.load(Ordering::SeqCst) {
                return;
            }
            let Ok(upstream) = UnixStream::connect(ENGINE_SOCKET) else {
                return;
            };
            {
                let mut c = conns2.lock().unwrap();
                c.extend(client.try_clone().ok());
                c.extend(upstream.try_clone().ok());
            }
            let (mut c_read, mut c_write) = (client.try_clone().unwrap(), client);
            let (mut u_read, mut u_write) = (upstream.try_clone().unwrap(), upstream);
            let (req, all, dead) = (req2.clone(), conns2.clone(), dead2.clone());
            thread::spawn(move || {
                let mut pending = Vec::new();
                let mut buf = [0u8; 16 * 1024];
                loop {
                    let n = match c_read.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    pending.extend_from_slice(&buf[..n]);
                    record_lines(&mut pending, &req);
                    let mutating = req
                        .lock()
                        .unwrap()
                        .iter()
                        .filter(|r| is_mutating(r))
                        .count();
                    if mutating > mutations {
                        dead.store(true, Ordering::SeqCst);
                        for c in all.lock().unwrap().iter() {
                            let _ = c.shutdown(std::net::Shutdown::Both);
                        }
                        break;
                    }
                    if u_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = u_write.shutdown(std::net::Shutdown::Write);
            });
            thread::spawn(move || {
                let _ = std::io::copy(&mut u_read, &mut c_write);
                let _ = c_write.shutdown(std::net::Shutdown::Write);
            });
        });
        RecordingProxy {
            requests,
            conns,
            dead,
            acceptor: Some(acceptor),
        }
    }

    /// Whether it has "died" (see [`dying_after`](Self::dying_after)).
    pub fn dead(&self) -> bool {
        self.dead.load(Ordering::SeqCst)
    }

    /// Request lines seen so far, `METHOD /path?query`, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Requests with a method other than GET/HEAD: anything that could change the engine.
    pub fn mutating_requests(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| is_mutating(r))
            .collect()
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        drop(self.acceptor.take());
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }
}

fn is_mutating(request: &str) -> bool {
    !request.starts_with("GET ") && !request.starts_with("HEAD ")
}

/// Takes complete lines off the front of `pending` and records those that are request lines.
fn record_lines(pending: &mut Vec<u8>, out: &Mutex<Vec<String>>) {
    while let Some(pos) = pending.iter().position(|&b| b == b'\n') {
        let line: Vec<u8> = pending.drain(..=pos).collect();
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end();
        let mut parts = line.split(' ');
        if let (Some(method), Some(path), Some(proto)) = (parts.next(), parts.next(), parts.next())
        {
            if METHODS.contains(&method) && path.starts_with('/') && proto.starts_with("HTTP/") {
                out.lock().unwrap().push(format!("{method} {path}"));
            }
        }
    }
    // A body without newlines must not grow without bound.
    if pending.len() > 64 * 1024 {
        pending.clear();
    }
}

/// A unix socket that accepts connections and holds them open without ever answering: an
/// engine that has stalled. Dropping it closes everything.
pub struct StalledEngine {
    held: Arc<Mutex<Vec<UnixStream>>>,
    acceptor: Option<Acceptor>,
}

impl StalledEngine {
    pub fn start(path: &Path) -> StalledEngine {
        let held: Arc<Mutex<Vec<UnixStream>>> = Arc::new(Mutex::new(Vec::new()));
        let held2 = held.clone();
        let acceptor = Acceptor::start(path, move |conn| {
            held2.lock().unwrap().push(conn);
        });
        StalledEngine {
            held,
            acceptor: Some(acceptor),
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.held.lock().unwrap().len()
    }
}

impl Drop for StalledEngine {
    fn drop(&mut self) {
        drop(self.acceptor.take());
        for c in self.held.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }
}
