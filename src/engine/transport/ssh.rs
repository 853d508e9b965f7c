//! `ssh://[user@]host[:port]` endpoints through the system `ssh` client, as the docker CLI does it:
//! each HTTP connection is one `ssh … docker system dial-stdio` child whose stdin/stdout carry
//! HTTP/1.1. All children of an endpoint share one ssh master connection (ControlMaster), so a
//! new connection costs a local fork, not a handshake. hyper's pooled client keeps connections
//! alive between requests; streams (events, logs) hold a connection of their own.
//!
//! The first connection forwards the remote engine's socket through the master (stream-local
//! forwarding, `ssh -O forward -L local.sock:/var/run/docker.sock`) before anything else, its
//! question of where that socket is making the master: connections are then unix connects to
//! the forwarded socket, with no process on either end. Where forwarding is refused
//! (`no-port-forwarding`, `AllowStreamLocalForwarding no`, an engine not on a unix socket)
//! connections are `dial-stdio` children, and the forward is tried again now and then.
//!
//! ssh does the rest: `~/.ssh/config`, agents, keys, and host key checking. BatchMode means it
//! never prompts, and StrictHostKeyChecking=yes means an unknown host key is an error, never
//! accepted. When a child fails, the error quotes what ssh said and names the host.

use std::collections::hash_map::DefaultHasher;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bollard::{ClientVersion, Docker};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::watch;

use super::dial::Dial;
use super::{chain_text, ApiPin, TransportError};

/// Extra `ssh -F` config file, for tests and unusual setups (it replaces `~/.ssh/config`).
pub const CONFIG_ENV: &str = "WHEELHOUSE_SSH_CONFIG";
/// How long ssh may take to reach the host (`-o ConnectTimeout`).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the master outlives its last client (`-o ControlPersist`), in seconds.
pub const CONTROL_PERSIST_SECS: u32 = 60;
/// Most of ssh's stderr kept for an error message.
const STDERR_LIMIT: usize = 16 * 1024;

/// Where an ssh endpoint points.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SshTarget {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl SshTarget {
    /// Parses `ssh://[user@]host[:port]` (a trailing `/` is allowed; paths are not).
    pub fn parse(url: &str) -> Result<SshTarget, String> {
        let rest = url
            .strip_prefix("ssh://")
            .ok_or_else(|| format!("{url}: not an ssh:// endpoint"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') || rest.contains('?') {
            return Err(format!(
                "{url}: an ssh endpoint has no path (expected ssh://[user@]host[:port])"
            ));
        }
        let (user, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) if !u.is_empty() => (Some(u.to_owned()), h),
            Some(_) => return Err(format!("{url}: empty user name")),
            None => (None, rest),
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("{url}: unclosed [ in host"))?;
            (h, after.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        let port = port
            .map(|p| {
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| format!("{url}: bad port {p:?}"))
            })
            .transpose()?;
        if host.is_empty() || host.starts_with('-') {
            return Err(format!("{url}: bad host name {host:?}"));
        }
        Ok(SshTarget {
            user,
            host: host.to_owned(),
            port,
        })
    }
}

/// How the ssh client is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshOptions {
    /// `ssh -F <file>`; `None` lets ssh read `~/.ssh/config` as usual.
    pub config: Option<PathBuf>,
    /// Directory of the ControlMaster sockets (private to the user).
    pub control_dir: PathBuf,
    pub connect_timeout: Duration,
}

impl SshOptions {
    /// Options from the environment: [`CONFIG_ENV`], and `$XDG_RUNTIME_DIR` (else a private
    /// directory in the temp dir) for the control sockets.
    pub fn from_env() -> SshOptions {
        let config = std::env::var_os(CONFIG_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        SshOptions {
            config,
            control_dir: runtime_dir(),
            connect_timeout: CONNECT_TIMEOUT,
        }
    }

    /// The same, with an explicit `ssh -F` file.
    pub fn with_config(config: Option<PathBuf>) -> SshOptions {
        SshOptions {
            config,
            ..SshOptions::from_env()
        }
    }
}

fn runtime_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("wheelhouse-{uid}"))
}

/// What one master (one endpoint reached with one ssh configuration) holds: the channels
/// open through it, a connection's `dial-stdio` or forwarded socket, or another program on it
/// (the remote sampler's batched read), and whether the engine's socket is forwarded. Kept per
/// ControlPath for the endpoints panel, since channels are what cost processes on both ends.
#[derive(Debug, Default)]
pub struct MasterStatus {
    channels: std::sync::atomic::AtomicUsize,
    forwarded: std::sync::atomic::AtomicBool,
}

impl MasterStatus {
    /// The channels open now.
    pub fn channels(&self) -> usize {
        self.channels.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Connections go through the forwarded engine socket.
    pub fn forwarded(&self) -> bool {
        self.forwarded.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn set_forwarded(&self, on: bool) {
        self.forwarded
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }
}

static MASTERS: std::sync::Mutex<Vec<(Vec<String>, Arc<MasterStatus>)>> =
    std::sync::Mutex::new(Vec::new());

/// The status of the master reached with `args` (options, config and host: what `%C` and the
/// config hash in the ControlPath stand for), shared by every dialer with those arguments.
fn master_status(args: &[String]) -> Arc<MasterStatus> {
    let mut all = MASTERS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, status)) = all.iter().find(|(a, _)| a == args) {
        return status.clone();
    }
    let status = Arc::new(MasterStatus::default());
    all.push((args.to_vec(), status.clone()));
    status
}

/// One open channel, counted while it lives.
#[derive(Debug)]
pub struct ChannelOpen(Arc<MasterStatus>);

impl ChannelOpen {
    pub fn new(status: &Arc<MasterStatus>) -> ChannelOpen {
        status
            .channels
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        ChannelOpen(status.clone())
    }
}

impl Drop for ChannelOpen {
    fn drop(&mut self) {
        self.0
            .channels
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A client for the ssh endpoint `url`. Nothing runs yet: ssh starts with the first request.
pub fn client(
    url: &str,
    options: &SshOptions,
    timeout: u64,
    version: &ClientVersion,
) -> Result<(Docker, ApiPin), String> {
    let target = SshTarget::parse(url)?;
    let dialer = Arc::new(Dialer::new(url, &target, options)?);
    let url_for_errors = url.to_owned();
    super::client(
        Dial::Ssh(dialer),
        url,
        timeout,
        version,
        Arc::new(move |e| Some(format!("{url_for_errors}: {}", chain_text(e)))),
    )
}

/// Starts `ssh … docker system dial-stdio` children for one endpoint.
#[derive(Debug)]
pub struct Dialer {
    url: String,
    /// Everything before the command: options, `--`, host.
    args: Vec<String>,
    control_path: PathBuf,
    connect_timeout: Duration,
    /// Held while a child may be creating the master, so concurrent first connections do not
    /// each start their own.
    master: tokio::sync::Mutex<()>,
    /// The engine's socket forwarded through the master, when the remote allows it.
    forward: Arc<std::sync::Mutex<Forward>>,
    /// Where the forwarded socket is made here (private, like the control sockets).
    forward_dir: PathBuf,
    status: Arc<MasterStatus>,
}

/// Stream-local forwarding of the remote engine's socket through the master: a connection is
/// then a unix connect here and a channel to the socket there, with no process on either end
/// (a `dial-stdio` connection is an ssh process here and a docker process there).
#[derive(Debug)]
enum Forward {
    /// Not tried yet (there was no master).
    Untried,
    /// Being set up by the first connection; the others wait for it.
    First,
    /// Being set up again in the background (it was refused or broke); connections use
    /// dial-stdio meanwhile.
    SettingUp,
    Up(PathBuf),
    /// Refused or broken (the log says why): connections use `dial-stdio`; tried again after
    /// a while.
    Unavailable {
        at: tokio::time::Instant,
    },
}

/// How long after a refused or broken forward it is tried again.
const FORWARD_RETRY: Duration = Duration::from_secs(60);
/// How long setting up the forward may take in all (a remote command, two `ssh -O`, a ping).
const FORWARD_WITHIN: Duration = Duration::from_secs(10);

impl Dialer {
    pub fn new(url: &str, target: &SshTarget, options: &SshOptions) -> Result<Dialer, String> {
        create_private_dir(&options.control_dir)?;
        // %C hashes local host, remote host, port and user; the config file is ours to add, so an
        // endpoint reached with other settings never borrows this master.
        let control_path = match &options.config {
            Some(cfg) => {
                let mut h = DefaultHasher::new();
                cfg.hash(&mut h);
                options
                    .control_dir
                    .join(format!("wheelhouse-ssh-{:016x}-%C", h.finish()))
            }
            None => options.control_dir.join("wheelhouse-ssh-%C"),
        };
        let secs = options.connect_timeout.as_secs().max(1);
        let mut args: Vec<String> = Vec::new();
        if let Some(cfg) = &options.config {
            args.extend(["-F".into(), cfg.display().to_string()]);
        }
        for o in [
            "BatchMode=yes".to_string(),
            format!("ConnectTimeout={secs}"),
            "StrictHostKeyChecking=yes".into(),
            "ControlMaster=auto".into(),
            format!("ControlPath={}", control_path.display()),
            format!("ControlPersist={CONTROL_PERSIST_SECS}"),
        ] {
            args.extend(["-o".into(), o]);
        }
        args.push("-T".into());
        if let Some(user) = &target.user {
            args.extend(["-l".into(), user.clone()]);
        }
        if let Some(port) = target.port {
            args.extend(["-p".into(), port.to_string()]);
        }
        args.extend(["--".into(), target.host.clone()]);
        Ok(Dialer {
            url: url.to_owned(),
            status: master_status(&args),
            args,
            control_path,
            connect_timeout: options.connect_timeout,
            master: tokio::sync::Mutex::new(()),
            forward: Arc::new(std::sync::Mutex::new(Forward::Untried)),
            forward_dir: options.control_dir.clone(),
        })
    }

    /// One new connection: through the forwarded socket when there is one, else a dial-stdio
    /// child ([`Dialer::dial`]). A `long_lived` one (an event or log stream) waits for a forward
    /// being set up rather than holding a dial-stdio child for as long as it lives; ordinary
    /// answers do not wait (their dial-stdio children close when idle).
    pub async fn connect(&self, long_lived: bool) -> io::Result<Box<dyn super::dial::IoStream>> {
        self.forward_first().await?;
        if long_lived {
            let until = tokio::time::Instant::now() + FORWARD_WITHIN;
            while matches!(*lock(&self.forward), Forward::SettingUp)
                && tokio::time::Instant::now() < until
            {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        if let Some(path) = self.forwarded() {
            match tokio::net::UnixStream::connect(&path).await {
                Ok(stream) => {
                    return Ok(Box::new(Counted {
                        stream,
                        _channel: ChannelOpen::new(&self.status),
                    }))
                }
                Err(e) => {
                    log::info!(
                        "{}: the forwarded socket broke ({e}); using dial-stdio",
                        self.url
                    );
                    *lock(&self.forward) = Forward::Unavailable {
                        at: tokio::time::Instant::now(),
                    };
                    self.status.set_forwarded(false);
                }
            }
        }
        let stream = self.dial().await?;
        // This child may have just made the master: the forward can be set up now, to be ready
        // for the connections that follow (the event stream's among them).
        let _ = self.forwarded();
        Ok(Box::new(stream))
    }

    /// The forwarded socket when it is up. After a refused or broken forward, it is set up
    /// again in the background once a while has passed (connections use dial-stdio meanwhile).
    fn forwarded(&self) -> Option<PathBuf> {
        let mut forward = lock(&self.forward);
        match &*forward {
            Forward::Up(path) => return Some(path.clone()),
            Forward::First | Forward::SettingUp => return None,
            Forward::Unavailable { at, .. } if at.elapsed() < FORWARD_RETRY => return None,
            Forward::Untried | Forward::Unavailable { .. } => {}
        }
        if !self.master_socket_exists() {
            return None;
        }
        *forward = Forward::SettingUp;
        let (state, master) = (self.forward.clone(), self.master_access());
        let status = self.status.clone();
        tokio::spawn(async move {
            let outcome = master.set_up_forward_within(FORWARD_WITHIN).await;
            settle_forward(&state, &status, &master.url, outcome);
        });
        None
    }

    /// The first connection of an endpoint sets up the forward before anything else, and those
    /// that come while it does wait for it: its first step (asking the remote where its
    /// engine's socket is) makes the master when there is none, and then every connection, the
    /// first included, is a unix connect here. The first connection used to be a dial-stdio
    /// child, and the start-up requests opened more of them while the forward was set up behind
    /// them: on the remote each is a session sshd starts (PAM, a shell, the docker CLI), about
    /// 100 ms apiece before the first answer. Where ssh itself fails (no master could be made),
    /// that is the connection's error, in dial-stdio's words, and the next connection tries
    /// again.
    ///
    /// The setup runs in a task of its own and settles the state there: a request that gives up
    /// waiting (its timeout is shorter than ssh's connect timeout plus the setup's) must not
    /// leave the forward "being set up" for good.
    async fn forward_first(&self) -> io::Result<()> {
        // Long enough for ssh to give up connecting on its own, and say why.
        let within = self.connect_timeout + FORWARD_WITHIN;
        let first = {
            let mut forward = lock(&self.forward);
            match *forward {
                Forward::Untried => {
                    *forward = Forward::First;
                    true
                }
                Forward::First => false,
                _ => return Ok(()),
            }
        };
        if !first {
            let until = tokio::time::Instant::now() + within;
            while matches!(*lock(&self.forward), Forward::First)
                && tokio::time::Instant::now() < until
            {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            return Ok(());
        }
        let (state, status, master) = (
            self.forward.clone(),
            self.status.clone(),
            self.master_access(),
        );
        let setup = tokio::spawn(async move {
            match master.set_up_forward_within(within).await {
                Err(why) if why.starts_with(SSH_FAILED) && !master.master_exists() => {
                    *lock(&state) = Forward::Untried;
                    Err(why)
                }
                outcome => {
                    settle_forward(&state, &status, &master.url, outcome);
                    Ok(())
                }
            }
        });
        match setup.await {
            Ok(Err(why)) => Err(io::Error::other(TransportError(format!(
                "{}: {why}",
                self.url
            )))),
            Ok(Ok(())) => Ok(()),
            Err(e) => {
                *lock(&self.forward) = Forward::Untried;
                Err(io::Error::other(TransportError(format!(
                    "{}: setting up the forward failed: {e}",
                    self.url
                ))))
            }
        }
    }

    fn master_access(&self) -> MasterAccess {
        MasterAccess {
            url: self.url.clone(),
            args: self.args.clone(),
            forward_dir: self.forward_dir.clone(),
            resolved_master: self.resolved_control_path(),
        }
    }
}

fn lock(forward: &std::sync::Mutex<Forward>) -> std::sync::MutexGuard<'_, Forward> {
    forward.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records how setting up the forward went: connections use it from now on, or dial-stdio.
fn settle_forward(
    state: &std::sync::Mutex<Forward>,
    status: &MasterStatus,
    url: &str,
    outcome: Result<PathBuf, String>,
) {
    *lock(state) = match outcome {
        Ok(path) => {
            log::info!("{url}: the engine's socket is forwarded through ssh");
            status.set_forwarded(true);
            Forward::Up(path)
        }
        Err(why) => {
            log::info!("{url}: no forwarded socket ({why}); using dial-stdio");
            status.set_forwarded(false);
            Forward::Unavailable {
                at: tokio::time::Instant::now(),
            }
        }
    };
}

/// How an error of ssh itself (exit status 255) begins, as a dial-stdio child's failure does.
const SSH_FAILED: &str = "ssh failed (";

/// What setting up the forward needs of the dialer, owned so that it runs on its own.
struct MasterAccess {
    url: String,
    args: Vec<String>,
    forward_dir: PathBuf,
    /// The master's socket, `%C` resolved.
    resolved_master: Option<PathBuf>,
}

impl MasterAccess {
    /// The master's socket exists (with ssh's own `%C` resolution).
    fn master_exists(&self) -> bool {
        self.resolved_master.as_ref().is_some_and(|p| p.exists())
    }

    /// [`MasterAccess::set_up_forward`], given up after `within`.
    async fn set_up_forward_within(&self, within: Duration) -> Result<PathBuf, String> {
        tokio::time::timeout(within, self.set_up_forward())
            .await
            .unwrap_or_else(|_| Err("setting up the forward took too long".into()))
    }

    /// Asks the remote where its engine's socket is, forwards it through the master, and pings
    /// the engine through it.
    async fn set_up_forward(&self) -> Result<PathBuf, String> {
        let remote = self.remote_socket().await?;
        // Named after the master's own socket too: a host alias pointed elsewhere gets a new
        // master (`%C` hashes the real host), and must not reuse the old one's forward.
        let mut h = DefaultHasher::new();
        (&self.args, &remote, &self.resolved_master).hash(&mut h);
        let local = self
            .forward_dir
            .join(format!("wheelhouse-fwd-{:016x}.sock", h.finish()));
        // A forward left on a persisting master by an earlier console may still serve.
        if ping(&local).await.is_ok() {
            return Ok(local);
        }
        let spec = format!("{}:{remote}", local.display());
        let _ = self.control(&["-O", "cancel", "-L", &spec]).await;
        let _ = std::fs::remove_file(&local);
        self.control(&["-O", "forward", "-L", &spec]).await?;
        match ping(&local).await {
            Ok(()) => Ok(local),
            Err(e) => {
                let _ = self.control(&["-O", "cancel", "-L", &spec]).await;
                let _ = std::fs::remove_file(&local);
                Err(format!("the forwarded {remote} does not answer: {e}"))
            }
        }
    }

    /// The engine's socket on the remote, as its docker CLI (and so dial-stdio) would reach it:
    /// `DOCKER_HOST` when set, else the current context's, else the default.
    async fn remote_socket(&self) -> Result<String, String> {
        let mut args = self.args.clone();
        // Through `sh` whatever the login shell (fish and csh know neither `${X:-}` nor `2>`).
        args.push(
            "sh -c 'printf \"%s\\n\" \"${DOCKER_HOST:-}\"; docker context inspect --format \
             \"{{.Endpoints.docker.Host}}\" 2>/dev/null'"
                .into(),
        );
        let mut child = Command::new("ssh")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run ssh: {e} (is the openssh client installed?)"))?;
        // This ssh may become the master, which keeps stderr open on some OpenSSH releases
        // when it goes to the background: stderr is read aside and not waited for.
        let mut stderr = child.stderr.take().expect("piped stderr");
        let said = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let said_here = said.clone();
        tokio::spawn(async move {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut chunk).await {
                let Ok(mut kept) = said_here.lock() else {
                    break;
                };
                if n == 0 || kept.len() >= STDERR_LIMIT {
                    break;
                }
                kept.extend_from_slice(&chunk[..n]);
            }
        });
        let mut stdout = Vec::new();
        if let Some(mut out) = child.stdout.take() {
            let _ = out.read_to_end(&mut stdout).await;
        }
        let status = child
            .wait()
            .await
            .map_err(|e| format!("cannot run ssh: {e}"))?;
        if status.code() == Some(255) {
            // ssh's own failure (its remote commands' statuses are theirs): this may be the
            // first connection, whose error the operator reads. Its last words arrive with
            // its exit.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let said = said.lock().map(|b| b.clone()).unwrap_or_default();
            let said = String::from_utf8_lossy(&said).trim().to_owned();
            return Err(if said.is_empty() {
                format!("{SSH_FAILED}{status}) before the engine answered")
            } else {
                format!("{SSH_FAILED}{status}): {said}")
            });
        }
        let out = std::process::Output {
            status,
            stdout,
            stderr: Vec::new(),
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines().map(str::trim);
        let from_env = lines.next().unwrap_or_default();
        let from_context = lines.next().unwrap_or_default();
        if !out.status.success() && from_env.is_empty() && from_context.is_empty() {
            return Err("the remote would not say where its engine is".into());
        }
        let host = [from_env, from_context]
            .into_iter()
            .find(|h| !h.is_empty())
            .unwrap_or("unix:///var/run/docker.sock");
        let path = host
            .strip_prefix("unix://")
            .ok_or_else(|| format!("the remote's engine is at {host}, not a unix socket"))?;
        if path.is_empty() || path.contains(':') || path.chars().any(char::is_whitespace) {
            return Err(format!("{host}: not a socket path ssh can forward"));
        }
        Ok(path.to_owned())
    }

    /// `ssh -O …` to the master.
    async fn control(&self, op: &[&str]) -> Result<(), String> {
        let split = self
            .args
            .iter()
            .position(|a| a == "--")
            .unwrap_or(self.args.len());
        let mut args: Vec<String> = self.args[..split].to_vec();
        args.extend(op.iter().map(|s| s.to_string()));
        args.extend(self.args[split..].iter().cloned());
        let out = Command::new("ssh")
            .args(&args)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| format!("cannot run ssh: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "ssh {}: {}",
                op.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}

impl Dialer {
    /// The ssh command line of one connection (without the program name).
    pub fn command_args(&self) -> Vec<String> {
        let mut args = self.args.clone();
        args.extend(["docker", "system", "dial-stdio"].map(String::from));
        args
    }

    /// ssh's options and the host, without a remote command: for other programs run through
    /// the same master (the remote sampler's batched read).
    pub fn args_to_host(&self) -> &[String] {
        &self.args
    }

    /// How long ssh may take to reach the host.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// What this endpoint's master holds open (shared by every dialer with the same master).
    pub fn status(&self) -> Arc<MasterStatus> {
        self.status.clone()
    }

    /// The ControlPath pattern (with `%C`) this endpoint's children use.
    pub fn control_path(&self) -> &Path {
        &self.control_path
    }

    /// One new connection: a dial-stdio child. When no master is up yet, the first child becomes
    /// it (ControlPersist detaches it) and others wait until its socket exists.
    pub async fn dial(&self) -> io::Result<SshStream> {
        let mut guard = None;
        if !self.master_socket_exists() {
            guard = Some(self.master.lock().await);
        }
        let creating_master = guard.is_some() && !self.master_socket_exists();
        let mut child = Command::new("ssh")
            .args(self.command_args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                io::Error::other(TransportError(format!(
                    "{}: cannot run ssh: {e} (is the openssh client installed?)",
                    self.url
                )))
            })?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = watch::channel(None::<String>);
        tokio::spawn(async move {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                match stderr.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) if buf.len() < STDERR_LIMIT => buf.extend_from_slice(&chunk[..n]),
                    Ok(_) => {}
                }
            }
            let _ = tx.send(Some(String::from_utf8_lossy(&buf).trim().to_owned()));
        });
        let mut stream = SshStream {
            _channel: ChannelOpen::new(&self.status),
            url: self.url.clone(),
            child,
            stdin,
            stdout,
            stderr: rx,
            read_any: false,
            failing: None,
        };
        if creating_master {
            // Wait for the master's socket, or for the child to fail (host key, auth, network).
            let deadline =
                tokio::time::Instant::now() + self.connect_timeout + Duration::from_secs(5);
            loop {
                if self.master_socket_exists() {
                    break;
                }
                if let Some(status) = stream.child.try_wait()? {
                    return Err(stream.failure(Some(status)).await);
                }
                if tokio::time::Instant::now() >= deadline {
                    // Possibly a config that turns multiplexing off; the connection may still work.
                    log::warn!("{}: no ssh master socket appeared", self.url);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        drop(guard);
        Ok(stream)
    }

    /// The master socket exists. `%C` is resolved by asking ssh (`-G` prints the final config).
    fn master_socket_exists(&self) -> bool {
        match self.resolved_control_path() {
            Some(p) => p.exists(),
            None => false,
        }
    }

    fn resolved_control_path(&self) -> Option<PathBuf> {
        static CACHE: std::sync::Mutex<Vec<(Vec<String>, PathBuf)>> =
            std::sync::Mutex::new(Vec::new());
        if let Some((_, p)) = CACHE
            .lock()
            .ok()?
            .iter()
            .find(|(args, _)| *args == self.args)
        {
            return Some(p.clone());
        }
        let out = std::process::Command::new("ssh")
            .arg("-G")
            .args(&self.args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let path = text
            .lines()
            .find_map(|l| l.strip_prefix("controlpath "))
            .map(|p| PathBuf::from(p.trim()))?;
        CACHE.lock().ok()?.push((self.args.clone(), path.clone()));
        Some(path)
    }
}

fn create_private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// `GET /_ping` through a unix socket: the engine answers 200.
async fn ping(path: &Path) -> io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::UnixStream::connect(path).await?;
    stream
        .write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        .await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), async {
        let mut chunk = [0u8; 512];
        while answer.len() < 4096 {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&chunk[..n]);
        }
        Ok::<(), io::Error>(())
    })
    .await
    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer to /_ping"))??;
    if answer.starts_with(b"HTTP/1.0 200") || answer.starts_with(b"HTTP/1.1 200") {
        Ok(())
    } else {
        let first = String::from_utf8_lossy(&answer);
        Err(io::Error::other(format!(
            "answered {:?}",
            first.lines().next().unwrap_or_default()
        )))
    }
}

/// A connection through the forwarded socket, counted as a channel while it lives.
struct Counted<S> {
    stream: S,
    _channel: ChannelOpen,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

type Failing = Pin<Box<dyn Future<Output = io::Error> + Send>>;

/// One connection: the child's stdout and stdin. Dropping it kills the child (tokio reaps it).
pub struct SshStream {
    _channel: ChannelOpen,
    url: String,
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
    stderr: watch::Receiver<Option<String>>,
    /// The engine has sent something: later EOFs are ordinary ends of connection.
    read_any: bool,
    /// The child ended before the engine answered: waiting for ssh's last words.
    failing: Option<Failing>,
}

impl SshStream {
    /// The error for a child that ended before the engine answered, quoting ssh's stderr.
    fn failure(&self, status: Option<std::process::ExitStatus>) -> Failing {
        failure(self.url.clone(), self.stderr.clone(), status)
    }

    fn poll_failing(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let (url, rx) = (&self.url, &self.stderr);
        let fut = self
            .failing
            .get_or_insert_with(|| failure(url.clone(), rx.clone(), None));
        fut.as_mut().poll(cx)
    }
}

fn failure(
    url: String,
    mut stderr: watch::Receiver<Option<String>>,
    status: Option<std::process::ExitStatus>,
) -> Failing {
    Box::pin(async move {
        // ssh's stderr closes when it exits; a few seconds cover a slow exit.
        let said = tokio::time::timeout(Duration::from_secs(3), stderr.wait_for(|s| s.is_some()))
            .await
            .ok()
            .and_then(|r| r.ok().and_then(|s| s.clone()))
            .unwrap_or_default();
        let how = match status {
            Some(s) => format!("ssh failed ({s})"),
            None => "ssh ended the connection".into(),
        };
        let text = if said.is_empty() {
            format!("{url}: {how} before the engine answered")
        } else {
            format!("{url}: {how}: {said}")
        };
        io::Error::other(TransportError(text))
    })
}

impl AsyncRead for SshStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.failing.is_some() {
            return this.poll_failing(cx).map(Err);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.stdout).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() == before && !this.read_any => {
                this.poll_failing(cx).map(Err)
            }
            Poll::Ready(Ok(())) => {
                this.read_any = true;
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for SshStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.failing.is_some() {
            return this.poll_failing(cx).map(Err);
        }
        match Pin::new(&mut this.stdin).poll_write(cx, data) {
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::BrokenPipe && !this.read_any => {
                this.poll_failing(cx).map(Err)
            }
            other => other,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stdin).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stdin).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_user_host_and_port() {
        assert_eq!(
            SshTarget::parse("ssh://root@127.0.0.1:2222").unwrap(),
            SshTarget {
                user: Some("root".into()),
                host: "127.0.0.1".into(),
                port: Some(2222)
            }
        );
        assert_eq!(
            SshTarget::parse("ssh://box/").unwrap(),
            SshTarget {
                user: None,
                host: "box".into(),
                port: None
            }
        );
        assert_eq!(SshTarget::parse("ssh://u@[::1]:22").unwrap().host, "::1");
        assert!(SshTarget::parse("ssh://-oProxyCommand=x").is_err());
        assert!(SshTarget::parse("ssh://h:99999").is_err());
        assert!(SshTarget::parse("ssh://h/path").is_err());
    }

    #[test]
    fn command_honours_port_user_and_config() {
        let options = SshOptions {
            config: Some("/cfg".into()),
            control_dir: std::env::temp_dir(),
            connect_timeout: Duration::from_secs(7),
        };
        let target = SshTarget::parse("ssh://alice@h:2222").unwrap();
        let args = Dialer::new("ssh://alice@h:2222", &target, &options)
            .unwrap()
            .command_args()
            .join(" ");
        for want in [
            "-F /cfg",
            "-o BatchMode=yes",
            "-o ConnectTimeout=7",
            "-o StrictHostKeyChecking=yes",
            "-o ControlMaster=auto",
            "-o ControlPersist=60",
            "-l alice",
            "-p 2222",
            "-- h docker system dial-stdio",
        ] {
            assert!(args.contains(want), "{want:?} missing from {args}");
        }
    }
}
