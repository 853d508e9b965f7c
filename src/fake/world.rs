//! The synthetic world behind the fake engine: compose projects of containers with labels,
//! health checks, limits and load profiles, the lifecycle rules an engine enforces
//! (409 when pausing a stopped container, 304 when starting a running one), and the events
//! each change emits, kept in a bounded replay buffer like dockerd's.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use tokio::sync::broadcast;

use super::rng::Rng;

/// dockerd keeps this many events for `since` replay.
pub const EVENT_BUFFER: usize = 256;

const PROJECTS: &[&str] = &[
    "shop", "billing", "search", "auth", "media", "ledger", "chat", "metrics", "inbox", "maps",
];
/// (service, image, command, has a health check, exposed port)
const SERVICES: &[(&str, &str, &str, bool, Option<u16>)] = &[
    (
        "web",
        "nginx:1.25-alpine",
        "nginx -g 'daemon off;'",
        true,
        Some(80),
    ),
    (
        "api",
        "ghcr.io/acme/api:2.14.1",
        "/app/api --listen :8080",
        true,
        Some(8080),
    ),
    (
        "worker",
        "ghcr.io/acme/worker:2.14.1",
        "/app/worker --queue default",
        false,
        None,
    ),
    (
        "db",
        "postgres:16",
        "docker-entrypoint.sh postgres",
        true,
        Some(5432),
    ),
    (
        "cache",
        "redis:7-alpine",
        "docker-entrypoint.sh redis-server",
        true,
        Some(6379),
    ),
    (
        "queue",
        "rabbitmq:3.13-management",
        "docker-entrypoint.sh rabbitmq-server",
        true,
        Some(5672),
    ),
    ("cron", "alpine:3.20", "crond -f -l 8", false, None),
];

pub const NCPU: u32 = 8;
pub const MEM_TOTAL: i64 = 32 * 1024 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Created,
    Running,
    Paused,
    Exited,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Created => "created",
            RunState::Running => "running",
            RunState::Paused => "paused",
            RunState::Exited => "exited",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Limits {
    pub nano_cpus: i64,
    pub cpu_quota: i64,
    pub cpu_period: i64,
    pub memory: i64,
    pub pids_limit: Option<i64>,
}

impl Limits {
    /// The CPU limit in cores, whichever way it was set (0 = none).
    pub fn cpu_cores(&self) -> f64 {
        if self.nano_cpus > 0 {
            self.nano_cpus as f64 / 1e9
        } else if self.cpu_quota > 0 && self.cpu_period > 0 {
            self.cpu_quota as f64 / self.cpu_period as f64
        } else {
            0.0
        }
    }
}

/// How a container uses resources while it runs.
#[derive(Debug, Clone)]
pub struct Load {
    /// Mean CPU use in cores.
    pub cpu_cores: f64,
    /// Relative swing of the CPU rate (0..0.3), so rates differ between samples.
    pub cpu_wobble: f64,
    pub mem_base: u64,
    pub mem_wobble: u64,
    /// Share of CFS periods throttled while running (near its CPU limit).
    pub throttled_share: f64,
    pub pids: u64,
    pub net_rx_per_s: f64,
    pub net_tx_per_s: f64,
    pub blk_read_per_s: f64,
    pub blk_write_per_s: f64,
}

#[derive(Debug, Clone)]
pub struct Port {
    pub private: u16,
    pub public: Option<u16>,
}

#[derive(Debug, Clone)]
pub struct FakeContainer {
    pub id: String,
    pub name: String,
    pub project: String,
    pub service: String,
    pub image: String,
    pub image_id: String,
    pub path: String,
    pub args: Vec<String>,
    pub created: DateTime<Utc>,
    pub labels: BTreeMap<String, String>,
    pub env: Vec<String>,
    pub ports: Vec<Port>,
    pub state: RunState,
    pub exit_code: i64,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub restart_count: i64,
    pub healthcheck: Option<Vec<String>>,
    /// "starting", "healthy" or "unhealthy" when there is a health check.
    pub health: Option<&'static str>,
    pub failing_streak: i64,
    /// Flips between healthy and unhealthy now and then.
    pub flaky: bool,
    pub limits: Limits,
    pub load: Load,
    pub ip: String,
    /// Counters accumulated over earlier runs (CPU ns, seconds running).
    pub cpu_acc_ns: f64,
    pub run_acc_s: f64,
    /// When the counters' clock last started (start, unpause); `None` while not running.
    pub clock_since: Option<DateTime<Utc>>,
    pub pid: i64,
    /// The listing entry without `Status`, rendered for this run state (see `json`).
    pub summary_cache: Option<(RunState, Vec<u8>)>,
}

impl FakeContainer {
    /// Seconds since the container last started (0 when it is not up).
    pub fn run_secs(&self, now: DateTime<Utc>) -> f64 {
        match (self.state, self.started_at) {
            (RunState::Running | RunState::Paused, Some(t)) => {
                (now - t).num_milliseconds().max(0) as f64 / 1000.0
            }
            _ => 0.0,
        }
    }

    /// Seconds its processes have been able to run since the clock last started: a paused
    /// container's counters stand still.
    fn clock_secs(&self, now: DateTime<Utc>) -> f64 {
        self.clock_since
            .map(|t| (now - t).num_milliseconds().max(0) as f64 / 1000.0)
            .unwrap_or(0.0)
    }

    /// Cumulative CPU time in ns: the integral of a rate that swings around the mean, so that
    /// successive samples give plausible, varying percentages and never go backwards.
    pub fn cpu_total_ns(&self, now: DateTime<Utc>) -> f64 {
        let t = self.clock_secs(now);
        const PERIOD: f64 = 9.0;
        let swing = self.load.cpu_wobble * PERIOD * (1.0 - (t / PERIOD).cos());
        self.cpu_acc_ns + self.load.cpu_cores * (t + swing) * 1e9
    }

    /// Seconds run in total, over all runs.
    pub fn lifetime_run_secs(&self, now: DateTime<Utc>) -> f64 {
        self.run_acc_s + self.clock_secs(now)
    }

    pub fn mem_usage(&self, now: DateTime<Utc>) -> u64 {
        if self.state != RunState::Running && self.state != RunState::Paused {
            return 0;
        }
        let t = self.run_secs(now);
        let swing = (self.load.mem_wobble as f64 * (t / 13.0).sin()) as i64;
        (self.load.mem_base as i64 + swing).max(1 << 20) as u64
    }

    pub fn is_running(&self) -> bool {
        matches!(self.state, RunState::Running | RunState::Paused)
    }

    /// Folds the running clock into the accumulated counters and stops it (stop, pause).
    fn stop_clock(&mut self, now: DateTime<Utc>) {
        self.cpu_acc_ns = self.cpu_total_ns(now);
        self.run_acc_s += self.clock_secs(now);
        self.clock_since = None;
    }
}

/// One engine event, as `/events` reports it.
#[derive(Debug, Clone)]
pub struct Event {
    pub time_nano: i64,
    pub typ: &'static str,
    pub action: String,
    pub id: String,
    pub attributes: BTreeMap<String, String>,
}

/// What a request asks the engine to do to a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Start,
    Stop,
    Restart,
    Pause,
    Unpause,
    Kill { signal: String },
    Remove { force: bool },
}

/// Why an action did not happen, with the engine's HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionError {
    /// 404
    NotFound(String),
    /// 409
    Conflict(String),
    /// 304: already in the asked state.
    NotModified,
}

pub struct World {
    containers: Vec<FakeContainer>,
    by_id: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
    rng: Rng,
    events: VecDeque<Arc<Event>>,
    live: broadcast::Sender<Arc<Event>>,
    pub boot: DateTime<Utc>,
    pub daemon_id: String,
}

impl World {
    /// `n` containers across compose projects, deterministic for a seed.
    pub fn generate(n: usize, seed: u64, now: DateTime<Utc>) -> World {
        let mut rng = Rng::new(seed);
        let boot = now - ChronoDuration::days(3);
        let daemon_id = rng.hex_id();
        let mut containers = Vec::with_capacity(n);
        let mut image_ids: HashMap<&str, String> = HashMap::new();
        let mut project_index = 0usize;
        while containers.len() < n {
            let base = PROJECTS[project_index % PROJECTS.len()];
            let project = if project_index < PROJECTS.len() {
                base.to_string()
            } else {
                format!("{base}{}", project_index / PROJECTS.len() + 1)
            };
            project_index += 1;
            let created = boot + ChronoDuration::minutes(rng.below(60 * 24) as i64);
            let working_dir = format!("/srv/{project}");
            let config_hash_seed = rng.next_u64();
            for (si, &(service, image, command, has_health, port)) in SERVICES.iter().enumerate() {
                if containers.len() >= n {
                    break;
                }
                // Not every project has every service; web/api/db always.
                if si > 3 && rng.chance(0.4) {
                    continue;
                }
                let replicas = match service {
                    "web" | "api" => 1 + rng.below(3) as usize,
                    "worker" => 1 + rng.below(4) as usize,
                    _ => 1,
                };
                let image_id = image_ids
                    .entry(image)
                    .or_insert_with(|| format!("sha256:{}", rng.hex_id()))
                    .clone();
                for number in 1..=replicas {
                    if containers.len() >= n {
                        break;
                    }
                    let c = Self::make_container(
                        &mut rng,
                        &project,
                        &working_dir,
                        config_hash_seed ^ si as u64,
                        (service, image, command, has_health, port),
                        number,
                        &image_id,
                        created,
                        now,
                        containers.len(),
                    );
                    containers.push(c);
                }
            }
        }
        let (live, _) = broadcast::channel(4096);
        let mut world = World {
            containers,
            by_id: HashMap::new(),
            by_name: HashMap::new(),
            rng,
            events: VecDeque::with_capacity(EVENT_BUFFER),
            live,
            boot,
            daemon_id,
        };
        world.reindex();
        world.warm();
        world
    }

    #[allow(clippy::too_many_arguments)]
    fn make_container(
        rng: &mut Rng,
        project: &str,
        working_dir: &str,
        config_hash: u64,
        (service, image, command, has_health, port): (&str, &str, &str, bool, Option<u16>),
        number: usize,
        image_id: &str,
        created: DateTime<Utc>,
        now: DateTime<Utc>,
        index: usize,
    ) -> FakeContainer {
        let name = format!("{project}-{service}-{number}");
        let mut labels = BTreeMap::new();
        let l = |k: &str| format!("com.docker.compose.{k}");
        labels.insert(l("config-hash"), format!("{config_hash:016x}{:048x}", 0));
        labels.insert(l("container-number"), number.to_string());
        labels.insert(l("depends_on"), String::new());
        labels.insert(l("image"), image_id.to_owned());
        labels.insert(l("oneoff"), "False".into());
        labels.insert(l("project"), project.to_owned());
        labels.insert(
            l("project.config_files"),
            format!("{working_dir}/compose.yaml"),
        );
        labels.insert(l("project.working_dir"), working_dir.to_owned());
        labels.insert(l("service"), service.to_owned());
        labels.insert(l("version"), "2.29.7".into());

        let mut env = vec![
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
            format!("SERVICE_NAME={service}"),
        ];
        match service {
            "db" => env.push(format!(
                "POSTGRES_PASSWORD=pw-{:08x}",
                rng.next_u64() as u32
            )),
            "api" => {
                env.push(format!("API_TOKEN=tok_{:016x}", rng.next_u64()));
                env.push("LOG_LEVEL=info".into());
            }
            _ => {}
        }

        let mut words = command.split(' ').map(str::to_owned);
        let path = words.next().unwrap_or_default();
        let args: Vec<String> = words.collect();

        // Limits on about half; a fifth of the limited ones run close to them (and throttle).
        let limited = rng.chance(0.5);
        let near_limit = limited && rng.chance(0.2);
        let mut limits = Limits::default();
        if limited {
            let cores = *rng.pick(&[0.25, 0.5, 1.0, 2.0]);
            if rng.chance(0.5) {
                limits.nano_cpus = (cores * 1e9) as i64;
            } else {
                limits.cpu_period = 100_000;
                limits.cpu_quota = (cores * 100_000.0) as i64;
            }
            limits.memory = *rng.pick(&[128i64, 256, 512, 1024, 2048]) * 1024 * 1024;
            if rng.chance(0.5) {
                limits.pids_limit = Some(*rng.pick(&[64i64, 128, 512]));
            }
        }
        let cpu_limit = limits.cpu_cores();
        let (cpu_cores, cpu_wobble, throttled_share) = if near_limit {
            (cpu_limit * 0.95, 0.04, 0.2 + rng.unit() * 0.4)
        } else {
            let mean = 0.01 + rng.unit() * 0.6;
            let mean = if cpu_limit > 0.0 {
                mean.min(cpu_limit * 0.6)
            } else {
                mean
            };
            (mean, rng.unit() * 0.3, 0.0)
        };
        let mem_base = if near_limit {
            (limits.memory as f64 * (0.88 + rng.unit() * 0.07)) as u64
        } else {
            let m = (20 + rng.below(400)) * 1024 * 1024;
            if limits.memory > 0 {
                m.min(limits.memory as u64 / 2)
            } else {
                m
            }
        };
        let load = Load {
            cpu_cores,
            cpu_wobble,
            mem_base,
            mem_wobble: mem_base / 40,
            throttled_share,
            pids: 1 + rng.below(40),
            net_rx_per_s: rng.unit() * 200_000.0,
            net_tx_per_s: rng.unit() * 120_000.0,
            blk_read_per_s: rng.unit() * 50_000.0,
            blk_write_per_s: rng.unit() * 80_000.0,
        };

        let healthcheck = has_health.then(|| match service {
            "web" => vec![
                "CMD-SHELL".to_string(),
                "wget -qO- http://localhost/ || exit 1".into(),
            ],
            "db" => vec!["CMD-SHELL".into(), "pg_isready -U postgres".into()],
            "cache" => vec!["CMD".into(), "redis-cli".into(), "ping".into()],
            _ => vec![
                "CMD-SHELL".into(),
                format!("wget -qO- http://localhost:{}/healthz", port.unwrap_or(80)),
            ],
        });

        // About one in eight stopped (some cleanly, some crashed), a few never started.
        let roll = rng.unit();
        let (state, exit_code) = if roll < 0.02 {
            (RunState::Created, 0)
        } else if roll < 0.08 {
            (RunState::Exited, 0)
        } else if roll < 0.12 {
            (RunState::Exited, *rng.pick(&[1i64, 137, 143]))
        } else if roll < 0.13 {
            (RunState::Paused, 0)
        } else {
            (RunState::Running, 0)
        };
        // Uptimes from a minute to the whole life of the host, skewed towards recent restarts.
        let started_at = (state != RunState::Created).then(|| {
            let span = (now - created).num_seconds().max(120) as f64;
            let back = 60.0 + rng.unit().powi(3) * (span - 60.0);
            now - ChronoDuration::seconds(back as i64)
        });
        let finished_at = (state == RunState::Exited).then(|| {
            let s = started_at.unwrap_or(created);
            (s + ChronoDuration::seconds(60 + rng.below(3 * 3600) as i64))
                .min(now - ChronoDuration::seconds(5))
        });
        let flaky = healthcheck.is_some() && rng.chance(0.25);
        let health = healthcheck.as_ref().and_then(|_| match state {
            RunState::Running | RunState::Paused => Some(if flaky && rng.chance(0.3) {
                "unhealthy"
            } else {
                "healthy"
            }),
            // An exited container keeps its last health state.
            RunState::Exited => Some("unhealthy"),
            RunState::Created => None,
        });
        let ports = port
            .map(|p| {
                vec![Port {
                    private: p,
                    // Only the first replica of web publishes its port on the host.
                    public: (service == "web" && number == 1)
                        .then_some(8000 + (index % 50_000) as u16),
                }]
            })
            .unwrap_or_default();
        let mut c = FakeContainer {
            id: rng.hex_id(),
            name,
            project: project.to_owned(),
            service: service.to_owned(),
            image: image.to_owned(),
            image_id: image_id.to_owned(),
            path,
            args,
            created,
            labels,
            env,
            ports,
            state,
            exit_code,
            started_at,
            finished_at,
            restart_count: if rng.chance(0.1) {
                1 + rng.below(5) as i64
            } else {
                0
            },
            healthcheck,
            failing_streak: 0,
            health,
            flaky,
            limits,
            load,
            ip: format!(
                "172.{}.{}.{}",
                18 + index / 65_000,
                (index / 250) % 256,
                2 + index % 250
            ),
            cpu_acc_ns: rng.unit() * 5e11,
            run_acc_s: rng.unit() * 3600.0,
            clock_since: if state == RunState::Running {
                started_at
            } else {
                None
            },
            pid: 1000 + index as i64 * 7,
            summary_cache: None,
        };
        if c.health == Some("unhealthy") {
            c.failing_streak = 3 + rng.below(5) as i64;
        }
        c
    }

    fn reindex(&mut self) {
        self.by_id = self
            .containers
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        self.by_name = self
            .containers
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
    }

    pub fn len(&self) -> usize {
        self.containers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.containers.is_empty()
    }

    /// In creation order (the engine lists newest first).
    pub fn containers(&self) -> &[FakeContainer] {
        &self.containers
    }

    /// For renderers that keep per-container caches.
    pub fn containers_mut(&mut self) -> &mut [FakeContainer] {
        &mut self.containers
    }

    /// Renders every listing entry once, so the first `/containers/json` is as fast as the next.
    pub fn warm(&mut self) {
        let now = Utc::now();
        let mut scratch = Vec::new();
        for c in &mut self.containers {
            scratch.clear();
            super::json::write_summary(&mut scratch, c, now);
        }
    }

    /// Finds a container the way dockerd does: full id, then name, then a unique id prefix.
    pub fn find(&self, key: &str) -> Result<&FakeContainer, ActionError> {
        self.index_of(key).map(|i| &self.containers[i])
    }

    fn index_of(&self, key: &str) -> Result<usize, ActionError> {
        let not_found = || ActionError::NotFound(format!("No such container: {key}"));
        if key.is_empty() {
            return Err(not_found());
        }
        if let Some(&i) = self.by_id.get(key) {
            return Ok(i);
        }
        if let Some(&i) = self.by_name.get(key.trim_start_matches('/')) {
            return Ok(i);
        }
        let mut hits = self
            .containers
            .iter()
            .enumerate()
            .filter(|(_, c)| c.id.starts_with(key));
        match (hits.next(), hits.next()) {
            (Some((i, _)), None) => Ok(i),
            (Some(_), Some(_)) => Err(ActionError::NotFound(format!(
                "No such container: {key} (multiple IDs found with provided prefix)"
            ))),
            _ => Err(not_found()),
        }
    }

    /// A receiver of every event emitted from now on, and the buffered events (oldest first)
    /// at or after `since_nano`, taken together so that none falls between the two.
    pub fn subscribe(
        &self,
        since_nano: Option<i64>,
    ) -> (Vec<Arc<Event>>, broadcast::Receiver<Arc<Event>>) {
        let rx = self.live.subscribe();
        let replay = match since_nano {
            Some(since) => self
                .events
                .iter()
                .filter(|e| e.time_nano >= since)
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        (replay, rx)
    }

    fn emit(&mut self, i: usize, action: impl Into<String>, extra: &[(&str, String)]) {
        let c = &self.containers[i];
        let mut attributes = c.labels.clone();
        attributes.insert("image".into(), c.image.clone());
        attributes.insert("name".into(), c.name.clone());
        for (k, v) in extra {
            attributes.insert((*k).to_owned(), v.clone());
        }
        let now = Utc::now();
        // Events must be strictly ordered by time for `since` to replay correctly.
        let mut time_nano = now.timestamp_nanos_opt().unwrap_or(0);
        if let Some(last) = self.events.back() {
            time_nano = time_nano.max(last.time_nano + 1);
        }
        let ev = Arc::new(Event {
            time_nano,
            typ: "container",
            action: action.into(),
            id: c.id.clone(),
            attributes,
        });
        if self.events.len() == EVENT_BUFFER {
            self.events.pop_front();
        }
        self.events.push_back(ev.clone());
        let _ = self.live.send(ev);
    }

    /// Applies an action as dockerd would, emitting the events it emits.
    pub fn act(&mut self, key: &str, action: &Action) -> Result<(), ActionError> {
        let i = self.index_of(key)?;
        let now = Utc::now();
        let name = self.containers[i].name.clone();
        let state = self.containers[i].state;
        match action {
            Action::Start => match state {
                RunState::Running | RunState::Paused => return Err(ActionError::NotModified),
                _ => self.start(i, now),
            },
            Action::Stop => {
                if !self.containers[i].is_running() {
                    return Err(ActionError::NotModified);
                }
                self.stop(i, now, "15", 0, true);
            }
            Action::Restart => {
                if self.containers[i].is_running() {
                    self.stop(i, now, "15", 0, true);
                }
                self.start(i, now);
                self.emit(i, "restart", &[]);
            }
            Action::Pause => match state {
                RunState::Running => {
                    self.containers[i].stop_clock(now);
                    self.containers[i].state = RunState::Paused;
                    self.emit(i, "pause", &[]);
                }
                RunState::Paused => {
                    return Err(ActionError::Conflict(format!(
                        "Container {} is already paused",
                        self.containers[i].id
                    )))
                }
                _ => {
                    return Err(ActionError::Conflict(format!(
                        "Container {} is not running",
                        self.containers[i].id
                    )))
                }
            },
            Action::Unpause => {
                if state != RunState::Paused {
                    return Err(ActionError::Conflict(format!(
                        "Container {} is not paused",
                        self.containers[i].id
                    )));
                }
                self.containers[i].state = RunState::Running;
                self.containers[i].clock_since = Some(now);
                self.emit(i, "unpause", &[]);
            }
            Action::Kill { signal } => {
                if !self.containers[i].is_running() {
                    return Err(ActionError::Conflict(format!(
                        "Cannot kill container: {name}: Container {} is not running",
                        self.containers[i].id
                    )));
                }
                let number = signal_number(signal);
                if matches!(number, 1 | 10 | 12) {
                    // HUP, USR1, USR2: the synthetic services handle these (reload, reopen
                    // logs) and keep running.
                    self.emit(i, "kill", &[("signal", number.to_string())]);
                } else {
                    self.stop(i, now, &number.to_string(), 128 + number, false);
                }
            }
            Action::Remove { force } => {
                if self.containers[i].is_running() {
                    if !force {
                        return Err(ActionError::Conflict(format!(
                            "You cannot remove a {} container {}. Stop the container before \
                             attempting removal or force remove",
                            state.as_str(),
                            self.containers[i].id
                        )));
                    }
                    self.stop(i, now, "9", 137, false);
                }
                self.emit(i, "destroy", &[]);
                self.containers.remove(i);
                self.reindex();
            }
        }
        Ok(())
    }

    fn start(&mut self, i: usize, now: DateTime<Utc>) {
        let c = &mut self.containers[i];
        c.state = RunState::Running;
        c.started_at = Some(now);
        c.clock_since = Some(now);
        c.exit_code = 0;
        c.failing_streak = 0;
        if c.healthcheck.is_some() {
            c.health = Some("starting");
        }
        self.emit(i, "start", &[]);
    }

    /// kill (signal), die (exit code), and stop when it was `docker stop` (graceful).
    fn stop(&mut self, i: usize, now: DateTime<Utc>, signal: &str, exit_code: i64, graceful: bool) {
        self.emit(i, "kill", &[("signal", signal.to_owned())]);
        let c = &mut self.containers[i];
        c.stop_clock(now);
        c.state = RunState::Exited;
        c.exit_code = exit_code;
        c.finished_at = Some(now);
        // A stopped container keeps its health record; the fake marks it unhealthy, as the
        // generated exited containers are.
        if c.health.is_some() {
            c.health = Some("unhealthy");
        }
        self.emit(i, "die", &[("exitCode", exit_code.to_string())]);
        if graceful {
            self.emit(i, "stop", &[]);
        }
    }

    fn set_health(&mut self, i: usize, status: &'static str) {
        let c = &mut self.containers[i];
        if c.health == Some(status) {
            return;
        }
        c.health = Some(status);
        c.failing_streak = if status == "unhealthy" { 3 } else { 0 };
        self.emit(i, format!("health_status: {status}"), &[]);
    }

    /// The exec events a health probe produces (never wanted by the console; its filters must
    /// keep them out).
    fn probe(&mut self, i: usize) {
        let Some(test) = self.containers[i].healthcheck.clone() else {
            return;
        };
        let cmd = test[1..].join(" ");
        let exec_id = self.rng.hex_id();
        let exec = [("execID", exec_id)];
        self.emit(i, format!("exec_create: {cmd}"), &exec);
        self.emit(i, format!("exec_start: {cmd}"), &exec);
        let code = if self.containers[i].health == Some("unhealthy") {
            "1"
        } else {
            "0"
        };
        let mut die = exec.to_vec();
        die.push(("exitCode", code.to_owned()));
        self.emit(i, "exec_die", &die);
    }

    /// Runs a health probe on a container now: the exec events, then a `health_status` event
    /// when `status` differs from its current health. For tests and scripted scenarios.
    pub fn probe_health(
        &mut self,
        key: &str,
        status: Option<&'static str>,
    ) -> Result<(), ActionError> {
        let i = self.index_of(key)?;
        self.probe(i);
        if let Some(status) = status {
            self.set_health(i, status);
        }
        Ok(())
    }

    /// Health checks that finished starting report healthy (or unhealthy, for a flaky one).
    pub fn settle_health(&mut self, now: DateTime<Utc>) {
        for i in 0..self.containers.len() {
            let c = &self.containers[i];
            if c.health == Some("starting")
                && c.state == RunState::Running
                && c.run_secs(now) >= 3.0
            {
                let status = if c.flaky && self.rng.chance(0.3) {
                    "unhealthy"
                } else {
                    "healthy"
                };
                self.set_health(i, status);
            }
        }
    }

    /// One random change, like a busy host: health flips, crashes with restart, stops, starts,
    /// restarts; plus the exec events of a health probe.
    pub fn churn(&mut self) {
        let now = Utc::now();
        self.settle_health(now);
        if self.containers.is_empty() {
            return;
        }
        let running: Vec<usize> = (0..self.containers.len())
            .filter(|&i| self.containers[i].state == RunState::Running)
            .collect();
        let probed: Vec<usize> = running
            .iter()
            .copied()
            .filter(|&i| self.containers[i].healthcheck.is_some())
            .collect();
        if !probed.is_empty() {
            let i = *self.rng.pick(&probed);
            self.probe(i);
        }
        let roll = self.rng.unit();
        if roll < 0.4 {
            let flaky: Vec<usize> = probed
                .iter()
                .copied()
                .filter(|&i| self.containers[i].flaky && self.containers[i].health.is_some())
                .collect();
            if let Some(&i) = (!flaky.is_empty()).then(|| self.rng.pick(&flaky)) {
                let next = if self.containers[i].health == Some("healthy") {
                    "unhealthy"
                } else {
                    "healthy"
                };
                self.set_health(i, next);
            }
        } else if roll < 0.6 {
            // A crash, and the restart policy brings it back.
            if let Some(&i) = (!running.is_empty()).then(|| self.rng.pick(&running)) {
                self.emit(i, "die", &[("exitCode", "1".into())]);
                let c = &mut self.containers[i];
                c.stop_clock(now);
                c.restart_count += 1;
                self.start(i, now);
            }
        } else if roll < 0.75 {
            if let Some(&i) = (!running.is_empty()).then(|| self.rng.pick(&running)) {
                self.stop(i, now, "15", 0, true);
            }
        } else if roll < 0.9 {
            let stopped: Vec<usize> = (0..self.containers.len())
                .filter(|&i| self.containers[i].state == RunState::Exited)
                .collect();
            if let Some(&i) = (!stopped.is_empty()).then(|| self.rng.pick(&stopped)) {
                self.start(i, now);
            }
        } else if let Some(&i) = (!running.is_empty()).then(|| self.rng.pick(&running)) {
            let id = self.containers[i].id.clone();
            let _ = self.act(&id, &Action::Restart);
        }
    }
}

/// Signal names as `docker kill -s` accepts them (with or without SIG), or numbers.
pub fn signal_number(signal: &str) -> i64 {
    if let Ok(n) = signal.parse() {
        return n;
    }
    match signal
        .trim_start_matches("SIG")
        .to_ascii_uppercase()
        .as_str()
    {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "USR1" => 10,
        "USR2" => 12,
        "TERM" => 15,
        _ => 9,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_for_a_seed_and_varied() {
        let now = Utc::now();
        let a = World::generate(200, 42, now);
        let b = World::generate(200, 42, now);
        assert_eq!(a.len(), 200);
        let ids = |w: &World| {
            w.containers()
                .iter()
                .map(|c| c.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b));
        assert_ne!(ids(&a), ids(&World::generate(200, 43, now)));
        let cs = a.containers();
        assert!(cs.iter().any(|c| c.state == RunState::Exited));
        assert!(cs.iter().any(|c| c.health == Some("unhealthy")));
        assert!(cs.iter().any(|c| c.load.throttled_share > 0.0));
        assert!(cs.iter().any(|c| c.limits.memory > 0));
        let mut names: Vec<&str> = cs.iter().map(|c| c.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 200, "names are unique");
    }

    #[test]
    fn lifecycle_rules_and_events() {
        let mut w = World::generate(30, 1, Utc::now());
        let c = w
            .containers()
            .iter()
            .find(|c| c.state == RunState::Running)
            .unwrap()
            .clone();
        let (_, mut rx) = w.subscribe(None);
        assert_eq!(w.act(&c.id, &Action::Start), Err(ActionError::NotModified));
        w.act(&c.name, &Action::Stop).unwrap();
        let actions: Vec<String> = std::iter::from_fn(|| rx.try_recv().ok())
            .map(|e| e.action.clone())
            .collect();
        assert_eq!(actions, ["kill", "die", "stop"]);
        assert!(matches!(
            w.act(&c.id[..12], &Action::Pause),
            Err(ActionError::Conflict(_))
        ));
        w.act(&c.id, &Action::Remove { force: false }).unwrap();
        assert!(matches!(w.find(&c.id), Err(ActionError::NotFound(_))));
    }

    #[test]
    fn kill_is_not_stop_and_pause_freezes_counters() {
        let mut w = World::generate(30, 2, Utc::now());
        let id = w
            .containers()
            .iter()
            .find(|c| c.state == RunState::Running)
            .unwrap()
            .id
            .clone();
        let (_, mut rx) = w.subscribe(None);
        let actions = |rx: &mut broadcast::Receiver<Arc<Event>>| {
            std::iter::from_fn(|| rx.try_recv().ok())
                .map(|e| e.action.clone())
                .collect::<Vec<_>>()
        };
        w.act(
            &id,
            &Action::Kill {
                signal: "SIGHUP".into(),
            },
        )
        .unwrap();
        assert_eq!(actions(&mut rx), ["kill"]);
        assert_eq!(w.find(&id).unwrap().state, RunState::Running);
        w.act(&id, &Action::Pause).unwrap();
        let later = Utc::now() + ChronoDuration::seconds(60);
        let c = w.find(&id).unwrap();
        assert_eq!(c.cpu_total_ns(Utc::now()), c.cpu_total_ns(later));
        w.act(&id, &Action::Unpause).unwrap();
        w.act(
            &id,
            &Action::Kill {
                signal: "TERM".into(),
            },
        )
        .unwrap();
        assert_eq!(actions(&mut rx), ["pause", "unpause", "kill", "die"]);
        assert_eq!(w.find(&id).unwrap().exit_code, 143);
    }

    #[test]
    fn cpu_counter_never_goes_back() {
        let w = World::generate(50, 3, Utc::now());
        let now = Utc::now();
        for c in w.containers() {
            let mut last = 0.0;
            for s in 0..100 {
                let v = c.cpu_total_ns(now + ChronoDuration::milliseconds(s * 700));
                assert!(v >= last);
                last = v;
            }
        }
    }
}
