//! Resource use against limits, as plain data: the limits a container was given, raw counter
//! samples, the usage derived from two samples, and bounded histories for sparklines.
//! Pure: no clock, no files; samples carry their own (monotonic) time.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What the engine was asked to enforce (HostConfig). `None` means "not set" (the engine's 0).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub nano_cpus: Option<i64>,
    pub cpu_quota_us: Option<i64>,
    pub cpu_period_us: Option<i64>,
    pub cpuset_cpus: Option<String>,
    pub memory: Option<u64>,
    pub memory_reservation: Option<u64>,
    /// Memory + swap; -1 means unlimited swap.
    pub memory_swap: Option<i64>,
    pub pids: Option<i64>,
}

/// Which setting bounds the container's CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CpuLimitKind {
    NanoCpus,
    Quota,
    Cpuset,
    /// No limit: the whole host.
    Host,
}

/// The kernel's default CFS period when only a quota is given.
const DEFAULT_CFS_PERIOD_US: i64 = 100_000;

impl Limits {
    /// CPUs the container may use and which setting decides it (the tightest one wins).
    pub fn effective_cpus(&self, host_cpus: u32) -> (f64, CpuLimitKind) {
        let host = f64::from(host_cpus.max(1));
        let mut best = (host, CpuLimitKind::Host);
        let mut consider = |cpus: f64, kind| {
            if cpus > 0.0 && cpus < best.0 {
                best = (cpus, kind);
            }
        };
        if let Some(n) = self.nano_cpus.filter(|n| *n > 0) {
            consider(n as f64 / 1e9, CpuLimitKind::NanoCpus);
        }
        if let Some(q) = self.cpu_quota_us.filter(|q| *q > 0) {
            let period = self
                .cpu_period_us
                .filter(|p| *p > 0)
                .unwrap_or(DEFAULT_CFS_PERIOD_US);
            consider(q as f64 / period as f64, CpuLimitKind::Quota);
        }
        if let Some(n) = self.cpuset_cpus.as_deref().and_then(cpuset_size) {
            consider(n as f64, CpuLimitKind::Cpuset);
        }
        best
    }

    /// A CFS quota bounds the CPU (whatever the host has): the kernel may throttle it.
    pub fn cpu_capped(&self) -> bool {
        self.nano_cpus.is_some_and(|n| n > 0) || self.cpu_quota_us.is_some_and(|q| q > 0)
    }

    /// The memory limit in bytes, when there is one.
    pub fn memory_limit(&self) -> Option<u64> {
        self.memory.filter(|m| *m > 0)
    }

    /// The pids limit, when there is one (the engine uses 0 and -1 for none).
    pub fn pids_limit(&self) -> Option<u64> {
        self.pids.filter(|p| *p > 0).map(|p| p as u64)
    }
}

/// `512B`, `12K`, `3.4M`, `1.2G`: short enough for a table cell.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "K", "M", "G", "T"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 || v >= 10.0 {
        format!("{v:.0}{}", UNITS[unit])
    } else {
        format!("{v:.1}{}", UNITS[unit])
    }
}

/// A size as the docker CLI takes it: `256m`, `1g`, `512k`, `1.5g`, `100b` or bytes (`4096`);
/// binary units, case-insensitive, an optional trailing `b` (`256mb`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim().to_ascii_lowercase();
    let t = t
        .strip_suffix('b')
        .filter(|r| !r.is_empty() && r.ends_with(|c: char| c.is_ascii_alphabetic()))
        .unwrap_or(&t);
    let (number, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => t.split_at(at),
        None => (t, ""),
    };
    let factor: u64 = match unit {
        "" | "b" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return Err(format!("{text:?}: unknown unit {unit:?} (use b, k, m, g)")),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size (e.g. 256m, 1g)"))?;
    if !(value.is_finite() && value > 0.0) {
        return Err(format!("{text:?}: a size must be above zero"));
    }
    Ok((value * factor as f64).round() as u64)
}

/// Number of CPUs in a cpuset list like `0-2,4`; None when empty or malformed.
pub fn cpuset_size(spec: &str) -> Option<u32> {
    let mut n = 0u32;
    for part in spec.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                n += b.checked_sub(a)? + 1;
            }
            None => {
                part.trim().parse::<u32>().ok()?;
                n += 1;
            }
        }
    }
    (n > 0).then_some(n)
}

/// Where a sample came from; deltas are only taken between samples of the same source,
/// because their clocks differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleSource {
    Cgroup,
    StatsApi,
}

/// Raw cumulative counters at one instant. Each field is None when the source lacks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub source: SampleSource,
    /// Time of the reading on a clock that only moves forward for one source.
    pub at: Duration,
    pub cpu_usage_ns: Option<u64>,
    /// The host's total CPU time (all cores), the denominator `docker stats` uses.
    pub system_cpu_ns: Option<u64>,
    pub online_cpus: Option<u32>,
    pub nr_periods: Option<u64>,
    pub nr_throttled: Option<u64>,
    pub throttled_ns: Option<u64>,
    pub memory_usage: Option<u64>,
    pub inactive_file: Option<u64>,
    pub pids_current: Option<u64>,
    pub oom_kills: Option<u64>,
    pub net_rx_bytes: Option<u64>,
    pub net_tx_bytes: Option<u64>,
    /// Packets dropped and errors, received and sent together, on every interface but
    /// loopback (cumulative, like the byte counters).
    pub net_drops: Option<u64>,
    pub net_errors: Option<u64>,
    /// TCP segments the container's namespace sent, and how many of them were retransmissions
    /// (cumulative, from `/proc/<pid>/net/snmp`; local engines only).
    #[serde(default)]
    pub tcp_out_segs: Option<u64>,
    #[serde(default)]
    pub tcp_retrans_segs: Option<u64>,
    /// TCP connections established now (the same file's gauge).
    #[serde(default)]
    pub tcp_established: Option<u64>,
    /// The namespace's TCP sockets, read every few samples (local engines only)…
    #[serde(default)]
    pub tcp_sockets: Option<TcpSockets>,
    /// …or why they could not be (not root, the process gone, the host's own namespace).
    #[serde(default)]
    pub tcp_unreadable: Option<String>,
    pub blk_read_bytes: Option<u64>,
    pub blk_write_bytes: Option<u64>,
}

impl Sample {
    pub fn empty(source: SampleSource, at: Duration) -> Sample {
        Sample {
            source,
            at,
            cpu_usage_ns: None,
            system_cpu_ns: None,
            online_cpus: None,
            nr_periods: None,
            nr_throttled: None,
            throttled_ns: None,
            memory_usage: None,
            inactive_file: None,
            pids_current: None,
            oom_kills: None,
            net_rx_bytes: None,
            net_drops: None,
            net_errors: None,
            net_tx_bytes: None,
            tcp_out_segs: None,
            tcp_retrans_segs: None,
            tcp_established: None,
            tcp_sockets: None,
            tcp_unreadable: None,
            blk_read_bytes: None,
            blk_write_bytes: None,
        }
    }

    /// Memory as `docker stats` shows it: usage minus the inactive page cache.
    pub fn working_set(&self) -> Option<u64> {
        let usage = self.memory_usage?;
        Some(match self.inactive_file {
            Some(inactive) if inactive < usage => usage - inactive,
            _ => usage,
        })
    }
}

/// A container's TCP sockets at one reading, as sock_diag gives them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpSockets {
    pub listening: u32,
    pub established: u32,
    /// When they were read, on the samples' clock: a dump is costly, so it is taken seldom and
    /// reused between (see the sampler), and the screen says how old it is.
    #[serde(default)]
    pub read_at: Duration,
    /// Median and 95th percentile of the established sockets' smoothed RTT, in microseconds
    /// (None with no established socket).
    pub rtt_p50_us: Option<u32>,
    pub rtt_p95_us: Option<u32>,
}

/// What the console shows: rates from two samples, levels from the latest, against the limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// 100 % = one core, as `docker stats`.
    pub cpu_percent: Option<f64>,
    pub cpu_limit_cpus: f64,
    pub cpu_limit_kind: CpuLimitKind,
    /// 100 % = the whole limit (or the whole host when unlimited).
    pub cpu_percent_of_limit: Option<f64>,
    /// Share of CFS periods in which the container was throttled.
    pub throttled_percent: Option<f64>,
    pub memory_working_set: Option<u64>,
    pub memory_limit: Option<u64>,
    /// None when there is no limit: a percentage of host RAM would mislead.
    pub memory_percent_of_limit: Option<f64>,
    /// The soft limit the kernel reclaims towards under host memory pressure.
    pub memory_reservation: Option<u64>,
    pub pids: Option<u64>,
    pub pids_limit: Option<u64>,
    pub pids_percent_of_limit: Option<f64>,
    pub oom_kills: Option<u64>,
    pub net_rx_bytes_per_sec: Option<f64>,
    pub net_tx_bytes_per_sec: Option<f64>,
    /// Drops and errors since the container's interfaces came up, and how many are new since
    /// the previous sample (what the NET column warns about).
    #[serde(default)]
    pub net_drops: Option<u64>,
    #[serde(default)]
    pub net_errors: Option<u64>,
    #[serde(default)]
    pub net_new_drops: Option<u64>,
    #[serde(default)]
    pub net_new_errors: Option<u64>,
    /// Retransmitted segments as a share of those sent, over the last window in which enough
    /// were sent to say (see [`RetransmitWindow`]); None until then.
    #[serde(default)]
    pub tcp_retransmit_percent: Option<f64>,
    /// The namespace's TCP counters were read (so a missing percentage means too few segments).
    #[serde(default)]
    pub tcp_counted: bool,
    #[serde(default)]
    pub tcp_established: Option<u64>,
    /// How old `tcp_sockets` is, in seconds.
    #[serde(default)]
    pub tcp_sockets_age_secs: Option<f64>,
    #[serde(default)]
    pub tcp_sockets: Option<TcpSockets>,
    #[serde(default)]
    pub tcp_unreadable: Option<String>,
    pub blk_read_bytes_per_sec: Option<f64>,
    pub blk_write_bytes_per_sec: Option<f64>,
}

/// Host CPUs when a sample does not say (cgroup readers fill it from /proc/stat).
const FALLBACK_HOST_CPUS: u32 = 1;

impl Usage {
    /// Usage at `cur`, with rates over `prev..cur` when `prev` is an earlier sample of the same
    /// source. Counters that went backwards (a restart) give no rate rather than a wrong one.
    pub fn derive(prev: Option<&Sample>, cur: &Sample, limits: &Limits) -> Usage {
        let host_cpus = cur.online_cpus.unwrap_or(FALLBACK_HOST_CPUS);
        let (cpu_limit_cpus, cpu_limit_kind) = limits.effective_cpus(host_cpus);
        let prev = prev.filter(|p| p.source == cur.source && p.at < cur.at);
        let elapsed = prev.map(|p| (cur.at - p.at).as_secs_f64());
        let delta = |f: fn(&Sample) -> Option<u64>| -> Option<u64> {
            let (a, b) = (f(prev?)?, f(cur)?);
            b.checked_sub(a)
        };
        let rate = |f: fn(&Sample) -> Option<u64>| -> Option<f64> {
            let secs = elapsed.filter(|s| *s > 0.0)?;
            Some(delta(f)? as f64 / secs)
        };
        let cpu_delta = delta(|s| s.cpu_usage_ns);
        let cpu_percent = match (cpu_delta, delta(|s| s.system_cpu_ns)) {
            // The docker stats formula, when the source reports system time.
            (Some(c), Some(sys)) if sys > 0 => {
                Some(c as f64 / sys as f64 * host_cpus as f64 * 100.0)
            }
            (Some(c), _) => elapsed
                .filter(|s| *s > 0.0)
                .map(|secs| c as f64 / 1e9 / secs * 100.0),
            _ => None,
        };
        let throttled_percent = match (delta(|s| s.nr_throttled), delta(|s| s.nr_periods)) {
            (Some(t), Some(p)) if p > 0 => Some((t as f64 / p as f64 * 100.0).min(100.0)),
            (Some(_), Some(_)) => Some(0.0),
            _ => None,
        };
        let memory_working_set = cur.working_set();
        let memory_limit = limits.memory_limit();
        let pids_limit = limits.pids_limit();
        Usage {
            cpu_percent,
            cpu_limit_cpus,
            cpu_limit_kind,
            cpu_percent_of_limit: cpu_percent.map(|p| p / cpu_limit_cpus),
            throttled_percent,
            memory_working_set,
            memory_limit,
            memory_percent_of_limit: percent(memory_working_set, memory_limit),
            memory_reservation: limits.memory_reservation.filter(|r| *r > 0),
            pids: cur.pids_current,
            pids_limit,
            pids_percent_of_limit: percent(cur.pids_current, pids_limit),
            oom_kills: cur.oom_kills,
            net_rx_bytes_per_sec: rate(|s| s.net_rx_bytes),
            net_tx_bytes_per_sec: rate(|s| s.net_tx_bytes),
            net_drops: cur.net_drops,
            net_errors: cur.net_errors,
            net_new_drops: delta(|s| s.net_drops),
            net_new_errors: delta(|s| s.net_errors),
            // Filled in by `UsageEntry::record`, which keeps the window.
            tcp_retransmit_percent: None,
            tcp_counted: cur.tcp_out_segs.is_some(),
            tcp_established: cur.tcp_established,
            tcp_sockets_age_secs: cur
                .tcp_sockets
                .map(|t| cur.at.saturating_sub(t.read_at).as_secs_f64()),
            tcp_sockets: cur.tcp_sockets,
            tcp_unreadable: cur.tcp_unreadable.clone(),
            blk_read_bytes_per_sec: rate(|s| s.blk_read_bytes),
            blk_write_bytes_per_sec: rate(|s| s.blk_write_bytes),
        }
    }
}

fn percent(value: Option<u64>, limit: Option<u64>) -> Option<f64> {
    let (v, l) = (value?, limit?);
    (l > 0).then(|| v as f64 / l as f64 * 100.0)
}

/// Points kept per series by default: ten minutes at one sample a second.
pub const DEFAULT_HISTORY_POINTS: usize = 600;

/// A fixed-capacity series; the oldest point falls off. Points are kept as bfloat16 (the top
/// half of an f32: its range, within 0.4 %): a sparkline has eight levels a row, the peaks
/// beside it are short figures (`human_bytes`; exact values come from the latest usage, not
/// from here), and a thousand containers' seven series of ten minutes take 8 MB this way
/// instead of 17. A missing value is stored as NaN so
/// that series stay aligned in time.
#[derive(Debug, Clone, PartialEq)]
pub struct Ring {
    points: VecDeque<u16>,
    capacity: usize,
}

/// f32 to bfloat16, rounding to nearest (ties to even); NaN stays NaN.
fn to_bf16(v: f32) -> u16 {
    if v.is_nan() {
        return BF16_NAN;
    }
    let bits = v.to_bits();
    let round = 0x7fff + ((bits >> 16) & 1);
    (bits.wrapping_add(round) >> 16) as u16
}

fn from_bf16(b: u16) -> f32 {
    f32::from_bits(u32::from(b) << 16)
}

const BF16_NAN: u16 = 0x7fc0;

/// Room for one more point, doubling up to `capacity` exactly: off-screen and remote
/// containers gather points slowly, and a series allocated whole up front cost every container
/// its full window from its first sample.
fn grow_towards<T>(points: &mut VecDeque<T>, capacity: usize) {
    let len = points.len();
    if len == points.capacity() && len < capacity {
        points.reserve_exact(len.max(8).min(capacity - len));
    }
}

impl Ring {
    pub fn new(capacity: usize) -> Ring {
        Ring {
            points: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn push(&mut self, value: Option<f64>) {
        if self.points.len() == self.capacity {
            self.points.pop_front();
        }
        grow_towards(&mut self.points, self.capacity);
        self.points
            .push_back(value.map_or(BF16_NAN, |v| to_bf16(v as f32)));
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Oldest first; None where no value was known.
    pub fn iter(&self) -> impl Iterator<Item = Option<f32>> + '_ {
        self.points
            .iter()
            .map(|&b| Some(from_bf16(b)).filter(|v| !v.is_nan()))
    }

    pub fn last(&self) -> Option<f32> {
        self.points
            .back()
            .map(|&b| from_bf16(b))
            .filter(|v| !v.is_nan())
    }

    /// The series squeezed into at most `width` columns, oldest first: each column is the
    /// highest value of its share of the points (a peak is what matters against a limit), or
    /// None when that share holds no value. With fewer points than columns, one point each.
    pub fn columns(&self, width: usize) -> Vec<Option<f32>> {
        let n = self.points.len();
        if n <= width {
            return self.iter().collect();
        }
        (0..width)
            .map(|col| {
                let (from, to) = (col * n / width, (col + 1) * n / width);
                self.points
                    .range(from..to)
                    .map(|&b| from_bf16(b))
                    .filter(|v| !v.is_nan())
                    .reduce(f32::max)
            })
            .collect()
    }
}

/// The series the views draw, one point per sample.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub cpu_percent_of_limit: Ring,
    pub throttled_percent: Ring,
    pub memory_working_set: Ring,
    pub net_rx_bytes_per_sec: Ring,
    pub net_tx_bytes_per_sec: Ring,
    pub blk_read_bytes_per_sec: Ring,
    pub blk_write_bytes_per_sec: Ring,
    /// Per point, the time since the point before it in tenths of a second (0 when unknown:
    /// the first point, or the first after a stop). Sampling is irregular (remote and off-screen
    /// containers are sampled in turn), so the points' count does not tell the time they cover.
    gaps_ds: VecDeque<u16>,
    gaps_sum_ds: u64,
}

impl Default for History {
    fn default() -> Self {
        History::new(DEFAULT_HISTORY_POINTS)
    }
}

impl History {
    pub fn new(points: usize) -> History {
        History {
            cpu_percent_of_limit: Ring::new(points),
            throttled_percent: Ring::new(points),
            memory_working_set: Ring::new(points),
            net_rx_bytes_per_sec: Ring::new(points),
            net_tx_bytes_per_sec: Ring::new(points),
            blk_read_bytes_per_sec: Ring::new(points),
            blk_write_bytes_per_sec: Ring::new(points),
            gaps_ds: VecDeque::new(),
            gaps_sum_ds: 0,
        }
    }

    /// Adds a point, `gap` after the previous one (None when that is unknown).
    pub fn push(&mut self, u: &Usage, gap: Option<Duration>) {
        if self.gaps_ds.len() == self.cpu_percent_of_limit.capacity() {
            let dropped = self.gaps_ds.pop_front().unwrap_or(0);
            self.gaps_sum_ds -= u64::from(dropped);
        }
        let gap_ds = gap.map_or(0, |g| {
            (g.as_millis() / 100).min(u128::from(u16::MAX)) as u16
        });
        grow_towards(&mut self.gaps_ds, self.cpu_percent_of_limit.capacity());
        self.gaps_ds.push_back(gap_ds);
        self.gaps_sum_ds += u64::from(gap_ds);
        self.cpu_percent_of_limit.push(u.cpu_percent_of_limit);
        self.throttled_percent.push(u.throttled_percent);
        self.memory_working_set
            .push(u.memory_working_set.map(|b| b as f64));
        self.net_rx_bytes_per_sec.push(u.net_rx_bytes_per_sec);
        self.net_tx_bytes_per_sec.push(u.net_tx_bytes_per_sec);
        self.blk_read_bytes_per_sec.push(u.blk_read_bytes_per_sec);
        self.blk_write_bytes_per_sec.push(u.blk_write_bytes_per_sec);
    }

    pub fn len(&self) -> usize {
        self.cpu_percent_of_limit.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sampled time the points cover, from the oldest to the newest.
    pub fn span(&self) -> Duration {
        // The oldest point's own gap reaches back to a point no longer kept.
        let oldest = self.gaps_ds.front().copied().map_or(0, u64::from);
        Duration::from_millis((self.gaps_sum_ds - oldest) * 100)
    }
}

/// Segments a window must hold before its retransmission rate is said: with fewer, one
/// retransmission would read as a large share.
pub const RETRANSMIT_MIN_SEGMENTS: u64 = 500;
/// A window that has not gathered enough segments in this long starts again, and the old rate
/// is dropped: a rate from minutes ago says nothing about a link that went quiet.
pub const RETRANSMIT_MAX_WINDOW: Duration = Duration::from_secs(60);

/// The retransmission rate over windows of at least [`RETRANSMIT_MIN_SEGMENTS`] sent segments:
/// busy containers get a fresh rate every sample or so, quiet ones every few seconds, idle ones
/// none.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RetransmitWindow {
    /// Counters (sent, retransmitted) and time where the current window began.
    start: Option<(u64, u64, Duration)>,
    pub percent: Option<f64>,
}

impl RetransmitWindow {
    pub fn add(&mut self, s: &Sample) {
        let (Some(out), Some(retrans)) = (s.tcp_out_segs, s.tcp_retrans_segs) else {
            *self = RetransmitWindow::default();
            return;
        };
        let Some((out0, retrans0, at0)) = self.start else {
            self.start = Some((out, retrans, s.at));
            return;
        };
        // Counters went backwards: a new namespace (the container restarted).
        let (Some(sent), Some(again)) = (out.checked_sub(out0), retrans.checked_sub(retrans0))
        else {
            *self = RetransmitWindow::default();
            self.start = Some((out, retrans, s.at));
            return;
        };
        if sent >= RETRANSMIT_MIN_SEGMENTS {
            self.percent = Some((again as f64 / sent as f64 * 100.0).min(100.0));
            self.start = Some((out, retrans, s.at));
        } else if s.at.saturating_sub(at0) > RETRANSMIT_MAX_WINDOW {
            self.percent = None;
            self.start = Some((out, retrans, s.at));
        }
    }
}

/// Per container in `App::usage`: the previous sample (for the next delta), the current usage
/// (None once the container stopped) and the history (kept for a while after a stop).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UsageEntry {
    pub prev: Option<Sample>,
    pub latest: Option<Usage>,
    pub history: History,
    /// When the container was first seen stopped since its last sample.
    pub stopped_at: Option<chrono::DateTime<chrono::Utc>>,
    pub retransmits: RetransmitWindow,
    pub net_alarm: crate::app::nethealth::NetAlarm,
    /// When the latest sample arrived (the screen says how old it is once it is late).
    pub sampled_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// How late the latest sample is at `now`, in whole seconds, once it is older than two
/// sampling intervals (a remote or slow source fell behind): the screen says so then.
pub fn late_secs(
    entry: &UsageEntry,
    now: chrono::DateTime<chrono::Utc>,
    sample_ms: u64,
) -> Option<i64> {
    let age = now - entry.sampled_at?;
    let late = age.num_milliseconds() > 2 * i64::try_from(sample_ms).unwrap_or(i64::MAX);
    late.then(|| age.num_seconds())
}

/// The median age in seconds of the latest samples of `entries` at `now`.
pub fn median_age_secs<'a>(
    entries: impl Iterator<Item = &'a UsageEntry>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<f64> {
    let mut ages: Vec<i64> = entries
        .filter_map(|e| e.sampled_at)
        .map(|at| (now - at).num_milliseconds().max(0))
        .collect();
    if ages.is_empty() {
        return None;
    }
    ages.sort_unstable();
    Some(ages[ages.len() / 2] as f64 / 1000.0)
}

/// How long a stopped container's history is kept: the history window (`DEFAULT_HISTORY_POINTS`
/// samples). Its charts still explain the stop (memory climbing to the limit before an OOM
/// kill, say); after the window they would show nothing recent, and a host where many
/// containers come and go would otherwise hold a history for every container that ever ran.
pub fn stopped_history_kept(sample_ms: u64) -> chrono::TimeDelta {
    let ms = (DEFAULT_HISTORY_POINTS as u64).saturating_mul(sample_ms);
    chrono::TimeDelta::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX))
}

impl UsageEntry {
    /// Takes a new sample: derives usage against `limits` and records it.
    pub fn record(&mut self, sample: Sample, limits: &Limits) {
        let mut usage = Usage::derive(self.prev.as_ref(), &sample, limits);
        self.retransmits.add(&sample);
        usage.tcp_retransmit_percent = self.retransmits.percent;
        let gap = self.prev.as_ref().and_then(|p| sample.at.checked_sub(p.at));
        self.history.push(&usage, gap);
        self.latest = Some(usage);
        self.prev = Some(sample);
        self.stopped_at = None;
    }

    /// The container is seen stopped at `now`: no current usage, and no delta across the gap.
    pub fn stopped(&mut self, now: chrono::DateTime<chrono::Utc>) {
        self.latest = None;
        self.prev = None;
        self.retransmits = RetransmitWindow::default();
        // A new run is a new namespace: its problems, if any, are said again.
        self.net_alarm = crate::app::nethealth::NetAlarm::default();
        self.stopped_at.get_or_insert(now);
    }

    /// Whether the history is still worth keeping at `now`, given how long stopped containers'
    /// histories are `kept`.
    pub fn worth_keeping(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        kept: chrono::TimeDelta,
    ) -> bool {
        self.stopped_at.is_none_or(|at| now - at < kept)
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn sizes_read_like_the_docker_cli() {
        assert_eq!(parse_size("256m"), Ok(256 << 20));
        assert_eq!(parse_size("256MB"), Ok(256 << 20));
        assert_eq!(parse_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("100b"), Ok(100));
        assert!(parse_size("12q").unwrap_err().contains("unknown unit"));
        assert!(parse_size("-5m").is_err());
        assert!(parse_size("lots").is_err());
        assert_eq!(human_bytes(3 << 29), "1.5G");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn sample(at_ms: u64) -> Sample {
        Sample::empty(SampleSource::Cgroup, Duration::from_millis(at_ms))
    }

    #[test]
    fn effective_cpus_prefers_the_tightest_setting() {
        let host = Limits::default();
        assert_eq!(host.effective_cpus(4), (4.0, CpuLimitKind::Host));
        let nano = Limits {
            nano_cpus: Some(500_000_000),
            ..Limits::default()
        };
        assert_eq!(nano.effective_cpus(4), (0.5, CpuLimitKind::NanoCpus));
        let quota = Limits {
            cpu_quota_us: Some(150_000),
            cpu_period_us: Some(100_000),
            ..Limits::default()
        };
        assert_eq!(quota.effective_cpus(4), (1.5, CpuLimitKind::Quota));
        let quota_default_period = Limits {
            cpu_quota_us: Some(50_000),
            ..Limits::default()
        };
        assert_eq!(
            quota_default_period.effective_cpus(4),
            (0.5, CpuLimitKind::Quota)
        );
        let cpuset = Limits {
            cpuset_cpus: Some("0-1,3".into()),
            ..Limits::default()
        };
        assert_eq!(cpuset.effective_cpus(8), (3.0, CpuLimitKind::Cpuset));
        // A cpuset wider than a quota does not loosen it.
        let both = Limits {
            cpu_quota_us: Some(50_000),
            cpuset_cpus: Some("0-3".into()),
            ..Limits::default()
        };
        assert_eq!(both.effective_cpus(8), (0.5, CpuLimitKind::Quota));
    }

    #[test]
    fn cpuset_lists_are_counted() {
        assert_eq!(cpuset_size("0"), Some(1));
        assert_eq!(cpuset_size("0-3,6,8-9"), Some(7));
        assert_eq!(cpuset_size(""), None);
        assert_eq!(cpuset_size("3-1"), None);
        assert_eq!(cpuset_size("x"), None);
    }

    #[test]
    fn cpu_follows_docker_stats_with_system_time_and_wall_time_without() {
        let limits = Limits {
            nano_cpus: Some(500_000_000),
            ..Limits::default()
        };
        let mut a = sample(0);
        a.cpu_usage_ns = Some(1_000_000_000);
        a.system_cpu_ns = Some(10_000_000_000);
        a.online_cpus = Some(2);
        let mut b = sample(1000);
        b.cpu_usage_ns = Some(1_500_000_000);
        b.system_cpu_ns = Some(12_000_000_000);
        b.online_cpus = Some(2);
        let u = Usage::derive(Some(&a), &b, &limits);
        // 0.5 s of CPU in 2 s of all-core time on 2 cores: half a core.
        assert!((u.cpu_percent.unwrap() - 50.0).abs() < 1e-9);
        assert!((u.cpu_percent_of_limit.unwrap() - 100.0).abs() < 1e-9);
        assert_eq!(u.cpu_limit_kind, CpuLimitKind::NanoCpus);
        a.system_cpu_ns = None;
        b.system_cpu_ns = None;
        let u = Usage::derive(Some(&a), &b, &limits);
        assert!((u.cpu_percent.unwrap() - 50.0).abs() < 1e-9);
    }

    #[test]
    fn throttling_is_the_share_of_throttled_periods() {
        let mut a = sample(0);
        a.nr_periods = Some(100);
        a.nr_throttled = Some(10);
        let mut b = sample(1000);
        b.nr_periods = Some(110);
        b.nr_throttled = Some(19);
        let u = Usage::derive(Some(&a), &b, &Limits::default());
        assert!((u.throttled_percent.unwrap() - 90.0).abs() < 1e-9);
        // No periods elapsed (idle, or no quota): not throttled.
        let u = Usage::derive(
            Some(&b),
            &{
                let mut c = b.clone();
                c.at += Duration::from_secs(1);
                c
            },
            &Limits::default(),
        );
        assert_eq!(u.throttled_percent, Some(0.0));
    }

    #[test]
    fn memory_is_the_working_set_against_a_real_limit_only() {
        let mut s = sample(0);
        s.memory_usage = Some(10 * MIB);
        s.inactive_file = Some(4 * MIB);
        let limited = Limits {
            memory: Some(32 * MIB),
            ..Limits::default()
        };
        let u = Usage::derive(None, &s, &limited);
        assert_eq!(u.memory_working_set, Some(6 * MIB));
        assert_eq!(u.memory_limit, Some(32 * MIB));
        assert!((u.memory_percent_of_limit.unwrap() - 18.75).abs() < 1e-9);
        let u = Usage::derive(None, &s, &Limits::default());
        assert_eq!(u.memory_limit, None);
        assert_eq!(u.memory_percent_of_limit, None);
        // inactive_file larger than usage (racy reads): never underflow.
        s.inactive_file = Some(20 * MIB);
        assert_eq!(s.working_set(), Some(10 * MIB));
    }

    #[test]
    fn rates_need_two_samples_of_one_source_and_survive_counter_resets() {
        let mut a = sample(0);
        a.net_rx_bytes = Some(1000);
        a.net_drops = Some(4);
        a.blk_write_bytes = Some(5000);
        a.pids_current = Some(3);
        let mut b = sample(2000);
        b.net_rx_bytes = Some(3000);
        b.net_drops = Some(6);
        b.blk_write_bytes = Some(1000);
        b.pids_current = Some(4);
        let limits = Limits {
            pids: Some(8),
            ..Limits::default()
        };
        let first = Usage::derive(None, &a, &limits);
        assert_eq!(first.net_rx_bytes_per_sec, None);
        assert_eq!(first.cpu_percent, None);
        assert_eq!(first.pids, Some(3));
        let u = Usage::derive(Some(&a), &b, &limits);
        assert_eq!(u.net_rx_bytes_per_sec, Some(1000.0));
        assert_eq!((u.net_drops, u.net_new_drops), (Some(6), Some(2)));
        assert_eq!(
            first.net_new_drops, None,
            "nothing is new in a first sample"
        );
        assert_eq!(u.blk_write_bytes_per_sec, None, "counter went backwards");
        assert_eq!(u.pids_percent_of_limit, Some(50.0));
        let mut other = b.clone();
        other.source = SampleSource::StatsApi;
        assert_eq!(
            Usage::derive(Some(&a), &other, &limits).net_rx_bytes_per_sec,
            None
        );
        let unlimited = Limits {
            pids: Some(-1),
            ..Limits::default()
        };
        assert_eq!(unlimited.pids_limit(), None);
    }

    #[test]
    fn rings_are_bounded_and_keep_gaps() {
        let mut r = Ring::new(3);
        for v in [Some(1.0), None, Some(3.0), Some(4.0)] {
            r.push(v);
        }
        assert_eq!(r.len(), 3);
        assert_eq!(
            r.iter().collect::<Vec<_>>(),
            vec![None, Some(3.0), Some(4.0)]
        );
        assert_eq!(r.last(), Some(4.0));
        let mut h = History::new(DEFAULT_HISTORY_POINTS);
        let u = Usage::derive(None, &sample(0), &Limits::default());
        for _ in 0..10 {
            h.push(&u, Some(Duration::from_secs(1)));
        }
        // Memory follows the points held, not the window.
        assert!(h.memory_working_set.points.capacity() < 32);
        assert!(h.gaps_ds.capacity() < 32);
        for _ in 0..2000 {
            h.push(&u, Some(Duration::from_secs(1)));
        }
        assert_eq!(h.len(), DEFAULT_HISTORY_POINTS);
        assert!(h.memory_working_set.capacity() == DEFAULT_HISTORY_POINTS);
        assert_eq!(
            h.memory_working_set.points.capacity(),
            DEFAULT_HISTORY_POINTS
        );
        assert_eq!(h.gaps_ds.capacity(), DEFAULT_HISTORY_POINTS);
    }

    #[test]
    fn ring_points_keep_two_significant_digits_over_any_range() {
        let mut r = Ring::new(8);
        let values = [0.0, 0.07, 99.6, 100.0, 12_345.0, 1.5e9, 37.2e9, -3.0];
        for v in values {
            r.push(Some(v));
        }
        for (kept, v) in r.iter().zip(values) {
            let kept = f64::from(kept.expect("a value"));
            assert!((kept - v).abs() <= v.abs() / 256.0, "{v} kept as {kept}");
        }
        // Small integers (rates, percentages) come back as they went in.
        r.push(Some(5.0));
        assert_eq!(r.last(), Some(5.0));
        r.push(None);
        assert_eq!(r.last(), None);
        r.push(Some(f64::INFINITY));
        assert_eq!(r.last(), Some(f32::INFINITY));
    }

    #[test]
    fn history_span_is_the_sampled_time_however_irregular() {
        let u = Usage::derive(None, &sample(0), &Limits::default());
        let mut h = History::new(4);
        assert_eq!(h.span(), Duration::ZERO);
        h.push(&u, None);
        h.push(&u, Some(Duration::from_secs(1)));
        h.push(&u, Some(Duration::from_millis(7_500)));
        assert_eq!(h.span(), Duration::from_millis(8_500));
        h.push(&u, Some(Duration::from_secs(2)));
        // Full: the oldest point goes, and with it the time up to the next one.
        h.push(&u, Some(Duration::from_secs(1)));
        assert_eq!(h.len(), 4);
        assert_eq!(h.span(), Duration::from_millis(10_500));
        // Through an entry: gaps come from the samples' own times.
        let mut e = UsageEntry::default();
        for at_ms in [0, 1_000, 5_000] {
            e.record(sample(at_ms), &Limits::default());
        }
        assert_eq!(e.history.span(), Duration::from_secs(5));
    }

    #[test]
    fn columns_keep_each_shares_peak_and_its_gaps() {
        let mut r = Ring::new(600);
        for i in 0..600 {
            // Mostly 1, a single spike of 50 at point 301, nothing at all in points 540..600.
            let v = match i {
                301 => Some(50.0),
                540.. => None,
                _ => Some(1.0),
            };
            r.push(v);
        }
        let cols = r.columns(60);
        assert_eq!(cols.len(), 60);
        assert_eq!(cols[30], Some(50.0), "the spike survives the squeeze");
        assert_eq!(cols[29], Some(1.0));
        assert_eq!(cols[59], None, "a gap stays a gap");
        // Fewer points than columns: one column per point.
        let mut short = Ring::new(600);
        short.push(Some(3.0));
        short.push(None);
        assert_eq!(short.columns(60), vec![Some(3.0), None]);
    }

    #[test]
    fn a_stopped_entry_keeps_history_but_no_current_usage() {
        let mut e = UsageEntry::default();
        let mut s = sample(0);
        s.memory_usage = Some(MIB);
        e.record(s.clone(), &Limits::default());
        s.at = Duration::from_secs(1);
        e.record(s, &Limits::default());
        assert_eq!(e.history.len(), 2);
        let t0 = crate::app::testing::epoch();
        e.stopped(t0);
        assert!(e.latest.is_none() && e.prev.is_none());
        assert_eq!(e.history.len(), 2);
        // Seen stopped again later: the stop time stays the first one.
        e.stopped(t0 + chrono::TimeDelta::minutes(5));
        let kept = stopped_history_kept(1_000);
        assert_eq!(kept, chrono::TimeDelta::minutes(10));
        assert!(e.worth_keeping(t0 + kept - chrono::TimeDelta::seconds(1), kept));
        assert!(!e.worth_keeping(t0 + kept, kept));
        // Running again: kept however long ago the stop was.
        e.record(sample(5_000), &Limits::default());
        assert!(e.worth_keeping(t0 + chrono::TimeDelta::days(1), kept));
    }
}
