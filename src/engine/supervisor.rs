//! One task per endpoint: connect, list once, then follow `/events`; on any failure mark the
//! endpoint down, wait with backoff and jitter, and start over (re-listing, so nothing is missed
//! even when the daemon's short event replay buffer has moved on).

use std::collections::HashMap;
use std::time::Duration;

use bollard::query_parameters::EventsOptionsBuilder;
use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep, timeout, Instant};

use super::endpoint::{describe_error, REQUEST_TIMEOUT};
use super::handle::EngineHandle;
use super::{convert, inventory, swarm};
use crate::app::model::{ContainerKey, EndpointState};
use crate::app::watch::Watch;
use crate::app::Msg;

/// Container events that change what the table shows. Health probes' exec_* events are left out
/// by the engine itself, so they never cross the wire.
pub const WATCHED_EVENTS: &[&str] = &[
    "create",
    "start",
    "restart",
    "die",
    "stop",
    "kill",
    "pause",
    "unpause",
    "destroy",
    "rename",
    "update",
    "oom",
    "health_status",
    // network
    "connect",
    "disconnect",
];
/// A manager's service and node events (create and update are in the list above).
const SWARM_EVENTS: [&str; 1] = ["remove"];
const PROBE_EVENTS: [&str; 3] = ["exec_create", "exec_start", "exec_die"];
/// A stalled engine is marked down within PING_EVERY + PING_TIMEOUT.
const PING_EVERY: Duration = Duration::from_secs(2);
const PING_TIMEOUT: Duration = Duration::from_secs(2);

pub struct Backoff {
    next: Duration,
    min: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            next: min,
            min,
            max,
        }
    }

    /// The next delay, doubled each time up to the cap, with ±20 % jitter so that many
    /// consoles reconnecting to one engine do not arrive together.
    pub fn next_delay(&mut self, jitter_source: u64) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        let spread = base.as_millis() as u64 / 5;
        let offset = if spread == 0 {
            0
        } else {
            jitter_source % (2 * spread + 1)
        };
        Duration::from_millis(base.as_millis() as u64 - spread + offset)
    }

    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

fn jitter_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0)
}

pub async fn supervise(
    engine: EngineHandle,
    tx: mpsc::Sender<Msg>,
    show_probes: watch::Receiver<bool>,
    shown: watch::Receiver<Vec<Watch>>,
) {
    let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
    // The last event seen (unix nanoseconds, 0 for none), kept across sessions: after a
    // reconnect the events pane gets what happened meanwhile, as far as the engine's short
    // replay buffer goes, and nothing twice.
    let mut last_seen: i64 = 0;
    let endpoint = engine.endpoint();
    loop {
        let state = |state| Msg::EndpointState {
            endpoint: endpoint.name.clone(),
            state,
        };
        if tx.send(state(EndpointState::Connecting)).await.is_err() {
            return;
        }
        let started = Instant::now();
        let reason =
            match run_session(&engine, &tx, show_probes.clone(), &shown, &mut last_seen).await {
                Ok(()) => return, // the console is gone
                Err(reason) => reason,
            };
        // A session that lived a while was a healthy connection; start the backoff afresh.
        if started.elapsed() > Duration::from_secs(30) {
            backoff.reset();
        }
        let delay = backoff.next_delay(jitter_seed());
        log::warn!(
            "endpoint {} down: {reason}; retrying in {delay:?}",
            endpoint.name
        );
        let down = EndpointState::Down {
            reason,
            retry_in_secs: Some(delay.as_secs_f64().ceil() as u64),
        };
        if tx.send(state(down)).await.is_err() {
            return;
        }
        sleep(delay).await;
    }
}

/// Runs until the engine fails (Err with the reason) or the console goes away (Ok).
async fn run_session(
    engine: &EngineHandle,
    tx: &mpsc::Sender<Msg>,
    mut show_probes: watch::Receiver<bool>,
    shown: &watch::Receiver<Vec<Watch>>,
    last_nano: &mut i64,
) -> Result<(), String> {
    // Negotiated afresh each session: the engine may have been upgraded or replaced meanwhile.
    let docker = engine.renegotiate().await?;
    let endpoint = engine.endpoint();
    let host = endpoint.host.as_str();
    // /version (for the header and the round trip), /info and the listing at once, and the
    // rows sent as soon as /version and the listing are in: the first screen waits for neither
    // /info (slow on an engine with many containers) nor the sum of the three. The engine clock
    // /info gives, so that `since` means the same thing on a remote engine, may be stamped
    // after the listing's snapshot: it is moved back by the time /info took (and `since` a
    // second further), so that no event between the snapshot and the subscription is missed
    // (replays of ones already seen are harmless).
    let sent = Instant::now();
    let local_before = chrono::Utc::now().timestamp();
    let rows = async {
        let (version, listing) = tokio::join!(
            async {
                let answer = timeout(REQUEST_TIMEOUT, docker.version()).await;
                (answer, sent.elapsed())
            },
            inventory::list(&docker, endpoint)
        );
        let (version, rtt) = version;
        let version = version
            .map_err(|_| format!("{host}: no answer to /version"))?
            .map_err(|e| describe_error(host, &e))?;
        let up = EndpointState::Up {
            version: version.version.unwrap_or_default(),
            api_version: docker.client_version().to_string(),
        };
        send(
            tx,
            Msg::EndpointState {
                endpoint: endpoint.name.clone(),
                state: up,
            },
        )
        .await?;
        let rtt_ms = rtt.as_millis().min(u32::MAX as u128) as u32;
        let ping = Msg::EndpointPing {
            endpoint: endpoint.name.clone(),
            rtt_ms,
        };
        send(tx, ping).await?;
        let containers = listing?;
        let ids: Vec<String> = containers.iter().map(|c| c.key.id.clone()).collect();
        send(
            tx,
            Msg::Listed {
                endpoint: endpoint.name.clone(),
                containers,
            },
        )
        .await?;
        Ok::<_, String>(ids)
    };
    let (ids, info) = tokio::join!(rows, async {
        let answer = timeout(REQUEST_TIMEOUT, docker.info())
            .await
            .ok()
            .and_then(|r| r.ok());
        (answer, sent.elapsed())
    });
    let ids = ids?;
    let (info, info_took) = info;
    let engine_now = info
        .as_ref()
        .and_then(|i| i.system_time.clone())
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.timestamp() - info_took.as_secs_f64().ceil() as i64)
        .unwrap_or(local_before);

    // Networks add to the picture; an engine that will not list them (an old or restricted
    // API) still shows its containers, and their network events fill the list in as they come.
    match inventory::list_networks(&docker, endpoint).await {
        Ok(networks) => {
            send(
                tx,
                Msg::NetworksListed {
                    endpoint: endpoint.name.clone(),
                    networks,
                },
            )
            .await?
        }
        Err(e) => log::warn!("{e}: its networks are not shown"),
    }
    let mut swarm = follow_swarm(&docker, &endpoint.name, info.as_ref(), tx).await?;

    // Events from just before the listing, so that changes made while we listed are replayed.
    // Health probes' exec events are left to the engine to filter unless the operator asks.
    let manager = swarm.is_manager();
    let subscribe = |since: i64, probes: bool| {
        let mut actions = WATCHED_EVENTS.to_vec();
        if manager {
            actions.extend(SWARM_EVENTS);
        }
        if probes {
            actions.extend(PROBE_EVENTS);
        }
        let mut filters = HashMap::new();
        let mut types = vec!["container", "network"];
        if manager {
            types.extend(["service", "node"]);
        }
        filters.insert("type", types);
        filters.insert("event", actions);
        let options = EventsOptionsBuilder::default()
            .since(&since.to_string())
            .filters(&filters)
            .build();
        Box::pin(docker.events(Some(options)))
    };
    let since = |last_nano: i64| match last_nano {
        0 => engine_now - 1,
        n => n / 1_000_000_000,
    };
    let mut events = subscribe(since(*last_nano), *show_probes.borrow());
    // A subscription replays from a whole second: what we have seen is skipped by time.
    let mut probes_open = true;

    // Fill in what the listing lacks (start time, restarts, health detail), once per container.
    // The rows on screen first: by now the listing is drawn and the runtime has said which.
    let ids = inventory::visible_first(ids, &shown.borrow());
    let mut details = std::pin::pin!(inventory::details(&docker, &endpoint.name, ids));
    while let Some(msg) = details.next().await {
        send(tx, msg?).await?;
    }

    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    loop {
        tokio::select! {
            ev = events.next() => {
                let ev = match ev {
                    None => return Err(format!("{host}: event stream closed")),
                    Some(Err(e)) => return Err(describe_error(host, &e)),
                    Some(Ok(ev)) => ev,
                };
                let nano = ev.time_nano.unwrap_or_default();
                if nano != 0 && nano <= *last_nano {
                    continue;
                }
                *last_nano = nano.max(*last_nano);
                let Some(event) = convert::event(&endpoint.name, &ev) else { continue };
                log::debug!("{}: {} {} {}", endpoint.name, event.kind, event.action, event.name());
                let (kind, action, id) = (event.kind.clone(), event.action.clone(), event.id.clone());
                let container = event.attributes.get("container").map(str::to_owned);
                use crate::app::events::{EventAction, ObjectKind};
                // The event first: it already says the new state, so the screen changes without
                // waiting for the inspect that follows and fills in the rest.
                send(tx, Msg::EngineEvent(event)).await?;
                swarm.note(&ev);
                match (kind, action) {
                    (ObjectKind::Container, EventAction::Destroy) => {
                        let key = ContainerKey { endpoint: endpoint.name.clone(), id };
                        send(tx, Msg::ContainerRemoved(key)).await?;
                    }
                    (ObjectKind::Container, a) if !matches!(a, EventAction::Exec(_)) => {
                        let msg = inventory::refresh(&docker, &endpoint.name, id).await?;
                        send(tx, msg).await?;
                    }
                    (ObjectKind::Network, EventAction::Destroy) => {
                        let key = crate::app::model::NetworkKey { endpoint: endpoint.name.clone(), id };
                        send(tx, Msg::NetworkRemoved(key)).await?;
                    }
                    (ObjectKind::Network, action) => {
                        // A container joined or left: its own networks changed too.
                        if matches!(action, EventAction::Connect | EventAction::Disconnect) {
                            if let Some(container) = container {
                                let msg = inventory::refresh(&docker, &endpoint.name, container).await?;
                                send(tx, msg).await?;
                            }
                        }
                        let msg = inventory::refresh_network(&docker, &endpoint.name, id).await?;
                        send(tx, msg).await?;
                    }
                    _ => {}
                }
            }
            changed = show_probes.changed(), if probes_open => {
                // Nobody left to toggle probe events: keep the current subscription.
                if changed.is_err() {
                    probes_open = false;
                    continue;
                }
                events = subscribe(since(*last_nano), *show_probes.borrow_and_update());
            }
            _ = ping.tick() => {
                // The event stream can stay silent forever; a ping tells a stalled engine apart.
                let sent = Instant::now();
                match timeout(PING_TIMEOUT, docker.ping()).await {
                    Ok(Ok(_)) => {
                        let rtt_ms = sent.elapsed().as_millis().min(u32::MAX as u128) as u32;
                        send(tx, Msg::EndpointPing { endpoint: endpoint.name.clone(), rtt_ms }).await?;
                    }
                    Ok(Err(e)) => return Err(describe_error(host, &e)),
                    Err(_) => return Err(format!("{host}: the engine stopped answering")),
                }
            }
            _ = until(swarm.due()), if swarm.due().is_some() => swarm.flush(&docker, tx).await?,
            _ = tx.closed() => return Ok(()),
        }
    }
}

/// Says what the endpoint is in a Swarm and, for a manager, everything it knows; the watch it
/// returns follows the manager's events from here on.
async fn follow_swarm(
    docker: &bollard::Docker,
    endpoint: &str,
    info: Option<&bollard::models::SystemInfo>,
    tx: &mpsc::Sender<Msg>,
) -> Result<swarm::Watch, String> {
    use crate::app::swarm::{SwarmRole, SwarmState};
    let (role, node_id) = info.map(swarm::role_from_info).unwrap_or_default();
    let mut lost = false;
    let state = match role {
        SwarmRole::Manager => match swarm::snapshot(docker, endpoint, node_id.clone()).await {
            Ok(state) => state,
            Err(reason) => {
                lost = true;
                SwarmState {
                    role: SwarmRole::Manager,
                    node_id,
                    lost: Some(reason),
                    ..SwarmState::default()
                }
            }
        },
        role => SwarmState {
            role,
            node_id,
            ..SwarmState::default()
        },
    };
    let watch = swarm::Watch::new(endpoint, &state.role, lost);
    send(
        tx,
        Msg::SwarmListed {
            endpoint: endpoint.to_owned(),
            state: Box::new(state),
        },
    )
    .await?;
    Ok(watch)
}

async fn until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A closed channel means the console has quit; surface it as the end of the session.
async fn send(tx: &mpsc::Sender<Msg>, msg: Msg) -> Result<(), String> {
    tx.send(msg).await.map_err(|_| "console closed".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_bounded_jitter() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(4));
        let seq: Vec<u64> = (0..6).map(|_| b.next_delay(0).as_millis() as u64).collect();
        // jitter 0 gives the low edge: base − 20 %.
        assert_eq!(seq, vec![400, 800, 1600, 3200, 3200, 3200]);
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(4));
        let high = b.next_delay(200).as_millis();
        assert_eq!(high, 600);
        b.reset();
        assert_eq!(b.next_delay(0).as_millis(), 400);
    }
}
