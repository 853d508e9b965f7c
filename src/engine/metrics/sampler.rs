//! One task per endpoint: every interval, sample the containers the runtime asks for and send
//! one `Msg::Sampled` with all of them. Local containers are read from their cgroup files; the
//! rest go through the stats API, a few at a time, rows on screen first, the others in turn.

use std::collections::{HashMap, HashSet, VecDeque};
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
use crate::engine::handle::EngineHandle;

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
    engine: EngineHandle,
    config: SamplerConfig,
    mut watching: watch::Receiver<Vec<Watch>>,
    tx: mpsc::Sender<Msg>,
) {
    let endpoint = engine.endpoint();
    let local = config.mode == SourceMode::Auto && maybe_local(endpoint);
    let mut probe = LocalProbe::new(config.cgroup_root.clone());
    let mut docker: Option<Docker> = None;
    let mut in_flight: JoinSet<Answer> = JoinSet::new();
    let mut asked: HashSet<String> = HashSet::new();
    // When each container last went to the API: the longest-waiting goes next.
    let mut last_asked: HashMap<String, Instant> = HashMap::new();
    let mut pending: Vec<(ContainerKey, Sample)> = Vec::new();
    // This tick's stats requests not started yet; refilled as answers come back.
    let mut queue: VecDeque<ContainerKey> = VecDeque::new();
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
                let host = if local { probe.root.host_cpu() } else { None };
                probe.begin_tick();
                // Visible rows first: they get this tick's socket dumps before the others.
                let (shown, hidden): (Vec<&Watch>, Vec<&Watch>) = list.iter().partition(|w| w.visible);
                for w in shown.into_iter().chain(hidden) {
                    let cgroup = w.pid.filter(|_| local).and_then(|pid| probe.sample(&w.key.id, pid, host));
                    match cgroup {
                        Some(s) => pending.push((w.key.clone(), s)),
                        None => via_api.push(w),
                    }
                }
                queue = api_round(via_api, &asked, &last_asked);
                if !queue.is_empty() {
                    ask_api(&engine, &mut docker, &mut queue, &config, &mut in_flight, &mut asked, &mut last_asked).await;
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
                // A slot is free: the next of this tick's containers.
                if !queue.is_empty() {
                    ask_api(&engine, &mut docker, &mut queue, &config, &mut in_flight, &mut asked, &mut last_asked).await;
                }
            }
            changed = watching.changed() => if changed.is_err() { return },
            _ = tx.closed() => return,
        }
    }
}

/// Visible rows first; then those never asked, then whoever waited longest.
fn api_order(wanted: &mut [&Watch], last_asked: &HashMap<String, Instant>) {
    wanted.sort_by_key(|w| (!w.visible, last_asked.get(&w.key.id).copied()));
}

/// Off-screen containers asked per tick on top of the visible ones: their history fills in
/// slowly without a fast engine turning every tick into hundreds of requests.
const OFFSCREEN_PER_TICK: usize = 4;

/// This tick's stats requests, in order: every visible row, then a few of the others, longest
/// waiting first. Containers with a request still in flight are left out.
fn api_round(
    mut wanted: Vec<&Watch>,
    asked: &HashSet<String>,
    last_asked: &HashMap<String, Instant>,
) -> VecDeque<ContainerKey> {
    wanted.retain(|w| !asked.contains(&w.key.id));
    api_order(&mut wanted, last_asked);
    let visible = wanted.iter().take_while(|w| w.visible).count();
    wanted
        .into_iter()
        .take(visible + OFFSCREEN_PER_TICK)
        .map(|w| w.key.clone())
        .collect()
}

/// Starts queued stats requests up to the concurrency cap; answers come back through
/// `in_flight`, and each one frees a slot for the next.
async fn ask_api(
    engine: &EngineHandle,
    docker: &mut Option<Docker>,
    queue: &mut VecDeque<ContainerKey>,
    config: &SamplerConfig,
    in_flight: &mut JoinSet<Answer>,
    asked: &mut HashSet<String>,
    last_asked: &mut HashMap<String, Instant>,
) {
    if in_flight.len() >= config.api_concurrency {
        return;
    }
    if docker.is_none() {
        match engine.docker().await {
            Ok(d) => *docker = Some(d),
            Err(e) => {
                // The supervisor reports the endpoint down; try again next tick.
                log::debug!("sampler {}: {e}", engine.name());
                queue.clear();
                return;
            }
        }
    }
    let Some(client) = docker.as_ref() else {
        return;
    };
    while in_flight.len() < config.api_concurrency {
        let Some(key) = queue.pop_front() else {
            break;
        };
        if !asked.insert(key.id.clone()) {
            continue;
        }
        last_asked.insert(key.id.clone(), Instant::now());
        let client = client.clone();
        in_flight.spawn(async move {
            let answer = stats_api::sample(&client, &key.id, STATS_TIMEOUT).await;
            (key, answer)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn watch(id: &str, pid: Option<u32>, visible: bool) -> Watch {
        Watch {
            key: ContainerKey {
                endpoint: "local".into(),
                id: id.into(),
            },
            pid,
            visible,
        }
    }

    #[test]
    fn visible_rows_go_first_then_the_longest_waiting() {
        let now = Instant::now();
        let (a, b, c, d) = (
            watch("a", None, false),
            watch("b", None, true),
            watch("c", None, false),
            watch("d", None, false),
        );
        let last: HashMap<String, Instant> = [
            ("a".to_string(), now),
            ("c".to_string(), now - Duration::from_secs(5)),
        ]
        .into();
        let mut wanted = vec![&a, &b, &c, &d];
        api_order(&mut wanted, &last);
        let ids: Vec<&str> = wanted.iter().map(|w| w.key.id.as_str()).collect();
        assert_eq!(ids, vec!["b", "d", "c", "a"]);
    }

    #[test]
    fn a_round_asks_every_visible_row_and_a_few_others_not_already_in_flight() {
        let ws: Vec<Watch> = (0..20)
            .map(|i| watch(&format!("c{i}"), None, i < 10))
            .collect();
        let asked: HashSet<String> = ["c0".to_string()].into();
        let round = api_round(ws.iter().collect(), &asked, &HashMap::new());
        let ids: Vec<&str> = round.iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ids.len(), 9 + OFFSCREEN_PER_TICK, "{ids:?}");
        assert!(!ids.contains(&"c0"), "in flight already");
        assert!(ids[..9]
            .iter()
            .all(|id| id[1..].parse::<u32>().unwrap() < 10));
    }

    /// A local container is read from its cgroup: one message per tick, and no engine needed
    /// (the endpoint's socket does not exist).
    #[tokio::test]
    async fn local_containers_are_sampled_from_cgroup_files_one_message_per_tick() {
        let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/cgroup/v2-cgroupfs");
        let config = SamplerConfig {
            interval: Duration::from_millis(20),
            cgroup_root: CgroupRoot {
                sys: base.join("sys"),
                proc: base.join("proc"),
            },
            ..SamplerConfig::default()
        };
        let id = "2916400af755ef00d276b0c302cf2de207e975547f0a1d7324559bbd3014ceef";
        let endpoint = EngineHandle::new(crate::engine::endpoint::Endpoint {
            name: "local".into(),
            host: "unix:///nonexistent/docker.sock".into(),
            tls: None,
        });
        let (watch_tx, watch_rx) = watch::channel(vec![watch(id, Some(10442), true)]);
        let (tx, mut rx) = mpsc::channel(8);
        let task = tokio::spawn(run(endpoint, config, watch_rx, tx));
        for _ in 0..2 {
            let msg = tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .expect("a tick")
                .expect("a message");
            let Msg::Sampled { endpoint, samples } = msg else {
                panic!("{msg:?}")
            };
            assert_eq!(endpoint, "local");
            assert_eq!(samples.len(), 1);
            assert_eq!(samples[0].1.source, crate::app::usage::SampleSource::Cgroup);
            assert_eq!(samples[0].1.memory_usage, Some(8_388_608));
        }
        // Nothing watched: no more messages (this runtime has one thread, so the sampler has
        // not run since the last receive; what it queued before is drained first).
        watch_tx.send(Vec::new()).unwrap();
        while rx.try_recv().is_ok() {}
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(rx.try_recv().is_err());
        task.abort();
    }
}
