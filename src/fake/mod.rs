//! A fake Docker engine: the Engine API subset wheelhouse uses, served over a unix socket from
//! a synthetic, seeded world of compose projects that changes over time.
//!
//! It exists for scale (1 000 or 10 000 containers), demos (`wheelhouse --demo`) and
//! benchmarks (`wheelhouse fake-engine --socket PATH`). It is never a stand-in where a test
//! against a real engine exists: its JSON follows the shapes captured in `fixtures/api/`, but
//! its behaviour is only as faithful as the rules written here.
//!
//! - `world`: the containers, their lifecycle rules and the events each change emits;
//! - `json`: the world in the Engine API's JSON shapes (list, inspect, stats, version, info);
//! - `events`: `/events` filters and times, as dockerd matches them;
//! - `logs`: synthetic log lines in the multiplexed stream format;
//! - `server`: hyper 1 over a unix socket, routing and streaming;
//! - `rng`: the seeded generator that makes a world reproducible.

pub mod events;
pub mod json;
pub mod logs;
pub mod rng;
pub mod server;
pub mod world;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::UnixListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use server::Shared;
use world::World;

pub const DEFAULT_CONTAINERS: usize = 60;
pub const DEFAULT_SEED: u64 = 1;
pub const DEFAULT_CHURN: Duration = Duration::from_secs(3);

/// A synthetic world, shareable between the server and whoever drives it (tests, demo).
#[derive(Clone)]
pub struct FakeWorld(Arc<Mutex<World>>);

impl FakeWorld {
    /// `n` containers across compose projects; the same seed gives the same world.
    pub fn new(n: usize, seed: u64) -> FakeWorld {
        FakeWorld(Arc::new(Mutex::new(World::generate(
            n,
            seed,
            chrono::Utc::now(),
        ))))
    }

    /// Runs `f` with the world locked (keep it short: requests wait on the same lock).
    pub fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let mut w = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut w)
    }

    /// One random change now (what the background task does on its timer).
    pub fn churn(&self) {
        self.with(World::churn)
    }
}

/// How to run a fake engine.
#[derive(Debug, Clone)]
pub struct FakeOptions {
    pub containers: usize,
    pub seed: u64,
    /// How often the world changes by itself; `None` keeps it still (health checks that are
    /// starting still settle).
    pub churn_every: Option<Duration>,
    /// Stall (accept, never answer) this long after start.
    pub stall_after: Option<Duration>,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            containers: DEFAULT_CONTAINERS,
            seed: DEFAULT_SEED,
            churn_every: Some(DEFAULT_CHURN),
            stall_after: None,
        }
    }
}

/// A running fake engine. Dropping it stops serving and removes the socket.
pub struct FakeEngine {
    socket: PathBuf,
    world: FakeWorld,
    stalled: Arc<watch::Sender<bool>>,
    tasks: Vec<JoinHandle<()>>,
}

impl FakeEngine {
    /// Binds `socket` (replacing a stale socket file) and serves on the current tokio runtime.
    pub async fn start(socket: &Path, options: FakeOptions) -> std::io::Result<FakeEngine> {
        let world = FakeWorld::new(options.containers, options.seed);
        Self::start_with(socket, world, options)
    }

    /// Serves an existing world (tests prepare or inspect it through the handle).
    pub fn start_with(
        socket: &Path,
        world: FakeWorld,
        options: FakeOptions,
    ) -> std::io::Result<FakeEngine> {
        if socket.exists() {
            std::fs::remove_file(socket)?;
        }
        let listener = UnixListener::bind(socket)?;
        let (stalled, _) = watch::channel(false);
        let stalled = Arc::new(stalled);
        let shared = Shared {
            world: world.0.clone(),
            stalled: stalled.clone(),
        };
        let mut tasks = vec![tokio::spawn(server::serve(listener, shared))];
        let every = options.churn_every;
        let w = world.clone();
        tasks.push(tokio::spawn(async move {
            // Health checks settle every second; random changes at the configured rate.
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let mut last_churn = tokio::time::Instant::now();
            loop {
                tick.tick().await;
                match every {
                    Some(e) if last_churn.elapsed() >= e => {
                        last_churn = tokio::time::Instant::now();
                        w.churn();
                    }
                    _ => w.with(|w| w.settle_health(chrono::Utc::now())),
                }
            }
        }));
        if let Some(after) = options.stall_after {
            let s = stalled.clone();
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(after).await;
                s.send_replace(true);
            }));
        }
        Ok(FakeEngine {
            socket: socket.to_owned(),
            world,
            stalled,
            tasks,
        })
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `unix:///path/to/socket`, for `-H` or an `Endpoint`.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    pub fn world(&self) -> &FakeWorld {
        &self.world
    }

    /// Stalled: connections are accepted, requests never answered, event streams frozen.
    pub fn set_stalled(&self, stalled: bool) {
        self.stalled.send_replace(stalled);
    }

    /// Serves until the process ends.
    pub async fn run_forever(self) {
        std::future::pending::<()>().await;
        drop(self);
    }
}

impl Drop for FakeEngine {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        let _ = std::fs::remove_file(&self.socket);
    }
}
