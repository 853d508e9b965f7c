//! A proposal: one change the agent suggests, with the numbers behind it, and what becomes of
//! it. Plain data: the panel shows it, `agent --json` prints it, the executor turns it into a
//! plan.

use serde::Serialize;

use super::policy::Kind;
use crate::app::model::{ContainerKey, ServiceKey};

/// What a proposal is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    Service(ServiceKey),
    Container {
        key: ContainerKey,
        name: String,
        /// The service it is a replica of, whose policy applies.
        service: Option<ServiceKey>,
    },
    /// A canary rollout of `rollouts.toml`, by name, and the service it rolls out.
    Rollout {
        name: String,
        service: ServiceKey,
    },
}

impl Subject {
    pub fn endpoint(&self) -> &str {
        match self {
            Subject::Service(k) => &k.endpoint,
            Subject::Container { key, .. } => &key.endpoint,
            Subject::Rollout { service, .. } => &service.endpoint,
        }
    }

    /// `shop/web` or a container's name.
    pub fn label(&self) -> String {
        match self {
            Subject::Service(k) => k.label(),
            Subject::Container { name, .. } => name.clone(),
            Subject::Rollout { name, .. } => format!("rollout {name}"),
        }
    }

    /// The service whose policy applies.
    pub fn service(&self) -> Option<&ServiceKey> {
        match self {
            Subject::Service(k) => Some(k),
            Subject::Container { service, .. } => service.as_ref(),
            Subject::Rollout { service, .. } => Some(service),
        }
    }
}

/// The change proposed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Change {
    Scale {
        from: u32,
        to: u32,
    },
    /// New limits for every replica; `None` leaves one as it is.
    Limits {
        cpus: Option<f64>,
        memory: Option<u64>,
        from_cpus: Option<f64>,
        from_memory: Option<u64>,
    },
    Restart,
    /// The canary's image made the stable one (through its rollout's promotion plan).
    Promote,
    /// All traffic back to stable, and why.
    Abort {
        reason: String,
    },
}

impl Change {
    /// `scale 2 → 4`, `cpus 0.5 → 0.75, memory 64 MiB → 96 MiB`, `restart`.
    pub fn words(&self) -> String {
        use crate::app::usage::human_bytes;
        match self {
            Change::Scale { from, to } => format!("scale {from} → {to}"),
            Change::Limits {
                cpus,
                memory,
                from_cpus,
                from_memory,
            } => {
                let mut parts = Vec::new();
                if let Some(c) = cpus {
                    let was = from_cpus.map_or("none".into(), |f| format!("{f:.2}"));
                    parts.push(format!("cpus {was} → {c:.2}"));
                }
                if let Some(m) = memory {
                    let was = from_memory.map_or("none".into(), human_bytes);
                    parts.push(format!("memory {was} → {}", human_bytes(*m)));
                }
                parts.join(", ")
            }
            Change::Restart => "restart".into(),
            Change::Promote => "promote".into(),
            Change::Abort { .. } => "abort".into(),
        }
    }
}

/// One proposal. Its id names the kind, the subject and the change, so the same advice keeps
/// its id from tick to tick and across runs (`agent --apply ID` finds it again).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub id: String,
    #[serde(serialize_with = "kind_name")]
    pub kind: Kind,
    pub subject: Subject,
    pub change: Change,
    /// The numbers behind it, one line: "cpu 92 % of limit against a 70 % target for 30s".
    pub numbers: String,
    /// Why, a line each, beyond the numbers.
    pub reasons: Vec<String>,
    /// What should follow: "about 61 % of limit per replica".
    pub expected: String,
    /// The policy it follows (`default` or `project/service`), named in the audit line.
    pub policy: String,
    /// From an external advisor (its name), or the built-in rules (None).
    pub advisor: Option<String>,
}

fn kind_name<S: serde::Serializer>(kind: &Kind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.name())
}

impl Proposal {
    /// The id for a kind, subject and change: `horizontal:local/shop/web:3`.
    pub fn id_for(kind: Kind, subject: &Subject, change: &Change) -> String {
        let what = match change {
            Change::Scale { to, .. } => to.to_string(),
            Change::Limits { cpus, memory, .. } => {
                let c = cpus.map_or(String::new(), |c| format!("c{:.0}", c * 1000.0));
                let m = memory.map_or(String::new(), |m| format!("m{}", m >> 20));
                format!("{c}{m}")
            }
            Change::Restart => "restart".into(),
            Change::Promote => "promote".into(),
            Change::Abort { .. } => "abort".into(),
        };
        let who = match subject {
            Subject::Service(k) => k.label(),
            Subject::Container { name, .. } => name.clone(),
            Subject::Rollout { name, .. } => format!("rollout/{name}"),
        };
        format!("{}:{}/{who}:{what}", kind.name(), subject.endpoint())
    }
}

/// Where a subject stands with a kind of rule when it proposes nothing: the panel says so, so
/// that silence is never mistaken for "all is well" when the agent simply cannot tell yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    #[serde(serialize_with = "kind_name")]
    pub kind: Kind,
    pub subject: Subject,
    /// "waiting for data: 12s of the 30s window", "cooling down for 45s after a change",
    /// "restarted 3 times in 30m: not proposed again until 14:05".
    pub text: String,
}

/// A rule's answer for one subject.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Propose(Proposal),
    Note(Note),
    Nothing,
}
