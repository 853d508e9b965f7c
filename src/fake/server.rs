//! The HTTP side of the fake engine: hyper 1 over a unix socket, routing the Engine API subset
//! the console uses (with or without a `/v1.xx` prefix) to the world.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::UnixListener;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinSet;

use super::events::{parse_time_nano, EventFilter};
use super::json;
use super::logs::{line_frame, LineMaker};
use super::world::{Action, ActionError, RunState, World};

pub type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// What every connection shares: the world and the stall switch.
#[derive(Clone)]
pub struct Shared {
    pub world: Arc<Mutex<World>>,
    pub stalled: Arc<watch::Sender<bool>>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock leaves a consistent enough world for a fake.
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Returns at once unless the engine is stalled; then waits for it to resume.
    pub async fn unstalled(&self) {
        let mut rx = self.stalled.subscribe();
        let _ = rx.wait_for(|stalled| !*stalled).await;
    }
}

/// Accepts connections until the task is aborted; each connection is served on its own task,
/// and all of them end with this one.
pub async fn serve(listener: UnixListener, shared: Shared) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = shared.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(handle(shared, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

fn full(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut resp = Response::new(Full::new(body.into()).boxed());
    *resp.status_mut() = status;
    decorate(&mut resp, content_type);
    resp
}

fn decorate(resp: &mut Response<Body>, content_type: &str) {
    let h = resp.headers_mut();
    let mut put = |k: &'static str, v: &str| {
        if let Ok(v) = hyper::header::HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    };
    put("content-type", content_type);
    put("api-version", json::API_VERSION);
    put("docker-experimental", "false");
    put("ostype", "linux");
    put(
        "server",
        &format!("Docker/{} (linux)", json::ENGINE_VERSION),
    );
}

fn json_ok(value: &serde_json::Value) -> Response<Body> {
    full(
        StatusCode::OK,
        "application/json",
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

fn error(status: StatusCode, message: &str) -> Response<Body> {
    let body = serde_json::to_vec(&serde_json::json!({ "message": message })).unwrap_or_default();
    full(status, "application/json", body)
}

fn empty(status: StatusCode) -> Response<Body> {
    full(status, "text/plain; charset=utf-8", Bytes::new())
}

fn action_error(e: ActionError) -> Response<Body> {
    match e {
        ActionError::NotFound(m) => error(StatusCode::NOT_FOUND, &m),
        ActionError::Conflict(m) => error(StatusCode::CONFLICT, &m),
        ActionError::NotModified => empty(StatusCode::NOT_MODIFIED),
    }
}

/// A body fed by a task: the task ends when the client goes away (the receiver is dropped).
fn streaming(content_type: &str) -> (mpsc::Sender<Bytes>, Response<Body>) {
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
    });
    let mut resp = Response::new(StreamBody::new(stream).boxed());
    decorate(&mut resp, content_type);
    (tx, resp)
}

/// `/v1.41/containers/json` → `/containers/json`.
fn strip_version(path: &str) -> &str {
    if let Some(rest) = path.strip_prefix("/v") {
        if let Some(slash) = rest.find('/') {
            let version = &rest[..slash];
            if !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return &rest[slash..];
            }
        }
    }
    path
}

fn query(req: &Request<Incoming>) -> HashMap<String, String> {
    req.uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

/// Go's `httputils.BoolValue`: anything but "", "0", "no", "false", "none" is true.
fn flag(q: &HashMap<String, String>, key: &str, default: bool) -> bool {
    match q.get(key) {
        None => default,
        Some(v) => !matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "" | "0" | "no" | "false" | "none"
        ),
    }
}

pub async fn handle(shared: Shared, req: Request<Incoming>) -> Response<Body> {
    // A stalled engine accepts the connection and never answers.
    shared.unstalled().await;
    let method = req.method().clone();
    let path = strip_version(req.uri().path()).to_owned();
    let q = query(&req);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let get = method == Method::GET;
    let post = method == Method::POST;
    match segments.as_slice() {
        ["_ping"] if get || method == Method::HEAD => {
            let mut r = full(StatusCode::OK, "text/plain; charset=utf-8", "OK");
            r.headers_mut().insert(
                "cache-control",
                "no-cache, no-store, must-revalidate".parse().unwrap(),
            );
            r
        }
        ["version"] if get => json_ok(&json::version()),
        ["info"] if get => json_ok(&json::info(&shared.lock(), Utc::now())),
        ["events"] if get => events(shared, &q),
        ["networks"] if get => json_ok(&json::networks(&shared.lock())),
        ["networks", id] if get => match json::network_inspect(&shared.lock(), id) {
            Some(n) => json_ok(&n),
            None => error(StatusCode::NOT_FOUND, &format!("network {id} not found")),
        },
        ["containers", "json"] if get => list(&shared, &q),
        ["containers", id, "json"] if get => {
            let w = shared.lock();
            match w.find(id) {
                Ok(c) => json_ok(&json::inspect(c, Utc::now())),
                Err(e) => action_error(e),
            }
        }
        ["containers", id, "stats"] if get => stats(shared, id, &q),
        ["containers", id, "logs"] if get => logs(shared, id, &q),
        ["containers", id, verb] if post => {
            let action = match *verb {
                "start" => Action::Start,
                "stop" => Action::Stop,
                "restart" => Action::Restart,
                "pause" => Action::Pause,
                "unpause" => Action::Unpause,
                "kill" => Action::Kill {
                    signal: q.get("signal").cloned().unwrap_or_else(|| "SIGKILL".into()),
                },
                _ => return not_found(&method, &path),
            };
            act(&shared, id, &action)
        }
        ["containers", id] if method == Method::DELETE => {
            let force = flag(&q, "force", false);
            act(&shared, id, &Action::Remove { force })
        }
        _ => not_found(&method, &path),
    }
}

fn not_found(method: &Method, path: &str) -> Response<Body> {
    log::debug!("fake engine: no route for {method} {path}");
    error(StatusCode::NOT_FOUND, "page not found")
}

fn act(shared: &Shared, id: &str, action: &Action) -> Response<Body> {
    match shared.lock().act(id, action) {
        Ok(()) => empty(StatusCode::NO_CONTENT),
        Err(e) => action_error(e),
    }
}

fn list(shared: &Shared, q: &HashMap<String, String>) -> Response<Body> {
    let all = flag(q, "all", false);
    let filter = match q.get("filters").map(|f| ListFilter::parse(f)) {
        Some(Err(e)) => return error(StatusCode::BAD_REQUEST, &e),
        Some(Ok(f)) => Some(f),
        None => None,
    };
    let now = Utc::now();
    let mut w = shared.lock();
    let mut out = Vec::with_capacity(w.len() * 1500);
    out.push(b'[');
    let mut first = true;
    // Newest first, as dockerd lists.
    for c in w.containers_mut().iter_mut().rev() {
        if !all && !c.is_running() {
            continue;
        }
        if filter.as_ref().is_some_and(|f| !f.matches(&*c)) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        json::write_summary(&mut out, c, now);
    }
    out.push(b']');
    drop(w);
    full(StatusCode::OK, "application/json", out)
}

/// The list filters the fake understands; any other key is refused, not ignored.
struct ListFilter(HashMap<String, Vec<String>>);

impl ListFilter {
    fn parse(text: &str) -> Result<ListFilter, String> {
        let v: HashMap<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|e| format!("invalid filter: {e}"))?;
        let mut out = HashMap::new();
        for (k, v) in v {
            if !matches!(k.as_str(), "status" | "label" | "name" | "id") {
                return Err(format!(
                    "invalid filter '{k}' (not supported by the fake engine)"
                ));
            }
            let values = match v {
                serde_json::Value::Array(a) => a
                    .into_iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect(),
                serde_json::Value::Object(m) => m.into_iter().map(|(k, _)| k).collect(),
                _ => Vec::new(),
            };
            out.insert(k, values);
        }
        Ok(ListFilter(out))
    }

    fn matches(&self, c: &super::world::FakeContainer) -> bool {
        self.0.iter().all(|(k, values)| {
            values.is_empty()
                || match k.as_str() {
                    "status" => values.iter().any(|v| v == c.state.as_str()),
                    "name" => values
                        .iter()
                        .any(|v| c.name.contains(v.trim_start_matches('/'))),
                    "id" => values.iter().any(|v| c.id.starts_with(v.as_str())),
                    _ => values.iter().all(|l| match l.split_once('=') {
                        Some((k, v)) => c.labels.get(k).is_some_and(|x| x == v),
                        None => c.labels.contains_key(l),
                    }),
                }
        })
    }
}

fn events(shared: Shared, q: &HashMap<String, String>) -> Response<Body> {
    let filter = match EventFilter::parse(q.get("filters").map(String::as_str).unwrap_or("")) {
        Ok(f) => f,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e),
    };
    let time = |key: &str| {
        q.get(key)
            .filter(|s| !s.is_empty())
            .map(|s| parse_time_nano(s))
    };
    let since = match time("since").transpose() {
        Ok(t) => t,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e),
    };
    let until = match time("until").transpose() {
        Ok(t) => t,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e),
    };
    let (tx, resp) = streaming("application/json");
    let (replay, mut live) = shared.lock().subscribe(since);
    tokio::spawn(async move {
        let wanted = |t: i64| until.is_none_or(|u| t <= u);
        let mut last = i64::MIN;
        for e in replay {
            if !wanted(e.time_nano) {
                return;
            }
            last = e.time_nano;
            if filter.matches(&e) && tx.send(json::event_line(&e).into()).await.is_err() {
                return;
            }
        }
        let deadline = until.map(|u| {
            let left = u - Utc::now().timestamp_nanos_opt().unwrap_or(0);
            tokio::time::Instant::now() + Duration::from_nanos(left.max(0) as u64)
        });
        loop {
            let next = tokio::select! {
                e = live.recv() => e,
                _ = async { tokio::time::sleep_until(deadline.unwrap()).await }, if deadline.is_some() => return,
                _ = tx.closed() => return,
            };
            let e = match next {
                Ok(e) => e,
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return,
            };
            // Already sent from the replay buffer.
            if e.time_nano <= last {
                continue;
            }
            // A stalled engine's event stream freezes, then carries on where it was.
            shared.unstalled().await;
            if !wanted(e.time_nano) {
                return;
            }
            if filter.matches(&e) && tx.send(json::event_line(&e).into()).await.is_err() {
                return;
            }
        }
    });
    resp
}

fn stats(shared: Shared, id: &str, q: &HashMap<String, String>) -> Response<Body> {
    let stream = flag(q, "stream", true);
    let one_shot = flag(q, "one-shot", false);
    let id = {
        let w = shared.lock();
        match w.find(id) {
            Ok(c) if !stream => return json_ok(&json::stats(&w, c, Utc::now(), one_shot)),
            Ok(c) => c.id.clone(),
            Err(e) => return action_error(e),
        }
    };
    // Streaming: a sample a second, as dockerd, until the container is gone.
    let (tx, resp) = streaming("application/json");
    tokio::spawn(async move {
        loop {
            shared.unstalled().await;
            let line = {
                let w = shared.lock();
                match w.find(&id) {
                    Ok(c) => {
                        let mut v = serde_json::to_vec(&json::stats(&w, c, Utc::now(), false))
                            .unwrap_or_default();
                        v.push(b'\n');
                        v
                    }
                    Err(_) => return,
                }
            };
            if tx.send(line.into()).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    resp
}

fn logs(shared: Shared, id: &str, q: &HashMap<String, String>) -> Response<Body> {
    let follow = flag(q, "follow", false);
    let stdout = flag(q, "stdout", false);
    let stderr = flag(q, "stderr", false);
    if !stdout && !stderr {
        return error(
            StatusCode::BAD_REQUEST,
            "Bad parameters: you must choose at least one stream",
        );
    }
    let timestamps = flag(q, "timestamps", false);
    // "all" (or anything unparsable, as dockerd) is the whole synthetic history: 200 lines.
    let tail = q
        .get("tail")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(200);
    let (id, service, started) = {
        let w = shared.lock();
        match w.find(id) {
            Ok(c) => (c.id.clone(), c.service.clone(), c.started_at),
            Err(e) => return action_error(e),
        }
    };
    let (tx, resp) = streaming("application/vnd.docker.multiplexed-stream");
    let keep =
        move |s: u8| (s == super::logs::STDOUT && stdout) || (s == super::logs::STDERR && stderr);
    tokio::spawn(async move {
        let mut lines = LineMaker::new(&id, &service);
        let now = Utc::now();
        let end = started
            .map(|s| s.max(now - chrono::Duration::hours(1)))
            .unwrap_or(now);
        // History: `tail` lines spread over the time before now.
        let step = chrono::Duration::milliseconds(1500);
        let mut at = now - step * tail as i32;
        let mut history = Vec::new();
        for _ in 0..tail {
            let (s, line) = lines.next_line();
            if keep(s) {
                history.extend(line_frame(s, &line, at.max(end.min(now)), timestamps));
            }
            at += step;
        }
        if !history.is_empty() && tx.send(history.into()).await.is_err() {
            return;
        }
        if !follow {
            return;
        }
        let mut pace = super::rng::Rng::new(tail as u64 ^ 0xF00D);
        loop {
            tokio::time::sleep(Duration::from_millis(200 + pace.below(900))).await;
            shared.unstalled().await;
            let running = shared
                .lock()
                .find(&id)
                .is_ok_and(|c| c.state == RunState::Running || c.state == RunState::Paused);
            if !running {
                // dockerd ends a followed log when the container stops.
                return;
            }
            let (s, line) = lines.next_line();
            if keep(s)
                && tx
                    .send(line_frame(s, &line, Utc::now(), timestamps).into())
                    .await
                    .is_err()
            {
                return;
            }
        }
    });
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_prefix_is_optional() {
        assert_eq!(strip_version("/v1.41/containers/json"), "/containers/json");
        assert_eq!(strip_version("/containers/json"), "/containers/json");
        assert_eq!(strip_version("/version"), "/version");
        assert_eq!(strip_version("/v1.52/_ping"), "/_ping");
    }
}
