//! Reading a local container's counters straight from its cgroup (v1 or v2): microseconds per
//! container and no work for the daemon. The cgroup is found through `/proc/<pid>/cgroup`.
//! Every file is optional: a missing or unreadable file leaves its fields None.

use std::fs::{self, File};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::app::usage::{Sample, SampleSource};

/// Where the cgroup filesystem and procfs are mounted; tests point it at fixture trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupRoot {
    pub sys: PathBuf,
    pub proc: PathBuf,
}

impl Default for CgroupRoot {
    fn default() -> Self {
        CgroupRoot {
            sys: PathBuf::from("/sys/fs/cgroup"),
            proc: PathBuf::from("/proc"),
        }
    }
}

/// A container's cgroup directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CgroupPaths {
    /// One unified directory.
    V2(PathBuf),
    /// One directory per controller (each may be missing).
    V1 {
        cpu: Option<PathBuf>,
        cpuacct: Option<PathBuf>,
        memory: Option<PathBuf>,
        pids: Option<PathBuf>,
        blkio: Option<PathBuf>,
    },
}

/// A limit file's value: a number, or "max" (v2) / -1 / a huge number (v1) for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    Unlimited,
    At(u64),
}

/// What the kernel enforces, as read from the cgroup (None: file missing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CgroupLimits {
    pub cpu_quota_us: Option<Cap>,
    pub cpu_period_us: Option<u64>,
    pub memory_max: Option<Cap>,
    pub pids_max: Option<Cap>,
}

/// Which of a container's less needed files a reading takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// The files whose values move seldom, read every few samples and reused between:
    /// `memory.stat` (the costliest file; its page cache moves slowly), the OOM-kill count (a
    /// kill also comes at once as an engine event) and `pids.current`.
    pub now_and_then: bool,
    /// v1's `cpu.stat`, which holds throttling only: a container without a CPU quota is never
    /// throttled. (v2's holds the usage too, and is always read.)
    pub throttling: bool,
}

impl Reading {
    /// Every file.
    pub const ALL: Reading = Reading {
        now_and_then: true,
        throttling: true,
    };
}

/// v1 reports "no limit" as the largest page-aligned i64; anything this big is no limit.
const V1_UNLIMITED_FLOOR: u64 = 1 << 62;
/// USER_HZ: /proc/stat counts in 1/100 s on every Linux docker runs on (docker assumes it too).
const CLOCK_TICKS: u64 = 100;

impl CgroupRoot {
    /// Finds the cgroup of process `pid`. With `container_id`, the path must name that container:
    /// a pid from another pid namespace (an engine in a VM) must not be mistaken for ours.
    pub fn locate(&self, pid: u32, container_id: Option<&str>) -> Result<CgroupPaths, String> {
        let file = self.proc.join(pid.to_string()).join("cgroup");
        let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        self.locate_in(&text, &file, container_id, |d| d.is_dir())
    }

    /// The cgroup directories `text` (a `/proc/<pid>/cgroup` read from `file`) names, of
    /// which `exists` says whether a directory is there. A remote host's files are read in
    /// one batch, where a directory is only known to exist by its files being read.
    pub fn locate_in(
        &self,
        text: &str,
        file: &Path,
        container_id: Option<&str>,
        exists: impl Fn(&Path) -> bool,
    ) -> Result<CgroupPaths, String> {
        let lines: Vec<(&str, &str)> = text
            .lines()
            .filter_map(|l| {
                let mut parts = l.splitn(3, ':');
                let _hierarchy = parts.next()?;
                Some((parts.next()?, parts.next()?))
            })
            .collect();
        if let Some(id) = container_id {
            if !lines.iter().any(|(_, path)| path.contains(id)) {
                return Err(format!(
                    "{}: not the cgroup of container {id}",
                    file.display()
                ));
            }
        }
        // Hybrid hosts list `0::/…` next to the v1 controllers; the counters live in v1 there.
        let v1 = lines.iter().any(|(ctrls, _)| {
            !ctrls.is_empty() && ctrls.split(',').any(|c| !c.starts_with("name="))
        });
        if !v1 {
            let (_, path) = lines
                .iter()
                .find(|(ctrls, _)| ctrls.is_empty())
                .ok_or_else(|| format!("{}: no cgroup v2 entry", file.display()))?;
            let dir = self.sys.join(path.trim_start_matches('/'));
            return if exists(&dir) {
                Ok(CgroupPaths::V2(dir))
            } else {
                Err(format!("{}: not found", dir.display()))
            };
        }
        let find = |ctrl: &str| -> Option<PathBuf> {
            let (ctrls, path) = lines
                .iter()
                .find(|(ctrls, _)| ctrls.split(',').any(|c| c == ctrl))?;
            let rel = path.trim_start_matches('/');
            // Mounted per controller (`cpu/`), or joined (`cpu,cpuacct/`) without the symlinks.
            [
                self.sys.join(ctrl).join(rel),
                self.sys.join(ctrls).join(rel),
            ]
            .into_iter()
            .find(|d| exists(d))
        };
        let paths = CgroupPaths::V1 {
            cpu: find("cpu"),
            cpuacct: find("cpuacct"),
            memory: find("memory"),
            pids: find("pids"),
            blkio: find("blkio"),
        };
        match &paths {
            CgroupPaths::V1 {
                cpuacct: None,
                memory: None,
                ..
            } => Err(format!(
                "{}: no readable cpuacct or memory cgroup",
                file.display()
            )),
            _ => Ok(paths),
        }
    }

    /// One reading of every counter, stamped `at`. `host` is this tick's `/proc/stat` reading
    /// (taken once per tick by the caller: it is a large file the kernel builds on every read).
    pub fn read(
        &self,
        files: &mut impl CounterFiles,
        paths: &CgroupPaths,
        pid: u32,
        at: Duration,
        host: Option<(u64, u32)>,
        reading: Reading,
    ) -> Sample {
        let mut s = Sample::empty(SampleSource::Cgroup, at);
        match paths {
            CgroupPaths::V2(dir) => read_v2(files, dir, &mut s, reading.now_and_then),
            CgroupPaths::V1 {
                cpu,
                cpuacct,
                memory,
                pids,
                blkio,
            } => read_v1(
                files,
                [cpu, cpuacct, memory, pids, blkio].map(Option::as_deref),
                &mut s,
                reading,
            ),
        }
        // Interface names may be any bytes; the counters beside them are what matters.
        let net = files
            .read_bytes("net/dev", || {
                self.proc.join(pid.to_string()).join("net/dev")
            })
            .map(String::from_utf8_lossy);
        if let Some(n) = net.as_deref().map(parse_net_dev) {
            s.net_rx_bytes = Some(n.rx_bytes);
            s.net_tx_bytes = Some(n.tx_bytes);
            s.net_drops = Some(n.drops);
            s.net_errors = Some(n.errors);
        }
        if let Some((system_ns, cpus)) = host {
            s.system_cpu_ns = Some(system_ns);
            s.online_cpus = Some(cpus);
        }
        s
    }

    /// The host's CPU time and online CPUs, for the `docker stats` CPU formula.
    pub fn host_cpu(&self) -> Option<(u64, u32)> {
        proc_stat(&self.proc.join("stat"))
    }

    /// The limits the kernel enforces. Not read on every tick: the console takes limits from
    /// inspect; this is the kernel's own view, for checking the two agree.
    pub fn read_limits(&self, paths: &CgroupPaths) -> CgroupLimits {
        let mut limits = CgroupLimits::default();
        match paths {
            CgroupPaths::V2(dir) => {
                if let Some(max) = read(dir, "cpu.max") {
                    // "max 100000" or "50000 100000".
                    let mut parts = max.split_whitespace();
                    limits.cpu_quota_us = parts.next().and_then(cap);
                    limits.cpu_period_us = parts.next().and_then(|p| p.parse().ok());
                }
                limits.memory_max = read(dir, "memory.max").and_then(|t| cap(&t));
                limits.pids_max = read(dir, "pids.max").and_then(|t| cap(&t));
            }
            CgroupPaths::V1 {
                cpu, memory, pids, ..
            } => {
                if let Some(dir) = cpu.as_deref() {
                    limits.cpu_quota_us = read(dir, "cpu.cfs_quota_us").and_then(|t| cap(&t));
                    limits.cpu_period_us =
                        read(dir, "cpu.cfs_period_us").and_then(|t| t.trim().parse().ok());
                }
                if let Some(dir) = memory.as_deref() {
                    limits.memory_max = read(dir, "memory.limit_in_bytes").and_then(|t| cap(&t));
                }
                if let Some(dir) = pids.as_deref() {
                    limits.pids_max = read(dir, "pids.max").and_then(|t| cap(&t));
                }
            }
        }
        limits
    }
}

fn read_v2(files: &mut impl CounterFiles, dir: &Path, s: &mut Sample, now_and_then: bool) {
    if let Some(stat) = files.read_in(dir, "cpu.stat") {
        s.cpu_usage_ns = keyed(stat, "usage_usec").map(|us| us * 1000);
        s.nr_periods = keyed(stat, "nr_periods");
        s.nr_throttled = keyed(stat, "nr_throttled");
        s.throttled_ns = keyed(stat, "throttled_usec").map(|us| us * 1000);
    }
    s.memory_usage = files
        .read_in(dir, "memory.current")
        .and_then(|t| t.trim().parse().ok());
    if now_and_then {
        s.inactive_file = files
            .read_in(dir, "memory.stat")
            .and_then(|t| keyed(t, "inactive_file"));
        s.oom_kills = files
            .read_in(dir, "memory.events")
            .and_then(|t| keyed(t, "oom_kill"));
        s.pids_current = files
            .read_in(dir, "pids.current")
            .and_then(|t| t.trim().parse().ok());
    }
    if let Some(io) = files.read_in(dir, "io.stat") {
        // "8:0 rbytes=1 wbytes=2 rios=… wios=… dbytes=… dios=…" per device.
        let (mut r, mut w) = (0u64, 0u64);
        for field in io.split_whitespace() {
            if let Some(v) = field.strip_prefix("rbytes=") {
                r += v.parse::<u64>().unwrap_or(0);
            } else if let Some(v) = field.strip_prefix("wbytes=") {
                w += v.parse::<u64>().unwrap_or(0);
            }
        }
        s.blk_read_bytes = Some(r);
        s.blk_write_bytes = Some(w);
    }
}

fn read_v1(
    files: &mut impl CounterFiles,
    dirs: [Option<&Path>; 5],
    s: &mut Sample,
    reading: Reading,
) {
    let [cpu, cpuacct, memory, pids, blkio] = dirs;
    if let Some(dir) = cpuacct {
        s.cpu_usage_ns = files
            .read_in(dir, "cpuacct.usage")
            .and_then(|t| t.trim().parse().ok());
    }
    if let Some(dir) = cpu.filter(|_| reading.throttling) {
        if let Some(stat) = files.read_in(dir, "cpu.stat") {
            s.nr_periods = keyed(stat, "nr_periods");
            s.nr_throttled = keyed(stat, "nr_throttled");
            s.throttled_ns = keyed(stat, "throttled_time");
        }
    }
    if let Some(dir) = memory {
        s.memory_usage = files
            .read_in(dir, "memory.usage_in_bytes")
            .and_then(|t| t.trim().parse().ok());
        if reading.now_and_then {
            s.inactive_file = files
                .read_in(dir, "memory.stat")
                .and_then(|t| keyed(t, "total_inactive_file"));
            // The oom_kill line appeared in kernel 4.13; older kernels leave it None.
            s.oom_kills = files
                .read_in(dir, "memory.oom_control")
                .and_then(|t| keyed(t, "oom_kill"));
        }
    }
    if let Some(dir) = pids.filter(|_| reading.now_and_then) {
        s.pids_current = files
            .read_in(dir, "pids.current")
            .and_then(|t| t.trim().parse().ok());
    }
    if let Some(io) = blkio.and_then(|dir| files.read_in(dir, "blkio.throttle.io_service_bytes")) {
        // "8:0 Read 123" / "8:0 Write 456" per device, then "Total N".
        let (mut r, mut w) = (0u64, 0u64);
        for line in io.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if let [_, op, v] = f[..] {
                let v = v.parse::<u64>().unwrap_or(0);
                match op {
                    "Read" => r += v,
                    "Write" => w += v,
                    _ => {}
                }
            }
        }
        s.blk_read_bytes = Some(r);
        s.blk_write_bytes = Some(w);
    }
}

fn read(dir: &Path, name: &str) -> Option<String> {
    fs::read_to_string(dir.join(name)).ok()
}

/// A container's counter files, opened once and re-read from offset 0 on every sample: the
/// kernel regenerates a seq_file's content on such a read, and the path lookups and
/// open/close of fresh reads were most of the sampling cost. Files are known by their name,
/// which must stay unique within one container's set (no two controllers' directories are read
/// for the same file name), so a read allocates nothing.
#[derive(Debug, Default)]
pub struct OpenFiles {
    /// None: the file could not be opened (missing controller or an old kernel).
    files: Vec<(&'static str, Option<File>)>,
    buf: Vec<u8>,
}

/// A read of a counter file returning fewer bytes than this is its end (see
/// [`OpenFiles::read_bytes`]): half of the page a seq_file fills per read.
const SHORT_READ: usize = 2048;

/// Where a container's counter files are read from: opened here ([`OpenFiles`]), or a remote
/// host's batch of them read through ssh (`remote::Batch`). The readers above are the same
/// for both, so the two cannot disagree on what a file means.
pub trait CounterFiles {
    /// The raw bytes of the file known as `name` (unique within one container), at `path()`.
    fn read_bytes(&mut self, name: &'static str, path: impl FnOnce() -> PathBuf) -> Option<&[u8]>;

    /// The file `name` in `dir`.
    fn read_in(&mut self, dir: &Path, name: &'static str) -> Option<&str> {
        self.read(name, || dir.join(name))
    }

    /// The file known as `name`, as text.
    fn read(&mut self, name: &'static str, path: impl FnOnce() -> PathBuf) -> Option<&str> {
        // Counter files are ASCII; anything else is not a reading.
        std::str::from_utf8(self.read_bytes(name, path)?).ok()
    }
}

impl CounterFiles for OpenFiles {
    /// Opened the first time it is asked for, then re-read from offset 0.
    fn read_bytes(&mut self, name: &'static str, path: impl FnOnce() -> PathBuf) -> Option<&[u8]> {
        let slot = match self.files.iter().position(|(n, _)| *n == name) {
            Some(i) => i,
            None => {
                self.files.push((name, File::open(path()).ok()));
                self.files.len() - 1
            }
        };
        let file = self.files[slot].1.as_ref()?;
        if self.buf.len() < 4096 {
            self.buf.resize(4096, 0);
        }
        let mut len = 0;
        loop {
            match file.read_at(&mut self.buf[len..], len as u64) {
                Ok(0) => break,
                Ok(n) => {
                    len += n;
                    if len == self.buf.len() {
                        self.buf.resize(len * 2, 0);
                    } else if n < SHORT_READ {
                        // The end, without asking: a seq_file read stops short only at its end
                        // or where its next record would overflow its page (4 KiB), and these
                        // files' records are a line or the whole file. The read at the end
                        // would cost as much as the first: the kernel formats the file again
                        // to find the offset.
                        break;
                    }
                }
                // The cgroup went away with its container.
                Err(_) => return None,
            }
        }
        Some(&self.buf[..len])
    }
}

/// The value of `key` in a flat-keyed file ("key value" per line).
fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(char::is_whitespace)?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

fn cap(text: &str) -> Option<Cap> {
    let t = text.trim();
    if t == "max" || t == "-1" {
        return Some(Cap::Unlimited);
    }
    let n: u64 = t.parse().ok()?;
    Some(if n >= V1_UNLIMITED_FLOOR {
        Cap::Unlimited
    } else {
        Cap::At(n)
    })
}

/// What `/proc/<pid>/net/dev` counts over every interface but loopback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetDev {
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    /// Received and sent packets dropped.
    pub drops: u64,
    /// Receive and transmit errors.
    pub errors: u64,
}

/// The counters of `/proc/<pid>/net/dev`: after the interface, receive bytes, packets, errs,
/// drop, fifo, frame, compressed, multicast, then transmit bytes, packets, errs, drop, ….
pub fn parse_net_dev(text: &str) -> NetDev {
    let mut n = NetDev::default();
    for line in text.lines().skip(2) {
        let Some((iface, rest)) = line.split_once(':') else {
            continue;
        };
        if iface.trim() == "lo" {
            continue;
        }
        let f: Vec<u64> = rest
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        if f.len() >= 12 {
            n.rx_bytes += f[0];
            n.errors += f[2] + f[10];
            n.drops += f[3] + f[11];
            n.tx_bytes += f[8];
        }
    }
    n
}

/// A namespace's TCP segment counters since it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegments {
    pub out_segs: u64,
    pub retrans_segs: u64,
    /// Connections established now (a gauge, unlike the others).
    pub established: u64,
}

/// `OutSegs` and `RetransSegs` of `/proc/<pid>/net/snmp`, whose `Tcp:` lines come in a pair: the
/// counters' names, then their values in the same order.
pub fn parse_tcp_snmp(text: &str) -> Option<TcpSegments> {
    let mut tcp = text.lines().filter_map(|l| l.strip_prefix("Tcp:"));
    let (names, values) = (tcp.next()?, tcp.next()?);
    let pairs: Vec<(&str, &str)> = names
        .split_whitespace()
        .zip(values.split_whitespace())
        .collect();
    let get =
        |name: &str| -> Option<u64> { pairs.iter().find(|(n, _)| *n == name)?.1.parse().ok() };
    Some(TcpSegments {
        out_segs: get("OutSegs")?,
        retrans_segs: get("RetransSegs")?,
        established: get("CurrEstab")?,
    })
}

/// The TCP sockets in use in a namespace, from `/proc/<pid>/net/sockstat` (`TCP: inuse 5 …`)
/// or `sockstat6` (`TCP6: inuse 0`): per-namespace counters, cheap to read.
pub fn parse_sockstat_tcp(text: &str) -> Option<u64> {
    let line = text
        .lines()
        .find(|l| l.starts_with("TCP: ") || l.starts_with("TCP6: "))?;
    let mut words = line.split_whitespace().skip(1);
    while let Some(w) = words.next() {
        if w == "inuse" {
            return words.next()?.parse().ok();
        }
    }
    None
}

/// The host's total CPU time in ns and its online CPUs, as `docker stats` computes them.
pub fn proc_stat(path: &Path) -> Option<(u64, u32)> {
    parse_proc_stat(&fs::read_to_string(path).ok()?)
}

/// [`proc_stat`] of the file's text.
pub fn parse_proc_stat(text: &str) -> Option<(u64, u32)> {
    let total = text.lines().find(|l| l.starts_with("cpu "))?;
    // user nice system idle iowait irq softirq (docker sums these seven).
    let ticks: u64 = total
        .split_whitespace()
        .skip(1)
        .take(7)
        .filter_map(|v| v.parse::<u64>().ok())
        .sum();
    let cpus = text
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count() as u32;
    Some((ticks * (1_000_000_000 / CLOCK_TICKS), cpus.max(1)))
}

#[cfg(test)]
mod net_dev_tests {
    use super::*;

    #[test]
    fn drops_and_errors_count_every_interface_but_loopback() {
        let text = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  9000      90    7    7    0     0          0         0     9000      90    7    7    0     0       0          0
  eth0:  1500      15    1    2    0     0          0         0      700       7    3    4    0     0       0          0
  eth1:   500       5    0    1    0     0          0         0      300       3    0    0    0     0       0          0
";
        assert_eq!(
            parse_net_dev(text),
            NetDev {
                rx_bytes: 2000,
                tx_bytes: 1000,
                drops: 7,
                errors: 4
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "2916400af755ef00d276b0c302cf2de207e975547f0a1d7324559bbd3014ceef";
    const PID: u32 = 10442;

    #[test]
    fn tcp_segments_are_read_by_name_from_the_snmp_pair_of_lines() {
        let text = "Ip: Forwarding DefaultTTL\nIp: 1 64\n\
            Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n\
            Tcp: 1 200 120000 -1 25 2 0 12 0 3222 2195 17 0 16 0\n\
            Udp: InDatagrams\nUdp: 5\n";
        assert_eq!(
            parse_tcp_snmp(text),
            Some(TcpSegments {
                out_segs: 2195,
                retrans_segs: 17,
                established: 0,
            })
        );
        assert_eq!(parse_tcp_snmp("Tcp: OutSegs\n"), None, "no values line");
        assert_eq!(parse_tcp_snmp(""), None);
    }

    #[test]
    fn tcp_sockets_in_use_are_read_from_sockstat_and_sockstat6() {
        let v4 =
            "sockets: used 64\nTCP: inuse 5 orphan 0 tw 0 alloc 6 mem 33\nUDP: inuse 2 mem 0\n";
        let v6 = "TCP6: inuse 0\nUDP6: inuse 0\n";
        assert_eq!(parse_sockstat_tcp(v4), Some(5));
        assert_eq!(parse_sockstat_tcp(v6), Some(0));
        assert_eq!(parse_sockstat_tcp("UDP: inuse 2\n"), None);
    }

    fn root(tree: &str) -> CgroupRoot {
        let base = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/cgroup")
            .join(tree);
        CgroupRoot {
            sys: base.join("sys"),
            proc: base.join("proc"),
        }
    }

    fn read_tree(tree: &str) -> (CgroupPaths, Sample, CgroupLimits) {
        let r = root(tree);
        let paths = r
            .locate(PID, Some(ID))
            .unwrap_or_else(|e| panic!("{tree}: {e}"));
        let s = r.read(
            &mut OpenFiles::default(),
            &paths,
            PID,
            Duration::from_secs(1),
            r.host_cpu(),
            Reading::ALL,
        );
        let l = r.read_limits(&paths);
        (paths, s, l)
    }

    #[test]
    fn v1_cgroupfs_captured_from_a_real_container() {
        let (paths, s, l) = read_tree("v1-cgroupfs");
        let CgroupPaths::V1 { cpu, memory, .. } = &paths else {
            panic!("expected v1: {paths:?}")
        };
        assert!(cpu.as_ref().unwrap().ends_with(format!("cpu/docker/{ID}")));
        assert!(memory.is_some());
        // --cpus 0.5 --memory 32m, busy loop.
        assert_eq!(l.cpu_quota_us, Some(Cap::At(50_000)));
        assert_eq!(l.cpu_period_us, Some(100_000));
        assert_eq!(l.memory_max, Some(Cap::At(32 * 1024 * 1024)));
        assert_eq!(l.pids_max, Some(Cap::Unlimited));
        assert!(s.cpu_usage_ns.unwrap() > 0);
        assert_eq!(s.nr_periods, Some(54));
        assert_eq!(s.nr_throttled, Some(46));
        assert_eq!(s.throttled_ns, Some(1_688_427_496));
        assert_eq!(s.inactive_file, Some(1_605_632));
        assert!(s.memory_usage.unwrap() > 0);
        assert_eq!(s.oom_kills, Some(0));
        assert_eq!(s.pids_current, Some(1));
        assert_eq!((s.blk_read_bytes, s.blk_write_bytes), (Some(0), Some(0)));
        assert_eq!((s.net_rx_bytes, s.net_tx_bytes), (Some(516), Some(0)));
        assert_eq!(s.online_cpus, Some(2));
        assert!(s.system_cpu_ns.unwrap() > 0);
        assert_eq!(s.source, SampleSource::Cgroup);
    }

    /// What a reading opens, by file name.
    #[derive(Default)]
    struct Opened(Vec<String>);

    impl CounterFiles for Opened {
        fn read_bytes(&mut self, name: &'static str, _: impl FnOnce() -> PathBuf) -> Option<&[u8]> {
            self.0.push(name.to_owned());
            None
        }
    }

    #[test]
    fn a_container_without_a_cpu_quota_is_not_asked_for_throttling_on_v1_only() {
        let uncapped = Reading {
            now_and_then: false,
            throttling: false,
        };
        for (tree, cpu_stat_read) in [("v1-cgroupfs", false), ("v2-cgroupfs", true)] {
            let r = root(tree);
            let paths = r.locate(PID, Some(ID)).unwrap();
            let mut opened = Opened::default();
            r.read(&mut opened, &paths, 1, Duration::ZERO, None, uncapped);
            assert_eq!(
                opened.0.contains(&"cpu.stat".to_owned()),
                cpu_stat_read,
                "{tree}"
            );
            assert!(!opened.0.contains(&"memory.stat".to_owned()), "{tree}");
            let mut all = Opened::default();
            r.read(&mut all, &paths, 1, Duration::ZERO, None, Reading::ALL);
            assert!(all.0.contains(&"cpu.stat".to_owned()), "{tree}");
        }
        // Whether a container has a quota is the engine's word (inspect).
        let limits = |nano_cpus, cpu_quota_us| crate::app::usage::Limits {
            nano_cpus,
            cpu_quota_us,
            ..Default::default()
        };
        assert!(limits(Some(500_000_000), None).cpu_capped());
        assert!(limits(None, Some(50_000)).cpu_capped());
        assert!(!limits(Some(0), Some(-1)).cpu_capped());
        assert!(!limits(None, None).cpu_capped());
    }

    #[test]
    fn v1_systemd_with_joined_controllers_and_an_old_kernel() {
        let (paths, s, l) = read_tree("v1-systemd");
        let CgroupPaths::V1 { cpu, cpuacct, .. } = &paths else {
            panic!("expected v1: {paths:?}")
        };
        let scope = format!("cpu,cpuacct/system.slice/docker-{ID}.scope");
        assert!(cpu.as_ref().unwrap().ends_with(&scope));
        assert!(cpuacct.as_ref().unwrap().ends_with(&scope));
        assert_eq!(l.cpu_quota_us, Some(Cap::Unlimited), "-1");
        assert_eq!(l.memory_max, Some(Cap::Unlimited), "huge number");
        assert_eq!(s.oom_kills, None, "no oom_kill line before 4.13");
        assert_eq!(s.cpu_usage_ns, Some(123_456_789));
        assert_eq!(s.blk_read_bytes, Some(4096 + 512));
        assert_eq!(s.blk_write_bytes, Some(8192));
        // This host has no pids controller.
        assert_eq!(s.pids_current, None);
        assert_eq!(l.pids_max, None);
    }

    #[test]
    fn v2_cgroupfs_with_max_limits() {
        let (paths, s, l) = read_tree("v2-cgroupfs");
        assert!(matches!(&paths, CgroupPaths::V2(d) if d.ends_with(format!("docker/{ID}"))));
        assert_eq!(l.cpu_quota_us, Some(Cap::Unlimited));
        assert_eq!(l.cpu_period_us, Some(100_000));
        assert_eq!(l.memory_max, Some(Cap::Unlimited));
        assert_eq!(l.pids_max, Some(Cap::Unlimited));
        assert_eq!(s.cpu_usage_ns, Some(7_340_000_000));
        assert_eq!(s.nr_periods, Some(0));
        assert_eq!(s.throttled_ns, Some(0));
        assert_eq!(s.memory_usage, Some(8_388_608));
        assert_eq!(s.inactive_file, Some(2_097_152));
        assert_eq!(s.working_set(), Some(6_291_456));
        assert_eq!(s.oom_kills, Some(2));
        assert_eq!(s.pids_current, Some(3));
        assert_eq!(s.blk_read_bytes, Some(1_000 + 24_576));
        assert_eq!(s.blk_write_bytes, Some(2_000));
        // The second interface's name is not UTF-8 (the kernel allows any bytes): still counted.
        assert_eq!(
            (s.net_rx_bytes, s.net_tx_bytes),
            (Some(1_500 + 70), Some(900 + 30))
        );
        assert_eq!(s.online_cpus, Some(4));
    }

    #[test]
    fn v2_systemd_with_limits_and_missing_files() {
        let (paths, s, l) = read_tree("v2-systemd");
        assert!(
            matches!(&paths, CgroupPaths::V2(d) if d.ends_with(format!("system.slice/docker-{ID}.scope")))
        );
        assert_eq!(l.cpu_quota_us, Some(Cap::At(50_000)));
        assert_eq!(l.memory_max, Some(Cap::At(33_554_432)));
        assert_eq!(l.pids_max, Some(Cap::At(100)));
        assert_eq!(s.nr_periods, Some(120));
        assert_eq!(s.nr_throttled, Some(100));
        // io.stat, memory.events and net/dev are missing in this tree.
        assert_eq!(
            (s.blk_read_bytes, s.oom_kills, s.net_rx_bytes),
            (None, None, None)
        );
        assert_eq!(s.system_cpu_ns, None, "no /proc/stat either");
    }

    #[test]
    fn a_pid_of_another_container_or_a_missing_pid_is_refused() {
        let r = root("v1-cgroupfs");
        assert!(r.locate(PID, Some("someoneelse")).is_err());
        assert!(r.locate(1, None).is_err());
    }

    /// Files of every size come back whole, re-read from the start each time; the kernel's
    /// own files are checked against the real engine in tests/usage.rs.
    #[test]
    fn open_files_read_whole_files_of_any_size_again_and_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = OpenFiles::default();
        // Larger than the buffer first, so that the smaller ones come after it has grown.
        for (name, size) in [
            ("pages", 10_000),
            ("small", 100),
            ("half", 3000),
            ("big", 70_000),
        ] {
            let text: String = (0..size).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            std::fs::write(dir.path().join(name), &text).unwrap();
            for _ in 0..2 {
                let got = files.read_in(dir.path(), name).map(str::len);
                assert_eq!(got, Some(size), "{name}");
            }
        }
        std::fs::write(dir.path().join("small"), "grown to more than before\n").unwrap();
        assert_eq!(
            files.read_in(dir.path(), "small"),
            Some("grown to more than before\n")
        );
        assert_eq!(files.read_in(dir.path(), "missing"), None);
    }

    #[test]
    fn caps_and_keyed_values() {
        assert_eq!(cap("max\n"), Some(Cap::Unlimited));
        assert_eq!(cap("-1"), Some(Cap::Unlimited));
        assert_eq!(cap("9223372036854771712"), Some(Cap::Unlimited));
        assert_eq!(cap("1024"), Some(Cap::At(1024)));
        assert_eq!(cap("junk"), None);
        assert_eq!(keyed("a 1\nab 2\n", "ab"), Some(2));
        assert_eq!(keyed("a 1\n", "b"), None);
    }
}
