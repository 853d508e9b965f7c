//! Which engines to attach, resolved the way the docker CLI resolves them.
//!
//! Precedence (docker CLI 28): `--context` (an error together with `-H`) > `-H` (default context)
//! > non-empty `DOCKER_HOST` (default context; a set `DOCKER_CONTEXT` is ignored with a warning)
//! > `DOCKER_CONTEXT` > `currentContext` in `$DOCKER_CONFIG/config.json` > `default`.
//!
//! Named contexts are read from `$DOCKER_CONFIG/contexts/meta/<sha256(name)>/meta.json`, their TLS
//! files from `$DOCKER_CONFIG/contexts/tls/<sha256(name)>/docker/{ca,cert,key}.pem`.
//!
//! Checked against the installed docker client (28.2.2), with these deliberate differences:
//! - The CLI silently ignores a context's `cert.pem` without `key.pem` (or the reverse) and goes on
//!   with TLS but no client certificate; here that is an error, since the engine would refuse us
//!   later with a much less helpful message.
//! - The CLI accepts any scheme in a context's meta.json and fails at connect time (an `ftp://x`
//!   host ends up as an HTTP request to `x`); here unsupported schemes are refused up front.
//! - `docker context ls` fails as a whole when one meta.json is malformed; `list_contexts` shows the
//!   error on that row and lists the rest. The CLI sorts `default` among the others by name;
//!   `list_contexts` puts it first.
//! - The CLI calls a `-H` host the `default` context; here each `-H` endpoint is named by its
//!   address (`docker.sock`, `10.0.0.5:2376`), so the real `default` context can be attached
//!   beside it from the endpoints panel.
//! - `DOCKER_HOST` overriding `DOCKER_CONTEXT` is silent for most CLI commands (only
//!   `docker context ls/use` print "DOCKER_HOST environment variable overrides the active
//!   context"); here it is always a warning, since the console shows one screen for both.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::file::{read_text, MAX_CONFIG_BYTES};

use super::endpoint::{Endpoint, TlsMaterial, DEFAULT_SOCKET};

/// The name of the context that is never on disk.
pub const DEFAULT_CONTEXT: &str = "default";
/// The description `docker context ls` shows for the default context.
pub const DEFAULT_DESCRIPTION: &str = "Current DOCKER_HOST based configuration";
/// Schemes an endpoint may use.
pub const SUPPORTED_SCHEMES: [&str; 3] = ["unix", "tcp", "ssh"];
/// The host the default context uses when TLS is on and no host is given.
const DEFAULT_TLS_HOST: &str = "tcp://localhost:2376";

/// What the command line asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// `-c/--context NAME`, repeatable.
    pub contexts: Vec<String>,
    /// `-H/--host URL`, repeatable.
    pub hosts: Vec<String>,
    /// `--all-contexts`: the default context plus every context on disk.
    pub all_contexts: bool,
}

/// Why an endpoint could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextError {
    /// `--context` (or `--all-contexts`) given together with `-H`/`--host`.
    Conflict { what: String },
    /// No such context on disk.
    Unknown {
        name: String,
        /// Where it was looked for.
        path: PathBuf,
        /// Every context that does exist (`default` first).
        known: Vec<String>,
    },
    /// meta.json is not valid JSON or not the shape the CLI writes.
    Malformed {
        name: String,
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// meta.json could not be read (other than not existing).
    Unreadable {
        name: String,
        path: PathBuf,
        message: String,
    },
    /// meta.json has no `Endpoints.docker` (or no Host in it).
    NoDockerEndpoint { name: String, path: PathBuf },
    /// TLS files are incomplete: a cert without its key, or a required CA missing.
    MissingTls {
        name: String,
        /// The endpoint the files were for.
        host: String,
        dir: PathBuf,
        problem: String,
    },
    /// The host uses a scheme other than unix, tcp, ssh.
    UnsupportedScheme {
        name: String,
        host: String,
        scheme: String,
        /// Where the host came from (`-H`, DOCKER_HOST, a meta.json path).
        source: String,
    },
}

impl ContextError {
    /// The context (or endpoint) name the error belongs to; empty for a flag conflict.
    pub fn context(&self) -> &str {
        match self {
            ContextError::Conflict { .. } => "",
            ContextError::Unknown { name, .. }
            | ContextError::Malformed { name, .. }
            | ContextError::Unreadable { name, .. }
            | ContextError::NoDockerEndpoint { name, .. }
            | ContextError::MissingTls { name, .. }
            | ContextError::UnsupportedScheme { name, .. } => name,
        }
    }

    /// The host, when it was known before the error.
    pub fn host(&self) -> Option<&str> {
        match self {
            ContextError::UnsupportedScheme { host, .. }
            | ContextError::MissingTls { host, .. } => Some(host),
            _ => None,
        }
    }
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContextError::Conflict { what } => write!(f, "conflicting options: {what}"),
            ContextError::Unknown { name, path, known } => write!(
                f,
                "context \"{name}\" not found ({} does not exist); known contexts: {}",
                path.display(),
                known.join(", ")
            ),
            ContextError::Malformed {
                name,
                path,
                line,
                column,
                message,
            } => write!(
                f,
                "context \"{name}\": {} is malformed at line {line}, column {column}: {message}",
                path.display()
            ),
            ContextError::Unreadable {
                name,
                path,
                message,
            } => write!(
                f,
                "context \"{name}\": cannot read {}: {message}",
                path.display()
            ),
            ContextError::NoDockerEndpoint { name, path } => write!(
                f,
                "context \"{name}\": {} has no docker endpoint (Endpoints.docker.Host)",
                path.display()
            ),
            ContextError::MissingTls {
                name, dir, problem, ..
            } => write!(
                f,
                "context \"{name}\": TLS files in {} are incomplete: {problem}",
                dir.display()
            ),
            ContextError::UnsupportedScheme {
                name,
                host,
                scheme,
                source,
            } => write!(
                f,
                "context \"{name}\": unsupported scheme \"{scheme}\" in {host} (from {source}); \
                 supported: {}",
                SUPPORTED_SCHEMES.join(", ")
            ),
        }
    }
}

impl std::error::Error for ContextError {}

/// The outcome of resolving a [`Selection`].
#[derive(Debug, Default)]
pub struct Resolution {
    /// One entry per endpoint to attach, in order; a broken context is an `Err` in its place
    /// so the others still work.
    pub endpoints: Vec<Result<Endpoint, ContextError>>,
    /// Things the user should know (DOCKER_CONTEXT ignored, config.json unreadable).
    pub warnings: Vec<String>,
    /// Whether the entries come from names the user gave (flag, DOCKER_CONTEXT, config.json), as
    /// opposed to `--all-contexts`: a caller may treat errors on explicit names as fatal.
    pub explicit: bool,
}

impl Resolution {
    /// The endpoints that resolved.
    pub fn ok(&self) -> impl Iterator<Item = &Endpoint> {
        self.endpoints.iter().filter_map(|r| r.as_ref().ok())
    }

    /// The errors, in order.
    pub fn errors(&self) -> impl Iterator<Item = &ContextError> {
        self.endpoints.iter().filter_map(|r| r.as_ref().err())
    }
}

/// One row of `wheelhouse contexts`, like `docker context ls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContextInfo {
    pub name: String,
    pub description: String,
    /// Empty when the context could not be read.
    pub host: String,
    /// TLS files (or DOCKER_TLS_VERIFY for the default context) are in use.
    pub tls: bool,
    pub skip_tls_verify: bool,
    /// The context the docker CLI would use with no flags.
    pub current: bool,
    pub error: Option<String>,
}

/// Everything the resolver reads from the environment.
struct Env {
    docker_host: Option<String>,
    docker_context: Option<String>,
    config_dir: PathBuf,
    tls_verify: bool,
    cert_path: PathBuf,
}

impl Env {
    fn read(env: &impl Fn(&str) -> Option<String>) -> Env {
        let non_empty = |k: &str| env(k).filter(|v| !v.is_empty());
        let config_dir = non_empty("DOCKER_CONFIG")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                non_empty("HOME")
                    .map(PathBuf::from)
                    .unwrap_or_default()
                    .join(".docker")
            });
        let cert_path = non_empty("DOCKER_CERT_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| config_dir.clone());
        Env {
            docker_host: non_empty("DOCKER_HOST"),
            docker_context: non_empty("DOCKER_CONTEXT"),
            tls_verify: non_empty("DOCKER_TLS_VERIFY").is_some(),
            config_dir,
            cert_path,
        }
    }

    fn meta_root(&self) -> PathBuf {
        self.config_dir.join("contexts").join("meta")
    }

    fn meta_path(&self, name: &str) -> PathBuf {
        self.meta_root().join(context_dir(name)).join("meta.json")
    }

    fn tls_dir(&self, name: &str) -> PathBuf {
        self.config_dir
            .join("contexts")
            .join("tls")
            .join(context_dir(name))
            .join("docker")
    }
}

/// The directory name the docker CLI stores a context under: sha256 of its name, in hex.
pub fn context_dir(name: &str) -> String {
    Sha256::digest(name.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The docker config dir (`$DOCKER_CONFIG`, else `~/.docker`).
pub fn config_dir(env: impl Fn(&str) -> Option<String>) -> PathBuf {
    Env::read(&env).config_dir
}

/// meta.json as the docker CLI writes it.
#[derive(Debug, Deserialize)]
struct Meta {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Metadata", default)]
    metadata: Option<serde_json::Value>,
    #[serde(rename = "Endpoints", default)]
    endpoints: BTreeMap<String, MetaEndpoint>,
}

#[derive(Debug, Deserialize)]
struct MetaEndpoint {
    #[serde(rename = "Host", default)]
    host: Option<String>,
    #[serde(rename = "SkipTLSVerify", default)]
    skip_tls_verify: bool,
}

impl Meta {
    fn description(&self) -> String {
        self.metadata
            .as_ref()
            .and_then(|m| m.get("Description"))
            .and_then(|d| d.as_str())
            .unwrap_or_default()
            .to_owned()
    }
}

/// Resolves the selection to endpoints, as the docker CLI would.
///
/// Only a flag conflict fails as a whole; every other problem is an `Err` in the endpoint's
/// place.
pub fn resolve(
    sel: &Selection,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Resolution, ContextError> {
    let env = Env::read(&env);
    if !sel.hosts.is_empty() && !sel.contexts.is_empty() {
        return Err(ContextError::Conflict {
            what: "cannot specify both --host and --context".into(),
        });
    }
    if !sel.hosts.is_empty() && sel.all_contexts {
        return Err(ContextError::Conflict {
            what: "cannot specify both --host and --all-contexts".into(),
        });
    }
    if !sel.contexts.is_empty() && sel.all_contexts {
        return Err(ContextError::Conflict {
            what: "cannot specify both --context and --all-contexts".into(),
        });
    }
    let mut res = Resolution {
        explicit: !sel.all_contexts,
        ..Resolution::default()
    };

    if sel.all_contexts {
        res.endpoints
            .push(default_context(&env, None, DEFAULT_CONTEXT));
        for entry in scan(&env) {
            res.endpoints.push(match entry {
                Scanned::Ok { meta, path } => named_from_meta(&env, &meta, &path),
                Scanned::Err(e) => Err(e),
            });
        }
        return Ok(res);
    }
    if !sel.contexts.is_empty() {
        let mut seen = Vec::new();
        for name in &sel.contexts {
            if seen.contains(name) {
                continue;
            }
            seen.push(name.clone());
            res.endpoints.push(named(&env, name));
        }
        return Ok(res);
    }
    // Named by their address, one or several: called `default`, a `-H` endpoint would hide
    // the real default context from the endpoints panel.
    if !sel.hosts.is_empty() {
        let names = unique_names(sel.hosts.iter().map(|h| host_label(h)).collect());
        for (host, name) in sel.hosts.iter().zip(names) {
            res.endpoints.push(default_context(&env, Some(host), &name));
        }
        return Ok(res);
    }
    if let Some(host) = &env.docker_host {
        if let Some(ctx) = &env.docker_context {
            res.warnings.push(format!(
                "DOCKER_CONTEXT={ctx} is ignored because DOCKER_HOST={host} is set \
                 (DOCKER_HOST overrides the active context; unset it or use --context)"
            ));
        } else if let Some(ctx) = current_from_config(&env, &mut res.warnings) {
            res.warnings.push(format!(
                "current context \"{ctx}\" (config.json) is ignored because DOCKER_HOST={host} is \
                 set (DOCKER_HOST overrides the active context; unset it or use --context)"
            ));
        }
        res.endpoints
            .push(default_context(&env, None, DEFAULT_CONTEXT));
        return Ok(res);
    }
    let name = match &env.docker_context {
        Some(ctx) => Some(ctx.clone()),
        None => current_from_config(&env, &mut res.warnings),
    };
    res.endpoints
        .push(named(&env, name.as_deref().unwrap_or(DEFAULT_CONTEXT)));
    Ok(res)
}

/// The context the CLI would use with no flags, ignoring DOCKER_HOST.
fn current_name(env: &Env, warnings: &mut Vec<String>) -> String {
    if env.docker_host.is_some() {
        return DEFAULT_CONTEXT.into();
    }
    env.docker_context
        .clone()
        .or_else(|| current_from_config(env, warnings))
        .unwrap_or_else(|| DEFAULT_CONTEXT.into())
}

/// `currentContext` from config.json, when set and not `default`.
fn current_from_config(env: &Env, warnings: &mut Vec<String>) -> Option<String> {
    let path = env.config_dir.join("config.json");
    let text = match read_text(&path, MAX_CONFIG_BYTES) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            warnings.push(format!("cannot read {}: {e}", path.display()));
            return None;
        }
    };
    #[derive(Deserialize)]
    struct Config {
        #[serde(rename = "currentContext", default)]
        current_context: Option<String>,
    }
    match serde_json::from_str::<Config>(&text) {
        // Like the CLI: a broken config.json is a warning, and the default context is used.
        Err(e) => {
            warnings.push(format!(
                "{} is malformed at line {}, column {}: {e}; using the default context",
                path.display(),
                e.line(),
                e.column()
            ));
            None
        }
        Ok(c) => c
            .current_context
            .filter(|c| !c.is_empty() && c != DEFAULT_CONTEXT),
    }
}

/// The default context, for one explicit host or from the environment.
fn default_context(
    env: &Env,
    explicit: Option<&str>,
    name: &str,
) -> Result<Endpoint, ContextError> {
    let (raw, source) = match explicit {
        Some(h) => (Some(h.to_owned()), "-H/--host"),
        None => (env.docker_host.clone(), "DOCKER_HOST"),
    };
    let host = match raw {
        Some(h) => normalize_host(&h, env.tls_verify, name, source)?,
        None if env.tls_verify => DEFAULT_TLS_HOST.to_owned(),
        None => DEFAULT_SOCKET.to_owned(),
    };
    let tls = if env.tls_verify && host.starts_with("tcp://") {
        // DOCKER_TLS_VERIFY needs the CA (the CLI fails with "open …/ca.pem" otherwise); cert and
        // key are used when present, and must come as a pair.
        let dir = &env.cert_path;
        let (ca, cert, key) = tls_files(dir);
        if ca.is_none() {
            return Err(ContextError::MissingTls {
                name: name.into(),
                host: host.clone(),
                dir: dir.clone(),
                problem: "DOCKER_TLS_VERIFY is set but ca.pem is missing \
                          (set DOCKER_CERT_PATH to the directory with ca.pem, cert.pem, key.pem)"
                    .into(),
            });
        }
        check_pair(name, &host, dir, &cert, &key)?;
        Some(TlsMaterial {
            ca,
            cert,
            key,
            skip_verify: false,
        })
    } else {
        None
    };
    Ok(Endpoint {
        name: name.into(),
        host,
        tls,
    })
}

/// A context by name; `default` is the default context.
fn named(env: &Env, name: &str) -> Result<Endpoint, ContextError> {
    if name == DEFAULT_CONTEXT {
        return default_context(env, None, DEFAULT_CONTEXT);
    }
    let path = env.meta_path(name);
    let meta = read_meta(&path, name).map_err(|e| match e {
        ReadError::NotFound => ContextError::Unknown {
            name: name.into(),
            path: path.clone(),
            known: known_names(env),
        },
        ReadError::Other(e) => e,
    })?;
    named_from_meta(env, &meta, &path)
}

fn named_from_meta(env: &Env, meta: &Meta, path: &Path) -> Result<Endpoint, ContextError> {
    let name = meta.name.as_str();
    let docker = meta
        .endpoints
        .get("docker")
        .filter(|d| d.host.as_deref().is_some_and(|h| !h.is_empty()))
        .ok_or_else(|| ContextError::NoDockerEndpoint {
            name: name.into(),
            path: path.to_owned(),
        })?;
    let raw = docker.host.as_deref().unwrap_or_default();
    let host = normalize_host(raw, false, name, &path.display().to_string())?;
    let dir = env.tls_dir(name);
    let (ca, cert, key) = tls_files(&dir);
    check_pair(name, &host, &dir, &cert, &key)?;
    let has_files = ca.is_some() || cert.is_some();
    let tls = (host.starts_with("tcp://") && (has_files || docker.skip_tls_verify)).then_some(
        TlsMaterial {
            ca,
            cert,
            key,
            skip_verify: docker.skip_tls_verify,
        },
    );
    Ok(Endpoint {
        name: name.into(),
        host,
        tls,
    })
}

enum ReadError {
    NotFound,
    Other(ContextError),
}

fn read_meta(path: &Path, name: &str) -> Result<Meta, ReadError> {
    let text = read_text(path, MAX_CONFIG_BYTES).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ReadError::NotFound
        } else {
            ReadError::Other(ContextError::Unreadable {
                name: name.into(),
                path: path.to_owned(),
                message: e.to_string(),
            })
        }
    })?;
    serde_json::from_str(&text).map_err(|e| {
        ReadError::Other(ContextError::Malformed {
            name: name.into(),
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    })
}

enum Scanned {
    Ok { meta: Meta, path: PathBuf },
    Err(ContextError),
}

/// Every context on disk, sorted by name. A broken meta.json is named by its directory (its
/// real name is inside the broken file).
fn scan(env: &Env) -> Vec<Scanned> {
    let Ok(dirs) = std::fs::read_dir(env.meta_root()) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Scanned)> = Vec::new();
    for dir in dirs.flatten() {
        let path = dir.path().join("meta.json");
        if !path.is_file() {
            continue;
        }
        let dir_name = dir.file_name().to_string_lossy().into_owned();
        match read_meta(&path, &dir_name) {
            Ok(meta) => out.push((meta.name.clone(), Scanned::Ok { meta, path })),
            Err(ReadError::Other(e)) => out.push((dir_name, Scanned::Err(e))),
            Err(ReadError::NotFound) => {}
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, s)| s).collect()
}

fn known_names(env: &Env) -> Vec<String> {
    let mut names = vec![DEFAULT_CONTEXT.to_owned()];
    for s in scan(env) {
        names.push(match s {
            Scanned::Ok { meta, .. } => meta.name,
            Scanned::Err(e) => format!("{} (broken)", e.context()),
        });
    }
    names
}

/// ca.pem, cert.pem, key.pem in `dir`, each when present.
fn tls_files(dir: &Path) -> (Option<PathBuf>, Option<PathBuf>, Option<PathBuf>) {
    let file = |n: &str| Some(dir.join(n)).filter(|p| p.is_file());
    (file("ca.pem"), file("cert.pem"), file("key.pem"))
}

fn check_pair(
    name: &str,
    host: &str,
    dir: &Path,
    cert: &Option<PathBuf>,
    key: &Option<PathBuf>,
) -> Result<(), ContextError> {
    let problem = match (cert, key) {
        (Some(_), None) => "cert.pem is present but key.pem is missing",
        (None, Some(_)) => "key.pem is present but cert.pem is missing",
        _ => return Ok(()),
    };
    Err(ContextError::MissingTls {
        name: name.into(),
        host: host.into(),
        dir: dir.to_owned(),
        problem: problem.into(),
    })
}

/// Checks the scheme and fills in what the CLI fills in: `host:port` means tcp, and a tcp host
/// without a port gets 2375 (2376 with TLS).
fn normalize_host(raw: &str, tls: bool, name: &str, source: &str) -> Result<String, ContextError> {
    let raw = raw.trim();
    let (scheme, rest) = match raw.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => ("tcp".to_owned(), raw),
    };
    if !SUPPORTED_SCHEMES.contains(&scheme.as_str()) {
        return Err(ContextError::UnsupportedScheme {
            name: name.into(),
            host: raw.into(),
            scheme,
            source: source.into(),
        });
    }
    if scheme == "tcp" {
        let authority = rest.split('/').next().unwrap_or_default();
        let has_port = match authority.rfind(':') {
            Some(i) => !authority.ends_with(']') && i + 1 < authority.len(),
            None => false,
        };
        if !has_port {
            let port = if tls { 2376 } else { 2375 };
            let host = authority.trim_end_matches(':');
            let host = if host.is_empty() { "localhost" } else { host };
            return Ok(format!("tcp://{host}:{port}"));
        }
    }
    Ok(format!("{scheme}://{rest}"))
}

/// A short name for an endpoint given by host: `tcp://127.0.0.1:2375` → `127.0.0.1:2375`,
/// `unix:///path/x.sock` → `x.sock`, `ssh://u@h:22` → `u@h:22`.
pub fn host_label(host: &str) -> String {
    let rest = host.split_once("://").map_or(host, |(_, r)| r);
    if host.starts_with("unix://") {
        return Path::new(rest)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| rest.to_owned());
    }
    rest.trim_end_matches('/').to_owned()
}

/// Makes names unique by suffixing `#2`, `#3`, … to repeats.
fn unique_names(names: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        let mut candidate = name.clone();
        let mut n = 2;
        while out.contains(&candidate) {
            candidate = format!("{name}#{n}");
            n += 1;
        }
        out.push(candidate);
    }
    out
}

/// Every context, like `docker context ls`: default first, then the rest sorted by name.
pub fn list_contexts(env: impl Fn(&str) -> Option<String>) -> Vec<ContextInfo> {
    let env = Env::read(&env);
    let current = current_name(&env, &mut Vec::new());
    let mut rows = Vec::new();
    let default = default_context(&env, None, DEFAULT_CONTEXT);
    rows.push(ContextInfo {
        name: DEFAULT_CONTEXT.into(),
        description: DEFAULT_DESCRIPTION.into(),
        host: match &default {
            Ok(e) => e.host.clone(),
            Err(e) => e.host().unwrap_or_default().to_owned(),
        },
        tls: env.tls_verify,
        skip_tls_verify: false,
        current: current == DEFAULT_CONTEXT,
        error: default.err().map(|e| e.to_string()),
    });
    for s in scan(&env) {
        rows.push(match s {
            Scanned::Ok { meta, path } => {
                let resolved = named_from_meta(&env, &meta, &path);
                let docker = meta.endpoints.get("docker");
                let (ca, cert, _) = tls_files(&env.tls_dir(&meta.name));
                ContextInfo {
                    current: current == meta.name,
                    description: meta.description(),
                    host: docker.and_then(|d| d.host.clone()).unwrap_or_default(),
                    tls: ca.is_some() || cert.is_some(),
                    skip_tls_verify: docker.is_some_and(|d| d.skip_tls_verify),
                    error: resolved.err().map(|e| e.to_string()),
                    name: meta.name,
                }
            }
            Scanned::Err(e) => ContextInfo {
                name: e.context().to_owned(),
                description: String::new(),
                host: String::new(),
                tls: false,
                skip_tls_verify: false,
                current: false,
                error: Some(e.to_string()),
            },
        });
    }
    rows
}

#[cfg(test)]
mod tests;
