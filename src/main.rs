//! The `wheelhouse` command: the console by default, headless subcommands for scripts.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use wheelhouse::cli;

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

#[derive(Subcommand, Debug)]
enum Command {
    /// Print every container of the endpoint and exit.
    Ps {
        /// JSON output with a stable schema (see README).
        #[arg(long)]
        json: bool,
    },
    /// List docker contexts like `docker context ls` (`*` marks the current one).
    Contexts {
        /// JSON: an array of {name, description, host, tls, skip_tls_verify, current, error}.
        #[arg(long)]
        json: bool,
    },
    /// Print where configuration, data and the audit log live.
    Paths,
    /// Render the views from built-in fixtures to SVG images (README screenshots).
    Screenshots {
        #[arg(long, default_value = "screenshots")]
        dir: PathBuf,
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

fn main() -> ExitCode {
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
        Some(Command::Ps { json }) => cli::ps(common, json),
        Some(Command::Contexts { json }) => cli::contexts(json),
        Some(Command::Paths) => cli::paths(common),
        Some(Command::Screenshots { dir }) => cli::screenshots(&dir),
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
