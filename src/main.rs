//! The `wheelhouse` command: the console by default, headless subcommands for scripts.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};

use wheelhouse::canary::machine::Input as CanaryInput;
use wheelhouse::change::{self, Change};
use wheelhouse::cli;
use wheelhouse::ops::service::{LimitChange, RolloutSpec};

#[global_allocator]
static ALLOCATOR: wheelhouse::term::RestoringAllocator = wheelhouse::term::RestoringAllocator;

#[derive(Parser, Debug)]
#[command(
    name = "wheelhouse",
    version,
    about = "A terminal operations console for Docker engines"
)]
struct Args {
    /// Docker context to attach (repeatable). Default: DOCKER_CONTEXT, else the current context
    /// in $DOCKER_CONFIG/config.json, else `default`, as the docker CLI chooses.
    #[arg(short = 'c', long = "context", global = true, value_name = "NAME")]
    context: Vec<String>,
    /// Engine endpoint, unix:///path, tcp://host:port or ssh://[user@]host[:port] (repeatable).
    /// Default: DOCKER_HOST, else the local socket. Not together with --context.
    #[arg(short = 'H', long = "host", global = true, value_name = "URL")]
    host: Vec<String>,
    /// Attach the default context and every context on disk; a broken one is shown on its own
    /// endpoint while the others work.
    #[arg(long, global = true)]
    all_contexts: bool,
    /// Refuse every change to containers (also `read_only = true` in config.toml).
    #[arg(long, global = true, conflicts_with = "read_write")]
    read_only: bool,
    /// Allow changes even if config.toml says read-only or cannot be read (a broken config
    /// file otherwise keeps wheelhouse read-only).
    #[arg(long, global = true)]
    read_write: bool,
    /// Keymap preset name (default, vim) or path to a keymap file.
    #[arg(long, global = true)]
    keymap: Option<String>,
    /// Theme preset name (dark, light, mono) or path to a theme file.
    #[arg(long, global = true)]
    theme: Option<String>,
    /// Path to a config file instead of the one in the config directory.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Try the console without Docker: a fake engine with synthetic containers, in-process.
    #[arg(long, conflicts_with_all = ["context", "host", "all_contexts"])]
    demo: bool,
    /// How many containers the demo engine makes up.
    #[arg(long, value_name = "N", default_value_t = wheelhouse::fake::DEFAULT_CONTAINERS, requires = "demo")]
    demo_containers: usize,
    #[command(subcommand)]
    command: Option<Command>,
}

/// The global options a command has no use for, declared again on it hidden: `--help` of the
/// command then lists only what it uses (given after the command name they are accepted and
/// ignored; before it, they work as everywhere).
#[derive(clap::Args, Debug, Default)]
struct NoEngines {
    #[arg(id = "context", short = 'c', long = "context", hide = true)]
    _context: Vec<String>,
    #[arg(id = "host", short = 'H', long = "host", hide = true)]
    _host: Vec<String>,
    #[arg(id = "all_contexts", long = "all-contexts", hide = true)]
    _all_contexts: bool,
}

/// [`NoEngines`], and no configuration either.
#[derive(clap::Args, Debug, Default)]
struct NoConfig {
    #[command(flatten)]
    _engines: NoEngines,
    #[arg(id = "read_only", long = "read-only", hide = true)]
    _read_only: bool,
    #[arg(id = "read_write", long = "read-write", hide = true)]
    _read_write: bool,
    #[arg(id = "keymap", long = "keymap", hide = true)]
    _keymap: Option<String>,
    #[arg(id = "theme", long = "theme", hide = true)]
    _theme: Option<String>,
    #[arg(id = "config", long = "config", hide = true)]
    _config: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print every container of the endpoint and exit.
    Ps {
        /// JSON output with a stable schema (see README).
        #[arg(long)]
        json: bool,
        /// Leave labels that look secret (and passwords in URLs) in clear; masked by default.
        #[arg(long)]
        show_secrets: bool,
    },
    /// List docker contexts like `docker context ls` (`*` marks the current one).
    Contexts {
        /// JSON: an array of {name, description, host, tls, skip_tls_verify, current, error}.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        _unused: NoConfig,
    },
    /// Scale a compose service (project/service) to N replicas, as Compose would, or a Swarm
    /// service (stack/service) through its manager.
    Scale {
        /// The service: project/service or stack/service (or the name alone if only one has it).
        service: String,
        /// How many replicas it should have in all (0 or more, at most max_replicas).
        replicas: u32,
        #[command(flatten)]
        how: ChangeFlags,
    },
    /// Change the CPU, memory and pids limits of a container or of a service's replicas, live.
    Limits {
        /// A container name, or a compose service (project/service).
        target: String,
        /// CPUs it may use (0.5 = half a core).
        #[arg(long)]
        cpus: Option<f64>,
        /// Memory limit: 256m, 1g, …
        #[arg(long, value_name = "SIZE", value_parser = parse_size)]
        memory: Option<u64>,
        /// Memory plus swap (SIZE, or -1 for unlimited); by default kept in step with memory.
        #[arg(long, value_name = "SIZE", value_parser = parse_swap, allow_hyphen_values = true)]
        memory_swap: Option<i64>,
        /// The soft limit the kernel reclaims towards under pressure.
        #[arg(long, value_name = "SIZE", value_parser = parse_size)]
        memory_reservation: Option<u64>,
        /// Most processes it may run (-1 for no limit).
        #[arg(long, allow_hyphen_values = true)]
        pids: Option<i64>,
        /// Restart policy: no, always, unless-stopped, on-failure[:N].
        #[arg(long, value_name = "POLICY")]
        restart: Option<String>,
        #[command(flatten)]
        how: ChangeFlags,
    },
    /// Replace a compose service's replicas with a new image (or afresh) in batches, each new
    /// replica gated on health; a failure puts every replica back on the old image.
    Rollout {
        /// The compose service: project/service.
        service: String,
        /// The new image (it must be on the endpoint already); default: the image each runs.
        #[arg(long)]
        image: Option<String>,
        /// New replicas started ahead of the old ones going.
        #[arg(long, default_value_t = 1)]
        max_surge: u32,
        /// Replicas that may be down at once when there is no surge.
        #[arg(long, default_value_t = 0)]
        max_unavailable: u32,
        /// Seconds a new replica may take to become healthy.
        #[arg(long, value_name = "SECS", default_value_t = wheelhouse::ops::service::DEFAULT_HEALTH_TIMEOUT_SECS)]
        health_timeout: u64,
        /// For a service without a health check: seconds a new replica must keep running to pass.
        #[arg(long, value_name = "SECS", default_value_t = wheelhouse::ops::service::DEFAULT_SETTLE_SECS)]
        settle: u64,
        #[command(flatten)]
        how: ChangeFlags,
    },
    /// Restart a compose service's unhealthy replicas one at a time, each healthy again before
    /// the next.
    RestartUnhealthy {
        /// The compose service: project/service.
        service: String,
        /// Seconds each restarted replica may take to become healthy again.
        #[arg(long, value_name = "SECS", default_value_t = wheelhouse::ops::service::DEFAULT_HEALTH_TIMEOUT_SECS)]
        health_timeout: u64,
        #[command(flatten)]
        how: ChangeFlags,
    },
    /// Roll a Swarm service (stack/service) back to its previous spec, through its manager.
    Rollback {
        /// The Swarm service: stack/service, or its full name.
        service: String,
        #[command(flatten)]
        how: ChangeFlags,
    },
    /// Drain, pause or activate a Swarm node (by hostname or id), through a manager.
    Node {
        #[arg(value_enum)]
        availability: NodeAvailability,
        /// The node: its hostname, or (a prefix of) its id.
        node: String,
        #[command(flatten)]
        how: ChangeFlags,
    },
    /// Canary rollouts of rollouts.toml: list them, read a rollout's traffic and gates, or
    /// move its share of requests on its router (through the same gate as every change).
    Canary {
        #[command(subcommand)]
        action: CanaryAction,
    },
    /// The agent's proposals (scale, limits, restart) with their reasons, from the same rules
    /// as the console's agent panel; `--apply ID` applies one through the gate.
    Agent {
        /// Watch for a short window, print, and stop (else print each proposal as it appears).
        #[arg(long)]
        once: bool,
        /// How long `--once` (and `--apply`) watch first, e.g. 30s or 2m (default: the slowest
        /// policy's smoothing and scale-up window).
        #[arg(long, value_parser = parse_window)]
        window: Option<Duration>,
        /// Apply the proposal with this id (as printed), after the same window.
        #[arg(long, value_name = "ID")]
        apply: Option<String>,
        #[command(flatten)]
        how: ChangeFlags,
    },
    /// Print the topology of every attached endpoint (projects, services, containers, networks,
    /// ports, depends_on) as JSON, Graphviz dot or Mermaid.
    Topology {
        #[arg(long, value_enum, default_value_t = TopologyArg::Json)]
        format: TopologyArg,
        /// Only this compose project or Swarm stack.
        #[arg(long)]
        project: Option<String>,
    },
    /// Print where configuration, data and the audit log live.
    Paths {
        #[command(flatten)]
        _unused: NoEngines,
    },
    /// Print a shell completion script: `wheelhouse completions bash > /etc/bash_completion.d/wheelhouse`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
        #[command(flatten)]
        _unused: NoConfig,
    },
    /// Print the manual page (roff): `wheelhouse man | man -l -`.
    Man {
        #[command(flatten)]
        _unused: NoConfig,
    },
    /// Render the views from built-in fixtures to SVG images (README screenshots).
    Screenshots {
        #[arg(long, default_value = "screenshots")]
        dir: PathBuf,
        #[command(flatten)]
        _unused: NoEngines,
    },
    /// Run the fake Docker engine alone (benchmarks, scripts): serves a synthetic world on a
    /// unix socket until interrupted.
    #[command(hide = true)]
    FakeEngine {
        /// Socket path to listen on (a stale file there is replaced).
        #[arg(long)]
        socket: PathBuf,
        #[arg(long, default_value_t = wheelhouse::fake::DEFAULT_CONTAINERS)]
        containers: usize,
        #[arg(long, default_value_t = wheelhouse::fake::DEFAULT_SEED)]
        seed: u64,
        /// Seconds between random changes (stop, start, restart, health flip); 0 keeps it still.
        #[arg(long, default_value_t = 3.0)]
        churn_secs: f64,
        /// Stop answering (but keep accepting connections) this many ms after start.
        #[arg(long, value_name = "MS")]
        stall_after_ms: Option<u64>,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum TopologyArg {
    Json,
    Dot,
    Mermaid,
}

#[derive(clap::Subcommand, Debug)]
enum CanaryAction {
    /// Every rollout, with the canary's share its router gives now.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One rollout: both sides' requests, errors and latency over two seconds, and the gates'
    /// verdict.
    Status {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Send this share of the rollout's requests (per cent, 0 to 100) to its canary; the
    /// rollout's own steps wait (suspended) until it is resumed.
    SetWeight {
        name: String,
        percent: u32,
        #[command(flatten)]
        how: ChangeFlags,
    },
    /// Past the pause the rollout waits at, through its weight steps to the next pause.
    Next {
        name: String,
        #[command(flatten)]
        how: ChangeFlags,
    },
    /// All of the rollout's requests to its canary.
    Promote {
        name: String,
        #[command(flatten)]
        how: ChangeFlags,
    },
    /// The rollout's requests back to stable (through its abort_ramp, if it has one).
    Abort {
        name: String,
        /// Why, for the rollout's state and the audit log.
        #[arg(long, default_value = "aborted from the command line")]
        reason: String,
        #[command(flatten)]
        how: ChangeFlags,
    },
    /// An aborted rollout from its first step again.
    Retry {
        name: String,
        #[command(flatten)]
        how: ChangeFlags,
    },
    /// Hold the rollout where it is: no timed step, analysis or auto-abort moves it.
    Suspend {
        name: String,
        #[command(flatten)]
        how: ChangeFlags,
    },
    /// Let a suspended rollout's own steps move it again.
    Resume {
        name: String,
        #[command(flatten)]
        how: ChangeFlags,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum NodeAvailability {
    /// Its tasks move to other nodes (or wait, pending, when there are none).
    Drain,
    /// It keeps its tasks but takes no new ones.
    Pause,
    /// It takes tasks again.
    Activate,
}

/// How a change command runs.
#[derive(clap::Args, Debug)]
struct ChangeFlags {
    /// Apply without asking.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// The plan and its outcome as JSON on stdout.
    #[arg(long)]
    json: bool,
}

impl ChangeFlags {
    fn flags(&self) -> wheelhouse::change::Flags {
        wheelhouse::change::Flags {
            yes: self.yes,
            dry_run: self.dry_run,
            json: self.json,
        }
    }
}

fn parse_window(text: &str) -> Result<Duration, String> {
    wheelhouse::agent::policy::parse_duration(text)
        .ok_or_else(|| format!("{text:?}: a duration such as 30s, 2m or 1h"))
}

fn parse_size(text: &str) -> Result<u64, String> {
    wheelhouse::app::usage::parse_size(text)
}

fn parse_swap(text: &str) -> Result<i64, String> {
    if text.trim() == "-1" {
        return Ok(-1);
    }
    parse_size(text).map(|n| n as i64)
}

/// Local sampling keeps a few files and a netlink socket open per container: with a thousand
/// containers that is past the usual soft limit of 1 024 descriptors. The hard limit is the
/// administrator's; the soft one is ours to raise up to it (as Go programs do at start).
fn raise_open_file_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain calls with a valid struct; a failure leaves the limit as it was.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

fn main() -> ExitCode {
    raise_open_file_limit();
    let args = Args::parse();
    let common = cli::Common {
        selection: wheelhouse::engine::context::Selection {
            contexts: args.context,
            hosts: args.host,
            all_contexts: args.all_contexts,
        },
        read_only: args.read_only,
        read_write: args.read_write,
        keymap: args.keymap,
        theme: args.theme,
        config: args.config,
    };
    if args.demo && args.command.is_some() {
        cli::say("wheelhouse: --demo starts the console; run `wheelhouse fake-engine` for the engine alone");
        return ExitCode::from(2);
    }
    let result = match args.command {
        None if args.demo => cli::demo(common, args.demo_containers),
        None => cli::console(common),
        Some(Command::Ps { json, show_secrets }) => cli::ps(common, json, show_secrets),
        Some(Command::Contexts { json, .. }) => cli::contexts(json),
        Some(Command::Scale {
            service,
            replicas,
            how,
        }) => change::run(common, Change::Scale { service, replicas }, how.flags()),
        Some(Command::Limits {
            target,
            cpus,
            memory,
            memory_swap,
            memory_reservation,
            pids,
            restart,
            how,
        }) => change::run(
            common,
            Change::Limits {
                target,
                change: LimitChange {
                    cpus,
                    memory,
                    memory_swap,
                    memory_reservation,
                    pids,
                    restart,
                },
            },
            how.flags(),
        ),
        Some(Command::Rollout {
            service,
            image,
            max_surge,
            max_unavailable,
            health_timeout,
            settle,
            how,
        }) => change::run(
            common,
            Change::Rollout {
                service,
                spec: RolloutSpec {
                    image,
                    max_surge,
                    max_unavailable,
                    health_timeout_secs: health_timeout,
                    settle_secs: settle,
                },
            },
            how.flags(),
        ),
        Some(Command::RestartUnhealthy {
            service,
            health_timeout,
            how,
        }) => change::run(
            common,
            Change::RestartUnhealthy {
                service,
                timeout_secs: health_timeout,
            },
            how.flags(),
        ),
        Some(Command::Rollback { service, how }) => {
            change::run(common, Change::Rollback { service }, how.flags())
        }
        Some(Command::Node {
            availability,
            node,
            how,
        }) => {
            let availability = match availability {
                NodeAvailability::Drain => "drain",
                NodeAvailability::Pause => "pause",
                NodeAvailability::Activate => "active",
            };
            change::run(
                common,
                Change::Node {
                    node,
                    availability: availability.to_owned(),
                },
                how.flags(),
            )
        }
        Some(Command::Agent {
            once,
            window,
            apply,
            how,
        }) => wheelhouse::agent::headless::run(
            common,
            wheelhouse::agent::headless::Options {
                once,
                window,
                json: how.json,
                apply,
                flags: how.flags(),
            },
        ),
        Some(Command::Canary { action }) => match action {
            CanaryAction::List { json } => wheelhouse::canary::headless::list(common, json),
            CanaryAction::Status { name, json } => {
                wheelhouse::canary::headless::status(common, &name, json)
            }
            CanaryAction::SetWeight { name, percent, how } => {
                wheelhouse::canary::headless::set_weight(common, &name, percent, how.flags())
            }
            CanaryAction::Next { name, how } => canary_move(common, &name, CanaryInput::Next, how),
            CanaryAction::Promote { name, how } => {
                canary_move(common, &name, CanaryInput::Promote, how)
            }
            CanaryAction::Abort { name, reason, how } => {
                canary_move(common, &name, CanaryInput::Abort { reason }, how)
            }
            CanaryAction::Retry { name, how } => {
                canary_move(common, &name, CanaryInput::Retry, how)
            }
            CanaryAction::Suspend { name, how } => {
                canary_move(common, &name, CanaryInput::Suspend, how)
            }
            CanaryAction::Resume { name, how } => {
                canary_move(common, &name, CanaryInput::Resume, how)
            }
        },
        Some(Command::Topology { format, project }) => cli::topology(
            common,
            match format {
                TopologyArg::Json => cli::TopologyFormat::Json,
                TopologyArg::Dot => cli::TopologyFormat::Dot,
                TopologyArg::Mermaid => cli::TopologyFormat::Mermaid,
            },
            project,
        ),
        Some(Command::Paths { .. }) => cli::paths(common),
        Some(Command::Completions { shell, .. }) => {
            let mut cmd = Args::command();
            clap_complete::generate(shell, &mut cmd, "wheelhouse", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man { .. }) => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(Args::command()).render(&mut out) {
                Ok(()) => cli::emit(&String::from_utf8_lossy(&out)).map(|()| ExitCode::SUCCESS),
                Err(e) => Err(e.into()),
            }
        }
        Some(Command::Screenshots { dir, .. }) => cli::screenshots(&dir),
        Some(Command::FakeEngine {
            socket,
            containers,
            seed,
            churn_secs,
            stall_after_ms,
        }) => cli::fake_engine(
            &socket,
            wheelhouse::fake::FakeOptions {
                containers,
                seed,
                churn_every: (churn_secs > 0.0).then(|| Duration::from_secs_f64(churn_secs)),
                stall_after: stall_after_ms.map(Duration::from_millis),
            },
        ),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            cli::say(&format!("wheelhouse: {e:#}"));
            ExitCode::from(2)
        }
    }
}

fn canary_move(
    common: cli::Common,
    name: &str,
    input: CanaryInput,
    how: ChangeFlags,
) -> anyhow::Result<ExitCode> {
    wheelhouse::canary::headless::transition(
        common,
        name,
        input,
        how.flags(),
        wheelhouse::ops::Origin::CommandLine,
    )
}
