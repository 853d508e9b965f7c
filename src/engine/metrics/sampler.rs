//! One task per endpoint: every interval, sample the containers the runtime asks for and send
//! one `Msg::Sampled` with all of them. Local containers are read from their cgroup files; the
//! rest go through the stats API, a few at a time, rows on screen first, the others in turn.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bollard::Docker;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{interval, Instant, MissedTickBehavior};

use super::cgroup::CgroupRoot;
use super::{
    maybe_local, stats_api, LocalProbe, SourceMode, DEFAULT_API_CONCURRENCY, STATS_TIMEOUT,
};
use crate::app::model::ContainerKey;
use crate::app::usage::Sample;
use crate::app::watch::Watch;
use crate::app::Msg;
use crate::engine::endpoint::Endpoint;

#[derive(Debug, Clone)]
pub struct SamplerConfig {
    pub interval: Duration,
    pub api_concurrency: usize,
    pub mode: SourceMode,
    pub cgroup_root: CgroupRoot,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        SamplerConfig {
            interval: Duration::from_secs(1),
            api_concurrency: DEFAULT_API_CONCURRENCY,
            mode: SourceMode::Auto,
            cgroup_root: CgroupRoot::default(),
        }
    }
}

type Answer = (ContainerKey, Result<Sample, String>);

/// Runs until the console goes away (the message channel or the watch sender closes).
pub async fn run(
    endpoint: Endpoint,
    config: SamplerConfig,
    mut watching: watch::Receiver<Vec<Watch>>,
    tx: mpsc::Sender<Msg>,
) {
    let local = config.mode == SourceMode::Auto && maybe_local(&endpoint);
    let mut probe = LocalProbe::new(config.cgroup_root.clone());
    let mut docker: Option<Docker> = None;
    let mut in_flight: JoinSet<Answer> = JoinSet::new();
    let mut asked: HashSet<String> = HashSet::new();
    // When each container last went to the API: the longest-waiting goes next.
    let mut last_asked: HashMap<String, Instant> = HashMap::new();
    let mut pending: Vec<(ContainerKey, Sample)> = Vec::new();
    let mut tick = interval(config.interval);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let list = watching.borrow_and_update().clone();
                let watched: HashSet<&str> = list.iter().map(|w| w.key.id.as_str()).collect();
                probe.retain(|id| watched.contains(id));
                last_asked.retain(|id, _| watched.contains(id.as_str()));
                let mut via_api: Vec<&Watch> = Vec::new();
                for w in &list {
                    let cgroup = w.pid.filter(|_| local).and_then(|pid| probe.sample(&w.key.id, pid));
                    match cgroup {
                        Some(s) => pending.push((w.key.clone(), s)),
                        None => via_api.push(w),
                    }
                }
                if !via_api.is_empty() {
                    ask_api(&endpoint, &mut docker, via_api, &config, &mut in_flight, &mut asked, &mut last_asked).await;
                }
                if !pending.is_empty() {
                    let msg = Msg::Sampled { endpoint: endpoint.name.clone(), samples: std::mem::take(&mut pending) };
                    if tx.send(msg).await.is_err() {
                        return;
                    }
                }
            }
            Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                let Ok((key, answer)) = joined else { continue };
                asked.remove(&key.id);
                match answer {
                    // Flushed with the next tick, so there is one message per tick.
                    Ok(s) => pending.push((key, s)),
                    Err(e) => log::debug!("{}: {e}", endpoint.name),
                }
            }
            changed = watching.changed() => if changed.is_err() { return },
            _ = tx.closed() => return,
        }
    }
}

/// Starts stats requests up to the concurrency cap: visible rows first, then whoever waited
/// longest. Slow answers simply arrive in a later tick.
async fn ask_api(
    endpoint: &Endpoint,
    docker: &mut Option<Docker>,
    mut wanted: Vec<&Watch>,
    config: &SamplerConfig,
    in_flight: &mut JoinSet<Answer>,
    asked: &mut HashSet<String>,
    last_asked: &mut HashMap<String, Instant>,
) {
    wanted.retain(|w| !asked.contains(&w.key.id));
    if wanted.is_empty() || in_flight.len() >= config.api_concurrency {
        return;
    }
    wanted.sort_by_key(|w| (!w.visible, last_asked.get(&w.key.id).copied()));
    if docker.is_none() {
        match endpoint.connect().await {
            Ok(d) => *docker = Some(d),
            Err(e) => {
                // The supervisor reports the endpoint down; try again next tick.
                log::debug!("sampler {}: {e}", endpoint.name);
                return;
            }
        }
    }
    let Some(client) = docker.as_ref() else {
        return;
    };
    for w in wanted {
        if in_flight.len() >= config.api_concurrency {
            break;
        }
        let client = client.clone();
        let key = w.key.clone();
        asked.insert(key.id.clone());
        last_asked.insert(key.id.clone(), Instant::now());
        in_flight.spawn(async move {
            let answer = stats_api::sample(&client, &key.id, STATS_TIMEOUT).await;
            (key, answer)
        });
    }
}
