//! Counters of a remote engine's containers read from the remote host's cgroup and procfs files,
//! as the local sampler reads them here, through one long-lived program on the far side of the
//! endpoint's ssh master: no daemon work, rows on screen read every tick and the rest every
//! other tick (each at most two intervals old).
//!
//! The rules:
//! - One ssh channel and one remote shell per endpoint, started once. Per tick the console writes
//!   one short line and the shell runs one `head` over every file wanted: one exec on the remote
//!   per tick, however many containers.
//! - The file list lives in the shell's variables, sent only when the containers change: the
//!   shell reads its input a byte at a time, so a list sent every tick would cost more than the
//!   files.
//! - `head` frames the files (`==> path <==` before each); the parser accepts only headers of
//!   files asked for, in the order asked, and the end of the answer is a nonce the console
//!   chose. Anything else is garbled: the reader is dropped and the stats API takes over.
//! - The program is one line with no `'`, no `!` and no doubled backslash, so POSIX shells,
//!   fish and csh all pass it to `sh` unchanged; it checks it is on Linux before anything else.
//! - Paths come from the remote's own `/proc/<pid>/cgroup`; one with characters outside a plain
//!   set is not sent (that container goes to the stats API).
//!
//! Deliberately different from the local sampler: a v1 controller directory is taken to exist
//! under its own name (`cpu/`, true with the usual symlinks), since asking first would cost a
//! round trip; and a namespace's sockets (sock_diag) cannot be dumped from here, so TCP RTTs are
//! local-only while segment counters come through.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::cgroup::{self, CgroupPaths, CgroupRoot, CounterFiles, Reading};
use super::monotonic_now;
use crate::app::model::ContainerKey;
use crate::app::usage::Sample;
use crate::app::watch::Watch;

/// What the remote side runs: read commands, answer each read with one `head` and a nonce.
/// `A` appends to the every-tick list, `O`/`E` to the odd and even ticks' lists, `B` to the
/// now-and-then list, `C` clears them all; `r`/`s` read the every-tick list with the odd/even
/// one, `R`/`S` the same with the now-and-then list, plus any paths on the line.
pub const PROGRAM: &str = "set -f; \
[ \"$(uname -s)\" = Linux ] || { echo \"wheelhouse-files not-linux $(uname -s)\"; exit 0; }; \
echo wheelhouse-files 1; A=; O=; E=; B=; \
while read -r op n rest; do case $op in \
C) A=; O=; E=; B= ;; \
A) A=\"$A $n $rest\" ;; \
O) O=\"$O $n $rest\" ;; \
E) E=\"$E $n $rest\" ;; \
B) B=\"$B $n $rest\" ;; \
r) head -c 1048576 -- /proc/stat $A $O $rest 2>/dev/null; printf \"\\n%s\\n\" \"$n\" ;; \
s) head -c 1048576 -- /proc/stat $A $E $rest 2>/dev/null; printf \"\\n%s\\n\" \"$n\" ;; \
R) head -c 1048576 -- /proc/stat $A $O $B $rest 2>/dev/null; printf \"\\n%s\\n\" \"$n\" ;; \
S) head -c 1048576 -- /proc/stat $A $E $B $rest 2>/dev/null; printf \"\\n%s\\n\" \"$n\" ;; \
\"\") ;; *) exit 0 ;; esac; done";

/// The greeting of a program that runs as it should.
const GREETING: &str = "wheelhouse-files 1";
/// Ticks between two reads of the now-and-then list (`memory.stat`, `net/snmp`), as locally.
const SLOW_EVERY: u64 = 5;
/// Bytes of paths one `head` is given at most: well under the 2 MiB a Linux exec allows with
/// the usual 8 MiB stack, leaving room for the environment (about 2 000 containers' files).
const ARGUMENT_BYTES: usize = 1024 * 1024;
/// Longest answer accepted: 100 containers take about 150 KiB.
const MAX_ANSWER: usize = 32 * 1024 * 1024;

/// The command line that starts the program: ssh's arguments up to the host, then the program.
pub fn command_args(ssh_args_to_host: &[String]) -> Vec<String> {
    let mut args = ssh_args_to_host.to_vec();
    args.push(format!("sh -c '{PROGRAM}'"));
    args
}

/// Why the batched read is not used (the endpoint says so, and the stats API serves instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub why: String,
    /// The remote will not run it (a forced command, not Linux), as opposed to a failure that
    /// may pass (ssh could not connect, no answer in time): tried again much later.
    pub lasting: bool,
}

impl Refused {
    fn lasting(why: String) -> Refused {
        Refused { why, lasting: true }
    }

    fn passing(why: String) -> Refused {
        Refused {
            why,
            lasting: false,
        }
    }
}

/// The remote program, running.
pub struct Reader {
    _channel: crate::engine::transport::ssh::ChannelOpen,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    seq: u64,
    salt: u64,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").field("seq", &self.seq).finish()
    }
}

impl Reader {
    /// Starts `ssh args…` and waits up to `greeting_within` for the program's greeting. A remote
    /// that only allows `docker system dial-stdio`, has no `sh`, or is not Linux is refused.
    pub async fn start(
        master: std::sync::Arc<crate::engine::transport::ssh::MasterStatus>,
        args: &[String],
        greeting_within: Duration,
    ) -> Result<Reader, Refused> {
        let mut child = Command::new("ssh")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| Refused::passing(format!("cannot run ssh: {e}")))?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let stderr = drain(child.stderr.take().expect("piped stderr"));
        // A clear and an empty line: nothing to the program, but a forced `dial-stdio` hands
        // them to the engine, which answers `400 Bad Request` at once instead of waiting.
        let _ = stdin.write_all(b"C\n\n").await;
        let _ = stdin.flush().await;
        let mut line = String::new();
        let read = tokio::time::timeout(greeting_within, async {
            // Bounded: a remote that streams without newlines is not ours.
            (&mut stdout).take(4096).read_line(&mut line).await
        })
        .await;
        let line = line.trim();
        match read {
            Ok(Ok(_)) if line == GREETING => {}
            Ok(Ok(_)) if line.starts_with("wheelhouse-files not-linux") => {
                let os = line.trim_start_matches("wheelhouse-files not-linux").trim();
                return Err(Refused::lasting(format!(
                    "the remote runs {os}, not Linux: no cgroup files"
                )));
            }
            Ok(Ok(0)) => {
                // ssh's last words arrive as it exits.
                let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                let words = stderr
                    .lock()
                    .map(|s| s.trim().to_owned())
                    .unwrap_or_default();
                return Err(Refused::passing(if words.is_empty() {
                    "the remote shell ended without running the batched read".into()
                } else {
                    format!("the batched read did not start: {words}")
                }));
            }
            Ok(Ok(_)) => {
                return Err(Refused::lasting(format!(
                    "batched read refused (a forced command?): the remote answered {:?}",
                    crate::text::for_terminal(&line.chars().take(60).collect::<String>())
                )))
            }
            Ok(Err(e)) => return Err(Refused::passing(format!("reading the remote: {e}"))),
            Err(_) => {
                return Err(Refused::lasting(format!(
                    "no answer from the batched read in {} s (a forced command such as \
                     dial-stdio only?)",
                    greeting_within.as_secs()
                )))
            }
        }
        let salt = (std::process::id() as u64) << 32 | (monotonic_now().subsec_nanos() as u64);
        Ok(Reader {
            _channel: crate::engine::transport::ssh::ChannelOpen::new(&master),
            child,
            stdin,
            stdout,
            seq: 0,
            salt,
        })
    }

    /// Sends `lines` (list updates), then one read command; returns the framed answer's body
    /// (the nonce stripped). Any failure leaves the reader unusable.
    async fn read(
        &mut self,
        lines: &str,
        command: char,
        extra: &[String],
    ) -> Result<Vec<u8>, String> {
        self.seq += 1;
        let nonce = format!("wheelhouse-end-{:x}-{}", self.salt, self.seq);
        let mut out = String::with_capacity(lines.len() + 64);
        out.push_str(lines);
        out.push(command);
        out.push(' ');
        out.push_str(&nonce);
        for p in extra {
            out.push(' ');
            out.push_str(p);
        }
        out.push('\n');
        self.stdin
            .write_all(out.as_bytes())
            .await
            .map_err(|e| format!("writing to the remote: {e}"))?;
        self.stdin
            .flush()
            .await
            .map_err(|e| format!("writing to the remote: {e}"))?;
        let end = format!("\n{nonce}\n");
        let mut body = Vec::with_capacity(64 * 1024);
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = self
                .stdout
                .read(&mut chunk)
                .await
                .map_err(|e| format!("reading the remote: {e}"))?;
            if n == 0 {
                let status = self.child.try_wait().ok().flatten();
                return Err(match status {
                    Some(s) => format!("the batched read ended ({s})"),
                    None => "the batched read closed its output".into(),
                });
            }
            body.extend_from_slice(&chunk[..n]);
            if body.ends_with(end.as_bytes()) {
                body.truncate(body.len() - end.len());
                return Ok(body);
            }
            if body.len() > MAX_ANSWER {
                return Err(format!("an answer of over {MAX_ANSWER} bytes"));
            }
        }
    }
}

/// Keeps reading ssh's stderr (a full pipe would stall it), keeping the first 2 KiB for a
/// reason to show.
fn drain(mut stderr: tokio::process::ChildStderr) -> std::sync::Arc<std::sync::Mutex<String>> {
    let kept = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let out = kept.clone();
    tokio::spawn(async move {
        let mut chunk = [0u8; 2048];
        while let Ok(n) = stderr.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            if let Ok(mut k) = kept.lock() {
                if k.len() < 2048 {
                    k.push_str(&String::from_utf8_lossy(&chunk[..n]));
                }
            }
        }
    });
    out
}

/// The files of one answer, by path. Reading a file the answer lacks gives None, as a missing
/// local file does.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Batch {
    files: HashMap<String, Vec<u8>>,
}

impl Batch {
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    pub fn text(&self, path: &str) -> Option<&str> {
        std::str::from_utf8(self.get(path)?).ok()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl CounterFiles for &Batch {
    fn read_bytes(&mut self, _name: &'static str, path: impl FnOnce() -> PathBuf) -> Option<&[u8]> {
        let path = path();
        self.files.get(path.to_str()?).map(Vec::as_slice)
    }
}

/// What the readers ask for, without reading anything: the list of a container's files.
#[derive(Debug, Default)]
struct Recorder(Vec<String>);

impl CounterFiles for Recorder {
    fn read_bytes(&mut self, _name: &'static str, path: impl FnOnce() -> PathBuf) -> Option<&[u8]> {
        if let Some(p) = path().to_str() {
            self.0.push(p.to_owned());
        }
        None
    }
}

/// Splits `head`'s output over `asked` (in the order asked) into files. Files that could not
/// be read are simply absent (head says so on stderr, which is dropped). Anything that is not
/// a header of a file asked for, in order, is garbled.
pub fn parse_answer(body: &[u8], asked: &[String]) -> Result<Batch, String> {
    let mut files = HashMap::new();
    let mut next = 0usize;
    let mut pos = 0usize;
    let header_of = |at: usize| -> Option<(&[u8], usize)> {
        let rest = body.get(at..)?.strip_prefix(b"==> ")?;
        let eol = rest.iter().position(|b| *b == b'\n')?;
        let path = rest[..eol].strip_suffix(b" <==")?;
        Some((path, at + 4 + eol + 1))
    };
    let index_from = |path: &[u8], from: usize| -> Option<usize> {
        (from..asked.len()).find(|&i| asked[i].as_bytes() == path)
    };
    if body.is_empty() {
        return Ok(Batch { files });
    }
    while pos < body.len() {
        let (path, start) = header_of(pos).ok_or_else(|| {
            format!(
                "garbled answer at byte {pos}: {:?}",
                String::from_utf8_lossy(&body[pos..body.len().min(pos + 40)])
            )
        })?;
        let i = index_from(path, next).ok_or_else(|| {
            format!(
                "garbled answer: {:?} was not asked for here",
                String::from_utf8_lossy(path)
            )
        })?;
        next = i + 1;
        // The next file's header follows a newline ("\n==> "); from `start - 1` so that an
        // empty file (its header's own newline, then the separator's) is found too.
        let mut search = start - 1;
        let end = loop {
            match find(&body[search..], b"\n==> ") {
                Some(k) => {
                    let at = search + k;
                    if header_of(at + 1).is_some_and(|(p, _)| index_from(p, next).is_some()) {
                        break at;
                    }
                    search = at + 1;
                }
                None => break body.len(),
            }
        };
        let content = &body[start.min(end)..end];
        files.insert(asked[i].clone(), content.to_vec());
        pos = if end == body.len() { end } else { end + 1 };
    }
    Ok(Batch { files })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Characters a path may have to go into the remote shell's list unquoted (with globbing off
/// and the default field separators).
fn plain_path(p: &str) -> bool {
    !p.is_empty()
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._:@=,+-".contains(&b))
}

/// One container as the remote probe knows it.
#[derive(Debug)]
enum Place {
    /// Its `/proc/<pid>/cgroup` is asked for with the next read.
    Locating,
    Located(Box<Located>),
    /// Not readable this way (until its pid changes): the stats API serves it.
    Unreadable(String),
}

/// A container whose files are known.
#[derive(Debug)]
struct Located {
    paths: CgroupPaths,
    /// Its `cpu.stat` is read (v1: only with a CPU quota; see `Watch::cpu_capped`).
    throttling: bool,
    /// Read every tick, and now and then (`memory.stat`, `net/snmp`, …).
    every: Vec<String>,
    slow: Vec<String>,
    /// What the now-and-then files said at their last reading, reused between.
    inactive_file: Option<u64>,
    segments: Option<cgroup::TcpSegments>,
    pids_current: Option<u64>,
    oom_kills: Option<u64>,
    /// Its now-and-then files have been read once: until then they come with every read, so
    /// that a new container's memory does not count its page cache for a few seconds.
    slow_read: bool,
}

/// The remote counterpart of the local probe: per container, where its files are; per tick, one
/// read of all of them.
#[derive(Debug)]
pub struct RemoteProbe {
    reader: Reader,
    root: CgroupRoot,
    found: HashMap<String, (u32, Place)>,
    /// The located containers whose files the remote's lists hold now, with their list, in
    /// the order sent (sorted), which is the order head reads them in.
    listed: Vec<(String, Cadence)>,
    ticks: u64,
}

/// How often a located container's every-tick files are read: every tick while it is kept
/// fresh (on screen), else every other tick, half of them on odd ticks and half on even, so
/// that each is at most two intervals old and a tick reads what is shown plus half the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cadence {
    Every,
    Odd,
    Even,
}

/// One tick's outcome.
#[derive(Debug, Default)]
pub struct Tick {
    pub samples: Vec<(ContainerKey, Sample)>,
    /// Containers not sampled this way this tick (for the stats API).
    pub elsewhere: Vec<ContainerKey>,
}

impl RemoteProbe {
    pub fn new(reader: Reader) -> RemoteProbe {
        RemoteProbe {
            reader,
            root: CgroupRoot::default(),
            found: HashMap::new(),
            listed: Vec::new(),
            ticks: 0,
        }
    }

    /// Samples every watched container with a pid in one read. An error means the reader is
    /// broken (dropped by the caller); containers are then sampled elsewhere.
    pub async fn tick(&mut self, watched: &[Watch]) -> Result<Tick, String> {
        self.ticks += 1;
        let slow_due = self.ticks % SLOW_EVERY == 1;
        let ids: HashSet<&str> = watched.iter().map(|w| w.key.id.as_str()).collect();
        self.found.retain(|id, _| ids.contains(id.as_str()));
        let mut out = Tick::default();
        let mut locating: Vec<(String, String)> = Vec::new();
        for w in watched {
            let Some(pid) = w.pid else {
                out.elsewhere.push(w.key.clone());
                continue;
            };
            let entry = self
                .found
                .entry(w.key.id.clone())
                .or_insert((pid, Place::Locating));
            // A new pid (a restart), or a quota set or lifted (`docker update`): its files anew.
            let quota_changed =
                matches!(&entry.1, Place::Located(l) if l.throttling != w.cpu_capped);
            if entry.0 != pid || quota_changed {
                *entry = (pid, Place::Locating);
            }
            match &entry.1 {
                Place::Locating => {
                    locating.push((w.key.id.clone(), format!("/proc/{pid}/cgroup")));
                    out.elsewhere.push(w.key.clone());
                }
                Place::Unreadable(_) => out.elsewhere.push(w.key.clone()),
                Place::Located(_) => {}
            }
        }
        let fresh: HashSet<&str> = watched
            .iter()
            .filter(|w| w.keep_fresh)
            .map(|w| w.key.id.as_str())
            .collect();
        let mut ids: Vec<&String> = self
            .found
            .iter()
            .filter(|(_, (_, p))| matches!(p, Place::Located(_)))
            .map(|(id, _)| id)
            .collect();
        ids.sort();
        // One `head` takes every path as an argument: past the budget the rest go to the stats
        // API, containers kept fresh first, so the shell never meets "argument list too long".
        ids.sort_by_key(|id| !fresh.contains(id.as_str()));
        let over = keep_within(&mut ids, ARGUMENT_BYTES, |id| match self.found.get(id) {
            Some((_, Place::Located(l))) => {
                l.every.iter().chain(&l.slow).map(|p| p.len() + 1).sum()
            }
            _ => usize::MAX,
        });
        if over > 0 {
            // They are not listed, so the loop below sends them to the stats API.
            log::debug!("{over} containers past the batched read's argument budget");
        }
        ids.sort();
        if ids.is_empty() && locating.is_empty() {
            return Ok(out);
        }
        let mut others = 0usize;
        let located: Vec<(String, Cadence)> = ids
            .into_iter()
            .map(|id| {
                let cadence = if fresh.contains(id.as_str()) {
                    Cadence::Every
                } else {
                    others += 1;
                    if others % 2 == 1 {
                        Cadence::Odd
                    } else {
                        Cadence::Even
                    }
                };
                (id.clone(), cadence)
            })
            .collect();
        let files_of = |id: &String, slow: bool| -> Vec<String> {
            match self.found.get(id) {
                Some((_, Place::Located(l))) => {
                    if slow {
                        l.slow.clone()
                    } else {
                        l.every.clone()
                    }
                }
                _ => Vec::new(),
            }
        };
        let in_list = |located: &[(String, Cadence)], list: char| -> Vec<String> {
            located
                .iter()
                .filter(|(_, c)| match list {
                    'A' => *c == Cadence::Every,
                    'O' => *c == Cadence::Odd,
                    'E' => *c == Cadence::Even,
                    _ => true,
                })
                .flat_map(|(id, _)| files_of(id, list == 'B'))
                .collect()
        };
        // The lists, resent whole when the located set or a cadence changed (a scroll).
        let mut lines = String::new();
        if located != self.listed {
            lines.push_str("C\n");
            for cmd in ['A', 'O', 'E', 'B'] {
                // A few hundred paths a line keeps each line a manageable read for the shell.
                for chunk in in_list(&located, cmd).chunks(200) {
                    lines.push(cmd);
                    for p in chunk {
                        lines.push(' ');
                        lines.push_str(p);
                    }
                    lines.push('\n');
                }
            }
            self.listed = located.clone();
        }
        let odd = self.ticks % 2 == 1;
        let mut asked = vec!["/proc/stat".to_string()];
        asked.extend(in_list(&located, 'A'));
        asked.extend(in_list(&located, if odd { 'O' } else { 'E' }));
        if slow_due {
            asked.extend(in_list(&located, 'B'));
        }
        asked.extend(locating.iter().map(|(_, p)| p.clone()));
        let command = match (odd, slow_due) {
            (true, false) => 'r',
            (false, false) => 's',
            (true, true) => 'R',
            (false, true) => 'S',
        };
        let read_now: HashSet<&str> = located
            .iter()
            .filter(|(_, c)| match c {
                Cadence::Every => true,
                Cadence::Odd => odd,
                Cadence::Even => !odd,
            })
            .map(|(id, _)| id.as_str())
            .collect();
        // A container's first read brings its now-and-then files too.
        let first_reads: HashSet<&str> = if slow_due {
            HashSet::new()
        } else {
            read_now
                .iter()
                .copied()
                .filter(|id| {
                    matches!(self.found.get(*id), Some((_, Place::Located(l))) if !l.slow_read)
                })
                .collect()
        };
        let mut extra: Vec<String> = locating.iter().map(|(_, p)| p.clone()).collect();
        for (id, _) in located
            .iter()
            .filter(|(id, _)| first_reads.contains(id.as_str()))
        {
            extra.extend(files_of(id, true));
        }
        asked.truncate(asked.len() - locating.len());
        asked.extend(extra.iter().cloned());
        let first_reads: HashSet<String> = first_reads.into_iter().map(str::to_owned).collect();
        let read_now: HashSet<String> = read_now.into_iter().map(str::to_owned).collect();
        let body = self.reader.read(&lines, command, &extra).await?;
        let at = monotonic_now();
        let batch = parse_answer(&body, &asked)?;
        // /proc/stat is always there: without it, head did not run (missing, too many
        // arguments, no `-c`), and every container would look gone.
        let host = batch.text("/proc/stat").and_then(cgroup::parse_proc_stat);
        if host.is_none() {
            return Err("the batched read's head printed nothing (is head installed?)".into());
        }
        let capped: HashSet<&str> = watched
            .iter()
            .filter(|w| w.cpu_capped)
            .map(|w| w.key.id.as_str())
            .collect();
        for (id, file) in locating {
            let Some((pid, place)) = self.found.get_mut(&id) else {
                continue;
            };
            let throttling = capped.contains(id.as_str());
            *place = match batch.text(&file) {
                None => Place::Unreadable(format!("{file}: not readable on the remote")),
                Some(text) => locate(&self.root, text, &file, &id, *pid, throttling),
            };
            if let Place::Unreadable(why) = place {
                log::debug!("{}: {why}; using the stats API", crate::text::short_id(&id));
            }
        }
        for w in watched {
            let Some((pid, Place::Located(located))) = self.found.get_mut(&w.key.id) else {
                continue;
            };
            let slow_here = slow_due || first_reads.contains(&w.key.id);
            let Located {
                paths,
                throttling,
                inactive_file,
                segments,
                pids_current,
                oom_kills,
                slow_read,
                ..
            } = located.as_mut();
            if !read_now.contains(&w.key.id) {
                let listed = self
                    .listed
                    .binary_search_by(|(id, _)| id.as_str().cmp(&w.key.id))
                    .is_ok();
                if !listed {
                    // Located this tick (its files are asked for from the next one), or past
                    // the argument budget.
                    out.elsewhere.push(w.key.clone());
                }
                // Else off screen and read next tick.
                continue;
            }
            let mut files = &batch;
            let reading = Reading {
                now_and_then: slow_here,
                throttling: *throttling,
            };
            let mut s = self.root.read(&mut files, paths, *pid, at, host, reading);
            if slow_here {
                *slow_read = true;
                *inactive_file = s.inactive_file;
                *pids_current = s.pids_current;
                *oom_kills = s.oom_kills;
                let snmp = format!("/proc/{pid}/net/snmp");
                *segments = batch.text(&snmp).and_then(cgroup::parse_tcp_snmp);
            } else {
                s.inactive_file = *inactive_file;
                s.pids_current = *pids_current;
                s.oom_kills = *oom_kills;
            }
            if let Some(tcp) = segments {
                s.tcp_out_segs = Some(tcp.out_segs);
                s.tcp_retrans_segs = Some(tcp.retrans_segs);
                s.tcp_established = Some(tcp.established);
            }
            s.tcp_unreadable = Some("socket details are read on local engines only".into());
            if s.cpu_usage_ns.is_none() && s.memory_usage.is_none() {
                // Gone, or moved (a restart): found again from its pid.
                self.found.remove(&w.key.id);
                out.elsewhere.push(w.key.clone());
                continue;
            }
            out.samples.push((w.key.clone(), s));
        }
        Ok(out)
    }
}

/// Keeps the leading `ids` whose files fit in `budget` bytes of arguments (a container that does
/// not fit is skipped, a smaller one after it may still fit); says how many were left out.
fn keep_within(ids: &mut Vec<&String>, budget: usize, bytes_of: impl Fn(&str) -> usize) -> usize {
    let before = ids.len();
    let mut left = budget;
    ids.retain(|id| {
        let bytes = bytes_of(id);
        let fits = bytes <= left;
        if fits {
            left -= bytes;
        }
        fits
    });
    before - ids.len()
}

/// Where a container's files are, from its `/proc/<pid>/cgroup` as read from `file`, and the
/// lists of them to read.
fn locate(
    root: &CgroupRoot,
    text: &str,
    file: &str,
    id: &str,
    pid: u32,
    throttling: bool,
) -> Place {
    let paths = match root.locate_in(text, Path::new(file), Some(id), |_| true) {
        Ok(p) => p,
        Err(e) => return Place::Unreadable(e),
    };
    let (mut every, mut all) = (Recorder::default(), Recorder::default());
    // Each file read is an open on the remote, most of the read's cost: what moves seldom
    // goes with the now-and-then files (as `cgroup::Reading` has it locally).
    let every_tick = Reading {
        now_and_then: false,
        throttling,
    };
    let with_slow = Reading {
        now_and_then: true,
        throttling,
    };
    let _ = root.read(&mut every, &paths, pid, Duration::ZERO, None, every_tick);
    let _ = root.read(&mut all, &paths, pid, Duration::ZERO, None, with_slow);
    let mut slow: Vec<String> = all.0.into_iter().filter(|p| !every.0.contains(p)).collect();
    slow.push(format!("/proc/{pid}/net/snmp"));
    if let Some(bad) = every.0.iter().chain(&slow).find(|p| !plain_path(p)) {
        return Place::Unreadable(format!(
            "{bad}: a path the batched read does not pass to the shell"
        ));
    }
    Place::Located(Box::new(Located {
        paths,
        throttling,
        every: every.0,
        slow,
        inactive_file: None,
        segments: None,
        pids_current: None,
        oom_kills: None,
        slow_read: false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(paths: &[&str]) -> Vec<String> {
        paths.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn the_program_survives_every_shell_that_may_pass_it_on() {
        assert!(!PROGRAM.contains('\''));
        assert!(!PROGRAM.contains('!'));
        assert!(!PROGRAM.contains('\n'));
        assert!(!PROGRAM.contains("\\\\"));
    }

    #[test]
    fn an_answer_splits_into_the_files_asked_for() {
        let body = b"==> /proc/stat <==\ncpu  1 2 3\ncpu0 1 2 3\n\n==> /a/cpu.stat <==\nusage_usec 5\n\n==> /a/memory.current <==\n42\n";
        let b = parse_answer(
            body,
            &asked(&["/proc/stat", "/a/cpu.stat", "/a/memory.current"]),
        )
        .unwrap();
        assert_eq!(b.text("/proc/stat"), Some("cpu  1 2 3\ncpu0 1 2 3\n"));
        assert_eq!(b.text("/a/cpu.stat"), Some("usage_usec 5\n"));
        assert_eq!(b.text("/a/memory.current"), Some("42\n"));
    }

    #[test]
    fn missing_and_empty_files_are_absent_and_empty() {
        // /a/io.stat could not be opened (no header); /a/pids.current is empty.
        let body = b"==> /proc/stat <==\ncpu 1\n\n==> /a/pids.current <==\n\n==> /a/memory.current <==\n7\n";
        let b = parse_answer(
            body,
            &asked(&[
                "/proc/stat",
                "/a/io.stat",
                "/a/pids.current",
                "/a/memory.current",
            ]),
        )
        .unwrap();
        assert_eq!(b.get("/a/io.stat"), None);
        assert_eq!(b.text("/a/pids.current"), Some(""));
        assert_eq!(b.text("/a/memory.current"), Some("7\n"));
        assert_eq!(b.len(), 3);
    }

    #[test]
    fn an_answer_not_starting_with_a_header_asked_for_is_garbled() {
        let body = b"==> /etc/passwd <==\nroot\n";
        assert!(parse_answer(body, &asked(&["/proc/stat"])).is_err());
        let body = b"Welcome to the machine\n";
        assert!(parse_answer(body, &asked(&["/proc/stat"])).is_err());
    }

    #[test]
    fn a_header_like_line_inside_a_file_stays_in_it() {
        let body = b"==> /proc/stat <==\ncpu 1\n\n==> /elsewhere <==\n\n==> /a/x <==\n1\n";
        let b = parse_answer(body, &asked(&["/proc/stat", "/a/x"])).unwrap();
        assert_eq!(b.text("/proc/stat"), Some("cpu 1\n\n==> /elsewhere <==\n"));
        assert_eq!(b.text("/a/x"), Some("1\n"));
    }

    #[test]
    fn files_past_the_argument_budget_are_left_to_the_stats_api_first_come_first_kept() {
        let names: Vec<String> = ["fresh", "big", "small", "late"].map(String::from).to_vec();
        let mut ids: Vec<&String> = names.iter().collect();
        let bytes = |id: &str| match id {
            "big" => 60,
            _ => 30,
        };
        let over = keep_within(&mut ids, 70, bytes);
        assert_eq!(over, 2);
        assert_eq!(ids, ["fresh", "small"]);
    }

    #[test]
    fn only_plain_paths_go_to_the_shell() {
        assert!(plain_path(
            "/sys/fs/cgroup/system.slice/docker-2916400af755.scope/cpu.stat"
        ));
        assert!(plain_path(
            "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpuacct.usage"
        ));
        for bad in ["/a b", "/a;rm", "/a$(x)", "/a`x`", "/a*", "", "/a\nb"] {
            assert!(!plain_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_v1_container_without_a_cpu_quota_is_not_asked_for_its_cpu_stat() {
        let id = "abc123";
        let text = format!(
            "12:memory:/docker/{id}\n4:cpu,cpuacct:/docker/{id}\n2:pids:/docker/{id}\n\
             1:name=systemd:/docker/{id}\n"
        );
        let files = |throttling| match locate(
            &CgroupRoot::default(),
            &text,
            "/proc/7/cgroup",
            id,
            7,
            throttling,
        ) {
            Place::Located(l) => [l.every, l.slow].concat(),
            other => panic!("{other:?}"),
        };
        let cpu_stat = "/sys/fs/cgroup/cpu/docker/abc123/cpu.stat".to_string();
        assert!(!files(false).contains(&cpu_stat));
        assert!(files(false).iter().any(|p| p.ends_with("/cpuacct.usage")));
        assert!(files(true).contains(&cpu_stat));
    }

    /// The batch reads through the very readers the local files go through.
    #[test]
    fn a_batch_of_a_v2_cgroup_reads_like_local_files() {
        let root = CgroupRoot::default();
        let paths = CgroupPaths::V2("/sys/fs/cgroup/x".into());
        let mut rec = Recorder::default();
        let no_quota = Reading {
            now_and_then: false,
            throttling: false,
        };
        let _ = root.read(&mut rec, &paths, 7, Duration::ZERO, None, no_quota);
        assert!(rec.0.contains(&"/sys/fs/cgroup/x/cpu.stat".to_string()));
        assert!(rec.0.contains(&"/proc/7/net/dev".to_string()));
        let mut body =
            b"==> /proc/stat <==\ncpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1\ncpu1 1\n".to_vec();
        for (p, text) in [
            (
                "/sys/fs/cgroup/x/cpu.stat",
                "usage_usec 2000\nnr_periods 10\nnr_throttled 5\nthrottled_usec 7\n",
            ),
            ("/sys/fs/cgroup/x/memory.current", "8388608\n"),
        ] {
            body.extend_from_slice(format!("\n==> {p} <==\n{text}").as_bytes());
        }
        let mut want = vec!["/proc/stat".to_string()];
        want.extend(rec.0.iter().cloned());
        let batch = parse_answer(&body, &want).unwrap();
        let mut files = &batch;
        let host = batch.text("/proc/stat").and_then(cgroup::parse_proc_stat);
        let s = root.read(
            &mut files,
            &paths,
            7,
            Duration::from_secs(1),
            host,
            no_quota,
        );
        assert_eq!(s.cpu_usage_ns, Some(2_000_000));
        assert_eq!(s.nr_throttled, Some(5));
        assert_eq!(s.memory_usage, Some(8_388_608));
        assert_eq!(s.online_cpus, Some(2));
        assert_eq!(s.net_rx_bytes, None);
    }
}
