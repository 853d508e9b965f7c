//! The `wheelhouse` command: the console by default, headless subcommands for scripts.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use wheelhouse::cli;

#[derive(Parser, Debug)]
#[command(
    name = "wheelhouse",
    version,
    about = "A terminal operations console for Docker engines"
)]
struct Args {
    /// Engine endpoint (unix:///path or tcp://host:port). Default: DOCKER_HOST, else the local socket.
    #[arg(short = 'H', long = "host", global = true)]
    host: Option<String>,
    /// Refuse every change to containers (also `read_only = true` in config.toml).
    #[arg(long, global = true)]
    read_only: bool,
    /// Keymap preset name (default, vim) or path to a keymap file.
    #[arg(long, global = true)]
    keymap: Option<String>,
    /// Theme preset name (dark, light, mono) or path to a theme file.
    #[arg(long, global = true)]
    theme: Option<String>,
    /// Path to a config file instead of the one in the config directory.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
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
    /// Print where configuration, data and the audit log live.
    Paths,
    /// Render the views from built-in fixtures to SVG images (README screenshots).
    Screenshots {
        #[arg(long, default_value = "screenshots")]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let common = cli::Common {
        host: args.host,
        read_only: args.read_only,
        keymap: args.keymap,
        theme: args.theme,
        config: args.config,
    };
    let result = match args.command {
        None => cli::console(common),
        Some(Command::Ps { json }) => cli::ps(common, json),
        Some(Command::Paths) => cli::paths(common),
        Some(Command::Screenshots { dir }) => cli::screenshots(&dir),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wheelhouse: {e:#}");
            ExitCode::from(2)
        }
    }
}
