//! The audit log: one JSON line per mutation the executor handled, executed or refused.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::app::effect::{Mutation, Origin, Target};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// RFC 3339, UTC.
    pub time: String,
    pub endpoint: String,
    /// The engine's address (`unix://…`, `tcp://…`, `ssh://…`): the name alone is `default` for
    /// any single `-H`/DOCKER_HOST, which would not say which engine was changed.
    #[serde(default)]
    pub host: String,
    pub container_id: String,
    pub container_name: String,
    /// The verb (`stop`, `kill`, …) with its parameters flattened beside it.
    #[serde(flatten)]
    pub mutation: Mutation,
    pub origin: Origin,
    /// `ok`, `error` or `refused`.
    pub result: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

impl AuditRecord {
    pub fn new(
        time: DateTime<Utc>,
        host: &str,
        target: &Target,
        mutation: &Mutation,
        origin: Origin,
        outcome: &Result<(), String>,
        refused: bool,
    ) -> Self {
        AuditRecord {
            time: time.to_rfc3339_opts(SecondsFormat::Millis, true),
            endpoint: target.key.endpoint.clone(),
            host: host.to_owned(),
            container_id: target.key.id.clone(),
            container_name: target.name.clone(),
            mutation: mutation.clone(),
            origin,
            result: match (refused, outcome) {
                (true, _) => "refused",
                (false, Ok(())) => "ok",
                (false, Err(_)) => "error",
            }
            .into(),
            error: outcome.as_ref().err().cloned(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn new(path: PathBuf) -> Self {
        AuditLog { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line. Each record is one `write` of a whole line, so concurrent consoles
    /// appending to the same file do not interleave within a line.
    pub fn append(&self, record: &AuditRecord) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut line = serde_json::to_string(record).map_err(std::io::Error::other)?;
        line.push('\n');
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(line.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::model::ContainerKey;

    #[test]
    fn records_are_json_lines_with_rfc3339_time() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path().join("sub/audit.jsonl"));
        let target = Target {
            key: ContainerKey {
                endpoint: "default".into(),
                id: "abc".into(),
            },
            name: "web".into(),
        };
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-22T18:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let kill = Mutation::Kill {
            signal: "SIGTERM".into(),
        };
        log.append(&AuditRecord::new(
            t,
            "unix:///var/run/docker.sock",
            &target,
            &kill,
            Origin::Keystroke,
            &Ok(()),
            false,
        ))
        .unwrap();
        log.append(&AuditRecord::new(
            t,
            "unix:///var/run/docker.sock",
            &target,
            &Mutation::Stop,
            Origin::Palette,
            &Err("boom".into()),
            false,
        ))
        .unwrap();
        let text = std::fs::read_to_string(log.path()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["time"], "2026-11-22T18:00:00.000Z");
        assert_eq!(lines[0]["action"], "kill");
        assert_eq!(lines[0]["signal"], "SIGTERM");
        assert_eq!(lines[0]["result"], "ok");
        assert_eq!(lines[0]["host"], "unix:///var/run/docker.sock");
        assert_eq!(lines[1]["result"], "error");
        assert_eq!(lines[1]["error"], "boom");
        assert_eq!(lines[1]["origin"], "palette");
    }
}
