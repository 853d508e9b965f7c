//! Resource-use sources: cgroup files for a local engine (no daemon work), the stats API
//! otherwise. The periodic sampler and the one-off measurement of `ps` share them.

pub mod cgroup;
pub mod sampler;
pub mod stats_api;

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bollard::Docker;
use futures_util::{stream, StreamExt};

use self::cgroup::{CgroupPaths, CgroupRoot};
use super::endpoint::Endpoint;
use crate::app::model::ContainerKey;
use crate::app::usage::Sample;
use crate::app::watch::Watch;

/// Stats requests in flight per endpoint: each holds a daemon goroutine for about a second.
pub const DEFAULT_API_CONCURRENCY: usize = 4;
/// One stats request may take two collector cycles on old engines.
pub const STATS_TIMEOUT: Duration = Duration::from_secs(5);

/// Which source to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceMode {
    /// cgroup files when the engine is local and the container's cgroup is readable.
    Auto,
    /// Always the stats API (remote engines behave like this; tests force it).
    StatsApi,
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
#[derive(Debug, Default)]
pub struct LocalProbe {
    pub root: CgroupRoot,
    /// Per container id: the pid the paths were found for, and the paths (None: not readable,
    /// so the stats API is used until the pid changes).
    found: HashMap<String, (u32, Option<CgroupPaths>)>,
}

impl LocalProbe {
    pub fn new(root: CgroupRoot) -> Self {
        LocalProbe {
            root,
            found: HashMap::new(),
        }
    }

    /// A sample from the cgroup files, or None when they cannot be read (then use the API).
    pub fn sample(&mut self, id: &str, pid: u32) -> Option<Sample> {
        let stale = self.found.get(id).is_none_or(|(p, _)| *p != pid);
        if stale {
            let paths = self.root.locate(pid, Some(id));
            if let Err(e) = &paths {
                log::debug!("cgroup of {}: {e}; using the stats API", short(id));
            }
            self.found.insert(id.to_owned(), (pid, paths.ok()));
        }
        let paths = self.found.get(id)?.1.as_ref()?;
        let (sample, _) = self.root.read(paths, pid, monotonic_now());
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

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// Two samples `gap` apart of each target, for a one-off usage (`ps`). Bounded by `budget`
/// overall: containers whose answers do not arrive in time are left out.
pub async fn measure_once(
    endpoint: &Endpoint,
    docker: &Docker,
    targets: &[Watch],
    mode: SourceMode,
    gap: Duration,
    budget: Duration,
) -> HashMap<ContainerKey, (Sample, Sample)> {
    let deadline = tokio::time::Instant::now() + budget;
    let mut probe = LocalProbe::default();
    let local = mode == SourceMode::Auto && maybe_local(endpoint);
    let round = async |probe: &mut LocalProbe| -> HashMap<ContainerKey, Sample> {
        let mut out = HashMap::new();
        let mut remote = Vec::new();
        for t in targets {
            match t
                .pid
                .filter(|_| local)
                .and_then(|pid| probe.sample(&t.key.id, pid))
            {
                Some(s) => {
                    out.insert(t.key.clone(), s);
                }
                None => remote.push(t.key.clone()),
            }
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let answers = stream::iter(remote)
            .map(|key| async move {
                let s = stats_api::sample(docker, &key.id, STATS_TIMEOUT.min(left)).await;
                (key, s)
            })
            .buffer_unordered(DEFAULT_API_CONCURRENCY)
            .collect::<Vec<_>>();
        if let Ok(answers) = tokio::time::timeout(left, answers).await {
            for (key, s) in answers {
                match s {
                    Ok(s) => {
                        out.insert(key, s);
                    }
                    Err(e) => log::debug!("{e}"),
                }
            }
        }
        out
    };
    let first = round(&mut probe).await;
    if first.is_empty() {
        return HashMap::new();
    }
    tokio::time::sleep_until((tokio::time::Instant::now() + gap).min(deadline)).await;
    let mut second = round(&mut probe).await;
    first
        .into_iter()
        .filter_map(|(k, a)| second.remove(&k).map(|b| (k, (a, b))))
        .collect()
}
