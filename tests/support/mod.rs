//! Test harness shared by the integration tests (`mod support;` in each test file).
//!
//! - [`engine_required`] / [`test_image`]: tests that need a Docker engine fail (never skip) when it
//!   is missing. `scripts/test` sets both up.
//! - [`TestContainers`]: starts labelled containers through the `docker` CLI and removes them all when
//!   dropped, also when the test panics.
//! - [`Tmux`]: drives the real binary in a private tmux server for end-to-end tests.
#![allow(dead_code)]

pub mod bin;
pub mod compose;
pub mod hostile;
pub mod proxy;
pub mod services;
pub mod shell;

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Label carried by every container the harness starts; its value identifies one guard.
pub const RUN_LABEL: &str = "wheelhouse.test.run";
/// Label with the pid of the test process, so `scripts/test` can remove leftovers of dead runs.
pub const PID_LABEL: &str = "wheelhouse.test.pid";
/// Command used when `run` is given an empty `cmd`.
pub const DEFAULT_CMD: &[&str] = &["sleep", "3600"];
/// Command that serves `/www` of the test image over HTTP on port 8080.
pub const HTTPD_CMD: &[&str] = &["httpd", "-f", "-p", "8080", "-h", "/www"];
/// Recognizable output of the failing probe of [`TestContainers::unhealthy`].
pub const UNHEALTHY_MARKER: &str = "probe-failed-marker";

/// A string unique to this process and call: `<pid hex><time hex><counter>`, lowercase.
pub fn unique_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{:x}{:x}{n}",
        std::process::id(),
        (nanos as u64) & 0xff_ffff
    )
}

/// Runs `cmd`, killing it after `timeout`. Returns its output or a description of what went wrong.
pub fn output_with_timeout(cmd: &mut Command, timeout: Duration) -> Result<Output, String> {
    let desc = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {desc}: {e}"))?;
    // Read pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{desc} did not finish within {timeout:?}"));
            }
            Err(e) => return Err(format!("waiting for {desc}: {e}")),
        }
    };
    Ok(Output {
        status,
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
    })
}

/// Processes whose command line contains `needle`: (pid, argv joined by spaces, state letter).
pub fn processes_with(needle: &str) -> Vec<(u32, String, char)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args = String::from_utf8_lossy(&raw).replace('\0', " ");
        if !args.contains(needle) {
            continue;
        }
        let state = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|s| s.rsplit_once(')').map(|(_, r)| r.trim().chars().next()))
            .flatten()
            .unwrap_or('?');
        found.push((pid, args.trim().to_string(), state));
    }
    found
}

/// The engine endpoint the docker CLI will use, for messages.
pub fn docker_endpoint() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(h) if !h.is_empty() => h,
        _ => match std::env::var("DOCKER_CONTEXT") {
            Ok(c) if !c.is_empty() => format!("context {c}"),
            _ => "unix:///var/run/docker.sock".to_string(),
        },
    }
}

/// What [`engine_required`] found.
#[derive(Clone, Debug)]
pub struct Engine {
    /// The endpoint (DOCKER_HOST, or the default socket).
    pub host: String,
    /// `docker version --format {{.Server.Version}}`.
    pub server_version: String,
    /// `{{.Server.APIVersion}}`.
    pub api_version: String,
}

/// Checks that the Docker engine answers, once per test process. Panics with a clear message
/// naming the endpoint when it does not: tests that need an engine must never silently pass.
pub fn engine_required() -> Engine {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    let found = ENGINE.get_or_init(|| {
        let host = docker_endpoint();
        let out = output_with_timeout(
            Command::new("docker").args([
                "version",
                "--format",
                "{{.Server.Version}} {{.Server.APIVersion}}",
            ]),
            Duration::from_secs(15),
        )?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut parts = text.split_whitespace();
        Ok(Engine {
            host,
            server_version: parts.next().unwrap_or_default().to_string(),
            api_version: parts.next().unwrap_or_default().to_string(),
        })
    });
    match found {
        Ok(engine) => engine.clone(),
        Err(why) => {
            let who = if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
                "CI"
            } else {
                "test"
            };
            panic!(
                "{who}: the Docker engine at {} is not reachable: {why}\n\
                 (run the suite with `scripts/test`, which starts an engine and builds the test image)",
                docker_endpoint()
            )
        }
    }
}

/// The image real-engine tests run: env `WHEELHOUSE_TEST_IMAGE`, default `wheelhouse-test:latest`.
/// Panics when the engine does not have it.
pub fn test_image() -> String {
    let image = std::env::var("WHEELHOUSE_TEST_IMAGE")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "wheelhouse-test:latest".to_string());
    engine_required();
    static CHECKED: OnceLock<Result<(), String>> = OnceLock::new();
    let checked = CHECKED.get_or_init(|| {
        let out = output_with_timeout(
            Command::new("docker").args(["image", "inspect", "--format", "{{.Id}}", &image]),
            Duration::from_secs(15),
        )?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    });
    if let Err(why) = checked {
        panic!(
            "the test image {image} is not on the engine at {}: {why}\n\
             (run `scripts/test`, which builds it from fixtures/test-image without a registry)",
            docker_endpoint()
        );
    }
    image
}

/// `docker` with `DOCKER_HOST=host` when given (another engine), else the environment's engine.
pub fn docker_cmd(host: Option<&str>) -> Command {
    let mut cmd = Command::new("docker");
    if let Some(host) = host {
        cmd.env("DOCKER_HOST", host).env_remove("DOCKER_CONTEXT");
    }
    cmd
}

/// Runs the docker CLI; returns stdout without the trailing newline. Panics with stderr on failure.
pub fn docker(args: &[&str]) -> String {
    docker_on(None, args)
}

/// [`docker`] against `host` (`None`: the environment's engine).
pub fn docker_on(host: Option<&str>, args: &[&str]) -> String {
    let out = output_with_timeout(docker_cmd(host).args(args), Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("docker {}: {e}", args.join(" ")));
    if !out.status.success() {
        panic!(
            "docker {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

/// Like [`docker`], but returns `Err(stderr)` instead of panicking.
pub fn try_docker(args: &[&str]) -> Result<String, String> {
    try_docker_on(None, args)
}

/// [`try_docker`] against `host` (`None`: the environment's engine).
pub fn try_docker_on(host: Option<&str>, args: &[&str]) -> Result<String, String> {
    let out = output_with_timeout(docker_cmd(host).args(args), Duration::from_secs(120))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Polls `probe` every 50 ms until it returns `Some`, or returns `Err(last description)` at `timeout`.
pub fn poll<T>(
    timeout: Duration,
    mut probe: impl FnMut() -> Result<T, String>,
) -> Result<T, String> {
    let deadline = Instant::now() + timeout;
    loop {
        match probe() {
            Ok(v) => return Ok(v),
            Err(last) if Instant::now() >= deadline => {
                return Err(format!("timed out after {timeout:?}; last: {last}"))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Guard for containers started by one test. Every container carries
/// `wheelhouse.test.run=<run id>`; dropping the guard (also during a panic) removes them all.
pub struct TestContainers {
    run_id: String,
    image: String,
    /// `DOCKER_HOST` for the CLI; `None`: the environment's engine.
    host: Option<String>,
}

impl TestContainers {
    /// Checks the engine and the image (panicking clearly if either is missing).
    pub fn new() -> Self {
        engine_required();
        TestContainers {
            run_id: unique_id(),
            image: test_image(),
            host: None,
        }
    }

    /// A guard for containers on another engine (`unix://…`, as for `DOCKER_HOST`), which must
    /// answer and have the test image (`scripts/test` loads it into its second engine).
    pub fn on(host: &str) -> Self {
        let image = test_image();
        if let Err(why) = try_docker_on(Some(host), &["image", "inspect", "-f", "{{.Id}}", &image])
        {
            panic!("the engine at {host} does not answer or lacks {image}: {why}\n(run `scripts/test`)");
        }
        TestContainers {
            run_id: unique_id(),
            image,
            host: Some(host.to_string()),
        }
    }

    /// The engine this guard's containers run on (`None`: the environment's).
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    pub fn image(&self) -> &str {
        &self.image
    }

    /// `wheelhouse.test.run=<run id>`, ready for `--filter label=…`.
    pub fn label(&self) -> String {
        format!("{RUN_LABEL}={}", self.run_id)
    }

    /// `wh-test-<run id>-<suffix>`: the name `run` gives a container.
    pub fn name(&self, suffix: &str) -> String {
        format!("wh-test-{}-{suffix}", self.run_id)
    }

    /// A compose project name unique to this guard: `<base>-<run id>`.
    pub fn project(&self, base: &str) -> String {
        format!("{base}-{}", self.run_id)
    }

    /// `docker run -d --name wh-test-<run id>-<suffix> --label … <args> <image> <cmd>`; returns the id.
    /// An empty `cmd` runs [`DEFAULT_CMD`].
    pub fn run(&self, name_suffix: &str, args: &[&str], cmd: &[&str]) -> String {
        self.run_named(&self.name(name_suffix), args, cmd)
    }

    /// Like [`run`](Self::run) with the exact container name (still labelled and cleaned up).
    pub fn run_named(&self, name: &str, args: &[&str], cmd: &[&str]) -> String {
        let label = self.label();
        let pid = format!("{PID_LABEL}={}", std::process::id());
        let mut argv: Vec<&str> = vec![
            "run", "-d", "--name", name, "--label", &label, "--label", &pid,
        ];
        argv.extend_from_slice(args);
        argv.push(&self.image);
        argv.extend_from_slice(if cmd.is_empty() { DEFAULT_CMD } else { cmd });
        docker_on(self.host(), &argv)
    }

    /// Starts `replicas` containers that look like a compose service: names `<project>-<service>-<n>`
    /// (n from 1) and the compose labels. Returns the ids in number order.
    pub fn compose_group(&self, project: &str, service: &str, replicas: usize) -> Vec<String> {
        (1..=replicas)
            .map(|n| self.compose_replica(project, service, n, &[], &[]))
            .collect()
    }

    /// One compose replica number `n`, with extra `docker run` args and command.
    pub fn compose_replica(
        &self,
        project: &str,
        service: &str,
        n: usize,
        args: &[&str],
        cmd: &[&str],
    ) -> String {
        let labels = [
            format!("com.docker.compose.project={project}"),
            format!("com.docker.compose.service={service}"),
            format!("com.docker.compose.container-number={n}"),
            "com.docker.compose.oneoff=False".to_string(),
        ];
        let mut argv: Vec<&str> = Vec::new();
        for l in &labels {
            argv.extend(["--label", l.as_str()]);
        }
        argv.extend_from_slice(args);
        self.run_named(&format!("{project}-{service}-{n}"), &argv, cmd)
    }

    /// A container whose health check (`true`, every 1 s) passes: healthy after ~1 s.
    pub fn healthy(&self, name_suffix: &str) -> String {
        self.with_check(name_suffix, "true")
    }

    /// A container whose health check prints [`UNHEALTHY_MARKER`] and fails: unhealthy after ~1 s.
    pub fn unhealthy(&self, name_suffix: &str) -> String {
        self.with_check(name_suffix, &format!("echo {UNHEALTHY_MARKER}; exit 1"))
    }

    /// A container with a fast health check: every 1 s, 1 s timeout, 1 retry.
    fn with_check(&self, name_suffix: &str, check: &str) -> String {
        let args = [
            "--health-cmd",
            check,
            "--health-interval",
            "1s",
            "--health-timeout",
            "1s",
            "--health-retries",
            "1",
        ];
        self.run(name_suffix, &args, &[])
    }

    /// Waits until `docker inspect` reports `State.Health.Status == status`.
    pub fn wait_health(&self, id: &str, status: &str, timeout: Duration) -> Result<(), String> {
        poll(timeout, || {
            let now = try_docker_on(
                self.host(),
                &["inspect", "-f", "{{.State.Health.Status}}", id],
            )?;
            if now == status {
                Ok(())
            } else {
                Err(format!("health of {id} is {now:?}"))
            }
        })
    }

    /// Ids of all containers (running or not) of this guard.
    pub fn ids(&self) -> Vec<String> {
        let filter = format!("label={}", self.label());
        docker_on(
            self.host(),
            &["ps", "-aq", "--no-trunc", "--filter", &filter],
        )
        .lines()
        .map(str::to_string)
        .collect()
    }

    /// Removes every container of this guard now (the guard stays usable).
    pub fn remove_all(&self) -> Result<(), String> {
        let ids = {
            let filter = format!("label={}", self.label());
            try_docker_on(self.host(), &["ps", "-aq", "--filter", &filter])?
        };
        let ids: Vec<&str> = ids.lines().collect();
        if ids.is_empty() {
            return Ok(());
        }
        let mut argv = vec!["rm", "-f", "-v"];
        argv.extend(ids);
        try_docker_on(self.host(), &argv).map(|_| ())
    }
}

impl Default for TestContainers {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestContainers {
    fn drop(&mut self) {
        // Never panic here: this also runs while a failing test unwinds.
        if let Err(e) = self.remove_all() {
            eprintln!("warning: removing test containers {}: {e}", self.label());
        }
    }
}

/// A fact `scripts/test` exports for the transport tests (second engine, TLS, sshd). Panics
/// naming the variable when it is missing: run the suite through `scripts/test`.
pub fn test_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set: run the suite with `scripts/test`, which starts the second engine, \
             the TLS endpoint and the test sshd and exports it"
        ),
    }
}

/// `unix://…` socket of the second engine.
pub fn engine2_sock() -> String {
    test_env("WHEELHOUSE_TEST_ENGINE2_SOCK")
}

/// `unix://…` socket of the engine that is a single-node Swarm manager.
pub fn swarm_sock() -> String {
    test_env("WHEELHOUSE_TEST_SWARM_SOCK")
}

/// `tcp://127.0.0.1:23760`: the second engine over verified TLS.
pub fn tls_addr() -> String {
    test_env("WHEELHOUSE_TEST_TLS_ADDR")
}

/// Directory with `ca.pem`, `cert.pem`, `key.pem` (client) and `other-ca.pem` (unrelated CA).
pub fn tls_dir() -> std::path::PathBuf {
    test_env("WHEELHOUSE_TEST_TLS_DIR").into()
}

/// `ssh://root@127.0.0.1:2222`: the machine's engine through the test sshd.
pub fn ssh_host() -> String {
    test_env("WHEELHOUSE_TEST_SSH_HOST")
}

/// The `ssh -F` file with the test key and known_hosts.
pub fn ssh_config() -> std::path::PathBuf {
    test_env("WHEELHOUSE_TEST_SSH_CONFIG").into()
}

/// Directory with `id_ed25519` (authorized), `id_unauthorized` (not) and `known_hosts`.
pub fn ssh_dir() -> std::path::PathBuf {
    test_env("WHEELHOUSE_TEST_SSH_DIR").into()
}

/// Marker the wrapper shell of [`Tmux::start`] prints when the program exits: `__WH_EXIT__=<status>`.
pub const EXIT_MARKER: &str = "__WH_EXIT__=";

/// A private tmux server (`tmux -L <unique>`, no user config, no status line) running one command
/// in a `width`×`height` pane. Dropping it kills the server.
pub struct Tmux {
    socket: String,
    session: String,
    conf: std::path::PathBuf,
    socket_path: Option<String>,
}

impl Tmux {
    /// Starts `command` (a shell command line) in a new detached session. The command runs through
    /// a wrapper `sh` that prints `__WH_EXIT__=<status>` once it exits and then stays alive, so the
    /// screen after exit can be captured and checked (see [`Tmux::wait_exit`],
    /// [`Tmux::terminal_restored`]). `env` is added to the command's environment.
    pub fn start(
        session_name: &str,
        width: u16,
        height: u16,
        command: &str,
        env: &[(&str, &str)],
    ) -> Tmux {
        let socket = format!("wh-test-{}", unique_id());
        let conf = std::env::temp_dir().join(format!("{socket}.conf"));
        // remain-on-exit keeps the pane (and its last screen) even if the wrapper itself dies.
        std::fs::write(
            &conf,
            "set -g status off\nset -g remain-on-exit on\nset -g history-limit 5000\n\
             set -g escape-time 0\n",
        )
        .expect("write tmux config");
        // The subshell keeps an `exit` in `command` from skipping the marker; the INT/QUIT traps keep
        // a Ctrl-C meant for the program from killing the wrapper (traps reset on exec).
        let wrapped = format!(
            "trap : INT QUIT\n( {command}\n)\nprintf '\\n{EXIT_MARKER}%s\\n' \"$?\"\nexec sleep 86400",
        );
        let mut tmux = Tmux {
            socket,
            session: session_name.to_string(),
            conf,
            socket_path: None,
        };
        let w = width.to_string();
        let h = height.to_string();
        let mut args: Vec<String> = vec![
            "-f".into(),
            tmux.conf.to_string_lossy().into_owned(),
            "new-session".into(),
            "-d".into(),
            "-s".into(),
            session_name.into(),
            "-x".into(),
            w,
            "-y".into(),
            h,
        ];
        for (k, v) in env {
            args.push("-e".into());
            args.push(format!("{k}={v}"));
        }
        args.extend(["sh".into(), "-c".into(), wrapped]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        tmux.tmux(&refs)
            .unwrap_or_else(|e| panic!("starting tmux session {session_name}: {e}"));
        // kill-server leaves the socket file behind; remember it to remove it on drop.
        tmux.socket_path = tmux
            .tmux(&["display-message", "-p", "#{socket_path}"])
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        tmux
    }

    /// Runs `tmux -L <socket> <args>`; stdout or an error with stderr.
    pub fn tmux(&self, args: &[&str]) -> Result<String, String> {
        let out = output_with_timeout(
            Command::new("tmux").arg("-L").arg(&self.socket).args(args),
            Duration::from_secs(10),
        )?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "tmux {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    pub fn socket(&self) -> &str {
        &self.socket
    }

    /// Sends tmux key names ("Enter", "Escape", "C-c", "Up", "q"; a word that is no key name is
    /// typed as text).
    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        self.tmux(&args).unwrap_or_else(|e| panic!("{e}"));
    }

    /// Types `text` literally (`send-keys -l`), even if it looks like a key name.
    /// The window's (columns, rows).
    pub fn size(&self) -> (u16, u16) {
        let n = |f: &str| self.display(f).parse().expect("a number from tmux");
        (n("#{window_width}"), n("#{window_height}"))
    }

    /// Resizes the window, as a person resizing their terminal.
    pub fn resize(&self, cols: u16, rows: u16) {
        self.tmux(&[
            "resize-window",
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
        ])
        .expect("tmux resize-window");
    }

    pub fn send_literal(&self, text: &str) {
        self.tmux(&["send-keys", "-t", &self.session, "-l", text])
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// The visible screen (`capture-pane -p`), one line per row.
    pub fn capture(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &self.session])
            .unwrap_or_else(|e| format!("<capture failed: {e}>"))
    }

    /// The visible screen with colours and attributes as escape sequences (`capture-pane -p -e`).
    pub fn capture_styled(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e", "-t", &self.session])
            .unwrap_or_else(|e| format!("<capture failed: {e}>"))
    }

    /// Polls the screen every 50 ms until `pred` holds; returns that screen, or on timeout
    /// `Err(last screen)` — put it in the panic message.
    pub fn wait_for(
        &self,
        pred: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.capture();
            if pred(&screen) {
                return Ok(screen);
            }
            if Instant::now() >= deadline {
                return Err(screen);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// [`wait_for`](Self::wait_for) the screen to contain `needle`.
    pub fn wait_for_text(&self, needle: &str, timeout: Duration) -> Result<String, String> {
        self.wait_for(|s| s.contains(needle), timeout)
    }

    /// `tmux display -p <format>` for the pane, trimmed (e.g. `#{cursor_x}`).
    pub fn display(&self, format: &str) -> String {
        self.tmux(&["display-message", "-p", "-t", &self.session, format])
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }

    /// The tmux server and session are up (the program may have exited; see [`Tmux::exit_status`]).
    pub fn alive(&self) -> bool {
        self.tmux(&["has-session", "-t", &self.session]).is_ok()
    }

    /// The exit status of the program, once the wrapper has printed it.
    pub fn exit_status(&self) -> Option<i32> {
        let screen = self
            .tmux(&["capture-pane", "-p", "-S", "-", "-t", &self.session])
            .ok()?;
        screen.lines().rev().find_map(|l| {
            let l = l.trim();
            match l.strip_prefix(EXIT_MARKER) {
                Some(code) => code.parse().ok(),
                // The wrapper itself died; tmux (remain-on-exit) reports its status.
                None => l
                    .strip_prefix("Pane is dead (status ")?
                    .split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse()
                    .ok(),
            }
        })
    }

    /// The program is still running (it has not exited yet).
    pub fn running(&self) -> bool {
        self.alive() && self.exit_status().is_none()
    }

    /// Waits until the program exits; returns its status or `Err(last screen)`.
    pub fn wait_exit(&self, timeout: Duration) -> Result<i32, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(code) = self.exit_status() {
                return Ok(code);
            }
            if Instant::now() >= deadline {
                return Err(self.capture());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The alternate screen is in use.
    pub fn alternate_on(&self) -> bool {
        self.display("#{alternate_on}") == "1"
    }

    /// The cursor is visible.
    pub fn cursor_visible(&self) -> bool {
        self.display("#{cursor_flag}") == "1"
    }

    /// After the program exited: the alternate screen is off, the cursor is visible and the exit
    /// marker is on the normal screen. `Err` describes what is wrong, with the screen.
    pub fn terminal_restored(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        if self.exit_status().is_none() {
            problems.push("the program has not exited (no exit marker)".to_string());
        }
        if self.alternate_on() {
            problems.push("the alternate screen is still on".to_string());
        }
        if !self.cursor_visible() {
            problems.push("the cursor is hidden".to_string());
        }
        let mouse = self.display("#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}");
        if mouse.contains('1') {
            problems.push(format!("mouse reporting is still on ({mouse})"));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{}\nscreen:\n{}",
                problems.join("; "),
                self.capture()
            ))
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
        let _ = std::fs::remove_file(&self.conf);
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}
