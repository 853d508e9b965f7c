//! One task per endpoint: every interval, sample the containers the runtime asks for and send
//! one `Msg::Sampled` with all of them. Local containers are read from their cgroup files, an
//! ssh:// engine's from its host's cgroup files in one batched read (see `remote`); the rest go
//! through the stats API, a few at a time, rows on screen first, the others in turn. How the
//! endpoint is measured is said with `Msg::Sampling` whenever it changes.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use bollard::Docker;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{interval, Instant, MissedTickBehavior};

use super::cgroup::CgroupRoot;
use super::remote::{self, Reader, Refused, RemoteProbe};
use super::{
    maybe_local, stats_api, LocalProbe, SourceMode, DEFAULT_API_CONCURRENCY, STATS_TIMEOUT,
};
use crate::app::model::{ContainerKey, Sampling};
use crate::app::usage::Sample;
use crate::app::watch::Watch;
use crate::app::Msg;
use crate::engine::handle::EngineHandle;
use crate::engine::transport::ssh;

#[derive(Debug, Clone)]
pub struct SamplerConfig {
    pub interval: Duration,
    pub api_concurrency: usize,
    pub mode: SourceMode,
    pub cgroup_root: CgroupRoot,
    /// Containers not kept fresh (off screen) are read from local files every this many
    /// intervals, in turn.
    pub offscreen_every: u64,
}

/// How often, in intervals, an off-screen local container is sampled by default.
pub const DEFAULT_OFFSCREEN_EVERY: u64 = 5;
/// Off-screen local containers read in one tick at the most: past this many, each is read less
/// often than every `offscreen_every` intervals, so that a tick costs what is shown and not the
/// inventory (1 000 containers: each off-screen one every 20 s).
pub const OFFSCREEN_READS_PER_TICK: usize = 50;

/// The intervals between two readings of an off-screen container, with `hidden` of them.
fn offscreen_cadence(every: u64, hidden: usize) -> u64 {
    every.max(hidden.div_ceil(OFFSCREEN_READS_PER_TICK) as u64)
}

impl Default for SamplerConfig {
    fn default() -> Self {
        SamplerConfig {
            interval: Duration::from_secs(1),
            api_concurrency: DEFAULT_API_CONCURRENCY,
            mode: SourceMode::Auto,
            cgroup_root: CgroupRoot::default(),
            offscreen_every: DEFAULT_OFFSCREEN_EVERY,
        }
    }
}

/// An ssh:// endpoint's dialer, for its master's arguments and status (None for other
/// endpoints; an error for an ssh:// one that cannot be dialled).
fn ssh_dialer(engine: &EngineHandle) -> Option<Result<ssh::Dialer, String>> {
    let url = engine.host();
    url.starts_with("ssh://").then(|| {
        ssh::SshTarget::parse(url)
            .and_then(|t| ssh::Dialer::new(url, &t, &ssh::SshOptions::from_env()))
    })
}

/// Whether a container not kept fresh, `index` in the watch list, is read at tick `tick`: each
/// one every `every` ticks, spread so that each tick reads about the same number.
fn offscreen_due(index: usize, tick: u64, every: u64) -> bool {
    every <= 1 || (index as u64 + tick).is_multiple_of(every)
}

type Answer = (ContainerKey, Result<Sample, String>);

/// How long a remote's batched read may take to greet, beyond ssh's connect timeout.
const GREETING_GRACE: Duration = Duration::from_secs(5);
/// A batched read that breaks (garbled, cut off, too slow) is tried again after this…
const RETRY_BROKEN: Duration = Duration::from_secs(30);
/// …and one the remote refuses (a forced command, not Linux) after this.
const RETRY_REFUSED: Duration = Duration::from_secs(600);

/// The batched read of an ssh:// endpoint, through its life.
enum RemoteFiles {
    /// Not an ssh:// endpoint, or the files are not to be read.
    Never,
    /// To be started at the next tick after `at` (once the engine answers); with why the last
    /// one did not serve.
    StartAfter(Instant, Option<String>),
    Starting(tokio::task::JoinHandle<Result<Reader, Refused>>),
    Ready(Box<RemoteProbe>),
}

impl RemoteFiles {
    fn new(dialer: Option<&Result<ssh::Dialer, String>>, mode: SourceMode) -> RemoteFiles {
        if mode.files() && dialer.is_some() {
            RemoteFiles::StartAfter(Instant::now(), None)
        } else {
            RemoteFiles::Never
        }
    }

    /// How the endpoint's remote containers are measured in this state.
    fn sampling(&self) -> Sampling {
        match self {
            RemoteFiles::Never => Sampling::StatsApi { why: None },
            RemoteFiles::StartAfter(_, why) => Sampling::StatsApi { why: why.clone() },
            RemoteFiles::Starting(_) => Sampling::Starting,
            RemoteFiles::Ready(_) => Sampling::RemoteFiles,
        }
    }

    fn broke(&mut self, why: String, retry_after: Duration) {
        log::warn!("batched read: {why}; using the stats API");
        *self = RemoteFiles::StartAfter(Instant::now() + retry_after, Some(why));
    }

    /// Moves the start along: begins it when due, takes its outcome when done.
    async fn advance(
        &mut self,
        engine: &EngineHandle,
        dialer: Option<&Result<ssh::Dialer, String>>,
    ) {
        match self {
            RemoteFiles::StartAfter(at, _) if Instant::now() >= *at => {
                // The engine first, so that its connection has made the ssh master this shares.
                if engine.docker().await.is_err() {
                    return;
                }
                let (args, master, within) = match dialer {
                    Some(Ok(d)) => (
                        remote::command_args(d.args_to_host()),
                        d.status(),
                        d.connect_timeout() + GREETING_GRACE,
                    ),
                    Some(Err(e)) => return self.broke(e.clone(), RETRY_REFUSED),
                    None => return,
                };
                *self = RemoteFiles::Starting(tokio::spawn(async move {
                    Reader::start(master, &args, within).await
                }));
            }
            RemoteFiles::Starting(task) if task.is_finished() => match task.await {
                Ok(Ok(reader)) => *self = RemoteFiles::Ready(Box::new(RemoteProbe::new(reader))),
                Ok(Err(Refused { why, lasting })) => {
                    self.broke(why, if lasting { RETRY_REFUSED } else { RETRY_BROKEN })
                }
                Err(e) => self.broke(format!("the batched read failed: {e}"), RETRY_BROKEN),
            },
            _ => {}
        }
    }
}

/// Runs until the console goes away (the message channel or the watch sender closes).
pub async fn run(
    engine: EngineHandle,
    config: SamplerConfig,
    mut watching: watch::Receiver<Vec<Watch>>,
    tx: mpsc::Sender<Msg>,
) {
    let endpoint = engine.endpoint();
    let local = config.mode.files() && maybe_local(endpoint);
    let mut probe = LocalProbe::new(config.cgroup_root.clone());
    let dialer = ssh_dialer(&engine);
    let mut remote_files = RemoteFiles::new(dialer.as_ref(), config.mode);
    let mut said: Option<Sampling> = None;
    let mut ticks: u64 = 0;
    // The ssh channels open through the endpoint's master, as last said.
    let mut channels_said: Option<(usize, bool)> = None;
    let master = dialer
        .as_ref()
        .and_then(|d| d.as_ref().ok())
        .map(|d| d.status());
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
                remote_files.advance(&engine, dialer.as_ref()).await;
                if let RemoteFiles::Ready(remote) = &mut remote_files {
                    // The next tick waits for this one: a slow remote slows the ticks rather
                    // than piling reads up.
                    let within = (config.interval * 3).max(Duration::from_secs(5));
                    match tokio::time::timeout(within, remote.tick(&list)).await {
                        Ok(Ok(tick)) => {
                            pending.extend(tick.samples);
                            let elsewhere: HashSet<&ContainerKey> = tick.elsewhere.iter().collect();
                            via_api.extend(list.iter().filter(|w| elsewhere.contains(&w.key)));
                        }
                        Ok(Err(why)) => {
                            remote_files.broke(why, RETRY_BROKEN);
                            via_api.extend(list.iter());
                        }
                        Err(_) => {
                            let why = format!("the remote took over {} s to answer", within.as_secs());
                            remote_files.broke(why, RETRY_BROKEN);
                            via_api.extend(list.iter());
                        }
                    }
                } else {
                    let host = if local { probe.root.host_cpu() } else { None };
                    probe.begin_tick();
                    ticks += 1;
                    // Visible rows first: they get this tick's socket dumps before the others.
                    let (shown, hidden): (Vec<&Watch>, Vec<&Watch>) = list.iter().partition(|w| w.visible);
                    let every = offscreen_cadence(config.offscreen_every, hidden.len());
                    for (i, w) in shown.into_iter().chain(hidden).enumerate() {
                        let due = w.keep_fresh || offscreen_due(i, ticks, every);
                        if local && w.pid.is_some() && !due {
                            continue;
                        }
                        let cgroup = w.pid.filter(|_| local).and_then(|pid| probe.sample(w, pid, host));
                        match cgroup {
                            Some(s) => pending.push((w.key.clone(), s)),
                            None => via_api.push(w),
                        }
                    }
                }
                let mut sampling = if local { Sampling::LocalFiles } else { remote_files.sampling() };
                if config.mode == SourceMode::Cgroup {
                    // Files only: the daemon is never asked.
                    if let Sampling::StatsApi { why } = sampling {
                        let why = why.unwrap_or_else(|| "cgroup files cannot be read for this endpoint".into());
                        sampling = Sampling::Unavailable { why };
                    }
                    via_api.clear();
                }
                if let Some(master) = &master {
                    let open = (master.channels(), master.forwarded());
                    if channels_said != Some(open) {
                        channels_said = Some(open);
                        let (open, forwarded) = open;
                        let msg = Msg::SshChannels { endpoint: endpoint.name.clone(), open, forwarded };
                        if tx.send(msg).await.is_err() {
                            return;
                        }
                    }
                }
                if !list.is_empty() && said.as_ref() != Some(&sampling) {
                    said = Some(sampling.clone());
                    let msg = Msg::Sampling { endpoint: endpoint.name.clone(), sampling };
                    if tx.send(msg).await.is_err() {
                        return;
                    }
                }
                queue = api_round(via_api, &asked, &last_asked);
                if !queue.is_empty() {
                    ask_api(&engine, &mut docker, &mut queue, &config, &mut in_flight, &mut asked, &mut last_asked).await;
                }
                if !pending.is_empty() {
                    let samples = latest_per_container(std::mem::take(&mut pending));
                    let msg = Msg::Sampled { endpoint: endpoint.name.clone(), samples };
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

/// One sample per container, the latest: a stats answer that arrived after the container's
/// files became readable (a remote's batched read starting) gives way to this tick's reading.
fn latest_per_container(mut samples: Vec<(ContainerKey, Sample)>) -> Vec<(ContainerKey, Sample)> {
    let mut seen: HashSet<ContainerKey> = HashSet::with_capacity(samples.len());
    samples.reverse();
    samples.retain(|(key, _)| seen.insert(key.clone()));
    samples.reverse();
    samples
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
            keep_fresh: visible,
            cpu_capped: false,
        }
    }

    #[test]
    fn off_screen_containers_take_turns_one_tick_in_five() {
        for tick in 0..20 {
            let due = (0..100).filter(|&i| offscreen_due(i, tick, 5)).count();
            assert_eq!(due, 20, "tick {tick}");
        }
        // Each container once in any five ticks in a row.
        for i in 0..10 {
            assert_eq!((7..12).filter(|&t| offscreen_due(i, t, 5)).count(), 1);
        }
        assert!((0..5).all(|t| offscreen_due(3, t, 1)));
    }

    #[test]
    fn off_screen_reads_a_tick_are_capped_so_a_tick_costs_what_is_shown() {
        assert_eq!(offscreen_cadence(5, 55), 5);
        assert_eq!(offscreen_cadence(5, 255), 6);
        assert_eq!(offscreen_cadence(5, 955), 20);
        assert_eq!(offscreen_cadence(1, 40), 1);
        for hidden in [55usize, 255, 955, 9_955] {
            let every = offscreen_cadence(5, hidden);
            for tick in 0..every {
                let due = (0..hidden)
                    .filter(|&i| offscreen_due(i, tick, every))
                    .count();
                assert!(
                    due <= OFFSCREEN_READS_PER_TICK,
                    "{hidden} hidden: {due} at tick {tick}"
                );
            }
        }
    }

    #[test]
    fn a_late_stats_answer_gives_way_to_the_ticks_own_reading() {
        use crate::app::usage::SampleSource;
        let key = |id: &str| watch(id, None, true).key;
        let at = Duration::from_secs(1);
        let samples = vec![
            (key("a"), Sample::empty(SampleSource::StatsApi, at)),
            (key("b"), Sample::empty(SampleSource::StatsApi, at)),
            (key("a"), Sample::empty(SampleSource::Cgroup, at)),
        ];
        let kept: Vec<(String, SampleSource)> = latest_per_container(samples)
            .into_iter()
            .map(|(k, s)| (k.id, s.source))
            .collect();
        assert_eq!(
            kept,
            vec![
                ("b".to_string(), SampleSource::StatsApi),
                ("a".to_string(), SampleSource::Cgroup)
            ]
        );
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
        let first = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        let Ok(Some(Msg::Sampling { sampling, .. })) = first else {
            panic!("{first:?}")
        };
        assert_eq!(sampling, Sampling::LocalFiles);
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
