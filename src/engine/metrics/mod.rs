//! Resource-use sources: cgroup files for a local engine (no daemon work), the stats API
//! otherwise. The periodic sampler and the one-off measurement of `ps` share them.

pub mod cgroup;
pub mod remote;
pub mod sampler;
pub mod sockets;
pub mod stats_api;

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bollard::Docker;
use futures_util::{stream, StreamExt};
use tokio::sync::Semaphore;

use self::cgroup::{CgroupPaths, CgroupRoot, CounterFiles, OpenFiles, Reading};
use self::sockets::{NamespaceSockets, Unreadable};
use super::endpoint::Endpoint;
use crate::app::model::ContainerKey;
use crate::app::usage::{Sample, TcpSockets};
use crate::app::watch::Watch;

/// Stats requests in flight per endpoint: each holds a daemon goroutine for about a second.
pub const DEFAULT_API_CONCURRENCY: usize = 4;
/// One stats request may take two collector cycles on old engines.
pub const STATS_TIMEOUT: Duration = Duration::from_secs(5);

/// Which source to use (`metrics_source` in config.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceMode {
    /// cgroup files where they can be read (here, or on an ssh:// engine's host through one
    /// batched read per tick), the stats API for the rest.
    Auto,
    /// cgroup files only: what cannot be read that way is not sampled, so the daemon never
    /// serves stats requests.
    Cgroup,
    /// Always the stats API (to compare the two, or for unusual cgroups; tests force it).
    StatsApi,
}

impl SourceMode {
    pub const NAMES: &'static [&'static str] = &["auto", "cgroup", "api"];

    pub fn parse(name: &str) -> Option<SourceMode> {
        match name {
            "auto" => Some(SourceMode::Auto),
            "cgroup" => Some(SourceMode::Cgroup),
            "api" => Some(SourceMode::StatsApi),
            _ => None,
        }
    }

    /// `WHEELHOUSE_METRICS_SOURCE=auto|cgroup|api` overrides the configuration.
    pub fn from_env() -> Option<SourceMode> {
        SourceMode::parse(std::env::var("WHEELHOUSE_METRICS_SOURCE").ok()?.as_str())
    }

    /// Whether cgroup files are to be tried.
    pub fn files(self) -> bool {
        self != SourceMode::StatsApi
    }
}

/// Time on a clock that only moves forward, from one origin for the whole process, so that
/// cgroup samples from successive samplers can still be compared.
pub fn monotonic_now() -> Duration {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed()
}

/// Whether an endpoint may be on this machine: a unix socket. Whether its containers really are
/// is decided per container, by finding the pid in /proc with that container's cgroup.
pub fn maybe_local(endpoint: &Endpoint) -> bool {
    endpoint.host.starts_with("unix://")
}

/// Reads local containers' cgroups, remembering where each one is.
/// A container whose cgroup files are readable, with what the probe keeps between samples.
#[derive(Debug)]
struct Located {
    paths: CgroupPaths,
    files: OpenFiles,
    samples: u64,
    /// What the now-and-then files said at their last reading (see `cgroup::Reading`), reused
    /// between: `memory.stat`'s inactive page cache, the OOM kills, the pids.
    inactive_file: Option<u64>,
    oom_kills: Option<u64>,
    pids_current: Option<u64>,
    /// The container's network namespace: its sock_diag socket once opened (or why it could
    /// not be), and the last reading, reused between readings like `inactive_file`.
    namespace: Namespace,
}

#[derive(Debug, Default)]
enum Namespace {
    /// Not looked at yet.
    #[default]
    Unknown,
    /// The host's own: its counters are the host's, not the container's, so none are taken.
    Host,
    /// Which namespace it is cannot be told (not root): its TCP counters are not taken (they
    /// could be the host's); the interface counters are, as they always were.
    Unknowable(String),
    /// A namespace of its own (an equal inode to the console's is `Host`, so a switch is always
    /// needed to read it).
    Own {
        /// The sock_diag socket, opened at the first dump.
        sockets: Option<NamespaceSockets>,
        /// The last reading (or why there is none), reused between dumps like `inactive_file`.
        last: Option<Result<TcpSockets, Unreadable>>,
        /// The sample count at the last dump.
        read_at_sample: Option<u64>,
        /// The namespace's TCP counters at their last reading (see [`SNMP_EVERY`]).
        segments: Option<cgroup::TcpSegments>,
        /// TCP sockets in use (IPv4, IPv6) at the last dump: unchanged, with none established,
        /// means no dump is needed.
        dumped_counts: Option<(Option<u64>, Option<u64>)>,
    },
}

/// Samples between two readings of the now-and-then files (`memory.stat` and the like).
const NOW_AND_THEN_EVERY: u64 = 5;
/// Samples between two readings of `/proc/<pid>/net/snmp`: the kernel formats over a hundred
/// counters for it (a third of the console's sampling cost when read every second), and the
/// retransmission rate is taken over windows of hundreds of segments anyway.
const SNMP_EVERY: u64 = 5;
/// Samples between two sock_diag dumps of one namespace, at the most: sockets come and go
/// slowly next to counters.
const SOCKETS_EVERY: u64 = 5;
/// Dumps a tick may make across all containers. Each walks the kernel's whole TCP hash, shared
/// by every namespace: about a millisecond on a large host however few sockets the namespace
/// has. Containers with no TCP socket need none (the namespace's own counters say so), nor do
/// those with only the same listeners as last time and nothing established; busy ones take
/// turns, visible rows first.
pub const DUMPS_PER_TICK: usize = 1;
/// …and only every this many ticks (about 1.5 ms a dump here: one every third second keeps the
/// whole of network health under 0.2 % of a core).
const DUMP_EVERY_TICKS: u64 = 3;

/// A host-network container's counters are the host's: none of them are the container's.
fn forget_network(s: &mut Sample) {
    s.net_rx_bytes = None;
    s.net_tx_bytes = None;
    s.net_drops = None;
    s.net_errors = None;
    s.tcp_out_segs = None;
    s.tcp_retrans_segs = None;
    s.tcp_established = None;
}

/// One dump of a namespace's sockets, opening its socket first if need be; after a failure the
/// socket is dropped (a dump may be left half-read in it) and opened again next time.
fn read_sockets(
    sockets: &mut Option<NamespaceSockets>,
    ns_path: &std::path::Path,
    families: &[u8],
    at: Duration,
) -> Result<TcpSockets, Unreadable> {
    if sockets.is_none() {
        *sockets = Some(NamespaceSockets::open(ns_path, false)?);
    }
    let open = sockets.as_mut().expect("just opened");
    match open.read(families) {
        Ok(t) => Ok(TcpSockets { read_at: at, ..t }),
        Err(why) => {
            *sockets = None;
            Err(Unreadable {
                why,
                permanent: false,
            })
        }
    }
}

/// The inode of a network namespace file: equal inodes, one namespace.
fn namespace_inode(path: &std::path::Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.ino())
}

#[derive(Debug, Default)]
pub struct LocalProbe {
    pub root: CgroupRoot,
    /// Per container id: the pid the paths were found for, and the paths (None: not readable,
    /// so the stats API is used until the pid changes).
    found: HashMap<String, (u32, Option<Located>)>,
    /// The inode of this process's network namespace (Some(None): unreadable), to tell
    /// host-network containers.
    host_namespace: Option<Option<u64>>,
    /// Dumps left this tick (see [`DUMPS_PER_TICK`]), and ticks so far.
    dumps_left: usize,
    ticks: u64,
}

impl LocalProbe {
    pub fn new(root: CgroupRoot) -> Self {
        LocalProbe {
            root,
            found: HashMap::new(),
            host_namespace: None,
            dumps_left: 0,
            ticks: 0,
        }
    }

    /// A new tick of the sampler: one sock_diag dump may be made in it every
    /// [`DUMP_EVERY_TICKS`].
    pub fn begin_tick(&mut self) {
        self.ticks += 1;
        self.dumps_left = if self.ticks % DUMP_EVERY_TICKS == 1 {
            DUMPS_PER_TICK
        } else {
            0
        };
    }

    /// A one-off reading (`ps`) may make `dumps` dumps.
    pub fn allow_dumps(&mut self, dumps: usize) {
        self.dumps_left = dumps;
    }

    /// A sample from the cgroup files, or None when they cannot be read (then use the API).
    /// `host` is this tick's [`CgroupRoot::host_cpu`], read once for all containers.
    pub fn sample(&mut self, w: &Watch, pid: u32, host: Option<(u64, u32)>) -> Option<Sample> {
        let id = w.key.id.as_str();
        let stale = self.found.get(id).is_none_or(|(p, _)| *p != pid);
        if stale {
            let paths = self.root.locate(pid, Some(id));
            if let Err(e) = &paths {
                log::debug!(
                    "cgroup of {}: {e}; using the stats API",
                    crate::text::short_id(id)
                );
            }
            let found = paths.ok().map(|paths| Located {
                paths,
                files: OpenFiles::default(),
                samples: 0,
                inactive_file: None,
                oom_kills: None,
                pids_current: None,
                namespace: Namespace::Unknown,
            });
            self.found.insert(id.to_owned(), (pid, found));
        }
        let host_namespace = *self
            .host_namespace
            .get_or_insert_with(|| namespace_inode(&self.root.proc.join("self/ns/net")));
        let at = self.found.get_mut(id)?.1.as_mut()?;
        let fresh_stat = at.samples % NOW_AND_THEN_EVERY == 0;
        at.samples += 1;
        let mut sample = self.root.read(
            &mut at.files,
            &at.paths,
            pid,
            monotonic_now(),
            host,
            Reading {
                now_and_then: fresh_stat,
                throttling: w.cpu_capped,
            },
        );
        if fresh_stat {
            at.inactive_file = sample.inactive_file;
            at.oom_kills = sample.oom_kills;
            at.pids_current = sample.pids_current;
        } else {
            sample.inactive_file = at.inactive_file;
            sample.oom_kills = at.oom_kills;
            sample.pids_current = at.pids_current;
        }
        let ns_path = self.root.proc.join(pid.to_string()).join("ns/net");
        if matches!(at.namespace, Namespace::Unknown) {
            at.namespace = match (namespace_inode(&ns_path), host_namespace) {
                (Some(ino), Some(host)) if ino == host => Namespace::Host,
                (Some(_), _) => Namespace::Own {
                    sockets: None,
                    last: None,
                    read_at_sample: None,
                    segments: None,
                    dumped_counts: None,
                },
                (None, _) => {
                    Namespace::Unknowable("its network namespace needs root to read".to_owned())
                }
            };
        }
        let samples = at.samples;
        match &mut at.namespace {
            Namespace::Host => {
                forget_network(&mut sample);
                sample.tcp_unreadable = Some("on the host's network: see the host".into());
            }
            Namespace::Unknowable(why) => {
                sample.tcp_unreadable = Some(why.clone());
            }
            Namespace::Own {
                sockets,
                last,
                read_at_sample,
                segments,
                dumped_counts,
            } => {
                if samples % SNMP_EVERY == 0 || segments.is_none() {
                    *segments = at
                        .files
                        .read("net/snmp", || {
                            self.root.proc.join(pid.to_string()).join("net/snmp")
                        })
                        .and_then(cgroup::parse_tcp_snmp);
                }
                if let Some(tcp) = segments {
                    sample.tcp_out_segs = Some(tcp.out_segs);
                    sample.tcp_retrans_segs = Some(tcp.retrans_segs);
                    sample.tcp_established = Some(tcp.established);
                }
                let due = read_at_sample.is_none_or(|n| samples >= n + SOCKETS_EVERY)
                    && !matches!(last, Some(Err(u)) if u.permanent);
                if due {
                    let mut in_use = |name: &'static str| {
                        at.files
                            .read(name, || self.root.proc.join(pid.to_string()).join(name))
                            .and_then(cgroup::parse_sockstat_tcp)
                    };
                    let counts = (in_use("net/sockstat"), in_use("net/sockstat6"));
                    let families: Vec<u8> = [(counts.0, sockets::IPV4), (counts.1, sockets::IPV6)]
                        .into_iter()
                        .filter(|(n, _)| n.is_none_or(|n| n > 0))
                        .map(|(_, f)| f)
                        .collect();
                    // Nothing established (the free gauge says so) and the same sockets as at
                    // the last dump: only listeners, unchanged (the engine's DNS resolver on
                    // every user-defined network). The last reading still holds.
                    let quiet = sample.tcp_established == Some(0)
                        && *dumped_counts == Some(counts)
                        && matches!(last, Some(Ok(_)));
                    if quiet {
                        if let Some(Ok(t)) = last.as_mut() {
                            t.read_at = sample.at;
                        }
                        *read_at_sample = Some(samples);
                    } else if sample.tcp_established == Some(0) {
                        // Nothing established, so no RTT to take: the sockets in use are
                        // listeners (or closing), counted by the namespace without a dump.
                        let listening = counts.0.unwrap_or(0) + counts.1.unwrap_or(0);
                        *last = Some(Ok(TcpSockets {
                            listening: u32::try_from(listening).unwrap_or(u32::MAX),
                            read_at: sample.at,
                            ..TcpSockets::default()
                        }));
                        *read_at_sample = Some(samples);
                    } else if families.is_empty() {
                        // No TCP socket at all: nothing to dump.
                        *last = Some(Ok(TcpSockets {
                            read_at: sample.at,
                            ..TcpSockets::default()
                        }));
                        *read_at_sample = Some(samples);
                    } else if self.dumps_left >= families.len() {
                        self.dumps_left -= families.len();
                        *read_at_sample = Some(samples);
                        *last = Some(read_sockets(sockets, &ns_path, &families, sample.at));
                        *dumped_counts = Some(counts);
                    }
                }
                match last {
                    Some(Ok(t)) => sample.tcp_sockets = Some(*t),
                    Some(Err(u)) => sample.tcp_unreadable = Some(u.why.clone()),
                    None => {}
                }
            }
            Namespace::Unknown => {}
        }
        // The process is gone (the container stopped between two watch updates).
        if sample.cpu_usage_ns.is_none() && sample.memory_usage.is_none() {
            self.found.remove(id);
            return None;
        }
        Some(sample)
    }

    /// Forgets containers no longer watched.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.found.retain(|id, _| keep(id));
    }
}

/// Socket dumps `ps` may make (a few milliseconds in all).
const PS_SOCKET_DUMPS: usize = 8;

/// Two samples `gap` apart of each target, for a one-off usage (`ps`). Bounded by `budget`:
/// containers whose answers do not arrive in time are left out.
pub async fn measure_once(
    endpoint: &Endpoint,
    docker: &Docker,
    targets: &[Watch],
    mode: SourceMode,
    gap: Duration,
    budget: Duration,
) -> HashMap<ContainerKey, (Sample, Sample)> {
    let deadline = tokio::time::Instant::now() + budget;
    let local = mode.files() && maybe_local(endpoint);
    let mut probe = LocalProbe::default();
    let mut firsts = Vec::new();
    let mut remote = Vec::new();
    let host = probe.root.host_cpu();
    // A one-off may spend a few more socket dumps than a tick of the console.
    probe.allow_dumps(PS_SOCKET_DUMPS);
    for t in targets {
        match t
            .pid
            .filter(|_| local)
            .and_then(|pid| probe.sample(t, pid, host))
        {
            Some(s) => firsts.push((t, s)),
            None => remote.push(t),
        }
    }
    // cgroup files: all at once, microseconds each.
    let locals = async {
        tokio::time::sleep_until((tokio::time::Instant::now() + gap).min(deadline)).await;
        let mut out = HashMap::new();
        let host = probe.root.host_cpu();
        for (t, a) in firsts {
            if let Some(b) = t.pid.and_then(|pid| probe.sample(t, pid, host)) {
                out.insert(t.key.clone(), (a, b));
            }
        }
        out
    };
    // Stats requests: at most the cap in flight. Twice as many containers are under way so
    // that those waiting out the gap do not leave request slots idle, and a started container
    // finishes before new ones start.
    let permits = Semaphore::new(DEFAULT_API_CONCURRENCY);
    let permits = &permits;
    let ask = async move |id: &str| -> Option<Sample> {
        let _permit = permits.acquire().await.ok()?;
        stats_api::sample(docker, id, STATS_TIMEOUT)
            .await
            .map_err(|e| log::debug!("{e}"))
            .ok()
    };
    let remotes = async {
        let mut pairs = std::pin::pin!(stream::iter(remote)
            .map(|t| async move {
                let a = ask(&t.key.id).await?;
                tokio::time::sleep(gap).await;
                let b = ask(&t.key.id).await?;
                Some((t.key.clone(), (a, b)))
            })
            .buffer_unordered(2 * DEFAULT_API_CONCURRENCY));
        let mut out = HashMap::new();
        while let Ok(Some(done)) = tokio::time::timeout_at(deadline, pairs.next()).await {
            out.extend(done);
        }
        out
    };
    let (mut out, remote_pairs) = tokio::join!(locals, remotes);
    out.extend(remote_pairs);
    out
}
